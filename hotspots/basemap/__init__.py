"""Offline basemaps from one file: PMTiles (vector or raster tiles) or MBTiles (raster).

- :mod:`~hotspots.basemap.archive` opens a file and reads its tiles;
- :mod:`~hotspots.basemap.write` writes vector tiles from GeoDataFrames (the sample city's
  synthetic streets, or a city's own street layer);
- :mod:`~hotspots.basemap.server` serves a file to the browser from this machine (the app);
- :mod:`~hotspots.basemap.layer` puts it on a Folium map, served or carried in the page;
- :mod:`~hotspots.basemap.streets` names the street nearest a point from the file's roads;
- :mod:`~hotspots.basemap.tilemath` is the Web Mercator tile arithmetic.

:class:`hotspots.tiles.TileConfig` chooses the basemap (``HOTSPOTS_TILES``).
"""

from __future__ import annotations

from hotspots.basemap.archive import Basemap as Basemap
from hotspots.basemap.archive import open_basemap as open_basemap
from hotspots.basemap.write import write_vector_pmtiles as write_vector_pmtiles

__all__ = ["Basemap", "open_basemap", "write_vector_pmtiles"]
