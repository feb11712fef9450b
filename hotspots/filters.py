"""Filters shared by every command and function: years, offenses, hours, weekdays, area."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots.i18n import LANGS, weekday_label
from hotspots.schema import CRS, HOUR, OFFENSE, OFFENSE_RAW, WEEKDAY, WEEKDAY_NAMES, YEAR
from hotspots.shapes import own_prepared


@dataclass(frozen=True)
class Filters:
    """A selection of incidents. ``None`` (or empty) means "no restriction".

    Parameters
    ----------
    years : tuple of int
        Calendar years to keep.
    offenses : tuple of str
        Offense labels; each matches the normalised ``offense`` or the raw ``offense_raw``
        value, ignoring case.
    hours : tuple of int
        Hours of the day (0-23) to keep. Incidents whose hour is unknown are dropped when an
        hour filter is set.
    weekdays : tuple of int
        Weekdays (0 = Monday .. 6 = Sunday) to keep; unknown weekdays are dropped when set.
    """

    years: tuple[int, ...] = field(default=())
    offenses: tuple[str, ...] = field(default=())
    hours: tuple[int, ...] = field(default=())
    weekdays: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "years", tuple(sorted({int(y) for y in self.years or ()})))
        object.__setattr__(self, "offenses", tuple(str(o) for o in self.offenses or ()))
        hours = tuple(sorted({int(h) for h in self.hours or ()}))
        if any(h < 0 or h > 23 for h in hours):
            raise ValueError(f"hours must be between 0 and 23, got {hours}")
        object.__setattr__(self, "hours", hours)
        days = tuple(sorted({int(d) for d in self.weekdays or ()}))
        if any(d < 0 or d > 6 for d in days):
            raise ValueError(f"weekdays must be 0 (Monday) to 6 (Sunday), got {days}")
        object.__setattr__(self, "weekdays", days)

    def describe(self) -> str:
        """A short human-readable summary (English), for export footers."""
        parts = []
        if self.years:
            parts.append("years " + ", ".join(map(str, self.years)))
        if self.offenses:
            parts.append("offenses " + ", ".join(self.offenses))
        if self.hours:
            parts.append("hours " + format_hours(self.hours))
        if self.weekdays:
            parts.append("weekdays " + ", ".join(WEEKDAY_NAMES[d] for d in self.weekdays))
        return "; ".join(parts) if parts else "all incidents"


def parse_hours(spec: str) -> tuple[int, ...]:
    """Parse ``"18-23"``, ``"22-3"`` (wraps past midnight) or ``"8,9,10"`` into hours."""
    out: list[int] = []

    def whole(tok: str) -> int:
        try:
            return int(tok)
        except ValueError:
            raise ValueError(
                f"hours {spec!r}: use whole hours 0-23, e.g. 18-23, 22-3 or 8,9,10"
            ) from None

    for part in str(spec).replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = (whole(v) for v in part.split("-", 1))
            if not (0 <= a <= 23 and 0 <= b <= 23):
                raise ValueError(f"hour range {part!r}: hours go from 0 to 23")
            out.extend(range(a, b + 1) if a <= b else [*range(a, 24), *range(0, b + 1)])
        else:
            h = whole(part)
            if not 0 <= h <= 23:
                raise ValueError(f"hour {h}: hours go from 0 to 23")
            out.append(h)
    return tuple(sorted(set(out)))


@lru_cache(maxsize=1)
def _weekday_words() -> dict[str, int]:
    """Weekday names and abbreviations of every app language, lower case -> 0 (Monday)..6:
    ``"сб"``, ``"суббота"``, ``"сн"``, ``"сенбі"`` ... (no two languages share a word
    for different days)."""
    words: dict[str, int] = {}
    for lang in LANGS:
        for day in range(7):
            for short in (False, True):
                words[weekday_label(day, lang, short=short).lower()] = day
    return words


def parse_weekdays(spec: str | Iterable[str]) -> tuple[int, ...]:
    """Parse ``"sat,sun"``, ``"0,6"``, ``"mon-fri"`` or the app languages' names (``"пт,сб"``,
    ``"жм-жс"``, ``"суббота"``) into weekday numbers (0 = Monday)."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[int] = []

    def one(tok: str) -> int:
        tok = tok.strip().lower()
        if tok.isdigit():
            d = int(tok)
            if not 0 <= d <= 6:
                raise ValueError(f"weekday {d}: use 0 (Monday) to 6 (Sunday)")
            return d
        for i, name in enumerate(WEEKDAY_NAMES):
            if tok[:3] == name:
                return i
        if tok in _weekday_words():
            return _weekday_words()[tok]
        raise ValueError(
            f"unknown weekday {tok!r}: use mon, tue, wed, thu, fri, sat, sun (or пн..вс, дс..жс)"
        )

    for item in items:
        item = item.strip()
        if not item:
            continue
        if "-" in item:
            a, b = (one(t) for t in item.split("-", 1))
            out.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            out.append(one(item))
    return tuple(sorted(set(out)))


def format_hours(hours: Iterable[int]) -> str:
    """Compact text for a set of hours: ``(18, 19, 20)`` -> ``"18-20"``."""
    hs = sorted(set(hours))
    runs: list[str] = []
    i = 0
    while i < len(hs):
        j = i
        while j + 1 < len(hs) and hs[j + 1] == hs[j] + 1:
            j += 1
        runs.append(str(hs[i]) if i == j else f"{hs[i]}-{hs[j]}")
        i = j + 1
    return ",".join(runs)


def filter_mask(incidents: pd.DataFrame, filters: Filters | None) -> np.ndarray:
    """Boolean mask of the incidents that pass ``filters`` (vectorised)."""
    n = len(incidents)
    mask = np.ones(n, dtype=bool)
    if filters is None:
        return mask
    if filters.years:
        mask &= incidents[YEAR].isin(filters.years).to_numpy(dtype=bool, na_value=False)
    if filters.offenses:
        wanted = {o.strip().casefold() for o in filters.offenses}
        off = incidents[OFFENSE].astype("string").str.casefold().isin(wanted)
        m = off.to_numpy(dtype=bool, na_value=False)
        if OFFENSE_RAW in incidents:
            raw = incidents[OFFENSE_RAW].astype("string").str.strip().str.casefold().isin(wanted)
            m = m | raw.to_numpy(dtype=bool, na_value=False)  # to_numpy may be read-only
        mask &= m
    if filters.hours:
        mask &= incidents[HOUR].isin(filters.hours).to_numpy(dtype=bool, na_value=False)
    if filters.weekdays:
        mask &= incidents[WEEKDAY].isin(filters.weekdays).to_numpy(dtype=bool, na_value=False)
    if filters.hours or filters.weekdays:
        mask = _window_mask(incidents, filters, mask)
    return mask


def _window_mask(incidents: pd.DataFrame, filters: Filters, mask: np.ndarray) -> np.ndarray:
    """Incidents with a from/to time window (aoristic, :mod:`hotspots.timeaware.aoristic`)
    pass the hour and weekday filters when at least half of their window lies in the chosen
    hours and weekdays (more likely in them than not), whatever their one recorded hour;
    windows over a week have an unknown time and do not pass."""
    from hotspots.timeaware import aoristic

    if aoristic.FROM not in incidents or aoristic.TO not in incidents:
        return mask
    start, end = incidents[aoristic.FROM], incidents[aoristic.TO]
    windowed = (aoristic.window_status(start, end) != "missing").to_numpy()
    if not windowed.any():
        return mask
    share = aoristic.hours_share(
        start[windowed], end[windowed], filters.hours or range(24), filters.weekdays or None
    )
    others = np.ones(len(incidents), dtype=bool)  # the filters other than hours and weekdays
    others &= filter_mask(incidents, replace(filters, hours=(), weekdays=()))
    out = mask.copy()
    out[windowed] = others[windowed] & (np.nan_to_num(share, nan=0.0) >= 0.5)
    return out


def within_area(gdf: pd.DataFrame, area: shapely.Geometry | gpd.GeoDataFrame) -> np.ndarray:
    """Boolean mask of the rows of ``gdf`` (``lat``/``lon`` columns or point geometries)
    inside ``area`` (EPSG:4326 polygon(s)).

    Points on the boundary count as inside, as at ingest (``outside_study_area``).
    """
    from hotspots.clusters import latlon_of

    if isinstance(area, gpd.GeoSeries | gpd.GeoDataFrame):
        area = shapely.union_all(area.to_crs(CRS).geometry.values)
        shapely.prepare(area)  # made here: this call's own
    else:  # the caller's, perhaps shared with other threads (app sessions): a copy
        area = own_prepared(area)
    lat, lon = latlon_of(gdf)
    return shapely.intersects_xy(area, lon, lat)


def apply_filters(
    incidents: gpd.GeoDataFrame,
    filters: Filters | None = None,
    area: shapely.Geometry | gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Incidents passing ``filters`` and inside ``area`` (when given), in their input order."""
    mask = filter_mask(incidents, filters)
    if area is not None:
        mask &= within_area(incidents, area)
    return incidents.loc[mask]
