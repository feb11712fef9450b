"""``hotspots change``: CompStat change with a test, by offense and by area."""

from __future__ import annotations

import json
import math
from typing import Any

import click
import pandas as pd

from hotspots.cli.common import filter_options, input_options, load_incidents, note


@click.command("change")
@input_options
@filter_options
@click.option(
    "--period",
    type=click.Choice(["28d", "ytd"]),
    default="28d",
    show_default=True,
    help="28d: the last 28 days against the 28 before; ytd: the year to date against the "
    "same days last year.",
)
@click.option("--as-of", help="Last day of the current period, e.g. 2019-09-29 (default: the "
              "day of the latest incident).")  # fmt: skip
@click.option(
    "--areas",
    type=click.Path(exists=True, dir_okay=False),
    help="Districts file (GeoJSON, GPKG ...): change per district (default: H3 cells).",
)
@click.option("--area-name", help="Column naming the districts (found when omitted).")
@click.option(
    "--resolution",
    type=int,
    default=7,
    show_default=True,
    help="H3 resolution of the areas without --areas (7: cells of about 5 km²).",
)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Significance level.")
@click.option("--json", "as_json", is_flag=True, help="Print both tables as one JSON object.")
def command(**kwargs: Any) -> None:
    """Counts now and before, the change and its exact test (conditional binomial: is the
    share of the calls that fall in the current period more than its share of the days?) per
    offense and per area. A 0 before is a count: the change and the test are still given."""
    from hotspots.io import read_boundary
    from hotspots.timeaware.compstat import compstat, json_records

    loaded = load_incidents(kwargs)
    common = {"period": kwargs["period"], "as_of": kwargs["as_of"], "alpha": kwargs["alpha"]}
    by_offense = compstat(loaded.incidents, by="offense", **common)
    areas = read_boundary(kwargs["areas"]) if kwargs["areas"] else None
    by_area = compstat(
        loaded.incidents,
        by="area",
        areas=areas,
        area_name=kwargs["area_name"],
        resolution=kwargs["resolution"],
        **common,
    )
    per = by_offense.attrs["periods"]
    if by_offense.attrs["unknown_day"]:
        note(f"{by_offense.attrs['unknown_day']:,} incident(s) dated to the month only left out")
    area_kind = "districts" if areas is not None else f"h3_{kwargs['resolution']}"
    if kwargs["as_json"]:
        out = {
            "source": loaded.source,
            "period": kwargs["period"],
            "current": [f"{per.start:%Y-%m-%d}", f"{per.end:%Y-%m-%d}"],
            "previous": [f"{per.prev_start:%Y-%m-%d}", f"{per.prev_end:%Y-%m-%d}"],
            "test": "exact conditional binomial (two-sided)",
            "by_offense": json_records(by_offense),
            "areas": area_kind,
            "by_area": json_records(by_area),
        }
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    click.echo(f"CompStat change on {loaded.source}: {per.label()} ({kwargs['period']})")
    click.echo(
        "p: exact conditional binomial test, two-sided; * = p <= {:g}".format(kwargs["alpha"])
    )
    click.echo("")
    click.echo(_table(by_offense, "offense"))
    click.echo("")
    rest = by_area.iloc[1:]
    sig = rest[rest["significant"]]
    shown = pd.concat([by_area.iloc[:1], sig])
    kind = "districts" if areas is not None else f"H3 cells, resolution {kwargs['resolution']}"
    click.echo(
        f"By area ({kind}; {len(rest):,} with calls, {len(sig):,} with p <= "
        f"{kwargs['alpha']:g}, listed):"
    )
    click.echo(_table(shown, "area", q=True))


def _table(t: Any, key: str, q: bool = False) -> str:
    width = max([12, *(len(str(v)) for v in t[key])])
    head = f"{key:<{width}} {'before':>7} {'now':>7} {'change':>7} {'%':>8} {'p':>8}"
    lines = [head + (f" {'q':>8}" if q else "")]
    for r in t.to_dict(orient="records"):
        pct = "n/a" if not math.isfinite(r["change_pct"]) else f"{r['change_pct']:+.1f}"
        line = (
            f"{str(r[key]):<{width}} {r['before']:>7,} {r['now']:>7,} {r['change']:>+7,} "
            f"{pct:>8} {r['p']:>8.4f}"
        )
        if q:
            line += f" {'' if not math.isfinite(r['q']) else format(r['q'], '.4f'):>8}"
        lines.append(line + (" *" if r["significant"] else ""))
    return "\n".join(lines)
