"""hotspots.views: what the app's pages show, from (incidents, filters, params).

Small hand-built tables with hand-computed expectations; the heavy lifting is tested in the
analysis modules' own tests, so here the checks are about the choices views makes: which
calls, which parameters, what is counted and how it is packaged.
"""

from __future__ import annotations

import math

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest

from hotspots import views
from hotspots.errors import InputError, ParameterError
from hotspots.filters import Filters

LAT0, LON0 = 43.30, 68.25
M_PER_DEG = math.pi * 6_371_008.8 / 180.0


def incidents(rows: list[tuple]) -> gpd.GeoDataFrame:
    """Canonical incidents from (lat, lon, "YYYY-MM-DD HH:MM", offense) tuples."""
    lat = np.array([r[0] for r in rows], dtype=float)
    lon = np.array([r[1] for r in rows], dtype=float)
    when = pd.to_datetime([r[2] for r in rows])
    frame = pd.DataFrame(
        {
            "incident_id": [str(i + 1) for i in range(len(rows))],
            "occurred_at": when,
            "time_precision": "minute",
            "year": pd.array(when.year, dtype="Int64"),
            "month": pd.array(when.month, dtype="Int64"),
            "weekday": pd.array(when.day_of_week, dtype="Int64"),
            "hour": pd.array(when.hour, dtype="Int64"),
            "offense": pd.array([r[3] for r in rows], dtype="string"),
            "offense_raw": pd.array([r[3] for r in rows], dtype="string"),
            "premise": pd.array([pd.NA] * len(rows), dtype="string"),
            "lat": lat,
            "lon": lon,
            "source_row": np.arange(1, len(rows) + 1),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def north(metres: float) -> float:
    return LAT0 + metres / M_PER_DEG


def east(metres: float) -> float:
    return LON0 + metres / (M_PER_DEG * math.cos(math.radians(LAT0)))


# a Monday 2021-03-01; 2021-03-06 is a Saturday
CALLS = incidents(
    [
        (north(0), east(0), "2021-03-06 22:10", "theft"),
        (north(2), east(1), "2021-03-06 22:40", "theft"),
        (north(1), east(3), "2021-03-06 22:05", "fight"),
        (north(3), east(2), "2020-03-01 09:00", "theft"),
        (north(900), east(900), "2020-03-02 10:00", "hooliganism"),
        (north(901), east(902), "2021-03-03 11:00", "hooliganism"),
    ]
)


class TestParams:
    def test_defaults_and_round_trip(self):
        # auto is the default: it travels as "auto" (saved views fit other data) ...
        p = views.Params()
        assert views.Params.from_dict(p.as_dict()) == p
        assert p.auto_fields == ("resolution", "eps_m", "min_samples", "bandwidth_m")
        assert p.method_params() == {
            "h3": {"resolution": "auto"},
            "kde": {"bandwidth": "auto"},
            "dbscan": {"eps": "auto", "min_samples": "auto"},
            "gistar": {"resolution": "auto"},
        }
        # ... and numbers given are kept as numbers
        q = views.Params(resolution=9, eps_m=100, min_samples=30, bandwidth_m=250)
        assert views.Params.from_dict(q.as_dict()) == q and q.auto_fields == ()
        assert q.method_params() == {
            "h3": {"resolution": 9},
            "kde": {"bandwidth": 250.0},
            "dbscan": {"eps": 100.0, "min_samples": 30},
            "gistar": {"resolution": 9},
        }

    @pytest.mark.parametrize(
        ("field", "value", "words"),
        [
            ("resolution", 12, "resolution: H3 resolution, between 7 and 11"),
            ("eps_m", 5, "eps_m: metres, between 10 and 2000"),
            ("min_samples", 1, "min_samples: calls, between 2 and 100000"),
            ("bandwidth_m", float("nan"), "bandwidth_m: metres"),
            ("coverage", 0.9, "coverage: share of the study area"),
            ("resolution", 8.5, "resolution: a whole number"),
            ("kernel", "triangle", "kernel: one of quartic, gaussian"),
        ],
    )
    def test_bad_values_name_the_parameter_and_its_unit(self, field, value, words):
        with pytest.raises(ParameterError, match=words):
            views.Params(**{field: value})

    def test_unknown_saved_parameter_is_an_error(self):
        with pytest.raises(ParameterError, match="unknown parameter"):
            views.Params.from_dict({"eps": 100})

    def test_numbers_are_normalised(self):
        p = views.Params(resolution=10.0, eps_m=120)
        assert p.resolution == 10 and isinstance(p.resolution, int)
        assert p.eps_m == 120.0 and isinstance(p.eps_m, float)


def test_filter_choices():
    got = views.filter_choices(CALLS)
    assert got["years"] == [2020, 2021]
    assert got["offenses"][0] == "theft"  # 3 thefts, 2 hooliganism, 1 fight
    assert got["offenses"][1:] == ["hooliganism", "fight"]
    assert got["hours"] == [9, 10, 11, 22]
    assert got["weekdays"] == [0, 2, 5, 6]  # Mon 2 Mar 2020, Wed 3 Mar 2021, Sat 6 Mar, Sun 1 Mar
    # month-only data (police.uk): no hour, no weekday to filter on
    month_only = CALLS.assign(
        hour=pd.array([pd.NA] * 6, dtype="Int64"), weekday=pd.array([pd.NA] * 6, dtype="Int64")
    )
    got = views.filter_choices(month_only)
    assert got["hours"] == [] and got["weekdays"] == [] and got["years"] == [2020, 2021]


def test_headline_by_hand():
    h = views.headline(CALLS)
    assert (h.n_calls, h.n_total) == (6, 6)
    assert h.first == pd.Timestamp("2020-03-01 09:00") and h.last == pd.Timestamp(
        "2021-03-06 22:40"
    )
    assert h.top_offense == "theft" and h.top_offense_share == pytest.approx(3 / 6)
    assert (h.peak_weekday, h.peak_hour) == (5, 22)  # three calls on Saturday 22:xx
    cells = pd.Series(
        [h3.latlng_to_cell(a, b, 9) for a, b in zip(CALLS.lat, CALLS.lon, strict=True)]
    )
    counts = cells.value_counts()
    assert h.n_top_cells == 1  # ceil(5 % of the non-empty cells)
    assert h.top_cells_share == pytest.approx(counts.iloc[0] / 6)


def test_headline_applies_the_filters():
    h = views.headline(CALLS, Filters(years=(2021,), offenses=("theft",)))
    assert (h.n_calls, h.n_total) == (2, 6)
    assert h.top_offense_share == 1.0


def test_headline_of_nothing():
    h = views.headline(CALLS, Filters(years=(1999,)))
    assert h.n_calls == 0 and h.top_offense is None and h.peak_hour is None
    assert math.isnan(h.top_cells_share)


def test_cell_layer_counts_every_call_once():
    cells = views.cell_layer(CALLS, params=views.Params(resolution=9))
    assert cells["count"].sum() == len(CALLS)
    expected = pd.Series(
        [h3.latlng_to_cell(a, b, 9) for a, b in zip(CALLS.lat, CALLS.lon, strict=True)]
    ).value_counts()
    assert dict(zip(cells["cell"], cells["count"], strict=True)) == expected.to_dict()
    assert (cells.geometry.geom_type == "Polygon").all() and cells.crs.to_epsg() == 4326


def test_display_cell_is_a_whole_number_of_kde_node_spacings():
    small = incidents(
        [
            (north(0), east(0), "2021-01-01 00:00", "x"),
            (north(500), east(500), "2021-01-01 00:00", "x"),
        ]
    )
    # quartic: nodes every 250 / 12 m; two of them are the largest cell under 250 / 5 = 50 m
    assert views.display_cell_m(small, 250.0) == pytest.approx(2 * 250 / 12)
    # gaussian: nodes every 250 / 6 m; one is under 50 m
    assert views.display_cell_m(small, 250.0, kernel="gaussian") == pytest.approx(250 / 6)
    wide = incidents(
        [
            (north(0), east(0), "2021-01-01 00:00", "x"),
            (north(40_000), east(0), "2021-01-01 00:00", "x"),
        ]
    )
    # longest side 40 km + 2 x 250 m of padding over 400 cells is 101.25 m: 4.86 nodes of
    # 20.83 m, so 5 nodes (104.17 m, 389 cells a side)
    cell = views.display_cell_m(wide, 250.0)
    assert cell == pytest.approx(5 * 250 / 12)
    assert 40_500 / cell <= 400
    # kde (ceil(12 cell / bandwidth) nodes per cell) then uses exactly 5: spacing 250 / 12
    assert math.ceil(12 * cell / 250.0) == 5
    # gaussian: padding 4 bandwidths, 42 km / 400 = 105 m = 2.52 nodes of 41.67 m: 3 nodes
    assert views.display_cell_m(wide, 250.0, kernel="gaussian") == pytest.approx(125.0)
    with pytest.raises(ParameterError, match="kernel"):
        views.display_cell_m(wide, 250.0, kernel="epanechnikov")


def test_density_layer_holds_the_calls():
    layer = views.density_layer(CALLS, params=views.Params(bandwidth_m=200.0))
    s = layer.surface
    total = float(np.asarray(s.values).sum() * s.cell_area_km2)
    assert total == pytest.approx(len(CALLS), rel=0.02)
    assert len(layer.contours) >= 1
    with pytest.raises(InputError, match="no calls"):
        views.density_layer(CALLS, Filters(years=(1999,)))


def test_clusters_of_two_groups():
    p = views.Params(eps_m=20.0, min_samples=2)
    out = views.cluster_summary(CALLS, params=p)
    assert sorted(out["n_incidents"].tolist()) == [2, 4]  # 4 near the origin, 2 at 900 m


def test_gistar_summary_keeps_significant_cells_only():
    rng = np.random.default_rng(3)
    hot = [
        (north(rng.normal(0, 60)), east(rng.normal(0, 60)), "2021-01-01 12:00", "x")
        for _ in range(300)
    ]
    spread = [
        (north(rng.uniform(-3000, 3000)), east(rng.uniform(-3000, 3000)), "2021-01-01 12:00", "x")
        for _ in range(300)
    ]
    gi = views.gistar_summary(incidents(hot + spread), params=views.Params(resolution=9))
    assert len(gi) > 0 and (gi["bin"] != 0).all()
    assert gi.loc[gi["count"].idxmax(), "bin"] == 3
    everything = views.gistar_summary(
        incidents(hot + spread), params=views.Params(resolution=9), significant_only=False
    )
    assert len(everything) > len(gi)
    # the same statistic over every cell of the study area, and the same hexagons
    kept = everything.loc[everything["bin"] != 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        pd.DataFrame(gi.drop(columns="geometry")), pd.DataFrame(kept.drop(columns="geometry"))
    )
    assert gi.geometry.geom_equals(kept.geometry).all()


VENUES = gpd.GeoDataFrame(
    {
        "venue_id": ["A", "B", "C"],
        "name": ["Café A", "Bar B", "Park C"],
        "kind": ["cafe", "bar", "park"],
        "lat": [north(0), north(900), north(5000)],
        "lon": [east(0), east(900), east(5000)],
    },
    geometry=gpd.points_from_xy(
        [east(0), east(900), east(5000)], [north(0), north(900), north(5000)]
    ),
    crs="EPSG:4326",
)


def test_venue_ranking_and_detail_by_hand():
    rk = views.venue_ranking(CALLS, VENUES, params=views.Params(venue_radius_m=10.0))
    table = rk.table.set_index("venue_id")
    assert table.loc["A", "calls"] == 4 and table.loc["B", "calls"] == 2
    assert table.loc["C", "calls"] == 0
    assert table.loc["A", "calls_2020"] == 1 and table.loc["A", "calls_2021"] == 3
    assert rk.table["venue_id"].tolist() == ["A", "B", "C"]
    # Gini of (4, 2, 0): sum |xi - xj| / (2 n^2 mean) = 16 / (2 * 9 * 2)
    assert rk.gini == pytest.approx(16 / 36)
    assert rk.top_share(0.1) == pytest.approx(4 / 6)
    d = views.venue_detail(rk, VENUES, "A")
    assert d.by_offense.to_dict() == {"theft": 3, "fight": 1}
    assert d.by_hour[22] == 3 and d.by_hour[9] == 1 and d.by_hour.sum() == 4
    assert d.by_weekday[5] == 3 and d.by_weekday[6] == 1
    assert d.by_year.to_dict() == {2020: 1, 2021: 3}
    with pytest.raises(InputError, match="no venue"):
        views.venue_detail(rk, VENUES, "Z")


def test_venue_ranking_needs_venues():
    with pytest.raises(InputError, match="no venues"):
        views.venue_ranking(CALLS, VENUES.iloc[0:0])


def test_comparison_split():
    got = views.comparison_split(CALLS)
    assert got.kwargs == {"train_years": (2020,), "test_years": (2021,)}
    assert (got.train, got.test) == (("2020",), ("2021",))
    # the 2021 calls all fall in March: one month of one year predicts nothing
    with pytest.raises(InputError, match="at least two years, or from at least 4 months"):
        views.comparison_split(CALLS[CALLS["year"] == 2021])


def test_a_single_year_is_compared_by_its_last_three_months():
    # one call in each of Jan, Feb, Apr, Jul, Aug 2021 (March, May, June empty)
    one_year = incidents(
        [(north(0), east(0), f"2021-{m:02d}-10 21:00", "theft") for m in (1, 2, 4, 7, 8)]
    )
    got = views.comparison_split(one_year)
    assert got.kwargs == {
        "train_months": ("2021-01", "2021-02"),
        "test_months": ("2021-04", "2021-07", "2021-08"),
    }
    assert (got.train, got.test) == (("2021-01..2021-02",), ("2021-04", "2021-07..2021-08"))


def test_compare_methods_is_evaluate_with_the_params():
    from hotspots.evaluate import evaluate

    rng = np.random.default_rng(5)
    centres = rng.uniform(-2000, 2000, size=(6, 2))
    pick = rng.integers(0, 6, 3000)
    xy = centres[pick] + rng.normal(0, 150, size=(3000, 2))
    days = pd.Timestamp("2017-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, 3000), "D")
    calls = incidents(
        [
            (north(y), east(x), f"{d:%Y-%m-%d} 12:00", "theft")
            for (x, y), d in zip(xy, days, strict=True)
        ]
    )
    p = views.Params(resolution=8, bandwidth_m=300.0, eps_m=150.0, min_samples=10, coverage=0.1)
    got = views.compare_methods(calls, params=p, methods=("h3", "kde"))
    ref = evaluate(
        calls,
        train_years=[2017, 2018],
        test_years=[2019],
        coverage=0.1,
        methods=["h3", "kde"],
        params={"h3": {"resolution": 8}, "kde": {"bandwidth": 300.0}},
    )
    pd.testing.assert_frame_equal(got.drop(columns="params"), ref.drop(columns="params"))


def test_trends_bundle():
    tr = views.trends(CALLS)
    y = tr.yearly.set_index(["offense", "year"])["count"]
    assert y["theft", 2021] == 2 and y["theft", 2020] == 1 and y["all", 2021] == 4
    assert int(tr.hour_weekday.loc["sat", 22]) == 3
    assert tr.monthly["count"].sum() == 6
    assert set(tr.monthly_by_offense["offense"]) == {"theft", "fight", "hooliganism"}
    # two years: the last two years' change only (first -> last would repeat it)
    recent = tr.recent.set_index("offense")
    assert recent.attrs["from_year"] == 2020 and recent.attrs["to_year"] == 2021
    assert recent.loc["theft", "change_pct"] == pytest.approx(100.0)
    assert recent.loc["hooliganism", "direction"] == "flat"
    assert tr.span is None and tr.partial == {2020: 1, 2021: 1}


def test_trends_changes_agree_with_the_report_and_the_cli():
    """The sample (2019-2021): the last two years as the report's offense table and the CLI's
    year table (theft -15.2 %, all -1.9 %); first -> last as the CLI's Change (-27.9 %)."""
    from hotspots.report import offense_table
    from hotspots.sample import load_sample

    calls = load_sample().calls
    tr = views.trends(calls)
    recent = tr.recent.set_index("offense")["change_pct"]
    report = offense_table(calls, max_rows=20).set_index("offense")["change_pct"]
    for offense in report.index:
        assert recent[offense] == pytest.approx(report[offense])
    assert round(recent["theft"], 1) == -15.2 and round(recent["all"], 1) == -1.9
    assert (tr.recent.attrs["from_year"], tr.recent.attrs["to_year"]) == (2020, 2021)
    span = tr.span.set_index("offense")["change_pct"]
    assert (tr.span.attrs["from_year"], tr.span.attrs["to_year"]) == (2019, 2021)
    assert round(span["theft"], 1) == -27.9
    n = calls.groupby(["offense", "year"]).size()
    assert span["hooliganism"] == pytest.approx(
        100 * (n["hooliganism", 2021] - n["hooliganism", 2019]) / n["hooliganism", 2019]
    )
    assert tr.span_skipped == [] and tr.partial == {}
