"""Near repeats for presenters: band pairs of fewer than K pairs are suppressed (count "< K",
no ratio, no p, never in the zone) in the library, the CLI and the app page, which presenter
accounts may open."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from app_support import goto, new_app, run, sample, texts
from cli_support import run as run_cli

from hotspots.errors import ParameterError
from hotspots.privacy import suppress_knox
from hotspots.store.accounts import ROLE_PAGES
from hotspots.timeaware.nearrepeat import json_records, near_repeat

# small bands on the sample: pair counts from 3 to 37, several under K = 12
BANDS = {"distance_bands": "5,10,20", "time_bands": "0,1,2"}
K = 12


@pytest.fixture(scope="module")
def knox():
    return near_repeat(sample().calls, permutations=19, seed=0, **BANDS)


def test_small_pair_counts_are_suppressed_with_their_ratio_and_p(knox):
    out = suppress_knox(knox, K)
    small = knox["observed"].to_numpy() < K
    assert small.any() and not small.all()
    assert (out["observed"][small] == f"< {K}").all()
    assert out["observed"][~small].tolist() == [str(v) for v in knox["observed"][~small]]
    assert out["knox_ratio"][small].isna().all() and out["p"][small].isna().all()
    np.testing.assert_array_equal(out["knox_ratio"][~small], knox["knox_ratio"][~small])
    np.testing.assert_array_equal(out["p"][~small], knox["p"][~small])
    assert not out["near_repeat"][small].any()
    np.testing.assert_array_equal(out["expected"], knox["expected"])
    assert out.attrs["n_pairs"] is None and out.attrs["min_count"] == K
    assert knox.attrs["n_pairs"] is not None  # the input is left alone
    records = json_records(out)
    assert [r["observed"] for r in records] == out["observed"].tolist()
    assert all(r["p"] is None for r, s in zip(records, small, strict=True) if s)


def test_k_is_checked(knox):
    with pytest.raises(ParameterError):
        suppress_knox(knox, 0)


def test_cli_presenter_json(capsys, knox):
    args = ["nearrepeat", "--sample", "--permutations", "19", "--distance-bands", "5,10,20"]
    args += ["--time-bands", "0,1,2", "--json"]
    code, out, err = run_cli(capsys, *args, "--presenter", "--min-count", str(K))
    assert code == 0, err
    assert json.loads(out) == json_records(suppress_knox(knox, K))
    code, out, err = run_cli(capsys, *args, "--min-count", str(K))
    assert code == 2 and "--presenter" in err and err.count("\n") == 1


def test_presenter_accounts_get_the_page():
    assert "nearrepeat" in ROLE_PAGES["presenter"]


def test_page_in_presenter_mode_shows_no_count_under_k(knox):
    at = goto(run(new_app({"presenter": "1", "k": str(K)})), "nearrepeat")
    at.text_input(key="nr_d").set_value(BANDS["distance_bands"])
    at.text_input(key="nr_t").set_value(BANDS["time_bands"])
    at.selectbox(key="nr_runs").set_value(99)
    at.button(key="nr_go").click()
    at = run(at)
    want = suppress_knox(near_repeat(sample().calls, permutations=99, seed=0, **BANDS), K)
    details = at.dataframe[1].value
    assert details["Observed pairs"].tolist() == want["observed"].tolist()
    assert f"< {K}" in details["Observed pairs"].tolist()
    heat = at.dataframe[0].value
    shown = heat.data if hasattr(heat, "data") else heat
    np.testing.assert_array_equal(pd.isna(shown.to_numpy().ravel()), want["knox_ratio"].isna())
    assert f"fewer than {K} pairs" in texts(at)
