"""hotspots.upload_limits (checks before parsing) and hotspots.sandbox (parsing in a child with
memory and time limits): the zip-bomb workbook, the 200,000-column CSV, a parse past its limits.
"""

from __future__ import annotations

import io
import operator
import time
import tracemalloc
import zipfile

import openpyxl
import psutil
import pytest

from hotspots import sandbox, upload_limits
from hotspots.errors import InputError
from hotspots.upload_limits import UploadRefused, check_upload

MB = 1024 * 1024


def workbook(rows: int = 3) -> bytes:
    """A small, real .xlsx (openpyxl) with a header and ``rows`` rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "date", "type", "lat", "lon"])
    for i in range(rows):
        ws.append([i, "2023-05-01 22:10", "theft", 43.297 + i / 1000, 68.251])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def zip_bomb_xlsx(unpacked_mb: int = 250) -> bytes:
    """A real workbook whose sheet XML is ``unpacked_mb`` MB of identical rows: it deflates
    about a thousand times, so the file is a few hundred KB (the measured bug: a 3 MB workbook
    took the server to 2.45 GB)."""
    small = zipfile.ZipFile(io.BytesIO(workbook()))
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    chunk = row * (MB // len(row))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for info in small.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                zf.writestr(info.filename, small.read(info.filename))
                continue
            with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
                f.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats')
                f.write(b'.org/spreadsheetml/2006/main"><sheetData>')
                for _ in range(unpacked_mb):
                    f.write(chunk)
                f.write(b"</sheetData></worksheet>")
    return out.getvalue()


def wide_csv(columns: int = 200_000, rows: int = 3) -> bytes:
    """A header of ``columns`` named columns and empty rows: 1.7 MB for 200,000 (the measured
    bug: 464 s at 2.6 GB, then the tab crashed)."""
    header = ",".join(f"c{i}" for i in range(columns))
    return (header + "\n" + ("," * (columns - 1) + "\n") * rows).encode()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb_xlsx()


# -- refused before parsing ------------------------------------------------------------------


def test_zip_bomb_workbook_is_refused_from_its_directory_in_little_memory(bomb):
    assert len(bomb) < 2 * MB  # small upload ...
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist())
    assert unpacked > 250 * MB  # ... that unpacks to over 250 MB
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(UploadRefused) as err:
        check_upload("bomb.xlsx", bomb)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 0.5 and peak < 10 * MB  # the directory only: nothing unpacked
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("bomb.xlsx: the workbook unpacks to 2")
    assert "more than the 200 MB this app reads" in msg and "upload again" in msg
    assert isinstance(err.value, InputError)  # shown like any other input error


def test_highly_compressed_part_is_refused_by_its_ratio():
    bomb = zip_bomb_xlsx(unpacked_mb=20)  # under 200 MB, but deflated ~1000 times
    with pytest.raises(UploadRefused, match=r"xl/worksheets/sheet1\.xml\) unpacks [\d,]+ times"):
        check_upload("ratio.xlsx", bomb)


def test_a_bomb_is_checked_by_content_whatever_its_name(bomb):
    with pytest.raises(UploadRefused, match="unpacks to"):
        check_upload("calls.csv", bomb)  # a zip named .csv


def test_csv_with_200000_columns_is_refused_in_well_under_a_second():
    data = wide_csv()
    assert 1.3 * MB < len(data) < 2 * MB
    t0 = time.perf_counter()
    with pytest.raises(UploadRefused) as err:
        check_upload("wide.csv", data)
    assert time.perf_counter() - t0 < 0.2
    msg = str(err.value)
    assert msg.startswith("wide.csv: the header has 200,000 columns, more than the 1,000")
    assert "\n" not in msg


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_width_is_counted_for_every_delimiter(sep):
    header = sep.join(f"c{i}" for i in range(1_001)).encode()
    with pytest.raises(UploadRefused, match="1,001 columns"):
        check_upload("wide.txt", header + b"\n")
    check_upload("ok.txt", sep.join(f"c{i}" for i in range(1_000)).encode() + b"\n")


def test_quoted_delimiters_do_not_count_and_blank_lines_and_bom_are_skipped():
    header = ",".join(f'"name, part {i}"' for i in range(600)).encode()  # 1,199 commas
    assert upload_limits.check_csv("q.csv", b"\xef\xbb\xbf\n\n" + header + b"\n1,2\n") == 600


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("calls.csv", b"id,date,type,lat,lon\n1,2023-05-01,theft,43.3,68.25\n"),
        ("calls.csv", "id;дата;тип\n1;2023;кража\n".encode("cp1251")),
        ("calls.xlsx", workbook(rows=2_000)),
        ("calls.geojson", b'{"type": "FeatureCollection", "features": []}'),
        ("sheet.xlsx", b"not a zip file"),  # the reader says it cannot read it
    ],
)
def test_ordinary_files_pass(name, data):
    assert check_upload(name, data) is None


def test_parquet_is_checked_from_its_footer(tmp_path):
    import pandas as pd

    wide = pd.DataFrame({f"c{i}": [1] for i in range(1_200)})
    path = tmp_path / "wide.parquet"
    wide.to_parquet(path)
    with pytest.raises(UploadRefused, match="1,200 columns"):
        check_upload("wide.parquet", path.read_bytes())
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    check_upload("ok.parquet", path.read_bytes())


def test_limits_are_parameters():
    tight = upload_limits.UploadLimits(max_uncompressed_bytes=1024, max_columns=3)
    with pytest.raises(UploadRefused, match="more than the 0 MB"):
        check_upload("small.xlsx", workbook(), tight)
    with pytest.raises(UploadRefused, match="more than the 3 this"):
        check_upload("four.csv", b"a,b,c,d\n", tight)
    assert upload_limits.describe() == {"unpacked_mb": "200", "ratio": "100", "columns": "1,000"}


# -- the worker ------------------------------------------------------------------------------


def _descendants() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def test_worker_returns_the_value():
    stream = io.BytesIO(b"id,lat,lon\n1,43.3,68.25\n2,43.4,68.26\n")
    stream.name = "calls.csv"
    headers, head = sandbox.run_limited(sandbox.table_head, stream, rows=1, seconds=60)
    assert headers == ["id", "lat", "lon"] and len(head) == 1


def test_worker_past_its_memory_limit_is_one_line_and_the_server_keeps_its_memory():
    sandbox.run_limited(abs, -1, seconds=60)  # the fork server is up
    before = psutil.Process().memory_info().rss
    t0 = time.perf_counter()
    with pytest.raises(sandbox.LimitExceeded) as err:
        sandbox.run_limited(operator.mul, b"x", 3 * 1024**3, memory_bytes=1024**3, seconds=60)
    assert time.perf_counter() - t0 < 10
    msg = str(err.value)
    assert "\n" not in msg and "more than the 1,024 MB of memory allowed" in msg
    assert psutil.Process().memory_info().rss - before < 50 * MB


def test_worker_past_its_time_limit_is_killed_with_one_line():
    sandbox.run_limited(abs, -1, seconds=60)
    alive = _descendants()
    t0 = time.perf_counter()
    with pytest.raises(sandbox.LimitExceeded) as err:
        sandbox.run_limited(time.sleep, 60, seconds=1.0, what="reading slow.csv")
    assert time.perf_counter() - t0 < 5
    msg = str(err.value)
    assert msg.startswith("reading slow.csv took longer than 1 s") and "\n" not in msg
    time.sleep(0.2)
    assert _descendants() <= alive  # the child is gone


def test_worker_address_space_backstop_is_one_line_too():
    with pytest.raises(sandbox.LimitExceeded, match="more than the 1,024 MB of memory allowed"):
        sandbox.run_limited(
            bytearray, 3 * 1024**3, memory_bytes=0, address_space_bytes=1024**3, seconds=60
        )


def test_worker_passes_user_errors_through_with_their_message(bomb):
    with pytest.raises(InputError, match=r"^bomb\.xlsx: the workbook unpacks to"):
        sandbox.run_limited(check_upload, "bomb.xlsx", bomb, seconds=60)


def test_worker_other_errors_are_one_line():
    with pytest.raises(sandbox.LimitExceeded, match=r"^reading the file failed: ValueError: "):
        sandbox.run_limited(int, "x", seconds=60)


def test_a_gzip_bomb_upload_is_refused_before_it_unpacks_past_the_limit():
    import gzip
    import time

    from hotspots.upload_limits import DEFAULT, UploadRefused, check_upload

    bomb = gzip.compress(b"lat,lon\n" + b"0" * (DEFAULT.max_uncompressed_bytes + (1 << 20)))
    t0 = time.perf_counter()
    with pytest.raises(UploadRefused, match="unpacks to more than"):
        check_upload("calls.csv.gz", bomb)
    assert time.perf_counter() - t0 < 10
    # a small good one passes, a wide one inside a .gz is refused by its header
    check_upload("calls.csv.gz", gzip.compress(b"lat,lon\n43.3,68.2\n"))
    with pytest.raises(UploadRefused, match="columns"):
        check_upload("wide.csv.gz", gzip.compress(b"," * 5_000 + b"\n"))


def test_the_worker_reports_the_readers_progress(tmp_path):
    from hotspots import sandbox
    from hotspots.io import read_incidents

    p = tmp_path / "calls.csv"
    p.write_text("lat,lon,date\n43.30,68.25,2020-01-01 10:00\n43.31,68.26,2020-01-02 11:00\n")
    heard: list[tuple[float, str]] = []
    result = sandbox.run_limited(
        read_incidents, str(p), progress=lambda f, what: heard.append((f, what))
    )
    assert result.n_accepted == 2
    fractions = [f for f, _ in heard]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert [w for _, w in heard][:3] == ["reading", "finding the columns", "checking every row"]
