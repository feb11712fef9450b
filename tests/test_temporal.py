"""Temporal tables: hour x weekday, months, year-over-year change per offense."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspots.errors import ParameterError
from hotspots.temporal import (
    ALL_OFFENSES,
    change_years,
    hour_weekday_table,
    monthly_series,
    offense_change,
    partial_years,
    yearly_by_offense,
)


def frame(rows: list[tuple]) -> pd.DataFrame:
    """(year, month, weekday, hour, offense) rows with the contract's nullable Int64 columns."""
    year, month, day, hour, off = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "year": pd.array(year, dtype="Int64"),
            "month": pd.array(month, dtype="Int64"),
            "weekday": pd.array(day, dtype="Int64"),
            "hour": pd.array(hour, dtype="Int64"),
            "offense": list(off),
        }
    )


# hour x weekday ------------------------------------------------------------------------------
def test_hour_weekday_counts_and_unknowns():
    df = frame(
        [
            (2020, 1, 0, 8, "theft"),
            (2020, 1, 0, 8, "theft"),
            (2020, 1, 4, 23, "fight"),
            (2020, 1, 6, 0, "fight"),
            (2020, 1, None, None, "theft"),  # month-only date
            (2020, 1, 3, None, "theft"),  # day known, hour unknown
        ]
    )
    t = hour_weekday_table(df)
    assert t.shape == (7, 24)
    assert list(t.index) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert list(t.columns) == list(range(24))
    assert t.loc["mon", 8] == 2 and t.loc["fri", 23] == 1 and t.loc["sun", 0] == 1
    assert t.to_numpy().sum() == 4
    assert t.attrs["unknown"] == 2


# months -------------------------------------------------------------------------------------
def test_monthly_series_fills_empty_months():
    df = frame(
        [
            (2020, 11, 0, 1, "theft"),
            (2020, 11, 0, 1, "fight"),
            (2021, 2, 0, 1, "theft"),
            (None, None, None, None, "theft"),
        ]
    )
    m = monthly_series(df)
    assert m["month"].dt.strftime("%Y-%m").tolist() == ["2020-11", "2020-12", "2021-01", "2021-02"]
    assert m["count"].tolist() == [2, 0, 0, 1]


def test_monthly_series_by_offense():
    df = frame([(2020, 11, 0, 1, "theft"), (2020, 11, 0, 1, "fight"), (2020, 12, 0, 1, "theft")])
    m = monthly_series(df, by="offense")
    got = {(r.month.strftime("%Y-%m"), r.offense): r.count for r in m.itertuples()}
    assert got == {
        ("2020-11", "fight"): 1,
        ("2020-12", "fight"): 0,
        ("2020-11", "theft"): 1,
        ("2020-12", "theft"): 1,
    }


def test_monthly_series_of_nothing_is_empty():
    assert monthly_series(frame([(None, None, None, None, "x")])).empty


# years --------------------------------------------------------------------------------------
def yearly_case() -> pd.DataFrame:
    rows = (
        [(2019, m, 0, 1, "theft") for m in (1, 2, 3)]
        + [(2019, 4, 0, 1, "hooliganism")]
        + [(2020, m, 0, 1, "theft") for m in (1, 5)]
        + [(2021, 1, 0, 1, "theft")]
        + [(2021, 1, 0, 1, "hooliganism")] * 4
    )
    return frame(rows)


def test_yearly_by_offense_by_hand():
    t = yearly_by_offense(yearly_case())
    got = {(r.offense, r.year): (r.count, r.change, r.change_pct, r.months) for r in t.itertuples()}
    na = pd.NA
    # months with data: 2019 -> 1, 2, 3, 4; 2020 -> 1, 5; 2021 -> 1
    assert got[("theft", 2019)][:2] == (3, na)
    assert got[("theft", 2020)] == (2, -1, pytest.approx(-100 / 3), 2)
    assert got[("theft", 2021)] == (1, -1, -50.0, 1)
    assert got[("hooliganism", 2019)][0] == 1
    assert got[("hooliganism", 2020)] == (0, -1, -100.0, 2)
    # from zero: the change is +4 but has no percentage
    assert got[("hooliganism", 2021)][:2] == (4, 4) and got[("hooliganism", 2021)][2] is na
    assert got[(ALL_OFFENSES, 2019)][0] == 4 and got[(ALL_OFFENSES, 2021)][:3] == (5, 3, 150.0)
    assert got[(ALL_OFFENSES, 2019)][3] == 4
    assert t["offense"].iloc[0] == ALL_OFFENSES
    assert len(yearly_by_offense(yearly_case(), total=False)) == 6


def test_offense_change_by_hand():
    c = offense_change(yearly_case())
    assert c.attrs == {"from_year": 2019, "to_year": 2021}
    rows = {r.offense: (r.from_count, r.to_count, r.change, r.direction) for r in c.itertuples()}
    assert rows["hooliganism"] == (1, 4, 3, "up")
    assert rows["theft"] == (3, 1, -2, "down")
    assert rows[ALL_OFFENSES] == (4, 5, 1, "up")
    assert c["offense"].tolist() == ["hooliganism", ALL_OFFENSES, "theft"]  # largest rise first
    assert c.set_index("offense").loc["hooliganism", "change_pct"] == pytest.approx(300.0)


def test_offense_change_between_chosen_years():
    c = offense_change(yearly_case(), from_year=2020, to_year=2021)
    rows = {r.offense: (r.from_count, r.to_count) for r in c.itertuples()}
    assert rows["theft"] == (2, 1) and rows["hooliganism"] == (0, 4)
    assert c.set_index("offense")["change_pct"].isna()["hooliganism"]


def test_offense_change_names_a_missing_year():
    with pytest.raises(ParameterError, match="to_year"):
        offense_change(yearly_case(), to_year=2030)


def test_missing_column_is_named():
    with pytest.raises(ParameterError, match="offense"):
        yearly_by_offense(pd.DataFrame({"year": [2020], "month": [1]}))


# the bundled sample: thefts fall, hooliganism rises ----------------------------------------
@pytest.fixture(scope="module")
def sample_calls():
    from hotspots.sample import load_sample

    return load_sample().calls


def test_sample_thefts_fall_and_hooliganism_rises(sample_calls):
    t = yearly_by_offense(sample_calls)
    # an independent count of the same thing with pandas
    ref = sample_calls.groupby(["offense", "year"]).size()
    for off in ("theft", "hooliganism"):
        sub = t[t["offense"] == off].set_index("year")["count"]
        assert sub.to_dict() == {int(y): int(n) for y, n in ref[off].items()}
    theft = t[t["offense"] == "theft"].sort_values("year")
    hool = t[t["offense"] == "hooliganism"].sort_values("year")
    assert theft["year"].tolist() == [2019, 2020, 2021]
    assert (np.diff(theft["count"]) < 0).all()
    assert (np.diff(hool["count"]) > 0).all()
    assert (theft["change_pct"].iloc[1:] < 0).all() and (hool["change_pct"].iloc[1:] > 0).all()
    change = offense_change(sample_calls).set_index("offense")
    assert change.loc["theft", "direction"] == "down"
    assert change.loc["hooliganism", "direction"] == "up"


def test_sample_hour_weekday_covers_every_timed_call(sample_calls):
    t = hour_weekday_table(sample_calls)
    timed = sample_calls["hour"].notna() & sample_calls["weekday"].notna()
    assert t.to_numpy().sum() == int(timed.sum())
    assert t.attrs["unknown"] == int((~timed).sum())


def test_change_years_skip_partial_first_and_last_years():
    # 2018: March only; 2019 and 2020: every month; 2021: January to September
    rows = [(2018, 3, 0, 0, "theft")]
    rows += [(y, m, 0, 0, "theft") for y in (2019, 2020) for m in range(1, 13)]
    rows += [(2021, m, 0, 0, "theft") for m in range(1, 10)]
    yearly = yearly_by_offense(frame(rows))
    assert change_years(yearly) == (2019, 2020, [2018, 2021])
    assert change_years(yearly, to_year=2021) == (2019, 2021, [2018])
    assert change_years(yearly, 2018, 2021) == (2018, 2021, [])
    assert partial_years(yearly) == {2018: 1, 2021: 9}


def test_change_years_with_fewer_than_two_full_years_leave_the_choice():
    rows = [(2020, m, 0, 0, "theft") for m in range(1, 13)] + [(2021, 1, 0, 0, "theft")]
    yearly = yearly_by_offense(frame(rows))
    assert change_years(yearly) == (None, None, [])
    assert partial_years(yearly) == {2021: 1}
    assert change_years(yearly_by_offense(frame(rows).iloc[:0])) == (None, None, [])
