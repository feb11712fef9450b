"""Briefing maps: the map a presenter puts on a slide, as offline HTML and a 1920x1080 PNG.

The map is assembled by :func:`hotspots.maps.build_map` from the layers of the chosen method
(H3 cells or DBSCAN clusters), with the study area and the venues, and the patrol plan's
hotspots numbered on top. A caption printed on the map says what it shows: title, period,
filters, parameters, data source and the date it was made (:class:`Provenance`); each layer
brings its legend. The HTML has every script and style inside it (no CDN), so it opens on a
closed network; the PNG is rendered from that HTML by headless Chromium
(:func:`hotspots.render.html_to_png`).

In presenter mode the calls layer is never drawn, cells or clusters with fewer than
``min_count`` calls are left out, cluster outlines are lattice cells and the density is masked
below K calls (the map builder applies :mod:`hotspots.privacy`); the hotspot numbers sit on
the plan's rounded centres.
"""

from __future__ import annotations

import html
import json
import struct
import tempfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element
from folium.map import FitBounds
from folium.utilities import parse_options

from hotspots import clusters, grid, maps
from hotspots.errors import ParameterError
from hotspots.escape import escape_text
from hotspots.filters import Filters
from hotspots.i18n import check_lang, format_number, t
from hotspots.patrol import PatrolParams, filters_text, method_text
from hotspots.provenance import Provenance
from hotspots.tiles import TileConfig

#: Precomputed layers :func:`briefing_map` accepts (keyword arguments of ``build_map``).
LAYER_DATA: Final = ("cells", "surface", "contours", "clusters", "gistar")

#: Room kept above the fitted view for the caption box (title and four lines), pixels.
CAPTION_CLEARANCE_PX: Final = 150

#: Slide size of the PNG, pixels.
SLIDE_WIDTH: Final = 1920
SLIDE_HEIGHT: Final = 1080

_RANK_CSS: Final = """<style>
.hs-rank{width:26px;height:26px;border-radius:13px;background:#b30000;color:#fff;
 border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.5);font:bold 13px/26px "DejaVu Sans",
 Arial,sans-serif;text-align:center;margin:-13px 0 0 -13px}
.hs-caption{font-size:15px}
.hs-caption .hs-title{font-size:24px}
.hs-legend{font-size:14px}
.leaflet-control-zoom{display:none}
</style>"""


def caption_lines(
    provenance: Provenance,
    params: PatrolParams | None,
    lang: str,
    filters: Filters | None = None,
) -> list[str]:
    """Lines printed under the map title: period, filters, parameters, source and date.

    ``filters`` (the filters that produced the calls) are printed in words in ``lang``;
    without them, the provenance's filter text."""
    lines = []
    if provenance.period_start:
        lines.append(
            t("caption.period", lang, start=provenance.period_start, end=provenance.period_end)
        )
    lines.append(t("caption.filters", lang, filters=filters_text(provenance, filters, lang)))
    params_text = method_text(params, lang) if params is not None else ""
    params_text = params_text or provenance.parameters_words(lang)
    lines.append(t("caption.parameters", lang, params=params_text))
    made = provenance.made_at.strftime("%Y-%m-%d %H:%M")
    lines.append(
        t("caption.source", lang, source=provenance.source_text(lang))
        + " · "
        + t("caption.made", lang, date=made)
        + f" · hotspots {provenance.version}"
    )
    return lines


def provenance_meta(provenance: Provenance) -> str:
    """A ``<meta name="hotspots-provenance">`` tag holding :meth:`Provenance.as_dict` as JSON."""
    data = json.dumps(provenance.as_dict(), ensure_ascii=False)
    return f'<meta name="hotspots-provenance" content="{html.escape(data, quote=True)}">'


def _add_ranks(m: folium.Map, plan: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    """Numbered markers at the centres of the patrol plan's hotspots (rank 1 = busiest)."""
    fg = maps.HotspotLayer(t("patrol.title", lang))
    for row in plan.itertuples(index=False):  # at most `top` markers
        tip = (
            f"#{int(row.rank)} · {escape_text(row.location)} · "
            f"{format_number(int(row.n_incidents), lang)} {escape_text(t('unit.calls', lang))}"
        )
        folium.Marker(
            [float(row.centroid_lat), float(row.centroid_lon)],
            icon=folium.DivIcon(html=f'<div class="hs-rank">{int(row.rank)}</div>'),
            tooltip=tip,
            z_index_offset=10_000,  # above the venue icons
        ).add_to(fg)
    fg.stats = {"ranks_shown": len(plan)}
    fg.add_to(m)
    maps.add_legend(
        m,
        [("#b30000", t("briefing.ranks", lang, n=len(plan)))],
        t("patrol.title", lang),
        shape="dot",
        position="topright",
    )
    return fg


def briefing_map(
    incidents: pd.DataFrame,
    *,
    provenance: Provenance,
    params: PatrolParams | None = None,
    venues: pd.DataFrame | None = None,
    boundary: gpd.GeoDataFrame | None = None,
    plan: gpd.GeoDataFrame | None = None,
    presenter: bool = False,
    lang: str = "en",
    tiles: TileConfig | None = None,
    title: str | None = None,
    layers: Iterable[str] | None = None,
    layer_data: Mapping[str, Any] | None = None,
    filters: Filters | None = None,
) -> tuple[folium.Map, dict[str, Any]]:
    """The briefing map of the filtered calls, captioned and with its legends.

    Parameters
    ----------
    incidents : DataFrame
        The filtered calls (canonical).
    provenance : Provenance
        Printed in the caption (period, filters, source, date).
    params : PatrolParams, optional
        Method and parameters: ``"cells"`` draws H3 cells at ``resolution``, ``"clusters"``
        draws DBSCAN clusters (``eps``, ``min_samples``); ``min_count`` is the presenter
        mode's suppression threshold.
    venues, boundary : optional
        Drawn when given.
    plan : GeoDataFrame, optional
        A patrol plan (:func:`hotspots.patrol.patrol_plan`): its hotspots are numbered.
    presenter : bool
        Presenter mode: no individual calls; suppression of small counts.
    lang : {"kk", "ru", "en"}
    tiles : TileConfig, optional
        Basemap (default: ``HOTSPOTS_TILES``, see :meth:`TileConfig.from_env`). A basemap
        file's tiles over the map are carried inside the page: no network needed.
    title : str, optional
        Map title (default: the translated "Hotspot map").
    layers : iterable of str, optional
        Layers of :data:`hotspots.maps.LAYERS` to draw (default: the method's layer, the
        boundary and the venues; ``"calls"`` is ignored in presenter mode).
    layer_data : mapping, optional
        Layers already computed by the caller (the app's current map), passed on to
        :func:`hotspots.maps.build_map`: ``cells``, ``surface``, ``contours``, ``clusters``,
        ``gistar``. Cells and clusters are computed here from ``params`` when not given.
    filters : Filters, optional
        The filters that produced ``incidents``, printed in words in ``lang`` in the caption
        (default: the provenance's filter text).

    Returns
    -------
    map : folium.Map
    counts : dict
        :func:`hotspots.maps.build_map`'s counts plus ``ranks_shown``.
    """
    check_lang(lang)
    p = params or PatrolParams()
    if len(incidents):  # the map shows the numbers (auto: from these calls)
        p = p.resolved(incidents, boundary, names=(*p.own_fields, "resolution"))
    chosen = set(layers) if layers is not None else {p.method, "boundary", "venues"}
    if presenter:
        chosen.discard("calls")
    spec = maps.MapSpec(
        layers=frozenset(chosen),
        lang=lang,
        presenter=presenter,
        min_count=p.min_count,
        resolution=p.resolution,
        tiles=tiles if tiles is not None else TileConfig.from_env(),
        title=title or t("app.title", lang),
        caption_lines=tuple(caption_lines(provenance, p, lang, filters)),
        layer_control=False,  # a slide has no switcher; every drawn layer is on
    )
    data: dict[str, Any] = dict(layer_data or {})
    unknown = set(data) - set(LAYER_DATA)
    if unknown:
        raise ParameterError(
            f"layer_data: unknown {', '.join(sorted(unknown))}; use {', '.join(LAYER_DATA)}"
        )
    if "cells" in chosen and data.get("cells") is None and len(incidents):
        data["cells"] = grid.cells_to_gdf(grid.count_cells(incidents, p.resolution))
    if "clusters" in chosen and data.get("clusters") is None and len(incidents):
        labels = clusters.dbscan_labels(incidents, eps=p.eps, min_samples=p.min_samples)
        data["clusters"] = clusters.summarize_clusters(incidents, labels, venues)
    m, counts = maps.build_map(
        spec,
        calls=incidents if "calls" in chosen else None,
        venues=venues,
        boundary=boundary,
        **data,
    )
    # The caption box covers the top of the map (about 135 px on a slide): fit the view below
    # it, so no cell, cluster or stretch of the study area is hidden behind the caption.
    for child in m._children.values():
        if isinstance(child, FitBounds):
            child.options = parse_options(
                padding_top_left=(10, CAPTION_CLEARANCE_PX), padding_bottom_right=(10, 10)
            )
    # A slide is a still picture: without animations the fitted view is final as soon as the
    # page has laid out (an animated fitBounds was caught half-way, with a wrong scale bar).
    m.options.update(zoom_animation=False, fade_animation=False, marker_zoom_animation=False)
    m.get_root().header.add_child(Element(_RANK_CSS + provenance_meta(provenance)))
    counts["ranks_shown"] = 0
    if plan is not None and len(plan):
        counts["ranks_shown"] = _add_ranks(m, plan, lang).stats["ranks_shown"]
    return m, counts


def briefing_html(m: folium.Map) -> str:
    """The map as one standalone HTML page (every script and style inline, no CDN)."""
    return maps.map_html(m, offline=True)


def briefing_png(
    html: str,
    *,
    width: int = SLIDE_WIDTH,
    height: int = SLIDE_HEIGHT,
    browser: object | None = None,
    offline: bool = False,
    provenance: Provenance | None = None,
) -> bytes:
    """Render briefing HTML to a PNG of ``width`` x ``height`` pixels with headless Chromium.

    Parameters
    ----------
    html : str
        From :func:`briefing_html`.
    width, height : int
        Image size, pixels (1920 x 1080 by default: a 16:9 slide).
    browser : playwright Browser, optional
        From :func:`hotspots.render.launch_browser`, to reuse one browser for several renders.
    offline : bool
        Refuse every non-local request (tiles included).
    provenance : Provenance, optional
        Stored in the PNG as a ``hotspots-provenance`` text chunk (JSON), besides the caption
        printed on the picture.
    """
    from hotspots.render import html_to_png

    with tempfile.TemporaryDirectory(prefix="hotspots-briefing-") as tmp:
        src = Path(tmp) / "briefing.html"
        src.write_text(html, encoding="utf-8")
        out = Path(tmp) / "briefing.png"
        html_to_png(src, out, width, height, offline=offline, browser=browser)
        data = out.read_bytes()
    if provenance is None:
        return data
    return png_with_text(data, "hotspots-provenance", json.dumps(provenance.as_dict()))


def png_with_text(png: bytes, keyword: str, text: str) -> bytes:
    """Add an ``iTXt`` chunk (UTF-8 text, uncompressed) right after the PNG header chunk.

    The pixels are not re-encoded; readers show it as metadata (``PIL.Image.open(f).text``).
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    ihdr_end = 8 + 4 + 4 + 13 + 4  # signature, then length, type, 13 data bytes, CRC
    # keyword, NUL, compression flag and method (0, 0), empty language tag and translated
    # keyword (each NUL-terminated), then the UTF-8 text
    body = keyword.encode("latin-1") + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + text.encode()
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"iTXt" + body) & 0xFFFFFFFF)
    return png[:ihdr_end] + chunk + png[ihdr_end:]
