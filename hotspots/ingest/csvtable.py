"""Delimited text to an Arrow table of strings, one row per physical record.

The pipeline: :func:`hotspots.ingest.encoding.to_utf8` (per-line encoding) ->
:func:`hotspots.ingest.records.find_records` (the records, counted from the bytes) -> Arrow's
multi-threaded CSV parser over the same bytes, every column as text -> rows the parser could
not take (more or fewer fields than the header, an opening quote that would swallow lines)
put back in their place from the record spans. The parser's row count is checked against the
records: when they disagree the records are parsed one by one with Python's csv module,
slower but exact, so no row is ever lost.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from hotspots.errors import InputError
from hotspots.ingest.encoding import count_newlines, to_utf8, utf8_lines
from hotspots.ingest.records import Records, _fields, find_records, scan
from hotspots.ingest.skipped import MIN_SKIPPED, SkippedColumns

#: Separators tried when none is given.
SEPARATORS = (",", ";", "\t", "|")
#: Name of the text column holding the surplus fields of malformed rows.
EXTRA_FIELDS = "_extra_fields"
#: Rows detection profiles (:data:`hotspots.ingest.detect.SAMPLE_ROWS`).
SAMPLE_ROWS = 2_000
#: pandas' ``str`` dtype (Arrow storage, NaN for missing): every raw column's.
TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)
#: Refuse tables wider than this (a header of 200,000 empty columns is not a calls file).
MAX_COLUMNS = 2_000


@dataclass
class TextTable:
    """A delimited file as text, before any interpretation.

    Attributes
    ----------
    table : pyarrow.Table
        One string column per header field (``""`` for empty cells), one row per record in
        file order, plus :data:`EXTRA_FIELDS` when some record has too many fields.
    headers : list of str
        Unique column names.
    malformed, bad_encoding : ndarray of bool
        Records rejected before validation.
    lines : ndarray of int64
        1-based line where each record starts.
    encoding, sep : str
    encoding_counts : dict
        Lines read per encoding.
    """

    table: pa.Table
    headers: list[str]
    malformed: np.ndarray
    bad_encoding: np.ndarray
    lines: np.ndarray
    encoding: str
    sep: str
    encoding_counts: dict[str, int] = field(default_factory=dict)
    sampled: Any = None
    #: Read by :func:`_lines_as_records` (Arrow's rows were every line), not by the records.
    quick: bool = False
    #: The columns ``table`` was read without (``read_text_table(columns=...)``), to read a
    #: few rows back whole; ``None`` when it has every column.
    skipped: SkippedColumns | None = None


def unique_headers(row: Sequence[Any]) -> list[str]:
    """Header names with blanks named ``Unnamed: i`` and duplicates suffixed ``.1``, ``.2``."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, h in enumerate(row):
        h = str(h).strip() if h is not None else ""
        if h == "" or h.lower() == "nan":
            h = f"Unnamed: {i}"
        base = h
        while h in seen:
            seen[base] += 1
            h = f"{base}.{seen[base]}"
        seen.setdefault(h, 0)
        out.append(h)
    return out


def sniff_separator(text: str, lines: int = 50) -> str:
    """The separator among :data:`SEPARATORS` that splits the first lines most consistently.

    Score: the header must split into at least two fields; then the share of the first
    ``lines`` lines with as many fields as the header; then the number of fields. Comma when
    nothing splits the header.
    """
    head = itertools.islice(io.StringIO(text), lines + 1)
    sample = [ln.rstrip("\r\n") for ln in head if ln.strip()]
    if not sample:
        return ","
    best, best_score = ",", (0, 0.0, 0)
    for cand in SEPARATORS:
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=cand)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        same = sum(c == counts[0] for c in counts) / len(counts)
        score = (1, same, counts[0])
        if score > best_score:
            best, best_score = cand, score
    return best


def _check_sep(sep: str | None) -> str | None:
    if sep is None:
        return None
    sep = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(sep, sep)
    if len(sep) != 1 or sep in '"\r\n':
        raise InputError(f"--sep takes one character such as ',' ';' or 'tab', got {sep!r}")
    return sep


def _head_text(data: bytes, limit: int = 1 << 16) -> str:
    return data[:limit].decode("utf-8", errors="replace")


def read_text_table(
    raw: bytes,
    name: str,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    max_columns: int = MAX_COLUMNS,
    concurrent: bool = True,
    on_sample: Callable[[pd.DataFrame], Any] | None = None,
    threads: bool = True,
    quick: bool = False,
    columns: Collection[str] | None = None,
    min_skipped: int = MIN_SKIPPED,
) -> TextTable:
    """Read delimited text (see the module docstring).

    With ``concurrent``, a large file is checked, counted and parsed at once
    (:func:`_speculate`); the block reader, which parses the next block while this one is
    validated, reads each block step by step instead (the cores are busy already, and the
    steps' buffers would otherwise all be held at once). ``threads=False`` has Arrow parse on
    the calling thread alone (the block reader on two cores,
    :mod:`hotspots.ingest.workers`). ``quick`` (step by step only) first tries
    :func:`_lines_as_records`, which parses only the header's ``columns`` when given and
    at least ``min_skipped`` others are left (kept as ``skipped``,
    :mod:`hotspots.ingest.skipped`; every column is parsed on the other paths).
    ``on_sample`` is then called, on a second thread while the parser runs, with
    :func:`sample_rows` (the rows detection looks at, from the records' bytes) and its
    result kept as ``sampled``; ``None`` when it did not run (a small file, or the bytes
    needed converting) or failed.

    Raises
    ------
    InputError
        Empty, undecodable, too many columns, or a header with an unclosed quote.
    """
    sep = _check_sep(sep)
    sampled = None
    if concurrent:
        dec, recs, early, found_sep, sampled = _speculate(
            raw, name, sep, encoding, max_columns, on_sample
        )
    else:
        dec = None
    if dec is None:  # not UTF-8 as it is (or small): decoded first, then read
        dec = to_utf8(raw, name, encoding, count_lines=False)
        sep = _checked_head(dec.data, name, sep, max_columns)
        if quick and not concurrent:
            got = _lines_as_records(dec, sep, max_columns, threads, columns, min_skipped)
            if got is not None:
                return got
        recs, early = find_records(dec.data, sep, name=name), None
        if not dec.counts:  # UTF-8 as it is: its lines, as the record finder counted them
            dec.counts = utf8_lines(recs.newlines, dec.data)
    else:
        sep = found_sep
    data = dec.data
    headers = unique_headers(recs.header)
    if len(headers) > max_columns:
        raise InputError(
            f"{name} has {len(headers):,} columns; at most {max_columns:,} are read "
            "(a calls file has a few dozen): check that it is the right file"
        )
    table, malformed = _parse(data, recs, headers, sep, name, early=early, threads=threads)
    bad = np.zeros(len(recs), dtype=bool)
    if dec.bad_offsets.size and len(recs):
        idx = np.searchsorted(recs.starts, dec.bad_offsets, side="right") - 1
        inside = (idx >= 0) & (dec.bad_offsets <= recs.ends[np.maximum(idx, 0)])
        bad[idx[inside]] = True
    return TextTable(
        table=table,
        headers=headers,
        malformed=malformed,
        bad_encoding=bad & ~malformed,
        lines=recs.lines,
        encoding=dec.encoding,
        sep=sep,
        encoding_counts=dec.counts,
        sampled=sampled,
    )


def _lines_as_records(
    dec,
    sep: str,
    max_columns: int,
    threads: bool,
    columns: Collection[str] | None = None,
    min_skipped: int = MIN_SKIPPED,
) -> TextTable | None:
    """The table of ``dec`` when Arrow's rows show that every line is a record, else ``None``
    (the record finder then reads it).

    Arrow parses the body as RFC 4180 reads it (a quoted value may hold line breaks, an open
    quote runs on to the next one). Every row takes at least one line and empty lines none,
    so when it takes as many rows as the body has lines, with no row of the wrong width and
    no quote left open by the last line (Arrow runs it to the end of the text, a row still),
    each line is one record: what the record finder would find (it scans every byte twice,
    5 ms a 7 MB block). Whitespace lines, blank to the record finder, are rows of one field
    here, so a table needs two columns at least; ``\r`` breaks and lines of invalid bytes go
    the record finder's way. With ``columns`` only those of the header are parsed, when at
    least ``min_skipped`` are left (Arrow still splits and counts every field of every row).
    """
    data = dec.data
    end = data.find(b"\n")
    if end <= 0 or sep in " \t" or dec.bad_offsets.size or data.find(b"\r") >= 0:
        return None  # (a line of tabs is blank to the record finder, a row to Arrow)
    head_text = bytes(data[:end]).decode("utf-8", errors="replace")
    if not head_text.strip() or scan(head_text, sep)[0]:
        return None  # a blank first line or an open quote: the record finder says what to do
    headers = unique_headers(_fields(head_text, sep))
    if not 2 <= len(headers) <= max_columns:
        return None
    stop = len(data) - 1 if data[-1:] == b"\n" else len(data)
    last = bytes(data[data.rfind(b"\n", 0, stop) + 1 : stop]).decode("utf-8", errors="replace")
    if scan(last, sep)[0]:
        return None  # a quote open at the end: Arrow runs it to the end, the finder does not
    newlines = count_newlines(data)
    lines = newlines + (0 if data[-1:] == b"\n" else 1)
    body = pa.py_buffer(data).slice(end + 1)
    keep = [i for i, h in enumerate(headers) if h in columns] if columns is not None else []
    keep = keep if keep and len(headers) - len(keep) >= max(min_skipped, 1) else None
    table, invalid = _arrow(body, len(headers), sep, multiline=True, threads=threads, include=keep)
    if table is None or invalid or table.num_rows != lines - 1:
        return None
    n = table.num_rows
    skipped = None
    if keep is not None:
        skipped = SkippedColumns(
            data,
            end + 1,
            headers,
            lambda lines: _arrow(lines, len(headers), sep, multiline=True, threads=False)[0],
        )
    return TextTable(
        table=table.rename_columns([headers[i] for i in keep] if keep else headers),
        headers=headers,
        malformed=np.zeros(n, dtype=bool),
        bad_encoding=np.zeros(n, dtype=bool),
        lines=np.arange(2, n + 2, dtype=np.int64),
        encoding=dec.encoding,
        sep=sep,
        encoding_counts=dec.counts or utf8_lines(newlines, data),
        quick=True,
        skipped=skipped,
    )


#: Files from this size on are parsed while their records are found (:func:`read_text_table`).
SPECULATE_BYTES = 1 << 20


def _checked_head(data, name: str, sep: str | None, max_columns: int) -> str:
    """The separator (given or sniffed), after refusing an empty or absurdly wide file."""
    if not data[:4096].strip() and not bytes(data).strip():
        raise InputError(f"{name} is empty")
    first_line = data[: data.find(b"\n") if b"\n" in data[: 1 << 22] else 1 << 22]
    if first_line.count(b",") + first_line.count(b";") + first_line.count(b"\t") > max_columns:
        raise InputError(
            f"{name} has more than {max_columns:,} columns in its first line; a calls file "
            "has a few dozen at most: check that it is the right file"
        )
    return sep or sniff_separator(_head_text(data))


def sample_rows(data, recs: Records, headers: list[str], sep: str, rows: int) -> pd.DataFrame:
    """Up to ``rows`` records spread evenly over the file (first and last included), read
    from their bytes: the rows :func:`hotspots.ingest.detect.sample_frame` takes from the
    parsed table, with the same text (the table's odd rows are read by the same reader)."""
    n = len(recs)
    idx = np.unique(np.linspace(0, n - 1, min(rows, n)).round().astype(np.int64)) if n else []
    got = [_fields(_text(data, recs, int(i)), sep) for i in idx]
    return pd.DataFrame(
        {
            h: pd.Series([f[j] if j < len(f) else "" for f in got], dtype="str")
            for j, h in enumerate(headers)
        }
    )


def _speculate(
    raw,
    name: str,
    sep: str | None,
    encoding: str | None,
    max_columns: int,
    on_sample: Callable[[pd.DataFrame], Any] | None = None,
):
    """``(decoded, records, early parse, separator)`` of a large file read on the assumptions
    that it is UTF-8 as it is and that every line is a record; ``decoded`` is ``None`` when
    the first fails (or the file is small) and the caller reads it step by step.

    Three things run at once, as all release the GIL: the UTF-8 check, the record finder and
    Arrow's parse of the body. The parse is kept only when the records show every line is a
    record (:func:`_parse`); the rest only when the bytes needed no conversion.
    """
    no = None, None, None, sep, None
    if encoding is not None or len(raw) < SPECULATE_BYTES:
        return no
    head = bytes(raw[:4])
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return no
    sep = _checked_head(raw, name, sep, max_columns)
    start, n_head = _plain_body_start(raw, sep)

    def sample_then(hook):
        recs = found.result()
        return hook(sample_rows(raw, recs, unique_headers(recs.header), sep, SAMPLE_ROWS))

    with ThreadPoolExecutor(max_workers=3) as pool:
        decoded = pool.submit(to_utf8, raw, name, None)
        found = pool.submit(find_records, raw, sep, name=name)
        sampled = pool.submit(sample_then, on_sample) if on_sample is not None else None
        early = None
        if start is not None:
            early = _arrow(pa.py_buffer(raw).slice(start), n_head, sep, multiline=False)
        dec = decoded.result()
        if dec.data is not raw:  # converted (cp1251 lines ...): the records are of other bytes
            found.cancel()
            return no
        recs = found.result()
        try:
            sampled = sampled.result() if sampled is not None else None
        except Exception:  # said again, in order, when the caller runs it on the table
            sampled = None
    if start is None or recs.header_end != start:
        early = None
    return dec, recs, early, sep, sampled


def _plain_body_start(data: bytes, sep: str) -> tuple[int | None, int]:
    """Where the body starts after the header line, and the header's fields, when the file
    is large enough to parse beside the record finder; ``(None, 0)`` otherwise (small, or
    the header not within the first 64 KiB)."""
    if len(data) < SPECULATE_BYTES:
        return None, 0
    head = data[: 1 << 16]
    try:
        recs = find_records(head, sep)
    except InputError:
        return None, 0  # said again, with the file's name, by the full count
    return (recs.header_end, len(recs.header)) if recs.header_end < len(head) else (None, 0)


def _block_size(body) -> int:
    """Arrow's parse block: a sixteenth of the body, between 1 and 8 MB.

    Arrow parses its blocks on all cores: a 32 MB block of a batched read parsed as one
    block kept one core busy, and 70 MB in 16 MB blocks left a core idle for the fifth. Each
    block in flight holds its parse buffers, so smaller ones also lower the peak (by about
    10 MiB for a million calls); below 1 MB they are not worth a task."""
    return int(min(8 << 20, max(1 << 20, len(body) // 16)))


def _arrow(
    body: bytes | pa.Buffer,
    n: int,
    sep: str,
    *,
    multiline: bool,
    threads: bool = True,
    include: list[int] | None = None,
) -> tuple[pa.Table | None, list[str]]:
    """Arrow's parser over ``body``: ``n`` text columns (only those at positions ``include``
    when given), and the rows it could not take (``threads``: on Arrow's thread pool, else
    on this thread)."""
    invalid: list[str] = []

    def handler(row) -> str:
        invalid.append(row.text)
        return "skip"

    names = [f"c{i}" for i in range(n)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(
                column_names=names, block_size=_block_size(body), use_threads=threads
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=sep,
                newlines_in_values=multiline,
                ignore_empty_lines=True,
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.large_string() for c in names},  # pandas' str stores it
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
                include_columns=[names[i] for i in include] if include is not None else None,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        return None, [str(exc).splitlines()[0][:120]]
    return table, invalid


def _parse(
    data: bytes,
    recs: Records,
    headers: list[str],
    sep: str,
    name: str,
    early: tuple[pa.Table | None, list[str]] | None = None,
    threads: bool = True,
) -> tuple[pa.Table, np.ndarray]:
    """Arrow over the records; the rows it cannot take re-read from their spans.

    ``early`` is Arrow's parse of the whole body made before the records were known; it is
    used when no record needed removing or joining and the parser agrees on the count.
    """
    n = len(headers)
    n_rec = len(recs)
    if n_rec == 0:
        empty = pa.table({h: pa.array([], pa.large_string()) for h in headers})
        return empty, np.zeros(0, dtype=bool)
    special = np.flatnonzero(recs.swallowing)  # records Arrow must not see
    plain = not special.size and not recs.multiline and not _cuts(recs, special)
    if early is not None and plain and early[0] is not None and early[0].num_columns == n:
        table, invalid = early
    else:
        body = _body(data, recs, special)
        table, invalid = _arrow(body, n, sep, multiline=recs.multiline, threads=threads)
    del early
    expected = n_rec - len(special)
    if invalid or table is None or table.num_rows != expected:
        rows = _rows_of(data, recs, sep)
        table, malformed = _from_rows(rows, headers, sep)
        return table, malformed | recs.swallowing
    table = table.rename_columns(headers)
    malformed = np.zeros(n_rec, dtype=bool)
    if special.size:
        rows = [_fields(_text(data, recs, i), sep) for i in special]
        extra_tab, extra_bad = _from_rows(rows, headers, sep)
        extra_bad[:] = True
        table = _merge(table, extra_tab, special, n_rec)
        malformed[special] = True
    return table, malformed


def _text(data: bytes, recs: Records, i: int) -> str:
    return data[recs.starts[i] : recs.ends[i]].decode("utf-8", errors="replace")


def _cuts(recs: Records, special: np.ndarray) -> list[tuple[int, int]]:
    """Byte spans to remove from the body: the ``special`` records and whitespace lines."""
    cut = [(int(recs.starts[i]), int(recs.ends[i])) for i in special]
    cut += [s for s in recs.blank_spans if s[0] >= recs.header_end]
    return sorted(cut)


def _body(data: bytes, recs: Records, special: np.ndarray) -> bytes | pa.Buffer:
    """The bytes after the header without the ``special`` records and whitespace lines."""
    cut = _cuts(recs, special)
    if not cut:
        return pa.py_buffer(data).slice(recs.header_end)  # no copy
    parts, pos = [], recs.header_end
    for s, e in cut:
        parts.append(data[pos:s])
        pos = e
    parts.append(data[pos:])
    return b"".join(parts)


def _rows_of(data: bytes, recs: Records, sep: str) -> list[list[str]]:
    """Every record parsed on its own (the exact, slower path)."""
    return [_fields(_text(data, recs, i), sep) for i in range(len(recs))]


def _from_rows(rows: list[list[str]], headers: list[str], sep: str) -> tuple[pa.Table, np.ndarray]:
    """A string table from parsed rows: short rows padded, long rows flagged with extras."""
    n = len(headers)
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    malformed = lengths > n
    cols = {
        h: pa.array([r[j] if j < len(r) else "" for r in rows], pa.large_string())
        for j, h in enumerate(headers)
    }
    if malformed.any():
        cols[EXTRA_FIELDS] = pa.array([sep.join(r[n:]) for r in rows], pa.large_string())
    return pa.table(cols), malformed


def _merge(table: pa.Table, extra: pa.Table, positions: np.ndarray, n_rec: int) -> pa.Table:
    """Rows of ``extra`` inserted at record ``positions`` among the rows of ``table``."""
    for col in extra.column_names:
        if col not in table.column_names:
            table = table.append_column(col, pa.array([""] * table.num_rows, pa.large_string()))
    extra = extra.select(table.column_names)
    both = pa.concat_tables([table, extra])
    order = np.empty(n_rec, dtype=np.int64)
    mask = np.ones(n_rec, dtype=bool)
    mask[positions] = False
    order[mask] = np.arange(table.num_rows)
    order[positions] = table.num_rows + np.arange(len(positions))
    return both.take(pa.array(order))


def text_frame(tt: TextTable) -> pd.DataFrame:
    """The text of ``tt`` as pandas ``str`` columns; empties ``tt``.

    The parser already gives ``large_string``, the storage of pandas' ``str`` dtype, so the
    columns are wrapped as they are, in their chunks (one per parsed block): no copy. Columns
    of the exact path (``string``) are cast.
    """
    table, tt.table = tt.table, None
    out = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if not pa.types.is_large_string(col.type):
            col = col.cast(pa.large_string())
        # the array wrapped as it is (a Series of it cost 0.06 ms a column, checks included)
        out[name] = pd.arrays.ArrowStringArray(col, dtype=TEXT_DTYPE)
    return pd.DataFrame(out, copy=False)
