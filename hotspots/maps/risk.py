"""The venue-risk layer: the risk terrain model's surface on H3 cells
(:func:`hotspots.risk.risk_surface`), and a standalone map of it.

Cells are coloured by ``risk`` (the composite relative risk of the venues present, in quantile
classes; cells where no selected factor is present, risk 1, are not drawn) or by ``expected``
(the model's expected calls, highest cells first). The tooltip gives the risk, the expected and
observed calls and the factors present (venue kind, measure, metres). In presenter mode
(``min_count`` > 1) an observed count below K reads "fewer than K": the surface itself comes
from venue locations and a fitted model, not from the calls' coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots import grid
from hotspots.errors import InputError, ParameterError
from hotspots.escape import escape_text
from hotspots.i18n import t, venue_label
from hotspots.maps.elements import (
    HotspotLayer,
    _check_int,
    _check_lang,
    _fmt_float,
    _polygons_layer,
)
from hotspots.maps.legends import (
    _insert_before_legends,
    _palette,
    add_legend,
    class_breaks,
    classify,
)
from hotspots.maps.settings import MAX_CELLS

#: What colours the cells.
VALUES: tuple[str, ...] = ("risk", "expected")
#: Legend corner of the layer.
POSITION = "bottomright"


def factor_label(name: str, lang: str) -> str:
    """``"cafe:proximity:100"`` -> ``"Café: within 100 m"`` in ``lang``."""
    kind, measure, dist = (str(name).split(":") + ["", "", ""])[:3]
    key = "risk.measure_proximity" if measure == "proximity" else "risk.measure_density"
    return f"{venue_label(kind, lang)}: {t(key, lang, d=dist)}"


def add_risk(
    m: folium.Map,
    surface: pd.DataFrame,
    *,
    value: str = "risk",
    lang: str = "en",
    min_count: int = 1,
    max_cells: int = MAX_CELLS,
    classes: int = 5,
    name: str | None = None,
    legend: bool = True,
    show: bool = True,
) -> HotspotLayer:
    """Add the risk surface as coloured H3 cells.

    Parameters
    ----------
    surface : DataFrame or GeoDataFrame
        From :func:`hotspots.risk.risk_surface`: ``cell``, ``risk``, ``expected``, ``count``
        and ``factors`` (hexagons are made from ``cell`` when there is no geometry).
    value : {"risk", "expected"}
        Composite relative risk of the venues (cells of risk 1 not drawn) or expected calls.
    min_count : int
        Presenter mode's K: observed counts below it read "fewer than K" (1 shows them all).
    max_cells : int
        Most cells drawn (the highest values).

    Returns
    -------
    HotspotLayer
        ``stats``: ``risk_cells_shown``, ``risk_cells_dropped`` (beyond ``max_cells``).
    """
    _check_lang(lang)
    _check_int("min_count", min_count, 1, 1_000_000, "calls")
    _check_int("max_cells", max_cells, 1, 50_000, "cells")
    if value not in VALUES:
        raise ParameterError(f"value: use {' or '.join(VALUES)}, got {value!r}")
    for col in ("cell", value, "count"):
        if col not in surface:
            raise InputError(f"the risk surface lacks {col!r} (from hotspots.risk.risk_surface)")
    frame = pd.DataFrame(surface).reset_index(drop=True)
    vals = pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(vals) & ((vals != 1.0) if value == "risk" else (vals > 0))
    frame, vals = frame.loc[keep].reset_index(drop=True), vals[keep]
    dropped = max(len(frame) - max_cells, 0)
    if dropped:
        top = np.sort(np.argsort(-vals, kind="stable")[:max_cells])
        frame, vals = frame.iloc[top].reset_index(drop=True), vals[top]
    fg = HotspotLayer(name or t("layer.risk", lang), show=show)
    if len(frame):
        edges = class_breaks(vals, classes, integer=False)
        cls = classify(vals, edges)
        colours = _palette(len(edges) - 1, "PuRd")
        counts = pd.to_numeric(frame["count"], errors="coerce").fillna(0).astype(int)
        fewer = escape_text(t("tip.fewer_than", lang, k=min_count))
        present = frame["factors"] if "factors" in frame else pd.Series([""] * len(frame))
        fields: dict[str, tuple[str, Sequence[Any]]] = {
            "risk": (escape_text(t("tip.risk", lang)), _fmt_float(frame["risk"], lang, 2)),
            "expected": (
                escape_text(t("tip.expected", lang)),
                _fmt_float(frame["expected"], lang, 2),
            ),
            "count": (
                escape_text(t("tip.count", lang)),
                [int(c) if c >= min_count else fewer for c in counts],
            ),
            "factors": (
                escape_text(t("tip.factors", lang)),
                [
                    escape_text(", ".join(factor_label(f, lang) for f in str(p).split("; ") if f))
                    or "–"
                    for p in present.fillna("")
                ],
            ),
        }
        geoms = (
            frame.geometry
            if isinstance(frame, gpd.GeoDataFrame)
            else grid.cells_to_gdf(frame[["cell"]]).geometry
        )
        _polygons_layer(fg, geoms, fields, [colours[c] for c in cls], fill_opacity=0.6)
        if legend:
            labels = [
                f"{_fmt_float([edges[c]], lang, 2)[0]} – {_fmt_float([edges[c + 1]], lang, 2)[0]}"
                for c in range(len(edges) - 1)
            ]
            title = t("legend.risk" if value == "risk" else "legend.risk_expected", lang)
            add_legend(
                m, list(zip(colours, labels, strict=True)), title, layer=fg, position=POSITION
            )
    fg.stats = {"risk_cells_shown": len(frame), "risk_cells_dropped": dropped}
    _insert_before_legends(m, fg)
    return fg


def risk_map(
    surface: pd.DataFrame,
    *,
    venues: pd.DataFrame | None = None,
    boundary: gpd.GeoDataFrame | None = None,
    value: str = "risk",
    lang: str = "en",
    min_count: int = 1,
    tiles: Any = None,
) -> folium.Map:
    """A map of the risk surface with the study area and the venues (standalone, offline
    once saved with :func:`hotspots.maps.save_map`)."""
    from hotspots.maps.basemap import add_boundary, add_layer_control, base_map
    from hotspots.maps.points import add_venues

    if len(surface) == 0:
        raise InputError("the risk surface has no cell")
    lat = pd.to_numeric(surface["lat"]).to_numpy(float)
    lon = pd.to_numeric(surface["lon"]).to_numpy(float)
    m = base_map((float(np.mean(lat)), float(np.mean(lon))), 13, tiles=tiles)
    add_risk(m, surface, value=value, lang=lang, min_count=min_count)
    if boundary is not None and len(boundary):
        add_boundary(m, boundary, lang=lang)
    if venues is not None and len(venues):
        add_venues(m, venues, lang=lang)
    m.fit_bounds([[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]])
    add_layer_control(m)
    return m
