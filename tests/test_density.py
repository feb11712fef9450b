"""hotspots.density: binned FFT kernel density against exact sums, sklearn and hand values."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from sklearn.neighbors import KernelDensity

from hotspots import density as D
from hotspots.errors import InputError, ParameterError
from hotspots.projection import to_metric


def exact_surface(s: D.DensitySurface, x, y) -> np.ndarray:
    """Brute force: the kernel summed over every incident at every cell centre, per km²."""
    gx, gy = s.cell_centres()
    h = s.bandwidth
    out = np.zeros_like(gx)
    for xi, yi in zip(x, y, strict=True):
        d2 = (gx - xi) ** 2 + (gy - yi) ** 2
        if s.kernel == "quartic":
            out += np.where(d2 < h * h, 3 / (math.pi * h * h) * (1 - d2 / (h * h)) ** 2, 0.0)
        else:
            out += np.exp(-d2 / (2 * h * h)) / (2 * math.pi * h * h)
    return out * 1e6


def clustered_xy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = n // 3
    x = np.concatenate(
        [rng.normal(0, 150, k), rng.normal(900, 60, k), rng.uniform(-2000, 2000, n - 2 * k)]
    )
    y = np.concatenate(
        [rng.normal(0, 250, k), rng.normal(-700, 60, k), rng.uniform(-2000, 2000, n - 2 * k)]
    )
    return x, y


def incidents(lat, lon) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({"lat": np.asarray(lat, float), "lon": np.asarray(lon, float)})
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )


# -- hand-computed values ---------------------------------------------------------------------


def test_single_point_quartic_hand_values():
    h, c = 100.0, 8.0  # 25 cells across the padded extent: the point sits on a cell centre
    s = D.kde((np.array([0.0]), np.array([0.0])), bandwidth=h, cell=c, kernel="quartic")
    peak = 3 / (math.pi * h * h) * 1e6  # 95.49 incidents per km²
    r, col = np.unravel_index(np.argmax(s.values), s.shape)
    assert s.values[r, col] == pytest.approx(peak, rel=2e-3)
    # five cells (40 m) east: 3/(pi h²) (1 - 0.4²)²
    assert s.values[r, col + 5] == pytest.approx(peak * (1 - 0.16) ** 2, abs=0.01 * peak)
    # at the grid's edge, 12 cells (96 m) away: (1 - 0.96²)² of the peak
    assert col + 12 == s.shape[1] - 1
    assert s.values[r, col + 12] == pytest.approx(peak * (1 - 0.96**2) ** 2, abs=0.01 * peak)
    assert s.total() == pytest.approx(1.0, rel=0.01)


def test_single_point_gaussian_hand_values():
    h, c = 50.0, 16.0  # padded extent 400 m = 25 cells: the point sits on a cell centre
    s = D.kde((np.array([0.0]), np.array([0.0])), bandwidth=h, cell=c, kernel="gaussian")
    peak = 1 / (2 * math.pi * h * h) * 1e6
    r, col = np.unravel_index(np.argmax(s.values), s.shape)
    assert s.values[r, col] == pytest.approx(peak, rel=2e-3)
    # three cells (48 m) south: exp(-48² / 2h²) of the peak
    assert s.values[r + 3, col] == pytest.approx(peak * math.exp(-(48**2) / 5000), abs=0.01 * peak)
    assert s.total() == pytest.approx(1.0, rel=0.01)


# -- agreement with an exact kernel sum ------------------------------------------------------


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
@pytest.mark.parametrize("cells_per_bandwidth", [2.5, 5, 10])
def test_matches_brute_force_kernel_sum(kernel, cells_per_bandwidth):
    x, y = clustered_xy(300, seed=int(cells_per_bandwidth * 10))
    h = 250.0
    s = D.kde((x, y), bandwidth=h, cell=h / cells_per_bandwidth, kernel=kernel)
    ref = exact_surface(s, x, y)
    assert np.abs(s.values - ref).max() <= 0.01 * ref.max()
    assert s.total() == pytest.approx(len(x), rel=0.01)
    assert s.n == len(x)


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_isolated_point_anywhere_in_a_cell_within_one_percent(kernel):
    # the worst case of linear binning: one point, off the nodes (corner, edge, random)
    rng = np.random.default_rng(7)
    h, c = 200.0, 40.0
    offsets = [(0.5, 0.5), (0.5, 0.0), (0.25, 0.75)] + [tuple(rng.random(2)) for _ in range(5)]
    for fx, fy in offsets:
        x, y = np.array([fx * c]), np.array([fy * c])
        s = D.kde((x, y), bandwidth=h, cell=c, kernel=kernel, bounds=(-c, -c, 2 * c, 2 * c))
        ref = exact_surface(s, x, y)
        assert np.abs(s.values - ref).max() <= 0.01 * ref.max(), (fx, fy)


def test_gaussian_matches_sklearn_kernel_density():
    x, y = clustered_xy(400, seed=3)
    h = 200.0
    s = D.kde((x, y), bandwidth=h, cell=50.0, kernel="gaussian")
    gx, gy = s.cell_centres()
    skl = KernelDensity(kernel="gaussian", bandwidth=h).fit(np.column_stack([x, y]))
    ref = np.exp(skl.score_samples(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(s.shape)
    ref *= len(x) * 1e6  # probability density per m² -> incidents per km²
    assert np.abs(s.values - ref).max() <= 0.01 * ref.max()


# -- parameters ------------------------------------------------------------------------------


def test_default_bandwidth_square_by_hand():
    # four corners of a 100 m square: SD = Dm = 70.71 m; 0.9 * 70.71 * 4^-0.2 = 48.23 m
    x = np.array([0.0, 100.0, 0.0, 100.0])
    y = np.array([0.0, 0.0, 100.0, 100.0])
    assert D.default_bandwidth(x, y) == pytest.approx(0.9 * 70.710678 * 4**-0.2, rel=1e-6)


def test_default_bandwidth_uses_median_distance_with_outliers():
    # 4 points 10 m from the centre, 2 outliers 1 km away: SD = sqrt(2000400/6) = 577.4 m,
    # Dm = 10 m, sqrt(1/ln 2) * Dm = 12.01 m is the smaller -> h = 0.9 * 12.01 * 6^-0.2
    x = np.array([10.0, -10.0, 0.0, 0.0, 1000.0, -1000.0])
    y = np.array([0.0, 0.0, 10.0, -10.0, 0.0, 0.0])
    assert D.default_bandwidth(x, y) == pytest.approx(
        0.9 * math.sqrt(1 / math.log(2)) * 10.0 * 6**-0.2, rel=1e-9
    )


def test_default_bandwidth_needs_spread():
    with pytest.raises(ParameterError, match="bandwidth"):
        D.default_bandwidth(np.array([1.0]), np.array([1.0]))
    with pytest.raises(ParameterError, match="bandwidth"):
        D.default_bandwidth(np.zeros(5), np.zeros(5))


def test_defaults_rule_cell_and_extent():
    x, y = clustered_xy(500, seed=1)
    s = D.kde((x, y))
    h = D.default_bandwidth(x, y)
    assert s.bandwidth == pytest.approx(h) and s.bandwidth_rule == "arcgis-silverman"
    assert s.cell == pytest.approx(h / 5)
    xmin, ymin, xmax, ymax = s.bounds
    assert xmin <= x.min() - h and xmax >= x.max() + h  # padded by the bandwidth
    assert ymin <= y.min() - h and ymax >= y.max() + h
    assert s.total() == pytest.approx(500, rel=0.01)


def test_default_cell_capped_at_1000_per_side_and_half_the_bandwidth():
    x = np.array([0.0, 40_000.0, 25_000.0])
    y = np.array([0.0, 30_000.0, 1.0])
    s = D.kde((x, y), bandwidth=100.0)
    assert max(s.shape) <= 1000 and 100.0 / 5 < s.cell <= 100.0 / 2
    assert s.total() == pytest.approx(3, rel=0.01)


# -- the automatic cell follows the bandwidth; far-off calls are noted, never lost -------------


def city_with_outlier(km: float, n_city: int = 19, seed: int = 0) -> gpd.GeoDataFrame:
    """``n_city`` calls within about a kilometre in Turkestan and one ``km`` to the north."""
    rng = np.random.default_rng(seed)
    lat = np.r_[43.30 + rng.normal(0, 0.004, n_city), 43.30 + km / 111.2]
    lon = np.r_[68.25 + rng.normal(0, 0.004, n_city), 68.25]
    return incidents(lat, lon)


@pytest.mark.parametrize("km", [500, 2000])
def test_far_off_call_leaves_the_cell_at_a_fifth_of_the_bandwidth(km):
    # before: the cell grew with the extent (501 m, 2 km for a 250 m bandwidth), the kernel
    # fell between the nodes and twenty calls "integrated" to 28.4 and 771.6
    s = D.kde(city_with_outlier(km), bandwidth=250.0)
    assert s.cell == pytest.approx(50.0)
    assert (s.n, s.outliers, s.off_grid, s.n_input) == (19, 1, 0, 20)
    assert s.total() == pytest.approx(19, rel=0.005)
    assert s.total() + s.outliers == pytest.approx(20, rel=0.005)  # the totals add up
    assert s.outlier_distance_m == pytest.approx(km * 1000, rel=0.01)
    (line,) = s.notes()
    assert line.startswith("1 of 20 incidents lies ") and "left out of the surface" in line
    assert "the surface holds the other 19" in line


def test_call_50_km_away_stays_on_the_surface_with_a_fine_cell():
    s = D.kde(city_with_outlier(50), bandwidth=250.0)
    assert (s.n, s.outliers, s.notes()) == (20, 0, [])
    assert 50.0 <= s.cell <= 125.0
    assert s.total() == pytest.approx(20, rel=0.005)


@pytest.mark.parametrize("kernel", D.KERNELS)
@pytest.mark.parametrize("km", [30, 80, 300, 5000])
def test_total_is_the_calls_on_the_surface_whatever_the_outlier(km, kernel):
    s = D.kde(city_with_outlier(km, n_city=99, seed=3), bandwidth=150.0, kernel=kernel)
    assert s.cell <= 150.0 / 2
    assert s.n + s.outliers == 100
    assert s.total() == pytest.approx(s.n, rel=0.005)


def test_a_few_outliers_at_most_five_percent():
    x = np.r_[np.random.default_rng(1).normal(0, 300, 95), [400e3, -380e3, 0, 0, 9e5]]
    y = np.r_[np.random.default_rng(2).normal(0, 300, 95), [0, 0, 600e3, -700e3, 9e5]]
    s = D.kde((x, y), bandwidth=200.0)
    assert (s.n, s.outliers) == (95, 5) and s.notes()[0].startswith("5 of 100 incidents lie ")
    assert s.total() == pytest.approx(95, rel=0.005)
    with pytest.raises(ParameterError, match="bandwidth"):  # six of 100 are not "a few"
        D.kde((np.r_[x, 1e6], np.r_[y, -1e6]), bandwidth=200.0)


def test_too_small_bandwidth_error_names_the_bandwidth_not_the_cell():
    # a city 8 km across at a 5 m bandwidth: before, no error and a total of 3.6 for 20 calls
    rng = np.random.default_rng(4)
    x = np.r_[0.0, 8000.0, 0.0, 8000.0, rng.uniform(0, 8000, 16)]
    y = np.r_[0.0, 0.0, 7000.0, 7000.0, rng.uniform(0, 7000, 16)]
    with pytest.raises(ParameterError) as err:
        D.kde((x, y), bandwidth=5.0)
    msg = str(err.value)
    assert msg.startswith("bandwidth: 5 m is too small")
    assert "at least 17 m" in msg and "cell:" not in msg and "--" not in msg


def test_study_area_too_large_for_the_bandwidth_is_said():
    area = shapely.box(68.20, 43.25, 68.32, 43.33)  # about 9.7 x 8.9 km
    with pytest.raises(ParameterError, match=r"^bandwidth: 10 m .*the study area spans"):
        D.kde(incidents([43.3], [68.25]), bandwidth=10.0, bounds=area)


def test_gaussian_grid_padded_by_four_sigma():
    s = D.kde((np.array([0.0]), np.array([0.0])), bandwidth=100.0, kernel="gaussian")
    xmin, ymin, xmax, ymax = s.bounds
    assert xmin <= -400 and xmax >= 400 and ymin <= -400 and ymax >= 400


@pytest.mark.parametrize("bandwidth", [0, -5, 0.5, 2e5, float("nan"), "wide"])
def test_bandwidth_validated(bandwidth):
    with pytest.raises(ParameterError, match="bandwidth.*metres"):
        D.kde((np.array([0.0, 1.0]), np.array([0.0, 1.0])), bandwidth=bandwidth)


@pytest.mark.parametrize("cell", [0, 0.1, 150.0, "x"])
def test_cell_validated(cell):
    with pytest.raises(ParameterError, match="cell.*metres"):
        D.kde((np.array([0.0, 1.0]), np.array([0.0, 1.0])), bandwidth=100.0, cell=cell)


def test_too_large_grid_and_bad_kernel_and_bounds():
    xy = (np.array([0.0, 1e5]), np.array([0.0, 1e5]))
    with pytest.raises(ParameterError, match="cell"):
        D.kde(xy, bandwidth=10.0, cell=5.0)
    with pytest.raises(ParameterError, match="kernel"):
        D.kde(xy, bandwidth=10.0, kernel="epanechnikov")
    with pytest.raises(ParameterError, match="bounds"):
        D.kde(xy, bandwidth=10.0, bounds=(5, 5, 0, 0))
    with pytest.raises(ParameterError, match="crs"):
        D.kde(incidents([41.88], [-87.63]), bandwidth=10.0, bounds=(0, 0, 10, 10))
    with pytest.raises(InputError, match="lat"):
        D.kde(pd.DataFrame({"x": [1.0]}), bandwidth=10.0)
    with pytest.raises(InputError, match="no incidents"):
        D.kde(incidents([], []), bandwidth=10.0)


def test_metric_bounds_drop_points_off_the_grid():
    x = np.array([0.0, 100.0, 5000.0])
    y = np.array([0.0, 100.0, 5000.0])
    s = D.kde((x, y), bandwidth=50.0, cell=10.0, bounds=(-100, -100, 200, 200))
    assert s.n == 2
    assert s.total() == pytest.approx(2, rel=0.01)
    xmin, ymin, xmax, ymax = s.bounds
    assert xmin <= -150 and xmax >= 250 and xmax < 300


# -- lat/lon input, study area ---------------------------------------------------------------


def _city(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    lat = np.concatenate([41.88 + rng.normal(0, 0.003, n // 2), rng.uniform(41.84, 41.92, n // 2)])
    lon = np.concatenate(
        [-87.63 + rng.normal(0, 0.004, n // 2), rng.uniform(-87.68, -87.58, n // 2)]
    )
    return incidents(lat, lon)


def test_latlon_input_uses_local_crs_and_matches_metric_input():
    gdf = _city()
    s = D.kde(gdf, bandwidth=300.0, cell=60.0)
    assert s.crs.coordinate_operation.method_name == "Azimuthal Equidistant"
    x, y, _ = to_metric(gdf["lat"].to_numpy(), gdf["lon"].to_numpy(), s.crs)
    s2 = D.kde((x, y), bandwidth=300.0, cell=60.0, crs=s.crs)
    np.testing.assert_allclose(s.values, s2.values, atol=1e-9 * s.values.max())
    assert s.total() == pytest.approx(len(gdf), rel=0.01)


def test_study_area_polygon_sets_mask_and_top_area_reference():
    gdf = _city()
    area = shapely.box(-87.66, 41.86, -87.60, 41.90)
    s = D.kde(gdf, bandwidth=300.0, cell=60.0, bounds=area)
    assert s.area_mask is not None and s.area_mask.shape == s.shape
    lon, lat = s.cell_centres_lonlat()
    np.testing.assert_array_equal(s.area_mask, shapely.contains_xy(area, lon, lat))
    top = s.top_area_mask(0.1)
    assert top.sum() == round(0.1 * s.area_mask.sum())
    assert not (top & ~s.area_mask).any()
    # the densest: every kept value is >= every other value inside the area
    assert s.values[top].min() >= s.values[s.area_mask & ~top].max()


def test_top_area_mask_skips_zero_cells_and_validates():
    s = D.kde((np.array([0.0]), np.array([0.0])), bandwidth=100.0, cell=10.0)
    full = s.top_area_mask(1.0)
    assert full.sum() == (s.values > 0).sum()
    for bad in (0, -0.1, 1.5, "5%"):
        with pytest.raises(ParameterError, match="top_area"):
            s.top_area_mask(bad)


def test_contours_cover_the_top_area_and_count_incidents():
    gdf = _city()
    s = D.kde(gdf, bandwidth=300.0, cell=60.0)
    mask = s.top_area_mask(0.05)
    con = s.contours(0.05)
    assert con.crs.to_epsg() == 4326
    assert con["hotspot"].tolist() == list(range(1, len(con) + 1))
    assert con["incidents"].is_monotonic_decreasing
    assert con["area_km2"].sum() == pytest.approx(mask.sum() * s.cell_area_km2)
    assert con["incidents"].sum() == pytest.approx(s.values[mask].sum() * s.cell_area_km2)
    # measured on the metric CRS, the polygons' area is the masked cells' area
    metric = con.to_crs(s.crs)
    assert metric.area.sum() / 1e6 == pytest.approx(mask.sum() * s.cell_area_km2, rel=1e-6)
    # the densest cell's centre lies in hotspot 1
    lon, lat = s.cell_centres_lonlat()
    r, c = np.unravel_index(np.argmax(s.values), s.shape)
    assert con.geometry.iloc[0].contains(shapely.Point(lon[r, c], lat[r, c]))
    assert con["peak"].iloc[0] == pytest.approx(s.values.max())


def test_contours_empty_when_nothing_is_dense():
    s = D.kde((np.array([0.0]), np.array([0.0])), bandwidth=100.0, cell=10.0, crs="EPSG:32616")
    empty = D.DensitySurface(
        values=np.zeros((3, 3)),
        x0=0.0,
        y0=0.0,
        cell=1.0,
        crs=s.crs,
        bandwidth=1.0,
        kernel="quartic",
        n=0,
    )
    con = empty.contours(0.05)
    assert len(con) == 0 and "hotspot" in con.columns


def test_value_at_cell_centres_and_off_grid():
    gdf = _city(800)
    s = D.kde(gdf, bandwidth=300.0, cell=60.0)
    lon, lat = s.cell_centres_lonlat()
    pick = (slice(5, 40, 7), slice(3, 50, 9))
    got = s.value_at(lat[pick].ravel(), lon[pick].ravel())
    np.testing.assert_allclose(got, s.values[pick].ravel(), atol=1e-6 * s.values.max())
    assert math.isnan(s.value_at(0.0, 0.0))
    assert isinstance(s.value_at(float(lat[10, 10]), float(lon[10, 10])), float)


def test_geotiff_round_trip(tmp_path):
    gdf = _city(800)
    s = D.kde(gdf, bandwidth=300.0, cell=60.0)
    path = s.to_geotiff(tmp_path / "density.tif")
    with rasterio.open(path) as src:
        data = src.read(1)
        assert src.count == 1 and data.dtype == np.float32 and data.shape == s.shape
        np.testing.assert_allclose(data, s.values, rtol=1e-6, atol=1e-6)
        assert src.tags()["units"] == "incidents per km2"
        assert float(src.tags()["bandwidth_m"]) == pytest.approx(300.0)
        # the file's CRS and transform put the pixel centres where the surface says
        rows, cols = np.array([0, 7, s.shape[0] - 1]), np.array([0, 11, s.shape[1] - 1])
        xs, ys = rasterio.transform.xy(src.transform, rows, cols)
        tr = Transformer.from_crs(src.crs.to_wkt(), "EPSG:4326", always_xy=True)
        flon, flat = tr.transform(np.asarray(xs), np.asarray(ys))
    lon, lat = s.cell_centres_lonlat()
    np.testing.assert_allclose(flon, lon[rows, cols], atol=1e-8)
    np.testing.assert_allclose(flat, lat[rows, cols], atol=1e-8)
    with pytest.raises(InputError, match="tif"):
        s.to_geotiff(tmp_path / "density.png")


def test_surface_without_crs_cannot_be_placed():
    s = D.kde((np.array([0.0, 10.0]), np.array([0.0, 5.0])), bandwidth=100.0)
    assert s.crs is None
    with pytest.raises(ParameterError, match="crs"):
        s.cell_centres_lonlat()


# -- building blocks -------------------------------------------------------------------------


def test_linear_binning_by_hand():
    # nodes at x = 0, 10, 20 and y = 0, -10; a point at (5, -5) shares 1/4 with four nodes,
    # a point at (20, 0) lands on a node, a point beyond the edge goes to the edge node
    out = D.linear_binning(
        np.array([5.0, 20.0, 35.0]), np.array([-5.0, 0.0, 0.0]), 0.0, 0.0, 10.0, (2, 3)
    )
    expected = np.array([[0.25, 0.25, 2.0], [0.25, 0.25, 0.0]])
    np.testing.assert_allclose(out, expected)


def test_linear_binning_interior_points_match_add_at_reference():
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0.0, 89.9, 2000), rng.uniform(-69.9, 0.0, 2000)  # nodes 0..90, 0..-70
    out = D.linear_binning(x, y, 0.0, 0.0, 10.0, (8, 10))
    ref = np.zeros((8, 10))
    fx, fy = x / 10.0, -y / 10.0
    ix, iy = np.floor(fx).astype(int), np.floor(fy).astype(int)
    tx, ty = fx - ix, fy - iy
    np.add.at(ref, (iy, ix), (1 - tx) * (1 - ty))
    np.add.at(ref, (iy, ix + 1), tx * (1 - ty))
    np.add.at(ref, (iy + 1, ix), (1 - tx) * ty)
    np.add.at(ref, (iy + 1, ix + 1), tx * ty)
    np.testing.assert_allclose(out, ref, atol=1e-12)
    assert out.sum() == pytest.approx(2000)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000)), min_size=1, max_size=60),
    st.sampled_from(["quartic", "gaussian"]),
)
def test_property_integral_and_row_order(points, kernel):
    x, y = (np.array(v) for v in zip(*points, strict=True))
    s = D.kde((x, y), bandwidth=200.0, cell=50.0, kernel=kernel)
    assert s.total() == pytest.approx(len(x), rel=0.01)
    assert (s.values >= 0).all()
    order = np.random.default_rng(0).permutation(len(x))
    s2 = D.kde((x[order], y[order]), bandwidth=200.0, cell=50.0, kernel=kernel)
    np.testing.assert_allclose(s.values, s2.values, atol=1e-9 * max(s.values.max(), 1))


# -- the command line ------------------------------------------------------------------------


def test_cli_density_counts_the_far_off_call_in_a_note(capsys, tmp_path):
    from cli_support import run

    calls = city_with_outlier(500)
    path = tmp_path / "calls.csv"
    pd.DataFrame(
        {
            "id": range(20),
            "lat": calls["lat"],
            "lon": calls["lon"],
            "date": "2021-05-01 10:00",
            "type": "theft",
        }
    ).to_csv(path, index=False)
    code, out, err = run(capsys, "density", path, "--bandwidth", "250")
    assert code == 0
    assert "density: 19 of 20 incidents" in out and "cell 50.0 m" in out and "total 19.0" in out
    assert "note: 1 of 20 incidents lies 49" in err and "left out of the surface" in err


def test_cli_density_error_names_only_the_bandwidth(capsys, tmp_path, monkeypatch):
    from cli_support import run

    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "density", "--sample", "--bandwidth", "5")
    assert code == 2 and out == ""
    assert err.startswith("error: bandwidth: 5 m is too small") and "at least" in err
    assert "--cell" not in err and "cell:" not in err and len(err.strip().splitlines()) == 1
