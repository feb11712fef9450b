"""Clustered synthetic incidents for the benchmarks (and tests that need many points).

:func:`make_incidents` draws ``n`` incidents as a mixture of Gaussian hotspots over a uniform
background inside a disc of radius ``radius_m`` (15 km by default) around ``centre``, and returns
a canonical incident GeoDataFrame (see :mod:`hotspots.schema`). The draw is reproducible from
``seed`` and fully vectorised (1M incidents in about a second).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots import schema as S

OFFENSES = ("theft", "hooliganism", "fight", "public_order", "traffic", "other")
PREMISES = ("street", "residence", "restaurant", "bar", "park", "store")

#: metres per degree of latitude on the mean sphere
M_PER_DEG = np.pi * S.EARTH_RADIUS_M / 180.0


def positions(
    rng: np.random.Generator,
    n: int,
    centre: tuple[float, float] = (41.88, -87.63),
    radius_m: float = 15_000.0,
    n_clusters: int = 40,
    cluster_share: float = 0.7,
    cluster_sd_m: tuple[float, float] = (80.0, 600.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes of ``n`` incidents of :func:`make_incidents` (drawn from
    ``rng``, the parameters as there): the mixture alone, for data sets too large for a
    full incident table per row (the big engine benchmark)."""
    lat0, lon0 = float(centre[0]), float(centre[1])

    # cluster centres uniform in the inner 80 % of the disc; Zipf-like weights
    r = radius_m * 0.8 * np.sqrt(rng.random(n_clusters))
    t = rng.uniform(0, 2 * np.pi, n_clusters)
    cx, cy = r * np.cos(t), r * np.sin(t)
    sd = np.exp(rng.uniform(np.log(cluster_sd_m[0]), np.log(cluster_sd_m[1]), n_clusters))
    w = 1.0 / np.arange(1, n_clusters + 1) ** 0.8
    w /= w.sum()

    n_cl = int(round(n * cluster_share))
    k = rng.choice(n_clusters, size=n_cl, p=w)
    x_cl = cx[k] + rng.normal(0, 1, n_cl) * sd[k]
    y_cl = cy[k] + rng.normal(0, 1, n_cl) * sd[k]
    n_bg = n - n_cl
    rb = radius_m * np.sqrt(rng.random(n_bg))
    tb = rng.uniform(0, 2 * np.pi, n_bg)
    x = np.concatenate([x_cl, rb * np.cos(tb)])
    y = np.concatenate([y_cl, rb * np.sin(tb)])
    order = rng.permutation(n)  # mix clusters and background in row order
    x, y = x[order], y[order]

    # equirectangular offsets: exact enough over 15 km for synthetic data
    lat = lat0 + y / M_PER_DEG
    lon = lon0 + x / (M_PER_DEG * np.cos(np.radians(lat0)))
    return lat, lon


def make_incidents(
    n: int,
    seed: int = 0,
    centre: tuple[float, float] = (41.88, -87.63),
    *,
    radius_m: float = 15_000.0,
    n_clusters: int = 40,
    cluster_share: float = 0.7,
    cluster_sd_m: tuple[float, float] = (80.0, 600.0),
    years: tuple[int, int] = (2017, 2019),
) -> gpd.GeoDataFrame:
    """Draw ``n`` clustered incidents around ``centre`` as a canonical GeoDataFrame.

    Parameters
    ----------
    n : int
        Number of incidents (>= 0).
    seed : int
        Seed of the random generator; the same seed gives the same table.
    centre : (lat, lon)
        Centre of the study area, WGS84 degrees (default: Chicago Loop).
    radius_m : float
        Radius of the disc holding the background and the cluster centres, metres.
    n_clusters : int
        Number of Gaussian hotspots; their weights follow a Zipf-like law (a few strong ones).
    cluster_share : float
        Share of incidents drawn from the hotspots (the rest is uniform background).
    cluster_sd_m : (low, high)
        Range of the hotspots' standard deviations, metres (log-uniform).
    years : (first, last)
        Years the incident dates are drawn from (uniformly).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, the columns of :data:`hotspots.schema.INCIDENT_COLUMNS`.

    Examples
    --------
    >>> gdf = make_incidents(1000, seed=1)
    >>> len(gdf), gdf.crs.to_epsg()
    (1000, 4326)
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    lat, lon = positions(rng, n, centre, radius_m, n_clusters, cluster_share, cluster_sd_m)

    start = np.datetime64(f"{years[0]}-01-01T00:00", "m")
    end = np.datetime64(f"{years[1] + 1}-01-01T00:00", "m")
    minutes = rng.integers(0, int((end - start).astype(int)), n)
    occurred = pd.DatetimeIndex(start + minutes.astype("timedelta64[m]"))
    off_idx = rng.choice(len(OFFENSES), size=n, p=[0.35, 0.15, 0.15, 0.15, 0.1, 0.1])
    offense = np.asarray(OFFENSES, dtype=object)[off_idx]
    premise = np.asarray(PREMISES, dtype=object)[rng.integers(0, len(PREMISES), n)]

    frame = pd.DataFrame(
        {
            S.INCIDENT_ID: pd.Series(np.arange(1, n + 1)).astype(str).to_numpy(dtype=object),
            S.OCCURRED_AT: occurred.astype("datetime64[ns]"),
            S.TIME_PRECISION: np.full(n, "minute", dtype=object),
            S.YEAR: pd.array(occurred.year, dtype="Int64"),
            S.MONTH: pd.array(occurred.month, dtype="Int64"),
            S.WEEKDAY: pd.array(occurred.day_of_week, dtype="Int64"),
            S.HOUR: pd.array(occurred.hour, dtype="Int64"),
            S.OFFENSE: offense,
            S.OFFENSE_RAW: np.asarray([o.upper() for o in OFFENSES], dtype=object)[off_idx],
            S.PREMISE: premise,
            S.LAT: lat,
            S.LON: lon,
            S.SOURCE_ROW: np.arange(1, n + 1, dtype=np.int64),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=S.CRS)
