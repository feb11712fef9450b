"""Physical records of a delimited text file, counted independently of the CSV parser.

A *record* is a non-blank line, or several lines joined by a quoted value that holds line
breaks (``"12 Main St<newline>back entrance"``). Counting them from the bytes, before any
parser runs, is what lets ingest promise that every record is accepted or rejected: the
parser's rows are checked against this count.

Quotes are where rows get lost. A stray ``"`` at the start of a field opens a value that a
CSV parser runs on until the next ``"``, swallowing every line in between into one row. Here
a quoted value may span lines only when the record it makes is plausible: it has exactly the
header's number of fields, and neither its first or last line nor any line inside it is a
complete record of its own (the header's number of fields, no quote). Otherwise the line with
the opening quote is a record by itself, rejected as ``malformed_row``, and the lines after
it are read as records of their own.

Line breaks are ``\\n``, ``\\r\\n`` and a lone ``\\r``, as for the CSV parser. Lines holding
only spaces, tabs or nothing are blank and not records. Everything is vectorised with NumPy
over the bytes, except the few lines with an odd number of quotes, which are scanned one by
one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np

from hotspots.errors import InputError

#: Longest quoted value, in lines, taken as one record.
MAX_VALUE_LINES = 200
#: Blank-line candidates are lines up to this many bytes (longer whitespace lines are rare).
_BLANK_SCAN = 16
_WS = np.array([32, 9, 13], dtype=np.uint8)


@dataclass
class Records:
    """Record boundaries of a text file (see the module docstring).

    Attributes
    ----------
    header : list of str
        The first record's fields.
    starts, ends : ndarray of int64
        Byte span of each data record (``ends`` exclusive, line break excluded).
    lines : ndarray of int64
        1-based physical line number where each data record starts.
    swallowing : ndarray of bool
        Records that open a quote that would swallow later lines (``malformed_row``).
    multiline : bool
        Some record spans several lines (the parser must allow line breaks in values).
    blank_spans : list of (int, int)
        Byte spans of blank lines that are not empty (spaces, tabs), to remove before
        parsing.
    """

    header: list[str]
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    swallowing: np.ndarray
    multiline: bool = False
    blank_spans: list[tuple[int, int]] = field(default_factory=list)
    header_end: int = 0
    #: ``\n`` bytes in the text (the lines counted for the encoding report).
    newlines: int = 0

    def __len__(self) -> int:
        return len(self.starts)


#: Bytes compared at a time (one reused buffer instead of a file-sized boolean array).
_CHUNK = 8 << 20


def _positions(buf: np.ndarray, byte: int) -> np.ndarray:
    """Offsets of ``byte`` in ``buf``, scanned in chunks through one reused buffer."""
    tmp = np.empty(min(_CHUNK, len(buf)), dtype=bool)
    out = []
    for a in range(0, len(buf), _CHUNK):
        b = min(a + _CHUNK, len(buf))
        np.equal(buf[a:b], byte, out=tmp[: b - a])
        found = np.flatnonzero(tmp[: b - a])
        out.append(found + a if a else found)
    if len(out) == 1:  # a block: no copy
        return out[0]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def line_spans(data: bytes) -> tuple[np.ndarray, np.ndarray, int]:
    """Start and end (exclusive, break excluded) of every physical line of ``data``, and
    how many ``\n`` bytes it holds."""
    buf = np.frombuffer(data, dtype=np.uint8)
    n = len(buf)
    breaks = _positions(buf, 10)
    newlines = len(breaks)
    cr = _positions(buf, 13) if data.find(b"\r") >= 0 else np.zeros(0, dtype=np.int64)
    if cr.size:
        nxt = np.minimum(cr + 1, n - 1)
        lone = cr[(cr + 1 >= n) | (buf[nxt] != 10)]
        if lone.size:
            breaks = np.union1d(breaks, lone)
        # a \r before \n belongs to the break, not the line's content
        crlf = cr[(cr + 1 < n) & (buf[nxt] == 10)]
    else:
        crlf = cr
    starts = np.empty(len(breaks) + 1, dtype=np.int64)
    starts[0] = 0
    np.add(breaks, 1, out=starts[1:])
    ends = np.empty(len(breaks) + 1, dtype=np.int64)
    ends[:-1] = breaks
    ends[-1] = n
    if crlf.size:
        is_crlf_end = np.isin(ends, crlf + 1)
        ends[is_crlf_end] -= 1
    return starts, ends, newlines


def _blank(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    length = ends - starts
    blank = length <= 0
    short = np.flatnonzero((length > 0) & (length <= _BLANK_SCAN))
    if short.size:
        idx = starts[short, None] + np.arange(_BLANK_SCAN)
        inside = idx < ends[short, None]
        vals = buf[np.minimum(idx, len(buf) - 1)]
        ws = np.isin(vals, _WS) | ~inside
        blank[short] = ws.all(axis=1)
    return blank


def scan(text: str, sep: str, in_quote: bool = False) -> tuple[bool, int]:
    """RFC 4180 state after ``text``: (inside a quoted value, fields started).

    A quote opens a value only at the start of a field; inside one, ``""`` is a quote and a
    lone ``"`` closes it; elsewhere quotes are literal (as Python's csv and Arrow read them).
    """
    fields = 1
    at_start = not in_quote
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if in_quote:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    in_quote = False
        elif c == sep:
            fields += 1
            at_start = True
            i += 1
            continue
        elif c == '"' and at_start:
            in_quote = True
        at_start = False
        i += 1
    return in_quote, fields


def _fields(text: str, sep: str) -> list[str]:
    """Fields of one record's text (an unclosed quote runs to the end of the text)."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, len(text) + 1))  # a 10 MB cell is a cell, not an error
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error:  # e.g. a NUL byte: split on the separator, quotes as they are
        rows = [text.split(sep)]
    finally:
        csv.field_size_limit(old)
    if not rows:
        return [""]
    out = rows[0]
    for r in rows[1:]:  # a stray line break inside the text: keep everything
        out = out[:-1] + [(out[-1] if out else "") + "\n" + (r[0] if r else "")] + r[1:]
    return out


def find_records(data: bytes, sep: str, *, name: str = "input") -> Records:
    """Split ``data`` (UTF-8) into the header and the data records.

    Raises
    ------
    InputError
        No header line, or a quote in the header that is never closed.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    starts, ends, newlines = line_spans(data)
    blank = _blank(buf, starts, ends)
    nonblank = np.flatnonzero(~blank)
    if nonblank.size == 0:
        raise InputError(f"{name} is empty")
    h = int(nonblank[0])
    head_text = data[starts[h] : ends[h]].decode("utf-8", errors="replace")
    if scan(head_text, sep)[0]:
        raise InputError(
            f'{name}: the header (line {h + 1}) opens a quote (") that it never closes; '
            "remove that quote from the column names"
        )
    header = _fields(head_text, sep)
    n_fields = len(header)

    cont = np.zeros(len(starts), dtype=bool)  # line continues the record above
    last = np.arange(len(starts))  # last line of the record starting here
    swallow: list[int] = []
    if data.find(b'"') >= 0:
        odd = np.flatnonzero(_odd_quotes(buf, starts, ends) & (np.arange(len(starts)) > h))
        odd = odd.tolist()
        k = 0
        while k < len(odd):
            first = odd[k]
            text = data[starts[first] : ends[first]].decode("utf-8", errors="replace")
            if not scan(text, sep)[0]:
                k += 1  # literal quotes, e.g. 12" TV: complete on its own
                continue
            j, close = k + 1, None
            while j < len(odd) and odd[j] - first <= MAX_VALUE_LINES:
                t = data[starts[odd[j]] : ends[odd[j]]].decode("utf-8", errors="replace")
                if not scan(t, sep, in_quote=True)[0]:
                    close = odd[j]
                    break
                j += 1
            if close is None or not _plausible(data, starts, ends, first, close, sep, n_fields):
                swallow.append(first)
                k += 1
                continue
            cont[first + 1 : close + 1] = True
            last[first] = close
            k = j + 1
    is_record = ~cont & ~blank
    is_record[: h + 1] = False
    swallowing = np.zeros(len(starts), dtype=bool)
    swallowing[swallow] = True
    spans = [
        (int(starts[i]), int(ends[i])) for i in np.flatnonzero(blank & ~cont) if ends[i] > starts[i]
    ]
    # the usual file: every line after the header a record, but for the empty line after
    # the last break; its records are then slices, not copies
    stop = len(starts) - 1 if len(starts) > h + 1 and blank[-1] else len(starts)
    if is_record[h + 1 : stop].all():
        rec = slice(h + 1, stop)
        rec_ends, lines = ends[rec], np.arange(h + 2, stop + 1, dtype=np.int64)
    else:
        rec = np.flatnonzero(is_record)
        rec_ends, lines = ends[last[rec]], rec.astype(np.int64) + 1
    return Records(
        header=header,
        starts=starts[rec],
        ends=rec_ends,
        lines=lines,
        swallowing=swallowing[rec],
        multiline=bool(cont.any()),
        blank_spans=spans,
        header_end=int(starts[h + 1]) if h + 1 < len(starts) else len(data),
        newlines=newlines,
    )


def _odd_quotes(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Lines holding an odd number of ``"``: quotes summed per line, chunk by chunk.

    Sums are kept modulo 256 (uint8), which keeps their parity; a line that crosses a chunk
    boundary gets the rest of its sum from the next chunk.
    """
    n = len(buf)
    counts = np.zeros(len(starts), dtype=np.uint8)
    tmp = np.empty(min(_CHUNK, n), dtype=np.uint8)
    for a in range(0, n, _CHUNK):
        b = min(a + _CHUNK, n)
        np.equal(buf[a:b], 34, out=tmp[: b - a].view(bool))
        i0, i1 = np.searchsorted(starts, [a, b])
        first = int(starts[i0]) if i0 < i1 else b
        if i0 > 0 and first > a:  # the tail of the line that started in an earlier chunk
            counts[i0 - 1] += np.uint8(int(tmp[: first - a].sum()) & 255)
        if i0 < i1:
            counts[i0:i1] += np.add.reduceat(tmp[: b - a], starts[i0:i1] - a, dtype=np.uint8)
    # line breaks are never quotes, so summing to the next start counts the line alone
    return (counts & 1).astype(bool) & (ends > starts)


def _complete_line(data: bytes, s: int, e: int, sep: str, n_fields: int) -> bool:
    """A line with no quote and exactly ``n_fields`` fields: a record of its own."""
    line = data[s:e]
    return b'"' not in line and line.count(sep.encode()) == n_fields - 1


def _plausible(data, starts, ends, first, close, sep, n_fields) -> bool:
    """Whether lines ``first..close`` make one record with a multi-line quoted value."""
    for i in range(first + 1, close):
        if _complete_line(data, int(starts[i]), int(ends[i]), sep, n_fields):
            return False
    text = data[starts[first] : ends[close]].decode("utf-8", errors="replace")
    if len(_fields(text, sep)) != n_fields:
        return False
    # the lines holding the quotes, each a whole record by itself: two stray quotes
    sep_b = sep.encode()
    head = data[starts[first] : ends[first]].count(sep_b) + 1
    tail = data[starts[close] : ends[close]].count(sep_b) + 1
    return not (head >= n_fields and tail >= n_fields)
