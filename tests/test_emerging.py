"""Emerging hot spots: Mann-Kendall by hand, every category, space-time weights and Gi*."""

from __future__ import annotations

import itertools
import warnings
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hotspots.emerging import (
    CATEGORIES,
    NO_PATTERN,
    categorize,
    mann_kendall,
    period_label,
    spacetime_gistar,
    spacetime_weights,
)
from hotspots.errors import ParameterError


# Mann-Kendall -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("series", "s", "var_s", "z"),
    [
        # n = 5, no ties: var = 5*4*15/18; z = (10 - 1)/sqrt(var)
        ([1, 2, 3, 4, 5], 10, 50 / 3, 9 / np.sqrt(50 / 3)),
        ([5, 4, 3, 2, 1], -10, 50 / 3, -9 / np.sqrt(50 / 3)),
        # one tie group of 2: var = (4*3*13 - 2*1*9)/18 = 138/18; S = 5 (the tie pair adds 0)
        ([1, 1, 2, 3], 5, 138 / 18, 4 / np.sqrt(138 / 18)),
        # S = -1 -> continuity correction gives z = 0
        ([3, 1, 2], -1, 66 / 18, 0.0),
        # all tied: no variance, no trend
        ([2, 2, 2, 2], 0, 0.0, 0.0),
        # counts with ties 0 x3, 1 x2: var = (6*5*17 - 3*2*11 - 2*1*9)/18 = 426/18
        # S by first element: 0 -> 3, 0 -> 3, 1 -> (-1 +1 0) 0, 0 -> 2, 2 -> -1; S = 7
        ([0, 0, 1, 0, 2, 1], 7, 426 / 18, 6 / np.sqrt(426 / 18)),
    ],
)
def test_mann_kendall_by_hand(series, s, var_s, z):
    row = mann_kendall(series).iloc[0]
    assert row["s"] == s
    assert row["var_s"] == pytest.approx(var_s)
    assert row["z"] == pytest.approx(z)
    assert row["p"] == pytest.approx(2 * stats.norm.sf(abs(z)))


def test_mann_kendall_p_value_of_a_perfect_trend_of_five():
    # the classic table value: n = 5, S = 10 -> two-sided p = 0.0275 (normal approximation)
    assert mann_kendall([3, 5, 8, 9, 12]).iloc[0]["p"] == pytest.approx(0.0275, abs=5e-5)


def brute_force_mk(x: list[float]) -> tuple[float, float]:
    n = len(x)
    s = sum(np.sign(x[j] - x[i]) for i in range(n) for j in range(i + 1, n))
    ties = sum(t * (t - 1) * (2 * t + 5) for t in Counter(x).values())
    return float(s), (n * (n - 1) * (2 * n + 5) - ties) / 18


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.integers(0, 4), min_size=6, max_size=6), min_size=1, max_size=8))
def test_mann_kendall_vectorised_equals_brute_force(rows):
    res = mann_kendall(np.array(rows, dtype=float))
    for i, row in enumerate(rows):
        s, var = brute_force_mk(row)
        assert res["s"][i] == s
        assert res["var_s"][i] == pytest.approx(var)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=3, max_size=12, unique=True))
def test_mann_kendall_s_agrees_with_kendall_tau_against_time(x):
    # without ties, S = tau * n(n-1)/2 with tau the Kendall correlation of x with time
    n = len(x)
    tau = stats.kendalltau(np.arange(n), x).statistic
    assert mann_kendall(x).iloc[0]["s"] == pytest.approx(tau * n * (n - 1) / 2)


# categories ---------------------------------------------------------------------------------
TREND_UP = (2.6, 0.009)
TREND_DOWN = (-2.6, 0.009)
NO_TREND = (0.4, 0.69)


def series(code: str) -> tuple[np.ndarray, np.ndarray]:
    """'H' significant hot step, 'C' significant cold, 'h' hot but not significant, '.' nil."""
    z = np.array([{"H": 3.0, "C": -3.0, "h": 1.2, ".": 0.1}[c] for c in code])
    p = np.array([{"H": 0.003, "C": 0.003, "h": 0.23, ".": 0.92}[c] for c in code])
    return z, p


CASES = [
    (".........H", NO_TREND, "New Hot Spot"),
    ("hhhhhhhhhH", TREND_UP, "New Hot Spot"),  # non-significant hot steps do not count
    ("......HHHH", TREND_UP, "Consecutive Hot Spot"),
    ("........HH", NO_TREND, "Consecutive Hot Spot"),
    ("HHHHHHHHHH", TREND_UP, "Intensifying Hot Spot"),
    ("H.HHHHHHHH", TREND_UP, "Intensifying Hot Spot"),  # 9 of 10 is 90 %
    ("HHHHHHHHHH", NO_TREND, "Persistent Hot Spot"),
    ("HHHH.HHHHH", NO_TREND, "Persistent Hot Spot"),
    ("HHH", NO_TREND, "Persistent Hot Spot"),  # fewer than 10 steps: 90 % means all
    ("HHHHHHHHHH", TREND_DOWN, "Diminishing Hot Spot"),
    ("..H..H...H", NO_TREND, "Sporadic Hot Spot"),
    ("HH.HHHHH.H", TREND_UP, "Sporadic Hot Spot"),  # 8 of 10 < 90 %, interrupted
    ("HH.HHHHHHH", NO_TREND, "Persistent Hot Spot"),
    ("C....H...H", NO_TREND, "Oscillating Hot Spot"),
    ("C........H", NO_TREND, "Oscillating Hot Spot"),  # first hot step after a cold one
    ("CCCCCCCCHH", NO_TREND, "Oscillating Hot Spot"),
    ("HHHHHHHHH.", NO_TREND, "Historical Hot Spot"),
    ("HHHHHHHHHh", TREND_DOWN, "Historical Hot Spot"),
    (".........C", NO_TREND, "New Cold Spot"),
    ("......CCCC", TREND_DOWN, "Consecutive Cold Spot"),
    ("CCCCCCCCCC", TREND_DOWN, "Intensifying Cold Spot"),
    ("CCCCCCCCCC", NO_TREND, "Persistent Cold Spot"),
    ("CCCCCCCCCC", TREND_UP, "Diminishing Cold Spot"),
    ("C...C....C", NO_TREND, "Sporadic Cold Spot"),
    ("..H..C...C", NO_TREND, "Oscillating Cold Spot"),
    ("HHHHHHHHHC", TREND_DOWN, "Oscillating Cold Spot"),  # current state beats historical hot
    ("CCCCCCCCC.", NO_TREND, "Historical Cold Spot"),
    ("..........", NO_TREND, NO_PATTERN),
    ("HH........", TREND_DOWN, NO_PATTERN),  # hot once, not at the end, < 90 %
    ("hhhhhhhhhh", TREND_UP, NO_PATTERN),
]


@pytest.mark.parametrize(("code", "trend", "expected"), CASES)
def test_category(code, trend, expected):
    z, p = series(code)
    assert categorize(z, p, trend_z=trend[0], trend_p=trend[1]) == expected


def test_every_category_is_covered_by_a_case():
    assert {c for _, _, c in CASES} == set(CATEGORIES)


def test_categorize_vectorised_equals_one_by_one():
    codes = [c for c, _, _ in CASES if len(c) == 10]
    zs, ps = zip(*(series(c) for c in codes), strict=True)
    tz = np.array([t[0] for c, t, _ in CASES if len(c) == 10])
    tp = np.array([t[1] for c, t, _ in CASES if len(c) == 10])
    many = categorize(np.vstack(zs), np.vstack(ps), tz, tp)
    one = [
        categorize(z, p, trend_z=a, trend_p=b) for z, p, a, b in zip(zs, ps, tz, tp, strict=True)
    ]
    assert list(many) == one


def test_alpha_sets_both_bin_and_trend_significance():
    z, p = series("HHHHHHHHHH")
    p = np.full(10, 0.03)
    assert categorize(z, p, trend_z=2.0, trend_p=0.03, alpha=0.05) == "Intensifying Hot Spot"
    assert categorize(z, p, trend_z=2.0, trend_p=0.03, alpha=0.01) == NO_PATTERN


def test_categorize_rejects_bad_input():
    with pytest.raises(ParameterError, match="alpha"):
        categorize([1.0], [0.01], trend_z=0, trend_p=1, alpha=1.5)
    with pytest.raises(ParameterError, match="z, p"):
        categorize([1.0, 2.0], [0.01], trend_z=0, trend_p=1)


# space-time weights and Gi* ------------------------------------------------------------------
def test_spacetime_weights_by_hand():
    # 2 cells that neighbour each other, 3 periods, window 1: bin = t * 2 + cell
    space = sp.csr_matrix(np.array([[1, 1], [1, 1]]))
    w = spacetime_weights(space, 3, 1).toarray()
    block = np.ones((2, 2))
    expected = np.block(
        [
            [block, 0 * block, 0 * block],
            [block, block, 0 * block],
            [0 * block, block, block],
        ]
    )
    np.testing.assert_array_equal(w, expected)
    # window 0: periods independent
    np.testing.assert_array_equal(
        spacetime_weights(space, 3, 0).toarray(), np.kron(np.eye(3), block)
    )
    # a window longer than the cube is the full lower triangle
    np.testing.assert_array_equal(
        spacetime_weights(sp.identity(1), 3, 5).toarray(), np.tril(np.ones((3, 3)))
    )


def test_spacetime_gistar_matches_esda_on_the_cube_weights():
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    rng = np.random.default_rng(4)
    lat = libpysal.weights.lat2W(6, 6, rook=False)
    space = (lat.sparse + sp.identity(36)).tocsr()
    counts = rng.poisson(1.0, (5, 36)).astype(float)
    counts[3:, 14] += 8
    z, p = spacetime_gistar(counts, space, time_window=2, fdr=False)
    w = spacetime_weights(space, 5, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wobj = libpysal.weights.WSP(w).to_W(silence_warnings=True)
        ref = esda.G_Local(counts.ravel(), wobj, star=True, transform="B", permutations=0)
    np.testing.assert_allclose(z.ravel(), ref.Zs, atol=1e-9, rtol=0)
    np.testing.assert_allclose(p.ravel(), 2 * ref.p_norm, atol=1e-9, rtol=0)
    # with FDR the p-values only grow
    _, p_adj = spacetime_gistar(counts, space, time_window=2, fdr=True)
    assert (p_adj >= p - 1e-15).all()


@pytest.mark.parametrize(
    ("index", "period", "label"),
    [(2019, "year", "2019"), (2019 * 4 + 2, "quarter", "2019Q3"), (2020 * 12, "month", "2020-01")],
)
def test_period_labels(index, period, label):
    assert period_label(index, period) == label


def test_all_category_pairs_are_distinct_strings():
    assert len(set(CATEGORIES)) == len(CATEGORIES) == 17
    for a, b in itertools.combinations(CATEGORIES, 2):
        assert a != b


# end to end on H3 cells -----------------------------------------------------------------------
LAT0, LON0 = 41.88, -87.63
M_PER_DEG = 111_195.0
# a regular background: one call every 100 m on a 3 km square, every quarter
GX, GY = (
    a.ravel() for a in np.meshgrid(np.arange(-1500, 1501, 100.0), np.arange(-1500, 1501, 100.0))
)


def quarterly_city(sizes: list[int], empty: list[bool] | None = None):
    """12 quarters (2019-2021) of background calls plus ``sizes[q]`` calls at the centre;
    ``empty[q]`` removes the background within 450 m of the centre in quarter q."""
    import geopandas as gpd
    import pandas as pd

    empty = empty or [False] * 12
    lat, lon, year, month = [], [], [], []
    for q in range(12):
        keep = ~(empty[q] & (np.hypot(GX, GY) < 450))
        x = np.r_[GX[keep], np.zeros(sizes[q])]
        y = np.r_[GY[keep], np.zeros(sizes[q])]
        lat.append(LAT0 + y / M_PER_DEG)
        lon.append(LON0 + x / (M_PER_DEG * np.cos(np.radians(LAT0))))
        year.append(np.full(x.size, 2019 + q // 4))
        month.append(np.full(x.size, 3 * (q % 4) + 1))
    lat, lon = np.concatenate(lat), np.concatenate(lon)
    return gpd.GeoDataFrame(
        {
            "lat": lat,
            "lon": lon,
            "year": pd.array(np.concatenate(year), dtype="Int64"),
            "month": pd.array(np.concatenate(month), dtype="Int64"),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


ZERO = [0] * 12


@pytest.mark.parametrize(
    ("sizes", "empty", "time_window", "expected"),
    [
        ([60] * 12, None, 1, "Persistent Hot Spot"),
        ([0] * 11 + [60], None, 1, "New Hot Spot"),
        ([0] * 8 + [60] * 4, None, 1, "Consecutive Hot Spot"),
        ([80 + 10 * q for q in range(12)], None, 1, "Intensifying Hot Spot"),
        ([200 - 10 * q for q in range(12)], None, 1, "Diminishing Hot Spot"),
        ([60, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0, 60], None, 0, "Sporadic Hot Spot"),
        ([60] * 11 + [0], None, 0, "Historical Hot Spot"),
        ([0] * 11 + [80], [True] * 6 + [False] * 6, 1, "Oscillating Hot Spot"),
        (ZERO, [True] * 12, 1, "Persistent Cold Spot"),
        (ZERO, [False] * 11 + [True], 0, "New Cold Spot"),
    ],
)
def test_emerging_category_of_the_centre_cell(sizes, empty, time_window, expected):
    from hotspots import grid
    from hotspots.emerging import emerging_hotspots

    res = emerging_hotspots(
        quarterly_city(sizes, empty), 9, 1, period="quarter", time_window=time_window
    )
    centre = grid.to_str(grid.cell_ids([LAT0], [LON0], 9))[0]
    row = res.set_index("cell").loc[centre]
    assert row["category"] == expected
    assert row["n_periods"] == 12
    assert res.attrs["periods"][0] == "2019Q1" and res.attrs["periods"][-1] == "2021Q4"
    # far from the centre nothing happens
    assert (res["category"] == NO_PATTERN).mean() > 0.8


def test_space_time_cube_counts_by_brute_force():
    import h3

    from hotspots import grid
    from hotspots.emerging import space_time_cube

    city = quarterly_city([5 * q for q in range(12)])
    city = city.iloc[::7]  # thin it so periods and cells differ
    cube = space_time_cube(city, 9, period="quarter")
    assert cube.counts.shape == (12, cube.cells.size)
    assert cube.counts.sum() == len(city)
    cells = list(grid.to_str(cube.cells))
    own = np.array([h3.latlng_to_cell(a, b, 9) for a, b in zip(city.lat, city.lon, strict=True)])
    quarter = ((city["month"] - 1) // 3).to_numpy()
    for i in np.random.default_rng(0).choice(len(city), 25, replace=False):
        r = city.iloc[i]
        t = (int(r["year"]) - 2019) * 4 + (int(r["month"]) - 1) // 3
        c = h3.latlng_to_cell(r["lat"], r["lon"], 9)
        mask = (city["year"] == r["year"]).to_numpy() & (quarter == quarter[i]) & (own == c)
        assert cube.counts[t, cells.index(c)] == mask.sum()


@pytest.mark.parametrize(
    ("period", "n_steps", "first", "last"),
    [
        ("year", 3, "2019", "2021"),
        ("quarter", 12, "2019Q1", "2021Q4"),
        ("month", 34, "2019-01", "2021-10"),
    ],
)
def test_space_time_cube_periods_include_empty_ones(period, n_steps, first, last):
    from hotspots.emerging import space_time_cube

    city = quarterly_city([10] * 12)
    # keep only January of 2019 and October 2021: every period between is empty
    keep = ((city["year"] == 2019) & (city["month"] == 1)) | (
        (city["year"] == 2021) & (city["month"] == 10)
    )
    cube = space_time_cube(city.loc[keep.to_numpy()], 9, period=period)
    assert len(cube.periods) == n_steps
    assert cube.periods[0] == first and cube.periods[-1] == last
    assert cube.counts[1:-1].sum() == 0


def test_emerging_validates_parameters():
    from hotspots.emerging import emerging_hotspots

    city = quarterly_city([10] * 12)
    with pytest.raises(ParameterError, match="period"):
        emerging_hotspots(city, 9, period="week")
    with pytest.raises(ParameterError, match="time_window"):
        emerging_hotspots(city, 9, time_window=-1)
    with pytest.raises(ParameterError, match="trend_on"):
        emerging_hotspots(city, 9, trend_on="x")
