"""Offline basemaps from one file (hotspots.basemap, hotspots.tiles), head/tail class breaks,
venue icons next to the hotspots only, and names instead of codes.

Expectations are independent of the code under test: tiles are decoded with
``mapbox_vector_tile`` and the ``pmtiles`` package's own reader, distances are brute-force
haversine, the head/tail breaks are recomputed by their definition, MBTiles rows are checked
against the TMS scheme written by hand.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import urllib.request
from pathlib import Path

import folium
import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
import shapely
from pmtiles.reader import MmapSource, Reader

from hotspots import maps
from hotspots.basemap import open_basemap, write_vector_pmtiles
from hotspots.basemap.layer import BasemapLayer
from hotspots.basemap.server import TileServer
from hotspots.basemap.streets import nearest_street
from hotspots.basemap.tilemath import tile_of, tiles_covering
from hotspots.errors import InputError, ParameterError
from hotspots.maps.legends import class_breaks, classify, head_tail_edges
from hotspots.sample import load_sample
from hotspots.schema import EARTH_RADIUS_M
from hotspots.tiles import OSM_URL, SAMPLE_BASEMAP, TileConfig

CENTRE = (43.297, 68.25)


def haversine_m(lat1, lon1, lat2, lon2):
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def _decode_roads(
    data: bytes, z: int, x: int, y: int, named_only: bool = True
) -> list[tuple[str, np.ndarray]]:
    """Named road lines of a tile as (name, lon/lat array), by the MVT and Mercator formulas."""
    layer = mapbox_vector_tile.decode(data).get("roads", {"features": [], "extent": 4096})
    n = 2**z
    out = []
    for f in layer["features"]:
        if f["geometry"]["type"] != "LineString":
            continue
        if named_only and "name" not in f["properties"]:
            continue
        px = np.asarray(f["geometry"]["coordinates"], dtype=float) / layer["extent"]
        lon = (x + px[:, 0]) / n * 360.0 - 180.0
        merc_y = 1.0 - 2.0 * (y + 1.0 - px[:, 1]) / n  # y up from the tile's south edge
        lat = np.degrees(np.arctan(np.sinh(np.pi * merc_y)))
        out.append((f["properties"].get("name", ""), np.column_stack([lon, lat])))
    return out


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def small_pmtiles(tmp_path_factory) -> Path:
    street = shapely.LineString([(68.240, 43.290), (68.260, 43.300)])
    park = shapely.Point(68.25, 43.295).buffer(0.002)
    layers = {
        "roads": gpd.GeoDataFrame(
            {"kind": ["major_road"], "name": ["ул. Абая"]}, geometry=[street], crs=4326
        ),
        "landuse": gpd.GeoDataFrame({"kind": ["park"]}, geometry=[park], crs=4326),
    }
    path = tmp_path_factory.mktemp("bm") / "city.pmtiles"
    return write_vector_pmtiles(layers, path, min_zoom=12, max_zoom=14, attribution="Test GIS")


# --- tile arithmetic and the writer ----------------------------------------------------------


def test_tile_of_matches_the_slippy_map_formula() -> None:
    # OSM wiki: x = floor((lon + 180) / 360 * 2^z), y = floor((1 - asinh(tan(lat)) / pi) / 2 * 2^z)
    lat, lon, z = 43.297, 68.25, 14
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)
    assert tile_of(lon, lat, z) == (x, y)
    assert (z, x, y) in tiles_covering((lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01), z)


def test_written_archive_reads_back_with_the_pmtiles_reader(small_pmtiles) -> None:
    bm = open_basemap(small_pmtiles)
    assert (bm.container, bm.tile_format, bm.min_zoom, bm.max_zoom) == ("pmtiles", "mvt", 12, 14)
    assert bm.attribution == "Test GIS"
    assert bm.bounds[0] == pytest.approx(68.24, abs=1e-6)  # the street starts at 68.24
    with open(small_pmtiles, "rb") as f:
        reference = Reader(MmapSource(f))
        for z in (12, 13, 14):
            for zz, x, y in tiles_covering(bm.bounds, z):
                raw = reference.get(zz, x, y)
                ours = bm.tile(zz, x, y)
                assert ours == (gzip.decompress(raw) if raw else None)
    # the street comes back where it was written (within a tile unit at zoom 14)
    z = 14
    x, y = tile_of(68.25, 43.295, z)
    lines = _decode_roads(bm.tile(z, x, y), z, x, y)
    assert [name for name, _ in lines] == ["ул. Абая"]
    line = shapely.LineString(lines[0][1])
    assert line.distance(shapely.Point(68.25, 43.295)) < 1e-4


def test_writer_is_reproducible_and_validates(small_pmtiles, tmp_path) -> None:
    gdf = gpd.GeoDataFrame({"kind": ["minor_road"]},
                           geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4326)
    a = write_vector_pmtiles({"roads": gdf}, tmp_path / "a.pmtiles", min_zoom=3, max_zoom=5,
                             attribution="x")
    b = write_vector_pmtiles({"roads": gdf}, tmp_path / "b.pmtiles", min_zoom=3, max_zoom=5,
                             attribution="x")
    assert a.read_bytes() == b.read_bytes()
    with pytest.raises(ParameterError):
        write_vector_pmtiles({"roads": gdf}, tmp_path / "c.pmtiles", min_zoom=6, max_zoom=5,
                             attribution="x")
    with pytest.raises(ParameterError, match="attribution"):
        write_vector_pmtiles({"roads": gdf}, tmp_path / "c.pmtiles", attribution=" ")
    with pytest.raises(InputError, match="CRS"):
        write_vector_pmtiles({"roads": gdf.set_crs(None, allow_override=True)},
                             tmp_path / "c.pmtiles", attribution="x")


@pytest.mark.parametrize("name", ["missing.pmtiles", "map.png"])
def test_bad_basemap_paths_say_what_to_do(tmp_path, name) -> None:
    with pytest.raises(InputError, match="pmtiles|mbtiles|basemap"):
        open_basemap(tmp_path / name)
    (tmp_path / "junk.pmtiles").write_bytes(b"not an archive")
    with pytest.raises(InputError, match="PMTiles"):
        open_basemap(tmp_path / "junk.pmtiles")


# --- the sample city's basemap ---------------------------------------------------------------


def test_sample_basemap_streets_reach_every_venue(sample) -> None:
    bm = open_basemap(SAMPLE_BASEMAP)
    assert bm.vector and "Synthetic" in bm.attribution
    z = 15
    lines = []
    for zz, x, y in tiles_covering(tuple(sample.boundary.total_bounds), z):
        data = bm.tile(zz, x, y)
        if data:
            lines += [xy for _, xy in _decode_roads(data, zz, x, y, named_only=False)]
    assert len(lines) > 50
    # local metres (equirectangular at the centre: exact to 0.1 % over 10 km)
    lat0 = np.radians(CENTRE[0])

    def metres(lon, lat):
        return (np.radians(lon - CENTRE[1]) * EARTH_RADIUS_M * np.cos(lat0),
                np.radians(lat - CENTRE[0]) * EARTH_RADIUS_M)

    streets = shapely.MultiLineString([np.column_stack(metres(xy[:, 0], xy[:, 1]))
                                       for xy in lines])
    v = sample.venues
    pts = shapely.points(*metres(v["lon"].to_numpy(), v["lat"].to_numpy()))
    d = shapely.distance(pts, streets)
    # a street every 240 m each way: no venue is more than 170 m (half a diagonal) from one
    assert d.max() < 170
    assert np.median(d) < 80


def test_nearest_street_agrees_with_brute_force(small_pmtiles) -> None:
    bm = open_basemap(small_pmtiles)
    lat = np.array([43.2952, 43.2952, 43.30])
    lon = np.array([68.2500, 68.2520, 68.2300])
    names = nearest_street(bm, lat, lon, max_m=150)
    line = np.array([(68.240, 43.290), (68.260, 43.300)])
    ts = np.linspace(0, 1, 5001)[:, None]
    dense = line[0] + ts * (line[1] - line[0])
    d = haversine_m(lat[:, None], lon[:, None], dense[None, :, 1], dense[None, :, 0]).min(axis=1)
    assert list(names) == ["ул. Абая" if x <= 150 else "" for x in d]
    assert d[0] < 150 < d[2]


# --- choosing the basemap --------------------------------------------------------------------


def test_tiles_from_environment_take_a_file(small_pmtiles) -> None:
    config = TileConfig.from_env({"HOTSPOTS_TILES": str(small_pmtiles)})
    assert config.file == str(small_pmtiles.resolve()) and config.url is None
    assert config.enabled and config.attribution == "Test GIS"
    auto = TileConfig.from_env({})
    assert auto.file == str(SAMPLE_BASEMAP) and auto.auto
    with pytest.raises(InputError, match="HOTSPOTS_TILES"):
        TileConfig.from_env({"HOTSPOTS_TILES": "/nowhere/city.pmtiles"})


def test_a_file_far_from_the_map_is_not_credited(small_pmtiles) -> None:
    chicago = (-87.7, 41.8, -87.6, 41.9)
    assert TileConfig.auto_choice().for_bounds(chicago).url == OSM_URL
    assert TileConfig.from_file(small_pmtiles).for_bounds(chicago).enabled is False
    here = (68.24, 43.29, 68.26, 43.30)
    assert TileConfig.from_file(small_pmtiles).for_bounds(here).file is not None


def test_exported_map_carries_its_basemap_tiles(sample) -> None:
    spec = maps.MapSpec(layers=frozenset({"boundary"}), tiles=TileConfig.auto_choice())
    m, _ = maps.build_map(spec, boundary=sample.boundary)
    layers = [c for c in m._children.values() if isinstance(c, BasemapLayer)]
    assert len(layers) == 1 and layers[0].n_tiles > 10
    html = maps.map_html(m)
    assert "protomapsL.leafletLayer" in html and "Synthetic streets" in html
    assert "tile.openstreetmap.org" not in html and "OpenStreetMap" not in html
    # the page needs no request: the renderer's script is inline, the tiles too
    assert "https://unpkg.com" not in html


def _mbtiles(path: Path, z: int, x: int, y: int, png: bytes) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name text, value text)")
    db.execute("CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, "
               "tile_data blob)")
    db.executemany("INSERT INTO metadata VALUES (?, ?)",
                   [("name", "raster"), ("format", "png"), ("attribution", "City raster"),
                    ("bounds", "68.2,43.25,68.3,43.35")])
    db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (2**z - 1) - y, png))
    db.commit()
    db.close()
    return path


def test_mbtiles_raster_rows_are_flipped_and_embedded(tmp_path) -> None:
    z = 13
    x, y = tile_of(68.25, 43.297, z)
    png = b"\x89PNG\r\n\x1a\nfake"
    path = _mbtiles(tmp_path / "city.mbtiles", z, x, y, png)
    bm = open_basemap(path)
    assert (bm.container, bm.tile_format, bm.attribution) == ("mbtiles", "png", "City raster")
    assert bm.tile(z, x, y) == png and bm.tile(z, x, y + 1) is None
    m = maps.base_map(CENTRE, 13, tiles=TileConfig.from_file(path),
                      bounds=[[43.29, 68.24], [43.30, 68.26]])
    html = m.get_root().render()
    assert "L.TileLayer.extend" in html and "City raster" in html
    assert "unpkg.com/protomaps" not in html  # raster tiles need no vector renderer


# --- the app's tile endpoint -----------------------------------------------------------------


def test_server_answers_ranges_tiles_and_nothing_else(small_pmtiles, tmp_path) -> None:
    server = TileServer()
    try:
        url = server.url_for(small_pmtiles).replace("{host}", "127.0.0.1")
        body = small_pmtiles.read_bytes()
        req = urllib.request.Request(url, headers={"Range": "bytes=10-99"})
        with urllib.request.urlopen(req) as r:
            assert r.status == 206 and r.read() == body[10:100]
            assert r.headers["Content-Range"] == f"bytes 10-99/{len(body)}"
            assert r.headers["Access-Control-Allow-Origin"] == "*"
        tail = urllib.request.Request(url, headers={"Range": "bytes=-7"})
        with urllib.request.urlopen(tail) as r:
            assert r.read() == body[-7:]
        with urllib.request.urlopen(url) as r:
            assert r.status == 200 and r.read() == body
        req = urllib.request.Request(url, headers={"Range": f"bytes={len(body) + 5}-"})
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(req)
        assert bad.value.code == 416
        base = url.rsplit("/", 1)[0]
        for probe in ("/0123456789abcdef.pmtiles", "/../../etc/passwd", "/x.pmtiles"):
            with pytest.raises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen(base + probe)
            assert missing.value.code == 404
        z = 13
        x, y = tile_of(68.25, 43.297, z)
        raster = _mbtiles(tmp_path / "r.mbtiles", z, x, y, b"\x89PNGdata")
        template = server.url_for(raster).replace("{host}", "127.0.0.1")
        with urllib.request.urlopen(template.format(z=z, x=x, y=y)) as r:
            assert r.read() == b"\x89PNGdata" and r.headers["Content-Type"] == "image/png"
    finally:
        server.close()


# --- class breaks that show the peak ---------------------------------------------------------


def _head_tail_by_definition(v: np.ndarray, k: int) -> list[float]:
    edges, part = [v.min()], v
    while len(edges) < k:
        mean = part.mean()
        head = part[part > mean]
        if len(head) == 0 or len(head) > 0.4 * len(part) or len(part) < 2:
            break
        edges.append(mean)
        part = head
    return [*edges, v.max()]


def test_head_tail_breaks_isolate_the_peak_of_a_heavy_tail() -> None:
    rng = np.random.default_rng(7)
    counts = np.floor(rng.pareto(1.2, 5000) * 3 + 1)  # calls per cell: most 1-5, a few 500+
    raw = head_tail_edges(counts, 6)
    assert raw.tolist() == pytest.approx(_head_tail_by_definition(counts, 6))
    edges = class_breaks(counts, 6, method="headtail")
    top = counts[classify(counts, edges) == len(edges) - 2]
    quantile = class_breaks(counts, 6, method="quantile")
    top_q = counts[classify(counts, quantile) == len(quantile) - 2]
    assert counts.max() in top and top.size < 0.02 * counts.size  # the peak only
    assert top_q.size > 0.1 * counts.size  # quantiles: a sixth of the city is "top"
    assert top.min() > 10 * np.median(counts)
    # integer edges: a class starts at the first whole count above the mean
    assert edges[1] == np.floor(raw[1]) + 1


def test_head_tail_degenerate_inputs() -> None:
    assert head_tail_edges(np.array([]), 6).tolist() == [0.0, 0.0]
    assert head_tail_edges(np.array([5, 5, 5]), 6).tolist() == [5.0, 5.0]
    with pytest.raises(ParameterError):
        class_breaks(np.array([1, 2]), 3, method="jenks")


def test_cell_legend_top_class_is_the_peak_on_the_sample(sample) -> None:
    counts, _ = maps.h3_cell_counts(sample.calls["lat"], sample.calls["lon"], 9)
    cells = maps.h3_cells_frame(counts)
    m = maps.base_map(CENTRE, 12, tiles=TileConfig.none())
    fg = maps.add_cells(m, cells)
    edges = fg.stats["class_edges"]
    in_top = int((counts >= edges[-2]).sum())
    assert edges[-1] == counts.max() == 546
    assert in_top <= 10  # the patrol plan's ten, not a third of the city
    html = m.get_root().render()
    assert f"{edges[-2]:.0f} – 546" in html


# --- venue icons next to the hotspots only ---------------------------------------------------


def test_venue_icons_only_near_hotspots() -> None:
    # a hotspot square of about 222 m; venues at known distances east of its east edge
    lat0, lon0 = 43.30, 68.25
    half = 0.001
    hot = gpd.GeoDataFrame(geometry=[shapely.box(lon0 - half, lat0 - half, lon0 + half,
                                                 lat0 + half)], crs=4326)
    m_per_deg_lon = np.radians(1) * EARTH_RADIUS_M * np.cos(np.radians(lat0))
    offsets = np.array([-50.0, 20.0, 55.0, 70.0, 400.0])  # metres from the east edge
    venues = pd.DataFrame({
        "name": [f"V{i}" for i in range(5)], "kind": "cafe", "lat": lat0,
        "lon": lon0 + half + offsets / m_per_deg_lon,
    })  # fmt: skip
    m = maps.base_map((lat0, lon0), 15, tiles=TileConfig.none())
    fg = maps.add_venues(m, venues, hotspots=hot, near_m=60.0)
    (markers,) = [c for c in fg._children.values() if isinstance(c, maps._VenueMarkers)]
    icons = [row[4] for row in __import__("json").loads(markers.rows_js)]
    assert icons == [1, 1, 1, 0, 0]  # inside, 20 m and 55 m: icons; 70 m and 400 m: dots
    assert fg.stats["venue_icons"] == 3
    counts = pd.Series([0, 0, 0, 0, 99])
    fg2 = maps.add_venues(m, venues.assign(calls=counts), count_col="calls", hotspots=hot,
                          top_risky=1)
    assert fg2.stats["venue_icons"] == 4  # the riskiest venue keeps its icon far away
    assert maps.add_venues(m, venues).stats["venue_icons"] == 5  # no hotspots: all icons


def test_build_map_puts_icons_only_at_the_top_class(sample) -> None:
    counts, _ = maps.h3_cell_counts(sample.calls["lat"], sample.calls["lon"], 9)
    spec = maps.MapSpec(layers=frozenset({"cells", "venues"}), tiles=TileConfig.none())
    _, shown = maps.build_map(spec, cells=maps.h3_cells_frame(counts), venues=sample.venues)
    assert shown["venues_shown"] == len(sample.venues) == 208
    assert 0 < shown["venue_icons"] < 60  # was 208 icons over the hottest cells
    every = maps.MapSpec(layers=spec.layers, tiles=TileConfig.none(), venue_icons="all")
    _, all_icons = maps.build_map(every, cells=maps.h3_cells_frame(counts),
                                  venues=sample.venues)
    assert all_icons["venue_icons"] == 208
    with pytest.raises(ParameterError):
        maps.MapSpec(venue_icons="some")


# --- names, not codes ------------------------------------------------------------------------


def test_cell_tooltips_name_the_venue_and_the_street(sample) -> None:
    counts, _ = maps.h3_cell_counts(sample.calls["lat"], sample.calls["lon"], 9)
    cells = maps.h3_cells_frame(counts)
    m = maps.base_map(CENTRE, 12, tiles=TileConfig.none())
    fg = maps.add_cells(m, cells, venues=sample.venues, tiles=TileConfig.auto_choice(),
                        lang="ru")
    (gj,) = [c for c in fg._children.values() if isinstance(c, folium.GeoJson)]
    props = pd.DataFrame([f["properties"] for f in gj.data["features"]])
    top = props.sort_values("count", ascending=False).iloc[0]
    assert top["count"] == 546
    assert top["street"].startswith(("ул.", "пер.", "пр."))
    # the nearest venue named is the brute-force nearest to the cell's centre
    centre = cells.loc[cells["count"].idxmax()].geometry.representative_point()
    d = haversine_m(centre.y, centre.x, sample.venues["lat"], sample.venues["lon"])
    nearest = sample.venues["name"].iloc[int(np.argmin(d))]
    assert top["venue"].startswith(__import__("html").escape(nearest, quote=True))
    assert top["venue"].endswith(" м)")
    html = m.get_root().render()
    for label in ("Улица", "Ближайшее заведение"):
        assert label in html or json.dumps(label)[1:-1] in html


def test_clusters_are_numbered_from_one_by_calls_and_more_is_translated() -> None:
    poly = [shapely.Point(68.25 + 0.01 * i, 43.3).buffer(0.002) for i in range(3)]
    clusters = gpd.GeoDataFrame(
        {"cluster": [0, 1, 2], "n_incidents": [10, 50, 30],
         "venues": ["A; B; C (+4 more)", "", "D"]},
        geometry=poly, crs=4326,
    )  # fmt: skip
    m = maps.base_map(CENTRE, 12, tiles=TileConfig.none())
    fg = maps.add_clusters(m, clusters, lang="kk")
    (gj,) = [c for c in fg._children.values() if isinstance(c, folium.GeoJson)]
    props = [f["properties"] for f in gj.data["features"]]
    assert [p["cluster"] for p in props] == ["#3", "#1", "#2"]
    assert props[0]["venues"] == "A; B; C (тағы 4)"
    assert "more" not in m.get_root().render()
