"""``hotspots ingest``: validate once, keep the result as GeoParquet for every later command.

Examples
--------
::

    hotspots ingest calls.csv.gz -o calls.parquet
    hotspots grid calls.parquet -o cells.gpkg        # loads without validating again
    hotspots ingest premises.csv --venues -o venues.parquet
    hotspots ingest country.csv.gz --partition -o calls.parquet   # a dataset folder by month
    hotspots grid calls.parquet --engine dask                      # counted per partition
"""

from __future__ import annotations

import datetime as dt
import time
from functools import partial
from pathlib import Path
from typing import Any

import click

from hotspots.cli.common import (
    check_not_overwriting,
    incident_columns,
    input_options,
    input_path,
    load_incidents,
    note,
    output_callback,
    parse_bbox,
    study_area,
    validate_command,
)
from hotspots.cli.progress import progress_bar
from hotspots.cli.validate import _venues
from hotspots.errors import InputError
from hotspots.ingest.batches import ingest_to_parquet
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
@click.option(
    "--partition",
    type=click.Choice(["month", "h3"]),
    is_flag=False,
    flag_value="month",
    default=None,
    help="Write a partitioned dataset (a folder, -o) by month (the default) or coarse H3 "
    "cell, for `--engine dask`; automatic for inputs over 1 GiB.",
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
    provenance = {
        "source": source,
        "command": validate_command(kwargs, path).replace("validate", "ingest", 1),
        "made_at": dt.datetime.now().replace(microsecond=0).isoformat(),
    }
    partition = kwargs.get("partition") or auto_partition(path, kwargs)
    if partition and (kwargs.get("venues") or not is_text(path)):
        raise InputError("--partition: only a calls text file (CSV/TXT) is written partitioned")
    if not kwargs.get("venues") and is_text(path):
        write = ingest_to_parquet
        if partition:
            from hotspots.ingest.partitioned import ingest_partitioned

            write = partial(ingest_partitioned, partition_by=partition)
        with progress_bar("ingest", Path(path).name) as bar:
            report = write(
                path,
                out,
                columns=incident_columns(kwargs),
                crs=kwargs.get("crs"),
                boundary=study_area(kwargs),
                bbox=parse_bbox(kwargs.get("bbox")),
                tz=kwargs.get("tz"),
                sep=kwargs.get("sep"),
                encoding=kwargs.get("encoding"),
                member=kwargs.get("member"),
                progress=bar,
                provenance=provenance,
            )
        rows, acc, rej, src = report["rows"], report["accepted"], report["rejected"], source
        if partition:
            rejects = out / "rejects.csv"
            out = f"{out} ({report['partitions']})"
    else:
        if kwargs.get("venues"):
            result = _venues(kwargs)
        else:
            result = load_incidents(kwargs, apply=False, note=False).result
        write_ingested(result, out, provenance=provenance)
        rows, acc, rej, src = result.rows, result.n_accepted, result.n_rejected, result.source
    took = time.perf_counter() - t0
    click.echo(
        f"{src}: {rows:,} rows, {acc:,} accepted -> {out}; "
        f"{rej:,} rejected -> {rejects} ({took:.1f} s)"
    )
    if not partition and not kwargs.get("venues"):
        windows_line(Path(kwargs["output"]))


def windows_line(path: Path) -> None:
    """Echo how many from/to time windows the written file keeps, if it has them."""
    import pyarrow.parquet as pq

    from hotspots import schema as S
    from hotspots.timeaware.windows import window_summary

    ends = [S.OCCURRED_FROM, S.OCCURRED_TO]
    if not set(ends) <= set(pq.read_schema(path).names):
        return
    w = window_summary(pq.read_table(path, columns=ends).to_pandas())
    click.echo(
        f"time windows (from/to) kept: {w['usable']:,} usable; unknown time: "
        f"{w['too_long']:,} over a week, {w['reversed']:,} ending before they start; "
        f"{w['missing']:,} without both ends"
    )


def auto_partition(path: str, kwargs: dict[str, Any]) -> str | None:
    """``"month"`` for a calls text file over 1 GiB (a dataset then), else None."""
    from hotspots.ingest.partitioned import AUTO_PARTITION_BYTES

    if (
        kwargs.get("venues")
        or not is_text(path)
        or Path(path).stat().st_size <= AUTO_PARTITION_BYTES
    ):
        return None
    note(f"{Path(path).name} is over 1 GiB: written as a dataset partitioned by month")
    return "month"


def is_text(path: str) -> bool:
    """Delimited text (perhaps compressed): read in batches."""
    from pathlib import PurePath

    from hotspots.ingest.source import COMPRESSED
    from hotspots.readers import TEXT_SUFFIXES

    p = PurePath(path.lower())
    suffix = p.suffix
    if suffix in COMPRESSED:
        suffix = PurePath(p.stem).suffix if suffix != ".zip" else ".csv"
    return suffix in TEXT_SUFFIXES and suffix != ""
