"""What the app shows of a dataset too large to load: aggregates computed partition by partition.

A partitioned dataset (``hotspots ingest --partition``) holding more than a threshold of rows
(:data:`BIG_ROWS`, or the app's ``HOTSPOTS_BIG_ROWS``) is not loaded by the app: the Map and
Trends pages show aggregates computed here on the engine, one partition at a time, on the
current Dask client (or Dask's threads in this process when none is connected):

- :func:`filter_choices`: the filters' choices, as :func:`hotspots.views.filter_choices`;
- :func:`cell_layer`: the calls per H3 cell with their hexagons, as
  :func:`hotspots.views.cell_layer` (what the map draws: one hexagon per non-empty cell, so
  the browser gets no more than the cells layer of a loaded dataset);
- :func:`trend_tables`: the yearly table, the hour x weekday table and the monthly series, as
  :mod:`hotspots.temporal` makes them.

Memory: one partition and the partial results, never the calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hotspots import schema as S
from hotspots.engine.counts import (
    count_cells,
    hour_weekday_table,
    monthly_series,
    yearly_by_offense,
)
from hotspots.engine.dataset import Source, add_counts, map_reduce

#: Rows above which the app computes a partitioned dataset's aggregates on the engine instead
#: of loading it (about 3 GiB of calls in memory).
BIG_ROWS = 5_000_000

#: Columns whose values the filters offer.
_CHOICE_COLUMNS = (S.YEAR, S.OFFENSE, S.HOUR, S.WEEKDAY)


def dataset_rows(path: str | Path) -> int | None:
    """Rows of a partitioned dataset (from its metadata, nothing read), ``None`` for anything
    else (a file, a folder that is not a dataset)."""
    from hotspots.ingest.partitioned import dataset_metadata, is_dataset

    if not is_dataset(path):
        return None
    return int(dataset_metadata(path).get("rows") or 0)


def is_big(path: str | Path, threshold: int = BIG_ROWS) -> bool:
    """Whether ``path`` is a partitioned dataset of more than ``threshold`` rows."""
    rows = dataset_rows(path)
    return rows is not None and rows > int(threshold)


def _present_columns(source: Source) -> list[str]:
    import pyarrow.parquet as pq

    files = source.files
    names = set(pq.read_schema(files[0]).names) if files else set()
    return [c for c in _CHOICE_COLUMNS if c in names]


def _part_values(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """(column, value, count) of one partition's non-missing values."""
    parts = []
    for col in columns:
        counts = frame[col].astype("string").dropna().value_counts()
        parts.append(pd.DataFrame({"column": col, "value": counts.index, "count": counts.values}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def filter_choices(source: Source | str, *, progress: bool = False) -> dict[str, list]:
    """:func:`hotspots.views.filter_choices` of a partitioned dataset (the same lists:
    years, hours, weekdays ascending; offenses most frequent first, ties by first seen)."""
    from functools import partial

    src = source if isinstance(source, Source) else Source(str(source))
    columns = _present_columns(src)
    counts = map_reduce(
        src,
        partial(_part_values, columns=columns),
        partial(add_counts, keys=["column", "value"]),
        columns=columns,
        progress=progress,
    )

    def of(col: str) -> pd.DataFrame:
        if counts.empty:
            return counts
        return counts.loc[counts["column"] == col]

    def present(col: str) -> list[int]:
        return sorted(int(float(v)) for v in of(col)["value"]) if col in columns else []

    off = of(S.OFFENSE)
    offenses = (
        off.sort_values("count", ascending=False, kind="stable")["value"].astype(str).tolist()
        if S.OFFENSE in columns
        else []
    )
    return {
        "years": present(S.YEAR),
        "offenses": offenses,
        "hours": present(S.HOUR),
        "weekdays": present(S.WEEKDAY),
    }


def cell_layer(source: Source | str, resolution: int, *, progress: bool = False):
    """:func:`hotspots.views.cell_layer` of a partitioned dataset: calls per H3 cell with
    their hexagons (``cell``, ``count``, ``geometry``), busiest first."""
    from hotspots.grid import cells_to_gdf

    return cells_to_gdf(count_cells(source, resolution, progress=progress))


def _part_extent(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            S.LAT: [frame[S.LAT].min(), frame[S.LAT].max()],
            S.LON: [frame[S.LON].min(), frame[S.LON].max()],
        }
    ).dropna()


def _merge_extent(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    return _part_extent(pd.concat([a, b], ignore_index=True))


def density_layer(
    source: Source | str,
    *,
    bandwidth_m: float,
    kernel: str = "quartic",
    coverage: float = 0.05,
    area: Any = None,
    max_side: int = 400,
    progress: bool = False,
):
    """:func:`hotspots.views.density_layer` of a partitioned dataset: the kernel density
    (:func:`hotspots.engine.kde`) on the map's grid (:func:`hotspots.views.display_cell_m`
    of the calls' latitude/longitude extent, found over the partitions) and the contours of
    its densest ``coverage`` share. Equal to the single-machine layer (within 1e-9 per km²)
    except that the engine refuses a few far-off calls without a study area."""
    from hotspots import views
    from hotspots.engine.density import kde

    extent = map_reduce(source, _part_extent, _merge_extent, progress=progress)
    cell = views.display_cell_m(extent, bandwidth_m, area, max_side=max_side, kernel=kernel)
    surface = kde(
        source, bandwidth=bandwidth_m, cell=cell, kernel=kernel, bounds=area, progress=progress
    )
    return views.DensityLayer(surface, surface.contours(top_area=coverage))


@dataclass
class TrendTables:
    """The tables of the Trends page: :func:`hotspots.temporal.yearly_by_offense` (with the
    all-offenses rows), :func:`hotspots.temporal.hour_weekday_table` and
    :func:`hotspots.temporal.monthly_series` by offense."""

    yearly: pd.DataFrame
    hour_weekday: pd.DataFrame
    monthly: pd.DataFrame


def trend_tables(source: Source | str, *, progress: bool = False) -> TrendTables:
    """The Trends page's tables of a partitioned dataset (each equal to the single-machine
    one, see :mod:`hotspots.engine.counts`)."""
    return TrendTables(
        yearly=yearly_by_offense(source, progress=progress),
        hour_weekday=hour_weekday_table(source, progress=progress),
        monthly=monthly_series(source, by=S.OFFENSE, progress=progress),
    )


def empty_calls(path: str | Path) -> Any:
    """An incident table with the dataset's columns and no rows (what the app's filters and
    pages see of a dataset it does not load)."""
    import geopandas as gpd
    import pyarrow.parquet as pq

    from hotspots.ingest.partitioned import dataset_files

    files = dataset_files(path)
    empty = pq.read_schema(files[0]).empty_table().to_pandas() if files else pd.DataFrame()
    empty = empty.drop(columns=[S.GEOMETRY], errors="ignore")
    return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=S.CRS), crs=S.CRS)


def stored_summary(path: str | Path) -> Any:
    """The dataset's :class:`~hotspots.validation.IngestResult` without its rows: the
    validation report of the ingest (rows read, reasons, rejected rows), ``accepted`` empty
    (:func:`empty_calls`), for the app's Data page."""
    from dataclasses import replace

    from hotspots.ingest.partitioned import REJECTS_FILE, dataset_metadata
    from hotspots.ingest.store import stored_result

    meta = dataset_metadata(path)
    result = stored_result(
        empty_calls(path),
        meta,
        Path(path) / REJECTS_FILE,
        kind="incidents",
        loaded_from=f"the dataset {Path(path).name}",
    )
    return replace(result, rows=int(meta["report"].get("rows", meta.get("rows", 0))))


__all__ = [
    "BIG_ROWS",
    "TrendTables",
    "cell_layer",
    "dataset_rows",
    "density_layer",
    "empty_calls",
    "filter_choices",
    "is_big",
    "stored_summary",
    "trend_tables",
]
