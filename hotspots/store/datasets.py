"""Validated datasets kept by the store: a GeoParquet file (and its rejected rows) plus a row
of metadata and the validation report.

A dataset appears only once it is completely written: its files go to a hidden temporary
folder, are flushed to disk (fsync), the folder is renamed into place, and the metadata row is
committed last, in one transaction. A server killed at any point leaves either the whole
dataset or nothing visible; :func:`recover` (run by :func:`hotspots.store.open_store`)
removes the leftovers (temporary folders, a folder whose row was never committed).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy import select

from hotspots import schema as S
from hotspots.errors import InputError, ParameterError
from hotspots.store import audit
from hotspots.store.models import DatasetRecord, extent_ewkt, extent_polygon

#: File of the accepted rows inside a dataset's folder.
DATA_FILE = "data.parquet"
_PARTIAL = ".partial-"


@dataclass(frozen=True)
class DatasetInfo:
    """A stored dataset's metadata."""

    id: str
    name: str
    kind: str
    rows: int
    accepted: int
    rejected: int
    sha256: str
    created_by: str
    created_at: Any
    report: dict[str, Any]
    extent: shapely.Geometry | None
    path: Path  # the GeoParquet file


def _info(rec: DatasetRecord, root: Path) -> DatasetInfo:
    return DatasetInfo(
        rec.id,
        rec.name,
        rec.kind,
        rec.rows,
        rec.accepted,
        rec.rejected,
        rec.sha256,
        rec.created_by,
        rec.created_at,
        rec.report,
        extent_polygon(rec.extent),
        root / rec.folder / DATA_FILE,
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _extent(accepted) -> shapely.Geometry | None:
    if len(accepted) == 0:
        return None
    lat, lon = accepted[S.LAT].to_numpy(), accepted[S.LON].to_numpy()
    x0, x1, y0, y1 = float(lon.min()), float(lon.max()), float(lat.min()), float(lat.max())
    return shapely.box(x0, y0, max(x1, x0 + 1e-7), max(y1, y0 + 1e-7))


def save_dataset(
    store,
    result,
    name: str,
    username: str,
    *,
    filters: dict[str, Any] | None = None,
    checkpoint: Callable[[str], None] | None = None,
) -> DatasetInfo:
    """Keep a validated dataset (an :class:`~hotspots.validation.IngestResult`) in the store.

    Parameters
    ----------
    result : IngestResult
        What :func:`hotspots.io.read_incidents` (or ``read_venues``) returned.
    name : str
        The name the team sees (1-200 characters).
    username : str
        Who uploads it (recorded in the audit log as ``upload``).
    checkpoint : callable, optional
        Called with ``"files"`` once the files are on disk (not yet visible) and with
        ``"renamed"`` once the folder is in place (row not yet committed): a progress hook.

    Returns
    -------
    DatasetInfo
    """
    from hotspots.ingest.store import write_ingested

    label = (name or "").strip()
    if not label or len(label) > 200:
        raise ParameterError(f"dataset name must be 1-200 characters, got {name!r}")
    root = store.config.datasets_dir
    root.mkdir(parents=True, exist_ok=True)
    ident = secrets.token_hex(16)
    tmp, final = root / f"{_PARTIAL}{ident}", root / ident
    step = checkpoint or (lambda _stage: None)
    try:
        tmp.mkdir()
        data = write_ingested(result, tmp / DATA_FILE, provenance={"dataset": label})
        for f in tmp.iterdir():
            _fsync(f)
        _fsync(tmp)
        sha = hashlib.sha256(data.read_bytes()).hexdigest()
        step("files")
        with store.session() as s:
            report = result.report()
            s.add(
                DatasetRecord(
                    id=ident,
                    name=label,
                    kind=result.kind,
                    folder=ident,
                    rows=int(report["rows"]),
                    accepted=int(report["accepted"]),
                    rejected=int(report["rejected"]),
                    sha256=sha,
                    report=_jsonable(report),
                    extent=extent_ewkt(_extent(result.accepted)),
                    created_by=username,
                )
            )
            audit.record(
                store,
                "upload",
                username,
                dataset_id=ident,
                filters=filters,
                detail=label,
                session=s,
            )
            s.flush()  # constraint errors now, before the folder is in place
            os.rename(tmp, final)
            _fsync(root)
            step("renamed")
        # committed: the dataset is visible from here on
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if final.exists() and get_record(store, ident) is None:
            shutil.rmtree(final, ignore_errors=True)
        raise
    return get_dataset(store, ident)


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


def get_record(store, dataset_id: str) -> DatasetRecord | None:
    with store.session() as s:
        return s.get(DatasetRecord, dataset_id)


def get_dataset(store, dataset_id: str) -> DatasetInfo:
    """The dataset ``dataset_id``; InputError when there is none."""
    rec = get_record(store, dataset_id)
    if rec is None:
        raise InputError(
            f"no dataset {dataset_id!r} in the store; `hotspots store list` lists them"
        )
    return _info(rec, store.config.datasets_dir)


def list_datasets(store, kind: str | None = None) -> list[DatasetInfo]:
    """The stored datasets, newest first (optionally of one ``kind``)."""
    query = select(DatasetRecord).order_by(DatasetRecord.created_at.desc(), DatasetRecord.id)
    if kind is not None:
        query = query.where(DatasetRecord.kind == kind)
    with store.session() as s:
        return [_info(r, store.config.datasets_dir) for r in s.scalars(query)]


def load_dataset(store, dataset_id: str):
    """The stored dataset as an :class:`~hotspots.validation.IngestResult` (as validated)."""
    from hotspots.ingest.store import read_ingested

    info = get_dataset(store, dataset_id)
    result = read_ingested(info.path, kind=info.kind)
    if result is None:
        raise InputError(
            f"the files of dataset {info.name!r} are missing from {info.path.parent}; "
            "restore the data directory from the backup"
        )
    return result


def delete_dataset(store, dataset_id: str, username: str) -> None:
    """Remove a dataset (row first, then its folder); recorded as ``delete``."""
    info = get_dataset(store, dataset_id)
    with store.session() as s:
        rec = s.get(DatasetRecord, dataset_id)
        if rec is not None:
            s.delete(rec)
        audit.record(store, "delete", username, dataset_id=dataset_id, detail=info.name, session=s)
    shutil.rmtree(info.path.parent, ignore_errors=True)


def recover(store, *, older_than_s: float = 600.0) -> list[str]:
    """Remove what an interrupted :func:`save_dataset` left: temporary folders, and folders
    with no committed row, untouched for ``older_than_s`` seconds (so that a second server
    starting on the same data directory never removes a save in progress). Returns the names
    removed. Until then they are invisible: only committed rows are listed."""
    import time

    root = store.config.datasets_dir
    if not root.is_dir():
        return []
    with store.session() as s:
        known = set(s.scalars(select(DatasetRecord.folder)))
    removed = []
    cutoff = time.time() - older_than_s
    for entry in root.iterdir():
        stale = entry.is_dir() and entry.stat().st_mtime <= cutoff
        if stale and (entry.name.startswith(_PARTIAL) or entry.name not in known):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed
