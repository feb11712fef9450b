"""The commands on the Dask engine (``--engine dask``): the same tables as on one machine.

Each command that takes :func:`hotspots.cli.common.engine_options` hands over to the function
of the same name here when ``--engine dask`` is given: the INPUT must be a partitioned dataset
(``hotspots ingest FILE --partition -o calls.parquet``); the filters and the study area are
applied per partition; the dashboard address is printed and Dask's progress bar shows on the
terminal while the partitions are read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import click

from hotspots.cli.common import (
    filters_from,
    input_path,
    note,
    parse_bbox,
    study_area,
    write_output,
)
from hotspots.errors import InputError


@dataclass
class DaskInput:
    """What an engine command works on: the dataset, its filters, the study area."""

    source: Any  # hotspots.engine.Source
    name: str
    boundary: Any
    n: int  # rows passing the filters

    def provenance(self, command: str, kwargs: dict[str, Any], names: tuple[str, ...]) -> dict:
        from hotspots.provenance import make_provenance

        params: dict[str, Any] = {"command": f"hotspots {command}", "engine": "dask"}
        for name in names:
            value = kwargs.get(name)
            if value is not None and value != ():
                params[name] = list(value) if isinstance(value, tuple) else value
        prov = make_provenance(self.name, self.source.filters, params).as_dict()
        prov["n_incidents"] = self.n
        return prov


@contextlib.contextmanager
def dask_input(kwargs: dict[str, Any]) -> Iterator[DaskInput]:
    """Connect to the cluster (``--scheduler`` or a local one), open the dataset INPUT with
    the filter flags and the study area, and count its rows."""
    from hotspots import engine
    from hotspots.ingest.partitioned import is_dataset

    path, name = input_path(kwargs, "incidents")
    if not is_dataset(path):
        raise InputError(
            f"--engine dask reads a partitioned dataset, and {name} is not one; write it with "
            f"`hotspots ingest {name} --partition -o calls.parquet`"
        )
    boundary = study_area(kwargs)
    source = engine.Source(
        str(path),
        filters=filters_from(kwargs),
        boundary=boundary,
        bbox=parse_bbox(kwargs.get("bbox")),
    )
    with engine.connect(kwargs.get("scheduler"), n_workers=kwargs.get("workers") or 2, say=_say):
        n = engine.total_rows(source, progress=_tty())
        yield DaskInput(source, name, boundary, n)


def _tty() -> bool:
    """Dask's progress bar on an interactive terminal only (not in logs or pipes)."""
    import sys

    return sys.stderr.isatty()


def _say(line: str) -> None:
    click.echo(line, err=True)


def grid(kwargs: dict[str, Any], res: int, by: list[str]) -> None:
    """``hotspots grid --engine dask``."""
    from hotspots import engine
    from hotspots.grid import cells_to_gdf

    with dask_input(kwargs) as inp:
        area = None
        if kwargs.get("fill_area"):
            if inp.boundary is None:
                raise InputError(
                    "--fill-area needs a study area: give --boundary FILE (or --sample)"
                )
            area = inp.boundary
        counts = engine.count_cells(inp.source, res, by=by, area=area, progress=_tty())
    n_cells = counts["cell"].nunique()
    split = f", split by {', '.join(by)}" if by else ""
    click.echo(
        f"grid: {int(counts['count'].sum()):,} incidents binned into {n_cells:,} H3 cells "
        f"(resolution {res}{split}) from {inp.name} on the dask engine"
    )
    if kwargs.get("output"):
        out = kwargs["output"]
        table = counts if str(out).lower().endswith(".csv") else cells_to_gdf(counts)
        write_output(table, out, "rows", inp.provenance("grid", kwargs, ("resolution", "by")))


def density(kwargs: dict[str, Any]) -> None:
    """``hotspots density --engine dask``."""
    from hotspots import engine
    from hotspots.output import write_table

    with dask_input(kwargs) as inp:
        surface = engine.kde(
            inp.source,
            bandwidth=kwargs.get("bandwidth"),
            cell=kwargs.get("cell"),
            kernel=kwargs["kernel"],
            bounds=inp.boundary,
            progress=_tty(),
        )
    rule = " (ArcGIS rule)" if surface.bandwidth_rule != "given" else ""
    rows, cols = surface.shape
    click.echo(
        f"density: {surface.n:,} incidents from {inp.name} on the dask engine, "
        f"{surface.kernel} kernel, bandwidth {surface.bandwidth:,.0f} m{rule}, cell "
        f"{surface.cell:,.1f} m, grid {rows} x {cols}; peak {surface.values.max():,.1f} per "
        f"km², total {surface.total():,.1f}"
    )
    for line in surface.notes():
        note(line)
    contours = surface.contours(kwargs["top_area"])
    prov = inp.provenance("density", kwargs, ("kernel", "top_area"))
    prov["parameters"].update(
        bandwidth_m=round(surface.bandwidth, 3),
        bandwidth_rule=surface.bandwidth_rule,
        cell_m=round(surface.cell, 3),
    )
    if kwargs.get("output"):
        click.echo(f"wrote {surface.to_geotiff(kwargs['output'], provenance=prov)}")
    if kwargs.get("contours"):
        click.echo(
            f"wrote {len(contours)} hotspot polygon(s) to "
            f"{write_table(contours, kwargs['contours'], provenance=prov)}"
        )


def gistar(kwargs: dict[str, Any]) -> None:
    """``hotspots gistar --engine dask``."""
    from hotspots import engine
    from hotspots.cli.gistar import summary

    with dask_input(kwargs) as inp:
        res = engine.gistar_cells(
            inp.source,
            kwargs["resolution"],
            kwargs["k"],
            area=inp.boundary,
            permutations=kwargs["permutations"],
            seed=kwargs["seed"],
            fdr=kwargs["fdr"],
            progress=_tty(),
        )
    click.echo(summary(res, inp.name, inp.n, kwargs))
    if kwargs.get("output"):
        names = ("resolution", "k", "permutations", "seed", "fdr")
        write_output(res, kwargs["output"], "cells", inp.provenance("gistar", kwargs, names))


def emerging(kwargs: dict[str, Any]) -> None:
    """``hotspots emerging --engine dask``."""
    from hotspots import engine

    with dask_input(kwargs) as inp:
        res = engine.emerging_hotspots(
            inp.source,
            kwargs["resolution"],
            kwargs["k"],
            period=kwargs["period"],
            time_window=kwargs["time_window"],
            area=inp.boundary,
            alpha=kwargs["alpha"],
            progress=_tty(),
        )
    counts = res["category"].value_counts()
    click.echo(
        f"Emerging hot spots on {inp.name} (dask engine): {inp.n:,} incidents, "
        f"{len(res):,} cells, {len(res.attrs['periods'])} periods of one {kwargs['period']}"
    )
    for cat, n in counts.items():
        click.echo(f"  {cat:<28} {n:>6}")
    if kwargs.get("output"):
        names = ("resolution", "k", "period", "time_window", "alpha")
        write_output(res, kwargs["output"], "cells", inp.provenance("emerging", kwargs, names))


def trends_tables(kwargs: dict[str, Any]) -> tuple[str, int, Any, Any, Any]:
    """``hotspots trends --engine dask``: (name, rows, yearly table, hour x weekday table,
    monthly series), each as :mod:`hotspots.temporal` makes it."""
    from hotspots import engine

    with dask_input(kwargs) as inp:
        yearly = engine.yearly_by_offense(inp.source, progress=_tty())
        hw = engine.hour_weekday_table(inp.source, progress=_tty())
        monthly = engine.monthly_series(inp.source, progress=_tty())
    return inp.name, inp.n, yearly, hw, monthly
