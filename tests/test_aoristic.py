"""Aoristic weights: one incident's weights sum to 1, hand-computed windows, a brute-force
minute-by-minute count, the hour filter's shares, unknown windows and from/to detection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspots.columns import detect_window_columns
from hotspots.errors import InputError
from hotspots.timeaware.aoristic import (
    aoristic_table,
    hours_share,
    peak_hours,
    read_windows,
    window_status,
)


def one(start, end):
    return aoristic_table([start], [end])


def test_left_at_18_found_at_08_spreads_over_14_hours():
    t = one("2024-01-01 18:00", "2024-01-02 08:00")  # Monday evening -> Tuesday morning
    assert t.to_numpy().sum() == pytest.approx(1.0)
    for h in range(18, 24):
        assert t.loc["mon", h] == pytest.approx(1 / 14)
    for h in range(0, 8):
        assert t.loc["tue", h] == pytest.approx(1 / 14)
    assert t.loc["tue", 8] == 0 and t.loc["mon", 17] == 0


@pytest.mark.parametrize(
    ("start", "end", "cells"),
    [
        ("2024-01-01 18:30", "2024-01-01 19:00", {("mon", 18): 1.0}),  # inside one hour
        ("2024-01-03 10:15", "2024-01-03 10:15", {("wed", 10): 1.0}),  # an exact time
        ("2024-01-07 23:30", "2024-01-08 00:30", {("sun", 23): 0.5, ("mon", 0): 0.5}),
        ("2024-01-05 09:45", "2024-01-05 11:15", {("fri", 9): 1 / 6, ("fri", 10): 4 / 6,
                                                   ("fri", 11): 1 / 6}),
    ],
)  # fmt: skip
def test_hand_computed_windows(start, end, cells):
    t = one(start, end)
    for (day, hour), w in cells.items():
        assert t.loc[day, hour] == pytest.approx(w)
    assert t.to_numpy().sum() == pytest.approx(1.0)
    assert (t.to_numpy() > 1e-12).sum() == len(cells)


def test_a_whole_week_is_even_and_longer_is_unknown():
    t = one("2024-01-03 07:00", "2024-01-10 07:00")  # exactly 168 hours
    np.testing.assert_allclose(t.to_numpy(), 1 / 168)
    t = aoristic_table(
        ["2024-01-03 07:00", "2024-01-03 07:00", "2024-01-05", None],
        ["2024-01-10 08:00", "2024-01-03 09:00", "2024-01-04", "2024-01-04"],
    )
    assert t.attrs == {"used": 1, "unknown": 1, "reversed": 1, "missing": 1}
    assert t.to_numpy().sum() == pytest.approx(1.0)


def brute_table(starts, ends):
    """Minute by minute: each minute of a window gets 1 / (its minutes)."""
    out = np.zeros((7, 24))
    for s, e in zip(starts, ends, strict=True):
        minutes = pd.date_range(s, e, freq="min", inclusive="left")
        for m in minutes:
            out[m.weekday(), m.hour] += 1 / len(minutes)
    return out


def random_windows(n, seed):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-03-01") + pd.to_timedelta(rng.integers(0, 60 * 24 * 90, n), "min")
    length = pd.to_timedelta(rng.integers(1, 60 * 100, n), "min")  # up to 100 hours
    return start, start + length


def test_table_equals_a_minute_by_minute_count():
    starts, ends = random_windows(60, seed=1)
    got = aoristic_table(starts, ends).to_numpy()
    np.testing.assert_allclose(got, brute_table(starts, ends), atol=1e-9)
    assert got.sum() == pytest.approx(60)


def test_each_incident_sums_to_one_and_shares_add_up():
    starts, ends = random_windows(300, seed=2)
    np.testing.assert_allclose(hours_share(starts, ends, range(24)), 1.0)
    night, day = hours_share(starts, ends, range(0, 8)), hours_share(starts, ends, range(8, 24))
    np.testing.assert_allclose(night + day, 1.0)
    # the hour filter's share equals the table's weight in those hours, incident by incident
    for s, e, w in list(zip(starts, ends, night, strict=True))[:20]:
        assert w == pytest.approx(one(s, e).loc[:, 0:7].to_numpy().sum())
    weekend = hours_share(starts, ends, range(24), weekdays=[5, 6])
    want = aoristic_table(starts, ends).loc[["sat", "sun"]].to_numpy().sum()
    assert weekend.sum() == pytest.approx(want)


def test_unknown_windows_have_no_share_and_status():
    s = ["2024-01-01 00:00", "2024-01-01 00:00", "2024-01-02"]
    e = ["2024-01-20 00:00", "2024-01-01 00:00", "2024-01-01"]
    share = hours_share(s, e, [0])
    assert np.isnan(share[0]) and share[1] == 1.0 and np.isnan(share[2])
    assert window_status(s, e).tolist() == ["too_long", "ok", "reversed"]


def test_peak_hours_wrap_past_midnight():
    t = aoristic_table(
        ["2024-01-01 22:00", "2024-01-02 23:00"], ["2024-01-02 02:00", "2024-01-03 01:00"]
    )
    start, share = peak_hours(t, 4)
    # weight per hour: 22h 1/4, 23h 1/4 + 1/2, 0h 1/4 + 1/2, 1h 1/4: 22-01 holds all of it
    assert (start, share) == (22, 1.0)
    assert peak_hours(t, 2) == (23, 0.75)


def test_detection_of_from_to_columns():
    assert detect_window_columns(["ID", "Date_From", "Date_To"]) == ("Date_From", "Date_To")
    assert detect_window_columns(["id", "Дата с", "Дата по"]) == ("Дата с", "Дата по")
    assert detect_window_columns(["id", "Start date", "End date"]) == ("Start date", "End date")
    assert detect_window_columns(["id", "from"]) == (None, None)  # both ends or neither


def test_windows_read_back_from_a_burglary_file(tmp_path):
    from hotspots.io import read_incidents

    path = tmp_path / "burglary.csv"
    path.write_text(
        "id,date,date_from,date_to,offense,lat,lon\n"
        "1,2024-01-02 08:00,2024-01-01 18:00,2024-01-02 08:00,burglary,43.30,68.25\n"
        "2,2024-01-03 07:00,2024-01-03 01:00,2024-01-03 07:00,burglary,43.30,68.26\n"
        "3,2024-01-09 09:00,2023-12-20 09:00,2024-01-09 09:00,burglary,43.31,68.25\n",
        encoding="utf-8",
    )
    inc = read_incidents(path).accepted
    with_w = read_windows(path, inc)
    t = aoristic_table(with_w["occurred_from"], with_w["occurred_to"])
    assert t.attrs["used"] == 2 and t.attrs["unknown"] == 1  # 20 days: unknown time
    assert t.loc["mon", 18] == pytest.approx(1 / 14)
    assert t.loc["wed", 1] == pytest.approx(1 / 6)
    with pytest.raises(InputError, match="--from and --to"):
        read_windows(path, inc, from_col=None, to_col=None, sep=";")


def windowed_calls():
    """Four calls: two burglaries with windows (one over a week), two with exact hours."""
    return pd.DataFrame(
        {
            "hour": pd.array([8, 7, 19, 3], dtype="Int64"),  # recorded: when found / reported
            "weekday": pd.array([1, 2, 0, 3], dtype="Int64"),
            "year": pd.array([2024] * 4, dtype="Int64"),
            "offense": ["burglary", "burglary", "theft", "theft"],
            "occurred_from": pd.to_datetime(["2024-01-01 18:00", "2023-12-01 00:00", None, None]),
            "occurred_to": pd.to_datetime(["2024-01-02 08:00", "2024-01-03 07:00", None, None]),
        }
    )


def test_hour_weekday_table_uses_the_windows():
    from hotspots.temporal import hour_weekday_table

    t = hour_weekday_table(windowed_calls())
    assert t.loc["mon", 18] == pytest.approx(1 / 14) and t.loc["tue", 8] == 0  # not its hour
    assert t.loc["mon", 19] == pytest.approx(1 + 1 / 14)  # the exact call + 1/14
    assert t.loc["thu", 3] == 1.0
    assert t.attrs["unknown"] == 1 and t.to_numpy().sum() == pytest.approx(3.0)


def test_hour_filter_keeps_a_window_mostly_in_the_hours():
    from hotspots.filters import Filters, filter_mask

    calls = windowed_calls()
    # evening 18-23: 6/14 of the burglary's window (< half): out; the 19h theft: in
    assert filter_mask(calls, Filters(hours=tuple(range(18, 24)))).tolist() == [
        False, False, True, False
    ]  # fmt: skip
    # night 0-7: 8/14 of its window (> half): in, although it was recorded at 08h
    assert filter_mask(calls, Filters(hours=tuple(range(0, 8)))).tolist() == [
        True, False, False, True
    ]  # fmt: skip
    assert filter_mask(calls, Filters(offenses=("theft",), hours=tuple(range(0, 8)))).tolist() == [
        False, False, False, True
    ]  # fmt: skip


def test_patrol_peak_hours_from_windows():
    from hotspots.patrol import _aoristic_hours

    calls = windowed_calls()
    key = np.array([0, 0, 1, 1])
    hours = _aoristic_hours(calls, key, 2, np.zeros((2, 24)))
    np.testing.assert_allclose(hours[0, 18:24], 1 / 14)
    np.testing.assert_allclose(hours[0, 0:8], 1 / 14)
    assert hours[0].sum() == pytest.approx(1.0)  # the month-long window adds nothing
    assert hours[1, 19] == 1 and hours[1, 3] == 1
