"""``hotspots report``: every take-away in one folder (patrol plan, briefing map, report).

Examples::

    hotspots report --sample -o out/ --lang ru
    hotspots report calls.csv --venues premises.csv -o out/ --method clusters --eps 100 \\
        --min-samples 30 --years 2019 --presenter --min-count 5

writes ``patrol.csv``, ``patrol.geojson``, ``patrol.html``, ``briefing.html``,
``briefing.png``, ``report.html`` and ``report.pdf`` into the folder.

``briefing.png``, ``report.html`` (which embeds that picture) and ``report.pdf`` need headless
Chromium. When it cannot start, the other four files are still written, and one ``error:``
line names the missing files, the reason and how to install Chromium; the exit status is 2,
so a script does not mistake the folder for a complete report. No file of the folder may be
one of the inputs (``hotspots report DIR/patrol.csv -o DIR`` is refused before any work).
"""

from __future__ import annotations

import contextlib
import functools
import time
from pathlib import Path
from typing import Any

import click

from hotspots.cli.auto import NumberOrAuto
from hotspots.cli.common import (
    PartialOutput,
    filter_options,
    input_options,
    load_incidents,
    note,
    output_callback,
)
from hotspots.cli.venues import load_venues, venues_option
from hotspots.errors import InputError

#: The files of the bundle that need headless Chromium (report.html embeds the PNG).
BROWSER_FILES = ("briefing.png", "report.html", "report.pdf")


def folder_files() -> tuple[str, ...]:
    """The files ``report`` writes into its ``-o`` folder (checked against the inputs by
    :func:`hotspots.cli.guard.guard_command`)."""
    from hotspots.report import BUNDLE_FILES

    return tuple(BUNDLE_FILES)


def _tiles(choice: str | None):
    from hotspots.tiles import TileConfig

    if choice is None:
        return TileConfig.from_env()
    return TileConfig.from_env({"HOTSPOTS_TILES": choice})


def _params(kwargs: dict[str, Any]):
    """PatrolParams from the flags; the method follows from --eps/--min-samples if not given."""
    from hotspots.patrol import PatrolParams

    cluster_flags = [f for f in ("eps", "min_samples") if kwargs.get(f) is not None]
    method = kwargs.get("method") or ("clusters" if cluster_flags else "cells")
    if method == "cells" and cluster_flags:
        raise InputError(
            "--eps and --min-samples are for --method clusters (cells use --resolution)"
        )
    if method == "clusters" and kwargs.get("resolution") is not None:
        raise InputError("--resolution is for --method cells (clusters use --eps, --min-samples)")
    if kwargs.get("min_count") is not None and not kwargs.get("presenter"):
        raise InputError("--min-count is the presenter mode's suppression: add --presenter")
    given = {
        "method": method,
        "top": kwargs["top"],
        "resolution": kwargs.get("resolution"),
        "eps": kwargs.get("eps"),
        "min_samples": kwargs.get("min_samples"),
        "min_count": kwargs.get("min_count"),
        "venue_radius_m": kwargs.get("venue_radius"),
    }
    return PatrolParams(**{k: v for k, v in given.items() if v is not None})


@click.command("report")
@input_options
@filter_options
@venues_option
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False),
    callback=output_callback((), folder=True),
    help="Folder to write the files into (created if needed).",
)
@click.option(
    "--lang",
    type=click.Choice(["kk", "ru", "en"]),
    default="en",
    show_default=True,
    help="Language of every label.",
)
@click.option(
    "--method",
    type=click.Choice(["cells", "clusters"]),
    help="Hotspots as H3 cells or DBSCAN clusters (default: cells, or clusters with --eps).",
)
@click.option("--top", type=int, default=10, show_default=True, help="Hotspots in the plan.")
@click.option(
    "--resolution",
    type=NumberOrAuto(int),
    help="H3 resolution of the cells, 7-11, or auto (default: auto, from the filtered calls).",
)
@click.option(
    "--eps", type=NumberOrAuto(float), help="DBSCAN radius, metres, or auto (default: auto)."
)
@click.option(
    "--min-samples",
    type=NumberOrAuto(int),
    help="DBSCAN core-point calls, or auto (default: auto).",
)
@click.option(
    "--venue-radius", type=float, help="Calls within this many metres belong to a venue (50)."
)
@click.option(
    "--presenter",
    is_flag=True,
    help="Presenter mode: no individual call anywhere; small counts suppressed.",
)
@click.option(
    "--min-count",
    type=int,
    help="With --presenter: hotspots and cells with fewer calls are not shown (default 5).",
)
@click.option("--title", help="Title of the map and the report.")
@click.option(
    "--tiles",
    help="Basemap: a .pmtiles/.mbtiles file, auto, osm, none, or an XYZ URL template "
    "(default: $HOTSPOTS_TILES, else auto: the sample's own streets where they cover the map, "
    "else osm).",
)
def command(**kwargs: Any) -> None:
    """Patrol plan (CSV, GeoJSON, printable HTML), briefing map (HTML, 1920x1080 PNG) and the
    one-page report (HTML, PDF) of the filtered calls, written into the --output folder.

    Every file carries its provenance: data source, filters, parameters, date and version.
    Without a working Chromium the PNG, report.html and the PDF are left out, the other files
    are written, and the run ends with one error line and status 2.
    """
    from hotspots.patrol import oversized_note
    from hotspots.render import BrowserUnavailable, launch_browser
    from hotspots.report import BUNDLE_FILES, build_report_bundle, write_bundle

    started = time.perf_counter()
    params = _params(kwargs)
    loaded = load_incidents(kwargs)
    venues = load_venues(kwargs.get("venues_path"), bool(kwargs.get("sample")))
    build = functools.partial(
        build_report_bundle,
        loaded.incidents,
        venues,
        loaded.boundary,
        source=loaded.source,
        filters=loaded.filters,
        params=params,
        presenter=bool(kwargs["presenter"]),
        lang=kwargs["lang"],
        tiles=_tiles(kwargs.get("tiles")),
        title=kwargs.get("title"),
    )
    without_browser = tuple(f for f in BUNDLE_FILES if f not in BROWSER_FILES)
    files, no_browser = tuple(BUNDLE_FILES), None
    with contextlib.ExitStack() as stack:
        try:
            browser = stack.enter_context(launch_browser())
        except BrowserUnavailable as exc:  # write what needs no browser, then say so
            browser, no_browser, files = None, exc.reason, without_browser
        try:
            bundle = build(files=files, browser=browser)
        except Exception as exc:
            if browser is None or not type(exc).__module__.startswith("playwright"):
                raise
            # Chromium started but failed on the page (crashed, timed out): the same
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            no_browser, files = f"failed while rendering ({reason})", without_browser
            bundle = build(files=files, browser=None)
    paths = write_bundle(bundle, kwargs["output"])
    plan = bundle.plan
    click.echo(
        f"{len(loaded.incidents)} calls from {loaded.source}; "
        f"{len(plan)} hotspots ({params.method}) in the patrol plan"
    )
    for path in paths:
        click.echo(f"  {Path(path)}  ({path.stat().st_size / 1024:.0f} KB)")
    click.echo(f"done in {time.perf_counter() - started:.1f} s")
    auto = bundle.provenance.parameters.get("auto")
    if auto:  # the numbers auto took on these calls (the app shows the same)
        chosen = bundle.provenance.parameters
        note(
            "auto: "
            + ", ".join(f"{n} = {chosen[n]:g}" for n in str(auto).split(", "))
            + " (computed from the filtered calls; give a number to choose)"
        )
    too_big = oversized_note(plan, bundle.params or params)
    if too_big:
        note(too_big)
    if no_browser is not None:
        from hotspots.render import INSTALL_HINT

        missing = [f for f in BUNDLE_FILES if f not in files]
        raise PartialOutput(
            f"{', '.join(missing)} not written: Chromium {no_browser}; {INSTALL_HINT}"
        )
