"""Row accounting against physical records on damaged files (issue 10).

Rows were lost silently: two stray quotes merged every line between them into one accepted
row, and one byte that is not UTF-8 made the whole file read as cp1251 (every Cyrillic offense
mojibake). What must hold, whatever the damage:

- ``rows`` is the number of data records counted from the bytes (non-blank physical lines
  after the header; a quoted value over several lines is one record only when the join is
  legitimate: it closes, has the header's field count and swallows no line that looks like a
  record), and ``rows == accepted + rejected``, the source rows a partition of ``1..rows``;
- rows the damage did not touch are accepted with their exact offense text, and no accepted
  offense is mojibake (``Ð``, ``Ã``, ``Â``, U+FFFD);
- a line with a stray quote that would swallow the lines after it is one ``malformed_row``;
  a line that is neither UTF-8 nor Cyrillic in cp1251 is ``bad_encoding``.

The files and their expectations come from :mod:`mutations` (over 500 generated files, each
expectation from the mutation's own bookkeeping, agreed by an independent byte-level record
counter); the named tests are the issue's own examples.
"""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from mutations import (
    BYTE_CLASSES,
    HEADER,
    KINDS,
    READINGS,
    Case,
    count_agreed,
    count_records,
    generate,
    has_cyrillic,
    physical_lines,
)

from hotspots.io import read_incidents
from hotspots.sample import sample_paths
from hotspots.validation import REASONS

CASES = generate()
#: the reasons of the new reader: the existing ones plus one for rows in no known encoding
ALL_REASONS = {*REASONS, "bad_encoding"}
#: what UTF-8 Cyrillic (or any UTF-8 beyond ASCII) read as latin-1 / cp1252 looks like
MOJIBAKE = ("Ð", "Ñ", "Ã", "Â", "\ufffd")


def _problems(result, expected_rows: int, offenses: dict[int, str], reject: dict[int, str]):
    """Everything wrong with ``result`` (an empty list when all holds)."""
    out = []
    acc, rej = result.accepted, result.rejected
    if result.rows != expected_rows:
        out.append(f"rows {result.rows}, expected {expected_rows} records")
    if len(acc) + len(rej) != result.rows:
        out.append(f"accepted {len(acc)} + rejected {len(rej)} != rows {result.rows}")
    rows = np.sort(np.concatenate([acc["source_row"].to_numpy(), rej["source_row"].to_numpy()]))
    if rows.tolist() != list(range(1, result.rows + 1)):
        out.append("source rows are not a partition of 1..rows")
    unknown = set(rej["reason"]) - ALL_REASONS
    if unknown:
        out.append(f"unknown reasons {sorted(unknown)}")
    got = dict(zip(acc["source_row"].tolist(), acc["offense_raw"].tolist(), strict=True))
    reasons = dict(zip(rej["source_row"].tolist(), rej["reason"].tolist(), strict=True))
    wrong = {
        r: (text, got.get(r, reasons.get(r))) for r, text in offenses.items() if got.get(r) != text
    }
    if wrong:
        first = list(wrong.items())[:3]
        out.append(f"{len(wrong)} intact rows not accepted as written, e.g. {first}")
    missed = {
        r: (want, reasons.get(r, "accepted"))
        for r, want in reject.items()
        if reasons.get(r) != want
    }
    if missed:
        out.append(f"rows not rejected as expected (row: (reason, got)): {missed}")
    garbled = [t for t in got.values() if isinstance(t, str) and any(m in t for m in MOJIBAKE)]
    if garbled:
        out.append(f"{len(garbled)} accepted offenses are mojibake, e.g. {garbled[:3]}")
    return out


def _check(result, case: Case) -> None:
    problems = _problems(result, case.expected_rows, case.offenses, case.must_reject)
    assert not problems, f"{case.description}:\n  " + "\n  ".join(problems)


# The generated files -----------------------------------------------------------------------
def test_the_generator_makes_enough_cases_of_every_kind() -> None:
    assert len(CASES) >= 500
    assert len({c.name for c in CASES}) == len(CASES)
    kinds = Counter(
        k.removeprefix("insert_byte_") if k.startswith("insert") else k
        for c in CASES
        for k in c.kinds
    )
    for kind in KINDS:
        if kind != "insert_byte":
            assert kinds[kind] >= 30, (kind, kinds)
    for cls in BYTE_CLASSES:
        assert kinds[cls] >= 5, (cls, kinds)
    # each case is the same on every run, and its records are what the counter finds
    again = generate(n=24)
    assert [(c.name, c.data) for c in again] == [(c.name, c.data) for c in CASES[:24]]
    for case in CASES:
        starts = count_agreed(case.data)
        assert starts is not None and len(starts) == case.expected_rows, case.name
        assert case.must_accept.isdisjoint(case.must_reject)
        assert case.must_accept <= set(range(1, case.expected_rows + 1))


def _counts(data: bytes) -> set[int]:
    """Records counted under every reading of the contract's wording."""
    return {len(count_records(data, toggle=t, looks=lk, refuse=rf)) for t, lk, rf in READINGS}


def test_the_counter_follows_the_contract() -> None:
    assert len(count_records(b"id,lat,lon\n1,2,3\r\n\n  \n4,5\r6,7,8,9\n\t\nx")) == 4
    assert _counts(b'id,a,b\n1,"x\ny",z\n2,"p,q",r\n') == {2}  # a legitimate 2-line value
    # an unclosed quote that would swallow whole records: each line stays a record
    assert _counts(b'id,a,b\n1,"x,y\n2,u,v\n3,w,t"\n') == {3}
    assert _counts(b'id,a,b\n1,"x,y\n2,u,v\n') == {2}  # never closed


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_record_of_a_damaged_file_is_accounted_for(case: Case, tmp_path) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes(case.data)
    _check(read_incidents(path), case)


# The issue's examples ----------------------------------------------------------------------
def _utf8_rows(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """``n`` clean rows (line, offense) with Cyrillic offenses and addresses."""
    offenses = ["Хулиганство", "Кража", "Грабёж", "ДТП", "Мошенничество"]
    out = []
    for i in range(n):
        offense = offenses[i % len(offenses)]
        line = (
            f"{510001 + i},{43.27 + rng.random() * 0.05:.6f},{68.2 + rng.random() * 0.08:.6f},"
            f"2020-0{1 + i % 9}-1{i % 10} 1{i % 10}:05,{offense},ул. Абая {i + 1}"
        )
        out.append((line, offense))
    return out


def _read(tmp_path, data: bytes):
    path = tmp_path / "calls.csv"
    path.write_bytes(data)
    return read_incidents(path)


def test_issue_five_line_file_with_two_stray_quotes(tmp_path) -> None:
    rows = _utf8_rows(random.Random(1), 4)
    lines = [line for line, _ in rows]
    # a quote opening the address of data row 1, a stray one at the end of row 3's address:
    # a quote-unaware count of the quotes merges rows 1-3 into one row of six fields
    lines[0] = lines[0].replace(",ул.", ',"ул.')
    lines[2] = lines[2] + '"'
    data = ("\n".join([",".join(HEADER), *lines]) + "\n").encode()
    expected = sum(1 for ln in data.decode().splitlines()[1:] if ln.strip())
    assert expected == 4 and len(count_agreed(data)) == 4
    result = _read(tmp_path, data)
    problems = _problems(result, 4, {2: rows[1][1], 4: rows[3][1]}, {1: "malformed_row"})
    assert not problems, "\n".join(problems)


def test_issue_sample_with_a_few_stray_quotes(tmp_path) -> None:
    clean_bytes = sample_paths().calls.read_bytes()
    records = count_agreed(clean_bytes)
    assert records is not None
    clean = _read(tmp_path, clean_bytes)
    assert clean.rows == len(records)  # 8,692 records: what the clean read gives today
    lines = physical_lines(clean_bytes)
    assert len(records) == len(lines) - 1  # no blank line: physical line i is data row i
    assert not any(b'"' in line for _, line in lines)  # so a quote added is a stray one
    rng = random.Random(10)
    for _ in range(50):  # draw again when the readings of the contract differ on the joins
        hit = sorted(rng.sample(range(1, len(lines) - 1), 5))  # physical line = data row here
        damaged = bytearray(clean_bytes)
        for i in reversed(hit):  # from the end, so the offsets still hold
            off, line = lines[i]
            starts = [0] + [k + 1 for k, b in enumerate(line) if b == 0x2C]
            damaged.insert(off + rng.choice(starts), 0x22)  # a quote opening a field
        damaged = bytes(damaged)
        if count_agreed(damaged) is not None:
            break
    assert damaged.count(b'"') == 5 and len(count_agreed(damaged)) == clean.rows
    result = _read(tmp_path, damaged)
    # every row the clean read accepted, bar the damaged ones, keeps its offense
    keep = clean.accepted[~clean.accepted["source_row"].isin(hit)]
    offenses = dict(zip(keep["source_row"].tolist(), keep["offense_raw"].tolist(), strict=True))
    problems = _problems(result, clean.rows, offenses, dict.fromkeys(hit, "malformed_row"))
    assert not problems, "\n".join(problems)


def test_issue_one_cp1251_line_in_a_utf8_file(tmp_path) -> None:
    rows = _utf8_rows(random.Random(2), 30)
    body = [line.encode() for line, _ in rows]
    body[11] = rows[11][0].encode("cp1251")  # data row 12 saved by another program
    data = b"\n".join([",".join(HEADER).encode(), *body]) + b"\n"
    result = _read(tmp_path, data)
    offenses = {i + 1: offense for i, (_, offense) in enumerate(rows)}
    problems = _problems(result, 30, offenses, {})
    assert not problems, "\n".join(problems)


def test_issue_latin1_garbage_line_is_bad_encoding(tmp_path) -> None:
    rows = _utf8_rows(random.Random(3), 30)
    garbage = ",".join(rows[6][0].split(",")[:4] + ["Vol © 2020 ± 5°", "Main St 5"])
    raw = garbage.encode("latin-1")
    assert not has_cyrillic(raw.decode("cp1251"))  # not Cyrillic in cp1251 either
    body = [line.encode() for line, _ in rows]
    body[6] = raw
    data = b"\n".join([",".join(HEADER).encode(), *body]) + b"\n"
    result = _read(tmp_path, data)
    offenses = {i + 1: offense for i, (_, offense) in enumerate(rows) if i != 6}
    problems = _problems(result, 30, offenses, {7: "bad_encoding"})
    assert not problems, "\n".join(problems)


def test_issue_download_cut_mid_character(tmp_path) -> None:
    rows = _utf8_rows(random.Random(4), 30)
    data = b"\n".join([",".join(HEADER).encode(), *(line.encode() for line, _ in rows)])
    cut = data[: data.rindex("Абая".encode()) + 1]  # the last row ends inside "А"
    result = _read(tmp_path, cut)
    offenses = {i + 1: offense for i, (_, offense) in enumerate(rows[:-1])}
    problems = _problems(result, 30, offenses, {})
    assert not problems, "\n".join(problems)
