"""``hotspots ingest``: validate once, keep the result as GeoParquet for every later command.

Examples
--------
::

    hotspots ingest calls.csv.gz -o calls.parquet
    hotspots grid calls.parquet -o cells.gpkg        # loads without validating again
    hotspots ingest premises.csv --venues -o venues.parquet
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import click

from hotspots.cli.common import (
    check_not_overwriting,
    input_options,
    input_path,
    load_incidents,
    output_callback,
    validate_command,
)
from hotspots.cli.validate import _venues
from hotspots.ingest.store import rejects_path, write_ingested


@click.command("ingest")
@input_options
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    callback=output_callback((".parquet", ".geoparquet")),
    help="GeoParquet file for the accepted rows; the rejected rows go beside it as "
    "<name>.rejects.csv.",
)
@click.option("--venues", is_flag=True, help="The file lists venues (name, kind), not calls.")
@click.option("--name", help="Venue name column (with --venues).")
@click.option("--kind", help="Venue kind column (with --venues).")
def command(**kwargs: Any) -> None:
    """Validate INPUT once and write the accepted rows as GeoParquet (-o).

    The file keeps the validation report, the columns used and where it came from in its
    metadata; every command and the app load it without validating again (a million calls
    in a fraction of a second). Rejected rows are written beside it.
    """
    out = Path(kwargs["output"])
    rejects = rejects_path(out)
    path, source = input_path(kwargs, "venues" if kwargs.get("venues") else "incidents")
    check_not_overwriting([("INPUT", path)], [("-o/--output", out), ("the rejects file", rejects)])
    t0 = time.perf_counter()
    if kwargs.get("venues"):
        result = _venues(kwargs)
    else:
        result = load_incidents(kwargs, apply=False, note=False).result
    provenance = {
        "source": source,
        "command": validate_command(kwargs, path).replace("validate", "ingest", 1),
        "made_at": dt.datetime.now().replace(microsecond=0).isoformat(),
    }
    write_ingested(result, out, provenance=provenance)
    took = time.perf_counter() - t0
    click.echo(
        f"{result.source}: {result.rows:,} rows, {result.n_accepted:,} accepted -> {out}; "
        f"{result.n_rejected:,} rejected -> {rejects} ({took:.1f} s)"
    )
