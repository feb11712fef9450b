"""The areas a method selected in the method comparison, numbered in rank order.

The Tune page's table scores each method on the areas it selected at the coverage
(:func:`hotspots.evaluate.selected_areas`); this map draws exactly those areas, numbered 1, 2,
... as the ranking took them, so the map is what the table measured (not every cluster or
cell the method found).
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from hotspots.escape import escape_text
from hotspots.i18n import t
from hotspots.maps.assemble import _OverlayMark
from hotspots.maps.basemap import add_boundary, add_layer_control, base_map
from hotspots.maps.elements import HotspotLayer, _as_wgs84, _check_lang, _polygons_layer

#: Numbers drawn on at most this many areas (the rest are drawn unnumbered).
MAX_LABELS = 100
#: Fill of the selected areas.
COLOUR = "#d7301f"


def add_selected(
    m: folium.Map, areas: gpd.GeoDataFrame, *, lang: str = "en", name: str | None = None
) -> HotspotLayer:
    """Draw ``areas`` (:func:`hotspots.evaluate.selected_areas`) with their rank numbers.

    Parameters
    ----------
    areas : GeoDataFrame
        ``rank``, ``area_km2``, ``train_calls``, ``test_calls`` and the outlines.
    lang : {"kk", "ru", "en"}
        Language of the tooltip.
    name : str, optional
        Name in the layer switcher.
    """
    _check_lang(lang)
    gdf = _as_wgs84(areas, "selected areas")
    fg = HotspotLayer(name or t("tuning.layer_selected", lang))
    if len(gdf):
        fields = {
            "rank": (escape_text(t("tuning.col_rank", lang)), gdf["rank"].astype(int).tolist()),
            "train": (
                escape_text(t("tuning.col_train_calls", lang)),
                gdf["train_calls"].astype(int).tolist(),
            ),
            "test": (
                escape_text(t("tuning.col_test_calls", lang)),
                gdf["test_calls"].astype(int).tolist(),
            ),
            "km2": (
                escape_text(t("tuning.col_area_km2", lang)),
                [f"{v:.3f}" for v in gdf["area_km2"]],
            ),
        }
        _polygons_layer(
            fg, gdf.geometry, fields, [COLOUR] * len(gdf), fill_opacity=0.45, weight=1.2
        )
        where = shapely.point_on_surface(gdf.geometry.to_numpy()[:MAX_LABELS])
        for rank, pt in zip(gdf["rank"].to_numpy()[:MAX_LABELS], where, strict=True):
            folium.Marker(
                [round(float(pt.y), 5), round(float(pt.x), 5)],
                icon=folium.DivIcon(
                    html=(
                        '<div style="font:bold 12px sans-serif;color:#fff;'
                        "text-shadow:0 0 3px #000,0 0 3px #000;transform:translate(-50%,-50%);"
                        f'white-space:nowrap">{int(rank)}</div>'
                    ),
                    icon_size=(0, 0),
                ),
            ).add_to(fg)
    fg.stats = {"selected_shown": int(len(gdf))}
    fg.add_to(m)
    return fg


def selected_map(
    areas: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    lang: str = "en",
    tiles: Any = None,
) -> tuple[folium.Map, dict[str, Any]]:
    """A map of the selected areas (and the study area), fitted to them.

    Returns
    -------
    map : folium.Map
    counts : dict
        ``selected_shown``: areas drawn.
    """
    frames = [f for f in (areas, boundary) if f is not None and len(f)]
    if frames:
        minx, miny, maxx, maxy = np.asarray([_as_wgs84(f, "areas").total_bounds for f in frames]).T
        bounds = [[float(miny.min()), float(minx.min())], [float(maxy.max()), float(maxx.max())]]
        center = ((bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2)
    else:
        bounds, center = None, (0.0, 0.0)
    m = base_map(center, 12, tiles=tiles)
    if bounds is not None:
        m.fit_bounds(bounds, padding=(10, 10))
    # the layers below can be drawn again on the live map (the app's in-place updates)
    m.add_child(_OverlayMark(), name="hotspots_overlays")
    if boundary is not None and len(boundary):
        add_boundary(m, boundary, lang=lang)
    layer = add_selected(m, areas, lang=lang)
    add_layer_control(m)
    return m, dict(layer.stats)
