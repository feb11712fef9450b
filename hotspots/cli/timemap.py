"""``hotspots timemap``: calls per H3 cell stepped through months or weeks with one fixed
legend: an HTML map with a slider and a play button, or an animated GIF for presenters."""

from __future__ import annotations

from typing import Any

import click

from hotspots.cli.common import filter_options, input_options, load_incidents, output_option


@click.command("timemap")
@input_options
@filter_options
@output_option(
    "File to write: .html (map with slider and play button, works offline) or .gif (animation).",
    (".html", ".gif"),
    what="the map through time is written as HTML or GIF",
)
@click.option(
    "--freq",
    type=click.Choice(["month", "week"]),
    default="month",
    show_default=True,
    help="Period of a frame.",
)
@click.option(
    "--resolution",
    type=int,
    default=8,
    show_default=True,
    help="H3 resolution of the cells (8: about 0.7 km²).",
)
@click.option(
    "--ms-per-frame", type=int, default=700, show_default=True, help="Milliseconds per frame."
)
def command(**kwargs: Any) -> None:
    """Maps through time: the calls of each month (or week) per H3 cell, coloured in classes
    fixed over all frames (the legend holds for every frame)."""
    from hotspots.timeaware.timemaps import animation_gif, time_cells, time_map

    if not kwargs["output"]:
        raise click.UsageError("give -o/--output FILE (.html or .gif)")
    if not 20 <= kwargs["ms_per_frame"] <= 10_000:
        from hotspots.errors import ParameterError

        raise ParameterError(f"--ms-per-frame must be 20-10000 ms, got {kwargs['ms_per_frame']}")
    loaded = load_incidents(kwargs)
    tc = time_cells(loaded.incidents, freq=kwargs["freq"], resolution=kwargs["resolution"])
    out = str(kwargs["output"])
    if out.lower().endswith(".gif"):
        data = animation_gif(tc, ms_per_frame=kwargs["ms_per_frame"])
        with open(out, "wb") as f:
            f.write(data)
    else:
        from hotspots.maps.assemble import save_map
        from hotspots.tiles import TileConfig

        save_map(time_map(tc, tiles=TileConfig.from_env(), interval_ms=kwargs["ms_per_frame"]), out)
    click.echo(
        f"wrote {len(tc.periods)} frames ({tc.periods[0]} .. {tc.periods[-1]}, {kwargs['freq']}), "
        f"{tc.cells.size:,} cells, to {out}"
    )
