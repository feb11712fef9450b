"""Kernel density on a 400 x 400 grid: :func:`hotspots.density.kde` against scikit-learn.

Run from the repo root: ``.venv/bin/python -m benchmarks.bench_density [--runs 5]``.

For 10k, 100k and 1M clustered synthetic incidents (and the 148k real Chicago aggravated
assaults when ``../shared/data`` is there) it prints the median time of ``kde`` over ``--runs``
runs, from lat/lon incidents (projection included) to the surface on a 400 x 400 grid with the
default (ArcGIS) bandwidth, for the quartic kernel and the Gaussian one.

The naive approach is ``sklearn.neighbors.KernelDensity(kernel="gaussian")``: ``fit`` on the
projected points, then ``score_samples`` at every cell centre. It is given the same accuracy
budget as ours (``atol`` = 1 % of the peak density, ``rtol`` = 0) and timed on a random subset
of cells, then scaled to the 160,000 cells (its cost is per query cell); fit time is added
once. The ratio compares like with like (Gaussian with Gaussian); every run also reports the
largest difference between sklearn and our surface on the subset, as a share of the peak.
Target (issue 3): 1M incidents on 400 x 400 in <= 0.2 s and >= 1000x faster than sklearn.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from sklearn.neighbors import KernelDensity

from benchmarks.synthetic import make_incidents
from benchmarks.timing import CHICAGO_ASSAULTS, Row, median_time, print_table, read_latlon
from hotspots import density as D
from hotspots.projection import to_metric

SIDE = 400


def square_grid(df: pd.DataFrame, kernel: str) -> dict:
    """kde() arguments giving a SIDE x SIDE grid over the data with the default bandwidth."""
    lat, lon = df["lat"].to_numpy(), df["lon"].to_numpy()
    x, y, crs = to_metric(lat, lon, fast=True)
    h = D.default_bandwidth(x, y)
    cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
    half = max(x.max() - x.min(), y.max() - y.min()) / 2
    side = 2 * half + 2 * D.SUPPORT[kernel] * h
    cell = side / (SIDE - 1e-6)
    # the grid must stay at most one bandwidth per cell: widen the box otherwise
    return {
        "bandwidth": h,
        "cell": min(cell, h),
        "kernel": kernel,
        "bounds": (cx - half, cy - half, cx + half, cy + half),
        "crs": crs,
    }, (x, y)


def sklearn_time(xy, surface: D.DensitySurface, n_query: int, seed: int = 0):
    """Fit + score_samples on n_query random cells, scaled to the whole grid."""
    x, y = xy
    gx, gy = surface.cell_centres()
    rng = np.random.default_rng(seed)
    pick = rng.choice(gx.size, size=min(n_query, gx.size), replace=False)
    query = np.column_stack([gx.ravel()[pick], gy.ravel()[pick]])
    n = x.size
    peak = surface.values.max() / 1e6 / n  # probability density per m²
    kd = KernelDensity(kernel="gaussian", bandwidth=surface.bandwidth, atol=0.01 * peak, rtol=0)
    t_fit, _ = median_time(lambda: kd.fit(np.column_stack([x, y])), 1)
    t_q, logd = median_time(lambda: kd.score_samples(query), 3)
    ours = surface.values.ravel()[pick] / 1e6 / n
    err = float(np.abs(np.exp(logd) - ours).max() / peak)
    return t_fit + t_q * gx.size / pick.size, err, pick.size


def bench(name: str, df: pd.DataFrame, runs: int, target: bool, n_query: int) -> list[Row]:
    n = len(df)
    rows = []
    for kernel in ("quartic", "gaussian"):
        kw, xy = square_grid(df, kernel)
        ours, surface = median_time(lambda kw=kw: D.kde(df, **kw), runs)
        assert surface.shape == (SIDE, SIDE), surface.shape
        total = surface.total()
        note = (
            f"bandwidth {surface.bandwidth:.0f} m (ArcGIS rule), cell {surface.cell:.1f} m, "
            f"integral {total:,.0f} of {surface.n:,}"
        )
        naive = None
        ok = None
        tgt = ""
        if kernel == "gaussian":
            naive, err, q = sklearn_time(xy, surface, n_query)
            note += (
                f"; sklearn KernelDensity (atol 1% of peak) timed on {q} random cells + fit, "
                f"scaled to {SIDE * SIDE:,} cells; max |sklearn - ours| = {err:.2%} of peak"
            )
            if target:
                tgt = ">= 1000x"
                ok = naive / ours >= 1000
        elif target:
            tgt = "<= 0.2 s"
            ok = ours <= 0.2
        rows.append(Row(f"kde {kernel} 400x400 ({name})", n, ours, naive, tgt, ok, note))
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per median of ours (>= 5)")
    ap.add_argument("--query", type=int, default=400, help="cells sklearn is timed on")
    args = ap.parse_args(argv)
    rows: list[Row] = []
    for n in (10_000, 100_000, 1_000_000):
        df = make_incidents(n, seed=2)
        rows += bench("synthetic", df, args.runs, target=n == 1_000_000, n_query=args.query)
    if CHICAGO_ASSAULTS.exists():
        df = read_latlon(CHICAGO_ASSAULTS)
        rows += bench("Chicago aggravated assaults", df, args.runs, False, args.query)
    else:
        print(f"(real data absent: {CHICAGO_ASSAULTS})")
    print_table(rows, f"Kernel density, {SIDE} x {SIDE} grid, from lat/lon, 2-core machine")
    return rows


if __name__ == "__main__":
    main()
