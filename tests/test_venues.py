"""Venue attribution, ranking, concentration curve and Gini (hotspots.venues)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics.pairwise import haversine_distances

from hotspots.errors import InputError, ParameterError
from hotspots.schema import EARTH_RADIUS_M
from hotspots.venues import (
    TREND_MIN_CALLS,
    attribute_to_venues,
    concentration_curve,
    gini,
    rank_venues,
)

LAT0, LON0 = 53.48, -2.24
M_PER_DEG = np.pi * EARTH_RADIUS_M / 180.0


def offsets(north_m, east_m):
    north_m, east_m = np.asarray(north_m, float), np.asarray(east_m, float)
    return LAT0 + north_m / M_PER_DEG, LON0 + east_m / (M_PER_DEG * np.cos(np.radians(LAT0)))


def calls(north, east, year=None, offense=None, index=None) -> pd.DataFrame:
    lat, lon = offsets(north, east)
    n = len(lat)
    return pd.DataFrame(
        {
            "incident_id": [str(i) for i in range(n)],
            "year": pd.array(year if year is not None else [2020] * n, dtype="Int64"),
            "offense": offense if offense is not None else ["theft"] * n,
            "lat": lat,
            "lon": lon,
        },
        index=index,
    )


def venues(ids, north, east, kinds=None, names=None) -> pd.DataFrame:
    lat, lon = offsets(north, east)
    return pd.DataFrame(
        {
            "venue_id": ids,
            "name": names if names is not None else [f"Name {v}" for v in ids],
            "kind": kinds if kinds is not None else ["bar"] * len(ids),
            "lat": lat,
            "lon": lon,
        }
    )


# --- attribution -------------------------------------------------------------------------------
@pytest.mark.parametrize(("radius", "expected"), [(50, "a"), (29.9, None), (30.1, "a")])
def test_attribution_hand_case(radius, expected):
    # a call 30 m north of venue a; venue b is 80 m away
    inc = calls([30.0], [0.0])
    ven = venues(["a", "b"], [0.0, 30.0], [0.0, 80.0])
    att = attribute_to_venues(inc, ven, radius=radius)
    if expected is None:
        assert att["venue_id"].isna().all() and att["venue_distance_m"].isna().all()
    else:
        assert att["venue_id"].tolist() == [expected]
        assert att["venue_distance_m"].iloc[0] == pytest.approx(30.0, abs=1e-3)


def test_attribution_equals_brute_force_haversine_nearest():
    rng = np.random.default_rng(3)
    inc = calls(rng.uniform(-3000, 3000, 2000), rng.uniform(-3000, 3000, 2000))
    ven = venues(
        [f"v{i}" for i in range(300)], rng.uniform(-3000, 3000, 300), rng.uniform(-3000, 3000, 300)
    )
    radius = 150.0
    att = attribute_to_venues(inc, ven, radius=radius)

    d = (
        haversine_distances(
            np.radians(inc[["lat", "lon"]].to_numpy()), np.radians(ven[["lat", "lon"]].to_numpy())
        )
        * EARTH_RADIUS_M
    )
    nearest, dmin = d.argmin(axis=1), d.min(axis=1)
    clear = np.abs(dmin - radius) > 1e-3  # not on the edge of the radius
    within = dmin <= radius
    expected = np.where(within, ven["venue_id"].to_numpy()[nearest], None)
    got = att["venue_id"].to_numpy(dtype=object, na_value=None)
    assert within.sum() > 100 and (~within).sum() > 100  # both cases exercised
    assert (got[clear] == expected[clear]).all()
    np.testing.assert_allclose(
        att["venue_distance_m"].to_numpy()[within & clear], dmin[within & clear], atol=1e-3
    )


def test_attribution_keeps_the_incident_index():
    inc = calls([0.0, 500.0, 10.0], [0.0, 0.0, 0.0], index=[17, 3, 99])
    att = attribute_to_venues(inc, venues(["a"], [0.0], [0.0]), radius=20)
    assert att.index.tolist() == [17, 3, 99]
    assert att["venue_id"].tolist() == ["a", pd.NA, "a"]


def test_attribution_without_venues_is_all_missing():
    att = attribute_to_venues(calls([0.0], [0.0]), venues([], [], []), radius=20)
    assert att["venue_id"].isna().all() and len(att) == 1


@pytest.mark.parametrize("radius", [0, -5, float("nan"), float("inf"), "near"])
def test_attribution_radius_is_validated(radius):
    with pytest.raises(ParameterError, match="radius"):
        attribute_to_venues(calls([0.0], [0.0]), venues(["a"], [0.0], [0.0]), radius=radius)


def test_attribution_rejects_venues_without_coordinates():
    ven = venues(["a"], [0.0], [0.0])
    ven.loc[0, "lat"] = np.nan
    with pytest.raises(InputError, match="venues"):
        attribute_to_venues(calls([0.0], [0.0]), ven, radius=20)


# --- ranking on a toy city -----------------------------------------------------------------------
def toy_city():
    """Bars A (6 calls: 1, 2, 3 in 2019-2021) and B (2 calls, 2019), cafe C (0), 2 unattributed."""
    ven = venues(["A", "B", "C"], [0.0, 1000.0, 2000.0], [0.0, 0.0, 0.0], ["bar", "bar", "cafe"])
    north = [5.0] * 6 + [1005.0] * 2 + [5000.0, 6000.0]
    year = [2019, 2020, 2020, 2021, 2021, 2021, 2019, 2019, 2020, 2021]
    offense = [
        "fight",
        "fight",
        "theft",
        "fight",
        "hooliganism",
        "theft",
        "theft",
        "theft",
        "x",
        "x",
    ]
    inc = calls(north, [0.0] * 10, year, offense)
    return inc, ven


def test_rank_venues_toy_city():
    inc, ven = toy_city()
    att = attribute_to_venues(inc, ven, radius=50)
    r = rank_venues(inc, ven, att)
    assert r["venue_id"].tolist() == ["A", "B", "C"]
    assert r["rank"].tolist() == [1, 2, 3]
    assert r["calls"].tolist() == [6, 2, 0]
    assert r["share_of_all_calls"].tolist() == pytest.approx([0.6, 0.2, 0.0])
    assert r["calls_2019"].tolist() == [1, 2, 0]
    assert r["calls_2020"].tolist() == [2, 0, 0]
    assert r["calls_2021"].tolist() == [3, 0, 0]
    assert r["offense_fight"].tolist() == [3, 0, 0]
    assert r["offense_theft"].tolist() == [2, 2, 0]
    assert r["offense_hooliganism"].tolist() == [1, 0, 0]
    assert "offense_x" not in r  # unattributed calls' offenses have no venue
    # bars' median is 4 -> 1.5 and 0.5; cafes' median is 0 -> NaN
    assert r["peer_ratio"].iloc[:2].tolist() == [1.5, 0.5]
    assert np.isnan(r["peer_ratio"].iloc[2])
    # A: 1, 2, 3 -> slope +1/year, change +2 -> rising; B: 2, 0, 0 -> -1/year -> falling
    assert r["trend_per_year"].tolist() == pytest.approx([1.0, -1.0, 0.0])
    assert r["trend"].tolist() == ["rising", "falling", "stable"]
    assert r["name"].tolist() == ["Name A", "Name B", "Name C"]
    assert r["kind"].tolist() == ["bar", "bar", "cafe"]


def test_rank_venues_flags_drop_columns_and_ties_sort_by_id():
    inc = calls([0.0, 1000.0], [0.0, 0.0])
    ven = venues(["z", "m"], [0.0, 1000.0], [0.0, 0.0])
    r = rank_venues(
        inc, ven, attribute_to_venues(inc, ven, radius=10), by_year=False, by_offense=False
    )
    assert r["venue_id"].tolist() == ["m", "z"]  # one call each: by id
    assert not any(c.startswith(("calls_", "offense_")) for c in r.columns)
    assert r["trend"].tolist() == ["n/a", "n/a"]  # a single year has no trend


@pytest.mark.parametrize(
    ("counts", "label"),
    [
        ([0, 0, 1], "stable"),  # fitted change 1 call < TREND_MIN_CALLS
        ([0, 1, 2], "rising"),  # change 2 calls, mean 1
        ([40, 41, 42], "stable"),  # change 2 calls but only 5 % of the mean 41
        ([30, 40, 50], "rising"),  # change 20 >= 25 % of 40
        ([50, 40, 30], "falling"),
    ],
)
def test_trend_rule(counts, label):
    ven = venues(["A"], [0.0], [0.0])
    # the venue's calls, plus two far calls fixing the period to 2019-2021
    years = np.r_[np.repeat([2019, 2020, 2021], counts), 2019, 2021]
    north = np.r_[np.zeros(len(years) - 2), 9000.0, 9000.0]
    inc = calls(north, np.zeros(len(years)), years)
    assert TREND_MIN_CALLS == 2
    r = rank_venues(inc, ven, attribute_to_venues(inc, ven, radius=10))
    slope = np.polyfit([2019, 2020, 2021], counts, 1)[0]
    assert r.loc[0, "trend_per_year"] == pytest.approx(slope)
    assert r.loc[0, "trend"] == label


@pytest.mark.parametrize(
    ("months_2021", "expected_slope", "label"),
    [
        (1, 0.0, "stable"),  # 2021 covered 1 month: left out, 2019-2020 flat
        (6, 0.0, "stable"),  # 6 calls in 6 months of 2021: 12 a year, flat
        (12, -0.5 * 6, "falling"),  # 6 calls in a full 2021: 12, 12, 6 -> slope -3
    ],
)
def test_trend_annualises_partial_years(months_2021, expected_slope, label):
    # one call a month at the venue in 2019 and 2020; in 2021 data covers `months_2021`
    # months (a far call in each), and the venue has 6 calls in 2021's first covered months
    year = [2019] * 12 + [2020] * 12 + [2021] * 6 + [2021] * months_2021
    month = list(range(1, 13)) * 2 + [min(m, months_2021) for m in range(1, 7)]
    month += list(range(1, months_2021 + 1))
    north = [0.0] * 30 + [9000.0] * months_2021
    inc = calls(north, np.zeros(len(year)), year)
    inc["month"] = pd.array(month, dtype="Int64")
    ven = venues(["A"], [0.0], [0.0])
    r = rank_venues(inc, ven, attribute_to_venues(inc, ven, radius=10))
    assert r.loc[0, "calls_2021"] == 6  # raw counts stay raw
    assert r.loc[0, "trend_per_year"] == pytest.approx(expected_slope)
    assert r.loc[0, "trend"] == label


def test_rank_venues_rejects_misaligned_attribution_and_duplicate_ids():
    inc, ven = toy_city()
    att = attribute_to_venues(inc, ven, radius=50)
    with pytest.raises(ParameterError, match="attribution"):
        rank_venues(inc.iloc[:3], ven, att)
    dup = ven.assign(venue_id=["A", "A", "C"])
    with pytest.raises(InputError, match="unique"):
        rank_venues(inc, dup, att)


# --- concentration and Gini -----------------------------------------------------------------------
def test_concentration_curve_by_hand():
    c = concentration_curve(pd.Series([0, 10, 0, 30], index=["a", "b", "c", "d"]))
    assert c["venue_id"].tolist() == ["d", "b", "a", "c"]
    assert c["calls"].tolist() == [30, 10, 0, 0]
    assert c["share_of_venues"].tolist() == [0.25, 0.5, 0.75, 1.0]
    assert c["share_of_calls"].tolist() == [0.75, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("values", "expected"),
    [([0, 0, 0, 10], 0.75), ([5, 5, 5], 0.0), ([1, 2, 3, 4], 0.25), ([0, 7], 0.5), ([3], 0.0)],
)
def test_gini_by_hand(values, expected):
    assert gini(values) == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=40).filter(lambda v: sum(v) > 0))
def test_gini_equals_the_mean_difference_definition(values):
    x = np.asarray(values, float)
    expected = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert gini(values) == pytest.approx(expected, abs=1e-12)
    # and the curve ends at (1, 1), never decreases and lies above the diagonal
    c = concentration_curve(x)
    assert c["share_of_calls"].iloc[-1] == pytest.approx(1.0)
    assert (np.diff(c["share_of_calls"]) >= -1e-12).all()
    assert (c["share_of_calls"] >= c["share_of_venues"] - 1e-12).all()


def test_gini_and_curve_edge_cases():
    assert np.isnan(gini([])) and np.isnan(gini([0, 0]))
    with pytest.raises(ParameterError):
        gini([1, -1])
    assert concentration_curve(np.array([0, 0]))["share_of_calls"].isna().all()
