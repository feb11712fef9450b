"""Vectorised parsing of text columns with Arrow: numbers and date-times.

Both parsers take a column of text (pandas or Arrow) and return NumPy arrays, so a million
values cost a few Arrow kernel calls, not a Python loop. The common case - every value in one
format - is one kernel call; only the values it leaves are tried against the other formats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Cell values read as "no value" (compared case-insensitively after stripping).
NULL_TOKENS: Final = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "nil", "-", "--", "—", "#n/a", "<na>", "nat"}
)
#: Years accepted as plausible incident dates.
YEAR_RANGE: Final = (1900, 2100)
#: Precision codes and names (0 = not parsed).
PRECISIONS: Final = (None, "month", "day", "hour", "minute")
MONTH, DAY, HOUR, MINUTE = 1, 2, 3, 4

_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_NULLS = pa.array(sorted(NULL_TOKENS - {""}))
#: The characters a spreadsheet number can hold (RE2): digits, marks, signs, exponent, and
#: every character Python's ``\s`` takes as space (:func:`_normalise_numbers` removes them).
_NUMBER_CHARS = r"^[0-9.,'+eE\x{2212}\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}-]+$"


def as_arrow(values, *, contiguous: bool = False) -> pa.Array | pa.ChunkedArray:
    """Arrow text (nulls as ``""``) from pandas or Arrow text, without copying its chunks.

    The CSV parser gives each column in chunks (one per block it parsed on its own thread),
    and every Arrow kernel takes them as they are; ``contiguous=True`` joins them into one
    array for the few callers that read the buffers themselves.
    """
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, pd.api.extensions.ExtensionArray) and hasattr(values, "_pa_array"):
        values = values._pa_array  # pandas' Arrow-backed str: its chunks, not a copy
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks == 1:
            arr = arr.chunk(0)
        elif contiguous or arr.num_chunks == 0:
            arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    return arr


def take(values: pa.Array | pa.ChunkedArray, idx: np.ndarray) -> pa.Array | pa.ChunkedArray:
    """``values`` at the increasing positions ``idx``.

    Arrow's take on chunked text joins every chunk into one array first (a copy of the whole
    column to pick a few rows); here each chunk gives its own rows.
    """
    if not isinstance(values, pa.ChunkedArray):
        return values.take(pa.array(idx))
    parts, start = [], 0
    for chunk in values.chunks:
        lo, hi = np.searchsorted(idx, [start, start + len(chunk)])
        if hi > lo:
            parts.append(chunk.take(pa.array(idx[lo:hi] - start)))
        start += len(chunk)
    return pa.chunked_array(parts, type=values.type)


#: ASCII white space (tab, line breaks, vertical tab, form feed, space).
_ASCII_WS = np.zeros(256, dtype=bool)
_ASCII_WS[[9, 10, 11, 12, 13, 32]] = True
#: Unicode white space past ASCII, as UTF-8 byte triples (U+1680, U+2000-200A, U+2028,
#: U+2029, U+202F, U+205F, U+3000); the two-byte ones are U+0085 and U+00A0.
_WS3 = np.array(
    [0xE19A80, *range(0xE28080, 0xE2808B), 0xE280A8, 0xE280A9, 0xE280AF, 0xE2819F, 0xE38080]
)


#: First bytes of a multi-byte white-space character, and last bytes of one.
_LEAD_MB = np.zeros(256, dtype=bool)
_LEAD_MB[[0xC2, 0xE1, 0xE2, 0xE3]] = True
_TRAIL_MB = np.zeros(256, dtype=bool)
_TRAIL_MB[[*range(0x80, 0x8B), 0x85, 0x9F, 0xA0, 0xA8, 0xA9, 0xAF]] = True


def _two(b0: np.ndarray, b1: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Bytes ``b0 b1`` spell U+0085 or U+00A0 (in a value of at least two bytes)."""
    return (n >= 2) & (b0 == 0xC2) & ((b1 == 0xA0) | (b1 == 0x85))


def _three(b0: np.ndarray, b1: np.ndarray, b2: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Bytes ``b0 b1 b2`` spell one of the three-byte spaces of :data:`_WS3`."""
    code = (b0.astype(np.int64) << 16) | (b1.astype(np.int64) << 8) | b2.astype(np.int64)
    return (n >= 3) & np.isin(code, _WS3)


def _edge_space(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> bool:
    """Whether some value ``data[start:end]`` (all non-empty) begins or ends with white space."""
    first, last = data[start], data[end - 1]
    if _ASCII_WS[first].any() or _ASCII_WS[last].any():
        return True
    top = len(data) - 1
    i = np.flatnonzero(_LEAD_MB[first])  # the few values starting with such a byte
    if i.size:
        s, n = start[i], end[i] - start[i]
        b0, b1, b2 = data[s], data[np.minimum(s + 1, top)], data[np.minimum(s + 2, top)]
        if (_two(b0, b1, n) | _three(b0, b1, b2, n)).any():
            return True
    j = np.flatnonzero(_TRAIL_MB[last])  # and ending with one
    if j.size:
        e, n = end[j], end[j] - start[j]
        b0, b1, b2 = data[np.maximum(e - 3, 0)], data[np.maximum(e - 2, 0)], data[e - 1]
        if (_two(b1, b2, n) | _three(b0, b1, b2, n)).any():
            return True
    return False


def trim(values) -> pa.Array | pa.ChunkedArray:
    """``values`` as Arrow text without leading or trailing white space.

    Arrow's Unicode trim copies the whole column even when nothing is to trim (the usual
    case); the first and last characters of every value are looked at first, with NumPy.
    """
    arr = as_arrow(values)
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if any(_needs_trim(c) for c in chunks):
        return pc.utf8_trim_whitespace(arr)
    return arr


def _needs_trim(arr: pa.Array) -> bool:
    """Whether some value of ``arr`` (one array) begins or ends with white space."""
    got = _offsets_and_bytes(arr)
    if got is None:
        return False
    offsets, data = got
    if _plain_ascii(data, int(offsets[0]), int(offsets[-1])):
        return False
    start, end = offsets[:-1], offsets[1:]
    filled = end > start
    if not filled.all():
        start, end = start[filled], end[filled]
    return bool(len(start)) and _edge_space(data, start, end)


def _offsets_and_bytes(arr: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """The value offsets (``len(arr) + 1``) and the character bytes of one text array, as
    NumPy views of its buffers; ``None`` when it has no values or no bytes."""
    bufs = arr.buffers()
    if len(arr) == 0 or bufs[2] is None:
        return None
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(bufs[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    return offsets, np.frombuffer(bufs[2], dtype=np.uint8)


def _plain_ascii(data: np.ndarray, lo: int, hi: int) -> bool:
    """Whether bytes ``lo:hi`` of ``data`` are ASCII without a white-space byte, so no value
    in them can begin or end with white space. Ids and ISO dates usually are: a byte search
    (memchr) is a twentieth of the cost of looking at every value's first and last bytes."""
    raw = data[lo:hi].tobytes()
    return raw.isascii() and not any(raw.find(b) >= 0 for b in _ASCII_WS_BYTES)


#: The bytes of :data:`_ASCII_WS`, the commonest (space) first: a search stops at the first.
_ASCII_WS_BYTES = (b" ", b"\t", b"\r", b"\n", b"\x0b", b"\x0c")


def clean(values) -> pa.Array:
    """Stripped text with the no-value tokens of :data:`NULL_TOKENS` as ``""``."""
    arr = trim(values)
    # every token is at most 4 bytes (and so is what lowercases to one): a byte count per
    # row, not a character count; only the short values are lowercased and looked up
    short = _np_bool(pc.less_equal(pc.binary_length(arr), _TOKEN_BYTES))
    idx = np.flatnonzero(short)
    if not idx.size:
        return arr
    if idx.size * 2 < len(short):  # a few short values (a bad cell here and there)
        found = _np_bool(pc.is_in(pc.utf8_lower(take(arr, idx)), value_set=_NULLS))
        token = np.zeros(len(short), dtype=bool)
        token[idx[found]] = True
    else:
        token = short & _np_bool(pc.is_in(pc.utf8_lower(arr), value_set=_NULLS))
    if token.any():
        arr = pc.if_else(pa.array(token), "", arr)
    return arr


#: Bytes of the longest no-value token (``<na>``, ``null``; ``—`` is 3).
_TOKEN_BYTES: Final = max(len(t.encode("utf-8")) for t in NULL_TOKENS)


def _np_bool(a) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def _normalise_numbers(t: pd.Series) -> pd.Series:
    """Spreadsheet-style numbers to plain ones: no spaces, ``.`` as the decimal mark.

    When a number has both marks the last one is the decimal mark (``1.234,5`` and
    ``1,234.5`` are both 1234.5); a lone comma is a decimal comma (``43,2951``).
    """
    t = t.str.replace(r"[\s\u00a0\u202f\u2009']", "", regex=True).str.replace("\u2212", "-")
    comma_decimal = t.str.rfind(",") > t.str.rfind(".")  # rfind is -1 when absent
    has_comma = t.str.contains(",", regex=False)
    as_comma = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    as_dot = t.str.replace(",", "", regex=False)
    return t.where(~has_comma, as_dot.where(~comma_decimal, as_comma))


def parse_number(values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a text column of numbers written by people and spreadsheets.

    Understands decimal commas (``"43,2951"``), spaces and no-break spaces inside numbers
    (``"491 059,48"``), the Unicode minus and a leading ``+``. ``inf``, hexadecimal and
    other exotic forms are not numbers here.

    Returns
    -------
    values : ndarray of float
        NaN where missing or unparseable.
    missing : ndarray of bool
        Empty or a no-value token.
    bad : ndarray of bool
        Not missing but not a finite number.
    """
    raw = as_arrow(values)
    n = len(raw)
    head = raw.slice(0, 64)
    if n and _np_bool(pc.match_substring_regex(head, _NUMBER)).all():
        try:  # the common case, a clean column of plain numbers: one cast, no copies
            out = np.asarray(pc.cast(raw, pa.float64()).to_numpy(zero_copy_only=False), float)
            if np.isfinite(out).all():
                none = np.zeros(n, dtype=bool)
                return out, none, none.copy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    t = clean(raw)
    missing = _np_bool(pc.equal(t, ""))
    n = len(t)
    out = np.full(n, np.nan)
    plain = None
    if not missing.any():
        try:  # the common case: every cell a plain number
            if _np_bool(pc.match_substring_regex(t.slice(0, 64), _NUMBER)).all():
                out = pc.cast(t, pa.float64()).to_numpy(zero_copy_only=False).astype(float)
                plain = np.ones(n, dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            plain = None
    if plain is None:
        plain, out = _plain_numbers(t)
    rest = ~plain & ~missing
    if rest.any():
        # only digits, marks, signs and spaces can become a number below: words (an offense
        # column profiled by detection) skip the per-value Python work
        idx = np.flatnonzero(rest)
        maybe = _np_bool(pc.match_substring_regex(take(t, idx), _NUMBER_CHARS))
        rest[idx[~maybe]] = False
    if rest.any():  # decimal commas, spaces, Unicode minus: the unusual rows only
        idx = np.flatnonzero(rest)
        u = _normalise_numbers(pd.Series(take(t, idx), dtype="str"))
        ok = u.str.fullmatch(_NUMBER[1:-1]).to_numpy(dtype=bool)
        vals = np.full(len(u), np.nan)
        if ok.any():
            vals[ok] = pd.to_numeric(u[ok], errors="coerce").to_numpy(dtype=float)
        out[idx] = vals
    with np.errstate(invalid="ignore"):
        out[~np.isfinite(out)] = np.nan
    bad = ~missing & np.isnan(out)
    return out, missing, bad


def _plain_numbers(t: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Which values :data:`_NUMBER` matches (plain numbers) and their values (NaN for the
    others), for a column with some that are not (a stray word or mark among coordinates).

    Only the values made of the characters a plain number has (digits, ``.``, signs,
    ``e``/``E``) can be one, found from their bytes with NumPy; those are cast together,
    and when the cast takes them all they are the plain numbers (within those characters
    Arrow's float syntax takes nothing the pattern does not: checked on every string of up
    to six of them). The pattern over every value cost four times as much.
    """
    plain = _number_chars_only(t)
    if plain.any():
        sub = pc.if_else(pa.array(plain), t, None)
        try:
            vals = pc.cast(sub, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # ``1.2.3``, ``-``: the pattern
            plain = _np_bool(pc.match_substring_regex(t, _NUMBER))
            vals = pc.cast(pc.if_else(pa.array(plain), t, None), pa.float64())
        out = np.array(vals.to_numpy(zero_copy_only=False), dtype=float)  # (writable)
        out[~plain] = np.nan
        return plain, out
    return plain, np.full(len(plain), np.nan)


def _number_chars_only(t: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Which values are not empty and have only the bytes of a plain number (digits, ``.``,
    ``+``, ``-``, ``e``, ``E``): the few other bytes found by comparisons over the bytes,
    then the values that hold them by their offsets."""
    out = []
    for chunk in t.chunks if isinstance(t, pa.ChunkedArray) else [t]:
        got = _offsets_and_bytes(chunk)
        if got is None:
            out.append(np.zeros(len(chunk), dtype=bool))
            continue
        offsets, data = got
        data = data[offsets[0] : offsets[-1]]
        good = (data - np.uint8(48)) <= 9  # (a byte below "0" wraps round to over 9)
        for byte in b".+-":
            good |= data == byte
        good |= (data | 32) == ord("e")  # e or E
        at = np.flatnonzero(~good) + offsets[0]
        ok = offsets[1:] > offsets[:-1]
        ok[np.searchsorted(offsets, at, side="right") - 1] = False
        out.append(ok)
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


# Date-times ------------------------------------------------------------------------------
# (format, precision code, aware); slashed dates are month-first here, day-first by swapping
_ISO: Final = (
    ("%Y-%m-%d %H:%M:%S", MINUTE, False),
    ("%Y-%m-%d %H:%M", MINUTE, False),
    ("%Y-%m-%dT%H:%M:%S", MINUTE, False),
    ("%Y-%m-%dT%H:%M", MINUTE, False),
    ("%Y-%m-%dT%H:%M:%S%z", MINUTE, True),
    ("%Y-%m-%d %H:%M:%S%z", MINUTE, True),
    ("%Y-%m-%dT%H:%M%z", MINUTE, True),
    ("%Y-%m-%d %H:%M%z", MINUTE, True),
    ("%Y-%m-%d", DAY, False),
    ("%Y-%m", MONTH, False),
    ("%Y-%m-%d %H", HOUR, False),
    ("%Y/%m/%d %H:%M:%S", MINUTE, False),
    ("%Y/%m/%d %H:%M", MINUTE, False),
    ("%Y/%m/%d", DAY, False),
    ("%Y/%m", MONTH, False),
)
_DOT: Final = (
    ("%d.%m.%Y %H:%M:%S", MINUTE, False),
    ("%d.%m.%Y %H:%M", MINUTE, False),
    ("%d.%m.%Y", DAY, False),
    ("%m.%Y", MONTH, False),
    ("%d-%m-%Y %H:%M:%S", MINUTE, False),
    ("%d-%m-%Y %H:%M", MINUTE, False),
    ("%d-%m-%Y", DAY, False),
)
_SLASH: Final = (
    ("%m/%d/%Y %H:%M", MINUTE, False),
    ("%m/%d/%Y %H:%M:%S", MINUTE, False),
    ("%m/%d/%Y %I:%M:%S %p", MINUTE, False),
    ("%m/%d/%Y %I:%M %p", MINUTE, False),
    ("%m/%d/%Y", DAY, False),
)
_SAMPLE = 256


@dataclass
class Times:
    """Parsed date-times.

    Attributes
    ----------
    values : ndarray of datetime64[us]
        NaT where unparsed; wall time for naive values, UTC for aware ones.
    precision : ndarray of int8
        Code into :data:`PRECISIONS` (0 = unparsed).
    aware : ndarray of bool
        The value carried a zone (``Z``, ``UTC``, ``+06:00``): ``values`` is UTC there.
    """

    values: np.ndarray
    precision: np.ndarray
    aware: np.ndarray

    def precision_names(self) -> np.ndarray:
        """Precision per row as ``"minute"`` ... or ``None``."""
        return np.asarray(PRECISIONS, dtype=object)[self.precision]


def slash_order(values) -> str:
    """``"dmy"`` when some slashed date starts with a number over 12 and none has one second.

    Otherwise ``"mdy"`` (US month-first, as Chicago's ``7/19/2017``), also when the column
    cannot tell (every number <= 12) or contradicts itself.
    """
    arr = as_arrow(values)
    parts = pc.extract_regex(arr, r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/")
    if len(arr) == 0:
        return "mdy"
    a = pc.cast(pc.struct_field(parts, [0]), pa.int32(), safe=False)
    b = pc.cast(pc.struct_field(parts, [1]), pa.int32(), safe=False)
    a_big = pc.any(pc.greater(a, 12)).as_py() or False
    b_big = pc.any(pc.greater(b, 12)).as_py() or False
    return "dmy" if a_big and not b_big else "mdy"


def _formats(order: str) -> tuple[tuple[str, int, bool], ...]:
    slash = (
        _SLASH
        if order == "mdy"
        else tuple((f.replace("%m/%d", "%d/%m"), p, a) for f, p, a in _SLASH)
    )
    return _ISO + _DOT + slash


def _prepare(t: pa.Array) -> pa.Array:
    """Unusual spellings to the formats' ones: fractions of seconds, ``UTC``, many spaces."""
    t = pc.utf8_trim_whitespace(pc.replace_substring_regex(t, r"\s+", " "))
    t = pc.replace_substring_regex(t, r"(\d:\d\d)\.\d+", r"\1")
    t = pc.replace_substring_regex(t, r" ?(?:UTC|GMT|Z)$", "+0000")
    return pc.replace_substring_regex(t, r" ([+-]\d\d:?\d\d)$", r"\1")


def parse_times(values, *, order: str | None = None) -> Times:
    """Parse a text column of dates / date-times (see the formats above).

    Families: ISO (``2017-07-19 13:45[:00]``, ``T`` separator, ``Z``/``UTC``/``+06:00``
    zones, ``2017-07-19``, ``2016-02``), day-first dotted or dashed (``19.07.2017 13:45``)
    and slashed (``7/19/2017 13:45``, ``07/19/2017 01:45:00 PM``). Slashed dates are
    month-first unless the column shows they are day-first (:func:`slash_order`) or
    ``order="dmy"``. Years outside :data:`YEAR_RANGE` are not parsed.
    """
    # no cleaning pass: empty cells and no-value tokens simply parse as nothing, and the
    # values a format leaves (stray spaces, odd spellings) get a second round below
    t = as_arrow(values)
    n = len(t)
    left = _np_bool(pc.greater(pc.binary_length(t), 0))
    if n and left.all() and order is None and _ISO_START.match(str(t[0])):
        # a column of ISO values (the usual export) is read by Arrow's cast at once: ranking
        # the formats on a sample first cost as much again on a 100,000-row block
        fast = _iso_cast(t)
        if fast is not None:
            return fast
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    prec = np.zeros(n, dtype=np.int8)
    aware = np.zeros(n, dtype=bool)
    if not left.any():
        return Times(out, prec, aware)
    first = np.flatnonzero(left)[:_SAMPLE]
    sample = take(t, first)
    if order is None:
        slashed = pc.any(pc.match_substring(sample, "/")).as_py()
        order = slash_order(t) if slashed else "mdy"
    formats = _formats(order)
    if pc.any(_date_like(sample)).as_py():
        hits = [
            _ok(pc.strptime(sample, format=f, unit="us", error_is_null=True)).sum()
            for f, _, _ in formats
        ]
    else:  # no value of the sample can be a date (labels, street names)
        hits = [0] * len(formats)
    ranked = sorted(range(len(formats)), key=lambda i: -hits[i])
    top = ranked[0]
    iso_top = hits[top] == len(sample) and formats[top] in _ISO_NAIVE
    if left.all() and (iso_top or hits[top] == 0) and _ISO_START.match(str(t[0])):
        # no format took them: fractions of seconds? (Arrow's cast takes only values that
        # start as an ISO date; failing on a column of labels cost 1.3 ms a 2,000-row sample)
        fast = _iso_cast(t)
        if fast is not None:
            return fast
    prepared = False
    for round_ in (0, 1):
        for i in ranked:
            if not left.any():
                break
            if round_ == 0 and hits[i] == 0:
                continue
            idx = np.flatnonzero(left)
            sub = t if len(idx) == n else take(t, idx)
            fmt, p, is_aware = formats[i]
            parsed = pc.strptime(sub, format=fmt, unit="us", error_is_null=True)
            ok = _ok(parsed)
            if not ok.any():
                continue
            if p >= DAY:
                ok &= ~_rolled_over(sub, parsed, ok, month_first=fmt.startswith("%m"))
            got = idx[ok]
            ts = parsed.filter(pa.array(ok))
            if is_aware:
                ts = pc.cast(ts, pa.timestamp("us"))  # the UTC instant, naive
            out[got] = ts.to_numpy(zero_copy_only=False).astype("datetime64[us]")
            prec[got] = p
            aware[got] = is_aware
            left[got] = False
        if not left.any() or prepared:
            break
        # second round: the values no format took, after normalising their spelling
        idx = np.flatnonzero(left)
        rest = take(t, idx)
        digits = _np_bool(pc.and_(pc.match_substring_regex(rest, r"^\s*\d"), _date_like(rest)))
        left[idx[~digits]] = False
        if not left.any():
            break
        t = _fill(t, idx[digits], _prepare(take(t, idx[digits])))
        prepared = True
    return _in_years(Times(out, prec, aware))


def _date_like(t: pa.Array) -> pa.Array:
    """Values some format could take: every format has a number and a ``-``, ``/`` or
    ``.`` between its parts, which a label or a street name (``145 OAK AVE``) lacks."""
    return pc.and_(pc.match_substring_regex(t, r"\d"), pc.match_substring_regex(t, r"[-/.]"))


#: The start of an ISO date (``2017-07-19``): worth trying Arrow's ISO cast on the column.
_ISO_START: Final = re.compile(r"\d{4}-\d\d-\d\d")


#: The first microsecond of :data:`YEAR_RANGE` and the first one after it.
_FIRST_US: Final = int(np.datetime64(f"{YEAR_RANGE[0]}-01-01", "us").astype(np.int64))
_PAST_US: Final = int(np.datetime64(f"{YEAR_RANGE[1] + 1}-01-01", "us").astype(np.int64))


def _in_years(times: Times) -> Times:
    """``times`` with the values outside :data:`YEAR_RANGE` unparsed (in place)."""
    out = times.values
    # compared as microsecond counts: a calendar conversion to years costs 10x more
    v = out.view(np.int64)
    if len(v) and _FIRST_US <= v.min() and v.max() < _PAST_US:
        return times  # all in range (NaT is the smallest int64: none either)
    bad = ~np.isnat(out) & ((v < _FIRST_US) | (v >= _PAST_US))
    out[bad] = np.datetime64("NaT")
    times.precision[bad] = 0
    times.aware[bad] = False
    return times


#: ISO formats without a zone, which Arrow's ISO 8601 cast reads (much faster than strptime).
_ISO_NAIVE: Final = tuple(f for f in _ISO if not f[2] and f[0].startswith("%Y-"))
#: Precision of an ISO value by its length, looked up in one pass: ``2017-07-19`` (10) day,
#: ``2017-07-19 13`` (13-15) hour, ``2017-07-19 13:45`` and longer (16+) minute; 0 for the
#: lengths no ISO format takes (under 10, 11 and 12).
_ISO_PRECISION: Final = np.array([0] * 10 + [DAY, 0, 0, HOUR, HOUR, HOUR, MINUTE], dtype=np.int8)


def _iso_cast(t: pa.Array) -> Times | None:
    """Every value of ``t`` read by Arrow's ISO 8601 cast, or ``None`` if one is not ISO.

    The cast refuses the whole column on one bad value (a day that does not exist, a stray
    space, a zone), which sends the column to the format-by-format path instead.
    """
    try:
        parsed = pc.cast(t, pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    length = np.asarray(pc.binary_length(t).to_numpy(zero_copy_only=False))
    shortest, longest = (int(length.min()), int(length.max())) if len(length) else (0, 0)
    top = len(_ISO_PRECISION) - 1
    if shortest == longest:  # values of one length (one format): one precision
        prec = np.full(len(length), _ISO_PRECISION[min(shortest, top)], dtype=np.int8)
    else:
        prec = _ISO_PRECISION[np.minimum(length, top)]  # one pass
    if not prec.all():
        return None  # a form the formats above do not take (``2017-07-19T1``)
    if parsed.null_count:
        return None
    # as strptime: whole seconds (the cast gave no NaT), in place on a writable copy; only a
    # value longer than ``2017-07-19 13:45:00`` can have a fraction
    us = np.array(parsed.to_numpy(zero_copy_only=False), dtype="datetime64[us]").view(np.int64)
    if longest > 19:
        us -= us % 1_000_000
    return _in_years(Times(us.view("datetime64[us]"), prec, np.zeros(len(t), dtype=bool)))


def _rolled_over(text: pa.Array, parsed: pa.Array, ok: np.ndarray, month_first: bool) -> np.ndarray:
    """Values whose day does not exist (``2021-02-30``): strptime rolls them into next month.

    Only a day of 29-31 can roll over, landing on day 1-3 of the next month, so only the
    parsed values on days 1-3 are checked against the month written in the text.
    """
    out = np.zeros(len(ok), dtype=bool)
    day = np.asarray(pc.day(parsed).to_numpy(zero_copy_only=False), dtype=float)
    cand = np.flatnonzero(ok & (np.nan_to_num(day, nan=99) <= 3))
    if cand.size == 0:
        return out
    sel = pa.array(cand)
    parts = pc.extract_regex(text.take(sel), r"^\D*(?P<a>\d+)\D+(?P<b>\d+)")
    written = pc.struct_field(parts, [0 if month_first else 1])
    written = np.asarray(pc.cast(written, pa.int64()).to_numpy(zero_copy_only=False), float)
    month = np.asarray(pc.month(parsed.take(sel)).to_numpy(zero_copy_only=False), float)
    out[cand] = written != month
    return out


def _ok(parsed: pa.Array) -> np.ndarray:
    return _np_bool(pc.is_valid(parsed))


def _fill(t: pa.Array, idx: np.ndarray, new: pa.Array) -> pa.Array:
    """``t`` with the values at ``idx`` replaced by ``new``."""
    values = np.asarray(t.to_numpy(zero_copy_only=False), dtype=object)
    values[idx] = np.asarray(new.to_numpy(zero_copy_only=False), dtype=object)
    return pa.array(values, pa.string())


def parse_epoch(values, unit: str = "s") -> Times:
    """Unix times (seconds or milliseconds since 1970-01-01 UTC): aware, minute precision."""
    v, _, _ = parse_number(values)
    scale = {"s": 1_000_000, "ms": 1_000}[unit]
    n = len(v)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    ok = np.isfinite(v)
    out[ok] = (v[ok] * scale).astype("int64").astype("datetime64[us]")
    years = out.astype("datetime64[Y]").astype("int64") + 1970
    ok &= (years >= YEAR_RANGE[0]) & (years <= YEAR_RANGE[1])
    out[~ok] = np.datetime64("NaT")
    return Times(out, np.where(ok, MINUTE, 0).astype(np.int8), ok.copy())


def parse_excel_serial(values) -> Times:
    """Excel serial dates (days since 1899-12-30, fraction = time of day): naive local time."""
    v, _, _ = parse_number(values)
    n = len(v)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    ok = np.isfinite(v) & (v > 0)
    base = np.datetime64("1899-12-30T00:00", "us")
    out[ok] = base + (v[ok] * 86_400_000_000).round().astype("int64").astype("timedelta64[us]")
    has_time = ok & (np.abs(v - np.round(v)) > 1e-9)
    years = out.astype("datetime64[Y]").astype("int64") + 1970
    ok &= (years >= YEAR_RANGE[0]) & (years <= YEAR_RANGE[1])
    out[~ok] = np.datetime64("NaT")
    prec = np.where(ok, np.where(has_time, MINUTE, DAY), 0).astype(np.int8)
    return Times(out, prec, np.zeros(n, dtype=bool))


def month_only(times: Times, min_rows: int = 20) -> bool:
    """True when every parsed day-precision value is the 1st and they span several months.

    Monthly data written as dates (``2022-01-01``, ``2022-02-01``): its precision is the
    month, not the day.
    """
    day = times.precision == DAY
    if day.sum() < min_rows or (times.precision > DAY).any():
        return False
    vals = times.values[day]
    firsts = (vals.astype("datetime64[D]") - vals.astype("datetime64[M]")).astype(int) == 0
    months = np.unique(vals.astype("datetime64[M]"))
    return bool(firsts.all() and len(months) >= 2)


def precision_codes(names) -> np.ndarray:
    """Codes into :data:`PRECISIONS` of precision names (``None`` -> 0), vectorised."""
    names = np.asarray(names, dtype=object)
    codes = np.zeros(len(names), dtype=np.int8)
    for code, name in enumerate(PRECISIONS[1:], start=1):
        codes[names == name] = code
    return codes


def join_text(columns: Sequence) -> pa.Array:
    """Columns of text joined with a space (a date column and a time-of-day column)."""
    arrs = [pc.cast(trim(c), pa.large_string()) for c in columns]
    if len(arrs) == 1:
        return arrs[0]
    return pc.binary_join_element_wise(*arrs, pa.scalar(" ", pa.large_string()))
