"""Raw tables from files: every value as text, nothing coerced, nothing dropped.

:func:`read_table` reads CSV/TXT (separator and encoding detected), Excel ``.xlsx``, GeoJSON,
GeoPackage, Shapefile and (Geo)Parquet into a :class:`RawTable` whose frame holds strings
only (``""`` for an empty cell). Spatial files get two extra text columns with the point
coordinates taken from the geometry: ``geometry_lon``/``geometry_lat`` (WGS84, after
``to_crs(4326)``) when the file has a CRS, or ``geometry_x``/``geometry_y`` when it has none
(then :mod:`hotspots.validation` decides whether they are degrees or need ``--crs``). A
non-point geometry gets its type name (e.g. ``"Polygon"``) there, so the row is rejected as
``unparseable_coordinates`` instead of being moved to a centroid silently.

CSV rows with *more* fields than the header are kept and flagged in :attr:`RawTable.malformed`
(their extra fields go to the text column ``_extra_fields``); rows with fewer fields are
padded with empty cells, as spreadsheet exports that drop trailing empty cells expect.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from hotspots.errors import InputError

#: Suffixes read as delimited text.
TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".tab", ""})
#: Suffixes read with GDAL (pyogrio).
VECTOR_SUFFIXES = frozenset({".geojson", ".json", ".gpkg", ".shp", ".fgb"})
PARQUET_SUFFIXES = frozenset({".parquet", ".geoparquet", ".pq"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
SUPPORTED = sorted(TEXT_SUFFIXES - {""} | VECTOR_SUFFIXES | PARQUET_SUFFIXES | EXCEL_SUFFIXES)

#: Separators tried when none is given.
SEPARATORS = (",", ";", "\t", "|")
#: Name of the text column holding the surplus fields of malformed CSV rows.
EXTRA_FIELDS = "_extra_fields"

Source = str | Path | IO[bytes] | bytes


@dataclass
class RawTable:
    """A table as read, before any interpretation.

    Attributes
    ----------
    frame : pandas.DataFrame
        One text column per input column (``""`` for empty cells), one row per data row in
        file order (row ``i`` is data row ``i + 1``).
    source : str
        File name, for messages.
    malformed : numpy.ndarray of bool
        Rows with more fields than the header (CSV only).
    encoding, sep : str or None
        What was used to read a text file (``None`` for other formats).
    geometry_crs : str or None
        The file's CRS when coordinates came from a geometry column.
    """

    frame: pd.DataFrame
    source: str
    malformed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    encoding: str | None = None
    sep: str | None = None
    geometry_crs: str | None = None

    def __post_init__(self) -> None:
        if len(self.malformed) != len(self.frame):
            self.malformed = np.zeros(len(self.frame), dtype=bool)

    @property
    def headers(self) -> list[str]:
        return [str(c) for c in self.frame.columns if c != EXTRA_FIELDS]


def _name_and_bytes(src: Source) -> tuple[str, Path | None, bytes | None]:
    """File name, path (when on disk) and content (when given as bytes or a stream)."""
    if isinstance(src, bytes | bytearray):
        return "input", None, bytes(src)
    if hasattr(src, "read"):
        name = Path(str(getattr(src, "name", "input"))).name
        data = src.getvalue() if hasattr(src, "getvalue") else src.read()
        return name, None, bytes(data)
    path = Path(src)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file")
    return path.name, path, None


def read_table(src: Source, *, sep: str | None = None, encoding: str | None = None) -> RawTable:
    """Read a file into a :class:`RawTable` of text.

    Parameters
    ----------
    src : str, Path, bytes or binary file object
        The file. Streams (such as an upload) use their ``name`` attribute for the format.
    sep : str, optional
        CSV separator; detected among ``, ; TAB |`` when omitted.
    encoding : str, optional
        Text encoding; when omitted UTF-8 (with or without BOM) is tried, then UTF-16 (if it
        has a BOM), then cp1251.

    Raises
    ------
    InputError
        Unreadable, unsupported or empty input (no data rows).
    """
    name, path, data = _name_and_bytes(src)
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        raw = data if data is not None else path.read_bytes()
        table = _read_text(raw, name, sep=sep, encoding=encoding)
    elif suffix in EXCEL_SUFFIXES:
        table = _read_excel(path if path is not None else io.BytesIO(data), name)
    elif suffix in VECTOR_SUFFIXES or suffix in PARQUET_SUFFIXES:
        table = _read_spatial(path if path is not None else data, name, suffix)
    else:
        raise InputError(
            f"cannot read {name}: unsupported file type {suffix!r}; use one of "
            + ", ".join(SUPPORTED)
        )
    if len(table.frame) == 0:
        raise InputError(f"{name} has no data rows (columns: {', '.join(table.headers) or '-'})")
    return table


# Text ------------------------------------------------------------------------------------
def decode(raw: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Text and the encoding used (see :func:`read_table`)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r} (try utf-8 or cp1251)") from None
        try:
            return raw.decode(encoding).lstrip("\ufeff"), encoding
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name} is not valid {encoding} (byte {exc.start}); try --encoding cp1251 or utf-8"
            ) from None
    candidates = ["utf-8-sig"]
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates.insert(0, "utf-16")
    candidates.append("cp1251")
    for enc in candidates:
        try:
            text = raw.decode(enc).lstrip("\ufeff")
        except UnicodeDecodeError:
            continue
        if enc == "utf-8-sig":  # say whether the BOM was there
            enc = "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
        return text, enc
    raise InputError(f"cannot decode {name} as UTF-8 or cp1251; give the encoding with --encoding")


def sniff_separator(text: str, lines: int = 50) -> str:
    """The separator among :data:`SEPARATORS` that splits the first lines most consistently.

    Score: the header must split into at least two fields; then the share of the first
    ``lines`` lines with as many fields as the header; then the number of fields. Comma when
    nothing splits the header.
    """
    head = itertools.islice(io.StringIO(text), lines + 1)  # no need to split the whole file
    sample = [ln.rstrip("\r\n") for ln in head if ln.strip()]
    if not sample:
        return ","
    best, best_score = ",", (0, 0.0, 0)
    for cand in SEPARATORS:
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=cand)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        same = sum(c == counts[0] for c in counts) / len(counts)
        score = (1, same, counts[0])
        if score > best_score:
            best, best_score = cand, score
    return best


def _unique_headers(row: Sequence[Any]) -> list[str]:
    """Header names with blanks named ``Unnamed: i`` and duplicates suffixed ``.1``, ``.2``."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, h in enumerate(row):
        h = str(h).strip() if h is not None else ""
        if h == "" or h.lower() == "nan":
            h = f"Unnamed: {i}"
        base = h
        while h in seen:
            seen[base] += 1
            h = f"{base}.{seen[base]}"
        seen.setdefault(h, 0)
        out.append(h)
    return out


def _read_text(raw: bytes, name: str, *, sep: str | None, encoding: str | None) -> RawTable:
    text, enc = decode(raw, name, encoding)
    if not text.strip():
        raise InputError(f"{name} is empty")
    if sep is not None:
        sep = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(sep, sep)
        if len(sep) != 1:
            raise InputError(f"--sep takes one character such as ',' ';' or 'tab', got {sep!r}")
    sep = sep or sniff_separator(text)
    try:
        # header=None: the first line is read as data too, so a row with more fields than the
        # header raises instead of being truncated or shifted into an index (pandas' defaults)
        grid = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            engine="c",
            skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        raise InputError(f"{name} is empty") from None
    except (pd.errors.ParserError, ValueError, OverflowError):
        return _read_ragged(text, name, sep, enc)
    headers = _unique_headers(grid.iloc[0].tolist())
    body = grid.iloc[1:].reset_index(drop=True)
    body.columns = headers
    body = body.fillna("").astype("str")  # rows shorter than the header: empty cells
    _check_unclosed_quote(text, body, name)
    return RawTable(body, name, encoding=enc, sep=sep)


def _check_unclosed_quote(text: str, body: pd.DataFrame, name: str) -> None:
    """Refuse a file whose quote (``"``) opened at the start of a field is never closed.

    CSV readers then take the rest of the file as one value: ``1,"12 MAIN ST,43.3,68.2``
    followed by a thousand good lines reads as a single row, and the thousand rows would be
    lost without a reason. Such a value runs to the end of the file across line breaks;
    legitimate multi-line values are closed before it ends.
    """
    if text.count('"') % 2 == 0 or len(body) == 0:
        return  # every opened quote is closed (escaped quotes come in pairs)
    tail = text.rstrip("\r\n")
    for col in body.columns:
        cells = body[col]
        multi = cells.str.contains("\n", regex=False)
        if not multi.any():
            continue
        for i in np.flatnonzero(multi.to_numpy()):
            value = cells.iloc[i].rstrip("\r\n")
            if value and tail.endswith(value):
                raise InputError(
                    f'{name}: the quote (") opened in column {col!r} of data row {i + 1} is '
                    "never closed, so every line after it would be read as one value; close "
                    "or remove that quote"
                )


def _read_ragged(text: str, name: str, sep: str, enc: str) -> RawTable:
    """Slow path for files whose rows have more fields than the header: csv module per row."""
    try:
        # skip blank and whitespace-only lines, as pandas' C parser does on the fast path
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        rows = [r for r in reader if len(r) > 1 or (r and r[0].strip())]
    except csv.Error as exc:
        raise InputError(f"cannot parse {name} as CSV with separator {sep!r}: {exc}") from None
    if not rows:
        raise InputError(f"{name} is empty")
    headers = _unique_headers(rows[0])
    n = len(headers)
    body = rows[1:]
    lengths = np.fromiter((len(r) for r in body), dtype=np.int64, count=len(body))
    malformed = lengths > n
    padded = [r[:n] + [""] * (n - len(r)) for r in body]
    frame = (
        pd.DataFrame(padded, columns=headers, dtype="str")
        if body
        else pd.DataFrame(columns=headers, dtype="str")
    )
    if malformed.any():
        extra = np.full(len(body), "", dtype=object)
        idx = np.flatnonzero(malformed)
        extra[idx] = [sep.join(body[i][n:]) for i in idx]
        frame[EXTRA_FIELDS] = pd.Series(extra, dtype="str")
    frame = frame.fillna("")
    _check_unclosed_quote(text, frame, name)
    return RawTable(frame, name, malformed=malformed, encoding=enc, sep=sep)


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
