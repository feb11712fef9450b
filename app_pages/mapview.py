"""Showing a Folium map in the app: offline assets, one render, a cache, no rerun loops.

A map is identified by the inputs it is drawn from (data key, filters, parameters, layers,
language, presenter mode, K, tiles). :func:`show` renders it once per identity and keeps the
browser payload (Leaflet script, header, inline assets) in ``st.cache_data``: switching pages,
languages or layers back and forth costs nothing, and a filter change renders the map once.

The payload goes to the streamlit-folium component exactly as ``st_folium`` sends it, with
``returned_objects=[]`` (panning and zooming never rerun the app) and a key derived from the
map's identity (a new map mounts a fresh component; the same map keeps its view). If the
internals of streamlit-folium this relies on ever change, :func:`show` falls back to plain
``st_folium`` (uncached).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import folium
import streamlit as st
import streamlit_folium as stf

from hotspots.assets import make_offline
from hotspots.i18n import format_number, t
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


def render(m: folium.Map) -> dict[str, Any]:
    """The component arguments of ``m`` (the same strings ``st_folium`` would send)."""
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
def _rendered(ident: tuple, _build: Builder) -> Rendered:
    m, counts, problems = _build()
    return Rendered(render(m), counts, problems)


def show(ident: tuple, build: Builder, *, key: str, height: int = 620) -> Rendered:
    """Show the map built by ``build`` (``-> (map, counts, problems)``), cached on ``ident``."""
    digest = hashlib.sha1(repr(ident).encode()).hexdigest()[:16]
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
    r = _rendered(ident, build)
    component(
        **r.args,
        key=f"{key}-{digest}",
        height=height,
        width=None,
        returned_objects=[],
        default={},
        zoom=None,
        center=None,
        feature_group=None,
        return_on_hover=False,
        layer_control=None,
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
