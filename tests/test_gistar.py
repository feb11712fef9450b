"""Getis-Ord Gi*: hand-computed cases, the esda oracle, FDR, bins, permutations, H3 cells."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from hotspots.errors import ParameterError
from hotspots.gistar import bh_adjust, confidence_bins, gistar, gistar_z

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")


def chain_weights(n: int) -> sp.csr_matrix:
    """Cells on a line, each neighbouring itself and the next/previous cell."""
    return sp.diags([np.ones(n - 1), np.ones(n), np.ones(n - 1)], [-1, 0, 1], format="csr")


def lattice_weights(rows: int, cols: int, *, queen: bool = True) -> sp.csr_matrix:
    """Binary lattice contiguity plus the diagonal (a k = 1 ring on a square grid)."""
    w = libpysal.weights.lat2W(rows, cols, rook=not queen)
    return (w.sparse + sp.identity(rows * cols)).tocsr()


def esda_oracle(y: np.ndarray, w: sp.csr_matrix):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wobj = libpysal.weights.WSP(w).to_W(silence_warnings=True)
        return esda.G_Local(y, wobj, star=True, transform="B", permutations=0)


# hand-computed ------------------------------------------------------------------------------
def test_four_cells_on_a_line_by_hand():
    # x = 5, 4, 0, 0; xbar = 2.25; S^2 = (25 + 16)/4 - 2.25^2 = 5.1875
    # cell 0: lag 9, W = 2, sum w^2 = 2 -> (9 - 4.5) / (S sqrt((4*2 - 4)/3))
    # cell 1: lag 9, W = 3 -> (9 - 6.75) / (S sqrt((12 - 9)/3)) = 2.25 / S
    s = np.sqrt(5.1875)
    expected = [
        4.5 / (s * np.sqrt(4 / 3)),
        2.25 / s,
        (4 - 6.75) / s,
        (0 - 4.5) / (s * np.sqrt(4 / 3)),
    ]
    res = gistar([5, 4, 0, 0], chain_weights(4))
    np.testing.assert_allclose(res["z"], expected, rtol=1e-12)
    np.testing.assert_allclose(res["p"], 2 * stats.norm.sf(np.abs(expected)), rtol=1e-12)
    assert list(res.columns) == ["z", "p", "p_fdr", "bin"]


def test_weighted_formula_by_hand():
    # non-binary weights: cell 0 weights itself 1 and cell 1 by 0.5
    w = sp.csr_matrix(np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]))
    x = np.array([4.0, 2.0, 0.0])  # xbar 2, S^2 = 20/3 - 4 = 8/3
    s = np.sqrt(8 / 3)
    # cell 0: lag 5, W 1.5, sum w^2 1.25 -> (5 - 3) / (S sqrt((3*1.25 - 2.25)/2))
    z0 = 2 / (s * np.sqrt((3.75 - 2.25) / 2))
    assert gistar_z(x, w)[0] == pytest.approx(z0, rel=1e-12)


def test_constant_counts_give_no_hot_spot():
    res = gistar([3, 3, 3, 3], chain_weights(4))
    assert (res["z"] == 0).all() and (res["p"] == 1).all() and (res["bin"] == 0).all()


# esda oracle --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rows", "cols", "queen", "seed"),
    [(10, 10, True, 0), (15, 8, False, 1), (20, 20, True, 2), (7, 31, True, 3)],
)
def test_matches_esda_on_random_grids(rows, cols, queen, seed):
    rng = np.random.default_rng(seed)
    w = lattice_weights(rows, cols, queen=queen)
    # sparse, clustered counts: many zeros plus a few hot spots
    y = rng.poisson(0.4, rows * cols).astype(float)
    y[rng.integers(0, rows * cols, 5)] += rng.integers(5, 30, 5)
    ref = esda_oracle(y, w)
    res = gistar(y, w)
    np.testing.assert_allclose(res["z"], ref.Zs, atol=1e-9, rtol=0)
    # esda's p_norm is one-sided (norm.sf(|z|)); ours is two-sided
    np.testing.assert_allclose(res["p"], 2 * ref.p_norm, atol=1e-9, rtol=0)


def test_matches_esda_on_irregular_weights():
    rng = np.random.default_rng(7)
    n = 300
    a = sp.random(n, n, density=0.02, random_state=7, format="csr")
    a = ((a + a.T) > 0).astype(float).tolil()
    a.setdiag(1.0)
    w = a.tocsr()
    y = rng.negative_binomial(1, 0.3, n).astype(float)
    ref = esda_oracle(y, w)
    np.testing.assert_allclose(gistar(y, w)["z"], ref.Zs, atol=1e-9, rtol=0)


# FDR and bins -------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=60))
def test_bh_adjust_matches_scipy(p):
    p = np.array(p)
    np.testing.assert_allclose(
        bh_adjust(p), stats.false_discovery_control(p, method="bh"), rtol=1e-12, atol=1e-15
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=40),
    st.sampled_from([0.01, 0.05, 0.1]),
)
def test_bh_adjust_rejects_what_the_step_up_procedure_rejects(p, alpha):
    p = np.array(p)
    m = p.size
    srt = np.sort(p)
    passing = np.flatnonzero(srt <= alpha * np.arange(1, m + 1) / m)
    cutoff = srt[passing.max()] if passing.size else -1.0
    np.testing.assert_array_equal(bh_adjust(p) <= alpha, p <= cutoff)


def test_bh_adjust_by_hand_and_nan():
    # sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.06, 0.0533, 0.5 -> running min from the end
    out = bh_adjust(np.array([0.01, 0.04, 0.03, np.nan, 0.5]))
    np.testing.assert_allclose(out[[0, 1, 2, 4]], [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])
    assert np.isnan(out[3])


@pytest.mark.parametrize(
    ("z", "p", "expected"),
    [
        (2.7, 0.007, 3),
        (-2.7, 0.007, -3),
        (2.0, 0.0455, 2),
        (-2.0, 0.0455, -2),
        (1.7, 0.089, 1),
        (-1.7, 0.089, -1),
        (1.6, 0.11, 0),
        (0.0, 1.0, 0),
        (1.0, np.nan, 0),
        (3.0, 0.01, 3),  # boundaries are inclusive
        (2.0, 0.05, 2),
        (1.0, 0.10, 1),
    ],
)
def test_confidence_bins(z, p, expected):
    assert confidence_bins(np.array([z]), np.array([p]))[0] == expected


def test_bins_use_fdr_only_when_asked():
    rng = np.random.default_rng(5)
    w = lattice_weights(12, 12)
    y = rng.poisson(0.5, 144).astype(float)
    y[[30, 31, 42, 43]] += 12  # one hot spot
    plain = gistar(y, w)
    adj = gistar(y, w, fdr=True)
    np.testing.assert_array_equal(plain["bin"], confidence_bins(plain["z"], plain["p"]))
    np.testing.assert_array_equal(adj["bin"], confidence_bins(adj["z"], adj["p_fdr"]))
    # the correction only ever removes significance
    assert (np.abs(adj["bin"]) <= np.abs(plain["bin"])).all()
    assert (np.abs(adj["bin"]) < np.abs(plain["bin"])).any()
    assert adj.loc[[30, 31, 42, 43], "bin"].min() == 3


# permutations -------------------------------------------------------------------------------
def test_permutations_are_reproducible_and_agree_with_esda():
    rng = np.random.default_rng(11)
    w = lattice_weights(15, 15)
    y = rng.poisson(1.0, 225).astype(float)
    y[[100, 101, 115, 116]] += 10
    a = gistar(y, w, permutations=499, seed=3)
    b = gistar(y, w, permutations=499, seed=3)
    c = gistar(y, w, permutations=499, seed=4)
    np.testing.assert_array_equal(a["p_sim"], b["p_sim"])
    assert not np.array_equal(a["p_sim"], c["p_sim"])
    assert list(a.columns) == ["z", "p", "p_sim", "p_fdr", "bin"]
    np.testing.assert_array_equal(a["p_fdr"], bh_adjust(a["p_sim"].to_numpy()))
    # the hot cells are as extreme as p_sim can be: no permutation beats them
    assert a.loc[[100, 101, 115, 116], "p_sim"].max() == pytest.approx(2 / 500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wobj = libpysal.weights.WSP(w).to_W(silence_warnings=True)
        ref = esda.G_Local(y, wobj, star=True, transform="B", permutations=499, seed=3)
    # different random draws, same distribution: two-sided esda p_sim close on average
    diff = np.abs(a["p_sim"] - np.minimum(1, 2 * ref.p_sim))
    assert diff.mean() < 0.05
    assert np.corrcoef(a["p_sim"], np.minimum(1, 2 * ref.p_sim))[0, 1] > 0.95


def test_permutation_p_is_uniform_without_structure():
    rng = np.random.default_rng(2)
    w = lattice_weights(30, 30)
    y = rng.poisson(2.0, 900).astype(float)
    res = gistar(y, w, permutations=199, seed=9)
    assert res["p_sim"].min() >= 2 / 200
    share = (res["p_sim"] <= 0.1).mean()
    assert 0.05 < share < 0.15


# validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("counts", "weights", "kwargs", "word"),
    [
        ([1.0], sp.identity(1, format="csr"), {}, "counts"),
        ([1.0, 2.0, np.nan], chain_weights(3), {}, "counts"),
        ([1.0, 2.0, 3.0], chain_weights(4), {}, "weights"),
        ([1.0, 2.0, 3.0], np.eye(3), {}, "weights"),
        ([1.0, 2.0, 3.0], -chain_weights(3), {}, "weights"),
        ([1.0, 2.0, 3.0], chain_weights(3), {"permutations": -1}, "permutations"),
    ],
)
def test_bad_parameters_are_named(counts, weights, kwargs, word):
    with pytest.raises(ParameterError, match=word):
        gistar(counts, weights, **kwargs)


# H3 cells end to end ------------------------------------------------------------------------
def canonical(lat: np.ndarray, lon: np.ndarray):
    import geopandas as gpd
    import pandas as pd

    n = len(lat)
    return gpd.GeoDataFrame(
        {
            "lat": np.asarray(lat, dtype=float),
            "lon": np.asarray(lon, dtype=float),
            "year": pd.array(np.full(n, 2020), dtype="Int64"),
            "month": pd.array(np.full(n, 1), dtype="Int64"),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def city():
    """A 2 km square study area with uniform calls and one dense cluster."""
    import shapely

    rng = np.random.default_rng(21)
    lat0, lon0 = 41.88, -87.63
    dlat, dlon = 1000 / 111_195, 1000 / (111_195 * np.cos(np.radians(lat0)))
    lat = np.r_[rng.uniform(lat0 - dlat, lat0 + dlat, 120), rng.normal(lat0, dlat / 20, 150)]
    lon = np.r_[rng.uniform(lon0 - dlon, lon0 + dlon, 120), rng.normal(lon0, dlon / 20, 150)]
    box = shapely.box(lon0 - dlon, lat0 - dlat, lon0 + dlon, lat0 + dlat)
    return canonical(lat, lon), box


def test_gistar_cells_counts_zero_cells_and_esda(city):
    import h3

    from hotspots.gistar import gistar_cells

    incidents, box = city
    res = gistar_cells(incidents, 9, 1, area=box)
    assert list(res.columns) == ["cell", "count", "z", "p", "p_fdr", "bin", "geometry"]
    assert res.crs.to_epsg() == 4326
    # counts: h3 itself, point by point
    own = [h3.latlng_to_cell(a, b, 9) for a, b in zip(incidents.lat, incidents.lon, strict=True)]
    ref = {c: own.count(c) for c in set(own)}
    got = dict(zip(res["cell"], res["count"], strict=True))
    assert {c: n for c, n in got.items() if n} == ref
    # zero-count cells of the area are there: every cell whose centre is in the box
    in_box = set(h3.h3shape_to_cells(h3.geo_to_h3shape(box.__geo_interface__), 9))
    assert in_box <= set(res["cell"]) and set(res["cell"]) == in_box | set(ref)
    assert (res["count"] == 0).sum() > 0
    # the whole pipeline against esda with weights built here from h3.grid_disk
    cells = res["cell"].tolist()
    neigh = {c: [d for d in h3.grid_disk(c, 1) if d in got and d != c] for c in cells}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.W(neigh, id_order=cells, silence_warnings=True)
        ref_g = esda.G_Local(
            res["count"].to_numpy(float), w, star=True, transform="B", permutations=0
        )
    np.testing.assert_allclose(res["z"], ref_g.Zs, atol=1e-9, rtol=0)
    # the cluster's cell is a 99 % hot spot
    centre = h3.latlng_to_cell(41.88, -87.63, 9)
    assert res.set_index("cell").loc[centre, "bin"] == 3


def test_gistar_cells_drops_incidents_outside_the_area(city):
    import shapely

    from hotspots.gistar import gistar_cells

    incidents, box = city
    west = shapely.box(*box.bounds[:2], (box.bounds[0] + box.bounds[2]) / 2, box.bounds[3])
    res = gistar_cells(incidents, 9, 1, area=west)
    inside = shapely.contains_xy(west, incidents.lon, incidents.lat)
    assert res["count"].sum() == int(inside.sum())


def test_gistar_cells_default_area_is_the_hull(city):
    from hotspots.gistar import gistar_cells

    incidents, _ = city
    res = gistar_cells(incidents, 9, 2, permutations=99, seed=1)
    assert res["count"].sum() == len(incidents)
    assert {"p_sim", "p_fdr"} <= set(res.columns)


@pytest.mark.parametrize(("kwargs", "word"), [({"resolution": 5}, "resolution"), ({"k": 0}, "k")])
def test_gistar_cells_validates(city, kwargs, word):
    from hotspots.gistar import gistar_cells

    with pytest.raises(ParameterError, match=word):
        gistar_cells(city[0], **{"resolution": 9, "k": 1, **kwargs})


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=9, max_size=9),
    st.floats(0.1, 50),
    st.floats(-20, 20),
    st.permutations(list(range(9))),
)
def test_z_is_invariant_to_affine_rescaling_and_relabelling(counts, a, b, order):
    x = np.array(counts, dtype=float)
    assume(np.ptp(x) > 0)  # constant counts have no z to compare
    w = lattice_weights(3, 3)
    z = gistar_z(x, w)
    # G* is a z-score: x -> a x + b (a > 0) leaves it unchanged
    np.testing.assert_allclose(gistar_z(a * x + b, w), z, atol=1e-9)
    # renumbering the cells (rows and columns of w alike) renumbers the results
    perm = np.array(order)
    np.testing.assert_allclose(gistar_z(x[perm], w[perm][:, perm]), z[perm], atol=1e-12)
