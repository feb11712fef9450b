"""Names from the basemap: the named street nearest to each point (for tooltips and cards).

The street lines are read from the basemap file's vector tiles (``roads`` layer of the
Protomaps schema, ``name`` or ``name:<lang>``) at one zoom, so a department's OpenStreetMap
extract and the sample's synthetic streets answer alike. A raster basemap has no names.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely

from hotspots.basemap.archive import Basemap
from hotspots.basemap.tilemath import lonlat_to_mercator, tile_bounds_m
from hotspots.errors import ParameterError

#: Zoom whose tiles are read (streets are complete there in Protomaps builds).
NAME_ZOOM = 15


@lru_cache(maxsize=4096)
def _tile_lines(bm: Basemap, z: int, x: int, y: int, lang: str) -> tuple[list, list[str]]:
    """Named street lines of one tile, Web Mercator metres (cached: read-only results)."""
    import mapbox_vector_tile

    data = bm.tile(z, x, y)
    if not data:
        return [], []
    layer = mapbox_vector_tile.decode(data).get("roads")
    if not layer:
        return [], []
    extent = layer.get("extent", 4096)
    minx, miny, maxx, maxy = tile_bounds_m(z, x, y)
    scale = (maxx - minx) / extent
    lines, names = [], []
    for f in layer["features"]:
        props = f.get("properties", {})
        name = props.get(f"name:{lang}") or props.get("name")
        geom = f["geometry"]
        if not name or geom["type"] not in ("LineString", "MultiLineString"):
            continue
        parts = geom["coordinates"] if geom["type"] == "MultiLineString" else [geom["coordinates"]]
        for part in parts:
            xy = np.asarray(part, dtype=float)
            if len(xy) >= 2:  # tile units, y up from the tile's south edge
                lines.append(shapely.LineString(np.column_stack(
                    [minx + xy[:, 0] * scale, miny + xy[:, 1] * scale])))
                names.append(str(name))
    return lines, names


def nearest_street(
    basemap: Basemap,
    lat: np.ndarray,
    lon: np.ndarray,
    *,
    max_m: float = 150.0,
    lang: str = "en",
) -> np.ndarray:
    """Name of the nearest named street within ``max_m`` metres of each point ("" if none).

    Parameters
    ----------
    basemap : Basemap
        A vector basemap (:func:`hotspots.basemap.open_basemap`); a raster one gives "".
    lat, lon : array of float
        Points, degrees.
    max_m : float
        Largest distance to a street, metres (ground distance).
    lang : {"kk", "ru", "en"}
        ``name:<lang>`` is preferred where the basemap has it.

    Returns
    -------
    ndarray of str
    """
    if not 0.0 < max_m <= 5000.0:
        raise ParameterError(f"max_m must be in (0, 5000] metres; got {max_m}")
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    out = np.full(lat.shape, "", dtype=object)
    if not basemap.vector or lat.size == 0:
        return out
    z = min(max(NAME_ZOOM, basemap.min_zoom), basemap.max_zoom)
    ok = np.isfinite(lat) & np.isfinite(lon)
    mx, my = lonlat_to_mercator(lon, lat)
    n = 1 << z
    world = 2 * 20_037_508.342789244
    tx = np.floor((mx + world / 2) / world * n).astype(np.int64)
    ty = np.floor((world / 2 - my) / world * n).astype(np.int64)
    lines, names = [], []
    # each needed tile and its neighbours, so a street across a tile edge is found
    wanted = {(int(a) + dx, int(b) + dy) for a, b in zip(tx[ok], ty[ok], strict=True)
              for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    for x, y in sorted(wanted):
        if 0 <= x < n and 0 <= y < n:
            lt, nm = _tile_lines(basemap, z, x, y, lang)
            lines += lt
            names += nm
    if not lines:
        return out
    tree = shapely.STRtree(lines)
    idx = np.flatnonzero(ok)
    # Mercator metres are 1 / cos(lat) ground metres
    stretch = 1.0 / np.cos(np.radians(lat[idx]))
    pts = shapely.points(mx[idx], my[idx])
    hit_pt, hit_line = tree.query_nearest(
        pts, max_distance=float(max_m * stretch.max()), return_distance=False
    )
    dist = shapely.distance(pts[hit_pt], np.asarray(lines, dtype=object)[hit_line])
    good = dist <= max_m * stretch[hit_pt]
    # query_nearest may return ties: keep the first hit per point
    first = np.unique(hit_pt[good], return_index=True)[1]
    rows = hit_pt[good][first]
    out[idx[rows]] = np.asarray(names, dtype=object)[hit_line[good][first]]
    return out
