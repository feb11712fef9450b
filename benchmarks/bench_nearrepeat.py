"""Knox test (near repeats) on 100,000 incidents with 99 permutations: target <= 10 s.

Run: ``.venv/bin/python -m benchmarks.bench_nearrepeat [--n 100000] [--permutations 99]``.

Uses the first ``--n`` of Chicago's aggravated assaults 2010-2019 (real dates and places,
``../shared/data``) when present, else synthetic clustered incidents over 15 km with dates over
three years. Prints the pairs within the largest band, the median time of
:func:`hotspots.timeaware.nearrepeat.knox_test` over ``--repeat`` runs (KD-tree + all
permutations), and a naive per-pair Python loop measured on a slice of the pairs and scaled.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from benchmarks.timing import CHICAGO_ASSAULTS, median_time
from hotspots.projection import to_metric
from hotspots.timeaware.nearrepeat import close_pairs, knox_test

D_BANDS = (100, 200, 300, 400)
T_BANDS = (7, 14, 21, 28)


def load(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """x, y (metres) and calendar days of ``n`` incidents, and where they come from."""
    if CHICAGO_ASSAULTS.exists():
        raw = pd.read_csv(CHICAGO_ASSAULTS, usecols=["date", "latitude", "longitude"]).dropna()
        raw = raw.iloc[:n]
        when = pd.to_datetime(raw["date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
        lat, lon = raw["latitude"].to_numpy(), raw["longitude"].to_numpy()
        source = f"Chicago aggravated assaults (first {len(raw):,} rows, real)"
    else:
        from benchmarks.synthetic import make_incidents

        inc = make_incidents(n, seed=0)
        lat, lon = inc["lat"].to_numpy(), inc["lon"].to_numpy()
        when = inc["occurred_at"].to_numpy().astype("datetime64[D]").astype(np.int64)
        source = f"synthetic clustered incidents ({n:,})"
    x, y, _ = to_metric(lat, lon)
    return x, y, when, source


def naive_run(i, j, d, days, d_edges, t_edges) -> np.ndarray:
    """One run the plain way: a Python loop over the pairs."""
    counts = np.zeros((len(d_edges), len(t_edges)), dtype=int)
    for a, b, dist in zip(i.tolist(), j.tolist(), d.tolist(), strict=True):
        dt = abs(days[a] - days[b])
        di = next(k for k, e in enumerate(d_edges) if dist <= e)
        ti = next((k for k, e in enumerate(t_edges) if dt <= e), None)
        if ti is not None:
            counts[di, ti] += 1
    return counts


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--permutations", type=int, default=99)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--naive-pairs", type=int, default=200_000)
    args = ap.parse_args(argv)

    x, y, days, source = load(args.n)
    t0 = time.perf_counter()
    i, j, d = close_pairs(x, y, float(D_BANDS[-1]))
    t_pairs = time.perf_counter() - t0
    from hotspots.timeaware.paircount import numba

    kernel = "numba kernel" if numba is not None else "NumPy (numba not installed)"
    print(f"{source}: {x.size:,} incidents, {i.size:,} pairs within {D_BANDS[-1]} m; {kernel}")
    print(f"  KD-tree pairs (inside knox_test)       {t_pairs:8.3f} s")

    def ours():
        return knox_test(
            x,
            y,
            days,
            distance_bands=D_BANDS,
            time_bands=T_BANDS,
            permutations=args.permutations,
            seed=0,
        )

    t_ours, res = median_time(ours, args.repeat)
    target = 10.0
    flag = "OK" if t_ours <= target else "MISSED"
    print(
        f"  knox_test, {args.permutations} permutations (median of {args.repeat})"
        f" {t_ours:8.3f} s   target <= {target:g} s: {flag}"
    )
    # the naive loop: one run over a slice of the pairs, scaled to all pairs and all runs
    k = min(args.naive_pairs, i.size)
    t0 = time.perf_counter()
    naive_run(i[:k], j[:k], d[:k], days.tolist(), D_BANDS, T_BANDS)
    t_one = (time.perf_counter() - t0) * (i.size / max(k, 1))
    t_naive = t_one * (args.permutations + 1)
    print(
        f"  naive Python loop over pairs (scaled from {k:,} pairs)  {t_naive:8.1f} s"
        f"   ratio {t_naive / t_ours:6.0f}x"
    )
    first = res.iloc[0]
    print(
        f"  0-100 m x 0-7 days: observed {int(first['observed']):,}, expected "
        f"{first['expected']:.1f}, Knox ratio {first['knox_ratio']:.2f}, p {first['p']:.2f}"
    )
    return {"knox_s": t_ours, "naive_s": t_naive, "pairs": float(i.size)}


if __name__ == "__main__":
    main()
