"""Reading incidents, venues and study areas: the public entry points of ingest.

>>> from hotspots.io import read_incidents
>>> result = read_incidents("calls.csv")                      # doctest: +SKIP
>>> result.report()["reasons"]                                # doctest: +SKIP
{'malformed_row': 0, 'missing_coordinates': 3, ...}

Each reader returns an :class:`IngestResult`: the canonical table (``accepted``), the rejected
rows with their reason and raw values (``rejected``) and the counts. The pipeline is
:func:`hotspots.readers.read_table` (text, nothing coerced) ->
:func:`hotspots.columns.detect_columns` -> :mod:`hotspots.validation` (one reason per rejected
row; the reasons and their order are documented there).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from hotspots import schema as S
from hotspots.columns import ColumnMap, require_coordinates
from hotspots.errors import InputError
from hotspots.ingest.detect import detect
from hotspots.ingest.memory import release_freed
from hotspots.ingest.source import COMPRESSED, PACKED_TEXT_RATIO
from hotspots.ingest.store import read_ingested
from hotspots.readers import TEXT_SUFFIXES, Source, read_table
from hotspots.store.database import DatabaseSource, read_database
from hotspots.validation import (
    REASONS,
    VENUE_REASONS,
    Area,
    IngestResult,
    validate_incidents,
    validate_venues,
)

__all__ = [
    "REASONS",
    "VENUE_REASONS",
    "ColumnMap",
    "IngestResult",
    "read_boundary",
    "read_incidents",
    "read_venues",
]

_GEOMETRY_COLUMNS = {"geometry_lon", "geometry_lat"}


def _prepare(
    path: Source,
    columns: ColumnMap | None,
    crs: Any,
    sep: str | None,
    encoding: str | None,
    kind: str,
    limits: dict[str, Any],
    progress: Progress | None = None,
):
    step = progress or _silent
    step(0.0, "reading")
    if isinstance(path, DatabaseSource):  # a table or query: the same checks as a file
        table = read_database(path, max_columns=limits.get("max_columns"))
    else:
        # the columns are found from a sample of the records while the parser still runs (an
        # error there is raised again, naming the file, by detecting on the table below)
        def find(sample):
            return detect(sample, columns, kind=kind, prefer_xy=crs is not None)

        table = read_table(path, sep=sep, encoding=encoding, on_sample=find, **limits)
    release_freed()  # the file's bytes and the parser's buffers, before validation allocates
    step(0.4, "finding the columns")
    det = table.sampled
    if det is None:
        det = detect(
            table.frame, columns, kind=kind, source=table.source, prefer_xy=crs is not None
        )
    step(0.5, "checking every row")
    require_coordinates(det.columns, table.headers, table.source)
    cmap = det.columns
    if {cmap.lat, cmap.lon} == _GEOMETRY_COLUMNS:
        crs = None  # already converted to WGS84 from the file's own CRS
    return table, det, crs


Progress = Callable[[float, str], None]


def _silent(fraction: float, what: str = "") -> None:
    """No progress report."""


def _boundary(boundary: Area | str | Path | None) -> Area | None:
    if boundary is None or isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        return boundary
    if isinstance(boundary, shapely.Geometry):
        return boundary
    return read_boundary(boundary)


def read_incidents(
    path: Source,
    *,
    columns: ColumnMap | None = None,
    crs: Any = None,
    boundary: Area | str | Path | None = None,
    bbox: Sequence[float] | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    tz: str | None = None,
    member: str | None = None,
    max_bytes: int | None = None,
    max_columns: int | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Read and validate an incident (calls / crimes) file.

    Parameters
    ----------
    path : str, Path, bytes, binary file object or DatabaseSource
        CSV/TXT, XLSX, GeoJSON, GPKG, Shapefile or (Geo)Parquet. A stream (e.g. an upload)
        needs a ``name`` attribute with the right suffix. A
        :class:`hotspots.store.database.DatabaseSource` reads a table or query.
    columns : ColumnMap, optional
        Columns to use; anything left ``None`` is detected from the header names.
    crs : str or pyproj.CRS, optional
        CRS of the coordinate columns, e.g. ``"EPSG:32610"`` for UTM X/Y; WGS84 degrees when
        omitted. Ignored for spatial files with a CRS (their geometry is converted).
    boundary : GeoDataFrame, GeoSeries, shapely geometry or path, optional
        Study area; incidents outside are rejected as ``outside_study_area``.
    bbox : (min_lon, min_lat, max_lon, max_lat), optional
        Study-area box in degrees.
    sep, encoding : str, optional
        CSV separator and text encoding (both detected when omitted).
    tz : str, optional
        IANA time zone of the study area; timestamps with a zone (``Z``, ``+06:00``) are
        converted to it. Found from the coordinates when omitted.
    member : str, optional
        The table to read inside a zip archive holding several files.
    max_bytes, max_columns : int, optional
        Refuse an input larger than this (after unpacking) or wider than this, before
        parsing (the app's upload limits).
    progress : callable, optional
        ``progress(fraction, what)`` called as the stages go by (reading, finding the
        columns, checking every row, done): the app's progress bar.

    Columns are found by their values, names breaking ties (:mod:`hotspots.ingest.detect`);
    when the time columns chosen would reject more than half of the rows as
    ``unparseable_date``, the next candidate is tried. A GeoParquet file written by
    ``hotspots ingest`` (:func:`hotspots.ingest.store.write_ingested`) is loaded as it is,
    without validating again.

    Returns
    -------
    IngestResult
        ``accepted`` has :data:`hotspots.schema.INCIDENT_COLUMNS`; ``detection`` says which
        column was taken for what and why.

    Raises
    ------
    InputError
        The file cannot be used at all: unreadable, empty, no coordinate columns, a named
        column that does not exist, projected X/Y without ``crs``.
    """
    stored = read_ingested(path, kind="incidents", boundary=_boundary(boundary), bbox=bbox)
    if stored is not None:
        return stored
    if isinstance(path, str | Path) and Path(path).is_dir():  # `hotspots ingest --partition`
        from hotspots.ingest.partitioned import read_partitioned

        return read_partitioned(path, kind="incidents", boundary=_boundary(boundary), bbox=bbox)
    limits = {"member": member, "max_bytes": max_bytes, "max_columns": max_columns}
    return _read_incidents(path, columns, crs, boundary, bbox, sep, encoding, tz, limits, progress)


def _read_incidents(path, columns, crs, boundary, bbox, sep, encoding, tz, limits, progress):
    """:func:`read_incidents` for files other than an ingested GeoParquet."""
    block = _in_blocks(path, limits)
    if block:
        from hotspots.ingest.batches import read_in_blocks

        kw = {"columns": columns, "crs": crs, "boundary": boundary, "bbox": bbox, "tz": tz}
        result = read_in_blocks(
            path, sep=sep, encoding=encoding, progress=progress, block_bytes=block, **kw
        )
        (progress or _silent)(1.0, "done")
        return result
    table, det, crs = _prepare(path, columns, crs, sep, encoding, "incidents", limits, progress)
    area = _boundary(boundary)
    result, _ = validate_with_fallback(table, det, crs=crs, boundary=area, bbox=bbox, tz=tz)
    (progress or _silent)(1.0, "done")
    return result


#: Text files larger than this (bytes of text) are read and validated in blocks
#: (:func:`_block_bytes`): time and memory then grow in proportion to the rows (a block is
#: validated while the next is parsed, on the second core). 10 million calls (700 MB) take
#: 3.7-4.8 s at about 107 MiB per million, where reading them whole took 17.8 s at 340 MiB; a
#: million calls read whole peaked at 330 MiB (the file, all its text and the checks' arrays
#: at once), and in 7 MB blocks at under 200 MiB.
BLOCK_READ_BYTES = 16 << 20
#: Largest block of those reads (about 450,000 calls).
BLOCK_READ_BLOCK = 32 << 20
#: Smallest block: below it the fixed cost of a block (a few milliseconds) starts to show.
BLOCK_READ_MIN_BLOCK = 4 << 20


def _block_bytes(text_bytes: int) -> int:
    """Block size for a file of ``text_bytes``: a tenth of it, within
    [:data:`BLOCK_READ_MIN_BLOCK`, :data:`BLOCK_READ_BLOCK`]. Ten blocks keep a mid-size file's
    peak memory well under two blocks' worth of text and checks, and keep both cores busy
    after the first block; large files get the largest block (fewer, fuller blocks)."""
    return int(min(BLOCK_READ_BLOCK, max(BLOCK_READ_MIN_BLOCK, text_bytes // 10)))


def _in_blocks(path: Source, limits: dict[str, Any]) -> int:
    """The block size to read ``path`` with, or 0 when it is not a delimited text file
    larger than :data:`BLOCK_READ_BYTES`."""
    if not isinstance(path, str | Path) or limits.get("max_bytes") or limits.get("member"):
        return 0
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes[-2:]]
    packed = bool(suffixes) and suffixes[-1] in COMPRESSED and suffixes[-1] != ".zip"
    inner = suffixes[-2] if packed and len(suffixes) == 2 else (suffixes[-1] if suffixes else "")
    if inner not in TEXT_SUFFIXES or not p.is_file():
        return 0
    text = p.stat().st_size * (PACKED_TEXT_RATIO if packed else 1)
    return _block_bytes(text) if text > BLOCK_READ_BYTES else 0


def validate_with_fallback(table, det, **kwargs: Any) -> tuple[IngestResult, Any]:
    """:func:`validate_incidents` with the detected columns, then with the next time mapping
    while the one before rejects more than half of the rows as ``unparseable_date``.

    Returns the result (its ``detection`` notes set) and the column map it used.
    """
    result = validate_incidents(table, det.columns, **kwargs)
    cmap = det.columns
    notes = dict(det.notes)
    for alt, why in det.time_alternatives:
        if result.reasons.get("unparseable_date", 0) <= result.rows / 2:
            break
        other = validate_incidents(table, alt, **kwargs)
        if other.reasons["unparseable_date"] < result.reasons["unparseable_date"]:
            result, cmap = other, alt
            notes["time"] = f"{why} (the first choice rejected more than half of the rows)"
    result.detection = notes
    return result, cmap


def read_venues(
    path: Source,
    *,
    columns: ColumnMap | None = None,
    crs: Any = None,
    boundary: Area | str | Path | None = None,
    bbox: Sequence[float] | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    member: str | None = None,
    max_bytes: int | None = None,
    max_columns: int | None = None,
) -> IngestResult:
    """Read and validate a venue file (cafés, bars, public spaces ...).

    Columns detected: name (``name``, ``premisesname``, ``title``, ``название`` ...), kind
    (``kind``, ``type``, ``category``, ``amenity``, ``вид``, ``тип`` ...) and id (``venue_id``,
    ``id`` ...), plus the coordinates as for :func:`read_incidents`. Same parameters and
    rejection reasons as :func:`read_incidents` minus dates.

    Returns
    -------
    IngestResult
        ``accepted`` has :data:`hotspots.schema.VENUE_COLUMNS` plus ``source_row``.
    """
    stored = read_ingested(path, kind="venues", boundary=_boundary(boundary), bbox=bbox)
    if stored is not None:
        return stored
    limits = {"member": member, "max_bytes": max_bytes, "max_columns": max_columns}
    table, det, crs = _prepare(path, columns, crs, sep, encoding, "venues", limits)
    result = validate_venues(table, det.columns, crs=crs, boundary=_boundary(boundary), bbox=bbox)
    result.detection = dict(det.notes)
    return result


def read_boundary(path: Source) -> gpd.GeoDataFrame:
    """Read a study-area polygon file (GeoJSON, GPKG, Shapefile, GeoParquet) in EPSG:4326.

    A file in another CRS (e.g. British National Grid, EPSG:27700) is reprojected; a file
    without a CRS is taken as EPSG:4326 when its coordinates fit degrees.

    Raises
    ------
    InputError
        Unreadable, empty, no polygons, or no CRS with coordinates that are not degrees.
    """
    from hotspots.readers import PARQUET_SUFFIXES, _name_and_bytes

    name, file_path, data = _name_and_bytes(path)
    src: Any = file_path if file_path is not None else data
    try:
        if Path(name).suffix.lower() in PARQUET_SUFFIXES:
            import io as _io

            gdf = gpd.read_parquet(src if file_path is not None else _io.BytesIO(data))
        else:
            gdf = gpd.read_file(src, engine="pyogrio")
    except Exception as exc:
        raise InputError(
            f"cannot read the boundary {name}: {str(exc).splitlines()[0]} "
            "(use a GeoJSON, GPKG or GeoParquet polygon file)"
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
        raise InputError(f"the boundary {name} has no geometry column")
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    polys = gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if len(gdf) == 0 or not polys.any():
        raise InputError(f"the boundary {name} has no polygons")
    gdf = gdf[polys]
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90):
            raise InputError(
                f"the boundary {name} has no CRS and its coordinates are not degrees; "
                "save it with its CRS (e.g. EPSG:27700) or in EPSG:4326"
            )
        gdf = gdf.set_crs(S.CRS)
    elif not gdf.crs.equals(S.CRS):
        gdf = gdf.to_crs(S.CRS)
    return gdf.reset_index(drop=True)
