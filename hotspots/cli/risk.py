"""``hotspots risk``: which kinds of venues raise the calls beyond the city's busyness (RTM)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
import pandas as pd

from hotspots.cli.common import (
    TABLE_OUT,
    filter_options,
    input_options,
    load_incidents,
    output_callback,
    output_option,
    provenance_of,
)
from hotspots.cli.venues import load_venues, venues_option
from hotspots.errors import InputError

#: Parameters recorded in the outputs' provenance.
PARAMS = (
    "venues_path",
    "kinds",
    "distances",
    "measures",
    "resolution",
    "background_bandwidth",
    "family",
    "criterion",
    "exposure",
    "exposure_column",
)
EXPOSURE_GEO = (".geojson", ".json", ".gpkg", ".shp")


def _list(raw: str | None) -> list[str]:
    return [v.strip() for v in str(raw or "").split(",") if v.strip()]


def _distances(raw: str) -> list[float]:
    try:
        return [float(v) for v in _list(raw)]
    except ValueError:
        raise InputError(f"--distances takes metres such as 50,100,200, got {raw!r}") from None


def _years(raw: str, flag: str) -> list[int]:
    try:
        years = [int(v) for v in _list(raw)]
    except ValueError:
        raise InputError(f"{flag} takes whole years such as 2019,2020, got {raw!r}") from None
    if not years:
        raise InputError(f"{flag}: give at least one year")
    return years


def read_exposure(path: str) -> pd.DataFrame:
    """An exposure file: polygons (GeoJSON, GPKG, Shapefile, GeoParquet) or a cell table
    (CSV, Parquet) with a ``cell`` column."""
    import geopandas as gpd

    suffix = Path(path).suffix.lower()
    try:
        if suffix in EXPOSURE_GEO:
            return gpd.read_file(path)
        if suffix == ".parquet":
            try:
                return gpd.read_parquet(path)
            except (ValueError, KeyError):
                return pd.read_parquet(path)
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the exposure file ({exc})") from None


def _clean(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is pd.NA:
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    return v


def factor_records(factors: pd.DataFrame) -> list[dict[str, Any]]:
    """The factors as JSON-ready dicts: kind, measure, distance_m, relative_risk, ci_low,
    ci_high, p, then coef, se, cells and calls."""
    return [{k: _clean(v) for k, v in r.items()} for r in factors.to_dict(orient="records")]


def factors_text(factors: pd.DataFrame) -> list[str]:
    if len(factors) == 0:
        return ["no venue kind raises the risk beyond the baseline: no factor selected"]
    lines = ["kind            measure     metres  rel. risk  95 % CI          p        cells"]
    for r in factors.itertuples():
        lines.append(
            f"{str(r.kind)[:14]:<14}  {r.measure:<10}  {r.distance_m:>6g}  {r.relative_risk:>9.2f}"
            f"  {r.ci_low:>6.2f} – {r.ci_high:<6.2f}  {_p(r.p):<7}  {r.cells:>5}"
        )
    return lines


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def fit_text(fit: dict[str, Any]) -> list[str]:
    fam = "negative binomial" if fit["family"] == "negbin" else "Poisson"
    if fit["family"] == "negbin":
        fam += f" (alpha {fit['alpha']:.2f})"
    base = "intercept + other calls' density" if fit["background"] else "intercept"
    lr = (
        f"LR test against the baseline ({base}): chi² {fit['lr_stat']:.1f} on {fit['lr_df']} df,"
        f" p {_p(fit['lr_p'])}"
        if fit["lr_p"] is not None
        else f"no factor beyond the baseline ({base})"
    )
    return [
        f"{fam} model, {fit['cells']:,} H3 cells (resolution {fit['resolution']}), "
        f"{fit['calls']:,} calls, {fit['candidates']} candidate factors",
        f"deviance {fit['deviance']:.1f} (baseline {fit['baseline_deviance']:.1f}), "
        f"AIC {fit['aic']:.1f} (baseline {fit['baseline_aic']:.1f}), BIC {fit['bic']:.1f}",
        lr,
    ]


def evaluation_text(res: pd.DataFrame, train: list[int], test: list[int], cov: float) -> list[str]:
    lines = [
        "",
        f"Scored on {','.join(map(str, test))} (fitted on {','.join(map(str, train))}), "
        f"{cov:.1%} of the study area:",
        "method         hit rate  area    PAI     PEI    RRI",
    ]
    for r in res.itertuples():
        lines.append(
            f"{r.method:<13}  {r.hit_rate:>7.1%}  {r.area_share:>5.2%}  {_f(r.pai):>6}  "
            f"{_f(r.pei):>5}  {_f(r.rri):>5}"
        )
    return lines


def _f(v: float) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}"


@click.command("risk")
@input_options
@filter_options
@venues_option
@click.option(
    "--kinds",
    help="Venue kinds to test, e.g. cafe,bar,park (or the groups catering, public_space); "
    "default every kind of the venue file.",
)
@click.option(
    "--distances",
    default="50,100,200",
    show_default=True,
    help="Proximity distances and density bandwidths, metres.",
)
@click.option(
    "--measures",
    default="proximity,density",
    show_default=True,
    help="proximity (a venue within d m) and/or density (a dense cluster, bandwidth d m).",
)
@click.option(
    "--resolution",
    default=10,
    show_default=True,
    type=int,
    help="H3 resolution of the cells, 7-12 (10: ~0.015 km², edge ~66 m).",
)
@click.option(
    "--background-bandwidth",
    default=500.0,
    show_default=True,
    type=float,
    help="Bandwidth of the other calls' density (the baseline's control), metres.",
)
@click.option(
    "--family",
    type=click.Choice(["auto", "poisson", "negbin"]),
    default="auto",
    show_default=True,
    help="Count model; auto keeps the one of lower BIC.",
)
@click.option(
    "--criterion",
    type=click.Choice(["bic", "aic"]),
    default="bic",
    show_default=True,
    help="Stepwise selection criterion.",
)
@click.option(
    "--exposure",
    type=click.Path(exists=True, dir_okay=False),
    help="Population or footfall: polygons (GeoJSON, GPKG) or an H3 cell table (CSV with a "
    "'cell' column), used as an offset.",
)
@click.option(
    "--exposure-column",
    default="population",
    show_default=True,
    help="The value column of --exposure.",
)
@click.option("--by-year", is_flag=True, help="Fit each year on its own and list them.")
@click.option(
    "--evaluate",
    "evaluate_",
    is_flag=True,
    help="Fit on --train-years, score the risk surface on --test-years (hit rate, PAI, PEI, "
    "RRI) beside past-hotspot methods.",
)
@click.option("--train-years", help="With --evaluate: years to fit on, e.g. 2019,2020.")
@click.option("--test-years", help="With --evaluate: years to score on, e.g. 2021.")
@click.option(
    "--coverage",
    default=0.05,
    show_default=True,
    type=float,
    help="With --evaluate: share of the study area each method may flag.",
)
@output_option("Write the risk surface per cell (.csv, .parquet; .geojson/.gpkg with hexagons).")
@click.option(
    "--factors-out",
    type=click.Path(dir_okay=False),
    callback=output_callback(TABLE_OUT),
    help="Write the selected factors as a table (.csv, .parquet).",
)
@click.option(
    "--map",
    "map_path",
    type=click.Path(dir_okay=False),
    callback=output_callback((".html",)),
    help="Write a standalone offline HTML map of the risk surface.",
)
@click.option(
    "--lang", type=click.Choice(["kk", "ru", "en"]), default="en", help="Language of the map."
)
@click.option("--json", "as_json", is_flag=True, help="Print the factors and the fit as JSON.")
def command(**kwargs: Any) -> None:
    """Risk terrain model: do the places of a kind raise the calls of the --offenses beyond
    the city's general busyness?

    Each H3 cell of the study area gets 0/1 risk factors per venue kind (a venue within d
    metres; a dense cluster of them, kernel bandwidth d); a Poisson or negative-binomial
    regression of the cells' calls on them, controlling for the density of the calls of
    every other offense type, keeps the factors that lower the BIC (stepwise, one per kind)
    and reports their relative risk with a 95 % confidence interval and p-value, the model's
    deviance and AIC and the likelihood-ratio test against the baseline.
    """
    from hotspots.filters import Filters, apply_filters
    from hotspots.risk import fit_by_year, fit_risk, risk_surface, split_offenses

    venues = load_venues(kwargs.get("venues_path"), bool(kwargs.get("sample")))
    if venues is None:
        raise InputError("no venues: give --venues FILE (or use --sample)")
    if kwargs["evaluate_"] and not (kwargs.get("train_years") and kwargs.get("test_years")):
        raise InputError("--evaluate needs --train-years and --test-years, e.g. 2019,2020 / 2021")
    loaded = load_incidents(kwargs)
    f = loaded.filters
    # every offense type under the other filters: the modelled ones and their background
    pool = apply_filters(
        loaded.result.accepted, Filters(years=f.years, hours=f.hours, weekdays=f.weekdays)
    )
    offenses = list(f.offenses)
    target, background = split_offenses(pool, offenses)
    fit_kwargs: dict[str, Any] = {
        "kinds": _list(kwargs.get("kinds")) or None,
        "distances": _distances(kwargs["distances"]),
        "measures": _list(kwargs["measures"]),
        "resolution": kwargs["resolution"],
        "background_bandwidth": kwargs["background_bandwidth"],
        "family": kwargs["family"],
        "criterion": kwargs["criterion"],
        "area": loaded.boundary,
    }
    if kwargs.get("exposure"):
        fit_kwargs["exposure"] = read_exposure(kwargs["exposure"])
        fit_kwargs["exposure_column"] = kwargs["exposure_column"]
    model = fit_risk(target, venues, background=background, **fit_kwargs)
    out: dict[str, Any] = {
        "source": loaded.source,
        "offenses": offenses or None,
        "factors": factor_records(model.factors[["kind", "measure", "distance_m",
                                                 "relative_risk", "ci_low", "ci_high", "p",
                                                 "coef", "se", "cells", "calls"]]),
        "fit": _clean(model.fit),
    }  # fmt: skip
    text = [
        f"{loaded.source}: venue risk of "
        f"{', '.join(offenses) if offenses else 'every call (no background)'}",
        *fit_text(model.fit),
        "",
        *factors_text(model.factors),
    ]
    if kwargs["by_year"]:
        years = fit_by_year(pool, venues, offenses=offenses, **fit_kwargs)
        out["by_year"] = [{k: _clean(v) for k, v in r.items()} for r in years.to_dict("records")]
        text += ["", "By year:"]
        for year, part in years.groupby("year", sort=True):
            sel = part.dropna(subset=["kind"])
            text.append(f"{year}: {int(part['year_calls'].iloc[0]):,} calls")
            text += ["  " + line for line in factors_text(sel)]
    if kwargs["evaluate_"]:
        from hotspots.risk.scoring import score_risk

        train = _years(kwargs["train_years"], "--train-years")
        test = _years(kwargs["test_years"], "--test-years")
        res = score_risk(
            pool,
            venues,
            train_years=train,
            test_years=test,
            offenses=offenses,
            coverage=kwargs["coverage"],
            **fit_kwargs,
        )
        out["evaluation"] = [{k: _clean(v) for k, v in r.items()} for r in res.to_dict("records")]
        text += evaluation_text(res, train, test, kwargs["coverage"])
    if not offenses:
        from hotspots.cli.common import note

        note(
            "every call is modelled, so there is no background of other offense types to "
            "control for: give --offenses to separate the places from the city's busyness"
        )
    click.echo(
        json.dumps(out, indent=2, ensure_ascii=False) if kwargs["as_json"] else "\n".join(text)
    )
    from hotspots.output import write_table

    prov = provenance_of(loaded, "risk", kwargs, PARAMS)
    if kwargs.get("output"):
        surf = risk_surface(
            model, geometry=kwargs["output"].lower().endswith((".geojson", ".json", ".gpkg"))
        )
        path = write_table(surf, kwargs["output"], provenance=prov)
        click.echo(f"wrote {len(surf):,} cells to {path}", err=kwargs["as_json"])
    if kwargs.get("factors_out"):
        path = write_table(model.factors, kwargs["factors_out"], provenance=prov)
        click.echo(f"wrote {len(model.factors)} factors to {path}", err=kwargs["as_json"])
    if kwargs.get("map_path"):
        from hotspots.maps import save_map
        from hotspots.maps.risk import risk_map

        m = risk_map(
            risk_surface(model), venues=venues, boundary=loaded.boundary, lang=kwargs["lang"]
        )
        size = save_map(m, kwargs["map_path"])
        click.echo(f"wrote the risk map ({size:,} bytes) to {kwargs['map_path']}",
                   err=kwargs["as_json"])  # fmt: skip
