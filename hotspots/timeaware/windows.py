"""Time windows at ingest: find the from/to columns, parse them, keep them in the incidents.

A burglary left at 18:00 and found at 08:00 is recorded with two times, the earliest and the
latest it can have happened. Ingest keeps both as :data:`hotspots.schema.OCCURRED_FROM` and
:data:`hotspots.schema.OCCURRED_TO` (datetime columns of the accepted table), and the hour x
weekday table, the hour filter and the patrol plan's peak hours then use their aoristic
weights (:mod:`hotspots.timeaware.aoristic`). Without such columns nothing is added.

Finding the columns (:func:`detect_windows`)
    Named with ``--from-col``/``--to-col``, or found by their **values**: two columns that
    parse as dates (to the day or finer) with the same parser as the main time
    (:func:`hotspots.ingest.parse.parse_times`), where the second is not before the first on
    at least :data:`MIN_ORDERED` of the rows where both parse, and within a week on more than
    :data:`MIN_WITHIN_WEEK` of them (and later on some: not a copy); a pair named as a
    window (``date_from``/``date_to``, ``дата с``/``дата по``, see
    :data:`hotspots.columns.WINDOW_FROM_NAMES`) need not be within a week. Names such as
    from/to, start/end, начало/конец, басы/соңы break ties (then the end after the start
    in the file, then two neighbouring columns, then the first). A column named like a
    report, registration, update or dispatch time (``reported_date``, ``дата регистрации``)
    is never taken unless given: it follows the incident, it does not bound it.
Reading them (:func:`window_columns`)
    Parsed like the main time (same slash order); zoned values go to the study area's local
    time; an end given as a date alone means the end of that day (``2024-01-05`` to
    ``2024-01-05`` is the whole day, not midnight). A value that does not parse is a missing
    end. The row itself is never rejected for its window: the main time decides that.
Reporting them (:func:`window_summary`)
    Windows that are usable, longer than a week (unknown time), reversed (end before start:
    kept in the table, counted as unknown time) and missing.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from hotspots import schema as S
from hotspots.columns import WINDOW_FROM_NAMES, WINDOW_TO_NAMES, ColumnMap, header_key
from hotspots.errors import InputError
from hotspots.ingest.parse import DAY, MONTH, Times, parse_times

#: Share of the rows (both ends parsed) where the second column is not before the first.
MIN_ORDERED = 0.8
#: Share of those rows where the window is at most a week long ("most": more than half).
MIN_WITHIN_WEEK = 0.5
#: Rows (both ends parsed) a pair needs in the sample to be judged at all.
MIN_ROWS = 5
_WEEK = np.timedelta64(7 * 24 * 3600, "s")

#: Name parts of the start / end of a window (header keys, see columns.header_key).
_FROM_HINTS = WINDOW_FROM_NAMES + ("from", "start", "begin", "начало", "басы", "басталу", "first")
_TO_HINTS = WINDOW_TO_NAMES + ("to", "end", "until", "конец", "соңы", "аяқталу", "last")
#: Name parts of times that follow an incident (never a window's end unless given).
_NOT_WINDOW = (
    "report",
    "regist",
    "updat",
    "creat",
    "receiv",
    "dispatch",
    "arriv",
    "clos",
    "регистр",
    "поступ",
    "обновл",
    "тірке",
)


def _name_hint(name: str, hints: tuple[str, ...]) -> bool:
    """The header starts or ends with a hint (``date_from``, ``from_date``, ``начало``), or
    contains a long one."""
    key = header_key(name)
    return any(
        key == h or key.startswith(h) or key.endswith(h) or (len(h) > 4 and h in key) for h in hints
    )


def _excluded(name: str) -> bool:
    key = header_key(name)
    return any(h in key for h in _NOT_WINDOW)


def window_end(times: Times) -> np.ndarray:
    """The latest instant each parsed value stands for: a date alone is the end of its day,
    a month alone the end of its month (datetime64[us], NaT where unparsed).

    Examples
    --------
    >>> from hotspots.ingest.parse import parse_times
    >>> window_end(parse_times(["2024-01-05", "2024-01-05 08:00"])).astype(str).tolist()
    ['2024-01-06T00:00:00.000000', '2024-01-05T08:00:00.000000']
    """
    end = times.values.copy()
    day = times.precision == DAY
    end[day] = end[day] + np.timedelta64(1, "D")
    month = times.precision == MONTH
    if month.any():
        m = end[month].astype("datetime64[M]") + np.timedelta64(1, "M")
        end[month] = m.astype("datetime64[us]")
    return end


def _pair_stats(start: Times, end: Times) -> tuple[int, float, float, float]:
    """(rows with both ends, share not reversed, share within a week, share longer than 0)."""
    s, e = start.values, window_end(end)
    both = ~np.isnat(s) & ~np.isnat(e)
    n = int(both.sum())
    if n == 0:
        return 0, 0.0, 0.0, 0.0
    span = (e[both] - s[both]).astype("timedelta64[s]")
    ordered = span >= np.timedelta64(0, "s")
    return (
        n,
        float(ordered.mean()),
        float((ordered & (span <= _WEEK)).mean()),
        float((span > np.timedelta64(0, "s")).mean()),
    )


def detect_windows(
    sample: pd.DataFrame,
    profiles: list,
    columns: ColumnMap,
    given: ColumnMap,
    taken: set[str],
) -> tuple[ColumnMap, str | None]:
    """``columns`` with ``occurred_from``/``occurred_to`` set when ``sample`` has a window.

    Parameters
    ----------
    sample : DataFrame
        Rows of the raw text table (:func:`hotspots.ingest.detect.sample_frame`).
    profiles : list of hotspots.ingest.detect.Profile
        Their column profiles (``time_share``, ``time_precision``, ``position``).
    columns : ColumnMap
        The columns detected so far.
    given : ColumnMap
        The columns the user named: a named pair is kept as it is.
    taken : set of str
        Columns already holding coordinates, the offense, id or premise.

    Returns
    -------
    (ColumnMap, str or None)
        The columns, and why the window was taken (for the validation report), or ``None``.
    """
    if given.occurred_from and given.occurred_to:
        if given.occurred_from == given.occurred_to:
            raise InputError("--from-col and --to-col name the same column: give two columns")
        return columns, f"{given.occurred_from} -> {given.occurred_to}: given"
    n = len(sample)
    cands = [
        p
        for p in profiles
        if p.name not in taken
        and p.time_share >= 0.5
        and p.time_precision >= DAY
        and not _excluded(p.name)
    ]
    if given.occurred_from or given.occurred_to:  # one end named: the other is found
        named = given.occurred_from or given.occurred_to
        cands = [p for p in profiles if p.name == named] + [p for p in cands if p.name != named]
    if len(cands) < 2:
        return columns, None
    order = columns.time_format if columns.time_format in ("dmy", "mdy") else None
    parsed = {p.name: parse_times(sample[p.name], order=order) for p in cands}
    best, best_key, best_stats = None, None, None
    for a in cands:
        for b in cands:
            if a is b:
                continue
            if given.occurred_from and a.name != given.occurred_from:
                continue
            if given.occurred_to and b.name != given.occurred_to:
                continue
            rows, ordered, week, longer = _pair_stats(parsed[a.name], parsed[b.name])
            if rows < min(MIN_ROWS, n) or ordered < MIN_ORDERED or longer == 0:
                continue
            named = header_key(a.name) in WINDOW_FROM_NAMES and header_key(b.name) in (
                WINDOW_TO_NAMES
            )  # date_from/date_to: a window by name, whatever its length
            if week <= MIN_WITHIN_WEEK and not named:
                continue
            hint = int(_name_hint(a.name, _FROM_HINTS)) + int(_name_hint(b.name, _TO_HINTS))
            key = (
                round(ordered * 20) / 20,
                round(week * 20) / 20,
                hint,
                b.position > a.position,  # the end after the start in the file
                -abs(a.position - b.position),
                -a.position,
            )
            if best_key is None or key > best_key:
                best, best_key, best_stats = (a.name, b.name), key, (ordered, week, named)
    if best is None:
        return columns, None
    ordered, week, named = best_stats
    how = "by name and values" if named else "by values"
    why = (
        f"{best[0]} -> {best[1]}: {how} ({ordered:.0%} of the sample end at or after "
        f"their start, {week:.0%} within a week)"
    )
    return replace(columns, occurred_from=best[0], occurred_to=best[1]), why


def window_columns(
    frame: pd.DataFrame,
    columns: ColumnMap,
    ok: np.ndarray,
    *,
    zone: str | None = None,
) -> dict[str, pd.Series]:
    """The accepted rows' window as two datetime columns (``{}`` without window columns).

    Parameters
    ----------
    frame : DataFrame
        The raw text table (every row).
    columns : ColumnMap
        With ``occurred_from`` and ``occurred_to``; ``time_format`` ``"dmy"``/``"mdy"``
        orders slashed dates as for the main time.
    ok : ndarray of bool
        The accepted rows.
    zone : str, optional
        IANA zone of the study area: values with a zone (``Z``, ``+06:00``) are converted to
        its local time (UTC wall time when ``None``).

    Returns
    -------
    dict
        :data:`hotspots.schema.OCCURRED_FROM` and :data:`~hotspots.schema.OCCURRED_TO` ->
        datetime64[ns] Series of the accepted rows (NaT where a value is missing or does not
        parse; a date alone as the end is the end of its day).
    """
    if not (columns.occurred_from and columns.occurred_to):
        return {}
    order = columns.time_format if columns.time_format in ("dmy", "mdy") else None
    out = {}
    ends = ((columns.occurred_from, S.OCCURRED_FROM), (columns.occurred_to, S.OCCURRED_TO))
    for col, name in ends:
        times = parse_times(frame[col], order=order)
        values = window_end(times) if name == S.OCCURRED_TO else times.values.copy()
        aware = times.aware & ~np.isnat(values)
        if aware.any() and zone:  # the same wall time as the main time (validation._to_local)
            local = pd.DatetimeIndex(values[aware]).tz_localize("UTC").tz_convert(zone)
            values[aware] = local.tz_localize(None).to_numpy(dtype="datetime64[us]")
        out[name] = pd.Series(values[ok].astype("datetime64[ns]"))
    return out


def window_summary(incidents: pd.DataFrame, *, max_hours: float | None = None) -> dict[str, int]:
    """How many windows are usable, too long (unknown time), reversed or missing.

    Returns ``{}`` when the incidents carry no window columns.

    Examples
    --------
    >>> inc = pd.DataFrame({
    ...     "occurred_from": pd.to_datetime(["2024-01-01 18:00", "2024-01-01", "2024-01-03"]),
    ...     "occurred_to": pd.to_datetime(["2024-01-02 08:00", "2024-01-20", "2024-01-02"]),
    ... })
    >>> window_summary(inc)
    {'usable': 1, 'too_long': 1, 'reversed': 1, 'missing': 0}
    """
    from hotspots.timeaware import aoristic

    if S.OCCURRED_FROM not in incidents or S.OCCURRED_TO not in incidents:
        return {}
    status = aoristic.window_status(
        incidents[S.OCCURRED_FROM],
        incidents[S.OCCURRED_TO],
        max_hours=aoristic.MAX_HOURS if max_hours is None else max_hours,
    )
    counts = status.value_counts()
    return {
        "usable": int(counts.get("ok", 0)),
        "too_long": int(counts.get("too_long", 0)),
        "reversed": int(counts.get("reversed", 0)),
        "missing": int(counts.get("missing", 0)),
    }


__all__ = ["detect_windows", "window_columns", "window_end", "window_summary"]
