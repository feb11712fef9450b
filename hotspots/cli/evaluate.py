"""``hotspots evaluate``: score hotspot methods on later years (hit rate, PAI, RRI)."""

from __future__ import annotations

import json
import math
from typing import Any

import click
import pandas as pd

from hotspots.cli.common import filter_options, input_options, load_incidents
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
        return [parse(v) for v in str(raw).split(",") if v.strip()]
    except ValueError:
        flag = "--" + name.replace("_", "-")
        raise InputError(f"{flag} takes numbers separated by commas, got {raw!r}") from None


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
@click.option("--resolution", help="H3 resolution 7-11 for h3 and gistar (default 9).")
@click.option("--k", "k", help="Gi* neighbourhood rings (default 1).")
@click.option("--bandwidth", help="KDE bandwidth, metres (default 250).")
@click.option("--cell", help="KDE raster cell size, metres (default 50).")
@click.option("--eps", help="DBSCAN radius, metres (default 150).")
@click.option("--min-samples", help="DBSCAN incidents within eps for a core point (default 10).")
@click.option(
    "--sweep",
    is_flag=True,
    help="Try every combination of the given lists (e.g. --bandwidth 150,250,400) or of the "
    "default grid, and mark the best PAI among the rows flagging at least half the allowed "
    "area.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per row.")
def command(**kwargs: Any) -> None:
    """Fit each method on --train-years, flag the top --coverage of the study area, and score
    the flagged areas on --test-years: hit rate, PAI (hit rate / area share) and RRI (PAI on the
    test years / PAI on the training years). Data of a single year splits by month instead:
    --train-months 2020-01..2020-09 --test-months 2020-10..2020-12.

    The study area is the --boundary (the sample's boundary with --sample), or else the convex
    hull of all incidents.
    """
    from hotspots.evaluate import DEFAULT_GRID, METHODS, evaluate, sweep

    methods = [m.strip() for m in kwargs["methods"].split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise InputError(f"--methods: unknown {bad}; use a comma list of {', '.join(METHODS)}")
    lists = {
        opt: _values(kwargs.get(opt), opt, parse) for opt, (_, _, parse) in _PARAM_OPTIONS.items()
    }
    split, train_label, test_label = _split_flags(kwargs)
    loaded = load_incidents(kwargs)
    common = dict(
        **split,
        coverage=kwargs["coverage"],
        area=loaded.boundary,
    )
    if kwargs["sweep"]:
        grid: dict[str, dict[str, list[Any]]] = {}
        for m in methods:
            spec = {p: list(v) for p, v in DEFAULT_GRID[m].items()}
            for opt, (param, users, _) in _PARAM_OPTIONS.items():
                if m in users and lists[opt]:
                    spec[param] = lists[opt]
            grid[m] = spec
        res = sweep(loaded.incidents, grid=grid, **common)
    else:
        params: dict[str, dict[str, Any]] = {m: {} for m in methods}
        for opt, (param, users, _) in _PARAM_OPTIONS.items():
            if len(lists[opt]) > 1:
                flag = "--" + opt.replace("_", "-")
                raise InputError(f"{flag}: give one value, or add --sweep to try several")
            for m in methods:
                if m in users and lists[opt]:
                    params[m][param] = lists[opt][0]
        res = evaluate(loaded.incidents, methods=methods, params=params, **common)
    if kwargs["as_json"]:
        click.echo(json.dumps(records(res), indent=2))
    else:
        click.echo(table(res, loaded.source, kwargs["coverage"], train_label, test_label))


def _clean(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return _clean(v.item())
    return v


def records(res: Any) -> list[dict[str, Any]]:
    """Result rows as JSON-ready dicts (NaN -> null)."""
    out = []
    for row in res.to_dict(orient="records"):
        rec = {k: _clean(v) for k, v in row.items() if k != "params"}
        rec["params"] = {k: _clean(v) for k, v in row["params"].items()}
        out.append({"method": rec.pop("method"), "params": rec.pop("params"), **rec})
    return out


def table(res: Any, source: str, coverage: float, train: list[str], test: list[str]) -> str:
    """The results as an aligned text table; ``*`` marks the best PAI of each method in a
    sweep and ``**`` the best of all."""
    from hotspots.evaluate import format_params

    head = (
        f"Evaluation on {source}: fit on {','.join(map(str, train))}, "
        f"test on {','.join(map(str, test))}, coverage {coverage:.1%} of the study area"
    )
    if len(res):
        n_train, n_test = int(res["n_train"].iloc[0]), int(res["n_test"].iloc[0])
        head += f"\n{n_train:,} training and {n_test:,} test incidents"
    rows = [("", "method", "params", "hit rate", "area", "PAI", "RRI", "areas")]
    for r in res.to_dict(orient="records"):
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
                "-" if math.isnan(r["pai"]) else f"{r['pai']:.2f}",
                "-" if math.isnan(r["rri"]) else f"{r['rri']:.2f}",
                str(r["n_areas"]),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [head]
    for row in rows:
        cells = [
            c.ljust(w) if i < 3 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    if "best" in res:
        lines.append("* best PAI of its method, ** best overall")
        if not res["comparable"].all():
            lines.append(
                "(rows flagging under half the allowed area are not ranked: PAI rises as the "
                "area shrinks)"
            )
    return "\n".join(lines)
