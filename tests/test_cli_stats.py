"""The statistics commands: gistar, emerging, evaluate, trends (sample and Chicago)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from cli_support import CHICAGO, run
from conftest import real_file

from hotspots import defaults


# gistar -------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["geojson", "csv", "parquet"])
def test_gistar_writes_every_cell(capsys, tmp_path, sample, suffix):
    out = tmp_path / f"gi.{suffix}"
    code, text, _ = run(
        capsys, "gistar", "--sample", "--resolution", "9", "--k", "1", "-o", str(out)
    )
    assert code == 0, text
    if suffix == "csv":
        res = pd.read_csv(out)
    elif suffix == "parquet":
        res = gpd.read_parquet(out)
    else:
        res = gpd.read_file(out)
    assert {"cell", "count", "z", "p", "p_fdr", "bin"} <= set(res.columns)
    # every sample call inside the boundary is counted once
    assert res["count"].sum() == len(sample.calls)
    assert set(res["bin"]) <= set(range(-3, 4))
    assert (res["count"] == 0).any()  # zero-count cells of the study area are there
    assert res["p"].between(0, 1).all() and (res["p_fdr"] >= res["p"] - 1e-12).all()
    assert f"{len(res)} H3 cells" in text


def test_gistar_permutations_are_reproducible(capsys, tmp_path):
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for p in paths:
        code, _, err = run(
            capsys,
            "gistar",
            "--sample",
            "--permutations",
            "99",
            "--seed",
            "7",
            "--fdr",
            "-o",
            str(p),
        )
        assert code == 0, err
    a, b = (pd.read_csv(p) for p in paths)
    assert "p_sim" in a.columns
    np.testing.assert_array_equal(a["p_sim"], b["p_sim"])
    assert (a["p_sim"] >= 2 / 100 - 1e-12).all()


def test_gistar_bad_resolution_is_one_line(capsys):
    code, out, err = run(capsys, "gistar", "--sample", "--resolution", "3")
    assert code == 2
    assert err.startswith("error: resolution") and err.count("\n") == 1


# emerging -----------------------------------------------------------------------------------
def test_emerging_on_the_sample(capsys, tmp_path):
    from hotspots.emerging import CATEGORIES

    out = tmp_path / "em.csv"
    code, text, err = run(capsys, "emerging", "--sample", "--period", "quarter", "-o", str(out))
    assert code == 0, err
    res = pd.read_csv(out)
    assert set(res["category"]) <= set(CATEGORIES)
    assert (res["n_periods"] == 12).all()
    assert "12 quarter steps 2019Q1..2021Q4" in text
    for cat, n in res["category"].value_counts().items():
        assert f"{cat}" in text and f"{n} cells" in text


def test_emerging_warns_about_few_steps(capsys):
    code, text, _ = run(capsys, "emerging", "--sample", "--period", "year")
    assert code == 0 and "only 3 time steps" in text


# evaluate -----------------------------------------------------------------------------------
EVALUATE = ("evaluate", "--sample", "--train-years", "2019,2020", "--test-years", "2021")


def test_evaluate_json_on_the_sample(capsys, sample):
    code, text, err = run(capsys, *EVALUATE, "--coverage", "0.05", "--json")
    assert code == 0, err
    rows = json.loads(text)
    assert [r["method"] for r in rows] == ["h3", "kde", "dbscan", "gistar"]
    n_test = int((sample.calls["year"] == 2021).sum())
    for r in rows:
        assert {"method", "params", "hit_rate", "pai", "rri", "area_share"} <= set(r)
        assert r["n_test"] == n_test
        assert r["hit_rate"] == pytest.approx(r["hits_test"] / n_test)
        assert r["area_share"] <= 0.05 + 1e-12
        assert r["pai"] == pytest.approx(r["hit_rate"] / r["area_share"])
    # auto (the default) from the training calls: ArcGIS's rule, rounded to the metre
    train = sample.calls[sample.calls["year"].isin([2019, 2020])]
    bw = defaults.resolve(train, {"bandwidth_m": "auto"}).values["bandwidth_m"]
    assert rows[1]["params"] == {"bandwidth": bw, "cell": 50}
    # equal area: a row under 90 % of the coverage is not comparable, never best, and carries
    # every method cut at its own area share
    for r in rows:
        assert r["comparable"] == (r["area_share"] >= 0.9 * 0.05)
        assert 0 < r["pei"] <= 1
        if not r["comparable"]:
            assert not r["best"]
            assert [e["method"] for e in r["equal_area"]] == ["h3", "kde", "dbscan", "gistar"]
            assert all(e["area_share"] <= r["area_share"] + 1e-12 for e in r["equal_area"])
    assert sum(r["best"] for r in rows) == 1


def test_evaluate_sweep_table_marks_the_best(capsys):
    sweep = ("--resolution", "8,9,10", "--bandwidth", "150,400", "--sweep", "--json")
    code, text, err = run(capsys, *EVALUATE, "--methods", "h3,kde", *sweep)
    assert code == 0, err
    rows = json.loads(text)
    assert len(rows) == 5
    for method in ("h3", "kde"):
        mine = [r for r in rows if r["method"] == method]
        best = [r for r in mine if r["best"]]
        assert len(best) == 1 and best[0]["pai"] == max(r["pai"] for r in mine if r["comparable"])
    code, text, _ = run(capsys, *EVALUATE, "--methods", "h3", "--resolution", "8,9", "--sweep")
    assert code == 0
    assert "resolution=8" in text and "resolution=9" in text
    assert "**" in text and "best PAI" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--resolution", "8,9"], "--resolution: give one value"),
        (["--methods", "svm"], "--methods"),
        (["--coverage", "2"], "coverage"),
    ],
)
def test_evaluate_user_errors(capsys, args, needle):
    code, _, err = run(
        capsys, "evaluate", "--sample", "--train-years", "2019", "--test-years", "2021", *args
    )
    assert code == 2 and needle in err and err.count("\n") == 1


def test_evaluate_names_the_years_present(capsys):
    code, _, err = run(
        capsys, "evaluate", "--sample", "--train-years", "2019", "--test-years", "2030"
    )
    assert code == 2 and "2019, 2020, 2021" in err


def test_evaluate_by_month_on_vancouver_2020(capsys):
    # one year of data: fit on January-September, score on October-December
    path = real_file("vancouver_vpd_2020", "crimedata_csv_AllNeighbourhoods_2020.csv")
    args = ("--train-months", "2020-01..2020-09", "--test-months", "2020-10..2020-12")
    code, text, err = run(
        capsys, "evaluate", path, "--crs", "EPSG:32610", *args, "--methods", "h3", "--json"
    )
    assert code == 0, err
    [row] = json.loads(text)
    raw = pd.read_csv(path, usecols=["X", "Y", "MONTH"])
    located = raw["X"].notna() & raw["Y"].notna() & ~((raw["X"] == 0) & (raw["Y"] == 0))
    assert row["n_train"] == (located & (raw["MONTH"] <= 9)).sum() == 25_868
    assert row["n_test"] == (located & (raw["MONTH"] >= 10)).sum() == 7_893
    assert row["pai"] == pytest.approx(row["hit_rate"] / row["area_share"])
    code, text, _ = run(capsys, "evaluate", path, "--crs", "EPSG:32610", *args, "--methods", "h3")
    assert "fit on 2020-01..2020-09, test on 2020-10..2020-12" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--train-months", "2021-01"], "give both --train-months and --test-months"),
        (["--train-years", "2019", "--test-months", "2021-01"], "not both"),
        (["--train-months", "2021-13", "--test-months", "2021-01"], "--train-months takes months"),
        (["--train-months", "2021-05..2021-01", "--test-months", "2021-06"], "2021-05..2021-01"),
        (["--train-months", "2025-01", "--test-months", "2021-01"], "covers 2019-01 .. 2021-12"),
        ([], "give --train-years and --test-years"),
    ],
)
def test_evaluate_split_errors_are_one_line(capsys, args, needle):
    code, out, err = run(capsys, "evaluate", "--sample", *args)
    assert code == 2 and out == "" and needle in err and err.count("\n") == 1


def test_evaluate_months_label_their_runs(capsys):
    code, text, _ = run(
        capsys,
        "evaluate",
        "--sample",
        "--methods",
        "h3",
        "--train-months",
        "2021-01..2021-03,2021-05",
        "--test-months",
        "2021-12",
    )
    assert code == 0 and "fit on 2021-01..2021-03,2021-05, test on 2021-12" in text


# trends -------------------------------------------------------------------------------------
def test_trends_json_on_the_sample(capsys, sample):
    code, text, err = run(capsys, "trends", "--sample", "--json")
    assert code == 0, err
    out = json.loads(text)
    change = {r["offense"]: r for r in out["change"]["offenses"]}
    assert (out["change"]["from_year"], out["change"]["to_year"]) == (2019, 2021)
    ref = sample.calls.groupby(["offense", "year"]).size()
    for off in ("theft", "hooliganism"):
        assert change[off]["from_count"] == ref[(off, 2019)]
        assert change[off]["to_count"] == ref[(off, 2021)]
    assert change["theft"]["direction"] == "down" and change["theft"]["change_pct"] < 0
    assert change["hooliganism"]["direction"] == "up" and change["hooliganism"]["change_pct"] > 0
    assert sum(sum(v) for v in out["hour_weekday"]["counts"].values()) + out["hour_weekday"][
        "unknown"
    ] == len(sample.calls)
    assert sum(m["count"] for m in out["monthly"]) == len(sample.calls)


def test_trends_text_shows_the_change(capsys, sample):
    code, text, _ = run(capsys, "trends", "--sample")
    assert code == 0
    ref = sample.calls.groupby(["offense", "year"]).size()
    pct = 100 * (ref[("theft", 2021)] - ref[("theft", 2020)]) / ref[("theft", 2020)]
    theft_line = next(line for line in text.splitlines() if line.startswith("theft "))
    assert f"{pct:+.1f} %" in theft_line
    assert "busiest:" in text


# Chicago (real data) ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chicago_years():
    path = real_file(*CHICAGO)
    years = pd.read_csv(path, usecols=["year"])["year"].value_counts()
    return path, years


def test_evaluate_on_chicago(capsys, chicago_years):
    path, years = chicago_years
    code, text, err = run(
        capsys,
        "evaluate",
        str(path),
        "--train-years",
        "2017,2018",
        "--test-years",
        "2019",
        "--coverage",
        "0.05",
        "--json",
    )
    assert code == 0, err
    rows = json.loads(text)
    assert [r["method"] for r in rows] == ["h3", "kde", "dbscan", "gistar"]
    for r in rows:
        # 9,122 + 9,163 training and 6,715 test crimes (SOURCE.md, recounted here)
        assert r["n_train"] == years[2017] + years[2018] == 18285
        assert r["n_test"] == years[2019] == 6715
        assert 0 < r["area_share"] <= 0.05 + 1e-12
        # crime concentrates: 5 % of the city holds far more than 5 % of next year's crimes
        assert r["pai"] > 3
        assert 0.5 < r["rri"] < 1.5


def test_gistar_on_chicago(capsys, tmp_path, chicago_years):
    path, years = chicago_years
    out = tmp_path / "chicago.csv"
    code, _, err = run(capsys, "gistar", str(path), "--resolution", "8", "--k", "1", "-o", str(out))
    assert code == 0, err
    res = pd.read_csv(out)
    assert res["count"].sum() == years.sum() == 25000
    assert (res["bin"] == 3).any()


def _month_only(tmp_path, months: dict[str, int]):
    """A police.uk-style file: ``months`` maps "YYYY-MM" to the number of burglaries."""
    rows = [f"{m},Burglary,-2.24,53.48" for m, n in months.items() for _ in range(n)]
    p = tmp_path / "month_only.csv"
    p.write_text("Month,Crime type,Longitude,Latitude\n" + "\n".join(rows) + "\n")
    return p


def test_trends_compares_full_years_by_default(capsys, tmp_path):
    # Feb 2016 - Jan 2019 as Greater Manchester publishes: 2016 and 2019 are partial, and
    # comparing 2016 (11 months) with 2019 (1 month) would show a fall of the missing months
    months = {f"2016-{m:02d}": 10 for m in range(2, 13)}
    months |= {f"2017-{m:02d}": 12 for m in range(1, 13)}
    months |= {f"2018-{m:02d}": 9 for m in range(1, 13)}
    months |= {"2019-01": 7}
    p = _month_only(tmp_path, months)
    code, text, _ = run(capsys, "trends", p, "--json")
    change = json.loads(text)["change"]
    assert code == 0 and (change["from_year"], change["to_year"]) == (2017, 2018)
    assert change["partial_years_left_out"] == [2016, 2019]
    burglary = next(r for r in change["offenses"] if r["offense"] == "burglary")
    assert (burglary["from_count"], burglary["to_count"]) == (144, 108)
    # asked for, a partial year is compared (the other end still defaults to a full year)
    code, text, _ = run(capsys, "trends", p, "--to-year", "2019", "--json")
    change = json.loads(text)["change"]
    assert (change["from_year"], change["to_year"]) == (2017, 2019)
    assert change["partial_years_left_out"] == [2016]
    code, text, _ = run(capsys, "trends", p, "--from-year", "2016", "--to-year", "2019", "--json")
    change = json.loads(text)["change"]
    assert (change["from_year"], change["to_year"]) == (2016, 2019)
    assert change["partial_years_left_out"] == []

    code, text, _ = run(capsys, "trends", p)
    assert "Change 2017 -> 2018 (full years; 2016, 2019 partial):" in text
    # no hour or weekday: one line instead of a grid of zeros
    assert "Incidents by weekday and hour: not recorded (369 incidents" in text
    assert "busiest" not in text
    # the monthly table: blank outside the data, a total per year
    lines = text.splitlines()
    head = lines.index("Incidents per month:")
    assert lines[head + 1].split() == [
        *"jan feb mar apr may jun jul aug sep oct nov dec".split(),
        "total",
    ]
    rows = {ln.split()[0]: ln.split()[1:] for ln in lines[head + 2 : head + 6]}
    assert rows["2016"] == ["10"] * 11 + ["110"]
    assert rows["2017"] == ["12"] * 12 + ["144"]
    assert rows["2019"] == ["7", "7"]


def test_trends_keeps_first_and_last_year_when_they_are_full(capsys, sample):
    code, text, _ = run(capsys, "trends", "--sample", "--json")
    change = json.loads(text)["change"]
    assert (change["from_year"], change["to_year"]) == (2019, 2021)
    assert change["partial_years_left_out"] == []


def test_trends_on_manchester_compares_2017_with_2018(capsys):
    path = real_file("uk_manchester_merseyside", "gmp_burglary_2016_2019.csv")
    per_year = pd.read_csv(path, usecols=["Month"])["Month"].str[:4].astype(int).value_counts()
    code, text, _ = run(capsys, "trends", path, "--json")
    out = json.loads(text)
    change = next(r for r in out["change"]["offenses"] if r["offense"] == "all")
    assert code == 0 and (out["change"]["from_year"], out["change"]["to_year"]) == (2017, 2018)
    assert (change["from_count"], change["to_count"]) == (per_year[2017], per_year[2018])
    assert sum(m["count"] for m in out["monthly"]) == per_year.sum()


def test_readme_examples_print_what_the_readme_shows(capsys):
    """Every line the README shows under ``$ hotspots trends/evaluate --sample ...`` is printed."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("For example, on the sample:\n\n```\n", 1)[1].split("```", 1)[0]
    examples = block.split("$ ")[1:]
    assert len(examples) == 2
    for chunk in examples:
        command, *shown = chunk.splitlines()
        args = command.split()
        assert args[0] == "hotspots"
        code, out, _ = run(capsys, *args[1:])
        printed = out.splitlines()
        assert code == 0
        for line in shown:
            if line.strip() != "...":
                assert line in printed, (command, line)


def test_emerging_refuses_a_single_time_step(capsys, tmp_path):
    # Vancouver's file holds 2020 only: by year that is one step, and every hot cell would
    # come out "Persistent Hot Spot" (hot in 1 of 1 steps) without any trend behind it
    p = tmp_path / "one_year.csv"
    p.write_text(
        "date,lat,lon\n"
        + "".join(f"2020-{m:02d}-15 10:00,49.28,-123.12\n" for m in range(1, 13))
        + "2020-06-01 10:00,49.25,-123.05\n"
    )
    out_file = tmp_path / "em.csv"
    code, out, err = run(capsys, "emerging", p, "--period", "year", "-o", out_file)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "fall in 1 year (2020..2020): use --period quarter or month" in err
    assert not out_file.exists()
    code, out, _ = run(capsys, "emerging", p, "--period", "quarter", "-o", out_file)
    assert code == 0 and "4 quarter steps" in out and out_file.exists()


@pytest.mark.parametrize(
    ("permutations", "said"),
    [(19, "the 99 % and 95 % bins stay empty"), (99, "the 99 % bins stay empty"), (999, None)],
)
def test_gistar_says_when_permutations_cannot_reach_a_bin(capsys, permutations, said):
    # two-sided p_sim >= 2 / (permutations + 1): 0.1 with 19, 0.02 with 99, 0.002 with 999
    code, out, err = run(
        capsys, "gistar", "--sample", "--permutations", permutations, "--seed", "1"
    )
    assert code == 0
    counts = {
        line.split(":")[0].strip(): int(line.split(":")[1].split()[0])
        for line in out.splitlines()
        if line.strip().startswith(("hot ", "cold "))
    }
    if said:
        assert said in err and "use --permutations 999" in err
        assert counts["hot 99 %"] == 0  # the note is right: nothing reached it
    else:
        assert "stay empty" not in err
