"""Which hotspot method predicts next year's calls best, at equal area: hit rate, PAI, PEI, RRI.

Protocol (Chainey, Tompson and Uhlig, 2008)
-------------------------------------------
1. Split the incidents by ``year`` into training and test years.
2. The **study area** is the boundary polygon when one is given, else the convex hull of all
   incidents (training and test years together); its area *A* is measured in metres on an
   azimuthal equidistant projection of the mean Earth sphere centred on it.
3. Each method, fitted on the training incidents only, **ranks** candidate areas
   (:class:`RankedAreas`), and every method is cut at the **same area**: candidates are taken
   in rank order while their total area stays within ``coverage * A``:

   ``h3``
       H3 cells (``resolution``) ranked by training count (cells without a training incident
       are never picked); area = the cells' hexagons.
   ``kde``
       Quartic kernel density (``bandwidth`` m, raster ``cell`` m) over the study area; raster
       cells whose centre lies in the study area ranked by density (cells of zero density are
       never picked); their share is measured on the surface's own metric CRS.
   ``dbscan``
       DBSCAN clusters (``eps`` m, ``min_samples``) outlined by their buffered convex hull
       (:func:`hotspots.clusters.summarize_clusters`), ranked by incidents per km² of outline;
       a cluster too large for the remaining area budget is skipped and the next one tried.
   ``gistar``
       Gi* on the H3 cells of the study area (``resolution``, ``k``-ring, zero cells included),
       cells with z > 0 ranked by z (then count).

   Ties are broken deterministically (by cell id, raster position or cluster id). When not even
   the first area fits, the selection is empty: hit rate 0, area share 0, PAI undefined (NaN).
4. Scores of the selection: **hit rate** H = share of the test incidents inside it;
   **area share** a = its area / A; **PAI** = H / a; **PEI** = H / the highest hit rate any
   set of areas of the same size could reach in the test period (Hunt 2016: the busiest test
   cells of the method's own kind, H3 cells at :data:`PEI_RESOLUTION` for outlines);
   **RRI** = PAI on the test years / PAI on the training years for the same areas
   (= H_test / H_train).
5. **Equal area.** PAI grows as the area shrinks, so a method flagging less than
   :data:`COMPARABLE_FILL` (0.9) of the coverage (a few tight DBSCAN clusters) is marked
   ``comparable = False`` and never named best; :func:`compare` also scores every other
   method at that method's own area share, so the two can be read side by side.
   :func:`hit_rate_curve` gives hit rate against area share (0.5 % to 20 %) with bootstrap
   bands, and :func:`rolling_origin` repeats the split over consecutive years.

A new method plugs in by ranking its own areas (:meth:`RankedAreas.from_polygons`) and calling
:func:`score_ranked`.

Areas of H3 cells and clusters are their full polygons, even where they cross the study-area
boundary (the area a patrol would cover).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hotspots import defaults as _defaults
from hotspots.errors import InputError, ParameterError
from hotspots.projection import (
    geometry_to_lonlat,
    geometry_to_metric,
    local_metric_crs,
    to_metric,
)
from hotspots.schema import CRS as WGS84
from hotspots.schema import LAT, LON, MONTH, YEAR
from hotspots.shapes import own_prepared

#: Methods compared by :func:`evaluate`, in report order.
METHODS: tuple[str, ...] = ("h3", "kde", "dbscan", "gistar")

#: Default parameters of each method (:mod:`hotspots.defaults`, the one source): ``"auto"``
#: values are computed from the training calls of each split.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "h3": {"resolution": _defaults.DEFAULT["resolution"]},
    "kde": {"bandwidth": _defaults.DEFAULT["bandwidth_m"], "cell": _defaults.KDE_CELL_M},
    "dbscan": {"eps": _defaults.DEFAULT["eps_m"], "min_samples": _defaults.DEFAULT["min_samples"]},
    "gistar": {"resolution": _defaults.DEFAULT["resolution"], "k": _defaults.GISTAR_K},
}

#: Default parameter grid of :func:`sweep` (every combination per method).
DEFAULT_GRID: dict[str, dict[str, list[Any]]] = {
    "h3": {"resolution": [8, 9, 10]},
    "kde": {"bandwidth": [150.0, 250.0, 400.0, 600.0]},
    "dbscan": {"eps": [100.0, 200.0], "min_samples": [5, 15]},
    "gistar": {"resolution": [9, 10], "k": [1, 2]},
}

RESULT_COLUMNS: tuple[str, ...] = (
    "method",
    "params",
    "hit_rate",
    "area_share",
    "pai",
    "pei",
    "rri",
    "comparable",
    "coverage",
    "n_train",
    "n_test",
    "hits_train",
    "hits_test",
    "n_areas",
    "area_km2",
)


# arithmetic ------------------------------------------------------------------------------
def pai(hit_rate: float, area_share: float) -> float:
    """Predictive Accuracy Index: hit rate / area share (NaN when the area share is 0).

    Examples
    --------
    >>> pai(0.5, 0.05)
    10.0
    """
    return float(hit_rate) / float(area_share) if area_share > 0 else math.nan


def rri(pai_test: float, pai_train: float) -> float:
    """Recapture Rate Index: PAI on the test period / PAI on the training period.

    Examples
    --------
    >>> rri(7.0, 10.0)
    0.7
    """
    if not (pai_train > 0) or math.isnan(pai_test):
        return math.nan
    return float(pai_test) / float(pai_train)


# study area ------------------------------------------------------------------------------
@dataclass(frozen=True)
class StudyArea:
    """The study area: EPSG:4326 geometry, a metric CRS on it and its area in m²."""

    geometry: shapely.Geometry
    crs: CRS
    area_m2: float

    def to_metric(self, geom: Any) -> Any:
        """Shapely geometries (EPSG:4326) to this area's metric CRS."""
        return geometry_to_metric(geom, self.crs)


def study_area_polygon(
    incidents: pd.DataFrame,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> shapely.Geometry:
    """The study area's polygon (EPSG:4326): ``area``, or the convex hull of the incidents."""
    if area is None:
        if len(incidents) < 3:
            raise InputError("need at least 3 incidents (or a --boundary) to define a study area")
        geom = shapely.convex_hull(
            shapely.multipoints(np.column_stack([incidents[LON], incidents[LAT]]))
        )
    elif isinstance(area, gpd.GeoSeries | gpd.GeoDataFrame):
        geom = shapely.union_all(area.to_crs(WGS84).geometry.values)
    else:
        geom = area
    if geom is None or shapely.is_empty(geom) or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(
            "the study area is not a polygon (all incidents on one line?); give a --boundary"
        )
    return geom


def study_area(
    incidents: gpd.GeoDataFrame,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> StudyArea:
    """The study area of an evaluation (see the module docstring).

    Parameters
    ----------
    incidents : GeoDataFrame
        All incidents (training and test years).
    area : polygon or GeoDataFrame, optional
        Boundary in EPSG:4326; default the convex hull of the incidents.
    """
    geom = study_area_polygon(incidents, area)
    minx, miny, maxx, maxy = geom.bounds
    crs = local_metric_crs((miny + maxy) / 2, (minx + maxx) / 2, sphere=True)
    sa = StudyArea(geometry=geom, crs=crs, area_m2=0.0)
    area_m2 = float(shapely.area(sa.to_metric(geom)))
    if not area_m2 > 0:
        raise InputError("the study area has no area; give a --boundary polygon")
    return StudyArea(geometry=geom, crs=crs, area_m2=area_m2)


# ranked areas ----------------------------------------------------------------------------
@dataclass
class RankedAreas:
    """A method's candidate areas in rank order (best first), ready to be cut at any area.

    Attributes
    ----------
    area_m2 : ndarray
        Area of each candidate, m², in rank order (on the study area's metric CRS).
    locate : callable
        ``locate(lat, lon) -> (point, area)``: index arrays of every (point, candidate) pair
        where the candidate holds the point (a point in two overlapping outlines gives two).
    polygons : callable
        ``polygons(idx) -> array of shapely polygons`` (EPSG:4326) of the candidates ``idx``,
        for the map of what was measured.
    unit : str
        What one candidate is ("cell", "raster cell", "cluster", ...), for the table.
    skip_oversized : bool
        Cut greedily, skipping a candidate too large for the remaining area and trying the
        next (clusters of very different sizes), instead of stopping at the first that does
        not fit (cells of (nearly) equal size).
    union_area : callable, optional
        ``union_area(idx) -> m²`` of overlapping candidates (default: the sum of their areas).
    optimum_resolution : int or None
        H3 resolution of the units on which PEI's best possible hit rate is found (the
        method's own cells for ``h3`` and ``gistar``); ``None`` for raster candidates, whose
        own cells are used.
    """

    area_m2: np.ndarray
    locate: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    polygons: Callable[[np.ndarray], np.ndarray]
    unit: str = "area"
    skip_oversized: bool = False
    union_area: Callable[[np.ndarray], float] | None = None
    optimum_resolution: int | None = None
    optimum_raster: Any = None  # (surface, inside mask) for KDE's PEI on its own raster
    optimum_by_count: bool = False  # own H3 cells: the same number of the busiest test cells

    @property
    def n(self) -> int:
        return int(len(self.area_m2))

    @classmethod
    def from_polygons(
        cls,
        polygons: np.ndarray,
        score: np.ndarray,
        sa: StudyArea,
        *,
        unit: str = "area",
        tiebreak: np.ndarray | None = None,
    ) -> RankedAreas:
        """Candidates given as polygons (EPSG:4326) with a score (higher = hotter), ranked by
        score then ``tiebreak`` (default: input order); cut greedily (sizes differ) and
        measured as the union of those picked. For a new method (e.g. buffered venues):
        ``score_ranked(..., RankedAreas.from_polygons(outlines, calls_per_km2, sa), ...)``."""
        polygons = np.asarray(polygons, dtype=object)
        score = np.asarray(score, dtype=float)
        tb = np.arange(len(score)) if tiebreak is None else np.asarray(tiebreak)
        order = np.lexsort((tb, -score))
        polys = polygons[order]
        metric = sa.to_metric(polys)
        areas = shapely.area(metric).astype(float)
        tree = shapely.STRtree(polys)

        def locate(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            if len(lat) == 0 or len(polys) == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
            pts = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
            pt, area = tree.query(pts, predicate="intersects")
            return pt.astype(np.int64), area.astype(np.int64)

        def union_area(idx: np.ndarray) -> float:
            return float(shapely.area(shapely.union_all(metric[idx]))) if len(idx) else 0.0

        return cls(
            area_m2=areas,
            locate=locate,
            polygons=lambda idx: polys[np.asarray(idx, dtype=np.int64)],
            unit=unit,
            skip_oversized=True,
            union_area=union_area,
            optimum_resolution=PEI_RESOLUTION,
        )


#: H3 resolution of the units on which PEI's best possible hit rate is found for candidates
#: that are not cells (clusters, outlines): ~0.015 km² (edge ~75 m).
PEI_RESOLUTION: Final = 10

#: A row is comparable when it flags at least this share of the coverage asked for.
COMPARABLE_FILL: Final = 0.9


def cut(ranked: RankedAreas, budget_m2: float) -> np.ndarray:
    """Rank positions of the candidates taken, in rank order, within ``budget_m2``.

    Cells (nearly equal areas) are a prefix of the ranking; candidates cut with
    ``skip_oversized`` are taken greedily, one too large for the remaining budget skipped.

    Examples
    --------
    >>> r = RankedAreas(np.array([3.0, 5.0, 1.0]), None, None, skip_oversized=True)
    >>> cut(r, 4.0).tolist()
    [0, 2]
    """
    areas = np.asarray(ranked.area_m2, dtype=float)
    tol = budget_m2 * (1 + 1e-12)  # equal-area units exactly filling the budget are kept
    if not ranked.skip_oversized:
        return np.arange(int(np.searchsorted(np.cumsum(areas), tol, side="right")))
    picked: list[int] = []
    used = 0.0
    for i in np.flatnonzero(areas <= tol):  # tens to hundreds of clusters, not incidents
        if used + areas[i] <= tol:
            picked.append(int(i))
            used += areas[i]
    return np.asarray(picked, dtype=np.int64)


def _taken_area(ranked: RankedAreas, idx: np.ndarray) -> float:
    if len(idx) == 0:
        return 0.0
    if ranked.union_area is not None:
        return float(ranked.union_area(idx))
    return float(np.asarray(ranked.area_m2)[idx].sum())


def _hits(pairs: tuple[np.ndarray, np.ndarray], n_points: int, taken: np.ndarray) -> np.ndarray:
    """Bool per point: inside one of the candidates ``taken`` (rank positions)."""
    pt, area = pairs
    inside = np.zeros(n_points, dtype=bool)
    if len(taken) and len(pt):
        chosen = np.zeros(int(area.max()) + 1 if len(area) else 0, dtype=bool)
        ok = taken[taken < chosen.size]
        chosen[ok] = True
        inside[pt[chosen[area]]] = True
    return inside


def optimum_hits(
    lat: np.ndarray, lon: np.ndarray, budget_m2: float, resolution: int, sa: StudyArea
) -> int:
    """Most test calls any set of H3 cells (``resolution``) of total area ``budget_m2`` holds:
    cells taken by test count until the budget is spent (PEI's denominator, Hunt 2016)."""
    from hotspots import grid

    if len(lat) == 0 or budget_m2 <= 0:
        return 0
    cells, counts = np.unique(grid.cell_ids(lat, lon, int(resolution)), return_counts=True)
    order = np.lexsort((cells, -counts))
    # only the busiest cells can fit: measure those (cells of one resolution vary < 2x)
    order = order[: int(budget_m2 / (0.5 * grid.cell_area_m2(int(resolution)))) + 2]
    areas = _cell_areas_m2(cells[order], sa)
    n = int(np.searchsorted(np.cumsum(areas), budget_m2 * (1 + 1e-9), side="right"))
    return int(counts[order][:n].sum())


def _optimum(
    ranked: RankedAreas,
    lat: np.ndarray,
    lon: np.ndarray,
    n_taken: int,
    area_m2: float,
    sa: StudyArea,
) -> int:
    if ranked.optimum_raster is not None:  # equal raster cells: the n busiest ones
        surface, inside = ranked.optimum_raster
        r, c = _raster_index(surface, lat, lon)
        rows, cols = surface.values.shape
        ok = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
        flat = r[ok] * cols + c[ok]
        flat = flat[inside[flat]]
        counts = np.sort(np.bincount(flat, minlength=rows * cols))[::-1]
        return int(counts[:n_taken].sum())
    res = ranked.optimum_resolution or PEI_RESOLUTION
    if ranked.optimum_by_count:  # cells of one resolution: as many of the busiest test cells
        from hotspots import grid

        if len(lat) == 0:
            return 0
        counts = np.unique(grid.cell_ids(lat, lon, int(res)), return_counts=True)[1]
        return int(np.sort(counts)[::-1][:n_taken].sum())
    return optimum_hits(lat, lon, area_m2, res, sa)


def pei(hit_rate: float, best_hit_rate: float) -> float:
    """Predictive Efficiency Index (Hunt 2016): hit rate / the best hit rate any areas of the
    same size could have reached (NaN when that is 0).

    Examples
    --------
    >>> pei(0.3, 0.6)
    0.5
    """
    return float(hit_rate) / float(best_hit_rate) if best_hit_rate > 0 else math.nan


def _cell_areas_m2(cells: np.ndarray, sa: StudyArea) -> np.ndarray:
    from hotspots import grid

    return shapely.area(sa.to_metric(grid.cell_polygons(cells)))


def ranked_cells(
    cells: np.ndarray, ranked: np.ndarray, resolution: int, sa: StudyArea, unit: str = "cell"
) -> RankedAreas:
    """H3 ``cells`` (ids at ``resolution``) as candidates in the order ``ranked`` (positions
    into ``cells``, best first): cut as a prefix, PEI on the same cells. For a new method
    that scores cells (e.g. :func:`hotspots.risk.scoring.rank_risk`)."""
    from hotspots import grid

    ranked_cells = cells[ranked].astype(np.uint64)
    areas = _cell_areas_m2(ranked_cells, sa)
    pos = pd.Series(np.arange(len(ranked_cells)), index=ranked_cells)

    def locate(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(lat) == 0 or len(ranked_cells) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        at = pos.reindex(grid.cell_ids(lat, lon, resolution)).to_numpy(dtype=float)
        ok = ~np.isnan(at)
        return np.flatnonzero(ok), at[ok].astype(np.int64)

    return RankedAreas(
        area_m2=areas,
        locate=locate,
        polygons=lambda idx: grid.cell_polygons(ranked_cells[np.asarray(idx, dtype=np.int64)]),
        unit=unit,
        optimum_resolution=int(resolution),
        optimum_by_count=True,
    )


def rank_h3(train: gpd.GeoDataFrame, sa: StudyArea, *, resolution: int = 9) -> RankedAreas:
    """H3 cells ranked by training count (then cell id); empty cells are never candidates."""
    from hotspots import grid

    res = grid.check_resolution(resolution)
    ids = grid.cell_ids(train[LAT].to_numpy(), train[LON].to_numpy(), res)
    cells, counts = np.unique(ids, return_counts=True)
    return ranked_cells(cells, np.lexsort((cells, -counts)), res, sa)


def rank_gistar(
    train: gpd.GeoDataFrame, sa: StudyArea, *, resolution: int = 9, k: int = 1
) -> RankedAreas:
    """H3 cells with Gi* z > 0 ranked by z (then count, then cell id)."""
    from hotspots import grid
    from hotspots.gistar import gistar_cells

    res = gistar_cells(train, resolution, k, area=sa.geometry)
    cells = grid.to_int(res["cell"].to_numpy())
    z = res["z"].to_numpy()
    counts = res["count"].to_numpy()
    hot = np.flatnonzero(z > 0)
    ranked = hot[np.lexsort((cells[hot], -counts[hot], -z[hot]))]
    return ranked_cells(cells, ranked, int(resolution), sa)


def rank_kde(
    train: gpd.GeoDataFrame, sa: StudyArea, *, bandwidth: float = 250.0, cell: float = 50.0
) -> RankedAreas:
    """Raster cells of the kernel density (centre in the study area, density > 0) ranked by
    density (then raster position). Their areas are scaled so that shares match those
    measured on the surface's own metric CRS."""
    from hotspots.density import kde

    return ranked_raster(kde(train, bandwidth=bandwidth, cell=cell, bounds=sa.geometry), sa)


def ranked_raster(surface: Any, sa: StudyArea) -> RankedAreas:
    """The cells of a density ``surface`` (a :class:`hotspots.density.DensitySurface` on the
    study area) as :func:`rank_kde` ranks them: centre in the study area, density > 0, by
    density then raster position (the Dask engine ranks the surface it computed)."""
    values = np.asarray(surface.values, dtype=float)
    n_rows, n_cols = values.shape
    step = float(surface.cell)
    inside = (
        surface.area_mask.ravel()
        if surface.area_mask is not None
        else np.ones(values.size, dtype=bool)
    )
    flat = values.ravel()
    cand = np.flatnonzero(inside & (flat > 0))
    ranked = cand[np.lexsort((cand, -flat[cand]))]
    # cells are squares of `step` m on the surface's CRS: measure the study area there too,
    # so the share does not mix two projections
    area_here = float(shapely.area(geometry_to_metric(sa.geometry, surface.crs)))
    pos = np.full(flat.size, -1, dtype=np.int64)
    pos[ranked] = np.arange(ranked.size)

    def locate(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(lat) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        r, c = _raster_index(surface, lat, lon)
        ok = (r >= 0) & (r < n_rows) & (c >= 0) & (c < n_cols)
        at = np.full(len(lat), -1, dtype=np.int64)
        at[ok] = pos[r[ok] * n_cols + c[ok]]
        keep = np.flatnonzero(at >= 0)
        return keep, at[keep]

    def polygons(idx: np.ndarray) -> np.ndarray:
        flat_i = ranked[np.asarray(idx, dtype=np.int64)]
        r, c = np.divmod(flat_i, n_cols)
        x0 = surface.x0 + c * step
        y1 = surface.y0 - r * step
        boxes = shapely.box(x0, y1 - step, x0 + step, y1)
        return geometry_to_lonlat(boxes, surface.crs)

    return RankedAreas(
        area_m2=np.full(ranked.size, step * step / area_here * sa.area_m2),
        locate=locate,
        polygons=polygons,
        unit="raster cell",
        optimum_raster=(surface, inside),
    )


def _raster_index(surface: Any, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of the surface cell holding each point (row 0 is the northern one)."""
    x, y, _ = to_metric(lat, lon, surface.crs)
    step = float(surface.cell)
    col = np.floor((x - surface.x0) / step).astype(np.int64)
    row = np.floor((surface.y0 - y) / step).astype(np.int64)
    return row, col


def rank_dbscan(
    train: gpd.GeoDataFrame, sa: StudyArea, *, eps: float = 150.0, min_samples: int = 10
) -> RankedAreas:
    """DBSCAN cluster outlines (buffered convex hulls, :func:`summarize_clusters`) ranked by
    incidents per km² of outline (then cluster id)."""
    from hotspots.clusters import dbscan_labels, summarize_clusters

    labels = dbscan_labels(train, eps=eps, min_samples=min_samples)
    summary = summarize_clusters(train, labels)
    outlines = summary.geometry.to_numpy()
    areas = shapely.area(sa.to_metric(outlines)) if len(summary) else np.zeros(0)
    dens = summary["n_incidents"].to_numpy() / np.where(areas > 0, areas, np.inf)
    ranked = RankedAreas.from_polygons(
        outlines, dens, sa, unit="cluster", tiebreak=summary["cluster"].to_numpy()
    )
    return ranked


#: Ranking function of each method: ``rank(train, study_area, **params) -> RankedAreas``.
RANKERS: dict[str, Callable[..., RankedAreas]] = {
    "h3": rank_h3,
    "kde": rank_kde,
    "dbscan": rank_dbscan,
    "gistar": rank_gistar,
}


# evaluation ------------------------------------------------------------------------------
def _years(values: Iterable[int] | int, name: str) -> tuple[int, ...]:
    if isinstance(values, int | np.integer):
        values = [values]
    try:
        years = tuple(sorted({int(v) for v in values}))
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: give whole years such as 2019,2020") from None
    if not years:
        raise ParameterError(f"{name}: give at least one year")
    return years


def _year_keys(train_years: Iterable[int], test_years: Iterable[int]) -> tuple[tuple, tuple]:
    """Training and test years, checked: given, whole numbers, disjoint."""
    tr, te = _years(train_years, "train_years"), _years(test_years, "test_years")
    if set(tr) & set(te):
        raise ParameterError(
            f"test_years: must differ from train_years (both hold {sorted(set(tr) & set(te))})"
        )
    return tr, te


def _month_keys(train_months: Iterable[Any], test_months: Iterable[Any]) -> tuple[tuple, tuple]:
    """Training and test months (:class:`pandas.Period`), checked: given, months, disjoint."""
    tr, te = _months(train_months, "train_months"), _months(test_months, "test_months")
    both = sorted(set(tr) & set(te))
    if both:
        raise ParameterError(
            f"test_months: must differ from train_months (both hold {', '.join(map(str, both))})"
        )
    return tr, te


def split_keys(
    train_years: Iterable[int] | None,
    test_years: Iterable[int] | None,
    train_months: Iterable[Any] | None,
    test_months: Iterable[Any] | None,
) -> tuple[str, tuple, tuple]:
    """``("year" | "month", training keys, test keys)`` of a split, checked: years or months
    (not both), both halves given, disjoint. Months are :class:`pandas.Period`."""
    by_year = train_years is not None or test_years is not None
    by_month = train_months is not None or test_months is not None
    if by_year and by_month:
        raise ParameterError("give train/test years or train/test months, not both")
    if by_month:
        if train_months is None or test_months is None:
            raise ParameterError("give both train_months and test_months")
        return ("month", *_month_keys(train_months, test_months))
    if train_years is None or test_years is None:
        raise ParameterError("give train_years and test_years (or train_months and test_months)")
    return ("year", *_year_keys(train_years, test_years))


def split_years(
    incidents: gpd.GeoDataFrame, train_years: Iterable[int], test_years: Iterable[int]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Training and test incidents by ``year`` (both must be non-empty and disjoint)."""
    tr, te = _year_keys(train_years, test_years)
    year = incidents[YEAR].to_numpy(dtype="float64", na_value=np.nan)
    present = sorted({int(y) for y in year[~np.isnan(year)]})
    train = incidents.loc[np.isin(year, tr)]
    test = incidents.loc[np.isin(year, te)]
    for name, part, yrs in (("train_years", train, tr), ("test_years", test, te)):
        if len(part) == 0:
            raise InputError(f"no incidents in {name} {list(yrs)}; the data has years {present}")
    return train, test


def _months(values: Iterable[Any], name: str) -> tuple[pd.Period, ...]:
    if isinstance(values, str | pd.Period):
        values = [values]
    out: set[pd.Period] = set()
    for v in values:
        try:
            out.add(pd.Period(str(v).strip(), freq="M"))
        except (TypeError, ValueError):
            raise ParameterError(f"{name}: give months such as 2020-01, got {v!r}") from None
    if not out:
        raise ParameterError(f"{name}: give at least one month")
    return tuple(sorted(out))


def split_months(
    incidents: gpd.GeoDataFrame, train_months: Iterable[Any], test_months: Iterable[Any]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Training and test incidents by calendar month (``"2020-01"`` or :class:`pandas.Period`;
    both non-empty and disjoint), for data that covers a single year.

    Examples
    --------
    >>> calls = gpd.GeoDataFrame({"year": [2020, 2020, 2020], "month": [1, 9, 11]})
    >>> train, test = split_months(calls, ["2020-01", "2020-09"], ["2020-11"])
    >>> len(train), len(test)
    (2, 1)
    """
    tr, te = _month_keys(train_months, test_months)
    year = incidents[YEAR].to_numpy(dtype="float64", na_value=np.nan)
    month = incidents[MONTH].to_numpy(dtype="float64", na_value=np.nan)
    key = year * 12 + (month - 1)  # NaN where the month is unknown
    present = key[~np.isnan(key)]
    span = (
        f"{int(present.min()) // 12}-{int(present.min()) % 12 + 1:02d} .. "
        f"{int(present.max()) // 12}-{int(present.max()) % 12 + 1:02d}"
        if present.size
        else "no dated incidents"
    )
    parts = []
    for name, months in (("train_months", tr), ("test_months", te)):
        part = incidents.loc[np.isin(key, [m.year * 12 + m.month - 1 for m in months])]
        if len(part) == 0:
            raise InputError(
                f"no incidents in {name} {', '.join(map(str, months))}; the data covers {span}"
            )
        parts.append(part)
    return parts[0], parts[1]


def month_runs(months: Iterable[Any]) -> list[str]:
    """Months as labels, consecutive ones joined as ``first..last``.

    Examples
    --------
    >>> month_runs(["2021-01", "2021-02", "2021-03", "2021-05"])
    ['2021-01..2021-03', '2021-05']
    """
    runs: list[list[pd.Period]] = []
    for p in sorted({pd.Period(str(m), freq="M") for m in months}):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return [str(r[0]) if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs]


def _split(
    incidents: gpd.GeoDataFrame,
    train_years: Iterable[int] | None,
    test_years: Iterable[int] | None,
    train_months: Iterable[Any] | None,
    test_months: Iterable[Any] | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Years, or months when the data covers too few years (one of the two, both halves)."""
    kind, tr, te = split_keys(train_years, test_years, train_months, test_months)
    if kind == "month":
        return split_months(incidents, tr, te)
    return split_years(incidents, tr, te)


def split_calls(
    incidents: gpd.GeoDataFrame,
    *,
    train_years: Iterable[int] | None = None,
    test_years: Iterable[int] | None = None,
    train_months: Iterable[Any] | None = None,
    test_months: Iterable[Any] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Training and test calls by years or by months (as :func:`evaluate` splits them)."""
    return _split(incidents, train_years, test_years, train_months, test_months)


def _check_coverage(coverage: float) -> float:
    try:
        c = float(coverage)
    except (TypeError, ValueError):
        c = math.nan
    if not 0 < c <= 1:
        raise ParameterError(
            f"coverage: share of the study area to flag, a fraction in (0, 1] such as 0.05, "
            f"got {coverage!r}"
        )
    return c


def _check_method(method: str) -> str:
    if method not in RANKERS:
        raise ParameterError(f"methods: unknown method {method!r}; use {', '.join(METHODS)}")
    return method


#: Each method's parameter -> the name :func:`hotspots.defaults.resolve` knows it by.
_AUTO_NAMES: Final = {
    "resolution": "resolution",
    "bandwidth": "bandwidth_m",
    "eps": "eps_m",
    "min_samples": "min_samples",
}


def method_params(
    method: str, params: Mapping[str, Any], train: pd.DataFrame, sa: StudyArea | None = None
) -> dict[str, Any]:
    """``params`` over the method's defaults, every ``"auto"`` computed from ``train``
    (:func:`hotspots.defaults.resolve`; the study area for DBSCAN's ``min_samples``)."""
    from hotspots import defaults

    full = {**DEFAULT_PARAMS[_check_method(method)], **dict(params)}
    unknown = set(full) - set(DEFAULT_PARAMS[method])
    if unknown:
        raise ParameterError(
            f"params: {method} takes {', '.join(DEFAULT_PARAMS[method])}, not {sorted(unknown)}"
        )
    auto = {k: defaults.AUTO for k, v in full.items() if k in _AUTO_NAMES and defaults.is_auto(v)}
    if auto:
        given = {_AUTO_NAMES[k]: v for k, v in full.items() if k in _AUTO_NAMES}
        chosen = defaults.resolve(train, given, None if sa is None else sa.geometry)
        for k in auto:
            full[k] = chosen.values[_AUTO_NAMES[k]]
    return full


@dataclass
class Fitted:
    """A method fitted on the training calls: its ranked areas and where the calls fall."""

    method: str
    params: dict[str, Any]
    ranked: RankedAreas
    n_train: int
    n_test: int
    train_pairs: tuple[np.ndarray, np.ndarray]
    test_pairs: tuple[np.ndarray, np.ndarray]
    test_lat: np.ndarray
    test_lon: np.ndarray


def fit(
    method: str,
    params: Mapping[str, Any],
    train: pd.DataFrame,
    test: pd.DataFrame,
    sa: StudyArea,
    ranked: RankedAreas | None = None,
) -> Fitted:
    """Rank ``method``'s areas on ``train`` (or take ``ranked``, a new method's own) and locate
    the training and test calls in them once, to cut at any area share."""
    full = dict(params) if ranked is not None else method_params(method, params, train, sa)
    if ranked is None:
        ranked = RANKERS[method](train, sa, **full)
    tlat, tlon = train[LAT].to_numpy(dtype=float), train[LON].to_numpy(dtype=float)
    elat, elon = test[LAT].to_numpy(dtype=float), test[LON].to_numpy(dtype=float)
    return Fitted(
        method,
        full,
        ranked,
        len(train),
        len(test),
        ranked.locate(tlat, tlon),
        ranked.locate(elat, elon),
        elat,
        elon,
    )


def score_fitted(fitted: Fitted, sa: StudyArea, coverage: float) -> dict[str, Any]:
    """One result row: the ranked areas cut at ``coverage`` of the study area, scored."""
    idx = cut(fitted.ranked, coverage * sa.area_m2)
    area = _taken_area(fitted.ranked, idx)
    hits_train = int(_hits(fitted.train_pairs, fitted.n_train, idx).sum())
    hits_test = int(_hits(fitted.test_pairs, fitted.n_test, idx).sum())
    share = area / sa.area_m2
    h_train = hits_train / fitted.n_train if fitted.n_train else math.nan
    h_test = hits_test / fitted.n_test if fitted.n_test else math.nan
    p_test = pai(h_test, share)
    best = _optimum(fitted.ranked, fitted.test_lat, fitted.test_lon, len(idx), area, sa)
    best = max(best, hits_test)  # the selection itself is one set of that size
    return {
        "method": fitted.method,
        "params": dict(fitted.params),
        "hit_rate": h_test,
        "area_share": share,
        "pai": p_test,
        "pei": pei(h_test, best / fitted.n_test) if fitted.n_test and len(idx) else math.nan,
        "rri": rri(p_test, pai(h_train, share)),
        "comparable": bool(share >= COMPARABLE_FILL * coverage * (1 - 1e-9)),
        "coverage": float(coverage),
        "n_train": fitted.n_train,
        "n_test": fitted.n_test,
        "hits_train": hits_train,
        "hits_test": hits_test,
        "n_areas": int(len(idx)),
        "area_km2": area / 1e6,
    }


def score_ranked(
    method: str,
    params: Mapping[str, Any],
    ranked: RankedAreas,
    train: pd.DataFrame,
    test: pd.DataFrame,
    sa: StudyArea,
    coverage: float,
) -> dict[str, Any]:
    """Score any method's ranked areas: cut at ``coverage`` of the study area (equal area for
    every method), then hit rate, area share, PAI, PEI, RRI and ``comparable``.

    This is the public entry for a new method: rank its areas (e.g.
    :meth:`RankedAreas.from_polygons` with calls per km² of each outline) and call this.
    """
    return score_fitted(fit(method, params, train, test, sa, ranked=ranked), sa, coverage)


def score(
    method: str,
    params: Mapping[str, Any],
    train: gpd.GeoDataFrame,
    test: gpd.GeoDataFrame,
    sa: StudyArea,
    coverage: float,
) -> dict[str, Any]:
    """Fit one method with ``params`` on ``train`` and score it on ``test`` (one result row)."""
    return score_fitted(fit(method, params, train, test, sa), sa, coverage)


def mark_best(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``best``: the highest PAI among the ``comparable`` rows (none when none is)."""
    out = table.copy()
    ok = out["comparable"].astype(bool) & out["pai"].notna()
    out["best"] = False
    if ok.any():
        out.loc[out["pai"].where(ok, -np.inf).idxmax(), "best"] = True
    return out


@dataclass
class Comparison:
    """Methods compared at equal area.

    Attributes
    ----------
    table : DataFrame
        One row per method at the coverage asked for (:data:`RESULT_COLUMNS` and ``best``).
    at_share : DataFrame
        For each method that could not reach the coverage (``comparable`` false, area > 0),
        every other method cut at *its* area share, with ``reference`` naming it.
    fitted : dict
        Method -> :class:`Fitted`, to cut again (curves, the map of what was measured).
    study_area : StudyArea
    """

    table: pd.DataFrame
    at_share: pd.DataFrame
    fitted: dict[str, Fitted]
    study_area: StudyArea


def _prepare(
    incidents: gpd.GeoDataFrame,
    split: tuple[Any, Any, Any, Any],
    area: Any,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, StudyArea]:
    train, test = _split(incidents, *split)
    sa = study_area(pd.concat([train, test]), area)
    if area is not None:  # incidents outside the boundary are outside the study
        train, test = _inside(train, sa), _inside(test, sa)
        if len(train) == 0 or len(test) == 0:
            raise InputError("no training or test incidents inside the boundary")
    return train, test, sa


def compare(
    incidents: gpd.GeoDataFrame,
    *,
    train_years: Iterable[int] | None = None,
    test_years: Iterable[int] | None = None,
    coverage: float,
    methods: Sequence[str] = METHODS,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    train_months: Iterable[Any] | None = None,
    test_months: Iterable[Any] | None = None,
) -> Comparison:
    """:func:`evaluate`, plus the equal-area rows of the methods that fell short
    (:class:`Comparison`)."""
    cov = _check_coverage(coverage)
    params = dict(params or {})
    for m in params:
        _check_method(m)
    methods = [_check_method(m) for m in methods]
    train, test, sa = _prepare(
        incidents, (train_years, test_years, train_months, test_months), area
    )
    fitted = {m: fit(m, params.get(m, {}), train, test, sa) for m in methods}
    table = mark_best(
        pd.DataFrame([score_fitted(f, sa, cov) for f in fitted.values()], columns=RESULT_COLUMNS)
    )
    extra = []
    for r in table.itertuples(index=False):
        if r.comparable or not r.area_share > 0:
            continue
        for f in fitted.values():
            row = score_fitted(f, sa, float(r.area_share))
            row["reference"] = r.method
            extra.append(row)
    at_share = pd.DataFrame(extra, columns=[*RESULT_COLUMNS, "reference"])
    return Comparison(table, at_share, fitted, sa)


def evaluate(
    incidents: gpd.GeoDataFrame,
    *,
    train_years: Iterable[int] | None = None,
    test_years: Iterable[int] | None = None,
    coverage: float,
    methods: Sequence[str] = METHODS,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    train_months: Iterable[Any] | None = None,
    test_months: Iterable[Any] | None = None,
) -> pd.DataFrame:
    """Score hotspot methods fitted on ``train_years`` against ``test_years``, at equal area.

    Parameters
    ----------
    incidents : GeoDataFrame
        Canonical incidents of all years (``lat``, ``lon``, ``year``).
    train_years, test_years : iterable of int
        Disjoint sets of calendar years.
    train_months, test_months : iterable of str or pandas.Period, optional
        Instead of years (for data covering a single year): disjoint sets of calendar
        months such as ``"2020-01"``.
    coverage : float
        Share of the study area each method may flag, in (0, 1] (e.g. 0.05 = 5 %).
    methods : sequence of str
        Among ``"h3"``, ``"kde"``, ``"dbscan"``, ``"gistar"``.
    params : dict, optional
        Per-method parameters overriding :data:`DEFAULT_PARAMS`, e.g.
        ``{"kde": {"bandwidth": 300}}`` (metres for bandwidth, cell and eps); ``"auto"`` for
        ``resolution``, ``bandwidth``, ``eps`` or ``min_samples`` computes it from the
        training calls (:mod:`hotspots.defaults`).
    area : polygon or GeoDataFrame, optional
        Study area (EPSG:4326); default the convex hull of all incidents.

    Returns
    -------
    pandas.DataFrame
        One row per method: ``method``, ``params`` (dict, auto values as computed),
        ``hit_rate``, ``area_share``, ``pai``, ``pei`` (Hunt 2016), ``rri``, ``comparable``
        (``area_share >= 0.9 * coverage``: a method flagging less is not ranked against the
        others, as PAI rises when the area shrinks), ``coverage``, ``n_train``, ``n_test``,
        ``hits_train``, ``hits_test``, ``n_areas`` (cells, raster cells or clusters picked),
        ``area_km2`` and ``best`` (highest PAI among the comparable rows).

    Examples
    --------
    >>> from benchmarks.synthetic import make_incidents
    >>> calls = make_incidents(3000, seed=1)
    >>> res = evaluate(calls, train_years=[2017, 2018], test_years=[2019], coverage=0.05,
    ...                methods=["h3"])
    >>> bool(res.loc[0, "area_share"] <= 0.05)
    True
    """
    return compare(
        incidents,
        train_years=train_years,
        test_years=test_years,
        coverage=coverage,
        methods=methods,
        params=params,
        area=area,
        train_months=train_months,
        test_months=test_months,
    ).table


# what was measured, as areas --------------------------------------------------------------
def selected_areas(comparison: Comparison, method: str, coverage: float) -> gpd.GeoDataFrame:
    """The areas ``method`` selected at ``coverage``, numbered in rank order, with the
    training and test calls inside each: what the comparison table measured.

    Raster cells of the kernel density are joined into connected patches (a patch is
    numbered by its best cell's rank), so the map shows a handful of shapes, not hundreds
    of squares; ``n_units`` says how many cells each holds.

    Returns
    -------
    GeoDataFrame
        EPSG:4326: ``rank`` (1 = hottest), ``n_units``, ``area_km2``, ``train_calls``,
        ``test_calls``, ``geometry``.
    """
    cov = _check_coverage(coverage)
    if method not in comparison.fitted:
        raise ParameterError(
            f"method: {method!r} was not compared; one of {', '.join(comparison.fitted)}"
        )
    f = comparison.fitted[method]
    sa = comparison.study_area
    idx = cut(f.ranked, cov * sa.area_m2)
    cols = ["rank", "n_units", "area_km2", "train_calls", "test_calls"]
    if len(idx) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=WGS84)
    polys = np.asarray(f.ranked.polygons(idx), dtype=object)
    group = np.arange(len(idx))  # candidate -> shape drawn
    shapes = polys
    if f.ranked.unit == "raster cell":  # squares -> connected patches
        merged = shapely.get_parts(shapely.union_all(shapely.buffer(polys, 1e-9)))
        tree = shapely.STRtree(merged)
        cell_i, patch_i = tree.query(shapely.point_on_surface(polys), predicate="intersects")
        group = np.full(len(idx), -1, dtype=np.int64)
        group[cell_i] = patch_i
        # number the patches by the rank of their best cell
        first = np.full(len(merged), np.iinfo(np.int64).max)
        np.minimum.at(first, group, np.arange(len(idx)))
        order = np.argsort(first, kind="stable")
        renumber = np.empty(len(merged), dtype=np.int64)
        renumber[order] = np.arange(len(merged))
        group = renumber[group]
        shapes = merged[order]
    n = len(shapes)
    pos = np.full(f.ranked.n, -1, dtype=np.int64)
    pos[idx] = group

    def calls_in(pairs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        pt, area = pairs
        g = pos[area]
        keep = g >= 0
        # a call inside two overlapping outlines counts for the better-ranked one only
        frame = pd.DataFrame({"pt": pt[keep], "g": g[keep]}).groupby("pt")["g"].min()
        return np.bincount(frame.to_numpy(), minlength=n)

    area_each = np.bincount(group, weights=np.asarray(f.ranked.area_m2)[idx], minlength=n)
    return gpd.GeoDataFrame(
        {
            "rank": np.arange(1, n + 1),
            "n_units": np.bincount(group, minlength=n),
            "area_km2": area_each / 1e6,
            "train_calls": calls_in(f.train_pairs),
            "test_calls": calls_in(f.test_pairs),
        },
        geometry=list(shapes),
        crs=WGS84,
    )


# curves and rolling origin ---------------------------------------------------------------
#: Area shares of the hit-rate curve: 0.5 % to 20 % by 0.5 %.
CURVE_SHARES: Final = tuple(round(0.005 * i, 4) for i in range(1, 41))


def hit_rate_curve(
    comparison: Comparison,
    shares: Sequence[float] = CURVE_SHARES,
    *,
    n_boot: int = 200,
    level: float = 0.9,
    seed: int = 0,
) -> pd.DataFrame:
    """Hit rate against area share for each fitted method, with bootstrap bands.

    Each method's ranked areas are cut at every share; the band resamples the test calls
    with replacement ``n_boot`` times (the areas stay fixed: the spread of the test period).

    Returns
    -------
    DataFrame
        ``method``, ``share`` (asked), ``area_share`` (taken), ``hit_rate``, ``low``, ``high``
        (the central ``level`` of the bootstrap hit rates).
    """
    if not 0 < float(level) < 1:
        raise ParameterError(f"level: a probability in (0, 1) such as 0.9, got {level!r}")
    if int(n_boot) < 1:
        raise ParameterError(f"n_boot: bootstrap samples, >= 1, got {n_boot!r}")
    shares = [_check_coverage(s) for s in shares]
    sa = comparison.study_area
    rows = []
    rng = np.random.default_rng(seed)
    for m, f in comparison.fitted.items():
        n = f.n_test
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=int(n_boot)) if n else None
        for share in shares:
            idx = cut(f.ranked, share * sa.area_m2)
            inside = _hits(f.test_pairs, n, idx)
            boot = (weights @ inside) / n if n else np.array([math.nan])
            lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
            rows.append(
                {
                    "method": m,
                    "share": share,
                    "area_share": _taken_area(f.ranked, idx) / sa.area_m2,
                    "hit_rate": float(inside.mean()) if n else math.nan,
                    "low": float(lo),
                    "high": float(hi),
                }
            )
    return pd.DataFrame(rows, columns=["method", "share", "area_share", "hit_rate", "low", "high"])


def period_months(period: str) -> int:
    """Months in a rolling-origin period: ``"3M"`` -> 3, ``"Q"`` or ``"1Q"`` -> 3, ``"Y"`` or
    ``"1Y"`` -> 12.

    Examples
    --------
    >>> period_months("3M"), period_months("2Q"), period_months("Y")
    (3, 6, 12)
    """
    import re

    m = re.fullmatch(r"\s*(\d*)\s*([MQY])\s*", str(period).upper())
    n = int(m.group(1) or 1) if m else 0
    if not m or n < 1:
        raise ParameterError(
            f"period: a number of months, quarters or years such as 3M, 1Q or 1Y, got {period!r}"
        )
    return n * {"M": 1, "Q": 3, "Y": 12}[m.group(2)]


def rolling_periods(
    incidents: pd.DataFrame, n_splits: int, period: str, train_span: int | None = None
) -> list[tuple[list[str], list[str]]]:
    """The (training months, test months) of ``n_splits`` consecutive test periods of
    ``period`` each, the last ending with the last month of data; each trained on every month
    before it (or the ``train_span`` periods just before), as ``YYYY-MM`` strings.

    Examples
    --------
    >>> calls = pd.DataFrame({"year": [2020] * 12, "month": list(range(1, 13))})
    >>> [(tr[0], tr[-1], te[0], te[-1]) for tr, te in rolling_periods(calls, 2, "3M")]
    [('2020-01', '2020-06', '2020-07', '2020-09'), ('2020-01', '2020-09', '2020-10', '2020-12')]
    """
    k = period_months(period)
    if int(n_splits) < 1:
        raise ParameterError(f"n_splits: consecutive splits, >= 1, got {n_splits!r}")
    if train_span is not None and int(train_span) < 1:
        raise ParameterError(f"train_span: training periods per split, >= 1, got {train_span!r}")
    year = incidents[YEAR].to_numpy(dtype="float64", na_value=np.nan)
    month = incidents[MONTH].to_numpy(dtype="float64", na_value=np.nan)
    key = year * 12 + (month - 1)
    key = key[~np.isnan(key)]
    if key.size == 0:
        raise InputError("rolling-origin evaluation by period needs calls with a year and month")
    first, last = int(key.min()), int(key.max())
    n = int(n_splits)
    if last - n * k + 1 <= first:
        have = last - first + 1
        raise InputError(
            f"{n} test periods of {period} need more than {n * k} months of calls, and the "
            f"data spans {have}: use fewer --rolling splits or a shorter --period"
        )

    def label(i: int) -> str:
        return f"{i // 12}-{i % 12 + 1:02d}"

    out = []
    for j in range(n - 1, -1, -1):  # oldest test period first
        t1 = last - j * k
        t0 = t1 - k + 1
        lo = first if train_span is None else max(first, t0 - int(train_span) * k)
        out.append(([label(i) for i in range(lo, t0)], [label(i) for i in range(t0, t1 + 1)]))
    return out


def rolling_origin(
    incidents: gpd.GeoDataFrame,
    *,
    coverage: float,
    n_splits: int = 3,
    train_span: int | None = None,
    methods: Sequence[str] = METHODS,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    period: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Several consecutive train/test splits, because one split is one draw.

    By year (``period=None``): the last ``n_splits`` years are each the test year of one
    split, trained on the years before it (all of them, or the ``train_span`` years just
    before). By period (``period="3M"``, ``"6M"``, ``"1Q"``, ``"1Y"``): the last ``n_splits``
    consecutive periods of that many calendar months (:func:`rolling_periods`, the last
    ending with the data's last month) are each tested, trained on every month before it (or
    the ``train_span`` periods just before). ``"auto"`` parameters are computed from each
    split's training calls.

    Returns
    -------
    splits : DataFrame
        :func:`evaluate`'s rows with ``test_period`` (``"2021"`` or
        ``"2020-10..2020-12"``) and, by year, ``test_year``.
    summary : DataFrame
        Per method: ``splits``, ``comparable_splits`` and the mean and standard deviation
        (``_mean``, ``_sd``) of ``hit_rate``, ``area_share``, ``pai`` and ``pei``.

    Examples
    --------
    >>> from benchmarks.synthetic import make_incidents
    >>> calls = make_incidents(3000, seed=1)
    >>> splits, summary = rolling_origin(calls, coverage=0.05, n_splits=2, period="6M",
    ...                                  methods=["h3"])
    >>> splits["test_period"].tolist()
    ['2019-01..2019-06', '2019-07..2019-12']
    """
    if int(n_splits) < 1:
        raise ParameterError(f"n_splits: consecutive splits, >= 1, got {n_splits!r}")
    if train_span is not None and int(train_span) < 1:
        raise ParameterError(f"train_span: training years per split, >= 1, got {train_span!r}")
    runs: list[tuple[dict[str, Any], str, int | None]] = []
    if period is None:
        years = sorted({int(y) for y in incidents[YEAR].dropna().unique()})
        if len(years) < 2:
            raise InputError(
                f"rolling-origin evaluation needs at least two years of calls (found {years}); "
                "split by months instead, e.g. --period 3M"
            )
        for y in years[1:][-int(n_splits) :]:
            before = [v for v in years if v < y]
            train = before if train_span is None else before[-int(train_span) :]
            runs.append(({"train_years": train, "test_years": [y]}, str(y), y))
    else:
        for train_m, test_m in rolling_periods(incidents, n_splits, period, train_span):
            split = {"train_months": train_m, "test_months": test_m}
            runs.append((split, "..".join(dict.fromkeys([test_m[0], test_m[-1]])), None))
    parts = []
    for split, label, year in runs:
        res = evaluate(
            incidents, **split, coverage=coverage, methods=methods, params=params, area=area
        )
        res.insert(0, "test_period", label)
        if year is not None:
            res.insert(0, "test_year", year)
        parts.append(res)
    splits = pd.concat(parts, ignore_index=True)
    return splits, rolling_summary(splits)


def rolling_summary(splits: pd.DataFrame) -> pd.DataFrame:
    """Per method of :func:`rolling_origin`'s rows: ``splits``, ``comparable_splits`` and the
    mean and standard deviation (``_mean``, ``_sd``, ddof 1) of ``hit_rate``, ``area_share``,
    ``pai`` and ``pei``."""
    g = splits.groupby("method", sort=False)
    summary = pd.DataFrame({"splits": g.size(), "comparable_splits": g["comparable"].sum()})
    for col in ("hit_rate", "area_share", "pai", "pei"):
        summary[f"{col}_mean"] = g[col].mean()
        summary[f"{col}_sd"] = g[col].std(ddof=1)
    return summary.reset_index()


def _inside(frame: gpd.GeoDataFrame, sa: StudyArea) -> gpd.GeoDataFrame:
    geom = own_prepared(sa.geometry)  # the study area may be shared with other threads
    return frame.loc[shapely.contains_xy(geom, frame[LON].to_numpy(), frame[LAT].to_numpy())]


def param_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of a ``{name: [values]}`` grid, in order.

    Examples
    --------
    >>> param_grid({"eps": [100, 200], "min_samples": [5]})
    [{'eps': 100, 'min_samples': 5}, {'eps': 200, 'min_samples': 5}]
    """
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def sweep(
    incidents: gpd.GeoDataFrame,
    *,
    train_years: Iterable[int] | None = None,
    test_years: Iterable[int] | None = None,
    coverage: float,
    grid: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    min_fill: float = COMPARABLE_FILL,
    train_months: Iterable[Any] | None = None,
    test_months: Iterable[Any] | None = None,
) -> pd.DataFrame:
    """Evaluate every parameter combination of every method; mark the best by PAI.

    PAI rises as the flagged area shrinks (a handful of repeat addresses score very high), so
    methods are compared at (nearly) the same area share: only rows flagging at least
    ``min_fill * coverage`` of the study area are *comparable* and can be marked best. DBSCAN
    with a small ``eps`` often flags far less than allowed; such rows are listed, not ranked.

    Parameters
    ----------
    grid : dict, optional
        ``{method: {param: [values]}}``; default :data:`DEFAULT_GRID` (H3 resolutions 8-10,
        KDE bandwidths 150-600 m, DBSCAN eps 100/200 m x min_samples 5/15, Gi* resolution 9/10
        x k 1/2). Parameters not in the grid keep their defaults.
    min_fill : float
        Smallest share of the allowed area (``coverage``) a row must flag to be ranked, in
        [0, 1] (default :data:`COMPARABLE_FILL`, 0.9; 0 ranks every row).
    Other parameters as :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`evaluate` (``comparable`` by ``min_fill``), ``best`` (the
        highest PAI among the comparable rows of its method; ties to the first combination)
        and ``best_overall`` (the highest PAI of all comparable rows).
    """
    cov = _check_coverage(coverage)
    if not 0 <= float(min_fill) <= 1:
        raise ParameterError(f"min_fill: a share of the coverage in [0, 1], got {min_fill!r}")
    grid = DEFAULT_GRID if grid is None else grid
    for m in grid:
        _check_method(m)
    train, test, sa = _prepare(
        incidents, (train_years, test_years, train_months, test_months), area
    )
    rows = [
        score(m, combo, train, test, sa, cov)
        for m, spec in grid.items()
        for combo in param_grid(spec)
    ]
    out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    # a relative tolerance: equal-area units can fall a hair short of an exact share
    out["comparable"] = out["area_share"] >= float(min_fill) * cov * (1 - 1e-9)
    pai_filled = out["pai"].where(out["comparable"]).fillna(-np.inf)
    out["best"] = False
    for _, idx in out.groupby("method", sort=False).groups.items():
        out.loc[pai_filled.loc[idx].idxmax(), "best"] = bool(pai_filled.loc[idx].max() > -np.inf)
    out["best_overall"] = False
    if np.isfinite(pai_filled.max()):
        out.loc[pai_filled.idxmax(), "best_overall"] = True
    return out


def format_params(params: Mapping[str, Any]) -> str:
    """``{"bandwidth": 250.0, "cell": 50.0}`` -> ``"bandwidth=250 cell=50"``."""
    parts = []
    for k, v in params.items():
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        parts.append(f"{k}={v}")
    return " ".join(parts)
