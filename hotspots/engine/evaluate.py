"""Evaluation on the engine: the methods fitted on the training split's aggregates, scored by
per-split hit counts.

:func:`hotspots.evaluate.evaluate` fits each method on the training incidents, picks areas
within the coverage budget, and counts the training and test incidents inside them. Here:

- the study area (the boundary, or the hull of the partitions' hulls) as on one machine;
- ``h3``: the training counts per cell (:func:`hotspots.engine.count_cells`);
- ``gistar``: :func:`hotspots.engine.gistar_cells` of the training split;
- ``kde``: :func:`hotspots.engine.kde` of the training split on the study area;
- the hits: the selection's point test run on every partition of each split, the counts
  added.

The rows equal the single-machine ones. ``dbscan`` is not offered: see
:mod:`hotspots.engine.dbscan`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import shapely

from hotspots import evaluate as EV
from hotspots import grid
from hotspots.engine.counts import count_cells
from hotspots.engine.dataset import Source, add, as_source, map_reduce
from hotspots.engine.dbscan import refuse_dbscan
from hotspots.engine.density import kde
from hotspots.engine.stats import _hull_vertices, gistar_cells
from hotspots.errors import InputError, ParameterError
from hotspots.projection import geometry_to_metric
from hotspots.schema import LAT, LON

#: Methods the engine evaluates.
METHODS: tuple[str, ...] = ("h3", "kde", "gistar")


def _hits(frame: pd.DataFrame, contains) -> int:
    return int(contains(frame[LAT].to_numpy(), frame[LON].to_numpy()).sum())


def _part_hull(frame: pd.DataFrame) -> np.ndarray:
    return _hull_vertices(frame[LON].to_numpy(dtype=float), frame[LAT].to_numpy(dtype=float))


def _merge_hull(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    both = np.concatenate([a, b])
    return _hull_vertices(both[:, 0], both[:, 1]) if len(both) > 64 else both


def _splits(train_years, test_years, train_months, test_months):
    """("year" | "month", training keys, test keys), checked as on one machine."""
    by_year = train_years is not None or test_years is not None
    by_month = train_months is not None or test_months is not None
    if by_year and by_month:
        raise ParameterError("give train/test years or train/test months, not both")
    if by_month:
        if train_months is None or test_months is None:
            raise ParameterError("give both train_months and test_months")
        tr = EV._months(train_months, "train_months")
        te = EV._months(test_months, "test_months")
        both = sorted(set(tr) & set(te))
        if both:
            raise ParameterError(
                "test_months: must differ from train_months (both hold "
                f"{', '.join(map(str, both))})"
            )
        return (
            "month",
            [m.year * 12 + m.month - 1 for m in tr],
            [m.year * 12 + m.month - 1 for m in te],
        )
    if train_years is None or test_years is None:
        raise ParameterError("give train_years and test_years (or train_months and test_months)")
    tr, te = EV._years(train_years, "train_years"), EV._years(test_years, "test_years")
    if set(tr) & set(te):
        raise ParameterError(
            f"test_years: must differ from train_years (both hold {sorted(set(tr) & set(te))})"
        )
    return "year", list(tr), list(te)


def _select_kde(train: Source, sa: EV.StudyArea, coverage: float, *, bandwidth, cell, progress):
    """:func:`hotspots.evaluate.select_kde` with the surface made on the engine."""
    surface = kde(train, bandwidth=bandwidth, cell=cell, bounds=sa.geometry, progress=progress)
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
    area_here = float(shapely.area(geometry_to_metric(sa.geometry, surface.crs)))
    n = EV._prefix_within(np.full(ranked.size, step * step), coverage * area_here)
    chosen = np.zeros(flat.size, dtype=bool)
    chosen[ranked[:n]] = True
    contains = partial(_in_raster, surface=surface, chosen=chosen, n=n)
    return EV.Selection(contains, n * step * step / area_here * sa.area_m2, n)


def _in_raster(lat, lon, *, surface, chosen, n) -> np.ndarray:
    n_rows, n_cols = surface.values.shape
    if len(lat) == 0 or n == 0:
        return np.zeros(len(lat), dtype=bool)
    r, c = EV._raster_index(surface, lat, lon)
    ok = (r >= 0) & (r < n_rows) & (c >= 0) & (c < n_cols)
    out = np.zeros(len(lat), dtype=bool)
    out[ok] = chosen[r[ok] * n_cols + c[ok]]
    return out


def _select(method: str, full: dict, train: Source, sa: EV.StudyArea, cov: float, progress):
    budget = cov * sa.area_m2
    if method == "h3":
        res = grid.check_resolution(full["resolution"])
        counts = count_cells(train, res, progress=progress)
        cells = grid.to_int(counts["cell"].to_numpy())
        order = np.argsort(cells)  # as np.unique gives them
        cells, n = cells[order], counts["count"].to_numpy()[order]
        ranked = np.lexsort((cells, -n))
        return EV._select_cells(cells, ranked, res, sa, budget)
    if method == "gistar":
        res = gistar_cells(
            train, full["resolution"], full["k"], area=sa.geometry, progress=progress
        )
        cells = grid.to_int(res["cell"].to_numpy())
        z, n = res["z"].to_numpy(), res["count"].to_numpy()
        hot = np.flatnonzero(z > 0)
        ranked = hot[np.lexsort((cells[hot], -n[hot], -z[hot]))]
        return EV._select_cells(cells, ranked, int(full["resolution"]), sa, budget)
    return _select_kde(
        train, sa, cov, bandwidth=full["bandwidth"], cell=full["cell"], progress=progress
    )


def evaluate(
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
) -> pd.DataFrame:
    """:func:`hotspots.evaluate.evaluate` of a partitioned dataset (the same rows).

    Parameters as the single-machine function (``methods`` among ``"h3"``, ``"kde"``,
    ``"gistar"``); ``source`` is the dataset and its filters; ``progress`` shows Dask's
    progress bar.
    """
    cov = EV._check_coverage(coverage)
    params = dict(params or {})
    for m in [*params, *methods]:
        if m == "dbscan":
            refuse_dbscan("evaluate --methods dbscan")
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
    n_train = map_reduce(train, len, add, progress=progress)
    n_test = map_reduce(test, len, add, progress=progress)
    if area is not None and (n_train == 0 or n_test == 0):
        raise InputError("no training or test incidents inside the boundary")
    rows = []
    for method in methods:
        full = {**EV.DEFAULT_PARAMS[method], **dict(params.get(method, {}))}
        unknown = set(full) - set(EV.DEFAULT_PARAMS[method])
        if unknown:
            raise ParameterError(
                f"params: {method} takes {', '.join(EV.DEFAULT_PARAMS[method])}, "
                f"not {sorted(unknown)}"
            )
        sel = _select(method, full, train, sa, cov, progress)
        hits_train = map_reduce(
            train, partial(_hits, contains=sel.contains), add, progress=progress
        )
        hits_test = map_reduce(test, partial(_hits, contains=sel.contains), add, progress=progress)
        share = sel.area_m2 / sa.area_m2
        h_train, h_test = hits_train / n_train, hits_test / n_test
        p_test = EV.pai(h_test, share)
        rows.append(
            {
                "method": method,
                "params": full,
                "hit_rate": h_test,
                "pai": p_test,
                "rri": EV.rri(p_test, EV.pai(h_train, share)),
                "area_share": share,
                "n_train": int(n_train),
                "n_test": int(n_test),
                "hits_train": int(hits_train),
                "hits_test": int(hits_test),
                "n_areas": sel.n_areas,
                "area_km2": sel.area_m2 / 1e6,
            }
        )
    return pd.DataFrame(rows, columns=list(EV.RESULT_COLUMNS))


__all__ = ["METHODS", "evaluate"]
