"""DBSCAN clusters as outlined polygons with their summary tooltip."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots.errors import InputError
from hotspots.escape import escape_text
from hotspots.i18n import format_number, offense_label, t
from hotspots.maps.elements import (
    HotspotLayer,
    _as_wgs84,
    _check_int,
    _check_lang,
    _fmt_float,
    _polygons_layer,
)
from hotspots.maps.legends import _insert_before_legends, add_legend
from hotspots.maps.settings import CLUSTER_COLOUR, CLUSTER_FILL_OPACITY, LEGEND_POSITIONS

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


_MORE = re.compile(r" \(\+(\d+) more\)$")


def _format_names(value: Any, limit: int = 5, lang: str = "en") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str):
        # the cluster summary's "(+4 more)" is English: say it in the map's language
        text = _MORE.sub(lambda m: f" ({t('tip.more', lang, n=m.group(1))})", value)
        return escape_text(text)
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
        # clusters are numbered 1, 2, ... by calls (the patrol plan's ranking order), not by
        # DBSCAN's label (from 0, in the order the points came)
        rank = np.empty(len(n), dtype=int)
        rank[np.argsort(-n.to_numpy(), kind="stable")] = np.arange(1, len(n) + 1)
        fields["cluster"] = (escape_text(t("tip.cluster", lang)), [f"#{r}" for r in rank])
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
                [_format_names(v, lang=lang) for v in gdf["venues"]],
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
