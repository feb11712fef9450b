"""Basemap tiles: OpenStreetMap by default, a local tile server, or none at all.

Police networks are often closed: the tile URL is configuration, not code. Without tiles the map
keeps a plain light background and every layer still draws (study area, venues, cells).

The environment can choose the tiles for the app and the CLI: ``HOTSPOTS_TILES`` is ``osm``
(default), ``none``, or an URL template such as ``http://tiles.local/{z}/{x}/{y}.png``;
``HOTSPOTS_TILES_ATTRIBUTION`` gives the attribution for a custom template.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from hotspots.errors import ParameterError

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

    def __post_init__(self) -> None:
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
        return self.url is not None

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
        """Tiles chosen by ``HOTSPOTS_TILES`` (``osm``, ``none`` or a URL template)."""
        env = os.environ if env is None else env
        choice = env.get("HOTSPOTS_TILES", "osm").strip()
        if choice.lower() in ("", "osm", "openstreetmap"):
            return cls.osm()
        if choice.lower() in ("none", "off", "no"):
            return cls.none()
        return cls.local(choice, env.get("HOTSPOTS_TILES_ATTRIBUTION", "Local tile server"))
