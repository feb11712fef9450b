"""Folium maps of hotspots: cells, density, clusters, Gi*, venues and calls, in three languages.

Every layer adder takes a map and a (Geo)DataFrame, adds one ``FeatureGroup`` (a
:class:`HotspotLayer`, whose ``stats`` say what it shows) and returns it. :func:`build_map`
assembles the layers a :class:`MapSpec` asks for and returns the map with the counts shown.

Rules the builders keep, so the app and the exports need not think about them:

- **Escaping.** Every data-derived string (venue names, offense labels, cluster summaries,
  caption text) is escaped once here with :func:`hotspots.escape.escape_text` before it reaches
  a tooltip, legend or caption; callers pass raw text.
- **Offline.** No layer loads anything from the internet: no Font Awesome (venue icons are inline
  SVG), no HeatMap plugin (density is a PNG image inside the page), no branca colormap (its
  legend loads d3; legends here are plain HTML). :func:`hotspots.assets.make_offline` then
  replaces Folium's own CDN scripts; :func:`map_html` and :func:`save_map` do both.
- **Size.** The page stays under 5 MB whatever the number of calls: calls are drawn one by one
  only up to ``max_points`` and are otherwise counted in H3 cells, cells are capped at
  ``max_cells``, coordinates are rounded to 1e-5 degree (about 1 m), and the density surface is a
  single image.
- **Rendering.** The layers' elements render their script as text (:class:`_RawRender`), not
  through branca's ``Element(output)``, which reads every element's output again as a Jinja
  template: slow for big layers, and data containing ``{{ ... }}`` would be evaluated on the
  server. Polygons carry their colour class; the page holds one style per class
  (:class:`_ClassedGeoJson`), not one per feature.
- **Presenter mode.** Individual calls are never drawn and cells (and clusters) with fewer than
  ``min_count`` calls are left out, so no single address can be read off the map. In
  :func:`build_map` the rules of :mod:`hotspots.privacy` apply besides: cluster outlines are
  replaced by the 0.001° lattice cells they cover (a buffered hull gives its calls back), the
  density surface is masked where fewer than K calls lie within the bandwidth (a lone call
  draws no heat and no contour) and its contours are drawn again from the masked surface,
  keeping those of K calls or more.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import folium
import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.elements import ElementAddToElement
from folium.map import Layer
from folium.template import Template
from PIL import Image
from scipy import ndimage

from hotspots import grid, i18n, privacy
from hotspots.assets import make_offline
from hotspots.errors import InputError, ParameterError
from hotspots.escape import escape_text
from hotspots.i18n import format_number, offense_label, t, venue_label
from hotspots.projection import to_lonlat
from hotspots.schema import CRS
from hotspots.tiles import PLAIN_BACKGROUND, TileConfig

#: Layers :func:`build_map` knows, in drawing order (later ones on top).
LAYERS: Final = ("density", "cells", "gistar", "clusters", "boundary", "calls", "venues")
#: Most cells drawn in one layer (about 300 bytes each in the page).
MAX_CELLS: Final = 6000
#: Most cells drawn by all the polygon layers of one :func:`build_map` page together
#: (about 3.6 MB), shared equally between the cell layers that are on.
CELL_BUDGET: Final = 12_000
#: Most venues drawn (about 90 bytes each).
MAX_VENUES: Final = 20_000
#: Most individual points :func:`add_calls` may be asked to draw.
MAX_POINTS_LIMIT: Final = 20_000
#: Decimal places kept in coordinates (1e-5 degree is about 1.1 m).
COORD_DECIMALS: Final = 5
#: Size budget of a map page, bytes (the issue's target).
PAGE_BUDGET: Final = 5_000_000

#: Map corner of each layer's legend. The layer switcher takes the top right corner and the
#: scale bar the bottom left one; the legends share the two bottom corners, so with every
#: layer on neither stack runs up under the switcher (Leaflet stacks a corner's controls, it
#: does not keep them apart from another corner's).
LEGEND_POSITIONS: Final = {
    "density": "bottomright",
    "cells": "bottomright",
    "calls": "bottomright",
    "gistar": "bottomleft",
    "clusters": "bottomleft",
    "venues": "bottomleft",
}

#: ArcGIS Pro's Hot Spot Analysis colours, by Gi_Bin (-3 .. 3); 0 (not significant) is not drawn.
GISTAR_COLOURS: Final = {
    3: "#d62f27",
    2: "#ed7551",
    1: "#fab984",
    0: "#ffffbf",
    -1: "#c0ccbe",
    -2: "#849eba",
    -3: "#4575b5",
}
_GISTAR_KEYS: Final = {
    3: "gistar.hot_99",
    2: "gistar.hot_95",
    1: "gistar.hot_90",
    0: "gistar.not_significant",
    -1: "gistar.cold_90",
    -2: "gistar.cold_95",
    -3: "gistar.cold_99",
}

#: Colour of each canonical offense type for individual calls (ColorBrewer Set1/Dark2).
OFFENSE_COLOURS: Final = {
    "theft": "#1f78b4",
    "hooliganism": "#e31a1c",
    "fight": "#ff7f00",
    "public_order": "#6a3d9a",
    "traffic": "#33a02c",
    "other": "#666666",
}
_OTHER_COLOUR: Final = "#888888"

CLUSTER_COLOUR: Final = "#6a3d9a"
#: Fill opacity of the cluster outlines (the legend's swatch shows the same).
CLUSTER_FILL_OPACITY: Final = 0.25
BOUNDARY_COLOUR: Final = "#333333"

# Venue icons: a coloured disc with a white glyph (24 x 24 SVG, strokes), one per kind. Inline
# SVG in CSS classes: no icon font to download, and each marker only names its class.
_GLYPHS: Final = {
    "cafe": "M6 9h9v4a4 4 0 0 1-4 4h-1a4 4 0 0 1-4-4z M15 10h1.5a2 2 0 0 1 0 4H15",
    "restaurant": "M8 6v12 M6.5 6v4a1.5 1.5 0 0 0 3 0V6 M15.5 18V6c-1.8 1-2.5 3-2.5 6h2.5",
    "tea_house": "M6 11h12a6 6 0 0 1-12 0z M10 8c0-1 1-1 1-2.5 M13.5 8c0-1 1-1 1-2.5",
    "bar": "M6 6h12l-6 7z M12 13v5 M9 18h6",
    "square": "M8 19V5 M8 5h8l-2 3 2 3H8",
    "park": "M12 4.5a4.5 4.5 0 0 1 0 9a4.5 4.5 0 0 1 0-9z M12 13.5v6",
    "market": "M5 10l1.5-4h11L19 10z M6.5 10v8h11v-8 M10.5 18v-4h3v4",
    "bus_station": "M7 5.5h10v10H7z M7 11h10 M9 15.5v2.5 M15 15.5v2.5",
    "landmark": "M12 5l2 4.5 4.8.5-3.6 3.2 1 4.8-4.2-2.5-4.2 2.5 1-4.8L5.2 10l4.8-.5z",
    "other": "M12 9a3 3 0 0 1 0 6a3 3 0 0 1 0-6z",
}
#: Disc colour and glyph of each venue kind (kinds not listed use "other").
VENUE_STYLES: Final = {
    "cafe": ("#8c510a", "cafe"),
    "restaurant": ("#d95f02", "restaurant"),
    "tea_house": ("#01665e", "tea_house"),
    "bar": ("#7b3294", "bar"),
    "pub": ("#7b3294", "bar"),
    "nightclub": ("#40004b", "bar"),
    "square": ("#4d4d4d", "square"),
    "park": ("#1a9641", "park"),
    "market": ("#b8860b", "market"),
    "bus_station": ("#2166ac", "bus_station"),
    "station": ("#2166ac", "bus_station"),
    "landmark": ("#525252", "landmark"),
    "public_space": ("#525252", "square"),
    "other": ("#737373", "other"),
}


# ------------------------------------------------------------------------------------------
# Small pieces
# ------------------------------------------------------------------------------------------


class _Raw(Element):
    """Text already rendered. Unlike ``Element(text)`` (what branca's ``MacroElement.render``
    wraps every element's output in) it is not compiled and rendered again as a Jinja
    template: that second pass costs about as much as the map itself for large layers, and
    would evaluate any ``{{ ... }}`` or ``{% ... %}`` that data (a venue name, a tooltip) put
    into the output, on the server."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _RawRender(MacroElement):
    """Mixin: ``MacroElement.render`` with the ``header``/``html``/``script`` macros' output
    added as :class:`_Raw` text (see there). A :class:`folium.map.Layer` is also added to its
    parent, as ``Layer.render`` does."""

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise InputError("add the map element to a folium.Map before rendering it")
        if isinstance(self, Layer) and self.show:
            self.add_child(
                _AddTo(element_name=self.get_name(), element_parent_name=self._parent.get_name()),
                name=self.get_name() + "_add",
            )
        module = self._template.module
        for part in ("header", "html", "script"):
            macro = module.__dict__.get(part)
            if macro is not None:
                getattr(figure, part).add_child(_Raw(macro(self, kwargs)), name=self.get_name())
        for child in list(self._children.values()):
            child.render(**kwargs)


class _AddTo(_RawRender, ElementAddToElement):
    """``layer.addTo(parent)``, rendered raw."""


class HotspotLayer(_RawRender, folium.FeatureGroup):
    """A ``folium.FeatureGroup`` that also records what it shows in :attr:`stats`.

    ``stats`` is a plain dict, e.g. ``{"cells_shown": 812, "cells_suppressed": 40}``; for the
    calls layer ``stats["mode"]`` is ``"points"``, ``"cells"`` or ``"none"``.
    """

    def __init__(self, name: str, *, show: bool = True, control: bool = True) -> None:
        super().__init__(name=escape_text(name), show=show, control=control)
        self.stats: dict[str, Any] = {}


#: Compact UTF-8 JSON (one encoder: ``json.dumps`` with options builds one per call).
_JSON: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
#: A string as JSON text, as ``_JSON`` writes it (the C function behind it).
_json_str: Final = json.encoder.encode_basestring


def _js_literal(obj: Any) -> str:
    """JSON for a ``<script>`` block: compact, UTF-8, with ``< > & '`` and line separators
    escaped so no data can end the script element."""
    return _script_safe(_JSON.encode(obj))


def _script_safe(text: str) -> str:
    """JSON text with ``< > & '`` and the line separators as ``\\u`` escapes (same JSON)."""
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _svg_icon(colour: str, glyph: str) -> str:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">'
        f'<circle cx="12" cy="12" r="11" fill="{colour}" stroke="#fff" stroke-width="1.5"/>'
        f'<path d="{_GLYPHS[glyph]}" fill="none" stroke="#fff" stroke-width="1.6" '
        'stroke-linecap="round" stroke-linejoin="round"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _map_css() -> str:
    icons = "\n".join(
        f".hs-venue-{kind}{{background-image:url({_svg_icon(colour, glyph)})}}"
        for kind, (colour, glyph) in VENUE_STYLES.items()
    )
    return f"""<style>
div.leaflet-container{{background:{PLAIN_BACKGROUND};font-family:"DejaVu Sans",Arial,sans-serif}}
.hs-legend{{background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;
 box-shadow:0 1px 4px rgba(0,0,0,.3);font-size:12px;line-height:1.35;max-width:260px}}
.hs-legend .hs-title{{font-weight:bold;margin-bottom:3px}}
.hs-legend .hs-row{{display:flex;align-items:center;gap:6px;margin:1px 0}}
.hs-legend .hs-note{{color:#555;font-size:11px;margin-top:3px}}
.hs-swatch{{display:inline-block;width:14px;height:14px;border:1px solid rgba(0,0,0,.35);
 flex:none}}
.hs-dot{{border-radius:50%}}
.hs-outline{{position:relative;border-width:2px;border-style:solid}}
.hs-outline>span{{position:absolute;inset:0;opacity:{CLUSTER_FILL_OPACITY}}}
@media (max-height:760px){{
.hs-legend{{font-size:11px;line-height:1.2;padding:4px 7px}}
.hs-legend .hs-note{{font-size:10px}}
.hs-swatch,.hs-legend .hs-venue{{width:11px;height:11px;background-size:11px 11px}}
.leaflet-control-layers-expanded{{font-size:11px;line-height:1.3;padding:4px 8px 4px 6px}}
}}
.hs-caption{{position:absolute;top:10px;left:50%;transform:translateX(-50%);z-index:1000;
 background:rgba(255,255,255,.93);padding:6px 14px;border-radius:4px;text-align:center;
 box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:70%;font-size:13px;line-height:1.35}}
.hs-caption .hs-title{{font-size:18px;font-weight:bold}}
.hs-venue{{background-size:22px 22px;background-repeat:no-repeat;width:22px;height:22px}}
.hs-legend .hs-venue{{display:inline-block;flex:none;width:16px;height:16px;
 background-size:16px 16px}}
{icons}
</style>"""


def _ensure_css(m: folium.Map) -> None:
    """Add the maps' stylesheet (legend, caption, venue icons) to the page once."""
    header = m.get_root().header
    if "hotspots_css" not in header._children:
        header.add_child(_Raw(_map_css()), name="hotspots_css")


def _check_lang(lang: str) -> str:
    return i18n.check_lang(lang)


def _check_int(name: str, value: int, low: int, high: int, unit: str = "") -> int:
    if isinstance(value, bool) or int(value) != value or not low <= value <= high:
        suffix = f" {unit}" if unit else ""
        raise ParameterError(f"{name} must be an integer in {low} .. {high}{suffix}; got {value}")
    return int(value)


def _as_wgs84(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{what} must be a GeoDataFrame with a geometry column")
    if gdf.crs is None:
        raise InputError(f"{what} has no CRS: set it (EPSG:4326 for longitude/latitude)")
    out = gdf.to_crs(CRS) if not gdf.crs.equals(CRS) else gdf
    valid = ~(out.geometry.isna() | out.geometry.is_empty).to_numpy()
    return out if valid.all() else out[valid]  # no copy when nothing is dropped


def _rounded(geoms: gpd.GeoSeries) -> np.ndarray:
    """Geometries with coordinates rounded to :data:`COORD_DECIMALS` (vectorised)."""
    return shapely.transform(
        np.asarray(geoms.values, dtype=object), lambda xy: np.round(xy, COORD_DECIMALS)
    )


def _json_values(values: Sequence[Any]) -> list[str]:
    """Each value as JSON text (ints, floats, strings, None; NumPy scalars included)."""
    values = values.tolist() if isinstance(values, (np.ndarray, pd.Series)) else list(values)
    kinds = set(map(type, values))
    if kinds <= {str}:
        return list(map(_json_str, values))  # C: escapes quotes, backslashes, controls
    if kinds <= {int}:
        return list(map(str, values))
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(_json_str(v))
        elif isinstance(v, (bool, np.bool_)):
            out.append("true" if v else "false")
        elif isinstance(v, (int, np.integer)):
            out.append(str(int(v)))
        elif v is None:
            out.append("null")
        else:
            out.append(_JSON.encode(v.item() if isinstance(v, np.generic) else v))
    return out


def _feature_collection(geoms: gpd.GeoSeries, properties: Mapping[str, Sequence[Any]]) -> str:
    """A compact GeoJSON FeatureCollection with integer ids and only the given properties, as
    JSON text safe inside a ``<script>`` block (see :func:`_script_safe`).

    The text is assembled from GEOS's GeoJSON of each geometry and the values' JSON: no
    Python dict per feature is built, parsed or encoded again."""
    texts = shapely.to_geojson(_rounded(geoms)).tolist()
    columns = []
    for name, values in properties.items():
        key = _json_str(str(name)) + ":"
        col = _json_values(values)
        if len(col) != len(texts):
            raise InputError(f"property {name!r}: {len(col)} values for {len(texts)} shapes")
        columns.append([key + v for v in col])
    props = map(",".join, zip(*columns, strict=True)) if columns else [""] * len(texts)
    head = '{"type":"Feature","id":'
    features = ",".join(
        f'{head}{i},"geometry":{g},"properties":{{{p}}}}}'
        for i, (g, p) in enumerate(zip(texts, props, strict=True))
    )
    return _script_safe(f'{{"type":"FeatureCollection","features":[{features}]}}')


class _ClassedGeoJson(_RawRender, folium.GeoJson):
    """A ``folium.GeoJson`` whose features are styled by class in the browser.

    Folium's ``GeoJson(style_function=...)`` calls the function for every feature when the
    page renders, JSON-encodes each result and writes a ``switch`` with one ``case`` per
    feature id; the data is a dict encoded again on every render. Here the data is JSON
    text made once (:func:`_feature_collection`), each feature carries its class in the
    ``_c`` property (absent: class 0), and the page holds one style per class, looked up by
    a constant JavaScript function. :attr:`data` (the parsed dict) and :meth:`style_function`
    remain for inspection, as in Folium.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }}_styles = {{ this.styles_js }};
        var {{ this.get_name() }} = L.geoJson(null, {
            style: function (feature) {
                var c = feature.properties && feature.properties._c;
                return {{ this.get_name() }}_styles[c || 0];
            },
            {%- if this.highlight_js %}
            onEachFeature: function (feature, layer) {
                layer.on({
                    mouseout: function (e) {
                        if (typeof e.target.setStyle === "function") {
                            {{ this.get_name() }}.resetStyle(e.target);
                        }
                    },
                    mouseover: function (e) {
                        if (typeof e.target.setStyle === "function") {
                            e.target.setStyle({{ this.highlight_js }});
                        }
                    }
                });
            },
            {%- endif %}
            ...{{ this.options|tojavascript }}
        });
        {{ this.get_name() }}.addData({{ this.data_js }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        text: str,
        styles: Sequence[Mapping[str, Any]],
        *,
        highlight: Mapping[str, Any] | None = None,
        tooltip: folium.GeoJsonTooltip | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__({"type": "FeatureCollection", "features": []}, tooltip=tooltip, **kwargs)
        self._text: str | None = text
        self._data: dict[str, Any] | None = None
        self.styles = [dict(st) for st in styles]
        self.highlight_style = dict(highlight) if highlight else None
        self.styles_js = _js_literal(self.styles)
        self.highlight_js = _js_literal(self.highlight_style) if highlight else ""

    @property
    def data(self) -> dict[str, Any]:  # type: ignore[override]
        """The FeatureCollection as a dict (parsed on first use)."""
        if self._data is None:
            self._data = json.loads(self._text) if self._text else {}
        return self._data

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        self._data, self._text = value, None

    @property
    def data_js(self) -> str:
        """The data as JSON for the script (the text made once, unless :attr:`data` was
        read, and so possibly changed, since)."""
        if self._data is None and self._text is not None:
            return self._text
        return _js_literal(self._data)

    def style_function(self, feature: Mapping[str, Any]) -> dict[str, Any]:
        """The style the page gives ``feature`` (that of its ``_c`` class)."""
        return dict(self.styles[int((feature.get("properties") or {}).get("_c") or 0)])

    def highlight_function(self, feature: Mapping[str, Any]) -> dict[str, Any] | None:
        """The style of ``feature`` under the mouse (None: no highlight)."""
        return dict(self.highlight_style) if self.highlight_style else None


class _FieldTooltip(_RawRender, folium.GeoJsonTooltip):
    """``folium.GeoJsonTooltip`` rendered raw, without re-reading the layer's data (the
    fields are checked where the layer is built, in :func:`_polygons_layer`)."""

    _css: Final = (
        "<style>.{c} table{{margin:auto}}.{c} tr{{text-align:left}}"
        ".{c} th{{padding:2px;padding-right:8px}}</style>"
    )

    def render(self, **kwargs: Any) -> None:
        self.get_root().header.add_child(
            _Raw(self._css.format(c=self.class_name)), name=self.get_name() + "tablestyle"
        )
        super().render(**kwargs)


def _fmt_float(values: pd.Series | np.ndarray, lang: str, decimals: int) -> list[str]:
    arr = np.asarray(values, dtype=float)
    finite = np.isfinite(arr)
    text = np.char.mod(f"%.{decimals}f", np.where(finite, arr, 0.0))
    if lang != "en":
        text = np.char.replace(text, ".", ",")
    return np.where(finite, text, "").tolist()


def _fmt_p(values: pd.Series | np.ndarray, lang: str) -> list[str]:
    """p-values with 3 decimals (as :func:`format_number`: no grouping below 1), ``< 0.001``
    below that, ``""`` when missing."""
    arr = np.asarray(values, dtype=float)
    text = np.asarray(_fmt_float(arr, lang, 3), dtype=object)
    text[arr < 0.001] = "< " + format_number(0.001, lang, 3)  # NaN compares False
    return text.tolist()


def class_breaks(values: np.ndarray, k: int = 6, *, integer: bool = True) -> np.ndarray:
    """Class edges for a choropleth: the distinct quantiles of ``values``.

    Parameters
    ----------
    values : array of float
        The values to classify (NaN ignored).
    k : int
        Most classes wanted (1-9); fewer when values repeat.
    integer : bool
        Round the inner edges up to integers (for counts).

    Returns
    -------
    ndarray
        Increasing edges ``e0 < e1 < ... < en`` with ``e0 = min`` and ``en = max``; class ``c``
        holds ``e_c <= v < e_{c+1}`` (the last class includes ``en``).

    Examples
    --------
    >>> class_breaks(np.array([1, 1, 1, 1, 2, 3, 10]), k=3).tolist()
    [1.0, 2.0, 10.0]
    """
    _check_int("k", k, 1, 9, "classes")
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.array([0.0, 0.0])
    edges = np.quantile(v, np.linspace(0.0, 1.0, k + 1))
    if integer:
        edges = np.ceil(edges)
    edges[0], edges[-1] = v.min(), v.max()
    edges = np.unique(edges)
    if edges.size == 1:
        edges = np.array([edges[0], edges[0]])
    return edges


def classify(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Class index (0 .. len(edges) - 2) of each value for the edges of :func:`class_breaks`."""
    n_classes = max(len(edges) - 1, 1)
    idx = np.searchsorted(edges[1:-1], np.asarray(values, dtype=float), side="right")
    return np.clip(idx, 0, n_classes - 1)


def _class_labels(edges: np.ndarray, lang: str, integer: bool) -> list[str]:
    labels = []
    n = max(len(edges) - 1, 1)
    for c in range(n):
        lo, hi = edges[c], edges[min(c + 1, len(edges) - 1)]
        last = c == n - 1
        if integer:
            top = hi if last else hi - 1
            lo_s, top_s = format_number(lo, lang), format_number(top, lang)
            labels.append(lo_s if top <= lo else f"{lo_s} – {top_s}")
        else:
            labels.append(f"{format_number(lo, lang, 1)} – {format_number(hi, lang, 1)}")
    return labels


def _palette(n: int, name: str = "YlOrRd", low: float = 0.15) -> list[str]:
    cmap = matplotlib.colormaps[name]
    if n == 1:
        return [matplotlib.colors.to_hex(cmap(0.7))]
    return [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(low, 1.0, n)]


# ------------------------------------------------------------------------------------------
# Legend and caption
# ------------------------------------------------------------------------------------------


class _Legend(_RawRender, MacroElement):
    """A Leaflet control holding legend HTML; hidden with its layer in the layer control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "hs-legend");
                div.innerHTML = {{ this.html_js }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
            {%- if this.layer %}
            var layer = {{ this.layer.get_name() }};
            function sync() {
                legend.getContainer().style.display = map.hasLayer(layer) ? "" : "none";
            }
            map.on("overlayadd overlayremove", sync);
            sync();
            {%- endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str, layer: folium.FeatureGroup | None) -> None:
        super().__init__()
        self._name = "HotspotLegend"
        self.html_js = _js_literal(html)
        self.position = position
        self.layer = layer


def add_legend(
    m: folium.Map,
    items: Iterable[tuple[str, str]],
    title: str,
    *,
    note: str | None = None,
    layer: folium.FeatureGroup | None = None,
    shape: str = "square",
    position: str = "bottomright",
) -> MacroElement:
    """Add a legend box: a title, then one row per ``(colour, label)`` item.

    Parameters
    ----------
    m : folium.Map
    items : iterable of (str, str)
        CSS colour (``"#d62f27"``, ``"transparent"``) and label, or ``("venue:<kind>", label)``
        for a venue icon. Labels and title are plain text (escaped here).
    title : str
        Legend title (plain text).
    note : str, optional
        Small print under the items (e.g. the suppression rule).
    layer : FeatureGroup, optional
        The legend is shown only while this layer is on.
    shape : {"square", "dot", "outline"}
        Swatch shape: a filled square, a dot, or a square outlined in the colour with a
        translucent fill (as the cluster polygons are drawn).
    position : {"bottomright", "bottomleft", "topright", "topleft"}

    Returns
    -------
    MacroElement
        The legend element (already on the map).
    """
    if position not in ("bottomright", "bottomleft", "topright", "topleft"):
        raise ParameterError(f"legend position must be a Leaflet corner; got {position!r}")
    if shape not in ("square", "dot", "outline"):
        raise ParameterError(f"legend shape must be 'square', 'dot' or 'outline'; got {shape!r}")
    _ensure_css(m)
    rows = []
    for colour, label in items:
        if colour.startswith("venue:"):
            kind = colour.split(":", 1)[1]
            kind = kind if kind in VENUE_STYLES else "other"
            swatch = f'<span class="hs-venue hs-venue-{kind}"></span>'
        elif shape == "outline":
            colour_css = escape_text(colour)
            swatch = (
                f'<span class="hs-swatch hs-outline" style="border-color:{colour_css}">'
                f'<span style="background:{colour_css}"></span></span>'
            )
        else:
            colour_css = escape_text(colour)
            cls = "hs-swatch hs-dot" if shape == "dot" else "hs-swatch"
            swatch = f'<span class="{cls}" style="background:{colour_css}"></span>'
        rows.append(f'<div class="hs-row">{swatch}<span>{escape_text(label)}</span></div>')
    html = f'<div class="hs-title">{escape_text(title)}</div>' + "".join(rows)
    if note:
        html += f'<div class="hs-note">{escape_text(note)}</div>'
    legend = _Legend(html, position, layer)
    m.add_child(legend)
    return legend


class _Caption(_RawRender, MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var div = L.DomUtil.create("div", "hs-caption", map.getContainer());
            div.innerHTML = {{ this.html_js }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "HotspotCaption"
        self.html_js = _js_literal(html)


def add_caption(m: folium.Map, title: str, lines: Iterable[str] = ()) -> MacroElement:
    """Print a title and lines (period, filters, parameters, source) at the top of the map.

    For briefing maps and exports: what is shown and how it was made, so the map can be
    reproduced. ``title`` and ``lines`` are plain text (escaped here).

    Examples
    --------
    >>> m = base_map((43.3, 68.25), 13, tiles=TileConfig.none())
    >>> _ = add_caption(m, "Calls, 2023", ["Filters: theft", "H3 resolution 9"])
    """
    _ensure_css(m)
    html = f'<div class="hs-title">{escape_text(title)}</div>' + "".join(
        f"<div>{escape_text(line)}</div>" for line in lines
    )
    caption = _Caption(html)
    m.add_child(caption)
    return caption


# ------------------------------------------------------------------------------------------
# Base map and simple layers
# ------------------------------------------------------------------------------------------


def base_map(
    center: tuple[float, float],
    zoom: int = 12,
    *,
    tiles: TileConfig | None = None,
    width: str | int = "100%",
    height: str | int = "100%",
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
    if tiles.enabled:
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


def _polygons_layer(
    fg: folium.FeatureGroup,
    geoms: gpd.GeoSeries,
    fields: Mapping[str, tuple[str, Sequence[Any]]],
    colours: Sequence[str],
    *,
    fill_opacity: float,
    weight: float = 0.6,
    line_colour: str = "#ffffff",
) -> None:
    """Polygons coloured by class (``colours[i]`` for feature i) with a field tooltip.

    ``fields`` maps a property name to (escaped label, values); values must already be safe
    to show as HTML (numbers or escaped text).
    """
    props: dict[str, Sequence[Any]] = {k: v for k, (_, v) in fields.items()}
    uniq = sorted(set(colours))
    if len(uniq) > 1:
        code = {c: i for i, c in enumerate(uniq)}
        props["_c"] = [code[c] for c in colours]
    styles = [
        {"fillColor": c, "color": line_colour, "weight": weight, "fillOpacity": fill_opacity}
        for c in uniq
    ]
    tooltip = None
    if fields:
        tooltip = _FieldTooltip(
            fields=list(fields),
            aliases=[label for label, _ in fields.values()],
            labels=True,
            sticky=True,
        )
    _ClassedGeoJson(
        _feature_collection(geoms, props),
        styles,
        highlight={"weight": 2.5, "color": "#222222"},
        tooltip=tooltip,
    ).add_to(fg)


def add_cells(
    m: folium.Map,
    cells: gpd.GeoDataFrame,
    value: str = "count",
    *,
    min_count: int = 1,
    lang: str = "en",
    name: str | None = None,
    classes: int = 6,
    max_cells: int = MAX_CELLS,
    palette: str = "YlOrRd",
    legend: bool = True,
    show: bool = True,
) -> HotspotLayer:
    """Cells (H3 hexagons or any polygons) coloured by ``value`` in quantile classes.

    Parameters
    ----------
    cells : GeoDataFrame
        One polygon per cell with the ``value`` column (and ``count`` if ``value`` is another
        measure, e.g. a rate).
    value : str
        Column that colours the cells; the tooltip shows it (and ``count``).
    min_count : int
        Cells with fewer calls (``count``, else ``value``) are not drawn: the minimum-count
        suppression of presenter mode (K). 1 draws every cell with a call.
    lang : {"kk", "ru", "en"}
    classes : int
        Most colour classes (1-9).
    max_cells : int
        Most cells drawn (the highest values); keeps the page small.
    legend : bool
        Add the legend box.

    Returns
    -------
    HotspotLayer
        ``stats``: ``cells_shown``, ``cells_suppressed`` (below ``min_count``),
        ``cells_dropped`` (beyond ``max_cells``), ``calls_shown`` (sum of ``count`` shown).
    """
    _check_lang(lang)
    _check_int("min_count", min_count, 1, 1_000_000, "calls")
    _check_int("max_cells", max_cells, 1, 50_000, "cells")
    gdf = _as_wgs84(cells, "cells")
    if value not in gdf.columns:
        raise InputError(f"cells has no {value!r} column: pass value= one of {list(gdf.columns)}")
    count_col = "count" if "count" in gdf.columns else value
    counts = pd.to_numeric(gdf[count_col], errors="coerce").fillna(0).to_numpy()
    keep = counts >= min_count
    suppressed = int((~keep & (counts > 0)).sum())
    gdf = gdf[keep]
    vals = pd.to_numeric(gdf[value], errors="coerce").to_numpy(dtype=float)
    dropped = 0
    if len(gdf) > max_cells:
        order = np.argsort(-vals, kind="stable")[:max_cells]
        dropped = len(gdf) - max_cells
        gdf, vals = gdf.iloc[np.sort(order)], vals[np.sort(order)]
    fg = HotspotLayer(name or t("layer.cells", lang), show=show)
    integer = bool(np.all(np.isfinite(vals)) and np.allclose(vals, np.round(vals)))
    if len(gdf):
        edges = class_breaks(vals, classes, integer=integer)
        cls = classify(vals, edges)
        colours = _palette(len(edges) - 1, palette)
        fields: dict[str, tuple[str, Sequence[Any]]] = {}
        label_key = f"tip.{value}" if i18n.has_key(f"tip.{value}", lang) else None
        value_label = t(label_key, lang) if label_key else value
        if integer:
            fields[value] = (escape_text(value_label), [int(v) for v in vals])
        else:
            fields[value] = (escape_text(value_label), _fmt_float(vals, lang, 2))
        if count_col != value:
            fields["count"] = (
                escape_text(t("tip.count", lang)),
                [int(c) for c in pd.to_numeric(gdf["count"]).fillna(0)],
            )
        _polygons_layer(fg, gdf.geometry, fields, [colours[c] for c in cls], fill_opacity=0.65)
        if legend:
            legend_title = t("legend.calls_per_cell", lang) if value == "count" else value_label
            note = t("legend.suppressed", lang, k=min_count) if min_count > 1 else None
            add_legend(
                m,
                list(zip(colours, _class_labels(edges, lang, integer), strict=True)),
                legend_title,
                note=note,
                layer=fg,
                position=LEGEND_POSITIONS["cells"],
            )
    shown_counts = pd.to_numeric(gdf[count_col], errors="coerce").fillna(0)
    fg.stats = {
        "cells_shown": len(gdf),
        "cells_suppressed": suppressed,
        "cells_dropped": dropped,
        "calls_shown": int(shown_counts.sum()) if count_col == "count" else None,
    }
    # The legend refers to the group, so the group must be on the map before it renders.
    _insert_before_legends(m, fg)
    return fg


def _insert_before_legends(m: folium.Map, fg: folium.FeatureGroup) -> None:
    """Add ``fg`` to ``m`` ahead of the legends that refer to it (script order matters)."""
    m.add_child(fg)
    children = m._children
    key = fg.get_name()
    item = children.pop(key)
    items = list(children.items())
    first_legend = next(
        (i for i, (_, c) in enumerate(items) if isinstance(c, _Legend) and c.layer is fg),
        len(items),
    )
    items.insert(first_legend, (key, item))
    children.clear()
    children.update(items)


# ------------------------------------------------------------------------------------------
# Kernel density
# ------------------------------------------------------------------------------------------


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = 6_378_137.0
    lat = np.clip(lat, -85.0, 85.0)
    return r * np.radians(lon), r * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def _inverse_mercator_lat(y: np.ndarray) -> np.ndarray:
    return np.degrees(2 * np.arctan(np.exp(np.asarray(y) / 6_378_137.0)) - np.pi / 2)


def _grid_lonlat(surface: Any, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = surface.cell_centres_lonlat()
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ny, nx = shape
    if lon.shape == shape and lat.shape == shape:
        return lon, lat
    if lon.size == ny * nx and lat.size == ny * nx:
        return lon.reshape(shape), lat.reshape(shape)
    raise InputError(
        "surface.cell_centres_lonlat() must give one longitude and latitude per grid cell"
    )


#: Every this many rows and columns a cell centre is used to place the density image (with
#: every cell on the grid's edge): a smooth mapping needs a few thousand points, not all.
_FIT_STRIDE: Final = 8


def _fit_cells(shape: tuple[int, int], stride: int = _FIT_STRIDE) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the cells whose centres place the image: every cell on the
    grid's edge (where the extremes of the Mercator coordinates lie) and every ``stride``-th
    row and column inside."""
    ny, nx = shape
    rs = np.unique(np.r_[np.arange(0, ny, stride), ny - 1])
    cs = np.unique(np.r_[np.arange(0, nx, stride), nx - 1])
    rr, cc = np.meshgrid(rs, cs, indexing="ij")
    cols_all, rows_all = np.arange(nx), np.arange(ny)
    r = np.r_[rr.ravel(), np.zeros(nx, int), np.full(nx, ny - 1), rows_all, rows_all]
    c = np.r_[cc.ravel(), cols_all, cols_all, np.zeros(ny, int), np.full(ny, nx - 1)]
    flat = np.unique(r * nx + c)
    return flat // nx, flat % nx


def _sampled_lonlat(
    surface: Any, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns, longitudes and latitudes of the :func:`_fit_cells` centres.

    A :class:`hotspots.density.DensitySurface` (``cell_centres()`` in metres and ``crs``)
    has only those centres projected; any other surface gives all its centres with
    ``cell_centres_lonlat()``."""
    rows, cols = _fit_cells(shape)
    if callable(getattr(surface, "cell_centres", None)) and getattr(surface, "crs", None):
        x, y = surface.cell_centres()
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if x.shape == shape and y.shape == shape:
            lon, lat = to_lonlat(x[rows, cols], y[rows, cols], surface.crs)
            return rows, cols, lon, lat
    lon, lat = _grid_lonlat(surface, shape)
    return rows, cols, lon[rows, cols], lat[rows, cols]


def density_image(
    values: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    palette: str = "YlOrRd",
    floor: float = 0.05,
    vmax: float | None = None,
    max_pixels: int = 1024,
) -> tuple[np.ndarray, list[list[float]]]:
    """Colour a density grid and resample it to Web Mercator for a Leaflet image overlay.

    The grid is regular in a local metric CRS, not in longitude/latitude; Leaflet stretches
    an image linearly in Web Mercator between its corners. A second-order polynomial fitted
    from the cell centres' Mercator coordinates to grid indices (exact to well under a metre
    over a city) gives, for every output pixel, where to sample the grid (bilinear).

    Parameters
    ----------
    values : ndarray (ny, nx)
        Density, calls per km² (NaN treated as 0).
    lon, lat : ndarray (ny, nx)
        Longitude and latitude of the cell centres, degrees.
    palette : str
        Matplotlib colormap.
    floor : float
        Share of ``vmax`` below which pixels are fully transparent (0-1).
    vmax : float, optional
        Value of the top colour (the maximum by default).
    max_pixels : int
        Longest side of the image, pixels.

    Returns
    -------
    rgba : ndarray (h, w, 4) uint8
        The image, north up.
    bounds : [[south, west], [north, east]]
        Its corners, degrees.
    """
    vals = np.asarray(values, dtype=float)
    if vals.ndim != 2 or vals.shape != np.shape(lon) or vals.shape != np.shape(lat):
        raise InputError("density values, lon and lat must be 2-D arrays of the same shape")
    rows, cols = np.indices(vals.shape)
    return _density_image(
        vals,
        rows.ravel(),
        cols.ravel(),
        np.asarray(lon, dtype=float).ravel(),
        np.asarray(lat, dtype=float).ravel(),
        palette=palette,
        floor=floor,
        vmax=vmax,
        max_pixels=max_pixels,
    )


def _density_image(
    values: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    palette: str,
    floor: float,
    vmax: float | None,
    max_pixels: int,
) -> tuple[np.ndarray, list[list[float]]]:
    """:func:`density_image` from the centres of some cells: those at ``rows``, ``cols``
    (every cell on the grid's edge among them, so the extent is exact)."""
    if not 0.0 <= floor < 1.0:
        raise ParameterError(f"floor must be in 0 .. 1 (share of the maximum); got {floor}")
    _check_int("max_pixels", max_pixels, 16, 4096, "pixels")
    vals = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    ny, nx = vals.shape
    mx, my = _mercator(lon, lat)
    cx, cy = mx.mean(), my.mean()
    scale = max(np.ptp(mx), np.ptp(my), 1.0)
    u, v = (mx - cx) / scale, (my - cy) / scale

    def design(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones_like(a), a, b, a * a, a * b, b * b])

    basis = design(u, v)
    coef_r = np.linalg.lstsq(basis, rows.astype(float), rcond=None)[0]
    coef_c = np.linalg.lstsq(basis, cols.astype(float), rcond=None)[0]
    # Output extent: the centres' extent plus half a cell on every side.
    half_x = np.ptp(mx) / max(nx - 1, 1) / 2 if nx > 1 else 50.0
    half_y = np.ptp(my) / max(ny - 1, 1) / 2 if ny > 1 else 50.0
    x0, x1 = mx.min() - half_x, mx.max() + half_x
    y0, y1 = my.min() - half_y, my.max() + half_y
    side = max(nx, ny)
    step = max((x1 - x0), (y1 - y0)) / min(side, max_pixels)
    w = max(int(np.ceil((x1 - x0) / step)), 1)
    h = max(int(np.ceil((y1 - y0) / step)), 1)
    px = x0 + (np.arange(w) + 0.5) * (x1 - x0) / w
    py = y1 - (np.arange(h) + 0.5) * (y1 - y0) / h  # north first
    gx, gy = np.meshgrid((px - cx) / scale, (py - cy) / scale)
    out_basis = design(gx.ravel(), gy.ravel())
    src_r = out_basis @ coef_r
    src_c = out_basis @ coef_c
    sampled = ndimage.map_coordinates(vals, [src_r, src_c], order=1, mode="constant", cval=0.0)
    outside = (src_r < -0.5) | (src_r > ny - 0.5) | (src_c < -0.5) | (src_c > nx - 0.5)
    sampled[outside] = 0.0
    sampled = sampled.reshape(h, w)
    top = float(np.nanmax(vals)) if vmax is None else float(vmax)
    norm = np.clip(sampled / top, 0.0, 1.0) if top > 0 else np.zeros_like(sampled)
    rgba = matplotlib.colormaps[palette](norm)
    alpha = np.where(norm < floor, 0.0, 0.35 + 0.5 * norm)
    rgba[..., 3] = alpha
    image = np.round(rgba * 255).astype(np.uint8)
    south, north = _inverse_mercator_lat(np.array([y0, y1]))
    west, east = np.degrees(np.array([x0, x1]) / 6_378_137.0)
    return image, [[float(south), float(west)], [float(north), float(east)]]


class _ImageOverlay(_RawRender, folium.raster_layers.ImageOverlay):
    """``folium.raster_layers.ImageOverlay`` rendered raw (its script holds the whole PNG)."""


def png_data_uri(rgba: np.ndarray) -> str:
    """``data:image/png;base64`` URL of an RGBA uint8 image."""
    buf = io.BytesIO()
    # zlib's default level: within 1 % of optimize=True's size, in a third of the time
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def add_density(
    m: folium.Map,
    surface: Any,
    *,
    contours: gpd.GeoDataFrame | None = None,
    lang: str = "en",
    name: str | None = None,
    palette: str = "YlOrRd",
    floor: float = 0.05,
    top_quantile: float = 0.99,
    opacity: float = 0.85,
    legend: bool = True,
    show: bool = True,
) -> HotspotLayer:
    """Kernel-density surface as a heat image, with optional hotspot contours.

    Parameters
    ----------
    surface : DensitySurface
        Any object with ``values`` (2-D array, calls per km²) and ``cell_centres_lonlat()``
        (longitudes and latitudes of the cell centres), as made by :mod:`hotspots.density`.
    contours : GeoDataFrame, optional
        Polygons to outline (e.g. ``surface.contours(top_area=0.05)``); their numeric columns
        (``hotspot``, ``incidents``, ``area_km2``, ``peak``, ``threshold``, ``top_area`` ...)
        appear in the tooltip.
    floor : float
        Share of the top colour's value below which the surface is transparent.
    top_quantile : float
        The top colour is reached at this quantile of the positive densities (0.5-1; 1 = the
        maximum). Crime densities are very peaked: scaled to the maximum, one market would
        leave the rest of the city blank.
    opacity : float
        Opacity of the image (0-1).

    Returns
    -------
    HotspotLayer
        ``stats``: ``density_max`` and ``colour_max`` (value of the top colour), calls per
        km²; ``image_pixels``, ``contours_shown``.
    """
    _check_lang(lang)
    if not 0.0 < opacity <= 1.0:
        raise ParameterError(f"opacity must be in (0, 1]; got {opacity}")
    if not 0.5 <= top_quantile <= 1.0:
        raise ParameterError(f"top_quantile must be in 0.5 .. 1; got {top_quantile}")
    values = np.asarray(surface.values, dtype=float)
    if values.ndim != 2:
        raise InputError("surface.values must be a 2-D grid of densities (calls per km²)")
    rows, cols, lon, lat = _sampled_lonlat(surface, values.shape)
    fg = HotspotLayer(name or t("layer.density", lang), show=show)
    finite = values[np.isfinite(values) & (values > 0)]
    dmax = float(finite.max()) if finite.size else 0.0
    vmax = float(np.quantile(finite, top_quantile)) if finite.size else 0.0
    stats: dict[str, Any] = {
        "density_max": dmax,
        "colour_max": vmax,
        "image_pixels": 0,
        "contours_shown": 0,
    }
    if vmax > 0:
        rgba, bounds = _density_image(
            values,
            rows,
            cols,
            lon,
            lat,
            palette=palette,
            floor=floor,
            vmax=vmax,
            max_pixels=1024,
        )
        _ImageOverlay(
            image=png_data_uri(rgba),
            bounds=bounds,
            opacity=opacity,
            interactive=False,
            cross_origin=False,
            pixelated=False,
            zindex=1,
        ).add_to(fg)
        stats["image_pixels"] = int(rgba.shape[0] * rgba.shape[1])
    if contours is not None and len(contours):
        gdf = _as_wgs84(contours, "contours")
        fields: dict[str, tuple[str, Sequence[Any]]] = {}
        for col in gdf.columns:
            if col == gdf.geometry.name or not pd.api.types.is_numeric_dtype(gdf[col]):
                continue
            key = f"tip.{col}"
            label = escape_text(t(key, lang) if i18n.has_key(key, lang) else str(col))
            if pd.api.types.is_integer_dtype(gdf[col]):
                fields[str(col)] = (label, [int(v) for v in gdf[col]])
            elif col in ("top_area", "share"):  # shares shown as percentages
                fields[str(col)] = (label, [f"{v} %" for v in _fmt_float(gdf[col] * 100, lang, 1)])
            else:
                fields[str(col)] = (label, _fmt_float(gdf[col], lang, 1))
        _polygons_layer(
            fg,
            gdf.geometry,
            fields,
            ["#7f0000"] * len(gdf),
            fill_opacity=0.0,
            weight=2.0,
            line_colour="#7f0000",
        )
        stats["contours_shown"] = len(gdf)
    fg.stats = stats
    if legend and vmax > 0:
        fracs = np.array([floor, 0.25, 0.5, 0.75, 1.0])
        cmap = matplotlib.colormaps[palette]
        items = [
            (matplotlib.colors.to_hex(cmap(f)), format_number(f * vmax, lang, 1)) for f in fracs
        ]
        if dmax > vmax:  # the top colour stands for everything above it
            top = t(
                "legend.at_least_max", lang, value=items[-1][1], max=format_number(dmax, lang, 1)
            )
            items[-1] = (items[-1][0], top)
        add_legend(
            m, items, t("legend.density", lang), layer=fg, position=LEGEND_POSITIONS["density"]
        )
    _insert_before_legends(m, fg)
    return fg


# ------------------------------------------------------------------------------------------
# Clusters and Gi*
# ------------------------------------------------------------------------------------------


_OFFENSE_SHARES = re.compile(r"^\s*([a-z0-9_]+) (\d+%)\s*$")


def _format_offenses(value: Any, lang: str, limit: int = 3) -> str:
    """Dominant offenses as escaped, translated text.

    Accepts the text of :func:`hotspots.clusters.summarize_clusters` (``"hooliganism 40%,
    fight 25%"``: the keys are translated), a list of keys, ``(key, n)`` pairs or a mapping.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str):
        parts = [_OFFENSE_SHARES.match(p) for p in value.split(",")]
        if value.strip() and all(parts):
            value = ", ".join(f"{offense_label(p[1], lang)} {p[2]}" for p in parts if p)
        return escape_text(value)
    items = list(value.items()) if isinstance(value, Mapping) else list(value)
    parts = []
    for item in items[:limit]:
        if isinstance(item, (tuple, list)) and len(item) == 2:
            key, n = item
            parts.append(f"{offense_label(key, lang)} ({format_number(n, lang)})")
        else:
            parts.append(offense_label(item, lang))
    return escape_text(", ".join(parts))


def _format_names(value: Any, limit: int = 5) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str):
        return escape_text(value)
    names = [str(v) for v in value]
    text = ", ".join(names[:limit]) + (" …" if len(names) > limit else "")
    return escape_text(text)


def add_clusters(
    m: folium.Map,
    clusters: gpd.GeoDataFrame,
    *,
    min_count: int = 1,
    lang: str = "en",
    name: str | None = None,
    legend: bool = True,
    show: bool = True,
) -> HotspotLayer:
    """DBSCAN clusters as outlined polygons with a summary tooltip, and their legend.

    Parameters
    ----------
    clusters : GeoDataFrame
        One polygon per cluster, as :func:`hotspots.clusters.summarize_clusters` makes:
        ``n_incidents`` and optionally ``cluster``, ``area_m2``, ``years``, ``top_offenses``
        (its text ``"theft 40%, fight 25%"``, offense keys, ``(key, n)`` pairs or a mapping) and
        ``venues`` (text or a list of names).
    min_count : int
        Clusters with fewer calls are not drawn (presenter-mode suppression).
    legend : bool
        Add the legend box (the outline's swatch; the suppression rule when ``min_count`` > 1).

    Returns
    -------
    HotspotLayer
        ``stats``: ``clusters_shown``, ``clusters_suppressed``, ``calls_shown``.
    """
    _check_lang(lang)
    _check_int("min_count", min_count, 1, 1_000_000, "calls")
    gdf = _as_wgs84(clusters, "clusters")
    if "n_incidents" not in gdf.columns:
        raise InputError("clusters needs an 'n_incidents' column (calls in each cluster)")
    n = pd.to_numeric(gdf["n_incidents"], errors="coerce").fillna(0).astype(int)
    keep = (n >= min_count).to_numpy()
    suppressed = int((~keep).sum())
    gdf, n = gdf[keep], n[keep]
    fg = HotspotLayer(name or t("layer.clusters", lang), show=show)
    if len(gdf):
        fields: dict[str, tuple[str, Sequence[Any]]] = {}
        id_col = next((c for c in ("cluster", "cluster_id", "label") if c in gdf.columns), None)
        if id_col is not None:
            fields["cluster"] = (
                escape_text(t("tip.cluster", lang)),
                [escape_text(v) for v in gdf[id_col]],
            )
        fields["n_incidents"] = (escape_text(t("tip.n_incidents", lang)), n.tolist())
        if "area_m2" in gdf.columns:
            area_km2 = pd.to_numeric(gdf["area_m2"], errors="coerce") / 1e6
            fields["area_km2"] = (
                escape_text(t("tip.area_km2", lang)),
                _fmt_float(area_km2, lang, 3),
            )
        if "years" in gdf.columns:
            fields["years"] = (
                escape_text(t("tip.years", lang)),
                [escape_text(v) for v in gdf["years"]],
            )
        if "top_offenses" in gdf.columns:
            fields["top_offenses"] = (
                escape_text(t("tip.top_offenses", lang)),
                [_format_offenses(v, lang) for v in gdf["top_offenses"]],
            )
        if "venues" in gdf.columns:
            fields["venues"] = (
                escape_text(t("tip.venues", lang)),
                [_format_names(v) for v in gdf["venues"]],
            )
        _polygons_layer(
            fg,
            gdf.geometry,
            fields,
            [CLUSTER_COLOUR] * len(gdf),
            fill_opacity=CLUSTER_FILL_OPACITY,
            weight=2.0,
            line_colour=CLUSTER_COLOUR,
        )
    fg.stats = {
        "clusters_shown": len(gdf),
        "clusters_suppressed": suppressed,
        "calls_shown": int(n.sum()),
    }
    if legend and len(gdf):
        add_legend(
            m,
            [(CLUSTER_COLOUR, t("legend.cluster_area", lang))],
            t("legend.clusters", lang),
            layer=fg,
            shape="outline",
            position=LEGEND_POSITIONS["clusters"],
        )
    _insert_before_legends(m, fg)
    return fg


def add_gistar(
    m: folium.Map,
    gi: gpd.GeoDataFrame,
    *,
    min_count: int = 1,
    lang: str = "en",
    name: str | None = None,
    max_cells: int = MAX_CELLS,
    legend: bool = True,
    show: bool = True,
) -> HotspotLayer:
    """Getis-Ord Gi* hot and cold cells, coloured as ArcGIS Pro (red hot, blue cold).

    Parameters
    ----------
    gi : GeoDataFrame
        ``cell``, ``count``, ``z``, ``p``, ``p_fdr``, ``bin`` (-3 .. 3: cold 99/95/90 %,
        not significant, hot 90/95/99 %) and polygons, as :func:`hotspots.gistar.gistar_cells`
        makes. Not-significant cells (bin 0) are not drawn (transparent).
    min_count : int
        Presenter-mode suppression: cells with fewer calls are still coloured (Gi* describes
        the neighbourhood, not the cell) but their tooltip says "fewer than K" instead of the
        count.

    Returns
    -------
    HotspotLayer
        ``stats``: ``gistar_hot``, ``gistar_cold`` (cells drawn), ``gistar_not_significant``,
        ``gistar_dropped`` (significant cells beyond ``max_cells``, the smallest ``|z|``).
    """
    _check_lang(lang)
    _check_int("min_count", min_count, 1, 1_000_000, "calls")
    gdf = _as_wgs84(gi, "gi")
    for col in ("bin", "z"):
        if col not in gdf.columns:
            raise InputError(f"gi needs a {col!r} column (from hotspots.gistar.gistar_cells)")
    bins = pd.to_numeric(gdf["bin"], errors="coerce").fillna(0).astype(int).clip(-3, 3)
    significant = (bins != 0).to_numpy()
    n_not = int((~significant).sum())
    gdf, bins = gdf[significant], bins[significant]
    dropped = max(len(gdf) - max_cells, 0)
    if dropped:
        # keep the most significant cells (largest |z|)
        order = np.argsort(-np.abs(pd.to_numeric(gdf["z"]).to_numpy()), kind="stable")
        keep = np.sort(order[:max_cells])
        gdf, bins = gdf.iloc[keep], bins.iloc[keep]
    fg = HotspotLayer(name or t("layer.gistar", lang), show=show)
    if len(gdf):
        labels = {b: escape_text(t(key, lang)) for b, key in _GISTAR_KEYS.items()}
        fields: dict[str, tuple[str, Sequence[Any]]] = {
            "class": (escape_text(t("legend.gistar", lang)), [labels[b] for b in bins])
        }
        if "count" in gdf.columns:
            counts = pd.to_numeric(gdf["count"], errors="coerce").fillna(0).astype(int)
            fewer = escape_text(t("tip.fewer_than", lang, k=min_count))
            fields["count"] = (
                escape_text(t("tip.count", lang)),
                [int(c) if c >= min_count else fewer for c in counts],
            )
        fields["z"] = (escape_text(t("tip.z", lang)), _fmt_float(gdf["z"], lang, 2))
        for col in ("p", "p_sim", "p_fdr"):
            if col in gdf.columns:
                fields[col] = (escape_text(t(f"tip.{col}", lang)), _fmt_p(gdf[col], lang))
        _polygons_layer(
            fg, gdf.geometry, fields, [GISTAR_COLOURS[b] for b in bins], fill_opacity=0.7
        )
    fg.stats = {
        "gistar_hot": int((bins > 0).sum()),
        "gistar_cold": int((bins < 0).sum()),
        "gistar_not_significant": n_not,
        "gistar_dropped": dropped,
    }
    if legend:
        items = [
            (GISTAR_COLOURS[b] if b != 0 else "transparent", t(_GISTAR_KEYS[b], lang))
            for b in (3, 2, 1, 0, -1, -2, -3)
        ]
        add_legend(
            m, items, t("legend.gistar", lang), layer=fg, position=LEGEND_POSITIONS["gistar"]
        )
    _insert_before_legends(m, fg)
    return fg


# ------------------------------------------------------------------------------------------
# Points: venues and calls
# ------------------------------------------------------------------------------------------


class _VenueMarkers(_RawRender, MacroElement):
    """Venue icons (DivIcon with a CSS class per kind) and name tooltips, from one array."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }};
            var kinds = {{ this.kinds_js }};
            var rows = {{ this.rows_js }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                L.marker([r[0], r[1]], {
                    icon: L.divIcon({
                        className: "hs-venue hs-venue-" + kinds[r[2]],
                        iconSize: [22, 22],
                        iconAnchor: [11, 11],
                        html: ""
                    }),
                    keyboard: false
                }).bindTooltip(r[3], {direction: "top", offset: [0, -10]}).addTo(group);
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, kinds: list[str], rows: list[list[Any]]) -> None:
        super().__init__()
        self._name = "HotspotVenues"
        self.kinds_js = _js_literal(kinds)
        self.rows_js = _js_literal(rows)


def add_venues(
    m: folium.Map,
    venues: pd.DataFrame,
    *,
    lang: str = "en",
    name: str | None = None,
    count_col: str | None = None,
    min_count: int = 1,
    kinds: Iterable[str] | None = None,
    max_venues: int = MAX_VENUES,
    legend: bool = True,
    show: bool = True,
) -> HotspotLayer:
    """Venues (cafés, restaurants, tea houses, bars, public spaces ...), an icon per kind.

    Parameters
    ----------
    venues : DataFrame
        Canonical venues: ``name``, ``kind``, ``lat``, ``lon`` (a GeoDataFrame's point
        geometry is used when ``lat``/``lon`` are absent).
    count_col : str, optional
        A column of calls per venue to show in the tooltip (e.g. from the venue ranking).
    min_count : int
        Counts below it read "< K" in the tooltip (presenter mode's K; 1 shows every count).
    kinds : iterable of str, optional
        Only these kinds.
    max_venues : int
        Most venues drawn (those with the most calls in ``count_col`` when given).

    Returns
    -------
    HotspotLayer
        ``stats``: ``venues_shown``, ``venues_dropped`` (beyond ``max_venues``),
        ``venue_kinds`` (kind -> number shown).
    """
    _check_lang(lang)
    _check_int("max_venues", max_venues, 1, 100_000, "venues")
    _check_int("min_count", min_count, 1, 1_000_000, "calls")
    frame = venues
    if ("lat" not in frame.columns or "lon" not in frame.columns) and isinstance(
        frame, gpd.GeoDataFrame
    ):
        pts = _as_wgs84(frame, "venues")
        frame = pd.DataFrame(pts.drop(columns=pts.geometry.name))
        frame["lat"], frame["lon"] = pts.geometry.y.to_numpy(), pts.geometry.x.to_numpy()
    for col in ("name", "kind", "lat", "lon"):
        if col not in frame.columns:
            raise InputError(f"venues needs a {col!r} column (see hotspots.schema)")
    if count_col is not None and count_col not in frame.columns:
        raise InputError(f"venues has no {count_col!r} column")
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    kind = frame["kind"].astype("string").fillna("other").str.lower().to_numpy(dtype=object)
    if kinds is not None:
        ok &= np.isin(kind, list(kinds))
    frame, lat, lon, kind = frame[ok], lat[ok], lon[ok], kind[ok]
    dropped = max(len(frame) - max_venues, 0)
    if dropped:
        if count_col is not None:  # keep the venues with the most calls
            keep = np.sort(
                np.argsort(-pd.to_numeric(frame[count_col]).fillna(0).to_numpy(), kind="stable")[
                    :max_venues
                ]
            )
        else:
            keep = np.arange(max_venues)
        frame, lat, lon, kind = frame.iloc[keep], lat[keep], lon[keep], kind[keep]
    fg = HotspotLayer(name or t("layer.venues", lang), show=show)
    styled = np.array([k if k in VENUE_STYLES else "other" for k in kind], dtype=object)
    kind_list = sorted(set(styled.tolist()))
    kind_index = {k: i for i, k in enumerate(kind_list)}
    names = [escape_text(v) for v in frame["name"]]
    labels = {k: escape_text(venue_label(k, lang)) for k in set(kind.tolist())}
    tips = [f"<b>{n}</b><br>{labels[k]}" for n, k in zip(names, kind, strict=True)]
    if count_col is not None:
        calls_label = escape_text(t("tip.calls_nearby", lang))
        counts = pd.to_numeric(frame[count_col], errors="coerce").fillna(0).astype(int)
        shown = privacy.suppress_counts(counts, min_count)
        tips = [
            f"{tip}<br>{calls_label}: {escape_text(c)}" for tip, c in zip(tips, shown, strict=True)
        ]
    rows = [
        [round(float(a), COORD_DECIMALS), round(float(b), COORD_DECIMALS), kind_index[s], tip]
        for a, b, s, tip in zip(lat, lon, styled, tips, strict=True)
    ]
    if rows:
        fg.add_child(_VenueMarkers(kind_list, rows))
    counts_by_kind = pd.Series(kind, dtype=object).value_counts()
    fg.stats = {
        "venues_shown": len(rows),
        "venues_dropped": dropped,
        "venue_kinds": {str(k): int(v) for k, v in counts_by_kind.items()},
    }
    if legend and rows:
        items = [
            (f"venue:{k if k in VENUE_STYLES else 'other'}", venue_label(k, lang))
            for k in counts_by_kind.index
        ]
        add_legend(
            m, items, t("legend.venues", lang), layer=fg, position=LEGEND_POSITIONS["venues"]
        )
    _insert_before_legends(m, fg)
    return fg


class _CallMarkers(_RawRender, MacroElement):
    """Individual calls as small circle markers (SVG paths), from one compact array."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }};
            var colours = {{ this.colours_js }};
            var labels = {{ this.labels_js }};
            var rows = {{ this.rows_js }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                L.circleMarker([r[0], r[1]], {
                    radius: 4, weight: 1, color: "#ffffff", fillColor: colours[r[2]],
                    fillOpacity: 0.85
                }).bindTooltip(labels[r[2]] + (r[3] ? "<br>" + r[3] : "")).addTo(group);
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, colours: list[str], labels: list[str], rows: list[list[Any]]) -> None:
        super().__init__()
        self._name = "HotspotCalls"
        self.colours_js = _js_literal(colours)
        self.labels_js = _js_literal(labels)
        self.rows_js = _js_literal(rows)


def _time_text(calls: pd.DataFrame) -> np.ndarray:
    """Occurrence time as text at the precision the source knows (vectorised)."""
    if "occurred_at" not in calls.columns:
        return np.full(len(calls), "", dtype=object)
    at = pd.to_datetime(calls["occurred_at"], errors="coerce")
    precision = (
        calls["time_precision"].astype("string").fillna("minute")
        if "time_precision" in calls.columns
        else pd.Series("minute", index=calls.index, dtype="string")
    )
    minute = at.dt.strftime("%Y-%m-%d %H:%M")
    hour = at.dt.strftime("%Y-%m-%d %H:00")
    day = at.dt.strftime("%Y-%m-%d")
    month = at.dt.strftime("%Y-%m")
    text = np.select(
        [
            precision.eq("month").to_numpy(),
            precision.eq("day").to_numpy(),
            precision.eq("hour").to_numpy(),
        ],
        [month.to_numpy(dtype=object), day.to_numpy(dtype=object), hour.to_numpy(dtype=object)],
        default=minute.to_numpy(dtype=object),
    )
    return np.where(at.isna().to_numpy(), "", text)


def h3_cell_counts(
    lat: np.ndarray, lon: np.ndarray, resolution: int, *, max_cells: int = MAX_CELLS
) -> tuple[pd.Series, int]:
    """Count points per H3 cell, coarsening the resolution until at most ``max_cells`` remain.

    Returns
    -------
    counts : Series
        Calls per cell, indexed by the H3 cell id (int).
    resolution : int
        The resolution used (``resolution`` or coarser).
    """
    _check_int("resolution", resolution, 0, 15)
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    res = resolution
    while True:
        # Re-bin the points at each resolution: H3 children do not tile their parent exactly,
        # so summing children into parents would put points near cell edges in the wrong cell.
        ids = grid.cell_ids(lat, lon, res)  # vectorised and exact (see hotspots.grid)
        uniq, n = np.unique(ids, return_counts=True)
        if len(uniq) <= max_cells or res == 0:
            return pd.Series(n, index=uniq.astype(np.uint64)), res
        # one resolution step divides the number of cells by about 7
        res = max(0, res - max(1, int(np.floor(np.log(len(uniq) / max_cells) / np.log(7)))))


def h3_cells_frame(counts: pd.Series) -> gpd.GeoDataFrame:
    """Hexagons (EPSG:4326) of H3 cells with their ``count``; ``cell`` is the H3 string id."""
    frame = pd.DataFrame(
        {"cell": grid.to_str(counts.index.to_numpy()), "count": counts.to_numpy(dtype=np.int64)}
    )
    return grid.cells_to_gdf(frame)


def _located(calls: pd.DataFrame) -> np.ndarray:
    """Mask of the calls with finite ``lat`` and ``lon``."""
    for col in ("lat", "lon"):
        if col not in calls.columns:
            raise InputError(f"calls needs a {col!r} column (see hotspots.schema)")
    lat = pd.to_numeric(calls["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(calls["lon"], errors="coerce").to_numpy(dtype=float)
    return np.isfinite(lat) & np.isfinite(lon)


def add_calls(
    m: folium.Map,
    calls: pd.DataFrame,
    max_points: int = 2000,
    *,
    lang: str = "en",
    presenter: bool = False,
    min_count: int = 1,
    resolution: int = 9,
    max_cells: int = MAX_CELLS,
    name: str | None = None,
    legend: bool = True,
    show: bool = True,
) -> HotspotLayer:
    """Individual calls when few enough to draw, otherwise their counts in H3 cells.

    Parameters
    ----------
    calls : DataFrame
        Canonical incidents (``lat``, ``lon``, ``offense``; ``occurred_at`` and
        ``time_precision`` for the tooltip).
    max_points : int
        Most calls drawn one by one (1 .. 20 000); above it they are aggregated.
    presenter : bool
        Never draw individual calls; cells with fewer than ``min_count`` calls are hidden.
    min_count : int
        Minimum-count suppression K for the aggregated cells (applied in presenter mode
        and whenever given above 1).
    resolution : int
        H3 resolution of the aggregation (0-15); coarsened if more than ``max_cells`` cells.

    Returns
    -------
    HotspotLayer
        ``stats["mode"]`` is ``"points"``, ``"cells"`` or ``"none"`` (no calls); also
        ``calls_total``, ``calls_shown`` (points drawn, or calls in the cells drawn),
        ``cells_shown``, ``cells_suppressed`` and ``resolution`` when aggregated.
    """
    _check_lang(lang)
    _check_int("max_points", max_points, 1, MAX_POINTS_LIMIT, "points")
    _check_int("min_count", min_count, 1, 1_000_000, "calls")
    ok = _located(calls)
    lat = pd.to_numeric(calls["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(calls["lon"], errors="coerce").to_numpy(dtype=float)
    total = int(ok.sum())
    if total == 0:
        fg = HotspotLayer(name or t("layer.calls", lang), show=show)
        fg.stats = {"mode": "none", "calls_total": 0, "calls_shown": 0}
        fg.add_to(m)
        return fg
    if presenter or total > max_points:
        counts, res = h3_cell_counts(lat[ok], lon[ok], resolution, max_cells=max_cells)
        fg = add_cells(
            m,
            h3_cells_frame(counts),
            "count",
            min_count=min_count,
            lang=lang,
            name=name or t("layer.calls_cells", lang),
            max_cells=max_cells,
            legend=legend,
            show=show,
        )
        fg.stats = {
            "mode": "cells",
            "calls_total": total,
            "calls_shown": fg.stats["calls_shown"],
            "cells_shown": fg.stats["cells_shown"],
            "cells_suppressed": fg.stats["cells_suppressed"],
            "cells_dropped": fg.stats["cells_dropped"],
            "resolution": res,
        }
        return fg
    sub = calls[ok]
    offense = (
        sub["offense"].astype("string").fillna("other").to_numpy(dtype=object)
        if "offense" in sub.columns
        else np.full(total, "other", dtype=object)
    )
    keys, codes = np.unique(offense.astype(str), return_inverse=True)
    colours = [OFFENSE_COLOURS.get(k, _OTHER_COLOUR) for k in keys]
    labels = [f"<b>{escape_text(offense_label(k, lang))}</b>" for k in keys]
    times = _time_text(sub)
    rows = [
        [a, b, int(c), s]
        for a, b, c, s in zip(
            np.round(lat[ok], COORD_DECIMALS).tolist(),
            np.round(lon[ok], COORD_DECIMALS).tolist(),
            codes.tolist(),
            times.tolist(),
            strict=True,
        )
    ]
    fg = HotspotLayer(name or t("layer.calls", lang), show=show)
    fg.add_child(_CallMarkers(colours, labels, rows))
    fg.stats = {"mode": "points", "calls_total": total, "calls_shown": total}
    if legend:
        order = np.argsort(-np.bincount(codes, minlength=len(keys)), kind="stable")
        items = [(colours[i], offense_label(keys[i], lang)) for i in order[:10]]
        add_legend(
            m,
            items,
            t("legend.calls", lang),
            layer=fg,
            shape="dot",
            position=LEGEND_POSITIONS["calls"],
        )
    _insert_before_legends(m, fg)
    return fg


# ------------------------------------------------------------------------------------------
# Assembly
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapSpec:
    """What :func:`build_map` draws.

    Attributes
    ----------
    layers : frozenset of str
        Layers to draw, from :data:`LAYERS` (those whose data is not given are skipped).
    hidden : frozenset of str
        Layers drawn but switched off in the layer control at first.
    lang : {"kk", "ru", "en"}
    presenter : bool
        Presenter mode: no individual calls, and cells/clusters with fewer than ``min_count``
        calls are left out.
    min_count : int
        K of the minimum-count suppression (used in presenter mode), calls.
    max_points : int
        Most calls drawn one by one outside presenter mode.
    resolution : int
        H3 resolution for aggregated calls.
    tiles : TileConfig
        Basemap.
    title : str, optional
        Caption title printed on the map (briefing maps); ``None`` for no caption.
    caption_lines : tuple of str
        Lines under the title (period, filters, parameters, source, date).
    center, zoom : optional
        Initial view; by default the map fits the data.
    layer_control : bool
        Add the layer switcher.
    """

    layers: frozenset[str] = frozenset({"boundary", "cells", "venues", "calls"})
    hidden: frozenset[str] = frozenset()
    lang: str = "en"
    presenter: bool = False
    min_count: int = 5
    max_points: int = 2000
    resolution: int = 9
    tiles: TileConfig = field(default_factory=TileConfig)
    title: str | None = None
    caption_lines: tuple[str, ...] = ()
    center: tuple[float, float] | None = None
    zoom: int | None = None
    layer_control: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.layers) - set(LAYERS)
        if unknown:
            raise ParameterError(
                f"layers must be among {', '.join(LAYERS)}; unknown: {', '.join(sorted(unknown))}"
            )
        _check_lang(self.lang)
        _check_int("min_count", self.min_count, 1, 1_000_000, "calls")
        _check_int("max_points", self.max_points, 1, MAX_POINTS_LIMIT, "points")
        _check_int("resolution", self.resolution, 0, 15)

    @property
    def k(self) -> int:
        """The suppression threshold in force (1 outside presenter mode)."""
        return self.min_count if self.presenter else 1


def _bounds_of(frames: Iterable[Any]) -> list[list[float]] | None:
    boxes = []
    for frame in frames:
        if frame is None or len(frame) == 0:
            continue
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None:
            b = _as_wgs84(frame, "layer").total_bounds
        elif {"lat", "lon"} <= set(frame.columns):
            lat = pd.to_numeric(frame["lat"], errors="coerce")
            lon = pd.to_numeric(frame["lon"], errors="coerce")
            b = np.array([lon.min(), lat.min(), lon.max(), lat.max()])
        else:
            continue
        if np.all(np.isfinite(b)):
            boxes.append(b)
    if not boxes:
        return None
    arr = np.vstack(boxes)
    return [
        [float(arr[:, 1].min()), float(arr[:, 0].min())],
        [float(arr[:, 3].max()), float(arr[:, 2].max())],
    ]


def _presenter_data(
    k: int,
    calls: pd.DataFrame | None,
    surface: Any,
    contours: gpd.GeoDataFrame | None,
    clusters: gpd.GeoDataFrame | None,
) -> tuple[Any, gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    """The density, its contours and the clusters as presenter mode may draw them
    (:mod:`hotspots.privacy`): the surface masked below K calls (by its own values, and by
    the calls within the bandwidth when they are given), contours drawn again from it with
    K calls or more, cluster outlines of K calls or more as lattice cells. A surface without
    its bandwidth and kernel (:func:`hotspots.privacy.maskable`) is not drawn."""
    if surface is not None and not privacy.maskable(surface):
        surface, contours = None, None  # a surface that cannot be masked is not drawn
    if surface is not None:
        located = calls is not None and len(calls) > 0
        surface = privacy.private_surface(
            surface,
            k,
            lat=pd.to_numeric(calls["lat"], errors="coerce").to_numpy(float) if located else None,
            lon=pd.to_numeric(calls["lon"], errors="coerce").to_numpy(float) if located else None,
        )
        if contours is not None and len(contours) and "top_area" in contours:
            contours = privacy.private_contours(surface, k, float(contours["top_area"].iloc[0]))
        elif contours is not None and len(contours):
            contours = None  # contours of another making cannot be checked: not drawn
    if clusters is not None and "n_incidents" in clusters:
        clusters = privacy.generalise_outlines(clusters, k)
    return surface, contours, clusters


def build_map(
    spec: MapSpec,
    *,
    calls: pd.DataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    surface: Any = None,
    contours: gpd.GeoDataFrame | None = None,
    clusters: gpd.GeoDataFrame | None = None,
    gistar: gpd.GeoDataFrame | None = None,
    venues: pd.DataFrame | None = None,
    boundary: gpd.GeoDataFrame | None = None,
) -> tuple[folium.Map, dict[str, Any]]:
    """Assemble a map from the layers of ``spec`` and the data given.

    The analyses are computed by the caller (and cached there); this only draws them.

    Returns
    -------
    map : folium.Map
    counts : dict
        What is shown: ``calls_total``, ``calls_shown``, ``calls_mode`` ("points", "cells",
        "none", or "hidden" when the calls layer is off), ``calls_cells`` (cells drawn for
        aggregated calls), ``cells_shown``, ``cells_suppressed`` (below K),
        ``cells_dropped`` (beyond the page's cell budget, see :data:`CELL_BUDGET`),
        ``clusters_shown``, ``gistar_hot``, ``gistar_cold``, ``venues_shown``,
        ``density_max``, ``min_count`` (K in force), ``layers`` (drawn).

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"lat": [43.30, 43.31], "lon": [68.25, 68.26],
    ...                       "offense": ["theft", "fight"]})
    >>> m, counts = build_map(MapSpec(layers=frozenset({"calls"}), tiles=TileConfig.none()),
    ...                       calls=calls)
    >>> counts["calls_mode"], counts["calls_shown"]
    ('points', 2)
    """
    lang, k = spec.lang, spec.k
    bounds = _bounds_of([boundary, calls, venues, cells, clusters, gistar])
    if spec.center is not None:
        center = spec.center
    elif bounds is not None:
        center = ((bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2)
    else:
        center = (0.0, 0.0)
    m = base_map(center, spec.zoom if spec.zoom is not None else 12, tiles=spec.tiles)
    if spec.zoom is None and spec.center is None and bounds is not None:
        m.fit_bounds(bounds, padding=(10, 10))
    counts: dict[str, Any] = {
        "calls_total": 0 if calls is None else len(calls),
        "calls_shown": 0,
        "calls_mode": "hidden",
        "cells_shown": 0,
        "cells_suppressed": 0,
        "cells_dropped": 0,
        "clusters_shown": 0,
        "gistar_hot": 0,
        "gistar_cold": 0,
        "venues_shown": 0,
        "calls_cells": 0,
        "density_max": None,
        "min_count": k,
        "layers": [],
    }

    def on(layer: str, data: Any) -> bool:
        return layer in spec.layers and data is not None

    def shown(layer: str) -> bool:
        return layer not in spec.hidden

    def draw_calls() -> None:
        fg = add_calls(
            m,
            calls,
            spec.max_points,
            lang=lang,
            presenter=spec.presenter,
            min_count=k,
            resolution=spec.resolution,
            max_cells=cap,
            show=shown("calls"),
        )
        counts["calls_shown"] = fg.stats["calls_shown"]
        counts["cells_dropped"] += fg.stats.get("cells_dropped", 0)
        counts["calls_mode"] = fg.stats["mode"]
        counts["calls_cells"] = fg.stats.get("cells_shown", 0)
        counts["layers"].append("calls")

    # Aggregated calls are polygons like the analysis layers: draw them underneath those;
    # individual calls go on top.
    calls_as_cells = on("calls", calls) and (
        spec.presenter or int(_located(calls).sum()) > spec.max_points
    )
    # Page budget: the cell layers that are on share CELL_BUDGET cells.
    cell_layers = sum([bool(calls_as_cells), on("cells", cells), on("gistar", gistar)])
    cap = min(MAX_CELLS, CELL_BUDGET // max(cell_layers, 1))

    if spec.presenter:
        surface, contours, clusters = _presenter_data(k, calls, surface, contours, clusters)
    if on("density", surface):
        fg = add_density(m, surface, contours=contours, lang=lang, show=shown("density"))
        counts["density_max"] = fg.stats["density_max"]
        counts["layers"].append("density")
    if calls_as_cells:
        draw_calls()
    if on("cells", cells):
        fg = add_cells(m, cells, min_count=k, lang=lang, max_cells=cap, show=shown("cells"))
        counts["cells_shown"] = fg.stats["cells_shown"]
        counts["cells_dropped"] += fg.stats["cells_dropped"]
        counts["cells_suppressed"] = fg.stats["cells_suppressed"]
        counts["layers"].append("cells")
    if on("gistar", gistar):
        fg = add_gistar(m, gistar, min_count=k, lang=lang, max_cells=cap, show=shown("gistar"))
        counts["gistar_hot"] = fg.stats["gistar_hot"]
        counts["cells_dropped"] += fg.stats["gistar_dropped"]
        counts["gistar_cold"] = fg.stats["gistar_cold"]
        counts["layers"].append("gistar")
    if on("clusters", clusters):
        fg = add_clusters(m, clusters, min_count=k, lang=lang, show=shown("clusters"))
        counts["clusters_shown"] = fg.stats["clusters_shown"]
        counts["layers"].append("clusters")
    if on("boundary", boundary):
        add_boundary(m, boundary, lang=lang)
        counts["layers"].append("boundary")
    if on("calls", calls) and not calls_as_cells:
        draw_calls()
    if on("venues", venues):
        fg = add_venues(m, venues, lang=lang, min_count=k, show=shown("venues"))
        counts["venues_shown"] = fg.stats["venues_shown"]
        counts["layers"].append("venues")
    if spec.title is not None:
        add_caption(m, spec.title, spec.caption_lines)
    if spec.layer_control:
        add_layer_control(m)
    return m, counts


def map_html(m: folium.Map, *, offline: bool = True) -> str:
    """The map as one HTML page; with ``offline`` every script and style is inside it."""
    if offline:
        make_offline(m, "inline")
    return m.get_root().render()


def save_map(m: folium.Map, path: Any, *, offline: bool = True) -> int:
    """Write the map as a standalone HTML file; returns its size in bytes."""
    html = map_html(m, offline=offline)
    data = html.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)
    return len(data)
