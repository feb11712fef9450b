"""``hotspots evaluate``: score hotspot methods on later years (hit rate, PAI, RRI)."""

from __future__ import annotations

import json
import math
from typing import Any

import click
import pandas as pd

from hotspots import defaults as _D
from hotspots.cli.common import (
    engine_options,
    filter_options,
    input_options,
    load_incidents,
    note,
    uses_dask,
)
from hotspots.errors import InputError
from hotspots.evaluate import month_runs

# CLI option -> (method parameter, methods using it, parse)
_PARAM_OPTIONS = {
    "resolution": ("resolution", ("h3", "gistar"), int),
    "k": ("k", ("gistar",), int),
    "bandwidth": ("bandwidth", ("kde",), float),
    "cell": ("cell", ("kde",), float),
    "eps": ("eps", ("dbscan",), float),
    "min_samples": ("min_samples", ("dbscan",), int),
}


def _values(raw: str | None, name: str, parse: Any) -> list[Any]:
    if raw is None:
        return []
    try:
        return [
            "auto" if v.strip().lower() == "auto" else parse(v)
            for v in str(raw).split(",")
            if v.strip()
        ]
    except ValueError:
        flag = "--" + name.replace("_", "-")
        raise InputError(
            f"{flag} takes numbers separated by commas (or auto), got {raw!r}"
        ) from None


def _years(raw: str, flag: str) -> list[int]:
    try:
        years = [int(v) for v in str(raw).split(",") if v.strip()]
    except ValueError:
        raise InputError(f"{flag} takes whole years such as 2019,2020, got {raw!r}") from None
    if not years:
        raise InputError(f"{flag}: give at least one year")
    return years


def _months(raw: str, flag: str) -> list[str]:
    """``2020-01..2020-09,2020-11`` -> the months, as ``YYYY-MM`` strings."""
    out: list[str] = []
    try:
        for part in (p.strip() for p in str(raw).split(",")):
            if not part:
                continue
            a, _, b = part.partition("..")
            first = pd.Period(a.strip(), freq="M")
            last = pd.Period(b.strip(), freq="M") if b else first
            if last < first:
                raise ValueError(part)
            out.extend(str(m) for m in pd.period_range(first, last, freq="M"))
    except (TypeError, ValueError):
        raise InputError(
            f"{flag} takes months such as 2020-01..2020-09 or 2020-11,2020-12, got {raw!r}"
        ) from None
    if not out:
        raise InputError(f"{flag}: give at least one month")
    return out


def _split_flags(kwargs: dict[str, Any]) -> tuple[dict[str, list[Any]], list[str], list[str]]:
    """The train/test split the flags ask for (years or months), and its two labels."""
    years = [kwargs.get("train_years"), kwargs.get("test_years")]
    months = [kwargs.get("train_months"), kwargs.get("test_months")]
    if any(years) and any(months):
        raise InputError(
            "give --train-years/--test-years or --train-months/--test-months, not both"
        )
    if any(months):
        if not all(months):
            raise InputError(
                "give both --train-months and --test-months, e.g. "
                "--train-months 2020-01..2020-09 --test-months 2020-10..2020-12"
            )
        tr, te = _months(months[0], "--train-months"), _months(months[1], "--test-months")
        return {"train_months": tr, "test_months": te}, month_runs(tr), month_runs(te)
    if not all(years):
        raise InputError(
            "give --train-years and --test-years, e.g. --train-years 2019,2020 "
            "--test-years 2021 (or --train-months/--test-months for one year of data); "
            "see hotspots evaluate --help"
        )
    tr, te = _years(years[0], "--train-years"), _years(years[1], "--test-years")
    return {"train_years": tr, "test_years": te}, [str(y) for y in tr], [str(y) for y in te]


@click.command("evaluate")
@input_options
@filter_options
@click.option("--train-years", help="Years to fit on, e.g. 2019,2020.")
@click.option("--test-years", help="Years to score on, e.g. 2021.")
@click.option(
    "--train-months",
    help="Instead of years, for data of a single year: months to fit on, e.g. 2020-01..2020-09.",
)
@click.option("--test-months", help="Months to score on, e.g. 2020-10..2020-12 or 2020-11,2020-12.")
@click.option(
    "--coverage",
    default=0.05,
    show_default=True,
    type=float,
    help="Share of the study area each method may flag (0.05 = 5 %).",
)
@click.option(
    "--methods",
    default="h3,kde,dbscan,gistar",
    show_default=True,
    help="Methods to compare (comma list of h3, kde, dbscan, gistar).",
)
@click.option(
    "--resolution",
    help="H3 resolution 7-11 for h3 and gistar, or auto (default: auto, from the training calls).",
)
@click.option("--k", "k", help=f"Gi* neighbourhood rings (default {_D.GISTAR_K}).")
@click.option("--bandwidth", help="KDE bandwidth, metres, or auto (default: auto).")
@click.option("--cell", help=f"KDE raster cell size, metres (default {_D.KDE_CELL_M:g}).")
@click.option("--eps", help="DBSCAN radius, metres, or auto (default: auto).")
@click.option(
    "--min-samples",
    help="DBSCAN incidents within eps for a core point, or auto (default: auto).",
)
@click.option(
    "--sweep",
    is_flag=True,
    help="Try every combination of the given lists (e.g. --bandwidth 150,250,400) or of the "
    "default grid, and mark the best PAI among the rows flagging at least 90 % of the allowed "
    "area.",
)
@click.option(
    "--curve",
    "curve_path",
    type=click.Path(dir_okay=False),
    help="Also draw hit rate against area share (0.5 % to 20 %) of every method, with 90 % "
    "bootstrap bands, as a PNG.",
)
@click.option(
    "--rolling",
    type=int,
    help="Rolling origin: score each of the last N years (or N --period periods), trained on "
    "the time before it, and print the mean and spread per method (instead of "
    "--train-years/--test-years).",
)
@click.option(
    "--period",
    help="With --rolling: test N consecutive periods of this many calendar months instead of "
    "years, e.g. 3M, 6M, 1Q, 1Y (the last ends with the data's last month; each is trained on "
    "every month before it).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per row.")
@engine_options
def command(**kwargs: Any) -> None:
    """Fit each method on --train-years, flag the top --coverage of the study area, and score
    the flagged areas on --test-years: hit rate, PAI (hit rate / area share) and RRI (PAI on the
    test years / PAI on the training years). Data of a single year splits by month instead:
    --train-months 2020-01..2020-09 --test-months 2020-10..2020-12.

    The study area is the --boundary (the sample's boundary with --sample), or else the convex
    hull of all incidents.
    """
    from hotspots.evaluate import DEFAULT_GRID, METHODS, compare, sweep

    methods = [m.strip() for m in kwargs["methods"].split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise InputError(f"--methods: unknown {bad}; use a comma list of {', '.join(METHODS)}")
    lists = {
        opt: _values(kwargs.get(opt), opt, parse) for opt, (_, _, parse) in _PARAM_OPTIONS.items()
    }
    if uses_dask(kwargs):
        from hotspots.cli import engine

        return engine.evaluate(kwargs, methods, lists)
    if kwargs.get("rolling") is not None:
        _rolling(kwargs, methods, lists)
        return
    if kwargs.get("period"):
        raise InputError("--period is the length of each test period of --rolling: add --rolling N")
    split, train_label, test_label = _split_flags(kwargs)
    loaded = load_incidents(kwargs)
    common = dict(
        **split,
        coverage=kwargs["coverage"],
        area=loaded.boundary,
    )
    at_share = None
    if kwargs["sweep"]:
        if kwargs.get("curve_path"):
            raise InputError("--curve draws one setting per method: leave out --sweep")
        grid: dict[str, dict[str, list[Any]]] = {}
        for m in methods:
            spec = {p: list(v) for p, v in DEFAULT_GRID[m].items()}
            for opt, (param, users, _) in _PARAM_OPTIONS.items():
                if m in users and lists[opt]:
                    spec[param] = lists[opt]
            grid[m] = spec
        res = sweep(loaded.incidents, grid=grid, **common)
    else:
        params = _single_params(methods, lists)
        comp = compare(loaded.incidents, methods=methods, params=params, **common)
        res, at_share = comp.table, comp.at_share
        _note_auto(res, params)
        if kwargs.get("curve_path"):
            from hotspots.evaluate import hit_rate_curve
            from hotspots.evaluation_chart import curve_png

            curve = hit_rate_curve(comp)
            path = kwargs["curve_path"]
            with open(path, "wb") as fh:
                fh.write(curve_png(curve, title=f"{loaded.source}: hit rate by area"))
            note(f"wrote the hit-rate curve to {path}")
    report(res, at_share, loaded.source, kwargs, (train_label, test_label))


def report(
    res: Any, at_share: Any, source: str, kwargs: dict[str, Any], labels: tuple[list, list]
) -> None:
    """Print the results: a JSON array with ``--json``, else the aligned table and the
    equal-area rows of the methods that fell short."""
    if kwargs["as_json"]:
        rows = records(res)
        if at_share is not None and len(at_share):
            # a short method's row carries every method scored at its own area share
            for row in rows:
                same = at_share[at_share["reference"] == row["method"]]
                if len(same):
                    row["equal_area"] = records(same.drop(columns="reference"))
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(table(res, source, kwargs["coverage"], *labels))
        if at_share is not None and len(at_share):
            click.echo(equal_area_table(at_share))


def _single_params(methods: list[str], lists: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    params: dict[str, dict[str, Any]] = {m: {} for m in methods}
    for opt, (param, users, _) in _PARAM_OPTIONS.items():
        if len(lists[opt]) > 1:
            flag = "--" + opt.replace("_", "-")
            raise InputError(f"{flag}: give one value, or add --sweep to try several")
        for m in methods:
            if m in users and lists[opt]:
                params[m][param] = lists[opt][0]
    return params


def _note_auto(res: Any, params: dict[str, dict[str, Any]]) -> None:
    """Say which auto values (given, or the defaults) were computed, and to what (on the
    training calls)."""
    from hotspots.evaluate import DEFAULT_PARAMS, format_params

    for r in res.itertuples(index=False):
        full = {**DEFAULT_PARAMS[r.method], **params.get(r.method, {})}
        auto = [k for k, v in full.items() if _D.is_auto(v)]
        if auto:
            chosen = format_params({k: r.params[k] for k in auto})
            note(f"{r.method}: auto {chosen} (computed from the training calls)")


def _rolling(kwargs: dict[str, Any], methods: list[str], lists: dict[str, list[Any]]) -> None:
    from hotspots.evaluate import rolling_origin

    if any(kwargs.get(k) for k in ("train_years", "test_years", "train_months", "test_months")):
        raise InputError("--rolling chooses the years itself: leave out --train/--test flags")
    if kwargs["sweep"] or kwargs.get("curve_path"):
        raise InputError("--rolling scores one setting per method: leave out --sweep and --curve")
    loaded = load_incidents(kwargs)
    splits, summary = rolling_origin(
        loaded.incidents,
        coverage=kwargs["coverage"],
        n_splits=kwargs["rolling"],
        methods=methods,
        params=_single_params(methods, lists),
        area=loaded.boundary,
        period=kwargs.get("period"),
    )
    if kwargs["as_json"]:
        out = records(splits)
        click.echo(json.dumps({"splits": out, "summary": _plain(summary)}, indent=2))
        return
    tested = ", ".join(dict.fromkeys(splits["test_period"]))
    before = "months" if kwargs.get("period") else "years"
    lines = [
        f"Rolling origin on {loaded.source}: each of {tested} tested, trained on the {before} "
        f"before it; coverage {kwargs['coverage']:.1%} of the study area",
        "method  splits  comparable  hit rate (sd)   area (sd)       PAI (sd)       PEI (sd)",
    ]
    for r in summary.itertuples(index=False):
        lines.append(
            f"{r.method:<6}  {r.splits:>6}  {int(r.comparable_splits):>10}  "
            f"{_pm(100 * r.hit_rate_mean, 100 * r.hit_rate_sd, 1, '%')}  "
            f"{_pm(100 * r.area_share_mean, 100 * r.area_share_sd, 2, '%')}  "
            f"{_pm(r.pai_mean, r.pai_sd, 2)}  {_pm(r.pei_mean, r.pei_sd, 2)}".rstrip()
        )
    lines.append("(sd: standard deviation over the splits; one split is one draw)")
    click.echo("\n".join(lines))


def _pm(mean: float, sd: float, decimals: int, unit: str = "") -> str:
    if math.isnan(mean):
        return "-".ljust(14)
    sd_txt = "-" if math.isnan(sd) else f"{sd:.{decimals}f}"
    return f"{mean:.{decimals}f}{unit} ({sd_txt})".ljust(14)


def _plain(frame: Any) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _clean(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return _clean(v.item())
    return v


def records(res: Any) -> list[dict[str, Any]]:
    """Result rows as JSON-ready dicts (NaN -> null): ``method``, ``params``, ``hit_rate``,
    ``area_share``, ``pai``, ``pei``, ``rri``, ``comparable`` first."""
    out = []
    for row in res.to_dict(orient="records"):
        rec = {k: _clean(v) for k, v in row.items() if k != "params"}
        rec["params"] = {k: _clean(v) for k, v in row["params"].items()}
        head = {k: rec.pop(k) for k in _JSON_FIRST if k in rec}
        out.append({**head, **rec})
    return out


_JSON_FIRST = ("method", "params", "hit_rate", "area_share", "pai", "pei", "rri", "comparable")


def _num(v: float, fmt: str) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def _rows(res: Any, marks: bool) -> list[tuple[str, ...]]:
    from hotspots.evaluate import format_params

    rows = [("", "method", "params", "hit rate", "area", "PAI", "PEI", "RRI", "areas")]
    for r in res.to_dict(orient="records"):
        mark = ""
        if marks:
            mark = "**" if r.get("best_overall") else "*" if r.get("best") else ""
            if r.get("comparable") is False:
                mark = "-"
        rows.append(
            (
                mark,
                r["method"],
                format_params(r["params"]),
                f"{r['hit_rate']:.1%}",
                f"{r['area_share']:.2%}",
                _num(r["pai"], ".2f"),
                _num(r["pei"], ".2f"),
                _num(r["rri"], ".2f"),
                str(r["n_areas"]),
            )
        )
    return rows


def _align(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            c.ljust(w) if i < 3 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def table(res: Any, source: str, coverage: float, train: list[str], test: list[str]) -> str:
    """The results as an aligned text table: ``*`` marks the best PAI (of each method in a
    sweep, ``**`` the best of all), ``-`` a row that is not comparable (it flags less than
    90 % of the allowed area)."""
    head = (
        f"Evaluation on {source}: fit on {','.join(map(str, train))}, "
        f"test on {','.join(map(str, test))}, coverage {coverage:.1%} of the study area"
    )
    if len(res):
        n_train, n_test = int(res["n_train"].iloc[0]), int(res["n_test"].iloc[0])
        head += f"\n{n_train:,} training and {n_test:,} test incidents"
    lines = [head, *_align(_rows(res, marks=True))]
    sweep = "best_overall" in res
    lines.append(
        "* best PAI of its method, ** best overall" if sweep else "* best PAI at equal area"
    )
    short = res.loc[~res["comparable"].astype(bool)] if len(res) else res
    if len(short):
        names = ", ".join(sorted(set(short["method"])))
        lines.append(
            f"- not comparable ({names}): flags under 90 % of the allowed area, and PAI rises "
            "as the area shrinks; never named best"
        )
    if len(res) and not res["best"].any():
        lines.append("no row reaches the coverage: no method is named best")
    return "\n".join(lines)


def equal_area_table(at_share: Any) -> str:
    """Every method cut at the area share of each method that fell short of the coverage."""
    lines = []
    for ref, part in at_share.groupby("reference", sort=False):
        share = float(part["coverage"].iloc[0])
        lines += ["", f"At {ref}'s area share ({share:.2%}), every method:"]
        lines += _align(_rows(part, marks=False))
    return "\n".join(lines)
