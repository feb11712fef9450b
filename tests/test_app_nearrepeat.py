"""The Near repeats page (AppTest): the Knox heat table equals the library's result on the
filtered calls, in every language."""

from __future__ import annotations

import numpy as np
import pytest
from app_support import goto, new_app, run, sample, texts

from hotspots.timeaware.nearrepeat import near_repeat


def run_test(at, runs=99):
    at.selectbox(key="nr_runs").set_value(runs)
    at.button(key="nr_go").click()
    return run(at)


def test_heat_table_is_the_library_knox_ratio_on_the_sample():
    at = goto(run(new_app()), "nearrepeat")
    assert not at.dataframe  # nothing is computed before the button
    at = run_test(at)
    want = near_repeat(sample().calls, permutations=99, seed=0)
    heat = at.dataframe[0].value
    shown = heat.data if hasattr(heat, "data") else heat  # a Styler or a frame
    assert list(shown.index) == ["0-100", "100-200", "200-300", "300-400"]
    assert list(shown.columns) == ["0-7", "8-14", "15-21", "22-28"]
    np.testing.assert_allclose(shown.to_numpy().ravel(), want["knox_ratio"].to_numpy())
    details = at.dataframe[1].value
    assert details["Observed pairs"].tolist() == want["observed"].tolist()
    words = texts(at)
    assert "Near-repeat zone" in words or "No near-repeat pattern" in words


@pytest.mark.parametrize(("lang", "word"), [("ru", "Отношение Нокса"), ("kk", "Нокс қатынасы")])
def test_page_in_russian_and_kazakh(lang, word):
    at = goto(run(new_app({"lang": lang})), "nearrepeat")
    at = run_test(at)
    assert word in texts(at)


def test_bad_bands_show_one_error_line():
    at = goto(run(new_app()), "nearrepeat")
    at.text_input(key="nr_d").set_value("200,100")
    at = run_test(at)
    assert at.error and "distance_bands" in at.error[0].value
