"""``hotspots clusters``: DBSCAN (radius in metres) or HDBSCAN clusters, outlined and summarised.

Examples
--------
::

    hotspots clusters --sample --eps 100 --min-samples 10 -o clusters.geojson --labels labels.csv
    hotspots clusters --sample --years 2021 --eps auto --min-samples auto
    hotspots clusters crimes.csv --eps 150 --min-samples 20 --years 2019 -o clusters.geojson
    hotspots clusters crimes.csv --method hdbscan --min-cluster-size 30 -o clusters.geojson
"""

from __future__ import annotations

from typing import Any

import click
import pandas as pd

from hotspots import defaults
from hotspots.cli.auto import number_or_auto, resolve
from hotspots.cli.common import (
    TABLE_OUT,
    engine_options,
    filter_options,
    input_options,
    load_incidents,
    note,
    output_callback,
    output_option,
    provenance_of,
    uses_dask,
    write_output,
)
from hotspots.cli.venues import load_venues, venues_option
from hotspots.errors import InputError


@click.command("clusters")
@input_options
@filter_options
@click.option(
    "--method",
    type=click.Choice(["dbscan", "hdbscan"]),
    default="dbscan",
    show_default=True,
    help="DBSCAN (a radius in metres) or HDBSCAN (no radius; clusters of varying density).",
)
@number_or_auto("--eps", "eps_m", "DBSCAN radius, metres: incidents within it are neighbours.")
@number_or_auto(
    "--min-samples",
    "min_samples",
    "Incidents within --eps (itself included) that make a core point "
    "(HDBSCAN: neighbours for the core distance).",
)
@click.option(
    "--min-cluster-size",
    type=int,
    help="HDBSCAN: smallest cluster, in incidents (default: --min-samples).",
)
@venues_option
@click.option(
    "--venue-radius",
    default=50.0,
    show_default=True,
    type=float,
    help="A call is at a venue when the venue is within this many metres.",
)
@click.option(
    "--buffer",
    "buffer_m",
    default=25.0,
    show_default=True,
    type=float,
    help="Outline = convex hull of the cluster's incidents buffered by this many metres.",
)
@output_option("Write one outline per cluster (.geojson, .gpkg, .parquet; .csv without outlines).")
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(dir_okay=False),
    callback=output_callback(TABLE_OUT),
    help="Write incident_id, lat, lon, cluster (-1 = noise) for every incident (.csv).",
)
@click.option("--top", default=10, show_default=True, type=int, help="Clusters listed on screen.")
@engine_options
def command(**kwargs: Any) -> None:
    """Find clusters of incidents and summarise each one.

    Each cluster gets: number of incidents, outline (buffered convex hull), centroid, top
    offenses, years, venues inside (or the nearest one) and the share of its calls at venues.
    DBSCAN's clusters equal scikit-learn's haversine DBSCAN with the same radius.
    """
    from hotspots.clusters import dbscan_labels, hdbscan_labels, summarize_clusters

    venues = load_venues(kwargs.get("venues_path"), bool(kwargs.get("sample")))
    if uses_dask(kwargs):  # read and filtered per partition, clustered here (up to a limit)
        from hotspots.cli.engine import gather_incidents

        loaded = gather_incidents(kwargs)
    else:
        loaded = load_incidents(kwargs)
    incidents = loaded.incidents
    if kwargs["method"] == "dbscan":
        names = {"eps": ("eps_m", float), "min_samples": ("min_samples", int)}
        resolve(incidents, kwargs, names, loaded.boundary)
    elif defaults.is_auto(kwargs.get("min_samples")):
        # the auto rule counts calls in DBSCAN's eps-disc; HDBSCAN has no radius
        kwargs["min_samples"] = defaults.MIN_SAMPLES
        note(f"min_samples = {defaults.MIN_SAMPLES} (HDBSCAN: the fixed default; auto is DBSCAN's)")
    else:
        kwargs["min_samples"] = int(kwargs["min_samples"])
    if kwargs["method"] == "dbscan":
        labels = dbscan_labels(incidents, eps=kwargs["eps"], min_samples=kwargs["min_samples"])
        how = f"DBSCAN eps {kwargs['eps']:g} m, min_samples {kwargs['min_samples']}"
    else:
        mcs = kwargs.get("min_cluster_size") or kwargs["min_samples"]
        labels = hdbscan_labels(incidents, min_cluster_size=mcs, min_samples=kwargs["min_samples"])
        how = f"HDBSCAN min_cluster_size {mcs}, min_samples {kwargs['min_samples']}"
    summary = summarize_clusters(
        incidents,
        labels,
        venues,
        buffer_m=kwargs["buffer_m"],
        venue_radius_m=kwargs["venue_radius"],
    )
    click.echo(describe(summary, labels, loaded.source, how, kwargs.get("top") or 0))
    if kwargs["method"] == "dbscan" and len(summary) == 0:
        from hotspots.suggest import dbscan_suggestion

        hint = dbscan_suggestion(incidents, kwargs["eps"], kwargs["min_samples"], 0)
        if hint is not None:
            note(hint.message)
    names = ("method", "eps", "min_samples", "min_cluster_size", "buffer_m", "venue_radius")
    prov = provenance_of(loaded, "clusters", kwargs, names)
    if kwargs.get("output"):
        write_output(summary, kwargs["output"], "clusters", prov)
    if kwargs.get("labels_path"):
        if not str(kwargs["labels_path"]).lower().endswith((".csv", ".parquet")):
            raise InputError("--labels writes a table: use a name ending in .csv or .parquet")
        table = pd.DataFrame(
            {
                "incident_id": incidents["incident_id"].to_numpy(),
                "lat": incidents["lat"].to_numpy(),
                "lon": incidents["lon"].to_numpy(),
                "cluster": labels,
            }
        )
        write_output(table, kwargs["labels_path"], "incident labels", prov)


def describe(summary: Any, labels: Any, source: str, how: str, top: int) -> str:
    """A few lines: clusters, noise, the largest clusters."""
    n = len(labels)
    noise = int((labels < 0).sum())
    share = f"{noise / n:.1%}" if n else "n/a"
    lines = [
        f"{source}: {n:,} incidents, {len(summary):,} clusters ({how}); noise {noise:,} ({share})"
    ]
    if len(summary) and top > 0:
        lines += ["", "cluster  incidents  area km²  per km²  years      top offenses / venues"]
        for r in summary.head(top).itertuples():
            lines.append(
                f"{r.cluster:>7}  {r.n_incidents:>9,}  {r.area_m2 / 1e6:>8.3f}  "
                f"{r.density_per_km2:>7.0f}  {r.years:<9}  {r.top_offenses}"
            )
            if r.venues:
                lines.append(f"{'':>47}venues: {r.venues}")
    return "\n".join(lines)
