"""CompStat change: periods by hand, the exact test against scipy's binomtest and by hand,
a zero before as a number, counts by offense and by district against plain pandas/geopandas."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import real_file
from scipy import stats

from hotspots.errors import InputError, ParameterError
from hotspots.timeaware.compstat import change_test, compstat, periods


@pytest.mark.parametrize(
    ("period", "as_of", "want"),
    [
        ("28d", "2020-03-28", ("2020-03-01", "2020-03-28", "2020-02-02", "2020-02-29")),
        ("28d", "2021-01-10", ("2020-12-14", "2021-01-10", "2020-11-16", "2020-12-13")),
        ("ytd", "2019-09-29", ("2019-01-01", "2019-09-29", "2018-01-01", "2018-09-29")),
        ("ytd", "2020-02-29", ("2020-01-01", "2020-02-29", "2019-01-01", "2019-02-28")),
    ],
)
def test_periods_by_hand(period, as_of, want):
    p = periods(period, as_of)
    got = tuple(f"{d:%Y-%m-%d}" for d in (p.start, p.end, p.prev_start, p.prev_end))
    assert got == want
    if period == "28d":
        assert p.days == p.prev_days == 28


def test_exact_test_matches_scipy_and_hand_values():
    now = np.array([12, 5, 30, 0, 0, 17, 40])
    before = np.array([0, 5, 14, 0, 9, 25, 40])
    t = change_test(now, before)
    for a, b, p in zip(now, before, t["p"], strict=True):
        want = stats.binomtest(int(a), int(a + b), 0.5).pvalue if a + b else 1.0
        assert p == pytest.approx(want, rel=1e-12)
    # by hand: 12 against 0 -> 2 * 0.5**12; 5 against 5 -> 1; 0 against 9 -> 2 * 0.5**9
    assert t["p"][0] == pytest.approx(2 * 0.5**12)
    assert t["p"][1] == 1.0 and t["p"][4] == pytest.approx(2 * 0.5**9)
    # a 0 before is a number: change and test defined, only the percentage is not
    assert t["change"][0] == 12 and t["direction"][0] == "up" and np.isnan(t["change_pct"][0])
    assert t["z"][2] == pytest.approx(2 * (np.sqrt(30) - np.sqrt(14)))
    assert t["significant"].tolist() == [True, False, True, False, True, False, False]


def test_unequal_periods_use_the_exposure_share():
    t = change_test([20], [10], share=60 / (60 + 59))
    assert t["p"][0] == pytest.approx(stats.binomtest(20, 30, 60 / 119).pvalue)


def frame(days, offenses, lat=None, lon=None, precision="day"):
    n = len(days)
    return pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(days),
            "time_precision": precision,
            "offense": offenses,
            "lat": lat if lat is not None else np.full(n, 41.88),
            "lon": lon if lon is not None else np.full(n, -87.63),
        }
    )


def test_counts_by_offense_over_the_two_periods():
    days = ["2020-03-28", "2020-03-01", "2020-02-29", "2020-02-02", "2020-02-01", "2020-03-15"]
    offs = ["theft", "theft", "theft", "fight", "fight", "fight"]
    t = compstat(frame(days, offs), period="28d").set_index("offense")
    # current 03-01..03-28: theft 2, fight 1; before 02-02..02-29: theft 1, fight 1
    # (02-01 is outside both)
    assert (t.loc["all", "now"], t.loc["all", "before"]) == (3, 2)
    assert (t.loc["theft", "now"], t.loc["theft", "before"]) == (2, 1)
    assert (t.loc["fight", "now"], t.loc["fight", "before"]) == (1, 1)


def test_month_only_dates_are_refused():
    f = frame(["2020-03-01"] * 3, ["theft"] * 3, precision="month")
    with pytest.raises(InputError, match="dates to the day"):
        compstat(f)
    with pytest.raises(ParameterError, match="period"):
        compstat(frame(["2020-03-01"], ["theft"]), period="week")


CHICAGO = ("chicago_cpd_2017_2019", "chicago_crimes_2017_2019_sample25k.csv")
AREAS = ("chicago_cpd_2017_2019", "chicago_community_areas_77.geojson")


def test_chicago_year_to_date_by_community_area_matches_a_spatial_join():
    from hotspots.io import read_incidents

    inc = read_incidents(real_file(*CHICAGO)).accepted
    areas = gpd.read_file(real_file(*AREAS))
    t = compstat(inc, period="ytd", by="area", areas=areas)
    per = t.attrs["periods"]
    assert f"{per.end:%Y-%m-%d}" == "2019-09-29"  # the last day of the file
    # independent count: geopandas' spatial join, pandas date masks
    pts = gpd.GeoDataFrame(
        inc[["occurred_at"]],
        geometry=gpd.points_from_xy(inc["lon"], inc["lat"]),
        crs="EPSG:4326",
    )
    joined = gpd.sjoin(
        pts, areas.to_crs("EPSG:4326")[["COMMUNITY", "geometry"]], predicate="within"
    )
    day = joined["occurred_at"].dt.normalize()
    now = joined[(day >= "2019-01-01") & (day <= "2019-09-29")].groupby("COMMUNITY").size()
    before = joined[(day >= "2018-01-01") & (day <= "2018-09-29")].groupby("COMMUNITY").size()
    got = t.set_index("area")
    for name in ("AUSTIN", "LOOP", "NEAR NORTH SIDE", "ROGERS PARK"):
        assert got.loc[name, "now"] == now.get(name, 0)
        assert got.loc[name, "before"] == before.get(name, 0)
    assert got.loc["all", "now"] == int(
        ((inc["occurred_at"] >= "2019-01-01") & (inc["occurred_at"] < "2019-09-30")).sum()
    )
    assert np.isnan(got.loc["all", "q"]) and (t["q"].iloc[1:] >= t["p"].iloc[1:]).all()


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_the_one_page_report_states_the_28_day_change(sample, lang):
    from hotspots.i18n import format_number, t
    from hotspots.patrol import PatrolParams, patrol_plan
    from hotspots.provenance import make_provenance
    from hotspots.report import report_html

    calls = sample.calls
    row = compstat(calls, period="28d").iloc[0]
    plan = patrol_plan(calls, lang=lang)
    html = report_html(calls, provenance=make_provenance(source="sample"), plan=plan, lang=lang)
    key = "report.compstat_significant" if row["significant"] else "report.compstat_chance"
    want = t(
        key, lang, now=format_number(int(row["now"]), lang),
        before=format_number(int(row["before"]), lang), change=f"{int(row['change']):+d}",
        p=format_number(float(row["p"]), lang, 3), start="2021-12-04", end="2021-12-31",
    )  # fmt: skip
    assert want in html
    assert 'class="meta compstat"' in html
    # presenter mode with K above a count (177 now, 208 before): no such line
    hidden = report_html(
        calls, provenance=make_provenance(source="sample"), plan=plan, lang=lang,
        presenter=True, params=PatrolParams(min_count=200),
    )  # fmt: skip
    assert 'class="meta compstat"' not in hidden
