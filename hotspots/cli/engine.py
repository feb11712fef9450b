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


def evaluate(kwargs: dict[str, Any], methods: list[str], lists: dict[str, list[Any]]) -> None:
    """``hotspots evaluate --engine dask``: the table and the equal-area rows of one machine
    (:func:`hotspots.engine.compare`); one setting per method."""
    from hotspots import engine
    from hotspots.cli.auto import refuse_auto_on_engine
    from hotspots.cli.evaluate import _single_params, _split_flags, report

    for flag, key in (("--rolling", "rolling"), ("--sweep", "sweep"), ("--curve", "curve_path")):
        if kwargs.get(key) not in (None, False):
            raise InputError(
                f"{flag} is not offered with --engine dask: leave it out, or run without "
                "--engine dask on a single file"
            )
    refuse_auto_on_engine(kwargs, "resolution", "bandwidth", "eps", "min_samples")
    split, train_label, test_label = _split_flags(kwargs)
    params = _single_params(methods, lists)
    with dask_input(kwargs) as inp:
        comp = engine.compare(
            inp.source,
            **split,
            coverage=kwargs["coverage"],
            methods=methods,
            params=params,
            area=inp.boundary,
            progress=_tty(),
        )
    report(comp.table, comp.at_share, inp.name, kwargs, (train_label, test_label))


#: Columns the clusters command reads from a dataset (those present): what the summary,
#: the labels file and the provenance use.
_CLUSTER_COLUMNS = ("incident_id", "lat", "lon", "offense", "year", "occurred_at", "time_precision")


def _part_rows(frame: Any) -> Any:
    return frame


def _concat(a: Any, b: Any) -> Any:
    import pandas as pd

    return pd.concat([a, b], ignore_index=True)


def gather_incidents(kwargs: dict[str, Any], max_points: int | None = None) -> Any:
    """``hotspots clusters --engine dask``: the filtered calls of a partitioned dataset,
    read and filtered per partition on the cluster and gathered here for DBSCAN/HDBSCAN
    (they are not split across partitions: see :mod:`hotspots.engine.dbscan`), as the
    :class:`hotspots.cli.common.Loaded` the single-machine path gets. Refused above
    ``max_points`` (default :data:`hotspots.engine.DBSCAN_MAX_POINTS`) calls."""
    import pyarrow.parquet as pq

    from hotspots import engine
    from hotspots.cli.common import Loaded
    from hotspots.engine.dataset import map_reduce
    from hotspots.engine.dbscan import refuse_dbscan

    limit = engine.DBSCAN_MAX_POINTS if max_points is None else int(max_points)
    with dask_input(kwargs) as inp:
        if inp.n > limit:
            refuse_dbscan("clusters", n=inp.n, limit=limit)
        files = inp.source.files
        present = set(pq.read_schema(files[0]).names) if files else set()
        cols = [c for c in _CLUSTER_COLUMNS if c in present and c not in ("lat", "lon")]
        rows = map_reduce(inp.source, _part_rows, _concat, columns=cols, progress=_tty())
    incidents = rows[[c for c in _CLUSTER_COLUMNS if c in rows.columns]].reset_index(drop=True)
    return Loaded(None, incidents, inp.source.filters, inp.boundary, inp.name)
