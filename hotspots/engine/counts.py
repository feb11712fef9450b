"""H3 counts and the temporal tables on the engine: per-partition counts, then added.

Counting adds up: the count of a cell (or a month, an hour x weekday slot) over the dataset is
the sum of its counts over the partitions, so these results equal the single-machine ones
exactly (:func:`hotspots.grid.count_cells`, :func:`hotspots.temporal.hour_weekday_table`,
:func:`hotspots.temporal.monthly_series`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd

from hotspots import grid
from hotspots import temporal as T
from hotspots.engine.dataset import Source, add, add_counts, map_reduce
from hotspots.errors import InputError
from hotspots.schema import HOUR, LAT, LON, MONTH, OFFENSE, WEEKDAY, WEEKDAY_NAMES, YEAR


def _part_cells(frame: pd.DataFrame, resolution: int, by: list[str]) -> pd.DataFrame:
    """Counts per (uint64 cell, ``by``) of one partition, as :func:`hotspots.grid.count_cells`
    makes them before naming the cells (hex strings cost a Python call per cell)."""
    lat, lon = grid._check_coords(frame[LAT].to_numpy(), frame[LON].to_numpy())
    if lat.size == 0:
        return pd.DataFrame({"cell": np.empty(0, np.uint64), **{c: frame[c] for c in by}})
    codes, cells = grid._codes(lat, lon, resolution)
    cell_codes, cell_uniques = pd.factorize(cells)
    point_cell = cell_codes[codes]
    if not by:
        counts = np.bincount(point_cell, minlength=cell_uniques.size)
        return pd.DataFrame({"cell": cell_uniques.astype(np.uint64), "count": counts})
    part = pd.DataFrame({"_c": point_cell})
    for col in by:
        part[col] = frame[col].to_numpy()
    g = part.groupby(["_c", *by], dropna=False, sort=False, observed=True).size()
    out = g.rename("count").reset_index()
    out.insert(0, "cell", cell_uniques.astype(np.uint64)[out.pop("_c").to_numpy()])
    return out


def count_cells(
    source: Source | str,
    resolution: int = 9,
    by: str | Sequence[str] | None = None,
    *,
    area=None,
    progress: bool = False,
) -> pd.DataFrame:
    """:func:`hotspots.grid.count_cells` of a partitioned dataset, on the current Dask client.

    Parameters
    ----------
    source : Source or path
        The partitioned dataset (and its filters, study area).
    resolution, by, area
        As :func:`hotspots.grid.count_cells` (H3 resolution 7-11; columns to split by; the
        study area whose empty cells are added with count 0).
    progress : bool
        Dask's progress bar on the terminal.

    Returns
    -------
    pandas.DataFrame
        The same table as the single-machine function: ``cell``, the ``by`` columns,
        ``count``, in its order.
    """
    res = grid.check_resolution(resolution)
    by = [by] if isinstance(by, str) else list(by or [])
    keys = ["cell", *by]
    out = map_reduce(
        source,
        partial(_part_cells, resolution=res, by=by),
        partial(add_counts, keys=keys),
        columns=by,
        progress=progress,
    )
    out = out[["cell", *by, "count"]]
    if area is not None:
        out = grid._fill_area(out, grid.cells_in_area(area, res), by)
    out["cell"] = grid.to_str(out["cell"].to_numpy())
    out["count"] = out["count"].astype(np.int64)
    out = out[["cell", *by, "count"]]
    out = out.sort_values([*by, "count", "cell"], ascending=[True] * len(by) + [False, True])
    return out.reset_index(drop=True)


#: What a partition's hour x weekday table adds besides its 168 cells (attrs of the table).
_HW_ATTRS = ("unknown", "windows", "aoristic", "too_long", "reversed")


def _part_hour_weekday(frame: pd.DataFrame) -> np.ndarray:
    table = T.hour_weekday_table(frame)
    a = dict(table.attrs, windows=int("aoristic" in table.attrs))  # from/to windows
    return np.append(table.to_numpy().ravel(), [a.get(k, 0) for k in _HW_ATTRS])


def hour_weekday_table(source: Source | str, *, progress: bool = False) -> pd.DataFrame:
    """:func:`hotspots.temporal.hour_weekday_table` of a partitioned dataset (same table)."""
    flat = map_reduce(source, _part_hour_weekday, add, columns=[WEEKDAY, HOUR], progress=progress)
    n = len(_HW_ATTRS)
    table = pd.DataFrame(
        flat[:-n].reshape(7, 24),
        index=pd.Index(WEEKDAY_NAMES, name="weekday"),
        columns=range(24),
    )
    table.columns.name = "hour"
    attrs = dict(zip(_HW_ATTRS, (int(v) for v in flat[-n:]), strict=True))
    table.attrs["unknown"] = attrs["unknown"]
    if attrs.pop("windows"):  # aoristic weights, as the in-memory table says
        table.attrs.update({k: attrs[k] for k in ("aoristic", "too_long", "reversed")})
    return table


def _part_monthly(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    out = T.monthly_series(frame, by=by)
    return out.loc[out["count"] > 0]


def monthly_series(
    source: Source | str, *, by: str | None = None, progress: bool = False
) -> pd.DataFrame:
    """:func:`hotspots.temporal.monthly_series` of a partitioned dataset (same table: every
    month from the first to the last, every ``by`` value in every month)."""
    keys = ["month", *([by] if by else [])]
    cols = [YEAR, MONTH, *([by] if by else [])]
    part = map_reduce(
        source,
        partial(_part_monthly, by=by),
        partial(add_counts, keys=keys),
        columns=cols,
        progress=progress,
    )
    if part.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in [*keys, "count"]})
    months = pd.date_range(part["month"].min(), part["month"].max(), freq="MS").astype(
        part["month"].dtype
    )
    if by is None:
        full = pd.DataFrame({"month": months})
    else:
        labels = np.sort(part[by].astype(str).unique())
        full = pd.DataFrame(
            {"month": np.tile(months.to_numpy(), labels.size), by: np.repeat(labels, months.size)}
        )
        part = part.assign(**{by: part[by].astype(str)})
    out = full.merge(part, on=keys, how="left")
    out["count"] = out["count"].fillna(0).astype(np.int64)
    if by is not None:
        out[by] = out[by].to_numpy(dtype=object)
    return out


def total_rows(source: Source | str, *, progress: bool = False) -> int:
    """Number of rows of the (filtered) dataset."""
    n = map_reduce(source, len, add, progress=progress)
    if n == 0:
        raise InputError("no calls pass the filters in the dataset: nothing to analyse")
    return int(n)


def _part_yearly(frame: pd.DataFrame) -> pd.DataFrame:
    year = frame[YEAR].to_numpy(dtype="float64", na_value=np.nan)
    ok = ~np.isnan(year)
    off = frame[OFFENSE].astype("string").fillna("unknown").to_numpy(dtype=object)[ok]
    month = frame[MONTH].to_numpy(dtype="float64", na_value=np.nan)[ok]
    table = pd.DataFrame(
        {"offense": off.astype(str), "year": year[ok].astype(np.int64), "month": month}
    )
    return table.value_counts(dropna=False).rename("count").reset_index()


def yearly_by_offense(
    source: Source | str, *, total: bool = True, progress: bool = False
) -> pd.DataFrame:
    """:func:`hotspots.temporal.yearly_by_offense` of a partitioned dataset (the same table).

    Each partition counts its calls per (offense, year, month); the table's counts, changes
    and months with data follow from the added counts as on one machine.
    """
    keys = ["offense", "year", "month"]
    part = map_reduce(
        source,
        _part_yearly,
        partial(add_counts, keys=keys),
        columns=[YEAR, MONTH, OFFENSE],
        progress=progress,
    )
    cols = ["offense", "year", "count", "change", "change_pct", "months"]
    if part.empty:
        return pd.DataFrame(columns=cols)
    return T.yearly_table(
        part["offense"].to_numpy(dtype=object).astype(str),
        part["year"].to_numpy(dtype=np.int64),
        part["month"].to_numpy(dtype="float64", na_value=np.nan),
        part["count"].to_numpy(dtype=float),
        total=total,
    )


__all__ = ["count_cells", "hour_weekday_table", "monthly_series", "total_rows", "yearly_by_offense"]
