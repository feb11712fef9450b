"""When incidents happen: hour x weekday tables, monthly series, year-over-year change.

All functions take canonical incidents (only the columns they name) and return plain frames
with every slot present (zero counts included), in calendar order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotspots.errors import ParameterError
from hotspots.schema import HOUR, MONTH, OFFENSE, WEEKDAY, WEEKDAY_NAMES, YEAR

#: Label of the all-offenses rows of :func:`yearly_by_offense`.
ALL_OFFENSES = "all"


def _int_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        raise ParameterError(f"incidents: column {name!r} is missing (canonical incidents needed)")
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def hour_weekday_table(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per weekday (rows ``mon`` .. ``sun``) and hour of the day (columns 0-23).

    Incidents whose weekday or hour is unknown (month-only or day-only dates) are left out;
    their number is in ``table.attrs["unknown"]``. Incidents with a from/to time window
    (``occurred_from``/``occurred_to``) count by their aoristic weights (Ratcliffe 2002,
    :mod:`hotspots.timeaware.aoristic`): the table holds fractions, and windows over a week
    or ending before they start are unknown too (``attrs``: ``aoristic`` incidents counted
    by their windows, ``too_long`` and ``reversed`` windows, all within ``unknown``).

    Examples
    --------
    >>> import pandas as pd
    >>> t = hour_weekday_table(pd.DataFrame({"weekday": [0, 0, 6], "hour": [8, 8, 23]}))
    >>> int(t.loc["mon", 8]), int(t.loc["sun", 23]), int(t.to_numpy().sum())
    (2, 1, 3)
    """
    from hotspots.timeaware import aoristic

    if aoristic.FROM in incidents and aoristic.TO in incidents:
        return _aoristic_hour_weekday(incidents)
    day = _int_column(incidents, WEEKDAY)
    hour = _int_column(incidents, HOUR)
    ok = ~np.isnan(day) & ~np.isnan(hour)
    flat = day[ok].astype(np.int64) * 24 + hour[ok].astype(np.int64)
    counts = np.bincount(flat, minlength=7 * 24).reshape(7, 24)
    table = pd.DataFrame(counts, index=pd.Index(WEEKDAY_NAMES, name="weekday"), columns=range(24))
    table.columns.name = "hour"
    table.attrs["unknown"] = int((~ok).sum())
    return table


def _aoristic_hour_weekday(incidents: pd.DataFrame) -> pd.DataFrame:
    """:func:`hour_weekday_table` for incidents with time windows: aoristic weights where the
    window is given, the recorded weekday and hour where it is not."""
    from hotspots.timeaware import aoristic

    status = aoristic.window_status(incidents[aoristic.FROM], incidents[aoristic.TO])
    windowed = (status != "missing").to_numpy()
    table = aoristic.aoristic_table(
        incidents[aoristic.FROM][windowed], incidents[aoristic.TO][windowed]
    )
    plain = hour_weekday_table(incidents.loc[~windowed].drop(columns=[aoristic.FROM]))
    out = table + plain.to_numpy()
    out.attrs["unknown"] = plain.attrs["unknown"] + table.attrs["unknown"] + table.attrs["reversed"]
    out.attrs["aoristic"] = table.attrs["used"]
    out.attrs["too_long"] = table.attrs["unknown"]  # windows over a week: unknown time
    out.attrs["reversed"] = table.attrs["reversed"]  # ending before they start: unknown too
    return out


def monthly_series(incidents: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Incidents per calendar month, every month from the first to the last one included.

    Parameters
    ----------
    incidents : DataFrame
        Needs ``year`` and ``month`` (and the ``by`` column).
    by : str, optional
        Column to split by, e.g. ``"offense"``: one row per month and value.

    Returns
    -------
    pandas.DataFrame
        ``month`` (Timestamp, first day of the month), [``by``], ``count`` (int64).
    """
    year = _int_column(incidents, YEAR)
    month = _int_column(incidents, MONTH)
    ok = ~np.isnan(year) & ~np.isnan(month)
    idx = (year[ok] * 12 + month[ok] - 1).astype(np.int64)
    if idx.size == 0:
        cols = ["month", *([by] if by else []), "count"]
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in cols})
    first, last = int(idx.min()), int(idx.max())
    months = pd.to_datetime(
        {
            "year": np.arange(first, last + 1) // 12,
            "month": np.arange(first, last + 1) % 12 + 1,
            "day": 1,
        }
    )
    if by is None:
        counts = np.bincount(idx - first, minlength=last - first + 1)
        return pd.DataFrame({"month": months, "count": counts.astype(np.int64)})
    if by not in incidents:
        raise ParameterError(f"by: column {by!r} is not in the incidents")
    key = incidents[by].to_numpy()[ok]
    labels, codes = np.unique(key.astype(str), return_inverse=True)
    n_m = last - first + 1
    counts = np.bincount(codes * n_m + (idx - first), minlength=labels.size * n_m)
    return pd.DataFrame(
        {
            "month": np.tile(months.to_numpy(), labels.size),
            by: np.repeat(labels, n_m),
            "count": counts.astype(np.int64),
        }
    )


def yearly_by_offense(incidents: pd.DataFrame, *, total: bool = True) -> pd.DataFrame:
    """Incidents per offense and year with the change from the previous year.

    Parameters
    ----------
    incidents : DataFrame
        Needs ``year``, ``month`` and ``offense``.
    total : bool
        Add rows for all offenses together (offense ``"all"``, listed first).

    Returns
    -------
    pandas.DataFrame
        ``offense``, ``year``, ``count``, ``change`` (count minus the previous year's, <NA> in
        the first year), ``change_pct`` (``100 * change / previous``, <NA> when the previous
        year had none) and ``months`` (months of that year holding any incident: fewer than 12
        means a partial year, compare with care). Every offense has a row for every year.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"year": [2020, 2020, 2021], "month": [1, 2, 1],
    ...                    "offense": ["theft", "theft", "theft"]})
    >>> t = yearly_by_offense(df, total=False)
    >>> t[["year", "count", "change", "change_pct"]].values.tolist()
    [[2020, 2, <NA>, <NA>], [2021, 1, -1, -50.0]]
    """
    year = _int_column(incidents, YEAR)
    month = _int_column(incidents, MONTH)
    if OFFENSE not in incidents:
        raise ParameterError("incidents: column 'offense' is missing (canonical incidents needed)")
    ok = ~np.isnan(year)
    yrs = year[ok].astype(np.int64)
    cols = ["offense", "year", "count", "change", "change_pct", "months"]
    if yrs.size == 0:
        return pd.DataFrame(columns=cols)
    off = incidents[OFFENSE].astype("string").fillna("unknown").to_numpy(dtype=object)[ok]
    return yearly_table(off.astype(str), yrs, month[ok], total=total)


def yearly_table(
    offense: np.ndarray,
    year: np.ndarray,
    month: np.ndarray,
    weight: np.ndarray | None = None,
    *,
    total: bool = True,
) -> pd.DataFrame:
    """The table of :func:`yearly_by_offense` from per-row (or per-group) values: ``offense``
    labels, ``year`` (int), ``month`` (float, NaN when unknown) and optional ``weight`` (calls
    each row stands for: the Dask engine passes its partitions' added counts)."""
    years = np.arange(year.min(), year.max() + 1)
    labels, codes = np.unique(offense, return_inverse=True)
    n_y = years.size
    counts = np.bincount(
        codes * n_y + (year - years[0]), weights=weight, minlength=labels.size * n_y
    ).astype(np.int64)
    counts = counts.reshape(labels.size, n_y)
    if total:
        labels = np.concatenate([[ALL_OFFENSES], labels])
        counts = np.vstack([counts.sum(axis=0), counts])
    prev = np.concatenate([np.full((labels.size, 1), -1), counts[:, :-1]], axis=1)
    change = pd.array(np.where(prev >= 0, counts - prev, 0).ravel(), dtype="Int64")
    change[(prev < 0).ravel()] = pd.NA
    pct = pd.array(np.full(counts.size, np.nan), dtype="Float64")
    okp = (prev > 0).ravel()
    pct[okp] = 100.0 * (counts - prev).ravel()[okp] / prev.ravel()[okp]
    pct[~okp] = pd.NA
    # months with data per year (over all offenses): flags partial years
    has_m = ~np.isnan(month)
    month_ids = np.unique((year[has_m] - years[0]) * 12 + month[has_m].astype(np.int64) - 1)
    months = np.bincount(month_ids // 12, minlength=n_y)
    return pd.DataFrame(
        {
            "offense": np.repeat(labels, n_y),
            "year": np.tile(years, labels.size),
            "count": counts.ravel().astype(np.int64),
            "change": change,
            "change_pct": pct,
            "months": np.tile(months, labels.size).astype(np.int64),
        }
    )


def offense_change(
    incidents: pd.DataFrame | None,
    *,
    from_year: int | None = None,
    to_year: int | None = None,
    yearly: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Change per offense between two years (default: the first and the last year).

    ``yearly``: the :func:`yearly_by_offense` table (with the total) when already made, e.g.
    by :func:`hotspots.engine.yearly_by_offense`; ``incidents`` is then not read.

    Returns
    -------
    pandas.DataFrame
        ``offense``, ``from_count``, ``to_count``, ``change``, ``change_pct`` (<NA> when the
        first year had none), ``direction`` ("up", "down", "flat"), largest rise first;
        ``attrs["from_year"]`` and ``attrs["to_year"]`` name the years.
    """
    table = yearly if yearly is not None else yearly_by_offense(incidents, total=True)
    if table.empty:
        raise ParameterError("incidents: no incident has a year; cannot compare years")
    y0 = int(table["year"].min()) if from_year is None else int(from_year)
    y1 = int(table["year"].max()) if to_year is None else int(to_year)
    have = set(table["year"].astype(int))
    for name, y in (("from_year", y0), ("to_year", y1)):
        if y not in have:
            raise ParameterError(f"{name}: no incidents in {y}; years present: {sorted(have)}")
    a = table[table["year"] == y0].set_index("offense")["count"]
    b = table[table["year"] == y1].set_index("offense")["count"]
    out = pd.DataFrame({"from_count": a, "to_count": b}).reset_index()
    out["change"] = out["to_count"] - out["from_count"]
    pct = pd.array(np.full(len(out), np.nan), dtype="Float64")
    pos = out["from_count"].to_numpy() > 0
    pct[pos] = 100.0 * out["change"].to_numpy()[pos] / out["from_count"].to_numpy()[pos]
    pct[~pos] = pd.NA
    out["change_pct"] = pct
    out["direction"] = np.select(
        [out["change"] > 0, out["change"] < 0], ["up", "down"], default="flat"
    )
    out = out.sort_values(["change", "offense"], ascending=[False, True], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["from_year"], out.attrs["to_year"] = y0, y1
    return out


def change_years(
    yearly: pd.DataFrame, from_year: int | None = None, to_year: int | None = None
) -> tuple[int | None, int | None, list[int]]:
    """The years a first-to-last change compares: those given, else the first and last *full*
    years of :func:`yearly_by_offense`'s table.

    A first or last year with fewer than 12 months of data (Chicago's sample ends in
    September 2019) would show a fall that is only the missing months, so by default the
    comparison runs between the first and the last year with data in all 12 months, when
    there are two such years (as ``hotspots trends`` does). Returns ``(from_year, to_year,
    partial years left out)``; ``None`` leaves the choice to :func:`offense_change` (first and
    last year).

    Examples
    --------
    >>> import pandas as pd
    >>> yearly = pd.DataFrame({"year": [2018, 2019, 2020, 2021], "months": [3, 12, 12, 9]})
    >>> change_years(yearly)
    (2019, 2020, [2018, 2021])
    """
    if yearly.empty:
        return from_year, to_year, []
    months = yearly.drop_duplicates("year").set_index("year")["months"]
    years = sorted(int(y) for y in months.index)
    full = [y for y in years if months[y] >= 12]
    if len(full) < 2 or (from_year is not None and to_year is not None):
        return from_year, to_year, []
    y0 = full[0] if from_year is None else int(from_year)
    y1 = full[-1] if to_year is None else int(to_year)
    skipped = [y for y in years if (from_year is None and y < y0) or (to_year is None and y > y1)]
    return y0, y1, skipped


def partial_years(yearly: pd.DataFrame) -> dict[int, int]:
    """Years of :func:`yearly_by_offense`'s table with fewer than 12 months of data, and their
    number of months with data (compare them with care)."""
    if yearly.empty:
        return {}
    months = yearly.drop_duplicates("year").set_index("year")["months"]
    return {int(y): int(m) for y, m in months.items() if m < 12}
