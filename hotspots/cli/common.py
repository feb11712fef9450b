"""Options shared by the commands: the input (a file or ``--sample``), column flags, filters.

Every command that reads incidents is decorated with :func:`input_options` and
:func:`filter_options` and calls :func:`load_incidents` with its keyword arguments.

Every command registered in :mod:`hotspots.cli` runs through
:func:`hotspots.cli.guard.guard_command` (re-exported here with its helpers): before anything
is read, no output may be one of the inputs (or another output), symlinks and hard links
included (:func:`check_not_overwriting`); a :class:`MemoryError` becomes one line naming the
input and its size (:func:`memory_message`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots.cli.guard import (  # noqa: F401  (re-exported: the commands' toolbox)
    PartialOutput,
    check_not_overwriting,
    command_paths,
    guard_command,
    memory_message,
    same_file,
)
from hotspots.errors import InputError
from hotspots.filters import Filters, apply_filters, parse_hours, parse_weekdays


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
        click.option(
            "--from-col",
            "from_col",
            help="Column of the earliest time of a from/to window (found by values if omitted).",
        ),
        click.option(
            "--to-col", "to_col", help="Column of the latest time of a from/to window."
        ),
        click.option("--crs", help="CRS of projected X/Y columns, e.g. EPSG:32610."),
        click.option("--sep", help="CSV separator (detected when omitted)."),
        click.option(
            "--encoding",
            help="Text encoding of the whole file (by default each line is read as UTF-8, "
            "or as cp1251 where it is not UTF-8 and reads as Cyrillic).",
        ),
        click.option(
            "--tz",
            help="Time zone of the study area, e.g. Asia/Almaty; timestamps with a zone "
            "(Z, +06:00) are converted to it (found from the coordinates when omitted).",
        ),
        click.option("--member", help="The file to read inside a .zip holding several."),
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


class InputPath(click.Path):
    """An existing file, or a database URL (``postgresql://user@host/db``) read with
    ``--table`` or ``--query``."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from hotspots.store.database import is_database_url

        if is_database_url(value):
            return value
        return super().convert(value, param, ctx)


def database_options(f: Callable) -> Callable:
    """``--table`` / ``--query``: read INPUT as a database URL (same validation as a file)."""
    f = click.option(
        "--query", help="With a postgresql:// INPUT: the SELECT returning the calls."
    )(f)
    return click.option(
        "--table", help="With a postgresql:// INPUT: the table of calls, e.g. calls."
    )(f)


def database_input(path: str, kwargs: dict[str, Any]) -> Any:
    """``path`` itself, or a :class:`~hotspots.store.database.DatabaseSource` for a URL."""
    from hotspots.store.database import DatabaseSource, is_database_url

    table, query = kwargs.get("table"), kwargs.get("query")
    if is_database_url(path):
        return DatabaseSource(path, table=table, query=query)
    if table or query:
        raise InputError("--table and --query read a database: give a postgresql:// INPUT")
    return path


def input_options(f: Callable) -> Callable:
    """INPUT argument (optional with ``--sample``) plus :func:`column_options`."""
    f = column_options(f)
    f = database_options(f)
    f = click.option(
        "--sample", is_flag=True, help="Use the bundled (synthetic) Turkestan sample city."
    )(f)
    # a file, a database URL (--table/--query), or a dataset folder of `ingest --partition`
    f = click.argument(
        "input_path", required=False, type=InputPath(exists=True), callback=_file_or_dataset
    )(f)
    return f


def _file_or_dataset(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """INPUT: a file, or a dataset folder (``hotspots ingest --partition``), not another folder."""
    if value and Path(value).is_dir():
        from hotspots.ingest.partitioned import is_dataset

        if not is_dataset(value):
            raise click.BadParameter(
                f"{value!r} is a directory, not a dataset written by `hotspots ingest "
                "--partition`; give a file"
            )
    return value


def filter_options(f: Callable) -> Callable:
    """``--years``, ``--offenses``, ``--hours``, ``--weekdays`` (comma lists or repeated)."""
    opts = [
        click.option("--years", multiple=True, help="Years to keep, e.g. 2019,2020 or 2019-2021."),
        click.option(
            "--offenses",
            multiple=True,
            help="Offense types (normalised label or raw value, any case), e.g. theft,robbery.",
        ),
        click.option("--hours", multiple=True, help="Hours, e.g. 18-23 or 22-3 or 8,9."),
        click.option("--weekdays", multiple=True, help="Weekdays, e.g. sat,sun, mon-fri or пт,сб."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def filters_from(kwargs: dict[str, Any]) -> Filters:
    """Build :class:`Filters` from the CLI keyword arguments (a bad value -> InputError)."""
    years: list[int] = []
    for v in _split(kwargs.get("years") or ()):
        first, dash, last = v.partition("-")
        try:
            if dash:  # a range, as --hours 18-23 and --weekdays mon-fri take
                lo, hi = int(first), int(last)
                if lo > hi:
                    raise ValueError
                years.extend(range(lo, hi + 1))
            else:
                years.append(int(v))
        except ValueError:
            raise InputError(
                f"--years takes whole years such as 2019,2020 or 2019-2021, got {v!r}"
            ) from None
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


def input_path(kwargs: dict[str, Any], kind: str = "incidents") -> tuple[str, str]:
    """The file to read and its name for messages: INPUT, or the sample's file with --sample.

    ``kind`` is ``"incidents"`` (the sample's calls) or ``"venues"`` (the sample's venues).
    """
    path = kwargs.get("input_path")
    if kwargs.get("sample"):
        if path:
            raise InputError("give either an INPUT file or --sample, not both")
        from hotspots.sample import sample_paths

        paths = sample_paths()
        return str(paths.calls if kind == "incidents" else paths.venues), "sample"
    if not path:
        what = "calls" if kind == "incidents" else "venues"
        raise InputError(
            f"no input: give a {what} file (CSV, XLSX, GeoJSON, GPKG, Parquet) or --sample"
        )
    return str(path), str(path)


def parse_bbox(value: str | None) -> tuple[float, ...] | None:
    """``--bbox "min_lon,min_lat,max_lon,max_lat"`` as four floats (None when not given).

    Only the shape is checked here; :func:`hotspots.validation.check_bbox` checks the ranges.
    """
    if not value:
        return None
    try:
        bbox = tuple(float(v) for v in str(value).split(","))
    except ValueError:
        bbox = ()
    if len(bbox) != 4:
        raise InputError("--bbox takes four numbers: min_lon,min_lat,max_lon,max_lat")
    return bbox


def column_map(kwargs: dict[str, Any], **fields: str | None) -> Any:
    """:class:`hotspots.io.ColumnMap` of the coordinate flags plus the ``fields`` given."""
    from hotspots import io

    return io.ColumnMap(
        lat=kwargs.get("lat"), lon=kwargs.get("lon"), x=kwargs.get("x"), y=kwargs.get("y"), **fields
    )


def note(text: str) -> None:
    """A remark for the user, printed on stderr after the command has succeeded.

    :func:`hotspots.cli.main` prints the notes once the command is done, so an error is still
    the only line of a failed run and stdout stays clean for ``--json``. Outside ``main`` (no
    notes list on the click context) the note is printed at once.
    """
    ctx = click.get_current_context(silent=True)
    notes = ctx.obj.get("notes") if ctx is not None and isinstance(ctx.obj, dict) else None
    line = f"note: {text}"
    if notes is None:
        click.echo(line, err=True)
    else:
        notes.append(line)


_note = note  # load_incidents' ``note`` flag shadows the function


def _reasons(result: Any) -> str:
    """ "zero_placeholder 3,750, outside_study_area 86": the reasons that rejected rows."""
    return ", ".join(f"{reason} {n:,}" for reason, n in result.reasons.items() if n)


def note_rejected(result: Any, source: str, command: str = "hotspots validate FILE") -> None:
    """A :func:`note` when rows were rejected: how many, why, and where to see them.

    The analysis commands use the accepted rows only; this keeps the others from vanishing
    unnoticed.
    """
    if not result.n_rejected:
        return
    why = _reasons(result)
    note(
        f"{result.n_rejected:,} of {result.rows:,} rows of {source} rejected ({why}); "
        f"`{command}` lists them"
    )


def crs_warning(result: Any) -> str | None:
    """A warning when most accepted points lie outside the area of use of their CRS.

    X/Y read in the wrong projected CRS still convert to valid degrees, only far away:
    Chicago's State Plane feet read as ``EPSG:32610`` (UTM 10N) land in the Pacific off
    Mexico and every row is accepted. The CRS's area of use (from the EPSG database) tells:
    when more than half the accepted points fall outside it, say where they are. Only a
    warning: a city just beyond its UTM zone is legitimately converted with it.
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    acc = result.accepted
    if not result.crs or len(acc) == 0:
        return None
    try:
        crs = CRS.from_user_input(result.crs)
    except CRSError:
        return None
    if not crs.is_projected or crs.area_of_use is None:
        return None
    w, s, e, n = crs.area_of_use.bounds
    lon, lat = acc["lon"].to_numpy(dtype=float), acc["lat"].to_numpy(dtype=float)
    in_lon = (lon >= w) & (lon <= e) if w <= e else (lon >= w) | (lon <= e)
    outside = int((~(in_lon & (lat >= s) & (lat <= n))).sum())
    if 2 * outside <= len(acc):
        return None
    return (
        f"{outside:,} of {len(acc):,} accepted points lie outside the area where "
        f"{result.crs} ({crs.name}) is used (lon {w:g}..{e:g}, lat {s:g}..{n:g}); they are "
        f"around lat {float(np.median(lat)):.2f}, lon {float(np.median(lon)):.2f}: if that is "
        "not your area, the X/Y are in another CRS, check --crs"
    )


def note_crs(result: Any) -> None:
    """:func:`note` the :func:`crs_warning`, if any."""
    warning = crs_warning(result)
    if warning:
        note(warning)


#: The flags of :func:`column_options` that change what ``validate`` accepts, in order.
_VALIDATE_FLAGS = (
    ("--lat", "lat"),
    ("--lon", "lon"),
    ("--x", "x"),
    ("--y", "y"),
    ("--time", "time"),
    ("--type", "type_"),
    ("--id", "id_"),
    ("--premise", "premise"),
    ("--from-col", "from_col"),
    ("--to-col", "to_col"),
    ("--crs", "crs"),
    ("--sep", "sep"),
    ("--encoding", "encoding"),
    ("--tz", "tz"),
    ("--member", "member"),
    ("--boundary", "boundary"),
    ("--bbox", "bbox"),
    ("--table", "table"),
    ("--query", "query"),
)


def validate_command(kwargs: dict[str, Any], path: str, *, venues: bool = False) -> str:
    """The ``hotspots validate`` command that reads ``path`` as this run did.

    It repeats the column, CRS and study-area flags given, so its counts are this run's
    (without ``--crs`` a projected file is refused; without ``--boundary`` no row is
    ``outside_study_area``).
    """
    import shlex

    parts = ["hotspots", "validate", "--sample" if kwargs.get("sample") else shlex.quote(path)]
    for flag, key in _VALIDATE_FLAGS:
        value = kwargs.get(key)
        if value:
            value = str(value)
            parts.append(
                f"{flag}={shlex.quote(value)}"
                if value.startswith("-")
                else f"{flag} {shlex.quote(value)}"
            )
    if venues:
        parts.append("--venues")
    return " ".join(parts)


def load_incidents(kwargs: dict[str, Any], *, apply: bool = True, note: bool = True) -> Loaded:
    """Read the INPUT (or the sample) with the column flags, validate, and apply filters.

    With ``--sample`` the sample's boundary is the study area unless ``--boundary`` is given.
    With ``note``, rejected rows are counted on stderr (:func:`note_rejected`).
    """
    from hotspots import io

    path, source = input_path(kwargs, "incidents")
    boundary = study_area(kwargs)
    try:
        result = _read_incidents(io, path, boundary, kwargs)
    except MemoryError:
        raise InputError(memory_message(path)) from None
    again = validate_command(kwargs, path)
    if note:
        note_rejected(result, source, again)
        note_crs(result)
    filters = filters_from(kwargs)
    incidents = result.accepted
    if apply:
        if len(incidents) == 0:
            raise InputError(
                f"no usable calls in {source}: all {result.rows:,} rows were rejected "
                f"({_reasons(result)}); `{again}` says why"
            )
        incidents = apply_filters(incidents, filters)
        unknown = unknown_offenses(result.accepted, filters.offenses)
        if len(incidents) == 0:
            why = (
                f"no call has offense {', '.join(unknown)}; {offense_list(result.accepted)}"
                if unknown
                else _coverage(result.accepted, filters)
            )
            raise InputError(
                f"no calls pass the filters ({filters.describe()}): no incidents left to "
                f"analyse; {why}"
            )
        if unknown and note:  # a misspelt type would otherwise vanish from the counts
            _note(
                f"--offenses {', '.join(unknown)} matched no call of {source} (check the "
                f"spelling); {offense_list(result.accepted)}"
            )
    return Loaded(result, incidents, filters, boundary, source)


def study_area(kwargs: dict[str, Any]) -> Any:
    """The ``--boundary`` polygons, or the sample's boundary with ``--sample`` (else None)."""
    from hotspots import io

    boundary_path = kwargs.get("boundary")
    if kwargs.get("sample") and not boundary_path:
        from hotspots.sample import sample_paths

        boundary_path = str(sample_paths().boundary)
    try:
        return io.read_boundary(boundary_path) if boundary_path else None
    except MemoryError:
        raise InputError(memory_message(boundary_path)) from None


def incident_columns(kwargs: dict[str, Any]) -> Any:
    """The :class:`~hotspots.columns.ColumnMap` of the column flags of a calls file."""
    return column_map(
        kwargs,
        time=kwargs.get("time"),
        offense=kwargs.get("type_"),
        incident_id=kwargs.get("id_"),
        premise=kwargs.get("premise"),
        occurred_from=kwargs.get("from_col"),
        occurred_to=kwargs.get("to_col"),
    )


def _read_incidents(io: Any, path: str, boundary: Any, kwargs: dict[str, Any]) -> Any:
    return io.read_incidents(
        database_input(path, kwargs),
        columns=incident_columns(kwargs),
        crs=kwargs.get("crs"),
        boundary=boundary,
        bbox=parse_bbox(kwargs.get("bbox")),
        sep=kwargs.get("sep"),
        encoding=kwargs.get("encoding"),
        tz=kwargs.get("tz"),
        member=kwargs.get("member"),
    )


def unknown_offenses(incidents: pd.DataFrame, offenses: Sequence[str]) -> list[str]:
    """The ``--offenses`` values that match no incident (as label or raw value, any case)."""
    if not offenses or len(incidents) == 0:
        return []
    known = set(incidents["offense"].dropna().astype(str).str.casefold())
    if "offense_raw" in incidents:
        raw = incidents["offense_raw"].dropna().astype(str).str.strip().str.casefold()
        known |= set(raw)
    return [o for o in offenses if o.strip().casefold() not in known]


def offense_list(incidents: pd.DataFrame, limit: int = 12) -> str:
    """ "the offenses in the data: theft, fight, ..." (most frequent first)."""
    from hotspots.offenses import UNKNOWN

    counts = incidents["offense"].dropna().astype(str).value_counts()
    if counts.empty or list(counts.index) == [UNKNOWN]:
        return "the data has no offense types (name their column with --type)"
    shown = ", ".join(counts.index[:limit])
    more = f" (+{len(counts) - limit} more)" if len(counts) > limit else ""
    return f"the offenses in the data: {shown}{more}"


def _coverage(incidents: gpd.GeoDataFrame, filters: Filters) -> str:
    """What the data holds, to say how to widen the filters: "the data covers 2019-2021"."""
    from hotspots.filters import format_hours

    years = incidents["year"].dropna().astype(int).unique()
    if len(years) == 0:
        return (
            "the calls have no dates, so --years, --hours and --weekdays keep none; name the "
            "date column with --time (`hotspots validate` lists the columns)"
        )
    # month-only sources (Greater Manchester, police.uk) have no hour or weekday at all
    unknown = [
        flag
        for flag, wanted, col in (
            ("--hours", filters.hours, "hour"),
            ("--weekdays", filters.weekdays, "weekday"),
        )
        if wanted and incidents[col].isna().all()
    ]
    if unknown:
        nouns = " or ".join(flag[2:] for flag in unknown)
        return (
            f"the data does not record {nouns} (its dates are to the day or the month); "
            f"drop {' and '.join(unknown)}"
        )
    return (
        f"the data covers {format_hours(years)}; widen --years, --offenses, --hours or --weekdays"
    )


def resolution_option(
    help_text: str = "H3 resolution 7-11 (9: cells of ~0.1 km², edge ~200 m).",
) -> Callable[[Callable], Callable]:
    """``--resolution`` of the H3 commands (default 9)."""
    return click.option("--resolution", default=9, show_default=True, type=int, help=help_text)


#: Suffixes of the outputs: vector tables (:data:`hotspots.output.VECTOR_SUFFIXES`), plain
#: tables, GeoTIFF surfaces, CSV only.
VECTOR_OUT = (".geojson", ".json", ".gpkg", ".parquet", ".csv")
TABLE_OUT = (".csv", ".parquet")
TIFF_OUT = (".tif", ".tiff")
CSV_OUT = (".csv",)


def check_output(
    path: str | None, suffixes: Sequence[str], flag: str, *, folder: bool = False, what: str = ""
):
    """Refuse, before any work, an output the command could not write (InputError).

    A file output must not be a folder and must end in one of ``suffixes``; a ``folder``
    output must not be a file. The nearest existing folder on the way must be a folder the
    user may write to (missing folders below it are created when writing). ``what`` names
    the format in the message (e.g. "the density surface is written as a GeoTIFF").
    """
    if not path:
        return path
    p = Path(path)
    if folder:
        if p.exists() and not p.is_dir():
            raise InputError(f"{flag} {path} is a file; give a folder (it is created if needed)")
    else:
        if p.is_dir():
            raise InputError(
                f"{flag} {path} is a folder; give a file name such as {p / ('out' + suffixes[0])}"
            )
        if p.suffix.lower() not in suffixes:
            kind = f"{what}: " if what else ""
            raise InputError(f"{flag} {p.name}: {kind}use a name ending in {', '.join(suffixes)}")
    near = (p if folder else p.parent).absolute()
    while not near.exists() and near != near.parent:
        near = near.parent
    if not near.is_dir():
        raise InputError(f"{flag} {path}: {near} is a file, not a folder; choose another place")
    if not os.access(near, os.W_OK | os.X_OK):
        raise InputError(
            f"{flag} {path}: no permission to write in {near}; choose a folder you can write to"
        )
    return path


def output_callback(suffixes: Sequence[str], *, folder: bool = False, what: str = "") -> Callable:
    """A click callback running :func:`check_output` on the option's value."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        flag = max(param.opts, key=len)
        return check_output(value, suffixes, flag, folder=folder, what=what)

    return callback


def output_option(
    help_text: str, suffixes: Sequence[str] = VECTOR_OUT, what: str = ""
) -> Callable[[Callable], Callable]:
    """``-o/--output FILE`` (a file, not a folder) with the command's own help text.

    The path is checked (:func:`check_output`) before the input is read.
    """
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False),
        callback=output_callback(suffixes, what=what),
        help=help_text,
    )


def write_output(
    table: Any, path: str, what: str, provenance: dict[str, Any] | None = None
) -> None:
    """Write ``table`` (format from the suffix) and say how many ``what`` went where; the
    ``provenance`` (:func:`provenance_of`) goes into the file where its format has room."""
    from hotspots.output import write_table

    written = write_table(table, path, provenance=provenance)
    click.echo(f"wrote {len(table):,} {what} to {written}")


def provenance_of(
    loaded: Loaded, command: str, kwargs: dict[str, Any], names: Sequence[str]
) -> dict[str, Any]:
    """Source, filters, the command and its parameters ``names`` (those set), the date and
    the tool version, for the files a command writes (so a table shown at a meeting can be
    reproduced)."""
    from hotspots.provenance import make_provenance

    params: dict[str, Any] = {"command": f"hotspots {command}"}
    for name in names:
        value = kwargs.get(name)
        if value is not None and value != ():
            params[name] = list(value) if isinstance(value, tuple) else value
    return make_provenance(
        loaded.source, loaded.filters, params, incidents=loaded.incidents
    ).as_dict()


# the dask engine -----------------------------------------------------------------------------
def engine_options(f: Callable) -> Callable:
    """``--engine single|dask``, ``--scheduler ADDRESS`` and ``--workers N`` of the commands
    that run on :mod:`hotspots.engine` (the input is then a partitioned dataset)."""
    opts = [
        click.option(
            "--engine",
            type=click.Choice(["single", "dask"]),
            default="single",
            show_default=True,
            help="Where to compute: this process, or Dask on a partitioned dataset "
            "(`hotspots ingest --partition`), per partition then combined.",
        ),
        click.option(
            "--scheduler",
            help="With --engine dask: address of a running Dask scheduler, e.g. "
            "tcp://10.0.0.5:8786 (a local cluster is started when omitted).",
        ),
        click.option(
            "--workers",
            default=2,
            show_default=True,
            type=int,
            help="With --engine dask and no --scheduler: workers of the local cluster.",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def uses_dask(kwargs: dict[str, Any]) -> bool:
    """Whether the command runs on the Dask engine (``--engine dask``)."""
    if kwargs.get("scheduler") and kwargs.get("engine") != "dask":
        raise InputError("--scheduler is for --engine dask; add --engine dask")
    return kwargs.get("engine") == "dask"
