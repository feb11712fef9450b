"""Density-based clusters of incidents: DBSCAN with a radius in metres, HDBSCAN, and summaries.

DBSCAN here gives the same clusters as scikit-learn's haversine DBSCAN
(``DBSCAN(eps=eps / R, metric="haversine", algorithm="ball_tree")`` on radians, R = 6,371,008.8 m)
but runs several times faster and in bounded memory:

1. Points are projected on an azimuthal equidistant projection of the same sphere
   (:func:`hotspots.sphere.project`), where euclidean distances equal great-circle distances to a
   few parts per million over a city.
2. Exact duplicate coordinates (police data snaps many incidents to the same point) are collapsed
   into unique points carrying a weight, the number of incidents at that point.
3. Pairs of unique points within ``eps`` are enumerated with a k-d tree in vertical strips whose
   size is chosen from a grid estimate of the number of pairs, so memory stays bounded however
   dense the data; each strip adds to the weighted neighbour counts (core points have
   ``count >= min_samples``, the point itself included, as in scikit-learn) and its core-core
   pairs are merged into connected components at once.
4. Border points (not core, but within ``eps`` of a core point) join the cluster of their
   nearest core point. scikit-learn gives a border point reachable from two clusters to whichever
   cluster its scan reaches first, so the two can differ on such points only.

Cluster ids are numbered by decreasing number of incidents, ties broken by the cluster's
lexicographically smallest (x, y) point, so they do not depend on the row order of the input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from hotspots.errors import InputError, ParameterError
from hotspots.filters import format_hours
from hotspots.projection import to_lonlat
from hotspots.schema import CRS as WGS84
from hotspots.schema import LAT, LON, NAME, OFFENSE, YEAR
from hotspots.sphere import project

NOISE = -1

#: Pairs of unique points enumerated per strip (estimate); bounds memory to a few hundred MB.
PAIR_BUDGET = 6_000_000

SUMMARY_COLUMNS = (
    "cluster",
    "n_incidents",
    "centroid_lat",
    "centroid_lon",
    "area_m2",
    "density_per_km2",
    "top_offenses",
    "years",
    "venues",
    "n_venues",
    "nearest_venue_m",
    "venue_share",
    "geometry",
)


# --- inputs ---------------------------------------------------------------------------------
def latlon_of(
    incidents_or_latlon: pd.DataFrame | np.ndarray | Sequence,
) -> tuple[np.ndarray, np.ndarray]:
    """``lat``, ``lon`` arrays (degrees) of a frame with lat/lon columns or an (n, 2) array.

    A GeoDataFrame without ``lat``/``lon`` columns is read from its point geometries (converted
    to EPSG:4326). An array is read as rows of (lat, lon).
    """
    obj = incidents_or_latlon
    if isinstance(obj, pd.DataFrame):
        if LAT in obj and LON in obj:
            lat = obj[LAT].to_numpy(dtype=float, na_value=np.nan)
            lon = obj[LON].to_numpy(dtype=float, na_value=np.nan)
        elif isinstance(obj, gpd.GeoDataFrame) and obj.geometry.name in obj:
            geo = obj.geometry if obj.crs is None else obj.geometry.to_crs(WGS84)
            lat, lon = geo.y.to_numpy(dtype=float), geo.x.to_numpy(dtype=float)
        else:
            raise InputError(
                "incidents need 'lat' and 'lon' columns (WGS84 degrees) or point geometries"
            )
    else:
        arr = np.asarray(obj, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ParameterError(
                f"incidents_or_latlon: expected an (n, 2) array of (lat, lon) degrees, "
                f"got shape {arr.shape}"
            )
        lat, lon = arr[:, 0], arr[:, 1]
    bad = ~(np.isfinite(lat) & np.isfinite(lon))
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} incident(s) have no coordinates: drop them (validate the input) "
            "before clustering"
        )
    if lat.size and (np.abs(lat).max() > 90 or np.abs(lon).max() > 180):
        raise InputError(
            "coordinates out of range: lat must be within ±90 and lon within ±180 degrees "
            "(projected X/Y? give --x/--y with --crs)"
        )
    return lat, lon


def _check_positive(name: str, value: float, unit: str = "metres") -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number of {unit} > 0, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise ParameterError(f"{name} must be a number of {unit} > 0, got {value!r}")
    return v


def _check_count(name: str, value: int, low: int) -> int:
    if isinstance(value, bool) or int(value) != value or int(value) < low:
        raise ParameterError(f"{name} must be a whole number of incidents >= {low}, got {value!r}")
    return int(value)


# --- DBSCAN -----------------------------------------------------------------------------------
def _neighbour_estimate(pts: np.ndarray, eps: float) -> np.ndarray:
    """Upper bound of each point's neighbours within ``eps`` (itself included), from a grid.

    Cells are ``eps / 2`` wide; the 5 x 5 block of cells around a point's cell covers its disc of
    radius ``eps`` (about twice its area), so the estimate is cheap and never too low.
    """
    s = eps / 2.0
    cx = np.floor((pts[:, 0] - pts[:, 0].min()) / s).astype(np.int64)
    cy = np.floor((pts[:, 1] - pts[:, 1].min()) / s).astype(np.int64)
    nx, ny = int(cx.max()) + 1, int(cy.max()) + 1
    if nx * ny <= max(8 * len(pts), 1 << 22):
        # a dense count grid is small enough: 5 x 5 box sums from a summed-area table
        grid = np.bincount(cx * ny + cy, minlength=nx * ny).reshape(nx, ny)
        sat = np.zeros((nx + 5, ny + 5), dtype=np.int64)
        sat[3:-2, 3:-2] = grid  # sat[i + 1, j + 1] will hold the sum of padded[:i + 1, :j + 1]
        sat = sat.cumsum(axis=0).cumsum(axis=1)
        return sat[cx + 5, cy + 5] - sat[cx, cy + 5] - sat[cx + 5, cy] + sat[cx, cy]
    ny += 4  # keys of offset cells never collide with real ones
    key = cx * ny + cy
    ukey, cnt = np.unique(key, return_counts=True)
    est = np.zeros(len(pts), dtype=np.int64)
    for dx in range(-2, 3):
        for dy in range(-2, 3):
            q = key + (dx * ny + dy)
            pos = np.minimum(np.searchsorted(ukey, q), len(ukey) - 1)
            est += np.where(ukey[pos] == q, cnt[pos], 0)
    return est


def _strips(est: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Split points (sorted by x) into index ranges holding about ``budget`` pairs each."""
    cum = np.cumsum(est)  # ~ 2 x pairs (each pair counted at both ends)
    total = int(cum[-1])
    if total <= 2 * budget:
        return [(0, len(est))]
    cuts = np.searchsorted(cum, np.arange(2 * budget, total, 2 * budget), side="right")
    bounds = np.unique(np.concatenate([[0], cuts, [len(est)]]))
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def _strip_pairs(pts: np.ndarray, a: int, b: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) within ``eps`` whose first point lies in ``[a, b)`` (points sorted by x)."""
    xs = pts[:, 0]
    # the margin: points right of the strip that can still be within eps (tiny slack for rounding)
    c = int(np.searchsorted(xs, xs[b - 1] + eps * (1 + 1e-9), side="right"))
    tree = cKDTree(pts[a:b])
    pp = tree.query_pairs(eps, output_type="ndarray")
    i, j = pp[:, 0] + a, pp[:, 1] + a
    if c > b:
        cross = tree.sparse_distance_matrix(cKDTree(pts[b:c]), eps, output_type="ndarray")
        i = np.concatenate([i, cross["i"].astype(np.int64) + a])
        j = np.concatenate([j, cross["j"].astype(np.int64) + b])
    return i, j


def _merge(comp: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Merge the components of the endpoints of edges (i, j); returns new component ids."""
    if len(i) == 0:
        return comp
    n = len(comp)
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (comp[i], comp[j])), shape=(n, n))
    _, merged = connected_components(graph.tocsr(), directed=False)
    return merged[comp]


def _dbscan_unique(
    pts: np.ndarray, weight: np.ndarray, eps: float, min_samples: int, budget: int
) -> np.ndarray:
    """DBSCAN on unique points sorted by (x, y) with integer weights; labels per unique point."""
    m = len(pts)
    counts = weight.astype(np.int64).copy()
    core = np.zeros(m, dtype=bool)
    comp = np.arange(m)  # component id of every point (only core points' ids matter)
    pend_i = pend_j = np.empty(0, dtype=np.int64)  # core i, j not yet final
    for a, b in _strips(_neighbour_estimate(pts, eps), budget):
        i, j = _strip_pairs(pts, a, b, eps)
        counts += np.bincount(i, weights=weight[j], minlength=m).astype(np.int64)
        counts += np.bincount(j, weights=weight[i], minlength=m).astype(np.int64)
        # every pair of a point left of b has been seen: its count is final
        core[a:b] = counts[a:b] >= min_samples
        done = pend_j < b
        ei, ej = pend_i[done], pend_j[done]
        keep = core[ej]
        pend_i, pend_j = pend_i[~done], pend_j[~done]
        both = core[i] & (j < b)
        both &= core[j]
        later = core[i] & (j >= b)
        ei = np.concatenate([ei[keep], i[both]])
        ej = np.concatenate([ej[keep], j[both]])
        pend_i = np.concatenate([pend_i, i[later]])
        pend_j = np.concatenate([pend_j, j[later]])
        del i, j, both, later
        comp = _merge(comp, ei, ej)

    labels = np.full(m, NOISE, dtype=np.int64)
    if not core.any():
        return labels
    labels[core] = comp[core]
    # border points: nearest core point within eps (query's bound is strict, so nudge it up)
    border = np.flatnonzero(~core)
    if border.size:
        core_idx = np.flatnonzero(core)
        dist, k = cKDTree(pts[core_idx]).query(
            pts[border], k=1, distance_upper_bound=np.nextafter(eps, np.inf)
        )
        ok = dist <= eps
        labels[border[ok]] = comp[core_idx[k[ok]]]
    return labels


def renumber(labels: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Renumber cluster ids 0..k-1 by decreasing size, ties by first appearance.

    ``labels`` must be in a canonical order (points sorted by (x, y)), so "first appearance" is
    the cluster's lexicographically smallest point and the ids do not depend on input order.
    ``weight`` is the number of incidents each entry stands for (1 by default); noise stays -1.
    """
    labels = np.asarray(labels)
    out = np.full(len(labels), NOISE, dtype=np.int64)
    member = labels != NOISE
    if not member.any():
        return out
    ids, first, inv = np.unique(labels[member], return_index=True, return_inverse=True)
    w = np.ones(member.sum()) if weight is None else np.asarray(weight, float)[member]
    size = np.bincount(inv, weights=w, minlength=len(ids))
    order = np.lexsort((first, -size))  # last key is primary
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    out[member] = rank[inv]
    return out


def dbscan_labels(
    incidents_or_latlon: pd.DataFrame | np.ndarray,
    *,
    eps: float,
    min_samples: int,
    crs: CRS | None = None,
    pair_budget: int = PAIR_BUDGET,
) -> np.ndarray:
    """DBSCAN cluster label of every incident, with a radius in metres (-1 = noise).

    Parameters
    ----------
    incidents_or_latlon : DataFrame or array of shape (n, 2)
        Canonical incidents (their ``lat``/``lon`` columns) or rows of (lat, lon) in degrees.
    eps : float
        Neighbourhood radius, metres (> 0).
    min_samples : int
        Incidents within ``eps`` of a point (itself included) for it to be a core point (>= 1).
    crs : pyproj.CRS, optional
        Metric CRS to measure distances on. Default: azimuthal equidistant on the mean Earth
        sphere at the centre of the points, which reproduces haversine distances.
    pair_budget : int
        Pairs of unique points enumerated at a time; bounds memory (about 50 bytes a pair).

    Returns
    -------
    numpy.ndarray of int64
        One label per input row: 0 for the cluster with the most incidents, 1 for the next ...,
        -1 for noise. The same points in any row order get the same labels.

    Examples
    --------
    >>> import numpy as np
    >>> lat = 41.88 + np.r_[0, 10, 20, 30, 500] / 111_195.0  # 10 m apart, and one far away
    >>> lon = np.full(5, -87.63)
    >>> dbscan_labels(np.c_[lat, lon], eps=15, min_samples=2).tolist()
    [0, 0, 0, 0, -1]
    """
    eps = _check_positive("eps", eps)
    min_samples = _check_count("min_samples", min_samples, 1)
    lat, lon = latlon_of(incidents_or_latlon)
    if lat.size == 0:
        return np.empty(0, dtype=np.int64)
    x, y, _ = project(lat, lon, crs)
    # unique points come back sorted by (x, y): a canonical order, whatever the input order
    pts, inverse, weight = np.unique(
        np.column_stack([x, y]), axis=0, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    labels = _dbscan_unique(pts, weight, eps, min_samples, max(int(pair_budget), 1))
    return renumber(labels, weight)[inverse]


def hdbscan_labels(
    incidents_or_latlon: pd.DataFrame | np.ndarray,
    *,
    min_cluster_size: int,
    min_samples: int | None = None,
    crs: CRS | None = None,
) -> np.ndarray:
    """HDBSCAN cluster label of every incident (scikit-learn's HDBSCAN on metric coordinates).

    Parameter-light alternative to :func:`dbscan_labels`: no radius, clusters of varying density.

    Parameters
    ----------
    incidents_or_latlon : DataFrame or array of shape (n, 2)
        Canonical incidents or rows of (lat, lon) in degrees.
    min_cluster_size : int
        Smallest group of incidents that counts as a cluster (>= 2).
    min_samples : int, optional
        Neighbours (itself included) defining a point's core distance; defaults to
        ``min_cluster_size``. Larger values make clustering more conservative.
    crs : pyproj.CRS, optional
        Metric CRS (default: spherical azimuthal equidistant at the centre of the points).

    Returns
    -------
    numpy.ndarray of int64
        Labels numbered by decreasing size (-1 = noise), independent of row order.

    Examples
    --------
    >>> import numpy as np
    >>> lat = 41.88 + np.r_[0, 5, 10, 15, 2000, 2005, 2010, 2015] / 111_195.0
    >>> hdbscan_labels(np.c_[lat, np.full(8, -87.63)], min_cluster_size=3).tolist()
    [0, 0, 0, 0, 1, 1, 1, 1]
    """
    from sklearn.cluster import HDBSCAN

    min_cluster_size = _check_count("min_cluster_size", min_cluster_size, 2)
    if min_samples is not None:
        min_samples = _check_count("min_samples", min_samples, 1)
    lat, lon = latlon_of(incidents_or_latlon)
    n = lat.size
    if n == 0:
        return np.empty(0, dtype=np.int64)
    k = min_samples if min_samples is not None else min_cluster_size
    if n < max(min_cluster_size, k):
        return np.full(n, NOISE, dtype=np.int64)  # too few incidents for any cluster
    x, y, _ = project(lat, lon, crs)
    order = np.lexsort((y, x))  # canonical order, so labels do not depend on row order
    xy = np.column_stack([x[order], y[order]])
    model = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=k, copy=True)
    sorted_labels = renumber(model.fit_predict(xy))
    labels = np.empty(n, dtype=np.int64)
    labels[order] = sorted_labels
    return labels


# --- summaries --------------------------------------------------------------------------------
def _top_offenses(cluster: np.ndarray, offense: pd.Series, k: int, top: int = 3) -> list[str]:
    """ "hooliganism 40%, fight 25%, theft 10%" per cluster (shares of its incidents)."""
    df = pd.DataFrame({"c": cluster, "o": offense.astype("string").fillna("unknown").to_numpy()})
    counts = df.groupby(["c", "o"]).size().rename("n").reset_index()
    counts["share"] = counts["n"] / counts.groupby("c")["n"].transform("sum")
    counts = counts.sort_values(["c", "n", "o"], ascending=[True, False, True])
    counts = counts.groupby("c").head(top)
    pct = (counts["share"] * 100).round().astype(int).astype(str)
    counts["txt"] = counts["o"] + " " + pct + "%"
    text = counts.groupby("c")["txt"].agg(", ".join)
    return text.reindex(range(k), fill_value="").tolist()


def _years(cluster: np.ndarray, year: pd.Series, k: int) -> list[str]:
    """ "2019-2021" (or "2017,2019") per cluster."""
    df = pd.DataFrame({"c": cluster, "y": pd.array(year, dtype="Int64")}).dropna()
    pairs = df.drop_duplicates().sort_values(["c", "y"])
    text = pairs.groupby("c")["y"].agg(lambda s: format_hours(int(v) for v in s))
    return text.reindex(range(k), fill_value="").tolist()


def summarize_clusters(
    incidents: pd.DataFrame,
    labels: np.ndarray,
    venues: pd.DataFrame | None = None,
    *,
    buffer_m: float = 25.0,
    venue_radius_m: float = 50.0,
    max_venue_names: int = 5,
) -> gpd.GeoDataFrame:
    """One row per cluster: size, outline, centroid, dominant offenses, years and venues.

    Parameters
    ----------
    incidents : DataFrame
        Canonical incidents (uses ``lat``, ``lon`` and, when present, ``offense``, ``year``).
    labels : array of int
        Cluster label of every incident (-1 = noise), e.g. from :func:`dbscan_labels`.
    venues : DataFrame, optional
        Canonical venues (``venue_id``, ``name``, ``lat``, ``lon``).
    buffer_m : float
        The outline is the convex hull of the cluster's incidents buffered by this many metres
        (> 0), so a cluster of one point or a line still has an area.
    venue_radius_m : float
        An incident is "at a venue" when its nearest venue is within this distance, metres.
    max_venue_names : int
        At most this many venue names are listed per cluster (the most-called first).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, sorted by ``cluster``, columns :data:`SUMMARY_COLUMNS`: ``cluster``,
        ``n_incidents``, ``centroid_lat``/``centroid_lon`` (mean position of the incidents),
        ``area_m2`` (of the outline), ``density_per_km2`` (incidents per km² of the outline),
        ``top_offenses`` (the three most common with their shares), ``years`` (e.g.
        "2019-2021"), ``venues`` (venues inside the outline, most calls first, or else the
        nearest one with its distance), ``n_venues`` (venues inside), ``nearest_venue_m``
        (0 when a venue is inside), ``venue_share`` (share of the cluster's incidents within
        ``venue_radius_m`` of a venue; NaN without venues) and the outline ``geometry``.
    """
    buffer_m = _check_positive("buffer_m", buffer_m)
    venue_radius_m = _check_positive("venue_radius_m", venue_radius_m)
    labels = np.asarray(labels)
    if labels.shape != (len(incidents),):
        raise ParameterError(
            f"labels: need one label per incident ({len(incidents)}), got shape {labels.shape}"
        )
    labels = labels.astype(np.int64)
    member = labels >= 0
    if not member.any():
        return gpd.GeoDataFrame(
            {c: [] for c in SUMMARY_COLUMNS if c != "geometry"},
            geometry=gpd.GeoSeries([], crs=WGS84),
            crs=WGS84,
        )
    lat, lon = latlon_of(incidents)
    x, y, crs = project(lat, lon)

    # compact ids 0..k-1 in label order (labels from dbscan_labels already are)
    ids, cl = np.unique(labels[member], return_inverse=True)
    k = len(ids)
    mx, my = x[member], y[member]
    n = np.bincount(cl, minlength=k)
    cx = np.bincount(cl, weights=mx, minlength=k) / n
    cy = np.bincount(cl, weights=my, minlength=k) / n
    c_lon, c_lat = to_lonlat(cx, cy, crs)

    order = np.argsort(cl, kind="stable")
    multi = shapely.multipoints(np.column_stack([mx[order], my[order]]), indices=cl[order])
    outline = shapely.buffer(shapely.convex_hull(multi), buffer_m, quad_segs=8)
    area = shapely.area(outline)

    sub = incidents.loc[member] if isinstance(incidents, pd.DataFrame) else None
    off = sub[OFFENSE] if sub is not None and OFFENSE in sub else pd.Series(["unknown"] * len(cl))
    top = _top_offenses(cl, off, k)
    years = _years(cl, sub[YEAR], k) if sub is not None and YEAR in sub else [""] * k

    names = [""] * k
    n_venues = np.zeros(k, dtype=np.int64)
    nearest_m = np.full(k, np.nan)
    share = np.full(k, np.nan)
    if venues is not None and len(venues):
        names, n_venues, nearest_m, share = _cluster_venues(
            incidents, member, cl, k, outline, venues, crs, venue_radius_m, max_venue_names
        )

    geom = shapely.transform(outline, lambda c: np.column_stack(to_lonlat(c[:, 0], c[:, 1], crs)))
    out = gpd.GeoDataFrame(
        {
            "cluster": ids.astype(np.int64),
            "n_incidents": n.astype(np.int64),
            "centroid_lat": c_lat,
            "centroid_lon": c_lon,
            "area_m2": area,
            "density_per_km2": n / (area / 1e6),
            "top_offenses": top,
            "years": years,
            "venues": names,
            "n_venues": n_venues,
            "nearest_venue_m": nearest_m,
            "venue_share": share,
        },
        geometry=gpd.GeoSeries(geom, crs=WGS84),
        crs=WGS84,
    )
    return out


def _cluster_venues(
    incidents: pd.DataFrame,
    member: np.ndarray,
    cl: np.ndarray,
    k: int,
    outline: np.ndarray,
    venues: pd.DataFrame,
    crs: CRS,
    radius: float,
    max_names: int,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Venue names, counts, nearest distance and venue share for each cluster outline."""
    from hotspots.venues import attribute_to_venues

    vlat, vlon = latlon_of(venues)
    vx, vy, _ = project(vlat, vlon, crs)
    vpts = shapely.points(vx, vy)
    vname = venues[NAME].astype("string").fillna("?").to_numpy(dtype=object)

    att = attribute_to_venues(incidents.loc[member], venues, radius=radius, crs=crs)
    at_venue = att["venue_id"].notna().to_numpy()
    share = np.bincount(cl, weights=at_venue, minlength=k) / np.bincount(cl, minlength=k)

    # calls of each (cluster, venue) to list the busiest venues first
    vpos = pd.Series(np.arange(len(venues)), index=venues["venue_id"].astype("string").to_numpy())
    hit = att["venue_id"].to_numpy(dtype=object)[at_venue]
    calls = pd.DataFrame({"c": cl[at_venue], "v": vpos.reindex(hit).to_numpy()})
    calls = calls.groupby(["c", "v"]).size()

    # venues inside each outline
    v_in, c_in = shapely.STRtree(outline).query(vpts, predicate="intersects")
    inside = pd.DataFrame({"c": c_in, "v": v_in, "name": vname[v_in]})
    inside["calls"] = calls.reindex(pd.MultiIndex.from_arrays([c_in, v_in])).fillna(0).to_numpy()
    inside = inside.sort_values(["c", "calls", "name"], ascending=[True, False, True])
    n_in = np.bincount(inside["c"].to_numpy(), minlength=k)
    listed = inside.groupby("c").head(max_names).groupby("c")["name"].agg("; ".join)
    names = listed.reindex(range(k), fill_value="").to_numpy(dtype=object)
    more = n_in > max_names
    names[more] = [
        f"{t} (+{m - max_names} more)" for t, m in zip(names[more], n_in[more], strict=True)
    ]

    nearest = np.where(n_in > 0, 0.0, np.nan)
    empty = np.flatnonzero(n_in == 0)
    if empty.size:
        # nearest venue to each outline without one inside
        (o_idx, v_idx), dist = shapely.STRtree(vpts).query_nearest(
            outline[empty], return_distance=True, all_matches=False
        )
        nearest[empty[o_idx]] = dist
        names[empty[o_idx]] = [
            f"{nm} ({d:.0f} m)" for nm, d in zip(vname[v_idx], dist, strict=True)
        ]
    return names.tolist(), n_in.astype(np.int64), nearest, share
