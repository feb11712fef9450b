"""Which hotspot method predicts next year's calls best: hit rate, PAI and RRI.

Protocol (Chainey, Tompson and Uhlig, 2008)
-------------------------------------------
1. Split the incidents by ``year`` into training and test years.
2. The **study area** is the boundary polygon when one is given, else the convex hull of all
   incidents (training and test years together); its area *A* is measured in metres on an
   azimuthal equidistant projection of the mean Earth sphere centred on it.
3. Each method, fitted on the training incidents only, ranks candidate areas and takes them in
   rank order while their total area stays within ``coverage * A``:

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
   **area share** a = its area / A; **PAI** = H / a; **RRI** = PAI on the test years / PAI on
   the training years for the same areas (= H_test / H_train).

Areas of H3 cells and clusters are their full polygons, even where they cross the study-area
boundary (the area a patrol would cover).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hotspots.errors import InputError, ParameterError
from hotspots.projection import geometry_to_metric, local_metric_crs, to_metric
from hotspots.schema import CRS as WGS84
from hotspots.schema import LAT, LON, MONTH, YEAR

#: Methods compared by :func:`evaluate`, in report order.
METHODS: tuple[str, ...] = ("h3", "kde", "dbscan", "gistar")

#: Default parameters of each method.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "h3": {"resolution": 9},
    "kde": {"bandwidth": 250.0, "cell": 50.0},
    "dbscan": {"eps": 150.0, "min_samples": 10},
    "gistar": {"resolution": 9, "k": 1},
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
    "pai",
    "rri",
    "area_share",
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
    if area is None:
        if len(incidents) < 3:
            raise InputError("need at least 3 incidents (or a boundary) to define a study area")
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
    minx, miny, maxx, maxy = geom.bounds
    crs = local_metric_crs((miny + maxy) / 2, (minx + maxx) / 2, sphere=True)
    sa = StudyArea(geometry=geom, crs=crs, area_m2=0.0)
    area_m2 = float(shapely.area(sa.to_metric(geom)))
    if not area_m2 > 0:
        raise InputError("the study area has no area; give a --boundary polygon")
    return StudyArea(geometry=geom, crs=crs, area_m2=area_m2)


# selections ------------------------------------------------------------------------------
@dataclass
class Selection:
    """Areas picked by a method: a point-in-selection test and their total area."""

    contains: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (lat, lon) -> bool mask
    area_m2: float
    n_areas: int


def _prefix_within(areas: np.ndarray, budget: float) -> int:
    """How many of the ranked ``areas`` fit, taken in order, in ``budget``."""
    cum = np.cumsum(areas)
    # a relative tolerance so equal-area units exactly filling the budget are kept
    return int(np.searchsorted(cum, budget * (1 + 1e-12), side="right"))


def _cell_areas_m2(cells: np.ndarray, sa: StudyArea) -> np.ndarray:
    from hotspots import grid

    return shapely.area(sa.to_metric(grid.cell_polygons(cells)))


def _select_cells(
    cells: np.ndarray, ranked: np.ndarray, resolution: int, sa: StudyArea, budget: float
) -> Selection:
    from hotspots import grid

    ranked_cells = cells[ranked]
    areas = _cell_areas_m2(ranked_cells, sa)
    n = _prefix_within(areas, budget)
    chosen = np.sort(ranked_cells[:n].astype(np.uint64))

    def contains(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        if len(lat) == 0 or n == 0:
            return np.zeros(len(lat), dtype=bool)
        return np.isin(grid.cell_ids(lat, lon, resolution), chosen)

    return Selection(contains, float(areas[:n].sum()), n)


def select_h3(
    train: gpd.GeoDataFrame, sa: StudyArea, coverage: float, *, resolution: int = 9
) -> Selection:
    """Top H3 cells by training count within ``coverage`` of the study area."""
    from hotspots import grid

    res = grid.check_resolution(resolution)
    ids = grid.cell_ids(train[LAT].to_numpy(), train[LON].to_numpy(), res)
    cells, counts = np.unique(ids, return_counts=True)
    ranked = np.lexsort((cells, -counts))  # count desc, then cell id
    return _select_cells(cells, ranked, res, sa, coverage * sa.area_m2)


def select_gistar(
    train: gpd.GeoDataFrame, sa: StudyArea, coverage: float, *, resolution: int = 9, k: int = 1
) -> Selection:
    """Top H3 cells by Gi* z-score (z > 0) within ``coverage`` of the study area."""
    from hotspots import grid
    from hotspots.gistar import gistar_cells

    res = gistar_cells(train, resolution, k, area=sa.geometry)
    cells = grid.to_int(res["cell"].to_numpy())
    z = res["z"].to_numpy()
    counts = res["count"].to_numpy()
    hot = np.flatnonzero(z > 0)
    ranked = hot[np.lexsort((cells[hot], -counts[hot], -z[hot]))]
    return _select_cells(cells, ranked, int(resolution), sa, coverage * sa.area_m2)


def select_kde(
    train: gpd.GeoDataFrame,
    sa: StudyArea,
    coverage: float,
    *,
    bandwidth: float = 250.0,
    cell: float = 50.0,
) -> Selection:
    """Top raster cells of the kernel density within ``coverage`` of the study area."""
    from hotspots.density import kde

    surface = kde(train, bandwidth=bandwidth, cell=cell, bounds=sa.geometry)
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
    # the surface's cells are squares of `step` metres on its own metric CRS: measure the
    # study area on that CRS too, so the area share does not mix two projections
    area_here = float(shapely.area(geometry_to_metric(sa.geometry, surface.crs)))
    n = _prefix_within(np.full(ranked.size, step * step), coverage * area_here)
    chosen = np.zeros(flat.size, dtype=bool)
    chosen[ranked[:n]] = True

    def contains(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        if len(lat) == 0 or n == 0:
            return np.zeros(len(lat), dtype=bool)
        r, c = _raster_index(surface, lat, lon)
        ok = (r >= 0) & (r < n_rows) & (c >= 0) & (c < n_cols)
        out = np.zeros(len(lat), dtype=bool)
        out[ok] = chosen[r[ok] * n_cols + c[ok]]
        return out

    return Selection(contains, n * step * step / area_here * sa.area_m2, n)


def _raster_index(surface: Any, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of the surface cell holding each point (row 0 is the northern one)."""
    x, y, _ = to_metric(lat, lon, surface.crs)
    step = float(surface.cell)
    col = np.floor((x - surface.x0) / step).astype(np.int64)
    row = np.floor((surface.y0 - y) / step).astype(np.int64)
    return row, col


def select_dbscan(
    train: gpd.GeoDataFrame,
    sa: StudyArea,
    coverage: float,
    *,
    eps: float = 150.0,
    min_samples: int = 10,
) -> Selection:
    """Densest DBSCAN cluster outlines that fit within ``coverage`` of the study area."""
    from hotspots.clusters import dbscan_labels, summarize_clusters

    labels = dbscan_labels(train, eps=eps, min_samples=min_samples)
    summary = summarize_clusters(train, labels)
    budget = coverage * sa.area_m2
    if len(summary) == 0:
        return Selection(lambda lat, lon: np.zeros(len(lat), dtype=bool), 0.0, 0)
    outlines = sa.to_metric(summary.geometry.to_numpy())
    areas = shapely.area(outlines)
    dens = summary["n_incidents"].to_numpy() / areas
    ranked = np.lexsort((summary["cluster"].to_numpy(), -dens))
    picked: list[int] = []
    used = 0.0
    for i in ranked:  # greedy over clusters (tens to hundreds), skipping those too large
        if used + areas[i] <= budget * (1 + 1e-12):
            picked.append(int(i))
            used += areas[i]
    if not picked:
        return Selection(lambda lat, lon: np.zeros(len(lat), dtype=bool), 0.0, 0)
    union_m = shapely.union_all(outlines[picked])
    union = shapely.union_all(summary.geometry.to_numpy()[picked])
    shapely.prepare(union)

    def contains(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return shapely.contains_xy(union, np.asarray(lon), np.asarray(lat))

    return Selection(contains, float(shapely.area(union_m)), len(picked))


SELECTORS: dict[str, Callable[..., Selection]] = {
    "h3": select_h3,
    "kde": select_kde,
    "dbscan": select_dbscan,
    "gistar": select_gistar,
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


def split_years(
    incidents: gpd.GeoDataFrame, train_years: Iterable[int], test_years: Iterable[int]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Training and test incidents by ``year`` (both must be non-empty and disjoint)."""
    tr, te = _years(train_years, "train_years"), _years(test_years, "test_years")
    if set(tr) & set(te):
        raise ParameterError(
            f"test_years: must differ from train_years (both hold {sorted(set(tr) & set(te))})"
        )
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
    tr, te = _months(train_months, "train_months"), _months(test_months, "test_months")
    both = sorted(set(tr) & set(te))
    if both:
        raise ParameterError(
            f"test_months: must differ from train_months (both hold {', '.join(map(str, both))})"
        )
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
    by_year = train_years is not None or test_years is not None
    by_month = train_months is not None or test_months is not None
    if by_year and by_month:
        raise ParameterError("give train/test years or train/test months, not both")
    if by_month:
        if train_months is None or test_months is None:
            raise ParameterError("give both train_months and test_months")
        return split_months(incidents, train_months, test_months)
    if train_years is None or test_years is None:
        raise ParameterError("give train_years and test_years (or train_months and test_months)")
    return split_years(incidents, train_years, test_years)


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
    if method not in SELECTORS:
        raise ParameterError(f"methods: unknown method {method!r}; use {', '.join(METHODS)}")
    return method


def score(
    method: str,
    params: Mapping[str, Any],
    train: gpd.GeoDataFrame,
    test: gpd.GeoDataFrame,
    sa: StudyArea,
    coverage: float,
) -> dict[str, Any]:
    """Fit one method with ``params`` on ``train`` and score it on ``test`` (one result row)."""
    full = {**DEFAULT_PARAMS[_check_method(method)], **dict(params)}
    unknown = set(full) - set(DEFAULT_PARAMS[method])
    if unknown:
        raise ParameterError(
            f"params: {method} takes {', '.join(DEFAULT_PARAMS[method])}, not {sorted(unknown)}"
        )
    sel = SELECTORS[method](train, sa, coverage, **full)
    hits_train = int(sel.contains(train[LAT].to_numpy(), train[LON].to_numpy()).sum())
    hits_test = int(sel.contains(test[LAT].to_numpy(), test[LON].to_numpy()).sum())
    share = sel.area_m2 / sa.area_m2
    h_train = hits_train / len(train)
    h_test = hits_test / len(test)
    p_test = pai(h_test, share)
    return {
        "method": method,
        "params": full,
        "hit_rate": h_test,
        "pai": p_test,
        "rri": rri(p_test, pai(h_train, share)),
        "area_share": share,
        "n_train": len(train),
        "n_test": len(test),
        "hits_train": hits_train,
        "hits_test": hits_test,
        "n_areas": sel.n_areas,
        "area_km2": sel.area_m2 / 1e6,
    }


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
    """Score hotspot methods fitted on ``train_years`` against ``test_years``.

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
        ``{"kde": {"bandwidth": 300}}`` (metres for bandwidth, cell and eps).
    area : polygon or GeoDataFrame, optional
        Study area (EPSG:4326); default the convex hull of all incidents.

    Returns
    -------
    pandas.DataFrame
        One row per method: ``method``, ``params`` (dict), ``hit_rate``, ``pai``, ``rri``,
        ``area_share``, ``n_train``, ``n_test``, ``hits_train``, ``hits_test``, ``n_areas``
        (cells or clusters picked), ``area_km2``.

    Examples
    --------
    >>> from benchmarks.synthetic import make_incidents
    >>> calls = make_incidents(3000, seed=1)
    >>> res = evaluate(calls, train_years=[2017, 2018], test_years=[2019], coverage=0.05,
    ...                methods=["h3"])
    >>> bool(res.loc[0, "area_share"] <= 0.05)
    True
    """
    cov = _check_coverage(coverage)
    params = dict(params or {})
    for m in params:
        _check_method(m)
    methods = [_check_method(m) for m in methods]
    train, test = _split(incidents, train_years, test_years, train_months, test_months)
    sa = study_area(pd.concat([train, test]), area)
    if area is not None:  # incidents outside the boundary are outside the study
        train, test = _inside(train, sa), _inside(test, sa)
        if len(train) == 0 or len(test) == 0:
            raise InputError("no training or test incidents inside the boundary")
    rows = [score(m, params.get(m, {}), train, test, sa, cov) for m in methods]
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def _inside(frame: gpd.GeoDataFrame, sa: StudyArea) -> gpd.GeoDataFrame:
    geom = sa.geometry
    shapely.prepare(geom)
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
    min_fill: float = 0.5,
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
        [0, 1] (0 ranks every row).
    Other parameters as :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`evaluate` plus ``comparable`` (area share >= ``min_fill *
        coverage``), ``best`` (the highest PAI among the comparable rows of its method; ties
        to the first combination) and ``best_overall`` (the highest PAI of all comparable rows).
    """
    cov = _check_coverage(coverage)
    if not 0 <= float(min_fill) <= 1:
        raise ParameterError(f"min_fill: a share of the coverage in [0, 1], got {min_fill!r}")
    grid = DEFAULT_GRID if grid is None else grid
    for m in grid:
        _check_method(m)
    train, test = _split(incidents, train_years, test_years, train_months, test_months)
    sa = study_area(pd.concat([train, test]), area)
    if area is not None:
        train, test = _inside(train, sa), _inside(test, sa)
    rows = [
        score(m, combo, train, test, sa, cov)
        for m, spec in grid.items()
        for combo in param_grid(spec)
    ]
    out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    # a relative tolerance: equal-area units can fall a hair short of an exact half
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
