"""The Trends page (AppTest): calls by year and offense, hour x weekday, monthly series.

On the sample the fall in thefts and the rise in hooliganism must be plain: the metrics say so
with their signs, and the table holds the yearly counts counted here with pandas.
"""

from __future__ import annotations

import pytest
from app_support import (
    chart_with,
    goto,
    metric_deltas,
    metrics,
    new_app,
    run,
    sample,
    table_with,
    texts,
)


def test_thefts_fall_and_hooliganism_rises_on_the_sample():
    calls = sample().calls
    by = calls.groupby(["offense", "year"]).size()
    first, last = int(calls["year"].min()), int(calls["year"].max())
    at = goto(run(new_app()), "trends")
    m, d = metrics(at), metric_deltas(at)
    assert m["Theft"] == f"{by['theft', last]:,}"
    assert m["Hooliganism"] == f"{by['hooliganism', last]:,}"
    theft = 100 * (by["theft", last] - by["theft", first]) / by["theft", first]
    hool = 100 * (by["hooliganism", last] - by["hooliganism", first]) / by["hooliganism", first]
    assert theft < -10 and hool > 10  # the story of the sample
    assert d["Theft"] == f"{theft:+.0f}%" and d["Theft"].startswith("-")
    assert d["Hooliganism"] == f"{hool:+.0f}%" and d["Hooliganism"].startswith("+")
    assert f"Calls in {last} and the change since {first}" in texts(at)
    bars = chart_with(at, "pct").set_index("label")["pct"]
    assert bars["Theft"] == pytest.approx(theft) and bars["Hooliganism"] == pytest.approx(hool)


def test_the_year_table_matches_pandas():
    calls = sample().calls
    at = goto(run(new_app()), "trends")
    table = table_with(at, "Change, %")
    for offense, label in (("theft", "Theft"), ("fight", "Fight")):
        for year in (2019, 2020, 2021):
            want = int(((calls["offense"] == offense) & (calls["year"] == year)).sum())
            assert int(table.loc[label, str(year)]) == want
    assert int(table.loc["All offenses", "2021"]) == int((calls["year"] == 2021).sum())


def test_filters_apply_to_the_trends():
    calls = sample().calls
    at = goto(run(new_app({"days": "sat,sun"})), "trends")
    table = table_with(at, "Change, %")
    want = int(((calls["year"] == 2020) & calls["weekday"].isin([5, 6])).sum())
    assert int(table.loc["All offenses", "2020"]) == want


def test_monthly_series_can_be_split_by_offense():
    calls = sample().calls
    at = goto(run(new_app()), "trends")
    total = chart_with(at, "month_name")
    assert set(total["label"]) == {"All offenses"}
    jan = total[total["month"] == "2020-01-01"]["count"].iloc[0]
    assert jan == int(((calls["year"] == 2020) & (calls["month"] == 1)).sum())
    [w for w in at.toggle if w.label == "Split by offense"][0].set_value(True)
    run(at)
    split = chart_with(at, "month_name")
    assert {"Theft", "Hooliganism", "Fight"} <= set(split["label"])
    thefts = split[(split["label"] == "Theft") & (split["month"] == "2020-01-01")]["count"].iloc[0]
    want = ((calls["year"] == 2020) & (calls["month"] == 1) & (calls["offense"] == "theft")).sum()
    assert thefts == int(want)


def test_hour_weekday_heatmap_counts():
    calls = sample().calls
    at = goto(run(new_app()), "trends")
    heat = chart_with(at, "day")
    assert len(heat) == 7 * 24
    cell = heat[(heat["day"] == "Fri") & (heat["hour"] == 22)]["count"].iloc[0]
    assert cell == int(((calls["weekday"] == 4) & (calls["hour"] == 22)).sum())
