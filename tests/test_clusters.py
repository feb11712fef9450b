"""DBSCAN / HDBSCAN labels and cluster summaries (hotspots.clusters)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import DBSCAN, HDBSCAN
from sklearn.metrics import adjusted_rand_score

from benchmarks.synthetic import make_incidents
from hotspots.clusters import (
    SUMMARY_COLUMNS,
    dbscan_labels,
    hdbscan_labels,
    summarize_clusters,
)
from hotspots.errors import InputError, ParameterError
from hotspots.projection import haversine_m, to_metric
from hotspots.schema import EARTH_RADIUS_M

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CHICAGO = DATA / "chicago_cpd_2017_2019" / "chicago_crimes_2017_2019_sample25k.csv"
MANCHESTER = DATA / "uk_manchester_merseyside" / "gmp_burglary_2016_2019.csv"

LAT0, LON0 = 43.30, 68.25
M_PER_DEG = np.pi * EARTH_RADIUS_M / 180.0  # metres per degree of latitude on the sphere


def offsets(north_m, east_m=None):
    """(lat, lon) of points at given metres north/east of (LAT0, LON0), on the sphere."""
    north_m = np.asarray(north_m, dtype=float)
    east_m = np.zeros_like(north_m) if east_m is None else np.asarray(east_m, dtype=float)
    lat = LAT0 + north_m / M_PER_DEG
    lon = LON0 + east_m / (M_PER_DEG * np.cos(np.radians(LAT0)))
    return lat, lon


def frame(lat, lon, offense=None, year=None) -> gpd.GeoDataFrame:
    """A minimal canonical incident table from coordinates."""
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    n = len(lat)
    return gpd.GeoDataFrame(
        {
            "incident_id": [str(i + 1) for i in range(n)],
            "offense": offense if offense is not None else ["theft"] * n,
            "year": pd.array(year if year is not None else [2020] * n, dtype="Int64"),
            "lat": lat,
            "lon": lon,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def sklearn_haversine(lat, lon, eps, k):
    """The reference: scikit-learn's haversine ball-tree DBSCAN on radians."""
    model = DBSCAN(eps=eps / EARTH_RADIUS_M, min_samples=k, metric="haversine")
    return model.set_params(algorithm="ball_tree").fit_predict(np.radians(np.c_[lat, lon]))


# two lines of points 10 m apart (5 and 3 points, 500 m apart) and two far outliers
LINE_A = np.array([0.0, 10, 20, 30, 40])
LINE_B = 500.0 + np.array([0.0, 10, 20])
OUTLIERS = np.array([-1000.0, 2000.0])
HAND = np.concatenate([LINE_A, LINE_B, OUTLIERS])


@pytest.mark.parametrize(
    ("eps", "k", "expected"),
    [
        # 15 m: interior points have 3 within reach (themselves + 2), ends 2 -> ends are border
        (15, 3, [0, 0, 0, 0, 0, 1, 1, 1, -1, -1]),
        # nobody has 4 within 15 m
        (15, 4, [-1] * 10),
        # 25 m: line A's interior has 4-5, its ends 3 (border); line B's middle only 3
        (25, 4, [0, 0, 0, 0, 0, -1, -1, -1, -1, -1]),
        # 9 m: nobody reaches anybody
        (9, 2, [-1] * 10),
        # min_samples 1: every point is core; lines are clusters, outliers single clusters
        (15, 1, [0, 0, 0, 0, 0, 1, 1, 1, 2, 3]),
    ],
)
def test_hand_computed_lines(eps, k, expected):
    lat, lon = offsets(HAND)
    assert dbscan_labels(np.c_[lat, lon], eps=eps, min_samples=k).tolist() == expected


def test_single_point_clusters_are_numbered_by_position():
    # two single-point clusters (min_samples 1): same size, the west-most point gets id 0
    lat, lon = offsets([0.0, 0.0], [300.0, -300.0])
    assert dbscan_labels(np.c_[lat, lon], eps=10, min_samples=1).tolist() == [1, 0]


@pytest.mark.parametrize(("eps", "expected_single"), [(5, -1), (15, 0)])
def test_duplicates_count_as_incidents(eps, expected_single):
    # five incidents snapped to one point (core with min_samples 5) and one 10 m away
    lat, lon = offsets([0, 0, 0, 0, 0, 10])
    labels = dbscan_labels(np.c_[lat, lon], eps=eps, min_samples=5)
    assert labels[:5].tolist() == [0] * 5
    assert labels[5] == expected_single


def test_four_duplicates_are_not_core_for_min_samples_five():
    lat, lon = offsets([0, 0, 0, 0, 200])
    assert dbscan_labels(np.c_[lat, lon], eps=50, min_samples=5).tolist() == [-1] * 5


def test_border_point_joins_its_nearest_core_cluster():
    # A: 15 points at 0-28 m, B: 15 points at 60-88 m (2 m apart: all core for eps 20, k 7).
    # P at 45 m has A's 26, 28 and B's 60, 62, 64 within 20 m: 6 < 7, so P is a border point
    # of both; its nearest core point is B's 60 (15 m, against 17 m for A's 28).
    north = np.r_[np.arange(0, 30, 2.0), np.arange(60, 90, 2.0), 45.0]
    lat, lon = offsets(north)
    labels = dbscan_labels(np.c_[lat, lon], eps=20, min_samples=7)
    # B with P has 16 incidents -> cluster 0; A has 15 -> cluster 1
    assert labels.tolist() == [1] * 15 + [0] * 15 + [0]


@pytest.mark.parametrize("form", ["array", "frame", "geometry_only_3857"])
def test_input_forms_agree(form):
    g = make_incidents(800, seed=3)
    expected = dbscan_labels(np.c_[g["lat"], g["lon"]], eps=150, min_samples=5)
    if form == "array":
        arg = np.c_[g["lat"], g["lon"]]
    elif form == "frame":
        arg = g
    else:
        arg = gpd.GeoDataFrame(geometry=g.geometry.to_crs(3857))
    labels = dbscan_labels(arg, eps=150, min_samples=5)
    assert adjusted_rand_score(expected, labels) == 1.0
    if form != "geometry_only_3857":  # 3857 round trip may move points by nanometres
        assert labels.tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("n", "seed", "eps", "k"),
    [(3000, 0, 100, 10), (3000, 1, 250, 25), (4000, 2, 50, 4), (2000, 3, 1000, 100)],
)
def test_equals_sklearn_haversine_on_synthetic(n, seed, eps, k):
    g = make_incidents(n, seed=seed)
    ref = sklearn_haversine(g["lat"], g["lon"], eps, k)
    ours = dbscan_labels(g, eps=eps, min_samples=k)
    assert adjusted_rand_score(ref, ours) >= 0.99
    assert ours.max() == ref.max()  # same number of clusters
    assert np.mean((ours == -1) != (ref == -1)) < 0.001  # same noise points


def test_equals_sklearn_with_heavy_ties():
    # 60 distinct snap points carrying 3000 incidents (like data.police.uk)
    rng = np.random.default_rng(7)
    north, east = rng.normal(0, 300, 60), rng.normal(0, 300, 60)
    pick = rng.integers(0, 60, 3000)
    lat, lon = offsets(north[pick], east[pick])
    ref = sklearn_haversine(lat, lon, 120, 40)
    ours = dbscan_labels(np.c_[lat, lon], eps=120, min_samples=40)
    assert adjusted_rand_score(ref, ours) >= 0.99
    assert ((ours == -1) == (ref == -1)).all()


@pytest.mark.skipif(not CHICAGO.exists(), reason=f"real data absent: {CHICAGO}")
@pytest.mark.parametrize(("eps", "k"), [(150, 15)])
def test_equals_sklearn_haversine_on_chicago(eps, k):
    d = pd.read_csv(CHICAGO, usecols=["latitude", "longitude"]).dropna()
    ref = sklearn_haversine(d["latitude"], d["longitude"], eps, k)
    ours = dbscan_labels(d.to_numpy()[:, :2], eps=eps, min_samples=k)
    assert adjusted_rand_score(ref, ours) >= 0.99
    assert ((ours == -1) != (ref == -1)).sum() <= 2


@pytest.mark.skipif(not MANCHESTER.exists(), reason=f"real data absent: {MANCHESTER}")
def test_equals_sklearn_haversine_on_manchester_snapped_points():
    d = pd.read_csv(MANCHESTER, usecols=["Latitude", "Longitude"], nrows=15_000)
    assert d.duplicated().mean() > 0.3  # the ties this test is about
    ref = sklearn_haversine(d["Latitude"], d["Longitude"], 150, 30)
    ours = dbscan_labels(d[["Latitude", "Longitude"]].to_numpy(), eps=150, min_samples=30)
    assert adjusted_rand_score(ref, ours) >= 0.99
    assert ((ours == -1) != (ref == -1)).sum() <= 2


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two labelings group the points identically (ids may differ)."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 80), st.integers(0, 80)), min_size=1, max_size=80),
    st.sampled_from([5.5, 10.5, 20.5, 45.5]),
    st.integers(1, 9),
)
def test_exactly_sklearn_on_core_points_and_valid_borders(xy, eps, k):
    # points on a 1 m lattice (with duplicates): no pair is within ~1 cm of eps
    north, east = np.array(xy, dtype=float).T
    lat, lon = offsets(north, east)
    ref_model = DBSCAN(eps=eps / EARTH_RADIUS_M, min_samples=k, metric="haversine")
    ref = ref_model.set_params(algorithm="ball_tree").fit_predict(np.radians(np.c_[lat, lon]))
    ours = dbscan_labels(np.c_[lat, lon], eps=eps, min_samples=k)
    core = np.zeros(len(ref), dtype=bool)
    core[ref_model.core_sample_indices_] = True
    assert ((ours == -1) == (ref == -1)).all()
    assert same_partition(ours[core], ref[core])
    # a border point carries the label of some core point within eps
    d = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    for i in np.flatnonzero(~core & (ours >= 0)):
        near_core = core & (d[i] <= eps)
        assert ours[i] in set(ours[near_core].tolist())


def test_clusters_are_numbered_by_decreasing_size():
    g = make_incidents(3000, seed=4)
    labels = dbscan_labels(g, eps=150, min_samples=10)
    sizes = np.bincount(labels[labels >= 0])
    assert len(sizes) > 3
    assert (np.diff(sizes) <= 0).all()


_SHUFFLE_DATA = make_incidents(600, seed=11)
_SHUFFLE_LL = np.r_[
    np.c_[_SHUFFLE_DATA["lat"], _SHUFFLE_DATA["lon"]],
    np.c_[_SHUFFLE_DATA["lat"][:80], _SHUFFLE_DATA["lon"][:80]],
]  # with 80 exact duplicates
_SHUFFLE_REF = dbscan_labels(_SHUFFLE_LL, eps=300, min_samples=6)


@settings(max_examples=20, deadline=None)
@given(st.permutations(range(len(_SHUFFLE_LL))))
def test_dbscan_is_invariant_to_row_order(perm):
    perm = np.asarray(perm)
    labels = dbscan_labels(_SHUFFLE_LL[perm], eps=300, min_samples=6)
    assert labels.tolist() == _SHUFFLE_REF[perm].tolist()


@settings(max_examples=10, deadline=None)
@given(st.permutations(range(len(_SHUFFLE_LL))))
def test_hdbscan_is_invariant_to_row_order(perm):
    perm = np.asarray(perm)
    ref = hdbscan_labels(_SHUFFLE_LL, min_cluster_size=15)
    labels = hdbscan_labels(_SHUFFLE_LL[perm], min_cluster_size=15)
    assert labels.tolist() == ref[perm].tolist()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"eps": 0, "min_samples": 5}, "eps"),
        ({"eps": -10, "min_samples": 5}, "eps"),
        ({"eps": float("nan"), "min_samples": 5}, "eps"),
        ({"eps": "far", "min_samples": 5}, "eps"),
        ({"eps": 50, "min_samples": 0}, "min_samples"),
        ({"eps": 50, "min_samples": 2.5}, "min_samples"),
    ],
)
def test_bad_parameters_name_themselves(kwargs, match):
    lat, lon = offsets(LINE_A)
    with pytest.raises(ParameterError, match=match):
        dbscan_labels(np.c_[lat, lon], **kwargs)


def test_bad_coordinates_are_input_errors():
    with pytest.raises(InputError, match="no coordinates"):
        dbscan_labels(np.array([[43.3, 68.2], [np.nan, 68.2]]), eps=50, min_samples=2)
    with pytest.raises(InputError, match="out of range"):
        dbscan_labels(np.array([[4_000_000.0, 500_000.0]]), eps=50, min_samples=2)
    with pytest.raises(ParameterError, match="lat, lon"):
        dbscan_labels(np.array([43.3, 68.2, 1.0]), eps=50, min_samples=2)


def test_empty_input_gives_no_labels():
    assert dbscan_labels(np.empty((0, 2)), eps=50, min_samples=2).shape == (0,)
    assert hdbscan_labels(np.empty((0, 2)), min_cluster_size=5).shape == (0,)


# --- HDBSCAN ---------------------------------------------------------------------------------
def test_hdbscan_hand_case_two_groups():
    lat, lon = offsets(np.r_[[0, 5, 10, 15, 20], 3000 + np.r_[0, 5, 10]], None)
    labels = hdbscan_labels(np.c_[lat, lon], min_cluster_size=3)
    assert labels.tolist() == [0, 0, 0, 0, 0, 1, 1, 1]


@pytest.mark.parametrize(("mcs", "ms"), [(20, None), (30, 5)])
def test_hdbscan_equals_sklearn_on_projected_points(mcs, ms):
    g = make_incidents(2000, seed=8)
    x, y, _ = to_metric(g["lat"].to_numpy(), g["lon"].to_numpy(), sphere=True)
    ref = HDBSCAN(min_cluster_size=mcs, min_samples=ms, copy=True).fit_predict(np.c_[x, y])
    ours = hdbscan_labels(g, min_cluster_size=mcs, min_samples=ms)
    assert adjusted_rand_score(ref, ours) >= 0.99
    assert ours.max() == ref.max()


def test_hdbscan_too_few_points_is_all_noise_and_bad_size_is_an_error():
    lat, lon = offsets([0, 10, 20])
    assert hdbscan_labels(np.c_[lat, lon], min_cluster_size=5).tolist() == [-1, -1, -1]
    with pytest.raises(ParameterError, match="min_cluster_size"):
        hdbscan_labels(np.c_[lat, lon], min_cluster_size=1)


# --- summaries ---------------------------------------------------------------------------------
def test_summary_counts_sum_and_outlines_contain_their_points():
    g = make_incidents(3000, seed=9)
    labels = dbscan_labels(g, eps=150, min_samples=10)
    s = summarize_clusters(g, labels)
    assert list(s.columns) == list(SUMMARY_COLUMNS)
    assert s.crs.to_epsg() == 4326
    assert s["n_incidents"].sum() == (labels >= 0).sum()
    assert s["cluster"].tolist() == list(range(labels.max() + 1))
    assert s["n_incidents"].tolist() == np.bincount(labels[labels >= 0]).tolist()
    for row in s.itertuples():  # a handful of clusters: check each outline
        pts = g[labels == row.cluster]
        assert shapely.contains_xy(row.geometry, pts["lon"], pts["lat"]).all()
        assert row.geometry.geom_type == "Polygon"
    assert (s["density_per_km2"] == s["n_incidents"] / (s["area_m2"] / 1e6)).all()


def test_summary_of_a_square_by_hand():
    # four corners of a 100 m square (and one far noise point); buffer 10 m
    lat, lon = offsets([0, 0, 100, 100, 5000], [0, 100, 0, 100, 0])
    g = frame(
        lat, lon, ["fight", "fight", "theft", "hooliganism", "x"], [2019, 2021, 2019, 2020, 2018]
    )
    s = summarize_clusters(g, np.array([0, 0, 0, 0, -1]), buffer_m=10)
    assert len(s) == 1
    row = s.iloc[0]
    # square + four 100 x 10 strips + four quarter discs (polygonised circle, 32 segments)
    circle = 0.5 * 32 * 10**2 * np.sin(2 * np.pi / 32)
    assert row["area_m2"] == pytest.approx(100 * 100 + 4 * 100 * 10 + circle, rel=1e-4)
    assert row["density_per_km2"] == pytest.approx(4 / (row["area_m2"] / 1e6))
    c_lat, c_lon = offsets([50.0], [50.0])
    assert haversine_m(row["centroid_lat"], row["centroid_lon"], c_lat[0], c_lon[0]) < 0.01
    assert row["top_offenses"] == "fight 50%, hooliganism 25%, theft 25%"
    assert row["years"] == "2019-2021"
    assert row["venues"] == "" and np.isnan(row["venue_share"])


def test_summary_years_with_gaps_and_top_three_offenses():
    lat, lon = offsets(np.arange(10.0))
    offense = ["hooliganism"] * 4 + ["fight"] * 3 + ["theft"] * 2 + ["other"]
    g = frame(lat, lon, offense, [2017] * 5 + [2019] * 5)
    s = summarize_clusters(g, np.zeros(10, dtype=int))
    assert s.loc[0, "top_offenses"] == "hooliganism 40%, fight 30%, theft 20%"
    assert s.loc[0, "years"] == "2017,2019"


def venue_table(names, north, east):
    lat, lon = offsets(north, east)
    return gpd.GeoDataFrame(
        {
            "venue_id": [f"v{i}" for i in range(len(names))],
            "name": names,
            "kind": ["bar"] * len(names),
            "lat": lat,
            "lon": lon,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def test_summary_venues_inside_nearest_and_share():
    # cluster 0: 10 points along 0-90 m north; a bar at 20 m, a cafe at 80 m inside it.
    # cluster 1: 4 points at 1000-1030 m north; nearest venue (pub) 200 m east of 1000 m.
    north = np.r_[np.arange(0, 100, 10.0), 1000 + np.arange(0, 40, 10.0)]
    lat, lon = offsets(north)
    g = frame(lat, lon)
    venues = venue_table(["Bar", "Cafe", "Pub"], [20.0, 80.0, 1000.0], [3.0, 3.0, 200.0])
    labels = np.r_[np.zeros(10, int), np.ones(4, int)]
    s = summarize_clusters(g, labels, venues, buffer_m=25, venue_radius_m=12)
    # within 12 m: points at 10, 20, 30 m (Bar) and 70, 80, 90 m (Cafe): 3 each -> tie by name
    assert s.loc[0, "venues"] == "Bar; Cafe"
    assert s.loc[0, "n_venues"] == 2 and s.loc[0, "nearest_venue_m"] == 0
    assert s.loc[0, "venue_share"] == pytest.approx(6 / 10)
    # the pub is 200 m from the line, 175 m from its 25 m buffer
    assert s.loc[1, "n_venues"] == 0
    assert s.loc[1, "nearest_venue_m"] == pytest.approx(175, abs=0.5)
    assert s.loc[1, "venues"] == "Pub (175 m)"
    assert s.loc[1, "venue_share"] == 0


def test_summary_lists_busiest_venues_first_and_caps_the_list():
    north = np.arange(0, 100, 1.0)
    lat, lon = offsets(north)
    g = frame(lat, lon)
    vn = np.array([5.0, 20.0, 35.0, 50.0, 65.0, 80.0, 99.0])  # uneven catchments at the ends
    venues = venue_table([f"V{i}" for i in range(7)], vn, np.zeros(7))
    s = summarize_clusters(g, np.zeros(100, int), venues, venue_radius_m=7.5, max_venue_names=3)
    # independent count: each call's nearest venue along the line, if within 7.5 m
    d = np.abs(north[:, None] - vn[None, :])
    calls = np.bincount(np.argmin(d, axis=1)[d.min(axis=1) <= 7.5], minlength=7)
    order = sorted(range(7), key=lambda v: (-calls[v], f"V{v}"))
    assert calls[6] < calls[0] < calls[1]  # the data really is uneven
    assert s.loc[0, "venues"] == "; ".join(f"V{v}" for v in order[:3]) + " (+4 more)"
    assert s.loc[0, "n_venues"] == 7


def test_summary_of_only_noise_is_empty_with_the_columns():
    lat, lon = offsets([0.0, 500.0])
    s = summarize_clusters(frame(lat, lon), np.array([-1, -1]))
    assert len(s) == 0 and list(s.columns) == list(SUMMARY_COLUMNS)


def test_summary_rejects_misaligned_labels_and_bad_buffer():
    lat, lon = offsets([0.0, 10.0])
    with pytest.raises(ParameterError, match="labels"):
        summarize_clusters(frame(lat, lon), np.array([0]))
    with pytest.raises(ParameterError, match="buffer_m"):
        summarize_clusters(frame(lat, lon), np.array([0, 0]), buffer_m=0)
