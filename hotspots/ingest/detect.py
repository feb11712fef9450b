"""Which column holds what, decided by the values; header names only break ties.

Every column is profiled on a sample of rows (:func:`profile_columns`): how many cells parse
as numbers, as latitudes (|v| <= 90) or longitudes (|v| <= 180), as date-times (and at which
precision), as times of day, as Unix times; how many distinct values it has and whether they
are words. :func:`detect` then completes the columns the user named:

- **coordinates**: a pair named like latitude/longitude (or x/y) is kept when its values
  are numbers; otherwise the pair of decimal columns that fit latitude and longitude. A
  column with values beyond +-90 is the longitude; when both fit either, the order that puts
  the median point on land (not in an ocean time zone) wins, then the file's column order.
- **time**: every single column that parses as dates, every date column joined with a
  time-of-day column, Unix times, and the year/month/day/hour/minute part columns found by
  name, are ranked by the share of sample rows they parse, then by precision (minute > hour
  > day > month), then by the name. A date is never joined with a column that already holds
  dates (a ``time`` column holding whole timestamps is used alone).
- **offense**: a column named like an offense whose values are words, else the word column
  with the fewest distinct values (more than one, not yes/no).
- **premise** and **id**: by name.

The reasons are returned as one line per role for the validation report, e.g.
``time: time_stamp, full timestamps, 100 % parse``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hotspots.columns import (
    DATE_NAMES,
    DATETIME_NAMES,
    LAT_NAMES,
    LON_NAMES,
    TIME_JOIN,
    TIME_NAMES,
    ColumnMap,
    detect_columns,
    header_key,
)
from hotspots.ingest import csvtable
from hotspots.ingest.parse import (
    DAY,
    HOUR,
    PRECISIONS,
    Times,
    _np_bool,
    clean,
    join_text,
    month_only,
    parse_epoch,
    parse_number,
    parse_times,
    precision_codes,
    take,
)

#: Rows profiled per column.
SAMPLE_ROWS = csvtable.SAMPLE_ROWS
_BOOL = frozenset({"true", "false", "yes", "no", "y", "n", "t", "f", "да", "нет", "иә", "жоқ"})
_TOD = r"^\d{1,2}:\d\d(:\d\d(\.\d+)?)?( ?[AaPp]\.?[Mm]\.?)?$"
_TIME_HINTS = tuple(DATETIME_NAMES + DATE_NAMES + TIME_NAMES) + (
    "timestamp",
    "timestmp",
    "fecha",
    "hora",
    "fechahora",
    "created",
    "reported",
    "received",
    "dispatch",
    "calltime",
    "when",
    "epoch",
    "unix",
    "datum",
    "zeit",
)
_LAT_HINTS = LAT_NAMES + ("ylat", "laty")
_LON_HINTS = LON_NAMES + ("xlon", "lonx")


@dataclass
class Profile:
    """What the sampled values of one column look like (shares are of non-empty cells)."""

    name: str
    position: int
    filled: float
    numeric: float = 0.0
    integer: float = 0.0
    lat_ok: float = 0.0
    lon_ok: float = 0.0
    beyond_90: float = 0.0
    median: float = float("nan")
    vmin: float = float("nan")
    vmax: float = float("nan")
    distinct: int = 0
    unique: float = 0.0
    words: float = 0.0
    boolean: bool = False
    mean_len: float = 0.0
    time_share: float = 0.0
    time_precision: int = 0
    tod_share: float = 0.0
    epoch: str | None = None


@dataclass
class Detection:
    """The columns chosen, why, and the other time mappings to fall back on."""

    columns: ColumnMap
    notes: dict[str, str] = field(default_factory=dict)
    time_alternatives: list[tuple[ColumnMap, str]] = field(default_factory=list)


def _hint(name: str, hints) -> bool:
    key = header_key(name)
    return any(key == h or (len(h) > 3 and h in key) for h in hints)


def sample_frame(frame: pd.DataFrame, rows: int = SAMPLE_ROWS) -> pd.DataFrame:
    """Up to ``rows`` rows spread evenly over the frame (first and last included)."""
    n = len(frame)
    if n <= rows:
        return frame.reset_index(drop=True)
    idx = np.unique(np.linspace(0, n - 1, rows).round().astype(np.int64))
    if all(getattr(frame[c].array, "_pa_array", None) is not None for c in frame.columns):
        # Arrow text in chunks: each chunk gives its rows (pandas' take joins them first),
        # joined into one chunk: every profile runs a few dozen kernels per column, and
        # per chunk (the sample of a 32 MB block in 17 chunks took 0.18 s instead of 0.04)
        return pd.DataFrame(
            {
                c: pd.Series(
                    pa.chunked_array([take(frame[c].array._pa_array, idx).combine_chunks()]),
                    dtype="str",
                )
                for c in frame.columns
            }
        )
    return frame.iloc[idx].reset_index(drop=True)


#: Two letters in a row, of any script (a word, not a code or a number).
_TWO_LETTERS = re.compile(r"[^\W\d_]{2}")


def _word_share(values: pa.Array, counts: pa.Array, n: int) -> float:
    """Share of the ``n`` rows whose value holds two letters in a row, from the distinct
    ``values`` and how many rows hold each. ASCII values are matched by Arrow; the others
    (Cyrillic, accented) by Python's ``re`` (Arrow's ``\\pL`` regex cost 1 ms a column to
    compile, a third of profiling it)."""
    has = _np_bool(pc.match_substring_regex(values, "[A-Za-z]{2}"))
    other = np.flatnonzero(~has & ~_np_bool(pc.string_is_ascii(values)))
    if other.size:
        texts = values.take(pa.array(other)).to_pylist()
        has[other] = [_TWO_LETTERS.search(v) is not None for v in texts]
    return float(counts.to_numpy()[has].sum() / max(n, 1))


def profile_columns(sample: pd.DataFrame) -> list[Profile]:
    """A :class:`Profile` of every column of ``sample``."""
    out = []
    for pos, col in enumerate(sample.columns):
        if str(col).startswith("_"):
            continue
        t = clean(sample[col])
        filled_mask = np.asarray(pc.not_equal(t, "").to_numpy(zero_copy_only=False), bool)
        n_fill = int(filled_mask.sum())
        p = Profile(str(col), pos, n_fill / max(len(t), 1))
        if n_fill == 0:
            out.append(p)
            continue
        tf = t.filter(pa.array(filled_mask))
        # no number, date or time of day is written without a digit: a column of words
        # (offense, premise) needs none of those parses, a third of profiling it
        digits = pc.any(pc.match_substring_regex(tf, r"\d")).as_py()
        v = parse_number(tf)[0] if digits else np.full(len(tf), np.nan)
        num = np.isfinite(v)
        p.numeric = float(num.mean())
        if num.any():
            vv = v[num]
            p.integer = float((vv == np.round(vv)).mean())
            p.lat_ok = float((np.abs(vv) <= 90).mean())
            p.lon_ok = float((np.abs(vv) <= 180).mean())
            p.beyond_90 = float((np.abs(vv) > 90).mean())
            p.median = float(np.median(vv))
            p.vmin, p.vmax = float(vv.min()), float(vv.max())
        counted = pc.value_counts(tf)
        uniq = counted.field("values")
        p.distinct = len(uniq)
        p.unique = p.distinct / n_fill
        p.words = _word_share(uniq, counted.field("counts"), n_fill)
        low = {str(x).lower() for x in uniq.to_pylist()[:20]}
        p.boolean = p.distinct <= 3 and low <= (_BOOL | {"0", "1"})
        p.mean_len = float(np.mean(pc.utf8_length(tf).to_numpy(zero_copy_only=False)))
        if p.numeric < 0.9:
            if digits:
                times = parse_times(tf)
                parsed = times.precision > 0
                p.time_share = float(parsed.mean())
                if parsed.any():
                    p.time_precision = int(np.median(times.precision[parsed]))
                    if month_only(times):
                        p.time_precision = 1
                p.tod_share = float(
                    np.asarray(
                        pc.match_substring_regex(tf, _TOD).to_numpy(zero_copy_only=False), bool
                    ).mean()
                )
        elif p.integer > 0.99 and p.unique > 0.3:
            for unit, lo, hi in (("s", 6.3e8, 4.1e9), ("ms", 6.3e11, 4.1e12)):
                if num.mean() > 0.99 and ((v >= lo) & (v <= hi)).mean() > 0.99:
                    p.epoch = unit
        out.append(p)
    return out


# Coordinates ------------------------------------------------------------------------------
def _decimal(p: Profile) -> bool:
    return p.numeric >= 0.9 and p.integer < 0.5 and p.distinct >= 3


def _on_land(lat: float, lon: float) -> bool:
    if not (np.isfinite(lat) and np.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return False
    import tzfpy

    # Antarctica is land too, but no calls file is about it: with the columns' order
    # swapped, a city at (41.8, -87.7) would land there and leave the order to chance
    return not tzfpy.get_tz(lon, lat).startswith(("Etc/", "Antarctica/"))


def coordinates_by_values(profiles: list[Profile]) -> tuple[str, str, str] | None:
    """(lat column, lon column, why) from the values alone, or ``None``."""
    lat_c = [p for p in profiles if _decimal(p) and p.lat_ok >= 0.95]
    lon_c = [p for p in profiles if _decimal(p) and p.lon_ok >= 0.95]
    best, best_key, why = None, None, ""
    for a in lat_c:
        for b in lon_c:
            if a is b:
                continue
            if b.beyond_90 > 0:
                reason = f"{b.name} has values beyond 90, so it is the longitude"
                certainty = 3
            elif a.beyond_90 > 0:
                continue
            elif _on_land(a.median, b.median) and not _on_land(b.median, a.median):
                reason = "this order puts the points on land"
                certainty = 2
            else:
                reason = "column order (latitude first); name them with --lat/--lon if wrong"
                certainty = 1 if a.position < b.position else 0
            hint = _hint(a.name, _LAT_HINTS) + _hint(b.name, _LON_HINTS)
            key = (hint, min(a.filled, b.filled) >= 0.5, certainty, -abs(a.position - b.position))
            if best_key is None or key > best_key:
                best, best_key, why = (a.name, b.name), key, reason
    if best is None:
        return None
    return best[0], best[1], why


def projected_by_values(profiles: list[Profile], taken: set[str]) -> tuple[str, str] | None:
    """(x column, y column) of numbers in metres (|median| over 1,000, many values), the two
    nearest each other in the file, in file order; or ``None``. They still need ``--crs``."""
    cands = [
        p
        for p in profiles
        if p.name not in taken
        and p.numeric >= 0.9
        and np.isfinite(p.median)
        and abs(p.median) > 1000
        and p.distinct >= 10
        and p.unique < 0.99  # ids are unique; places repeat
    ]
    pairs = [(a, b) for i, a in enumerate(cands) for b in cands[i + 1 :]]
    if not pairs:
        return None
    a, b = min(pairs, key=lambda ab: (abs(ab[0].position - ab[1].position), ab[0].position))
    return a.name, b.name


# Time -------------------------------------------------------------------------------------
#: Whole-number ranges of date-part columns, in the order files put them.
_PART_RANGES = (
    ("year", 1900, 2100),
    ("month", 1, 12),
    ("day", 1, 31),
    ("hour", 0, 23),
    ("minute", 0, 59),
)


def parts_by_values(profiles: list[Profile], taken: set[str]) -> ColumnMap | None:
    """Year, month [, day, hour, minute] columns side by side, told by their whole-number
    ranges (Vancouver's ``YEAR, MONTH, DAY, HOUR, MINUTE`` under any names), or ``None``."""

    def fits(p: Profile, lo: int, hi: int) -> bool:
        return (
            p.name not in taken
            and p.numeric >= 0.9
            and p.integer >= 0.999
            and lo <= p.vmin
            and p.vmax <= hi
        )

    by_pos = sorted(profiles, key=lambda p: p.position)
    for i, p in enumerate(by_pos):
        if not fits(p, 1900, 2100):
            continue
        found = {"year": p.name}
        for q, (part, lo, hi) in zip(by_pos[i + 1 :], _PART_RANGES[1:], strict=False):
            if not fits(q, lo, hi):
                break
            found[part] = q.name
        if "month" in found:
            return ColumnMap(**found)
    return None


def _share(n_ok: int, n: int) -> float:
    return n_ok / max(n, 1)


def time_candidates(
    sample: pd.DataFrame, profiles: list[Profile], named: ColumnMap, taken: set[str]
) -> list[tuple[tuple, ColumnMap, str]]:
    """Every time mapping worth trying, with its ranking key and why (best first)."""
    n = len(sample)
    cands: list[tuple[tuple, ColumnMap, str]] = []
    dated = [p for p in profiles if p.time_share >= 0.5 and p.name not in taken]
    tods = [
        p for p in profiles if p.tod_share >= 0.8 and p.time_share < 0.5 and p.name not in taken
    ]

    def add(cmap: ColumnMap, cols: list[str], times, what: str, hint_cols: list[str]) -> None:
        ok = times.precision > 0
        if not ok.any():
            return
        share = _share(int(ok.sum()), n)
        prec = int(np.median(times.precision[ok]))
        if times.precision[ok].max() <= DAY and month_only(times):
            prec = 1
        hint = sum(_hint(c, _TIME_HINTS) for c in hint_cols)
        key = (round(share * 20) / 20, prec, hint, -min(sample.columns.get_loc(c) for c in cols))
        why = f"{' + '.join(cols)}, {what} ({PRECISIONS[prec]}), {share:.0%} parse"
        cands.append((key, cmap, why))

    for p in dated:
        times = parse_times(sample[p.name])
        what = "full timestamps" if p.time_precision >= HOUR else "dates"
        add(ColumnMap(time=p.name), [p.name], times, what, [p.name])
        if p.time_precision == DAY:
            for q in tods:
                joined = join_text([sample[p.name], sample[q.name]])
                add(
                    ColumnMap(time=f"{p.name}{TIME_JOIN}{q.name}"),
                    [p.name, q.name],
                    parse_times(joined),
                    "date and time of day",
                    [p.name, q.name],
                )
    for p in profiles:
        if p.epoch and p.name not in taken:
            times = parse_epoch(sample[p.name], unit=p.epoch)
            hint = _hint(p.name, _TIME_HINTS)
            if hint or not dated:
                add(
                    ColumnMap(time=p.name, time_format=f"epoch_{p.epoch}"),
                    [p.name],
                    times,
                    f"Unix times in {'seconds' if p.epoch == 's' else 'milliseconds'}",
                    [p.name],
                )
    parts_map = named if named.time_parts else parts_by_values(profiles, taken)
    if parts_map is not None and parts_map.time_parts:
        from hotspots.validation import assemble_parts

        parts = {k: sample[v] for k, v in parts_map.time_parts.items()}
        _, prec = assemble_parts(parts)
        pcode = precision_codes(prec)
        times = Times(np.zeros(len(prec), "datetime64[us]"), pcode, np.zeros(len(prec), bool))
        cols = list(parts_map.time_parts.values())
        hints = cols + cols if named.time_parts else []  # part names are strong hints
        add(ColumnMap(**parts_map.time_parts), cols, times, "date parts", hints)
    cands.sort(key=lambda c: c[0], reverse=True)
    return cands


# Offense ----------------------------------------------------------------------------------
def _category(p: Profile, n: int) -> bool:
    return (
        p.words >= 0.8
        and not p.boolean
        and 2 <= p.distinct <= max(60, int(0.05 * n))
        and p.time_share < 0.5
        and p.filled >= 0.5
    )


def offense_by_values(profiles: list[Profile], n: int, taken: set[str]) -> Profile | None:
    """The word column with the fewest distinct values (a category), or ``None``.

    A file of one offense (a burglary extract) has a single kind: its offense column is taken
    when it is the only word column with one value; with several such columns ("Reported
    by", "Falls within") nothing tells them apart, and ``None`` is returned.
    """
    free = [p for p in profiles if p.name not in taken]
    cands = [p for p in free if _category(p, n)]
    if cands:
        return min(cands, key=lambda p: (p.distinct, p.position))
    single = [
        p
        for p in free
        if p.distinct == 1 and p.words >= 0.8 and p.time_share < 0.5 and p.filled >= 0.5
    ]
    return single[0] if len(single) == 1 else None


# Everything -------------------------------------------------------------------------------
def detect(
    frame: pd.DataFrame,
    given: ColumnMap | None = None,
    *,
    kind: str = "incidents",
    source: str = "the input",
    prefer_xy: bool = False,
) -> Detection:
    """Complete ``given`` from the values of ``frame`` (see the module docstring)."""
    given = given or ColumnMap()
    headers = [str(c) for c in frame.columns if not str(c).startswith("_extra")]
    named = detect_columns(headers, given, kind=kind, source=source, prefer_xy=prefer_xy)
    sample = sample_frame(frame)
    profiles = profile_columns(sample[headers])
    by_name = {p.name: p for p in profiles}
    notes: dict[str, str] = {}
    out = named

    # coordinates
    explicit = any((given.lat, given.lon, given.x, given.y))
    pair = (named.lat, named.lon) if named.lat and named.lon else (named.x, named.y)
    pair_ok = all(c and by_name.get(c) and by_name[c].numeric >= 0.5 for c in pair)
    if explicit:
        notes["coordinates"] = f"{pair[0]}/{pair[1]}: given"
    elif pair_ok:
        notes["coordinates"] = f"{pair[0]}/{pair[1]}: by name, values are numbers"
    else:
        found = coordinates_by_values(profiles)
        projected = None if found else projected_by_values(profiles, set())
        if found is not None:
            lat, lon, why = found
            out = replace(out, lat=lat, lon=lon, x=None, y=None)
            notes["coordinates"] = f"{lat}/{lon}: by values ({why})"
        elif projected is not None:
            x, y = projected
            out = replace(out, lat=None, lon=None, x=x, y=y)
            notes["coordinates"] = f"{x}/{y}: by values, projected X/Y in metres (need --crs)"

    if kind != "incidents":
        return Detection(out, notes)
    coords = {c for c in (out.lat, out.lon, out.x, out.y) if c}

    # time
    alternatives: list[tuple[ColumnMap, str]] = []
    if given.time or given.time_parts:
        notes["time"] = f"{given.time or ', '.join(given.time_parts.values())}: given"
    else:
        taken = coords | {c for c in (given.offense, given.incident_id, given.premise) if c}
        cands = time_candidates(sample, profiles, named, taken)
        cleared = replace(
            out,
            time=None,
            year=None,
            month=None,
            day=None,
            hour=None,
            minute=None,
            time_format=None,
        )
        for _, cmap, why in cands:
            merged = replace(
                cleared,
                time=cmap.time,
                time_format=cmap.time_format,
                **{k: getattr(cmap, k) for k in ("year", "month", "day", "hour", "minute")},
            )
            alternatives.append((merged, why))
        if alternatives:
            out, notes["time"] = alternatives[0]
        else:
            out = cleared
            notes["time"] = "none found: no column parses as dates"
    # a from/to time window beside the main time (hotspots.timeaware.windows)
    from hotspots.timeaware.windows import detect_windows

    fixed = {c for c in (given.offense, given.incident_id, given.premise) if c}
    out, window_why = detect_windows(sample, profiles, out, given, coords | fixed)
    if window_why:
        notes["time_window"] = window_why
    time_cols = set()
    if out.time:
        time_cols = set(out.time.split(TIME_JOIN))
    time_cols |= set(out.time_parts.values())

    # offense: named and word-like, else the category column by values
    used = coords | time_cols | {c for c in (out.incident_id, out.premise) if c}
    if given.offense:
        notes["offense"] = f"{given.offense}: given"
    else:
        p = by_name.get(out.offense) if out.offense else None
        if p is not None and p.name not in used and p.words >= 0.5 and not p.boolean:
            notes["offense"] = f"{p.name}: by name, {p.distinct} kinds in the sample"
        else:
            q = offense_by_values(
                profiles, len(sample), used | ({out.offense} if out.offense else set())
            )
            if q is None and p is not None and p.name not in used:
                notes["offense"] = f"{p.name}: by name"
            elif q is not None:
                out = replace(out, offense=q.name)
                kinds = "one kind" if q.distinct == 1 else f"{q.distinct} kinds"
                notes["offense"] = f"{q.name}: by values, a category of words ({kinds})"
            else:
                out = replace(out, offense=None)
                notes["offense"] = "none found (every call is 'unknown'); name it with --type"
    # a column used for time or coordinates is not also the id or premise
    if out.incident_id in used - {out.incident_id}:
        out = replace(out, incident_id=None)
    if out.premise in (coords | time_cols | ({out.offense} if out.offense else set())):
        out = replace(out, premise=None)
    for role, col in (("premise", out.premise), ("id", out.incident_id)):
        if col:
            notes[role] = f"{col}: by name"
    alts = [(replace(out, **_time_fields(m)), why) for m, why in alternatives[1:]]
    return Detection(out, notes, alts)


def _time_fields(cmap: ColumnMap) -> dict:
    return {
        k: getattr(cmap, k)
        for k in ("time", "time_format", "year", "month", "day", "hour", "minute")
    }


__all__ = ["Detection", "Profile", "detect", "profile_columns", "sample_frame"]
