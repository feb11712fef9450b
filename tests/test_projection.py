"""hotspots.projection: local metric projections against pyproj, geodesics and haversine."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from sklearn.metrics.pairwise import haversine_distances

from hotspots.projection import (
    FAST_MIN_POINTS,
    centre_of,
    geometry_to_lonlat,
    geometry_to_metric,
    haversine_m,
    local_metric_crs,
    to_lonlat,
    to_metric,
)
from hotspots.schema import EARTH_RADIUS_M


def pyproj_xy(lat, lon, crs):
    """The exact projection, straight from pyproj (the reference of the fast path)."""
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def city(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points over a 30 x 35 km city around Chicago."""
    rng = np.random.default_rng(seed)
    return 41.88 + rng.uniform(-0.15, 0.15, n), -87.63 + rng.uniform(-0.2, 0.2, n)


def test_fast_path_within_a_centimetre():
    lat, lon = city(60_000, 0)  # above the threshold: the lattice-interpolated path
    assert lat.size >= FAST_MIN_POINTS
    crs = local_metric_crs(41.88, -87.63)
    x, y, used = to_metric(lat, lon, crs, fast=True)
    ex, ey = pyproj_xy(lat, lon, crs)
    assert used is crs
    assert np.abs(x - ex).max() < 0.01 and np.abs(y - ey).max() < 0.01


def test_fast_path_falls_back_to_exact_on_wide_extents():
    rng = np.random.default_rng(1)
    n = 60_000
    lat, lon = rng.uniform(30, 50, n), rng.uniform(-100, -80, n)
    crs = local_metric_crs(40, -90)
    x, y, _ = to_metric(lat, lon, crs, fast=True)
    ex, ey = pyproj_xy(lat, lon, crs)
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)


def test_exact_by_default_and_below_the_fast_threshold():
    lat, lon = city(1000, 2)
    crs = local_metric_crs(41.88, -87.63)
    ex, ey = pyproj_xy(lat, lon, crs)
    for fast in (False, True):
        x, y, _ = to_metric(lat, lon, crs, fast=fast)
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)


def test_ellipsoid_distances_match_geodesics():
    lat, lon = city(300, 3)
    x, y, crs = to_metric(lat, lon)
    assert crs.ellipsoid.name == "WGS 84"
    i, j = np.triu_indices(lat.size, 1)
    planar = np.hypot(x[i] - x[j], y[i] - y[j])
    _, _, geodesic = Geod(ellps="WGS84").inv(lon[i], lat[i], lon[j], lat[j])
    assert np.abs(planar / geodesic - 1).max() < 1e-3


def test_sphere_distances_match_sklearn_haversine():
    lat, lon = city(300, 4)
    x, y, crs = to_metric(lat, lon, sphere=True)
    assert crs.ellipsoid.semi_major_metre == pytest.approx(EARTH_RADIUS_M)
    ref = haversine_distances(np.radians(np.c_[lat, lon])) * EARTH_RADIUS_M
    planar = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    off = ~np.eye(lat.size, dtype=bool)
    # a few parts per million over a city: a 100 m radius moves by well under a millimetre
    assert np.abs(planar[off] / ref[off] - 1).max() < 1e-5


def test_haversine_m_matches_sklearn():
    lat, lon = city(50, 5)
    ref = haversine_distances(np.radians(np.c_[lat, lon])) * EARTH_RADIUS_M
    ours = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(-60, 60),
    st.floats(-170, 170),
    st.booleans(),
    st.lists(st.tuples(st.floats(-0.1, 0.1), st.floats(-0.1, 0.1)), min_size=1, max_size=30),
)
def test_round_trip_and_row_order(lat0, lon0, sphere, offsets):
    d = np.array(offsets)
    lat, lon = lat0 + d[:, 0], lon0 + d[:, 1]
    x, y, crs = to_metric(lat, lon, sphere=sphere)
    back_lon, back_lat = to_lonlat(x, y, crs)
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)
    np.testing.assert_allclose(back_lon, lon, atol=1e-9)
    # the default centre is the bounding box's middle: the same CRS in any row order
    _, _, crs_rev = to_metric(lat[::-1], lon[::-1], sphere=sphere)
    assert crs_rev == crs
    assert centre_of(lat, lon) == pytest.approx(
        ((lat.min() + lat.max()) / 2, (lon.min() + lon.max()) / 2)
    )


def test_geometries_to_metres_and_back():
    # a 0.01 x 0.01 degree box at the equator: 1111.95 m a side on the sphere
    crs = local_metric_crs(0.005, 0.005, sphere=True)
    box = shapely.box(0.0, 0.0, 0.01, 0.01)
    metric = geometry_to_metric(box, crs)
    side = 0.01 * np.pi / 180 * EARTH_RADIUS_M
    assert shapely.area(metric) == pytest.approx(side * side, rel=1e-4)
    back = geometry_to_lonlat(metric, crs)
    assert shapely.equals_exact(back, box, tolerance=1e-9)
    # arrays of geometries keep their shape
    out = geometry_to_metric(np.array([box, box]), crs)
    assert out.shape == (2,) and shapely.area(out[1]) == pytest.approx(side * side, rel=1e-4)


def test_crs_from_a_string_and_empty_input():
    x, y, crs = to_metric(np.array([41.88]), np.array([-87.63]), "EPSG:32616")
    ex, ey = pyproj_xy(41.88, -87.63, "EPSG:32616")
    assert crs.to_epsg() == 32616 and x[0] == pytest.approx(ex) and y[0] == pytest.approx(ey)
    with pytest.raises(ValueError, match="no points"):
        to_metric(np.array([]), np.array([]))
