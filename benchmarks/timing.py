"""Small helpers shared by the benchmark scripts: medians of repeated runs, result tables and
the real data files (under ``../shared/data``, used when present)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The real police data (read-only, beside the repository; benchmarks skip it when absent).
DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()
#: Chicago aggravated assaults 2010-2019 (148k rows, ``latitude``/``longitude`` columns).
CHICAGO_ASSAULTS = DATA / "chicago_cpd_2017_2019" / "chicago_aggravated_assaults_2010_2019.csv"


def median_time(fn: Callable[[], Any], runs: int = 5) -> tuple[float, Any]:
    """Median wall time (s) of ``runs`` calls of ``fn`` and the last result."""
    times, out = [], None
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def read_latlon(path: Path, lat: str = "latitude", lon: str = "longitude"):
    """``lat``/``lon`` columns of a CSV as a DataFrame with columns ``lat``, ``lon`` (rows
    without coordinates dropped)."""
    import pandas as pd

    raw = pd.read_csv(path, usecols=[lat, lon]).dropna()
    return raw.rename(columns={lat: "lat", lon: "lon"})[["lat", "lon"]].reset_index(drop=True)


def print_markdown(head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a Markdown table (for pasting into issues and the README)."""
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")


@dataclass
class Row:
    """One line of a benchmark table."""

    method: str
    n: int
    ours: float  # median seconds
    naive: float | None  # median seconds (possibly scaled, see note)
    target: str = ""
    ok: bool | None = None  # None: no target for this row
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.naive / self.ours if self.naive and self.ours > 0 else None


def print_table(rows: Sequence[Row], title: str) -> None:
    """Print ``rows`` as an aligned text table, then their notes."""
    head = ("method", "n", "ours median (s)", "naive median (s)", "ratio", "target", "result")
    lines = []
    for r in rows:
        lines.append(
            (
                r.method,
                f"{r.n:,}",
                f"{r.ours:.4f}",
                f"{r.naive:.3f}" if r.naive is not None else "-",
                f"{r.ratio:,.0f}x" if r.ratio is not None else "-",
                r.target or "-",
                "-" if r.ok is None else ("PASS" if r.ok else "FAIL"),
            )
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    print(title)
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
    notes = [f"  [{r.method}, n={r.n:,}] {r.note}" for r in rows if r.note]
    if notes:
        print("notes:")
        print("\n".join(notes))
