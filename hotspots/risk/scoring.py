"""Score the risk surface against later years, beside the past-hotspot methods.

Protocol: the one of :mod:`hotspots.evaluate` (Chainey, Tompson and Uhlig, 2008). The model is
fitted on the training years only (modelled calls and background calls of those years); its
study cells are ranked and taken in rank order while their total area stays within
``coverage`` of the study area (:func:`hotspots.evaluate.study_area`, measured as
:mod:`hotspots.evaluate` measures H3 cells). Two rankings:

``risk_terrain``
    RTM's composite relative risk of the venues (ties, frequent since it takes few values,
    broken by the model's expected calls, then by cell id);
``risk_model``
    the model's expected calls (venues and background together).

Scores on the test years' modelled calls: hit rate H, area share a, PAI = H / a, RRI = PAI on
the test years / PAI on the training years, and PEI (Hunt 2016) = hits / the most hits any set of
the study's H3 cells (at the model's resolution) of no more area could have caught in the test
years. The baselines are :func:`hotspots.evaluate.evaluate`'s methods on the same calls, split
and study area, with their PEI measured the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots import evaluate as ev
from hotspots import grid
from hotspots.errors import InputError, ParameterError
from hotspots.risk import factors as fx
from hotspots.risk.model import fit_risk, split_offenses
from hotspots.schema import LAT, LON
from hotspots.shapes import own_prepared

#: The risk surface's rankings, in report order.
RISK_METHODS: tuple[str, ...] = ("risk_terrain", "risk_model")
#: Past-hotspot baselines from hotspots.evaluate.
DEFAULT_BASELINES: tuple[str, ...] = ("h3", "kde", "gistar")

SCORE_COLUMNS: tuple[str, ...] = (
    "method",
    "hit_rate",
    "pai",
    "pei",
    "rri",
    "area_share",
    "n_train",
    "n_test",
    "hits_test",
    "n_areas",
    "area_km2",
)


def _inside(frame: pd.DataFrame, geom: shapely.Geometry) -> pd.DataFrame:
    geom = own_prepared(geom)  # the study area may be shared with other threads
    return frame.loc[shapely.contains_xy(geom, frame[LON].to_numpy(), frame[LAT].to_numpy())]


def best_hits(test_counts: np.ndarray, cell_areas: np.ndarray, area_m2: float) -> int:
    """The most test calls any set of cells of total area <= ``area_m2`` holds (greedy by
    count, the cells being of nearly equal area: Hunt's PEI denominator on a grid)."""
    order = np.lexsort((np.arange(test_counts.size), -test_counts))
    n = int(np.searchsorted(np.cumsum(cell_areas[order]), area_m2 * (1 + 1e-9), side="right"))
    return int(test_counts[order[:n]].sum())


def pei(hits: int, best: int) -> float:
    """Predictive Efficiency Index: hits / the most hits possible with that area (NaN if 0).

    Examples
    --------
    >>> pei(30, 40)
    0.75
    """
    return hits / best if best > 0 else float("nan")


def _rank(model: Any, ranking: str) -> np.ndarray:
    """Positions of the model's cells in the order ``ranking`` flags them."""
    cells = model.data.cells
    expected = model.predict()
    if ranking == "risk_model":
        return np.lexsort((cells.ids, -expected))
    if ranking == "risk_terrain":
        sel = model.selected
        x = model.design[sel].to_numpy(float) if sel else np.zeros((len(cells), 0))
        risk = np.exp(x @ model.coef[sel].to_numpy(float)) if sel else np.ones(len(cells))
        return np.lexsort((cells.ids, -expected, -risk))
    raise ParameterError(f"ranking: use {' or '.join(RISK_METHODS)}, got {ranking!r}")


def _chosen(model: Any, ranking: str, areas: np.ndarray, budget: float) -> np.ndarray:
    """Mask of the model's cells flagged by ``ranking`` within ``budget`` m²."""
    order = _rank(model, ranking)
    n = int(np.searchsorted(np.cumsum(areas[order]), budget * (1 + 1e-12), side="right"))
    chosen = np.zeros(order.size, dtype=bool)
    chosen[order[:n]] = True
    return chosen


def cell_areas(cells: fx.Cells, sa: ev.StudyArea) -> np.ndarray:
    """The cells' hexagon areas in m², measured as :mod:`hotspots.evaluate` measures H3 cells."""
    return shapely.area(sa.to_metric(grid.cell_polygons(cells.ids)))


def rank_risk(
    train: pd.DataFrame,
    sa: ev.StudyArea,
    *,
    venues: pd.DataFrame,
    offenses: Sequence[str] | None = None,
    ranking: str = "risk_model",
    **fit_kwargs: Any,
) -> ev.RankedAreas:
    """The risk surface as ranked areas for :func:`hotspots.evaluate.score_ranked`: the model
    fitted on ``train``, its study cells in the order ``ranking`` flags them.

    ``train`` holds the modelled calls, or every offense type with ``offenses`` naming the
    modelled ones (the rest are the background). Scored with ``score_ranked`` it is cut at
    the same area as every other method and gives the same figures as :func:`score_risk`.

    Parameters
    ----------
    ranking : {"risk_model", "risk_terrain"}
        Rank cells by the model's expected calls, or by the venues' composite relative risk.
    **fit_kwargs
        Passed to :func:`hotspots.risk.model.fit_risk` (``kinds``, ``distances``,
        ``resolution`` ...).
    """
    if ranking not in RISK_METHODS:
        raise ParameterError(f"ranking: use {' or '.join(RISK_METHODS)}, got {ranking!r}")
    target, background = split_offenses(train, offenses)
    model = fit_risk(target, venues, background=background, area=sa.geometry, **fit_kwargs)
    cells = model.data.cells
    return ev.ranked_cells(cells.ids, _rank(model, ranking), cells.resolution, sa)


def score_risk(
    incidents: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    train_years: Iterable[int],
    test_years: Iterable[int],
    offenses: Sequence[str] | None = None,
    coverage: float = 0.05,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    baselines: Sequence[str] = DEFAULT_BASELINES,
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """Fit the risk model on ``train_years`` and score its surface on ``test_years``.

    Parameters
    ----------
    incidents : DataFrame
        Calls of every offense type and year (``lat``, ``lon``, ``year``, ``offense``).
    venues : DataFrame
        Canonical venues.
    train_years, test_years : iterable of int
        Disjoint calendar years.
    offenses : sequence of str, optional
        The modelled offense types; the others are the background. Default: every call is
        modelled, without a background.
    coverage : float
        Share of the study area each method may flag, in (0, 1] (0.05 = 5 %).
    area : polygon or GeoDataFrame, optional
        Study area (EPSG:4326); default the convex hull of the modelled calls.
    baselines : sequence of str
        Methods of :mod:`hotspots.evaluate` scored beside it (``h3``, ``kde``, ``dbscan``,
        ``gistar``); empty for none.
    **fit_kwargs
        Passed to :func:`hotspots.risk.model.fit_risk` (``kinds``, ``distances``,
        ``resolution`` ...).

    Returns
    -------
    pandas.DataFrame
        One row per method (:data:`RISK_METHODS`, then the baselines): ``method``,
        ``hit_rate``, ``pai``, ``pei``, ``rri``, ``area_share``, ``n_train``, ``n_test``,
        ``hits_test``, ``n_areas`` (cells or clusters), ``area_km2``.
    """
    cov = ev._check_coverage(coverage)
    train_all, test_all = ev.split_years(incidents, train_years, test_years)
    target_train, bg_train = split_offenses(train_all, offenses)
    target_test, _ = split_offenses(test_all, offenses)
    if len(target_train) == 0 or len(target_test) == 0:
        raise InputError("no modelled calls in the training or the test years")
    sa = ev.study_area(pd.concat([target_train, target_test]), area)
    if area is not None:
        target_train, target_test = (
            _inside(target_train, sa.geometry),
            _inside(target_test, sa.geometry),
        )
        if len(target_train) == 0 or len(target_test) == 0:
            raise InputError("no modelled calls of the training or test years inside the area")
    model = fit_risk(target_train, venues, background=bg_train, area=sa.geometry, **fit_kwargs)
    cells = model.data.cells
    areas = cell_areas(cells, sa)
    y_train = fx.cell_counts(cells, target_train)
    y_test = fx.cell_counts(cells, target_test)
    rows = []
    for method in RISK_METHODS:
        chosen = _chosen(model, method, areas, cov * sa.area_m2)
        used = float(areas[chosen].sum())
        hits_test, hits_train = int(y_test[chosen].sum()), int(y_train[chosen].sum())
        share = used / sa.area_m2
        h_test, h_train = hits_test / len(target_test), hits_train / len(target_train)
        p_test = ev.pai(h_test, share)
        rows.append(
            {
                "method": method,
                "hit_rate": h_test,
                "pai": p_test,
                "pei": pei(hits_test, best_hits(y_test, areas, used)),
                "rri": ev.rri(p_test, ev.pai(h_train, share)),
                "area_share": share,
                "n_train": len(target_train),
                "n_test": len(target_test),
                "hits_test": hits_test,
                "n_areas": int(chosen.sum()),
                "area_km2": used / 1e6,
            }
        )
    if baselines:
        base = ev.evaluate(
            pd.concat([target_train, target_test]),
            train_years=train_years,
            test_years=test_years,
            coverage=cov,
            methods=list(baselines),
            area=sa.geometry,
        )
        for r in base.to_dict(orient="records"):
            best = best_hits(y_test, areas, r["area_km2"] * 1e6)
            rows.append(
                {
                    "method": r["method"],
                    "hit_rate": r["hit_rate"],
                    "pai": r["pai"],
                    "pei": pei(int(r["hits_test"]), best),
                    "rri": r["rri"],
                    "area_share": r["area_share"],
                    "n_train": r["n_train"],
                    "n_test": r["n_test"],
                    "hits_test": r["hits_test"],
                    "n_areas": r["n_areas"],
                    "area_km2": r["area_km2"],
                }
            )
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
