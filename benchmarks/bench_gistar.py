"""Gi* on ~100k H3 cells: vectorised sparse products against esda and a naive loop.

Run: ``.venv/bin/python -m benchmarks.bench_gistar [--cells 100000] [--repeat 5]``.

Prints the median time of :func:`hotspots.gistar.gistar` over ``--repeat`` runs on real H3
resolution-10 cells (k = 1 rings) with clustered synthetic counts, the time of
``esda.G_Local(star=True, transform="B")`` on the same weights, the time of a naive per-cell
Python loop (measured on a subset and scaled), their ratios, and the largest absolute
difference from esda (z, and the two-sided p against 2 x esda's one-sided ``p_norm``).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import shapely

from benchmarks.synthetic import make_incidents
from benchmarks.timing import median_time
from hotspots import grid
from hotspots.gistar import gistar


def naive_z(x: np.ndarray, neighbours: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    """The textbook formula, one cell at a time (binary weights, self included)."""
    n = x.size
    xbar = sum(x) / n
    s = (sum(v * v for v in x) / n - xbar * xbar) ** 0.5
    out = []
    for i in rows:
        nb = neighbours[i]
        wi = len(nb)
        lag = sum(x[j] for j in nb)
        out.append((lag - xbar * wi) / (s * ((n * wi - wi * wi) / (n - 1)) ** 0.5))
    return np.array(out)


def build(n_cells: int, seed: int = 0):
    """About ``n_cells`` resolution-10 cells in a disc around Chicago, k = 1 weights, counts."""
    # a disc whose area holds n_cells cells of ~0.0151 km²
    radius_m = np.sqrt(n_cells * grid.cell_area_m2(10) / np.pi)
    lat0, lon0 = 41.88, -87.63
    ang = np.linspace(0, 2 * np.pi, 256)
    dlat = radius_m * np.sin(ang) / 111_195.0
    dlon = radius_m * np.cos(ang) / (111_195.0 * np.cos(np.radians(lat0)))
    disc = shapely.Polygon(np.column_stack([lon0 + dlon, lat0 + dlat]))
    cells = grid.cells_in_area(disc, 10)
    calls = make_incidents(5 * n_cells, seed=seed, centre=(lat0, lon0), radius_m=radius_m * 0.95)
    ids = grid.cell_ids(calls["lat"].to_numpy(), calls["lon"].to_numpy(), 10)
    pos = np.searchsorted(cells, ids)
    ok = (pos < cells.size) & (cells[np.minimum(pos, cells.size - 1)] == ids)
    counts = np.bincount(pos[ok], minlength=cells.size).astype(float)
    t0 = time.perf_counter()
    w = grid.ring_weights(cells, 1, include_self=True)
    t_w = time.perf_counter() - t0
    return cells, counts, w, t_w


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--naive-subset", type=int, default=2_000)
    ap.add_argument("--permutations", type=int, default=99)
    args = ap.parse_args(argv)

    cells, counts, w, t_w = build(args.cells)
    n = cells.size
    print(f"{n:,} H3 resolution-10 cells, {int(counts.sum()):,} incidents, {w.nnz:,} weights")
    print(f"  ring_weights (setup, once)     {t_w:8.3f} s")

    t_ours, res = median_time(lambda: gistar(counts, w), args.repeat)
    print(f"  gistar (median of {args.repeat})          {t_ours:8.3f} s")

    # naive loop on a subset, scaled to all cells
    neighbours = [w.indices[w.indptr[i] : w.indptr[i + 1]] for i in range(n)]
    rows = np.random.default_rng(0).choice(n, min(args.naive_subset, n), replace=False)
    t0 = time.perf_counter()
    z_naive = naive_z(counts, neighbours, rows)
    t_naive = (time.perf_counter() - t0) * n / rows.size
    print(f"  naive Python loop (scaled)     {t_naive:8.3f} s   ({t_naive / t_ours:,.0f}x slower)")
    diff_naive = float(np.max(np.abs(z_naive - res["z"].to_numpy()[rows])))

    figures = {"cells": float(n), "gistar_s": t_ours, "naive_s": t_naive}
    try:
        import esda
        import libpysal
    except ImportError:  # the dev extra is not installed
        print("  esda not installed: oracle comparison skipped")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            wobj = libpysal.weights.WSP(w).to_W(silence_warnings=True)
            t_conv = time.perf_counter() - t0
            t_esda, ref = median_time(
                lambda: esda.G_Local(counts, wobj, star=True, transform="B", permutations=0),
                max(1, args.repeat // 2),
            )
        dz = float(np.max(np.abs(res["z"].to_numpy() - ref.Zs)))
        dp = float(np.max(np.abs(res["p"].to_numpy() - 2 * ref.p_norm)))
        print(
            f"  esda.G_Local (W built in {t_conv:.1f} s) {t_esda:8.3f} s   "
            f"({t_esda / t_ours:,.1f}x our time)"
        )
        print(f"  max |z - esda Zs|              {dz:.2e}")
        print(f"  max |p - 2 esda p_norm|        {dp:.2e}")
        figures.update(esda_s=t_esda, max_abs_dz=dz, max_abs_dp=dp)
    print(f"  max |z - naive z| (subset)     {diff_naive:.2e}")

    if args.permutations:
        t_perm, _ = median_time(
            lambda: gistar(counts, w, permutations=args.permutations, seed=1), 1
        )
        print(f"  gistar with {args.permutations} permutations   {t_perm:8.3f} s")
        figures["permutations_s"] = t_perm
    verdict = "OK" if t_ours < 1.0 else "SLOW"
    print(f"Gi* on {n:,} cells: {t_ours * 1000:.0f} ms ({verdict}: target < 1 s)")
    return figures


if __name__ == "__main__":
    main()
