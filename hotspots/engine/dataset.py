"""The engine's input: a partitioned dataset, the filters and the study area, read per partition.

:class:`Source` names what to read; :func:`map_reduce` applies a function to every partition
(the filtered rows of one file, only the columns asked for) and combines the partial results
pairwise in a tree, so no worker ever holds more than two partial results and one partition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hotspots import schema as S
from hotspots.errors import InputError
from hotspots.filters import Filters, filter_mask
from hotspots.shapes import own_prepared

#: Columns each filter reads.
_FILTER_COLUMNS = {
    "years": (S.YEAR,),
    "offenses": (S.OFFENSE, S.OFFENSE_RAW),
    "hours": (S.HOUR,),
    "weekdays": (S.WEEKDAY,),
}


@dataclass(frozen=True)
class Source:
    """A dataset folder written by ``hotspots ingest --partition``, filtered.

    Attributes
    ----------
    path : str
        The dataset folder.
    filters : Filters, optional
        Years, offenses, hours, weekdays to keep (as the commands' filter flags).
    boundary : shapely Polygon/MultiPolygon or GeoDataFrame, optional
        Study area (EPSG:4326): rows outside are left out, as ``read_incidents(...,
        boundary=)`` rejects them.
    bbox : (min_lon, min_lat, max_lon, max_lat), optional
        Study-area box in degrees.
    """

    path: str
    filters: Filters | None = None
    boundary: Any = None
    bbox: tuple[float, ...] | None = None
    period: tuple[str, tuple[int, ...]] | None = None
    within: Any = None

    def only(self, unit: str, values: Sequence[int]) -> Source:
        """The rows of some periods: ``unit`` "year" (values: years) or "month" (values:
        ``year * 12 + month - 1``), as an evaluation's training or test split."""
        from dataclasses import replace

        return replace(self, period=(unit, tuple(int(v) for v in values)))

    def inside(self, geometry: Any) -> Source:
        """The rows strictly inside ``geometry`` (EPSG:4326 polygon), as
        :func:`hotspots.evaluate.evaluate` keeps those of its study area."""
        from dataclasses import replace

        return replace(self, within=geometry)

    @property
    def files(self) -> list[Path]:
        from hotspots.ingest.partitioned import dataset_files

        return dataset_files(self.path)


def as_source(source: Source | str | Path) -> Source:
    """``source`` as a :class:`Source` (a path is read whole, unfiltered)."""
    if isinstance(source, Source):
        return source
    from hotspots.ingest.partitioned import is_dataset

    if not is_dataset(source):
        raise InputError(
            f"{source}: the dask engine reads a partitioned dataset; write one with "
            "`hotspots ingest FILE --partition -o calls.parquet`"
        )
    return Source(str(source))


def _columns(source: Source, columns: Sequence[str]) -> list[str]:
    cols = [S.LAT, S.LON, *columns]
    if source.period is not None:
        cols.extend([S.YEAR, S.MONTH])
    f = source.filters
    if f is not None:
        for name, needed in _FILTER_COLUMNS.items():
            if getattr(f, name):
                cols.extend(needed)
    if S.HOUR in cols or S.WEEKDAY in cols:  # from/to windows count by their aoristic weights
        cols.extend(_window_columns(source))
    return list(dict.fromkeys(cols))


def _window_columns(source: Source) -> list[str]:
    """The dataset's from/to window columns (:mod:`hotspots.timeaware.windows`), if any."""
    import pyarrow.parquet as pq

    files = source.files
    if not files:
        return []
    names = set(pq.read_schema(files[0]).names)
    return [c for c in (S.OCCURRED_FROM, S.OCCURRED_TO) if c in names]


def _filtered(
    frame: pd.DataFrame, filters: Filters | None, area: Any, bbox: Any, period=None, within=None
) -> pd.DataFrame:
    """The rows of one partition that pass the filters and lie in the study area."""
    import shapely

    from hotspots.validation import _inside

    mask = filter_mask(frame, filters)
    if area is not None or bbox is not None:
        area = own_prepared(area)
        mask &= _inside(frame[S.LAT].to_numpy(), frame[S.LON].to_numpy(), area, bbox)
    if period is not None:
        unit, values = period
        key = frame[S.YEAR].to_numpy(dtype="float64", na_value=np.nan)
        if unit == "month":
            key = key * 12 + (frame[S.MONTH].to_numpy(dtype="float64", na_value=np.nan) - 1)
        mask &= np.isin(key, values)
    if within is not None:
        within = own_prepared(within)
        mask &= shapely.contains_xy(within, frame[S.LON].to_numpy(), frame[S.LAT].to_numpy())
    return frame if mask.all() else frame.loc[mask]


def _apply(frame: pd.DataFrame, fn: Callable, filters, area, bbox, period, within) -> Any:
    return fn(_filtered(frame, filters, area, bbox, period, within))


def _tree(parts: list[Any], combine: Callable[[Any, Any], Any]) -> Any:
    from dask import delayed

    while len(parts) > 1:
        nxt = [delayed(combine)(a, b) for a, b in zip(parts[::2], parts[1::2], strict=False)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    return parts[0]


def map_reduce(
    source: Source | str | Path,
    fn: Callable[[pd.DataFrame], Any],
    combine: Callable[[Any, Any], Any],
    columns: Sequence[str] = (),
    *,
    progress: bool = False,
) -> Any:
    """``combine`` of ``fn`` over every partition of ``source`` (filtered), computed by Dask.

    Parameters
    ----------
    source : Source or path
        The dataset and its filters.
    fn : callable
        ``fn(frame)`` on the rows of one partition (a pandas frame with ``lat``, ``lon`` and
        ``columns``); module-level or a ``functools.partial`` (it is sent to the workers).
    combine : callable
        ``combine(a, b)`` of two partial results; associative.
    columns : sequence of str
        Columns ``fn`` reads besides ``lat`` and ``lon``.
    progress : bool
        Show Dask's progress bar on the terminal (with a distributed client).

    Returns
    -------
    The combined result (computed on the current Dask client, or Dask's default scheduler).
    """
    import dask.dataframe as dd
    from dask import delayed

    from hotspots.validation import area_geometry, check_bbox

    src = as_source(source)
    files = [str(f) for f in src.files]
    if not files:
        raise InputError(f"the dataset {src.path} holds no accepted calls")
    ddf = dd.read_parquet(files, columns=_columns(src, columns), dataset={"partitioning": None})
    area, box = area_geometry(src.boundary), check_bbox(src.bbox)
    step = partial(
        _apply,
        fn=fn,
        filters=src.filters,
        area=area,
        bbox=box,
        period=src.period,
        within=src.within,
    )
    parts = [delayed(step)(p) for p in ddf.to_delayed()]
    return compute(_tree(parts, combine), progress=progress)


def open_dataset(
    source: Source | str | Path, columns: Sequence[str] | None = None, *, geometry=False
):
    """The dataset as a lazy Dask frame, for analyses of one's own (unfiltered).

    ``geometry=False``: a ``dask.dataframe.DataFrame`` of ``columns`` (all but the WKB
    geometry by default). ``geometry=True``: a ``dask_geopandas.GeoDataFrame`` with the
    points decoded (EPSG:4326), e.g. for a spatial join per partition.
    """
    src = as_source(source)
    files = [str(f) for f in src.files]
    if geometry:
        import dask_geopandas

        cols = None if columns is None else [*columns, S.GEOMETRY]
        return dask_geopandas.read_parquet(files, columns=cols, dataset={"partitioning": None})
    import dask.dataframe as dd
    import pyarrow.parquet as pq

    if columns is None:
        columns = [c for c in pq.read_schema(files[0]).names if c != S.GEOMETRY]
    return dd.read_parquet(files, columns=list(columns), dataset={"partitioning": None})


def compute(obj: Any, *, progress: bool = False) -> Any:
    """Compute a Dask object on the current distributed client (with its progress bar on
    the terminal when ``progress``), else on Dask's default scheduler."""
    try:
        from distributed import get_client

        client = get_client()
    except (ImportError, ValueError):
        client = None
    if client is None:
        import dask

        return dask.compute(obj)[0]
    future = client.compute(obj)
    if progress:
        import contextlib
        import sys

        from distributed import progress as bar

        with contextlib.redirect_stdout(sys.stderr):  # stdout stays the command's (--json)
            bar(future)
    return future.result()


# combiners ---------------------------------------------------------------------------------
def add(a: Any, b: Any) -> Any:
    """``a + b`` (arrays, numbers)."""
    return a + b


def add_counts(a: pd.DataFrame, b: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Two count tables (``keys`` + ``count``) as one, counts of equal keys added."""
    both = pd.concat([a, b], ignore_index=True)
    if both.empty:
        return both
    return both.groupby(list(keys), dropna=False, sort=False, observed=True, as_index=False)[
        "count"
    ].sum()


def stack(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows of ``a`` then rows of ``b``."""
    return np.concatenate([a, b])


__all__ = [
    "Source",
    "add",
    "add_counts",
    "as_source",
    "compute",
    "map_reduce",
    "open_dataset",
    "stack",
]
