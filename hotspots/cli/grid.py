"""``hotspots grid``: incidents counted per H3 cell, optionally split by year, offense ...

Examples
--------
::

    hotspots grid --sample --resolution 9 -o cells.geojson
    hotspots grid calls.csv --resolution 10 --by year,offense -o cells.csv
    hotspots grid calls.csv --boundary city.geojson --fill-area -o cells.parquet
"""

from __future__ import annotations

from typing import Any

import click

from hotspots import defaults
from hotspots.cli.auto import number_or_auto, refuse_auto_on_engine, resolve
from hotspots.cli.common import (
    engine_options,
    filter_options,
    input_options,
    load_incidents,
    output_option,
    provenance_of,
    uses_dask,
    write_output,
)
from hotspots.errors import InputError

#: Columns of the incident table that counts can be split by.
BY_COLUMNS = ("year", "month", "weekday", "hour", "offense", "offense_raw", "premise")


def parse_by(values: tuple[str, ...]) -> list[str]:
    """``--by year,offense --by hour`` -> ["year", "offense", "hour"] (checked, no repeats)."""
    cols = [v.strip().lower() for item in values for v in str(item).split(",") if v.strip()]
    bad = [c for c in cols if c not in BY_COLUMNS]
    if bad:
        raise InputError(f"--by {', '.join(bad)}: split by any of {', '.join(BY_COLUMNS)}")
    return list(dict.fromkeys(cols))


@click.command("grid")
@input_options
@filter_options
@number_or_auto(
    "--resolution",
    "resolution",
    "H3 resolution 7-11 (9: cells of ~0.1 km², edge ~200 m; 10: ~0.015 km², edge ~75 m).",
)
@click.option(
    "--by",
    multiple=True,
    help="Split the counts by columns, e.g. year,offense (" + ", ".join(BY_COLUMNS) + ").",
)
@click.option(
    "--fill-area",
    is_flag=True,
    help="Add the study area's empty cells (count 0); needs --boundary or --sample.",
)
@output_option(
    "Write cell, the --by columns and count (.geojson/.gpkg/.parquet with hexagons, .csv)."
)
@engine_options
def command(**kwargs: Any) -> None:
    """Count incidents per H3 cell; the counts sum to the incidents binned."""
    from hotspots.grid import cells_to_gdf, check_resolution, count_cells

    by = parse_by(kwargs.get("by") or ())
    given = defaults.parse_value(kwargs["resolution"], "--resolution", int)
    if not defaults.is_auto(given):  # a bad value fails before the file is read
        check_resolution(given)
    if uses_dask(kwargs):
        from hotspots.cli import engine

        refuse_auto_on_engine(kwargs, "resolution")
        return engine.grid(kwargs, check_resolution(kwargs["resolution"]), by)
    loaded = load_incidents(kwargs)
    resolve(loaded.incidents, kwargs, {"resolution": ("resolution", int)}, loaded.boundary)
    res = check_resolution(kwargs["resolution"])
    empty_by = [c for c in by if loaded.incidents[c].isna().all()]
    if empty_by:  # month-only data has no hour or weekday; a file may have no premise column
        raise InputError(
            f"--by {', '.join(empty_by)}: {loaded.source} does not record "
            f"{' or '.join(empty_by)} for any call (see `hotspots validate`: time precision, "
            f"columns used); drop {'it' if len(empty_by) == 1 else 'them'} from --by"
        )
    area = None
    if kwargs.get("fill_area"):
        if loaded.boundary is None:
            raise InputError("--fill-area needs a study area: give --boundary FILE (or --sample)")
        area = loaded.boundary
    counts = count_cells(loaded.incidents, res, by=by, area=area)
    n_cells = counts["cell"].nunique()
    empty = int((counts.groupby("cell")["count"].sum() == 0).sum()) if area is not None else 0
    split = f", split by {', '.join(by)}" if by else ""
    zero = f", {empty:,} of them empty" if area is not None else ""
    click.echo(
        f"grid: {int(counts['count'].sum()):,} incidents binned into {n_cells:,} H3 cells "
        f"(resolution {res}{split}{zero}) from {loaded.source}"
    )
    if kwargs.get("output"):
        out = kwargs["output"]
        table = counts if str(out).lower().endswith(".csv") else cells_to_gdf(counts)
        write_output(
            table, out, "rows", provenance_of(loaded, "grid", kwargs, ("resolution", "by"))
        )
