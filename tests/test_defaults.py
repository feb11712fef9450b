"""One source of defaults, ``auto`` values from the data, and never silently empty."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from cli_support import run

from hotspots import defaults, suggest
from hotspots.clusters import dbscan_labels
from hotspots.errors import InputError, ParameterError
from hotspots.evaluate import DEFAULT_PARAMS
from hotspots.filters import Filters, apply_filters
from hotspots.patrol import PatrolParams
from hotspots.views import Params

LAT0, LON0 = 43.2973, 68.2518
M_PER_DEG = 111_195.0
#: The issue's case: 2021 + hooliganism + 18-23 h, 182 calls.
NIGHT = Filters(years=(2021,), offenses=("hooliganism",), hours=tuple(range(18, 24)))
NIGHT_FLAGS = ("--years", "2021", "--offenses", "hooliganism", "--hours", "18-23")


def calls_at(dx_m, dy_m) -> pd.DataFrame:
    dx, dy = np.asarray(dx_m, dtype=float), np.asarray(dy_m, dtype=float)
    lat = LAT0 + dy / M_PER_DEG
    lon = LON0 + dx / (M_PER_DEG * np.cos(np.radians(LAT0)))
    return pd.DataFrame({"lat": lat, "lon": lon})


# one source -----------------------------------------------------------------------------
def test_auto_is_the_default_of_every_entry_point():
    p, pp = Params(), PatrolParams()
    assert defaults.DEFAULT == dict.fromkeys(defaults.FIXED, "auto")
    assert (p.resolution, p.eps_m, p.min_samples, p.bandwidth_m) == ("auto",) * 4
    assert (pp.resolution, pp.eps, pp.min_samples) == ("auto",) * 3
    assert DEFAULT_PARAMS["dbscan"] == {"eps": "auto", "min_samples": "auto"}
    assert DEFAULT_PARAMS["kde"]["bandwidth"] == "auto"
    assert DEFAULT_PARAMS["h3"]["resolution"] == DEFAULT_PARAMS["gistar"]["resolution"] == "auto"
    assert Params().method_params()["dbscan"] == DEFAULT_PARAMS["dbscan"]
    assert p.coverage == defaults.COVERAGE  # no rule: a fixed default


def _brute_auto_resolution(lat, lon) -> int:
    """The rule by brute force: the finest of 11..7 whose non-empty cells hold >= 10 calls."""
    import h3

    for res in (11, 10, 9, 8, 7):
        cells = {h3.latlng_to_cell(a, b, res) for a, b in zip(lat, lon, strict=True)}
        if len(lat) / len(cells) >= 10:
            return res
    return 7


def test_cli_library_and_report_find_the_same_clusters_with_the_defaults(capsys, sample):
    # the same calls with no settings given: the CLI, the app's view and the report's plan all
    # compute the same auto numbers (on the filtered calls and the sample's boundary)
    from hotspots.report import build_report_bundle
    from hotspots.views import cluster_summary

    code, out, err = run(capsys, "clusters", "--sample", "--years", "2021", "--top", "0")
    assert code == 0, err
    year = Filters(years=(2021,))
    sub = apply_filters(sample.calls, year)
    chosen = defaults.resolve(sub, {"eps_m": "auto", "min_samples": "auto"}, sample.boundary)
    eps, m = chosen.values["eps_m"], chosen.values["min_samples"]
    n = len(cluster_summary(sample.calls, year, area=sample.boundary))
    assert n > 0
    assert f"{n:,} clusters (DBSCAN eps {eps:g} m, min_samples {m})" in out
    assert f"eps_m = {eps:g} (auto: knee" in err and f"min_samples = {m} (auto:" in err
    assert n == dbscan_labels(sub, eps=eps, min_samples=m).max() + 1
    bundle = build_report_bundle(
        sub,
        None,
        sample.boundary,
        source="sample",
        filters=year,
        params=PatrolParams(method="clusters", top=100),
        files=("patrol.csv",),
    )
    assert len(bundle.plan) == n
    assert bundle.provenance.parameters["eps_m"] == eps
    assert bundle.provenance.parameters["min_samples"] == m
    assert bundle.provenance.parameters["auto"] == "eps_m, min_samples"


def test_grid_auto_resolution_is_the_rule_by_brute_force(capsys, sample):
    code, out, err = run(capsys, "grid", "--sample", "--years", "2021")
    assert code == 0, err
    sub = apply_filters(sample.calls, Filters(years=(2021,)))
    res = _brute_auto_resolution(sub["lat"].to_numpy(), sub["lon"].to_numpy())
    assert f"(resolution {res})" in out and f"resolution = {res} (auto:" in err


def test_cli_evaluate_uses_the_apps_defaults(capsys, sample):
    import json

    from hotspots.evaluate import split_calls

    code, out, err = run(
        capsys,
        "evaluate",
        "--sample",
        "--train-years",
        "2019,2020",
        "--test-years",
        "2021",
        "--methods",
        "dbscan",
        "--json",
    )
    assert code == 0, err
    # auto (the app's default too) computed from the training calls only
    train, _ = split_calls(sample.calls, train_years=[2019, 2020], test_years=[2021])
    chosen = defaults.resolve(train, {"eps_m": "auto", "min_samples": "auto"}, sample.boundary)
    expected = {"eps": chosen.values["eps_m"], "min_samples": chosen.values["min_samples"]}
    assert json.loads(out)[0]["params"] == expected
    assert Params().method_params()["dbscan"] == {"eps": "auto", "min_samples": "auto"}


def test_the_engine_takes_the_fixed_number_for_a_default_auto(capsys, tmp_path, sample):
    # --engine dask never gathers the calls: a default auto resolution is the fixed 9, said
    # so; an auto asked for is refused in one line
    pytest.importorskip("dask")
    from hotspots.engine.evaluate import _params
    from hotspots.evaluate import study_area

    sa = study_area(sample.calls, sample.boundary)
    assert _params("h3", {}, sa)["resolution"] == defaults.RESOLUTION
    assert _params("dbscan", {}, sa) == {"eps": defaults.EPS_M, "min_samples": defaults.MIN_SAMPLES}
    with pytest.raises(ParameterError, match="auto needs the calls in one process"):
        _params("kde", {"bandwidth": "auto"}, sa)
    assert defaults.engine_value("resolution", "auto")[0] == defaults.RESOLUTION
    assert "fixed default" in defaults.engine_value("resolution", "auto")[1]


# auto values ------------------------------------------------------------------------------
def test_knee_of_a_hand_curve():
    # flat at 1 then rising: the point farthest below the chord is where it turns
    assert defaults.knee(np.array([1, 1, 1, 1, 1, 1, 2, 4, 8, 16.0]), trim=0) == 2.0


def test_auto_resolution_extremes():
    same_place = calls_at(np.zeros(50), np.zeros(50))  # 50 calls per cell at every resolution
    assert defaults.auto_resolution(same_place) == 11
    far_apart = calls_at(np.arange(30) * 20_000.0, np.zeros(30))  # one call per cell always
    assert defaults.auto_resolution(far_apart) == 7


def test_busiest_disc_equals_brute_force():
    rng = np.random.default_rng(5)
    calls = calls_at(rng.normal(0, 300, 400).round(), rng.normal(0, 300, 400).round())
    xy = defaults._xy(calls)
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    for eps in (30.0, 75.0):
        assert defaults.busiest_disc(calls, eps) == int((d <= eps).sum(1).max())


def test_auto_min_samples_by_hand():
    # 2,000 calls spread over a 4 km x 4 km square plus a dense knot of 200 calls
    rng = np.random.default_rng(2)
    spread = calls_at(rng.uniform(-2000, 2000, 2000), rng.uniform(-2000, 2000, 2000))
    knot = calls_at(rng.normal(0, 10, 200), rng.normal(0, 10, 200))
    calls = pd.concat([spread, knot], ignore_index=True)
    area = 16e6
    # 2,200 calls x pi x 50² / 16 km² = 1.08 expected in a 50 m disc: 5 x that, at least 5
    expected = 2200 * math.pi * 50.0**2 / area
    assert defaults.auto_min_samples(calls, 50.0, area) == max(5, math.ceil(5 * expected))
    # a larger radius: 5 x 17.3 = 87, still under the knot's 200
    assert defaults.auto_min_samples(calls, 200.0, area) == math.ceil(
        5 * 2200 * math.pi * 200.0**2 / area
    )
    # never above the busiest disc: with an area this small the rule asks too much
    assert defaults.auto_min_samples(calls, 50.0, 1e5) == defaults.busiest_disc(calls, 50.0)


def test_explicit_values_win_and_auto_is_reported(sample):
    chosen = defaults.resolve(sample.calls, {"eps_m": 80, "min_samples": "auto"}, sample.boundary)
    assert chosen.values["eps_m"] == 80.0 and chosen.auto == {"min_samples"}
    area = defaults.study_area_m2(sample.calls, sample.boundary)
    assert chosen.values["min_samples"] == defaults.auto_min_samples(sample.calls, 80.0, area)
    assert chosen.values["resolution"] == defaults.RESOLUTION  # left out: the fixed default
    assert [line.split(" =")[0] for line in chosen.describe()] == ["min_samples"]
    with pytest.raises(ParameterError, match="unknown"):
        defaults.resolve(sample.calls, {"eps": 80})
    with pytest.raises(InputError, match="'auto'"):
        defaults.parse_value("near", "--eps")


def test_auto_finds_clusters_in_the_filtered_sample(sample):
    night = apply_filters(sample.calls, NIGHT)
    assert len(night) == 182
    chosen = defaults.resolve(night, dict.fromkeys(defaults.FIXED, "auto"), sample.boundary)
    labels = dbscan_labels(
        night, eps=chosen.values["eps_m"], min_samples=chosen.values["min_samples"]
    )
    assert labels.max() >= 0
    assert defaults.EPS_MIN_M <= chosen.values["eps_m"] <= defaults.EPS_MAX_M


# never silently empty ---------------------------------------------------------------------
def test_the_issues_filtered_case_gets_a_suggestion_that_works(sample):
    night = apply_filters(sample.calls, NIGHT)
    assert dbscan_labels(night, eps=100.0, min_samples=30).max() < 0  # the default: nothing
    hint = suggest.dbscan_suggestion(night, 100.0, 30)
    m = hint.values["min_samples"]
    assert dbscan_labels(night, eps=100.0, min_samples=m).max() >= 0  # it works ...
    assert dbscan_labels(night, eps=100.0, min_samples=m + 1).max() < 0  # ... and is the largest
    assert suggest.dbscan_suggestion(night, 100.0, m) is None


def test_the_cli_says_so_with_the_suggestion(capsys):
    code, out, _ = run(capsys, "clusters", "--sample", *NIGHT_FLAGS)  # auto: finds some
    assert code == 0 and "182 incidents" in out and " 0 clusters" not in out
    fixed = ("--eps", "100", "--min-samples", "30")  # the issue's fixed numbers find none
    code, out, err = run(capsys, "clusters", "--sample", *NIGHT_FLAGS, *fixed)
    assert code == 0
    assert "182 incidents, 0 clusters" in out
    assert "no DBSCAN cluster" in err and "try --min-samples" in err
    suggested = err.split("try --min-samples ")[1].split()[0]
    code, out, _ = run(
        capsys, "clusters", "--sample", *NIGHT_FLAGS, "--eps", "100", "--min-samples", suggested
    )
    assert code == 0 and " 0 clusters" not in out


def test_auto_on_the_command_line_prints_the_rule(capsys):
    code, out, err = run(
        capsys, "clusters", "--sample", *NIGHT_FLAGS, "--eps", "auto", "--min-samples", "auto"
    )
    assert code == 0 and " 0 clusters" not in out
    assert "eps_m = " in err and "(auto: knee of the 4-nearest-call distance curve" in err


def test_a_lone_pair_far_apart_suggests_a_radius():
    calls = calls_at([0.0, 500.0, 1000.0, 5000.0, 9000.0, 12000.0], np.zeros(6))
    hint = suggest.dbscan_suggestion(calls, 50.0, 5)
    assert "eps_m" in hint.values and hint.values["eps_m"] >= 100.0


def test_gistar_suggests_a_coarser_resolution(sample):
    few = apply_filters(sample.calls, NIGHT)
    hint = suggest.gistar_suggestion(few, 11, 1, sample.boundary)
    if hint is None:  # resolution 11 already finds a hot spot here
        from hotspots.gistar import gistar_cells

        assert (gistar_cells(few, 11, 1, area=sample.boundary)["bin"] > 0).any()
    else:
        from hotspots.gistar import gistar_cells

        res = hint.values.get("resolution", 11)
        k = hint.values.get("k", 1)
        assert (gistar_cells(few, res, k, area=sample.boundary)["bin"] > 0).any()


def test_cells_suggestion_for_presenter_minimum():
    calls = calls_at(np.r_[np.zeros(3), np.full(3, 400.0)], np.zeros(6))
    hint = suggest.cells_suggestion(calls, 11, 5)
    assert hint is not None
    res = hint.values.get("resolution")
    if res is not None:
        assert suggest.cells_suggestion(calls, res, 5) is None
