"""The record finder's one-scan path (line breaks and quotes found together) against the
scan for each (hotspots.ingest.records)."""

from __future__ import annotations

import numpy as np
import pytest

from hotspots.ingest import records as R


def _text(seed: int, n: int = 3_000) -> bytes:
    """Lines with quoted fields, doubled quotes, a literal quote (12" TV), multi-line values,
    stray opening quotes, empty and blank lines; the last line without a break."""
    rng = np.random.default_rng(seed)
    pieces = ["id,note,lat"]
    kinds = [
        "{i},plain,43.1",
        '{i},"quoted, with comma",43.2',
        '{i},"say ""hi""",43.3',
        '{i},12" TV,43.4',
        '{i},"two\nlines",43.5',
        '{i},"stray,43.6',
        "",
        "   ",
    ]
    for i in range(n):
        pieces.append(kinds[rng.integers(0, len(kinds))].format(i=i))
    return "\n".join(pieces).encode()


@pytest.mark.parametrize("chunk", [R._CHUNK, 4_096])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_scan_gives_the_lines_and_odd_quotes_of_a_scan_each(monkeypatch, seed, chunk) -> None:
    monkeypatch.setattr(R, "_CHUNK", chunk)  # small: lines and quotes cut across chunks
    data = _text(seed)
    buf = np.frombuffer(data, dtype=np.uint8)
    starts, ends, newlines = R.line_spans(data)
    got = R._spans_and_odd_quotes(buf)
    np.testing.assert_array_equal(got[0], starts)
    np.testing.assert_array_equal(got[1], ends)
    assert got[2] == newlines == data.count(b"\n")
    np.testing.assert_array_equal(got[3], R._odd_quotes(buf, starts, ends))
    # and by hand: a line's quotes counted in Python
    odd = [line.count(b'"') % 2 == 1 for line in data.split(b"\n")]
    np.testing.assert_array_equal(got[3], odd)


@pytest.mark.parametrize("seed", [0, 1])
def test_records_are_the_same_whichever_way_quotes_are_counted(monkeypatch, seed) -> None:
    data = _text(seed)
    assert R._few_quotes(np.frombuffer(data, dtype=np.uint8))
    fast = R.find_records(data, ",")
    monkeypatch.setattr(R, "_few_quotes", lambda buf: False)
    slow = R.find_records(data, ",")
    for name in ("starts", "ends", "lines", "swallowing"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    assert (fast.multiline, fast.blank_spans, fast.newlines) == (
        slow.multiline,
        slow.blank_spans,
        slow.newlines,
    )
    assert fast.multiline and fast.swallowing.any()  # the cases are there


def test_many_quotes_take_the_scan_for_each() -> None:
    every_field = b"\n".join(b'"%d","x","43.1"' % i for i in range(200))
    assert not R._few_quotes(np.frombuffer(every_field, dtype=np.uint8))
