"""Big cell layers in the browser (issue 12, a filter change settled <= 1 s with 1M calls): more
than CANVAS_MIN_POLYGONS cells are drawn on one canvas instead of an SVG path each, every cell
is still a feature with its count, and the highlight under the mouse (one pair of handlers on
the layer, not two per cell) still works on both renderers. Checked in Chromium."""

from __future__ import annotations

from pathlib import Path

import folium
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hotspots import grid
from hotspots.maps import add_cells
from hotspots.maps.assemble import map_html
from hotspots.maps.elements import CANVAS_MIN_POLYGONS

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (make chromium)"
)


def _cells(n_cells: int, seed: int = 3):
    """About ``n_cells`` distinct resolution-10 cells of a city, each with a count."""
    rng = np.random.default_rng(seed)
    lat = 43.30 + rng.uniform(-0.03, 0.03, 20 * n_cells)
    lon = 68.25 + rng.uniform(-0.04, 0.04, 20 * n_cells)
    ids, counts = np.unique(grid.cell_ids(lat, lon, 10), return_counts=True)
    keep = np.sort(rng.choice(ids.size, n_cells, replace=False))
    return grid.cells_to_gdf(pd.DataFrame({"cell": grid.to_str(ids[keep]), "count": counts[keep]}))


def _open(browser, n_cells: int):
    cells = _cells(n_cells)
    m = folium.Map(location=[43.30, 68.25], zoom_start=13, tiles=None)
    add_cells(m, cells, max_cells=n_cells + 1, legend=False)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.set_content(map_html(m), wait_until="load")
    page.wait_for_function(f"() => window.{m.get_name()} && window.{m.get_name()}._loaded")
    return page, m.get_name(), cells


#: The features of the map: how many, their counts' sum, their renderer, and where the busiest
#: one is on the page (its centre, in page pixels).
_FEATURES = """(name) => {
    const m = window[name], feats = [];
    m.eachLayer(l => { if (l.feature) feats.push(l); });
    const count = f => f.feature.properties.count;
    const top = feats.reduce((a, b) => (count(b) > count(a) ? b : a));
    const p = m.latLngToContainerPoint(top.getCenter());
    const box = m.getContainer().getBoundingClientRect();
    window.__top = top;
    return {
        n: feats.length,
        sum: feats.reduce((s, f) => s + f.feature.properties.count, 0),
        canvas: feats.every(f => f.options.renderer instanceof L.Canvas),
        x: box.left + p.x, y: box.top + p.y,
    };
}"""
_STYLE = "() => [window.__top.options.weight, window.__top.options.color]"


def _hover(page, x: float, y: float, condition: str) -> list:
    """Move the mouse to ``(x, y)`` and return the top cell's style once ``condition`` on its
    weight ``w`` holds, or after 10 s.

    Leaflet's canvas renderer drops a mouse move that comes within 32 ms of the last one it
    handled (its throttle timer, later still on a busy machine), so a single move can be lost
    where a hand would go on moving. Like a hand, the move is repeated a pixel aside until the
    style settles."""
    for attempt in range(40):
        page.mouse.move(x + attempt % 2, y)
        try:
            page.wait_for_function(
                f"() => {{ const w = window.__top.options.weight; return {condition}; }}",
                timeout=250,
            )
            break
        except PlaywrightTimeout:  # the assertions below say what the style was
            pass
    return page.evaluate(_STYLE)


@pytest.mark.parametrize("n_cells", [300, CANVAS_MIN_POLYGONS + 500])
def test_every_cell_is_drawn_and_highlighted_on_either_renderer(browser, n_cells):
    page, name, cells = _open(browser, n_cells)
    try:
        got = page.evaluate(_FEATURES, name)
        paths = page.locator(".leaflet-overlay-pane path").count()
        canvases = page.locator(".leaflet-overlay-pane canvas").count()
        before = page.evaluate(_STYLE)
        over = _hover(page, got["x"], got["y"], "w >= 2.5")  # a real mouse over the busiest cell
        out = _hover(page, 5, 5, "w < 2.5")  # and off the cells
    finally:
        page.close()
    assert got["n"] == len(cells) == n_cells
    assert got["sum"] == int(cells["count"].sum())
    big = n_cells > CANVAS_MIN_POLYGONS
    assert got["canvas"] is big
    assert (paths, canvases > 0) == ((0, True) if big else (n_cells, False))
    # the highlight: thicker and dark under the mouse, the class style back after
    assert over == [2.5, "#222222"]
    assert out == before and before[0] < 2.5
