"""Venue attribution and "risky facilities": which venues concentrate the calls.

Each call is linked to its nearest venue within a radius (:func:`attribute_to_venues`); venues
are ranked by calls with their yearly counts, offenses, trend and peers
(:func:`rank_venues`); the concentration curve and the Gini coefficient show how unequally
calls fall on venues (Eck, Clarke and Guerette, 2007: a few venues of a kind usually account
for most calls).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pyproj import CRS
from scipy.spatial import cKDTree

from hotspots.errors import InputError, ParameterError
from hotspots.projection import centre_of, local_metric_crs, to_metric
from hotspots.schema import KIND, LAT, LON, MONTH, NAME, OFFENSE, VENUE_ID, YEAR

#: Trend labels need a fitted change over the period of at least this many calls ...
TREND_MIN_CALLS = 2.0
#: ... and of at least this share of the venue's mean yearly calls.
TREND_MIN_SHARE = 0.25
#: Years the data covers for fewer months than this are left out of the trend.
TREND_MIN_MONTHS = 6


def _latlon(frame: pd.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
    if LAT not in frame or LON not in frame:
        raise InputError(f"{what} need 'lat' and 'lon' columns (WGS84 degrees)")
    lat = frame[LAT].to_numpy(dtype=float, na_value=np.nan)
    lon = frame[LON].to_numpy(dtype=float, na_value=np.nan)
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        raise InputError(f"{what} without coordinates: drop them (validate the input) first")
    return lat, lon


def attribute_to_venues(
    incidents: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    radius: float,
    crs: CRS | None = None,
) -> pd.DataFrame:
    """Link every incident to its nearest venue within ``radius`` metres.

    Parameters
    ----------
    incidents : DataFrame
        Canonical incidents (``lat``, ``lon``).
    venues : DataFrame
        Canonical venues (``venue_id``, ``lat``, ``lon``).
    radius : float
        Largest incident-venue distance, metres (> 0). Incidents farther from every venue get
        no venue.
    crs : pyproj.CRS, optional
        Metric CRS for distances. Default: azimuthal equidistant on the mean Earth sphere at the
        centre of incidents and venues (distances equal haversine to a few ppm over a city).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``incidents``: ``venue_id`` (string, <NA> when no venue is within
        ``radius``) and ``venue_distance_m`` (float, NaN when no venue). Equidistant venues:
        one of them is chosen.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"lat": [41.88, 41.89], "lon": [-87.63, -87.63]})
    >>> bars = pd.DataFrame({"venue_id": ["b1"], "lat": [41.8801], "lon": [-87.63]})
    >>> attribute_to_venues(calls, bars, radius=50)["venue_id"].tolist()
    ['b1', <NA>]
    """
    try:
        radius = float(radius)
    except (TypeError, ValueError):
        radius = float("nan")
    if not math.isfinite(radius) or radius <= 0:
        raise ParameterError(f"radius must be a number of metres > 0, got {radius!r}")
    n = len(incidents)
    idx = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    if n and len(venues):
        lat, lon = _latlon(incidents, "incidents")
        vlat, vlon = _latlon(venues, "venues")
        if VENUE_ID not in venues:
            raise InputError("venues need a 'venue_id' column")
        if crs is None:
            crs = local_metric_crs(*centre_of(np.r_[lat, vlat], np.r_[lon, vlon]), sphere=True)
        x, y, _ = to_metric(lat, lon, crs)
        vx, vy, _ = to_metric(vlat, vlon, crs)
        idx, dist = nearest_within(x, y, vx, vy, radius)
        ids = venues[VENUE_ID].astype("string").to_numpy(dtype=object, na_value=None)
    else:
        ids = np.array([], dtype=object)
    return pd.DataFrame(
        {VENUE_ID: _take_ids(ids, idx), "venue_distance_m": dist}, index=incidents.index
    )


def nearest_within(
    x: np.ndarray, y: np.ndarray, vx: np.ndarray, vy: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest venue of every point within ``radius`` (all in metres on one metric CRS).

    Returns
    -------
    idx : ndarray of int64
        Position of the nearest venue in ``vx``/``vy``, -1 when none is within ``radius``.
    dist : ndarray of float
        Its distance, metres (NaN when none).
    """
    n = len(x)
    idx = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    if n == 0 or len(vx) == 0:
        return idx, dist
    # only points in or next to a grid cell holding a venue can have one within radius
    cand = _near_cells(x, y, vx, vy, radius)
    cand = np.arange(n) if cand is None else np.flatnonzero(cand)
    # query's bound is strict: nudge it so a venue at exactly `radius` counts
    d, k = cKDTree(np.column_stack([vx, vy])).query(
        np.column_stack([x[cand], y[cand]]),
        k=1,
        distance_upper_bound=np.nextafter(radius, np.inf),
    )
    hit = d <= radius
    idx[cand[hit]] = k[hit]
    dist[cand[hit]] = d[hit]
    return idx, dist


def _near_cells(
    x: np.ndarray, y: np.ndarray, vx: np.ndarray, vy: np.ndarray, radius: float
) -> np.ndarray | None:
    """Mask of points whose grid cell (side just over ``radius``) touches a venue's cell.

    A point within ``radius`` of a venue is at most one cell away from it in x and y, so the
    other points need no nearest-neighbour query. ``None`` when the grid would be too large.
    """
    side = radius * (1 + 1e-6)
    x0, y0 = min(x.min(), vx.min()), min(y.min(), vy.min())
    nx = int((max(x.max(), vx.max()) - x0) // side) + 1
    ny = int((max(y.max(), vy.max()) - y0) // side) + 1
    if nx * ny > 1 << 25:
        return None
    occ = np.zeros((nx + 2, ny + 2), dtype=bool)  # one empty cell of padding all round
    occ[((vx - x0) // side).astype(np.int64) + 1, ((vy - y0) // side).astype(np.int64) + 1] = True
    near = occ.copy()
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            near[1:-1, 1:-1] |= occ[1 + dx : nx + 1 + dx, 1 + dy : ny + 1 + dy]
    return near[((x - x0) // side).astype(np.int64) + 1, ((y - y0) // side).astype(np.int64) + 1]


def _take_ids(ids: np.ndarray, idx: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """String array of ``ids[idx]`` with <NA> where ``idx`` is -1 (built in Arrow: fast)."""
    try:
        import pyarrow as pa

        taken = (
            pa.array(ids, type=pa.string()).take(pa.array(np.maximum(idx, 0), mask=idx < 0))
            if len(ids)
            else pa.nulls(len(idx), type=pa.string())
        )
        return pd.array(taken, dtype="string")
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        out = np.full(len(idx), None, dtype=object)
        out[idx >= 0] = ids[idx[idx >= 0]]
        return pd.array(out, dtype="string")


def _trend(counts: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope (calls/year) of yearly counts per row, and its label."""
    k = counts.shape[0]
    if len(years) < 2:
        return np.full(k, np.nan), np.full(k, "n/a", dtype=object)
    t = years.astype(float) - years.mean()
    slope = counts @ t / (t @ t)
    change = slope * (years.max() - years.min())  # fitted change over the period
    mean = counts.mean(axis=1)
    big = np.abs(change) >= np.maximum(TREND_MIN_CALLS, TREND_MIN_SHARE * mean)
    label = np.where(big & (slope > 0), "rising", np.where(big & (slope < 0), "falling", "stable"))
    return slope, label.astype(object)


def _months_covered(incidents: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Months of each year holding at least one incident (12 when months are unknown)."""
    if MONTH not in incidents:
        return np.full(len(years), 12)
    ym = pd.DataFrame(
        {"y": pd.array(incidents[YEAR], dtype="Int64"), "m": pd.array(incidents[MONTH], "Int64")}
    )
    ym = ym.dropna().drop_duplicates()
    known = ym.groupby("y").size().reindex(years, fill_value=0).to_numpy()
    # years whose incidents all lack a month count as fully covered
    no_month = pd.array(incidents[YEAR], dtype="Int64")[pd.isna(pd.array(incidents[MONTH]))]
    full = np.isin(years, np.asarray(no_month.dropna(), dtype=np.int64)) & (known == 0)
    return np.where(full, 12, known)


def rank_venues(
    incidents: pd.DataFrame,
    venues: pd.DataFrame,
    attribution: pd.DataFrame,
    *,
    by_year: bool = True,
    by_offense: bool = True,
) -> pd.DataFrame:
    """Rank venues by the calls attributed to them (every venue, including those with none).

    Parameters
    ----------
    incidents : DataFrame
        Canonical incidents (``year`` and ``offense`` are used when present).
    venues : DataFrame
        Canonical venues (``venue_id``, ``name``, ``kind``).
    attribution : DataFrame
        From :func:`attribute_to_venues` on the same incidents (aligned row by row).
    by_year, by_offense : bool
        Add the calls per year (``calls_2019`` ...) and per offense (``offense_theft`` ...).

    Returns
    -------
    pandas.DataFrame
        One row per venue, sorted by ``calls`` (descending) then ``venue_id``: ``rank`` (1 =
        most calls), ``venue_id``, ``name``, ``kind``, ``calls``, ``share_of_all_calls`` (calls
        / all incidents given), ``peer_ratio`` (calls / median calls of the venues of the same
        kind, zero-call venues included; NaN when that median is 0), ``trend_per_year`` and
        ``trend``, then the per-year and per-offense columns.

    Notes
    -----
    The trend is the least-squares slope of the venue's yearly calls, in calls per year, over
    the years from the first to the last year of ``incidents`` (years without calls count as
    0). So that a partial first or last year does not fake a trend, each year's count is
    annualised (x 12 / months the data covers that year, a month being covered when any
    incident of ``incidents`` falls in it) and years covered for fewer than
    ``TREND_MIN_MONTHS`` = 6 months are left out. It is labelled "rising" ("falling") when the
    fitted change over the period (slope x (last year - first year)) is positive (negative)
    and at least ``max(TREND_MIN_CALLS, TREND_MIN_SHARE x mean yearly calls)`` = max(2 calls,
    25 % of the mean) in size; otherwise "stable". With fewer than two such years the slope is
    NaN and the trend "n/a". The ``calls_<year>`` columns are the raw counts.
    """
    if len(attribution) != len(incidents):
        raise ParameterError(
            f"attribution: need one row per incident ({len(incidents)}), got {len(attribution)}"
        )
    if VENUE_ID not in venues:
        raise InputError("venues need a 'venue_id' column")
    vid = venues[VENUE_ID].astype("string").reset_index(drop=True)
    if vid.duplicated().any():
        raise InputError("venue_id values must be unique: give each venue its own id")
    # factorize the (mostly missing) ids, then look up only the distinct ones
    codes, uniques = pd.factorize(attribution[VENUE_ID].astype("string"))
    linked = codes >= 0
    where = pd.Index(vid).get_indexer(pd.Index(uniques).astype("string"))
    if (where < 0).any():
        raise InputError("attribution names venue ids that are not in the venue table")
    vpos = where[codes[linked]].astype(np.int64)
    m = len(vid)
    calls = np.bincount(vpos, minlength=m)

    out = pd.DataFrame(
        {
            VENUE_ID: vid,
            NAME: venues[NAME].astype("string").reset_index(drop=True)
            if NAME in venues
            else pd.array([pd.NA] * m, dtype="string"),
            KIND: venues[KIND].astype("string").reset_index(drop=True)
            if KIND in venues
            else pd.array([pd.NA] * m, dtype="string"),
            "calls": calls.astype(np.int64),
        }
    )
    out["share_of_all_calls"] = calls / len(incidents) if len(incidents) else np.nan
    median = out.groupby(KIND, dropna=False)["calls"].transform("median").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["peer_ratio"] = np.where(median > 0, calls / np.where(median > 0, median, 1), np.nan)

    extra: dict[str, np.ndarray] = {}
    if YEAR in incidents and incidents[YEAR].notna().any():
        yr = pd.array(incidents[YEAR], dtype="Int64")
        first, last = (
            int(np.nanmin(yr.to_numpy(float, na_value=np.nan))),
            int(np.nanmax(yr.to_numpy(float, na_value=np.nan))),
        )
        years = np.arange(first, last + 1)
        y_linked = yr[linked]
        ok = ~pd.isna(y_linked)
        yi = np.asarray(y_linked[ok], dtype=np.int64) - first
        per_year = np.zeros((m, len(years)), dtype=np.int64)
        np.add.at(per_year, (vpos[ok], yi), 1)
        cover = _months_covered(incidents, years)
        use = cover >= TREND_MIN_MONTHS
        rate = per_year[:, use] * (12.0 / cover[use])
        out["trend_per_year"], out["trend"] = _trend(rate, years[use])
        if by_year:
            for c, y in enumerate(years):
                extra[f"calls_{y}"] = per_year[:, c]
    else:
        out["trend_per_year"], out["trend"] = np.nan, "n/a"
    if by_offense and OFFENSE in incidents:
        off = incidents[OFFENSE][linked].astype("string").fillna("unknown").to_numpy(dtype=object)
        ocode, labels = pd.factorize(off)
        table = np.zeros((m, len(labels)), dtype=np.int64)
        np.add.at(table, (vpos, ocode), 1)
        for c in np.argsort(np.asarray(labels, dtype=str), kind="stable"):
            extra[f"offense_{labels[c]}"] = table[:, c]
    if extra:
        out = pd.concat([out, pd.DataFrame(extra, index=out.index)], axis=1)

    out = out.sort_values(["calls", VENUE_ID], ascending=[False, True], kind="stable")
    out.insert(0, "rank", np.arange(1, m + 1))
    return out.reset_index(drop=True)


def _calls_array(calls_per_venue: pd.Series | np.ndarray) -> np.ndarray:
    c = np.asarray(calls_per_venue, dtype=float).reshape(-1)
    if np.isnan(c).any() or (c < 0).any():
        raise ParameterError("calls_per_venue must be counts >= 0 (no missing values)")
    return c


def concentration_curve(calls_per_venue: pd.Series | np.ndarray) -> pd.DataFrame:
    """Cumulative share of calls against the share of venues, busiest venues first.

    Parameters
    ----------
    calls_per_venue : Series or array
        Calls of every venue, zero-call venues included (they flatten the end of the curve).
        A Series' index is kept as ``venue_id``.

    Returns
    -------
    pandas.DataFrame
        One row per venue in decreasing order of calls (ties keep the input order): ``rank``
        (1..n), ``venue_id`` (for a Series), ``calls``, ``share_of_venues`` (rank / n) and
        ``share_of_calls`` (cumulative calls / all calls; NaN when there are no calls). The
        curve starts at (0, 0), which is not a row.

    Examples
    --------
    >>> concentration_curve([0, 10, 0, 30])[["share_of_venues", "share_of_calls"]].values.tolist()
    [[0.25, 0.75], [0.5, 1.0], [0.75, 1.0], [1.0, 1.0]]
    """
    c = _calls_array(calls_per_venue)
    order = np.argsort(-c, kind="stable")
    n, total = len(c), c.sum()
    out = pd.DataFrame({"rank": np.arange(1, n + 1)})
    if isinstance(calls_per_venue, pd.Series):
        out[VENUE_ID] = calls_per_venue.index.to_numpy()[order]
    s = c[order]
    out["calls"] = s.astype(np.int64) if np.all(s == np.round(s)) else s
    out["share_of_venues"] = np.arange(1, n + 1) / n if n else np.array([])
    out["share_of_calls"] = np.cumsum(s) / total if total > 0 else np.nan
    return out


def gini(calls_per_venue: pd.Series | np.ndarray) -> float:
    """Gini coefficient of calls over venues (0 = equal, towards 1 = all calls at one venue).

    Uses the population definition G = sum_i sum_j |x_i - x_j| / (2 n² mean), i.e. without the
    n / (n - 1) small-sample correction, so a single busy venue among n gives 1 - 1/n.
    Zero-call venues must be included. NaN when there are no venues or no calls.

    Examples
    --------
    >>> gini([0, 0, 0, 10])
    0.75
    """
    c = np.sort(_calls_array(calls_per_venue))
    n, total = len(c), c.sum()
    if n == 0 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(2.0 * np.sum(i * c) / (n * total) - (n + 1.0) / n)
