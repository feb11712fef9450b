"""Getis-Ord Gi* hot spots: z-scores, p-values, FDR correction and ArcGIS confidence bins.

The statistic (local, "star": a cell counts itself) for cell *i* with weights :math:`w_{ij}`
over *n* cells, mean :math:`\\bar x` and :math:`S = \\sqrt{\\sum_j x_j^2 / n - \\bar x^2}`::

    G*_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n sum_j w_ij^2 - W_i^2) / (n - 1)))

with :math:`W_i = \\sum_j w_ij`. It is already a z-score. With binary weights it equals
``esda.G_Local(y, w, star=True, transform="B").Zs`` (the test suite checks it to 1e-9).

p-values
    ``p`` is **two-sided** (``2 * norm.sf(|z|)``), as ArcGIS reports it. Note that esda's
    ``p_norm`` is one-sided (``norm.sf(|z|)``): ``p == 2 * p_norm``.
FDR
    ``p_fdr`` is the Benjamini-Hochberg adjusted p-value over all cells.
    ``p_fdr <= alpha`` is exactly ArcGIS's "FDR correction" test at confidence ``1 - alpha``
    (the step-up cut-off applied level by level).
Bins
    ``bin`` is ArcGIS's ``Gi_Bin``: ``+3``/``-3`` hot/cold at 99 % confidence (p <= 0.01),
    ``+-2`` at 95 % (p <= 0.05), ``+-1`` at 90 % (p <= 0.10), ``0`` not significant. With
    ``fdr=False`` (the default, as ArcGIS's Hot Spot Analysis tool, whose "Apply False Discovery
    Rate (FDR) Correction" box is unchecked by default) the bins use ``p``; with ``fdr=True``
    (what ArcGIS's Optimized and Emerging Hot Spot tools always do) they use ``p_fdr``.
Permutations
    ``permutations > 0`` adds ``p_sim``, a two-sided pseudo p-value from conditional
    randomisation (the cell's own value held fixed, its neighbours' values drawn without
    replacement from the other cells, as esda's ``p_sim``; esda's is one-sided, ours is
    ``min(1, 2 * one_sided)``), and then ``p_fdr`` and ``bin`` are computed from ``p_sim``.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy import stats

from hotspots.errors import ParameterError

#: ArcGIS confidence levels of the bins: (bin magnitude, largest p-value).
BIN_LEVELS: tuple[tuple[int, float], ...] = ((3, 0.01), (2, 0.05), (1, 0.10))

# elements of the (cells x permutations x neighbours) block drawn at once
_PERM_BLOCK = 4_000_000


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN stays NaN and is not counted in n).

    Parameters
    ----------
    p : array of float
        p-values in [0, 1].

    Returns
    -------
    ndarray
        ``p_fdr`` in the input order: ``min_{j >= i} p_(j) * m / j`` over the sorted p-values,
        clipped to 1. ``p_fdr <= alpha`` rejects exactly the hypotheses the BH step-up
        procedure rejects at false-discovery rate ``alpha``.

    Examples
    --------
    >>> bh_adjust(np.array([0.01, 0.04, 0.03, 0.5])).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.5]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    scaled = pv[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(scaled[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def confidence_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS ``Gi_Bin`` from z-scores and (two-sided, possibly FDR-adjusted) p-values.

    Returns an int8 array: ``sign(z) * 3`` when ``p <= 0.01``, ``* 2`` when ``p <= 0.05``,
    ``* 1`` when ``p <= 0.10``, else 0 (also for NaN).

    Examples
    --------
    >>> confidence_bins(np.array([3.0, -2.0, 1.7, 0.5]), np.array([0.003, 0.04, 0.09, 0.6]))
    array([ 3, -2,  1,  0], dtype=int8)
    """
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    level = np.zeros(z.shape, dtype=np.int8)
    # walk from the loosest level to the strictest so the strictest wins
    for mag, cut in reversed(BIN_LEVELS):
        level[np.nan_to_num(p, nan=1.0) <= cut] = mag
    return (np.sign(np.nan_to_num(z)).astype(np.int8) * level).astype(np.int8)


def _check_inputs(counts: np.ndarray, weights: sp.spmatrix | sp.sparray) -> tuple:
    x = np.asarray(counts, dtype=float).ravel()
    if x.size < 2:
        raise ParameterError(f"counts: Gi* needs at least 2 cells, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ParameterError("counts: values must be finite numbers (incidents per cell)")
    if not sp.issparse(weights):
        raise ParameterError("weights: pass a scipy.sparse matrix (n cells x n cells)")
    w = sp.csr_matrix(weights, dtype=float)
    if w.shape != (x.size, x.size):
        raise ParameterError(
            f"weights: shape {w.shape} does not match {x.size} counts; "
            "build them for the same cells in the same order"
        )
    if w.nnz and w.data.min() < 0:
        raise ParameterError("weights: must be >= 0 (1 for a neighbour, 0 otherwise)")
    return x, w


def gistar_z(counts: np.ndarray, weights: sp.spmatrix | sp.sparray) -> np.ndarray:
    """Gi* z-scores only (vectorised: two sparse products over the weights).

    Cells whose statistic is undefined (all counts equal, or a cell neighbouring every cell)
    get ``z = 0``: no clustering can be shown there.
    """
    x, w = _check_inputs(counts, weights)
    n = x.size
    xbar = x.mean()
    s = np.sqrt(np.mean((x - xbar) ** 2))
    lag = w @ x
    wi = np.asarray(w.sum(axis=1)).ravel()
    w2 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    var_part = (n * w2 - wi**2) / (n - 1)
    num = lag - xbar * wi
    den = s * np.sqrt(np.clip(var_part, 0.0, None))
    z = np.zeros(n)
    ok = den > 0
    z[ok] = num[ok] / den[ok]
    return z


def gistar(
    counts: np.ndarray | Sequence[float],
    weights: sp.spmatrix | sp.sparray,
    *,
    permutations: int = 0,
    seed: int | None = None,
    fdr: bool = False,
) -> pd.DataFrame:
    """Getis-Ord Gi* for every cell: z, two-sided p, BH-adjusted p and the ArcGIS bin.

    Parameters
    ----------
    counts : array of float, shape (n,)
        Incidents per cell (zero-count cells of the study area included), aligned with the
        rows of ``weights``.
    weights : scipy.sparse matrix, shape (n, n)
        Spatial weights including the diagonal (a cell is its own neighbour), e.g.
        ``hotspots.grid.ring_weights(cells, k)``. Binary weights give ArcGIS's and esda's
        ``transform="B"`` results.
    permutations : int
        Number of conditional permutations for a pseudo p-value ``p_sim`` (0 = none;
        99, 999 typical). Costs about ``n * permutations * neighbours`` draws.
    seed : int, optional
        Seed of the permutation draws (same seed, same ``p_sim``).
    fdr : bool
        Bins from the Benjamini-Hochberg adjusted p-values (ArcGIS's "Apply FDR correction")
        instead of the raw ones. Default False, as ArcGIS's Hot Spot Analysis tool.

    Returns
    -------
    pandas.DataFrame
        One row per cell in input order: ``z``, ``p`` (two-sided normal), ``p_sim`` (only with
        permutations), ``p_fdr`` (BH-adjusted ``p_sim`` if permutations else ``p``) and ``bin``
        (int8, -3..3).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> w = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]]))
    >>> gistar([5, 4, 0, 0], w)["z"].round(4).tolist()
    [1.7111, 0.9879, -1.2074, -1.7111]
    """
    if int(permutations) < 0:
        raise ParameterError(f"permutations: must be >= 0, got {permutations}")
    x, w = _check_inputs(counts, weights)
    z = gistar_z(x, w)
    p = 2.0 * stats.norm.sf(np.abs(z))
    out = pd.DataFrame({"z": z, "p": p})
    p_inf = p
    if permutations:
        p_inf = _permutation_p(x, w, int(permutations), seed)
        out["p_sim"] = p_inf
    out["p_fdr"] = bh_adjust(p_inf)
    out["bin"] = confidence_bins(z, out["p_fdr"].to_numpy() if fdr else p_inf)
    return out


def _sample_without_replacement(
    rng: np.random.Generator, n_pool: int, n_rows: int, m: int
) -> np.ndarray:
    """``n_rows`` independent draws of ``m`` distinct integers from ``range(n_pool)``."""
    if m == 0:
        return np.zeros((n_rows, 0), dtype=np.int64)
    if m * m > n_pool // 4:
        # small pool: argsort of random keys (exact, O(rows * pool))
        keys = rng.random((n_rows, n_pool))
        return np.argpartition(keys, m - 1, axis=1)[:, :m] if m < n_pool else keys.argsort(1)
    # large pool: draw with replacement and redraw the few rows holding a duplicate
    out = rng.integers(0, n_pool, size=(n_rows, m))
    while True:
        srt = np.sort(out, axis=1)
        bad = np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))
        if bad.size == 0:
            return out
        out[bad] = rng.integers(0, n_pool, size=(bad.size, m))


def _permutation_p(
    x: np.ndarray, w: sp.csr_matrix, permutations: int, seed: int | None
) -> np.ndarray:
    """Two-sided conditional-randomisation pseudo p-values of the spatial lag.

    For each cell the own value keeps its weight; the off-diagonal weights are applied to values
    drawn without replacement from the other n - 1 cells. Draws are shared by the cells of a
    chunk (as esda does) and fresh for every chunk. Since sum(x) is fixed, comparing lags is
    comparing G* values.
    """
    n = x.size
    rng = np.random.default_rng(seed)
    diag = w.diagonal()
    off = (w - sp.diags(diag)).tocsr()
    off.eliminate_zeros()
    card = np.diff(off.indptr)
    kmax = int(card.max()) if n else 0
    # off-diagonal weights of each cell left-aligned in a (n, kmax) array, zero-padded
    wpad = np.zeros((n, kmax))
    if kmax:
        rows = np.repeat(np.arange(n), card)
        cols = np.arange(off.nnz) - np.repeat(off.indptr[:-1], card)
        wpad[rows, cols] = off.data
    observed = w @ x
    larger = np.zeros(n)
    chunk = max(1, _PERM_BLOCK // max(1, permutations * max(kmax, 1)))
    for start in range(0, n, chunk):
        idx = np.arange(start, min(n, start + chunk))
        draws = _sample_without_replacement(rng, n - 1, permutations, kmax)  # (P, kmax)
        # skip the cell itself: index r of the other n - 1 cells is cell r + (r >= i)
        ids = draws[None, :, :] + (draws[None, :, :] >= idx[:, None, None])
        sims = np.einsum("cpk,ck->cp", x[ids], wpad[idx]) + (diag[idx] * x[idx])[:, None]
        larger[idx] = (sims >= observed[idx, None] - 1e-12).sum(axis=1)
    # fold as esda does (the tail the observation lies in), then make it two-sided
    folded = np.minimum(larger, permutations - larger)
    return np.minimum(1.0, 2.0 * (folded + 1.0) / (permutations + 1.0))


def study_area_cells(
    incidents: gpd.GeoDataFrame,
    resolution: int,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """H3 cells of the study area and the incidents inside it.

    The study area is ``area`` (EPSG:4326 polygon(s)) when given, else the convex hull of the
    incidents. Cells are those whose centre lies in it (``hotspots.grid.cells_in_area``) plus
    every cell holding an incident inside it, so no incident is lost at the edge.
    """
    from hotspots import grid
    from hotspots.filters import within_area

    geom = _area_geometry(incidents, area)
    if area is not None and len(incidents):
        incidents = incidents.loc[within_area(incidents, geom)]
    own = np.asarray(
        grid.cell_ids(incidents["lat"].to_numpy(), incidents["lon"].to_numpy(), resolution)
    )
    inside = np.asarray(grid.cells_in_area(geom, resolution)) if geom is not None else own[:0]
    cells = pd.unique(np.concatenate([inside.astype(own.dtype, copy=False), own]))
    return np.sort(cells), incidents


def _area_geometry(
    incidents: gpd.GeoDataFrame, area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None
) -> shapely.Geometry | None:
    if area is None:
        if len(incidents) == 0:
            return None
        from hotspots.clusters import latlon_of

        lat, lon = latlon_of(incidents)
        hull = shapely.convex_hull(shapely.multipoints(np.column_stack([lon, lat])))
        return hull if hull.area > 0 else None
    if isinstance(area, gpd.GeoSeries | gpd.GeoDataFrame):
        return shapely.union_all(area.to_crs("EPSG:4326").geometry.values)
    return area


def gistar_cells(
    incidents: gpd.GeoDataFrame,
    resolution: int = 9,
    k: int = 1,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    *,
    permutations: int = 0,
    seed: int | None = None,
    fdr: bool = False,
    significant_only: bool = False,
) -> gpd.GeoDataFrame:
    """Gi* hot spots on H3 cell counts of the study area.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Canonical incidents (needs ``lat``, ``lon``, ``geometry``).
    resolution : int
        H3 resolution, 7-11 (9: cells of about 0.1 km², edge ~200 m).
    k : int
        Neighbourhood: the k-ring around a cell (k = 1: the cell and its 6 neighbours).
    area : polygon or GeoDataFrame, optional
        Study area in EPSG:4326. Zero-count cells inside it are included (without them the
        statistic is biased towards hot spots); default: the incidents' convex hull.
    permutations, seed, fdr
        See :func:`gistar`.
    significant_only : bool
        Return only the cells with ``bin != 0`` (the statistic still uses every cell of the
        study area); their hexagons alone are built, which a map needs.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell`` (H3 string id), ``count``, ``z``, ``p``, (``p_sim``), ``p_fdr``, ``bin``,
        ``geometry`` (cell hexagons, EPSG:4326), in the order of the integer cell ids.
    """
    from hotspots import grid

    resolution = grid.check_resolution(resolution)
    if int(k) != k or int(k) < 1:
        raise ParameterError(f"k: neighbourhood ring size must be a whole number >= 1, got {k}")
    cells, inside = study_area_cells(incidents, resolution, area)
    if cells.size < 2:
        raise ParameterError(
            "resolution: the study area holds fewer than 2 H3 cells (too few incidents or too "
            "coarse a resolution); give a --boundary or a finer resolution"
        )
    own = np.asarray(grid.cell_ids(inside["lat"].to_numpy(), inside["lon"].to_numpy(), resolution))
    pos = np.searchsorted(cells, own)
    counts = np.bincount(pos, minlength=cells.size).astype(float)
    return gistar_of_counts(
        cells,
        counts,
        k,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
        significant_only=significant_only,
    )


def gistar_of_counts(
    cells: np.ndarray,
    counts: np.ndarray,
    k: int,
    *,
    permutations: int = 0,
    seed: int | None = None,
    fdr: bool = False,
    significant_only: bool = False,
) -> gpd.GeoDataFrame:
    """:func:`gistar_cells`' table from the study area's ``cells`` (sorted uint64 H3 ids)
    and their ``counts`` (zeros included), e.g. counts added over partitions."""
    from hotspots import grid

    w = grid.ring_weights(cells, int(k), include_self=True)
    res = gistar(counts, w, permutations=permutations, seed=seed, fdr=fdr)
    frame = pd.DataFrame({"cell": grid.to_str(cells), "count": counts.astype(np.int64)})
    frame = pd.concat([frame, res], axis=1)
    if significant_only:
        frame = frame.loc[frame["bin"].to_numpy() != 0].reset_index(drop=True)
    return grid.cells_to_gdf(frame)
