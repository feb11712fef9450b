"""``hotspots density``: kernel density surface (incidents per km²) as a GeoTIFF.

Examples
--------
::

    hotspots density --sample -o density.tif
    hotspots density --sample --bandwidth auto -o density.tif
    hotspots density calls.csv --bandwidth 300 --cell 50 -o density.tif
    hotspots density calls.csv --kernel gaussian --bandwidth 150 -o d.tif \\
        --contours hotspots.geojson --top-area 0.05
"""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from hotspots import defaults
from hotspots.cli.auto import number_or_auto, resolve
from hotspots.cli.common import (
    TIFF_OUT,
    VECTOR_OUT,
    engine_options,
    filter_options,
    input_options,
    load_incidents,
    note,
    output_callback,
    output_option,
    provenance_of,
    uses_dask,
)
from hotspots.errors import ParameterError


@click.command("density")
@input_options
@filter_options
@number_or_auto(
    "--bandwidth",
    "bandwidth_m",
    "Kernel radius in metres (Gaussian: sigma); auto: ArcGIS's Silverman-type rule.",
)
@click.option(
    "--cell",
    type=float,
    help="Cell size in metres (at most the bandwidth). Default: bandwidth / 5, <= 1000 cells/side.",
)
@click.option(
    "--kernel",
    type=click.Choice(["quartic", "gaussian"]),
    default="quartic",
    show_default=True,
    help="Kernel shape: quartic (biweight, the field's standard) or gaussian.",
)
@output_option(
    "GeoTIFF to write (.tif), float32 incidents per km² on a local metric CRS.",
    TIFF_OUT,
    what="the density surface is written as a GeoTIFF",
)
@click.option(
    "--contours",
    type=click.Path(dir_okay=False),
    callback=output_callback(VECTOR_OUT),
    help="Also write polygons of the densest --top-area share of the area (.geojson, .gpkg ...).",
)
@click.option(
    "--top-area",
    type=float,
    default=0.05,
    show_default=True,
    help="Share of the (study) area the contours enclose, 0-1 (0.05: the densest 5 %).",
)
@engine_options
def command(**kwargs: Any) -> None:
    """Kernel density of incidents by binning and FFT convolution.

    The study area (--boundary, or the sample's boundary) sets the extent and the area that
    --top-area is a share of; otherwise the incidents' extent is used.
    """
    from hotspots.density import kde
    from hotspots.output import write_table

    out = kwargs.get("output")
    top_area = kwargs["top_area"]
    if not 0 < top_area <= 1:  # checked before the work, so a failed run prints nothing else
        raise ParameterError(
            f"top_area: share of the area must be > 0 and <= 1 (0.05 = 5 %), got {top_area!r}"
        )
    bandwidth = defaults.parse_value(kwargs.get("bandwidth"), "--bandwidth", float)
    auto = defaults.is_auto(bandwidth)
    if uses_dask(kwargs):
        from hotspots.cli import engine

        # auto: the engine's KDE applies the same ArcGIS rule to the whole data set, from
        # its partitions' moments (unrounded, on the surface's projection)
        return engine.density({**kwargs, "bandwidth": None if auto else bandwidth})
    loaded = load_incidents(kwargs)
    if defaults.is_auto(bandwidth):  # the app's and the report's number (hotspots.defaults)
        resolve(loaded.incidents, kwargs, {"bandwidth": ("bandwidth_m", float)}, loaded.boundary)
        bandwidth = kwargs["bandwidth"]
    surface = kde(
        loaded.incidents,
        bandwidth=bandwidth,
        cell=kwargs.get("cell"),
        kernel=kwargs["kernel"],
        bounds=loaded.boundary,
    )
    if auto:  # the file's tags say the number was computed (hotspots.defaults.auto_bandwidth)
        surface = dataclasses.replace(surface, bandwidth_rule="auto")
    rule = " (auto: ArcGIS rule)" if auto else ""
    rows, cols = surface.shape
    held = (
        f"{surface.n:,}"
        if surface.n == surface.n_input
        else f"{surface.n:,} of {surface.n_input:,}"
    )
    click.echo(
        f"density: {held} incidents from {loaded.source}, {surface.kernel} kernel, "
        f"bandwidth {surface.bandwidth:,.0f} m{rule}, cell {surface.cell:,.1f} m, "
        f"grid {rows} x {cols}; peak {surface.values.max():,.1f} per km², "
        f"total {surface.total():,.1f}"
    )
    for line in surface.notes():  # calls not on the surface are counted, never dropped silently
        note(line)
    contours = surface.contours(kwargs["top_area"])
    if len(contours):
        held = contours["incidents"].sum()
        click.echo(
            f"densest {kwargs['top_area']:.1%} of the area: {len(contours)} hotspot(s), "
            f"{contours['area_km2'].sum():,.2f} km², ~{held:,.0f} incidents "
            f"({held / max(surface.total(), 1e-12):.0%} of the surface)"
        )
    prov = provenance_of(loaded, "density", kwargs, ("kernel", "top_area"))
    prov["parameters"].update(
        bandwidth_m=round(surface.bandwidth, 3),
        bandwidth_rule=surface.bandwidth_rule,
        cell_m=round(surface.cell, 3),
    )
    if out:
        click.echo(f"wrote {surface.to_geotiff(out, provenance=prov)}")
    if kwargs.get("contours"):
        click.echo(
            f"wrote {len(contours)} hotspot polygon(s) to "
            f"{write_table(contours, kwargs['contours'], provenance=prov)}"
        )
