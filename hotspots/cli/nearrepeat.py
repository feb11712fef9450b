"""``hotspots nearrepeat``: the Knox test of near repeats over distance x time bands."""

from __future__ import annotations

import json
import math
from typing import Any

import click

from hotspots.cli.common import filter_options, input_options, load_incidents, note

#: Presenter mode's smallest count shown, as the patrol plan's (PatrolParams.min_count).
PRESENTER_MIN_COUNT = 5


@click.command("nearrepeat")
@input_options
@filter_options
@click.option(
    "--distance-bands",
    default="100,200,300,400",
    show_default=True,
    help="Upper edges of the distance bands, metres: 100,200 means 0-100 and 100-200 m.",
)
@click.option(
    "--time-bands",
    default="7,14,21,28",
    show_default=True,
    help="Upper edges of the time bands, whole days: 7,14 means 0-7 and 8-14 days.",
)
@click.option(
    "--permutations",
    type=int,
    default=999,
    show_default=True,
    help="Monte Carlo runs permuting the days among the places.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the permutations.")
@click.option(
    "--alpha",
    type=float,
    default=0.05,
    show_default=True,
    help="Significance level of the near-repeat zone.",
)
@click.option(
    "--presenter",
    is_flag=True,
    help="Presenter mode: band pairs with fewer pairs than --min-count show '< K', without "
    "their ratio and p-value.",
)
@click.option(
    "--min-count",
    type=int,
    help="With --presenter: the smallest pair count shown (default 5).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the band pairs as a JSON list.")
def command(**kwargs: Any) -> None:
    """Near repeats (Knox test, as Ratcliffe's Near Repeat Calculator): pairs of incidents per
    distance band and time band, against Monte Carlo permutations of the days; Knox ratio
    (observed / expected) and p-value per band pair, with the near-repeat zone (p <= alpha,
    ratio > 1). Incidents dated to the month only are left out."""
    from hotspots.errors import InputError
    from hotspots.privacy import suppress_knox
    from hotspots.timeaware.nearrepeat import json_records, near_repeat

    if kwargs.get("min_count") is not None and not kwargs.get("presenter"):
        raise InputError("--min-count is the presenter mode's suppression: add --presenter")
    loaded = load_incidents(kwargs)
    res = near_repeat(
        loaded.incidents,
        distance_bands=kwargs["distance_bands"],
        time_bands=kwargs["time_bands"],
        permutations=kwargs["permutations"],
        seed=kwargs["seed"],
        alpha=kwargs["alpha"],
    )
    if kwargs.get("presenter"):  # no pair count under K (hotspots.privacy)
        k = kwargs.get("min_count")
        res = suppress_knox(res, PRESENTER_MIN_COUNT if k is None else k)
    if res.attrs["unknown_day"]:
        note(
            f"{res.attrs['unknown_day']:,} incident(s) dated to the month only (or undated) "
            "left out of the Knox test"
        )
    if kwargs["as_json"]:
        click.echo(json.dumps(json_records(res), indent=2))
        return
    n = res.attrs["n_incidents"]
    pairs = "" if res.attrs["n_pairs"] is None else f"{res.attrs['n_pairs']:,} "
    click.echo(
        f"Near repeats (Knox test) on {loaded.source}: {n:,} incidents, "
        f"{pairs}pairs within {res['distance_hi'].max():g} m, "
        f"{res.attrs['permutations']} permutations (seed {res.attrs['seed']})"
    )
    click.echo(
        "Bands: distance lo < d <= hi metres (the first from 0), time lo-hi calendar days; "
        "* = near repeat (p <= {:g}, ratio > 1)".format(res.attrs["alpha"])
    )
    head = f"{'distance m':>12} {'days':>8} {'observed':>9} {'expected':>10} {'ratio':>7} {'p':>7}"
    click.echo(head)
    if res.attrs.get("min_count"):
        k = res.attrs["min_count"]
        click.echo(f"(presenter mode: fewer than {k} pairs show '< {k}', without ratio or p)")
    for r in res.itertuples(index=False):
        ratio = "n/a" if not math.isfinite(r.knox_ratio) else f"{r.knox_ratio:.2f}"
        p = "n/a" if not math.isfinite(r.p) else f"{r.p:.3f}"
        observed = r.observed if isinstance(r.observed, str) else f"{r.observed:,}"
        click.echo(
            f"{f'{r.distance_lo:g}-{r.distance_hi:g}':>12} {f'{r.time_lo}-{r.time_hi}':>8} "
            f"{observed:>9} {r.expected:>10.1f} {ratio:>7} {p:>7}"
            + (" *" if r.near_repeat else "")
        )
    zone = res[res["near_repeat"]]
    if zone.empty:
        click.echo("No near-repeat band pair: no pattern beyond chance in these bands.")
    else:
        parts = [
            f"{r.distance_lo:g}-{r.distance_hi:g} m x {r.time_lo}-{r.time_hi} days"
            for r in zone.itertuples(index=False)
        ]
        click.echo("Near-repeat zone: " + "; ".join(parts))
