"""Evaluation on the engine: the methods ranked on the training split's aggregates, cut at
equal area and scored by per-split counts.

:func:`hotspots.evaluate.evaluate` ranks each method's candidate areas on the training
incidents (:class:`hotspots.evaluate.RankedAreas`), cuts every method at the same area
(:func:`hotspots.evaluate.cut`) and scores the cut on the training and test incidents. Here
the ranking is built from aggregates of the partitioned dataset, then cut and scored as on one
machine:

- the study area (the boundary, or the hull of the partitions' hulls) as on one machine;
- ``h3``: the training counts per cell (:func:`hotspots.engine.count_cells`);
- ``gistar``: :func:`hotspots.engine.gistar_cells` of the training split;
- ``kde``: :func:`hotspots.engine.kde` of the training split on the study area;
- the hits: the ranked areas' point test (``RankedAreas.locate``) run on every partition of
  each split, the calls inside the cut counted and added;
- PEI's best possible hit rate: the test calls per H3 cell at the method's resolution
  (``h3``, ``gistar``) or per raster cell of the surface (``kde``), added over the
  partitions, the busiest ones taken as :func:`hotspots.evaluate.score_ranked` takes them.

The rows equal the single-machine ones (the columns of
:data:`hotspots.evaluate.RESULT_COLUMNS` and ``best``), and so do the equal-area rows of
:func:`compare`. ``dbscan`` is not split across partitions (see :mod:`hotspots.engine.dbscan`):
it is fitted on one machine on the gathered coordinates of both splits, up to
:data:`hotspots.engine.DBSCAN_MAX_POINTS` calls, and refused above. ``"auto"`` parameters,
computed from the calls in one process, are refused: give numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from hotspots import defaults, grid
from hotspots import evaluate as EV
from hotspots.engine.counts import count_cells
from hotspots.engine.dataset import Source, add, as_source, map_reduce, stack
from hotspots.engine.dbscan import DBSCAN_MAX_POINTS, _part_latlon, refuse_dbscan
from hotspots.engine.density import kde
from hotspots.engine.stats import _hull_vertices, gistar_cells
from hotspots.errors import InputError, ParameterError
from hotspots.schema import LAT, LON

#: Methods the engine evaluates from aggregates (``dbscan`` too, on gathered coordinates
#: up to :data:`hotspots.engine.DBSCAN_MAX_POINTS`; see :func:`compare`).
METHODS: tuple[str, ...] = ("h3", "kde", "gistar")


# per-partition steps (sent to the workers) ----------------------------------------------------
def _hits(frame: pd.DataFrame, locate, taken: np.ndarray) -> int:
    """Calls of one partition inside any of the candidates ``taken`` (rank positions).

    Parameters
    ----------
    frame : DataFrame
        The partition's rows (``lat``, ``lon``).
    locate : callable
        ``RankedAreas.locate``: (point, candidate) index pairs.
    taken : ndarray
        Rank positions of the candidates cut.

    Returns
    -------
    int
        Calls inside the cut, each counted once (as :func:`hotspots.evaluate.score_ranked`).
    """
    if len(frame) == 0 or len(taken) == 0:
        return 0
    pt, area = locate(frame[LAT].to_numpy(dtype=float), frame[LON].to_numpy(dtype=float))
    return int(np.unique(pt[np.isin(area, taken)]).size)


def _raster_counts(frame: pd.DataFrame, surface: Any, inside: np.ndarray) -> np.ndarray:
    """Calls of one partition per raster cell of ``surface`` (flat index; cells whose centre is
    outside the study area, and calls off the raster, left out)."""
    rows, cols = surface.values.shape
    out = np.zeros(rows * cols, dtype=np.int64)
    if len(frame) == 0:
        return out
    r, c = EV._raster_index(
        surface, frame[LAT].to_numpy(dtype=float), frame[LON].to_numpy(dtype=float)
    )
    ok = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
    flat = r[ok] * cols + c[ok]
    return out + np.bincount(flat[inside[flat]], minlength=rows * cols)


def _part_hull(frame: pd.DataFrame) -> np.ndarray:
    return _hull_vertices(frame[LON].to_numpy(dtype=float), frame[LAT].to_numpy(dtype=float))


def _merge_hull(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    both = np.concatenate([a, b])
    return _hull_vertices(both[:, 0], both[:, 1]) if len(both) > 64 else both


# splits and parameters ------------------------------------------------------------------------
def _splits(train_years, test_years, train_months, test_months):
    """("year" | "month", training keys, test keys), checked as on one machine; months as
    ``year * 12 + month - 1``, the key the partitions are counted by."""
    kind, tr, te = EV.split_keys(train_years, test_years, train_months, test_months)
    if kind == "month":
        return kind, [_month_key(m) for m in tr], [_month_key(m) for m in te]
    return kind, list(tr), list(te)


def _month_key(m) -> int:
    return m.year * 12 + m.month - 1


def _params(method: str, given: Mapping[str, Any], sa: EV.StudyArea) -> dict[str, Any]:
    """:func:`hotspots.evaluate.method_params` without the calls: a default ``"auto"`` is the
    fixed number (:func:`hotspots.defaults.engine_value`), an ``"auto"`` given is refused.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    given : mapping
        The caller's parameters of ``method``.
    sa : StudyArea

    Returns
    -------
    dict
        The parameters over the method's defaults, checked as on one machine.
    """
    full = {**EV.DEFAULT_PARAMS[method], **dict(given)}
    # a default "auto" becomes the fixed number here (defaults.engine_value); an "auto" the
    # caller asked for is refused below
    for k, v in full.items():
        if k in EV._AUTO_NAMES and k not in given and defaults.is_auto(v):
            full[k] = defaults.engine_value(EV._AUTO_NAMES[k], v)[0]
    auto = sorted(k for k, v in full.items() if k in EV._AUTO_NAMES and defaults.is_auto(v))
    if auto:
        raise ParameterError(
            f"params: {method} {', '.join(auto)} auto needs the calls in one process: "
            "give a number on the dask engine"
        )
    # no auto value left, so the training calls are not read: an empty frame stands for them
    return EV.method_params(method, full, pd.DataFrame({LAT: [], LON: []}), sa)


# ranked areas from aggregates -----------------------------------------------------------------
def _rank_h3(train: Source, sa: EV.StudyArea, *, resolution, progress) -> EV.RankedAreas:
    """:func:`hotspots.evaluate.rank_h3` from the training counts per cell."""
    res = grid.check_resolution(resolution)
    counts = count_cells(train, res, progress=progress)
    cells = grid.to_int(counts["cell"].to_numpy())
    n = counts["count"].to_numpy()
    return EV.ranked_cells(cells, np.lexsort((cells, -n)), res, sa)


def _rank_gistar(train: Source, sa: EV.StudyArea, *, resolution, k, progress) -> EV.RankedAreas:
    """:func:`hotspots.evaluate.rank_gistar` from :func:`hotspots.engine.gistar_cells`."""
    res = gistar_cells(train, resolution, k, area=sa.geometry, progress=progress)
    cells = grid.to_int(res["cell"].to_numpy())
    z, n = res["z"].to_numpy(), res["count"].to_numpy()
    hot = np.flatnonzero(z > 0)
    ranked = hot[np.lexsort((cells[hot], -n[hot], -z[hot]))]
    return EV.ranked_cells(cells, ranked, int(resolution), sa)


def _rank_kde(train: Source, sa: EV.StudyArea, *, bandwidth, cell, progress) -> EV.RankedAreas:
    """:func:`hotspots.evaluate.rank_kde` with the surface made on the engine."""
    surface = kde(train, bandwidth=bandwidth, cell=cell, bounds=sa.geometry, progress=progress)
    return EV.ranked_raster(surface, sa)


def _rank(method: str, full: dict, train: Source, sa: EV.StudyArea, progress) -> EV.RankedAreas:
    if method == "h3":
        return _rank_h3(train, sa, resolution=full["resolution"], progress=progress)
    if method == "gistar":
        return _rank_gistar(
            train, sa, resolution=full["resolution"], k=full["k"], progress=progress
        )
    return _rank_kde(train, sa, bandwidth=full["bandwidth"], cell=full["cell"], progress=progress)


# scoring --------------------------------------------------------------------------------------
def _best_hits(ranked: EV.RankedAreas, test: Source, n_taken: int, progress) -> int:
    """Most test calls any ``n_taken`` of the method's own units hold (PEI's denominator, as
    :func:`hotspots.evaluate.score_ranked` finds it), from per-partition counts."""
    if n_taken == 0:
        return 0
    if ranked.optimum_raster is not None:
        surface, inside = ranked.optimum_raster
        counts = map_reduce(
            test, partial(_raster_counts, surface=surface, inside=inside), add, progress=progress
        )
    elif ranked.optimum_by_count:
        res = int(ranked.optimum_resolution or EV.PEI_RESOLUTION)
        counts = count_cells(test, res, progress=progress)["count"].to_numpy()
    else:  # outlines of any size: not ranked on the engine
        raise ParameterError("PEI of outlines is not computed on the dask engine")
    return int(np.sort(counts)[::-1][:n_taken].sum())


def _score(
    method: str,
    full: dict[str, Any],
    ranked: EV.RankedAreas,
    splits: tuple[Source, Source],
    n: tuple[int, int],
    sa: EV.StudyArea,
    coverage: float,
    *,
    progress: bool,
) -> dict[str, Any]:
    """One result row, as :func:`hotspots.evaluate.score_ranked` makes it.

    Parameters
    ----------
    method : str
    full : dict
        The method's parameters.
    ranked : RankedAreas
        Its areas ranked on the training split.
    splits : (Source, Source)
        The training and test splits.
    n : (int, int)
        Their numbers of calls.
    sa : StudyArea
    coverage : float
        Share of the study area cut.
    progress : bool
        Dask's progress bar.

    Returns
    -------
    dict
        The values of :data:`hotspots.evaluate.RESULT_COLUMNS`.
    """
    train, test = splits
    n_train, n_test = n
    idx = EV.cut(ranked, coverage * sa.area_m2)
    # cells and raster cells do not overlap: the taken area is the sum of theirs
    area = float(np.asarray(ranked.area_m2)[idx].sum()) if len(idx) else 0.0
    step = partial(_hits, locate=ranked.locate, taken=idx)
    hits_train = int(map_reduce(train, step, add, progress=progress))
    hits_test = int(map_reduce(test, step, add, progress=progress))
    share = area / sa.area_m2
    h_train = hits_train / n_train if n_train else math.nan
    h_test = hits_test / n_test if n_test else math.nan
    p_test = EV.pai(h_test, share)
    best = max(_best_hits(ranked, test, len(idx), progress), hits_test)
    return {
        "method": method,
        "params": dict(full),
        "hit_rate": h_test,
        "area_share": share,
        "pai": p_test,
        "pei": EV.pei(h_test, best / n_test) if n_test and len(idx) else math.nan,
        "rri": EV.rri(p_test, EV.pai(h_train, share)),
        "comparable": bool(share >= EV.COMPARABLE_FILL * coverage * (1 - 1e-9)),
        "coverage": float(coverage),
        "n_train": int(n_train),
        "n_test": int(n_test),
        "hits_train": hits_train,
        "hits_test": hits_test,
        "n_areas": int(len(idx)),
        "area_km2": area / 1e6,
    }


@dataclass(frozen=True)
class Compared:
    """Methods compared at equal area on the engine (:func:`hotspots.evaluate.compare`'s
    ``table`` and ``at_share``, without the fitted methods, which hold no calls here).

    Attributes
    ----------
    table : DataFrame
        One row per method at the coverage asked for (:data:`hotspots.evaluate.RESULT_COLUMNS`
        and ``best``).
    at_share : DataFrame
        For each method that could not reach the coverage, every method cut at *its* area
        share, ``reference`` naming it.
    study_area : StudyArea
    """

    table: pd.DataFrame
    at_share: pd.DataFrame
    study_area: EV.StudyArea


def _gather(source: Source, progress: bool) -> pd.DataFrame:
    """The ``lat``/``lon`` of a split in one frame (for DBSCAN, under its limit)."""
    latlon = map_reduce(source, _part_latlon, stack, progress=progress)
    return pd.DataFrame({LAT: latlon[:, 0], LON: latlon[:, 1]})


def _dbscan_scorer(
    full: dict[str, Any],
    splits: tuple[Source, Source],
    n: tuple[int, int],
    sa: EV.StudyArea,
    progress: bool,
    limit: int = DBSCAN_MAX_POINTS,
) -> Callable[[float], dict[str, Any]]:
    """DBSCAN fitted as on one machine on the gathered coordinates of both splits (at most
    :data:`hotspots.engine.DBSCAN_MAX_POINTS`; its clusters are not split across partitions),
    as ``coverage -> row``."""
    if sum(n) > limit:
        refuse_dbscan("evaluate --methods dbscan", n=sum(n), limit=limit)
    train, test = (_gather(s, progress) for s in splits)
    fitted = EV.fit("dbscan", full, train, test, sa)
    return partial(EV.score_fitted, fitted, sa)


def compare(
    source: Source | str,
    *,
    train_years: Iterable[int] | None = None,
    test_years: Iterable[int] | None = None,
    coverage: float,
    methods: Sequence[str] = METHODS,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    area: Any = None,
    train_months: Iterable[Any] | None = None,
    test_months: Iterable[Any] | None = None,
    progress: bool = False,
    dbscan_max_points: int = DBSCAN_MAX_POINTS,
) -> Compared:
    """:func:`hotspots.evaluate.compare` of a partitioned dataset: the same table and
    equal-area rows (:class:`Compared`).

    Parameters
    ----------
    source : Source or str
        The dataset and its filters.
    train_years, test_years, train_months, test_months, coverage, area
        As :func:`hotspots.evaluate.evaluate`.
    methods : sequence of str
        Among ``"h3"``, ``"kde"``, ``"gistar"`` (from aggregates) and ``"dbscan"`` (on the
        gathered coordinates, up to :data:`hotspots.engine.DBSCAN_MAX_POINTS` calls).
    params : dict, optional
        Per-method parameters as :func:`hotspots.evaluate.evaluate`, numbers only (an
        ``"auto"`` value needs the calls in one process and is refused).
    progress : bool
        Show Dask's progress bar.
    dbscan_max_points : int
        Most calls (both splits) gathered for ``dbscan``; above it ``dbscan`` is refused.

    Returns
    -------
    Compared
    """
    cov = EV._check_coverage(coverage)
    params = dict(params or {})
    for m in [*params, *methods]:
        EV._check_method(m)
    src = as_source(source)
    unit, tr, te = _splits(train_years, test_years, train_months, test_months)
    train, test = src.only(unit, tr), src.only(unit, te)
    for name, part, keys in (("train", train, tr), ("test", test, te)):
        if map_reduce(part, len, add, progress=progress) == 0:
            what = f"{name}_{unit}s"
            shown = keys if unit == "year" else [f"{k // 12}-{k % 12 + 1:02d}" for k in keys]
            raise InputError(f"no incidents in {what} {shown}")
    if area is None:
        hull = map_reduce(src.only(unit, [*tr, *te]), _part_hull, _merge_hull, progress=progress)
        sa = EV.study_area(pd.DataFrame({LON: hull[:, 0], LAT: hull[:, 1]}), None)
    else:
        sa = EV.study_area(pd.DataFrame({LON: [], LAT: []}), area)
        train, test = train.inside(sa.geometry), test.inside(sa.geometry)
    n = (
        int(map_reduce(train, len, add, progress=progress)),
        int(map_reduce(test, len, add, progress=progress)),
    )
    if area is not None and (n[0] == 0 or n[1] == 0):
        raise InputError("no training or test incidents inside the boundary")
    scorers: dict[str, Callable[[float], dict[str, Any]]] = {}
    for method in methods:
        full = _params(method, params.get(method, {}), sa)
        if method == "dbscan":
            scorers[method] = _dbscan_scorer(
                full, (train, test), n, sa, progress, dbscan_max_points
            )
            continue
        ranked = _rank(method, full, train, sa, progress)
        scorers[method] = partial(
            _score, method, full, ranked, (train, test), n, sa, progress=progress
        )
    table = EV.mark_best(
        pd.DataFrame([scorers[m](cov) for m in methods], columns=list(EV.RESULT_COLUMNS))
    )
    extra = []
    for r in table.itertuples(index=False):
        if r.comparable or not r.area_share > 0:
            continue
        for m in methods:
            row = scorers[m](float(r.area_share))
            row["reference"] = r.method
            extra.append(row)
    at_share = pd.DataFrame(extra, columns=[*EV.RESULT_COLUMNS, "reference"])
    return Compared(table, at_share, sa)


def evaluate(source: Source | str, **kwargs: Any) -> pd.DataFrame:
    """:func:`hotspots.evaluate.evaluate` of a partitioned dataset (the same rows): the
    ``table`` of :func:`compare`, which takes the same keyword arguments.

    Returns
    -------
    pandas.DataFrame
        :func:`hotspots.evaluate.evaluate`'s table: :data:`hotspots.evaluate.RESULT_COLUMNS`
        (``pei``, ``comparable``, ``coverage`` among them) and ``best``.
    """
    return compare(source, **kwargs).table


__all__ = ["METHODS", "Compared", "compare", "evaluate"]
