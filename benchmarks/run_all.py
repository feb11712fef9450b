"""Run every benchmark in turn: ``python -m benchmarks.run_all`` (or ``make bench``).

Each benchmark prints its own table (our median beside the naive approach measured in the
same run, the ratio and the target). Run on a quiet machine: the figures are wall-clock.
"""

from __future__ import annotations

import importlib
import sys
import time

BENCHMARKS = (
    "bench_ingest",
    "bench_grid",
    "bench_density",
    "bench_clusters",
    "bench_venues",
    "bench_gistar",
    "bench_app",
    "bench_risk",
    "bench_basemap",
    "bench_browser",  # a real Streamlit server and Chromium: first map, filter change
    "bench_evaluate",
    "bench_store",
    "bench_engine",  # minutes: 10M and 20M rows written, then counted and mapped
    "bench_nearrepeat",
    "bench_windows",
)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named in ``argv`` (all by default)."""
    names = argv if argv else list(BENCHMARKS)
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").main([])
        print(f"({name}: {time.perf_counter() - t0:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
