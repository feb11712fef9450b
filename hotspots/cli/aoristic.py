"""``hotspots aoristic``: hour x weekday weights of incidents recorded as from/to windows."""

from __future__ import annotations

import json
from typing import Any

import click

from hotspots.cli.common import filter_options, input_options, load_incidents


@click.command("aoristic")
@input_options
@filter_options
@click.option("--from", "window_from", help="Same as --from-col (the window's start column).")
@click.option("--to", "window_to", help="Same as --to-col (the window's end column).")
@click.option(
    "--max-hours",
    type=float,
    default=168.0,
    show_default=True,
    help="Longest usable window, hours; longer ones count as unknown time.",
)
@click.option(
    "--peak-width", type=int, default=4, show_default=True, help="Hours of the peak window."
)
@click.option("--json", "as_json", is_flag=True, help="Print the table as one JSON object.")
def command(**kwargs: Any) -> None:
    """Aoristic analysis (Ratcliffe 2002): each incident known only to lie between a from and a
    to time spreads its weight of 1 evenly over the hours and weekdays of its window. Prints
    the weighted weekday x hour table, the peak hours, and the windows of unknown time."""
    from hotspots.errors import InputError
    from hotspots.timeaware.aoristic import FROM, TO, aoristic_table, peak_hours

    kwargs["from_col"] = kwargs.get("from_col") or kwargs.pop("window_from", None)
    kwargs["to_col"] = kwargs.get("to_col") or kwargs.pop("window_to", None)
    loaded = load_incidents(kwargs)  # ingest keeps the window (hotspots.timeaware.windows)
    inc = loaded.incidents
    if FROM not in inc or TO not in inc:
        raise InputError(
            f"no time-window columns found in {loaded.source} (two date columns, the second "
            "after the first and within a week on most rows, such as 'date_from' and "
            "'date_to'); name them with --from-col and --to-col"
        )
    table = aoristic_table(inc[FROM], inc[TO], max_hours=kwargs["max_hours"])
    a = table.attrs
    peak = peak_hours(table, kwargs["peak_width"]) if a["used"] else None
    if kwargs["as_json"]:
        out = {
            "source": loaded.source,
            "used": a["used"],
            "unknown_time": a["unknown"],
            "reversed": a["reversed"],
            "missing": a["missing"],
            "weights": {d: [round(float(v), 6) for v in table.loc[d]] for d in table.index},
            "peak": None
            if peak is None
            else {"start_hour": peak[0], "hours": kwargs["peak_width"], "share": peak[1]},
        }
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(
        f"Aoristic weights on {loaded.source}: {a['used']:,} incidents with a usable window; "
        f"unknown time (window over {kwargs['max_hours']:g} h): {a['unknown']:,}; "
        f"ending before they start: {a['reversed']:,}; no window: {a['missing']:,}"
    )
    click.echo("Weighted incidents by weekday (rows) and hour (columns):")
    click.echo("     " + "".join(f"{h:>6}" for h in table.columns))
    for day in table.index:
        click.echo(f"{day:<5}" + "".join(f"{v:>6.1f}" for v in table.loc[day]))
    if peak is not None:
        end = (peak[0] + kwargs["peak_width"]) % 24
        click.echo(
            f"peak hours: {peak[0]:02d}:00-{end:02d}:00 ({100 * peak[1]:.1f} % of the weight)"
        )
