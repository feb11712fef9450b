"""Map building (hotspots.maps): layers, legends, suppression, escaping, offline, size."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

import folium
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import Point, Polygon, box

from hotspots.assets import external_resources
from hotspots.errors import InputError, ParameterError
from hotspots.i18n import t
from hotspots.maps import (
    GISTAR_COLOURS,
    LAYERS,
    MapSpec,
    _CallMarkers,
    _Caption,
    _Legend,
    _VenueMarkers,
    add_boundary,
    add_calls,
    add_caption,
    add_cells,
    add_clusters,
    add_density,
    add_gistar,
    add_legend,
    add_venues,
    base_map,
    build_map,
    class_breaks,
    classify,
    density_image,
    h3_cell_counts,
    h3_cells_frame,
    map_html,
    save_map,
)
from hotspots.projection import local_metric_crs
from hotspots.tiles import OSM_URL, TileConfig

CENTRE = (43.30, 68.25)
NO_TILES = TileConfig.none()
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "`${alert(1)}`",
]


# --- helpers ---------------------------------------------------------------------------------


def _map() -> folium.Map:
    return base_map(CENTRE, 13, tiles=NO_TILES)


def _geojson(fg: folium.FeatureGroup) -> dict:
    layers = [c for c in fg._children.values() if isinstance(c, folium.GeoJson)]
    assert len(layers) == 1
    return layers[0].data


def _legends(m: folium.Map) -> list[_Legend]:
    return [c for c in m._children.values() if isinstance(c, _Legend)]


def _rows(fg: folium.FeatureGroup, cls: type) -> list[list]:
    (marker,) = [c for c in fg._children.values() if isinstance(c, cls)]
    return json.loads(marker.rows_js)


def _calls(lat, lon, offense=None) -> pd.DataFrame:
    n = len(lat)
    return pd.DataFrame(
        {
            "lat": np.asarray(lat, dtype=float),
            "lon": np.asarray(lon, dtype=float),
            "offense": offense if offense is not None else ["theft"] * n,
            "occurred_at": pd.Timestamp("2023-05-06 14:37") + pd.to_timedelta(np.arange(n), "h"),
            "time_precision": ["minute"] * n,
        }
    )


def _hex_cells(counts: list[int]) -> gpd.GeoDataFrame:
    """A row of distinct resolution-9 hexagons east of the centre with the given counts."""
    cells, lon = [], CENTRE[1]
    while len(cells) < len(counts):
        c = h3.latlng_to_cell(CENTRE[0], lon, 9)
        if c not in cells:
            cells.append(c)
        lon += 0.002
    polys = [Polygon([(b, a) for a, b in h3.cell_to_boundary(c)]) for c in cells]
    return gpd.GeoDataFrame({"cell": cells, "count": counts}, geometry=polys, crs="EPSG:4326")


# --- classes ---------------------------------------------------------------------------------


def test_class_breaks_by_hand() -> None:
    # quantiles of [1,1,1,1,2,3,10] at 0, 1/3, 2/3, 1 are 1, 1, 2.0, 10 -> edges 1, 2, 10
    assert class_breaks(np.array([1, 1, 1, 1, 2, 3, 10]), 3).tolist() == [1.0, 2.0, 10.0]
    assert classify(np.array([1, 1, 2, 3, 10]), np.array([1.0, 2.0, 10.0])).tolist() == [
        0,
        0,
        1,
        1,
        1,
    ]


def test_class_breaks_single_value() -> None:
    edges = class_breaks(np.array([4, 4, 4]), 5)
    assert edges.tolist() == [4.0, 4.0]
    assert classify(np.array([4, 4]), edges).tolist() == [0, 0]


@settings(deadline=None, max_examples=60)
@given(
    st.lists(st.integers(min_value=1, max_value=500), min_size=1, max_size=60),
    st.integers(min_value=1, max_value=9),
)
def test_classes_are_ordered_and_in_range(values: list[int], k: int) -> None:
    v = np.array(values, dtype=float)
    edges = class_breaks(v, k)
    cls = classify(v, edges)
    assert edges[0] == v.min() and edges[-1] == v.max()
    assert np.all(np.diff(edges) > 0) or len(edges) == 2
    assert cls.min() >= 0 and cls.max() <= max(len(edges) - 2, 0)
    order = np.argsort(v, kind="stable")
    assert np.all(np.diff(cls[order]) >= 0)  # larger value, same or higher class


def test_class_count_is_validated() -> None:
    with pytest.raises(ParameterError, match="k must be"):
        class_breaks(np.array([1.0]), 12)


# --- base map and tiles ----------------------------------------------------------------------


def test_without_tiles_there_is_no_tile_layer_and_a_plain_background() -> None:
    m = _map()
    html = m.get_root().render()
    assert "L.tileLayer" not in html
    assert "div.leaflet-container{background:#f2efe9" in html


def test_default_tiles_are_openstreetmap_with_attribution() -> None:
    html = base_map(CENTRE, 12).get_root().render()
    assert OSM_URL in html
    assert "OpenStreetMap" in html


def test_local_tile_server() -> None:
    url = "http://tiles.local/{z}/{x}/{y}.png"
    html = base_map(CENTRE, 12, tiles=TileConfig.local(url, "City GIS")).get_root().render()
    assert url in html and "City GIS" in html


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({"HOTSPOTS_TILES": "osm"}, OSM_URL),
        ({"HOTSPOTS_TILES": "none"}, None),
        ({"HOTSPOTS_TILES": "http://t/{z}/{x}/{y}.png"}, "http://t/{z}/{x}/{y}.png"),
    ],
)
def test_tiles_from_environment(env: dict, url: str | None) -> None:
    assert TileConfig.from_env(env).url == url


def test_tile_template_is_validated() -> None:
    with pytest.raises(ParameterError, match=r"\{z\}"):
        TileConfig(url="http://t/tiles.png")


@pytest.mark.parametrize(("center", "zoom"), [((95.0, 0.0), 10), ((0.0, 0.0), 25)])
def test_base_map_validates(center, zoom) -> None:
    with pytest.raises(ParameterError):
        base_map(center, zoom)


# --- cells -----------------------------------------------------------------------------------


def test_cells_suppression_and_numbers_in_tooltips() -> None:
    m = _map()
    fg = add_cells(m, _hex_cells([1, 4, 10, 7]), min_count=5)
    data = _geojson(fg)
    assert sorted(f["properties"]["count"] for f in data["features"]) == [7, 10]
    assert fg.stats == {
        "class_edges": [7.0, 10.0],
        "cells_shown": 2,
        "cells_suppressed": 2,
        "cells_dropped": 0,
        "calls_shown": 17,
    }
    (legend,) = _legends(m)
    assert legend.layer is fg
    assert t("legend.suppressed", "en", k=5) in json.loads(legend.html_js)


def test_cells_colour_grows_with_count() -> None:
    m = _map()
    fg = add_cells(m, _hex_cells([1, 2, 3, 5, 8, 13, 21, 34]), classes=4)
    gj = [c for c in fg._children.values() if isinstance(c, folium.GeoJson)][0]
    html = m.get_root().render()
    assert gj.get_name() in html
    colours = [gj.style_function(f)["fillColor"] for f in gj.data["features"]]
    counts = [f["properties"]["count"] for f in gj.data["features"]]
    order = np.argsort(counts)
    # YlOrRd: darker (lower luminance) for more calls
    lum = [0.3 * int(c[1:3], 16) + 0.59 * int(c[3:5], 16) + 0.11 * int(c[5:7], 16) for c in colours]
    assert all(np.diff(np.array(lum)[order]) <= 0)


def test_cells_cap_keeps_the_highest() -> None:
    fg = add_cells(_map(), _hex_cells([5, 1, 9, 3, 7]), max_cells=2)
    assert sorted(f["properties"]["count"] for f in _geojson(fg)["features"]) == [7, 9]
    assert fg.stats["cells_dropped"] == 3


def test_cells_coordinates_rounded_to_five_decimals() -> None:
    fg = add_cells(_map(), _hex_cells([3]))
    ring = _geojson(fg)["features"][0]["geometry"]["coordinates"][0]
    for x, y in ring:
        assert round(x, 5) == x and round(y, 5) == y


def test_cells_need_the_value_column_and_a_crs() -> None:
    cells = _hex_cells([1])
    with pytest.raises(InputError, match="rate"):
        add_cells(_map(), cells, "rate")
    with pytest.raises(InputError, match="CRS"):
        add_cells(_map(), cells.set_crs(None, allow_override=True))


def test_cells_in_a_projected_crs_are_drawn_in_degrees() -> None:
    cells = _hex_cells([2]).to_crs(3857)
    x, y = _geojson(add_cells(_map(), cells))["features"][0]["geometry"]["coordinates"][0][0]
    assert abs(x - CENTRE[1]) < 0.05 and abs(y - CENTRE[0]) < 0.05


# --- Gi* -------------------------------------------------------------------------------------


def _gi(bins: list[int], counts: list[int]) -> gpd.GeoDataFrame:
    gdf = _hex_cells(counts)
    gdf["z"] = np.array(bins, dtype=float) * 1.1
    gdf["p"] = [0.005 if abs(b) == 3 else 0.03 if abs(b) == 2 else 0.08 if b else 0.5 for b in bins]
    gdf["p_fdr"] = gdf["p"] * 2
    gdf["bin"] = bins
    return gdf


def test_gistar_colours_are_arcgis_and_non_significant_not_drawn() -> None:
    m = _map()
    fg = add_gistar(m, _gi([3, 2, 1, 0, -1, -2, -3], [9, 8, 7, 6, 1, 1, 0]))
    gj = [c for c in fg._children.values() if isinstance(c, folium.GeoJson)][0]
    got = {f["properties"]["class"]: gj.style_function(f)["fillColor"] for f in gj.data["features"]}
    assert got == {
        "Hot spot, 99% confidence": "#d62f27",
        "Hot spot, 95% confidence": "#ed7551",
        "Hot spot, 90% confidence": "#fab984",
        "Cold spot, 90% confidence": "#c0ccbe",
        "Cold spot, 95% confidence": "#849eba",
        "Cold spot, 99% confidence": "#4575b5",
    }
    assert fg.stats == {
        "gistar_hot": 3,
        "gistar_cold": 3,
        "gistar_not_significant": 1,
        "gistar_dropped": 0,
    }
    legend_html = json.loads(_legends(m)[0].html_js)
    for colour in GISTAR_COLOURS.values():
        assert colour in legend_html or colour == GISTAR_COLOURS[0]
    assert "transparent" in legend_html


def test_gistar_presenter_mode_hides_small_counts() -> None:
    fg = add_gistar(_map(), _gi([3, 3], [12, 2]), min_count=5, lang="ru")
    counts = sorted(str(f["properties"]["count"]) for f in _geojson(fg)["features"])
    assert counts == ["12", "меньше 5"]


def test_gistar_tooltip_p_values() -> None:
    fg = add_gistar(_map(), _gi([3, -2], [9, 0]))
    props = {f["properties"]["class"]: f["properties"] for f in _geojson(fg)["features"]}
    assert props["Hot spot, 99% confidence"]["p"] == "0.005"
    assert props["Cold spot, 95% confidence"]["p_fdr"] == "0.060"
    assert props["Cold spot, 95% confidence"]["z"] == "-2.20"


# --- clusters --------------------------------------------------------------------------------


def _clusters() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "cluster": [0, 1, 2],
            "n_incidents": [40, 12, 3],
            "area_m2": [25_000.0, 9_000.0, 1_000.0],
            "top_offenses": ["hooliganism 40%, fight 25%", "theft 100%", "other 100%"],
            "years": ["2019-2021", "2020", "2021"],
            "venues": [HOSTILE[0] + ", Кафе Айгерим", "", "Bar & Grill"],
        },
        geometry=[
            Point(68.25, 43.3).buffer(0.002),
            Point(68.26, 43.31).buffer(0.001),
            Point(68.24, 43.29).buffer(0.0005),
        ],
        crs="EPSG:4326",
    )


def test_clusters_summary_tooltip_translated_and_escaped() -> None:
    fg = add_clusters(_map(), _clusters(), lang="ru")
    props = [f["properties"] for f in _geojson(fg)["features"]]
    assert props[0]["top_offenses"] == "Хулиганство 40%, Драка 25%"
    assert props[0]["area_km2"] == "0,025"
    assert props[0]["n_incidents"] == 40
    assert props[0]["venues"].startswith("&lt;img src=x onerror=alert(1)&gt;")
    assert props[2]["venues"] == "Bar &amp; Grill"
    assert fg.stats == {"clusters_shown": 3, "clusters_suppressed": 0, "calls_shown": 55}


def test_clusters_suppressed_below_k() -> None:
    fg = add_clusters(_map(), _clusters(), min_count=10)
    assert [f["properties"]["n_incidents"] for f in _geojson(fg)["features"]] == [40, 12]
    assert fg.stats["clusters_suppressed"] == 1


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_clusters_have_a_legend_tied_to_their_layer(lang: str) -> None:
    m = _map()
    fg = add_clusters(m, _clusters(), lang=lang)
    (legend,) = _legends(m)
    assert legend.layer is fg and legend.position == "bottomleft"
    html = json.loads(legend.html_js)
    assert f'<div class="hs-title">{t("legend.clusters", lang)}</div>' in html
    assert f"<span>{t('legend.cluster_area', lang)}</span>" in html
    # the swatch is outlined in the clusters' colour, as the polygons are drawn
    assert '<span class="hs-swatch hs-outline" style="border-color:#6a3d9a">' in html
    style = _geojson_style(fg)
    assert style["color"] == "#6a3d9a" and style["fillColor"] == "#6a3d9a"
    # the group's script comes before its legend's, which looks the group up
    names = list(m._children)
    assert names.index(fg.get_name()) < names.index(legend.get_name())


def test_clusters_legend_only_when_clusters_are_drawn() -> None:
    m = _map()
    add_clusters(m, _clusters(), min_count=1000)  # every cluster suppressed
    assert _legends(m) == []
    m = _map()
    add_clusters(m, _clusters(), legend=False)
    assert _legends(m) == []


def _geojson_style(fg: folium.FeatureGroup) -> dict:
    (gj,) = [c for c in fg._children.values() if isinstance(c, folium.GeoJson)]
    return gj.style_function(gj.data["features"][0])


def test_clusters_need_counts() -> None:
    with pytest.raises(InputError, match="n_incidents"):
        add_clusters(_map(), _clusters().drop(columns="n_incidents"))


# --- venues ----------------------------------------------------------------------------------


def _venues() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "venue_id": ["V1", "V2", "V3", "V4"],
            "name": [HOSTILE[0], "Шайхана Самал", HOSTILE[2], "Park"],
            "kind": ["cafe", "tea_house", "sauna", "park"],
            "lat": [43.30, 43.31, 43.29, np.nan],
            "lon": [68.25, 68.26, 68.24, 68.23],
        }
    )


def test_venues_icons_by_kind_and_escaped_names() -> None:
    m = _map()
    fg = add_venues(m, _venues(), lang="kk", count_col=None)
    (marker,) = [c for c in fg._children.values() if isinstance(c, _VenueMarkers)]
    kinds = json.loads(marker.kinds_js)
    rows = json.loads(marker.rows_js)
    assert len(rows) == 3  # the venue without coordinates is left out
    assert [kinds[r[2]] for r in rows] == ["cafe", "tea_house", "other"]
    assert rows[0][3] == "<b>&lt;img src=x onerror=alert(1)&gt;</b><br>Кафе"
    assert rows[2][3].startswith("<b>&#96;&#36;{alert(1)}&#96;</b>")
    assert fg.stats["venues_shown"] == 3
    assert fg.stats["venue_kinds"] == {"cafe": 1, "tea_house": 1, "sauna": 1}


def test_venue_call_counts_in_tooltips() -> None:
    v = _venues().assign(calls=[12, 3, 0, 1])
    rows = _rows(add_venues(_map(), v, count_col="calls"), _VenueMarkers)
    assert rows[0][3].endswith("Calls nearby: 12")


def test_venues_from_a_geodataframe_without_lat_lon() -> None:
    gdf = gpd.GeoDataFrame(
        {"name": ["A"], "kind": ["bar"]}, geometry=[Point(68.25, 43.3)], crs="EPSG:4326"
    ).to_crs(3857)
    rows = _rows(add_venues(_map(), gdf), _VenueMarkers)
    assert rows[0][0] == pytest.approx(43.3, abs=1e-5)
    assert rows[0][1] == pytest.approx(68.25, abs=1e-5)


# --- calls -----------------------------------------------------------------------------------


def _random_calls(n: int, seed: int = 0, spread: float = 0.01) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return _calls(
        CENTRE[0] + rng.normal(0, spread, n),
        CENTRE[1] + rng.normal(0, spread, n),
        rng.choice(["theft", "fight", "hooliganism"], n).tolist(),
    )


def _h3_counter(calls: pd.DataFrame, res: int) -> Counter:
    pairs = zip(calls["lat"], calls["lon"], strict=True)
    return Counter(h3.latlng_to_cell(a, b, res) for a, b in pairs)


def test_few_calls_are_points_with_offense_colours() -> None:
    calls = _random_calls(50)
    m = _map()
    fg = add_calls(m, calls, max_points=100)
    assert fg.stats == {"mode": "points", "calls_total": 50, "calls_shown": 50}
    (marker,) = [c for c in fg._children.values() if isinstance(c, _CallMarkers)]
    rows = json.loads(marker.rows_js)
    colours = json.loads(marker.colours_js)
    labels = json.loads(marker.labels_js)
    assert len(rows) == 50
    by_label = Counter(labels[r[2]] for r in rows)
    assert by_label == Counter(f"<b>{o.capitalize()}</b>" for o in calls["offense"])
    assert colours[labels.index("<b>Theft</b>")] == "#1f78b4"
    assert rows[0][3] == "2023-05-06 14:37"


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("hour", "2023-05-06 14:00"), ("day", "2023-05-06"), ("month", "2023-05")],
)
def test_call_time_shown_at_its_precision(precision: str, expected: str) -> None:
    calls = _random_calls(3).assign(time_precision=precision)
    assert _rows(add_calls(_map(), calls), _CallMarkers)[0][3] == expected


def test_many_calls_are_counted_in_h3_cells() -> None:
    calls = _random_calls(3000)
    fg = add_calls(_map(), calls, max_points=2000, resolution=9)
    expected = _h3_counter(calls, 9)
    data = _geojson(fg)
    got = {f["properties"]["count"] for f in data["features"]}
    assert fg.stats["mode"] == "cells"
    assert fg.stats["resolution"] == 9
    assert fg.stats["cells_shown"] == len(expected)
    assert sum(f["properties"]["count"] for f in data["features"]) == 3000
    assert got == set(expected.values())


def test_presenter_mode_never_draws_points_and_suppresses_small_cells() -> None:
    calls = _random_calls(400, spread=0.003)
    fg = add_calls(_map(), calls, max_points=2000, presenter=True, min_count=5)
    expected = _h3_counter(calls, 9)
    kept = [n for n in expected.values() if n >= 5]
    assert fg.stats["mode"] == "cells"
    assert fg.stats["cells_shown"] == len(kept)
    assert fg.stats["calls_shown"] == sum(kept)
    assert fg.stats["cells_suppressed"] == sum(1 for n in expected.values() if n < 5)
    assert not any(isinstance(c, _CallMarkers) for c in fg._children.values())


def test_too_many_cells_coarsen_the_resolution() -> None:
    calls = _random_calls(5000, spread=0.05)
    fg = add_calls(_map(), calls, max_points=100, resolution=10, max_cells=200)
    res = fg.stats["resolution"]
    assert res < 10
    assert fg.stats["cells_shown"] == len(_h3_counter(calls, res)) <= 200
    assert fg.stats["calls_shown"] == 5000


def test_no_located_calls() -> None:
    fg = add_calls(_map(), _calls([np.nan], [np.nan]))
    assert fg.stats == {"mode": "none", "calls_total": 0, "calls_shown": 0}


@pytest.mark.parametrize("max_points", [0, 50_000])
def test_max_points_is_validated(max_points: int) -> None:
    with pytest.raises(ParameterError, match="max_points"):
        add_calls(_map(), _random_calls(3), max_points=max_points)


# --- density ---------------------------------------------------------------------------------


@dataclass
class FakeSurface:
    """A density surface on a local metric grid, as hotspots.density makes."""

    values: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    def cell_centres_lonlat(self):
        return self.lon, self.lat


def _surface(peak_xy=(1000.0, -500.0), cell=100.0) -> tuple[FakeSurface, tuple[float, float]]:
    crs = local_metric_crs(*CENTRE)
    x = np.arange(-3000, 3000 + cell, cell)
    y = np.arange(2000, -2000 - cell, -cell)  # north first
    xx, yy = np.meshgrid(x, y)
    values = 50.0 * np.exp(-((xx - peak_xy[0]) ** 2 + (yy - peak_xy[1]) ** 2) / (2 * 150.0**2))
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = inv.transform(xx, yy)
    plon, plat = inv.transform(*peak_xy)
    return FakeSurface(values, np.asarray(lon), np.asarray(lat)), (plat, plon)


def test_density_image_puts_the_peak_in_the_right_place() -> None:
    surface, (plat, plon) = _surface()
    rgba, bounds = density_image(surface.values, surface.lon, surface.lat)
    (south, west), (north, east) = bounds
    assert south < surface.lat.min() and north > surface.lat.max()
    assert west < surface.lon.min() and east > surface.lon.max()
    h, w, _ = rgba.shape
    # the peak is the least bright (darkest red) opaque pixel: find the most opaque one
    r, c = np.unravel_index(np.argmax(rgba[..., 3].astype(int)), (h, w))
    lon = west + (c + 0.5) / w * (east - west)
    y0, y1 = (np.log(np.tan(np.pi / 4 + np.radians(v) / 2)) for v in (north, south))
    lat = np.degrees(2 * np.arctan(np.exp(y0 + (r + 0.5) / h * (y1 - y0))) - np.pi / 2)
    fwd = Transformer.from_crs("EPSG:4326", local_metric_crs(*CENTRE), always_xy=True)
    (px, py), (qx, qy) = fwd.transform(lon, lat), fwd.transform(plon, plat)
    assert np.hypot(px - qx, py - qy) < 100.0  # within one grid cell


def test_density_image_is_transparent_below_the_floor() -> None:
    surface, _ = _surface()
    rgba, _ = density_image(surface.values, surface.lon, surface.lat, floor=0.2)
    assert rgba[0, 0, 3] == 0  # a corner, far from the peak
    assert (rgba[..., 3] > 0).sum() < rgba[..., 3].size / 4


def test_add_density_overlays_one_inline_image_with_a_legend() -> None:
    surface, _ = _surface()
    contours = gpd.GeoDataFrame(
        {"level": [20.0], "area_km2": [0.3]},
        geometry=[Point(68.26, 43.295).buffer(0.003)],
        crs="EPSG:4326",
    )
    m = _map()
    fg = add_density(m, surface, contours=contours, lang="en")
    overlays = [
        c for c in fg._children.values() if isinstance(c, folium.raster_layers.ImageOverlay)
    ]
    assert len(overlays) == 1 and overlays[0].url.startswith("data:image/png;base64,")
    assert fg.stats["density_max"] == pytest.approx(surface.values.max())
    assert fg.stats["contours_shown"] == 1
    assert _geojson(fg)["features"][0]["properties"]["level"] == "20.0"
    html = m.get_root().render()
    assert "leaflet-heat" not in html and "HeatLayer" not in html
    assert t("legend.density", "en") in json.loads(_legends(m)[0].html_js)


def test_density_accepts_flat_centres() -> None:
    surface, _ = _surface()
    flat = FakeSurface(surface.values, surface.lon.ravel(), surface.lat.ravel())
    assert add_density(_map(), flat).stats["image_pixels"] > 0


# --- legend, caption, boundary ---------------------------------------------------------------


def test_legend_and_caption_escape_their_text() -> None:
    m = _map()
    add_legend(m, [("#ff0000", HOSTILE[1])], HOSTILE[0])
    add_caption(m, HOSTILE[2], [HOSTILE[0], "Period: 2021–2023"])
    html = m.get_root().render()
    for text in HOSTILE:
        assert text not in html
    caption = [c for c in m._children.values() if isinstance(c, _Caption)][0]
    shown = json.loads(caption.html_js)
    assert "&#96;&#36;{alert(1)}&#96;" in shown and "Period: 2021–2023" in shown


def test_scale_bar_is_metric_only() -> None:
    html = map_html(_map())
    assert html.count("L.control.scale(") == 1
    assert 'L.control.scale({"metric":true,"imperial":false,' in html
    assert "L.control.scale()" not in html  # Folium's own, with feet and miles


def test_legend_validates() -> None:
    with pytest.raises(ParameterError, match="position"):
        add_legend(_map(), [], "x", position="middle")


def test_boundary_is_an_unfilled_outline() -> None:
    b = gpd.GeoDataFrame(geometry=[box(68.2, 43.25, 68.3, 43.35)], crs="EPSG:4326")
    fg = add_boundary(_map(), b)
    gj = [c for c in fg._children.values() if isinstance(c, folium.GeoJson)][0]
    style = gj.style_function(gj.data["features"][0])
    assert style["fill"] is False and style["dashArray"] == "6 4"


# --- build_map -------------------------------------------------------------------------------


def _everything(n_calls: int = 300):
    calls = _random_calls(n_calls, spread=0.004)
    boundary = gpd.GeoDataFrame(geometry=[box(68.2, 43.25, 68.3, 43.35)], crs="EPSG:4326")
    return {
        "calls": calls,
        "cells": _hex_cells([1, 3, 6, 12]),
        "clusters": _clusters(),
        "gistar": _gi([3, 0, -2, 1], [9, 5, 0, 4]),
        "venues": _venues(),
        "boundary": boundary,
        "surface": _surface()[0],
    }


def test_build_map_counts_what_it_shows() -> None:
    spec = MapSpec(layers=frozenset(LAYERS), tiles=NO_TILES, max_points=1000)
    m, counts = build_map(spec, **_everything())
    assert counts["calls_mode"] == "points" and counts["calls_shown"] == 300
    assert counts["cells_shown"] == 4
    assert counts["clusters_shown"] == 3
    assert (counts["gistar_hot"], counts["gistar_cold"]) == (2, 1)
    assert counts["venues_shown"] == 3
    assert counts["density_max"] == pytest.approx(50.0, rel=0.01)
    assert counts["min_count"] == 1
    assert set(counts["layers"]) == set(LAYERS)
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert len(names) == len(LAYERS)
    assert any(isinstance(c, folium.LayerControl) for c in m._children.values())


def test_build_map_presenter_mode() -> None:
    spec = MapSpec(layers=frozenset(LAYERS), tiles=NO_TILES, presenter=True, min_count=5)
    data = _everything()
    m, counts = build_map(spec, **data)
    assert counts["calls_mode"] == "cells"
    assert counts["min_count"] == 5
    assert counts["cells_shown"] == 2  # cells 6 and 12 of [1, 3, 6, 12]
    assert counts["clusters_shown"] == 2  # 40 and 12 calls, not 3
    expected = _h3_counter(data["calls"], 9)
    assert counts["calls_shown"] == sum(n for n in expected.values() if n >= 5)
    markers = [c for fg in m._children.values() for c in getattr(fg, "_children", {}).values()]
    assert not any(isinstance(c, _CallMarkers) for c in markers)


def test_build_map_hidden_layers_start_off() -> None:
    spec = MapSpec(
        layers=frozenset({"cells", "venues"}), hidden=frozenset({"cells"}), tiles=NO_TILES
    )
    m, _ = build_map(spec, cells=_hex_cells([2, 4]), venues=_venues())
    groups = {c.layer_name: c for c in m._children.values() if isinstance(c, folium.FeatureGroup)}
    assert groups["Calls per H3 cell"].show is False
    assert groups["Venues"].show is True


def test_build_map_skips_layers_without_data_and_prints_a_caption() -> None:
    spec = MapSpec(
        layers=frozenset({"cells", "venues"}),
        tiles=NO_TILES,
        title="Briefing",
        lang="kk",
        caption_lines=("Кезең: 2021–2023",),
    )
    m, counts = build_map(spec, venues=_venues())
    assert counts["layers"] == ["venues"] and counts["calls_mode"] == "hidden"
    assert any(isinstance(c, _Caption) for c in m._children.values())
    groups = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert groups == ["Мекемелер мен орындар"]


@pytest.mark.parametrize(
    "kwargs",
    [{"layers": frozenset({"heatmap"})}, {"lang": "fr"}, {"min_count": 0}, {"resolution": 16}],
)
def test_map_spec_validates(kwargs: dict) -> None:
    with pytest.raises(ParameterError):
        MapSpec(**kwargs)


def test_full_map_is_offline_and_escaped(tmp_path) -> None:
    data = _everything()
    data["calls"]["offense"] = ["<img src=x onerror=alert(1)>"] * len(data["calls"])
    spec = MapSpec(layers=frozenset(LAYERS), tiles=NO_TILES, title=HOSTILE[1], max_points=1000)
    m, _ = build_map(spec, **data)
    size = save_map(m, tmp_path / "map.html")
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert size == len(html.encode("utf-8"))
    assert external_resources(html) == []
    for text in HOSTILE:
        assert text not in html
    # neither raw nor JSON-escaped markup from the data: "<img" would be \u003cimg in JSON
    assert "\\u003cimg" not in html and "<img" not in html
    # every <script> in the page is one of ours: Leaflet and jQuery inline, Folium's settings
    # script and the map script; nothing from the data opened another one
    tags = re.findall(r"<script\b[^>]*>", html)
    assert len(tags) == 4
    assert sum(t.startswith('<script src="data:text/javascript;base64,') for t in tags) == 2


def test_map_size_stays_under_5_mb_for_200k_calls() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    calls = _calls(
        CENTRE[0] + rng.normal(0, 0.03, n),
        CENTRE[1] + rng.normal(0, 0.04, n),
        rng.choice(["theft", "fight", "hooliganism", "traffic"], n).tolist(),
    )
    spec = MapSpec(layers=frozenset({"calls", "venues"}), tiles=NO_TILES)
    m, counts = build_map(spec, calls=calls, venues=_venues())
    html = map_html(m)
    assert counts["calls_mode"] == "cells" and counts["calls_shown"] == n
    assert len(html.encode("utf-8")) < 5_000_000


def test_every_cell_layer_at_once_stays_under_5_mb() -> None:
    # 200k calls at resolution 10: ~17k cells for the cells layer, the aggregated calls and
    # Gi*; the layers share the page's cell budget.
    rng = np.random.default_rng(11)
    n = 200_000
    calls = _calls(
        CENTRE[0] + rng.normal(0, 0.03, n),
        CENTRE[1] + rng.normal(0, 0.04, n),
        ["theft"] * n,
    )
    counts, res = h3_cell_counts(calls["lat"], calls["lon"], 10, max_cells=50_000)
    cells = h3_cells_frame(counts)
    gi = cells.assign(
        z=rng.normal(0, 2, len(cells)),
        p=rng.uniform(0, 0.2, len(cells)),
        p_fdr=rng.uniform(0, 0.2, len(cells)),
        bin=rng.choice([-3, -2, -1, 1, 2, 3], len(cells)),
    )
    spec = MapSpec(layers=frozenset(LAYERS), tiles=NO_TILES, resolution=10)
    m, shown = build_map(
        spec,
        calls=calls,
        cells=cells,
        gistar=gi,
        venues=_venues(),
        clusters=_clusters(),
        surface=_surface()[0],
    )
    html = map_html(m)
    assert res == 10 and len(cells) > 12_000
    assert shown["cells_dropped"] > 0
    assert (
        shown["cells_shown"] + shown["calls_cells"] + shown["gistar_hot"] + shown["gistar_cold"]
        <= 12_000
    )
    assert len(html.encode("utf-8")) < 5_000_000


def test_density_from_the_kde_module_with_its_contours() -> None:
    from hotspots.density import kde

    calls = _random_calls(500, spread=0.003)
    surface = kde(calls, bandwidth=300.0, cell=50.0)
    contours = surface.contours(top_area=0.05)
    m = _map()
    fg = add_density(m, surface, contours=contours, lang="ru")
    assert fg.stats["density_max"] == pytest.approx(float(surface.values.max()))
    assert fg.stats["contours_shown"] == len(contours) >= 1
    props = _geojson(fg)["features"][0]["properties"]
    assert props["hotspot"] == 1
    assert props["top_area"] == "5,0 %"
    assert "," in props["peak"]  # Russian decimal comma


def test_density_colours_top_out_at_a_high_quantile_not_the_spike() -> None:
    surface, _ = _surface()
    values = surface.values + 1.0  # a positive floor everywhere ...
    values[0, 0] = 10_000.0  # ... and one extreme cell
    spiky = FakeSurface(values, surface.lon, surface.lat)
    m = _map()
    fg = add_density(m, spiky, top_quantile=0.99)
    expected = float(np.quantile(values[values > 0], 0.99))
    assert fg.stats["density_max"] == 10_000.0
    assert fg.stats["colour_max"] == pytest.approx(expected)
    legend = json.loads(_legends(m)[0].html_js)
    assert "≥" in legend and "10,000.0" in legend


# --- rendering: templates, styles by class, sampled density placement --------------------------

#: Jinja syntax in data: rendered as a template it would print 123000hs, the working directory
#: (or run any code on the server); it must reach the page as the text it is.
TEMPLATE_TEXT = ["{{ 123*1000 }}hs", "{{ cycler.__init__.__globals__.os.getcwd() }}", "{% raw %}"]


def test_data_is_never_rendered_as_a_jinja_template() -> None:
    import os

    venues = _venues().assign(name=[*TEMPLATE_TEXT, "Park"])
    clusters = _clusters().assign(venues=TEMPLATE_TEXT)
    calls = _random_calls(20).assign(offense=TEMPLATE_TEXT[0])
    spec = MapSpec(layers=frozenset(LAYERS), tiles=NO_TILES, title=TEMPLATE_TEXT[0])
    m, _ = build_map(spec, calls=calls, venues=venues, clusters=clusters, cells=_hex_cells([3]))
    html = map_html(m)
    for text in TEMPLATE_TEXT:
        assert text in html
    assert "123000hs" not in html
    assert os.getcwd() not in html


def test_polygons_carry_their_class_and_the_page_one_style_per_class() -> None:
    m = _map()
    counts = [1, 2, 3, 5, 8, 13, 21, 34]
    fg = add_cells(m, _hex_cells(counts), classes=4, breaks="quantile")
    (gj,) = [c for c in fg._children.values() if isinstance(c, folium.GeoJson)]
    features = gj.data["features"]
    assert [f["id"] for f in features] == list(range(len(counts)))
    assert [f["properties"]["count"] for f in features] == counts
    html = map_html(m)
    # one style object per colour class, chosen in the browser by the feature's "_c"
    styles = json.loads(re.search(gj.get_name() + r"_styles = (\[.*?\]);", html)[1])
    assert len(styles) == len({s["fillColor"] for s in styles}) == 4
    for f in features:
        assert styles[f["properties"]["_c"]] == gj.style_function(f)
    # no per-feature style table (Folium's switch with a case per feature id)
    assert "case " not in html and "_styler" not in html
    assert "resetStyle" in html and "bindTooltip" in html


def test_polygon_data_is_valid_script_safe_json() -> None:
    m = _map()
    fg = add_clusters(m, _clusters())
    (gj,) = [c for c in fg._children.values() if isinstance(c, folium.GeoJson)]
    text = gj.data_js
    assert "<" not in text and ">" not in text and "'" not in text
    data = json.loads(text)
    assert data == gj.data
    venues = [f["properties"]["venues"] for f in data["features"]]
    assert venues[0] == "&lt;img src=x onerror=alert(1)&gt;, Кафе Айгерим"
    assert venues[2] == "Bar &amp; Grill"
    assert all(len(f["geometry"]["coordinates"][0]) > 8 for f in data["features"])


def test_density_image_placed_from_sampled_centres_as_from_all() -> None:
    from hotspots.density import kde
    from hotspots.maps import _density_image, _sampled_lonlat

    calls = _random_calls(2000, spread=0.02)
    surface = kde(calls, bandwidth=300.0, cell=60.0)
    rows, cols, lon, lat = _sampled_lonlat(surface, surface.values.shape)
    assert rows.size < surface.values.size / 4
    # every edge cell is among the samples
    ny, nx = surface.values.shape
    edge = (rows == 0) | (rows == ny - 1) | (cols == 0) | (cols == nx - 1)
    assert edge.sum() == 2 * (nx + ny) - 4
    full_lon, full_lat = surface.cell_centres_lonlat()
    np.testing.assert_allclose(lon, full_lon[rows, cols], atol=1e-9)
    np.testing.assert_allclose(lat, full_lat[rows, cols], atol=1e-9)
    kw = {"palette": "YlOrRd", "floor": 0.05, "vmax": None, "max_pixels": 1024}
    sampled, b1 = _density_image(surface.values, rows, cols, lon, lat, **kw)
    full, b2 = density_image(surface.values, full_lon, full_lat)
    np.testing.assert_allclose(b1, b2, atol=1e-9)  # the extent comes from the edge cells
    assert sampled.shape == full.shape
    assert np.abs(sampled.astype(int) - full.astype(int)).max() <= 2


# --- in a real browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def every_layer_page(sample, tmp_path_factory):
    """The sample with every layer on (the app's layers, computed as the app does), saved."""
    from hotspots import views

    dens = views.density_layer(sample.calls, area=sample.boundary)
    spec = MapSpec(layers=frozenset(LAYERS), tiles=NO_TILES)
    m, counts = build_map(
        spec,
        calls=sample.calls,
        cells=views.cell_layer(sample.calls),
        surface=dens.surface,
        contours=dens.contours,
        clusters=views.cluster_summary(sample.calls, venues=sample.venues),
        gistar=views.gistar_summary(sample.calls, area=sample.boundary),
        venues=sample.venues,
        boundary=sample.boundary,
    )
    assert set(counts["layers"]) == set(LAYERS)
    path = tmp_path_factory.mktemp("maps") / "every_layer.html"
    save_map(m, path)
    return path


_CONTROLS_JS = """() => Array.from(document.querySelectorAll('.leaflet-control'))
    .filter((e) => e.offsetParent !== null)
    .map((e) => {
        const r = e.getBoundingClientRect();
        const title = e.querySelector('.hs-title');
        let covered = null;
        if (title) {  // what the browser shows at the middle of the legend's title
            const t = title.getBoundingClientRect();
            const hit = document.elementFromPoint((t.left + t.right) / 2, (t.top + t.bottom) / 2);
            covered = !e.contains(hit);
        }
        return {cls: e.className, text: e.innerText.split('\\n')[0], covered: covered,
                left: r.left, top: r.top, right: r.right, bottom: r.bottom};
    })"""


# 1440 x 1000: a desktop browser; 620 px: the app's map height
@pytest.mark.parametrize("size", [(1440, 1000), (1440, 620)])
def test_with_every_layer_on_no_legend_is_covered(browser, every_layer_page, size):
    from hotspots.render import _open

    page = _open(browser, every_layer_page, size[0], size[1], True, 60, 8)
    try:
        controls = page.evaluate(_CONTROLS_JS)
        page.screenshot(path=str(every_layer_page.with_suffix(f".{size[1]}.png")))
    finally:
        page.close()
    legends = [c for c in controls if "hs-legend" in c["cls"]]
    titles = {c["text"] for c in legends}
    for key in ("legend.gistar", "legend.clusters", "legend.density", "legend.venues"):
        assert t(key, "en") in titles
    assert any("leaflet-control-layers" in c["cls"] for c in controls)
    for c in legends:
        assert c["covered"] is False, c["text"]
    for c in controls:  # inside the map
        assert c["left"] >= 0 and c["top"] >= 0, c
        assert c["right"] <= size[0] and c["bottom"] <= size[1], c
    for i, a in enumerate(controls):  # no two controls overlap
        for b in controls[i + 1 :]:
            apart = (
                a["right"] <= b["left"]
                or b["right"] <= a["left"]
                or a["bottom"] <= b["top"]
                or b["bottom"] <= a["top"]
            )
            assert apart, (a["text"], b["text"])


def test_scale_bar_reads_metres_or_kilometres_in_the_browser(browser, every_layer_page):
    from hotspots.render import _open

    page = _open(browser, every_layer_page, 1440, 1000, True, 60, 8)
    try:
        lines = page.evaluate(
            "() => Array.from(document.querySelectorAll('.leaflet-control-scale-line'))"
            ".map((e) => e.textContent)"
        )
    finally:
        page.close()
    assert len(lines) == 1  # no second line in feet or miles
    assert re.fullmatch(r"\d+ k?m", lines[0]), lines
