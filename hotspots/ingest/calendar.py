"""Year, month, weekday and hour of microsecond timestamps, by table lookup.

Every accepted call gets these four date parts. Arrow's calendar kernels work each one out
from the timestamp on its own (a civil-date conversion for the year, another for the month):
2.5 ms a 100,000-row block. Here the day number is found once, by a floating-point division
that is exact for these values (see :func:`date_parts`), and the year, month and weekday are
read from tables of every day of :data:`~hotspots.ingest.parse.YEAR_RANGE` with a year of
margin either side: 0.5 ms. Times outside the tables (a value built by hand, far in the past)
go to Arrow's kernels, so every timestamp gets its parts.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hotspots.ingest.parse import YEAR_RANGE

_US_PER_DAY = 86_400_000_000
_US_PER_HOUR = 3_600_000_000


@functools.cache
def _tables() -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Day number (since 1970-01-01) of the first day in the tables, and the year, month and
    weekday (Monday 0) of every day from a year before :data:`YEAR_RANGE` to a year after."""
    first = np.datetime64(f"{YEAR_RANGE[0] - 1}-01-01", "D")
    last = np.datetime64(f"{YEAR_RANGE[1] + 2}-01-01", "D")
    days = np.arange(first, last)
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    return (
        int(first.astype(np.int64)),
        year.astype(np.int16),
        month.astype(np.int8),
        weekday.astype(np.int8),
    )


def date_parts(us: np.ndarray) -> dict[str, np.ndarray]:
    """``year`` (int16), ``month``, ``weekday`` (Monday 0) and ``hour`` (int8) of ``us``,
    microseconds since 1970-01-01 (int64, any sign), as Arrow's ``year``, ``month``,
    ``day_of_week`` and ``hour`` kernels give them.

    The day is ``floor(us / 86,400,000,000)`` in floating point: ``us`` is exact as a double
    (under 2**53), the division is correctly rounded, so a midnight gives its whole day
    exactly, and any other time is at least a microsecond (1.2e-11 day) from a whole day,
    more than the division's error within the tables (half a unit in the last place of a
    day number under 55,000: 3.6e-12).
    """
    if not len(us):
        empty8 = np.zeros(0, dtype=np.int8)
        return {
            "year": np.zeros(0, dtype=np.int16),
            "month": empty8,
            "weekday": empty8,
            "hour": empty8,
        }
    first, year, month, weekday = _tables()
    day = np.floor(us / _US_PER_DAY).astype(np.int64)
    at = day - first
    if at.min() < 0 or at.max() >= len(year):  # (beyond 2**53 the day is far outside too)
        return _arrow_parts(us)
    hour = np.floor((us - day * _US_PER_DAY) / _US_PER_HOUR).astype(np.int8)
    return {
        "year": year.take(at),
        "month": month.take(at),
        "weekday": weekday.take(at),
        "hour": hour,
    }


def _arrow_parts(us: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`date_parts` by Arrow's calendar kernels (any timestamp)."""
    ts = pa.array(us, pa.int64()).view(pa.timestamp("us"))

    def part(kernel, width) -> np.ndarray:
        return kernel(ts).to_numpy(zero_copy_only=False).astype(width)

    return {
        "year": part(pc.year, np.int16),
        "month": part(pc.month, np.int8),
        "weekday": part(pc.day_of_week, np.int8),
        "hour": part(pc.hour, np.int8),
    }


__all__ = ["date_parts"]
