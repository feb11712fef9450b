"""Writing a vector basemap (PMTiles of Mapbox vector tiles) from GeoDataFrames.

The layers follow the Protomaps basemap schema (``earth``, ``landuse``, ``water``, ``roads``,
``places`` with a ``kind`` and a ``name``), so the same style draws a department's own
extract of OpenStreetMap and a basemap written here (the bundled sample's synthetic streets,
or a city's street layer from its GIS office). The output is the same bytes on every run for
the same input: tiles in tile-id order, gzip without a timestamp.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import shapely

from hotspots.basemap.tilemath import lonlat_to_mercator, tile_bounds_m, tiles_covering
from hotspots.errors import InputError, ParameterError

#: Tile extent of the encoded tiles (MVT units per tile side).
EXTENT: Final = 4096
#: Extra margin around each tile, in tile units, so lines do not stop at tile edges.
BUFFER: Final = 64


def _to_mercator(geoms: np.ndarray) -> np.ndarray:
    def project(coords: np.ndarray) -> np.ndarray:
        x, y = lonlat_to_mercator(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, project)


def _tile_bytes(
    layers: Mapping[str, tuple[np.ndarray, list[dict]]], z: int, x: int, y: int
) -> bytes | None:
    minx, miny, maxx, maxy = tile_bounds_m(z, x, y)
    pad = (maxx - minx) * BUFFER / EXTENT
    encoded = []
    for name, (geoms, props) in layers.items():
        clipped = shapely.clip_by_rect(geoms, minx - pad, miny - pad, maxx + pad, maxy + pad)
        # one pixel of a 256-pixel tile: detail finer than that is not drawn
        clipped = shapely.simplify(clipped, (maxx - minx) / 512.0)
        keep = np.flatnonzero(~shapely.is_empty(clipped))
        if keep.size == 0:
            continue
        features = [{"geometry": clipped[i], "properties": props[i]} for i in keep]
        encoded.append({"name": name, "features": features})
    if not encoded:
        return None
    data = mapbox_vector_tile.encode(
        encoded,
        default_options={"quantize_bounds": (minx, miny, maxx, maxy), "extents": EXTENT},
    )
    return gzip.compress(data, compresslevel=9, mtime=0)


def write_vector_pmtiles(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: str | Path,
    *,
    min_zoom: int = 10,
    max_zoom: int = 15,
    name: str = "basemap",
    attribution: str,
    description: str = "",
) -> Path:
    """Write ``layers`` as a PMTiles archive of vector tiles.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer name (``"roads"``, ``"landuse"``, ...) to features with a CRS; every column but
        the geometry becomes a feature property (strings and numbers).
    path : path
        The ``.pmtiles`` file to write.
    min_zoom, max_zoom : int
        Zoom levels to write (0-16).
    name, attribution, description : str
        Stored in the archive's metadata; ``attribution`` is shown in the map's corner.

    Returns
    -------
    Path
    """
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    if not (0 <= min_zoom <= max_zoom <= 16):
        raise ParameterError(f"zooms must satisfy 0 <= min_zoom <= max_zoom <= 16; got "
                             f"{min_zoom}, {max_zoom}")
    if not attribution.strip():
        raise ParameterError("attribution must say what the basemap shows and who made it")
    prepared: dict[str, tuple[np.ndarray, list[dict]]] = {}
    boxes = []
    for layer, gdf in layers.items():
        if gdf.crs is None:
            raise InputError(f"basemap layer {layer!r} has no CRS: set one (EPSG:4326)")
        gdf = gdf.to_crs(4326)
        boxes.append(gdf.total_bounds)
        props = gdf.drop(columns=gdf.geometry.name).to_dict("records")
        props = [{k: v for k, v in p.items() if v is not None and v == v} for p in props]
        prepared[layer] = (_to_mercator(gdf.geometry.to_numpy()), props)
    if not boxes:
        raise InputError("no basemap layers to write")
    b = np.vstack(boxes)
    bounds = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
              float(b[:, 3].max()))
    tiles: dict[int, bytes] = {}
    for z in range(min_zoom, max_zoom + 1):
        for zz, x, y in tiles_covering(bounds, z):
            data = _tile_bytes(prepared, zz, x, y)
            if data is not None:
                tiles[zxy_to_tileid(zz, x, y)] = data
    out = Path(path)
    buf = io.BytesIO()
    writer = Writer(buf)
    for tile_id in sorted(tiles):
        writer.write_tile(tile_id, tiles[tile_id])
    header = {
        "tile_type": TileType.MVT,
        "tile_compression": Compression.GZIP,
        "min_lon_e7": int(round(bounds[0] * 1e7)),
        "min_lat_e7": int(round(bounds[1] * 1e7)),
        "max_lon_e7": int(round(bounds[2] * 1e7)),
        "max_lat_e7": int(round(bounds[3] * 1e7)),
        "center_zoom": min_zoom + 2,
        "center_lon_e7": int(round((bounds[0] + bounds[2]) / 2 * 1e7)),
        "center_lat_e7": int(round((bounds[1] + bounds[3]) / 2 * 1e7)),
    }
    metadata = {
        "name": name,
        "attribution": attribution,
        "description": description,
        "vector_layers": [{"id": layer, "fields": {}} for layer in layers],
    }
    writer.finalize(header, metadata)
    out.write_bytes(buf.getvalue())
    return out
