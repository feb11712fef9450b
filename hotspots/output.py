"""Writing results in the formats GIS users open elsewhere (GeoJSON, CSV, GeoParquet, GPKG)."""

from __future__ import annotations

from pathlib import Path

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


def write_table(frame: pd.DataFrame | gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path``, the format chosen by its suffix.

    ``.geojson``/``.json`` and ``.gpkg`` need geometries; ``.parquet`` writes GeoParquet for a
    GeoDataFrame (plain Parquet otherwise); ``.csv`` drops the geometry column (coordinates
    should already be columns such as ``lat``/``lon`` or ``cell``).

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
        else:
            if path.exists():
                path.unlink()  # GPKG would otherwise append a layer
            frame.to_file(path, driver=VECTOR_SUFFIXES[suffix], engine="pyogrio")
    except (OSError, DataSourceError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise InputError(
            f"cannot write {path}: {reason}; choose a folder that exists and you may write to"
        ) from None
    return path
