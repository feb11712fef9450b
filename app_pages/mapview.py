"""Showing a Folium map in the app: offline assets, a stable key, no rerun loops."""

from __future__ import annotations

from typing import Any

import folium
from streamlit_folium import st_folium

from hotspots.assets import make_offline
from hotspots.i18n import format_number, t
from hotspots.tiles import TileConfig


def tiles() -> TileConfig:
    """Basemap chosen by ``HOTSPOTS_TILES`` (OpenStreetMap by default; ``none`` offline)."""
    return TileConfig.from_env()


def show(m: folium.Map, *, key: str, height: int = 620) -> None:
    """Render ``m`` with every script inline (works without internet) and
    ``returned_objects=[]`` under a stable ``key``: panning or zooming never reruns the app."""
    make_offline(m, "inline")
    st_folium(m, key=key, height=height, use_container_width=True, returned_objects=[])


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
