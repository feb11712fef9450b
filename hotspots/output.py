"""Writing results in the formats GIS users open elsewhere (GeoJSON, CSV, GeoParquet, GPKG).

Where the format has room for it, a table carries its provenance (source, filters, parameters,
date, tool version: :meth:`hotspots.provenance.Provenance.as_dict`) as JSON under the key
:data:`PROVENANCE_KEY`: the GeoPackage layer's metadata (QGIS shows it in the layer
properties), the Parquet schema metadata, and the GeoJSON ``description`` member. CSV has no
such place.

Two rules hold for every file the project writes (library, command line and app downloads):

* **No formulas in CSV** (OWASP "CSV injection"): :func:`safe_csv_frame` prefixes with a single
  quote every text cell, and every column name, that starts with ``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return, so Excel and LibreOffice show it as text instead of running it.
  True numbers (numeric columns) are written unchanged, and so is a text cell that is a plain
  negative number such as ``"-12.5"`` (a number, not a formula). :func:`write_csv` and
  :func:`csv_bytes` are the only ways CSV is written.
* **No half files**: :func:`atomic_write` writes into a temporary file beside the target and
  renames it over the target only when the writer has finished, so an interrupted or failed
  run leaves the previous file (or none) instead of a truncated one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
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

#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: A text cell that is a plain negative number ("-12.5", "-3", "-1,5", "-2e3") is a number to
#: a spreadsheet, not a formula: it is written as it is.
_NEGATIVE_NUMBER = re.compile(r"-(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?")


def escape_formula(value: Any) -> Any:
    """``value`` made safe for a CSV cell: text starting like a formula gets a leading ``'``.

    Only :class:`str` values change; numbers, dates and missing values are returned as they
    are. A text that is a plain negative number (``"-12.5"``) is kept: spreadsheets read it
    as the number it is.

    Examples
    --------
    >>> print(escape_formula('=HYPERLINK("http://x")'))
    '=HYPERLINK("http://x")
    >>> escape_formula("-2+3"), escape_formula("-12.5"), escape_formula(-7), escape_formula("bar")
    ("'-2+3", '-12.5', -7, 'bar')
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and not _NEGATIVE_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot run as formulas.

    Numeric, boolean and datetime columns are kept as they are (numbers stay numbers); in
    text columns (object, string, categorical) every value is passed through
    :func:`escape_formula`. A geometry column is dropped (CSV has no geometries: write
    coordinates as columns). The index is not touched; write with ``index=False``.

    Parameters
    ----------
    frame : DataFrame
        The table to write.

    Returns
    -------
    DataFrame
        A new frame; ``frame`` is not modified.

    Examples
    --------
    >>> df = pd.DataFrame({"name": ["=1+1", "Cafe", "-5"], "calls": [-3, 2, 1]})
    >>> safe_csv_frame(df).to_dict("list")
    {'name': ["'=1+1", 'Cafe', '-5'], 'calls': [-3, 2, 1]}
    """
    out = pd.DataFrame(frame).copy()
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        out = pd.DataFrame(out.drop(columns=frame.geometry.name))
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if pd.api.types.is_numeric_dtype(col.dtype) and not isinstance(
            col.dtype, pd.CategoricalDtype
        ):
            continue  # numbers (and booleans) stay numbers
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            continue
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        risky = _formula_mask(col)
        if not risky.any():
            continue
        if isinstance(col.dtype, pd.StringDtype):
            col = ("'" + col).where(risky, col)
        else:  # object: only the risky values are text
            col = col.copy()
            col[risky] = ["'" + v for v in col[risky]]
        out.isetitem(i, col)
    out.columns = [escape_formula(c) for c in out.columns]
    return out


def _formula_mask(col: pd.Series) -> np.ndarray:
    """Which values of a text column :func:`escape_formula` would quote (vectorised)."""
    if isinstance(col.dtype, pd.StringDtype):  # pandas' string columns (Arrow): no Python loop
        starts = col.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)
        if starts.any():
            plain = col.str.fullmatch(_NEGATIVE_NUMBER.pattern).fillna(False)
            starts = starts & ~plain.to_numpy(dtype=bool)
        return starts
    values = col.to_numpy(dtype=object, na_value=None)
    is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
    if not is_str.any():
        return is_str
    text = pd.Series(np.where(is_str, values, ""), index=col.index, dtype=object).astype(str)
    starts = text.str.startswith(FORMULA_START).to_numpy(dtype=bool) & is_str
    if starts.any():
        starts = starts & ~text.str.fullmatch(_NEGATIVE_NUMBER).to_numpy(dtype=bool)
    return starts


def csv_text(frame: pd.DataFrame, **kwargs: Any) -> str:
    """``frame`` as CSV text, made safe by :func:`safe_csv_frame` (``index=False`` unless
    ``index`` is given; other keywords go to :meth:`pandas.DataFrame.to_csv`)."""
    kwargs.setdefault("index", False)
    return safe_csv_frame(frame).to_csv(**kwargs)


def csv_bytes(frame: pd.DataFrame, *, bom: bool = True, **kwargs: Any) -> bytes:
    """``frame`` as safe CSV bytes for a download button (UTF-8; with a byte-order mark by
    default, so spreadsheet programs read Cyrillic right).

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"offense": ["@SUM(A1)"], "n": [2]}))
    b"\\xef\\xbb\\xbfoffense,n\\n'@SUM(A1),2\\n"
    """
    data = csv_text(frame, **kwargs).encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data


def write_csv(
    frame: pd.DataFrame, path: str | Path, *, encoding: str = "utf-8", **kwargs: Any
) -> Path:
    """Write ``frame`` as a safe CSV file (:func:`safe_csv_frame`), atomically
    (:func:`atomic_write`); the folder is created if needed.

    Parameters
    ----------
    frame : DataFrame
        The table (a geometry column is dropped).
    path : path
        The CSV file to write.
    encoding : str
        ``"utf-8"`` (default) or ``"utf-8-sig"`` (with a byte-order mark, for Excel).
    **kwargs
        Passed to :meth:`pandas.DataFrame.to_csv` (``index`` defaults to False).

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "rejects.csv"
    >>> _ = write_csv(pd.DataFrame({"offense": ["=cmd|' /C calc'!A0"]}), f)
    >>> f.read_text()
    "offense\\n'=cmd|' /C calc'!A0\\n"
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("index", False)
    safe = safe_csv_frame(frame)
    with atomic_write(path) as tmp:
        safe.to_csv(tmp, encoding=encoding, **kwargs)
    return path


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Write a file all at once: yield a temporary path beside ``path``, then rename it.

    The writer writes the temporary file (same folder, so the rename is atomic; same suffix,
    so format drivers recognise it). When the ``with`` block ends normally the file replaces
    ``path`` (:func:`os.replace`); when it raises (an error, Ctrl-C, a full disk) the temporary
    file is removed and ``path`` keeps its old content, or stays absent.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "plan.html"
    >>> with atomic_write(f) as tmp:
    ...     _ = tmp.write_text("<html></html>")
    >>> f.read_text()
    '<html></html>'
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial{path.suffix}")
    try:
        yield tmp
        if not tmp.exists():  # the writer wrote nothing: nothing to put in place
            return
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


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
            write_csv(frame, path)
        else:
            with atomic_write(path) as tmp:  # a fresh file: GPKG never appends a layer
                _write_vector(frame, tmp, suffix, provenance, layer=path.stem)
    except (OSError, DataSourceError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise InputError(
            f"cannot write {path}: {reason}; choose a folder that exists and you may write to"
        ) from None
    return path


def _write_vector(
    frame: pd.DataFrame,
    path: Path,
    suffix: str,
    provenance: Mapping[str, Any] | None,
    *,
    layer: str,
) -> None:
    """GeoParquet / Parquet, GeoJSON or GPKG of ``frame`` at ``path`` (a new file); ``layer``
    names the layer (GPKG) or the FeatureCollection (GeoJSON) after the final file."""
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
        if provenance is not None:
            _add_parquet_metadata(path, {PROVENANCE_KEY: _json(provenance)})
        return
    extra: dict[str, Any] = {}
    if provenance is not None and suffix == ".gpkg":
        extra["layer_metadata"] = {PROVENANCE_KEY: _json(provenance)}
    elif provenance is not None:  # GeoJSON: the FeatureCollection's "description"
        extra["layer_options"] = {"DESCRIPTION": _json(provenance)}
    frame.to_file(path, driver=VECTOR_SUFFIXES[suffix], engine="pyogrio", layer=layer, **extra)


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
