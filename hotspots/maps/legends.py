"""Legends (HTML boxes tied to their layer), colour classes and the caption of briefing maps."""

from __future__ import annotations

from collections.abc import Iterable

import folium
import matplotlib
import numpy as np
from branca.element import MacroElement
from folium.template import Template

from hotspots.errors import ParameterError
from hotspots.escape import escape_text
from hotspots.i18n import format_number
from hotspots.maps.elements import _check_int, _ensure_css, _js_literal, _RawRender
from hotspots.maps.settings import VENUE_STYLES

#: Class-break methods of :func:`class_breaks`.
BREAK_METHODS = ("headtail", "quantile")


def head_tail_edges(values: np.ndarray, k: int = 6, *, head_share: float = 0.4) -> np.ndarray:
    """Head/tail breaks (Jiang 2013) for heavy-tailed values such as calls per cell.

    Split at the mean; the values above it (the head) are split again at their own mean, and
    so on while the head is a minority (at most ``head_share`` of its part) and has more than
    one value, up to ``k`` classes. The top class then holds only the true peak, where
    quantile classes put a third of the city in the darkest colour.

    Returns
    -------
    ndarray
        ``[min, mean_1, mean_2, ..., max]`` (raw inner edges, not rounded).

    Examples
    --------
    >>> head_tail_edges(np.array([1, 1, 1, 1, 2, 2, 3, 4, 10, 40]), k=6).tolist()
    [1.0, 6.5, 40.0]
    """
    _check_int("k", k, 1, 9, "classes")
    if not 0.0 < head_share < 1.0:
        raise ParameterError(f"head_share must be between 0 and 1; got {head_share}")
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.array([0.0, 0.0])
    edges = [float(v.min())]
    part = v
    while len(edges) < k and part.size > 1:
        mean = float(part.mean())
        head = part[part > mean]
        if head.size == 0 or head.size / part.size > head_share:
            break
        edges.append(mean)
        part = head
    edges.append(float(v.max()))
    return np.array(edges)


def class_breaks(
    values: np.ndarray, k: int = 6, *, integer: bool = True, method: str = "quantile"
) -> np.ndarray:
    """Class edges for a choropleth: quantiles, or head/tail breaks for heavy tails.

    Parameters
    ----------
    values : array of float
        The values to classify (NaN ignored).
    k : int
        Most classes wanted (1-9); fewer when values repeat.
    integer : bool
        Round the inner edges up to integers (for counts).
    method : {"quantile", "headtail"}
        ``"quantile"``: the distinct quantiles; ``"headtail"``: :func:`head_tail_edges` (the
        maps' choice for counts, so the top class is the peak only).

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
    if method not in BREAK_METHODS:
        raise ParameterError(f"method must be one of {', '.join(BREAK_METHODS)}; got {method!r}")
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.array([0.0, 0.0])
    if method == "headtail":
        edges = head_tail_edges(v, k)
        if integer:
            # "above the mean": the first whole count above it starts the next class
            edges = np.floor(edges) + 1.0
    else:
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
    >>> from hotspots.maps import base_map
    >>> from hotspots.tiles import TileConfig
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
