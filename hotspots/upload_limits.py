"""Limits an uploaded file must meet before it is parsed: cheap checks on its bytes.

A small upload can cost the server far more than its size: a 3 MB ``.xlsx`` is a zip whose
sheet XML can expand to gigabytes (a "zip bomb" took the app to 2.45 GB), and a 1.7 MB CSV
whose header has 200,000 empty columns kept it busy for 464 s at 2.6 GB. These checks read
only the zip's directory, a GeoParquet file's footer or a CSV's first line, so they take
milliseconds whatever the file holds, and refuse with one line that names the limit and what
to do. They do not replace the memory and time limits of :mod:`hotspots.sandbox` (a file can
still be costly within these limits); they refuse the cheap attacks before any work is done.

No Streamlit here: the app's Data page, the CLI or the readers can all call
:func:`check_upload`.

Examples
--------
>>> check_upload("calls.csv", b"id,lat,lon\\n1,43.3,68.2\\n")  # fine: returns None
>>> check_upload("wide.csv", b"," * 5000 + b"\\n")
Traceback (most recent call last):
...
hotspots.upload_limits.UploadRefused: wide.csv: the header has 5,001 columns, more than the \
1,000 this app reads (a file this wide is almost always a broken export); keep the columns \
you need and upload again
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hotspots.errors import InputError

#: Largest total of a workbook's (or GeoParquet file's) uncompressed members, bytes.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: Largest ratio uncompressed / compressed of a workbook member; XLSX sheets compress about
#: 5-20 times, a zip bomb thousands of times.
MAX_COMPRESSION_RATIO = 100.0
#: Members smaller than this (uncompressed) are not held to the ratio: a tiny, very
#: repetitive part costs nothing.
RATIO_FLOOR_BYTES = 1024 * 1024
#: Most members a workbook may have.
MAX_MEMBERS = 10_000
#: Most columns a table may have (header fields).
MAX_COLUMNS = 1_000

ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
#: Delimiters a CSV's header may use (the readers detect which).
DELIMITERS = (",", ";", "\t", "|")


class UploadRefused(InputError):
    """An upload over a limit: the one-line message names the file, the limit and what to do."""


@dataclass(frozen=True)
class UploadLimits:
    """The limits :func:`check_upload` applies (module defaults).

    Attributes
    ----------
    max_uncompressed_bytes : int
        Largest total uncompressed size of a zip (XLSX) or GeoParquet file's data, bytes.
    max_compression_ratio : float
        Largest uncompressed / compressed ratio of a zip member over ``ratio_floor_bytes``.
    ratio_floor_bytes : int
        Members smaller than this are not held to the ratio.
    max_members : int
        Most members in a zip.
    max_columns : int
        Most columns (header fields) of a table.
    """

    max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES
    max_compression_ratio: float = MAX_COMPRESSION_RATIO
    ratio_floor_bytes: int = RATIO_FLOOR_BYTES
    max_members: int = MAX_MEMBERS
    max_columns: int = MAX_COLUMNS


DEFAULT = UploadLimits()


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def _bytes_of(data: bytes | bytearray | memoryview | IO[bytes]) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    pos = data.tell()
    try:
        return data.read()
    finally:
        data.seek(pos)


def check_zip(
    name: str, data: bytes | IO[bytes], limits: UploadLimits = DEFAULT
) -> tuple[int, int]:
    """Refuse a workbook (any zip) whose directory promises too much data.

    Reads the zip's central directory only: the members' declared sizes (Python's
    :mod:`zipfile`, which the readers use, never inflates a member past its declared size:
    a member that lies fails its CRC check instead).

    Parameters
    ----------
    name : str
        File name, for the message.
    data : bytes or binary file
        The upload.
    limits : UploadLimits
        The limits (the module defaults by default).

    Returns
    -------
    (int, int)
        Total uncompressed and compressed bytes of the members; (0, 0) for bytes that are not
        a zip (nothing to unpack: the reader then says it cannot read them).

    Raises
    ------
    UploadRefused
        Too many members, over ``max_uncompressed_bytes`` in all, or a
        member over ``ratio_floor_bytes`` compressed more than ``max_compression_ratio`` times.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(_bytes_of(data))) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # not a zip at all: nothing to unpack, and the reader says it cannot read it
        return 0, 0
    if len(infos) > limits.max_members:
        raise UploadRefused(
            f"{name}: the workbook holds {len(infos):,} parts, more than the "
            f"{limits.max_members:,} this app reads; save it again as CSV and upload again"
        )
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise UploadRefused(
            f"{name}: the workbook unpacks to {_mb(total)}, more than the "
            f"{_mb(limits.max_uncompressed_bytes)} this app reads (to protect the server's "
            "memory); keep the columns and rows you need, or save it as CSV, and upload again"
        )
    for info in infos:
        if info.file_size < limits.ratio_floor_bytes:
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise UploadRefused(
                f"{name}: a part of the workbook ({info.filename}) unpacks {ratio:,.0f} times "
                f"its size, more than the {limits.max_compression_ratio:,.0f} times of real "
                "workbooks (to protect the server's memory); save it as CSV and upload again"
            )
    return total, packed


def header_columns(data: bytes | IO[bytes], *, scan_bytes: int | None = None) -> int:
    """Columns in a CSV's first non-empty line, for the delimiter that gives the most.

    Counts delimiters in the first line's bytes (any of ``, ; tab |``); only when that count
    is high is the line parsed with :mod:`csv` to discount delimiters inside quotes. Works on
    UTF-8, cp1251 and other ASCII-compatible encodings (UTF-16 too: its delimiter bytes are
    the ASCII ones).

    Parameters
    ----------
    data : bytes or binary file
        The file's bytes.
    scan_bytes : int, optional
        Read at most this many bytes of the line (default: all of it).

    Returns
    -------
    int
        The largest field count over the candidate delimiters (1 for a line without any).

    Examples
    --------
    >>> header_columns(b"id;lat;lon\\n1;2;3\\n")
    3
    >>> header_columns(b'"a,b",c\\n')
    3
    """
    raw = _bytes_of(data)
    line = _first_line(raw if scan_bytes is None else raw[:scan_bytes])
    return max(line.count(d.encode()) for d in DELIMITERS) + 1


def _first_line(raw: bytes) -> bytes:
    """The first line with something in it (blank lines and a BOM skipped)."""
    start = 0
    while True:
        end = raw.find(b"\n", start)
        line = raw[start:] if end < 0 else raw[start:end]
        if line.strip(b"\r\n\t \x00\xef\xbb\xbf") or end < 0:
            return line
        start = end + 1


def _quoted_columns(line: bytes, delimiter: str) -> int:
    text = line.decode("latin-1")  # one char per byte: delimiters stay where they are
    return max((len(row) for row in csv.reader([text], delimiter=delimiter)), default=1)


def check_csv(name: str, data: bytes | IO[bytes], limits: UploadLimits = DEFAULT) -> int:
    """Refuse a delimited text file whose header has more than ``limits.max_columns`` fields.

    Only the first non-empty line is read (its delimiters counted, then parsed with quotes
    when the count is over the limit and the line has quotes): 200,000 columns are refused
    in milliseconds.

    Returns
    -------
    int
        The header's field count.

    Raises
    ------
    UploadRefused
        More than ``max_columns`` fields.
    """
    raw = _bytes_of(data)
    n = header_columns(raw)
    line = _first_line(raw) if n > limits.max_columns else b""
    if b'"' in line:  # quoted names may hold delimiters: parse the line
        n = max(_quoted_columns(line, d) for d in DELIMITERS if line.count(d.encode()) >= 1)
    if n > limits.max_columns:
        raise UploadRefused(
            f"{name}: the header has {n:,} columns, more than the {limits.max_columns:,} this "
            "app reads (a file this wide is almost always a broken export); keep the columns "
            "you need and upload again"
        )
    return n


def check_parquet(name: str, data: bytes | IO[bytes], limits: UploadLimits = DEFAULT) -> None:
    """Refuse a (Geo)Parquet file with too many columns or too much uncompressed data, from
    its footer (no data page is read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(pa.BufferReader(_bytes_of(data))).metadata
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UploadRefused(
            f"{name}: not a readable Parquet file ({str(exc).splitlines()[0]}); export it "
            "again and upload again"
        ) from None
    if meta.num_columns > limits.max_columns:
        raise UploadRefused(
            f"{name}: the file has {meta.num_columns:,} columns, more than the "
            f"{limits.max_columns:,} this app reads; keep the columns you need and upload again"
        )
    total = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if total > limits.max_uncompressed_bytes:
        raise UploadRefused(
            f"{name}: the file unpacks to {_mb(total)}, more than the "
            f"{_mb(limits.max_uncompressed_bytes)} this app reads (to protect the server's "
            "memory); keep the columns and rows you need and upload again"
        )


def check_upload(name: str, data: bytes | IO[bytes], limits: UploadLimits = DEFAULT) -> None:
    """Refuse an upload over a limit, before it is parsed.

    By content first, then by name: a zip (whatever its suffix: an ``.xlsx``) gets
    :func:`check_zip`, a Parquet file :func:`check_parquet`, a ``.csv``/``.txt``/``.tsv``
    :func:`check_csv`. Other formats (GeoJSON, GeoPackage) are bounded by the upload size
    and by :mod:`hotspots.sandbox`'s memory and time limits.

    Parameters
    ----------
    name : str
        The file's name (its suffix chooses the text check).
    data : bytes or binary file
        The upload.
    limits : UploadLimits
        The limits (the module defaults by default).

    Raises
    ------
    UploadRefused
        With one line naming the file, the limit, the reason and what to do.
    """
    raw = _bytes_of(data)
    suffix = Path(name).suffix.lower()
    head = raw[:4]
    if suffix in (".gz", ".bz2", ".xz"):
        check_compressed(name, raw, limits)
    elif head == ZIP_MAGIC or suffix in (".xlsx", ".xlsm", ".zip"):
        check_zip(name, raw, limits)
    elif head == PARQUET_MAGIC or suffix in (".parquet", ".geoparquet"):
        check_parquet(name, raw, limits)
    elif suffix in TEXT_SUFFIXES:
        check_csv(name, raw, limits)


def check_compressed(name: str, data: bytes, limits: UploadLimits = DEFAULT) -> None:
    """Refuse a ``.gz``/``.bz2``/``.xz`` upload that unpacks to too much or is too wide.

    Unpacks as a stream and stops at ``max_uncompressed_bytes``
    (:func:`hotspots.ingest.source.open_source`), so a bomb costs at most that much; then
    the unpacked table's header gets :func:`check_csv`.
    """
    import io as _io

    from hotspots.ingest.source import open_source

    stream = _io.BytesIO(data)
    stream.name = name
    try:
        opened = open_source(stream, max_bytes=limits.max_uncompressed_bytes)
    except InputError as exc:
        raise UploadRefused(str(exc)) from None
    inner = opened.read()
    check_csv(opened.name, inner[: 1 << 22], limits)


def describe(limits: UploadLimits = DEFAULT) -> dict[str, str]:
    """The limits as numbers for a message: ``{"unpacked_mb", "ratio", "columns"}``."""
    return {
        "unpacked_mb": f"{limits.max_uncompressed_bytes / 1024 / 1024:,.0f}",
        "ratio": f"{limits.max_compression_ratio:,.0f}",
        "columns": f"{limits.max_columns:,}",
    }
