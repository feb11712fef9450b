"""Reading a basemap file: a PMTiles archive (vector or raster tiles) or an MBTiles database.

One file holds a whole tile pyramid. :func:`open_basemap` checks it and reads what the maps
need (kind, zoom range, bounds, attribution); :meth:`Basemap.tile` reads one tile (XYZ scheme,
decompressed) and :meth:`Basemap.tiles_in` the tiles over an area (for exported maps, which
carry their basemap inside the page).
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from hotspots.basemap.tilemath import tiles_covering
from hotspots.errors import InputError, ParameterError

#: File suffixes of the two formats.
SUFFIXES: Final = {".pmtiles": "pmtiles", ".mbtiles": "mbtiles"}
#: Tile formats a browser can draw: Mapbox vector tiles, or images.
VECTOR: Final = "mvt"
RASTER: Final = ("png", "jpg", "webp")
_PM_TYPES: Final = {1: "mvt", 2: "png", 3: "jpg", 4: "webp"}


@dataclass(frozen=True)
class Basemap:
    """A basemap file and what it holds.

    Attributes
    ----------
    path : Path
    container : {"pmtiles", "mbtiles"}
    tile_format : {"mvt", "png", "jpg", "webp"}
    min_zoom, max_zoom : int
        Zoom levels of the stored tiles.
    bounds : (float, float, float, float)
        Min lon, min lat, max lon, max lat of the tiles (degrees).
    attribution : str
        What the basemap shows and who made it (from the file's metadata).
    name : str
    """

    path: Path
    container: str
    tile_format: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]
    attribution: str
    name: str

    @property
    def vector(self) -> bool:
        """True for vector tiles (drawn in the browser by protomaps-leaflet)."""
        return self.tile_format == VECTOR

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """Tile ``z/x/y`` (XYZ scheme), decompressed, or ``None`` where the file has none."""
        if self.container == "pmtiles":
            data = _pmtiles_tile(str(self.path), self.path.stat().st_mtime_ns, z, x, y)
        else:
            with _mbtiles(self.path) as db:
                row = db.execute(
                    "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? "
                    "AND tile_row=?",
                    (z, x, (1 << z) - 1 - y),  # MBTiles rows count from the south (TMS)
                ).fetchone()
            data = bytes(row[0]) if row else None
        if data and data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return data

    def tiles_in(
        self,
        bounds: tuple[float, float, float, float],
        zooms: Iterable[int],
        *,
        max_bytes: int = 6_000_000,
    ) -> dict[tuple[int, int, int], bytes]:
        """The tiles over ``bounds`` at ``zooms`` (those the file has), decompressed.

        Zoom levels are taken from the lowest up while they fit ``max_bytes`` (bytes, before
        base64): a large city keeps its overview rather than a few detailed tiles.
        """
        if max_bytes < 1:
            raise ParameterError(f"max_bytes must be positive; got {max_bytes}")
        out: dict[tuple[int, int, int], bytes] = {}
        total = 0
        for z in sorted({int(z) for z in zooms}):
            if not self.min_zoom <= z <= self.max_zoom:
                continue
            level: dict[tuple[int, int, int], bytes] = {}
            size = 0
            for zxy in tiles_covering(bounds, z):
                data = self.tile(*zxy)
                if data:
                    level[zxy] = data
                    size += len(data)
            if total + size > max_bytes:
                break
            out.update(level)
            total += size
        return out


@lru_cache(maxsize=8)
def _pmtiles_index(path: str, mtime_ns: int) -> tuple[dict, list, dict]:
    """Header, root directory and a leaf-directory cache of a PMTiles file (parsed once:
    the reader of the ``pmtiles`` package parses the root directory on every tile)."""
    from pmtiles.tile import deserialize_directory, deserialize_header

    with open(path, "rb") as f:
        header = deserialize_header(f.read(127))
        f.seek(header["root_offset"])
        root = deserialize_directory(f.read(header["root_length"]))
    return header, root, {}


def _pmtiles_tile(path: str, mtime_ns: int, z: int, x: int, y: int) -> bytes | None:
    from pmtiles.tile import deserialize_directory, find_tile, zxy_to_tileid

    header, directory, leaves = _pmtiles_index(path, mtime_ns)
    tile_id = zxy_to_tileid(z, x, y)
    with open(path, "rb") as f:
        for _ in range(4):  # the format's maximum directory depth
            entry = find_tile(directory, tile_id)
            if entry is None:
                return None
            if entry.run_length > 0:
                f.seek(header["tile_data_offset"] + entry.offset)
                return f.read(entry.length)
            key = (entry.offset, entry.length)
            if key not in leaves:
                f.seek(header["leaf_directory_offset"] + entry.offset)
                leaves[key] = deserialize_directory(f.read(entry.length))
            directory = leaves[key]
    return None


class _mbtiles:
    """Read-only SQLite connection (a context manager that closes it)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


def _open_pmtiles(path: Path) -> Basemap:
    from pmtiles.reader import MmapSource, Reader

    try:
        with open(path, "rb") as f:
            reader = Reader(MmapSource(f))
            h = reader.header()
            meta = reader.metadata()
    except Exception as exc:  # not a PMTiles v3 file: a clear line, not a traceback
        raise InputError(
            f"{path.name} is not a PMTiles v3 archive ({exc}): make it with `pmtiles extract` "
            "(see README, 'Basemap')"
        ) from None
    tile_format = _PM_TYPES.get(int(h["tile_type"].value), "")
    if not tile_format:
        raise InputError(f"{path.name}: unknown tile type; use vector (MVT) or PNG/JPEG tiles")
    bounds = tuple(h[k] / 1e7 for k in ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7"))
    return Basemap(
        path=path,
        container="pmtiles",
        tile_format=tile_format,
        min_zoom=int(h["min_zoom"]),
        max_zoom=int(h["max_zoom"]),
        bounds=bounds,  # type: ignore[arg-type]
        attribution=str(meta.get("attribution") or ""),
        name=str(meta.get("name") or path.stem),
    )


def _open_mbtiles(path: Path) -> Basemap:
    try:
        with _mbtiles(path) as db:
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
    except sqlite3.Error as exc:
        raise InputError(f"{path.name} is not an MBTiles database ({exc})") from None
    tile_format = str(meta.get("format", "png")).lower().replace("jpeg", "jpg")
    if tile_format == "pbf":
        tile_format = VECTOR
    if tile_format not in (VECTOR, *RASTER) or zooms[0] is None:
        raise InputError(f"{path.name}: no tiles, or tiles of format {tile_format!r}")
    try:
        bounds = tuple(float(v) for v in str(meta["bounds"]).split(","))
    except (KeyError, ValueError):
        bounds = (-180.0, -85.0511, 180.0, 85.0511)
    return Basemap(
        path=path,
        container="mbtiles",
        tile_format=tile_format,
        min_zoom=int(zooms[0]),
        max_zoom=int(zooms[1]),
        bounds=bounds,  # type: ignore[arg-type]
        attribution=str(meta.get("attribution") or ""),
        name=str(meta.get("name") or path.stem),
    )


def open_basemap(path: str | Path) -> Basemap:
    """Open a ``.pmtiles`` or ``.mbtiles`` basemap file.

    Raises
    ------
    InputError
        The file is missing, of another kind, or not readable as its suffix says.

    Examples
    --------
    >>> from hotspots.sample import SAMPLE_DIR
    >>> bm = open_basemap(SAMPLE_DIR / "basemap.pmtiles")
    >>> bm.container, bm.tile_format
    ('pmtiles', 'mvt')
    """
    p = Path(path).expanduser()
    kind = SUFFIXES.get(p.suffix.lower())
    if kind is None:
        raise InputError(f"basemap {p.name}: use a .pmtiles or .mbtiles file")
    if not p.is_file():
        raise InputError(f"no basemap file at {p}: check HOTSPOTS_TILES or --tiles")
    return _open_pmtiles(p) if kind == "pmtiles" else _open_mbtiles(p)


def metadata_json(basemap: Basemap) -> str:
    """The basemap's description as JSON (for provenance)."""
    return json.dumps(
        {
            "file": basemap.path.name,
            "format": basemap.tile_format,
            "zooms": [basemap.min_zoom, basemap.max_zoom],
            "attribution": basemap.attribution,
        },
        ensure_ascii=False,
    )
