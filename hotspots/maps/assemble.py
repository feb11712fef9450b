"""Assembly: :class:`MapSpec`, :func:`build_map` (with the presenter rules of
:mod:`hotspots.privacy`) and the standalone HTML page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from folium.template import Template

from hotspots import privacy
from hotspots.assets import make_offline
from hotspots.errors import ParameterError
from hotspots.maps.basemap import add_boundary, add_layer_control, base_map
from hotspots.maps.cells import add_cells, add_gistar
from hotspots.maps.elements import _as_wgs84, _check_int, _check_lang, _RawRender
from hotspots.maps.heat import add_density
from hotspots.maps.legends import add_caption
from hotspots.maps.outlines import add_clusters
from hotspots.maps.points import _located, add_calls, add_venues
from hotspots.maps.settings import CELL_BUDGET, LAYERS, MAX_CELLS, MAX_POINTS_LIMIT
from hotspots.tiles import TileConfig


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
    zoom_control : bool
        Show Leaflet's zoom buttons (off for slides: presenter mode and briefing maps).
    fill_frame : bool
        The map fills the height of the app's frame, whatever height the page gives that
        frame (presenter mode sizes it to the window); otherwise the app's fixed height.
    venue_icons : {"hotspots", "all"}
        ``"hotspots"`` (default): venues are icons only inside or next to the hotspots (top
        class of cells, hot Gi* cells at 99 %, clusters), small dots elsewhere, so the icons
        never bury the hotspots; ``"all"``: every venue is an icon.
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
    venue_icons: str = "hotspots"
    zoom_control: bool = True
    fill_frame: bool = False

    def __post_init__(self) -> None:
        if self.venue_icons not in ("hotspots", "all"):
            raise ParameterError(
                f"venue_icons must be 'hotspots' or 'all'; got {self.venue_icons!r}"
            )
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


#: Comment in a map's script between its base (map, basemap, scale, view) and its data layers.
OVERLAY_MARK = "/*@hotspots:overlays@*/"


class _OverlayMark(_RawRender, MacroElement):
    """:data:`OVERLAY_MARK` in the script: everything after it (layers, legends, layer switcher)
    can be evaluated again on the live map without rebuilding it."""

    _template = Template("{% macro script(this, kwargs) %}" + OVERLAY_MARK + "{% endmacro %}")


def _top_class(cells: gpd.GeoDataFrame, edges: list[float], k: int) -> gpd.GeoDataFrame:
    """The cells of the darkest colour class (the hotspots a reader sees), K or more calls."""
    gdf = _as_wgs84(cells, "cells")
    if len(edges) < 2 or "count" not in gdf:
        return gdf.iloc[:0][["geometry"]]
    counts = pd.to_numeric(gdf["count"], errors="coerce").fillna(0)
    return gdf[(counts >= edges[-2]) & (counts >= k)][["geometry"]]


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
    lonlat = None if bounds is None else (bounds[0][1], bounds[0][0], bounds[1][1], bounds[1][0])
    tiles = spec.tiles.for_bounds(lonlat)
    m = base_map(
        center,
        spec.zoom if spec.zoom is not None else 12,
        tiles=tiles,
        bounds=bounds,
        lang=lang,
    )
    if not spec.zoom_control:
        m.options["zoom_control"] = False
    if spec.fill_frame:
        # streamlit-folium gives its map div a fixed pixel height: follow the frame instead
        m.get_root().header.add_child(
            Element("<style>#map_div.leaflet-container{height:100vh!important}</style>"),
            name="hotspots_fill_frame",
        )
    if spec.zoom is None and spec.center is None and bounds is not None:
        m.fit_bounds(bounds, padding=(10, 10))
    # what follows depends on the data: the app updates it in place (app_pages.mapview)
    m.add_child(_OverlayMark(), name="hotspots_overlays")
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
        "venue_icons": 0,
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
    hot: list[gpd.GeoDataFrame] = []  # the hotspots venue icons must not bury
    if on("cells", cells):
        fg = add_cells(
            m, cells, min_count=k, lang=lang, max_cells=cap, show=shown("cells"),
            venues=venues, tiles=tiles,
        )
        hot.append(_top_class(cells, fg.stats["class_edges"], k))
        counts["cells_shown"] = fg.stats["cells_shown"]
        counts["cells_dropped"] += fg.stats["cells_dropped"]
        counts["cells_suppressed"] = fg.stats["cells_suppressed"]
        counts["layers"].append("cells")
    if on("gistar", gistar):
        fg = add_gistar(m, gistar, min_count=k, lang=lang, max_cells=cap, show=shown("gistar"))
        counts["gistar_hot"] = fg.stats["gistar_hot"]
        counts["cells_dropped"] += fg.stats["gistar_dropped"]
        counts["gistar_cold"] = fg.stats["gistar_cold"]
        if "bin" in gistar:
            hot.append(_as_wgs84(gistar[pd.to_numeric(gistar["bin"]) >= 3], "gi")[["geometry"]])
        counts["layers"].append("gistar")
    if on("clusters", clusters):
        fg = add_clusters(m, clusters, min_count=k, lang=lang, show=shown("clusters"))
        counts["clusters_shown"] = fg.stats["clusters_shown"]
        if isinstance(clusters, gpd.GeoDataFrame) and clusters.crs is not None:
            hot.append(_as_wgs84(clusters, "clusters")[["geometry"]])
        counts["layers"].append("clusters")
    if on("boundary", boundary):
        add_boundary(m, boundary, lang=lang)
        counts["layers"].append("boundary")
    if on("calls", calls) and not calls_as_cells:
        draw_calls()
    if on("venues", venues):
        hotspots = None
        if spec.venue_icons == "hotspots" and hot:
            hotspots = gpd.GeoDataFrame(pd.concat(hot, ignore_index=True), crs=4326)
        fg = add_venues(
            m, venues, lang=lang, min_count=k, show=shown("venues"), hotspots=hotspots
        )
        counts["venues_shown"] = fg.stats["venues_shown"]
        counts["venue_icons"] = fg.stats["venue_icons"]
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
