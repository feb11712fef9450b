"""Options shared by the commands: the input (a file or ``--sample``), column flags, filters.

Every command that reads incidents is decorated with :func:`input_options` and
:func:`filter_options` and calls :func:`load_incidents` with its keyword arguments.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
import geopandas as gpd

from hotspots.errors import InputError
from hotspots.filters import Filters, apply_filters, parse_hours, parse_weekdays

# names of the keyword arguments the decorators add (consumed by load_incidents)
INPUT_KEYS = (
    "input_path",
    "sample",
    "lat",
    "lon",
    "x",
    "y",
    "time",
    "type_",
    "id_",
    "premise",
    "crs",
    "sep",
    "encoding",
    "boundary",
    "bbox",
)
FILTER_KEYS = ("years", "offenses", "hours", "weekdays")


def _split(values: tuple[str, ...]) -> list[str]:
    """``--years 2019,2020 --years 2021`` -> ["2019", "2020", "2021"]."""
    return [v.strip() for item in values for v in str(item).split(",") if v.strip()]


def column_options(f: Callable) -> Callable:
    """The column and CRS flags of ``validate`` (shared by every command reading incidents)."""
    opts = [
        click.option("--lat", help="Latitude column (WGS84 degrees)."),
        click.option("--lon", help="Longitude column (WGS84 degrees)."),
        click.option("--x", "x", help="Projected X (easting) column; needs --crs."),
        click.option("--y", "y", help="Projected Y (northing) column; needs --crs."),
        click.option("--time", help="Date/time column (or several joined by '+', e.g. date+time)."),
        click.option("--type", "type_", help="Offense / call-type column."),
        click.option("--id", "id_", help="Incident id column (row numbers are used if absent)."),
        click.option("--premise", help="Premise / location-description column."),
        click.option("--crs", help="CRS of projected X/Y columns, e.g. EPSG:32610."),
        click.option("--sep", help="CSV separator (detected when omitted)."),
        click.option("--encoding", help="Text encoding (utf-8 and cp1251 are detected)."),
        click.option(
            "--boundary",
            type=click.Path(exists=True, dir_okay=False),
            help="Study-area polygon file; incidents outside are rejected.",
        ),
        click.option("--bbox", help="Study-area box 'min_lon,min_lat,max_lon,max_lat'."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def input_options(f: Callable) -> Callable:
    """INPUT argument (optional with ``--sample``) plus :func:`column_options`."""
    f = column_options(f)
    f = click.option(
        "--sample", is_flag=True, help="Use the bundled (synthetic) Turkestan sample city."
    )(f)
    f = click.argument("input_path", required=False, type=click.Path(exists=True, dir_okay=False))(
        f
    )
    return f


def filter_options(f: Callable) -> Callable:
    """``--years``, ``--offenses``, ``--hours``, ``--weekdays`` (comma lists or repeated)."""
    opts = [
        click.option("--years", multiple=True, help="Years to keep, e.g. 2019,2020."),
        click.option(
            "--offenses",
            multiple=True,
            help="Offense types (normalised label or raw value, any case), e.g. theft,robbery.",
        ),
        click.option("--hours", multiple=True, help="Hours, e.g. 18-23 or 22-3 or 8,9."),
        click.option("--weekdays", multiple=True, help="Weekdays, e.g. sat,sun or mon-fri."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def filters_from(kwargs: dict[str, Any]) -> Filters:
    """Build :class:`Filters` from the CLI keyword arguments (a bad value -> InputError)."""
    try:
        years = [int(v) for v in _split(kwargs.get("years") or ())]
    except ValueError as exc:
        raise InputError(f"--years takes whole years such as 2019,2020 ({exc})") from None
    try:
        hours = (
            parse_hours(",".join(_split(kwargs.get("hours") or ()))) if kwargs.get("hours") else ()
        )
        days = (
            parse_weekdays(_split(kwargs.get("weekdays") or ())) if kwargs.get("weekdays") else ()
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return Filters(
        years=years, offenses=_split(kwargs.get("offenses") or ()), hours=hours, weekdays=days
    )


@dataclass
class Loaded:
    """What a command gets: the ingest result, the filtered incidents and the study area."""

    result: Any  # hotspots.io.IngestResult
    incidents: gpd.GeoDataFrame  # accepted and filtered
    filters: Filters
    boundary: gpd.GeoDataFrame | None
    source: str  # file name or "sample"


def load_incidents(kwargs: dict[str, Any], *, apply: bool = True) -> Loaded:
    """Read the INPUT (or the sample) with the column flags, validate, and apply filters."""
    from hotspots import io

    path = kwargs.get("input_path")
    if kwargs.get("sample"):
        if path:
            raise InputError("give either an INPUT file or --sample, not both")
        from hotspots.sample import sample_paths

        paths = sample_paths()
        path = str(paths.calls)
        if not kwargs.get("boundary"):
            kwargs = {**kwargs, "boundary": str(paths.boundary)}
        source = "sample"
    elif not path:
        raise InputError(
            "no input: give a calls file (CSV, XLSX, GeoJSON, GPKG, Parquet) or --sample"
        )
    else:
        source = str(path)

    boundary = io.read_boundary(kwargs["boundary"]) if kwargs.get("boundary") else None
    bbox = None
    if kwargs.get("bbox"):
        try:
            bbox = tuple(float(v) for v in str(kwargs["bbox"]).split(","))
        except ValueError:
            bbox = ()
        if len(bbox) != 4:
            raise InputError("--bbox takes four numbers: min_lon,min_lat,max_lon,max_lat")
    columns = io.ColumnMap(
        lat=kwargs.get("lat"),
        lon=kwargs.get("lon"),
        x=kwargs.get("x"),
        y=kwargs.get("y"),
        time=kwargs.get("time"),
        offense=kwargs.get("type_"),
        incident_id=kwargs.get("id_"),
        premise=kwargs.get("premise"),
    )
    result = io.read_incidents(
        path,
        columns=columns,
        crs=kwargs.get("crs"),
        boundary=boundary,
        bbox=bbox,
        sep=kwargs.get("sep"),
        encoding=kwargs.get("encoding"),
    )
    filters = filters_from(kwargs)
    incidents = apply_filters(result.accepted, filters) if apply else result.accepted
    return Loaded(result, incidents, filters, boundary, source)


def pass_through(f: Callable) -> Callable:
    """Decorator stacking :func:`input_options` and :func:`filter_options`."""

    @input_options
    @filter_options
    @functools.wraps(f)
    def wrapper(**kwargs: Any) -> Any:
        return f(**kwargs)

    return wrapper
