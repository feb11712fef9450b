"""The basemap on a Folium map: a local PMTiles/MBTiles file, served or carried in the page.

Vector tiles are drawn in the browser by protomaps-leaflet (vendored in ``hotspots/assets/``,
BSD-3-Clause; canvas, no WebGL) in its ``light`` flavour: grey streets and pale parks under
the coloured hotspot layers. Raster tiles are a Leaflet tile layer.

Two ways to reach the tiles:

- **served** (the app): the page asks the app's tile endpoint
  (:class:`hotspots.basemap.server.TileServer`) for byte ranges of the ``.pmtiles`` file (HTTP
  206) or for ``z/x/y`` images of an ``.mbtiles`` file;
- **embedded** (exported HTML, PNG, PDF): the tiles over the map's area are put in the page
  (base64), so the file opens anywhere with its basemap and makes no request.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from hotspots.basemap.archive import Basemap
from hotspots.basemap.tilemath import fit_zoom
from hotspots.maps.elements import _js_literal, _RawRender

PROTOMAPS_URL = "https://unpkg.com/protomaps-leaflet@5.1.0/dist/protomaps-leaflet.js"

#: The vector style (Protomaps schema): a light ground with mid-grey streets that stay
#: readable under the translucent hotspot colours (protomaps-leaflet's own "light" flavour
#: draws white streets, which vanish under them), pale green parks, street names from zoom 14.
STYLE_JS = """
function hotspotsStyle(P, lang) {
    function kind(f) { return f.props.kind; }
    var names = ["name:" + lang, "name"];
    var minorW = P.exp(1.6, [[12, 0.6], [14, 1.6], [16, 4], [18, 10]]);
    var majorW = P.exp(1.6, [[10, 1], [13, 2.4], [16, 6], [18, 14]]);
    return {
        background: "#f2efe9",
        paint: [
            {dataLayer: "earth", symbolizer: new P.PolygonSymbolizer({fill: "#f2efe9"})},
            {dataLayer: "landuse", symbolizer: new P.PolygonSymbolizer({fill: "#d3e6cc"}),
             filter: function (z, f) { return ["park", "forest", "wood", "grass", "cemetery",
                 "garden", "nature_reserve", "golf_course"].indexOf(kind(f)) >= 0; }},
            {dataLayer: "landuse", symbolizer: new P.PolygonSymbolizer({fill: "#e4ddd2"}),
             filter: function (z, f) { return kind(f) === "pedestrian"; }},
            {dataLayer: "water", symbolizer: new P.PolygonSymbolizer({fill: "#b9d3e6"})},
            {dataLayer: "buildings", minzoom: 15,
             symbolizer: new P.PolygonSymbolizer({fill: "#e0dbd3"})},
            {dataLayer: "roads", symbolizer: new P.LineSymbolizer({color: "#aaa49b",
                 width: minorW}),
             filter: function (z, f) { return ["minor_road", "other", "path"]
                 .indexOf(kind(f)) >= 0; }},
            {dataLayer: "roads", symbolizer: new P.LineSymbolizer({color: "#8b857c",
                 width: majorW}),
             filter: function (z, f) { return ["major_road", "highway"]
                 .indexOf(kind(f)) >= 0; }}
        ],
        labels: [
            {dataLayer: "roads", minzoom: 14, symbolizer: new P.LineLabelSymbolizer({
                labelProps: names, fill: "#4a4640", stroke: "#f7f5f1", width: 3,
                font: "600 12px sans-serif"})},
            {dataLayer: "places", maxzoom: 13, symbolizer: new P.CenteredTextSymbolizer({
                labelProps: names, fill: "#4a4640", stroke: "#ffffff", width: 2,
                font: "600 14px sans-serif"}),
             filter: function (z, f) { return kind(f) === "locality"; }}
        ]
    };
}
"""


class BasemapLayer(JSCSSMixin, _RawRender, MacroElement):
    """A basemap from a local file (vector or raster), served or embedded.

    Parameters
    ----------
    basemap : Basemap
    url : str, optional
        Where the app serves it: ``http://{host}:port/basemap/<id>.pmtiles`` (vector) or an
        XYZ template (raster); ``{host}`` is replaced in the browser by the page's host name.
    tiles : dict, optional
        ``(z, x, y) -> bytes`` carried in the page instead (exports).
    attribution : str
        HTML shown in the map's corner (operator configuration, not data).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var url = {{ this.url_js }};
            if (url) { url = url.replace("{host}", window.location.hostname || "localhost"); }
            var tiles = {{ this.tiles_js }};
            var opts = {{ this.options_js }};
            function bytes(b64) {
                var s = atob(b64), a = new Uint8Array(s.length);
                for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
                return a.buffer;
            }
            var layer;
            {{ this.style_js }}
            if (opts.vector) {
                var source = url;
                if (tiles) {
                    source = {getZxy: function (z, x, y) {
                        var t = tiles[z + "/" + x + "/" + y];
                        return Promise.resolve(t ? {data: bytes(t)} : undefined);
                    }};
                }
                var style = hotspotsStyle(protomapsL, opts.lang);
                layer = protomapsL.leafletLayer({url: source, paintRules: style.paint,
                    labelRules: style.labels, backgroundColor: style.background,
                    attribution: opts.attribution, maxDataZoom: opts.maxDataZoom});
            } else if (tiles) {
                var Embedded = L.TileLayer.extend({getTileUrl: function (c) {
                    var t = tiles[c.z + "/" + c.x + "/" + c.y];
                    return t ? "data:image/" + opts.format + ";base64," + t : L.Util.emptyImageUrl;
                }});
                layer = new Embedded("", {attribution: opts.attribution,
                    maxNativeZoom: opts.maxDataZoom, minNativeZoom: opts.minDataZoom,
                    maxZoom: 20});
            } else {
                layer = L.tileLayer(url, {attribution: opts.attribution,
                    maxNativeZoom: opts.maxDataZoom, minNativeZoom: opts.minDataZoom,
                    maxZoom: 20});
            }
            // the PNG/PDF renderer and the browser tests wait for "ready": every tile of the
            // current zoom drawn (vector tiles are drawn after the page's load event, and tiles
            // of a zoom left behind by fitBounds are cancelled, so Leaflet's "load" may not come)
            var box = map.getContainer();
            box.dataset.hsBasemap = "loading";
            layer.addTo(map);
            setInterval(function () {
                var done = true, any = false;
                for (var key in layer._tiles) {
                    var t = layer._tiles[key];
                    if (t.coords.z !== layer._tileZoom) continue;
                    any = true;
                    if (!t.loaded) { done = false; break; }
                }
                box.dataset.hsBasemap = done || !any ? "ready" : "loading";
            }, 150);
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        basemap: Basemap,
        *,
        url: str | None = None,
        tiles: dict[tuple[int, int, int], bytes] | None = None,
        attribution: str,
        lang: str = "en",
    ) -> None:
        super().__init__()
        self._name = "HotspotBasemap"
        self.basemap = basemap
        self.url_js = _js_literal(url)
        encoded = (
            {f"{z}/{x}/{y}": base64.b64encode(d).decode("ascii") for (z, x, y), d in tiles.items()}
            if tiles is not None
            else None
        )
        zooms = sorted({z for z, _, _ in tiles}) if tiles else []
        options: dict[str, Any] = {
            "vector": basemap.vector,
            "format": "jpeg" if basemap.tile_format == "jpg" else basemap.tile_format,
            "lang": lang,
            "attribution": attribution,
            "maxDataZoom": zooms[-1] if zooms else basemap.max_zoom,
            "minDataZoom": zooms[0] if zooms else basemap.min_zoom,
        }
        self.tiles_js = _js_literal(encoded)
        self.style_js = STYLE_JS
        self.options_js = _js_literal(options)
        # instance attribute: the script is only loaded for vector tiles
        self.default_js = [("protomaps_leaflet", PROTOMAPS_URL)] if basemap.vector else []
        self.n_tiles = len(tiles) if tiles is not None else 0


def export_zooms(
    basemap: Basemap, bounds: tuple[float, float, float, float], width: int, height: int
) -> list[int]:
    """Tile zooms to carry in an exported map of ``bounds`` shown at ``width`` x ``height``
    pixels: the fitted view's, two levels out and one in. Vector tiles are drawn from data one
    zoom below the view (protomaps-leaflet's 512-pixel tiles)."""
    z = fit_zoom(bounds, width, height)
    shift = 1 if basemap.vector else 0
    lo, hi = math.floor(z) - 2 - shift, math.ceil(z) + 1 - shift
    return [k for k in range(max(lo, basemap.min_zoom), min(hi, basemap.max_zoom) + 1)]
