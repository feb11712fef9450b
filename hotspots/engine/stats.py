"""Gi* and emerging hot spots on the engine: statistics of the combined cell counts.

Both statistics need only the counts per H3 cell (per period for emerging hot spots) of the
study area, and the study area's cells. Each partition returns its counts and, when no study
area is given, the vertices of its convex hull; the hull of all the hulls' vertices is the
hull of all the incidents, so the cells are those of :func:`hotspots.gistar.study_area_cells`
and the results equal :func:`hotspots.gistar.gistar_cells` and
:func:`hotspots.emerging.emerging_hotspots` exactly. The statistics themselves then run on one
machine: a country's H3 cells (about 3 million at resolution 9 for Kazakhstan's settled
area, far fewer at 8) fit in memory, while its incidents do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots import emerging as E
from hotspots import grid
from hotspots.engine.dataset import Source, map_reduce
from hotspots.errors import InputError, ParameterError
from hotspots.gistar import gistar_of_counts
from hotspots.schema import LAT, LON, MONTH, YEAR
from hotspots.shapes import own_prepared


@dataclass
class _Part:
    """What a partition gives: hull vertices (lon, lat), the cells of all its incidents and
    the counts per (period, cell) of the dated ones (period 0 when periods are not asked)."""

    hull: np.ndarray
    cells: np.ndarray
    counts: pd.DataFrame


def _hull_vertices(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    if lon.size == 0:
        return np.empty((0, 2))
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([lon, lat])))
    return shapely.get_coordinates(hull)


def _part(frame: pd.DataFrame, resolution: int, area: Any, period: str | None) -> _Part:
    if area is not None and len(frame):
        mine = own_prepared(area)  # not the shared one: partitions run on several threads
        inside = shapely.intersects_xy(mine, frame[LON].to_numpy(), frame[LAT].to_numpy())
        frame = frame.loc[inside]
    lat, lon = frame[LAT].to_numpy(dtype=float), frame[LON].to_numpy(dtype=float)
    own = grid.cell_ids(lat, lon, resolution)
    hull = _hull_vertices(lon, lat) if area is None else np.empty((0, 2))
    if period is None:
        per = np.zeros(own.size)
    else:
        per = E.period_index(frame, period)
    keep = ~np.isnan(per)
    counts = (
        pd.DataFrame({"period": per[keep].astype(np.int64), "cell": own[keep]})
        .value_counts()
        .rename("count")
        .reset_index()
    )
    return _Part(hull, np.unique(own), counts)


def _combine(a: _Part, b: _Part) -> _Part:
    hull = np.concatenate([a.hull, b.hull])
    if len(hull) > 64:
        hull = _hull_vertices(hull[:, 0], hull[:, 1])
    both = pd.concat([a.counts, b.counts], ignore_index=True)
    counts = both.groupby(["period", "cell"], as_index=False, sort=False)["count"].sum()
    return _Part(hull, np.union1d(a.cells, b.cells), counts)


def _area(area: Any) -> shapely.Geometry | None:
    if area is None:
        return None
    if isinstance(area, gpd.GeoSeries | gpd.GeoDataFrame):
        return shapely.union_all(area.to_crs("EPSG:4326").geometry.values)
    return area


def _study_cells(
    source: Source | str, resolution: int, area: Any, period: str | None, progress: bool
) -> tuple[np.ndarray, pd.DataFrame]:
    """The study area's cells (sorted) and the counts per (period, cell), as
    :func:`hotspots.gistar.study_area_cells` chooses them."""
    geom = _area(area)
    cols = [YEAR, MONTH] if period is not None else []
    part = map_reduce(
        source,
        partial(_part, resolution=resolution, area=geom, period=period),
        _combine,
        columns=cols,
        progress=progress,
    )
    if geom is None and len(part.hull):
        hull = shapely.convex_hull(shapely.multipoints(part.hull))
        geom = hull if hull.area > 0 else None
    inside = (
        np.asarray(grid.cells_in_area(geom, resolution)) if geom is not None else part.cells[:0]
    )
    cells = pd.unique(np.concatenate([inside.astype(np.uint64, copy=False), part.cells]))
    return np.sort(cells), part.counts


def gistar_cells(
    source: Source | str,
    resolution: int = 9,
    k: int = 1,
    area: Any = None,
    *,
    permutations: int = 0,
    seed: int | None = None,
    fdr: bool = False,
    significant_only: bool = False,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """:func:`hotspots.gistar.gistar_cells` of a partitioned dataset (the same table).

    Parameters as the single-machine function; ``source`` is the dataset (and its filters),
    ``progress`` shows Dask's progress bar.
    """
    resolution = grid.check_resolution(resolution)
    if int(k) != k or int(k) < 1:
        raise ParameterError(f"k: neighbourhood ring size must be a whole number >= 1, got {k}")
    cells, counts = _study_cells(source, resolution, area, None, progress)
    if cells.size < 2:
        raise ParameterError(
            "resolution: the study area holds fewer than 2 H3 cells (too few incidents or too "
            "coarse a resolution); give a --boundary or a finer resolution"
        )
    pos = np.searchsorted(cells, counts["cell"].to_numpy(dtype=np.uint64))
    x = np.bincount(pos, weights=counts["count"].to_numpy(), minlength=cells.size)
    return gistar_of_counts(
        cells,
        x,
        k,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
        significant_only=significant_only,
    )


def space_time_cube(
    source: Source | str,
    resolution: int = 9,
    *,
    period: E.Period = "quarter",
    area: Any = None,
    progress: bool = False,
) -> E.Cube:
    """:func:`hotspots.emerging.space_time_cube` of a partitioned dataset (the same cube)."""
    resolution = grid.check_resolution(resolution)
    if period not in E.PERIODS:
        raise ParameterError(f"period: use one of {', '.join(E.PERIODS)}, got {period!r}")
    cells, counts = _study_cells(source, resolution, area, period, progress)
    if counts.empty:
        raise InputError("no incidents with a known date in the study area: nothing to analyse")
    per = counts["period"].to_numpy(dtype=np.int64)
    col = np.searchsorted(cells, counts["cell"].to_numpy(dtype=np.uint64))
    first, last = int(per.min()), int(per.max())
    n_t = last - first + 1
    flat = (per - first) * cells.size + col
    cube = np.bincount(flat, weights=counts["count"].to_numpy(), minlength=n_t * cells.size)
    labels = [E.period_label(first + t, period) for t in range(n_t)]
    return E.Cube(
        cells=cells, periods=labels, counts=cube.reshape(n_t, cells.size).astype(np.int64)
    )


def emerging_hotspots(
    source: Source | str,
    resolution: int = 9,
    k: int = 1,
    *,
    period: E.Period = "quarter",
    time_window: int = 1,
    area: Any = None,
    alpha: float = 0.05,
    fdr: bool = True,
    trend_on: str = "z",
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """:func:`hotspots.emerging.emerging_hotspots` of a partitioned dataset (the same table).

    The cube is counted on the engine (:func:`space_time_cube`); the space-time Gi* and the
    Mann-Kendall trends then run here on the cube, as on one machine.
    """
    E.check_k_trend(k, trend_on)  # before the cube is counted on the engine
    cube = space_time_cube(source, resolution, period=period, area=area, progress=progress)
    return E.emerging_from_cube(
        cube, k, time_window=time_window, alpha=alpha, fdr=fdr, trend_on=trend_on
    )


__all__ = ["emerging_hotspots", "gistar_cells", "space_time_cube"]
