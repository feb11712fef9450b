"""The base map (tiles or a plain background, scale bar), the layer switcher and the study area."""

from __future__ import annotations

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template

from hotspots.errors import ParameterError
from hotspots.escape import escape_text
from hotspots.i18n import t
from hotspots.maps.elements import (
    HotspotLayer,
    _as_wgs84,
    _check_int,
    _check_lang,
    _ClassedGeoJson,
    _ensure_css,
    _feature_collection,
    _js_literal,
    _RawRender,
)
from hotspots.maps.settings import BOUNDARY_COLOUR
from hotspots.tiles import TileConfig


def base_map(
    center: tuple[float, float],
    zoom: int = 12,
    *,
    tiles: TileConfig | None = None,
    width: str | int = "100%",
    height: str | int = "100%",
    bounds: list[list[float]] | None = None,
    lang: str = "en",
) -> folium.Map:
    """An empty map with the configured basemap (or a plain background) and the maps' CSS.

    Parameters
    ----------
    center : (float, float)
        Latitude and longitude of the centre, degrees (WGS84).
    zoom : int
        Initial zoom level (0-20).
    tiles : TileConfig, optional
        Basemap; OpenStreetMap when omitted, ``TileConfig.none()`` for a plain background.
    width, height : str or int
        Size of the map element (CSS length or pixels).
    bounds : [[lat, lon], [lat, lon]], optional
        Area the map shows: a basemap file not served by the app carries its tiles over this
        area inside the page (exports); without it, the centre's surroundings at ``zoom``.
    lang : {"kk", "ru", "en"}
        Language of the basemap's labels where the file has them (``name:kk`` ...).

    Returns
    -------
    folium.Map
    """
    lat, lon = float(center[0]), float(center[1])
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ParameterError(f"center must be (lat, lon) in degrees; got {center}")
    _check_int("zoom", zoom, 0, 20)
    tiles = TileConfig() if tiles is None else tiles
    m = folium.Map(
        location=[lat, lon],
        zoom_start=zoom,
        tiles=None,
        control_scale=False,  # Folium's scale shows feet and miles too: ours is metric only
        width=width,
        height=height,
        max_zoom=max(tiles.max_zoom, 18) if tiles.enabled else 20,
        zoom_snap=0.25,  # fractional zoom: fitted views fill a slide
    )
    if tiles.file is not None:
        _add_basemap_file(m, tiles, bounds, (lat, lon), zoom, lang)
    elif tiles.enabled:
        folium.TileLayer(
            tiles=tiles.url,
            attr=tiles.attribution,
            name=escape_text(tiles.name),
            max_zoom=tiles.max_zoom,
            control=False,
        ).add_to(m)
    m.add_child(_ScaleBar(), name="hotspots_scale")
    _ensure_css(m)
    return m


def _add_basemap_file(
    m: folium.Map,
    tiles: TileConfig,
    bounds: list[list[float]] | None,
    center: tuple[float, float],
    zoom: int,
    lang: str,
) -> None:
    """The basemap file: asked from the app's endpoint when served, else carried in the page
    (the tiles over ``bounds`` at the zooms a 1920 x 1080 slide of it needs)."""
    from hotspots.basemap.archive import open_basemap
    from hotspots.basemap.layer import BasemapLayer, export_zooms
    from hotspots.basemap.tilemath import HALF_WORLD_M

    bm = open_basemap(tiles.file)
    attribution = escape_text(tiles.attribution)
    if tiles.served_url:
        m.add_child(BasemapLayer(bm, url=tiles.served_url, attribution=attribution, lang=lang))
        return
    if bounds is not None:
        box = (bounds[0][1], bounds[0][0], bounds[1][1], bounds[1][0])
    else:  # about a 1920 x 1080 view around the centre
        half = 960 * 2 * HALF_WORLD_M / 256 / 2**zoom / 111_320.0
        box = (center[1] - half, center[0] - half / 2, center[1] + half, center[0] + half / 2)
    pad_lon, pad_lat = 0.15 * (box[2] - box[0]) + 1e-4, 0.15 * (box[3] - box[1]) + 1e-4
    area = (box[0] - pad_lon, box[1] - pad_lat, box[2] + pad_lon, box[3] + pad_lat)
    chosen = bm.tiles_in(area, export_zooms(bm, box, 1900, 930))
    m.add_child(BasemapLayer(bm, tiles=chosen, attribution=attribution, lang=lang))


class _ScaleBar(_RawRender, MacroElement):
    """Leaflet's scale bar in metres and kilometres only (no feet or miles), bottom left."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({{ this.options_js }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, max_width: int = 150) -> None:
        super().__init__()
        self._name = "HotspotScale"
        self.options_js = _js_literal(
            {
                "metric": True,
                "imperial": False,
                "maxWidth": int(max_width),
                "position": "bottomleft",
            }
        )


def add_layer_control(m: folium.Map, *, collapsed: bool = False) -> folium.LayerControl:
    """Add Leaflet's layer switcher (overlays only; the basemap is not switchable)."""
    control = folium.LayerControl(collapsed=collapsed)
    m.add_child(control)
    return control


def add_boundary(
    m: folium.Map,
    boundary: gpd.GeoDataFrame,
    *,
    lang: str = "en",
    name: str | None = None,
    simplify_m: float = 5.0,
) -> HotspotLayer:
    """Outline of the study area (dashed, not filled, not clickable).

    Parameters
    ----------
    boundary : GeoDataFrame
        Polygon(s) of the study area, any CRS.
    simplify_m : float
        Simplification tolerance in metres (0 keeps every vertex; detailed administrative
        boundaries weigh megabytes otherwise).
    """
    _check_lang(lang)
    if not 0.0 <= simplify_m <= 1000.0:
        raise ParameterError(f"simplify_m must be 0 .. 1000 metres; got {simplify_m}")
    gdf = _as_wgs84(boundary, "boundary")
    fg = HotspotLayer(name or t("layer.boundary", lang))
    geoms = gdf.geometry
    if simplify_m > 0 and len(gdf):
        # degrees of latitude per metre; longitude is at most this coarse too
        geoms = geoms.simplify(simplify_m / 111_320.0, preserve_topology=True)
    _ClassedGeoJson(
        _feature_collection(geoms, {}),
        [
            {
                "color": BOUNDARY_COLOUR,
                "weight": 2,
                "dashArray": "6 4",
                "fill": False,
                "fillOpacity": 0,
            }
        ],
        interactive=False,
    ).add_to(fg)
    fg.stats = {"boundary_parts": len(gdf)}
    fg.add_to(m)
    return fg
