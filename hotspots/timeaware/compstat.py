"""CompStat change with a test: the last 28 days against the 28 before, or the year to date
against the same days of last year, by offense and by area.

For counts ``now`` and ``before`` over exposures (days) ``e1`` and ``e0``, the exact test
conditions on their sum: under "no change in the rate", ``now ~ Binomial(now + before,
e1 / (e0 + e1))`` (``scipy.stats.binomtest``, two-sided; with equal periods the share is 1/2).
Wheeler's quick version ``z = 2 (sqrt(now) - sqrt(before))`` is given beside it. A count of 0
before is a count like any other: the change and the test are defined (only the percentage is
not). With many areas, Benjamini-Hochberg q-values (``q``) say which changes stand out after
testing them all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hotspots.errors import InputError, ParameterError
from hotspots.schema import LAT, LON, OFFENSE

#: Periods understood by :func:`periods`.
PERIODS = ("28d", "ytd")
#: Label of the all-offenses / whole-study-area rows.
ALL = "all"
#: H3 resolution of the default areas: about 5 km² cells (edge ~1.4 km).
AREA_RESOLUTION = 7

COLUMNS = ("before", "now", "change", "change_pct", "z", "p", "significant", "direction")


@dataclass(frozen=True)
class Periods:
    """The two periods compared, whole days, both ends included."""

    start: pd.Timestamp  # current period
    end: pd.Timestamp
    prev_start: pd.Timestamp  # the period it is compared with
    prev_end: pd.Timestamp

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1

    @property
    def prev_days(self) -> int:
        return int((self.prev_end - self.prev_start).days) + 1

    def label(self) -> str:
        """``"2019-09-02..2019-09-29 vs 2019-08-05..2019-09-01"``."""
        f = "%Y-%m-%d"
        return f"{self.start:{f}}..{self.end:{f}} vs {self.prev_start:{f}}..{self.prev_end:{f}}"


def periods(period: str, as_of: pd.Timestamp | str) -> Periods:
    """The current and previous periods ending on ``as_of`` (a day, included).

    ``"28d"``: the 28 days up to ``as_of`` and the 28 days before them. ``"ytd"``: 1 January
    to ``as_of`` and the same days of the year before (29 February -> 28 February).

    Examples
    --------
    >>> periods("28d", "2020-03-28").label()
    '2020-03-01..2020-03-28 vs 2020-02-02..2020-02-29'
    >>> periods("ytd", "2020-02-29").label()
    '2020-01-01..2020-02-29 vs 2019-01-01..2019-02-28'
    """
    if period not in PERIODS:
        raise ParameterError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    try:
        end = pd.Timestamp(as_of).normalize()
    except (TypeError, ValueError):
        raise ParameterError(f"as_of must be a date such as 2020-03-28, got {as_of!r}") from None
    if period == "28d":
        start = end - pd.Timedelta(days=27)
        return Periods(start, end, start - pd.Timedelta(days=28), start - pd.Timedelta(days=1))
    start = pd.Timestamp(year=end.year, month=1, day=1)
    day = min(end.day, 28) if (end.month, end.day) == (2, 29) else end.day
    prev_end = pd.Timestamp(year=end.year - 1, month=end.month, day=day)
    return Periods(start, end, pd.Timestamp(year=end.year - 1, month=1, day=1), prev_end)


def change_test(now, before, share: float = 0.5) -> pd.DataFrame:
    """Change between counts with the exact conditional binomial test.

    Parameters
    ----------
    now, before : array-like of int
        Counts in the current and the previous period (0 is a valid count).
    share : float
        Share of the exposure that is current: ``days / (days + prev_days)`` (1/2 for equal
        periods).

    Returns
    -------
    pandas.DataFrame
        ``before``, ``now``, ``change`` (now - before), ``change_pct`` (NaN when before is 0),
        ``z`` (Wheeler: 2 (sqrt(now) - sqrt(before))), ``p`` (two-sided exact test; 1 when
        both are 0), ``significant`` (filled by the caller's alpha: p <= 0.05 here) and
        ``direction`` ("up", "down", "flat").

    Examples
    --------
    >>> change_test([12], [0])[["change", "p"]].round(4).values.tolist()
    [[12.0, 0.0005]]
    """
    a = np.asarray(now, dtype=np.int64)
    b = np.asarray(before, dtype=np.int64)
    if a.shape != b.shape or (a < 0).any() or (b < 0).any():
        raise ParameterError("now and before must be counts >= 0 of the same length")
    if not 0 < share < 1:
        raise ParameterError(f"share must be within (0, 1), got {share!r}")
    # one exact test per distinct (now, before): counts repeat a lot over areas
    pairs, inverse = np.unique(np.column_stack([a, b]), axis=0, return_inverse=True)
    p_u = np.array(
        [stats.binomtest(int(x), int(x + y), share).pvalue if x + y > 0 else 1.0 for x, y in pairs]
    )
    p = p_u[np.ravel(inverse)] if a.size else np.empty(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(b > 0, 100.0 * (a - b) / np.where(b > 0, b, 1), np.nan)
    return pd.DataFrame(
        {
            "before": b,
            "now": a,
            "change": a - b,
            "change_pct": pct,
            "z": 2.0 * (np.sqrt(a) - np.sqrt(b)),
            "p": np.minimum(p, 1.0),
            "significant": p <= 0.05,
            "direction": np.select([a > b, a < b], ["up", "down"], default="flat"),
        }
    )


def _days(incidents: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    from hotspots.timeaware.nearrepeat import incident_days

    return incident_days(incidents)


def _window_counts(
    day: np.ndarray, keys: np.ndarray, n_keys: int, per: Periods
) -> tuple[np.ndarray, np.ndarray]:
    """Counts per key in the current and the previous period (days since 1970-01-01)."""

    def as_day(ts: pd.Timestamp) -> int:
        return int(np.datetime64(ts.date(), "D").astype(np.int64))

    cur = (day >= as_day(per.start)) & (day <= as_day(per.end))
    prev = (day >= as_day(per.prev_start)) & (day <= as_day(per.prev_end))
    return (
        np.bincount(keys[cur], minlength=n_keys),
        np.bincount(keys[prev], minlength=n_keys),
    )


def compstat(
    incidents: pd.DataFrame,
    *,
    period: str = "28d",
    as_of: pd.Timestamp | str | None = None,
    by: str = "offense",
    areas: pd.DataFrame | None = None,
    area_name: str | None = None,
    resolution: int = AREA_RESOLUTION,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """CompStat table: counts now and before, change and the exact test, per group.

    Parameters
    ----------
    incidents : DataFrame
        Canonical incidents (``occurred_at``, ``time_precision``, ``offense``, ``lat``/``lon``).
    period : {"28d", "ytd"}
        The last 28 days against the 28 before, or the year to date against the same days of
        the year before.
    as_of : date, optional
        Last day of the current period (default: the day of the latest incident).
    by : {"offense", "area"}
        Rows per offense (with ``"all"`` first) or per area (with the whole study area
        ``"all"`` first).
    areas : GeoDataFrame, optional
        Districts (polygons) for ``by="area"``; without them the areas are H3 cells of
        ``resolution``. An incident in no district is counted in ``"all"`` only.
    area_name : str, optional
        Column naming the districts (default: the first text column whose values are all
        different and not numbers, else the row number).
    resolution : int
        H3 resolution of the cells when no ``areas`` are given (7: about 5 km²).
    alpha : float
        Significance level of ``significant`` (on ``p``).

    Returns
    -------
    pandas.DataFrame
        ``offense`` or ``area``, then :data:`COLUMNS` and, for areas, ``q`` (Benjamini-
        Hochberg over the areas; NaN on the ``"all"`` row). Groups with no incident in
        either period are left out.
        ``attrs``: ``period``, ``periods`` (a :class:`Periods`), ``unknown_day`` (incidents
        dated to the month only, left out).
    """
    if by not in ("offense", "area"):
        raise ParameterError(f"by must be 'offense' or 'area', got {by!r}")
    if not 0 < float(alpha) < 1:
        raise ParameterError(f"alpha must be within (0, 1), got {alpha!r}")
    day, known = _days(incidents)
    if not known.any():
        raise InputError(
            "CompStat needs dates to the day; these incidents have a month only "
            "(compare months on the Trends page or with `hotspots trends`)"
        )
    if as_of is None:
        as_of = pd.Timestamp(np.datetime64(int(day[known].max()), "D"))
    per = periods(period, as_of)
    sub = incidents.loc[known] if not known.all() else incidents
    day = day[known]
    if by == "offense":
        if OFFENSE not in sub:
            raise InputError("incidents need an 'offense' column for CompStat by offense")
        labels, keys = np.unique(sub[OFFENSE].astype(str).to_numpy(), return_inverse=True)
        labels = np.concatenate([[ALL], labels])
        keys = np.ravel(keys) + 1
    else:
        labels, keys = _area_keys(sub, areas, area_name, resolution)
    n_keys = labels.size
    now, before = _window_counts(day, keys, n_keys, per)
    # the first row is every incident (also those in no district)
    total_now, total_before = _window_counts(day, np.zeros_like(keys), 1, per)
    now[0], before[0] = total_now[0], total_before[0]
    keep = (now + before) > 0
    keep[0] = True
    share = per.days / (per.days + per.prev_days)
    out = change_test(now[keep], before[keep], share)
    out["significant"] = out["p"] <= alpha
    out.insert(0, by, labels[keep])
    if by == "area":
        q = np.full(len(out), np.nan)  # the whole area is not one of the areas tested
        if len(out) > 1:
            q[1:] = stats.false_discovery_control(out["p"].to_numpy()[1:], method="bh")
        out["q"] = q
    rest = out.iloc[1:].sort_values(["p", by], kind="stable")
    out = pd.concat([out.iloc[:1], rest], ignore_index=True)
    out.attrs.update(period=period, periods=per, unknown_day=int((~known).sum()), alpha=alpha)
    return out


def _area_keys(
    incidents: pd.DataFrame, areas: pd.DataFrame | None, area_name: str | None, resolution: int
) -> tuple[np.ndarray, np.ndarray]:
    """Area labels (``"all"`` first) and each incident's area index (0: in no area)."""
    lat = incidents[LAT].to_numpy(dtype=float)
    lon = incidents[LON].to_numpy(dtype=float)
    if areas is None:
        from hotspots import grid

        ids = grid.cell_ids(lat, lon, resolution)
        cells, keys = np.unique(ids, return_inverse=True)
        return np.concatenate([[ALL], grid.to_str(cells)]), np.ravel(keys) + 1
    import geopandas as gpd
    import shapely

    names = _district_names(areas, area_name)
    polys = gpd.GeoSeries(areas.geometry.to_numpy(), crs=areas.crs).to_crs("EPSG:4326")
    tree = shapely.STRtree(polys.to_numpy())
    pts = shapely.points(lon, lat)
    hit_pt, hit_poly = tree.query(pts, predicate="within")
    keys = np.zeros(len(pts), dtype=np.int64)
    # a point on a shared border goes to the first district listed
    order = np.lexsort((hit_poly, hit_pt))
    hit_pt, hit_poly = hit_pt[order], hit_poly[order]
    first = np.ones(hit_pt.size, dtype=bool)
    first[1:] = hit_pt[1:] != hit_pt[:-1]
    keys[hit_pt[first]] = hit_poly[first] + 1
    return np.concatenate([[ALL], names]), keys


def _district_names(areas: pd.DataFrame, area_name: str | None) -> np.ndarray:
    if area_name is not None:
        if area_name not in areas:
            cols = ", ".join(c for c in areas.columns if c != areas.geometry.name)
            raise InputError(f"--area-name {area_name!r} is not a column of the areas: {cols}")
        return areas[area_name].astype(str).to_numpy()
    for col in areas.columns:
        if col == areas.geometry.name or not (
            pd.api.types.is_object_dtype(areas[col]) or pd.api.types.is_string_dtype(areas[col])
        ):
            continue
        values = areas[col].astype(str)
        numeric = pd.to_numeric(values, errors="coerce").notna().all()
        if values.is_unique and not numeric:
            return values.to_numpy()
    return np.array([str(i + 1) for i in range(len(areas))])


def json_records(table: pd.DataFrame) -> list[dict]:
    """Rows as plain JSON values (``change_pct`` None when the count before is 0)."""
    out = []
    for row in table.to_dict(orient="records"):
        rec = {}
        for k, v in row.items():
            if isinstance(v, float | np.floating):
                rec[k] = None if not np.isfinite(v) else round(float(v), 6)
            elif isinstance(v, np.integer):
                rec[k] = int(v)
            elif isinstance(v, np.bool_):
                rec[k] = bool(v)
            else:
                rec[k] = v
        out.append(rec)
    return out
