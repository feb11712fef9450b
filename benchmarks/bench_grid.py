"""H3 counts per cell: :func:`hotspots.grid.count_cells` against the naive pandas ``apply``.

Run from the repo root: ``.venv/bin/python -m benchmarks.bench_grid [--runs 5] [--res 9]``.

For 10k, 100k and 1M clustered synthetic incidents (and the 148k real Chicago aggravated
assaults when ``../shared/data`` is there) it prints the median time of ``count_cells`` over
``--runs`` runs beside the naive approach a user would otherwise write::

    df["cell"] = df.apply(lambda r: h3.latlng_to_cell(r.lat, r.lon, res), axis=1)
    df.groupby("cell").size()

The naive ``apply`` is timed on at most 100k rows (median of 3 runs) and scaled linearly to n
(it is a per-row loop, so its time is linear in n); the table says so. A faster loop that
users might also write (``np.fromiter`` over ``h3.api.basic_int.latlng_to_cell``) is shown for
reference. Every run checks that our counts equal the naive ones on the timed rows.
Target (issue 3): 1M incidents in <= 0.5 s and >= 15x faster than the naive apply.
"""

from __future__ import annotations

import argparse

import h3
import numpy as np
import pandas as pd
from h3.api import basic_int as h3i

from benchmarks.synthetic import make_incidents
from benchmarks.timing import CHICAGO_ASSAULTS, Row, median_time, print_table, read_latlon
from hotspots.grid import count_cells

NAIVE_MAX = 100_000


def naive_counts(df: pd.DataFrame, res: int) -> pd.Series:
    """The pandas ``apply`` users write: one h3 call per row through a row Series."""
    cells = df.apply(lambda r: h3.latlng_to_cell(r["lat"], r["lon"], res), axis=1)
    return cells.groupby(cells).size()


def loop_counts(df: pd.DataFrame, res: int) -> pd.Series:
    """A tighter per-point loop: integer API in ``np.fromiter``, then ``value_counts``."""
    lat, lon = df["lat"].tolist(), df["lon"].tolist()
    ids = np.fromiter(
        (h3i.latlng_to_cell(a, b, res) for a, b in zip(lat, lon, strict=True)),
        dtype=np.uint64,
        count=len(lat),
    )
    return pd.Series(ids).value_counts()


def bench(name: str, df: pd.DataFrame, res: int, runs: int, target: bool) -> list[Row]:
    n = len(df)
    ours, out = median_time(lambda: count_cells(df, res), runs)
    sub = df.iloc[: min(n, NAIVE_MAX)]
    naive_sub, ref = median_time(lambda: naive_counts(sub, res), 3)
    check = count_cells(sub, res).set_index("cell")["count"].sort_index()
    if not check.equals(ref.rename("count").rename_axis("cell").sort_index().astype(np.int64)):
        raise AssertionError(f"{name}: count_cells differs from the naive apply")
    assert int(out["count"].sum()) == n
    naive = naive_sub * n / len(sub)
    scaled = (
        f"naive apply timed on {len(sub):,} rows, scaled x{n / len(sub):g}" if len(sub) < n else ""
    )
    loop_sub, _ = median_time(lambda: loop_counts(sub, res), 3)
    loop = loop_sub * n / len(sub)
    ok = None
    tgt = ""
    if target:
        tgt = "<= 0.5 s, >= 15x"
        ok = ours <= 0.5 and naive / ours >= 15
    note = "; ".join(
        s
        for s in (
            scaled,
            f"{out.shape[0]:,} cells; np.fromiter loop {loop:.3f} s ({loop / ours:.1f}x ours)",
        )
        if s
    )
    return [Row(f"h3 counts res {res} ({name})", n, ours, naive, tgt, ok, note)]


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per median (>= 5 for ours)")
    ap.add_argument("--res", type=int, default=9, help="H3 resolution")
    args = ap.parse_args(argv)
    rows: list[Row] = []
    for n in (10_000, 100_000, 1_000_000):
        df = make_incidents(n, seed=1)
        rows += bench("synthetic", df, args.res, args.runs, target=n == 1_000_000)
    if CHICAGO_ASSAULTS.exists():
        df = read_latlon(CHICAGO_ASSAULTS)
        rows += bench("Chicago aggravated assaults", df, args.res, args.runs, target=False)
    else:
        print(f"(real data absent: {CHICAGO_ASSAULTS})")
    print_table(rows, f"H3 counts per cell (resolution {args.res}), 2-core machine")
    return rows


if __name__ == "__main__":
    main()
