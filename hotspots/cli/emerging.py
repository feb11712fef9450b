"""``hotspots emerging``: emerging hot spots (space-time Gi* and Mann-Kendall trends)."""

from __future__ import annotations

from typing import Any

import click

from hotspots.cli.common import (
    engine_options,
    filter_options,
    input_options,
    load_incidents,
    output_option,
    provenance_of,
    resolution_option,
    uses_dask,
    write_output,
)
from hotspots.errors import InputError


@click.command("emerging")
@input_options
@filter_options
@resolution_option()
@click.option(
    "--k", "k", default=1, show_default=True, type=int, help="Spatial neighbourhood in rings."
)
@click.option(
    "--period",
    type=click.Choice(["year", "quarter", "month"]),
    default="quarter",
    show_default=True,
    help="Length of a time step (ArcGIS advises at least 10 steps).",
)
@click.option(
    "--time-window",
    default=1,
    show_default=True,
    type=int,
    help="Previous periods in each bin's neighbourhood (ArcGIS's neighborhood time step).",
)
@click.option(
    "--alpha",
    default=0.05,
    show_default=True,
    type=float,
    help="Significance level of hot/cold bins (FDR-corrected) and of trends.",
)
@output_option("Write the category of every cell (.geojson, .csv, .parquet, .gpkg).")
@engine_options
def command(**kwargs: Any) -> None:
    """Emerging hot spots: new, consecutive, intensifying, persistent, diminishing, sporadic,
    oscillating and historical hot (and cold) spots per H3 cell, as ArcGIS defines them."""
    from hotspots.emerging import CATEGORIES, emerging_hotspots

    if uses_dask(kwargs):
        from hotspots.cli import engine

        return engine.emerging(kwargs)
    loaded = load_incidents(kwargs)
    res = emerging_hotspots(
        loaded.incidents,
        kwargs["resolution"],
        kwargs["k"],
        period=kwargs["period"],
        time_window=kwargs["time_window"],
        area=loaded.boundary,
        alpha=kwargs["alpha"],
    )
    periods = res.attrs.get("periods", [])
    span = f"{periods[0]}..{periods[-1]}" if periods else "-"
    if len(periods) < 2:  # one step: every hot cell would be "persistent", a trend of nothing
        finer = {"year": "quarter or month", "quarter": "month"}.get(kwargs["period"])
        raise InputError(
            f"emerging hot spots compare time steps, and the calls of {loaded.source} fall in "
            f"{len(periods)} {kwargs['period']} ({span})"
            + (f": use --period {finer}" if finer else ": give calls over several months")
        )
    click.echo(
        f"Emerging hot spots on {loaded.source}: {len(loaded.incidents):,} incidents, "
        f"{len(res):,} H3 cells (resolution {kwargs['resolution']}), {len(periods)} "
        f"{kwargs['period']} steps {span}"
    )
    counts = res["category"].value_counts()
    for cat in CATEGORIES:
        if counts.get(cat, 0):
            click.echo(f"  {cat:<24} {int(counts[cat]):>6} cells")
    if len(periods) < 10:
        click.echo(
            f"  note: only {len(periods)} time steps; trends need about 10 "
            "(try --period quarter or month)"
        )
    if kwargs.get("output"):
        write_output(
            res,
            kwargs["output"],
            "cells",
            provenance_of(
                loaded,
                "emerging",
                kwargs,
                ("resolution", "k", "period", "time_window", "alpha"),
            ),
        )
