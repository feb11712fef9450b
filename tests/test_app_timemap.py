"""Maps through time on the Map page (AppTest): the player map holds the library's frames with
the fixed legend; presenter mode draws no cell under K; the GIF button gives a GIF."""

from __future__ import annotations

import json
import re

from app_support import new_app, run, sample

from hotspots.timeaware.timemaps import time_cells


def player_html(at) -> str:
    frames = [e for e in at.get("iframe") if "hs-time-slider" in (e.proto.srcdoc or "")]
    assert frames, "no map through time on the page"
    return frames[0].proto.srcdoc


def periods_of(html: str) -> list[str]:
    return json.loads(re.search(r"var periods = (\[.*?\]);", html).group(1))


def opened(at):
    """The app with the "Through time" panel open (it computes nothing while closed)."""
    at.session_state["tm_open"] = True
    return at


def test_the_closed_panel_computes_and_sends_nothing():
    at = run(new_app())
    assert not [e for e in at.get("iframe") if "hs-time-slider" in (e.proto.srcdoc or "")]
    assert player_html(run(opened(at)))  # opening it draws the map through time


def test_months_of_the_sample_with_a_fixed_legend():
    at = run(opened(new_app()))
    html = player_html(at)
    want = time_cells(sample().calls, resolution=8)
    assert periods_of(html) == want.periods
    for _, label in want.legend_items():
        assert label in html  # the legend's classes, the same for every frame
    assert any("36 frames" in c.value for c in at.caption)


def test_weeks_and_presenter_mode():
    at = run(opened(new_app({"presenter": "1", "k": "5"})))
    html = player_html(at)
    want = time_cells(sample().calls, resolution=8, min_count=5)
    assert want.edges[0] >= 5
    classes = re.findall(r'"c":\s*\[([^\]]*)\]', html)
    assert len(classes) == want.cells.size
    drawn = sum(int(v) >= 0 for c in classes for v in c.split(","))
    assert drawn == int((want.counts > 0).sum())  # no cell-month from fewer than 5 calls
    assert drawn < int((time_cells(sample().calls, resolution=8).counts > 0).sum())
    at.radio(key="tm_freq").set_value("week")
    at = run(at)
    assert len(periods_of(player_html(at))) > 150  # three years of weeks


def test_gif_download():
    at = run(opened(new_app()))
    at.button(key="tm_gif").click()
    at = run(at)
    assert at.get("download_button"), "no download button for the GIF"
