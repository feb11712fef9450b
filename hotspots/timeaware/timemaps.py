"""Maps through time: calls per H3 cell and month (or week), drawn frame by frame with one
fixed legend, as an HTML map with a slider and a play button, or as an animated GIF.

The colour classes come from the counts of every frame together (:func:`fixed_classes`), so a
colour means the same number of calls in January as in December: a legend that changes from
frame to frame (as Folium's time maps have, or none at all) would make the months look alike.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import folium
import numpy as np
import pandas as pd
from folium.template import Template

from hotspots import grid
from hotspots.errors import InputError, ParameterError
from hotspots.maps.basemap import base_map
from hotspots.maps.elements import _RawRender
from hotspots.maps.legends import _palette, add_legend, class_breaks, classify
from hotspots.schema import LAT, LON, OCCURRED_AT, TIME_PRECISION

FREQS = {"month": "M", "week": "W-SUN"}
#: Most frames drawn (e.g. ten years of months).
MAX_FRAMES = 520


@dataclass
class TimeCells:
    """Counts per cell (rows) and period (columns), with the fixed classes of the legend."""

    cells: np.ndarray  # H3 ids (uint64), one per row
    periods: list[str]  # "2021-01" (months) or "2021-01-04" (the Monday of a week)
    counts: np.ndarray  # (cells, periods) int
    edges: np.ndarray  # class edges over every frame's non-zero counts
    colours: list[str]  # one per class

    def classes(self) -> np.ndarray:
        """Class of every (cell, period); -1 where there is no call."""
        c = classify(self.counts.ravel(), self.edges).reshape(self.counts.shape)
        return np.where(self.counts > 0, c, -1)

    def legend_items(self) -> list[tuple[str, str]]:
        e = self.edges
        items = []
        for i, colour in enumerate(self.colours):
            lo, hi = int(e[i]), int(e[i + 1]) - (0 if i == len(self.colours) - 1 else 1)
            items.append((colour, f"{lo}" if lo >= hi else f"{lo}–{hi}"))
        return items


def time_cells(
    incidents: pd.DataFrame,
    *,
    freq: str = "month",
    resolution: int = 8,
    k: int = 5,
    min_count: int = 1,
) -> TimeCells:
    """Calls per H3 cell and period, every period from the first to the last one included.

    Parameters
    ----------
    incidents : DataFrame
        Canonical incidents (``lat``, ``lon``, ``occurred_at``); by week, those dated to the
        month only are left out.
    freq : {"month", "week"}
        Period of a frame (weeks start on Monday).
    resolution : int
        H3 resolution of the cells (8: about 0.7 km²).
    k : int
        Most colour classes of the fixed legend (1-9).
    min_count : int
        Cells with fewer calls in a period are not drawn in it (presenter mode's K: no shape
        from fewer than K calls); the legend starts there.

    Examples
    --------
    >>> df = pd.DataFrame({"lat": [43.3, 43.3], "lon": [68.25, 68.25],
    ...                    "occurred_at": pd.to_datetime(["2021-01-05", "2021-03-01"])})
    >>> tc = time_cells(df)
    >>> tc.periods, tc.counts.tolist()
    (['2021-01', '2021-02', '2021-03'], [[1, 0, 1]])
    """
    if freq not in FREQS:
        raise ParameterError(f"freq must be 'month' or 'week', got {freq!r}")
    res = grid.check_resolution(resolution)
    when = pd.to_datetime(incidents[OCCURRED_AT], errors="coerce")
    ok = when.notna().to_numpy().copy()
    if freq == "week" and TIME_PRECISION in incidents:
        month_only = incidents[TIME_PRECISION].astype("string") == "month"
        ok &= ~month_only.fillna(False).to_numpy(dtype=bool)
    if not ok.any():
        raise InputError("no incident has a usable date for a map through time")
    ordinals = when[ok].dt.to_period(FREQS[freq]).array.asi8  # period numbers, vectorised
    first, last = int(ordinals.min()), int(ordinals.max())
    n_p = last - first + 1
    if n_p > MAX_FRAMES:
        raise ParameterError(
            f"{n_p} frames of one {freq} each (at most {MAX_FRAMES}); filter the years or use "
            "--freq month"
        )
    lat = incidents[LAT].to_numpy(dtype=float)[ok]
    lon = incidents[LON].to_numpy(dtype=float)[ok]
    ids = grid.cell_ids(lat, lon, res)
    cells, row = np.unique(ids, return_inverse=True)
    counts = np.bincount(
        np.ravel(row) * n_p + (ordinals - first), minlength=cells.size * n_p
    ).reshape(cells.size, n_p)
    kind = FREQS[freq]
    labels = [
        (str(p) if freq == "month" else p.start_time.strftime("%Y-%m-%d"))
        for p in (pd.Period(ordinal=o, freq=kind) for o in range(first, last + 1))
    ]
    if int(min_count) < 1:
        raise ParameterError(f"min_count must be >= 1 call, got {min_count!r}")
    counts[counts < int(min_count)] = 0  # not drawn: fewer than min_count calls
    edges = class_breaks(counts[counts > 0], k=k, integer=True)
    colours = _palette(max(len(edges) - 1, 1))
    return TimeCells(cells, labels, counts, edges, colours)


class _Player(_RawRender, folium.MacroElement):
    """The cells as one GeoJSON layer restyled per frame, a slider, a play button and the
    frame's name (ids ``hs-time-slider``, ``hs-time-play``, ``hs-time-label``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var data = {{ this.data_js }};
            var periods = {{ this.periods_js }};
            var colours = {{ this.colours_js }};
            var frame = 0, timer = null;
            function style(f) {
                var c = f.properties.c[frame];
                return {weight: 0.5, color: "#555", opacity: c < 0 ? 0 : 0.6,
                        fillColor: c < 0 ? "#000" : colours[c], fillOpacity: c < 0 ? 0 : 0.75};
            }
            var layer = L.geoJSON(data, {style: style}).addTo(map);
            var ctl = L.control({position: "bottomleft"});
            ctl.onAdd = function () {
                var div = L.DomUtil.create("div", "hs-time");
                div.style.cssText = "background:#fff;padding:6px 10px;border-radius:4px;" +
                    "font:14px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)";
                return div;
            };
            ctl.addTo(map);
            var box = ctl.getContainer();
            box.innerHTML = '<button id="hs-time-play" type="button">\u25b6</button> ' +
                '<input id="hs-time-slider" type="range" min="0" step="1" style="width:260px"> ' +
                '<b id="hs-time-label"></b>';
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            var slider = box.querySelector("#hs-time-slider");
            var label = box.querySelector("#hs-time-label");
            var play = box.querySelector("#hs-time-play");
            slider.max = periods.length - 1;
            function show(k) {
                frame = k; slider.value = k; label.textContent = periods[k];
                layer.setStyle(style);
                map.getContainer().setAttribute("data-frame", String(k));
            }
            function stop() { clearInterval(timer); timer = null; play.textContent = "\u25b6"; }
            slider.addEventListener("input", function () { stop(); show(+slider.value); });
            play.addEventListener("click", function () {
                if (timer) { stop(); return; }
                if (frame >= periods.length - 1) { show(0); }
                play.textContent = "\u23f8";
                timer = setInterval(function () {
                    if (frame >= periods.length - 1) { stop(); return; }
                    show(frame + 1);
                }, {{ this.interval_ms }});
            });
            show(0);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, tc: TimeCells, interval_ms: int) -> None:
        super().__init__()
        self._name = "TimePlayer"
        polys = grid.cell_polygons(tc.cells)
        classes = tc.classes()
        feats = []
        for poly, cls in zip(polys, classes, strict=True):  # one feature per cell
            ring = [[round(x, 6), round(y, 6)] for x, y in np.asarray(poly.exterior.coords)]
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {"c": cls.tolist()},
                }
            )
        self.data_js = json.dumps({"type": "FeatureCollection", "features": feats})
        self.periods_js = json.dumps(tc.periods)
        self.colours_js = json.dumps(tc.colours)
        self.interval_ms = int(interval_ms)


def time_map(
    tc: TimeCells,
    *,
    title: str = "Calls per cell",
    tiles=None,
    interval_ms: int = 700,
) -> folium.Map:
    """A Leaflet map stepping ``tc`` through time (slider and play button) with a fixed
    legend of calls per cell and period."""
    if tc.cells.size == 0:
        raise InputError("no cell to draw")
    polys = grid.cell_polygons(tc.cells)
    b = np.array([p.bounds for p in polys])
    centre = ((b[:, 1].min() + b[:, 3].max()) / 2, (b[:, 0].min() + b[:, 2].max()) / 2)
    m = base_map(centre, 12, tiles=tiles)
    m.fit_bounds([[b[:, 1].min(), b[:, 0].min()], [b[:, 3].max(), b[:, 2].max()]])
    m.add_child(_Player(tc, interval_ms))
    add_legend(m, tc.legend_items(), title, note=f"{tc.periods[0]} – {tc.periods[-1]}")
    return m


def frame_images(tc: TimeCells, *, title: str = "Calls per cell", dpi: int = 80) -> list:
    """One RGB image (PIL) per period: the cells in the fixed classes, the legend, the date."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch
    from PIL import Image

    polys = [np.asarray(p.exterior.coords) for p in grid.cell_polygons(tc.cells)]
    classes = tc.classes()
    lat0 = float(np.mean([p[:, 1].mean() for p in polys]))
    frames = []
    fig, ax = plt.subplots(figsize=(6, 6), dpi=dpi)
    handles = [Patch(facecolor=c, label=lab) for c, lab in tc.legend_items()]
    for k, name in enumerate(tc.periods):
        ax.clear()
        col = classes[:, k]
        faces = [tc.colours[c] if c >= 0 else (1, 1, 1, 0) for c in col]
        ax.add_collection(
            PolyCollection(polys, facecolors=faces, edgecolors="#bbbbbb", linewidths=0.3)
        )
        ax.autoscale_view()
        ax.set_aspect(1 / np.cos(np.radians(lat0)))
        ax.set_axis_off()
        ax.set_title(f"{title}: {name}")
        ax.legend(handles=handles, loc="lower right", fontsize=8, title=title, title_fontsize=8)
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())
        frames.append(Image.fromarray(rgba[:, :, :3].copy()))
    plt.close(fig)
    return frames


def animation_gif(tc: TimeCells, *, title: str = "Calls per cell", ms_per_frame: int = 700):
    """The frames of :func:`frame_images` as an animated GIF (bytes) that loops."""
    frames = frame_images(tc, title=title)
    buf = io.BytesIO()
    frames[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=int(ms_per_frame),
        loop=0,
    )
    return buf.getvalue()
