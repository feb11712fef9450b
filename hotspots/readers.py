"""Raw tables from files: every value as text, nothing coerced, nothing dropped.

:func:`read_table` reads CSV/TXT (separator and encoding detected, compressed ``.gz``,
``.bz2``, ``.xz`` and ``.zip`` too), Excel ``.xlsx``, GeoJSON, GeoPackage, Shapefile and
(Geo)Parquet into a :class:`RawTable` whose frame holds strings only (``""`` for an empty
cell). Spatial files get two extra text columns with the point coordinates taken from the
geometry: ``geometry_lon``/``geometry_lat`` (WGS84, after ``to_crs(4326)``) when the file has a
CRS, or ``geometry_x``/``geometry_y`` when it has none (then :mod:`hotspots.validation` decides
whether they are degrees or need ``--crs``). A non-point geometry gets its type name (e.g.
``"Polygon"``) there, so the row is rejected as ``unparseable_coordinates`` instead of being
moved to a centroid silently.

Delimited text goes through :mod:`hotspots.ingest.csvtable`: records counted from the bytes,
encoding decided per line, Arrow's parser. Records with *more* fields than the header, and
lines whose opening quote would swallow the lines after them, are kept and flagged in
:attr:`RawTable.malformed` (surplus fields go to the text column ``_extra_fields``); records
with fewer fields are padded with empty cells, as spreadsheet exports that drop trailing
empty cells expect; lines in no readable encoding are flagged in
:attr:`RawTable.bad_encoding`.
"""

from __future__ import annotations

import datetime
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from hotspots.errors import InputError
from hotspots.ingest.csvtable import (  # noqa: F401  (SEPARATORS: re-exported)
    EXTRA_FIELDS,
    MAX_COLUMNS,
    SEPARATORS,
    TextTable,
    read_text_table,
    sniff_separator,
)
from hotspots.ingest.csvtable import unique_headers as _unique_headers
from hotspots.ingest.source import COMPRESSED, Opened, open_source
from hotspots.ingest.source import _name_and_bytes as _name_and_bytes

#: Suffixes read as delimited text.
TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".tab", ""})
#: Suffixes read with GDAL (pyogrio).
VECTOR_SUFFIXES = frozenset({".geojson", ".json", ".gpkg", ".shp", ".fgb"})
PARQUET_SUFFIXES = frozenset({".parquet", ".geoparquet", ".pq"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
SUPPORTED = sorted(
    TEXT_SUFFIXES - {""} | VECTOR_SUFFIXES | PARQUET_SUFFIXES | EXCEL_SUFFIXES | set(COMPRESSED)
)


Source = str | Path | IO[bytes] | bytes

__all__ = [
    "EXTRA_FIELDS",
    "RawTable",
    "Source",
    "decode",
    "read_table",
    "sniff_separator",
]


@dataclass
class RawTable:
    """A table as read, before any interpretation.

    Attributes
    ----------
    frame : pandas.DataFrame
        One text column per input column (``""`` for empty cells), one row per data record in
        file order (row ``i`` is data record ``i + 1``).
    source : str
        File name, for messages.
    malformed : numpy.ndarray of bool
        Records with more fields than the header, or whose opening quote would swallow the
        lines after it (CSV only).
    bad_encoding : numpy.ndarray of bool
        Records not readable as UTF-8 nor as Cyrillic cp1251 (CSV only).
    encoding, sep : str or None
        What was used to read a text file (``None`` for other formats).
    geometry_crs : str or None
        The file's CRS when coordinates came from a geometry column.
    encoding_counts : dict
        Lines read per encoding (text files).
    lines : numpy.ndarray of int or None
        1-based line of the file where each record starts (text files).
    compression : str or None
        ``gzip``, ``bz2``, ``xz`` or ``zip`` when the file was compressed.
    """

    frame: pd.DataFrame
    source: str
    malformed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    encoding: str | None = None
    sep: str | None = None
    geometry_crs: str | None = None
    bad_encoding: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    encoding_counts: dict[str, int] = field(default_factory=dict)
    lines: np.ndarray | None = None
    compression: str | None = None
    #: What ``read_table(on_sample=...)`` returned for the detection sample (None: not run).
    sampled: Any = None
    #: Columns already parsed as numbers (:meth:`numbers`).
    _numbers: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: The columns ``frame`` was read without (:mod:`hotspots.ingest.skipped`): a block of a
    #: large file, read for the mapped columns only; ``None`` when it has every column.
    skipped: Any = None

    def __post_init__(self) -> None:
        if len(self.malformed) != len(self.frame):
            self.malformed = np.zeros(len(self.frame), dtype=bool)
        if len(self.bad_encoding) != len(self.frame):
            self.bad_encoding = np.zeros(len(self.frame), dtype=bool)

    @property
    def headers(self) -> list[str]:
        if self.skipped is not None:
            return list(self.skipped.headers)
        return [str(c) for c in self.frame.columns if c != EXTRA_FIELDS]

    @property
    def text_columns(self) -> list[str]:
        """Every column as read, in order (``frame``'s, or all the file's when ``frame`` was
        read for some only)."""
        return self.headers if self.skipped is not None else [str(c) for c in self.frame.columns]

    def text_rows(self, rows: np.ndarray) -> pd.DataFrame:
        """Every column of ``rows`` (a boolean mask) as read, numbered from 0: for the
        rejects, which keep every field of a rejected row."""
        if self.skipped is not None:
            return self.skipped.rows(rows)
        return self.frame.loc[rows].reset_index(drop=True)

    def numbers(self, col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column ``col`` read as numbers (:func:`hotspots.ingest.parse.parse_number`: values,
        missing, unparseable), parsed once. The block reader parses a block's coordinates
        ahead, on its parse thread, while the block before is being checked."""
        got = self._numbers.get(col)
        if got is None:
            from hotspots.ingest.parse import parse_number

            got = self._numbers[col] = parse_number(self.frame[col])
        return got


def read_table(
    src: Source,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    member: str | None = None,
    max_bytes: int | None = None,
    max_columns: int | None = None,
    on_sample: Callable[[pd.DataFrame], Any] | None = None,
) -> RawTable:
    """Read a file into a :class:`RawTable` of text.

    Parameters
    ----------
    src : str, Path, bytes or binary file object
        The file. Streams (such as an upload) use their ``name`` attribute for the format.
        ``.gz``, ``.bz2``, ``.xz`` and ``.zip`` are unpacked first.
    sep : str, optional
        CSV separator; detected among ``, ; TAB |`` when omitted.
    encoding : str, optional
        Text encoding of the whole file; when omitted each line is read as UTF-8, or as
        cp1251 where it is not UTF-8 and reads as Cyrillic (see
        :mod:`hotspots.ingest.encoding`).
    member : str, optional
        The file to read inside a zip archive holding several.
    max_bytes, max_columns : int, optional
        Refuse larger (unpacked) content or wider tables before parsing.
    on_sample : callable, optional
        Called with the rows column detection profiles, while a large text file is still
        being parsed; its result is the table's ``sampled`` (see
        :func:`hotspots.ingest.csvtable.read_text_table`).

    Raises
    ------
    InputError
        Unreadable, unsupported, too big or empty input (no data rows).
    """

    opened: Opened = open_source(src, member=member, max_bytes=max_bytes)
    name = opened.outer
    suffix = Path(opened.name).suffix.lower()
    path, data = opened.path, opened.data
    if suffix in TEXT_SUFFIXES:
        _check_fits_memory(opened)
        # in two steps, so the file's bytes are gone before the text is made pandas columns
        tt = read_text_table(
            opened.read(mapped=True),
            name,
            sep=sep,
            encoding=encoding,
            max_columns=max_columns or MAX_COLUMNS,
            on_sample=on_sample,
        )
        table = raw_table(tt, name)
        table.compression = opened.compression
    elif suffix in EXCEL_SUFFIXES:
        table = _read_excel(path if path is not None else io.BytesIO(data), name)
    elif suffix in VECTOR_SUFFIXES or suffix in PARQUET_SUFFIXES:
        table = _read_spatial(path if path is not None else data, name, suffix)
    else:
        raise InputError(
            f"cannot read {name}: unsupported file type {suffix!r}; use one of "
            + ", ".join(SUPPORTED)
        )
    if max_columns is not None and len(table.headers) > max_columns:
        raise InputError(
            f"{name} has {len(table.headers):,} columns; at most {max_columns:,} are read"
        )
    if len(table.frame) == 0:
        raise InputError(f"{name} has no data rows (columns: {', '.join(table.headers) or '-'})")
    return table


#: Memory needed to validate a text file in one piece, as a multiple of its size.
MEMORY_PER_BYTE = 6


def _check_fits_memory(opened: Opened) -> None:
    """Refuse, with the way out, a file too big to validate in memory on this machine."""
    if opened.path is None:
        return
    size = opened.path.stat().st_size
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    if size * MEMORY_PER_BYTE > free:
        name = opened.path.name
        raise InputError(
            f"{name} is {size / 2**30:.1f} GB, more than this machine can validate in memory "
            f"({free / 2**30:.1f} GB free); run `hotspots ingest {name} -o calls.parquet` "
            "(it reads in blocks) and use calls.parquet instead"
        )


def text_table(
    data: bytes,
    name: str,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    max_columns: int | None = None,
    concurrent: bool = True,
) -> RawTable:
    """A :class:`RawTable` from the bytes of delimited text (:mod:`hotspots.ingest.csvtable`)."""
    tt = read_text_table(
        data,
        name,
        sep=sep,
        encoding=encoding,
        max_columns=max_columns or MAX_COLUMNS,
        concurrent=concurrent,
    )
    return raw_table(tt, name)


def raw_table(tt: TextTable, name: str) -> RawTable:
    """The :class:`RawTable` of a parsed text table (its Arrow columns moved to pandas)."""
    from hotspots.ingest.csvtable import text_frame

    return RawTable(
        text_frame(tt),
        name,
        malformed=tt.malformed,
        encoding=tt.encoding,
        sep=tt.sep,
        bad_encoding=tt.bad_encoding,
        encoding_counts=tt.encoding_counts,
        lines=tt.lines,
        sampled=tt.sampled,
        skipped=tt.skipped,
    )


def decode(raw: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Text and the encoding used, for a whole file (see :func:`hotspots.ingest.encoding`)."""
    from hotspots.ingest.encoding import to_utf8

    dec = to_utf8(raw, name, encoding)
    return dec.data.decode("utf-8"), dec.encoding


# Excel -----------------------------------------------------------------------------------
#: Rows searched for the header below title lines in a worksheet.
TITLE_ROWS = 10


def _header_row(grid: pd.DataFrame) -> int:
    """Position of the header: the first row with two or more filled cells.

    Official exports often put a title ("Отчёт о происшествиях за 2020 год", one cell,
    perhaps merged across the columns) and blank lines above the header; those lines are
    not data. Row 0 when no row in the first :data:`TITLE_ROWS` has two filled cells.
    """
    filled = grid.head(TITLE_ROWS).notna().sum(axis=1).to_numpy()
    wide = np.flatnonzero(filled >= 2)
    return int(wide[0]) if wide.size else 0


def _read_excel(src: Path | IO[bytes], name: str) -> RawTable:
    """The table of a workbook, from every sheet that holds one.

    Each sheet's header is its first row with two filled cells (title lines above it are
    skipped, :func:`_header_row`). Sheets with data rows are all read: when they share their
    columns (one sheet per year, say) their rows follow each other in sheet order; when
    their columns differ the workbook is refused rather than some rows silently left out.
    """
    try:
        sheets = pd.read_excel(src, sheet_name=None, header=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise InputError(
            f"cannot read {name} as an Excel workbook: {exc}".splitlines()[0]
        ) from None
    tables = []
    for sheet, grid in sheets.items():
        grid = grid.dropna(how="all").reset_index(drop=True)  # blank lines, as for CSV
        if grid.empty:
            continue
        start = _header_row(grid)
        headers = _unique_headers(grid.iloc[start].tolist())
        body = grid.iloc[start + 1 :].reset_index(drop=True)
        body.columns = headers
        tables.append((str(sheet), headers, body))
    if not tables:
        raise InputError(f"{name} is empty")
    with_rows = [t for t in tables if len(t[2])] or tables[:1]
    if any(t[1] != with_rows[0][1] for t in with_rows):
        names = ", ".join(repr(t[0]) for t in with_rows)
        raise InputError(
            f"{name} has data rows on sheets {names} with different columns; keep the calls "
            "on one sheet (or on sheets with the same columns) or save the sheet as CSV"
        )
    body = pd.concat([t[2] for t in with_rows], ignore_index=True)
    return RawTable(_as_text(body), name)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text, missing values as ``""``.

    Whole floats lose their ``.0`` (spreadsheets store 2020 as 2020.0); date-time cells are
    written ``YYYY-MM-DD HH:MM:SS``, and a column whose date-times are all at midnight as
    ``YYYY-MM-DD`` (a date column, so its precision is "day", not "minute").
    """
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_integer_dtype(s):
            text = s.astype("str")
        elif pd.api.types.is_float_dtype(s):
            whole = s.notna() & np.isfinite(s) & (s == np.round(s)) & (s.abs() < 2**53)
            text = s.astype("str")
            if whole.any():
                text[whole] = s[whole].astype("int64").astype("str")
        elif pd.api.types.is_datetime64_any_dtype(s):
            text = s.dt.strftime("%Y-%m-%d %H:%M:%S")
        else:
            text = s.map(_cell_text, na_action="ignore")
        text = text.astype("str").fillna("")
        midnight = text.str.fullmatch(r"\d{4}-\d\d-\d\d 00:00:00")
        nonempty = text != ""
        if nonempty.any() and bool(midnight[nonempty].all()):
            text = text.str.slice(0, 10)
        out[col] = text
    return pd.DataFrame(out, index=frame.index)


def _cell_text(v: Any) -> str:
    """Text of one cell of an object column (mixed types, e.g. from openpyxl)."""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    if isinstance(v, pd.Timestamp | datetime.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, datetime.date | datetime.time):
        return v.isoformat()
    return str(v)


# Spatial ---------------------------------------------------------------------------------
def _read_spatial(src: Path | bytes, name: str, suffix: str) -> RawTable:
    import geopandas as gpd

    try:
        if suffix in PARQUET_SUFFIXES:
            buf = src if isinstance(src, Path) else io.BytesIO(src)
            try:
                gdf = gpd.read_parquet(buf)
            except ValueError:  # plain Parquet without geo metadata: a table
                if not isinstance(buf, Path):
                    buf.seek(0)
                return RawTable(_as_text(pd.read_parquet(buf)), name)
        else:
            gdf = gpd.read_file(src, engine="pyogrio")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {name}: {str(exc).splitlines()[0]}") from None
    gdf = gdf.reset_index(drop=True)
    geom_name = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    if geom_name is None or geom_name not in gdf:
        return RawTable(_as_text(pd.DataFrame(gdf)), name)
    props = _as_text(pd.DataFrame(gdf.drop(columns=geom_name)))
    crs = gdf.crs
    geoms = gdf.geometry
    if crs is not None and not crs.equals("EPSG:4326"):
        geoms = geoms.to_crs("EPSG:4326")
    xcol, ycol = (
        ("geometry_lon", "geometry_lat") if crs is not None else ("geometry_x", "geometry_y")
    )
    props[xcol], props[ycol] = _point_text(geoms)
    return RawTable(props, name, geometry_crs=crs.to_string() if crs is not None else None)


def _point_text(geoms) -> tuple[pd.Series, pd.Series]:
    """X and Y of point geometries as text; ``""`` when empty/null, the type name otherwise."""
    import shapely

    arr = np.asarray(geoms.values, dtype=object)
    type_id = shapely.get_type_id(arr)  # -1 = None, 0 = Point
    empty = shapely.is_empty(arr) | (type_id < 0)
    is_point = (type_id == 0) & ~empty
    x = np.full(len(arr), np.nan)
    y = np.full(len(arr), np.nan)
    x[is_point] = shapely.get_x(arr[is_point])
    y[is_point] = shapely.get_y(arr[is_point])
    xs = pd.Series(x, index=geoms.index).astype("str")
    ys = pd.Series(y, index=geoms.index).astype("str")
    xs[~is_point] = ""
    ys[~is_point] = ""
    other = ~is_point & ~empty
    if other.any():
        names = pd.Series(shapely.get_type_id(arr[other])).map(
            dict(
                enumerate(
                    [
                        "Point",
                        "LineString",
                        "LinearRing",
                        "Polygon",
                        "MultiPoint",
                        "MultiLineString",
                        "MultiPolygon",
                        "GeometryCollection",
                    ]
                )
            )
        )
        xs[other] = names.to_numpy()
        ys[other] = names.to_numpy()
    return xs.reset_index(drop=True), ys.reset_index(drop=True)
