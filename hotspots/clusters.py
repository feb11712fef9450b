"""Density-based clusters of incidents: DBSCAN with a radius in metres, HDBSCAN, and summaries.

DBSCAN here gives the same clusters as scikit-learn's haversine DBSCAN
(``DBSCAN(eps=eps / R, metric="haversine", algorithm="ball_tree")`` on radians, R = 6,371,008.8 m)
but runs several times faster, in memory linear in the number of points, however dense the data
(scikit-learn stores every point's neighbour list: hundreds of millions of entries on dense data):

1. Points are projected on an azimuthal equidistant projection of the same sphere
   (:func:`hotspots.projection.to_metric` with ``sphere=True``), where euclidean distances equal
   great-circle distances to a few parts per million over a city.
2. Exact duplicate coordinates (police data snaps many incidents to the same point) are collapsed
   into unique points carrying a weight, the number of incidents at that point.
3. Unique points are binned in square cells whose diagonal is eps, so the points of a cell are
   all neighbours (grid DBSCAN, as in Gunawan 2013 and de Berg et al. 2019). Every point of a
   cell holding >= ``min_samples`` incidents is core; other points are counted (with a k-d tree
   over all incidents, counts only) when their 5 x 5 block of cells holds enough incidents.
   Core points count themselves, as in scikit-learn.
4. Cells with core points are joined when some pair of their core points is within eps: one
   nearest-neighbour query per core point and neighbouring cell, skipped for points too far from
   that cell and for cell pairs already connected; connected components give the clusters.
5. Border points (not core, but within ``eps`` of a core point) join the cluster of their
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
from hotspots.projection import geometry_to_lonlat, to_lonlat, to_metric
from hotspots.schema import CRS as WGS84
from hotspots.schema import LAT, LON, NAME, OFFENSE, YEAR

NOISE = -1

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
#: Offsets (in cells) between cells that can hold points within eps of each other, one of each
#: +/- pair; the nearest first, so that most cell pairs are already connected before the far
#: ones are looked at.
_HALF_OFFSETS = (
    (1, 0),
    (0, 1),
    (1, 1),
    (1, -1),
    (2, 0),
    (0, 2),
    (2, 1),
    (1, 2),
    (2, -1),
    (1, -2),
    (2, 2),
    (2, -2),
)


def _unique_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, y) points sorted by x then y, each row's point, and points' multiplicity.

    Like ``np.unique(..., axis=0)`` but with a lexsort, many times faster on float pairs.
    """
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    new = np.ones(len(xs), dtype=bool)
    new[1:] = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])
    group = np.cumsum(new) - 1
    inverse = np.empty(len(xs), dtype=np.int64)
    inverse[order] = group
    starts = np.flatnonzero(new)
    weight = np.diff(np.append(starts, len(xs)))
    return np.column_stack([xs[starts], ys[starts]]), inverse, weight


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Positions of ``keys`` in ``sorted_keys`` (-1 where absent)."""
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return np.where(sorted_keys[pos] == keys, pos, -1)


def _merge(comp: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Merge the components of the endpoints of edges (a, b); returns new component ids."""
    if len(a) == 0:
        return comp
    n = len(comp)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (comp[a], comp[b])), shape=(n, n))
    _, merged = connected_components(graph.tocsr(), directed=False)
    return merged[comp]


def _dbscan_unique(
    pts: np.ndarray, weight: np.ndarray, eps: float, min_samples: int, all_xy: np.ndarray
) -> np.ndarray:
    """DBSCAN on unique points (sorted by x, y) with integer weights; labels per unique point.

    ``all_xy`` holds every incident (duplicates included), for weighted neighbour counts.
    """
    m = len(pts)
    bound = np.nextafter(eps, np.inf)  # cKDTree.query's bound is strict; radii are inclusive
    # cells whose diagonal is (just) under eps: all points of a cell are neighbours
    side = eps / math.sqrt(2.0) * (1 - 1e-9)
    x0, y0 = pts[:, 0].min(), pts[:, 1].min()
    cx = ((pts[:, 0] - x0) // side).astype(np.int64) + 2  # +2: offsets stay >= 0
    cy = ((pts[:, 1] - y0) // side).astype(np.int64) + 2
    ny = int(cy.max()) + 3
    key = cx * ny + cy
    ukey, cell = np.unique(key, return_inverse=True)
    cell_w = np.bincount(cell, weights=weight).astype(np.int64)

    # 1. core points. A cell holding >= min_samples incidents makes all its points core.
    core = cell_w[cell] >= min_samples
    # Elsewhere, bound each point's count by the cells of the 5 x 5 block around it (which
    # holds every neighbour): cells wholly within eps of it (lower bound) and cells touching its
    # eps-disc (upper bound). Only points between the two bounds are counted, with a tree of
    # all incidents so that duplicates count.
    ask = np.flatnonzero(~core)
    if ask.size:
        cells_ask = cell[ask]
        u = pts[ask, 0] - x0 - (cx[ask] - 2) * side  # position inside its cell, metres
        v = pts[ask, 1] - y0 - (cy[ask] - 2) * side
        lower = np.zeros(ask.size, dtype=np.int64)
        upper = np.zeros(ask.size, dtype=np.int64)
        near2, far2 = (eps * (1 + 1e-9)) ** 2, (eps * (1 - 1e-9)) ** 2
        for dx in range(-2, 3):
            pos = _lookup(ukey, ukey + dx * ny + np.arange(-2, 3)[:, None])  # (5, cells)
            gx = np.maximum(np.maximum(dx * side - u, u - (dx + 1) * side), 0.0)
            fx = np.maximum(np.abs(u - dx * side), np.abs(u - (dx + 1) * side))
            for row, dy in enumerate(range(-2, 3)):
                at = pos[row][cells_ask]
                w = np.where(at >= 0, cell_w[np.maximum(at, 0)], 0)
                gy = np.maximum(np.maximum(dy * side - v, v - (dy + 1) * side), 0.0)
                fy = np.maximum(np.abs(v - dy * side), np.abs(v - (dy + 1) * side))
                upper += np.where(gx * gx + gy * gy <= near2, w, 0)
                lower += np.where(fx * fx + fy * fy <= far2, w, 0)
        core[ask[lower >= min_samples]] = True
        ask = ask[(lower < min_samples) & (upper >= min_samples)]
    if ask.size:
        counts = cKDTree(all_xy).query_ball_point(pts[ask], eps, return_length=True)
        core[ask] = counts >= min_samples

    labels = np.full(m, NOISE, dtype=np.int64)
    ci = np.flatnonzero(core)
    if ci.size == 0:
        return labels

    # 2. clusters of core points: cells with core points are nodes (connected inside), and two
    # cells are joined when a core point of one has a core point of the other within eps. A
    # third coordinate (the cell key, spaced 4 eps apart) confines each nearest-neighbour
    # query to the one target cell.
    ckey, ccell = np.unique(key[ci], return_inverse=True)
    comp = np.arange(len(ckey))
    spacing = 4.0 * eps
    tree = cKDTree(np.column_stack([pts[ci], key[ci] * spacing]))
    px, py, pcx, pcy, pkey = pts[ci, 0], pts[ci, 1], cx[ci], cy[ci], key[ci]
    for dx, dy in _HALF_OFFSETS:
        target = _lookup(ckey, ckey + (dx * ny + dy))
        todo = (target >= 0) & (comp != comp[np.maximum(target, 0)])
        if not todo.any():
            continue  # every such pair of cells is already connected
        q = np.flatnonzero(todo[ccell])
        # skip points farther than eps from the target cell's box
        bx = x0 + (pcx[q] + dx - 2) * side
        by = y0 + (pcy[q] + dy - 2) * side
        gx = np.maximum(np.maximum(bx - px[q], px[q] - bx - side), 0.0)
        gy = np.maximum(np.maximum(by - py[q], py[q] - by - side), 0.0)
        q = q[gx * gx + gy * gy <= (eps * (1 + 1e-9)) ** 2]
        if q.size == 0:
            continue
        dist, j = tree.query(
            np.column_stack([px[q], py[q], (pkey[q] + (dx * ny + dy)) * spacing]),
            k=1,
            distance_upper_bound=bound,
        )
        hit = dist <= eps
        comp = _merge(comp, ccell[q[hit]], ccell[j[hit]])
    labels[ci] = comp[ccell]

    # 3. border points: the cluster of their nearest core point within eps
    border = np.flatnonzero(~core)
    if border.size:
        dist, j = cKDTree(pts[ci]).query(pts[border], k=1, distance_upper_bound=bound)
        ok = dist <= eps
        labels[border[ok]] = labels[ci[j[ok]]]
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
    x, y, _ = to_metric(lat, lon, crs, sphere=True)
    # unique points sorted by (x, y): a canonical order, whatever the input order
    pts, inverse, weight = _unique_points(x, y)
    labels = _dbscan_unique(pts, weight, eps, min_samples, np.column_stack([x, y]))
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
    x, y, _ = to_metric(lat, lon, crs, sphere=True)
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
    x, y, crs = to_metric(lat, lon, sphere=True)

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
            mx, my, cl, k, outline, venues, crs, venue_radius_m, max_venue_names
        )

    geom = geometry_to_lonlat(outline, crs)
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
    mx: np.ndarray,
    my: np.ndarray,
    cl: np.ndarray,
    k: int,
    outline: np.ndarray,
    venues: pd.DataFrame,
    crs: CRS,
    radius: float,
    max_names: int,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Venue names, counts, nearest distance and venue share for each cluster outline.

    ``mx``, ``my``: the clustered incidents in metres on ``crs`` (projected once, by the
    caller); each is attributed to its nearest venue within ``radius`` as by
    :func:`hotspots.venues.attribute_to_venues`.
    """
    from hotspots.venues import nearest_within

    vlat, vlon = latlon_of(venues)
    vx, vy, _ = to_metric(vlat, vlon, crs)
    vpts = shapely.points(vx, vy)
    label = venues[NAME] if NAME in venues else venues.get("venue_id", pd.Series("?", venues.index))
    vname = label.astype("string").fillna("?").to_numpy(dtype=object)

    venue_of, _ = nearest_within(mx, my, vx, vy, radius)
    at_venue = venue_of >= 0
    share = np.bincount(cl, weights=at_venue, minlength=k) / np.bincount(cl, minlength=k)

    # calls of each (cluster, venue) to list the busiest venues first
    calls = pd.DataFrame({"c": cl[at_venue], "v": venue_of[at_venue]})
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
