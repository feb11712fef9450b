"""Briefing maps: what they draw, what they print on themselves, and their 1920x1080 PNG."""

from __future__ import annotations

import json
import re
from html import unescape as unescape_html

import numpy as np
import pytest
from conftest import real_file
from export_support import leaked_calls, png_facts, unescape_js

from hotspots.briefing import briefing_html, briefing_map, briefing_png, caption_lines
from hotspots.clusters import dbscan_labels
from hotspots.escape import escape_text
from hotspots.filters import Filters, apply_filters
from hotspots.grid import count_cells
from hotspots.i18n import LANGS, t
from hotspots.patrol import PatrolParams, method_text, patrol_plan
from hotspots.provenance import make_provenance
from hotspots.tiles import TileConfig


def make(calls, venues, boundary, *, params=None, presenter=False, lang="en", **kw):
    p = params or PatrolParams()
    prov = make_provenance(
        "calls.csv", kw.pop("filters", None), p.describe(presenter), incidents=calls
    )
    plan = patrol_plan(calls, venues, p, presenter=presenter, lang=lang)
    m, counts = briefing_map(
        calls,
        provenance=prov,
        params=p,
        venues=venues,
        boundary=boundary,
        plan=plan,
        presenter=presenter,
        lang=lang,
        **kw,
    )
    return briefing_html(m), counts, prov, plan


def test_cells_map_draws_every_cell_and_numbers_the_plan(sample):
    html, counts, _, plan = make(sample.calls, sample.venues, sample.boundary)
    assert counts["cells_shown"] == len(count_cells(sample.calls, 9))
    assert counts["cells_suppressed"] == 0
    assert counts["venues_shown"] == len(sample.venues)
    assert counts["ranks_shown"] == len(plan) == 10
    assert set(counts["layers"]) == {"cells", "boundary", "venues"}
    ranks = re.findall(r'<div class="hs-rank">(\d+)</div>', unescape_js(html))
    assert sorted(map(int, ranks)) == list(range(1, 11))


def test_clusters_map_draws_the_dbscan_clusters(sample):
    p = PatrolParams(method="clusters", eps=100, min_samples=30)
    _, counts, _, _ = make(sample.calls, sample.venues, sample.boundary, params=p)
    labels = dbscan_labels(sample.calls, eps=100, min_samples=30)
    assert counts["clusters_shown"] == labels.max() + 1
    assert "clusters" in counts["layers"] and "cells" not in counts["layers"]


def test_clusters_briefing_has_the_clusters_legend_and_a_metric_scale(sample, browser, tmp_path):
    from hotspots.render import _open

    p = PatrolParams(method="clusters", eps=100, min_samples=30)
    html, *_ = make(sample.calls, sample.venues, sample.boundary, params=p, lang="ru")
    src = tmp_path / "briefing.html"
    src.write_text(html, encoding="utf-8")
    page = _open(browser, src, 1920, 1080, True, 60, 8)
    try:
        titles, scale = page.evaluate(
            """() => [
            Array.from(document.querySelectorAll('.hs-legend .hs-title')).map((e) => e.textContent),
            Array.from(document.querySelectorAll('.leaflet-control-scale-line'))
                .map((e) => e.textContent)]"""
        )
    finally:
        page.close()
    assert t("legend.clusters", "ru") in titles
    assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0]), scale


@pytest.mark.parametrize("lang", LANGS)
def test_caption_says_title_period_filters_parameters_and_source(sample, lang):
    f = Filters(years=(2020, 2021), offenses=("theft",))
    calls = apply_filters(sample.calls, f)
    p = PatrolParams(resolution=8)
    html, _, prov, _ = make(
        calls,
        sample.venues,
        sample.boundary,
        params=p,
        lang=lang,
        filters=f,
        title="Shift <briefing>",
    )
    lines = caption_lines(prov, p, lang)
    assert lines[0] == t("caption.period", lang, start="2020-01-01", end=prov.period_end)
    assert prov.period_end.startswith("2021-12")
    assert lines[1] == t("caption.filters", lang, filters="years 2020, 2021; offenses theft")
    assert lines[2] == t("caption.parameters", lang, params=method_text(p, lang))
    assert "resolution" not in lines[2] or lang == "en"
    text = unescape_js(html)  # the caption and legends are JS strings in the page
    for line in ["Shift <briefing>", *lines]:
        assert escape_text(line) in text
    assert "Shift <briefing>" not in text
    assert escape_text(t("legend.calls_per_cell", lang)) in text


def test_presenter_map_suppresses_small_cells_and_never_draws_a_call(sample):
    k = 8
    p = PatrolParams(min_count=k)
    layers = {"cells", "calls", "venues", "boundary"}
    html, counts, _, plan = make(
        sample.calls, sample.venues, sample.boundary, params=p, presenter=True, layers=layers
    )
    cc = count_cells(sample.calls, 9)["count"]
    assert counts["cells_shown"] == int((cc >= k).sum())
    assert counts["cells_suppressed"] == int((cc < k).sum())
    assert counts["calls_shown"] == 0 and "calls" not in counts["layers"]
    assert (plan["n_incidents"] >= k).all()
    assert leaked_calls(html, sample.calls, sample.venues) == 0
    assert escape_text(t("legend.suppressed", "en", k=k)) in unescape_js(html)


def test_the_leak_check_finds_calls_drawn_outside_presenter_mode(sample):
    few = apply_filters(sample.calls, Filters(years=(2021,), offenses=("fight",)))
    html, counts, _, _ = make(few, sample.venues, sample.boundary, layers={"calls", "venues"})
    assert counts["calls_mode"] == "points" and counts["calls_shown"] == len(few)
    assert leaked_calls(html, few, sample.venues) > 0.9 * len(
        set(zip(few.lat.round(5), few.lon.round(5), strict=True))
    )
    shown, counts, _, _ = make(
        few, sample.venues, sample.boundary, presenter=True, layers={"calls", "venues"}
    )
    assert leaked_calls(shown, few, sample.venues) == 0


def test_html_is_standalone_and_offline(sample):
    html, _, prov, _ = make(sample.calls, sample.venues, sample.boundary, tiles=TileConfig.none())
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html)
    assert "cdn.jsdelivr" not in html and "tile.openstreetmap" not in html
    assert "L.map(" in html or "L.map (" in html
    meta = re.search(r'<meta name="hotspots-provenance" content="([^"]+)">', html).group(1)
    assert json.loads(unescape_html(meta)) == prov.as_dict()
    with_tiles, *_ = make(
        sample.calls,
        sample.venues,
        sample.boundary,
        tiles=TileConfig.local("http://tiles.local/{z}/{x}/{y}.png"),
    )
    assert "http://tiles.local/{z}/{x}/{y}.png" in with_tiles


def test_rank_tooltips_show_hostile_venue_names_as_text(sample):
    venues = sample.venues.copy()
    evil = "<img src=x onerror=alert(1)>`${x}`"
    venues["name"] = evil
    html, *_ = make(sample.calls, venues, sample.boundary)
    text = unescape_js(html)
    assert "<img src=x" not in text and "${x}" not in text
    assert escape_text(evil) in text


def test_png_is_a_slide_and_not_blank(sample, browser):
    html, _, prov, _ = make(sample.calls, sample.venues, sample.boundary, lang="ru")
    png = briefing_png(html, browser=browser, provenance=prov)
    size, spread, colours = png_facts(png)
    assert size == (1920, 1080)
    assert spread > 15 and colours > 200
    # the plain background (#f2efe9) does not cover the picture: the layers are drawn
    from io import BytesIO

    from PIL import Image

    arr = np.asarray(Image.open(BytesIO(png)).convert("RGB")).astype(int)
    background = (np.abs(arr - np.array([0xF2, 0xEF, 0xE9])).sum(axis=2) < 6).mean()
    assert 0.2 < background < 0.95
    reddish = ((arr[..., 0] > 150) & (arr[..., 1] < 120) & (arr[..., 2] < 120)).mean()
    assert reddish > 0.005  # the busiest cells and the rank markers
    import json

    assert json.loads(Image.open(BytesIO(png)).text["hotspots-provenance"]) == prov.as_dict()


def test_png_is_taken_of_the_final_view_not_half_way_through_a_zoom(sample, browser, tmp_path):
    # the fitted view used to be animated from the initial zoom; the picture was then often
    # taken mid-animation (stretched boundary, scale bar of the wrong zoom); Leaflet marks a
    # basemap's tile containers "zoom-animated" for good, animated or not
    from hotspots.render import _open

    html, *_ = make(sample.calls, sample.venues, sample.boundary, lang="ru")
    src = tmp_path / "briefing.html"
    src.write_text(html, encoding="utf-8")
    read = """() => [document.querySelector('.leaflet-control-scale-line').textContent,
        document.querySelectorAll('.leaflet-zoom-anim, '
            + '.leaflet-zoom-animated:not(.leaflet-tile-container)').length]"""
    for _ in range(4):
        page = _open(browser, src, 1920, 1080, True, 60, 8)
        scale_at_shot, animating = page.evaluate(read)
        page.wait_for_timeout(600)
        assert animating == 0
        assert page.evaluate(read)[0] == scale_at_shot
        page.close()


@pytest.mark.parametrize("method", ["cells", "clusters"])
def test_no_shape_is_hidden_behind_the_caption(sample, browser, tmp_path, method):
    # the fitted view used to run under the caption box: the top cells and the study area's
    # northern edge were covered on the slide
    from hotspots.render import _open

    p = PatrolParams(method=method)
    html, *_ = make(sample.calls, sample.venues, sample.boundary, params=p, lang="kk")
    src = tmp_path / "briefing.html"
    src.write_text(html, encoding="utf-8")
    page = _open(browser, src, 1920, 1080, True, 60, 8)
    try:
        caption_bottom, top_of_shapes, n_shapes = page.evaluate(
            """() => {
            const cap = document.querySelector('.hs-caption').getBoundingClientRect().bottom;
            const tops = Array.from(document.querySelectorAll('.leaflet-overlay-pane path'))
                .map((e) => e.getBoundingClientRect()).filter((r) => r.height > 0)
                .map((r) => r.top);
            return [cap, Math.min(...tops), tops.length];
        }"""
        )
    finally:
        page.close()
    assert n_shapes > 10
    assert top_of_shapes >= caption_bottom


def test_chicago_clusters_briefing(browser):
    from hotspots import io as hio

    path = real_file("chicago_cpd_2017_2019", "chicago_crimes_2017_2019_sample25k.csv")
    calls = hio.read_incidents(path).accepted
    f = Filters(years=(2018,), offenses=("theft",))
    thefts = apply_filters(calls, f)
    p = PatrolParams(method="clusters", eps=150, min_samples=10, min_count=10)
    html, counts, _, plan = make(thefts, None, None, params=p, presenter=True, filters=f)
    labels = dbscan_labels(thefts, eps=150, min_samples=10)
    sizes = np.bincount(labels[labels >= 0])
    assert counts["clusters_shown"] == int((sizes >= 10).sum())
    assert plan["n_incidents"].tolist() == sorted(sizes, reverse=True)[:10]
    assert leaked_calls(html, thefts) == 0
    size, spread, colours = png_facts(briefing_png(html, browser=browser))
    assert size == (1920, 1080) and spread > 5 and colours > 50


def test_precomputed_layers_of_the_current_map_are_drawn(sample):
    from hotspots import views

    gi = views.gistar_summary(sample.calls, area=sample.boundary)
    dens = views.density_layer(sample.calls, area=sample.boundary)
    layer_data = {"gistar": gi, "surface": dens.surface, "contours": dens.contours}
    _, counts, _, _ = make(
        sample.calls,
        sample.venues,
        sample.boundary,
        layers={"gistar", "density", "boundary"},
        layer_data=layer_data,
    )
    bins = gi["bin"].to_numpy()
    assert counts["gistar_hot"] == int((bins > 0).sum()) > 0
    assert counts["gistar_cold"] == int((bins < 0).sum())
    assert counts["density_max"] is not None
    assert set(counts["layers"]) == {"gistar", "density", "boundary"}


def test_unknown_layer_data_is_refused(sample):
    from hotspots.errors import ParameterError

    with pytest.raises(ParameterError, match="layer_data"):
        make(sample.calls, sample.venues, sample.boundary, layer_data={"heat": 1})


def test_png_text_chunk_is_read_back_by_pillow():
    import io
    import json

    from PIL import Image

    from hotspots.briefing import png_with_text

    buf = io.BytesIO()
    Image.new("RGB", (3, 2), (10, 20, 30)).save(buf, format="PNG")
    text = json.dumps({"source": "Қала.csv", "filters": "years 2021"}, ensure_ascii=False)
    out = png_with_text(buf.getvalue(), "hotspots-provenance", text)
    img = Image.open(io.BytesIO(out))
    img.load()  # verifies every chunk's CRC
    assert img.text["hotspots-provenance"] == text
    assert np.asarray(img).tolist() == [[[10, 20, 30]] * 3] * 2
    with pytest.raises(ValueError):
        png_with_text(b"GIF89a....", "k", "v")
