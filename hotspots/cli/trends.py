"""``hotspots trends``: when incidents happen and how each offense changes year on year."""

from __future__ import annotations

import json
import math
from typing import Any

import click
import pandas as pd

from hotspots.cli.common import (
    engine_options,
    filter_options,
    input_options,
    load_incidents,
    uses_dask,
)


@click.command("trends")
@input_options
@filter_options
@click.option(
    "--from-year",
    type=int,
    help="First year of the comparison (default: the first full year, else the first).",
)
@click.option(
    "--to-year",
    type=int,
    help="Second year of the comparison (default: the last full year, else the last).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the tables as one JSON object.")
@engine_options
def command(**kwargs: Any) -> None:
    """Counts per offense and year with year-over-year change (count and %), the change per
    offense between two years, calls by weekday x hour, and calls per month."""
    from hotspots.temporal import (
        change_years,
        hour_weekday_table,
        monthly_series,
        offense_change,
        yearly_by_offense,
    )

    if uses_dask(kwargs):
        from hotspots.cli.engine import trends_tables

        name, n, yearly, hw, monthly = trends_tables(kwargs)
    else:
        loaded = load_incidents(kwargs)
        inc = loaded.incidents
        name, n = loaded.source, len(inc)
        yearly = yearly_by_offense(inc)
        hw = hour_weekday_table(inc)
        monthly = monthly_series(inc)
    y0, y1, skipped = change_years(yearly, kwargs["from_year"], kwargs["to_year"])
    change = offense_change(None, from_year=y0, to_year=y1, yearly=yearly)
    if kwargs["as_json"]:
        out = {
            "source": name,
            "n_incidents": n,
            "yearly": _records(yearly),
            "change": {
                "from_year": change.attrs["from_year"],
                "to_year": change.attrs["to_year"],
                "partial_years_left_out": skipped,
                "offenses": _records(change),
            },
            "hour_weekday": _hour_weekday_json(hw),
            "monthly": [
                {"month": m.strftime("%Y-%m"), "count": int(c)}
                for m, c in zip(monthly["month"], monthly["count"], strict=True)
            ],
        }
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    click.echo(f"Trends on {name}: {n:,} incidents")
    click.echo("")
    click.echo(_yearly_text(yearly))
    click.echo("")
    y0, y1 = change.attrs["from_year"], change.attrs["to_year"]
    full = f" (full years; {', '.join(map(str, skipped))} partial)" if skipped else ""
    click.echo(f"Change {y0} -> {y1}{full}:")
    width = max([22, *(len(str(o)) for o in change["offense"])])
    for r in change.itertuples():
        pct = "" if r.change_pct is None or _isna(r.change_pct) else f" ({r.change_pct:+.1f} %)"
        click.echo(
            f"  {r.offense:<{width}} {r.from_count:>6} -> {r.to_count:<6} {r.change:+d}{pct} "
            f"{r.direction}"
        )
    click.echo("")
    click.echo(_hour_weekday_text(hw))
    click.echo("")
    click.echo(_monthly_text(monthly))


def _hour_weekday_json(hw: Any) -> dict[str, Any]:
    """The weekday x hour table for ``--json``: whole counts, or aoristic weights (fractions,
    6 decimals) with the windows counted and those of unknown time when calls have from/to
    windows (:func:`hotspots.temporal.hour_weekday_table`)."""
    if "aoristic" not in hw.attrs:
        return {
            "unknown": hw.attrs["unknown"],
            "counts": {day: [int(v) for v in hw.loc[day]] for day in hw.index},
        }
    return {
        "unknown": int(hw.attrs["unknown"]),
        "aoristic": int(hw.attrs["aoristic"]),
        "window_too_long": int(hw.attrs["too_long"]),
        "window_reversed": int(hw.attrs["reversed"]),
        "counts": {day: [round(float(v), 6) for v in hw.loc[day]] for day in hw.index},
    }


def _isna(v: Any) -> bool:
    """None, pandas.NA or NaN (strings are never missing)."""
    if isinstance(v, str):
        return False
    try:
        return v is None or v is pd.NA or math.isnan(float(v))
    except (TypeError, ValueError):
        return True


def _clean(v: Any) -> Any:
    if _isna(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _yearly_text(yearly: Any) -> str:
    """Offense x year counts, with the last year's change in percent."""
    from hotspots.temporal import partial_years

    wide = yearly.pivot(index="offense", columns="year", values="count")
    years = list(wide.columns)
    last = yearly[yearly["year"] == years[-1]].set_index("offense")["change_pct"]
    order = ["all"] + sorted(o for o in wide.index if o != "all")
    width = max([22, *(len(str(o)) + 1 for o in wide.index)])
    head = f"{'offense':<{width}}" + "".join(f"{y:>8}" for y in years)
    if len(years) > 1:
        head += f"   change {years[-2]}->{years[-1]}"
    lines = ["Incidents per year:", head]
    for off in order:
        if off not in wide.index:
            continue
        row = f"{off:<{width}}" + "".join(f"{int(wide.loc[off, y]):>8}" for y in years)
        if len(years) > 1:
            pct = last.get(off)
            row += "   " + ("n/a" if _isna(pct) else f"{pct:+.1f} %")
        lines.append(row)
    partial = partial_years(yearly)
    if partial:
        lines.append(
            f"note: partial year(s) {', '.join(map(str, partial))} (fewer than 12 months of data)"
        )
    return "\n".join(lines)


def _hour_weekday_text(hw: Any) -> str:
    """Weekday x hour counts in a compact grid, with the busiest slots."""
    unknown = int(hw.attrs.get("unknown") or 0)
    if unknown and int(hw.to_numpy().sum()) == 0:  # month-only data (police.uk)
        return (
            f"Incidents by weekday and hour: not recorded ({unknown:,} incidents have dates to "
            "the day or the month only)"
        )
    weighted = "aoristic" in hw.attrs  # from/to windows: fractions of incidents

    def num(v: float) -> str:
        return f"{v:.1f}" if weighted else str(int(v))

    lines = ["Incidents by weekday (rows) and hour (columns):"]
    lines.append("     " + "".join(f"{h:>5}" for h in hw.columns))
    for day in hw.index:
        lines.append(f"{day:<5}" + "".join(f"{num(v):>5}" for v in hw.loc[day]))
    stacked = hw.stack().sort_values(ascending=False).head(3)
    stacked = stacked[stacked > 0]
    busiest = ", ".join(f"{d} {h:02d}:00 ({num(c)})" for (d, h), c in stacked.items()) or "none"
    lines.append(f"busiest: {busiest}")
    if weighted:
        lines.append(
            f"({int(hw.attrs['aoristic']):,} incidents with a from/to window spread over it by "
            f"aoristic weights; {int(hw.attrs['too_long']):,} windows over a week and "
            f"{int(hw.attrs['reversed']):,} ending before they start count as unknown time)"
        )
    if hw.attrs.get("unknown"):
        lines.append(
            f"({int(hw.attrs['unknown']):,} incidents without a known weekday/hour left out)"
        )
    return "\n".join(lines)


def _monthly_text(monthly: Any) -> str:
    """Incidents per month: one row per year, one column per month (blank: outside the data)."""
    if monthly.empty:
        return "Incidents per month: none (no incident has a month)"
    m = pd.to_datetime(monthly["month"])
    grid = monthly.assign(year=m.dt.year, m=m.dt.month).pivot(
        index="year", columns="m", values="count"
    )
    names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    lines = ["Incidents per month:", "      " + "".join(f"{n:>7}" for n in names) + "    total"]
    for year, row in grid.iterrows():
        cells = "".join(
            f"{int(row[k]):>7}" if k in row.index and not _isna(row[k]) else f"{'':>7}"
            for k in range(1, 13)
        )
        lines.append(f"{year:<6}{cells}{int(row.sum()):>9}")
    return "\n".join(lines)
