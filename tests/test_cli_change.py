"""``hotspots change``: the CompStat tables on the command line, against pandas counts and
scipy's exact test."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from cli_support import CHICAGO, run
from conftest import real_file
from scipy import stats

AREAS = ("chicago_cpd_2017_2019", "chicago_community_areas_77.geojson")


def test_chicago_year_to_date_json(capsys):
    path = real_file(*CHICAGO)
    areas = real_file(*AREAS)
    code, out, err = run(capsys, "change", path, "--period", "ytd", "--areas", areas, "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["current"] == ["2019-01-01", "2019-09-29"]
    assert res["previous"] == ["2018-01-01", "2018-09-29"]
    raw = pd.read_csv(path, usecols=["date", "primary_type"])
    when = pd.to_datetime(raw["date"], format="%m/%d/%Y %H:%M")
    now = raw[(when >= "2019-01-01") & (when < "2019-09-30")]["primary_type"].value_counts()
    before = raw[(when >= "2018-01-01") & (when < "2018-09-30")]["primary_type"].value_counts()
    rows = {r["offense"]: r for r in res["by_offense"]}
    for raw_name, code_name in (("BURGLARY", "burglary"), ("ROBBERY", "robbery")):
        r = rows[code_name]
        assert (r["now"], r["before"]) == (now[raw_name], before[raw_name])
        # equal 272-day periods: share 1/2
        want = stats.binomtest(r["now"], r["now"] + r["before"], 0.5).pvalue
        assert r["p"] == pytest.approx(want, abs=1e-6)
    # an offense with none last year: a number, not a null
    ccl = rows["concealed_carry_license_violation"]
    assert ccl["before"] == 0 and ccl["change"] == ccl["now"] == 7
    assert ccl["p"] == pytest.approx(2 * 0.5**7, abs=1e-6) and ccl["change_pct"] is None
    assert res["areas"] == "districts"
    assert {r["area"] for r in res["by_area"]} >= {"all", "AUSTIN", "LOOP"}


def test_text_on_the_sample_and_bad_date(capsys):
    code, out, err = run(capsys, "change", "--sample", "--period", "28d")
    assert code == 0, err
    assert "2021-12-04..2021-12-31 vs 2021-11-06..2021-12-03" in out
    assert "H3 cells, resolution 7" in out
    code, out, err = run(capsys, "change", "--sample", "--as-of", "someday")
    assert code == 2 and "as_of" in err and err.count("\n") == 1
