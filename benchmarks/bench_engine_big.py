"""The Dask engine on a dataset larger than one machine's memory: H3 counts and KDE of
``--rows`` calls (200 million by default) on a ``LocalCluster`` of 2 workers, each under 4 GiB.

Run from the repo root (minutes to an hour: see below)::

    nice -n 10 .venv/bin/python -m benchmarks.bench_engine_big --rows 200_000_000 \
        --out benchmarks/results/engine_big.txt

1. **Generated partition by partition, never whole in memory**: month by month over ten
   years (120 months, an equal share of the calls each), blocks of at most 2 million calls
   (:func:`benchmarks.synthetic.positions`, the mixture of hotspots and background of
   :func:`benchmarks.synthetic.make_incidents`, one city) are written as they are drawn by
   :func:`hotspots.ingest.partitioned.write_partitioned`, partitioned by month (files of at
   most 4 million rows). The tables hold what the two
   analyses read (``lat``, ``lon``, ``year``, ``month``): a column store reads only the
   columns asked for, so the other columns of a real dataset cost disk, not analysis time,
   and drawing full incident rows (15 s a million here) would take longer than the analysis.
2. On ``LocalCluster(--workers, 1 thread each, processes, memory_limit 4 GiB)``: one pass
   counting the rows (it also starts the workers' imports; timed apart), then
   :func:`hotspots.engine.count_cells` (resolution 9, one pass) and
   :func:`hotspots.engine.kde` (quartic, 250 m: three passes, extent, metric extent, binning).
   Printed: wall time of each, the peak resident memory of every worker (``ru_maxrss``), and
   the **per-partition throughput**: the compute time of every partition task (Dask's task
   stream) over the rows of its partition.
3. Extrapolated: the workers (and machines of 8 cores) that would count and map a billion
   rows in 10 minutes, from the measured per-partition task times (a billion rows is
   1e9 / rows-per-partition tasks a pass, spread over the workers), with the scheduling and
   reading measured here included.

Figures are wall-clock on whatever else the machine runs: read them with the load average
printed at the start and end.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.bench_engine import BANDWIDTH, RESOLUTION, _worker_peak

BLOCK = 2_000_000
YEARS = (2015, 2024)
ROWS_PER_FILE = 4_000_000


def lean_frames(n: int, seed0: int = 0):
    """``n`` synthetic calls, month by month over :data:`YEARS` (the month's share of ``n``),
    in blocks of at most :data:`BLOCK` rows (``lat``, ``lon``, ``year``, ``month``), each
    block its own draw from its own seed: one partition is generated at a time."""
    from benchmarks.synthetic import positions

    months = (YEARS[1] - YEARS[0] + 1) * 12
    bounds = np.linspace(0, n, months + 1).round().astype(np.int64)
    for m in range(months):
        for start in range(int(bounds[m]), int(bounds[m + 1]), BLOCK):
            k = min(BLOCK, int(bounds[m + 1]) - start)
            lat, lon = positions(np.random.default_rng([seed0, m, start]), k)
            yield pd.DataFrame(
                {
                    "lat": lat,
                    "lon": lon,
                    "year": np.full(k, YEARS[0] + m // 12, dtype=np.int64),
                    "month": np.full(k, m % 12 + 1, dtype=np.int64),
                }
            )


def write(n: int, out: Path, seed0: int = 0) -> float:
    """Write ``n`` calls as a month-partitioned dataset, a block at a time; seconds taken."""
    from hotspots.ingest.partitioned import write_partitioned

    t0 = time.perf_counter()
    write_partitioned(
        lean_frames(n, seed0),
        out,
        partition_by="month",
        rows_per_file=ROWS_PER_FILE,
        source="synthetic (lat, lon, year, month)",
    )
    return time.perf_counter() - t0


def _task_seconds(stream: list[dict]) -> float:
    """Compute seconds of all the tasks of a task stream (reading the partitions' columns,
    the per-partition function, the combining tree)."""
    return float(
        sum(
            s["stop"] - s["start"]
            for task in stream
            for s in task["startstops"]
            if s["action"] == "compute"
        )
    )


def timed(client, fn):
    """(result, wall seconds, compute seconds of all its tasks) of ``fn()``."""
    from distributed import get_task_stream

    with get_task_stream(client) as ts:
        t0 = time.perf_counter()
        result = fn()
        wall = time.perf_counter() - t0
    return result, wall, _task_seconds(ts.data)


def _load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    from hotspots import engine
    from hotspots.ingest.partitioned import dataset_files

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=200_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="4GiB", help="Per worker.")
    ap.add_argument("--dir", help="Where to write the dataset (default: a temporary folder).")
    ap.add_argument("--out", help="Also write the printed lines to this file.")
    args = ap.parse_args(argv)
    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    tmp = Path(tempfile.mkdtemp(prefix="bench_engine_big_", dir=args.dir))
    t_start = time.perf_counter()
    try:
        say(f"load average at start: {_load()} (2 cores)")
        ds = tmp / "calls.parquet"
        t_write = write(args.rows, ds)
        files = dataset_files(ds)
        per_file = args.rows / len(files)
        size = sum(f.stat().st_size for f in files) / 2**30
        say(
            f"wrote {args.rows:,} synthetic calls, month by month in blocks of at most {BLOCK:,} "
            "(never all in memory), "
            f"as {len(files)} monthly files ({per_file:,.0f} rows a file, {size:.1f} GiB) in "
            f"{t_write:.0f} s ({args.rows / t_write / 1e6:.2f}M rows/s)"
        )
        with engine.connect(
            n_workers=args.workers, threads_per_worker=1, memory_limit=args.memory_limit
        ) as client:
            n, w_rows, t_rows = timed(client, lambda: engine.total_rows(ds))
            assert n == args.rows
            counts, w_grid, t_grid = timed(client, lambda: engine.count_cells(ds, RESOLUTION))
            surface, w_kde, t_kde = timed(client, lambda: engine.kde(ds, bandwidth=BANDWIDTH))
            peaks = client.run(_worker_peak)
        assert int(counts["count"].sum()) == args.rows and surface.n == args.rows
        say(
            f"\n{args.rows:,} rows on LocalCluster({args.workers} workers, 1 thread each, "
            f"memory limit {args.memory_limit} each):"
        )
        say(
            "| step | passes | wall s | task s (all workers) | s per partition and pass "
            "| rows/s per partition |"
        )
        say("|---|---|---|---|---|---|")
        for name, passes, wall, busy in (
            ("count rows (first, workers warming up)", 1, w_rows, t_rows),
            ("H3 counts, resolution 9", 1, w_grid, t_grid),
            (f"KDE quartic {BANDWIDTH:g} m", 3, w_kde, t_kde),
            ("H3 counts + KDE", 4, w_grid + w_kde, t_grid + t_kde),
        ):
            each = busy / (passes * len(files))
            say(
                f"| {name} | {passes} | {wall:.0f} | {busy:.0f} | {each:.2f} | "
                f"{per_file / each:,.0f} |"
            )
        say(
            "peak resident memory per worker: "
            + ", ".join(f"{v:.2f} GiB" for v in peaks.values())
            + f" (limit {args.memory_limit})"
        )
        say(
            f"results: {len(counts):,} H3 cells holding all {args.rows:,} calls; KDE grid "
            f"{surface.values.shape[0]} x {surface.values.shape[1]}, {surface.n:,} calls on it"
        )
        # extrapolation: a pass over a billion rows is 1e9 / per_file tasks of the measured
        # mean length; the measured wall time per task-second (scheduling, reading, the
        # combining tree) is kept as an overhead factor
        busy = t_grid + t_kde
        overhead = (w_grid + w_kde) * args.workers / busy  # idle and scheduling time
        per_row = busy / (4 * args.rows)  # task seconds per row and pass
        seconds = 1e9 * 4 * per_row * overhead  # worker-seconds for counts + KDE of 1e9 rows
        need = math.ceil(seconds / 600)
        say(
            f"\nper partition: {per_row * 1e9:.0f} ns of task time per row and pass "
            f"({1 / per_row / 1e6:.2f}M rows/s); wall x workers / task time {overhead:.2f}"
        )
        say(
            f"1 billion rows, H3 counts + KDE (4 passes) in 10 minutes: {seconds:,.0f} "
            f"worker-seconds at this throughput -> about {need} workers "
            f"({math.ceil(need / 8)} machines of 8 cores)"
        )
        say(
            f"wall time of the whole run: {time.perf_counter() - t_start:.0f} s (writing "
            f"{t_write:.0f} s, first pass (workers warming up) {w_rows:.0f} s, H3 counts "
            f"{w_grid:.0f} s, KDE {w_kde:.0f} s); load average at end: {_load()}"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
