"""Patrol plans: the top N hotspots, where they are, what happens there and when.

A patrol plan is what a shift gets: for each of the N busiest hotspots (H3 cells or DBSCAN
clusters, by the method and parameters the analyst chose), its centre, a readable location
(the venues its calls are attributed to, or the nearest venue, or the dominant premise), the
dominant offenses, and the hours and weekdays when its calls peak.

:func:`patrol_plan` builds the table (a GeoDataFrame, one row per hotspot, outline geometry);
:func:`patrol_csv`, :func:`patrol_geojson` and :func:`patrol_html` turn it into the files a
planner prints or loads in a GIS, each carrying the export's provenance. The counts come from
:func:`hotspots.grid.count_cells` (cells) and :func:`hotspots.clusters.dbscan_labels` /
:func:`~hotspots.clusters.summarize_clusters` (clusters), so they equal the map's figures.

Presenter mode (``presenter=True``) never exposes a single call (:mod:`hotspots.privacy`):
hotspots with fewer than ``min_count`` calls are left out, a cluster's outline is the union of
the 0.001° lattice cells its hull covers (never the hull, whose vertices are calls), centres
are rounded to 0.001° (~100 m; never a mean that could fall on one call's address), and the
printable page draws no call points.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Final

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from hotspots import clusters, defaults, grid, privacy
from hotspots.errors import ParameterError
from hotspots.filters import Filters
from hotspots.i18n import (
    check_lang,
    describe_filters,
    offense_label,
    t,
    venue_label,
    weekday_label,
)
from hotspots.projection import geometry_to_metric, local_metric_crs, to_metric
from hotspots.provenance import Provenance
from hotspots.schema import CRS, HOUR, KIND, LAT, LON, NAME, OFFENSE, PREMISE, VENUE_ID, WEEKDAY
from hotspots.tiles import TileConfig
from hotspots.venues import attribute_to_venues

#: Hotspot methods a plan can be built from.
METHODS: Final = ("cells", "clusters")

#: Offenses listed per hotspot.
N_OFFENSES: Final = 3
#: Venues named per hotspot.
N_VENUES: Final = 2
#: Busiest weekdays listed per hotspot.
N_WEEKDAYS: Final = 2
#: A hotspot without venue-attributed calls is described by the nearest venue within this
#: distance of its centre, metres; farther venues do not make a useful landmark.
NEAREST_VENUE_MAX_M: Final = 1_000.0

#: Precision of presenter-mode coordinates and outlines, metres (:mod:`hotspots.privacy`:
#: 0.001° of a degree, 111 m of latitude).
PRESENTER_PRECISION_M: Final = privacy.PRECISION_M
#: Decimals of a degree kept for centres in presenter mode (0.001° is ~100 m).
PRESENTER_DECIMALS: Final = privacy.coordinate_decimals(PRESENTER_PRECISION_M)

#: Largest hotspot one patrol can cover, km² (about 1 km by 1 km, a quarter of an hour's walk
#: across; an H3 cell of resolution 8 is 0.74 km²). A larger one is flagged (``oversized``):
#: on dense data DBSCAN chains neighbouring streets into one cluster (Vancouver 2020, eps 75 m,
#: 30 calls: 10,261 calls over 4.2 km² as hotspot #1), which tells a shift nothing.
PATROL_AREA_KM2: Final = 1.0

#: Columns of a patrol plan, in order (``geometry`` last).
PATROL_COLUMNS: Final = (
    "rank",
    "hotspot",
    "method",
    "n_incidents",
    "share_pct",
    "area_km2",
    "oversized",
    "centroid_lat",
    "centroid_lon",
    "location",
    "venues",
    "nearest_venue_m",
    "top_offenses",
    *(f"offense_{i}" for i in range(1, N_OFFENSES + 1)),
    *(f"offense_{i}_pct" for i in range(1, N_OFFENSES + 1)),
    "peak_hours",
    "peak_hour_start",
    "peak_hours_pct",
    "peak_weekdays",
    "peak_weekday_ids",
    "peak_weekdays_pct",
    "geometry",
)


#: PatrolParams fields that may be ``"auto"``, by the name :func:`hotspots.defaults.resolve`
#: knows them by.
_AUTO_NAMES: Final = {"resolution": "resolution", "eps": "eps_m", "min_samples": "min_samples"}


@dataclass(frozen=True)
class PatrolParams:
    """How hotspots are found and described.

    Parameters
    ----------
    method : {"cells", "clusters"}
        H3 cells ranked by calls, or DBSCAN clusters ranked by calls.
    top : int
        Number of hotspots in the plan (1-100).
    resolution : int or "auto"
        H3 resolution for ``method="cells"`` (7-11; 9 is ~0.1 km², edge ~200 m).
    eps : float or "auto"
        DBSCAN radius for ``method="clusters"``, metres (> 0).
    min_samples : int or "auto"
        DBSCAN core-point threshold for ``method="clusters"``, calls (>= 1).

    The three default to ``"auto"``: computed from the plan's calls by the rules of
    :mod:`hotspots.defaults` (:meth:`resolved`), as the app and the CLI do.
    min_count : int
        Presenter mode's minimum-count suppression: in presenter mode hotspots with fewer
        calls are not listed, nor drawn (>= 1; 1 = none). Ignored outside presenter mode.
    peak_window_h : int
        Length of the peak-hours window, hours (1-24); the window may wrap past midnight.
    venue_radius_m : float
        A call is attributed to its nearest venue within this distance, metres (> 0).
    """

    method: str = "cells"
    top: int = defaults.PATROL_TOP
    resolution: int | str = defaults.DEFAULT["resolution"]
    eps: float | str = defaults.DEFAULT["eps_m"]
    min_samples: int | str = defaults.DEFAULT["min_samples"]
    min_count: int = 5
    peak_window_h: int = 3
    venue_radius_m: float = defaults.VENUE_RADIUS_M

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ParameterError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        _check_int("top", self.top, 1, 100, "hotspots")
        for name in _AUTO_NAMES:
            if defaults.is_auto(getattr(self, name)):
                object.__setattr__(self, name, defaults.AUTO)
        if self.resolution != defaults.AUTO:
            grid.check_resolution(self.resolution)
        if self.eps != defaults.AUTO:
            _check_pos("eps", self.eps, "metres")
        if self.min_samples != defaults.AUTO:
            _check_int("min_samples", self.min_samples, 1, 10**9, "calls")
        _check_int("min_count", self.min_count, 1, 10**9, "calls")
        _check_int("peak_window_h", self.peak_window_h, 1, 24, "hours")
        _check_pos("venue_radius_m", self.venue_radius_m, "metres")

    @classmethod
    def from_view(cls, params: Any, **overrides: Any) -> PatrolParams:
        """From the app's :class:`hotspots.views.Params` (resolution, ``eps_m``,
        ``min_samples``, ``venue_radius_m``), with ``method``, ``top``, ``min_count`` ... given
        as keyword arguments.

        Examples
        --------
        >>> from hotspots.views import Params
        >>> PatrolParams.from_view(Params(eps_m=80), method="clusters", top=5).eps
        80.0
        """
        base = {
            "resolution": params.resolution,
            "eps": params.eps_m,
            "min_samples": params.min_samples,
            "venue_radius_m": float(params.venue_radius_m),
        }
        return cls(**{**base, **overrides})

    @property
    def auto_fields(self) -> tuple[str, ...]:
        """The parameters that are ``"auto"``."""
        return tuple(n for n in _AUTO_NAMES if getattr(self, n) == defaults.AUTO)

    @property
    def own_fields(self) -> tuple[str, ...]:
        """The parameters of the method (``resolution`` for cells, ``eps`` and
        ``min_samples`` for clusters)."""
        return ("resolution",) if self.method == "cells" else ("eps", "min_samples")

    def resolved(
        self, incidents: pd.DataFrame, area: Any = None, names: tuple[str, ...] | None = None
    ) -> PatrolParams:
        """These parameters with every ``"auto"`` (of ``names``, default all) computed from
        ``incidents``
        (:func:`hotspots.defaults.resolve`; ``area``, the study area, for ``min_samples``;
        default the calls' convex hull). Numbers are kept as given.

        Examples
        --------
        >>> from benchmarks.synthetic import make_incidents
        >>> p = PatrolParams(method="clusters", eps=90.0).resolved(make_incidents(2000, seed=1))
        >>> p.eps, isinstance(p.min_samples, int), p.auto_fields
        (90.0, True, ())
        """
        want = tuple(n for n in self.auto_fields if names is None or n in names)
        if not want:
            return self
        given = {_AUTO_NAMES[n]: getattr(self, n) for n in _AUTO_NAMES if n in want}
        if "min_samples" in want:  # its rule needs the radius, given or auto
            given["eps_m"] = self.eps
        chosen = defaults.resolve(incidents, given, area)
        return replace(self, **{n: chosen.values[_AUTO_NAMES[n]] for n in want})

    def describe(self, presenter: bool = False) -> dict[str, Any]:
        """The parameters that shaped the plan, for the provenance footer (method's own only)."""
        d: dict[str, Any] = {"method": self.method, "top": self.top}
        if self.method == "cells":
            d["resolution"] = self.resolution
        else:
            d["eps_m"] = self.eps
            d["min_samples"] = self.min_samples
        if presenter:
            d["presenter"] = True
            d["min_count"] = self.min_count
        return d

    def as_dict(self) -> dict[str, Any]:
        """Every field (name -> value)."""
        return asdict(self)


def _check_int(name: str, value: Any, low: int, high: int, unit: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not low <= value <= high
    ):
        raise ParameterError(
            f"{name} must be a whole number of {unit} from {low} to {high}, got {value!r}"
        )
    return int(value)


def _check_pos(name: str, value: Any, unit: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not math.isfinite(v) or v <= 0:
        raise ParameterError(f"{name} must be a number of {unit} > 0, got {value!r}")
    return v


# --------------------------------------------------------------------------------------------
# Building the plan
# --------------------------------------------------------------------------------------------


def _cells_hotspots(
    incidents: pd.DataFrame, p: PatrolParams, presenter: bool = False
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Top cells (``hotspot``, ``n_incidents``, centre, outline) and each call's row in them."""
    counts = grid.count_cells(incidents, p.resolution)
    counts = counts[counts["count"] >= p.min_count].head(p.top)
    top = grid.cells_to_gdf(
        counts.rename(columns={"cell": "hotspot", "count": "n_incidents"}), cell_col="hotspot"
    )
    centres = np.array([h3.cell_to_latlng(c) for c in top["hotspot"]], dtype=float).reshape(-1, 2)
    top["centroid_lat"], top["centroid_lon"] = centres[:, 0], centres[:, 1]
    if presenter:  # published coordinates to ~100 m (the cell is the place, not its centre)
        top = privacy.round_centres(top, precision_m=PRESENTER_PRECISION_M)
    top["area_km2"] = grid.cell_areas_m2(top["hotspot"].to_numpy()) / 1e6
    # each call's cell (integer ids: no string per call), to find the calls of the listed cells
    ids = grid.cell_ids(incidents[LAT].to_numpy(), incidents[LON].to_numpy(), p.resolution)
    pos = pd.Series(np.arange(len(top)), index=grid.to_int(top["hotspot"].to_numpy()))
    member = pos.reindex(ids).fillna(-1).to_numpy(dtype=np.int64)
    return top, member


def _cluster_hotspots(
    incidents: pd.DataFrame, p: PatrolParams, presenter: bool
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Top DBSCAN clusters and each call's row in them (-1: not in a listed cluster)."""
    labels = clusters.dbscan_labels(incidents, eps=p.eps, min_samples=p.min_samples)
    summary = clusters.summarize_clusters(incidents, labels)
    summary = summary.sort_values(["n_incidents", "cluster"], ascending=[False, True])
    summary = summary[summary["n_incidents"] >= p.min_count].head(p.top).reset_index(drop=True)
    top = gpd.GeoDataFrame(
        {
            "hotspot": summary["cluster"].astype(str).to_numpy(dtype=object),
            "n_incidents": summary["n_incidents"].to_numpy(dtype=np.int64),
            "centroid_lat": summary["centroid_lat"].to_numpy(dtype=float),
            "centroid_lon": summary["centroid_lon"].to_numpy(dtype=float),
            "area_km2": summary["area_m2"].to_numpy(dtype=float) / 1e6,
        },
        geometry=summary.geometry.values,
        crs=CRS,
    )
    if presenter and len(top):
        # a hull of the calls gives them back (each vertex is an arc's centre) and their mean
        # can sit on one address: publish the lattice cells of the outline instead, its centre
        # and area (hotspots.privacy)
        top = privacy.generalise_outlines(top, p.min_count, precision_m=PRESENTER_PRECISION_M)
    pos = pd.Series(np.arange(len(top)), index=summary["cluster"].to_numpy())
    member = pos.reindex(labels).fillna(-1).to_numpy(dtype=np.int64)
    return top, member


def _top_values(keys: np.ndarray, values: pd.Series, k: int, n: int) -> pd.DataFrame:
    """The ``n`` most common values per key (0..k-1), with counts and shares (ties: by value)."""
    df = pd.DataFrame({"k": keys, "v": values.astype("string").fillna("unknown").to_numpy()})
    c = df.groupby(["k", "v"]).size().rename("n").reset_index()
    c["share"] = c["n"] / c.groupby("k")["n"].transform("sum")
    c = c.sort_values(["k", "n", "v"], ascending=[True, False, True], kind="stable")
    c = c.groupby("k").head(n)
    c["pos"] = c.groupby("k").cumcount()
    return c


def _histogram(keys: np.ndarray, values: pd.Series, k: int, m: int) -> np.ndarray:
    """(k, m) counts of the integer ``values`` (0..m-1) per key; missing values are skipped."""
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    ok = ~np.isnan(v)
    return np.bincount(keys[ok] * m + v[ok].astype(np.int64), minlength=k * m).reshape(k, m)


def _aoristic_hours(calls: pd.DataFrame, key: np.ndarray, k: int, hours: np.ndarray) -> np.ndarray:
    """Calls that carry a from/to window (``occurred_from``/``occurred_to``, see
    :mod:`hotspots.timeaware.aoristic`) count by their aoristic weights instead of their one
    recorded hour; windows over a week add nothing (unknown time). Without windows: ``hours``."""
    from hotspots.timeaware import aoristic

    if aoristic.FROM not in calls or aoristic.TO not in calls:
        return hours
    status = aoristic.window_status(calls[aoristic.FROM], calls[aoristic.TO]).to_numpy()
    windowed = status != "missing"  # a usable, reversed or too long window: not its hour
    exact = calls[HOUR] if HOUR in calls else pd.Series(np.nan, index=calls.index)
    plain = _histogram(key[~windowed], exact[~windowed], k, 24)
    spread = aoristic.hours_by_group(
        calls[aoristic.FROM][windowed], calls[aoristic.TO][windowed], key[windowed], k
    )
    return plain + spread


def peak_window(
    hours: np.ndarray, width: int, allowed: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Start hour and calls of the busiest ``width``-hour window of each row (wraps midnight).

    Parameters
    ----------
    hours : array of shape (k, 24)
        Calls per hour of the day.
    width : int
        Window length, hours (1-24).
    allowed : iterable of int, optional
        Hours (0-23) the window must lie within (the hour filter): only windows made wholly
        of these hours are candidates. ``width`` must fit in a run of them
        (:func:`window_width` gives the width that does).

    Returns
    -------
    start : ndarray of int
        First hour of the busiest window (the earliest start on ties).
    calls : ndarray of int
        Calls in it.

    Examples
    --------
    >>> h = np.zeros((1, 24), int); h[0, [23, 0, 1]] = 5; h[0, 12] = 9
    >>> peak_window(h, 3)
    (array([23]), array([15]))
    >>> h = np.zeros((1, 24), int); h[0, 17:21] = [9, 1, 1, 1]
    >>> peak_window(h, 3, allowed=range(18, 24))  # never 17:00-20:00 under an 18-23 filter
    (array([18]), array([3]))
    """
    hours = np.asarray(hours)
    win = sum(np.roll(hours, -j, axis=1) for j in range(int(width)))
    if allowed is not None:
        ok = _window_inside(allowed, int(width))
        if not ok.any():
            raise ParameterError(
                f"peak_window_h: no {int(width)}-hour window lies within the hours filtered"
            )
        win = np.where(ok[None, :], win, -1)
    start = np.argmax(win, axis=1)
    return start, win[np.arange(len(hours)), start]


def _window_inside(allowed: Any, width: int) -> np.ndarray:
    """Bool per start hour: the ``width`` hours from it are all ``allowed``."""
    a = np.zeros(24, dtype=np.int64)
    a[[int(h) % 24 for h in allowed]] = 1
    return sum(np.roll(a, -j) for j in range(int(width))) == int(width)


def window_width(width: int, allowed: Any = None) -> int:
    """``width``, shortened to the longest run of ``allowed`` hours when that is shorter.

    Examples
    --------
    >>> window_width(3, [22, 23]), window_width(3, range(18, 24)), window_width(3)
    (2, 3, 3)
    """
    if allowed is None or len(list(allowed)) == 0:
        return int(width)
    w = int(width)
    while w > 1 and not _window_inside(allowed, w).any():
        w -= 1
    return w


def empty_plan_hint(incidents: pd.DataFrame, params: PatrolParams, presenter: bool = False) -> Any:
    """Why a plan of these calls is empty and what would fill it
    (:class:`hotspots.suggest.Suggestion`), or ``None`` when there are no calls at all or
    nothing better can be said."""
    from hotspots import suggest

    if len(incidents) == 0:
        return None
    if params.method == "clusters":
        hint = suggest.dbscan_suggestion(incidents, params.eps, params.min_samples)
        if hint is not None:
            return hint
    if presenter:
        if params.method == "cells":
            return suggest.cells_suggestion(incidents, params.resolution, params.min_count)
        return suggest.Suggestion(
            "clusters",
            {},
            f"no cluster holds {params.min_count} calls, presenter mode's minimum",
            "tuning.plan_empty_min_count",
            {"min_count": params.min_count},
        )
    return None


def format_window(start: int, width: int) -> str:
    """``(20, 3)`` -> ``"20:00–23:00"``; ``(23, 2)`` -> ``"23:00–01:00"``."""
    return f"{start:02d}:00–{(start + width) % 24:02d}:00"


def patrol_plan(
    incidents: pd.DataFrame,
    venues: pd.DataFrame | None = None,
    params: PatrolParams | None = None,
    *,
    presenter: bool = False,
    lang: str = "en",
    hours: Any = None,
    weekdays: Any = None,
    tiles: TileConfig | None = None,
) -> gpd.GeoDataFrame:
    """The top hotspots with their location, dominant offenses and peak hours and weekdays.

    Parameters
    ----------
    incidents : DataFrame
        Canonical incidents, already filtered (``lat``, ``lon``, ``offense``, ``hour``,
        ``weekday``; ``premise`` is used when there are no venues).
    venues : DataFrame, optional
        Canonical venues, to name the hotspots' locations.
    params : PatrolParams, optional
        Method and parameters (default: top 10 H3 cells at resolution 9).
    presenter : bool
        Presenter mode: hotspots with fewer than ``params.min_count`` calls are left out and
        centres never come from call positions (see the module notes).
    lang : {"kk", "ru", "en"}
        Language of the text columns (``location``, ``top_offenses``, ``peak_weekdays``).
    hours, weekdays : iterable of int, optional
        The hour (0-23) and weekday (0 = Monday) filters in force: peak windows lie wholly
        within these hours (shortened to the longest run of them when ``peak_window_h`` does
        not fit) and peak days are among these weekdays.
    tiles : TileConfig, optional
        Basemap whose streets name the hotspots no venue names (the nearest named street
        within :data:`hotspots.maps.names.STREET_NAME_M` of the centre); by default the one
        ``HOTSPOTS_TILES`` chooses (the sample city's own basemap where it covers the calls).
        ``TileConfig.none()`` names no street.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per hotspot, busiest first, columns :data:`PATROL_COLUMNS`:
        ``rank`` (1 = busiest), ``hotspot`` (H3 id or cluster number), ``method``,
        ``n_incidents``, ``share_pct`` (of all the incidents given), ``area_km2``,
        ``oversized`` (larger than a patrol area, :data:`PATROL_AREA_KM2`: see
        :func:`oversized_note`),
        ``centroid_lat``/``centroid_lon`` (cell centre or cluster centre), ``location``
        (venues its calls are attributed to within ``venue_radius_m``, else the nearest venue
        within 1 km with its distance, else the dominant premise, else the nearest street of
        the basemap: names, never an H3 id), ``venues`` (venue ids named),
        ``nearest_venue_m`` (centre to the nearest venue), ``top_offenses`` (text) with
        ``offense_1..3`` (keys) and ``offense_1..3_pct``, ``peak_hours`` ("20:00–23:00"),
        ``peak_hour_start`` (Int64), ``peak_hours_pct`` (share of the hotspot's calls with a
        known hour), ``peak_weekdays`` (text), ``peak_weekday_ids`` ("4,5"; 0 = Monday),
        ``peak_weekdays_pct`` and the outline ``geometry``. An empty plan of some calls
        carries ``attrs["empty_hint"]`` (:func:`empty_plan_hint`: key, placeholders and an
        English message) so every output can say why, and what would fill it.

    Examples
    --------
    >>> from benchmarks.synthetic import make_incidents
    >>> plan = patrol_plan(make_incidents(2000, seed=1), params=PatrolParams(top=3))
    >>> len(plan), plan["rank"].tolist()
    (3, [1, 2, 3])
    """
    p = params or PatrolParams()
    check_lang(lang)
    if len(incidents):  # the method's auto values, from these calls
        p = p.resolved(incidents, names=p.own_fields)
    if not presenter and p.min_count != 1:  # suppression is a presenter-mode rule only
        p = replace(p, min_count=1)
    if p.method == "cells":
        top, member = _cells_hotspots(incidents, p, presenter)
    else:
        top, member = _cluster_hotspots(incidents, p, presenter)
    k = len(top)
    top = top.reset_index(drop=True)
    top.insert(0, "rank", np.arange(1, k + 1, dtype=np.int64))
    top["method"] = p.method
    total = len(incidents)
    top["share_pct"] = 100.0 * top["n_incidents"] / total if total else np.nan
    top["oversized"] = (top["area_km2"].to_numpy(dtype=float) > PATROL_AREA_KM2).astype(bool)

    inside = member >= 0
    calls = incidents.loc[inside]
    key = member[inside]

    # dominant offenses
    offs = _top_values(
        key,
        calls[OFFENSE] if OFFENSE in calls else pd.Series(["unknown"] * len(key)),
        k,
        N_OFFENSES,
    )
    text = [[] for _ in range(k)]
    for i in range(1, N_OFFENSES + 1):
        top[f"offense_{i}"] = pd.array([pd.NA] * k, dtype="string")
        top[f"offense_{i}_pct"] = np.full(k, np.nan)
    for row in offs.itertuples(index=False):  # at most k x 3 rows
        top.loc[row.k, f"offense_{row.pos + 1}"] = row.v
        top.loc[row.k, f"offense_{row.pos + 1}_pct"] = round(100.0 * row.share, 1)
        text[row.k].append(f"{offense_label(row.v, lang)} {100.0 * row.share:.0f}%")
    top["top_offenses"] = [", ".join(x) for x in text]

    # peak hours (a window that may wrap midnight) and the busiest weekdays
    allowed = sorted({int(h) for h in hours}) if hours else None
    width = window_width(p.peak_window_h, allowed)
    by_hour = _histogram(key, calls[HOUR], k, 24) if HOUR in calls else np.zeros((k, 24), int)
    by_hour = _aoristic_hours(calls, key, k, by_hour)  # from/to windows by their weights
    start, peak = peak_window(by_hour, width, allowed)
    known_h = by_hour.sum(axis=1)
    has_h = known_h > 0
    top["peak_hours"] = [
        format_window(int(s), width) if ok else "" for s, ok in zip(start, has_h, strict=True)
    ]
    top["peak_hour_start"] = pd.array(np.where(has_h, start, 0), dtype="Int64")
    top.loc[~has_h, "peak_hour_start"] = pd.NA
    top["peak_hours_pct"] = np.where(has_h, 100.0 * peak / np.maximum(known_h, 1), np.nan)

    days = _histogram(key, calls[WEEKDAY], k, 7) if WEEKDAY in calls else np.zeros((k, 7), int)
    if weekdays:  # only the days filtered can be peak days
        off = np.ones(7, dtype=bool)
        off[[int(d) for d in weekdays]] = False
        days[:, off] = 0
    order = np.argsort(-days, axis=1, kind="stable")[
        :, :N_WEEKDAYS
    ]  # busiest, Monday first on ties
    known_d = days.sum(axis=1)
    picked = np.take_along_axis(days, order, axis=1)
    ids_txt, day_txt = [], []
    for r in range(k):
        chosen = [int(d) for d, n in zip(order[r], picked[r], strict=True) if n > 0]
        ids_txt.append(",".join(map(str, chosen)))
        day_txt.append(", ".join(weekday_label(d, lang, short=True) for d in chosen))
    top["peak_weekdays"] = day_txt
    top["peak_weekday_ids"] = ids_txt
    top["peak_weekdays_pct"] = np.where(
        known_d > 0, 100.0 * picked.sum(axis=1) / np.maximum(known_d, 1), np.nan
    )

    streets = _streets(top, incidents, tiles, lang)
    location, venue_ids, nearest = _locations(top, calls, key, venues, p, lang, streets)
    top["location"], top["venues"], top["nearest_venue_m"] = location, venue_ids, nearest
    out = gpd.GeoDataFrame(top[list(PATROL_COLUMNS)], geometry="geometry", crs=CRS)
    if k == 0 and len(incidents):  # never silently empty: say why, and what would fill it
        hint = empty_plan_hint(incidents, p, presenter)
        out.attrs["empty_hint"] = (
            {"key": hint.key, "fmt": dict(hint.fmt), "message": hint.message}
            if hint is not None
            else {"key": "tuning.plan_empty_none", "fmt": {}, "message": "no hotspot found"}
        )
    out.attrs["params"] = p.as_dict()  # the numbers used (auto ones as computed)
    return out


def params_of_plan(plan: pd.DataFrame | None, params: PatrolParams | None) -> PatrolParams:
    """``params`` with its ``"auto"`` values replaced by the numbers ``plan`` was made with
    (:func:`patrol_plan` records them in ``plan.attrs["params"]``), for the pages that
    describe a plan.

    Examples
    --------
    >>> from benchmarks.synthetic import make_incidents
    >>> plan = patrol_plan(make_incidents(2000, seed=1), params=PatrolParams(top=3))
    >>> isinstance(params_of_plan(plan, PatrolParams(top=3)).resolution, int)
    True
    """
    p = params or PatrolParams()
    made = plan.attrs.get("params") if plan is not None else None
    if not p.auto_fields or not made:
        return p
    got = {n: made[n] for n in p.auto_fields if not defaults.is_auto(made.get(n))}
    return replace(p, **got)


def oversized_note(plan: pd.DataFrame, params: PatrolParams | None = None) -> str | None:
    """A warning (English, for the command line's stderr) naming the hotspots of ``plan``
    larger than a patrol area (:data:`PATROL_AREA_KM2`), with what to try instead; ``None``
    when there are none.

    Examples
    --------
    >>> plan = pd.DataFrame({"rank": [1, 2], "n_incidents": [10261, 417],
    ...                      "area_km2": [4.16, 0.006], "oversized": [True, False]})
    >>> print(oversized_note(plan, PatrolParams(method="clusters", eps=75, min_samples=30)))
    hotspot #1 (10,261 calls) covers 4.16 km², more than one patrol can cover (1 km²): DBSCAN chained neighbouring calls into one cluster; try a smaller --eps (e.g. 38) or --method cells
    """  # noqa: E501
    empty = plan.attrs.get("empty_hint") if len(plan) == 0 else None
    if empty:
        return f"the patrol plan is empty: {empty['message']}"
    if len(plan) == 0 or "oversized" not in plan:
        return None
    big = plan[plan["oversized"].astype(bool)]
    if len(big) == 0:
        return None
    p = params_of_plan(plan, params)
    which = ", ".join(
        f"#{int(r.rank)} ({int(r.n_incidents):,} calls) covers {r.area_km2:.2f} km²"
        for r in big.itertuples(index=False)
    )
    head = "hotspot" if len(big) == 1 else "hotspots"
    if p.method == "clusters":
        advice = (
            "DBSCAN chained neighbouring calls into one cluster; "
            f"try a smaller --eps (e.g. {p.eps / 2:.0f}) or --method cells"
        )
    else:
        advice = f"try a finer --resolution (e.g. {min(p.resolution + 1, 11)})"
    return f"{head} {which}, more than one patrol can cover ({PATROL_AREA_KM2:g} km²): {advice}"


def _streets(
    top: pd.DataFrame, incidents: pd.DataFrame, tiles: TileConfig | None, lang: str
) -> list[str]:
    """The nearest named street of each hotspot's centre on the basemap file of ``tiles``
    (``HOTSPOTS_TILES`` by default) where it covers the calls; "" where none is near."""
    if len(top) == 0:
        return []
    from hotspots.maps.names import STREET_NAME_M

    lat = top["centroid_lat"].to_numpy(dtype=float)
    lon = top["centroid_lon"].to_numpy(dtype=float)
    config = TileConfig.from_env() if tiles is None else tiles
    config = config.for_bounds((lon.min(), lat.min(), lon.max(), lat.max()))
    if config.file is None:
        return [""] * len(top)
    from hotspots.basemap.archive import open_basemap
    from hotspots.basemap.streets import nearest_street

    names = nearest_street(open_basemap(config.file), lat, lon, max_m=STREET_NAME_M, lang=lang)
    return [str(v) for v in names]


def _locations(
    top: gpd.GeoDataFrame,
    calls: pd.DataFrame,
    key: np.ndarray,
    venues: pd.DataFrame | None,
    p: PatrolParams,
    lang: str,
    streets: list[str] | None = None,
) -> tuple[list[str], list[str], np.ndarray]:
    """Readable location, venue ids named, and centre-to-nearest-venue distance per hotspot
    (``streets``: the street of each hotspot, named where no venue is)."""
    k = len(top)
    location = [""] * k
    named = [""] * k
    nearest_m = np.full(k, np.nan)
    if venues is not None and len(venues) and k:
        vt = pd.DataFrame(venues).reset_index(drop=True)
        vname = vt[NAME].astype("string").fillna("?") if NAME in vt else vt[VENUE_ID]
        vkind = vt[KIND].astype("string").fillna("") if KIND in vt else pd.Series([""] * len(vt))
        info = pd.DataFrame(
            {"name": vname.to_numpy(), "kind": vkind.to_numpy()},
            index=vt[VENUE_ID].astype("string").to_numpy(),
        )
        # venues the hotspot's calls are attributed to, most calls first
        att = attribute_to_venues(calls, vt, radius=p.venue_radius_m)
        linked = att[VENUE_ID].notna().to_numpy()
        if linked.any():
            tv = _top_values(key[linked], att.loc[linked, VENUE_ID], k, N_VENUES)
            for r, grp in tv.groupby("k"):
                labels = [_venue_text(info, v, lang) for v in grp["v"]]
                location[r] = "; ".join(labels)
                named[r] = ";".join(grp["v"])
        # the nearest venue to each centre (distance always; the label where nothing else)
        centres = pd.DataFrame(
            {LAT: top["centroid_lat"].to_numpy(), LON: top["centroid_lon"].to_numpy()}
        )
        near = attribute_to_venues(centres, vt, radius=NEAREST_VENUE_MAX_M)
        nearest_m = near["venue_distance_m"].to_numpy(dtype=float)
        for r in range(k):
            vid = near[VENUE_ID].iloc[r]
            if not location[r] and not pd.isna(vid):
                location[r] = t(
                    "patrol.near_venue",
                    lang,
                    venue=_venue_text(info, vid, lang),
                    m=f"{nearest_m[r]:.0f}",
                )
                named[r] = str(vid)
    if PREMISE in calls and k:
        prem = calls[PREMISE].astype("string")
        ok = prem.notna().to_numpy() & (prem.str.strip() != "").fillna(False).to_numpy()
        if ok.any():
            tp = _top_values(key[ok], prem[ok].str.strip(), k, 1)
            for row in tp.itertuples(index=False):
                if not location[row.k]:
                    location[row.k] = t(
                        "patrol.mostly_premise",
                        lang,
                        premise=row.v.lower(),
                        pct=f"{100.0 * row.share:.0f}",
                    )
    for r, street in enumerate(streets or []):  # no venue, no premise: the street
        if not location[r] and street:
            location[r] = street
    return location, named, nearest_m


def _venue_text(info: pd.DataFrame, vid: str, lang: str) -> str:
    name, kind = info.loc[vid, "name"], info.loc[vid, "kind"]
    if isinstance(name, pd.Series):  # duplicate ids: take the first
        name, kind = name.iloc[0], kind.iloc[0]
    return f"{name} ({venue_label(kind, lang)})" if kind else str(name)


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


#: Decimals kept in the exported files (6 decimals of a degree: ~0.1 m).
_ROUND: Final = {
    "share_pct": 2,
    "area_km2": 5,
    "centroid_lat": 6,
    "centroid_lon": 6,
    "nearest_venue_m": 1,
    **{f"offense_{i}_pct": 1 for i in range(1, N_OFFENSES + 1)},
    "peak_hours_pct": 1,
    "peak_weekdays_pct": 1,
}


def export_table(plan: gpd.GeoDataFrame, provenance: Provenance | None = None) -> pd.DataFrame:
    """The plan as a flat table (no geometry) with the provenance repeated in ``prov_*`` columns,
    so a CSV opened on its own still says where it came from."""
    out = pd.DataFrame(plan.drop(columns=plan.geometry.name))
    out = out.round(_ROUND)
    if provenance is not None:
        d = provenance.as_dict()
        out["prov_source"] = d["source"]
        out["prov_filters"] = d["filters"]
        out["prov_parameters"] = provenance.parameters_text()
        out["prov_made_at"] = d["made_at"]
        out["prov_tool"] = f"{d['tool']} {d['version']}"
    return out


def patrol_csv(plan: gpd.GeoDataFrame, provenance: Provenance | None = None) -> bytes:
    """CSV (UTF-8 with BOM, so spreadsheet programs read Cyrillic right) of :func:`export_table`;
    text that would run as a spreadsheet formula is quoted (:func:`hotspots.output.csv_bytes`)."""
    from hotspots.output import csv_bytes

    return csv_bytes(export_table(plan, provenance))


def patrol_geojson(plan: gpd.GeoDataFrame, provenance: Provenance | None = None) -> bytes:
    """GeoJSON FeatureCollection of the outlines with their properties; the provenance is a
    top-level ``"provenance"`` member (RFC 7946 foreign member: GIS readers ignore it)."""
    doc = json.loads(plan.to_json(na="null", drop_id=True))
    if provenance is not None:
        doc["provenance"] = provenance.as_dict()
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Printable page: one card per hotspot with a small SVG map
# --------------------------------------------------------------------------------------------


def _path_d(geom: shapely.Geometry) -> str:
    """SVG path data of a (multi)polygon already in pixel coordinates."""
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        for ring in [poly.exterior, *poly.interiors]:
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in ring.coords) + "Z")
    return "".join(parts)


def hotspot_minimap(
    plan: gpd.GeoDataFrame,
    rank: int,
    *,
    venues: pd.DataFrame | None = None,
    incidents: pd.DataFrame | None = None,
    size_px: int = 240,
    min_half_m: float = 250.0,
    max_venues: int = 6,
    max_points: int = 1500,
) -> dict[str, Any]:
    """Data for the small static map of one hotspot (drawn by the template as inline SVG).

    The frame is a square around the hotspot's centre, at least ``2 * min_half_m`` metres
    wide; it shows the hotspot outline, the other listed hotspots in the frame, the nearest
    venues with their names, the calls as dots when ``incidents`` is given (never in presenter
    mode), a scale bar and north up. Coordinates are pixels (y down), not degrees.

    Returns
    -------
    dict
        ``size`` (px), ``shape`` (SVG path of the hotspot), ``others`` (paths of the other
        hotspots in the frame), ``venues`` (dicts ``x``, ``y``, ``name``, ``kind``,
        ``anchor``), ``points`` (list of (x, y)), ``scale_m`` and ``scale_px`` (scale bar).
    """
    row = plan.loc[plan["rank"] == rank].iloc[0]
    lat0, lon0 = float(row["centroid_lat"]), float(row["centroid_lon"])
    crs = local_metric_crs(lat0, lon0)

    def metric(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        x, y, _ = to_metric(frame[LAT].to_numpy(float), frame[LON].to_numpy(float), crs)
        return x, y

    geoms = geometry_to_metric(plan.geometry.values, crs)
    me = int(np.flatnonzero(plan["rank"].to_numpy() == rank)[0])
    x0, y0, x1, y1 = shapely.bounds(geoms[me])
    half = max(min_half_m, 0.65 * max(x1 - x0, y1 - y0))
    s = size_px / (2 * half)

    def px(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.column_stack([(x + half) * s, (half - y) * s])

    pix = shapely.transform(geoms, lambda c: px(c[:, 0], c[:, 1]))
    view = shapely.box(-0.5 * size_px, -0.5 * size_px, 1.5 * size_px, 1.5 * size_px)
    others = [
        {"d": _path_d(pix[i]), "rank": int(plan["rank"].iloc[i])}
        for i in np.flatnonzero(shapely.intersects(pix, view))
        if i != me
    ]
    out_venues = []
    if venues is not None and len(venues):
        vx, vy = metric(venues)
        idx = np.flatnonzero((np.abs(vx) < half * 0.95) & (np.abs(vy) < half * 0.95))
        idx = idx[np.argsort(np.hypot(vx[idx], vy[idx]), kind="stable")][:max_venues]
        xy = px(vx[idx], vy[idx])
        n = len(venues)
        names = (venues[NAME] if NAME in venues else pd.Series([""] * n)).astype("string")
        kinds = (venues[KIND] if KIND in venues else pd.Series([""] * n)).astype("string")
        out_venues = [
            {
                "x": round(float(a), 1),
                "y": round(float(b), 1),
                "name": str(nm),
                "kind": str(kd),
                "anchor": "end" if a > size_px * 0.6 else "start",
            }
            for (a, b), nm, kd in zip(
                xy, names.fillna("").to_numpy()[idx], kinds.fillna("").to_numpy()[idx], strict=True
            )
        ]
    points: list[tuple[float, float]] = []
    if incidents is not None and len(incidents):
        # only calls near the frame are projected: a box of twice its half-width in degrees
        # (a degree of latitude is over 110 km) holds every call the frame can show
        dlat = 2.0 * half / 110_000.0
        dlon = dlat / max(math.cos(math.radians(lat0)), 0.01)
        lat, lon = incidents[LAT].to_numpy(float), incidents[LON].to_numpy(float)
        dl = (lon - lon0 + 540.0) % 360.0 - 180.0  # across the antimeridian too
        near = incidents[(np.abs(lat - lat0) < dlat) & (np.abs(dl) < dlon)]
        ix, iy = metric(near)
        ok = (np.abs(ix) < half) & (np.abs(iy) < half)
        points = [
            (round(float(a), 1), round(float(b), 1)) for a, b in px(ix[ok], iy[ok])[:max_points]
        ]
    # scale bar: a round length of at most half the frame's half-width
    scale_m = max(
        v for v in (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000) if v <= max(half / 2, 10)
    )
    return {
        "size": size_px,
        "shape": _path_d(pix[me]),
        "others": others,
        "venues": out_venues,
        "points": points,
        "scale_m": scale_m,
        "scale_px": round(scale_m * s, 1),
    }


def patrol_html(
    plan: gpd.GeoDataFrame,
    params: PatrolParams | None = None,
    *,
    provenance: Provenance,
    venues: pd.DataFrame | None = None,
    incidents: pd.DataFrame | None = None,
    presenter: bool = False,
    lang: str = "en",
    title: str | None = None,
    filters: Filters | None = None,
) -> str:
    """A printable HTML page: the plan's table and one card per hotspot with its small map.

    Parameters
    ----------
    plan : GeoDataFrame
        From :func:`patrol_plan` (in the same ``lang``).
    params : PatrolParams, optional
        The parameters the plan was made with (described under the title).
    provenance : Provenance
        Printed in the footer and stored in ``<meta>`` tags.
    venues : DataFrame, optional
        Canonical venues, drawn and named on the small maps.
    incidents : DataFrame, optional
        The filtered calls, drawn as dots on the small maps; ignored in presenter mode.
    presenter : bool
        Presenter mode: no call is drawn.
    lang : {"kk", "ru", "en"}
    title : str, optional
        Page title (default: the translated "Patrol plan").
    filters : Filters, optional
        The filters that produced the plan, printed in words in ``lang`` (default: the
        provenance's filter text).

    Returns
    -------
    str
        A self-contained HTML document (no external resource) that prints on A4.
    """
    from hotspots.templates import render

    check_lang(lang)
    p = params_of_plan(plan, params)
    dots = None if presenter else incidents
    cards = []
    for _, row in plan.iterrows():  # one card per listed hotspot (at most 100)
        cards.append(
            {
                "row": row,
                "map": hotspot_minimap(plan, int(row["rank"]), venues=venues, incidents=dots),
            }
        )
    return render(
        "patrol.html",
        lang=lang,
        title=title or t("patrol.title", lang),
        plan=plan,
        cards=cards,
        provenance=provenance,
        presenter=presenter,
        min_count=p.min_count,
        method_text=method_text(p, lang),
        filters_text=filters_text(provenance, filters, lang),
        oversized=oversized_lines(plan, lang),
    )


def oversized_lines(plan: pd.DataFrame, lang: str = "en") -> list[str]:
    """The plan's warnings in ``lang``: why an empty plan is empty (and what would fill it), or
    one line per hotspot larger than a patrol area: "⚠ #1 · Абай даңғылы:
    4.16 km² > 1 km², more than one patrol can cover: ..." (rank, the place its card is named
    after when it has one, never an H3 id, and what to try for its method; the printable
    plan's note under its title)."""
    from hotspots.i18n import format_number

    empty = plan.attrs.get("empty_hint") if len(plan) == 0 else None
    if empty:  # an empty plan says why, and what would fill it (patrol_plan)
        return [t("tuning.plan_empty", lang, message=t(empty["key"], lang, **empty["fmt"]))]
    if len(plan) == 0 or "oversized" not in plan:
        return []
    limit = format_number(PATROL_AREA_KM2, lang, 0 if float(PATROL_AREA_KM2).is_integer() else 1)
    km2 = t("unit.km2", lang)
    return [
        # named as its card is (its place), never by its H3 id or cluster number
        f"⚠ #{int(r.rank)}{' · ' + str(r.location) if _named(r.location) else ''}: "
        f"{format_number(r.area_km2, lang, 2)} {km2} > {limit} {km2}, "
        + t(
            "patrol.oversized_clusters" if r.method == "clusters" else "patrol.oversized_cells",
            lang,
        )
        for r in plan[plan["oversized"].astype(bool)].itertuples(index=False)
    ]


def _named(location: Any) -> bool:
    return isinstance(location, str) and location.strip() != ""


def filters_text(provenance: Provenance, filters: Filters | None, lang: str = "en") -> str:
    """The filters in words in ``lang`` (:func:`hotspots.i18n.describe_filters`); without
    ``filters``, the provenance's text (translated when it is "no filter")."""
    if filters is None:
        return provenance.filters_text(lang)
    return describe_filters(filters, lang)


def method_text(params: PatrolParams, lang: str = "en") -> str:
    """One line saying how the hotspots were found, e.g. "Top 10 H3 cells (resolution 9)"."""
    if params.method == "cells":
        return t("patrol.method_cells", lang, n=params.top, resolution=params.resolution)
    return t(
        "patrol.method_clusters",
        lang,
        n=params.top,
        eps=f"{params.eps:g}",
        min_samples=params.min_samples,
    )
