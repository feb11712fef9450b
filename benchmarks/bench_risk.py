"""Venue-risk benchmark: ``python -m benchmarks.bench_risk`` from the repo root.

Times :func:`hotspots.risk.fit_risk` (factors, both families' stepwise selection, the final
statsmodels fits) on

* the bundled sample: hooliganism against every venue kind and the groups, 3 distances x 2
  measures, the other offense types as background (2,372 cells at resolution 10);
* a large synthetic city (``benchmarks/synthetic_risk.py``, 10 km x 10 km at H3 resolution 11:
  about 39,000 cells, 300 bars with a relative risk of 3, 600 cafés with none), where the
  recovered relative risk is printed beside the true one.

The naive approach for the selection is the same forward stepwise search with every candidate
fitted by statsmodels' ``GLM`` (what the first version did), against the module's own IRLS on
the normal equations with warm starts: both give the same selection, which is checked.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from benchmarks.synthetic_risk import make_city
from benchmarks.timing import median_time, print_markdown
from hotspots.risk import fit_risk, risk_data, split_offenses
from hotspots.risk.model import _fit, select_factors


def naive_select(data, criterion: str = "bic", p_enter: float = 0.05, min_cells: int = 5):
    """The stepwise search with a statsmodels GLM fit per candidate (Poisson)."""
    n = len(data.y)
    marked = data.candidates.sum(axis=0)
    usable = [f for f in data.factors if min_cells <= int(marked[f.name]) <= n - min_cells]
    x = data.fixed()
    best = _fit(data.y, x, 0.0, data.offset).criterion(criterion, n)
    chosen, kinds = [], set()
    while True:
        trial = None
        for f in usable:
            if f.kind in kinds:
                continue
            xt = x.assign(**{f.name: data.candidates[f.name].to_numpy(float)})
            try:
                fit = _fit(data.y, xt, 0.0, data.offset)
            except (ValueError, np.linalg.LinAlgError):
                continue
            crit, p = fit.criterion(criterion, n), float(fit.result.pvalues[f.name])
            if math.isfinite(crit) and p < p_enter and (trial is None or crit < trial[0]):
                trial = (crit, f)
        if trial is None or not trial[0] < best:
            return chosen
        best, f = trial
        chosen.append(f.name)
        kinds.add(f.kind)
        x = x.assign(**{f.name: data.candidates[f.name].to_numpy(float)})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    from hotspots.sample import load_sample

    rows = []
    s = load_sample()
    hool, other = split_offenses(s.calls, ["hooliganism"])
    kinds = sorted(set(s.venues["kind"])) + ["catering", "public_space"]
    fit_risk(hool.iloc[:50], s.venues, background=other, area=s.boundary, kinds=["cafe"])  # warm
    t_sample, m = median_time(
        lambda: fit_risk(hool, s.venues, background=other, area=s.boundary, kinds=kinds),
        args.runs,
    )
    data = m.data
    t_ours, ours = median_time(lambda: select_factors(data)[0], args.runs)
    t0 = time.perf_counter()
    naive = naive_select(data)
    t_naive = time.perf_counter() - t0
    assert naive == ours, (naive, ours)
    rows.append(
        [
            "fit_risk (both families), sample hooliganism",
            f"{len(data.y):,} cells, {len(data.factors)} candidates",
            f"{t_sample:.2f} s",
            "-",
            "-",
            f"{len(m.factors)} factors, {m.fit['family']}",
        ]
    )
    rows.append(
        [
            "stepwise selection (Poisson), sample",
            f"{len(data.y):,} cells",
            f"{t_ours:.3f} s",
            f"{t_naive:.2f} s",
            f"{t_naive / t_ours:.0f}x",
            "same selection",
        ]
    )

    city = make_city(1, side_m=10_000.0, n_bars=300, n_cafes=600, mean_calls=0.2, resolution=11)
    t_city, mc = median_time(
        lambda: fit_risk(
            city.target, city.venues, background=city.background, area=city.area, resolution=11
        ),
        max(1, args.runs - 1),
    )
    t_data, cdata = median_time(
        lambda: risk_data(
            city.target, city.venues, background=city.background, area=city.area, resolution=11
        ),
        1,
    )
    t_ours_c, ours_c = median_time(lambda: select_factors(cdata)[0], 1)
    t0 = time.perf_counter()
    naive_c = naive_select(cdata)
    t_naive_c = time.perf_counter() - t0
    assert naive_c == ours_c, (naive_c, ours_c)
    bar = mc.factors.set_index("kind")
    rr = (
        f"bar RR {bar.loc['bar', 'relative_risk']:.2f} "
        f"({bar.loc['bar', 'ci_low']:.2f}-{bar.loc['bar', 'ci_high']:.2f}), true 3; "
        f"cafe selected: {'cafe' in bar.index}"
    )
    rows.append(
        [
            "fit_risk (both families), synthetic city",
            f"{len(cdata.y):,} cells, {len(city.target):,} calls",
            f"{t_city:.2f} s",
            "-",
            "-",
            rr,
        ]
    )
    rows.append(
        ["factors + background (risk_data)", f"{len(cdata.y):,} cells", f"{t_data:.2f} s",
         "-", "-", f"{len(cdata.factors)} candidates"]
    )  # fmt: skip
    rows.append(
        [
            "stepwise selection (Poisson), synthetic city",
            f"{len(cdata.y):,} cells",
            f"{t_ours_c:.3f} s",
            f"{t_naive_c:.2f} s",
            f"{t_naive_c / t_ours_c:.0f}x",
            "same selection",
        ]
    )
    print_markdown(["step", "data", "ours (median)", "statsmodels GLM per candidate", "ratio",
                    "result"], rows)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
