"""``hotspots gistar``: Getis-Ord Gi* hot and cold spots on H3 cells."""

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
    note,
    output_option,
    provenance_of,
    uses_dask,
    write_output,
)


@click.command("gistar")
@input_options
@filter_options
@number_or_auto(
    "--resolution", "resolution", "H3 resolution 7-11 (9: cells of ~0.1 km², edge ~200 m)."
)
@click.option(
    "--k",
    "k",
    default=defaults.GISTAR_K,
    show_default=True,
    type=int,
    help="Neighbourhood: rings of cells around each cell (1: the 6 touching cells).",
)
@click.option(
    "--permutations",
    default=0,
    show_default=True,
    type=int,
    help="Conditional permutations for pseudo p-values (0: normal p-values only; e.g. 999).",
)
@click.option("--seed", type=int, help="Seed of the permutations (reproducible p_sim).")
@click.option(
    "--fdr",
    is_flag=True,
    help="Bins from Benjamini-Hochberg corrected p-values (ArcGIS 'Apply FDR correction').",
)
@output_option("Write cell, count, z, p, p_fdr, bin per cell (.geojson, .csv, .parquet, .gpkg).")
@engine_options
def command(**kwargs: Any) -> None:
    """Gi* hot spots: z-score, p-value and 90/95/99 % confidence bin of every H3 cell.

    Zero-count cells of the study area (the --boundary, the sample's boundary, or else the
    incidents' convex hull) are included.
    """
    from hotspots.gistar import gistar_cells

    if uses_dask(kwargs):
        from hotspots.cli import engine

        refuse_auto_on_engine(kwargs, "resolution")
        return engine.gistar(kwargs)
    loaded = load_incidents(kwargs)
    resolve(loaded.incidents, kwargs, {"resolution": ("resolution", int)}, loaded.boundary)
    res = gistar_cells(
        loaded.incidents,
        kwargs["resolution"],
        kwargs["k"],
        area=loaded.boundary,
        permutations=kwargs["permutations"],
        seed=kwargs["seed"],
        fdr=kwargs["fdr"],
    )
    click.echo(summary(res, loaded.source, len(loaded.incidents), kwargs))
    if not (res["bin"].to_numpy() > 0).any():
        from hotspots.suggest import gistar_suggestion

        hint = gistar_suggestion(
            loaded.incidents, kwargs["resolution"], kwargs["k"], loaded.boundary
        )
        note(hint.message if hint else "no significant Gi* hot spot in these calls")
    if kwargs.get("output"):
        write_output(
            res,
            kwargs["output"],
            "cells",
            provenance_of(
                loaded, "gistar", kwargs, ("resolution", "k", "permutations", "seed", "fdr")
            ),
        )
    perms = kwargs["permutations"]
    if perms:
        floor = 2 / (perms + 1)  # smallest two-sided p_sim (see hotspots.gistar)
        shut = [f"{100 - 100 * a:g} %" for a in (0.01, 0.05, 0.10) if floor > a]
        if shut:
            note(
                f"with {perms} permutations the smallest p_sim is {floor:.2g}, so the "
                f"{' and '.join(shut)} bins stay empty; use --permutations 999"
            )


def summary(res: Any, source: str, n_incidents: int, kwargs: dict[str, Any]) -> str:
    """A few lines: cells per confidence bin and the hottest cells."""
    counts = res["bin"].value_counts()
    basis = "FDR-corrected p" if kwargs["fdr"] else "p"
    if kwargs["permutations"]:
        basis += f" from {kwargs['permutations']} permutations"
    lines = [
        f"Gi* on {source}: {n_incidents:,} incidents in {len(res):,} H3 cells "
        f"(resolution {kwargs['resolution']}, k = {kwargs['k']}; bins from {basis})",
    ]
    for b, label in (
        (3, "hot 99 %"),
        (2, "hot 95 %"),
        (1, "hot 90 %"),
        (-1, "cold 90 %"),
        (-2, "cold 95 %"),
        (-3, "cold 99 %"),
    ):
        lines.append(f"  {label:>10}: {int(counts.get(b, 0))} cells")
    top = res.sort_values(["z", "count"], ascending=False).head(5)
    if len(top):
        lines.append("  hottest cells (cell, count, z, p):")
        for row in top.itertuples():
            lines.append(f"    {row.cell}  {row.count:>5}  {row.z:7.2f}  {row.p:.2g}")
    return "\n".join(lines)
