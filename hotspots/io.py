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

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from hotspots import schema as S
from hotspots.columns import ColumnMap, detect_columns, require_coordinates
from hotspots.errors import InputError
from hotspots.readers import Source, read_table
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
):
    table = read_table(path, sep=sep, encoding=encoding)
    cmap = detect_columns(
        table.headers, columns, kind=kind, source=table.source, prefer_xy=crs is not None
    )
    require_coordinates(cmap, table.headers, table.source)
    if {cmap.lat, cmap.lon} == _GEOMETRY_COLUMNS:
        crs = None  # already converted to WGS84 from the file's own CRS
    return table, cmap, crs


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
) -> IngestResult:
    """Read and validate an incident (calls / crimes) file.

    Parameters
    ----------
    path : str, Path, bytes or binary file object
        CSV/TXT, XLSX, GeoJSON, GPKG, Shapefile or (Geo)Parquet. A stream (e.g. an upload)
        needs a ``name`` attribute with the right suffix.
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

    Returns
    -------
    IngestResult
        ``accepted`` has :data:`hotspots.schema.INCIDENT_COLUMNS`.

    Raises
    ------
    InputError
        The file cannot be used at all: unreadable, empty, no coordinate columns, a named
        column that does not exist, projected X/Y without ``crs``.
    """
    table, cmap, crs = _prepare(path, columns, crs, sep, encoding, "incidents")
    return validate_incidents(table, cmap, crs=crs, boundary=_boundary(boundary), bbox=bbox)


def read_venues(
    path: Source,
    *,
    columns: ColumnMap | None = None,
    crs: Any = None,
    boundary: Area | str | Path | None = None,
    bbox: Sequence[float] | None = None,
    sep: str | None = None,
    encoding: str | None = None,
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
    table, cmap, crs = _prepare(path, columns, crs, sep, encoding, "venues")
    return validate_venues(table, cmap, crs=crs, boundary=_boundary(boundary), bbox=bbox)


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
