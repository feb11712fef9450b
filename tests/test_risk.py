"""Venue risk (risk terrain modelling): factors, the count model, the surface and its scores.

The synthetic city of ``benchmarks/synthetic_risk.py`` has known effects: calls x3 within 100 m
of a bar, x1 near a café (cafés sit on the busy side of town), over a west-east gradient that
the other offense types share. References: brute-force distances and kernel sums, statsmodels'
GLM and NegativeBinomial fitted directly on the same design, hand-computed values.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from benchmarks.synthetic_risk import make_city
from hotspots.errors import InputError, ParameterError
from hotspots.evaluate import study_area_polygon
from hotspots.risk import factors as fx
from hotspots.risk import fit_risk, risk_data, risk_surface
from hotspots.risk.model import irls, loglik
from hotspots.risk.scoring import best_hits, pei, score_risk

R = 6_371_008.8


@pytest.fixture(scope="module")
def city():
    return make_city(0)


@pytest.fixture(scope="module")
def model(city):
    return fit_risk(city.target, city.venues, background=city.background, area=city.area)


def haversine(lat1, lon1, lat2, lon2):
    la1, lo1, la2, lo2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * R * np.arcsin(np.sqrt(a))


# --- the model recovers the known effects -------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_the_bar_effect_within_its_interval_and_leaves_cafes_out(seed):
    c = make_city(seed)
    m = fit_risk(c.target, c.venues, background=c.background, area=c.area)
    assert m.factors["kind"].tolist() == ["bar"]
    bar = m.factors.iloc[0]
    assert bar["measure"] == "proximity" and bar["distance_m"] == 100
    assert bar["ci_low"] < 3.0 < bar["ci_high"]
    assert bar["ci_high"] / bar["ci_low"] < 1.5  # a tight interval, not a vacuous one
    assert bar["p"] < 1e-6
    assert m.fit["family"] == "poisson"  # Poisson data: the NB's extra parameter does not pay


def test_without_the_background_the_busy_side_cafes_are_credited(city):
    # the control is what separates a kind of place from where it happens to be
    blind = fit_risk(city.target, city.venues, area=city.area, family="poisson")
    assert "cafe" in blind.factors["kind"].tolist()
    assert blind.fit["background"] is False and blind.fit["background_coef"] is None


def test_coefficients_equal_statsmodels_glm_on_the_same_design(model):
    ref = GLM(model.data.y, model.design, family=families.Poisson()).fit()
    np.testing.assert_allclose(model.coef.to_numpy(), ref.params.to_numpy(), rtol=1e-7)
    bar = model.factors.iloc[0]
    col = "bar:proximity:100"
    assert bar["coef"] == pytest.approx(ref.params[col], rel=1e-7)
    assert bar["se"] == pytest.approx(ref.bse[col], rel=1e-6)
    assert bar["p"] == pytest.approx(ref.pvalues[col], rel=1e-5, abs=1e-300)
    lo, hi = np.exp(ref.conf_int().loc[col])
    assert (bar["ci_low"], bar["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert model.fit["deviance"] == pytest.approx(ref.deviance)
    assert model.fit["aic"] == pytest.approx(ref.aic)


def test_likelihood_ratio_test_against_intercept_and_background(model):
    base = GLM(model.data.y, model.design[["const", "background"]], family=families.Poisson())
    base = base.fit()
    full = GLM(model.data.y, model.design, family=families.Poisson()).fit()
    lr = 2 * (full.llf - base.llf)
    assert model.fit["lr_stat"] == pytest.approx(lr)
    assert model.fit["lr_df"] == 1
    assert model.fit["lr_p"] == pytest.approx(stats.chi2.sf(lr, 1), abs=1e-300)
    assert model.fit["baseline_aic"] == pytest.approx(base.aic)


def test_negative_binomial_equals_statsmodels_joint_fit():
    c = make_city(3, mean_calls=2.0)
    # overdisperse the counts: a gamma frailty per cell (NB2 with alpha 0.5)
    rng = np.random.default_rng(5)
    y = rng.poisson(c.rate * rng.gamma(2.0, 0.5, c.rate.size))
    pos = np.repeat(np.arange(len(c.cells)), y)
    target = pd.DataFrame({"lat": c.cells.lat[pos], "lon": c.cells.lon[pos]})
    m = fit_risk(target, c.venues, background=c.background, area=c.area, family="negbin")
    assert "bar" in m.factors["kind"].tolist()
    ref = NegativeBinomial(m.data.y, m.design, loglike_method="nb2").fit(disp=0, maxiter=500)
    np.testing.assert_allclose(m.coef.to_numpy(), ref.params.to_numpy()[:-1], rtol=2e-4)
    assert m.fit["alpha"] == pytest.approx(ref.params.iloc[-1], rel=2e-3)
    assert m.fit["llf"] == pytest.approx(ref.llf, rel=1e-6)
    assert m.fit["aic"] == pytest.approx(ref.aic, rel=1e-6)
    bar = m.factors.set_index("kind").loc["bar"]
    assert bar["ci_low"] < 3.0 < bar["ci_high"]


def test_auto_family_prefers_the_negative_binomial_for_overdispersed_counts():
    c = make_city(4)
    rng = np.random.default_rng(6)
    y = rng.poisson(c.rate * rng.gamma(1.0, 1.0, c.rate.size))  # alpha 1
    pos = np.repeat(np.arange(len(c.cells)), y)
    target = pd.DataFrame({"lat": c.cells.lat[pos], "lon": c.cells.lon[pos]})
    m = fit_risk(target, c.venues, background=c.background, area=c.area)
    assert m.fit["family"] == "negbin"
    assert m.fit["family_bic"]["negbin"] < m.fit["family_bic"]["poisson"]
    assert 0.5 < m.fit["alpha"] < 1.6


@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_irls_equals_statsmodels_glm(alpha):
    rng = np.random.default_rng(1)
    x = np.column_stack([np.ones(400), rng.normal(size=400), rng.integers(0, 2, 400)])
    off = rng.normal(0, 0.3, 400)
    y = rng.poisson(np.exp(0.3 + 0.5 * x[:, 1] + 0.8 * x[:, 2] + off))
    fam = families.Poisson() if alpha == 0 else families.NegativeBinomial(alpha=alpha)
    ref = GLM(y, x, family=fam, offset=off).fit()
    beta, se, ll = irls(y.astype(float), x, alpha, off)
    np.testing.assert_allclose(beta, ref.params, rtol=1e-7)
    np.testing.assert_allclose(se, ref.bse, rtol=1e-5)
    assert ll == pytest.approx(ref.llf, rel=1e-10)
    assert loglik(y, ref.mu, alpha) == pytest.approx(ref.llf, rel=1e-10)


# --- factors ------------------------------------------------------------------------------
def test_proximity_is_a_venue_within_d_metres_by_haversine(city):
    design, factors = fx.venue_factors(
        city.cells, city.venues, kinds=["bar", "cafe"], distances=[50, 100, 200],
        measures=["proximity"],
    )  # fmt: skip
    assert [f.name for f in factors] == [
        "bar:proximity:50", "bar:proximity:100", "bar:proximity:200",
        "cafe:proximity:50", "cafe:proximity:100", "cafe:proximity:200",
    ]  # fmt: skip
    for kind in ("bar", "cafe"):
        v = city.venues[city.venues["kind"] == kind]
        d = haversine(
            city.cells.lat[:, None],
            city.cells.lon[:, None],
            v["lat"].to_numpy(),
            v["lon"].to_numpy(),
        ).min(axis=1)
        for dist in (50, 100, 200):
            got = design[f"{kind}:proximity:{dist}"].to_numpy() == 1
            near_edge = np.abs(d - dist) < 0.01  # millimetre ties between sphere and plane
            assert np.array_equal(got[~near_edge], (d <= dist)[~near_edge])
    # the generator's "near a bar" is the factor
    assert np.array_equal(design["bar:proximity:100"].to_numpy() == 1, city.near_bar)


def test_density_marks_cells_two_sd_above_the_mean_of_a_brute_force_kernel_sum(city):
    design, _ = fx.venue_factors(
        city.cells, city.venues, kinds=["cafe"], distances=[300], measures=["density"]
    )
    v = city.venues[city.venues["kind"] == "cafe"]
    d = haversine(
        city.cells.lat[:, None], city.cells.lon[:, None], v["lat"].to_numpy(), v["lon"].to_numpy()
    )
    h = 300.0
    dens = (3 / (math.pi * h * h) * np.clip(1 - d**2 / h**2, 0, None) ** 2).sum(axis=1) * 1e6
    want = dens > dens.mean() + 2 * dens.std()
    assert want.sum() > 5
    got = design["cafe:density:300"].to_numpy() == 1
    assert (got != want).sum() <= 1  # a cell exactly at the threshold may differ in rounding


def test_quartic_kernel_hand_values():
    h = 100.0
    at0 = fx.quartic_sum(np.r_[0.0], np.r_[0.0], np.r_[0.0], np.r_[0.0], h)[0]
    assert at0 == pytest.approx(3 / (math.pi * h * h) * 1e6)  # 95.49 per km²
    half = fx.quartic_sum(np.r_[0.0], np.r_[0.0], np.r_[50.0], np.r_[0.0], h, np.r_[2.0])[0]
    assert half == pytest.approx(2 * 3 / (math.pi * h * h) * (1 - 0.25) ** 2 * 1e6)
    assert fx.quartic_sum(np.r_[0.0], np.r_[0.0], np.r_[100.5], np.r_[0.0], h)[0] == 0


def test_groups_catering_and_public_space(sample):
    cells = fx.study_cells(study_area_polygon(sample.calls, sample.boundary), resolution=9)
    design, factors = fx.venue_factors(
        cells, sample.venues, kinds=["public_space"], distances=[200], measures=["proximity"]
    )
    one_by_one, _ = fx.venue_factors(
        cells, sample.venues, kinds=["park", "square", "market", "bus_station", "landmark"],
        distances=[200], measures=["proximity"],
    )  # fmt: skip
    assert np.array_equal(design.iloc[:, 0].to_numpy(), one_by_one.max(axis=1).to_numpy())


def test_background_density_integrates_to_the_calls(city):
    dens = fx.background_density(city.cells, city.background, 500.0)
    # calls per km² x km² per cell, summed, is about the calls (edge losses aside)
    inner = dens * city.cells.area_m2 / 1e6
    assert 0.8 * len(city.background) < inner.sum() <= 1.001 * len(city.background)


def test_exposure_offset_recovers_rates_per_person(city):
    rng = np.random.default_rng(3)
    pop = rng.integers(50, 500, len(city.cells)).astype(float)
    rate = 0.01 * pop * np.where(city.near_bar, 3.0, 1.0)
    y = rng.poisson(rate)
    pos = np.repeat(np.arange(len(city.cells)), y)
    target = pd.DataFrame({"lat": city.cells.lat[pos], "lon": city.cells.lon[pos]})
    table = pd.DataFrame({"cell": [format(int(c), "x") for c in city.cells.ids], "people": pop})
    m = fit_risk(
        target, city.venues, area=city.area, exposure=table, exposure_column="people",
        family="poisson",
    )  # fmt: skip
    assert m.fit["exposure"] is True
    assert m.factors["kind"].tolist() == ["bar"]
    assert m.factors.iloc[0]["ci_low"] < 3 < m.factors.iloc[0]["ci_high"]
    assert math.exp(m.coef["const"]) == pytest.approx(0.01, rel=0.1)
    ref = GLM(m.data.y, m.design, family=families.Poisson(), offset=np.log(pop)).fit()
    np.testing.assert_allclose(m.coef.to_numpy(), ref.params.to_numpy(), rtol=1e-7)


def test_polygon_exposure_is_spread_by_area(city):
    minx, miny, maxx, maxy = city.area.bounds
    midx = (minx + maxx) / 2
    west = shapely.box(minx - 0.01, miny - 0.01, midx, maxy + 0.01)
    east = shapely.box(midx, miny - 0.01, maxx + 0.01, maxy + 0.01)
    polys = gpd.GeoDataFrame({"population": [1000.0, 3000.0]}, geometry=[west, east], crs=4326)
    e = fx.exposure_from(city.cells, polys, "population")
    assert np.isfinite(e).all()
    in_west = city.cells.lon < midx
    from hotspots.projection import geometry_to_metric

    a_west = shapely.area(geometry_to_metric(west, city.cells.crs))
    np.testing.assert_allclose(e[in_west], 1000.0 * city.cells.area_m2[in_west] / a_west, rtol=1e-9)


# --- surface and scores -------------------------------------------------------------------
def test_surface_risk_is_the_product_of_the_factors_present(model):
    s = risk_surface(model)
    rr = float(model.factors.iloc[0]["relative_risk"])
    near = s["factors"] == "bar:proximity:100"
    assert near.any() and (~near).any()
    np.testing.assert_allclose(s.loc[near, "risk"], rr)
    np.testing.assert_allclose(s.loc[~near, "risk"], 1.0)
    # a Poisson GLM with an intercept predicts the observed total exactly
    assert s["expected"].sum() == pytest.approx(s["count"].sum(), rel=1e-8)
    assert list(s.columns) == list(
        ("cell", "lat", "lon", "count", "risk", "expected", "background", "factors")
    )
    assert s["risk"].is_monotonic_decreasing


def test_best_hits_and_pei_by_hand():
    counts = np.array([5, 0, 9, 2])
    areas = np.array([1.0, 1.0, 1.0, 1.0])
    assert best_hits(counts, areas, 2.0) == 14
    assert best_hits(counts, areas, 0.5) == 0
    assert pei(7, 14) == 0.5
    assert math.isnan(pei(0, 0))


def test_risk_surface_predicts_next_year_better_than_last_years_counts():
    c = make_city(7, years=(2020, 2021), mean_calls=0.6)
    calls = pd.concat([c.target, c.background], ignore_index=True)
    res = score_risk(
        calls, c.venues, train_years=[2020], test_years=[2021], offenses=["hooliganism"],
        coverage=0.1, area=c.area, baselines=["h3"],
    ).set_index("method")  # fmt: skip
    assert list(res.index) == ["risk_terrain", "risk_model", "h3"]
    assert (res["area_share"] <= 0.1 + 1e-9).all() and (res["area_share"] > 0.08).all()
    assert ((res["pei"] > 0) & (res["pei"] <= 1)).all()
    for method in res.index:
        r = res.loc[method]
        assert r["hit_rate"] == pytest.approx(r["hits_test"] / r["n_test"])
        assert r["pai"] == pytest.approx(r["hit_rate"] / r["area_share"])
    # the true structure (bars x3 over the gradient) beats one noisy year of counts
    assert res.loc["risk_model", "pei"] > res.loc["h3", "pei"]
    test = c.target[c.target["year"] == 2021]
    assert res.loc["risk_terrain", "n_test"] == len(test)
    # the venue ranking flags the cells near a bar first: with 10 % of the area it holds them
    assert res.loc["risk_terrain", "n_areas"] >= c.near_bar.sum()


# --- parameters and input -----------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"distances": [0]},
        {"distances": ["far"]},
        {"measures": ["nearness"]},
        {"resolution": 15},
        {"family": "gaussian"},
        {"criterion": "r2"},
        {"background_bandwidth": 1.0},
        {"min_cells": 0},
    ],
)
def test_bad_parameters_raise_parameter_errors(city, kwargs):
    with pytest.raises(ParameterError):
        fit_risk(city.target, city.venues, background=city.background, area=city.area, **kwargs)


def test_unknown_kind_names_the_kinds_there_are(city):
    with pytest.raises(InputError, match="bar, cafe"):
        risk_data(city.target, city.venues, kinds=["casino"], area=city.area)


def test_no_modelled_calls_is_an_input_error(city):
    with pytest.raises(InputError, match="--offenses"):
        risk_data(city.target.iloc[:0], city.venues, area=city.area)


# --- real data ----------------------------------------------------------------------------
def test_manchester_burglary_near_licensed_premises(real_data):
    """Greater Manchester burglaries (month-only dates) around the city centre's licensed
    premises: a negative binomial model whose factor and coefficients check against brute force
    and statsmodels' joint NB fit."""
    from conftest import real_file

    from hotspots import grid, io
    from hotspots.filters import within_area

    folder = "uk_manchester_merseyside"
    venues = io.read_venues(real_file(folder, "poi_manchester_city_centre_licensed_premises.csv"))
    venues = venues.accepted.assign(kind="licensed")
    box = shapely.box(
        venues["lon"].min() - 0.006, venues["lat"].min() - 0.004,
        venues["lon"].max() + 0.006, venues["lat"].max() + 0.004,
    )  # fmt: skip
    calls = io.read_incidents(real_file(folder, "gmp_burglary_2016_2019.csv")).accepted
    calls = calls[within_area(calls, box)]
    assert len(calls) > 3000
    m = fit_risk(calls, venues, area=box)
    assert m.fit["family"] == "negbin" and m.fit["background"] is False
    assert len(m.factors) == 1
    f = m.factors.iloc[0]
    assert f["relative_risk"] > 1 and f["ci_low"] > 1 and m.fit["lr_p"] < 1e-4
    ref = NegativeBinomial(m.data.y, m.design, loglike_method="nb2").fit(disp=0, maxiter=500)
    np.testing.assert_allclose(m.coef.to_numpy(), ref.params.to_numpy()[:-1], rtol=1e-3)
    # the marked cells and their calls, by brute force
    cells = m.data.cells
    d = haversine(
        cells.lat[:, None], cells.lon[:, None], venues["lat"].to_numpy(), venues["lon"].to_numpy()
    ).min(axis=1)
    assert f["measure"] == "proximity"  # what the selection keeps on this data
    marked = d <= f["distance_m"]
    assert f["cells"] == marked.sum()
    ids = grid.cell_ids(calls["lat"].to_numpy(), calls["lon"].to_numpy(), cells.resolution)
    assert f["calls"] == np.isin(ids, cells.ids[marked]).sum()


def test_the_surface_scores_through_evaluate_at_equal_area():
    """``rank_risk`` gives ranked areas that evaluate's public scoring cuts at the same area as
    every method: the figures equal score_risk's own (for `hotspots evaluate`)."""
    from hotspots import evaluate as ev
    from hotspots.risk.scoring import rank_risk

    c = make_city(8, years=(2020, 2021), mean_calls=0.6)
    ours = score_risk(
        c.target, c.venues, train_years=[2020], test_years=[2021], coverage=0.05, area=c.area,
        baselines=[],
    ).set_index("method")  # fmt: skip
    train, test = ev.split_years(c.target, [2020], [2021])
    sa = ev.study_area(pd.concat([train, test]), c.area)
    for ranking in ("risk_model", "risk_terrain"):
        ranked = rank_risk(train, sa, venues=c.venues, ranking=ranking)
        row = ev.score_ranked("risk", {"ranking": ranking}, ranked, train, test, sa, 0.05)
        want = ours.loc[ranking]
        for key in ("hit_rate", "pai", "rri", "area_share", "n_areas", "hits_test"):
            assert row[key] == pytest.approx(want[key]), (ranking, key)
        assert row["comparable"]
