"""H3 cells of every call of a data set, binned once; counts of any filtered subset by bincount.

The H3 cell of a call does not depend on the filters. A :class:`CellIndex` bins every call of
a data set once per resolution (:func:`hotspots.grid.cell_ids`, lazily, the first time the
resolution is asked for) and keeps, per resolution, the data set's distinct cells and each
call's position among them. The calls passing some filters are then a boolean mask
(:func:`hotspots.filters.filter_mask`), and their counts per cell one ``np.bincount`` of the
masked positions: on 500,000 of a million synthetic calls, about 6 ms instead of 0.14 s to bin
them again at each resolution (the auto resolution tries two or three, the headline and the
map use one), and the hexagons of cells already drawn once are kept too. Binning the million
calls once costs about 0.7 s per resolution (done in the background by the app).

:meth:`CellView.count_cells` and :meth:`CellView.cells_gdf` give exactly what
:func:`hotspots.grid.count_cells` and :func:`hotspots.grid.cells_to_gdf` give on the filtered
frame (same cells, counts, order and hexagons); :meth:`CellView.n_cells` is what
:func:`hotspots.defaults.auto_resolution` needs.

Examples
--------
>>> import pandas as pd
>>> calls = pd.DataFrame({"lat": [41.8781, 41.8781, 41.80], "lon": [-87.6298, -87.6298, -87.6]})
>>> view = CellIndex(calls).subset(np.array([True, True, False]))
>>> view.count_cells(9)["count"].tolist(), view.n_cells(9)
([2], 1)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots import grid
from hotspots.errors import InputError
from hotspots.schema import CRS


@dataclass
class _Level:
    """One resolution: the distinct cells (ascending ids), each call's position among them,
    the rank of each cell's string id (the tie order of :func:`hotspots.grid.count_cells`)
    and the hexagons drawn so far."""

    cells: np.ndarray
    position: np.ndarray
    str_rank: np.ndarray
    polygons: np.ndarray = field(init=False)
    have: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.polygons = np.empty(self.cells.size, dtype=object)
        self.have = np.zeros(self.cells.size, dtype=bool)


class CellIndex:
    """The H3 cells of every call of ``incidents`` (``lat``/``lon`` columns), per resolution.

    Parameters
    ----------
    incidents : DataFrame
        The whole data set (valid coordinates, as the readers accept them). Only ``lat`` and
        ``lon`` are kept (copied): the index holds no reference to the frame.

    Notes
    -----
    Thread-safe: sessions of the app share one index; a resolution is binned once (a lock per
    resolution, so :meth:`warm` in a background thread and a page asking for another
    resolution do not wait for each other).
    """

    def __init__(self, incidents: pd.DataFrame) -> None:
        from hotspots.clusters import latlon_of

        lat, lon = latlon_of(incidents)
        self.lat = np.array(lat, dtype=float)
        self.lon = np.array(lon, dtype=float)
        self._levels: dict[int, _Level] = {}
        self._locks = {
            r: threading.Lock() for r in range(grid.MIN_RESOLUTION, grid.MAX_RESOLUTION + 1)
        }

    def __len__(self) -> int:
        return int(self.lat.size)

    def level(self, resolution: int) -> _Level:
        """The cells at ``resolution`` (7-11), binned on first use."""
        res = grid.check_resolution(resolution)
        level = self._levels.get(res)
        if level is not None:
            return level
        with self._locks[res]:
            if res not in self._levels:
                ids = grid.cell_ids(self.lat, self.lon, res)
                cells, position = np.unique(ids, return_inverse=True)
                order = np.argsort(grid.to_str(cells), kind="stable")
                str_rank = np.empty(cells.size, dtype=np.int64)
                str_rank[order] = np.arange(cells.size)
                # int32 positions: half the memory (a data set has far fewer than 2^31 cells)
                self._levels[res] = _Level(cells, position.ravel().astype(np.int32), str_rank)
            return self._levels[res]

    def warm(self, resolutions: tuple[int, ...] | None = None) -> None:
        """Bin every call at ``resolutions`` now, so that no later filter change waits for it
        (the app runs this in a background thread once per data set). Default: every
        resolution the auto rule may choose (:data:`hotspots.defaults.RESOLUTIONS`), the
        fixed default (9) and the coarser ones first: the whole data set's first map bins the
        finest ones itself meanwhile, and a filter, leaving fewer calls, asks for coarser ones.
        """
        from hotspots.defaults import RESOLUTION, RESOLUTIONS

        order = sorted(RESOLUTIONS, key=lambda r: (r > RESOLUTION, abs(r - RESOLUTION)))
        for res in resolutions or order:
            self.level(res)

    def subset(self, mask: np.ndarray | None = None) -> CellView:
        """The calls selected by the boolean ``mask`` (aligned with the data set; ``None``:
        all of them)."""
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (len(self),):
                raise InputError(
                    f"the filter mask has {mask.size} values for {len(self)} calls: "
                    "compute it on the same data set"
                )
        return CellView(self, mask)


class CellView:
    """The calls of a :class:`CellIndex` passing some filters (a mask); counts per resolution
    are computed once and kept."""

    def __init__(self, index: CellIndex, mask: np.ndarray | None) -> None:
        self.index = index
        self.mask = mask
        self._counts: dict[int, np.ndarray] = {}

    @property
    def n_calls(self) -> int:
        return len(self.index) if self.mask is None else int(self.mask.sum())

    def counts(self, resolution: int) -> np.ndarray:
        """Calls per distinct cell of the data set at ``resolution`` (zero for cells the
        filters empty), aligned with ``index.level(resolution).cells``."""
        level = self.index.level(resolution)
        res = int(resolution)
        if res not in self._counts:
            pos = level.position if self.mask is None else level.position[self.mask]
            self._counts[res] = np.bincount(pos, minlength=level.cells.size)
        return self._counts[res]

    def n_cells(self, resolution: int) -> int:
        """Distinct cells holding the selected calls at ``resolution``."""
        return int(np.count_nonzero(self.counts(resolution)))

    def _ranked(self, resolution: int) -> np.ndarray:
        """Positions of the non-empty cells, busiest first, then by string id."""
        counts = self.counts(resolution)
        level = self.index.level(resolution)
        nz = np.flatnonzero(counts)
        return nz[np.lexsort((level.str_rank[nz], -counts[nz]))]

    def count_cells(self, resolution: int) -> pd.DataFrame:
        """:func:`hotspots.grid.count_cells` of the selected calls: ``cell`` (string id),
        ``count`` (int64), busiest first, ties by cell id."""
        order = self._ranked(resolution)
        level = self.index.level(resolution)
        return pd.DataFrame(
            {
                "cell": grid.to_str(level.cells[order]),
                "count": self.counts(resolution)[order].astype(np.int64),
            }
        )

    def cells_gdf(self, resolution: int) -> gpd.GeoDataFrame:
        """:func:`hotspots.grid.cells_to_gdf` of :meth:`count_cells`: the hexagons too
        (those of cells drawn before are reused)."""
        order = self._ranked(resolution)
        level = self.index.level(resolution)
        missing = order[~level.have[order]]
        if missing.size:
            level.polygons[missing] = grid.cell_polygons(level.cells[missing])
            level.have[missing] = True
        frame = pd.DataFrame(
            {
                "cell": grid.to_str(level.cells[order]),
                "count": self.counts(resolution)[order].astype(np.int64),
            }
        )
        return gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries(level.polygons[order], crs=CRS), crs=CRS
        )
