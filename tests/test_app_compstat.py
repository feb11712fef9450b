"""The CompStat panel of the Trends page (AppTest): the figures of the library (and so of
``hotspots change``) for both periods, and no count under K in presenter mode."""

from __future__ import annotations

import numpy as np
import pandas as pd
from app_support import goto, new_app, run, sample

from hotspots.timeaware.compstat import compstat


def panel(at, key):
    first = {"cs_offense": "Offense", "cs_area": "Area"}[key]
    [df] = [d.value for d in at.dataframe if list(d.value.columns[:2]) == [first, "Before"]]
    return df


def test_last_28_days_by_offense_and_area_are_the_library_figures():
    at = goto(run(new_app()), "trends")
    want = compstat(sample().calls, period="28d").set_index("offense")
    got = panel(at, "cs_offense").set_index("Offense")
    assert got.loc["All offenses", "Now"] == want.loc["all", "now"]
    assert got.loc["Theft", "Before"] == want.loc["theft", "before"]
    np.testing.assert_allclose(got.loc["Theft", "p"], round(want.loc["theft", "p"], 4))
    area = panel(at, "cs_area")
    assert area.iloc[0]["Area"] == "Whole study area"
    assert area.iloc[0]["Now"] == want.loc["all", "now"]
    assert any("2021-12-04 – 2021-12-31" in c.value for c in at.caption)


def test_year_to_date_switch():
    at = goto(run(new_app()), "trends")
    at.radio(key="cs_period").set_value("ytd")
    at = run(at)
    want = compstat(sample().calls, period="ytd").set_index("offense")
    got = panel(at, "cs_offense").set_index("Offense")
    assert got.loc["All offenses", "Before"] == want.loc["all", "before"]
    assert got.loc["All offenses", "Now"] == want.loc["all", "now"]


def test_presenter_mode_hides_counts_under_k():
    k = 30
    at = goto(run(new_app({"presenter": "1", "k": str(k)})), "trends")
    want = compstat(sample().calls, period="28d").set_index("offense")
    got = panel(at, "cs_offense").set_index("Offense")
    # fight: 18 before -> "< 30", its change and test blank; theft 61 -> 45 shown
    assert want.loc["fight", "before"] < k
    assert got.loc["Fight", "Before"] == f"< {k}" and pd.isna(got.loc["Fight", "p"])
    assert got.loc["Theft", "Now"] == str(want.loc["theft", "now"])
