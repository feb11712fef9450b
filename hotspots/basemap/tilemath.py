"""Web Mercator tile arithmetic (the XYZ scheme of Leaflet, PMTiles and MBTiles)."""

from __future__ import annotations

import math

import numpy as np

from hotspots.errors import ParameterError

#: Half the circumference of the Web Mercator sphere, metres (EPSG:3857).
HALF_WORLD_M = 20_037_508.342789244
#: Latitude limit of Web Mercator, degrees.
MAX_LAT = 85.0511287798066


def lonlat_to_mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Degrees (WGS84) to Web Mercator metres (EPSG:3857), vectorised."""
    lon = np.asarray(lon, dtype=float)
    lat = np.clip(np.asarray(lat, dtype=float), -MAX_LAT, MAX_LAT)
    x = lon * HALF_WORLD_M / 180.0
    y = np.log(np.tan((90.0 + lat) * math.pi / 360.0)) * HALF_WORLD_M / math.pi
    return x, y


def tile_bounds_m(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Web Mercator bounds (minx, miny, maxx, maxy), metres, of XYZ tile ``z/x/y``."""
    size = 2 * HALF_WORLD_M / (1 << z)
    minx = -HALF_WORLD_M + x * size
    maxy = HALF_WORLD_M - y * size
    return minx, maxy - size, minx + size, maxy


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """XYZ column and row of the tile holding (lon, lat) at zoom ``z``."""
    n = 1 << z
    lat = max(min(lat, MAX_LAT), -MAX_LAT)
    x = int((lon + 180.0) / 360.0 * n)
    r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_covering(
    bounds: tuple[float, float, float, float], z: int
) -> list[tuple[int, int, int]]:
    """Every tile ``(z, x, y)`` meeting ``bounds`` = (min lon, min lat, max lon, max lat).

    Examples
    --------
    >>> tiles_covering((68.2, 43.25, 68.3, 43.35), 10)
    [(10, 706, 377)]
    """
    if not 0 <= z <= 24:
        raise ParameterError(f"zoom must be 0 .. 24; got {z}")
    x0, y0 = tile_of(bounds[0], bounds[3], z)
    x1, y1 = tile_of(bounds[2], bounds[1], z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def fit_zoom(
    bounds: tuple[float, float, float, float], width_px: int, height_px: int
) -> float:
    """The (fractional) zoom at which ``bounds`` just fits ``width_px`` x ``height_px``."""
    x0, y0 = lonlat_to_mercator(np.array([bounds[0]]), np.array([bounds[1]]))
    x1, y1 = lonlat_to_mercator(np.array([bounds[2]]), np.array([bounds[3]]))
    span = max(float(x1[0] - x0[0]) / width_px, float(y1[0] - y0[0]) / height_px, 1e-9)
    # metres per pixel at zoom 0 with 256-pixel tiles
    return math.log2(2 * HALF_WORLD_M / 256.0 / span)
