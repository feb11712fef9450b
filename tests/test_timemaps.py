"""Maps through time: counts per cell and month against pandas, one legend for every frame, a
GIF with a frame per month, and the HTML map's player stepped through in Chromium."""

from __future__ import annotations

import io

import h3
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from hotspots.maps.assemble import save_map
from hotspots.tiles import TileConfig
from hotspots.timeaware.timemaps import animation_gif, time_cells, time_map


def test_counts_per_cell_and_month_match_pandas(sample):
    calls = sample.calls
    tc = time_cells(calls, resolution=8)
    assert tc.periods[0] == f"{calls['occurred_at'].min():%Y-%m}"
    assert tc.periods[-1] == f"{calls['occurred_at'].max():%Y-%m}"
    cell = [h3.latlng_to_cell(a, b, 8) for a, b in zip(calls["lat"], calls["lon"], strict=True)]
    want = (
        pd.DataFrame({"cell": cell, "month": calls["occurred_at"].dt.strftime("%Y-%m")})
        .groupby(["cell", "month"])
        .size()
    )
    names = [h3.int_to_str(int(c)) for c in tc.cells]
    got = pd.DataFrame(tc.counts, index=names, columns=tc.periods).stack()
    got = got[got > 0]
    assert got.sort_index().to_dict() == want.sort_index().to_dict()
    assert tc.counts.sum() == len(calls)


def test_the_legend_is_fixed_over_all_frames(sample):
    tc = time_cells(sample.calls)
    classes = tc.classes()
    # a count maps to the same colour in every month: one class per distinct count
    by_count = {}
    for count, cls in zip(tc.counts.ravel(), classes.ravel(), strict=True):
        by_count.setdefault(int(count), set()).add(int(cls))
    assert all(len(v) == 1 for v in by_count.values()) and by_count[0] == {-1}
    assert tc.edges[0] == 1 and tc.edges[-1] == tc.counts.max()
    assert len(tc.legend_items()) == len(tc.colours) == len(tc.edges) - 1


def test_week_frames_and_gif(sample):
    calls = sample.calls[sample.calls["year"] == 2021]
    calls = calls[calls["month"] <= 2]
    tc = time_cells(calls, freq="week", resolution=7)
    assert all(pd.Timestamp(p).weekday() == 0 for p in tc.periods)  # weeks start on Monday
    gif = Image.open(io.BytesIO(animation_gif(tc, ms_per_frame=100)))
    assert gif.n_frames == len(tc.periods) >= 8
    # the frames differ (the cells change from week to week) and loop
    gif.seek(0)
    first = np.asarray(gif.convert("RGB")).copy()
    gif.seek(3)
    assert (np.asarray(gif.convert("RGB")) != first).any()


@pytest.mark.browser
def test_the_player_steps_through_every_month(sample, browser, tmp_path):
    tc = time_cells(sample.calls)
    path = tmp_path / "timemap.html"
    save_map(time_map(tc, tiles=TileConfig.none(), interval_ms=40), path)
    page = browser.new_page()
    try:
        page.goto(path.as_uri())
        label = page.locator("#hs-time-label")
        assert label.text_content() == tc.periods[0]
        assert page.locator(".hs-title", has_text="Calls per cell").count() == 1  # the legend
        page.click("#hs-time-play")
        page.wait_for_function(
            f"document.getElementById('hs-time-label').textContent === '{tc.periods[-1]}'",
            timeout=20_000,
        )
        # the cells were restyled: the last frame's coloured cells are those with calls
        filled = page.evaluate(
            "Array.from(document.querySelectorAll('path.leaflet-interactive'))"
            ".filter(p => p.getAttribute('fill-opacity') !== '0').length"
        )
        assert filled == int((tc.counts[:, -1] > 0).sum())
        page.fill("#hs-time-slider", "3")
        page.dispatch_event("#hs-time-slider", "input")
        assert label.text_content() == tc.periods[3]
    finally:
        page.close()


def test_cli_writes_gif_and_html(capsys, tmp_path):
    from cli_support import run

    gif = tmp_path / "months.gif"
    code, out, err = run(capsys, "timemap", "--sample", "-o", gif, "--resolution", "7")
    assert code == 0, err
    assert "wrote 36 frames (2019-01 .. 2021-12, month)" in out
    assert Image.open(gif).n_frames == 36
    html = tmp_path / "months.html"
    code, out, err = run(capsys, "timemap", "--sample", "-o", html, "--freq", "week")
    assert code == 0, err
    text = html.read_text(encoding="utf-8")
    assert "hs-time-slider" in text and "Calls per cell" in text
    code, out, err = run(capsys, "timemap", "--sample", "-o", tmp_path / "x.png")
    assert code == 2 and ".html, .gif" in err
