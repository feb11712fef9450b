"""Row checks: every input row is accepted or rejected with exactly one reason.

Reasons, in the order they are checked (a row gets the first that applies):

1. ``malformed_row`` - a CSV record with more fields than the header (its values cannot be
   matched to columns safely), or a line whose opening quote would swallow the lines after it
   (see :mod:`hotspots.ingest.records`).
   ``bad_encoding`` - a line that is neither UTF-8 nor Cyrillic cp1251 (see
   :mod:`hotspots.ingest.encoding`).
2. ``missing_coordinates`` - a coordinate cell is empty (or ``NA``, ``null``, ``-`` ...).
3. ``unparseable_coordinates`` - a coordinate cell is not a number (decimal commas and
   spaces as thousands separators are understood), or a spatial file's geometry is not a
   point.
4. ``zero_placeholder`` - latitude = longitude = 0 (the "null island" agencies use for
   withheld locations); for projected X/Y, X = 0 or Y = 0 (no real easting or northing of a
   city is 0; Vancouver withholds locations as X = Y = 0). A lone longitude of 0 is *not* a
   placeholder in degrees: the Greenwich meridian crosses London.
5. ``swapped_lat_lon`` (degrees only) - the pair read as (lon, lat) instead of (lat, lon) is
   plausible and the pair as given is not. Plausible means inside the study area when a
   boundary or bounding box is given, otherwise inside the *bulk* of the rows: within
   ``max(5 * 1.4826 * MAD, 0.1)`` degrees of the median latitude and, separately, of the
   median longitude of the rows with in-range coordinates (5 robust standard deviations; the
   median and MAD ignore up to half the rows being swapped or wrong). Rows are never swapped
   silently: they are rejected so the source can be fixed.
6. ``out_of_range`` - latitude outside [-90, 90] or longitude outside [-180, 180], or a
   projected point that does not convert.
7. ``outside_study_area`` - outside the boundary (points on its edge count as inside) or the
   bounding box, when given.
8. ``unparseable_date`` (incidents with a time column only) - missing, not in a known format
   (see :func:`parse_datetimes`), an impossible date, or a year outside 1900-2100.
9. ``duplicate_id`` - an id already used by an *accepted* row above it (the first accepted
   occurrence is kept; empty ids are replaced by ``row-<source_row>`` and never clash).

``accepted + rejected == rows`` always: the two frames partition the input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from hotspots import schema as S
from hotspots.columns import ColumnMap
from hotspots.errors import InputError, ParameterError
from hotspots.ingest import categories
from hotspots.ingest.calendar import date_parts
from hotspots.ingest.categories import categorical_text
from hotspots.ingest.csvtable import TEXT_DTYPE
from hotspots.ingest.parse import (
    DAY,
    HOUR,
    MONTH,
    NULL_TOKENS,
    PRECISIONS,
    YEAR_RANGE,
    Times,
    as_arrow,
    clean,
    join_text,
    month_only,
    parse_epoch,
    parse_excel_serial,
    parse_number,
    parse_times,
    precision_codes,
    slash_order,
    trim,
)
from hotspots.offenses import UNKNOWN, normalise_kind, normalise_label
from hotspots.readers import RawTable

__all__ = [
    "NULL_TOKENS",
    "REASONS",
    "VENUE_REASONS",
    "YEAR_RANGE",
    "IngestResult",
    "assemble_parts",
    "bulk_box",
    "clean_text",
    "incident_times",
    "parse_datetimes",
    "parse_number",
    "slash_order",
    "validate_incidents",
    "validate_venues",
]

#: Rejection reasons, in the order they are checked.
REASONS: Final = (
    "malformed_row",
    "bad_encoding",
    "missing_coordinates",
    "unparseable_coordinates",
    "zero_placeholder",
    "swapped_lat_lon",
    "out_of_range",
    "outside_study_area",
    "unparseable_date",
    "duplicate_id",
)
#: Reasons that apply to venue files (no dates).
VENUE_REASONS: Final = tuple(r for r in REASONS if r != "unparseable_date")
_CODE: Final = {r: i + 1 for i, r in enumerate(REASONS)}  # 0 = accepted

#: Half-width floor (degrees) of the bulk box used by the swap check.
BULK_MIN_HALF_WIDTH: Final = 0.1
#: Robust standard deviations (1.4826 * MAD) of the bulk box half-width.
BULK_SIGMAS: Final = 5.0

Area = shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries


# Results ---------------------------------------------------------------------------------
@dataclass
class IngestResult:
    """What a reader returns: the accepted canonical table, the rejects and the counts.

    Attributes
    ----------
    accepted : pandas.DataFrame or geopandas.GeoDataFrame
        Canonical incidents (:data:`hotspots.schema.INCIDENT_COLUMNS`: a DataFrame located by
        ``lat``/``lon``, no point geometries) or venues (:data:`hotspots.schema.VENUE_COLUMNS`:
        a GeoDataFrame of points), EPSG:4326, in input order.
    rejected : pandas.DataFrame
        ``source_row``, ``reason`` and the raw text of every input column.
    rows : int
        Data rows in the input (``len(accepted) + len(rejected)``).
    reasons : dict
        Every reason that applies to this kind of table -> number of rows rejected for it
        (zeros included), in check order.
    columns : ColumnMap
        The columns used (given or detected).
    time_precision : str or None
        "minute", "hour", "day" or "month" when all accepted incidents share it, "mixed"
        when they don't, "none" without a time column; ``None`` for venues.
    """

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    rows: int
    reasons: dict[str, int]
    columns: ColumnMap
    time_precision: str | None = None
    kind: str = "incidents"
    source: str = ""
    crs: str | None = None
    encoding: str | None = None
    sep: str | None = None
    precision_counts: dict[str, int] = field(default_factory=dict)
    time_zone: dict[str, Any] | None = None
    encoding_counts: dict[str, int] = field(default_factory=dict)
    detection: dict[str, str] = field(default_factory=dict)
    compression: str | None = None

    @property
    def n_accepted(self) -> int:
        return len(self.accepted)

    @property
    def n_rejected(self) -> int:
        return len(self.rejected)

    def report(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable) summarising the ingest."""
        out: dict[str, Any] = {
            "source": self.source,
            "kind": self.kind,
            "rows": int(self.rows),
            "accepted": int(self.n_accepted),
            "rejected": int(self.n_rejected),
            "reasons": {k: int(v) for k, v in self.reasons.items()},
            "columns": self.columns.as_dict(),
            "crs": self.crs,
        }
        if self.kind == "incidents":
            out["time_precision"] = self.time_precision
            out["time_precision_counts"] = {k: int(v) for k, v in self.precision_counts.items()}
            out["time_zone"] = self.time_zone
            if S.OCCURRED_FROM in self.accepted:  # usable / too long / reversed windows
                from hotspots.timeaware.windows import window_summary

                out["time_windows"] = window_summary(self.accepted)
        if self.detection:
            out["detection"] = dict(self.detection)
        if self.encoding:
            out["encoding"] = self.encoding
        if self.encoding_counts:
            out["encoding_counts"] = {k: int(v) for k, v in self.encoding_counts.items()}
        if self.compression:
            out["compression"] = self.compression
        if self.sep:
            out["sep"] = {"\t": "tab"}.get(self.sep, self.sep)
        return out

    def write_rejects(self, path: str | Path) -> Path:
        """Write the rejected rows to a CSV file (UTF-8 with BOM, so Excel shows Cyrillic)."""
        from hotspots.output import write_csv  # formulas neutralised, written atomically

        return write_csv(self.rejected, path, encoding="utf-8-sig")


# Parsing helpers -------------------------------------------------------------------------
def clean_text(s: pd.Series) -> pd.Series:
    """Stripped text with no-value tokens (:data:`NULL_TOKENS`) as ``""``."""
    return pd.Series(clean(s), index=s.index, dtype="str")


def parse_datetimes(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse a text column of dates/date-times (see :func:`hotspots.ingest.parse.parse_times`).

    Values with a zone (``Z``, ``+06:00``) are returned as UTC; :func:`validate_incidents`
    converts them to the study area's local time.

    Returns
    -------
    occurred : pandas.Series of datetime64
        NaT where missing or unparseable.
    precision : ndarray of object
        "minute", "hour", "day", "month", or None where unparsed.
    """
    times = parse_times(text)
    return pd.Series(times.values, index=text.index), times.precision_names()


def assemble_parts(parts: dict[str, pd.Series]) -> tuple[pd.Series, np.ndarray]:
    """Date-times from part columns ``year``, ``month`` and optional ``day``/``hour``/``minute``.

    Year, month and (when the column exists) day must be whole numbers forming a real date;
    an empty hour lowers that row's precision to "day", an empty minute to "hour"; a
    non-numeric or out-of-range value makes the row unparseable.

    Returns
    -------
    occurred : pandas.Series of datetime64
    precision : ndarray of object (None where unparseable)
    """
    index = next(iter(parts.values())).index
    n = len(index)
    vals, miss, bad = {}, {}, {}
    for k, s in parts.items():
        v, m, b = parse_number(s)
        whole = np.isnan(v) | (v == np.round(v))
        vals[k], miss[k], bad[k] = v, m, b | ~whole
    limits = {"month": (1, 12), "day": (1, 31), "hour": (0, 23), "minute": (0, 59)}
    invalid = np.zeros(n, dtype=bool)
    for k in parts:
        invalid |= bad[k]
        if k in ("year", "month", "day"):
            invalid |= miss[k]
        if k in limits:
            lo, hi = limits[k]
            with np.errstate(invalid="ignore"):
                invalid |= ~miss[k] & ((vals[k] < lo) | (vals[k] > hi))
    y = vals["year"]
    with np.errstate(invalid="ignore"):
        invalid |= (y < YEAR_RANGE[0]) | (y > YEAR_RANGE[1])
    day = vals.get("day", np.ones(n))
    has_hour = ("hour" in parts) & ~miss.get("hour", np.ones(n, dtype=bool))
    has_min = has_hour & ("minute" in parts) & ~miss.get("minute", np.ones(n, dtype=bool))
    frame = pd.DataFrame(
        {
            "year": np.where(invalid, 2000, y),
            "month": np.where(invalid, 1, vals["month"]),
            "day": np.where(invalid, 1, day),
        }
    )
    dates = pd.to_datetime(frame, errors="coerce")  # 31 February -> NaT
    hours = np.where(has_hour & ~invalid, vals.get("hour", np.zeros(n)), 0)
    minutes = np.where(has_min & ~invalid, vals.get("minute", np.zeros(n)), 0)
    occurred = dates.to_numpy(dtype="datetime64[us]") + (
        np.nan_to_num(hours) * 60 + np.nan_to_num(minutes)
    ).astype("int64").astype("timedelta64[m]")
    invalid |= np.isnat(occurred)
    occurred[invalid] = np.datetime64("NaT")
    prec = np.where(has_min, "minute", np.where(has_hour, "hour", "day")).astype(object)
    if "day" not in parts:
        prec[:] = "month"
    prec[invalid] = None
    return pd.Series(occurred, index=index), prec


# Coordinates -----------------------------------------------------------------------------
def check_crs(crs: Any) -> CRS | None:
    """A pyproj CRS from user input, or an :class:`InputError` naming ``--crs``."""
    if crs is None or (isinstance(crs, str) and not crs.strip()):
        return None
    try:
        return CRS.from_user_input(crs)
    except CRSError:
        raise InputError(
            f"--crs {crs!r} is not a coordinate reference system pyproj knows "
            "(use e.g. EPSG:32610 or EPSG:3435)"
        ) from None


def check_bbox(bbox: Sequence[float] | None) -> tuple[float, float, float, float] | None:
    """Validate ``(min_lon, min_lat, max_lon, max_lat)`` in degrees."""
    if bbox is None:
        return None
    try:
        b = tuple(float(v) for v in bbox)
    except (TypeError, ValueError):
        b = ()
    if (
        len(b) != 4
        or not all(np.isfinite(b))
        or not (-180 <= b[0] < b[2] <= 180 and -90 <= b[1] < b[3] <= 90)
    ):
        raise ParameterError(
            f"bbox must be min_lon,min_lat,max_lon,max_lat in degrees with min < max, got {bbox}"
        )
    return b  # type: ignore[return-value]


def area_geometry(boundary: Area | None) -> shapely.Geometry | None:
    """One prepared (multi)polygon in EPSG:4326 from a boundary frame, series or geometry."""
    if boundary is None:
        return None
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        if boundary.crs is not None and not boundary.crs.equals(S.CRS):
            boundary = boundary.to_crs(S.CRS)
        geom = shapely.union_all(np.asarray(boundary.geometry.values))
    else:
        geom = boundary
    if geom is None or geom.is_empty:
        raise InputError("the study-area boundary is empty")
    shapely.prepare(geom)
    return geom


def _inside(lat: np.ndarray, lon: np.ndarray, area, bbox) -> np.ndarray:
    """Inside the study area and bounding box (NaN coordinates are outside)."""
    ok = np.isfinite(lat) & np.isfinite(lon)
    if bbox is not None:
        with np.errstate(invalid="ignore"):
            ok &= (lon >= bbox[0]) & (lon <= bbox[2]) & (lat >= bbox[1]) & (lat <= bbox[3])
    if area is not None and ok.any():
        idx = np.flatnonzero(ok)
        ok[idx] = shapely.intersects_xy(area, lon[idx], lat[idx])
    return ok


def _in_range(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)


#: Rows the bulk box is computed from (evenly spaced); more change it by far less than its
#: width (5 MAD, at least 0.1 degrees).
BULK_SAMPLE = 10_000


def bulk_box(
    lat: np.ndarray, lon: np.ndarray, where: np.ndarray | None = None
) -> tuple[float, float, float, float] | None:
    """``(lat0, lat_half, lon0, lon_half)``: median +- max(5 * 1.4826 * MAD, 0.1) degrees,
    of the rows ``where`` is true (all rows when omitted)."""
    if where is not None:
        n = int(np.count_nonzero(where))
        step = max(n // BULK_SAMPLE, 1)
        if step > 1:  # the same evenly spaced rows, without copying all of them first
            idx = np.flatnonzero(where)[::step]
            lat, lon = lat[idx], lon[idx]
        else:
            lat, lon = lat[where], lon[where]
    if lat.size == 0:
        return None
    if lat.size > BULK_SAMPLE:  # the bulk's centre and spread from evenly spaced rows
        step = lat.size // BULK_SAMPLE
        lat, lon = lat[::step], lon[::step]
    out = []
    for v in (lat, lon):
        med = float(np.median(v))
        mad = float(np.median(np.abs(v - med)))
        out += [med, max(BULK_SIGMAS * 1.4826 * mad, BULK_MIN_HALF_WIDTH)]
    return tuple(out)  # type: ignore[return-value]


def _at(idx: np.ndarray, n: int) -> np.ndarray:
    """A boolean mask of length ``n``, true at ``idx``."""
    out = np.zeros(n, dtype=bool)
    out[idx] = True
    return out


def _in_bulk(lat: np.ndarray, lon: np.ndarray, box) -> np.ndarray:
    lat0, lat_h, lon0, lon_h = box
    with np.errstate(invalid="ignore"):
        return (np.abs(lat - lat0) <= lat_h) & (np.abs(lon - lon0) <= lon_h)


def looks_like_degrees(x: np.ndarray, y: np.ndarray, share: float = 0.95) -> bool:
    """True when at least ``share`` of the finite non-(0, 0) pairs fit |x| <= 180, |y| <= 90."""
    ok = np.isfinite(x) & np.isfinite(y) & ~((x == 0) & (y == 0))
    if not ok.any():
        return True
    fits = (np.abs(x[ok]) <= 180) & (np.abs(y[ok]) <= 90)
    return bool(fits.mean() >= share)


@dataclass
class _Coords:
    lat: np.ndarray
    lon: np.ndarray
    code: np.ndarray  # reason codes so far
    projected: bool
    crs: str | None


@contextlib.contextmanager
def _workers(executor: Executor | None, n: int) -> Iterator[Executor]:
    """``executor`` when given (the block reader's, kept for the whole file: starting
    threads for every block cost about 3 ms a block), else ``n`` threads for this call."""
    if executor is not None:
        yield executor
        return
    with ThreadPoolExecutor(max_workers=n) as pool:
        yield pool


def resolve_coordinates(
    table: RawTable,
    cmap: ColumnMap,
    *,
    crs: Any = None,
    area: shapely.Geometry | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    executor: Executor | None = None,
) -> _Coords:
    """WGS84 lat/lon per row and the coordinate reason codes (0 where fine); ``executor``
    (optional) parses the second column beside the first."""
    frame = table.frame
    n = len(frame)
    code = np.zeros(n, dtype=np.int8)
    code[table.malformed] = _CODE["malformed_row"]
    code[table.bad_encoding & ~table.malformed] = _CODE["bad_encoding"]
    the_crs = check_crs(crs)
    if cmap.lat and cmap.lon:
        xcol, ycol, xy = cmap.lon, cmap.lat, False
    else:
        xcol, ycol, xy = cmap.x, cmap.y, True
    with _workers(executor, 1) as pool:  # the two columns side by side
        other = pool.submit(table.numbers, ycol)
        x, xmiss, xbad = table.numbers(xcol)
        y, ymiss, ybad = other.result()

    projected = False
    if the_crs is not None and not the_crs.equals(S.CRS):
        projected = the_crs.is_projected
        live = np.isfinite(x) & np.isfinite(y) & ~((x == 0) & (y == 0))
        if projected and not xy and live.any() and looks_like_degrees(x, y):
            # latitude/longitude columns read as metres would land near the CRS's origin
            i = np.flatnonzero(live)[0]
            raise InputError(
                f"--crs {crs} is for projected X/Y, but {ycol}/{xcol} in {table.source} hold "
                f"degrees (e.g. {y[i]:g}, {x[i]:g}); drop --crs, or name the X/Y columns "
                "with --x/--y"
            )
    elif xy and the_crs is None and not looks_like_degrees(x, y):
        ok = np.isfinite(x) & np.isfinite(y) & (x != 0) & (y != 0)
        ex = f" (e.g. {x[ok][0]:.2f}, {y[ok][0]:.2f})" if ok.any() else ""
        raise InputError(
            f"columns {xcol}/{ycol} in {table.source} hold projected coordinates{ex}, "
            "not degrees; give their CRS with --crs (for example --crs EPSG:32610)"
        )

    def mark(mask: np.ndarray, reason: str) -> None:
        if mask.any():  # (the usual block: no row to mark, one pass instead of three)
            code[(code == 0) & mask] = _CODE[reason]

    mark(xmiss | ymiss, "missing_coordinates")
    mark(xbad | ybad, "unparseable_coordinates")
    if projected:
        mark((x == 0) | (y == 0), "zero_placeholder")
    else:
        mark((x == 0) & (y == 0), "zero_placeholder")

    if the_crs is not None and not the_crs.equals(S.CRS):
        live = code == 0
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        if live.any():
            tr = Transformer.from_crs(the_crs, S.CRS, always_xy=True)
            with np.errstate(invalid="ignore"):
                lon[live], lat[live] = tr.transform(x[live], y[live], errcheck=False)
        lon = np.where(np.isfinite(lon), lon, np.nan)
        lat = np.where(np.isfinite(lat), lat, np.nan)
    else:
        lon, lat = x, y  # parse_number gives NaN for anything not finite

    in_range = _in_range(lat, lon)
    limited = area is not None or bbox is not None
    box = inside = None
    if not projected:
        live = code == 0
        given_ok = in_range.copy()
        if limited:
            inside = _inside(lat, lon, area, bbox)
            given_ok &= inside
        else:
            box = bulk_box(lat, lon, where=live & given_ok)
            if box is not None:
                given_ok &= _in_bulk(lat, lon, box)
        # only the rows that do not fit as given can fit the other way round
        doubt = np.flatnonzero(live & ~given_ok)
        if doubt.size and (limited or box is not None):
            sy, sx = lon[doubt], lat[doubt]  # swapped
            swap_ok = _in_range(sy, sx)
            if limited:
                swap_ok &= _inside(sy, sx, area, bbox)
            else:
                swap_ok &= _in_bulk(sy, sx, box)
            mark(_at(doubt[swap_ok], len(code)), "swapped_lat_lon")
    mark(~in_range, "out_of_range")
    if limited:
        if inside is None:
            inside = _inside(lat, lon, area, bbox)
        mark(~inside, "outside_study_area")
    crs_name = the_crs.to_string() if the_crs is not None else (table.geometry_crs or S.CRS)
    return _Coords(lat, lon, code, projected, crs_name)


# Whole tables ----------------------------------------------------------------------------
def _text_or_na(s) -> pd.Series:
    """Stripped text, ``<NA>`` where empty (Arrow kernels, no Python strings)."""
    t = trim(s)
    empty = pc.equal(t, "")
    if pc.any(empty).as_py():  # the column is copied only when some cell is empty
        t = pc.if_else(empty, pa.scalar(None, t.type), t)
    return pd.Series(t, dtype="str")


def _take(s: pd.Series, ok: np.ndarray) -> pa.Array:
    arr = as_arrow(s)
    if ok.all():
        # a copy of its own: the parse's buffers are freed with the block and reused for
        # the next one (held in the accepted ids, they kept the parser on fresh pages)
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return arr.filter(pa.array(ok))


def _accepted_text(frame: pd.DataFrame, col: str | None, ok: np.ndarray) -> pd.Series:
    """Stripped text of column ``col`` on the accepted rows (<NA> when empty or no column)."""
    if not col:
        return pd.Series(pa.nulls(int(ok.sum()), pa.string()), dtype="str")
    return _text_or_na(_take(frame[col], ok))


def _ids(frame: pd.DataFrame, col: str | None, source_row: np.ndarray) -> pd.Series:
    """The id column stripped, ``row-<source_row>`` where it is empty or absent."""
    if col:
        given = trim(frame[col])
        empty = np.asarray(pc.equal(given, "").to_numpy(zero_copy_only=False), dtype=bool)
        if not empty.any():
            return pd.Series(given, dtype="str")
    else:
        given, empty = None, np.ones(len(source_row), dtype=bool)
    generated = np.char.add("row-", source_row[empty].astype(str))
    if given is None:
        return pd.Series(generated, dtype="str")
    out = np.asarray(given.to_numpy(zero_copy_only=False), dtype=object)
    out[empty] = generated
    return pd.Series(out, dtype="str")


#: Whole numbers as a plain text writes them (no sign, no leading zero), within int64.
_PLAIN_INT = r"^(0|[1-9][0-9]{0,17})$"


def _np_mask(a) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


class SeenIds:
    """Ids accepted in earlier batches of the same file, as 64-bit hashes (8 bytes an id).

    Reading a file in batches (:mod:`hotspots.ingest.batches`), an id already accepted in an
    earlier batch is a ``duplicate_id`` too.
    """

    #: Sorted runs kept before they are merged into one (membership asks every run).
    MAX_RUNS = 8

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    @staticmethod
    def hashes(ids: pd.Series, numbers: Numbers | None = None) -> np.ndarray:
        """64-bit keys of ``ids``: a whole number written plainly (``"1042"``) is its own
        value, any other text its pandas hash.

        Police ids are mostly plain numbers; casting them is a fraction of the cost of hashing
        their text, and the same id gets the same key in every batch whichever way it goes.
        ``numbers`` (:func:`_numbers` of ``ids``) saves casting them again.
        """
        numbers = numbers if numbers is not None else _numbers(ids)
        if numbers is not None and numbers.plain.all():
            return numbers.values.view(np.uint64)
        arr = as_arrow(ids)
        plain = _np_mask(pc.match_substring_regex(arr, _PLAIN_INT))
        out = np.empty(len(arr), dtype=np.uint64)
        if plain.any():
            ints = pc.cast(arr.filter(pa.array(plain)), pa.int64())
            out[plain] = ints.to_numpy(zero_copy_only=False).view(np.uint64)
        other = pd.Series(arr.filter(pa.array(~plain)), dtype="str")
        out[~plain] = pd.util.hash_pandas_object(other, index=False).to_numpy()
        return out

    def contains(self, h: np.ndarray) -> np.ndarray:
        found = np.zeros(len(h), dtype=bool)
        if not len(h):
            return found
        lo, hi = h.min(), h.max()
        for run in self._runs:
            if lo > run[-1] or hi < run[0]:
                continue  # disjoint ranges (ids in file order): nothing to look up
            pos = np.searchsorted(run, h).clip(0, run.size - 1)
            found |= run[pos] == h
        return found

    def add(self, h: np.ndarray) -> None:
        # one sorted run per batch; merged now and then, so a lookup asks few runs
        if not len(h):  # a batch without accepted ids: an empty run cannot be searched
            return
        ordered = len(h) < 2 or bool((h[1:] >= h[:-1]).all())  # ids in file order often are
        self._runs.append(h if ordered else np.sort(h))
        if len(self._runs) > self.MAX_RUNS:
            merged = np.concatenate(self._runs)
            # runs that follow each other (ids in file order) are sorted once joined
            if any(a[-1] >= b[0] for a, b in zip(self._runs, self._runs[1:], strict=False)):
                merged.sort()
            self._runs = [merged]


@dataclass(frozen=True)
class Numbers:
    """Ids that are all whole numbers: their values, and which are written plainly (no sign,
    no leading zero, at most 18 digits: the texts :data:`_PLAIN_INT` matches)."""

    values: np.ndarray
    plain: np.ndarray

    def take(self, idx: np.ndarray) -> Numbers:
        return Numbers(self.values[idx], self.plain[idx])


#: The smallest number written plainly with as many digits as the index (0 for one digit;
#: no number for 0 digits or more than 18).
_PLAIN_FROM = np.array(
    [np.iinfo(np.int64).max, 0, *(10 ** np.arange(1, 18, dtype=np.int64))]
    + [np.iinfo(np.int64).max],
    dtype=np.int64,
)


def _numbers(ids: pd.Series) -> Numbers | None:
    """:class:`Numbers` of ``ids``, or ``None`` when some id is not a whole number.

    One cast and the texts' lengths: a number is written plainly when it has as many digits
    as its text has characters, that is when it is at least the smallest number of that many
    digits (a sign or a leading zero is a character more; a regular expression over every
    id cost as much again, and counting the digits by a search three times as much as this).
    """
    arr = as_arrow(ids)
    try:
        v = pc.cast(arr, pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    length = pc.binary_length(arr).to_numpy(zero_copy_only=False)
    low = _PLAIN_FROM[np.minimum(length, len(_PLAIN_FROM) - 1)]
    return Numbers(v, (v >= low) & (length <= 18))


def _all_unique(ids: pd.Series, numbers: Numbers | None) -> bool:
    """Whether every id differs; whole-number ids are checked as integers (a sort)."""
    if numbers is None:
        return bool(ids.is_unique)
    v = numbers.values
    # distinct numbers are distinct texts; equal numbers may not be ("007", "7"): ask pandas.
    # Exports are often in id order: increasing ids need no sort
    if len(v) < 2 or (v[1:] > v[:-1]).all():
        return True
    return not (np.diff(np.sort(v)) == 0).any() or bool(ids.is_unique)


def _live_duplicates(ids: pd.Series, numbers: Numbers | None, live: np.ndarray) -> np.ndarray:
    """Which of the ``live`` rows repeat an id of an earlier live row (in live-row order).

    Ids that are all written plainly are compared as their numbers (one text per number):
    hashing the text of every id cost 10 ms a 100,000-row block, and a block with a rejected
    row needs this every time (increasing ids, the usual export, need no hashing at all).
    """
    if numbers is not None and numbers.plain.all():
        v = numbers.values[live]
        if len(v) < 2 or (v[1:] > v[:-1]).all():
            return np.zeros(len(v), dtype=bool)
        return pd.Series(v).duplicated(keep="first").to_numpy()
    return ids[live].duplicated(keep="first").to_numpy()


def _mark_duplicates(code: np.ndarray, ids: pd.Series, seen: SeenIds | None = None) -> None:
    live = code == 0
    numbers = _numbers(ids)
    if not (live.all() and _all_unique(ids, numbers)):
        dup = np.zeros(len(code), dtype=bool)
        dup[live] = _live_duplicates(ids, numbers, live)
        code[dup] = _CODE["duplicate_id"]
    if seen is not None:
        live = np.flatnonzero(code == 0)
        if len(live) == len(code):  # the usual block: no copy of the ids
            h = SeenIds.hashes(ids, numbers)
        else:
            h = SeenIds.hashes(ids.iloc[live], numbers.take(live) if numbers else None)
        again = seen.contains(h)
        code[live[again]] = _CODE["duplicate_id"]
        seen.add(h[~again])


def _rejected_frame(table: RawTable, code: np.ndarray, source_row: np.ndarray) -> pd.DataFrame:
    rej = code != 0
    cols = table.text_columns  # every column, also those a block was read without
    clash = {c: f"raw_{c}" for c in cols if c in ("source_row", "reason")}
    if not rej.any():  # nothing to copy out of the (possibly large) raw frame
        # empty text arrays put together at once (0.2 ms; slicing, casting and inserting
        # into the raw frame took 0.5 ms, paid by every block of a file)
        data: dict[str, Any] = {S.SOURCE_ROW: np.empty(0, dtype=np.int64)}
        empty = pd.array([], dtype=TEXT_DTYPE)  # one for all: copied on write, never shared
        for name in ("reason", *(clash.get(c, c) for c in cols)):
            data[name] = empty
        return pd.DataFrame(data, copy=False)
    raw = table.text_rows(rej)
    raw = raw.rename(columns=clash)
    names = np.asarray(("",) + REASONS, dtype=object)
    head = pd.DataFrame(
        {
            S.SOURCE_ROW: source_row[rej].astype("int64"),
            "reason": pd.Series(names[code[rej]], dtype="str"),
        }
    )
    return pd.concat([head, raw], axis=1)


def _counts(code: np.ndarray, reasons: Sequence[str]) -> dict[str, int]:
    bins = np.bincount(code, minlength=len(REASONS) + 1)
    return {r: int(bins[_CODE[r]]) for r in reasons}


def _check_coordinates(
    table: RawTable,
    cmap: ColumnMap,
    crs: Any,
    boundary: Area | None,
    bbox: Any,
    first_row: int = 1,
) -> tuple[np.ndarray, _Coords]:
    """1-based source rows (from ``first_row``) and the coordinate checks (reasons 1-7)."""
    source_row = np.arange(first_row, first_row + len(table.frame), dtype=np.int64)
    coords = resolve_coordinates(
        table, cmap, crs=crs, area=area_geometry(boundary), bbox=check_bbox(bbox)
    )
    return source_row, coords


def _accepted_frame(
    columns: dict[str, Any],
    coords: _Coords,
    source_row: np.ndarray,
    ok: np.ndarray,
    *,
    points: bool,
) -> pd.DataFrame:
    """The accepted rows: ``columns``, then ``lat``, ``lon``, ``source_row``; with ``points``
    a GeoDataFrame with point geometries too (venues: a few hundred rows, drawn as markers).

    Incidents get no points: a million shapely objects cost more than the rest of ingest
    (0.6 s and 200 MiB), and every analysis reads ``lat``/``lon`` (:func:`schema.incident_points`
    makes them when a caller needs geometries).
    """
    every = bool(ok.all())  # the usual case: the arrays as they are, no copies

    def accepted(a: np.ndarray, dtype: str) -> np.ndarray:
        return (a if every else a[ok]).astype(dtype, copy=False)

    lat, lon = accepted(coords.lat, "float64"), accepted(coords.lon, "float64")
    data = {
        **{c: _unindexed(v) for c, v in columns.items()},
        S.LAT: lat,
        S.LON: lon,
        S.SOURCE_ROW: accepted(source_row, "int64"),
    }
    frame = pd.DataFrame(data, copy=False)  # no consolidation copy of the columns
    if not points:
        return frame
    geometry = gpd.points_from_xy(lon, lat, crs=S.CRS)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=S.CRS, copy=False)


def _unindexed(col: Any) -> Any:
    """A column of rows numbered from 0 (a Series on the default index) as its array: the
    frame is then put together without aligning every column on the union of their
    indexes, which was most of the cost of making it for a small block."""
    if isinstance(col, pd.Series) and isinstance(col.index, pd.RangeIndex):
        idx = col.index
        if idx.start == 0 and idx.step == 1:
            return col.array
    return col


def _result(
    table: RawTable,
    cmap: ColumnMap,
    code: np.ndarray,
    source_row: np.ndarray,
    coords: _Coords,
    accepted: gpd.GeoDataFrame,
    kind: str,
    **extra: Any,
) -> IngestResult:
    reasons = REASONS if kind == "incidents" else VENUE_REASONS
    return IngestResult(
        accepted=accepted,
        rejected=_rejected_frame(table, code, source_row),
        rows=len(table.frame),
        reasons=_counts(code, reasons),
        columns=cmap,
        kind=kind,
        source=table.source,
        crs=coords.crs,
        encoding=table.encoding,
        sep=table.sep,
        encoding_counts=table.encoding_counts,
        compression=table.compression,
        **extra,
    )


def incident_times(table: RawTable, cmap: ColumnMap) -> Times | None:
    """Parse the time column(s) named in ``cmap``; ``None`` when there are none.

    A date column and a time-of-day column are joined with a space. ``cmap.time_format``
    picks a numeric format (``epoch_s``, ``epoch_ms``, ``excel``) or a slash order
    (``dmy``/``mdy``). Dates that are all the 1st of their month over several months are
    month-precision data (``2022-01-01``, ``2022-02-01`` ...), not day precision.
    """
    frame = table.frame
    if cmap.time_columns:
        cols = [frame[c] for c in cmap.time_columns]
        fmt = cmap.time_format
        if fmt in ("epoch_s", "epoch_ms"):
            return parse_epoch(cols[0], unit=fmt.split("_")[1])
        if fmt == "excel":
            return parse_excel_serial(cols[0])
        times = parse_times(join_text(cols), order=fmt if fmt in ("dmy", "mdy") else None)
        if month_only(times):
            times.precision[times.precision == DAY] = MONTH
        return times
    if cmap.time_parts:
        parts = {k: frame[v].reset_index(drop=True) for k, v in cmap.time_parts.items()}
        occurred, prec = assemble_parts(parts)
        pcode = precision_codes(prec)
        return Times(occurred.to_numpy(dtype="datetime64[us]"), pcode, np.zeros(len(prec), bool))
    return None


def zone_of(lat: np.ndarray, lon: np.ndarray) -> str | None:
    """IANA time zone at the median of the points (offline lookup), ``None`` without points."""
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return None
    import tzfpy

    return tzfpy.get_tz(float(np.median(lon[ok])), float(np.median(lat[ok])))


def check_tz(tz: str) -> str:
    """``tz`` if it is an IANA zone name, else an :class:`InputError` naming ``--tz``."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"--tz {tz!r} is not a time zone name; use an IANA name such as Asia/Almaty, "
            "Asia/Qyzylorda or Europe/London"
        ) from None
    return tz


def _to_local(times: Times, coords: _Coords, code: np.ndarray, tz: str | None) -> dict | None:
    """Convert the zoned (UTC) values of ``times`` to local wall time, in place.

    Returns what the report says about it: ``{"zone", "from", "converted"}``, or ``None``
    when no value carried a zone and no zone was given.
    """
    aware = times.aware & ~np.isnat(times.values)
    if tz is not None:
        zone, origin = check_tz(tz), "--tz"
    elif aware.any():
        live = code == 0
        zone, origin = zone_of(coords.lat[live], coords.lon[live]), "coordinates"
    else:
        return None
    if zone is None:
        zone, origin = "UTC", "no coordinates to find it from"
    n = int(aware.sum())
    if n:
        idx = np.flatnonzero(aware)
        utc = pd.DatetimeIndex(times.values[idx]).tz_localize("UTC")
        local = utc.tz_convert(zone).tz_localize(None)
        times.values[idx] = local.to_numpy(dtype="datetime64[us]")
    return {"zone": zone, "from": origin, "converted": n}


def validate_incidents(
    table: RawTable,
    cmap: ColumnMap,
    *,
    crs: Any = None,
    boundary: Area | None = None,
    bbox: Sequence[float] | None = None,
    tz: str | None = None,
    seen_ids: SeenIds | None = None,
    first_row: int = 1,
    executor: Executor | None = None,
    seen_values: categories.SeenValues | None = None,
) -> IngestResult:
    """Check every row of ``table`` and build the canonical incidents (see module docs).

    Parameters
    ----------
    table : RawTable
        Text table from :func:`hotspots.readers.read_table`.
    cmap : ColumnMap
        Complete column map (from :func:`hotspots.columns.detect_columns`) with a
        coordinate pair.
    crs : str or pyproj.CRS, optional
        CRS of the coordinate columns (WGS84 degrees when omitted).
    boundary : GeoDataFrame, GeoSeries or shapely geometry, optional
        Study area; rows outside are rejected.
    bbox : (min_lon, min_lat, max_lon, max_lat), optional
        Study-area box in degrees.
    tz : str, optional
        IANA time zone of the study area (``"Asia/Almaty"``): times with a zone are
        converted to it. Found from the coordinates when omitted.
    seen_ids : SeenIds, optional
        Ids accepted in earlier batches of the same file (batched reading); updated.
    first_row : int, default 1
        Source row number of the table's first row (a later batch of a file starts where
        the one before ended), so ``source_row`` and the ``row-<n>`` ids of rows without an
        id are those of the whole file.
    executor : concurrent.futures.Executor, optional
        At least two threads to parse columns side by side (batched reading passes one for
        the whole file); two threads of its own for this call when omitted.
    seen_values : SeenValues, optional
        Offense and premise values met in earlier batches of the same file (batched
        reading); updated. Only speeds the encoding up: the result is the same without.
    """
    frame = table.frame
    source_row = np.arange(first_row, first_row + len(frame), dtype=np.int64)
    if seen_values is None:  # nothing seen before: every value encoded afresh
        seen_values = categories.SeenValues()
    # the columns are parsed side by side: Arrow's and NumPy's kernels release the GIL
    with _workers(executor, 2) as pool:
        parsed_times = pool.submit(incident_times, table, cmap)
        parsed_ids = pool.submit(_ids, frame, cmap.incident_id, source_row)
        coords = resolve_coordinates(
            table,
            cmap,
            crs=crs,
            area=area_geometry(boundary),
            bbox=check_bbox(bbox),
            executor=executor,
        )
        times, ids = parsed_times.result(), parsed_ids.result()
    code = coords.code

    # dates
    if times is not None:
        code[(code == 0) & (times.precision == 0)] = _CODE["unparseable_date"]
        zone = _to_local(times, coords, code, tz)
    else:
        zone = None

    _mark_duplicates(code, ids, seen_ids)

    ok = code == 0
    with _workers(executor, 2) as pool:  # the accepted columns side by side
        dates = pool.submit(_time_columns, times, ok)
        offenses = pool.submit(_offense_columns, frame, cmap.offense, ok, seen_values)
        columns = {
            S.INCIDENT_ID: pd.Series(_take(ids, ok), dtype="str"),
            S.PREMISE: (
                categorical_text(frame[cmap.premise], ok, seen_values, S.PREMISE)
                if cmap.premise
                else categories.missing(np.count_nonzero(ok))
            ),
        }
        time_columns, pcode = dates.result()
        columns.update(time_columns)
        columns[S.OFFENSE], columns[S.OFFENSE_RAW] = offenses.result()
    order = (S.INCIDENT_ID, S.OCCURRED_AT, S.TIME_PRECISION, S.YEAR, S.MONTH, S.WEEKDAY, S.HOUR)
    order += (S.OFFENSE, S.OFFENSE_RAW, S.PREMISE)
    accepted = _accepted_frame({c: columns[c] for c in order}, coords, source_row, ok, points=False)
    if cmap.occurred_from and cmap.occurred_to:  # from/to time window: hotspots.timeaware
        from hotspots.timeaware.windows import window_columns

        local = (zone or {}).get("zone") or tz
        accepted = accepted.assign(**window_columns(frame, cmap, ok, zone=local))
    bins = np.bincount(pcode, minlength=len(PRECISIONS))
    precision_counts = {
        p: int(bins[i]) for i, p in reversed(list(enumerate(PRECISIONS))) if i and bins[i]
    }
    if times is None:
        summary = "none"
    elif len(precision_counts) == 1:
        summary = next(iter(precision_counts))
    elif precision_counts:
        summary = "mixed"
    else:
        summary = "none"
    return _result(
        table,
        cmap,
        code,
        source_row,
        coords,
        accepted,
        "incidents",
        time_precision=summary,
        precision_counts=precision_counts,
        time_zone=zone,
    )


#: Names of the precision codes in the accepted table (0: no time).
_PRECISION_NAMES = ("none", *PRECISIONS[1:])


def _time_columns(times: Times | None, ok: np.ndarray) -> tuple[dict[str, pd.Series], np.ndarray]:
    """``occurred_at``, ``time_precision`` and the date parts of the accepted rows, and their
    precision codes.

    The parts come from :func:`hotspots.ingest.calendar.date_parts` (tables of every day;
    pandas' ``.dt`` accessors cost ten times as much); a part is <NA> where the time is
    unknown or too coarse (no weekday without the day, no hour without the hour).
    """
    n_ok = int(np.count_nonzero(ok))
    every = n_ok == len(ok)
    if times is None:
        values = np.full(n_ok, np.datetime64("NaT"), dtype="datetime64[us]")
        pcode = np.zeros(n_ok, dtype=np.int8)
    else:
        values = times.values if every else times.values[ok]
        pcode = times.precision if every else times.precision[ok]
    nat = np.isnat(values)
    parts = date_parts(np.where(nat, 0, values.view(np.int64)))

    def part(name: str, unknown: np.ndarray) -> pd.Series:
        width = np.dtype(S.PART_DTYPES[name].lower())  # Int16 -> int16
        return pd.Series(pd.arrays.IntegerArray(parts[name].astype(width, copy=False), unknown))

    precision = categories.from_labels(_PRECISION_NAMES, pcode)
    columns = {
        S.OCCURRED_AT: pd.Series(values.astype("datetime64[ns]")),
        S.TIME_PRECISION: precision,
        S.YEAR: part(S.YEAR, nat),
        S.MONTH: part(S.MONTH, nat),
        S.WEEKDAY: part(S.WEEKDAY, nat | (pcode < DAY)),
        S.HOUR: part(S.HOUR, nat | (pcode < HOUR)),
    }
    return columns, pcode


def _offense_columns(
    frame: pd.DataFrame, col: str | None, ok: np.ndarray, seen: categories.SeenValues
):
    """``offense`` (normalised, :data:`UNKNOWN` when empty) and ``offense_raw`` (stripped,
    <NA> when empty) of the accepted rows, as categoricals: the labels are normalised once
    per distinct value (:mod:`hotspots.ingest.categories`)."""
    n_ok = int(np.count_nonzero(ok))
    if not col:
        return categories.constant(UNKNOWN, n_ok), categories.missing(n_ok)
    enc = seen.encode(S.OFFENSE, frame[col]).kept(ok)
    raw = categories.stripped(enc.values)
    return enc.categorical([normalise_label(x) for x in raw]), enc.categorical(raw)


def validate_venues(
    table: RawTable,
    cmap: ColumnMap,
    *,
    crs: Any = None,
    boundary: Area | None = None,
    bbox: Sequence[float] | None = None,
) -> IngestResult:
    """Check every row of a venue table and build the canonical venues.

    Same coordinate and id checks as :func:`validate_incidents` (no dates). ``kind`` is
    lowercase snake case (``"unknown"`` when absent), ``name`` the stripped text (NA when
    empty), ``venue_id`` the id column or ``row-<source_row>``.
    """
    source_row, coords = _check_coordinates(table, cmap, crs, boundary, bbox)
    code = coords.code
    ids = _ids(table.frame, cmap.venue_id, source_row)
    _mark_duplicates(code, ids)
    ok = code == 0
    accepted = _accepted_frame(
        {
            S.VENUE_ID: pd.Series(_take(ids, ok), dtype="str"),
            S.NAME: _accepted_text(table.frame, cmap.name, ok),
            S.KIND: normalise_kind(_accepted_text(table.frame, cmap.kind, ok)),
        },
        coords,
        source_row,
        ok,
        points=True,
    )
    return _result(table, cmap, code, source_row, coords, accepted, "venues")
