"""hotspots.grid: H3 binning equals h3 point for point; counts, hexagons, area cells, rings."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from h3.api import basic_int as h3i
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from hotspots import grid
from hotspots.errors import InputError, ParameterError

GEOD = Geod(ellps="WGS84")


def reference_ids(lat, lon, res) -> np.ndarray:
    """h3's own answer, one call per point (the naive loop)."""
    return np.array(
        [h3i.latlng_to_cell(float(a), float(b), res) for a, b in zip(lat, lon, strict=True)],
        dtype=np.uint64,
    )


def incidents(lat, lon, **cols) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({"lat": np.asarray(lat, float), "lon": np.asarray(lon, float), **cols})
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )


# -- cell_ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize("res", range(16))
def test_cell_ids_equal_h3_on_random_points_of_the_globe(res):
    rng = np.random.default_rng(res)
    n = 20_000
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))  # uniform on the sphere
    lon = rng.uniform(-180, 180, n)
    np.testing.assert_array_equal(grid.cell_ids(lat, lon, res), reference_ids(lat, lon, res))


def _dense_around(lat0, lon0, n, spread_deg, seed):
    rng = np.random.default_rng(seed)
    return lat0 + rng.normal(0, spread_deg, n), lon0 + rng.normal(0, spread_deg, n)


@pytest.mark.parametrize("res", [7, 9, 10, 11, 13, 15])
@pytest.mark.parametrize(
    "where",
    ["chicago", "pentagon", "face_edge"],
)
def test_cell_ids_equal_h3_in_dense_clusters(res, where):
    # many points per cell: the representative-point shortcut is really exercised
    if where == "chicago":
        lat0, lon0 = 41.88, -87.63
    elif where == "pentagon":  # an icosahedron vertex: five faces meet
        lat0, lon0 = h3.cell_to_latlng(h3.get_pentagons(0)[3])
    else:  # midpoint of two adjacent pentagons: on an icosahedron edge
        a, b = (h3.cell_to_latlng(p) for p in h3.get_pentagons(0)[:2])
        va, vb = (
            np.array(
                [
                    np.cos(np.radians(p[0])) * np.cos(np.radians(p[1])),
                    np.cos(np.radians(p[0])) * np.sin(np.radians(p[1])),
                    np.sin(np.radians(p[0])),
                ]
            )
            for p in (a, b)
        )
        m = (va + vb) / np.linalg.norm(va + vb)
        lat0, lon0 = np.degrees(np.arcsin(m[2])), np.degrees(np.arctan2(m[1], m[0]))
    spread = 3.0 * np.sqrt(h3.average_hexagon_area(res, unit="km^2")) / 111.0
    lat, lon = _dense_around(lat0, lon0, 20_000, spread, seed=res)
    ids = grid.cell_ids(lat, lon, res)
    assert len(np.unique(ids)) < len(ids) / 10  # dense indeed
    np.testing.assert_array_equal(ids, reference_ids(lat, lon, res))


@pytest.mark.parametrize("res", [7, 9, 11])
def test_cell_ids_on_cell_vertices_and_centres(res):
    # vertices are exact ties between three cells: whichever h3 picks, we pick
    cells = h3.grid_disk(h3.latlng_to_cell(41.88, -87.63, res), 2)
    pts = [p for c in cells for p in h3.cell_to_boundary(c)]
    pts += [h3.cell_to_latlng(c) for c in cells]
    lat, lon = np.array(pts).T
    _, tie = grid._lattice_keys(lat, lon, res)
    assert tie[: -len(cells)].all() and not tie[-len(cells) :].any()  # vertices take h3's path
    np.testing.assert_array_equal(grid.cell_ids(lat, lon, res), reference_ids(lat, lon, res))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False)),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 15),
)
def test_cell_ids_property_equal_h3(points, res):
    lat, lon = np.array(points).T
    np.testing.assert_array_equal(grid.cell_ids(lat, lon, res), reference_ids(lat, lon, res))


def test_cell_ids_empty_and_bad_input():
    assert grid.cell_ids([], [], 9).dtype == np.uint64
    with pytest.raises(InputError, match="missing or impossible"):
        grid.cell_ids([41.0, np.nan], [-87.0, -87.0], 9)
    with pytest.raises(InputError, match="missing or impossible"):
        grid.cell_ids([95.0], [0.0], 9)
    with pytest.raises(ParameterError, match="resolution"):
        grid.cell_ids([41.0], [-87.0], 16)


def test_to_str_and_to_int_round_trip():
    ids = grid.cell_ids([41.88, 51.5], [-87.63, -0.12], 9)
    strs = grid.to_str(ids)
    assert list(strs) == [h3.latlng_to_cell(41.88, -87.63, 9), h3.latlng_to_cell(51.5, -0.12, 9)]
    np.testing.assert_array_equal(grid.to_int(strs), ids)
    with pytest.raises(InputError):
        grid.to_int(["not-a-cell"])


# -- count_cells -----------------------------------------------------------------------------


def test_count_cells_hand_computed():
    # two points 1 m apart share a cell; a point 10 km away has its own
    df = incidents([41.878100, 41.878109, 41.968100], [-87.629800, -87.629800, -87.629800])
    out = grid.count_cells(df, 9)
    assert out.columns.tolist() == ["cell", "count"]
    assert out["count"].tolist() == [2, 1]
    assert out["cell"].tolist() == [
        h3.latlng_to_cell(41.8781, -87.6298, 9),
        h3.latlng_to_cell(41.9681, -87.6298, 9),
    ]


@pytest.mark.parametrize("res", [7, 9, 11])
def test_count_cells_by_equals_pandas_groupby_of_h3(res):
    rng = np.random.default_rng(res)
    n = 5_000
    lat, lon = 41.88 + rng.normal(0, 0.03, n), -87.63 + rng.normal(0, 0.04, n)
    year = rng.choice([2017, 2018, 2019], n)
    offense = rng.choice(["theft", "fight", "other"], n)
    df = incidents(lat, lon, year=pd.array(year, dtype="Int64"), offense=offense)
    got = grid.count_cells(df, res, by=["year", "offense"])
    assert got.columns.tolist() == ["cell", "year", "offense", "count"]
    assert got["count"].sum() == n
    ref = (
        pd.DataFrame(
            {
                "cell": [h3.latlng_to_cell(a, b, res) for a, b in zip(lat, lon, strict=True)],
                "year": year,
                "offense": offense,
            }
        )
        .groupby(["cell", "year", "offense"])
        .size()
    )
    got_s = got.set_index(["cell", "year", "offense"])["count"]
    pd.testing.assert_series_equal(
        got_s.sort_index(),
        ref.rename("count").sort_index(),
        check_index_type=False,
        check_dtype=False,
    )


def test_count_cells_missing_by_values_are_counted():
    df = incidents([41.88, 41.88, 41.88], [-87.63] * 3, hour=pd.array([1, None, None], "Int64"))
    out = grid.count_cells(df, 9, by="hour")
    assert out["count"].sum() == 3
    assert sorted(out["count"].tolist()) == [1, 2]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_count_cells_invariant_to_row_order(seed):
    rng = np.random.default_rng(seed)
    n = 300
    df = incidents(
        41.88 + rng.normal(0, 0.01, n),
        -87.63 + rng.normal(0, 0.01, n),
        year=rng.choice([2018, 2019], n),
    )
    a = grid.count_cells(df, 9, by="year")
    b = grid.count_cells(df.iloc[rng.permutation(n)], 9, by="year")
    pd.testing.assert_frame_equal(a, b)
    assert a["count"].sum() == n


def test_count_cells_area_adds_zero_cells():
    centre = h3.latlng_to_cell(41.88, -87.63, 7)
    area = shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(centre)])
    df = incidents([41.88, 41.88], [-87.63, -87.63], year=[2018, 2019])
    out = grid.count_cells(df, 8, area=area)
    children = set(h3.cell_to_children(centre, 8))
    assert set(out["cell"]) == children  # the 7 children's centres lie in the parent
    assert out["count"].sum() == 2 and (out["count"] == 0).sum() == 6
    split = grid.count_cells(df, 8, by="year", area=area)
    assert len(split) == 14 and split["count"].sum() == 2


@pytest.mark.parametrize("res", [6, 12, 9.5, "nine", None])
def test_count_cells_validates_resolution(res):
    with pytest.raises(ParameterError, match="resolution.*7 to 11"):
        grid.count_cells(incidents([41.88], [-87.63]), res)


def test_count_cells_missing_column():
    with pytest.raises(InputError, match="year"):
        grid.count_cells(incidents([41.88], [-87.63]), 9, by="year")


# -- geometry --------------------------------------------------------------------------------


def test_cells_to_gdf_hexagons_contain_centres_and_have_h3_area():
    cells = h3.grid_disk(h3.latlng_to_cell(41.88, -87.63, 9), 1)
    df = pd.DataFrame({"cell": cells, "count": range(len(cells))})
    gdf = grid.cells_to_gdf(df)
    assert gdf.crs.to_epsg() == 4326
    assert gdf["count"].tolist() == list(range(len(cells)))
    for cell, poly in zip(gdf["cell"], gdf.geometry, strict=True):
        lat, lng = h3.cell_to_latlng(cell)
        assert poly.contains(shapely.Point(lng, lat))
        assert len(poly.exterior.coords) == 7  # hexagon, closed
        geodesic = abs(GEOD.geometry_area_perimeter(poly)[0])
        assert geodesic == pytest.approx(h3.cell_area(cell, unit="m^2"), rel=2e-3)


def test_cells_to_gdf_integer_ids_and_pentagons():
    # class II pentagons have 5 vertices; class III ones 10 (edge crossings of the icosahedron)
    cells = [h3.get_pentagons(8)[0], h3.get_pentagons(9)[0], h3.latlng_to_cell(41.88, -87.63, 9)]
    gdf = grid.cells_to_gdf(pd.DataFrame({"cell": grid.to_int(cells)}))
    assert [len(g.exterior.coords) - 1 for g in gdf.geometry] == [5, 10, 6]
    assert gdf["cell"].dtype == np.uint64
    for cell, poly in zip(cells, gdf.geometry, strict=True):
        assert poly.is_valid and poly.contains(shapely.Point(h3.cell_to_latlng(cell)[::-1]))


def test_cells_in_area_centre_rule_against_brute_force():
    box = shapely.box(-87.70, 41.85, -87.60, 41.92)
    got = set(grid.to_str(grid.cells_in_area(box, 9)))
    # brute force: cells of a dense lattice of points over a larger box, kept if centre inside
    lat, lon = np.meshgrid(np.linspace(41.84, 41.93, 300), np.linspace(-87.71, -87.59, 300))
    cand = set(h3.latlng_to_cell(a, b, 9) for a, b in zip(lat.ravel(), lon.ravel(), strict=True))
    ref = {c for c in cand if box.contains(shapely.Point(h3.cell_to_latlng(c)[::-1]))}
    assert got == ref


def test_cells_in_area_frames_and_modes():
    box = shapely.box(-87.70, 41.85, -87.60, 41.92)
    frame = gpd.GeoDataFrame(geometry=[box], crs="EPSG:4326").to_crs(3857)
    centre = grid.cells_in_area(frame, 9)
    np.testing.assert_array_equal(centre, grid.cells_in_area(box, 9))
    assert np.all(np.diff(centre.astype(np.int64)) > 0)  # sorted, unique
    full = set(grid.cells_in_area(box, 9, "full"))
    over = set(grid.cells_in_area(box, 9, "overlap"))
    assert full < set(centre) < over
    with pytest.raises(ParameterError, match="contain"):
        grid.cells_in_area(box, 9, "any")
    with pytest.raises(InputError, match="polygon"):
        grid.cells_in_area(shapely.Point(0, 0), 9)


# -- neighbours ------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3])
def test_neighbour_rings_equal_grid_distance(k):
    rng = np.random.default_rng(k)
    cells = np.array(h3.grid_disk(h3.latlng_to_cell(41.88, -87.63, 9), 4))
    cells = cells[rng.permutation(cells.size)][: cells.size * 3 // 4]  # holes, shuffled
    rings = grid.neighbour_rings(cells, k).toarray()
    for i, a in enumerate(cells):
        for j, b in enumerate(cells):
            d = h3.grid_distance(a, b)
            assert rings[i, j] == (d if 0 < d <= k else 0)


def test_ring_weights_binary_with_self():
    centre = h3.latlng_to_cell(41.88, -87.63, 9)
    cells = grid.to_int(h3.grid_disk(centre, 2))
    w = grid.ring_weights(cells, 1)
    assert w.dtype == np.float64 and (w != w.T).nnz == 0
    i = int(np.flatnonzero(cells == grid.to_int([centre])[0])[0])
    assert w[i].sum() == 7 and w[i, i] == 1
    assert np.all(np.isin(w.data, [1.0]))
    w0 = grid.ring_weights(cells, 1, include_self=False)
    assert w0.diagonal().sum() == 0 and w0[i].sum() == 6


def test_neighbour_rings_next_to_a_pentagon():
    pent = h3.get_pentagons(7)[0]
    cells = h3.grid_disk(pent, 2)
    rings = grid.neighbour_rings(cells, 2)
    assert rings[cells.index(pent)].getnnz() == len(cells) - 1
    assert (rings[cells.index(pent)].toarray() == 1).sum() == 5  # five touching cells


def test_neighbour_rings_validation():
    with pytest.raises(ParameterError, match="k"):
        grid.neighbour_rings(["8928308280fffff"], 0)
    c = h3.latlng_to_cell(41.88, -87.63, 9)
    with pytest.raises(InputError, match="unique"):
        grid.neighbour_rings([c, c], 1)


# -- areas -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "res, km2",  # H3's published table of average hexagon areas
    [(7, 5.161293360), (9, 0.105332513), (11, 0.002149643)],
)
def test_cell_area_m2_published_values(res, km2):
    assert grid.cell_area_m2(res) == pytest.approx(km2 * 1e6, rel=1e-6)


def test_cell_areas_m2_match_geodesic_polygon_area():
    cells = h3.grid_disk(h3.latlng_to_cell(41.88, -87.63, 8), 1)
    areas = grid.cell_areas_m2(cells)
    polys = grid.cell_polygons(cells)
    geodesic = np.array([abs(GEOD.geometry_area_perimeter(p)[0]) for p in polys])
    np.testing.assert_allclose(areas, geodesic, rtol=2e-3)
