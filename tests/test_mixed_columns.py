"""Columns with some odd cells: numbers read as each cell alone, duplicates as a row loop.

A coordinate column with a stray word or mark in some rows leaves the one-cast fast path;
the plain numbers among the rest are then found from their bytes and cast together
(:func:`hotspots.ingest.parse._plain_numbers`). The reference here is Python: the
pattern of a plain number by ``re`` and the value by ``float``, cell by cell.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspots.ingest.parse import _NUMBER, NULL_TOKENS, _plain_numbers, parse_number

#: Characters of numbers, of spreadsheet numbers, of words, and white space.
ALPHABET = "0123456789.+-eE,x x—Жé\t"


def _reference(cell: str) -> float:
    """What one cell alone reads as: its value, or NaN (missing or not a number)."""
    v, missing, bad = parse_number(pd.Series([cell], dtype="str"))
    return float("nan") if missing[0] or bad[0] else float(v[0])


cells = st.one_of(
    st.text(alphabet=ALPHABET, max_size=8),
    st.from_regex(r"\A-?\d{1,3}\.\d{1,6}\Z"),  # the usual coordinate
    st.sampled_from(sorted(NULL_TOKENS) + ["x", "", " 41.5", "41,5", "1e5", "+.5", "5."]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, min_size=1, max_size=60), st.integers(1, 4))
def test_a_column_reads_as_its_cells_one_by_one(column: list[str], chunks: int) -> None:
    # several chunks, as the CSV reader gives a column
    size = -(-len(column) // chunks)
    parts = [column[i : i + size] for i in range(0, len(column), size)]
    arr = pa.chunked_array(parts, type=pa.large_string())
    v, missing, bad = parse_number(pd.Series(pd.arrays.ArrowStringArray(arr)))
    want = [_reference(c) for c in column]
    got = [float("nan") if m or b else float(x) for x, m, b in zip(v, missing, bad, strict=True)]
    assert np.array_equal(np.array(got), np.array(want), equal_nan=True)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=ALPHABET, max_size=8), min_size=1, max_size=60))
def test_plain_numbers_are_what_the_pattern_matches(column: list[str]) -> None:
    plain, values = _plain_numbers(pa.array(column, pa.large_string()))
    pattern = re.compile(_NUMBER)
    for cell, p, x in zip(column, plain, values, strict=True):
        is_plain = pattern.match(cell) is not None and "\n" not in cell
        assert p == is_plain, cell
        assert (x == float(cell)) if is_plain else math.isnan(x), cell


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.integers(0, 30).map(str),  # plain numbers, repeats likely
                st.sampled_from(["007", "7", "-3", "+3", "a1", "row-2", "1e3"]),
            ),
            st.booleans(),  # rejected already for another reason
        ),
        min_size=1,
        max_size=40,
    )
)
def test_duplicate_ids_are_the_repeats_among_the_rows_still_accepted(rows) -> None:
    from hotspots.validation import _CODE, _mark_duplicates

    ids = pd.Series([i for i, _ in rows], dtype="str")
    code = np.array([_CODE["out_of_range"] if r else 0 for _, r in rows], dtype=np.int8)
    _mark_duplicates(code, ids)
    seen, want = set(), []
    for i, rejected in rows:  # the reference: first occurrence kept, by text
        if rejected:
            want.append("out_of_range")
        elif i in seen:
            want.append("duplicate_id")
        else:
            seen.add(i)
            want.append("")
    names = {v: k for k, v in _CODE.items()} | {0: ""}
    assert [names[c] for c in code] == want
