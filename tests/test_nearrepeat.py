"""Near-repeat Knox test: counts against a brute-force double loop, Monte Carlo p-values
against a plain reference with the same permutations, a synthetic near-repeat process found
and a random one not, and real Vancouver burglaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import real_file

from hotspots.errors import InputError, ParameterError
from hotspots.timeaware.nearrepeat import (
    check_distance_bands,
    check_time_bands,
    heat_table,
    json_records,
    knox_test,
    near_repeat,
)

D_BANDS = (100.0, 200.0, 300.0)
T_BANDS = (7, 14, 21)


def brute_counts(x, y, days, d_edges, t_edges):
    """Every pair by a plain double loop, the calculator's band rules written out."""
    n_d, n_t = len(d_edges), len(t_edges)
    counts = np.zeros((n_d, n_t), dtype=int)
    for a in range(len(x)):
        for b in range(a + 1, len(x)):
            d = ((x[a] - x[b]) ** 2 + (y[a] - y[b]) ** 2) ** 0.5
            dt = abs(int(days[a]) - int(days[b]))
            di = next((k for k, e in enumerate(d_edges) if d <= e), None)
            ti = next((k for k, e in enumerate(t_edges) if dt <= e), None)
            if di is not None and ti is not None:
                counts[di, ti] += 1
    return counts.ravel()


def random_points(n, seed, size=1500.0, span=60):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, size, n), rng.uniform(0, size, n), rng.integers(0, span, n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_observed_counts_equal_a_brute_force_double_loop(seed):
    x, y, days = random_points(250, seed)
    got = knox_test(x, y, days, distance_bands=D_BANDS, time_bands=T_BANDS, permutations=1)
    want = brute_counts(x, y, days, D_BANDS, T_BANDS)
    assert got["observed"].tolist() == want.tolist()
    assert want.sum() > 100  # the bands hold many pairs: a real comparison


def test_band_edges_as_the_calculator_0_100_then_101_200_and_0_7_then_8_14():
    # distances exactly on the edges (3-4-5 triangles: 100 m and 200 m exactly) and day
    # differences 0, 7, 8, 14, 15
    x = np.array([0.0, 60.0, 0.0, 120.0, 10_000.0, 10_000.0, 10_000.0])
    y = np.array([0.0, 80.0, 0.0, 160.0, 0.0, 0.0, 0.0])
    days = np.array([0, 7, 100, 114, 200, 208, 223])
    t = knox_test(x, y, days, distance_bands=(100, 200), time_bands=(7, 14), permutations=1)
    obs = t.set_index(["distance_hi", "time_hi"])["observed"]
    # pairs: (0,1) 100 m 7 d; (2,3) 200 m 14 d; (4,5) 0 m 8 d; beyond 14 days: (0,2) (0,3)
    # (1,2) (1,3) (4,6) (5,6)
    assert obs[(100.0, 7)] == 1 and obs[(100.0, 14)] == 1
    assert obs[(200.0, 7)] == 0 and obs[(200.0, 14)] == 1
    assert t["time_lo"].tolist() == [0, 8, 0, 8]
    assert t["distance_lo"].tolist() == [0.0, 0.0, 100.0, 100.0]
    # within 200 m: (0,1) (0,2) (0,3) (1,2) (1,3) (2,3) and the three pairs of 4, 5, 6
    assert t.attrs["n_pairs"] == 9


def reference_monte_carlo(x, y, days, d_edges, t_edges, runs, seed):
    """Expected counts and p-values by the textbook recipe: permute the days with the r-th
    ``default_rng(seed).permutation(n)`` and count every pair again with the double loop."""
    obs = brute_counts(x, y, days, d_edges, t_edges)
    rng = np.random.default_rng(seed)
    sims = np.array(
        [
            brute_counts(x, y, days[rng.permutation(len(days))], d_edges, t_edges)
            for _ in range(runs)
        ]
    )
    p = (1 + (sims >= obs).sum(axis=0)) / (1 + runs)
    return sims.mean(axis=0), p


def test_expected_and_p_values_from_a_fixed_seed_match_the_reference():
    x, y, days = random_points(90, seed=5, size=800.0, span=40)
    got = knox_test(
        x, y, days, distance_bands=D_BANDS, time_bands=T_BANDS, permutations=19, seed=42
    )
    expected, p = reference_monte_carlo(x, y, days, D_BANDS, T_BANDS, 19, 42)
    np.testing.assert_allclose(got["expected"], expected)
    np.testing.assert_allclose(got["p"], p)
    ok = expected > 0
    np.testing.assert_allclose(got["knox_ratio"][ok], got["observed"][ok] / expected[ok])
    again = knox_test(
        x, y, days, distance_bands=D_BANDS, time_bands=T_BANDS, permutations=19, seed=42
    )
    pd.testing.assert_frame_equal(got, again)


def near_repeat_process(n_parents, seed, children=2):
    """Parents uniform over 10 km x 10 km and a year; each spawns neighbours within 100 m and
    7 days (a near-repeat process)."""
    rng = np.random.default_rng(seed)
    px, py = rng.uniform(0, 10_000, n_parents), rng.uniform(0, 10_000, n_parents)
    pd_ = rng.integers(0, 365, n_parents)
    k = n_parents * children
    ang, r = rng.uniform(0, 2 * np.pi, k), 100 * np.sqrt(rng.uniform(0, 1, k))
    cx = np.repeat(px, children) + r * np.cos(ang) / 2  # within 50 m of the parent: children
    cy = np.repeat(py, children) + r * np.sin(ang) / 2  # are within 100 m of each other too
    cd = np.repeat(pd_, children) + rng.integers(1, 4, k)  # 1-3 days later: within 7 days
    return np.r_[px, cx], np.r_[py, cy], np.r_[pd_, cd]


BANDS = {"distance_bands": (100, 200, 300, 400), "time_bands": (7, 14, 21, 28)}


def test_a_synthetic_near_repeat_process_is_found():
    x, y, days = near_repeat_process(800, seed=3)
    t = knox_test(x, y, days, permutations=99, seed=1, **BANDS)
    first = t.iloc[0]
    assert (first["distance_hi"], first["time_hi"]) == (100, 7)
    assert first["near_repeat"] and first["knox_ratio"] > 5 and first["p"] == 0.01
    # outside 100 m and 7 days nothing stands out (a ratio near 1 at most, by chance)
    assert (t["knox_ratio"].iloc[1:] < 1.5).all()


def test_a_purely_random_process_is_not_flagged():
    # no link between space and time: each band pair is flagged only at the false-positive
    # rate alpha (16 band pairs at 5 %: one flag in a data set is chance, not a pattern), and
    # the near-repeat signature (0-100 m, 0-7 days) is not found
    flags, first = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n = 2400  # as many events as the near-repeat process above
        x, y = rng.uniform(0, 10_000, n), rng.uniform(0, 10_000, n)
        t = knox_test(x, y, rng.integers(0, 365, n), permutations=99, seed=seed, **BANDS)
        flags.append(t["near_repeat"].to_numpy())
        first.append(t["knox_ratio"].iloc[0])
    rate = np.mean(flags)
    assert rate <= 0.09, rate  # 0.05 expected
    assert np.mean([f[0] for f in flags]) <= 0.15
    assert 0.8 < np.mean(first) < 1.2


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"distance_bands": "100,50"}, "distance_bands: increasing"),
        ({"distance_bands": "a,b"}, "distance_bands: numbers of metres"),
        ({"distance_bands": ()}, "at least one band"),
        ({"time_bands": "7.5,14"}, "time_bands: whole numbers of days"),
        ({"time_bands": "14,7"}, "time_bands: increasing"),
        ({"permutations": 0}, "permutations must be within"),
        ({"alpha": 1.5}, "alpha"),
    ],
)
def test_bad_parameters_raise_parameter_error(kwargs, needle):
    x, y, days = random_points(10, 0)
    with pytest.raises(ParameterError, match=needle):
        knox_test(x, y, days, **kwargs)


def test_band_parsing():
    assert check_distance_bands("100, 200").tolist() == [100.0, 200.0]
    assert check_time_bands([0, 7]).tolist() == [0, 7]


def test_heat_table_and_json_fields():
    x, y, days = random_points(200, 4)
    t = knox_test(x, y, days, distance_bands=D_BANDS, time_bands=T_BANDS, permutations=9)
    wide = heat_table(t)
    assert list(wide.index) == ["0-100", "100-200", "200-300"]
    assert list(wide.columns) == ["0-7", "8-14", "15-21"]
    assert wide.loc["100-200", "8-14"] == t.iloc[4]["knox_ratio"]
    rec = json_records(t)[4]
    assert rec["distance_band"] == [100.0, 200.0] and rec["time_band"] == [8, 14]
    assert set(rec) >= {"observed", "expected", "knox_ratio", "p"}


def test_month_only_dates_are_left_out_and_counted():
    frame = pd.DataFrame(
        {
            "lat": [41.88, 41.8801, 41.8802, 41.881],
            "lon": [-87.63, -87.63, -87.6301, -87.63],
            "occurred_at": pd.to_datetime(["2020-01-01", "2020-01-03", "2020-01-01", "2020-01-09"]),
            "time_precision": ["day", "minute", "month", "hour"],
        }
    )
    t = near_repeat(frame, distance_bands=(50, 200), time_bands=(7,), permutations=9)
    assert t.attrs["unknown_day"] == 1
    # known: a (day 0), b (day 2, 11 m from a), d (day 8, 111 m from a, 100 m from b); the
    # month-only c ("2020-01", stored as the 1st) would pair with a and b within 50 m
    assert t["observed"].tolist() == [1, 1]  # a-b: 11 m, 2 days; b-d: 100 m, 6 days
    with pytest.raises(InputError, match="dated to the day"):
        near_repeat(frame.assign(time_precision="month"), permutations=9)


VANCOUVER = ("vancouver_vpd_2020", "crimedata_csv_AllNeighbourhoods_2020.csv")


def test_vancouver_residential_burglaries_repeat_near_in_space_and_time():
    path = real_file(*VANCOUVER)
    raw = pd.read_csv(path)
    raw = raw[(raw["TYPE"] == "Break and Enter Residential/Other") & (raw["X"] > 0)]
    days = (
        pd.to_datetime(raw[["YEAR", "MONTH", "DAY"]].rename(columns=str.lower))
        .to_numpy()
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    x, y = raw["X"].to_numpy(), raw["Y"].to_numpy()  # UTM 10N metres
    t = knox_test(x, y, days, permutations=99, seed=0, **BANDS)
    first = t.iloc[0]
    # the same block, within a week: burglaries repeat (hundred-block addresses share X/Y)
    assert first["near_repeat"] and first["knox_ratio"] > 1.2
    assert int(first["observed"]) == int(brute_first_band(x, y, days))


def brute_first_band(x, y, days):
    """Pairs within 100 m and 7 days, counted with a dense (chunked) distance matrix."""
    total = 0
    for s in range(0, x.size, 500):
        d = np.hypot(x[s : s + 500, None] - x[None, :], y[s : s + 500, None] - y[None, :])
        dt = np.abs(days[s : s + 500, None] - days[None, :])
        upper = np.arange(s, min(s + 500, x.size))[:, None] < np.arange(x.size)[None, :]
        total += int(((d <= 100) & (dt <= 7) & upper).sum())
    return total


def test_pair_counts_equal_a_plain_histogram_and_the_compiled_kernel():
    from hotspots.timeaware import paircount
    from hotspots.timeaware.paircount import pair_counter

    rng = np.random.default_rng(9)
    n, p = 500, 3 * paircount.CHUNK + 123  # several chunks and a short last one
    i, j = rng.integers(0, n, p), rng.integers(0, n, p)
    band = rng.integers(0, 3, p)
    days = rng.integers(0, 90, n).astype(np.int32)
    counts = pair_counter(i, j, band, 3, 29, compiled=False)(days)
    # a plain histogram: band b, day difference d (29 = 29 days or more)
    dt = np.minimum(np.abs(days[i] - days[j]), 29)
    want = np.zeros((3, 30), dtype=np.int64)
    np.add.at(want, (band, dt), 1)
    np.testing.assert_array_equal(counts, want)
    if paircount.numba is None:  # the compiled kernel needs the 'fast' extra: asked for, refused
        with pytest.raises(ParameterError, match="numba"):
            pair_counter(i, j, band, 3, 29, compiled=True)
    else:
        np.testing.assert_array_equal(pair_counter(i, j, band, 3, 29, compiled=True)(days), want)


def test_threads_do_not_change_the_result():
    x, y, days = random_points(300, 7)
    one = knox_test(x, y, days, permutations=15, seed=3, n_jobs=1, distance_bands=D_BANDS)
    two = knox_test(x, y, days, permutations=15, seed=3, n_jobs=2, distance_bands=D_BANDS)
    slow = knox_test(
        x, y, days, permutations=15, seed=3, n_jobs=2, distance_bands=D_BANDS, compiled=False
    )  # the NumPy path, whether or not numba is installed
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, slow)
