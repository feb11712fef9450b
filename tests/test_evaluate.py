"""Evaluation: PAI / RRI arithmetic, a hand-computed toy city, every method, the sweep."""

from __future__ import annotations

import math

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots.errors import InputError, ParameterError
from hotspots.evaluate import (
    RESULT_COLUMNS,
    evaluate,
    pai,
    param_grid,
    rri,
    split_months,
    split_years,
    study_area,
    sweep,
)

LAT0, LON0 = 43.2973, 68.2518  # Turkestan
M_PER_DEG = 111_195.0


def incidents(lat, lon, year) -> gpd.GeoDataFrame:
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    return gpd.GeoDataFrame(
        {
            "lat": lat,
            "lon": lon,
            "year": pd.array(np.broadcast_to(year, lat.shape), dtype="Int64"),
            "month": pd.array(np.ones(lat.size, dtype=int), dtype="Int64"),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def offsets(dx_m, dy_m):
    """lat, lon of points dx/dy metres east/north of the toy city's centre."""
    lat = LAT0 + np.asarray(dy_m, dtype=float) / M_PER_DEG
    lon = LON0 + np.asarray(dx_m, dtype=float) / (M_PER_DEG * np.cos(np.radians(LAT0)))
    return lat, lon


# arithmetic ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hit", "share", "expected"),
    [(0.5, 0.05, 10.0), (0.3, 0.3, 1.0), (0.0, 0.1, 0.0), (0.4, 0.0, math.nan)],
)
def test_pai(hit, share, expected):
    got = pai(hit, share)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("p_test", "p_train", "expected"),
    [(7.0, 10.0, 0.7), (12.0, 6.0, 2.0), (3.0, 0.0, math.nan), (math.nan, 2.0, math.nan)],
)
def test_rri(p_test, p_train, expected):
    got = rri(p_test, p_train)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


def test_param_grid_is_every_combination():
    assert param_grid({"eps": [1, 2], "min_samples": [3, 4]}) == [
        {"eps": 1, "min_samples": 3},
        {"eps": 1, "min_samples": 4},
        {"eps": 2, "min_samples": 3},
        {"eps": 2, "min_samples": 4},
    ]


# the toy city: seven H3 cells ---------------------------------------------------------------
#: The toy city's cells are resolution 9 (auto, the default, would choose from its 20 calls).
TOY_RES = {"h3": {"resolution": 9}}


@pytest.fixture(scope="module")
def toy():
    """Study area = the 7 resolution-9 cells around the centre cell; calls at cell centres.

    Training (2019): 6 calls in c0, 3 in c1, 1 in c2. Test (2020): 4 in c0, 1 in c1, 5 in c3.
    """
    c0 = h3.latlng_to_cell(LAT0, LON0, 9)
    ring = sorted(set(h3.grid_disk(c0, 1)) - {c0})
    c1, c2, c3 = ring[0], ring[1], ring[2]
    cells = [c0, *ring]
    polys = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells]
    area = shapely.union_all(polys)

    def at(cell, n):
        lat, lng = h3.cell_to_latlng(cell)
        return [lat] * n, [lng] * n

    train = [at(c0, 6), at(c1, 3), at(c2, 1)]
    test = [at(c0, 4), at(c1, 1), at(c3, 5)]
    tr = incidents(sum((a for a, _ in train), []), sum((b for _, b in train), []), 2019)
    te = incidents(sum((a for a, _ in test), []), sum((b for _, b in test), []), 2020)
    calls = pd.concat([tr, te], ignore_index=True)
    areas = {c: h3.cell_area(c, unit="m^2") for c in cells}
    return {"calls": calls, "area": area, "cells": cells, "areas": areas}


def test_toy_city_h3_by_hand(toy):
    a = toy["areas"]
    c0, c1 = toy["cells"][0], toy["cells"][1]
    total = sum(a.values())
    res = evaluate(
        toy["calls"],
        train_years=[2019],
        test_years=[2020],
        coverage=2.5 / 7,
        methods=["h3"],
        params=TOY_RES,
        area=toy["area"],
    )
    row = res.iloc[0]
    # two cells fit in 2.5/7 of the area: c0 (6 training calls) and c1 (3)
    share = (a[c0] + a[c1]) / total
    assert row["n_areas"] == 2
    assert row["area_share"] == pytest.approx(share, rel=1e-4)
    assert row["area_km2"] == pytest.approx((a[c0] + a[c1]) / 1e6, rel=1e-4)
    assert (row["n_train"], row["n_test"]) == (10, 10)
    assert (row["hits_train"], row["hits_test"]) == (9, 5)
    assert row["hit_rate"] == 0.5
    assert row["pai"] == pytest.approx(0.5 / share, rel=1e-4)  # about 1.75
    assert row["pai"] == pytest.approx(1.75, rel=2e-3)
    # RRI = (0.5 / share) / (0.9 / share)
    assert row["rri"] == pytest.approx(5 / 9)


def test_toy_city_smaller_coverage_takes_only_the_top_cell(toy):
    res = evaluate(
        toy["calls"],
        train_years=[2019],
        test_years=[2020],
        coverage=1.5 / 7,
        methods=["h3"],
        params=TOY_RES,
        area=toy["area"],
    )
    row = res.iloc[0]
    assert row["n_areas"] == 1 and row["hits_test"] == 4 and row["hits_train"] == 6
    assert row["pai"] == pytest.approx(0.4 * 7, rel=2e-3)
    assert row["rri"] == pytest.approx(0.4 / 0.6)


def test_toy_city_nothing_fits(toy):
    res = evaluate(
        toy["calls"],
        train_years=[2019],
        test_years=[2020],
        coverage=0.5 / 7,
        methods=["h3"],
        params=TOY_RES,
        area=toy["area"],
    )
    row = res.iloc[0]
    assert row["n_areas"] == 0 and row["area_share"] == 0 and row["hit_rate"] == 0
    assert math.isnan(row["pai"]) and math.isnan(row["rri"])


def test_study_area_of_the_toy_city(toy):
    sa = study_area(toy["calls"], toy["area"])
    assert sa.area_m2 == pytest.approx(sum(toy["areas"].values()), rel=1e-4)
    # without a boundary: the convex hull of the calls (here the centres of c0..c3)
    hull = study_area(toy["calls"])
    assert 0 < hull.area_m2 < sa.area_m2


# every method on a two-cluster city ---------------------------------------------------------
@pytest.fixture(scope="module")
def two_clusters():
    """A 3 km square; training: a tight cluster A (west), a loose one B (east), background.
    Test: all calls at A."""
    rng = np.random.default_rng(3)
    bx, by = rng.uniform(-1500, 1500, 200), rng.uniform(-1500, 1500, 200)
    ax, ay = rng.normal(-700, 15, 120), rng.normal(0, 15, 120)
    cx, cy = rng.normal(700, 150, 60), rng.normal(0, 150, 60)
    tr = incidents(*offsets(np.r_[bx, ax, cx], np.r_[by, ay, cy]), 2019)
    te = incidents(*offsets(rng.normal(-700, 10, 50), rng.normal(0, 10, 50)), 2020)
    far = incidents(*offsets(rng.uniform(-1500, -1400, 50), rng.uniform(1400, 1500, 50)), 2021)
    corner = shapely.box(*offsets(-1500, -1500)[::-1], *offsets(1500, 1500)[::-1])
    return pd.concat([tr, te, far], ignore_index=True), corner


PARAMS = {
    "h3": {"resolution": 10},
    "kde": {"bandwidth": 150.0, "cell": 25.0},
    "dbscan": {"eps": 40.0, "min_samples": 10},
    "gistar": {"resolution": 10, "k": 1},
}


@pytest.mark.parametrize("method", ["h3", "kde", "dbscan", "gistar"])
def test_each_method_finds_the_cluster_that_recurs(two_clusters, method):
    calls, box = two_clusters
    kw = dict(coverage=0.01, methods=[method], params=PARAMS, area=box)
    hit = evaluate(calls, train_years=[2019], test_years=[2020], **kw).iloc[0]
    miss = evaluate(calls, train_years=[2019], test_years=[2021], **kw).iloc[0]
    assert list(hit.index) == [*RESULT_COLUMNS, "best"]
    assert 0 < hit["area_share"] <= 0.01 + 1e-12
    assert hit["hit_rate"] == 1.0 and miss["hit_rate"] == 0.0
    # identities: PAI = H / a, RRI = H_test / H_train, H = hits / n
    assert hit["pai"] == pytest.approx(1.0 / hit["area_share"])
    assert hit["rri"] == pytest.approx(1.0 / (hit["hits_train"] / hit["n_train"]))
    assert miss["pai"] == 0 and miss["rri"] == 0
    assert hit["params"] == PARAMS[method]


def test_dbscan_skips_a_cluster_larger_than_the_budget(two_clusters):
    calls, box = two_clusters
    # eps 400 m joins everything into one large cluster: it cannot fit in 1 %
    res = evaluate(
        calls,
        train_years=[2019],
        test_years=[2020],
        coverage=0.01,
        methods=["dbscan"],
        params={"dbscan": {"eps": 400.0, "min_samples": 5}},
        area=box,
    ).iloc[0]
    assert res["n_areas"] == 0 and math.isnan(res["pai"])


def test_sweep_does_not_rank_rows_flagging_a_sliver(two_clusters):
    calls, box = two_clusters
    # DBSCAN around the tight cluster A flags a sliver of the 5 % allowed: its PAI is the
    # highest but it is not comparable with methods that use the whole 5 %
    grid = {"h3": {"resolution": [9]}, "dbscan": {"eps": [40.0], "min_samples": [10]}}
    kw = dict(train_years=[2019], test_years=[2020], coverage=0.05, grid=grid, area=box)
    res = sweep(calls, min_fill=0.5, **kw).set_index("method")
    assert res.loc["dbscan", "area_share"] < 0.025 <= res.loc["h3", "area_share"]
    assert res.loc["dbscan", "pai"] > res.loc["h3", "pai"]
    assert not res.loc["dbscan", "comparable"] and not res.loc["dbscan", "best"]
    assert res.loc["h3", "best_overall"]
    # min_fill=0 ranks everything by PAI alone
    res0 = sweep(calls, min_fill=0, **kw).set_index("method")
    assert res0.loc["dbscan", "best_overall"] and res0.loc["dbscan", "comparable"]


def test_sweep_marks_the_best_pai(two_clusters):
    calls, box = two_clusters
    grid = {"h3": {"resolution": [8, 9, 10]}, "kde": {"bandwidth": [100.0, 300.0]}}
    res = sweep(
        calls,
        train_years=[2019],
        test_years=[2020],
        coverage=0.02,
        grid=grid,
        area=box,
        min_fill=0.5,
    )
    assert len(res) == 5
    assert [p["resolution"] for p in res.loc[res.method == "h3", "params"]] == [8, 9, 10]
    for _, g in res.groupby("method"):
        assert g["best"].sum() == 1
        assert g.loc[g["best"], "pai"].iloc[0] == g["pai"].max()
    assert res["best_overall"].sum() == 1
    assert res.loc[res["best_overall"], "pai"].iloc[0] == res["pai"].max()


def test_months_covering_whole_years_score_exactly_as_those_years():
    # an independent expectation: Jan 2019 .. Dec 2020 are the years 2019 and 2020
    from hotspots.sample import load_sample

    s = load_sample()
    kw = dict(coverage=0.05, methods=["h3", "kde", "dbscan", "gistar"], area=s.boundary)
    by_year = evaluate(s.calls, train_years=[2019, 2020], test_years=[2021], **kw)
    months = [str(p) for p in pd.period_range("2019-01", "2020-12", freq="M")]
    by_month = evaluate(
        s.calls,
        train_months=months,
        test_months=[f"2021-{m:02d}" for m in range(1, 13)],
        **kw,
    )
    pd.testing.assert_frame_equal(by_year, by_month)


def test_split_months_by_hand(toy):
    calls = toy["calls"].assign(month=[1] * 5 + [7] * 5 + [3] * 10)  # 2019: Jan, Jul; 2020: Mar
    tr, te = split_months(calls, ["2019-01", pd.Period("2019-07", freq="M")], ["2020-03"])
    assert (len(tr), len(te)) == (10, 10)
    tr, te = split_months(calls, "2019-01", ["2019-07"])
    assert (len(tr), len(te)) == (5, 5)
    assert tr.index.tolist() == [0, 1, 2, 3, 4] and te.index.tolist() == [5, 6, 7, 8, 9]
    with pytest.raises(ParameterError, match="test_months: must differ .* 2019-07"):
        split_months(calls, ["2019-07"], ["2019-07", "2020-03"])
    with pytest.raises(ParameterError, match="give months such as 2020-01, got '2019-13'"):
        split_months(calls, ["2019-13"], ["2020-03"])
    with pytest.raises(
        InputError, match=r"test_months 2021-01; the data covers 2019-01 \.\. 2020-03"
    ):
        split_months(calls, ["2019-01"], ["2021-01"])


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(train_years=[2019], test_months=["2020-03"]), "not both"),
        (dict(train_months=["2019-01"]), "both train_months and test_months"),
        (dict(test_years=[2020]), "give train_years and test_years"),
        ({}, "give train_years and test_years"),
    ],
)
def test_evaluate_needs_one_complete_split(toy, kw, match):
    with pytest.raises(ParameterError, match=match):
        evaluate(toy["calls"], coverage=0.2, methods=["h3"], **kw)


# validation ---------------------------------------------------------------------------------
def test_split_years(toy):
    tr, te = split_years(toy["calls"], [2019], [2020])
    assert len(tr) == 10 and len(te) == 10
    with pytest.raises(ParameterError, match="test_years"):
        split_years(toy["calls"], [2019, 2020], [2020])
    with pytest.raises(InputError, match=r"\[2019, 2020\]"):
        split_years(toy["calls"], [2019], [2025])


@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"coverage": 0}, ParameterError, "coverage"),
        ({"coverage": 1.5}, ParameterError, "coverage"),
        ({"methods": ["svm"]}, ParameterError, "methods"),
        ({"params": {"h3": {"bandwidth": 3}}}, ParameterError, "params"),
        ({"params": {"kde": {"bandwidth": -5}}, "methods": ["kde"]}, ParameterError, "bandwidth"),
    ],
)
def test_bad_parameters(toy, kwargs, error, word):
    base = dict(train_years=[2019], test_years=[2020], coverage=0.2, methods=["h3"])
    with pytest.raises(error, match=word):
        evaluate(toy["calls"], **{**base, **kwargs})


# the bundled sample -------------------------------------------------------------------------
def test_sample_methods_beat_chance():
    from hotspots.sample import load_sample

    s = load_sample()
    res = evaluate(
        s.calls, train_years=[2019, 2020], test_years=[2021], coverage=0.05, area=s.boundary
    )
    assert list(res["method"]) == ["h3", "kde", "dbscan", "gistar"]
    n_test = int((s.calls["year"] == 2021).sum())
    assert (res["n_test"] == n_test).all()
    assert (res["area_share"] <= 0.05 + 1e-12).all()
    # the sample is clustered: flagged areas hold more calls than their share of the area
    assert (res["pai"] > 1).all()
    assert res["rri"].between(0.5, 1.5).all()


# equal area, PEI, curves, rolling origin ------------------------------------------------------
def test_pei_by_hand_on_the_toy_city(toy):
    kw = dict(
        train_years=[2019], test_years=[2020], methods=["h3"], params=TOY_RES, area=toy["area"]
    )
    # two cells (c0, c1) hold 5 of the 10 test calls; the best two test cells (c3: 5, c0: 4)
    # hold 9: PEI = 0.5 / 0.9
    two = evaluate(toy["calls"], coverage=2.5 / 7, **kw).iloc[0]
    assert two["pei"] == pytest.approx(5 / 9)
    # one cell (c0: 4 test calls); the best single test cell is c3 with 5: PEI = 0.4 / 0.5
    one = evaluate(toy["calls"], coverage=1.5 / 7, **kw).iloc[0]
    assert one["pei"] == pytest.approx(0.8)
    # nothing selected: no PEI
    assert math.isnan(evaluate(toy["calls"], coverage=0.5 / 7, **kw).iloc[0]["pei"])


def test_pei_helper():
    from hotspots.evaluate import pei

    assert pei(0.3, 0.6) == 0.5 and math.isnan(pei(0.2, 0.0))


@pytest.fixture(scope="module")
def tight_city():
    """An NYC-like concentration: most calls at a few exact addresses (tiny DBSCAN clusters),
    the rest spread over a 4 km square; the same pattern in 2019 and 2020."""
    rng = np.random.default_rng(11)
    parts = []
    for year in (2019, 2020):
        sx, sy = rng.uniform(-2000, 2000, 1500), rng.uniform(-2000, 2000, 1500)
        hx = np.repeat([-1500.0, -500.0, 600.0, 1400.0], 60) + rng.normal(0, 2, 240)
        hy = np.repeat([-1200.0, 900.0, -300.0, 1500.0], 60) + rng.normal(0, 2, 240)
        parts.append(incidents(*offsets(np.r_[sx, hx], np.r_[sy, hy]), year))
    box = shapely.box(*offsets(-2000, -2000)[::-1], *offsets(2000, 2000)[::-1])
    return pd.concat(parts, ignore_index=True), box


def test_tiny_clusters_are_flagged_not_comparable_and_never_best(tight_city):
    from hotspots.evaluate import compare

    calls, box = tight_city
    comp = compare(
        calls,
        train_years=[2019],
        test_years=[2020],
        coverage=0.05,
        params={"dbscan": {"eps": 20.0, "min_samples": 20}, "h3": {"resolution": 10}},
        methods=["h3", "kde", "dbscan"],
        area=box,
    )
    res = comp.table.set_index("method")
    db = res.loc["dbscan"]
    assert 0 < db["area_share"] < 0.9 * 0.05
    assert not db["comparable"] and not db["best"]
    assert db["pai"] == res["pai"].max()  # the highest PAI, only because the area is tiny
    assert res["best"].sum() == 1 and res.loc[res["best"]].index[0] != "dbscan"
    assert bool(res.loc[res["best"], "comparable"].iloc[0])
    # every method is also scored at DBSCAN's own area share
    at = comp.at_share
    assert sorted(at["method"]) == ["dbscan", "h3", "kde"]
    assert (at["reference"] == "dbscan").all()
    assert (at["area_share"] <= db["area_share"] * (1 + 1e-9)).all()
    assert np.allclose(at["coverage"], db["area_share"])
    assert at.set_index("method").loc["dbscan", "hit_rate"] == pytest.approx(db["hit_rate"])


def test_a_new_method_scores_its_own_ranked_polygons(toy):
    from hotspots.evaluate import RankedAreas, score_ranked

    calls = toy["calls"]
    sa = study_area(calls, toy["area"])
    train, test = split_years(calls, [2019], [2020])
    c0, c3 = toy["cells"][0], toy["cells"][3]
    poly = {
        c: shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in (c0, c3)
    }
    # a "venue" method that ranks c3 first (score 2) then c0 (score 1)
    ranked = RankedAreas.from_polygons(np.array([poly[c0], poly[c3]]), np.array([1.0, 2.0]), sa)
    row = score_ranked("venues", {}, ranked, train, test, sa, 1.2 / 7)
    # room for one cell: c3 holds 5 of the 10 test calls and no training call
    assert row["n_areas"] == 1 and row["hits_test"] == 5 and row["hits_train"] == 0
    assert row["area_share"] == pytest.approx(toy["areas"][c3] / sum(toy["areas"].values()))
    assert row["pai"] == pytest.approx(0.5 / row["area_share"])
    assert not row["comparable"] or row["area_share"] >= 0.9 * 1.2 / 7


def test_hit_rate_curve_matches_evaluate_and_the_band_holds_it(two_clusters):
    from hotspots.evaluate import compare, hit_rate_curve

    calls, box = two_clusters
    kw = dict(train_years=[2019], test_years=[2020], params=PARAMS, area=box)
    comp = compare(calls, coverage=0.05, methods=["h3", "kde"], **kw)
    curve = hit_rate_curve(comp, shares=[0.005, 0.01, 0.02, 0.05], n_boot=50)
    assert len(curve) == 8
    for m, part in curve.groupby("method"):
        assert part["hit_rate"].is_monotonic_increasing  # more area never loses a hit
        assert (part["low"] <= part["hit_rate"] + 1e-12).all()
        assert (part["hit_rate"] <= part["high"] + 1e-12).all()
        at = part.set_index("share").loc[0.01]
        ref = evaluate(calls, coverage=0.01, methods=[m], **kw).iloc[0]
        assert at["hit_rate"] == pytest.approx(ref["hit_rate"])
        assert at["area_share"] == pytest.approx(ref["area_share"])


def test_rolling_origin_repeats_evaluate_over_the_years():
    from hotspots.evaluate import rolling_origin
    from hotspots.sample import load_sample

    s = load_sample()
    splits, summary = rolling_origin(
        s.calls, coverage=0.05, n_splits=2, methods=["h3"], area=s.boundary
    )
    assert splits["test_year"].tolist() == [2020, 2021]
    one = evaluate(
        s.calls,
        train_years=[2019],
        test_years=[2020],
        coverage=0.05,
        methods=["h3"],
        area=s.boundary,
    ).iloc[0]
    assert splits.iloc[0]["hit_rate"] == pytest.approx(one["hit_rate"])
    row = summary.iloc[0]
    assert row["splits"] == 2
    assert row["hit_rate_mean"] == pytest.approx(splits["hit_rate"].mean())
    assert row["hit_rate_sd"] == pytest.approx(splits["hit_rate"].std(ddof=1))
    with pytest.raises(InputError, match="two years"):
        rolling_origin(s.calls[s.calls["year"] == 2021], coverage=0.05, methods=["h3"])


def test_selected_areas_are_what_was_scored(two_clusters):
    from hotspots.evaluate import compare, selected_areas

    calls, box = two_clusters
    comp = compare(
        calls, train_years=[2019], test_years=[2020], coverage=0.02, params=PARAMS, area=box
    )
    for m, row in comp.table.set_index("method").iterrows():
        areas = selected_areas(comp, m, 0.02)
        assert areas["rank"].tolist() == list(range(1, len(areas) + 1))
        assert int(areas["test_calls"].sum()) == row["hits_test"]
        assert int(areas["train_calls"].sum()) == row["hits_train"]
        assert int(areas["n_units"].sum()) == row["n_areas"]
        assert areas.crs.to_epsg() == 4326
