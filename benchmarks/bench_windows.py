"""Time windows (from/to columns): what they cost at ingest and in the hour x weekday table.

Run: ``.venv/bin/python -m benchmarks.bench_windows [--n 148000] [--repeat 3]``.

Takes Chicago's aggravated assaults 2010-2019 (real places and times, ``../shared/data``) when
present, else synthetic incidents, and gives each a window ending at its recorded time and
starting 0-20 hours before (seeded). Prints the median time of
:func:`hotspots.io.read_incidents` on the CSV without and with the two window columns (found
by their values), and of :func:`hotspots.temporal.hour_weekday_table` with exact hours and
with aoristic weights, beside a naive Python loop over incidents and hours (a slice, scaled).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.timing import CHICAGO_ASSAULTS, median_time
from hotspots.io import read_incidents
from hotspots.temporal import hour_weekday_table


def frame(n: int) -> tuple[pd.DataFrame, str]:
    """``n`` incidents (id, type, lat, lon, time) and where they come from."""
    if CHICAGO_ASSAULTS.exists():
        raw = pd.read_csv(CHICAGO_ASSAULTS, usecols=["date", "latitude", "longitude"]).dropna()
        raw = raw.iloc[:n].reset_index(drop=True)
        when = pd.to_datetime(raw["date"])
        lat, lon = raw["latitude"].to_numpy(), raw["longitude"].to_numpy()
        source = f"Chicago aggravated assaults ({len(raw):,} rows, real times and places)"
    else:
        from benchmarks.synthetic import make_incidents

        inc = make_incidents(n, seed=0)
        when, lat, lon = inc["occurred_at"], inc["lat"].to_numpy(), inc["lon"].to_numpy()
        source = f"synthetic incidents ({n:,})"
    out = pd.DataFrame(
        {
            "id": np.arange(len(lat)),
            "type": "assault",
            "latitude": lat,
            "longitude": lon,
            "date": when.dt.strftime("%Y-%m-%d %H:%M"),
        }
    )
    return out, source


def naive_table(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Aoristic weights the plain way: a Python loop over incidents and the hours they span."""
    week = np.zeros(168)
    for s, e in zip(start.tolist(), end.tolist(), strict=True):
        s_h, e_h = s / 3600.0, e / 3600.0
        if e_h - s_h > 168 or e_h < s_h:
            continue
        if e_h == s_h:
            week[int(s_h // 1) % 168] += 1.0
            continue
        h = np.floor(s_h)
        while h < e_h:
            part = min(h + 1, e_h) - max(h, s_h)
            week[int(h) % 168] += part / (e_h - s_h)
            h += 1
    return week


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=148_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    plain, source = frame(args.n)
    rng = np.random.default_rng(0)
    end = pd.to_datetime(plain["date"])
    start = end - pd.to_timedelta(rng.integers(0, 20 * 60, len(end)), unit="min")
    windowed = plain.assign(
        left=start.dt.strftime("%Y-%m-%d %H:%M"), found=end.dt.strftime("%Y-%m-%d %H:%M")
    )
    print(f"{source}; windows of 0-20 h ending at the recorded time")
    with tempfile.TemporaryDirectory() as tmp:
        p0, p1 = Path(tmp, "plain.csv"), Path(tmp, "windows.csv")
        plain.to_csv(p0, index=False)
        windowed.to_csv(p1, index=False)
        t0, r0 = median_time(lambda: read_incidents(p0), args.repeat)
        t1, r1 = median_time(lambda: read_incidents(p1), args.repeat)
    assert r1.columns.occurred_from == "left" and r1.columns.occurred_to == "found"
    print(f"read_incidents, no window:        {t0:7.3f} s ({r0.n_accepted:,} accepted)")
    print(
        f"read_incidents, from/to found:    {t1:7.3f} s (+{t1 - t0:.3f} s, x{t1 / t0:.2f}; "
        f"{r1.report()['time_windows']})"
    )
    inc0, inc1 = r0.accepted, r1.accepted
    h0, _ = median_time(lambda: hour_weekday_table(inc0), args.repeat)
    h1, table = median_time(lambda: hour_weekday_table(inc1), args.repeat)
    print(f"hour x weekday, exact hours:      {h0:7.3f} s")
    print(f"hour x weekday, aoristic weights: {h1:7.3f} s (sum {table.to_numpy().sum():,.1f})")
    k = min(20_000, len(inc1))
    epoch = np.datetime64("1970-01-05T00:00", "s")  # a Monday: hour 0 of the week
    s = (inc1["occurred_from"].to_numpy()[:k].astype("datetime64[s]") - epoch).astype(np.int64)
    e = (inc1["occurred_to"].to_numpy()[:k].astype("datetime64[s]") - epoch).astype(np.int64)
    t_naive = time.perf_counter()
    week = naive_table(s.astype(float), e.astype(float))
    t_naive = (time.perf_counter() - t_naive) * len(inc1) / k
    sub = hour_weekday_table(inc1.iloc[:k]).to_numpy().ravel()
    assert np.allclose(week, sub, atol=1e-9), "the naive loop disagrees"
    print(
        f"hour x weekday, naive loop:       {t_naive:7.3f} s (scaled from {k:,} rows; "
        f"x{t_naive / h1:.0f} slower, same table)"
    )


if __name__ == "__main__":
    main()
