"""``hotspots validate``: read a calls (or venues) file and report what was accepted and why not.

Examples
--------
::

    hotspots validate calls.csv
    hotspots validate crimedata.csv --crs EPSG:32610 --boundary neighbourhoods.geojson
    hotspots validate --sample --rejects rejects.csv --json
    hotspots validate premises.csv --venues
    hotspots validate postgresql://analyst@dbhost/police --table calls
    hotspots validate postgresql://analyst@dbhost/police --query "SELECT * FROM calls WHERE ..."
"""

from __future__ import annotations

import json
from typing import Any

import click

from hotspots.cli.common import (
    CSV_OUT,
    column_map,
    crs_warning,
    database_input,
    input_options,
    input_path,
    load_incidents,
    output_callback,
    parse_bbox,
)
from hotspots.errors import InputError


def format_report(report: dict[str, Any]) -> str:
    """The report of :meth:`hotspots.io.IngestResult.report` as readable text."""
    rows, acc, rej = report["rows"], report["accepted"], report["rejected"]
    share = f" ({rej / rows:.1%})" if rows else ""
    lines = [
        f"{report['source']} ({report['kind']}): {rows:,} rows, {acc:,} accepted, "
        f"{rej:,} rejected{share}",
        "",
        "Rejected by reason (checked in this order):",
    ]
    width = max(len(r) for r in report["reasons"])
    for reason, count in report["reasons"].items():
        lines.append(f"  {reason:<{width}}  {count:>9,}")
    lines += ["", "Columns used:"]
    for field, col in report["columns"].items():
        lines.append(f"  {field:<{width}}  {col}")
    for role, why in (report.get("detection") or {}).items():
        lines.append(f"  ({role}: {why})")
    missing = report.get("columns_not_found") or {}
    if missing:
        flags = ", ".join(f"{field} ({flag})" for field, flag in missing.items())
        lines.append(f"  not found: {flags}; name the column with the flag")
    lines.append("")
    lines.append(f"Coordinates CRS: {report.get('crs') or 'EPSG:4326'}")
    ext = report.get("extent")
    if ext:
        lines.append(
            f"Accepted points lie within lat {ext['min_lat']:.4f}..{ext['max_lat']:.4f}, "
            f"lon {ext['min_lon']:.4f}..{ext['max_lon']:.4f}"
        )
    if report.get("crs_warning"):
        lines.append(f"warning: {report['crs_warning']}")
    if report["kind"] == "incidents":
        prec = report.get("time_precision")
        counts = report.get("time_precision_counts") or {}
        detail = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        lines.append(f"Time precision: {prec}" + (f" ({detail})" if len(counts) > 1 else ""))
        if prec == "month":
            lines.append("  (month-only dates: day, weekday and hour are unknown)")
        zone = report.get("time_zone")
        if zone:
            lines.append(
                f"Time zone: {zone['zone']} (from {zone['from']}); "
                f"{zone['converted']:,} timestamps with a zone converted to it"
            )
        windows = report.get("time_windows")
        if windows:  # from/to columns (hotspots.timeaware.windows)
            lines.append(
                f"Time windows (from/to): {windows['usable']:,} usable; unknown time: "
                f"{windows['too_long']:,} over a week, {windows['reversed']:,} ending before "
                f"they start; {windows['missing']:,} without both ends"
            )
    if report.get("encoding"):
        sep = report.get("sep")
        lines.append(f"Encoding: {report['encoding']}" + (f", separator {sep!r}" if sep else ""))
        counts = report.get("encoding_counts") or {}
        if len(counts) > 1:
            lines.append(
                "  lines read as " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
            )
    if report.get("compression"):
        lines.append(f"Unpacked from {report['compression']}")
    if report.get("rejects_file"):
        lines.append(f"Rejected rows written to {report['rejects_file']}")
    return "\n".join(lines)


def _venues(kwargs: dict[str, Any]):
    """Read a venue file (or the sample venues) with the column flags."""
    from hotspots import io

    path, _ = input_path(kwargs, "venues")
    return io.read_venues(
        database_input(path, kwargs),
        columns=column_map(
            kwargs, venue_id=kwargs.get("id_"), name=kwargs.get("name"), kind=kwargs.get("kind")
        ),
        crs=kwargs.get("crs"),
        boundary=kwargs.get("boundary"),
        bbox=parse_bbox(kwargs.get("bbox")),
        sep=kwargs.get("sep"),
        encoding=kwargs.get("encoding"),
        member=kwargs.get("member"),
    )


@click.command("validate")
@input_options
@click.option("--venues", is_flag=True, help="The file lists venues (name, kind), not incidents.")
@click.option("--name", help="Venue name column (with --venues).")
@click.option("--kind", help="Venue kind column (with --venues).")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, writable=True),
    callback=output_callback(CSV_OUT),
    help="Write the rejected rows (source_row, reason, raw columns) to this CSV file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def command(**kwargs: Any) -> None:
    """Check INPUT (or --sample): rows accepted, rejected per reason, columns detected.

    Every row is either accepted or rejected with one reason; accepted + rejected = rows.
    Columns are detected from their values (numbers that fit latitude and longitude, dates
    and times, a category of words), common names (lat/широта, date/дата, type/тип ...)
    breaking ties; the report says what was chosen and why. Name them with the flags when
    needed. Compressed files (.gz, .bz2, .xz, .zip) are unpacked.
    """
    if kwargs.get("venues"):
        result = _venues(kwargs)
    else:
        if kwargs.get("name") or kwargs.get("kind"):
            raise InputError("--name and --kind are for venue files: add --venues")
        result = load_incidents(kwargs, apply=False, note=False).result
    report = result.report()
    if not kwargs.get("venues"):  # the fields the analyses use: dates and offense types
        cols = result.columns
        missing = {}
        if not (cols.time or cols.time_parts):
            missing["time"] = "--time"
        if not cols.offense:
            missing["offense"] = "--type"
        if missing:
            report["columns_not_found"] = missing
    if len(result.accepted):
        lon, lat = result.accepted["lon"], result.accepted["lat"]
        report["extent"] = {
            "min_lon": float(lon.min()),
            "min_lat": float(lat.min()),
            "max_lon": float(lon.max()),
            "max_lat": float(lat.max()),
        }
    warning = crs_warning(result)
    if warning:
        report["crs_warning"] = warning
    if kwargs.get("rejects"):
        report["rejects_file"] = str(result.write_rejects(kwargs["rejects"]))
    if kwargs.get("as_json"):
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        click.echo(format_report(report))
