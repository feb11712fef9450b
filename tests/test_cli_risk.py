"""``hotspots risk``: the JSON the issue asks for, equal to the library's figures; outputs;
errors as one line and status 2."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from cli_support import read_any, run

from hotspots.output import read_provenance
from hotspots.risk import fit_risk, split_offenses

KINDS = ["cafe", "restaurant", "tea_house", "bar", "public_space"]


@pytest.fixture(scope="module")
def expected(sample):
    hool, other = split_offenses(sample.calls, ["hooliganism"])
    return fit_risk(hool, sample.venues, background=other, kinds=KINDS, area=sample.boundary)


def test_json_lists_the_factors_and_the_fit_as_the_library(capsys, expected):
    code, out, err = run(
        capsys, "risk", "--sample", "--offenses", "hooliganism", "--kinds", ",".join(KINDS),
        "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["offenses"] == ["hooliganism"]
    factors = doc["factors"]
    assert [f["kind"] for f in factors] == expected.factors["kind"].tolist()
    assert {"cafe", "public_space"} <= {f["kind"] for f in factors}
    for f, (_, want) in zip(factors, expected.factors.iterrows(), strict=True):
        assert list(f)[:7] == [
            "kind", "measure", "distance_m", "relative_risk", "ci_low", "ci_high", "p",
        ]  # fmt: skip
        assert f["measure"] in ("proximity", "density")
        assert f["distance_m"] in (50, 100, 200)
        assert f["relative_risk"] == pytest.approx(want["relative_risk"])
        assert f["ci_low"] < f["relative_risk"] < f["ci_high"]
        assert f["p"] == pytest.approx(want["p"], abs=1e-300)
    fit = doc["fit"]
    for key in ("deviance", "aic", "bic", "lr_stat", "baseline_aic"):
        assert fit[key] == pytest.approx(expected.fit[key])
    assert fit["lr_df"] == len(factors) and fit["lr_p"] < 1e-6
    assert fit["background"] is True and fit["background_coef"] > 0


def test_text_report_evaluation_and_outputs(capsys, tmp_path):
    surface, html, table = tmp_path / "risk.geojson", tmp_path / "risk.html", tmp_path / "f.csv"
    code, out, err = run(
        capsys, "risk", "--sample", "--offenses", "hooliganism", "--kinds", "cafe,public_space",
        "--distances", "100,200", "--evaluate", "--train-years", "2019,2020",
        "--test-years", "2021", "-o", surface, "--map", html, "--factors-out", table,
    )  # fmt: skip
    assert code == 0, err
    assert "LR test against the baseline (intercept + other calls' density)" in out
    assert "public_space" in out and "cafe" in out
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("method"))
    methods = [line.split()[0] for line in lines[head + 1 : head + 6]]
    assert methods == ["risk_terrain", "risk_model", "h3", "kde", "gistar"]
    cells = read_any(surface)
    assert len(cells) > 2000 and {"risk", "expected", "count", "factors"} <= set(cells.columns)
    assert (cells.geometry.geom_type == "Polygon").all()
    assert read_provenance(surface)["parameters"]["command"] == "hotspots risk"
    assert len(read_any(table)) >= 2
    page = html.read_text(encoding="utf-8")
    assert "Relative risk of the venues" in page and "unpkg.com" not in page


def test_polygon_exposure_enters_as_an_offset(capsys, tmp_path, sample):
    minx, miny, maxx, maxy = sample.boundary.total_bounds
    polys = gpd.GeoDataFrame(
        {"population": [40_000.0, 60_000.0]},
        geometry=[
            shapely.box(minx, miny, (minx + maxx) / 2, maxy),
            shapely.box((minx + maxx) / 2, miny, maxx, maxy),
        ],
        crs=4326,
    )
    path = tmp_path / "people.geojson"
    polys.to_file(path)
    code, out, err = run(
        capsys, "risk", "--sample", "--offenses", "hooliganism", "--kinds", "cafe",
        "--exposure", path, "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["fit"]["exposure"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--distances", "near"], "--distances takes metres"),
        (["--distances", "0"], "distances: metres between 5 and 5000"),
        (["--kinds", "casino"], "no venue of kind casino"),
        (["--evaluate"], "--evaluate needs --train-years and --test-years"),
        (["--resolution", "14"], "resolution"),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, args, message):
    code, out, err = run(capsys, "risk", "--sample", "--offenses", "hooliganism", *args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_by_year_tells_the_seeds_story_on_the_sample(capsys):
    # hooliganism: catering venues and public spaces raise the risk beyond the background in
    # every year (the generator puts those calls at the venues and in the public spaces)
    code, out, err = run(
        capsys, "risk", "--sample", "--offenses", "hooliganism",
        "--kinds", "catering,public_space", "--by-year", "--json",
    )  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)["by_year"]
    assert sorted({r["year"] for r in rows}) == [2019, 2020, 2021]
    for year in (2019, 2020, 2021):
        kinds = {r["kind"]: r for r in rows if r["year"] == year}
        assert set(kinds) == {"catering", "public_space"}
        assert all(r["ci_low"] > 1.5 for r in kinds.values())
        assert kinds["public_space"]["relative_risk"] > kinds["catering"]["relative_risk"]
    # the modelled calls per year: the sample's hooliganism calls the validation accepts
    # (README: 315, 355, 405; one 2020 row is defective)
    calls = {r["year"]: r["year_calls"] for r in rows}
    assert calls == {2019: 315, 2020: 354, 2021: 405}


def test_venues_of_another_city_are_one_line_not_an_empty_model(capsys, tmp_path):
    # the sample's calls (Turkestan) with venues 8,000 km away: before, "no factor selected"
    far = tmp_path / "far_venues.csv"
    far.write_text("venue_id,name,kind,lat,lon\nv1,Pub,bar,53.48,-2.24\nv2,Cafe,cafe,53.49,-2.25\n")
    code, out, err = run(
        capsys, "risk", "--sample", "--offenses", "hooliganism", "--venues", str(far)
    )
    assert code == 2
    assert "none of the 2 venues lies within" in err and len(err.strip().splitlines()) == 1
