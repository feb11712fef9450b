"""Date parts by table lookup (hotspots.ingest.calendar) against Python's calendar and
Arrow's kernels."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from hotspots.ingest.calendar import date_parts

EPOCH = dt.datetime(1970, 1, 1)


def _us(t: dt.datetime) -> int:
    return (t - EPOCH) // dt.timedelta(microseconds=1)


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime(2000, 2, 29, 23, 59, 59, 999_999),  # a leap day's last microsecond
        dt.datetime(2000, 3, 1),
        dt.datetime(1969, 12, 31, 23, 0),  # before 1970: negative microseconds
        dt.datetime(1970, 1, 1),
        dt.datetime(2100, 3, 1, 1, 0),  # 2100 is no leap year
        dt.datetime(1899, 1, 1, 0, 0, 0, 1),  # the tables' first day
        dt.datetime(1700, 6, 15, 12),  # outside the tables: Arrow's kernels
        dt.datetime(2021, 7, 20, 10, 24),
    ],
)
def test_parts_are_pythons_calendar(when: dt.datetime) -> None:
    got = date_parts(np.array([_us(when)], dtype=np.int64))
    assert [int(got[k][0]) for k in ("year", "month", "weekday", "hour")] == [
        when.year,
        when.month,
        when.weekday(),  # Monday 0, as the canonical table's weekday
        when.hour,
    ]


def test_parts_equal_arrows_kernels_on_a_million_times_and_their_edges() -> None:
    rng = np.random.default_rng(5)
    lo, hi = _us(dt.datetime(1899, 1, 1)), _us(dt.datetime(2101, 12, 31, 23, 59, 59))
    days = rng.integers(-26_000, 48_000, 50_000) * 86_400_000_000
    hours = days + rng.integers(0, 24, 50_000) * 3_600_000_000
    us = np.concatenate([rng.integers(lo, hi, 1_000_000), days, days - 1, hours, hours - 1])
    got = date_parts(us)
    ts = pa.array(us, pa.int64()).view(pa.timestamp("us"))
    for name, kernel in (
        ("year", pc.year),
        ("month", pc.month),
        ("weekday", pc.day_of_week),
        ("hour", pc.hour),
    ):
        want = kernel(ts).to_numpy(zero_copy_only=False)
        np.testing.assert_array_equal(got[name], want, err_msg=name)
    assert got["year"].dtype == np.int16 and got["hour"].dtype == np.int8


def test_no_times_no_parts() -> None:
    got = date_parts(np.zeros(0, dtype=np.int64))
    assert all(len(v) == 0 for v in got.values())
