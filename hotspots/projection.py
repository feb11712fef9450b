"""Local metric projections: WGS84 degrees to metres, the one place that does it.

Every distance and area of the library is measured on an azimuthal equidistant (AEQD)
projection centred on the data, in metres. Two figures of the Earth are offered:

- the WGS84 ellipsoid (default, ``sphere=False``): used for density surfaces and maps, where
  GIS software reprojects the result. Over a city (tens of km) its distances differ from the
  geodesic ones by far less than 0.1 %.
- the mean Earth sphere (``sphere=True``, radius :data:`hotspots.schema.EARTH_RADIUS_M`):
  scikit-learn's haversine metric, the reference for DBSCAN, measures great-circle distances
  on this sphere. The ellipsoid's distances differ from the sphere's by up to 0.3 % depending
  on direction (a 100 m radius becomes 99.7-100.3 m); on an AEQD of the same sphere euclidean
  distances stay within a few parts per million of haversine over a city, so neighbour
  searches reproduce haversine results except for pairs within millimetres of the radius.
  Clusters, venue attribution and the evaluation's study area use it.

For large inputs ``to_metric(..., fast=True)`` interpolates the projection on a lattice (within
1 cm of pyproj, about 10x faster at a million points); density surfaces use it. It is not for
radius searches, whose ties are decided at the millimetre.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer

from hotspots.schema import CRS as WGS84
from hotspots.schema import EARTH_RADIUS_M

#: Inputs smaller than this are always projected exactly (the lattice would not pay off).
FAST_MIN_POINTS = 50_000
#: Largest interpolation error (metres) the fast path accepts before projecting exactly.
FAST_TOLERANCE_M = 0.01


@lru_cache(maxsize=64)
def local_metric_crs(lat0: float, lon0: float, *, sphere: bool = False) -> CRS:
    """Azimuthal equidistant CRS centred on (``lat0``, ``lon0``) degrees, in metres.

    Parameters
    ----------
    lat0, lon0 : float
        Centre, WGS84 degrees (rounded to 1e-6 degree, about 0.1 m).
    sphere : bool
        On the mean Earth sphere (haversine distances) instead of the WGS84 ellipsoid.

    Examples
    --------
    >>> local_metric_crs(43.30, 68.25).axis_info[0].unit_name
    'metre'
    >>> local_metric_crs(41.88, -87.63, sphere=True).ellipsoid.semi_major_metre
    6371008.8
    """
    lat0, lon0 = round(float(lat0), 6), round(float(lon0), 6)
    figure = f"+R={EARTH_RADIUS_M}" if sphere else "+datum=WGS84"
    return CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +x_0=0 +y_0=0 {figure} +units=m +no_defs"
    )


def centre_of(lat: np.ndarray, lon: np.ndarray) -> tuple[float, float]:
    """Centre used for the local projection: the midpoint of the bounding box (degrees).

    It does not depend on the order of the rows.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if lat.size == 0:
        raise ValueError("no points: cannot choose a local projection for an empty table")
    return float((np.nanmin(lat) + np.nanmax(lat)) / 2), float(
        (np.nanmin(lon) + np.nanmax(lon)) / 2
    )


@lru_cache(maxsize=64)
def _transformer(src: CRS | str, dst: CRS | str) -> Transformer:
    # pyproj >= 3.1 transformers are thread-safe, so one per CRS pair can be shared
    return Transformer.from_crs(src, dst, always_xy=True)


def _exact(lat: np.ndarray, lon: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    x, y = _transformer(WGS84, crs).transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


class Lattice:
    """The fast projection of an extent: exact on a lattice of nodes, interpolated between.

    pyproj's azimuthal equidistant projection costs about 1 s per million points. Here it is
    computed exactly on a lattice of nodes every 0.005 degrees or more over the extent (at
    most 40,000 nodes) and interpolated bilinearly in between; the interpolation error is
    checked against pyproj at the middle of every lattice cell, and :meth:`project` is exact
    (``exact`` true) when it exceeds :data:`FAST_TOLERANCE_M` (e.g. on country-wide extents)
    or the extent is very elongated. The nodes depend on the extent only, so points projected
    in parts (the partitions of :mod:`hotspots.engine`) on one extent's lattice get the same
    numbers as all of them at once.

    Parameters
    ----------
    crs : pyproj.CRS
        The metric CRS.
    lat_lo, lat_hi, lon_lo, lon_hi : float
        The extent, WGS84 degrees; every point projected must lie in it.
    """

    def __init__(self, crs: CRS, lat_lo: float, lat_hi: float, lon_lo: float, lon_hi: float):
        self.crs, self.lat_lo, self.lon_lo = crs, float(lat_lo), float(lon_lo)
        step = max(0.005, math.sqrt((lat_hi - lat_lo) * (lon_hi - lon_lo) / 40_000))
        n_lat = max(2, math.ceil((lat_hi - lat_lo) / step) + 1)
        n_lon = max(2, math.ceil((lon_hi - lon_lo) / step) + 1)
        self.step, self.n_lat, self.n_lon = step, n_lat, n_lon
        self.coef: list[list[np.ndarray]] = []
        self.exact = n_lat * n_lon > 80_000  # a very elongated extent
        if self.exact:
            return
        glat = self.lat_lo + np.arange(n_lat) * step
        glon = self.lon_lo + np.arange(n_lon) * step
        mlat, mlon = np.meshgrid(glat, glon, indexing="ij")
        nx, ny = _exact(mlat.ravel(), mlon.ravel(), crs)
        nx, ny = nx.reshape(n_lat, n_lon), ny.reshape(n_lat, n_lon)
        # bilinear coefficients per lattice cell: v = a + b u + c w + d u w (u, w in [0, 1])
        for v in (nx, ny):
            a = v[:-1, :-1]
            b = v[:-1, 1:] - a
            c = v[1:, :-1] - a
            d = v[1:, 1:] - v[1:, :-1] - v[:-1, 1:] + a
            self.coef.append([m.ravel() for m in (a, b, c, d)])
        # check the interpolation at the lattice cells' middles
        clat, clon = np.meshgrid(glat[:-1] + step / 2, glon[:-1] + step / 2, indexing="ij")
        ex, ey = _exact(clat.ravel(), clon.ravel(), crs)
        err = 0.0
        for (a, b, c, d), e in zip(self.coef, (ex, ey), strict=True):
            err = max(err, float(np.max(np.abs(a + 0.5 * b + 0.5 * c + 0.25 * d - e))))
        self.exact = err > FAST_TOLERANCE_M

    @classmethod
    def of(cls, lat: np.ndarray, lon: np.ndarray, crs: CRS) -> Lattice:
        """The lattice of the points' own extent."""
        return cls(crs, float(lat.min()), float(lat.max()), float(lon.min()), float(lon.max()))

    def project(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metric x, y of WGS84 points inside the extent (within 1 cm of pyproj)."""
        if self.exact:
            return _exact(lat, lon, self.crs)
        fu = (lon - self.lon_lo) * (1.0 / self.step)
        fw = (lat - self.lat_lo) * (1.0 / self.step)
        iu = np.minimum(fu.astype(np.int64), self.n_lon - 2)
        iw = np.minimum(fw.astype(np.int64), self.n_lat - 2)
        u = fu - iu
        w = fw - iw
        cell = iw * (self.n_lon - 1) + iu
        out = []
        for a, b, c, d in self.coef:
            out.append(a.take(cell) + u * (b.take(cell) + w * d.take(cell)) + w * c.take(cell))
        return out[0], out[1]


def to_metric(
    lat: np.ndarray,
    lon: np.ndarray,
    crs: CRS | str | None = None,
    *,
    sphere: bool = False,
    fast: bool = False,
) -> tuple[np.ndarray, np.ndarray, CRS]:
    """Project WGS84 ``lat``/``lon`` arrays (degrees) to metres on ``crs``.

    Parameters
    ----------
    lat, lon : array-like
        WGS84 degrees.
    crs : pyproj.CRS or str, optional
        Target metric CRS. Default: :func:`local_metric_crs` at :func:`centre_of` the points
        (``sphere`` chooses its figure of the Earth; it is ignored when ``crs`` is given).
    sphere : bool
        Default CRS on the mean Earth sphere (euclidean distances = haversine distances).
    fast : bool
        For :data:`FAST_MIN_POINTS` points or more, interpolate on a lattice (within 1 cm of
        the exact projection). Not for radius searches.

    Returns
    -------
    x, y : ndarray
        Easting and northing in metres.
    crs : pyproj.CRS
        The CRS used, so results can be projected back with :func:`to_lonlat`.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if crs is None:
        crs = local_metric_crs(*centre_of(lat, lon), sphere=sphere)
    elif not isinstance(crs, CRS):
        crs = CRS.from_user_input(crs)
    if fast and lat.size >= FAST_MIN_POINTS:
        x, y = Lattice.of(lat.ravel(), lon.ravel(), crs).project(lat.ravel(), lon.ravel())
        return x.reshape(lat.shape), y.reshape(lat.shape), crs
    x, y = _exact(lat, lon, crs)
    return x, y, crs


def to_lonlat(x: np.ndarray, y: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`to_metric`: metres on ``crs`` back to WGS84 ``lon``, ``lat``."""
    lon, lat = _transformer(crs, WGS84).transform(
        np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    )
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def geometry_to_metric(geom: Any, crs: CRS) -> Any:
    """Shapely geometries (EPSG:4326, x = lon) to metres on ``crs`` (arrays keep their shape)."""
    return shapely.transform(geom, lambda c: np.column_stack(to_metric(c[:, 1], c[:, 0], crs)[:2]))


def geometry_to_lonlat(geom: Any, crs: CRS) -> Any:
    """Shapely geometries in metres on ``crs`` back to EPSG:4326 (x = lon)."""
    return shapely.transform(geom, lambda c: np.column_stack(to_lonlat(c[:, 0], c[:, 1], crs)))


def haversine_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres between WGS84 points (broadcasting), mean Earth sphere.

    Examples
    --------
    >>> round(float(haversine_m(0.0, 0.0, 0.0, 1.0)))  # one degree of the equator
    111195
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
