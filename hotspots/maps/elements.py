"""Building blocks of every layer: raw-rendered Folium elements, GeoJSON written once with
class styles, tooltips, number formats and the checks the layer adders share."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.elements import ElementAddToElement
from folium.map import Layer
from folium.template import Template

from hotspots import i18n
from hotspots.errors import InputError, ParameterError
from hotspots.escape import escape_text
from hotspots.i18n import format_number
from hotspots.maps.settings import _GLYPHS, CLUSTER_FILL_OPACITY, COORD_DECIMALS, VENUE_STYLES
from hotspots.schema import CRS
from hotspots.tiles import PLAIN_BACKGROUND


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
.hs-far .hs-venue{{background-size:10px 10px;background-position:center}}
.hs-venue-cluster{{background:rgba(58,68,140,.85);border:2px solid #fff;border-radius:50%;
 color:#fff;font:bold 11px/14px "DejaVu Sans",Arial,sans-serif;display:flex;
 align-items:center;justify-content:center;box-sizing:border-box}}
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


#: Decodes :func:`_compact_polygons` into a GeoJSON FeatureCollection in the browser.
_DECODE_POLYGONS: Final = (
    "function (c) {var f = [], o = c.o, d = c.d, k = c.k, s = c.s, j = 0, n = o.length / 2;"
    "for (var i = 0; i < n; i++) {var x = o[2 * i], y = o[2 * i + 1], r = [[x * s, y * s]],"
    " m = typeof k === 'number' ? k : k[i];"
    "for (var v = 1; v < m; v++) {x += d[j++]; y += d[j++]; r.push([x * s, y * s]);}"
    "r.push(r[0]); var p = {}; for (var key in c.p) {p[key] = c.p[key][i];}"
    "f.push({type: 'Feature', id: i, geometry: {type: 'Polygon', coordinates: [r]},"
    " properties: p});}"
    "return {type: 'FeatureCollection', features: f};}"
)


def _compact_polygons(
    geoms: gpd.GeoSeries, properties: Mapping[str, Sequence[Any]]
) -> str | None:
    """Simple polygons (one ring, no holes: H3 cells) as compact JSON text, about a third of
    their GeoJSON: coordinates as integers of 10^-COORD_DECIMALS degree, each ring's first
    vertex absolute (``o``) and the others as differences from the one before (``d``), its
    closing vertex left out, vertices per ring ``k`` (one number when all rings have as many),
    the properties as columns (``p``). ``None`` when some geometry is not such a polygon.
    :data:`_DECODE_POLYGONS` turns it back into the GeoJSON of :func:`_feature_collection`."""
    arr = _rounded(geoms)
    if len(arr) == 0:
        return None
    simple = (shapely.get_type_id(arr) == 3) & (shapely.get_num_interior_rings(arr) == 0)
    if not simple.all():
        return None
    rings = shapely.get_exterior_ring(arr)
    xy, index = shapely.get_coordinates(rings, return_index=True)
    scale = 10**COORD_DECIMALS
    ints = np.rint(xy * scale).astype(np.int64)
    per = np.bincount(index, minlength=len(arr))  # vertices per ring, closing one included
    ends = np.cumsum(per)
    starts = ends - per
    keep = np.ones(len(ints), dtype=bool)
    keep[ends - 1] = False  # the closing vertex repeats the first
    steps = np.diff(ints, axis=0, prepend=ints[:1])
    inner = keep.copy()
    inner[starts] = False
    k = per - 1
    columns = []
    for name, values in properties.items():
        col = _json_values(values)
        if len(col) != len(arr):
            raise InputError(f"property {name!r}: {len(col)} values for {len(arr)} shapes")
        columns.append(_json_str(str(name)) + ":[" + ",".join(col) + "]")
    k_text = str(int(k[0])) if (k == k[0]).all() else "[" + ",".join(map(str, k.tolist())) + "]"
    text = (
        '{"s":' + repr(1.0 / scale)
        + ',"k":' + k_text
        + ',"o":[' + ",".join(map(str, ints[starts].ravel().tolist())) + "]"
        + ',"d":[' + ",".join(map(str, steps[inner].ravel().tolist())) + "]"
        + ',"p":{' + ",".join(columns) + "}}"
    )  # fmt: skip
    return _script_safe(text)


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
            {%- if this.canvas %}
            renderer: L.canvas({padding: 0.5}),
            {%- endif %}
            style: function (feature) {
                var c = feature.properties && feature.properties._c;
                return {{ this.get_name() }}_styles[c || 0];
            },
            ...{{ this.options|tojavascript }}
        });
        {%- if this.highlight_js %}
        // one pair of handlers on the layer, not two per feature: the features' mouse events
        // reach it (a quarter of the time a city's 6,000 cells took to draw went to these)
        {{ this.get_name() }}.on({
            mouseout: function (e) {
                var l = e.propagatedFrom || e.layer;
                if (l && typeof l.setStyle === "function") {
                    {{ this.get_name() }}.resetStyle(l);
                }
            },
            mouseover: function (e) {
                var l = e.propagatedFrom || e.layer;
                if (l && typeof l.setStyle === "function") {
                    l.setStyle({{ this.highlight_js }});
                }
            }
        });
        {%- endif %}
        {%- if this.compact_js %}
        {{ this.get_name() }}.addData(({{ this.decode_js }})({{ this.compact_js }}));
        {%- else %}
        {{ this.get_name() }}.addData({{ this.data_js }});
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        text: str | Callable[[], str],
        styles: Sequence[Mapping[str, Any]],
        *,
        highlight: Mapping[str, Any] | None = None,
        tooltip: folium.GeoJsonTooltip | None = None,
        compact: str | None = None,
        canvas: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__({"type": "FeatureCollection", "features": []}, tooltip=tooltip, **kwargs)
        # drawn on one <canvas> instead of an SVG path per feature (big layers)
        self.canvas = bool(canvas)
        # the GeoJSON text, or a function making it when first needed (a layer sent as
        # ``compact`` text never needs it on a page)
        self._text: str | Callable[[], str] | None = text
        # the same features as :func:`_compact_polygons` text, sent instead of ``text``
        self._compact = compact
        self.decode_js = _DECODE_POLYGONS
        self._data: dict[str, Any] | None = None
        self.styles = [dict(st) for st in styles]
        self.highlight_style = dict(highlight) if highlight else None
        self.styles_js = _js_literal(self.styles)
        self.highlight_js = _js_literal(self.highlight_style) if highlight else ""

    @property
    def data(self) -> dict[str, Any]:  # type: ignore[override]
        """The FeatureCollection as a dict (parsed on first use)."""
        if self._data is None:
            text = self._geojson_text()
            self._data = json.loads(text) if text else {}
        return self._data

    def _geojson_text(self) -> str | None:
        if callable(self._text):
            self._text = self._text()
        return self._text

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        self._data, self._text, self._compact = value, None, None

    @property
    def compact_js(self) -> str:
        """The compact text of the features, or "" (then :attr:`data_js` is sent). Not used
        once :attr:`data` was read, which may have been changed since."""
        return self._compact if self._compact and self._data is None else ""

    @property
    def data_js(self) -> str:
        """The data as JSON for the script (the text made once, unless :attr:`data` was
        read, and so possibly changed, since)."""
        if self._data is None and self._text is not None:
            return self._geojson_text()
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


#: Polygon layers with more features than this are drawn on a canvas: thousands of SVG paths
#: (one DOM element each, styled and laid out by the browser) took most of the 0.5-1 s a
#: browser spent drawing a city's 6,000 cells after a filter change.
CANVAS_MIN_POLYGONS: Final = 1000


def _polygons_layer(
    fg: folium.FeatureGroup,
    geoms: gpd.GeoSeries,
    fields: Mapping[str, tuple[str, Sequence[Any]]],
    colours: Sequence[str],
    *,
    fill_opacity: float,
    weight: float = 0.6,
    line_colour: str = "#ffffff",
    compact: bool = False,
) -> None:
    """Polygons coloured by class (``colours[i]`` for feature i) with a field tooltip.

    ``fields`` maps a property name to (escaped label, values); values must already be safe
    to show as HTML (numbers or escaped text). With ``compact``, simple polygons (H3 cells)
    go to the page as :func:`_compact_polygons` text, decoded in the browser.
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
    def text() -> str:
        return _feature_collection(geoms, props)

    tooltip = None
    if fields:
        tooltip = _FieldTooltip(
            fields=list(fields),
            aliases=[label for label, _ in fields.values()],
            labels=True,
            sticky=True,
        )
    _ClassedGeoJson(
        # the GeoJSON text only when asked for: the page gets the compact text instead
        text if compact else text(),
        styles,
        highlight={"weight": 2.5, "color": "#222222"},
        tooltip=tooltip,
        compact=_compact_polygons(geoms, props) if compact else None,
        canvas=len(geoms) > CANVAS_MIN_POLYGONS,
    ).add_to(fg)
