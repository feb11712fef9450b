"""Emerging hot spots: Gi* on a space-time cube, Mann-Kendall trends and ArcGIS's categories.

Method
------
1. **Space-time cube.** Incidents are counted per H3 cell (the study area's cells, zero-count
   cells included, see :func:`hotspots.gistar.study_area_cells`) and per period (``"year"``,
   ``"quarter"`` or ``"month"`` from the incidents' ``year``/``month`` columns). Every period
   between the first and the last incident is a time step, empty ones included.
2. **Space-time Gi\\*.** One Gi* over all bins (cell x period) of the cube, with the cube's
   global mean and variance (as ArcGIS). The neighbours of bin (cell *c*, period *t*) are the
   cells of the k-ring of *c* (*c* included) in period *t* and in the ``time_window`` previous
   periods *t-1 .. t-time_window* (ArcGIS's "neighborhood time step": the current and the
   preceding steps, never later ones; the first steps simply have fewer neighbours). Binary
   weights ``kron(T, W_space)``. p-values are two-sided and Benjamini-Hochberg adjusted over all
   bins (ArcGIS's Emerging Hot Spot Analysis always applies the FDR correction; ``fdr=False``
   turns it off). A bin is a **significant hot (cold) spot** when its (adjusted) p <= ``alpha``
   (default 0.05, i.e. 95 % confidence) and z > 0 (z < 0).
3. **Trend.** The Mann-Kendall test per cell (S, variance with the ties correction, z with the
   continuity correction, two-sided p) on the series of the cell's Gi* z-scores (ArcGIS: "the
   hot and cold spot trends are evaluated with the Mann-Kendall trend test"); the test on the
   raw counts (the cube's count trend) is reported too, and ``trend_on="count"`` makes the
   categories use it instead. A trend is **significant** when its p <= ``alpha``.
4. **Categories** (:func:`categorize`, a pure function of the per-period z/p series and the
   trend), for a location with *n* time steps, *H* of them significant hot spots and *C* cold:

   ======================== =================================================================
   Category                 Rule (first match, checked in this order)
   ======================== =================================================================
   Intensifying Hot Spot    final step hot, H >= 90 % of n, trend up and significant
   Diminishing Hot Spot     final step hot, H >= 90 % of n, trend down and significant
   Persistent Hot Spot      final step hot, H >= 90 % of n, trend not significant
   Oscillating Hot Spot     final step hot, H < 90 % of n, at least one earlier cold step
   New Hot Spot             final step hot, no other hot step (H = 1), no cold step
   Consecutive Hot Spot     final step hot, the H >= 2 hot steps form one uninterrupted run
                            ending at the final step, H < 90 % of n, no cold step
   Sporadic Hot Spot        final step hot, H < 90 % of n, hot steps interrupted (on and off),
                            no cold step
   Historical Hot Spot      final step not hot, H >= 90 % of n
   (cold mirrors)           the same with hot <-> cold and "up" <-> "down" (an intensifying
                            cold spot's z-scores fall significantly)
   No Pattern Detected      none of the above
   ======================== =================================================================

   "90 %" is ``10 * H >= 9 * n`` (with fewer than 10 steps it means every step). Choices
   where ArcGIS's wording overlaps: a location whose final hot step follows an earlier cold
   one is *oscillating* even if it is its first hot step (not *new*); a location hot in
   >= 90 % of the steps whose final step is not hot is *historical* (never *persistent*);
   the final-step categories of one kind win over the *historical* category of the other
   (cold at the end after 90 % hot steps is an *oscillating cold spot*).
   ArcGIS recommends at least 10 time steps; with 3 yearly steps a trend can never be
   significant (the smallest two-sided MK p-value for n = 3 is 0.30).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy import stats

from hotspots.errors import InputError, ParameterError
from hotspots.gistar import bh_adjust, gistar_z, study_area_cells

Period = Literal["year", "quarter", "month"]
PERIODS: tuple[str, ...] = ("year", "quarter", "month")

NO_PATTERN = "No Pattern Detected"
_KINDS = (
    "New",
    "Consecutive",
    "Intensifying",
    "Persistent",
    "Diminishing",
    "Sporadic",
    "Oscillating",
    "Historical",
)
#: Every category label, hot ones first, then cold ones, then "No Pattern Detected".
CATEGORIES: tuple[str, ...] = (
    *(f"{k} Hot Spot" for k in _KINDS),
    *(f"{k} Cold Spot" for k in _KINDS),
    NO_PATTERN,
)


# Mann-Kendall ----------------------------------------------------------------------------
def mann_kendall(series: np.ndarray) -> pd.DataFrame:
    """Mann-Kendall trend test on each row of ``series`` (vectorised over rows).

    Parameters
    ----------
    series : array, shape (n_steps,) or (n_series, n_steps)
        Values in time order (one series per row).

    Returns
    -------
    pandas.DataFrame
        One row per series: ``s`` (sum over i < j of sign(x_j - x_i)), ``var_s``
        (``(n(n-1)(2n+5) - sum_t t(t-1)(2t+5)) / 18``, *t* the sizes of groups of tied values),
        ``z`` (``(s - 1)/sqrt(var_s)`` if s > 0, ``(s + 1)/sqrt(var_s)`` if s < 0, else 0),
        ``p`` (two-sided normal) and ``tau`` (``s / (n(n-1)/2)``).

    Examples
    --------
    >>> mann_kendall([1, 2, 3, 4, 5]).round(4).iloc[0].tolist()
    [10.0, 16.6667, 2.2045, 0.0275, 1.0]
    """
    x = np.asarray(series, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ParameterError("series: pass a 1-D series or a 2-D array (one series per row)")
    if not np.all(np.isfinite(x)):
        raise ParameterError("series: values must be finite")
    m, n = x.shape
    s = np.zeros(m)
    for i in range(n - 1):  # loop over time steps (tens), vectorised over series
        s += np.sign(x[:, i + 1 :] - x[:, i : i + 1]).sum(axis=1)
    # sizes of groups of tied values per row, from the sorted rows
    srt = np.sort(x, axis=1)
    starts = np.ones((m, n), dtype=bool)
    starts[:, 1:] = srt[:, 1:] != srt[:, :-1]
    gid = np.cumsum(starts, axis=1) - 1 + (np.arange(m) * n)[:, None]
    t = np.bincount(gid.ravel(), minlength=m * n).reshape(m, n).astype(float)
    ties = (t * (t - 1) * (2 * t + 5)).sum(axis=1)
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    z = np.zeros(m)
    sd = np.sqrt(np.clip(var_s, 0, None))
    ok = sd > 0
    z[ok] = (s[ok] - np.sign(s[ok])) / sd[ok]
    p = 2.0 * stats.norm.sf(np.abs(z))
    pairs = n * (n - 1) / 2
    tau = s / pairs if pairs else np.zeros(m)
    return pd.DataFrame({"s": s, "var_s": var_s, "z": z, "p": p, "tau": tau})


# Categories ------------------------------------------------------------------------------
def categorize(
    z: np.ndarray,
    p: np.ndarray,
    trend_z: float | np.ndarray,
    trend_p: float | np.ndarray,
    *,
    alpha: float = 0.05,
) -> np.ndarray | str:
    """ArcGIS emerging-hot-spot category of each location (rules in the module docstring).

    Parameters
    ----------
    z, p : array, shape (n_steps,) or (n_locations, n_steps)
        Per-period Gi* z-scores and (FDR-adjusted) two-sided p-values, in time order.
    trend_z, trend_p : float or array (n_locations,)
        Mann-Kendall z and two-sided p of each location's trend.
    alpha : float
        Significance level of both the bins and the trend (0 < alpha < 1).

    Returns
    -------
    str or ndarray of str
        A label from :data:`CATEGORIES` (a str for 1-D input).

    Examples
    --------
    >>> categorize([0.5, 0.2, 3.1], [0.6, 0.8, 0.001], trend_z=1.0, trend_p=0.3)
    'New Hot Spot'
    """
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha: significance level must be in (0, 1), got {alpha}")
    z = np.asarray(z, dtype=float)
    single = z.ndim == 1
    z = np.atleast_2d(z)
    p = np.atleast_2d(np.asarray(p, dtype=float))
    if z.shape != p.shape or z.shape[1] == 0:
        raise ParameterError("z, p: need equally shaped, non-empty series (locations x steps)")
    tz = np.broadcast_to(np.asarray(trend_z, dtype=float), z.shape[:1])
    tp = np.broadcast_to(np.asarray(trend_p, dtype=float), z.shape[:1])
    sig = np.nan_to_num(p, nan=1.0) <= alpha
    up = (tz > 0) & (tp <= alpha)
    down = (tz < 0) & (tp <= alpha)
    hot, cold = sig & (z > 0), sig & (z < 0)
    conds: list[np.ndarray] = []
    names: list[str] = []
    # rules on the final step first (a location is hot or cold there, never both) ...
    for word, state, other, stronger, weaker in (
        ("Hot", hot, cold, up, down),
        ("Cold", cold, hot, down, up),
    ):
        c, lab = _final_step_rules(word, state, other, stronger, weaker)
        conds += c
        names += lab
    # ... then the historical ones, so the current state wins (e.g. oscillating cold over
    # historical hot)
    n = z.shape[1]
    for word, state in (("Hot", hot), ("Cold", cold)):
        conds.append(~state[:, -1] & (10 * state.sum(axis=1) >= 9 * n))
        names.append(f"Historical {word} Spot")
    labels = np.select(conds, names, default=NO_PATTERN).astype(object)
    return str(labels[0]) if single else labels


def _final_step_rules(
    word: str,
    state: np.ndarray,
    other: np.ndarray,
    stronger: np.ndarray,
    weaker: np.ndarray,
) -> tuple[list[np.ndarray], list[str]]:
    """Conditions (in order) of the categories of locations hot (or cold) at the final step."""
    n = state.shape[1]
    count = state.sum(axis=1)
    final = state[:, -1]
    mostly = 10 * count >= 9 * n
    run = np.cumprod(state[:, ::-1], axis=1).sum(axis=1)  # final uninterrupted run length
    other_before = other.any(axis=1)
    rules = [
        (final & mostly & stronger, f"Intensifying {word} Spot"),
        (final & mostly & weaker, f"Diminishing {word} Spot"),
        (final & mostly, f"Persistent {word} Spot"),
        (final & other_before, f"Oscillating {word} Spot"),
        (final & (count == 1), f"New {word} Spot"),
        (final & (run == count), f"Consecutive {word} Spot"),
        (final, f"Sporadic {word} Spot"),
    ]
    return [c for c, _ in rules], [lab for _, lab in rules]


# Space-time cube -------------------------------------------------------------------------
@dataclass(frozen=True)
class Cube:
    """Counts per cell and period.

    Attributes
    ----------
    cells : ndarray of uint64
        H3 cell ids (sorted integers, ``hotspots.grid.to_str`` for strings), length m.
    periods : list of str
        Period labels in time order ("2019", "2019Q1", "2019-01"), length T.
    counts : ndarray, shape (T, m)
        Incidents per period and cell (int64).
    """

    cells: np.ndarray
    periods: list[str]
    counts: np.ndarray


def period_index(incidents: pd.DataFrame, period: Period) -> np.ndarray:
    """Integer period of each incident (consecutive integers for consecutive periods)."""
    if period not in PERIODS:
        raise ParameterError(f"period: use one of {', '.join(PERIODS)}, got {period!r}")
    year = incidents["year"].to_numpy(dtype="float64", na_value=np.nan)
    month = incidents["month"].to_numpy(dtype="float64", na_value=np.nan)
    if period == "year":
        return year
    if period == "quarter":
        return year * 4 + (month - 1) // 3
    return year * 12 + (month - 1)


def period_label(index: int, period: Period) -> str:
    """Label of an integer period from :func:`period_index`."""
    if period == "year":
        return str(index)
    if period == "quarter":
        return f"{index // 4}Q{index % 4 + 1}"
    return f"{index // 12}-{index % 12 + 1:02d}"


def space_time_cube(
    incidents: gpd.GeoDataFrame,
    resolution: int = 9,
    *,
    period: Period = "quarter",
    area: shapely.Geometry | gpd.GeoDataFrame | None = None,
) -> Cube:
    """Count incidents per H3 cell of the study area and per period (empty bins included).

    Incidents without a known year/month are left out. See :class:`Cube`.
    """
    from hotspots import grid

    resolution = grid.check_resolution(resolution)
    cells, inside = study_area_cells(incidents, resolution, area)
    per = period_index(inside, period)
    keep = ~np.isnan(per)
    inside, per = inside.loc[keep], per[keep].astype(np.int64)
    if len(inside) == 0:
        raise InputError("no incidents with a known date in the study area: nothing to analyse")
    own = np.asarray(grid.cell_ids(inside["lat"].to_numpy(), inside["lon"].to_numpy(), resolution))
    col = np.searchsorted(cells, own)
    first, last = int(per.min()), int(per.max())
    n_t = last - first + 1
    flat = (per - first) * cells.size + col
    counts = np.bincount(flat, minlength=n_t * cells.size).reshape(n_t, cells.size)
    labels = [period_label(first + t, period) for t in range(n_t)]
    return Cube(cells=cells, periods=labels, counts=counts.astype(np.int64))


def spacetime_weights(space: sp.spmatrix, n_periods: int, time_window: int) -> sp.csr_matrix:
    """Binary space-time weights over bins ordered period-major (bin = t * m + cell).

    Bin (c, t) neighbours bin (c', t') when c' is a spatial neighbour of c (``space`` != 0,
    self included) and ``t - time_window <= t' <= t``.
    """
    if int(time_window) < 0:
        raise ParameterError(
            f"time_window: number of previous periods must be >= 0, got {time_window}"
        )
    offsets = [-d for d in range(0, int(time_window) + 1) if d < n_periods]
    band = sp.diags(
        [np.ones(n_periods - d) for d in (-o for o in offsets)],
        offsets,
        shape=(n_periods, n_periods),
    )
    s = sp.csr_matrix(space, dtype=float)
    s.data[:] = 1.0
    return sp.kron(band, s, format="csr")


def spacetime_gistar(
    counts: np.ndarray, space: sp.spmatrix, *, time_window: int = 1, fdr: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided (BH-adjusted when ``fdr``) p-values of every cube bin.

    Parameters
    ----------
    counts : array (T, m)
        Cube counts (periods x cells).
    space : sparse (m, m)
        Spatial weights with the diagonal (e.g. ``ring_weights(cells, k)``).
    time_window : int
        Previous periods in each bin's neighbourhood (0 = the same period only).
    fdr : bool
        Adjust the p-values over all bins with Benjamini-Hochberg.

    Returns
    -------
    z, p : ndarray (T, m)
    """
    counts = np.asarray(counts, dtype=float)
    n_t, m = counts.shape
    w = spacetime_weights(space, n_t, time_window)
    z = gistar_z(counts.ravel(), w)
    p = 2.0 * stats.norm.sf(np.abs(z))
    if fdr:
        p = bh_adjust(p)
    return z.reshape(n_t, m), p.reshape(n_t, m)


def check_k_trend(k: int, trend_on: str) -> None:
    """Raise ParameterError for a ring size below 1 or an unknown trend series."""
    if int(k) != k or int(k) < 1:
        raise ParameterError(f"k: neighbourhood ring size must be a whole number >= 1, got {k}")
    if trend_on not in ("z", "count"):
        raise ParameterError(f"trend_on: use 'z' or 'count', got {trend_on!r}")


def emerging_hotspots(
    incidents: gpd.GeoDataFrame,
    resolution: int = 9,
    k: int = 1,
    *,
    period: Period = "quarter",
    time_window: int = 1,
    area: shapely.Geometry | gpd.GeoDataFrame | None = None,
    alpha: float = 0.05,
    fdr: bool = True,
    trend_on: Literal["z", "count"] = "z",
) -> gpd.GeoDataFrame:
    """Emerging hot-spot category of every H3 cell of the study area.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Canonical incidents (``lat``, ``lon``, ``year``, ``month``, ``geometry``).
    resolution : int
        H3 resolution 7-11 (9: ~0.1 km² cells).
    k : int
        Spatial neighbourhood: k-ring in cells (>= 1).
    period : {"year", "quarter", "month"}
        Length of a time step.
    time_window : int
        Previous periods in a bin's neighbourhood (ArcGIS's neighborhood time step), >= 0.
    area : polygon or GeoDataFrame, optional
        Study area (EPSG:4326); default the incidents' convex hull.
    alpha : float
        Significance level of hot/cold bins and trends (default 0.05).
    fdr : bool
        Benjamini-Hochberg correction over the cube's bins (default True, as ArcGIS).
    trend_on : {"z", "count"}
        Series whose Mann-Kendall trend drives intensifying/diminishing (ArcGIS: "z").

    Returns
    -------
    geopandas.GeoDataFrame
        Per cell: ``cell``, ``count`` (all periods), ``n_periods``, ``n_hot``, ``n_cold``,
        ``final_z``, ``final_p`` (Gi* of the last period; ``final_p`` is FDR-adjusted when
        ``fdr``, as every p the categories use), ``trend_z``, ``trend_p`` (MK on the Gi*
        z-scores),
        ``count_trend_z``, ``count_trend_p`` (MK on the counts), ``category``, ``geometry``.
    """
    check_k_trend(k, trend_on)  # before the cube is counted
    cube = space_time_cube(incidents, resolution, period=period, area=area)
    return emerging_from_cube(
        cube, k, time_window=time_window, alpha=alpha, fdr=fdr, trend_on=trend_on
    )


def emerging_from_cube(
    cube: Cube,
    k: int = 1,
    *,
    time_window: int = 1,
    alpha: float = 0.05,
    fdr: bool = True,
    trend_on: Literal["z", "count"] = "z",
) -> gpd.GeoDataFrame:
    """The categories of :func:`emerging_hotspots` from a counted cube (its statistics part:
    space-time Gi*, Mann-Kendall trends, categories), for a cube counted elsewhere (the Dask
    engine adds partitions' cubes)."""
    from hotspots import grid

    check_k_trend(k, trend_on)
    if cube.cells.size < 2:
        raise ParameterError(
            "resolution: the study area holds fewer than 2 H3 cells (too few incidents or too "
            "coarse a resolution); give a --boundary or a finer resolution"
        )
    space = grid.ring_weights(cube.cells, int(k), include_self=True)
    z, p = spacetime_gistar(cube.counts, space, time_window=time_window, fdr=fdr)
    mk_z = mann_kendall(z.T)
    mk_c = mann_kendall(cube.counts.T)
    trend = mk_z if trend_on == "z" else mk_c
    cats = categorize(z.T, p.T, trend["z"].to_numpy(), trend["p"].to_numpy(), alpha=alpha)
    sig = p <= alpha
    frame = pd.DataFrame(
        {
            "cell": grid.to_str(cube.cells),
            "count": cube.counts.sum(axis=0),
            "n_periods": len(cube.periods),
            "n_hot": (sig & (z > 0)).sum(axis=0),
            "n_cold": (sig & (z < 0)).sum(axis=0),
            "final_z": z[-1],
            "final_p": p[-1],
            "trend_z": mk_z["z"].to_numpy(),
            "trend_p": mk_z["p"].to_numpy(),
            "count_trend_z": mk_c["z"].to_numpy(),
            "count_trend_p": mk_c["p"].to_numpy(),
            "category": np.asarray(cats, dtype=object),
        }
    )
    gdf = grid.cells_to_gdf(frame)
    gdf.attrs["periods"] = list(cube.periods)
    return gdf
