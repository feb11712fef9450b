"""Aoristic weights (Ratcliffe 2002): incidents known only to lie in a from/to window.

A burglary found at 08:00 after the house was left at 18:00 happened at some time in those 14
hours. Its weight of 1 is spread evenly over the window: each hour-of-week slot (weekday x hour)
gets the share of the window that it covers (a window from 18:30 to 19:00 puts all its weight
in the 18:00 slot; 18:00 to 08:00 puts 1/14 in each of 14 slots). Summed over incidents, the
hour x weekday table totals the number of incidents with a usable window.

A window longer than a week (``max_hours``, 168 by default) says nothing about the hour or the
weekday: it counts as unknown time and is reported, as are windows that end before they start.
A window of zero length (from = to) is an exact time: all its weight goes to that hour.

Everything is vectorised: the table comes from a difference array over the absolute hours the
windows span (O(incidents + hours)), and an incident's share in a set of hours (the hour filter)
from a periodic cumulative function of the week.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from hotspots.errors import InputError, ParameterError
from hotspots.schema import OCCURRED_FROM, OCCURRED_TO, WEEKDAY_NAMES

#: Longest window with a usable time, hours (a week).
MAX_HOURS = 168.0
#: Column names of the window in an incident table (added by :func:`attach_windows`).
FROM, TO = OCCURRED_FROM, OCCURRED_TO
#: 1970-01-05 was a Monday: hours are counted from there so that hour 0 of the week is Monday 0h.
_MONDAY = np.datetime64("1970-01-05T00:00", "s")
WEEK = 168


def _hours(values: pd.Series | np.ndarray) -> np.ndarray:
    """Hours (float) since Monday 1970-01-05 00:00; NaN where missing."""
    ser = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(ser):
        ts = ser
    else:  # text: each value on its own ("2024-01-05" beside "2024-01-03 07:00")
        ts = pd.to_datetime(ser, errors="coerce", format="mixed")
    out = np.full(len(ts), np.nan)
    ok = ts.notna().to_numpy()
    secs = (ts[ok].to_numpy().astype("datetime64[s]") - _MONDAY).astype(np.int64)
    out[ok] = secs / 3600.0
    return out


def _check_max(max_hours: float) -> float:
    m = float(max_hours)
    if not np.isfinite(m) or m <= 0:
        raise ParameterError(f"max_hours must be a number of hours > 0, got {max_hours!r}")
    return m


def window_status(start, end, *, max_hours: float = MAX_HOURS) -> pd.Series:
    """What each window says: ``"ok"``, ``"too_long"`` (over ``max_hours``: unknown time),
    ``"reversed"`` (ends before it starts) or ``"missing"`` (no from or no to)."""
    m = _check_max(max_hours)
    s, e = _hours(start), _hours(end)
    status = np.full(s.size, "ok", dtype=object)
    status[(e - s) > m] = "too_long"
    status[(e - s) < 0] = "reversed"
    status[np.isnan(s) | np.isnan(e)] = "missing"
    return pd.Series(status, dtype="string")


def aoristic_table(start, end, *, max_hours: float = MAX_HOURS) -> pd.DataFrame:
    """Aoristic incidents per weekday (rows ``mon`` .. ``sun``) and hour (columns 0-23).

    Parameters
    ----------
    start, end : array-like of datetime
        Each incident's window (naive local time); ``start == end`` for an exact time.
    max_hours : float
        Longest usable window, hours; longer ones count as unknown time.

    Returns
    -------
    pandas.DataFrame
        Weights (floats) summing to the number of usable windows; ``attrs``: ``unknown``
        (windows over ``max_hours``), ``reversed``, ``missing`` and ``used``.

    Examples
    --------
    >>> t = aoristic_table(["2024-01-01 18:00"], ["2024-01-02 08:00"])  # Mon 18h -> Tue 8h
    >>> round(float(t.loc["mon", 18]), 4), round(float(t.loc["tue", 7]), 4), float(t.sum().sum())
    (0.0714, 0.0714, 1.0)
    """
    m = _check_max(max_hours)
    s, e = _hours(start), _hours(end)
    if s.shape != e.shape:
        raise ParameterError("start and end must have the same length")
    status = window_status(start, end, max_hours=m).to_numpy()
    ok = status == "ok"
    weights = np.zeros(WEEK)
    s, e = s[ok], e[ok]
    if s.size:
        weights = _slot_weights(s, e)
    table = pd.DataFrame(
        weights.reshape(7, 24), index=pd.Index(WEEKDAY_NAMES, name="weekday"), columns=range(24)
    )
    table.columns.name = "hour"
    table.attrs.update(
        used=int(ok.sum()),
        unknown=int((status == "too_long").sum()),
        reversed=int((status == "reversed").sum()),
        missing=int((status == "missing").sum()),
    )
    return table


def _slot_weights(
    s: np.ndarray, e: np.ndarray, groups: np.ndarray | None = None, n_groups: int = 1
):
    """Sum over windows of the share of each hour-of-week slot: 168 values, or
    ``(n_groups, 168)`` summed per group when ``groups`` (0 .. n_groups - 1) is given."""
    g = np.zeros(s.size, dtype=np.int64) if groups is None else np.asarray(groups, np.int64)
    base = np.floor(s.min())
    s, e = s - base, e - base  # hours from the first window's hour: small, >= 0
    first, last = np.floor(s).astype(np.int64), np.floor(e).astype(np.int64)
    exact = (e - s) == 0
    span = int(last.max()) + 2
    size = n_groups * span
    off = g * span
    # windows inside one hour slot (exact times too): all the weight in that slot
    same = (first == last) | exact
    acc = np.bincount(off[same] + first[same], minlength=size).astype(float)
    # longer windows: density 1/length over [s, e): the partial first and last slots, and a
    # difference array for the full slots in between
    s2, e2, f2, l2, o2 = s[~same], e[~same], first[~same], last[~same], off[~same]
    dens = 1.0 / (e2 - s2)
    acc += np.bincount(o2 + f2, weights=(f2 + 1 - s2) * dens, minlength=size)
    acc += np.bincount(o2 + l2, weights=(e2 - l2) * dens, minlength=size)
    diff = np.bincount(o2 + f2 + 1, weights=dens, minlength=size + 1)
    diff -= np.bincount(o2 + l2, weights=dens, minlength=size + 1)
    acc += np.cumsum(diff)[:size]  # a group's full slots end before its last slot: no spill
    # absolute hour -> hour of the week, per group
    slot = (np.arange(span) + int(base)) % WEEK
    flat = (np.arange(n_groups)[:, None] * WEEK + slot[None, :]).ravel()
    out = np.bincount(flat, weights=acc, minlength=n_groups * WEEK).reshape(n_groups, WEEK)
    return out[0] if groups is None else out


def hours_by_group(start, end, groups, n_groups: int, *, max_hours: float = MAX_HOURS):
    """Aoristic incidents per group and hour of the day, ``(n_groups, 24)``: the patrol plan's
    hour histogram of each hotspot when incidents have time windows. Windows that are missing,
    reversed or over ``max_hours`` add nothing.

    Examples
    --------
    >>> w = hours_by_group(["2024-01-01 18:00"], ["2024-01-01 20:00"], [1], 2)
    >>> w[1, 18:20].tolist(), float(w[0].sum())
    ([0.5, 0.5], 0.0)
    """
    s, e = _hours(start), _hours(end)
    ok = (window_status(start, end, max_hours=max_hours) == "ok").to_numpy()
    g = np.asarray(groups, dtype=np.int64)
    if not ok.any():
        return np.zeros((n_groups, 24))
    week = _slot_weights(s[ok], e[ok], g[ok], int(n_groups))
    return week.reshape(n_groups, 7, 24).sum(axis=1)


def hours_share(start, end, hours: Iterable[int], weekdays: Iterable[int] | None = None):
    """Each incident's share of its window that falls in ``hours`` (0-23) on ``weekdays``
    (0 = Monday; all days when None): its weight under the app's hour filter.

    Windows that are missing, reversed or over a week get NaN (unknown time). A zero-length
    window gets 1 or 0 by its hour.

    Examples
    --------
    >>> hours_share(["2024-01-01 18:00"], ["2024-01-02 08:00"], range(18, 24)).round(4).tolist()
    [0.4286]
    """
    sel = np.zeros(WEEK)
    hrs = list(hours)
    days = range(7) if weekdays is None else list(weekdays)
    if any(not 0 <= int(h) <= 23 for h in hrs) or any(not 0 <= int(d) <= 6 for d in days):
        raise ParameterError("hours must be within 0-23 and weekdays within 0-6 (0 = Monday)")
    for d in days:
        sel[[int(d) * 24 + int(h) for h in hrs]] = 1.0
    s, e = _hours(start), _hours(end)
    status = window_status(start, end).to_numpy()
    cum = np.concatenate([[0.0], np.cumsum(sel)])  # selected hours from Monday 0h to slot k

    def big_f(t: np.ndarray) -> np.ndarray:
        """Selected hours from the epoch Monday to ``t`` (piecewise linear in t)."""
        weeks = np.floor(t / WEEK)
        r = t - weeks * WEEK
        k = np.minimum(np.floor(r).astype(np.int64), WEEK - 1)
        return weeks * cum[-1] + cum[k] + (r - k) * sel[k]

    out = np.full(s.size, np.nan)
    ok = status == "ok"
    length = e - s
    pos = ok & (length > 0)
    out[pos] = (big_f(e[pos]) - big_f(s[pos])) / length[pos]
    zero = ok & (length == 0)
    out[zero] = sel[np.floor(np.mod(s[zero], WEEK)).astype(np.int64)]
    return out


def peak_hours(table: pd.DataFrame, width: int = 4) -> tuple[int, float]:
    """Start hour of the ``width``-hour window (wrapping past midnight) holding the most
    aoristic weight over all weekdays, and the share of the weight it holds: the patrol
    plan's peak hours for incidents with time windows.

    Examples
    --------
    >>> t = aoristic_table(["2024-01-01 20:00"], ["2024-01-01 22:00"])
    >>> peak_hours(t, 2)
    (20, 1.0)
    """
    if not 1 <= int(width) <= 24:
        raise ParameterError(f"width must be 1-24 hours, got {width!r}")
    by_hour = table.to_numpy().sum(axis=0)
    total = by_hour.sum()
    if total <= 0:
        raise InputError("no incident with a usable time window: no peak hours")
    ring = np.concatenate([by_hour, by_hour[: int(width) - 1]])
    sums = np.convolve(ring, np.ones(int(width)), mode="valid")[:24]
    start = int(np.argmax(sums))
    return start, round(float(sums[start] / total), 6)


def attach_windows(
    incidents: pd.DataFrame, raw: pd.DataFrame, from_col: str, to_col: str
) -> pd.DataFrame:
    """``incidents`` with :data:`FROM` and :data:`TO` columns taken from the source table
    ``raw`` (its rows in file order, as read with pandas) by each incident's ``source_row``.

    The window's ends are parsed as dates with times; a value that is not one is missing.
    """
    for col in (from_col, to_col):
        if col not in raw:
            raise InputError(f"column {col!r} is not in the input; columns: {', '.join(raw)}")
    if "source_row" not in incidents:
        raise InputError("incidents need 'source_row' (read them with hotspots.io)")
    rows = incidents["source_row"].to_numpy(dtype=np.int64) - 1
    if rows.size and (rows.min() < 0 or rows.max() >= len(raw)):
        raise InputError("source rows of the incidents do not match the input table")
    out = incidents.copy()
    for col, name in ((from_col, FROM), (to_col, TO)):
        values = raw[col].to_numpy()[rows]
        ser = pd.Series(values, index=out.index)
        out[name] = pd.to_datetime(ser, errors="coerce", format="mixed")
    return out


def read_windows(
    path,
    incidents: pd.DataFrame,
    *,
    from_col: str | None = None,
    to_col: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """``incidents`` (read from ``path`` by :func:`hotspots.io.read_incidents`) with the time
    window of each, read again from ``path``: the ``from_col``/``to_col`` columns, found by
    their names (:func:`hotspots.columns.detect_window_columns`) when not given.

    Raises
    ------
    InputError
        No from/to columns found (name them), or a named column is absent.
    """
    from hotspots.columns import detect_window_columns
    from hotspots.readers import read_table

    table = read_table(path, sep=sep, encoding=encoding)
    if from_col is None or to_col is None:
        found = detect_window_columns(table.headers)
        from_col = from_col or found[0]
        to_col = to_col or found[1]
    if from_col is None or to_col is None:
        raise InputError(
            "no time-window columns found (such as 'date_from' and 'date_to'); name them with "
            f"--from and --to; columns: {', '.join(table.headers)}"
        )
    frame = table.frame.replace("", np.nan)
    return attach_windows(incidents, frame, from_col, to_col)
