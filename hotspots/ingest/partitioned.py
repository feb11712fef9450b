"""Partitioned storage: the validated calls as a folder of GeoParquet files, one per partition.

``hotspots ingest calls.csv --partition -o calls.parquet`` (:func:`ingest_partitioned`) reads
the file block by block as :func:`hotspots.ingest.batches.ingest_to_parquet` does (same
validation, same report, memory of one block) but writes the accepted rows into a *dataset*:

::

    calls.parquet/
        _hotspots_dataset.json      the whole validation report, the columns, the provenance,
                                    the partitioning and every file with its row count
        _common_metadata            the Arrow schema with the same report (for pyarrow/dask)
        rejects.csv                 the rejected rows, as <name>.rejects.csv beside a file
        ym=2019-03/part-0000.parquet
        ym=2019-04/part-0000.parquet
        ym=unknown/part-0000.parquet   calls without a date

Partitions are calendar months (``"month"``, key ``ym=YYYY-MM``) or coarse H3 cells
(``"h3"``, key ``h3=<cell>`` at :data:`PARTITION_H3_RESOLUTION`, cells of ~12,000 km²: a
country in a few hundred partitions). Every data file is a plain GeoParquet file with the
canonical incident columns (readable by QGIS, GeoPandas, ``dask_geopandas.read_parquet``); one
writer per partition stays open while the blocks go by, so a partition is one file (a new
file every :data:`ROWS_PER_FILE` rows) rather than one file per block.

:func:`read_partitioned` loads a dataset whole (for data that fits one machine: every command
without ``--engine dask``), rows in source order, as one ingested file loads;
:mod:`hotspots.engine` reads it partition by partition.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hotspots import schema as S
from hotspots.columns import ColumnMap
from hotspots.errors import InputError, ParameterError
from hotspots.ingest.batches import RejectsCsv, Totals, _to_arrow, validated_blocks
from hotspots.ingest.store import INGEST_KEY

#: File in the dataset folder that marks it and holds its metadata.
DATASET_FILE = "_hotspots_dataset.json"
#: The rejected rows of a dataset.
REJECTS_FILE = "rejects.csv"
#: Ways to partition.
PARTITION_BY = ("month", "h3")
#: H3 resolution of the ``"h3"`` partitions (resolution 3: ~12,000 km² cells).
PARTITION_H3_RESOLUTION = 3
#: Rows per data file before the partition's writer starts a new file.
ROWS_PER_FILE = 4_000_000
#: Inputs larger than this (bytes on disk) are written partitioned even without --partition.
AUTO_PARTITION_BYTES = 1 << 30


def is_dataset(path: Any) -> bool:
    """Whether ``path`` is a folder written by :func:`ingest_partitioned`."""
    return isinstance(path, str | Path) and (Path(path) / DATASET_FILE).is_file()


def dataset_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata of a dataset folder (report, columns, provenance, partitions, files)."""
    try:
        return json.loads((Path(path) / DATASET_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(
            f"{path} is not a dataset written by `hotspots ingest --partition` (its "
            f"{DATASET_FILE} is missing or unreadable); ingest the calls again"
        ) from None


def dataset_files(path: str | Path) -> list[Path]:
    """The data files of a dataset, in partition order (as listed in its metadata)."""
    meta = dataset_metadata(path)
    files = [Path(path) / f["path"] for f in meta["files"]]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise InputError(
            f"the dataset {path} lacks {len(missing)} of its files (first: {missing[0]}); "
            "copy the whole folder or ingest the calls again"
        )
    return files


def partition_keys(accepted: pd.DataFrame, by: str) -> np.ndarray:
    """Partition key of every accepted row: ``"ym=2019-03"`` / ``"ym=unknown"`` or
    ``"h3=83..."`` (object array)."""
    if by == "month":
        year = accepted[S.YEAR].to_numpy(dtype="float64", na_value=np.nan)
        month = accepted[S.MONTH].to_numpy(dtype="float64", na_value=np.nan)
        ok = ~(np.isnan(year) | np.isnan(month))
        code = np.where(ok, np.nan_to_num(year) * 12 + np.nan_to_num(month) - 1, -1)
        codes, uniq = pd.factorize(code.astype(np.int64))
        labels = np.array(
            [f"ym={u // 12:04d}-{u % 12 + 1:02d}" if u >= 0 else "ym=unknown" for u in uniq],
            dtype=object,
        )
        return labels[codes]
    if by == "h3":
        from hotspots import grid

        cells = grid.cell_ids(
            accepted[S.LAT].to_numpy(), accepted[S.LON].to_numpy(), PARTITION_H3_RESOLUTION
        )
        codes, uniq = pd.factorize(cells)
        labels = np.array([f"h3={format(int(u), 'x')}" for u in uniq], dtype=object)
        return labels[codes]
    raise ParameterError(f"partition_by: use one of {', '.join(PARTITION_BY)}, got {by!r}")


class _Writers:
    """One open :class:`pyarrow.parquet.ParquetWriter` per partition key."""

    def __init__(self, root: Path, schema: pa.Schema, rows_per_file: int) -> None:
        self.root, self.schema, self.rows_per_file = root, schema, rows_per_file
        self.open: dict[str, tuple[pq.ParquetWriter, str]] = {}
        self.rows: dict[str, int] = {}  # rows of the key's open file
        self.seq: dict[str, int] = {}
        self.files: list[dict[str, Any]] = []

    def write(self, key: str, table: pa.Table) -> None:
        if key in self.open and self.rows[key] + table.num_rows > self.rows_per_file:
            self._close(key)
        if key not in self.open:
            n = self.seq.get(key, 0)
            self.seq[key] = n + 1
            rel = f"{key}/part-{n:04d}.parquet"
            (self.root / key).mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(self.root / rel, self.schema, compression="zstd")
            self.open[key], self.rows[key] = (writer, rel), 0
        self.open[key][0].write_table(table.cast(self.schema))
        self.rows[key] += table.num_rows

    def split(self, accepted: pd.DataFrame, part: pa.Table, partition_by: str) -> None:
        """Write the rows of one block (``part``, the Arrow table of ``accepted``) to their
        partitions."""
        if not part.num_rows:
            return
        keys = partition_keys(accepted, partition_by)
        codes, uniq = pd.factorize(keys)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(uniq.size + 1))
        for i, key in enumerate(uniq):
            self.write(str(key), part.take(pa.array(order[bounds[i] : bounds[i + 1]])))

    def _close(self, key: str) -> None:
        writer, rel = self.open.pop(key)
        writer.close()
        self.files.append({"path": rel, "partition": key, "rows": self.rows.pop(key)})

    def close(self) -> list[dict[str, Any]]:
        for key in list(self.open):
            self._close(key)
        return sorted(self.files, key=lambda f: f["path"])


def ingest_partitioned(
    src: Any,
    out: str | Path,
    *,
    partition_by: str = "month",
    rows_per_file: int = ROWS_PER_FILE,
    provenance: dict[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Validate a delimited file block by block into the partitioned dataset folder ``out``.

    Parameters
    ----------
    src : path or file object
        The calls (CSV/TXT, perhaps compressed), as for
        :func:`hotspots.ingest.batches.validated_blocks`.
    out : path
        The dataset folder to create (it must not exist; written beside under a temporary
        name and renamed when complete, so a failed run leaves nothing half-written).
    partition_by : {"month", "h3"}
        Calendar month of the call, or its coarse H3 cell (see the module docstring).
    rows_per_file : int
        Rows per data file (>= 1); a partition holding more is split into several files.
    provenance : dict, optional
        Stored in the metadata, as for a single ingested file.
    **kwargs
        The keywords of :func:`~hotspots.ingest.batches.validated_blocks` (columns, crs,
        boundary, bbox, tz, sep, encoding, member, block_bytes, progress).

    Returns
    -------
    dict
        The validation report (as :func:`~hotspots.ingest.batches.ingest_to_parquet`).
    """
    _check_partition_by(partition_by)
    if int(rows_per_file) != rows_per_file or rows_per_file < 1:
        raise ParameterError(f"rows_per_file: a whole number >= 1, got {rows_per_file!r}")
    out = Path(out)
    tmp = _partial_dir(out)
    totals = Totals()
    writers: _Writers | None = None
    try:
        with open(tmp / REJECTS_FILE, "w", encoding="utf-8-sig", newline="") as rej_file:
            rejects = RejectsCsv(rej_file)
            for res in validated_blocks(src, totals=totals, **kwargs):
                part = _to_arrow(res.accepted)
                if writers is None:
                    writers = _Writers(tmp, part.schema, int(rows_per_file))
                writers.split(res.accepted, part, partition_by)
                rejects.write(res.rejected)
        files = writers.close() if writers is not None else []
        report = totals.report()
        report["partitions"] = f"{len({f['partition'] for f in files}):,} by {partition_by}"
        meta = {
            **totals.meta(report, provenance),
            "partition_by": partition_by,
            "rows": int(sum(f["rows"] for f in files)),
            "files": files,
        }
        _finish(tmp, out, writers.schema if writers is not None else None, meta)
    except BaseException:
        if writers is not None:
            for writer, _ in writers.open.values():
                writer.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def write_partitioned(
    frames: Iterable[gpd.GeoDataFrame],
    out: str | Path,
    *,
    partition_by: str = "month",
    rows_per_file: int = ROWS_PER_FILE,
    source: str = "",
    provenance: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write canonical incident tables (already valid) as a partitioned dataset ``out``.

    For data made or validated elsewhere, e.g. synthetic calls generated block by block
    (never all in memory): each frame of ``frames`` is split into its partitions and appended.
    The report records the rows, all accepted. Returns the dataset metadata.
    """
    _check_partition_by(partition_by)
    out = Path(out)
    tmp = _partial_dir(out)
    writers: _Writers | None = None
    rows = 0
    try:
        for frame in frames:
            part = _to_arrow(frame)
            if writers is None:
                writers = _Writers(tmp, part.schema, int(rows_per_file))
            writers.split(frame, part, partition_by)
            rows += len(frame)
        if writers is None:
            raise InputError("no incidents to write")
        files = writers.close()
        report = {
            "source": source,
            "kind": "incidents",
            "rows": rows,
            "accepted": rows,
            "rejected": 0,
            "reasons": {},
            "crs": None,
            "partitions": f"{len({f['partition'] for f in files}):,} by {partition_by}",
        }
        meta = {
            "version": 1,
            "kind": "incidents",
            "report": report,
            "columns": ColumnMap().as_dict(),
            "time_format": None,
            "time_precision": None,
            "precision_counts": {},
            "provenance": provenance or {},
            "partition_by": partition_by,
            "rows": rows,
            "files": files,
        }
        _finish(tmp, out, writers.schema, meta)
    except BaseException:
        if writers is not None:
            for writer, _ in writers.open.values():
                writer.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta


def _check_partition_by(partition_by: str) -> None:
    if partition_by not in PARTITION_BY:
        raise ParameterError(
            f"partition_by: use one of {', '.join(PARTITION_BY)}, got {partition_by!r}"
        )


def _partial_dir(out: Path) -> Path:
    """An empty folder beside ``out`` to write the dataset into (renamed to ``out`` once
    complete), after checking that ``out`` does not exist yet."""
    if out.exists():
        raise InputError(f"{out} exists; remove it or choose another name for the dataset")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    return tmp


def _finish(tmp: Path, out: Path, schema: pa.Schema | None, meta: dict[str, Any]) -> None:
    """Write the dataset's metadata into ``tmp`` and move it to ``out``."""
    text = json.dumps(meta, ensure_ascii=False, default=str)
    if schema is not None:
        schema = schema.with_metadata({**(schema.metadata or {}), INGEST_KEY: text.encode("utf-8")})
        pq.write_metadata(schema, tmp / "_common_metadata")
    (tmp / DATASET_FILE).write_text(text, encoding="utf-8")
    os.replace(tmp, out)


def read_partitioned(path: str | Path, *, kind: str = "incidents", boundary=None, bbox=None):
    """The whole dataset as one :class:`~hotspots.validation.IngestResult` (rows in source
    order), as :func:`hotspots.ingest.store.read_ingested` loads one file.

    A boundary or bounding box given now rejects the stored rows outside it as
    ``outside_study_area``.
    """
    from hotspots.ingest.store import stored_result

    meta = dataset_metadata(path)
    if meta.get("kind") != kind:
        raise InputError(f"the dataset {path} holds {meta.get('kind')}, not {kind}")
    files = dataset_files(path)
    if not files:
        raise InputError(f"the dataset {path} holds no accepted calls")
    # the points are not decoded: the canonical table carries lat/lon (schema)
    names = [c for c in pq.read_schema(files[0]).names if c != S.GEOMETRY]
    table = pa.concat_tables([pq.read_table(f, columns=names) for f in files])
    return stored_result(
        table.sort_by(S.SOURCE_ROW).to_pandas(),
        meta,
        Path(path) / REJECTS_FILE,
        kind=kind,
        boundary=boundary,
        bbox=bbox,
        loaded_from=f"the dataset {Path(path).name}",
    )


__all__ = [
    "AUTO_PARTITION_BYTES",
    "DATASET_FILE",
    "PARTITION_BY",
    "dataset_files",
    "dataset_metadata",
    "ingest_partitioned",
    "is_dataset",
    "partition_keys",
    "read_partitioned",
    "write_partitioned",
]
