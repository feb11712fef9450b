"""The parse made beside the record finder (``csvtable.SPECULATE_BYTES``) is kept only when
it is what the record-guided parse would give.

Large files are parsed by Arrow on the assumption that every line is a record while the
records are found from the bytes on a second thread; stray quotes, quoted line breaks and
whitespace lines break the assumption and must send the file down the ordinary path. Every
damaged file of :mod:`mutations` (over 500, each kind of damage) is read both ways and must
give the same text table, row for row.
"""

from __future__ import annotations

import numpy as np
import pytest
from mutations import generate

from hotspots.ingest import csvtable
from hotspots.ingest.csvtable import read_text_table

CASES = generate()


def _both(data: bytes, monkeypatch):
    monkeypatch.setattr(csvtable, "SPECULATE_BYTES", 1 << 62)
    plain = read_text_table(data, "calls.csv")
    monkeypatch.setattr(csvtable, "SPECULATE_BYTES", 0)
    early = read_text_table(data, "calls.csv")
    return plain, early


def _same(a, b) -> None:
    assert a.headers == b.headers
    assert a.table.column_names == b.table.column_names
    for name in a.table.column_names:
        assert a.table.column(name).to_pylist() == b.table.column(name).to_pylist(), name
    np.testing.assert_array_equal(a.malformed, b.malformed)
    np.testing.assert_array_equal(a.bad_encoding, b.bad_encoding)
    np.testing.assert_array_equal(a.lines, b.lines)


def test_every_damaged_file_reads_the_same_both_ways(monkeypatch) -> None:
    for case in CASES:
        try:
            plain, early = _both(case.data, monkeypatch)
        except Exception as exc:  # both ways must refuse alike
            monkeypatch.setattr(csvtable, "SPECULATE_BYTES", 0)
            with pytest.raises(type(exc)):
                read_text_table(case.data, "calls.csv")
            continue
        _same(plain, early)


@pytest.mark.parametrize(
    ("body", "records"),
    [
        # a quoted value over two lines: one record, not two
        (
            b'1,"12 Main St\nback door",x\n2,b,y\n',
            [["1", "12 Main St\nback door", "x"], ["2", "b", "y"]],
        ),
        # a stray quote that would swallow the lines below it: a record of its own (its
        # quote runs to the end of its line, as Python's csv reads it)
        (b'1,"oops,x\n2,b,y\n3,c,z\n', [["1", "oops,x", ""], ["2", "b", "y"], ["3", "c", "z"]]),
        # a line of spaces between records (not a record, and Arrow must not see it)
        (b"1,a,x\n   \n2,b,y\n", [["1", "a", "x"], ["2", "b", "y"]]),
        # an empty line and a lone \r line break
        (b"1,a,x\n\n2,b,y\r3,c,z\n", [["1", "a", "x"], ["2", "b", "y"], ["3", "c", "z"]]),
    ],
)
def test_the_ordinary_path_is_taken_when_a_line_is_not_a_record(body, records, monkeypatch):
    plain, early = _both(b"id,addr,kind\n" + body, monkeypatch)
    _same(plain, early)
    got = [list(r.values())[:3] for r in early.table.to_pylist()]
    assert got == records


def test_a_large_plain_file_is_parsed_beside_the_record_finder(monkeypatch) -> None:
    """Above the threshold the early parse is the one kept (it is not parsed twice)."""
    calls = []
    original = csvtable._arrow

    def counting(*args, **kwargs):
        calls.append(kwargs.get("multiline"))
        return original(*args, **kwargs)

    monkeypatch.setattr(csvtable, "_arrow", counting)
    monkeypatch.setattr(csvtable, "SPECULATE_BYTES", 0)
    rows = "".join(f"{i},street {i},k{i % 3}\n" for i in range(5000))
    tt = read_text_table(("id,addr,kind\n" + rows).encode(), "calls.csv")
    assert calls == [False]
    assert tt.table.num_rows == 5000
    assert tt.table.column("addr").to_pylist()[4999] == "street 4999"
    # a quoted line break: the early parse is thrown away and the file parsed again
    calls.clear()
    tt = read_text_table(('id,addr,kind\n1,"a\nb",x\n' + rows).encode(), "calls.csv")
    assert calls == [False, True]
    assert tt.table.num_rows == 5001


def _detections(data: bytes, monkeypatch):
    from hotspots.ingest.detect import detect
    from hotspots.readers import raw_table

    monkeypatch.setattr(csvtable, "SPECULATE_BYTES", 0)
    tt = read_text_table(data, "calls.csv", on_sample=detect)
    early = tt.sampled
    return early, detect(raw_table(tt, "calls.csv").frame)


def test_detection_on_the_records_sample_is_detection_on_the_table(monkeypatch) -> None:
    """The columns found while the parser runs (from the records' bytes) are those found on
    the parsed table, for every damaged file whose bytes are UTF-8 as they are."""
    compared = 0
    for case in CASES:
        try:
            early, late = _detections(case.data, monkeypatch)
        except Exception:
            continue  # refused, or no detection possible: the table path says why
        if early is not None:
            assert early == late, case.name
            compared += 1
    assert compared >= 150  # not vacuous: most UTF-8 cases (193 of 500+) are compared


def test_detection_sample_on_real_files(real_data, monkeypatch) -> None:
    from hotspots.ingest.source import open_source

    files = sorted(real_data.glob("*/*.csv"))
    if not files:
        pytest.skip(f"no CSV files in {real_data}")
    for path in files[:4]:
        data = open_source(path).read()
        early, late = _detections(data, monkeypatch)
        assert early is not None, path.name  # plain UTF-8: found beside the parser
        assert early == late, path.name


@pytest.mark.parametrize("ordered", [True, False])
def test_seen_ids_agree_with_a_set_over_many_blocks(ordered: bool) -> None:
    """The ids of earlier blocks (runs merged past MAX_RUNS, skipped when their range cannot
    hold an id) answer as a plain set does, ids in file order or shuffled."""
    import pandas as pd

    from hotspots.validation import SeenIds

    rng = np.random.default_rng(7)
    ids = np.arange(30_000) if ordered else rng.permutation(30_000)
    ids = np.concatenate([ids, rng.choice(ids, 3_000)])  # repeats, far back and near
    seen, kept = SeenIds(), set()
    for block in np.array_split(ids, 23):
        h = SeenIds.hashes(pd.Series(block.astype(str), dtype="str"))
        got = seen.contains(h)
        assert got.tolist() == [int(b) in kept for b in block]
        new = ~got
        # within a block the validator marks its own repeats; here: keep the first of each
        _, first = np.unique(block[new], return_index=True)
        seen.add(h[new][np.sort(first)])
        kept.update(int(b) for b in block[new])


def test_id_keys_are_the_same_whether_a_block_is_all_numbers_or_not() -> None:
    """A block of whole numbers takes a quicker way to its keys; an id must get the same key
    as in a block where some id is text, or a duplicate across the two would be missed."""
    import re

    import pandas as pd

    from hotspots.validation import _PLAIN_INT, SeenIds, _numbers

    tricky = ["0", "7", "007", "-7", "-0", "42", "10", "99", "100", "999999999999999999"]
    tricky += ["1000000000000000000", "9223372036854775807", "-9223372036854775808"]
    ids = pd.Series(tricky, dtype="str")
    numbers = _numbers(ids)
    assert numbers is not None
    assert numbers.plain.tolist() == [re.fullmatch(_PLAIN_INT, x) is not None for x in tricky]
    mixed = pd.Series([*tricky, "A-17"], dtype="str")
    assert _numbers(mixed) is None
    assert SeenIds.hashes(ids).tolist() == SeenIds.hashes(mixed)[:-1].tolist()
    # and distinct texts get distinct keys ("7", "007", "-7" ...)
    assert len(set(SeenIds.hashes(mixed).tolist())) == len(mixed)


def _step_by_step(data, quick: bool):
    return read_text_table(bytearray(data), "calls.csv", concurrent=False, quick=quick)


def test_every_damaged_file_reads_the_same_with_arrows_rows_as_records() -> None:
    """The block reader takes Arrow's rows as the records when there is one a line
    (``csvtable._lines_as_records``); on every damaged file it gives what the record finder
    gives, or leaves the file to it, and the plain files do go the quick way."""
    taken = 0
    for case in CASES:
        try:
            slow = _step_by_step(case.data, quick=False)
        except Exception as exc:  # both ways must refuse alike
            with pytest.raises(type(exc)):
                _step_by_step(case.data, quick=True)
            continue
        fast = _step_by_step(case.data, quick=True)
        _same(slow, fast)
        assert fast.encoding_counts == slow.encoding_counts
        taken += fast.quick
    assert 0 < taken < len(CASES)


@pytest.mark.parametrize(
    "body",
    [
        b"1\t\t\n\t\t\n2\tb\ty\n",  # a line of tabs: blank to the record finder, a row to Arrow
        b'1,"two\nlines",x\n2,b,y\n',  # a record over two lines
        b'1,"oops,x\n2,b,y\n3,c,z\n',  # a stray quote
        b"1,a,x\n\n2,b,y\n",  # an empty line
        b"1,a,x\n2,b\n",  # a short row
        b'1,a,x\n2,"b,y',  # cut short inside a quote: Arrow's row, the finder's malformed row
    ],
)
def test_a_block_with_a_line_that_is_not_one_record_goes_to_the_record_finder(body) -> None:
    sep = b"\t" if b"\t" in body else b","
    data = sep.join([b"id", b"addr", b"kind"]) + b"\n" + body
    fast = _step_by_step(data, quick=True)
    assert not fast.quick
    _same(_step_by_step(data, quick=False), fast)


def test_a_plain_block_goes_the_quick_way() -> None:
    data = b'id,addr,kind\n1,"12 Main St, apt 2",x\n2,"say ""hi""",y\n3,12" TV,z'
    fast = _step_by_step(data, quick=True)
    assert fast.quick
    _same(_step_by_step(data, quick=False), fast)
    assert fast.table.column("addr").to_pylist() == ["12 Main St, apt 2", 'say "hi"', '12" TV']
