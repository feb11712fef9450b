"""Reading a delimited file in batches, with bounded memory, into an ingested GeoParquet.

``hotspots ingest`` reads text files through :func:`ingest_to_parquet`: blocks of about
``block_bytes`` (64 MB by default, about a million calls) cut at a line break, each read and
validated as a file of its own (:func:`hotspots.readers.text_table`,
:func:`hotspots.validation.validate_incidents`) and appended to the GeoParquet and the
rejects file. Memory stays that of one block whatever the size of the file, so a 50-million
row CSV is read on a laptop.

What carries from block to block:

- the header, the separator and the columns detected on the first block (and its time
  zone, slash order of dates and whole-file encoding, when it had one);
- the ids accepted so far, as 64-bit hashes (:class:`hotspots.validation.SeenIds`), so a
  ``duplicate_id`` is found across blocks;
- the offense and premise values met so far
  (:class:`hotspots.ingest.categories.SeenValues`), which the next block's values are
  looked up among before they are hashed afresh;
- a record cut by the block's end: a quoted value with line breaks still open where the
  block ends is moved to the next block, never split.

What does not: the swap check's bulk box (``swapped_lat_lon``) is computed per block, from
that block's million rows.
"""

from __future__ import annotations

import io
import json
import mmap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hotspots import schema as S
from hotspots.columns import ColumnMap, require_coordinates
from hotspots.errors import InputError
from hotspots.ingest import categories
from hotspots.ingest.csvtable import EXTRA_FIELDS, _check_sep, _head_text, sniff_separator
from hotspots.ingest.detect import detect
from hotspots.ingest.encoding import utf8_stream
from hotspots.ingest.memory import reading_pool, release_freed
from hotspots.ingest.parse import as_arrow, slash_order
from hotspots.ingest.records import MAX_VALUE_LINES, find_records
from hotspots.ingest.skipped import MIN_SKIPPED, SkippedColumns
from hotspots.ingest.source import PACKED_TEXT_RATIO, Source, open_stream
from hotspots.ingest.store import INGEST_KEY, ingest_meta, rejects_path
from hotspots.ingest.workers import check_workers, spread_stages

#: Bytes read per block.
BLOCK_BYTES = 64 << 20

Progress = Callable[[float, str], None]


#: Lines at the end of a block searched for a quoted value still open where it is cut.
_TAIL_LINES = 3 * MAX_VALUE_LINES


def _tail_start(data: bytes, lo: int, hi: int, lines: int = _TAIL_LINES) -> int:
    """Offset where the last ``lines`` lines of ``data[lo:hi]`` begin (``lo`` if fewer).

    The line breaks are found in a window at the end, doubled until it holds enough (one
    ``rfind`` a line cost 1 ms a block on the parse thread, this 0.05 ms)."""
    window = 1 << 16
    while True:
        start = max(lo, hi - window)
        with memoryview(data) as view:
            part = np.frombuffer(view[start : hi - 1], dtype=np.uint8)  # data[hi - 1]: the
            breaks = np.flatnonzero(part == 10)  # break ending the last line
            del part
        if len(breaks) >= lines:
            return start + int(breaks[-lines]) + 1
        if start == lo:
            return lo
        window *= 4


def _quotes_even(data, lo: int, hi: int) -> bool:
    """Whether every line of ``data[lo:hi]`` (whole lines) holds an even number of ``"``.

    Then no quoted value runs from one line into the next there, and the record finder has
    nothing to find at the block's end (a twentieth of its cost on a block whose last lines
    quote an address: 0.05 against 1 ms)."""
    with memoryview(data) as view:
        part = np.frombuffer(view[lo:hi], dtype=np.uint8)
        quotes = np.cumsum(part == 34, dtype=np.int64)
        even = bool((quotes[part == 10] % 2 == 0).all())
        del part, quotes
    return even


def _open_record_start(header: bytes, data: bytes, lo: int, hi: int, sep: str) -> int | None:
    """Offset in ``data`` of a record of ``data[lo:hi]`` whose quote is still open at ``hi``.

    Only the last lines can hold one (a quoted value spans at most
    :data:`~hotspots.ingest.records.MAX_VALUE_LINES` lines), so only they are read.
    """
    start = _tail_start(data, lo, hi)
    if data.find(b'"', start, hi) < 0 or _quotes_even(data, start, hi):
        return None
    try:
        recs = find_records(header + data[start:hi], sep)
    except InputError:
        return None
    if not recs.swallowing.any():
        return None
    last_line = recs.lines[-1] if len(recs) else 0
    idx = np.flatnonzero(recs.swallowing & (recs.lines >= last_line - MAX_VALUE_LINES))
    return int(recs.starts[idx[0]]) - len(header) + start if idx.size else None


#: Smallest first block (:func:`_first_block`): some 30,000 calls for the detection's
#: sample of 2,000 rows.
FIRST_BLOCK_MIN = 2 << 20


def _first_block(block_bytes: int) -> int:
    """Bytes of the first block: a quarter of the others, at least :data:`FIRST_BLOCK_MIN`
    (not more than ``block_bytes``). Nothing runs beside its parse and the column detection
    on it, so a short first block sets the two cores to work sooner."""
    return min(block_bytes, max(FIRST_BLOCK_MIN, block_bytes // 4))


def _blocks(stream, block_bytes: int, sep_of: Callable[[bytes], str]):
    """Yield ``(block, body bytes)``: the header line and about ``block_bytes`` of whole
    records after it (:func:`_first_block` for the first), cut at line breaks (see the
    module docstring), copied once."""
    header = None
    carry = b""
    size = _first_block(block_bytes)
    while True:
        chunk = stream.read(size)
        size = block_bytes
        eof = not chunk
        data = carry + chunk if carry else chunk
        if not data:
            return
        lo = 0
        if header is None:
            end = data.find(b"\n")
            header = data[: end + 1] if end >= 0 else data + b"\n"
            lo = end + 1 if end >= 0 else len(data)
        hi = len(data)
        if not eof:
            hi = _cut(header, data, lo, len(data), sep_of(header))
            if hi is None:
                carry = data if lo == 0 else data[lo:]  # read on
                continue
            carry = data[hi:]
        else:
            carry = b""
        yield b"".join((header, memoryview(data)[lo:hi])), hi - lo
        if eof:
            return


def _mapped_blocks(mm, block_bytes: int, sep_of: Callable[[bytes], str]):
    """:func:`_blocks` over a file mapped in memory: the same cuts, each block copied once
    from the page cache (reading it in chunks copied every block three times, into memory
    the system had to hand over fresh each time). The file's size being known, the last
    block is cut short too (:func:`_last_cut`).

    Each block comes with where its data lines are in ``mm`` (``(mm, lo, hi)``): the buffer
    is refilled with the next block while this one is checked, and a block parsed without
    some columns reads its rejected rows back from the map (:func:`_from_map`)."""
    n = len(mm)
    end = mm.find(b"\n")
    header = mm[: end + 1] if end >= 0 else mm[:] + b"\n"
    lo = end + 1 if end >= 0 else n
    limit = lo + _first_block(block_bytes)
    view = memoryview(mm)
    buf, first = bytearray(), True
    try:
        while lo < n:
            hi = n if limit >= n else _cut(header, mm, lo, limit, sep_of(header))
            if hi is None:
                limit += block_bytes  # read on
                continue
            buf = _refill(buf, header, view[lo:hi])
            _drop_pages(mm, lo, hi)  # copied: out of this process's memory (not the cache's)
            yield buf, hi - lo, (mm, lo, hi)
            if first:  # still being parsed while the next block is read: a buffer of its own
                buf, first = bytearray(), False
            lo, limit = hi, _last_cut(hi, n, block_bytes)
    finally:
        view.release()


def _from_map(skipped: SkippedColumns, mm: mmap.mmap, lo: int, hi: int) -> SkippedColumns:
    """``skipped`` reading its rows from the file's map at ``lo:hi`` (the block's data lines),
    not from the block buffer, which holds the next block by the time rows are read back."""
    return replace(skipped, data=mm, body_start=lo, body_end=hi)


def _last_cut(lo: int, n: int, block_bytes: int) -> int:
    """Where to cut the block starting at ``lo`` of a file of ``n`` bytes: ``block_bytes``
    on, but a quarter block (:func:`_first_block`) short of the end when the rest is from
    two quarters to a block and a quarter, so the last block is a quarter. It is checked
    alone, with no parse beside it: a short one leaves the second core idle for less, as the
    first block does at the start."""
    quarter = _first_block(block_bytes)
    if 2 * quarter <= n - lo <= block_bytes + quarter:
        return n - quarter
    return lo + block_bytes


def _refill(buf: bytearray, header: bytes, body) -> bytearray:
    """``header + body`` in ``buf``, resized in place: the pages of the block before are
    reused (a new block each time had the system hand over and zero 32 MB of fresh pages,
    with the GIL held). The block before must be done with: the parser copies what it keeps,
    and a view of it still held makes the resize fail, so a new buffer is made instead."""
    size = len(header) + len(body)
    try:
        if len(buf) > size:
            del buf[size:]
        elif len(buf) < size:
            buf.extend(bytes(size - len(buf)))
    except BufferError:  # still viewed: never written over
        buf = bytearray(size)
    with memoryview(buf) as out:
        out[: len(header)] = header
        out[len(header) :] = body
    return buf


def _drop_pages(mm: mmap.mmap, lo: int, hi: int) -> None:
    """Unmap the whole pages of ``mm[lo:hi]`` from the process (they stay in the page cache)."""
    first = -(-lo // mmap.PAGESIZE) * mmap.PAGESIZE
    last = hi // mmap.PAGESIZE * mmap.PAGESIZE
    if last > first and hasattr(mmap, "MADV_DONTNEED"):
        mm.madvise(mmap.MADV_DONTNEED, first, last - first)


def _cut(header: bytes, data, lo: int, stop: int, sep: str) -> int | None:
    """Where the block ``data[lo:stop]`` ends: after its last whole record, or before a
    record whose quote is still open there; ``None`` when the block must read on (a line
    longer than the block, or an open record that is all there is)."""
    cut = data.rfind(b"\n", lo, stop)
    if cut < 0:
        return None
    hi = cut + 1
    start = _open_record_start(header, data, lo, hi, sep)
    if start is None:
        return hi
    if start > lo:
        return start
    return None if _line_breaks(data, lo, hi) <= MAX_VALUE_LINES else hi


def _line_breaks(data, lo: int, hi: int) -> int:
    with memoryview(data) as view:
        return int(np.count_nonzero(np.frombuffer(view[lo:hi], dtype=np.uint8) == 10))


def _mapped(stream) -> mmap.mmap | None:
    """``stream`` mapped in memory when it is a plain file on disk (not unpacked on the fly)."""
    if not isinstance(stream, io.BufferedReader):
        return None
    try:
        return mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    except (ValueError, OSError):  # empty, or not mappable
        return None


@dataclass
class Totals:
    """What the blocks add up to (the file's validation report)."""

    name: str = ""
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    precision: dict[str, int] = field(default_factory=dict)
    encodings: dict[str, int] = field(default_factory=dict)
    time_zone: dict[str, Any] | None = None
    columns: ColumnMap | None = None
    notes: dict[str, str] = field(default_factory=dict)
    last: Any = None
    sep: str | None = None
    block_bytes: int = BLOCK_BYTES
    #: Bytes of text read so far, and about how many the source holds (a compressed file
    #: taken as PACKED_TEXT_RATIO times its size; 0 when not known).
    bytes_read: int = 0
    text_bytes: int = 0

    def add(self, res) -> None:
        self.rows += res.rows
        self.accepted += res.n_accepted
        self.rejected += res.n_rejected
        for total, part in (
            (self.reasons, res.reasons),
            (self.precision, res.precision_counts),
            (self.encodings, res.encoding_counts),
        ):
            for k, v in part.items():
                total[k] = total.get(k, 0) + v
        if self.last is not None and res.encoding_counts:
            # every block is read with the file's header line before it: count it once
            main = next(iter(res.encoding_counts))
            self.encodings[main] -= 1
        if res.time_zone:
            if self.time_zone is None:
                self.time_zone = dict(res.time_zone)
            else:
                self.time_zone["converted"] += res.time_zone["converted"]
        self.last = res

    @property
    def time_precision(self) -> str:
        if self.precision:
            return next(iter(self.precision)) if len(self.precision) == 1 else "mixed"
        return "none"

    def report(self) -> dict[str, Any]:
        return {
            "source": self.name,
            "kind": "incidents",
            "rows": self.rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "reasons": self.reasons,
            "columns": self.columns.as_dict() if self.columns else {},
            "crs": self.last.crs if self.last is not None else None,
            "time_precision": self.time_precision,
            "time_precision_counts": self.precision,
            "time_zone": self.time_zone,
            "detection": dict(self.notes),
            "encoding": self.last.encoding if self.last is not None else None,
            "encoding_counts": self.encodings,
            "sep": {"\t": "tab"}.get(self.sep or "", self.sep),
            "batches": f"read in blocks of {self.block_bytes >> 20:,} MB",
        }

    def meta(self, report: dict[str, Any], provenance: dict[str, Any] | None) -> dict[str, Any]:
        """The ingest metadata of the whole file (:func:`hotspots.ingest.store.ingest_meta`)."""
        return ingest_meta(
            "incidents", report, self.columns, self.time_precision, self.precision, provenance
        )


def validated_blocks(
    src: Source,
    *,
    columns: ColumnMap | None = None,
    crs: Any = None,
    boundary=None,
    bbox=None,
    tz: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    member: str | None = None,
    block_bytes: int = BLOCK_BYTES,
    progress: Progress | None = None,
    totals: Totals | None = None,
):
    """Yield the :class:`~hotspots.validation.IngestResult` of each block, source rows
    counted from the start of the file; ``totals`` (updated) adds them up."""
    from hotspots.ingest.csvtable import read_text_table
    from hotspots.io import _boundary, validate_with_fallback
    from hotspots.readers import raw_table
    from hotspots.validation import SeenIds, validate_incidents

    area = _boundary(boundary)
    inner, name, stream, size = open_stream(src, member=member)
    stream, wide = utf8_stream(stream, name)
    totals = totals if totals is not None else Totals()
    totals.name, totals.block_bytes = name, block_bytes
    totals.text_bytes = size * (PACKED_TEXT_RATIO if inner != name else 1)  # inner: unpacked
    if wide:
        totals.text_bytes //= 2  # UTF-16 as UTF-8: about half the bytes
    seen = SeenIds()
    seen_values = categories.SeenValues()

    def sep_of(header: bytes) -> str:
        return _check_sep(sep) or sniff_separator(header.decode("utf-8", errors="replace"))

    spread = spread_stages()
    # Arrow's rows taken as the records while every line is one (csvtable._lines_as_records);
    # after a block where they were not, the record finder reads the rest at once
    quick = True

    def clean() -> bool:
        """Whether the last block checked had no rejected row (read beside its checks)."""
        last = totals.last
        return last is not None and last.n_rejected == 0

    def parse(block: bytes, body_bytes: int, origin=None, threads: bool = spread):
        nonlocal quick
        cmap = totals.columns  # set once the first block is checked
        tt = read_text_table(
            block,
            name,
            sep=sep,
            encoding=encoding,
            concurrent=False,
            threads=threads,
            quick=quick,
            # only the mapped columns are parsed; a rejected row's others are read back,
            # which costs little after a block without rejects (the next is likely clean)
            columns=cmap.used_columns if cmap is not None else None,
            min_skipped=1 if clean() else MIN_SKIPPED,
        )
        quick = quick and tt.quick
        if tt.skipped is not None and tt.skipped.data is block and origin is not None:
            tt.skipped = _from_map(tt.skipped, *origin)
        elif tt.skipped is not None and not isinstance(tt.skipped.data, bytes):
            # text converted from another encoding, or some other view: a copy of its own,
            # never the buffer the next block is read into
            tt.skipped = replace(tt.skipped, data=bytes(tt.skipped.data))
        table = raw_table(tt, name)
        if wide:  # read from UTF-16, as a whole read says
            table.encoding = "utf-16"
            table.encoding_counts = {"utf-16": sum(table.encoding_counts.values())}
        if cmap is not None:
            # the coordinates parsed here, beside the checks of the block before: those
            # take longer than a parse, and this evens the two stages out
            for col in (cmap.lat, cmap.lon) if cmap.lat and cmap.lon else (cmap.x, cmap.y):
                if col in table.frame:
                    table.numbers(col)
        return table, body_bytes

    mm = _mapped(stream)
    blocks = (
        _blocks(stream, block_bytes, sep_of)
        if mm is None
        else _mapped_blocks(mm, block_bytes, sep_of)
    )
    try:
        with (
            reading_pool(),
            ThreadPoolExecutor(max_workers=1) as pool,
            check_workers(spread) as workers,
        ):
            # the next block is read and parsed (Arrow, NumPy: the GIL released) while this
            # one is validated, so the two cores share the work; the second block from the
            # start, beside the first one's parse and the column detection
            pending, early, given_encoding = None, False, encoding
            while True:
                if pending is None:
                    nxt = next(blocks, None)
                    if nxt is None:
                        break
                    if not totals.bytes_read:
                        # the separator the first block's parse would sniff, for both
                        sep = _check_sep(sep) or sniff_separator(_head_text(nxt[0]))
                        pending, early = pool.submit(_next_read_parsed, blocks, parse), True
                    table, size_read = parse(*nxt, threads=spread or not early)
                else:
                    got = pending.result()
                    pending = None
                    if got is None:
                        break
                    if early:
                        early = False
                        raw, got = got
                        if encoding != given_encoding:
                            # parsed before the first block set the file's encoding
                            # (cp1251): read again with it (the buffer is refilled only
                            # when the next block is read)
                            got = parse(*raw)
                    table, size_read = got
                totals.bytes_read += size_read
                first = totals.columns is None
                if not len(table.frame) and not first:
                    continue
                if first:
                    sep = table.sep
                    if table.encoding == "cp1251":
                        encoding = "cp1251"
                    totals.sep = sep
                if pending is None:  # the next block parsed from here on
                    pending = pool.submit(_next_parsed, blocks, parse)
                if first:
                    det = detect(
                        table.frame,
                        columns,
                        kind="incidents",
                        source=name,
                        prefer_xy=crs is not None,
                    )
                    require_coordinates(det.columns, table.headers, name)
                    if det.columns.time_columns and det.columns.time_format is None:
                        det = _with_slash_order(det, table.frame)
                # rows numbered as in the whole file: source_row, and the row-<n> ids of rows
                # without an id (numbered within the block they would clash across blocks)
                kw = {"crs": crs, "boundary": area, "bbox": bbox, "tz": tz, "executor": workers}
                if first:
                    # the first block chooses among the time mappings, as a whole file would
                    res, cmap = validate_with_fallback(table, det, first_row=1, **kw)
                    seen.add(SeenIds.hashes(res.accepted[S.INCIDENT_ID]))
                    totals.columns, totals.notes = cmap, dict(res.detection)
                else:
                    res = validate_incidents(
                        table,
                        totals.columns,
                        seen_ids=seen,
                        seen_values=seen_values,
                        first_row=totals.rows + 1,
                        **kw,
                    )
                del table  # its memory is reused by the next block (handing it back to the
                # system costs more: the next block would fault in fresh pages)
                if res.time_zone and tz is None:
                    tz = res.time_zone["zone"]  # the first block's zone for every block
                totals.add(res)
                yield res
                if progress is not None:
                    progress(min(totals.bytes_read / max(size, 1), 1.0), f"{totals.rows:,} rows")
    finally:
        stream.close()
    if totals.columns is None:
        raise InputError(f"{name} has no data rows")


def read_in_blocks(src: Source, **kwargs: Any):
    """Read and validate a large delimited file block by block into one
    :class:`~hotspots.validation.IngestResult` (what :func:`hotspots.io.read_incidents` does
    for text files above :data:`hotspots.io.BLOCK_READ_BYTES`).

    Keywords as :func:`validated_blocks`. Time and memory grow in proportion to the rows:
    one block's text is held at a time (and the next one's, parsed while this one is
    validated), and the accepted rows of the blocks are joined once at the end.
    """
    from hotspots.validation import IngestResult

    totals = Totals()
    accepted, rejected = _Gathered(), []
    for res in validated_blocks(src, totals=totals, **kwargs):
        accepted.add(res.accepted, totals)
        if len(res.rejected) or not rejected:
            rejected.append(res.rejected)
    last = totals.last
    joined, rejects = accepted.frame(), _joined(rejected)
    del accepted, rejected
    release_freed()
    return IngestResult(
        accepted=joined,
        rejected=rejects,
        rows=totals.rows,
        reasons=dict(totals.reasons),  # every reason, in check order, from the first block
        columns=totals.columns,
        time_precision=totals.time_precision,
        kind="incidents",
        source=totals.name,
        crs=last.crs,
        encoding=last.encoding,
        sep=totals.sep,
        precision_counts=totals.precision,
        time_zone=totals.time_zone,
        encoding_counts=totals.encodings,
        detection=dict(totals.notes),
        compression=last.compression,
    )


class _Gathered:
    """The accepted rows of the blocks, gathered as the blocks come.

    NumPy columns (coordinates, times, row numbers) and the nullable date parts (their
    values and masks) are written into arrays sized for the whole file from the first
    block's rows per byte, so no join is left for the end, when nothing else runs beside it
    (it was 0.3-0.6 s of 10 million rows on one core); pages of an array past the last row
    are never touched and cost nothing. The other columns (text chunks, categoricals) are
    kept as the blocks' arrays and joined at the end, array by array: they are small, and
    joining them as data frames (a pop and a concat per column and block) took 40-80 ms of a
    million rows.
    """

    def __init__(self) -> None:
        self.n = 0
        self.dense: dict[str, np.ndarray] = {}
        self.masks: dict[str, np.ndarray] = {}  # the nullable columns' masks (values: dense)
        self.parts: list[dict[str, Any]] = []
        self.sizes: list[int] = []
        self.frames: list[pd.DataFrame] | None = None  # blocks unlike the first: as frames
        self.columns: list[str] | None = None

    def add(self, frame: pd.DataFrame, totals: Totals) -> None:
        """Add a block's accepted rows; ``totals`` (after the block) says how far the read is."""
        if self.columns is None:
            self.columns = list(frame.columns)
            # the file's accepted rows, at this block's rows per byte of text (5 % spare)
            guess = totals.text_bytes / max(totals.bytes_read, 1) * len(frame) * 1.05
            cap = max(int(guess), len(frame))
            for c in frame.columns:
                if _is_dense(frame[c]):
                    self.dense[c] = np.empty(cap, dtype=frame[c].dtype)
                elif _is_nullable_int(frame[c]):
                    self.dense[c] = np.empty(cap, dtype=frame[c].dtype.numpy_dtype)
                    self.masks[c] = np.empty(cap, dtype=bool)
        elif self.frames is None and (
            list(frame.columns) != self.columns or not all(self._fits(frame, c) for c in self.dense)
        ):
            self._undo()  # a block unlike the first (never seen): joined as frames
        if self.frames is not None:
            self.frames.append(frame)
            return
        k = len(frame)
        self._reserve(self.n + k)
        at = slice(self.n, self.n + k)
        for c, arr in self.dense.items():
            if c in self.masks:
                # the values and the mask as they are (under the mask a value is never
                # read): isna() and to_numpy() made a copy of each first
                data, mask = _masked_parts(frame[c].array)
                self.masks[c][at] = mask
                arr[at] = data
            else:
                arr[at] = frame[c].to_numpy()
        self.parts.append({c: frame[c].array for c in self.columns if c not in self.dense})
        self.sizes.append(k)
        self.n += k

    def _fits(self, frame: pd.DataFrame, c: str) -> bool:
        """Whether the block's column ``c`` goes into the arrays of the first block's."""
        if c not in frame:
            return False
        if c in self.masks:
            return _is_nullable_int(frame[c]) and frame[c].dtype.numpy_dtype == self.dense[c].dtype
        return frame[c].dtype == self.dense[c].dtype

    def _reserve(self, rows: int) -> None:
        for store in (self.dense, self.masks):
            for c, arr in store.items():
                if rows > len(arr):  # more rows than guessed: half as much again
                    grown = np.empty(max(rows, len(arr) * 3 // 2), dtype=arr.dtype)
                    grown[: self.n] = arr[: self.n]
                    store[c] = grown

    def _column(self, c: str, at: slice) -> Any:
        """Gathered column ``c`` over rows ``at`` (views of the arrays)."""
        if c in self.masks:
            return pd.arrays.IntegerArray(self.dense[c][at], self.masks[c][at])
        return self.dense[c][at]

    def _undo(self) -> None:
        """Back to frames: each earlier block's columns put back together, in order."""
        at, frames = 0, []
        for part, k in zip(self.parts, self.sizes, strict=True):
            rows = slice(at, at + k)
            cols = {**part, **{c: self._column(c, rows).copy() for c in self.dense}}
            frames.append(pd.DataFrame({c: cols[c] for c in self.columns}))
            at += k
        self.frames, self.parts, self.sizes, self.dense, self.masks = frames, [], [], {}, {}

    def frame(self) -> pd.DataFrame:
        if self.frames is not None:
            out, self.frames = _joined(self.frames), None
            return out
        data: dict[str, Any] = {}
        for c in self.columns or []:
            if c in self.dense:
                data[c] = self._column(c, slice(0, self.n))
            else:
                data[c] = _concat([p.pop(c) for p in self.parts])
        self.parts, self.sizes, self.dense, self.masks = [], [], {}, {}
        return pd.DataFrame(data, copy=False)


def _concat(arrays: list[Any]) -> Any:
    """The blocks' arrays of one column joined: categoricals over the union of their
    categories (each block has its own), other arrays by their own type's join."""
    first = arrays[0]
    if len(arrays) == 1:
        return first
    if all(isinstance(a, pd.Categorical) for a in arrays):
        return categories.union(arrays)
    if isinstance(first, np.ndarray):
        return np.concatenate(arrays)
    if all(type(a) is type(first) and a.dtype == first.dtype for a in arrays):
        return type(first)._concat_same_type(arrays)
    return pd.concat([pd.Series(a) for a in arrays], ignore_index=True).array


def _masked_parts(arr: pd.arrays.IntegerArray) -> tuple[np.ndarray, np.ndarray]:
    """The values and the <NA> mask of a nullable integer array, without copies where
    pandas keeps them as two NumPy arrays (it does: ``_data`` and ``_mask``)."""
    data, mask = getattr(arr, "_data", None), getattr(arr, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):
        return data, mask
    return arr.to_numpy(dtype=arr.dtype.numpy_dtype, na_value=0), arr.isna()


def _is_dense(s: pd.Series) -> bool:
    return isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiuM"


def _is_nullable_int(s: pd.Series) -> bool:
    return isinstance(s.array, pd.arrays.IntegerArray)


def _blank(index: pd.Index) -> pd.Series:
    return pd.Series("", index=index, dtype="str")  # a raw column a block did not have


def _joined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The blocks' frames one after the other, emptied as they are joined.

    Column by column, each block's column released once it is copied: joining costs one
    column of memory, not a second table (text columns keep their Arrow chunks, uncopied).
    """
    if len(frames) == 1:
        return frames[0]
    names = list(frames[0].columns)
    for f in frames[1:]:
        names += [c for c in f.columns if c not in names]
    out = {}
    for name in names:
        parts = [f.pop(name) if name in f else _blank(f.index) for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            # blocks have their own categories: joined they would be text again
            union = categories.union([p.array for p in parts])
            out[name] = pd.Series(union, name=name)
        else:
            out[name] = pd.concat(parts, ignore_index=True)
        del parts
        release_freed()  # the blocks' pieces of this column, before the next is joined
    return pd.DataFrame(out, copy=False)


def ingest_to_parquet(
    src: Source,
    out: str | Path,
    *,
    provenance: dict[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Validate a delimited file block by block into GeoParquet ``out`` (+ rejects beside).

    Keywords as :func:`validated_blocks`. Returns the validation report (as
    :meth:`IngestResult.report`), also stored in the file's metadata.
    """
    from hotspots.output import atomic_write

    out = Path(out)
    totals = Totals()
    writer = None
    schema = None
    geo = None
    extent = np.array([np.inf, np.inf, -np.inf, -np.inf])  # the file's lon/lat bbox
    with atomic_write(out) as tmp, atomic_write(rejects_path(out)) as rej_tmp:
        rej_file = open(rej_tmp, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        rejects = RejectsCsv(rej_file)
        try:
            for res in validated_blocks(src, totals=totals, **kwargs):
                part = _to_arrow(res.accepted)
                if len(res.accepted):
                    lon, lat = res.accepted[S.LON], res.accepted[S.LAT]
                    extent = np.concatenate(
                        [
                            np.fmin(extent[:2], [lon.min(), lat.min()]),
                            np.fmax(extent[2:], [lon.max(), lat.max()]),
                        ]
                    )
                if writer is None:
                    # 'geo' goes in the footer at the end, with the whole file's bbox
                    geo = json.loads(part.schema.metadata[b"geo"])
                    schema = part.schema.remove_metadata()
                    writer = pq.ParquetWriter(tmp, schema, compression="zstd")
                writer.write_table(part.cast(schema))
                rejects.write(res.rejected)
            report = totals.report()
            meta = totals.meta(report, provenance)
            if np.isfinite(extent).all():
                geo["columns"][S.GEOMETRY]["bbox"] = extent.tolist()
            writer.add_key_value_metadata(
                {
                    "geo": json.dumps(geo),
                    INGEST_KEY.decode(): json.dumps(meta, ensure_ascii=False, default=str),
                }
            )
        finally:
            if writer is not None:
                writer.close()
            rej_file.close()
    return report


class RejectsCsv:
    """Rejected rows appended block by block to one open CSV file.

    The first block fixes the columns: ``source_row``, ``reason``, the raw columns, then
    ``_extra_fields`` (a later block may have fields past the header); later blocks are
    written under the same header, cells made safe for spreadsheets.
    """

    def __init__(self, file: Any) -> None:
        self.file = file
        self.columns: list[str] | None = None

    def write(self, rejected: pd.DataFrame) -> None:
        from hotspots.output import safe_csv_frame

        header = self.columns is None
        if header:
            own = (S.SOURCE_ROW, "reason", EXTRA_FIELDS)
            raw = [c for c in rejected.columns if c not in own]
            self.columns = [S.SOURCE_ROW, "reason", *raw, EXTRA_FIELDS]
        if header or len(rejected):
            rows = rejected.reindex(columns=self.columns)
            self.file.write(safe_csv_frame(rows).to_csv(index=False, header=header))


def _with_order(cmap: ColumnMap, order: str) -> ColumnMap:
    return replace(cmap, time_format=order)


def _with_slash_order(det, frame: pd.DataFrame):
    """``det`` with the slash order of dates (d/m or m/d) fixed from the first block, for
    its columns and each time alternative, so every block reads dates the same way."""

    def fixed(cmap: ColumnMap) -> ColumnMap:
        if not cmap.time_columns or cmap.time_format is not None:
            return cmap
        col = as_arrow(frame[cmap.time_columns[0]])
        if pc.any(pc.match_substring(col, "/")).as_py():
            return _with_order(cmap, slash_order(col))
        return cmap

    alts = [(fixed(c), why) for c, why in det.time_alternatives]
    return replace(det, columns=fixed(det.columns), time_alternatives=alts)


def _next_parsed(blocks, parse):
    """The next block parsed, or ``None`` at the end (run in the prefetch thread)."""
    nxt = next(blocks, None)
    return None if nxt is None else parse(*nxt)


def _next_read_parsed(blocks, parse):
    """The next block and its parse, or ``None`` at the end (run in the prefetch thread)."""
    nxt = next(blocks, None)
    return None if nxt is None else (nxt, parse(*nxt))


def _to_arrow(accepted) -> pa.Table:
    from hotspots.ingest.store import geoparquet_table

    return geoparquet_table(accepted, bbox=False)  # the first block's extent is not the file's


__all__ = [
    "BLOCK_BYTES",
    "RejectsCsv",
    "Totals",
    "ingest_to_parquet",
    "read_in_blocks",
    "validated_blocks",
]
