"""Showing a Folium map in the app: offline assets, one render, a cache, no rerun loops, and
data layers updated in place.

A map is identified by the inputs it is drawn from (data key, filters, parameters, layers,
language, presenter mode, K, tiles). :func:`show` renders it once per identity and keeps the
browser payload in ``st.cache_data``: switching pages, languages or layers back and forth costs
nothing, and a filter change renders the map once.

The payload goes to the streamlit-folium component as ``st_folium`` sends it, with
``returned_objects=[]`` (panning and zooming never rerun the app). Given a ``view`` (what the
base map depends on: data set, language, presenter mode, basemap), :func:`show` keeps one
component per view and sends the map in two parts: the base (the Leaflet map, its basemap,
scale bar and first view) as the component's ``script``, run once when the frame mounts, and
the data layers (everything after :data:`hotspots.maps.assemble.OVERLAY_MARK`: cells, venues,
calls, legends, layer switcher) as its ``feature_group``, which streamlit-folium evaluates
again on the live map whenever it changes (:func:`overlay_script` removes the previous
layers, controls and handlers first). A filter change thus replaces the layers in place: no new
frame, no Leaflet reloaded, the basemap and the user's pan and zoom kept. The vendored scripts
and styles (Leaflet, its CSS) are served by URL from the app (:data:`ASSETS_URL`, cached by
the browser) instead of inline ``data:`` URLs re-sent with every map. Without a ``view`` a map
mounts a component of its own, keyed on its identity. If the internals of streamlit-folium
this relies on ever change, :func:`show` falls back to plain ``st_folium`` (uncached).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import folium
import streamlit as st
import streamlit.components.v1 as components
import streamlit_folium as stf

from hotspots.assets import ASSET_ROOT, make_offline
from hotspots.i18n import format_number, t
from hotspots.maps.assemble import OVERLAY_MARK
from hotspots.tiles import TileConfig

Builder = Callable[[], tuple[folium.Map, dict[str, Any], list[str]]]


@st.cache_resource(show_spinner=False)
def _tile_server(host: str):
    """The app's basemap endpoint (one per process, on the app's own address)."""
    from hotspots.basemap.server import TileServer

    return TileServer(host=host)


def tiles() -> TileConfig:
    """Basemap chosen by ``HOTSPOTS_TILES`` (by default the sample city's own basemap where it
    covers the map, OpenStreetMap elsewhere; ``none`` for a plain background). A basemap
    file is served to the browser by the app itself (:mod:`hotspots.basemap.server`)."""
    config = TileConfig.from_env()
    if config.file is None:
        return config
    address = st.get_option("server.address") or "localhost"
    url = _tile_server(str(address)).url_for(config.file)
    return config.with_served_url(url)


@dataclass
class Rendered:
    """A map ready for the browser and what it shows."""

    args: dict[str, Any]
    counts: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @property
    def nbytes(self) -> int:
        a = self.args
        parts = [a["script"], a["header"], a["html"], *a["js_links"], *a["css_links"]]
        return sum(len(p.encode("utf-8")) for p in parts)


def _links(m: folium.Map) -> tuple[list[str], list[str]]:
    """Scripts and stylesheets of the map's elements (what st_folium's frontend loads)."""
    css: list[str] = []
    js: list[str] = []
    stack = [m]
    while stack:
        el = stack.pop(0)
        css.extend(href for _, href in getattr(el, "default_css", []) or [])
        js.extend(src for _, src in getattr(el, "default_js", []) or [])
        stack.extend(getattr(el, "_children", {}).values())
    return list(dict.fromkeys(css)), list(dict.fromkeys(js))


def _map_script(m: folium.Map) -> str:
    """``streamlit_folium._get_map_string`` without its final ``textwrap.dedent``: the
    indentation means nothing to JavaScript, and dedenting a city's map script (1-3 MB, its
    GeoJSON on long lines) takes longer than writing it."""
    generate = getattr(stf, "generate_leaflet_string", None)
    if generate is None:  # streamlit-folium changed: use its own function
        return stf._get_map_string(m)
    leaflet = generate(m).replace("alert(coords);", "")
    leaflet = re.sub(r"drawnItems_draw_control_div_\d+", "drawnItems", leaflet)
    if "drawnItems" not in leaflet:
        leaflet += "\nvar drawnItems = [];"
    return leaflet


#: The vendored assets (hotspots/assets) served by Streamlit as the files of a component that
#: is never drawn: ``/component/<name>/leaflet/leaflet.js``, cached by the browser.
_ASSETS = components.declare_component("hotspots_assets", path=str(ASSET_ROOT))
#: Their URL from the streamlit-folium frame (``/component/streamlit_folium.st_folium/``):
#: relative, so it holds behind any proxy path and on any host name.
ASSETS_URL = f"../{_ASSETS.name}"


def overlay_script(overlays: str) -> str:
    """JavaScript that (re)draws the data layers ``overlays`` on the live map ``map_div``.

    The layers, controls (legends, layer switcher) and map event handlers the previous run
    added are removed first; those this run adds are recorded (``window.__hsOverlay``) for the
    next. Run in a function, so its variables never clash with the base map's or a previous
    run's."""
    return (
        "(function () {\n"
        "var map = map_div, old = window.__hsOverlay;\n"
        "if (old) {\n"
        "  old.layers.forEach(function (l) { map.removeLayer(l); });\n"
        "  old.controls.forEach(function (c) { c.remove(); });\n"
        "  old.handlers.forEach(function (h) { map.off(h[0], h[1], h[2]); });\n"
        "}\n"
        "var rec = {layers: [], controls: [], handlers: []};\n"
        "var controlAddTo = L.Control.prototype.addTo;\n"
        "map.addLayer = function (l) { rec.layers.push(l);"
        " return L.Map.prototype.addLayer.apply(this, arguments); };\n"
        "map.on = function (t, f, c) { rec.handlers.push([t, f, c]);"
        " return L.Map.prototype.on.apply(this, arguments); };\n"
        "L.Control.prototype.addTo = function (m) { if (m === map) rec.controls.push(this);"
        " return controlAddTo.apply(this, arguments); };\n"
        "try {\n" + overlays + "\n} finally {\n"
        "  delete map.addLayer; delete map.on; L.Control.prototype.addTo = controlAddTo;\n"
        "  window.__hsOverlay = rec;\n"
        "}\n"
        "})();\n"
    )


def split(script: str) -> tuple[str, str]:
    """The map's script as (base, data layers), cut at :data:`OVERLAY_MARK` (all base
    when the map has no mark)."""
    at = script.find(OVERLAY_MARK)
    if at < 0:
        return script, ""
    return script[:at], script[at + len(OVERLAY_MARK) :]


def render(m: folium.Map, *, served: bool = False) -> dict[str, Any]:
    """The component arguments of ``m`` (the same strings ``st_folium`` would send); with
    ``served``, the vendored assets load from :data:`ASSETS_URL` instead of ``data:`` URLs."""
    if served:
        make_offline(m, "relative", ASSET_ROOT, base_url=ASSETS_URL)
    else:
        make_offline(m, "inline")
    m.render()  # one render: adds the header links and the elements' scripts
    html = stf._get_html(m)
    header = stf._get_header(m)
    script = _map_script(m)
    css, js = _links(m)
    return {
        "script": script,
        "header": header,
        "html": html,
        "id": stf.get_full_id(m),
        "css_links": css,
        "js_links": js,
    }


@st.cache_data(max_entries=24, show_spinner=False)
def _rendered(ident: tuple, _build: Builder, served: bool = False) -> Rendered:
    m, counts, problems = _build()
    return Rendered(render(m, served=served), counts, problems)


def show(
    ident: tuple,
    build: Builder,
    *,
    key: str,
    height: int = 620,
    view: tuple | None = None,
) -> Rendered:
    """Show the map built by ``build`` (``-> (map, counts, problems)``), cached on ``ident``.

    With ``view`` (what the base map depends on; hashable), maps of the same view share one
    component and a new map only replaces the data layers of the one shown (see the module's
    docstring); without it every map mounts a component of its own."""
    digest = hashlib.sha1(repr(view if view is not None else ident).encode()).hexdigest()[:16]
    component = getattr(stf, "_component_func", None)
    if component is None:  # streamlit-folium changed: draw it the documented way
        m, counts, problems = build()
        make_offline(m, "inline")
        stf.st_folium(m, key=key, height=height, use_container_width=True, returned_objects=[])
        return Rendered(
            {"script": "", "header": "", "html": "", "js_links": [], "css_links": []},
            counts,
            problems,
        )
    r = _rendered(ident, build, view is not None)
    args, overlays = dict(r.args), None
    if view is not None:
        args["script"], overlays = split(args["script"])
        overlays = overlay_script(overlays)
    component(
        **args,
        key=f"{key}-{digest}",
        height=height,
        width=None,
        returned_objects=[],
        default={},
        zoom=None,
        center=None,
        feature_group=overlays,
        return_on_hover=False,
        layer_control="" if view is not None else None,
        pixelated=False,
        wrap_longitude=False,
    )
    return r


def counts_line(counts: dict[str, Any], lang: str) -> str:
    """What the map shows, in words: "1,234 of 8,681 calls shown · 263 cells · 12 venues"."""

    def n(v: float) -> str:
        return format_number(v, lang)

    parts = []
    mode = counts.get("calls_mode")
    total = counts.get("calls_total", 0)
    if mode == "points":
        parts.append(t("msg.calls_shown", lang, shown=n(counts["calls_shown"]), total=n(total)))
    elif mode == "cells":
        parts.append(t("msg.calls_aggregated", lang, total=n(total)))
    if counts.get("cells_shown"):
        parts.append(t("msg.cells_shown", lang, n=n(counts["cells_shown"])))
    if counts.get("clusters_shown"):
        parts.append(t("msg.clusters_shown", lang, n=n(counts["clusters_shown"])))
    if counts.get("gistar_hot") or counts.get("gistar_cold"):
        parts.append(
            t("msg.gistar_shown", lang, hot=n(counts["gistar_hot"]), cold=n(counts["gistar_cold"]))
        )
    if counts.get("venues_shown"):
        parts.append(t("msg.venues_shown", lang, n=n(counts["venues_shown"])))
    if counts.get("cells_suppressed"):
        parts.append(
            t("msg.cells_suppressed", lang, n=n(counts["cells_suppressed"]), k=counts["min_count"])
        )
    return " · ".join(parts)
