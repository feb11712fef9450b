"""Polygon cells: H3 counts (with the minimum-count suppression of presenter mode) and Gi* hot
and cold spots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots import grid, i18n
from hotspots.errors import InputError
from hotspots.escape import escape_text
from hotspots.i18n import t
from hotspots.maps.elements import (
    HotspotLayer,
    _as_wgs84,
    _check_int,
    _check_lang,
    _fmt_float,
    _fmt_p,
    _polygons_layer,
)
from hotspots.maps.legends import (
    _class_labels,
    _insert_before_legends,
    _palette,
    add_legend,
    class_breaks,
    classify,
)
from hotspots.maps.names import nearest_venue_text, street_text
from hotspots.maps.settings import _GISTAR_KEYS, GISTAR_COLOURS, LEGEND_POSITIONS, MAX_CELLS
from hotspots.tiles import TileConfig


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
    breaks: str = "headtail",
    venues: pd.DataFrame | None = None,
    tiles: TileConfig | None = None,
    max_named: int = 300,
) -> HotspotLayer:
    """Cells (H3 hexagons or any polygons) coloured by ``value`` in classes that show the peak.

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
    breaks : {"headtail", "quantile"}
        Class breaks (:func:`~hotspots.maps.legends.class_breaks`): head/tail breaks by default,
        so the darkest class holds only the busiest cells.
    venues, tiles : optional
        Name the ``max_named`` busiest cells in their tooltip: the nearest venue (within
        150 m) and the nearest street of a basemap file (within 150 m).

    Returns
    -------
    HotspotLayer
        ``stats``: ``cells_shown``, ``class_edges`` (the legend's edges),
        ``cells_suppressed`` (below ``min_count``),
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
        edges = class_breaks(vals, classes, integer=integer, method=breaks)
        cls = classify(vals, edges)
        colours = _palette(len(edges) - 1, palette)
        fields: dict[str, tuple[str, Sequence[Any]]] = {}
        label_key = f"tip.{value}" if i18n.has_key(f"tip.{value}", lang) else None
        value_label = t(label_key, lang) if label_key else value
        if integer:
            fields[value] = (escape_text(value_label), [int(v) for v in vals])
        else:
            fields[value] = (escape_text(value_label), _fmt_float(vals, lang, 2))
        _add_names(fields, gdf, vals, venues, tiles, lang, max_named)
        if count_col != value:
            fields["count"] = (
                escape_text(t("tip.count", lang)),
                [int(c) for c in pd.to_numeric(gdf["count"]).fillna(0)],
            )
        _polygons_layer(
            fg, gdf.geometry, fields, [colours[c] for c in cls], fill_opacity=0.65, compact=True
        )
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
        "class_edges": edges.tolist() if len(gdf) else [],
        "cells_shown": len(gdf),
        "cells_suppressed": suppressed,
        "cells_dropped": dropped,
        "calls_shown": int(shown_counts.sum()) if count_col == "count" else None,
    }
    # The legend refers to the group, so the group must be on the map before it renders.
    _insert_before_legends(m, fg)
    return fg


def _add_names(
    fields: dict[str, tuple[str, Sequence[Any]]],
    gdf: gpd.GeoDataFrame,
    vals: np.ndarray,
    venues: pd.DataFrame | None,
    tiles: TileConfig | None,
    lang: str,
    max_named: int,
) -> None:
    """Tooltip fields naming the busiest cells: nearest venue, street (names, not codes)."""
    if (venues is None and (tiles is None or tiles.file is None)) or not len(gdf):
        return
    busiest = np.argsort(-vals, kind="stable")[:max_named]
    centre = gdf.geometry.iloc[busiest].representative_point()
    lat, lon = centre.y.to_numpy(), centre.x.to_numpy()
    for key, label, values in (
        ("venue", "tip.nearest_venue", nearest_venue_text(lat, lon, venues, lang)),
        ("street", "tip.street", street_text(lat, lon, tiles, lang)),
    ):
        if any(values):
            column = [""] * len(gdf)
            for i, v in zip(busiest, values, strict=True):
                column[i] = v
            fields[key] = (escape_text(t(label, lang)), column)


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
            fg, gdf.geometry, fields, [GISTAR_COLOURS[b] for b in bins], fill_opacity=0.7,
            compact=True,
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
