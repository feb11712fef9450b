"""Reading in blocks gives the same result as reading whole (issue: files larger than memory).

The reference is :func:`hotspots.io.read_incidents` of the whole file; the batched reader is
forced into many tiny blocks so that quoted multi-line values, duplicates and rejects fall
on block edges.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspots.ingest.batches import ingest_to_parquet
from hotspots.io import read_incidents


def _file(tmp_path: Path, n: int = 400, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    lines = ["id,date,offense,lat,lon,note"]
    for i in range(n):
        ident = i if i % 97 else max(i - 50, 0)  # a duplicate id every 97 rows, far back
        lat = f"{43.3 + rng.random() * 0.05:.6f}" if i % 53 else ""  # a missing coordinate
        note = '"line one\nline two, with a comma"' if i % 7 == 0 else "plain"
        if i % 61 == 0:
            note = '"a stray quote'  # swallows nothing: rejected as malformed_row
        day = f"2020-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:15"
        lines.append(f"{ident},{day},Кража,{lat},{68.2 + rng.random() * 0.05:.6f},{note}")
    p = tmp_path / "calls.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("block", [300, 1024, 1 << 20])
def test_blocks_match_the_whole_read(tmp_path: Path, block: int) -> None:
    src = _file(tmp_path)
    whole = read_incidents(src)
    out = tmp_path / "calls.parquet"
    report = ingest_to_parquet(src, out, block_bytes=block)
    assert report["rows"] == whole.rows == 400
    assert report["reasons"] == whole.reasons
    assert whole.reasons["duplicate_id"] > 0 and whole.reasons["malformed_row"] > 0
    loaded = read_incidents(out)
    assert loaded.rows == whole.rows and loaded.n_rejected == whole.n_rejected
    cols = ["incident_id", "occurred_at", "lat", "lon", "source_row", "offense_raw"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(loaded.accepted[cols]).reset_index(drop=True),
        pd.DataFrame(whole.accepted[cols]).reset_index(drop=True),
        check_dtype=False,
    )
    rej = loaded.rejected.sort_values("source_row")
    assert rej["source_row"].tolist() == whole.rejected["source_row"].tolist()
    assert rej["reason"].tolist() == whole.rejected["reason"].tolist()


@pytest.mark.parametrize("block", [300, 1024])
def test_a_file_without_ids_numbers_its_rows_across_blocks(tmp_path: Path, block: int) -> None:
    # no id column: each row's id is row-<its row in the whole file>, so rows of later
    # blocks never clash with the first block's (they did: 101,713 of Chicago's 148,636
    # rows rejected as duplicate_id in 2 MB blocks)
    src = tmp_path / "noid.csv"
    rows = ["date,offense,lat,lon"] + [
        f"2020-01-{1 + i % 28:02d} 10:00,theft,{43.3 + i * 1e-5:.6f},68.2" for i in range(300)
    ]
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "noid.parquet"
    report = ingest_to_parquet(src, out, block_bytes=block)
    assert report["rows"] == 300 and report["rejected"] == 0
    assert report["reasons"]["duplicate_id"] == 0
    loaded = read_incidents(out).accepted
    assert loaded["source_row"].tolist() == list(range(1, 301))
    assert loaded["incident_id"].tolist() == [f"row-{i}" for i in range(1, 301)]


@pytest.mark.parametrize("block", [300, 1024])
def test_read_incidents_of_a_large_file_reads_it_in_blocks_with_the_same_result(
    tmp_path: Path, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # above BLOCK_READ_BYTES read_incidents validates block by block (time and memory in
    # proportion to the rows); the result must be the whole read's, row for row
    import hotspots.io as hio

    src = _file(tmp_path, n=600)
    whole = read_incidents(src)
    monkeypatch.setattr(hio, "BLOCK_READ_BYTES", 0)
    monkeypatch.setattr(hio, "BLOCK_READ_BLOCK", block)
    parts = read_incidents(src)
    assert parts.report() == {**whole.report(), "detection": parts.detection}
    assert parts.detection == whole.detection
    pd.testing.assert_frame_equal(parts.accepted, whole.accepted)
    pd.testing.assert_frame_equal(parts.rejected, whole.rejected, check_dtype=False)


def test_the_first_block_falls_back_to_the_next_time_mapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a `date` column of m/d/Y and a `time` column that already holds whole timestamps. The
    # detector is made to offer "date + time of day" first: it rejects every row, so the
    # reader must take the next mapping, in blocks as in one piece
    from dataclasses import replace

    import hotspots.io as hio
    from hotspots.ingest import batches
    from hotspots.ingest.detect import detect as real_detect

    def wrong_first(*args, **kwargs):
        det = real_detect(*args, **kwargs)
        bad = replace(det.columns, time="date+time")
        alts = [(bad, "date + time of day"), (det.columns, "time, full timestamps")]
        return replace(det, columns=bad, time_alternatives=alts)

    lines = ["id,date,time,lat,lon"]
    for i in range(300):
        lines.append(
            f"{i},{1 + i % 12}/{1 + i % 28}/2021,2021-{1 + i % 12:02d}-{1 + i % 28:02d} "
            f"{i % 24:02d}:30,43.{300 + i},68.{200 + i}"
        )
    src = tmp_path / "two_times.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(hio, "detect", wrong_first)
    monkeypatch.setattr(batches, "detect", wrong_first)
    whole = read_incidents(src)
    monkeypatch.setattr(hio, "BLOCK_READ_BYTES", 0)
    parts = read_incidents(src)
    for got in (whole, parts):
        assert got.n_accepted == 300 and got.columns.time == "time"
        assert "rejected more than half" in got.detection["time"]
        assert (got.accepted["hour"] == np.arange(300) % 24).all()


@pytest.mark.parametrize("block", [300, 1024])
def test_mapped_and_streamed_blocks_hold_the_same_records(tmp_path: Path, block: int) -> None:
    """A file on disk is cut from a memory map, a compressed one from its stream: both give
    every byte of the body once, in order, each block whole records after the header, and
    the same rows when validated (the .gz goes through the stream)."""
    import gzip
    import io
    import mmap

    from hotspots.ingest.batches import _blocks, _mapped_blocks
    from hotspots.ingest.records import find_records

    src = _file(tmp_path)
    data = src.read_bytes()
    header = data[: data.index(b"\n") + 1]
    with open(src, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        mapped = []
        for b, n, (_, lo, hi) in _mapped_blocks(mm, block, lambda h: ","):
            assert mm[lo:hi] == b[len(header) :]  # where the block's data lines are in the map
            mapped.append((bytes(b), n))
    streamed = list(_blocks(io.BytesIO(data), block, lambda h: ","))
    for blocks in (mapped, streamed):
        assert all(b.startswith(header) for b, _ in blocks)
        assert b"".join(b[len(header) :] for b, _ in blocks) == data[len(header) :]
        # no block ends inside a quoted value: its records are the file's own
        assert sum(len(find_records(b, ",")) for b, _ in blocks) == 400
    gz = tmp_path / "calls.csv.gz"
    gz.write_bytes(gzip.compress(data))
    whole = read_incidents(src)
    for path in (src, gz):
        out = tmp_path / f"{path.name}.parquet"
        report = ingest_to_parquet(path, out, block_bytes=block)
        assert report["rows"] == 400 and report["reasons"] == whole.reasons


def _frames(sizes: list[int], seed: int = 1) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    out, at = [], 0
    for n in sizes:
        out.append(
            pd.DataFrame(
                {
                    "lat": rng.random(n),
                    "when": pd.to_datetime(rng.integers(0, 10**9, n), unit="s"),
                    "id": pd.Series([f"c{at + i}" for i in range(n)], dtype="str"),
                    "hour": pd.array(  # a nullable part, <NA> in about a fifth
                        [
                            None if r < 0.2 else int(h)
                            for r, h in zip(rng.random(n), rng.integers(0, 24, n), strict=True)
                        ],
                        dtype="Int8",
                    ),
                    "row": np.arange(at, at + n, dtype=np.int64),
                }
            )
        )
        at += n
    return out


@pytest.mark.parametrize("text_bytes", [0, 10, 1_000, 3_150, 10**9])
def test_gathered_blocks_equal_their_concatenation_whatever_the_size_guess(text_bytes) -> None:
    """Rows per byte guessed from the first block: too few rows (the arrays grow), far too
    many (the pages past the end are never used), or no size known."""
    from hotspots.ingest.batches import Totals, _Gathered

    frames = _frames([5, 0, 7, 300, 3])
    want = pd.concat(frames, ignore_index=True)
    gathered, totals = _Gathered(), Totals(text_bytes=text_bytes)
    for f in frames:
        totals.bytes_read += 10 * len(f)  # 10 bytes a row
        gathered.add(f.copy(), totals)
    pd.testing.assert_frame_equal(gathered.frame(), want)


@pytest.mark.parametrize("unlike", [{"lat": "float32"}, {"hour": "Int16"}])
def test_a_block_unlike_the_first_is_joined_as_frames(unlike: dict) -> None:
    from hotspots.ingest.batches import Totals, _Gathered

    frames = _frames([4, 6, 5])
    frames[2] = frames[2].astype(unlike)  # a dense or nullable column of another type
    gathered, totals = _Gathered(), Totals(text_bytes=150)
    for f in frames:
        totals.bytes_read += 10 * len(f)
        gathered.add(f.copy(), totals)
    got = gathered.frame()
    want = pd.concat(frames, ignore_index=True)
    pd.testing.assert_frame_equal(got, want)


def test_gathered_arrays_are_sized_from_the_first_blocks_rows_per_byte() -> None:
    """A file of 3,150 bytes whose first block is 50 bytes of 5 rows holds about 315 rows:
    the arrays take that (and 5 % spare) at once, with no growing copy."""
    from hotspots.ingest.batches import Totals, _Gathered

    first = _frames([5])[0]
    gathered = _Gathered()
    gathered.add(first, Totals(text_bytes=3_150, bytes_read=50))
    assert {len(a) for a in gathered.dense.values()} == {int(315 * 1.05)}


def test_block_size_is_a_tenth_of_the_file_within_bounds(tmp_path: Path) -> None:
    """Files up to 16 MB are read whole; above, in blocks of a tenth of the text, 4-32 MB
    (a compressed file counts as four times its size)."""
    import hotspots.io as hio

    mb = 1 << 20
    assert hio._block_bytes(20 * mb) == 4 * mb  # a tenth would be 2 MB: the floor
    assert hio._block_bytes(70 * mb) == 7 * mb  # a million calls: ten blocks
    assert hio._block_bytes(700 * mb) == 32 * mb  # ten million: the ceiling

    def sized(name: str, size: int) -> Path:
        p = tmp_path / name
        with open(p, "wb") as f:
            f.truncate(size)  # sparse: no bytes written
        return p

    no_limits = {"member": None, "max_bytes": None, "max_columns": None}
    assert hio._in_blocks(sized("small.csv", 16 * mb), no_limits) == 0
    assert hio._in_blocks(sized("mid.csv", 70 * mb), no_limits) == 7 * mb
    assert hio._in_blocks(sized("packed.csv.gz", 10 * mb), no_limits) == 4 * mb
    assert hio._in_blocks(sized("sheet.xlsx", 70 * mb), no_limits) == 0
    assert hio._in_blocks(sized("capped.csv", 70 * mb), {**no_limits, "max_bytes": 1}) == 0


@pytest.mark.parametrize("first_min", [100, 700])
def test_a_first_block_shorter_than_the_rest_gives_the_whole_reads_result(
    tmp_path: Path, first_min: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the first block (detection, the time mapping, the size guess of the gathered arrays)
    # is a quarter of the others or FIRST_BLOCK_MIN; the rows must not notice
    import hotspots.io as hio
    from hotspots.ingest import batches

    # no quoted values: every block is cut at the last line break before its size (a quoted
    # value open at the cut makes a block read on)
    lines = ["id,date,offense,lat,lon"] + [
        f"{i if i % 97 else i - 50},2020-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:15,"
        f"theft,{43.3 + i * 1e-5:.6f},{68.2 if i % 53 else ''}"
        for i in range(600)
    ]
    src = tmp_path / "plain.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = read_incidents(src)
    assert whole.reasons["duplicate_id"] > 0 and whole.reasons["missing_coordinates"] > 0
    monkeypatch.setattr(batches, "FIRST_BLOCK_MIN", first_min)
    assert batches._first_block(2048) == max(first_min, 512)
    firsts = []
    real = batches._refill

    def spy(buf, header, body):
        firsts.append(len(body))
        return real(buf, header, body)

    monkeypatch.setattr(batches, "_refill", spy)
    monkeypatch.setattr(hio, "BLOCK_READ_BYTES", 0)
    monkeypatch.setattr(hio, "BLOCK_READ_BLOCK", 2048)
    parts = read_incidents(src)
    assert firsts[0] <= max(first_min, 512) < min(firsts[1:-1])  # cut at a line break
    assert parts.detection == whole.detection
    pd.testing.assert_frame_equal(parts.accepted, whole.accepted)
    pd.testing.assert_frame_equal(parts.rejected, whole.rejected, check_dtype=False)


def test_reading_pool_is_jemalloc_inside_and_the_callers_after(monkeypatch) -> None:
    import pyarrow as pa

    from hotspots.ingest import memory

    before = pa.default_memory_pool().backend_name
    with memory.reading_pool():
        inside = pa.default_memory_pool().backend_name
        buf = pa.array(["x" * 100] * 1000).buffers()[2]  # allocated from the pool inside
    assert pa.default_memory_pool().backend_name == before
    del buf  # freed to the pool it came from, whatever the default is now
    if memory._jemalloc() is None:
        assert inside == before
    else:
        assert inside == "jemalloc"
    # a build without jemalloc (Windows wheels): the default is left alone
    monkeypatch.setattr(memory, "_jemalloc", lambda: None)
    with memory.reading_pool():
        assert pa.default_memory_pool().backend_name == before


@pytest.mark.parametrize("spread", [False, True])
def test_stages_on_one_thread_each_or_spread_give_the_whole_read(
    tmp_path: Path, monkeypatch, spread: bool
) -> None:
    """Two cores: the parse and the checks of a block each on one thread; more cores: each
    spread over several. Either way the blocks give the whole read's accepted and rejected
    rows (the reference: the file read whole, which never uses the block pipeline)."""
    import threading

    from hotspots.ingest import batches, workers
    from hotspots.ingest.batches import read_in_blocks

    src = _file(tmp_path, n=600)
    whole = read_incidents(src)
    monkeypatch.setattr(batches, "spread_stages", lambda: spread)
    checked_on: set[str] = set()
    real = workers.InlineExecutor.submit

    def submit(self, fn, /, *args, **kwargs):
        checked_on.add(threading.current_thread().name)
        return real(self, fn, *args, **kwargs)

    monkeypatch.setattr(workers.InlineExecutor, "submit", submit)
    got = read_in_blocks(src, block_bytes=2048)
    # inline checks run on the validating (calling) thread, and only when not spread
    assert checked_on == (set() if spread else {threading.current_thread().name})
    assert got.rows == whole.rows and got.reasons == whole.reasons
    pd.testing.assert_frame_equal(got.accepted, whole.accepted, check_categorical=False)
    pd.testing.assert_frame_equal(
        got.rejected.reset_index(drop=True), whole.rejected.reset_index(drop=True)
    )


def test_inline_executor_runs_at_once_on_the_callers_thread_and_keeps_errors() -> None:
    import threading

    from hotspots.ingest.workers import InlineExecutor, spread_stages

    ex = InlineExecutor()
    order: list[str] = []
    f = ex.submit(lambda x: order.append(threading.current_thread().name) or x * 2, 21)
    assert order == [threading.current_thread().name]  # ran before submit returned
    assert f.done() and f.result() == 42
    bad = ex.submit(int, "not a number")
    with pytest.raises(ValueError, match="not a number"):
        bad.result()
    assert [spread_stages(n) for n in (1, 2, 3, 8)] == [False, False, True, True]


def test_the_last_block_of_a_mapped_file_is_a_quarter_block(tmp_path: Path, monkeypatch) -> None:
    """Blocks of 40 KB over a 190 KB file: a first and a last block of a quarter (10 KB),
    whole records each, the blocks' bodies the file's body in order."""
    import mmap

    from hotspots.ingest import batches

    lines = ["id,lat,lon"] + [f"{i},{43 + i / 1e6:.6f},{68:.6f}" for i in range(8_000)]
    src = tmp_path / "calls.csv"
    src.write_bytes(("\n".join(lines) + "\n").encode())
    block, quarter = 40_000, 10_000
    monkeypatch.setattr(batches, "_first_block", lambda b: b // 4)  # no 2 MB minimum
    with open(src, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        blocks = batches._mapped_blocks(mm, block, lambda h: ",")
        got = [(bytes(buf), size) for buf, size, _ in blocks]
    header = (lines[0] + "\n").encode()
    bodies = [b[len(header) :] for b, _ in got]
    assert all(b.startswith(header) for b, _ in got)
    assert b"".join(bodies) == src.read_bytes()[len(header) :]
    assert all(body.endswith(b"\n") for body in bodies)
    sizes = [size for _, size in got]
    assert quarter - 30 < sizes[0] <= quarter and quarter - 30 < sizes[-1] <= quarter + 30
    assert all(s <= block for s in sizes)
    assert len(got) == 1 + -(-(src.stat().st_size - quarter * 2) // block) + 1


def _one_line_records(tmp_path: Path, n: int = 600, final_break: bool = True) -> Path:
    """One record a line (the quick way), with unused columns of every kind: quoted with a
    comma, empty, named like the rejects' own columns; rejected rows in every block."""
    rng = np.random.default_rng(5)
    lines = ["reason,id,address,date,offense,lat,lon,note,source_row"]
    for i in range(n):
        ident = i if i % 89 else max(i - 40, 0)  # duplicate ids, far back
        lat = f"{43.3 + rng.random() * 0.05:.6f}" if i % 31 else "north"  # unparseable
        lon = f"{68.2 + rng.random() * 0.05:.6f}" if i % 43 else ""  # missing
        addr = f'"{i} Main St, apt {i % 9}"' if i % 3 else ""
        day = f"2020-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:15"
        lines.append(f"r{i % 5},{ident},{addr},{day},Кража,{lat},{lon},n{i},{i * 7}")
    p = tmp_path / "calls.csv"
    p.write_text("\n".join(lines) + ("\n" if final_break else ""), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("final_break", "packed", "encoding"),
    [
        (True, False, "utf-8"),
        (False, False, "utf-8"),
        (True, True, "utf-8"),
        (True, False, "cp1251"),
    ],
)
def test_blocks_read_for_the_mapped_columns_keep_every_field_of_a_rejected_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, final_break: bool, packed: bool, encoding: str
) -> None:
    # after the first blocks only the mapped columns are parsed; a rejected row's other
    # fields are read back (from the file's memory map, or a gzip file's own block bytes),
    # and must be what the whole read gives
    import gzip

    from hotspots.ingest import skipped
    from hotspots.ingest.batches import read_in_blocks

    src = _one_line_records(tmp_path, final_break=final_break)
    if encoding != "utf-8":  # converted block by block: rows read back from the converted text
        src.write_bytes(src.read_text(encoding="utf-8").encode(encoding))
    if packed:
        gz = tmp_path / "calls.csv.gz"
        gz.write_bytes(gzip.compress(src.read_bytes()))
        src = gz
    whole = read_incidents(src)
    read_back = []
    rows = skipped.SkippedColumns.rows
    monkeypatch.setattr(
        skipped.SkippedColumns, "rows", lambda self, r: read_back.append(r.sum()) or rows(self, r)
    )
    blocks = read_in_blocks(src, block_bytes=2048)
    assert len(read_back) >= 5 and sum(read_back) > 20  # the path under test was taken
    assert blocks.rows == whole.rows == 600 and blocks.reasons == whole.reasons
    assert {"duplicate_id", "unparseable_coordinates", "missing_coordinates"} <= {
        r for r, k in whole.reasons.items() if k
    }
    got = blocks.rejected.reset_index(drop=True)
    want = whole.rejected.reset_index(drop=True)
    assert list(got.columns) == list(want.columns)  # raw_reason, raw_source_row, address ...
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    pd.testing.assert_frame_equal(
        pd.DataFrame(blocks.accepted).reset_index(drop=True),
        pd.DataFrame(whole.accepted).reset_index(drop=True),
        check_dtype=False,
        check_categorical=False,
    )


def test_line_spans_and_gather_give_the_lines_asked_for() -> None:
    from hotspots.ingest.skipped import gather, line_spans

    data = b"h1,h2\na,1\nbb,22\n\nccc,333"  # an empty line, and no final break
    buf = np.frombuffer(data, dtype=np.uint8)
    body = data.index(b"\n") + 1
    lines = data[body:].split(b"\n")
    for idx in ([0], [3], [0, 2, 3], [1, 2]):
        starts, ends = line_spans(buf, body, np.array(idx))
        want = b"".join(lines[i] + b"\n" for i in idx)
        assert gather(buf, starts, ends) == want


def test_a_block_with_few_unused_columns_is_parsed_whole() -> None:
    # reading rejected rows back costs about four columns' parse: fewer are not left out
    from hotspots.ingest.csvtable import read_text_table
    from hotspots.ingest.skipped import MIN_SKIPPED

    names = [f"c{i}" for i in range(2 + MIN_SKIPPED)]
    data = (",".join(names) + "\n" + ",".join(["1"] * len(names)) + "\n").encode()
    kw = {"concurrent": False, "threads": False, "quick": True}
    few = read_text_table(data, "t.csv", columns=set(names[:3]), **kw)
    assert few.skipped is None and few.table.column_names == names
    many = read_text_table(data, "t.csv", columns=set(names[:2]), **kw)
    assert many.skipped is not None and many.table.column_names == names[:2]


def test_after_a_clean_block_even_one_unused_column_is_left_out_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a block after one without rejects is parsed without its single unused column; a
    # rejected row further on still keeps that column's field
    from hotspots.ingest import skipped
    from hotspots.ingest.batches import read_in_blocks

    lines = ["id,date,offense,lat,lon,address"]
    for i in range(500):
        lat = "north" if i in (400, 431) else f"{43.3 + (i % 50) * 0.001:.6f}"
        lines.append(f'{i},2020-01-{1 + i % 28:02d} 10:15,Кража,{lat},68.25,"{i} Main St, 2"')
    src = tmp_path / "calls.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read_back = []
    rows = skipped.SkippedColumns.rows
    monkeypatch.setattr(
        skipped.SkippedColumns, "rows", lambda self, r: read_back.append(r.sum()) or rows(self, r)
    )
    whole = read_incidents(src)
    blocks = read_in_blocks(src, block_bytes=2048)
    assert sum(read_back) == 2 and whole.reasons["unparseable_coordinates"] == 2
    pd.testing.assert_frame_equal(
        blocks.rejected.reset_index(drop=True), whole.rejected.reset_index(drop=True)
    )
    assert blocks.rejected["address"].tolist() == ["400 Main St, 2", "431 Main St, 2"]


def test_tail_start_finds_the_last_lines_as_a_backward_search_does() -> None:
    from hotspots.ingest.batches import _tail_start

    def backward(data: bytes, lo: int, hi: int, lines: int) -> int:
        pos = hi - 1
        for _ in range(lines):
            pos = data.rfind(b"\n", lo, pos)
            if pos < 0:
                return lo
        return pos + 1

    rng = np.random.default_rng(0)
    for _ in range(200):  # short and long lines, windows that must grow, too few lines
        lens = rng.integers(0, int(rng.choice([3, 50, 400, 70_000])), int(rng.integers(1, 900)))
        data = b"".join(b"x" * int(k) + b"\n" for k in lens)
        lo = data.rfind(b"\n", 0, int(rng.integers(0, len(data) // 3 + 1))) + 1
        lines = int(rng.integers(1, 700))
        assert _tail_start(data, lo, len(data), lines) == backward(data, lo, len(data), lines)


@pytest.mark.parametrize(
    ("tail", "even"),
    [
        (b'1,"a, b",c\n2,x,"y"\n', True),
        (b'1,"a\n b",c\n', False),  # a quoted value across a line break
        (b'1,"say ""hi""",c\n', True),  # escaped quotes count twice
        (b"1,a,b\n", True),
    ],
)
def test_quotes_even_says_whether_no_quoted_value_crosses_a_line(tail: bytes, even: bool) -> None:
    from hotspots.ingest.batches import _quotes_even

    assert _quotes_even(tail, 0, len(tail)) is even


def test_rows_read_back_from_a_file_that_changed_meanwhile_are_a_clear_input_error() -> None:
    # the block was read as one record a line; the bytes now hold a quoted line break, so
    # the two lines asked for read back as one row: a one-line message, not a wrong row
    from hotspots.errors import InputError
    from hotspots.ingest.csvtable import read_text_table

    data = b"id,lat,a,b,c,d\n1,41.1,x,y,z,w\n2,41.2,x,y,z,w\n"
    tt = read_text_table(
        data, "t.csv", concurrent=False, threads=False, quick=True, columns={"id", "lat"}
    )
    assert tt.skipped is not None
    assert tt.skipped.rows(np.array([True, True])).shape == (2, 6)
    changed = replace(tt.skipped, data=b'id,lat,a,b,c,d\n1,41.1,"x,y,z,w\n2,41.2,x",y,z,w\n')
    with pytest.raises(InputError, match="changed while it was being read"):
        changed.rows(np.array([True, True]))
