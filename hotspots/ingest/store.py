"""Ingest once: the validated calls as GeoParquet, loaded again without validating.

``hotspots ingest calls.csv -o calls.parquet`` (:func:`write_ingested`) writes the accepted
rows as GeoParquet (WKB points, EPSG:4326, readable by QGIS and GeoPandas) with the
validation report, the column mapping and the provenance as JSON under the schema metadata
key :data:`INGEST_KEY`, and the rejected rows beside it as ``calls.rejects.csv``.
:func:`read_ingested` recognises such a file by that key and rebuilds the
:class:`~hotspots.validation.IngestResult` from it: no parsing, no checks, the points made
kept in the stored ``lat``/``lon`` (the WKB column is for other tools and is not decoded).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hotspots import schema as S
from hotspots.columns import ColumnMap
from hotspots.ingest.categories import compact

#: Schema metadata key holding the ingest report.
INGEST_KEY = b"hotspots_ingest"
_SUFFIXES = (".parquet", ".geoparquet", ".pq")
# a WKB point, packed: byte order, geometry type, x, y (21 bytes)
_WKB_POINT = np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])


def point_wkb(lon: np.ndarray, lat: np.ndarray) -> pa.BinaryArray:
    """Well-known-binary points of ``lon``/``lat``, encoded with NumPy (no shapely objects).

    Each point is 21 bytes: byte order (1 = little endian), geometry type (uint32 1 = Point),
    then x and y as float64; the Arrow array is made over that buffer and fixed offsets.
    """
    n = len(lon)
    rec = np.empty(
        n, dtype=np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])
    )
    rec["order"], rec["kind"], rec["x"], rec["y"] = 1, 1, lon, lat
    offsets = np.arange(0, 21 * (n + 1), 21, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(rec.view(np.uint8))]
    )


def geoparquet_table(frame: pd.DataFrame, *, bbox: bool = True) -> pa.Table:
    """``frame`` (canonical rows with ``lat``/``lon``) as an Arrow table with WKB points in
    ``geometry`` and the GeoParquet 1.0 ``geo`` metadata, readable by GeoPandas and QGIS.

    ``bbox=False`` leaves the extent out (a block of a larger file does not know it).
    """
    from pyproj import CRS

    lon = frame[S.LON].to_numpy(dtype="float64")
    lat = frame[S.LAT].to_numpy(dtype="float64")
    table = pa.Table.from_pandas(
        frame.drop(columns=[S.GEOMETRY], errors="ignore"), preserve_index=False
    )
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            # categoricals stored as plain text (Parquet dictionary-encodes it anyway): other
            # tools read text, and blocks with different categories write one schema
            table = table.set_column(i, field.name, table.column(i).cast(field.type.value_type))
    table = table.append_column(S.GEOMETRY, point_wkb(lon, lat))
    column: dict[str, Any] = {
        "encoding": "WKB",
        "geometry_types": ["Point"],
        "crs": CRS(S.CRS).to_json_dict(),
    }
    if bbox and len(lon):
        column["bbox"] = [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]
    geo = {"version": "1.0.0", "primary_column": S.GEOMETRY, "columns": {S.GEOMETRY: column}}
    md = {b"geo": json.dumps(geo).encode("utf-8")}
    return table.replace_schema_metadata(md)


def ingest_meta(
    kind: str,
    report: dict[str, Any],
    columns: ColumnMap,
    time_precision: str | None,
    precision_counts: dict[str, int],
    provenance: dict[str, Any] | None,
) -> dict[str, Any]:
    """The metadata stored with ingested rows (one file, batches or a partitioned dataset),
    read back by :func:`stored_result`."""
    return {
        "version": 1,
        "kind": kind,
        "report": report,
        "columns": columns.as_dict(),
        "time_format": columns.time_format,
        "time_precision": time_precision,
        "precision_counts": precision_counts,
        "provenance": provenance or {},
    }


def rejects_path(path: str | Path) -> Path:
    """Where the rejected rows of an ingested file are written: ``<stem>.rejects.csv``."""
    path = Path(path)
    return path.with_name(path.stem + ".rejects.csv")


def write_ingested(result, path: str | Path, *, provenance: dict[str, Any] | None = None) -> Path:
    """Write ``result`` (an :class:`~hotspots.validation.IngestResult`) for fast reloading.

    Returns the GeoParquet path; the rejects go to :func:`rejects_path` (always written, with
    the header only when nothing was rejected, so a stale file is never left beside).
    """
    from hotspots.output import atomic_write, write_csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = ingest_meta(
        result.kind,
        result.report(),
        result.columns,
        result.time_precision,
        result.precision_counts,
        provenance,
    )
    table = geoparquet_table(result.accepted)
    md = dict(table.schema.metadata or {})
    md[INGEST_KEY] = json.dumps(meta, ensure_ascii=False, default=str).encode("utf-8")
    table = table.replace_schema_metadata(md)
    with atomic_write(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    write_csv(result.rejected, rejects_path(path), encoding="utf-8-sig")
    return path


def ingest_metadata(path: str | Path) -> dict[str, Any] | None:
    """The ingest metadata of a GeoParquet file, or ``None`` (not one written here)."""
    try:
        md = pq.read_metadata(path).metadata or {}  # the footer: written last, by batches too
    except (OSError, pa.ArrowInvalid):
        return None
    raw = md.get(INGEST_KEY)
    return json.loads(raw) if raw else None


def read_ingested(path, *, kind: str, boundary=None, bbox=None):
    """The stored :class:`~hotspots.validation.IngestResult`, or ``None`` for other files.

    A boundary or bounding box given now rejects the stored rows outside it as
    ``outside_study_area`` (they were inside whatever area was used at ingest).
    """
    if not isinstance(path, str | Path) or Path(path).suffix.lower() not in _SUFFIXES:
        return None
    if not Path(path).is_file():
        return None
    meta = ingest_metadata(path)
    if meta is None or meta.get("kind") != kind:
        return None
    # the points are not decoded: the canonical table carries lat/lon (schema)
    names = [c for c in pq.read_schema(path).names if c != S.GEOMETRY]
    accepted = pq.read_table(path, columns=names, read_dictionary=_dictionary(names)).to_pandas()
    return stored_result(
        accepted,
        meta,
        rejects_path(path),
        kind=kind,
        boundary=boundary,
        bbox=bbox,
        loaded_from=Path(path).name,
    )


def _dictionary(names: list[str]) -> list[str]:
    """The stored text columns read as dictionaries (pandas categoricals, no strings made)."""
    return [c for c in S.CATEGORY_COLUMNS if c in names]


def stored_result(
    accepted: pd.DataFrame,
    meta: dict[str, Any],
    rejects_file: Path,
    *,
    kind: str,
    boundary=None,
    bbox=None,
    loaded_from: str,
):
    """The :class:`~hotspots.validation.IngestResult` of rows validated at ingest: the stored
    ``accepted`` rows, the ingest metadata ``meta`` and the rejects CSV beside them (one file
    or a partitioned dataset). A boundary or box given now rejects the rows outside it as
    ``outside_study_area``."""
    from hotspots.validation import IngestResult, _inside, area_geometry, check_bbox

    report = meta["report"]
    if kind == "incidents":
        accepted = compact(accepted)
    if rejects_file.is_file():
        rejected = pd.read_csv(rejects_file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        rejected[S.SOURCE_ROW] = pd.to_numeric(rejected[S.SOURCE_ROW]).astype("int64")
    else:
        rejected = pd.DataFrame({S.SOURCE_ROW: pd.Series([], "int64"), "reason": []})
    reasons = dict(report["reasons"])
    area, box = area_geometry(boundary), check_bbox(bbox)
    if area is not None or box is not None:
        inside = _inside(accepted[S.LAT].to_numpy(), accepted[S.LON].to_numpy(), area, box)
        if not inside.all():
            out = accepted.loc[~inside]
            extra = pd.DataFrame(
                {S.SOURCE_ROW: out[S.SOURCE_ROW].to_numpy(), "reason": "outside_study_area"}
            )
            rejected = pd.concat([rejected, extra], ignore_index=True)
            accepted = accepted.loc[inside].reset_index(drop=True)
            reasons["outside_study_area"] = reasons.get("outside_study_area", 0) + int(
                (~inside).sum()
            )
    return IngestResult(
        accepted=accepted,
        rejected=rejected,
        rows=len(accepted) + len(rejected),
        reasons=reasons,
        columns=ColumnMap(**meta["columns"], time_format=meta.get("time_format")),
        time_precision=meta.get("time_precision"),
        kind=kind,
        source=str(report.get("source", loaded_from)),
        crs=report.get("crs"),
        encoding=report.get("encoding"),
        sep=(report.get("sep") or None),
        precision_counts=meta.get("precision_counts") or {},
        time_zone=report.get("time_zone"),
        encoding_counts=report.get("encoding_counts") or {},
        detection={"ingested": f"loaded from {loaded_from} (validated at ingest)"}
        | dict(report.get("detection") or {}),
        compression=report.get("compression"),
    )


__all__ = [
    "INGEST_KEY",
    "ingest_meta",
    "ingest_metadata",
    "read_ingested",
    "rejects_path",
    "stored_result",
    "write_ingested",
]
