"""Fair judgement: the equal-area comparison, its extras and the auto values, timed.

Prints medians (wall clock) of :func:`hotspots.evaluate.compare` (auto, the default, and the
fixed numbers it replaced; four methods, fitted once and
cut at equal area, with every method re-cut at a short method's area share),
:func:`~hotspots.evaluate.hit_rate_curve` (40 shares x 200 bootstrap draws, from the same fit:
no refit), :func:`~hotspots.evaluate.rolling_origin` (2 years; 4 quarters) and
:func:`hotspots.defaults.resolve` (all four ``auto`` values: what the app computes on a filter
change) on the sample and, when present, on Chicago's aggravated assaults (fit 2017-2018, test
2019, city outline).

``python -m benchmarks.bench_evaluate``
"""

from __future__ import annotations

import sys

from benchmarks.timing import CHICAGO_ASSAULTS, DATA, median_time, print_markdown


def _cases():
    from hotspots.sample import load_sample

    s = load_sample()
    yield "sample (8,681 calls)", s.calls, s.boundary, [2019, 2020], [2021]
    if CHICAGO_ASSAULTS.exists():
        from hotspots.io import read_boundary, read_incidents

        outline = read_boundary(DATA / "chicago_cpd_2017_2019" / "chicago_city_outline.geojson")
        calls = read_incidents(CHICAGO_ASSAULTS, boundary=outline).accepted
        calls = calls[calls["year"].isin([2016, 2017, 2018, 2019])]
        yield f"Chicago assaults 2016-19 ({len(calls):,})", calls, outline, [2017, 2018], [2019]


def main(argv: list[str] | None = None) -> int:
    from hotspots import defaults
    from hotspots.evaluate import compare, hit_rate_curve, rolling_origin

    rows = []
    for name, calls, area, train, test in _cases():
        kw = dict(train_years=train, test_years=test, coverage=0.05, area=area)
        t_cmp, comp = median_time(lambda kw=kw, calls=calls: compare(calls, **kw), runs=3)
        # before auto was the default: the same comparison at the fixed numbers
        fixed = {
            "h3": {"resolution": defaults.RESOLUTION},
            "kde": {"bandwidth": defaults.BANDWIDTH_M},
            "dbscan": {"eps": defaults.EPS_M, "min_samples": defaults.MIN_SAMPLES},
            "gistar": {"resolution": defaults.RESOLUTION},
        }
        t_fixed, _ = median_time(
            lambda kw=kw, calls=calls, fixed=fixed: compare(calls, params=fixed, **kw), runs=3
        )
        t_curve, _ = median_time(lambda comp=comp: hit_rate_curve(comp), runs=3)
        t_roll, _ = median_time(
            lambda calls=calls, area=area: rolling_origin(
                calls, coverage=0.05, n_splits=2, area=area
            ),
            runs=1,
        )
        t_period, _ = median_time(
            lambda calls=calls, area=area: rolling_origin(
                calls, coverage=0.05, n_splits=4, period="3M", area=area
            ),
            runs=1,
        )
        t_auto, chosen = median_time(
            lambda calls=calls, area=area: defaults.resolve(
                calls, dict.fromkeys(defaults.FIXED, "auto"), area
            ),
            runs=3,
        )
        best = comp.table.loc[comp.table["best"], "method"]
        short = ",".join(comp.table.loc[~comp.table["comparable"], "method"]) or "-"
        rows.append(
            [
                name,
                f"{t_cmp:.2f}",
                f"{t_fixed:.2f}",
                f"{t_curve:.2f}",
                f"{t_roll:.2f}",
                f"{t_period:.2f}",
                f"{t_auto:.2f}",
                best.iloc[0] if len(best) else "-",
                short,
                " ".join(f"{k}={v:g}" for k, v in chosen.values.items()),
            ]
        )
    print_markdown(
        [
            "data",
            "compare (auto) s",
            "compare (fixed) s",
            "curve s",
            "rolling (2 years) s",
            "rolling (4 x 3M) s",
            "auto s",
            "best",
            "not comparable",
            "auto values",
        ],
        rows,
    )
    print("target: the Tune page's comparison and curve in a few seconds on a city's year")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
