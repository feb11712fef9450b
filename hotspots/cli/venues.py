"""``hotspots venues``: link calls to the nearest venue and rank the venues ("risky facilities").

Examples
--------
::

    hotspots venues --sample --radius 50 -o ranking.csv --curve curve.csv
    hotspots venues calls.csv --venues premises.csv --radius 30 --years 2019,2020 -o ranking.csv
"""

from __future__ import annotations

from typing import Any

import click
import geopandas as gpd
import pandas as pd

from hotspots.cli.common import (
    TABLE_OUT,
    filter_options,
    input_options,
    load_incidents,
    memory_message,
    note_rejected,
    output_callback,
    output_option,
    provenance_of,
    validate_command,
    write_output,
)
from hotspots.errors import InputError


def load_venues(path: str | None, sample: bool) -> gpd.GeoDataFrame | None:
    """Canonical venues from ``path`` (any format :func:`hotspots.io.read_venues` reads).

    With ``--sample`` and no file, the sample's venues. ``None`` when neither is given.
    """
    from hotspots import io

    given = bool(path)
    if not path:
        if not sample:
            return None
        from hotspots.sample import sample_paths

        path = str(sample_paths().venues)
    try:
        result = io.read_venues(path)
    except MemoryError:
        raise InputError(memory_message(path)) from None
    again = validate_command({"sample": sample and not given}, path, venues=True)
    if len(result.accepted) == 0:
        raise InputError(
            f"{path}: no usable venues ({result.rows} rows, all rejected): check it with `{again}`"
        )
    note_rejected(result, "the venue file", again)
    return result.accepted


def venues_option(f: Any) -> Any:
    return click.option(
        "--venues",
        "venues_path",
        type=click.Path(exists=True, dir_okay=False),
        help="Venue file (name, kind, lat/lon): CSV, XLSX, GeoJSON, GPKG, Parquet. "
        "Default with --sample: the sample's venues.",
    )(f)


@click.command("venues")
@input_options
@filter_options
@venues_option
@click.option(
    "--radius",
    default=50.0,
    show_default=True,
    type=float,
    help="A call belongs to its nearest venue within this many metres.",
)
@output_option("Write the venue ranking (.csv, .parquet; .geojson/.gpkg with points).")
@click.option(
    "--curve",
    type=click.Path(dir_okay=False),
    callback=output_callback(TABLE_OUT),
    help="Write the concentration curve (share of venues vs share of calls) as CSV.",
)
@click.option("--top", default=10, show_default=True, type=int, help="Venues listed on screen.")
def command(**kwargs: Any) -> None:
    """Rank venues by the calls within --radius metres (each call to its nearest venue).

    The ranking has every venue (zero-call venues too): calls, share of all calls, calls per
    year and offense, trend (least-squares slope of yearly calls; rising/falling/stable) and
    peer ratio (calls / median of venues of the same kind). The concentration curve and Gini
    coefficient show how unequally calls fall on venues.
    """
    from hotspots.output import write_table
    from hotspots.venues import attribute_to_venues, concentration_curve, gini, rank_venues

    venues = load_venues(kwargs.get("venues_path"), bool(kwargs.get("sample")))
    if venues is None:
        raise InputError("no venues: give --venues FILE (or use --sample)")
    loaded = load_incidents(kwargs)
    incidents = loaded.incidents
    att = attribute_to_venues(incidents, venues, radius=kwargs["radius"])
    ranking = rank_venues(incidents, venues, att)
    calls = ranking.set_index("venue_id")["calls"]
    curve = concentration_curve(calls)
    click.echo(summary(ranking, curve, gini(calls), len(incidents), loaded.source, kwargs))
    prov = provenance_of(loaded, "venues", kwargs, ("venues_path", "radius"))
    if kwargs.get("output"):
        out = ranking
        if kwargs["output"].lower().endswith((".geojson", ".json", ".gpkg")):
            geo = venues.set_index(venues["venue_id"].astype("string"))[["lat", "lon"]]
            pts = geo.reindex(ranking["venue_id"].to_numpy())
            out = gpd.GeoDataFrame(
                ranking.assign(lat=pts["lat"].to_numpy(), lon=pts["lon"].to_numpy()),
                geometry=gpd.points_from_xy(pts["lon"], pts["lat"]),
                crs="EPSG:4326",
            )
        write_output(out, kwargs["output"], "venues", prov)
    if kwargs.get("curve"):
        path = write_table(curve, kwargs["curve"], provenance=prov)
        click.echo(f"wrote the concentration curve ({len(curve)} venues) to {path}")


def summary(
    ranking: Any, curve: Any, g: float, n_calls: int, source: str, kwargs: dict[str, Any]
) -> str:
    """A few lines: calls at venues, concentration, the busiest venues."""
    at = int(ranking["calls"].sum())
    share = f"{at / n_calls:.1%}" if n_calls else "n/a"
    lines = [
        f"{source}: {n_calls:,} calls, {len(ranking):,} venues; {at:,} calls ({share}) within "
        f"{kwargs['radius']:g} m of a venue",
    ]
    if at:
        n10 = max(1, int(round(0.1 * len(curve))))
        top_share = float(curve["share_of_calls"].iloc[n10 - 1])
        lines.append(
            f"Concentration: Gini {g:.2f}; the busiest {n10} venue(s) (10 %) have "
            f"{top_share:.0%} of the venue calls"
        )
    top = max(kwargs.get("top") or 0, 0)
    if at and top:
        lines.append("")
        lines.append("rank  calls  share   trend    kind          name")
        for r in ranking.head(top).itertuples():
            kind = "" if pd.isna(r.kind) else str(r.kind)
            lines.append(
                f"{r.rank:>4}  {r.calls:>5}  {r.share_of_all_calls:>5.1%}  {r.trend:<7}  "
                f"{kind[:12]:<12}  {r.name}"
            )
    return "\n".join(lines)
