"""Low-cardinality text columns (offense, premise, precision) as pandas categoricals.

A million calls hold a few dozen offense labels and premise types. Stored as text, each of
those columns costs 14 MiB per million rows (an 8-byte offset and the characters of every
value); as a categorical it costs one byte per row (two past 127 distinct values) plus the
labels once. The accepted table shrinks by about half, and with it the memory the system
must hand over fresh while reading a large file, which on a virtual machine is most of the
time a read spends outside our own code.

The labels are worked on once per distinct value: each chunk of the parsed column is
dictionary-encoded by Arrow (a hash table over the bytes, no Python strings), the chunks'
dictionaries unified, and a function applied to the distinct values only. Categories are
sorted, so sorting a table by one of these columns sorts it alphabetically, as text did.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from hotspots import schema as S
from hotspots.ingest.parse import as_arrow


@dataclass(frozen=True)
class Encoded:
    """A text column as integer codes into its distinct values.

    Attributes
    ----------
    codes : ndarray of int32
        Position of each row's value in ``values``; -1 for a null.
    values : pyarrow.Array
        The distinct values, in order of first appearance.
    """

    codes: np.ndarray
    values: pa.Array

    def kept(self, rows: np.ndarray | None) -> Encoded:
        """Only these rows (a boolean mask: the accepted ones); the same when all are kept."""
        if rows is None or rows.all():
            return self
        return Encoded(self.codes[rows], self.values)

    def categorical(self, labels: Sequence[str | None]) -> pd.Series:
        """The column as a categorical: ``labels`` gives one label per distinct value (in
        the order of ``values``), ``None`` for <NA>; values with the same label share a
        category."""
        return from_labels(labels, self.codes)


def encode(values, known: pa.Array | None = None) -> Encoded:
    """Dictionary-encode pandas or Arrow text chunk by chunk (nulls read as ``""``).

    ``known``: distinct values the column probably holds (those of an earlier block of the
    same file). When every row is one of them each row is looked up among them, a third
    faster than hashing the column afresh; otherwise the column is encoded as without.
    """
    arr = as_arrow(values)
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if not chunks:
        return Encoded(np.empty(0, dtype=np.int32), pa.array([], pa.large_string()))
    if known is not None and known.type == arr.type:
        idx = pc.index_in(arr, value_set=known)
        if not idx.null_count:  # every row found (a null row or a new value is not)
            return Encoded(np.asarray(idx.to_numpy(), dtype=np.int32), known)
    encoded = pa.chunked_array([c.dictionary_encode() for c in chunks])
    if encoded.num_chunks > 1:
        encoded = encoded.unify_dictionaries()  # one dictionary; indices transposed to it
    values = encoded.chunk(0).dictionary
    codes = np.empty(len(encoded), dtype=np.int32)
    at = 0
    for chunk in encoded.chunks:
        idx = chunk.indices
        codes[at : at + len(idx)] = pc.fill_null(idx, -1).to_numpy(zero_copy_only=False)
        at += len(idx)
    return Encoded(codes, values)


class SeenValues:
    """The distinct values of a file's text columns met in its earlier blocks, by column.

    Reading a file in blocks (:mod:`hotspots.ingest.batches`), the offense labels and premise
    types of one block are nearly always those of the block before: each block's column is
    encoded with them as ``known`` (:func:`encode`), and its own values kept for the next.
    """

    def __init__(self) -> None:
        self._values: dict[str, pa.Array] = {}

    def encode(self, key: str, values) -> Encoded:
        """:func:`encode` of ``values`` with the values last seen under ``key``."""
        enc = encode(values, self._values.get(key))
        self._values[key] = enc.values
        return enc


def from_labels(labels: Sequence[str | None], codes: np.ndarray) -> pd.Series:
    """A categorical Series: row ``i`` is ``labels[codes[i]]`` (<NA> for -1 or ``None``).

    The categories are the distinct labels of the rows, sorted (a label no row has is not
    one); the codes take the smallest integer type that holds them.
    """
    used = _used(codes, len(labels))
    cats = sorted({x for x, u in zip(labels, used, strict=False) if u and x is not None})
    pos = {c: i for i, c in enumerate(cats)}
    width = _code_width(len(cats))
    # one entry per distinct value, and a last one that codes -1 (a null) index
    lut = np.array([pos.get(x, -1) if x is not None else -1 for x in labels] + [-1], dtype=width)
    dtype = _text_categories(tuple(cats))
    return pd.Series(pd.Categorical.from_codes(lut[codes], dtype=dtype, validate=False))


#: Rows looked at first for the values some row has (:func:`_used`).
USED_SAMPLE = 4_096


def _used(codes: np.ndarray, n: int) -> np.ndarray:
    """Which of ``n`` values (codes ``0 .. n-1``; -1 a null) some row has.

    A block's offense column has every one of its few values many times over: when evenly
    spaced rows already show every value, the rest need not be counted (a third of the
    time of making the column, counted row by row); a column of one value (a time
    precision, a constant) is told by its smallest and largest code.
    """
    if len(codes) and codes.min() == codes.max():  # one value (a precision, a constant)
        return np.arange(n) == codes[0]
    if len(codes) > 2 * USED_SAMPLE:
        sample = codes[:: len(codes) // USED_SAMPLE]
        seen = np.bincount(np.add(sample, 1, dtype=np.intp), minlength=n + 1)[1:].astype(bool)
        if seen.all():
            return seen
    # every row, nulls (-1) counted first: half the time of dropping them first (a copy)
    return np.bincount(np.add(codes, 1, dtype=np.intp), minlength=n + 1)[1:].astype(bool)


@functools.lru_cache(maxsize=256)
def _text_categories(cats: tuple[str, ...]) -> pd.CategoricalDtype:
    """The categorical dtype of these sorted text categories, made once: each block's
    columns have the same few, and pandas checks a new dtype's categories (hashing them)
    every time it is made."""
    return pd.CategoricalDtype(pd.Index(list(cats), dtype="str"))


def union(parts: Sequence[pd.Categorical]) -> pd.Categorical:
    """Categoricals of text joined end to end over the sorted union of their categories,
    as ``union_categoricals(parts, sort_categories=True)`` gives them.

    Each block of a batched read encodes its own categories; pandas' union hashes every
    part's categories to compare their dtypes, 6 ms of the 9 ms a million calls' columns
    took to join. Here each part's codes go through a lookup table into the union's.
    """
    if not all(pd.api.types.is_string_dtype(p.categories.dtype) for p in parts):
        return union_categoricals(list(parts), sort_categories=True)  # not text: as pandas does
    own = [p.categories.tolist() for p in parts]  # a list each: an Index is slow to walk
    labels = sorted(set().union(*own))
    pos = {c: i for i, c in enumerate(labels)}
    width = _code_width(len(labels))
    codes = np.empty(sum(len(p) for p in parts), dtype=width)
    at = 0
    for p, cats in zip(parts, own, strict=True):
        if cats == labels:  # the usual block: every label of the file, codes as they are
            codes[at : at + len(p)] = p.codes
        else:  # the part's categories in the union's order, and a last entry for -1 (<NA>)
            lut = np.array([pos[c] for c in cats] + [-1], dtype=width)
            codes[at : at + len(p)] = lut[p.codes]
        at += len(p)
    dtype = pd.CategoricalDtype(pd.Index(labels, dtype="str"))
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _code_width(n: int) -> type[np.signedinteger]:
    """The smallest integer type for the codes of ``n`` categories (and -1)."""
    return np.int8 if n < 127 else np.int16 if n < 32_767 else np.int32


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the dtypes of the canonical incidents table (a stored table, a frame
    made by hand): :data:`~hotspots.schema.CATEGORY_COLUMNS` as categoricals with sorted
    categories, the date parts in :data:`~hotspots.schema.PART_DTYPES`.

    Parquet keeps neither the order of categories nor, without pandas' metadata, the
    nullable integer types (a part with gaps comes back as float64).
    """
    out = {}
    for col in S.CATEGORY_COLUMNS:
        if col in frame:
            out[col] = _sorted_categories(frame[col])
    for col, dtype in S.PART_DTYPES.items():
        if col in frame and frame[col].dtype != dtype:
            out[col] = frame[col].astype(dtype)
    return frame.assign(**out) if out else frame


def _sorted_categories(s: pd.Series) -> pd.Series:
    if not isinstance(s.dtype, pd.CategoricalDtype):
        return categorical_text(s.astype("str")).set_axis(s.index)  # encoded as ingest does
    cats = s.cat.categories
    if cats.is_monotonic_increasing and cats.dtype == "str":
        return s
    labels = [str(x) for x in cats]
    return from_labels(labels, s.cat.codes.to_numpy()).set_axis(s.index)


def stripped(values: pa.Array) -> list[str | None]:
    """Distinct values without leading or trailing white space; ``None`` where that is empty."""
    out = pc.utf8_trim_whitespace(values).to_pylist()
    return [x if x else None for x in out]


def categorical_text(
    values, rows: np.ndarray | None = None, seen: SeenValues | None = None, key: str = ""
) -> pd.Series:
    """Stripped text of ``values`` (of ``rows`` only) as a categorical, <NA> where empty;
    encoded with the values ``seen`` under ``key`` in earlier blocks, when given."""
    enc = (seen.encode(key, values) if seen is not None else encode(values)).kept(rows)
    return enc.categorical(stripped(enc.values))


def missing(n: int) -> pd.Series:
    """``n`` rows of <NA> in a categorical of text with no categories."""
    return from_labels([], np.full(int(n), -1, dtype=np.int8))


def constant(label: str, n: int) -> pd.Series:
    """``n`` rows of ``label`` as a categorical."""
    return from_labels([label], np.zeros(int(n), dtype=np.int8))


__all__ = [
    "Encoded",
    "SeenValues",
    "categorical_text",
    "compact",
    "constant",
    "encode",
    "from_labels",
    "missing",
    "stripped",
]
