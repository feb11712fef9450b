"""Compact H3 cells (issue 12, fast in the browser): the cells go to the page as integer
differences and property columns, a third of their GeoJSON, and the browser's decoder gives
back exactly the GeoJSON GEOS writes (checked in Chromium against ``shapely.to_geojson``)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots import grid
from hotspots.maps.elements import _DECODE_POLYGONS, _compact_polygons, _feature_collection

CHROMIUM = Path("/usr/bin/chromium")


def _cells(n_points: int = 3000, seed: int = 3) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lat = 43.30 + rng.normal(0, 0.01, n_points)
    lon = 68.25 + rng.normal(0, 0.01, n_points)
    ids, counts = np.unique(grid.cell_ids(lat, lon, 9), return_counts=True)
    return grid.cells_to_gdf(pd.DataFrame({"cell": grid.to_str(ids), "count": counts}))


def _props(cells: gpd.GeoDataFrame) -> dict:
    return {
        "count": [int(c) for c in cells["count"]],
        "street": [f"Абай <b>{i}</b> 'st'" for i in range(len(cells))],  # escaped in the page
        "_c": [i % 3 for i in range(len(cells))],
    }


def test_compact_text_is_a_third_of_the_geojson():
    cells = _cells()
    props = {"count": [int(c) for c in cells["count"]]}
    compact = _compact_polygons(cells.geometry, props)
    geojson = _feature_collection(cells.geometry, props)
    assert len(cells) > 100
    assert len(compact) < 0.4 * len(geojson)
    assert "<" not in compact and "'" not in compact  # safe inside a <script> element


def test_not_simple_polygons_are_left_to_geojson():
    square = shapely.box(0, 0, 1, 1)
    holed = shapely.Polygon(square.exterior, [shapely.box(0.2, 0.2, 0.4, 0.4).exterior])
    multi = shapely.MultiPolygon([square, shapely.box(2, 2, 3, 3)])
    for geoms in ([square, holed], [square, multi], []):
        assert _compact_polygons(gpd.GeoSeries(geoms, crs=4326), {}) is None
    assert _compact_polygons(gpd.GeoSeries([square], crs=4326), {}) is not None


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (make chromium)")
def test_the_browser_decodes_exactly_the_geojson_of_geos():
    sync_api = pytest.importorskip("playwright.sync_api")
    cells = _cells()
    # a pentagon-free city has hexagons only: add a 5-vertex ring so rings of several sizes mix
    ring = [(68.2, 43.2), (68.21, 43.2), (68.215, 43.21), (68.205, 43.215), (68.195, 43.21)]
    extra = gpd.GeoSeries([shapely.Polygon(ring)], crs=4326)
    geoms = gpd.GeoSeries(list(cells.geometry) + list(extra), crs=4326)
    props = _props(gpd.GeoDataFrame({"count": list(cells["count"]) + [1]}, geometry=geoms))
    compact = _compact_polygons(geoms, props)
    want = json.loads(_feature_collection(geoms, props))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            got = page.evaluate(f"() => ({_DECODE_POLYGONS})({compact})")
        finally:
            browser.close()
    assert len(got["features"]) == len(want["features"]) == len(geoms)
    for g, w in zip(got["features"], want["features"], strict=True):
        assert g["id"] == w["id"]
        assert g["properties"] == w["properties"]
        assert g["geometry"]["type"] == w["geometry"]["type"] == "Polygon"
        np.testing.assert_allclose(
            g["geometry"]["coordinates"], w["geometry"]["coordinates"], rtol=0, atol=1e-9
        )
