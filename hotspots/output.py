"""Writing results in the formats GIS users open elsewhere (GeoJSON, CSV, GeoParquet, GPKG).

Where the format has room for it, a table carries its provenance (source, filters, parameters,
date, tool version: :meth:`hotspots.provenance.Provenance.as_dict`) as JSON under the key
:data:`PROVENANCE_KEY`: the GeoPackage layer's metadata (QGIS shows it in the layer
properties), the Parquet schema metadata, and the GeoJSON ``description`` member. CSV has no
such place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyogrio.errors import DataSourceError

from hotspots.errors import InputError

VECTOR_SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".parquet": "Parquet",
    ".csv": "CSV",
}

#: Metadata key of the provenance JSON (GPKG layer metadata, Parquet schema metadata).
PROVENANCE_KEY = "hotspots_provenance"


def write_table(
    frame: pd.DataFrame | gpd.GeoDataFrame,
    path: str | Path,
    *,
    provenance: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``frame`` to ``path``, the format chosen by its suffix.

    ``.geojson``/``.json`` and ``.gpkg`` need geometries; ``.parquet`` writes GeoParquet for a
    GeoDataFrame (plain Parquet otherwise); ``.csv`` drops the geometry column (coordinates
    should already be columns such as ``lat``/``lon`` or ``cell``).

    Parameters
    ----------
    provenance : mapping, optional
        JSON-serialisable provenance (:meth:`hotspots.provenance.Provenance.as_dict`), stored
        in the file where the format allows (see the module docstring; read it back with
        :func:`read_provenance`).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        raise InputError(
            f"cannot write {path.name}: use a name ending in " + ", ".join(sorted(VECTOR_SUFFIXES))
        )
    is_geo = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame
    if suffix not in (".csv", ".parquet") and not is_geo:
        raise InputError(f"{path.name}: {suffix} needs geometries; write .csv or .parquet instead")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            out = pd.DataFrame(frame.drop(columns=frame.geometry.name)) if is_geo else frame
            out.to_csv(path, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(path, index=False)
            if provenance is not None:
                _add_parquet_metadata(path, {PROVENANCE_KEY: _json(provenance)})
        else:
            if path.exists():
                path.unlink()  # GPKG would otherwise append a layer
            extra: dict[str, Any] = {}
            if provenance is not None and suffix == ".gpkg":
                extra["layer_metadata"] = {PROVENANCE_KEY: _json(provenance)}
            elif provenance is not None:  # GeoJSON: the FeatureCollection's "description"
                extra["layer_options"] = {"DESCRIPTION": _json(provenance)}
            frame.to_file(path, driver=VECTOR_SUFFIXES[suffix], engine="pyogrio", **extra)
    except (OSError, DataSourceError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise InputError(
            f"cannot write {path}: {reason}; choose a folder that exists and you may write to"
        ) from None
    return path


def read_provenance(path: str | Path) -> dict[str, Any] | None:
    """The provenance :func:`write_table` stored in ``path`` (``None`` when there is none,
    as in every CSV).

    Examples
    --------
    >>> import tempfile, geopandas as gpd, shapely
    >>> f = Path(tempfile.mkdtemp()) / "cells.gpkg"
    >>> gdf = gpd.GeoDataFrame({"count": [3]}, geometry=[shapely.Point(68.25, 43.3)], crs=4326)
    >>> _ = write_table(gdf, f, provenance={"source": "sample", "parameters": {"k": 1}})
    >>> read_provenance(f)["parameters"]
    {'k': 1}
    """
    path = Path(path)
    suffix = path.suffix.lower()
    text = None
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata or {}
        raw = meta.get(PROVENANCE_KEY.encode())
        text = raw.decode("utf-8") if raw else None
    elif suffix == ".gpkg":
        import pyogrio

        text = (pyogrio.read_info(path).get("layer_metadata") or {}).get(PROVENANCE_KEY)
    elif suffix in (".geojson", ".json"):
        with open(path, encoding="utf-8") as f:
            text = json.load(f).get("description")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:  # a description written by another tool
        return None


def _json(provenance: Mapping[str, Any]) -> str:
    return json.dumps(dict(provenance), ensure_ascii=False, default=str)


def _add_parquet_metadata(path: Path, extra: Mapping[str, str]) -> None:
    """Add key/values to a Parquet file's schema metadata (kept beside GeoParquet's "geo")."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = dict(table.schema.metadata or {})
    meta.update({k.encode(): v.encode("utf-8") for k, v in extra.items()})
    pq.write_table(table.replace_schema_metadata(meta), path)
