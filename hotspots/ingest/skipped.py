"""Columns a block is read without, and their text read back for the few rows that need it.

A police export has 20-30 columns and a calls table uses five to eight of them. Once the
first block has shown which (the column mapping), the block reader has Arrow parse only
those (``include_columns``): every field is still split and counted, so a row of the wrong
width is still found, but only the used columns are turned into text arrays. On Chicago's
22-column export that is a quarter of the parse (14.5 -> 10.8 ms a 7 MB block).

The other columns are needed for one thing: the rejects file keeps every field of a rejected
row, as read. :class:`SkippedColumns` keeps the block's bytes and reads those rows' lines
again, whole, with the same parser. It is only made for a block read the quick way
(:func:`hotspots.ingest.csvtable._lines_as_records`), where row ``i`` is the body's line
``i``, so a row's bytes are found from the line breaks alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from hotspots.errors import InputError

#: Fewest unused columns worth leaving out of a block that may have rejected rows. Reading
#: them back costs about what parsing four text columns of the block does (3.3 ms a 7 MB
#: block with a rejected row in a hundred, most of it finding the block's line breaks,
#: against 0.7 ms a column), and most blocks of real files have some. The block reader
#: leaves out even one after a block without a rejected row (the next is likely clean too).
MIN_SKIPPED = 4


@dataclass(frozen=True)
class SkippedColumns:
    """How to read every column of a block's rows that was parsed for some columns only.

    Attributes
    ----------
    data : bytes-like
        Holds the block's data lines (UTF-8, one record a line) at ``body_start:body_end``:
        the block itself, or the memory map of the file it was copied from (the block
        reader's buffer is refilled with the next block while this one is checked).
    body_start : int
        Offset of the first data line in ``data``.
    headers : list of str
        Every column of the block, in file order.
    parse : callable
        ``parse(body) -> pyarrow.Table``: Arrow's parse of whole lines into ``len(headers)``
        text columns (the block's own options).
    """

    data: object
    body_start: int
    headers: list[str]
    parse: Callable[[pa.Buffer], pa.Table]
    #: End of the data lines in ``data`` (``None``: the end of ``data``).
    body_end: int | None = None

    def rows(self, rows: np.ndarray) -> pd.DataFrame:
        """Every column of the rows ``rows`` (a boolean mask over the block's rows) as text,
        in file order.

        Raises
        ------
        InputError
            The lines no longer read as those rows: the file changed while it was read.
        """
        from hotspots.ingest.csvtable import TEXT_DTYPE

        idx = np.flatnonzero(rows)
        if not idx.size:
            empty = pa.array([], pa.large_string())
            return pd.DataFrame(
                {h: pd.arrays.ArrowStringArray(empty, dtype=TEXT_DTYPE) for h in self.headers}
            )
        buf = np.frombuffer(self.data, dtype=np.uint8)[: self.body_end]
        starts, ends = line_spans(buf, self.body_start, idx)
        lines = gather(buf, starts, ends)
        del buf  # (a memory map cannot be closed while an array views it)
        table = self.parse(pa.py_buffer(lines))
        if table is None or table.num_rows != idx.size:  # each was one record when read
            raise InputError(
                "the file changed while it was being read (its rejected rows no longer read "
                "back as they were): read it again once nothing is writing to it"
            )
        return pd.DataFrame(
            {
                h: pd.arrays.ArrowStringArray(col, dtype=TEXT_DTYPE)
                for h, col in zip(self.headers, table.columns, strict=True)
            },
            copy=False,
        )


def line_spans(buf: np.ndarray, body_start: int, idx: np.ndarray) -> tuple[np.ndarray, ...]:
    """Start and end (past the line break) offsets in ``buf`` of the body lines ``idx``
    (0-based, counted from ``body_start``; the last line may lack its break)."""
    breaks = body_start + np.flatnonzero(buf[body_start:] == 10)
    if not breaks.size or breaks[-1] != len(buf) - 1:
        breaks = np.append(breaks, len(buf) - 1)  # a last line without its break
    ends = breaks[idx] + 1
    starts = np.where(idx > 0, breaks[np.maximum(idx - 1, 0)] + 1, body_start)
    return starts, ends


def gather(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """The spans ``buf[starts[i]:ends[i]]`` one after the other, gathered at once (each
    line ends with its break, so the result is lines again)."""
    lengths = ends - starts
    offsets = np.cumsum(lengths) - lengths  # where each span begins in the result
    pos = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - offsets, lengths)
    out = buf[pos]
    if out.size and out[-1] != 10:
        out = np.append(out, np.uint8(10))
    return out.tobytes()


__all__ = ["MIN_SKIPPED", "SkippedColumns", "gather", "line_spans"]
