"""Offense, premise and precision as categoricals: the same values as text, in less memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from hotspots import schema as S
from hotspots.errors import InputError
from hotspots.ingest.batches import ingest_to_parquet, read_in_blocks
from hotspots.ingest.categories import (
    SeenValues,
    categorical_text,
    compact,
    encode,
    from_labels,
)
from hotspots.io import read_incidents
from hotspots.offenses import normalise_offense


def test_encode_over_chunks_matches_python() -> None:
    chunks = [["b", " a", "b", ""], ["c", "b"], [], ["a ", "d", "c"]]
    values = pa.chunked_array(chunks, type=pa.large_string())
    enc = encode(values)
    flat = [v for c in chunks for v in c]
    assert [enc.values[i].as_py() for i in enc.codes] == flat  # one shared dictionary
    got = categorical_text(values)
    want = [v.strip() or None for v in flat]
    assert [None if pd.isna(v) else v for v in got] == want
    assert got.cat.categories.tolist() == ["a", "b", "c", "d"]  # " a" and "a " are one


@pytest.mark.parametrize(
    "blocks",
    [
        [["b", "a", "b"], ["a", "b", "a"], ["b", "b"]],  # later blocks: no new value
        [["b", "a"], ["a", "c", " a"], ["d", "", "c"]],  # new values, blank, spaced
        [["x", "y"], ["y", None, "x"], []],  # a null is never found among the known
    ],
)
def test_values_seen_in_earlier_blocks_encode_each_block_as_alone(blocks) -> None:
    seen = SeenValues()
    for block in blocks:
        values = pa.chunked_array([block[:1], block[1:]], type=pa.large_string())
        fresh, known = encode(values), seen.encode("offense", values)
        # the same value in every row (codes index different but equal dictionaries)
        assert [known.values[i].as_py() if i >= 0 else None for i in known.codes] == [
            fresh.values[i].as_py() if i >= 0 else None for i in fresh.codes
        ]
        want = categorical_text(values)
        got = categorical_text(values, None, seen, "premise")
        pd.testing.assert_series_equal(got, want)


def test_only_the_kept_rows_make_categories() -> None:
    values = pa.array(["x", "y", "z", "y"])
    rows = np.array([False, True, False, True])
    got = categorical_text(values, rows)
    assert got.tolist() == ["y", "y"] and got.cat.categories.tolist() == ["y"]
    assert got.value_counts().to_dict() == {"y": 2}  # no zero counts of rejected rows' labels


def test_code_width_follows_the_number_of_labels() -> None:
    for n, width in ((5, np.int8), (300, np.int16), (40_000, np.int32)):
        labels = [f"l{i:05d}" for i in range(n)]
        codes = np.arange(n)[::-1].copy()
        got = from_labels(labels, codes)
        assert got.cat.codes.dtype == width
        assert got.tolist() == labels[::-1]


@pytest.mark.parametrize("rare_at", [None, 1, 50_001, 99_999])
def test_a_label_only_one_row_has_is_a_category_on_a_large_block(rare_at) -> None:
    # 100,000 rows of three common values; value 3 ("rare") is on one row off the evenly
    # spaced rows looked at first, or on none; value 4 ("unused") is never used
    rng = np.random.default_rng(7)
    codes = rng.integers(-1, 3, 100_000).astype(np.int32)  # -1: a null
    if rare_at is not None:
        codes[rare_at] = 3
    labels = ["b", "a", "c", "rare", "unused"]
    got = from_labels(labels, codes)
    want = [None if c < 0 else labels[c] for c in codes.tolist()]
    assert [None if pd.isna(v) else v for v in got] == want
    expect = sorted({labels[c] for c in set(codes.tolist()) if c >= 0})
    assert got.cat.categories.tolist() == expect
    assert ("rare" in expect) == (rare_at is not None) and "unused" not in expect


def _write(path: Path, premises: list[str]) -> Path:
    n = len(premises)
    lines = ["id,date,offense,lat,lon,premise"]
    offenses = ["THEFT", "Theft ", "Кража", "battery"]
    for i, p in enumerate(premises):
        lat, lon = 41.80 + (i % 97) * 1e-3, -87.70 + (i % 89) * 1e-3
        lines.append(
            f"{i},2021-0{1 + i % 9}-1{i % 10} 1{i % 10}:30,{offenses[i % 4]},{lat},{lon},{p}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert n == len(lines) - 1
    return path


def test_blocks_with_their_own_categories_join_and_store_as_one(tmp_path: Path) -> None:
    # the first block has 3 premises, a later one 300 (codes of another width)
    premises = ["street", "bar", ""] * 400 + [f"place {i}" for i in range(300)] * 2
    src = _write(tmp_path / "calls.csv", premises)
    whole = read_incidents(src).accepted
    blocks = read_in_blocks(src, block_bytes=8 << 10)
    assert blocks.rows == len(premises)
    pd.testing.assert_frame_equal(blocks.accepted, whole)
    assert isinstance(whole[S.PREMISE].dtype, pd.CategoricalDtype)
    assert whole[S.PREMISE].isna().sum() == 400
    # the same labels as text would give
    text = pd.Series(premises, dtype="str").str.strip().replace("", None)
    assert whole[S.PREMISE].astype(object).where(whole[S.PREMISE].notna(), None).tolist() == [
        None if pd.isna(v) else v for v in text
    ]
    assert (
        whole[S.OFFENSE].tolist() == normalise_offense(whole[S.OFFENSE_RAW].astype("str")).tolist()
    )
    assert set(whole[S.OFFENSE].cat.categories) == {"theft", "battery"}

    out = tmp_path / "calls.parquet"
    report = ingest_to_parquet(src, out, block_bytes=8 << 10)
    assert report["accepted"] == len(whole)
    stored = read_incidents(out).accepted
    pd.testing.assert_frame_equal(stored, whole)


@pytest.mark.parametrize("text", [True, False])
def test_compact_gives_the_contract_dtypes(text: bool) -> None:
    frame = pd.DataFrame(
        {
            S.OFFENSE: ["theft", "fight", "theft"],
            S.PREMISE: ["bar", None, " bar"],
            S.YEAR: [2020.0, np.nan, 2021.0],
            S.HOUR: pd.array([1, 2, 23], dtype="int64"),
        }
    )
    if not text:  # categories in the order a Parquet file might give them
        frame[S.OFFENSE] = pd.Categorical(frame[S.OFFENSE], categories=["theft", "fight"])
    got = compact(frame)
    assert got[S.OFFENSE].cat.categories.tolist() == ["fight", "theft"]
    assert got[S.OFFENSE].tolist() == ["theft", "fight", "theft"]
    assert got[S.PREMISE].isna().tolist() == [False, True, False]
    assert str(got[S.YEAR].dtype) == "Int16" and got[S.YEAR].isna().tolist() == [False, True, False]
    assert str(got[S.HOUR].dtype) == "Int8" and got[S.HOUR].tolist() == [1, 2, 23]


@pytest.mark.parametrize("n_labels", [5, 300])
def test_union_equals_pandas_union_categoricals(n_labels: int) -> None:
    """The blocks' categoricals joined: same values, same sorted categories and the same
    code width as pandas' ``union_categoricals(sort_categories=True)``."""
    from pandas.api.types import union_categoricals

    from hotspots.ingest.categories import missing, union

    rng = np.random.default_rng(7)
    labels = [f"лейбл {i:03d}" if i % 2 else f"label {i:03d}" for i in range(n_labels)]
    parts = []
    for size in (50, 0, 400, 1):
        values = rng.choice([*labels[: n_labels // 2 + size % 7], None], size)
        own = pd.Index(sorted({v for v in values if v is not None}), dtype="str")
        parts.append(pd.Categorical(values, categories=own))  # its own categories, <NA> too
    parts.append(missing(20).array)  # a block with no offense at all
    every = pd.Index(sorted(set().union(*(p.categories.tolist() for p in parts))), dtype="str")
    parts.append(pd.Categorical(rng.choice(every.tolist(), 30), categories=every))  # all labels
    want = union_categoricals(parts, sort_categories=True)
    got = union(parts)
    assert list(got.categories) == list(want.categories) == sorted(want.categories)
    assert got.codes.dtype == want.codes.dtype
    pd.testing.assert_series_equal(pd.Series(got), pd.Series(want))
    assert int(pd.isna(got).sum()) == int(pd.isna(want).sum()) > 20


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1251"])
def test_a_tab_separated_export_reads_the_same_in_blocks(tmp_path: Path, encoding) -> None:
    # Excel's "Unicode text" is UTF-16 with tabs; the second block is parsed beside the
    # first, with the separator the first would sniff
    lines = ["id\tдата\tlat\tlon\tвид"]
    lines += [
        f"{i}\t2021-0{1 + i % 9}-1{i % 10} 1{i % 10}:30\t{41.8 + (i % 97) * 1e-3:.4f}\t"
        f"{-87.7 + (i % 89) * 1e-3:.4f}\t{'кража' if i % 3 else 'драка, ночь'}"
        for i in range(3000)
    ]
    src = tmp_path / "calls.txt"
    src.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    whole = read_incidents(src)
    blocks = read_in_blocks(src, block_bytes=16 << 10)
    assert whole.n_accepted == blocks.n_accepted == 3000 and blocks.sep == "\t"
    assert blocks.encoding == whole.encoding == encoding
    pd.testing.assert_frame_equal(blocks.accepted, whole.accepted)


def test_a_broken_utf16_file_in_blocks_is_one_line_error(tmp_path: Path) -> None:
    text = "id\tlat\tlon\n" + "".join(f"{i}\t41.8\t-87.7\n" for i in range(3000))
    src = tmp_path / "calls.txt"
    src.write_bytes(text.encode("utf-16")[:-1])  # half a character at the end
    with pytest.raises(InputError) as exc:
        read_in_blocks(src, block_bytes=16 << 10)
    assert "UTF-16" in str(exc.value) and "\n" not in str(exc.value)
