"""Points: venues (an icon per kind) and calls (one by one when few, else counted in H3 cells)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

from hotspots import privacy
from hotspots.errors import InputError, ParameterError
from hotspots.escape import escape_text
from hotspots.i18n import offense_label, t, venue_label
from hotspots.maps.cells import add_cells, h3_cell_counts, h3_cells_frame
from hotspots.maps.elements import (
    HotspotLayer,
    _as_wgs84,
    _check_int,
    _check_lang,
    _js_literal,
    _RawRender,
)
from hotspots.maps.legends import _insert_before_legends, add_legend
from hotspots.maps.settings import (
    _OTHER_COLOUR,
    COORD_DECIMALS,
    LEGEND_POSITIONS,
    MAX_CELLS,
    MAX_POINTS_LIMIT,
    MAX_VENUES,
    OFFENSE_COLOURS,
    VENUE_STYLES,
)

#: Below this zoom level venue icons are drawn as small dots (zoom 14: a few streets).
VENUE_DOT_ZOOM: Final = 14
#: Below this zoom level the venue dots (venues away from the hotspots) that fall in one
#: square of :data:`VENUE_CLUSTER_PX` screen pixels are drawn as one disc with their number.
VENUE_CLUSTER_ZOOM: Final = 14
VENUE_CLUSTER_PX: Final = 48
#: A cluster's tooltip names its first venues, then "+n" for the others.
VENUE_CLUSTER_NAMES: Final = 10


class _VenueMarkers(_RawRender, MacroElement):
    """Venue icons (DivIcon with a CSS class per kind) and name tooltips, from one array."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }};
            var kinds = {{ this.kinds_js }};
            var colours = {{ this.colours_js }};
            var rows = {{ this.rows_js }};
            var dots = L.layerGroup(), clusters = L.layerGroup(), dotRows = [];
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                if (r[4] === 0) {  // a small dot: a venue away from the hotspots
                    dotRows.push(r);
                    L.circleMarker([r[0], r[1]], {radius: 3, weight: 1, color: "#ffffff",
                        fillColor: colours[r[2]], fillOpacity: 0.9})
                        .bindTooltip(r[3], {direction: "top"}).addTo(dots);
                    continue;
                }
                L.marker([r[0], r[1]], {
                    icon: L.divIcon({
                        className: "hs-venue hs-venue-" + kinds[r[2]],
                        iconSize: [22, 22],
                        iconAnchor: [11, 11],
                        html: ""
                    }),
                    keyboard: false
                }).bindTooltip(r[3], {direction: "top", offset: [0, -10]}).addTo(group);
            }
            dots.addTo(group);
            // below the cluster zoom, the dots that share a square of the screen are one
            // grey disc with their number (a click zooms in); alone, a dot stays a dot
            function cluster(m) {
                var z = m.getZoom(), cells = {}, keys = [];
                clusters.clearLayers();
                for (var i = 0; i < dotRows.length; i++) {
                    var r = dotRows[i], p = m.project([r[0], r[1]], z);
                    var key = Math.floor(p.x / {{ this.cell_px }}) + ":" +
                        Math.floor(p.y / {{ this.cell_px }});
                    var c = cells[key];
                    if (!c) { c = cells[key] = {n: 0, lat: 0, lon: 0, rows: []}; keys.push(key); }
                    c.n++; c.lat += r[0]; c.lon += r[1]; c.rows.push(r);
                }
                keys.forEach(function (key) {
                    var c = cells[key], r = c.rows[0];
                    if (c.n === 1) {
                        L.circleMarker([r[0], r[1]], {radius: 3, weight: 1, color: "#ffffff",
                            fillColor: colours[r[2]], fillOpacity: 0.9})
                            .bindTooltip(r[3], {direction: "top"}).addTo(clusters);
                        return;
                    }
                    var at = [c.lat / c.n, c.lon / c.n], size = c.n < 10 ? 18 : c.n < 100 ? 22 : 26;
                    // its venues' tooltips (escaped already), the first ones, then "+n"
                    var tips = c.rows.slice(0, {{ this.cluster_names }}).map(function (q) {
                        return "<div>" + q[3] + "</div>";
                    });
                    if (c.n > tips.length) { tips.push("<div>+" + (c.n - tips.length) + "</div>"); }
                    L.marker(at, {
                        icon: L.divIcon({className: "hs-venue-cluster", html: String(c.n),
                            iconSize: [size, size], iconAnchor: [size / 2, size / 2]}),
                        keyboard: false
                    }).bindTooltip(tips.join(""), {direction: "top"})
                        .on("click", function () { m.setView(at, z + 2); }).addTo(clusters);
                });
            }
            // zoomed out (a district or the city), the icons shrink to dots and the dots
            // gather in clusters: the hotspots and the numbered patrol markers stay readable
            function far() {
                var m = group._map;
                if (!m) { return; }
                m.getContainer().classList.toggle("hs-far", m.getZoom() < {{ this.far_zoom }});
                var grouped = m.getZoom() < {{ this.cluster_zoom }};
                if (grouped) {
                    cluster(m);
                    if (group.hasLayer(dots)) { group.removeLayer(dots); }
                    if (!group.hasLayer(clusters)) { group.addLayer(clusters); }
                } else {
                    if (group.hasLayer(clusters)) { group.removeLayer(clusters); }
                    if (!group.hasLayer(dots)) { group.addLayer(dots); }
                }
            }
            group.on("add", function () { group._map.on("zoomend", far); far(); });
            group.on("remove", function () {
                group._map.off("zoomend", far);
                group._map.getContainer().classList.remove("hs-far");
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, kinds: list[str], rows: list[list[Any]]) -> None:
        super().__init__()
        self._name = "HotspotVenues"
        self.far_zoom = VENUE_DOT_ZOOM
        self.cluster_zoom = VENUE_CLUSTER_ZOOM
        self.cell_px = VENUE_CLUSTER_PX
        self.cluster_names = VENUE_CLUSTER_NAMES
        self.kinds_js = _js_literal(kinds)
        self.colours_js = _js_literal([VENUE_STYLES[k][0] for k in kinds])
        self.rows_js = _js_literal(rows)


def add_venues(
    m: folium.Map,
    venues: pd.DataFrame,
    *,
    lang: str = "en",
    name: str | None = None,
    count_col: str | None = None,
    min_count: int = 1,
    kinds: Iterable[str] | None = None,
    max_venues: int = MAX_VENUES,
    legend: bool = True,
    show: bool = True,
    hotspots: gpd.GeoDataFrame | None = None,
    near_m: float = 60.0,
    top_risky: int = 10,
) -> HotspotLayer:
    """Venues (cafés, restaurants, tea houses, bars, public spaces ...), an icon per kind.

    Icons must not bury the hotspots: given ``hotspots``, only the venues inside or within
    ``near_m`` metres of one, and the ``top_risky`` venues with the most calls
    (``count_col``), are drawn as icons; the others are small dots of their kind's colour
    (with the same tooltip).

    Parameters
    ----------
    venues : DataFrame
        Canonical venues: ``name``, ``kind``, ``lat``, ``lon`` (a GeoDataFrame's point
        geometry is used when ``lat``/``lon`` are absent).
    count_col : str, optional
        A column of calls per venue to show in the tooltip (e.g. from the venue ranking).
    min_count : int
        Counts below it read "< K" in the tooltip (presenter mode's K; 1 shows every count).
    kinds : iterable of str, optional
        Only these kinds.
    max_venues : int
        Most venues drawn (those with the most calls in ``count_col`` when given).
    hotspots : GeoDataFrame, optional
        The hotspot polygons (the top class of cells, hot Gi* cells, clusters); without
        them every venue is an icon.
    near_m : float
        Distance from a hotspot within which a venue keeps its icon, metres.
    top_risky : int
        Venues with the most calls (``count_col``) that keep their icon anywhere.

    Returns
    -------
    HotspotLayer
        ``stats``: ``venues_shown``, ``venue_icons`` (drawn as icons; the rest are dots),
        ``venues_dropped`` (beyond ``max_venues``),
        ``venue_kinds`` (kind -> number shown).
    """
    _check_lang(lang)
    _check_int("max_venues", max_venues, 1, 100_000, "venues")
    _check_int("min_count", min_count, 1, 1_000_000, "calls")
    _check_int("top_risky", top_risky, 0, 100_000, "venues")
    if not 0.0 <= near_m <= 10_000.0:
        raise ParameterError(f"near_m must be 0 .. 10000 metres; got {near_m}")
    frame = venues
    if ("lat" not in frame.columns or "lon" not in frame.columns) and isinstance(
        frame, gpd.GeoDataFrame
    ):
        pts = _as_wgs84(frame, "venues")
        frame = pd.DataFrame(pts.drop(columns=pts.geometry.name))
        frame["lat"], frame["lon"] = pts.geometry.y.to_numpy(), pts.geometry.x.to_numpy()
    for col in ("name", "kind", "lat", "lon"):
        if col not in frame.columns:
            raise InputError(f"venues needs a {col!r} column (see hotspots.schema)")
    if count_col is not None and count_col not in frame.columns:
        raise InputError(f"venues has no {count_col!r} column")
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    kind = frame["kind"].astype("string").fillna("other").str.lower().to_numpy(dtype=object)
    if kinds is not None:
        ok &= np.isin(kind, list(kinds))
    frame, lat, lon, kind = frame[ok], lat[ok], lon[ok], kind[ok]
    dropped = max(len(frame) - max_venues, 0)
    if dropped:
        if count_col is not None:  # keep the venues with the most calls
            keep = np.sort(
                np.argsort(-pd.to_numeric(frame[count_col]).fillna(0).to_numpy(), kind="stable")[
                    :max_venues
                ]
            )
        else:
            keep = np.arange(max_venues)
        frame, lat, lon, kind = frame.iloc[keep], lat[keep], lon[keep], kind[keep]
    fg = HotspotLayer(name or t("layer.venues", lang), show=show)
    styled = np.array([k if k in VENUE_STYLES else "other" for k in kind], dtype=object)
    kind_list = sorted(set(styled.tolist()))
    kind_index = {k: i for i, k in enumerate(kind_list)}
    names = [escape_text(v) for v in frame["name"]]
    labels = {k: escape_text(venue_label(k, lang)) for k in set(kind.tolist())}
    tips = [f"<b>{n}</b><br>{labels[k]}" for n, k in zip(names, kind, strict=True)]
    if count_col is not None:
        calls_label = escape_text(t("tip.calls_nearby", lang))
        counts = pd.to_numeric(frame[count_col], errors="coerce").fillna(0).astype(int)
        shown = privacy.suppress_counts(counts, min_count)
        tips = [
            f"{tip}<br>{calls_label}: {escape_text(c)}" for tip, c in zip(tips, shown, strict=True)
        ]
    icon = _icon_mask(lat, lon, hotspots, near_m)
    if hotspots is not None and count_col is not None and top_risky:
        calls = pd.to_numeric(frame[count_col], errors="coerce").fillna(0).to_numpy()
        icon[np.argsort(-calls, kind="stable")[:top_risky]] = True
    rows = [
        [round(float(a), COORD_DECIMALS), round(float(b), COORD_DECIMALS), kind_index[s], tip,
         int(i)]
        for a, b, s, tip, i in zip(lat, lon, styled, tips, icon, strict=True)
    ]
    if rows:
        fg.add_child(_VenueMarkers(kind_list, rows))
    counts_by_kind = pd.Series(kind, dtype=object).value_counts()
    fg.stats = {
        "venues_shown": len(rows),
        "venue_icons": int(icon.sum()),
        "venues_dropped": dropped,
        "venue_kinds": {str(k): int(v) for k, v in counts_by_kind.items()},
    }
    if legend and rows:
        items = [
            (f"venue:{k if k in VENUE_STYLES else 'other'}", venue_label(k, lang))
            for k in counts_by_kind.index
        ]
        add_legend(
            m, items, t("legend.venues", lang), layer=fg, position=LEGEND_POSITIONS["venues"]
        )
    _insert_before_legends(m, fg)
    return fg


def _icon_mask(
    lat: np.ndarray, lon: np.ndarray, hotspots: gpd.GeoDataFrame | None, near_m: float
) -> np.ndarray:
    """True for the venues within ``near_m`` metres of a hotspot polygon (all without any)."""
    if hotspots is None:
        return np.ones(lat.size, dtype=bool)
    if len(hotspots) == 0 or lat.size == 0:
        return np.zeros(lat.size, dtype=bool)
    polys = _as_wgs84(hotspots, "hotspots")
    crs = polys.estimate_utm_crs()
    area = polys.to_crs(crs).geometry.union_all().buffer(near_m)
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(crs)
    return np.asarray(shapely.intersects(area, pts.to_numpy()), dtype=bool)


class _CallMarkers(_RawRender, MacroElement):
    """Individual calls as small circle markers (SVG paths), from one compact array."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }};
            var colours = {{ this.colours_js }};
            var labels = {{ this.labels_js }};
            var rows = {{ this.rows_js }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                L.circleMarker([r[0], r[1]], {
                    radius: 4, weight: 1, color: "#ffffff", fillColor: colours[r[2]],
                    fillOpacity: 0.85
                }).bindTooltip(labels[r[2]] + (r[3] ? "<br>" + r[3] : "")).addTo(group);
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, colours: list[str], labels: list[str], rows: list[list[Any]]) -> None:
        super().__init__()
        self._name = "HotspotCalls"
        self.colours_js = _js_literal(colours)
        self.labels_js = _js_literal(labels)
        self.rows_js = _js_literal(rows)


def _time_text(calls: pd.DataFrame) -> np.ndarray:
    """Occurrence time as text at the precision the source knows (vectorised)."""
    if "occurred_at" not in calls.columns:
        return np.full(len(calls), "", dtype=object)
    at = pd.to_datetime(calls["occurred_at"], errors="coerce")
    precision = (
        calls["time_precision"].astype("string").fillna("minute")
        if "time_precision" in calls.columns
        else pd.Series("minute", index=calls.index, dtype="string")
    )
    minute = at.dt.strftime("%Y-%m-%d %H:%M")
    hour = at.dt.strftime("%Y-%m-%d %H:00")
    day = at.dt.strftime("%Y-%m-%d")
    month = at.dt.strftime("%Y-%m")
    text = np.select(
        [
            precision.eq("month").to_numpy(),
            precision.eq("day").to_numpy(),
            precision.eq("hour").to_numpy(),
        ],
        [month.to_numpy(dtype=object), day.to_numpy(dtype=object), hour.to_numpy(dtype=object)],
        default=minute.to_numpy(dtype=object),
    )
    return np.where(at.isna().to_numpy(), "", text)


def _located(calls: pd.DataFrame) -> np.ndarray:
    """Mask of the calls with finite ``lat`` and ``lon``."""
    for col in ("lat", "lon"):
        if col not in calls.columns:
            raise InputError(f"calls needs a {col!r} column (see hotspots.schema)")
    lat = pd.to_numeric(calls["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(calls["lon"], errors="coerce").to_numpy(dtype=float)
    return np.isfinite(lat) & np.isfinite(lon)


def add_calls(
    m: folium.Map,
    calls: pd.DataFrame,
    max_points: int = 2000,
    *,
    lang: str = "en",
    presenter: bool = False,
    min_count: int = 1,
    resolution: int = 9,
    max_cells: int = MAX_CELLS,
    name: str | None = None,
    legend: bool = True,
    show: bool = True,
) -> HotspotLayer:
    """Individual calls when few enough to draw, otherwise their counts in H3 cells.

    Parameters
    ----------
    calls : DataFrame
        Canonical incidents (``lat``, ``lon``, ``offense``; ``occurred_at`` and
        ``time_precision`` for the tooltip).
    max_points : int
        Most calls drawn one by one (1 .. 20 000); above it they are aggregated.
    presenter : bool
        Never draw individual calls; cells with fewer than ``min_count`` calls are hidden.
    min_count : int
        Minimum-count suppression K for the aggregated cells (applied in presenter mode
        and whenever given above 1).
    resolution : int
        H3 resolution of the aggregation (0-15); coarsened if more than ``max_cells`` cells.

    Returns
    -------
    HotspotLayer
        ``stats["mode"]`` is ``"points"``, ``"cells"`` or ``"none"`` (no calls); also
        ``calls_total``, ``calls_shown`` (points drawn, or calls in the cells drawn),
        ``cells_shown``, ``cells_suppressed`` and ``resolution`` when aggregated.
    """
    _check_lang(lang)
    _check_int("max_points", max_points, 1, MAX_POINTS_LIMIT, "points")
    _check_int("min_count", min_count, 1, 1_000_000, "calls")
    ok = _located(calls)
    lat = pd.to_numeric(calls["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(calls["lon"], errors="coerce").to_numpy(dtype=float)
    total = int(ok.sum())
    if total == 0:
        fg = HotspotLayer(name or t("layer.calls", lang), show=show)
        fg.stats = {"mode": "none", "calls_total": 0, "calls_shown": 0}
        fg.add_to(m)
        return fg
    if presenter or total > max_points:
        counts, res = h3_cell_counts(lat[ok], lon[ok], resolution, max_cells=max_cells)
        fg = add_cells(
            m,
            h3_cells_frame(counts),
            "count",
            min_count=min_count,
            lang=lang,
            name=name or t("layer.calls_cells", lang),
            max_cells=max_cells,
            legend=legend,
            show=show,
        )
        fg.stats = {
            "mode": "cells",
            "calls_total": total,
            "calls_shown": fg.stats["calls_shown"],
            "cells_shown": fg.stats["cells_shown"],
            "cells_suppressed": fg.stats["cells_suppressed"],
            "cells_dropped": fg.stats["cells_dropped"],
            "resolution": res,
        }
        return fg
    sub = calls[ok]
    offense = (
        sub["offense"].astype("string").fillna("other").to_numpy(dtype=object)
        if "offense" in sub.columns
        else np.full(total, "other", dtype=object)
    )
    keys, codes = np.unique(offense.astype(str), return_inverse=True)
    colours = [OFFENSE_COLOURS.get(k, _OTHER_COLOUR) for k in keys]
    labels = [f"<b>{escape_text(offense_label(k, lang))}</b>" for k in keys]
    times = _time_text(sub)
    rows = [
        [a, b, int(c), s]
        for a, b, c, s in zip(
            np.round(lat[ok], COORD_DECIMALS).tolist(),
            np.round(lon[ok], COORD_DECIMALS).tolist(),
            codes.tolist(),
            times.tolist(),
            strict=True,
        )
    ]
    fg = HotspotLayer(name or t("layer.calls", lang), show=show)
    fg.add_child(_CallMarkers(colours, labels, rows))
    fg.stats = {"mode": "points", "calls_total": total, "calls_shown": total}
    if legend:
        order = np.argsort(-np.bincount(codes, minlength=len(keys)), kind="stable")
        items = [(colours[i], offense_label(keys[i], lang)) for i in order[:10]]
        add_legend(
            m,
            items,
            t("legend.calls", lang),
            layer=fg,
            shape="dot",
            position=LEGEND_POSITIONS["calls"],
        )
    _insert_before_legends(m, fg)
    return fg
