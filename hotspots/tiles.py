"""Basemap tiles: a local basemap file, OpenStreetMap, a local tile server, or none at all.

Police networks are often closed: the basemap is configuration, not code. The best offline
basemap is **one file**: a ``.pmtiles`` archive (vector tiles, drawn in the browser by the
vendored protomaps-leaflet) or an ``.mbtiles`` database (raster tiles), read by
:mod:`hotspots.basemap`. The app serves the file itself; exported maps carry the tiles of their
area inside the page. Without tiles the map keeps a plain light background and every layer
still draws (study area, venues, cells).

The environment chooses the tiles for the app and the CLI: ``HOTSPOTS_TILES`` is the path of a
``.pmtiles``/``.mbtiles`` file, ``osm``, ``none``, or an URL template such as
``http://tiles.local/{z}/{x}/{y}.png`` (``HOTSPOTS_TILES_ATTRIBUTION`` gives the attribution
of a template). Unset, it is ``auto``: the bundled sample city's own basemap
(``geodata/basemap.pmtiles``, synthetic streets) where it covers the map, OpenStreetMap
elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from hotspots.errors import ParameterError

#: The bundled sample city's basemap (synthetic streets made by ``geodata/make_sample.py``).
SAMPLE_BASEMAP: Final = Path(__file__).resolve().parent.parent / "geodata" / "basemap.pmtiles"

OSM_URL: Final = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION: Final = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
#: Background of a map without tiles (a light warm grey, like OSM's land colour).
PLAIN_BACKGROUND: Final = "#f2efe9"


@dataclass(frozen=True)
class TileConfig:
    """Where basemap tiles come from.

    Parameters
    ----------
    url : str or None
        XYZ URL template with ``{z}``, ``{x}`` and ``{y}`` (optionally ``{s}``), or ``None`` for
        no basemap (plain background).
    attribution : str
        Attribution HTML shown in the corner (required by OpenStreetMap's tile policy). It is
        configuration written by the operator, not data, so it is not escaped.
    max_zoom : int
        Highest zoom level the server provides (0-22).
    name : str
        Name of the tile layer.
    file : str, optional
        Path of a ``.pmtiles`` or ``.mbtiles`` basemap file (then ``url`` is ``None``).
    served_url : str, optional
        Where the app serves ``file`` (:class:`hotspots.basemap.server.TileServer`); without
        it, maps carry the file's tiles over their area inside the page.
    auto : bool
        ``file`` is used where it covers the map, OpenStreetMap elsewhere (the default
        choice, :meth:`for_bounds`).

    Examples
    --------
    >>> TileConfig().url
    'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
    >>> TileConfig.none().url is None
    True
    """

    url: str | None = OSM_URL
    attribution: str = OSM_ATTRIBUTION
    max_zoom: int = 19
    name: str = "basemap"
    file: str | None = None
    served_url: str | None = None
    auto: bool = False

    def __post_init__(self) -> None:
        if self.url is not None and self.file is not None:
            raise ParameterError("tiles: give a url template or a basemap file, not both")
        if self.url is not None:
            missing = [p for p in ("{z}", "{x}", "{y}") if p not in self.url]
            if missing:
                raise ParameterError(
                    f"tiles url must be an XYZ template with {{z}}, {{x}} and {{y}}; "
                    f"{self.url!r} lacks {', '.join(missing)}"
                )
            if not self.attribution.strip():
                raise ParameterError("tiles attribution must not be empty for a tile URL")
        if not 0 <= int(self.max_zoom) <= 22:
            raise ParameterError(f"tiles max_zoom must be 0 .. 22; got {self.max_zoom}")

    @property
    def enabled(self) -> bool:
        """True if the map draws tiles."""
        return self.url is not None or self.file is not None

    @classmethod
    def from_file(cls, path: str | Path, *, auto: bool = False) -> TileConfig:
        """A ``.pmtiles`` or ``.mbtiles`` basemap file (checked here: :class:`InputError`
        if it is missing or unreadable). The attribution is the file's own."""
        from hotspots.basemap.archive import open_basemap

        bm = open_basemap(path)
        return cls(
            url=None,
            attribution=bm.attribution or f"Basemap: {bm.path.name}",
            max_zoom=20,
            name=bm.name,
            file=str(bm.path.resolve()),
            auto=auto,
        )

    @classmethod
    def auto_choice(cls) -> TileConfig:
        """The default: the sample city's basemap where it covers the map, else OSM."""
        if SAMPLE_BASEMAP.is_file():
            return cls.from_file(SAMPLE_BASEMAP, auto=True)
        return cls.osm()

    def with_served_url(self, url: str) -> TileConfig:
        """The same basemap file, served at ``url`` (the app's tile endpoint)."""
        return replace(self, served_url=url)

    def for_bounds(self, bounds: tuple[float, float, float, float] | None) -> TileConfig:
        """The basemap to draw for a map of ``bounds`` (min lon, min lat, max lon, max lat).

        A file that does not meet ``bounds`` draws nothing there: the automatic choice then
        falls back to OpenStreetMap, a file chosen on purpose to the plain background (its
        attribution would name streets that are not shown)."""
        if self.file is None or bounds is None:
            return self
        from hotspots.basemap.archive import open_basemap

        b = open_basemap(self.file).bounds
        meets = not (
            bounds[2] < b[0] or bounds[0] > b[2] or bounds[3] < b[1] or bounds[1] > b[3]
        )
        if meets:
            return self
        return TileConfig.osm() if self.auto else TileConfig.none()

    @classmethod
    def osm(cls) -> TileConfig:
        """OpenStreetMap's standard tiles (needs internet)."""
        return cls()

    @classmethod
    def none(cls) -> TileConfig:
        """No basemap: a plain light background."""
        return cls(url=None, attribution="")

    @classmethod
    def local(cls, url: str, attribution: str = "Local tile server", max_zoom: int = 19):
        """Tiles from a local server (e.g. ``http://tiles.police.local/{z}/{x}/{y}.png``)."""
        return cls(url=url, attribution=attribution, max_zoom=max_zoom)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TileConfig:
        """Tiles chosen by ``HOTSPOTS_TILES``: a ``.pmtiles``/``.mbtiles`` path, ``auto``
        (the default), ``osm``, ``none`` or a URL template."""
        env = os.environ if env is None else env
        choice = env.get("HOTSPOTS_TILES", "auto").strip()
        if choice.lower() in ("", "auto"):
            return cls.auto_choice()
        if choice.lower() in ("osm", "openstreetmap"):
            return cls.osm()
        if choice.lower() in ("none", "off", "no"):
            return cls.none()
        if choice.lower().endswith((".pmtiles", ".mbtiles")):
            return cls.from_file(choice)
        return cls.local(choice, env.get("HOTSPOTS_TILES_ATTRIBUTION", "Local tile server"))
