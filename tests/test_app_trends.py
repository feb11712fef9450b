"""The Trends page (AppTest): calls by year and offense, hour x weekday, monthly series.

On the sample the fall in thefts and the rise in hooliganism must be plain: the metrics say so
with their signs, and the table holds the yearly counts counted here with pandas.
"""

from __future__ import annotations

import pytest
from app_support import (
    chart_data,
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
from streamlit.proto.Metric_pb2 import Metric


def test_thefts_fall_and_hooliganism_rises_on_the_sample():
    calls = sample().calls
    by = calls.groupby(["offense", "year"]).size()
    first, last = int(calls["year"].min()), int(calls["year"].max())
    prev = last - 1
    at = goto(run(new_app()), "trends")
    m, d = metrics(at), metric_deltas(at)
    assert m["Theft"] == f"{by['theft', last]:,}"
    assert m["Hooliganism"] == f"{by['hooliganism', last]:,}"

    def pct(offense, y0, y1):
        return 100 * (by[offense, y1] - by[offense, y0]) / by[offense, y0]

    theft, hool = pct("theft", first, last), pct("hooliganism", first, last)
    assert theft < -10 and hool > 10  # the story of the sample
    # the headline figures compare the last two years, as the report and `hotspots trends`
    # do (theft -15.2 %, all -1.9 %), to one decimal as they print them
    assert d["Theft"] == f"{pct('theft', prev, last):+.1f}%" == "-15.2%"
    assert d["Hooliganism"] == f"{pct('hooliganism', prev, last):+.1f}%" == "+14.4%"
    total = 100 * (by.xs(last, level=1).sum() - by.xs(prev, level=1).sum())
    assert d["All offenses"] == f"{total / by.xs(prev, level=1).sum():+.1f}%" == "-1.9%"
    assert f"Calls in {last} and the change from {prev}, as in the report" in texts(at)
    # the whole period, first -> last, clearly labelled: the bars, the metric help, the table
    helps = {x.label: x.proto.help for x in at.metric}
    assert helps["Theft"] == f"Change {first} → {last}, whole period: {theft:+.1f}%"
    bars = chart_with(at, "pct").set_index("label")["pct"]
    assert bars["Theft"] == pytest.approx(theft) and bars["Hooliganism"] == pytest.approx(hool)
    table = table_with(at, f"Change {first}→{last}, %")
    assert table.loc["Theft", f"Change {first}→{last}, %"] == round(theft, 1) == -27.9
    assert table.loc["Theft", f"Change {prev}→{last}, %"] == -15.2


def test_no_change_shows_no_arrow():
    at = goto(run(new_app()), "trends")
    # "other" has 532 calls in 2020 and in 2021: no change, so no arrow and no colour
    other = [x for x in at.metric if x.label == "Other"][0]
    assert other.value == "532" and other.proto.delta == "±0%"
    assert other.proto.direction == Metric.MetricDirection.NONE  # no arrow
    assert other.proto.color == Metric.MetricColor.GRAY
    theft = [x for x in at.metric if x.label == "Theft"][0]
    assert theft.proto.direction == Metric.MetricDirection.DOWN  # a fall: arrow down, green
    assert theft.proto.color == Metric.MetricColor.GREEN
    assert "+0%" not in metric_deltas(at).values()


def test_the_year_table_matches_pandas():
    calls = sample().calls
    at = goto(run(new_app()), "trends")
    table = table_with(at, "Change 2020→2021, %")
    for offense, label in (("theft", "Theft"), ("fight", "Fight")):
        for year in (2019, 2020, 2021):
            want = int(((calls["offense"] == offense) & (calls["year"] == year)).sum())
            assert int(table.loc[label, str(year)]) == want
    assert int(table.loc["All offenses", "2021"]) == int((calls["year"] == 2021).sum())


def test_filters_apply_to_the_trends():
    calls = sample().calls
    at = goto(run(new_app({"days": "sat,sun"})), "trends")
    table = table_with(at, "Change 2020→2021, %")
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


def _specs(at) -> list[dict]:
    import json

    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def _colours(spec: dict) -> dict[str, str]:
    scale = spec["encoding"]["color"]["scale"]
    return dict(zip(scale["domain"], scale["range"], strict=True))


def test_charts_speak_the_language_and_offenses_keep_their_colours():
    en = goto(run(new_app({"lang": "en"})), "trends")
    ru = goto(run(new_app({"lang": "ru"})), "trends")
    for spec in _specs(ru):  # month names and digit grouping of the locale, every chart
        locale = spec["config"]["locale"]
        assert locale["time"]["shortMonths"][3] == "Апр" and locale["time"]["months"][6] == "Июль"
        assert locale["number"]["thousands"] == "\u00a0" and locale["number"]["decimal"] == ","
    assert _specs(en)[0]["config"]["locale"]["number"]["thousands"] == ","
    yearly_en, yearly_ru = _colours(_specs(en)[0]), _colours(_specs(ru)[0])
    assert yearly_en["Theft"] == yearly_ru["Кража"] == "#1f78b4"  # the map's theft colour
    assert yearly_en["Hooliganism"] == yearly_ru["Хулиганство"] == "#e31a1c"
    assert len(set(yearly_en.values())) == len(yearly_en)  # one colour per offense
    for at in (en, ru):
        [w for w in at.toggle][0].set_value(True)
        run(at)
    split_en = _colours(next(s for s in _specs(en) if "month_name" in str(s["encoding"])))
    split_ru = _colours(next(s for s in _specs(ru) if "month_name" in str(s["encoding"])))
    assert split_en["Theft"] == split_ru["Кража"] == yearly_en["Theft"]
    assert split_en["Fight"] == split_ru["Драка"] == yearly_en["Fight"]


def test_monthly_series_is_named_after_the_offense_filter():
    at = goto(run(new_app({"offenses": "theft"})), "trends")
    monthly = chart_with(at, "month_name")
    assert set(monthly["label"]) == {"Theft"}  # not "All offenses"
    spec = next(s for s in _specs(at) if "month_name" in str(s["encoding"]))
    assert _colours(spec) == {"Theft": "#1f78b4"}
    assert "All offenses" not in metrics(at)  # the total would repeat the theft figures
    at = goto(run(new_app({"offenses": "theft,fight"})), "trends")
    assert set(chart_with(at, "month_name")["label"]) == {"Selected offenses"}
    assert "Selected offenses" in metrics(at)


def test_month_names_in_russian_tooltips():
    at = goto(run(new_app({"lang": "ru"})), "trends")
    monthly = chart_with(at, "month_name")
    assert "Апр 2020" in set(monthly["month_name"])


def test_presenter_mode_shows_no_figure_from_fewer_than_k_calls():
    # K = 400: on the sample fight (325-335 a year) and others fall under it, theft does not
    k = 400
    calls = sample().calls
    by = calls.groupby(["offense", "year"]).size()
    last = int(calls["year"].max())
    at = goto(run(new_app({"presenter": "1", "k": str(k)})), "trends")
    m, d = metrics(at), metric_deltas(at)
    assert by["fight", last] < k and m["Fight"] == f"< {k}" and d["Fight"] == ""
    assert by["theft", last] >= k and m["Theft"] == f"{by['theft', last]:,}"
    table = table_with(at, str(last))
    for col in [c for c in table.columns if c.isdigit()]:
        for offense, cell in table[col].items():
            assert cell == f"< {k}" or int(str(cell).replace(",", "")) >= k, (offense, col, cell)
    assert (table[str(last)] == f"< {k}").any()
    # no chart draws a count under K: the yearly lines, the hour x weekday cells, the months
    for i in range(len(at.get("vega_lite_chart"))):
        data = chart_data(at, i)
        if "count" in data.columns:
            shown = data["count"].dropna()
            assert (shown >= k).all(), i
    # the analyst view of the same page shows the small counts
    at = goto(run(new_app({"k": str(k)})), "trends")
    assert metrics(at)["Fight"] == f"{by['fight', last]:,}"
