"""DBSCAN benchmark: ``python -m benchmarks.bench_clusters`` from the repo root.

For each case it prints our median time over ``--runs`` runs of
:func:`hotspots.clusters.dbscan_labels`, the median of the reference (scikit-learn's
``DBSCAN(metric="haversine", algorithm="ball_tree")`` on radians, the method it reproduces)
measured in the same run, the speed-up, the peak memory (max RSS) of each in a fresh
subprocess, the adjusted Rand index between the two, and PASS/FAIL against the targets of
issue 3: 100k clustered incidents in <= 1.5 s with a peak <= 1 GiB, and everywhere a peak
<= 1 GiB and ARI >= 0.99.

Cases: synthetic clustered incidents (:func:`benchmarks.synthetic.make_incidents`) at 10k and
100k; a dense stress case (100k, eps 300 m: ~40 million neighbour pairs); the real Chicago
aggravated assaults 2010-2019 (148k, coordinates rounded to 4 decimals, so many ties) and the
Greater Manchester burglaries (92k, data.police.uk snap points) when ``../shared/data`` is there.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from benchmarks.synthetic import make_incidents
from benchmarks.timing import CHICAGO_ASSAULTS, DATA, median_time, print_markdown, read_latlon
from hotspots.schema import EARTH_RADIUS_M

GMP = DATA / "uk_manchester_merseyside" / "gmp_burglary_2016_2019.csv"
GIB = 1024.0  # MiB


@dataclass
class Case:
    name: str
    load: Callable[[], np.ndarray]  # (n, 2) lat, lon
    eps: float
    min_samples: int
    time_target_s: float | None = None
    ref_runs: int | None = None  # fewer reference runs for slow cases (stated in the table)


def _synthetic(n: int) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        g = make_incidents(n, seed=0)
        return np.column_stack([g["lat"].to_numpy(), g["lon"].to_numpy()])

    return load


def _csv(path: Path, lat: str, lon: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        return read_latlon(path, lat, lon).to_numpy(dtype=float)

    return load


def cases() -> list[Case]:
    out = [
        Case("synthetic 10k", _synthetic(10_000), 100, 20),
        Case("synthetic 100k", _synthetic(100_000), 100, 20, time_target_s=1.5),
        Case("synthetic 100k dense", _synthetic(100_000), 300, 50, ref_runs=1),
    ]
    if CHICAGO_ASSAULTS.exists():
        out.append(
            Case("Chicago agg. assaults", _csv(CHICAGO_ASSAULTS, "latitude", "longitude"), 100, 20)
        )
    if GMP.exists():
        out.append(Case("Manchester burglary", _csv(GMP, "Latitude", "Longitude"), 100, 20))
    return out


def ours(ll: np.ndarray, eps: float, k: int) -> np.ndarray:
    from hotspots.clusters import dbscan_labels

    return dbscan_labels(ll, eps=eps, min_samples=k)


def reference(ll: np.ndarray, eps: float, k: int) -> np.ndarray:
    from sklearn.cluster import DBSCAN

    model = DBSCAN(eps=eps / EARTH_RADIUS_M, min_samples=k, metric="haversine")
    return model.set_params(algorithm="ball_tree").fit_predict(np.radians(ll))


_CHILD = """
import json, resource, sys, time
import numpy as np
from benchmarks.bench_clusters import ours, reference


def hwm_mib():
    # VmHWM: peak RSS of this process image. (ru_maxrss would also count the parent's RSS at
    # fork time, which Linux carries over exec.)
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


which, path, eps, k = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
fn = ours if which == "ours" else reference
ll = np.load(path)
fn(ll[:200], eps, k)  # import everything first: the baseline includes libraries and data
base = hwm_mib()
t0 = time.perf_counter()
fn(ll, eps, k)
secs = time.perf_counter() - t0
print(json.dumps({"base_mib": base, "peak_mib": hwm_mib(), "seconds": secs}))
"""


def peak_memory(which: str, path: str, eps: float, k: int) -> dict[str, float]:
    """Max RSS (MiB) of one run in a fresh interpreter, and its baseline before the run."""
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, which, path, str(eps), str(k)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    from sklearn.metrics import adjusted_rand_score

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=5, help="timed runs per method (median)")
    p.add_argument("--only", help="run the cases whose name contains this text")
    args = p.parse_args(argv)

    rows = []
    ok_all = True
    tmp = tempfile.TemporaryDirectory()
    for case in cases():
        if args.only and args.only.lower() not in case.name.lower():
            continue
        ll = case.load()
        path = str(Path(tmp.name) / "ll.npy")
        np.save(path, ll)
        ours(ll[:200], case.eps, case.min_samples)  # warm up imports
        reference(ll[:200], case.eps, case.min_samples)
        t_ours, lab = median_time(partial(ours, ll, case.eps, case.min_samples), args.runs)
        ref_runs = case.ref_runs or args.runs
        t_ref, ref = median_time(partial(reference, ll, case.eps, case.min_samples), ref_runs)
        m_ours = peak_memory("ours", path, case.eps, case.min_samples)
        m_ref = peak_memory("reference", path, case.eps, case.min_samples)
        ari = adjusted_rand_score(ref, lab)
        target = f"<= {GIB / 1024:.0f} GiB, ARI >= 0.99"
        ok = m_ours["peak_mib"] <= GIB and ari >= 0.99
        if case.time_target_s is not None:
            target = f"<= {case.time_target_s:g} s, " + target
            ok &= t_ours <= case.time_target_s
        ok_all &= ok
        n_unique = len(np.unique(ll, axis=0))
        rows.append(
            [
                case.name,
                f"{len(ll):,}",
                f"{n_unique:,}",
                f"{case.eps:g}/{case.min_samples}",
                f"{lab.max() + 1}",
                f"{t_ours:.3f}",
                f"{t_ref:.3f}" + ("" if ref_runs == args.runs else f" ({ref_runs} run)"),
                f"{t_ref / t_ours:.1f}x",
                f"{m_ours['peak_mib']:.0f} (+{m_ours['peak_mib'] - m_ours['base_mib']:.0f})",
                f"{m_ref['peak_mib']:.0f} (+{m_ref['peak_mib'] - m_ref['base_mib']:.0f})",
                f"{ari:.4f}",
                target,
                "PASS" if ok else "FAIL",
            ]
        )
        print(" | ".join(rows[-1]), flush=True)
    tmp.cleanup()

    head = [
        "case",
        "n",
        "unique pts",
        "eps m/k",
        "clusters",
        f"ours s (median {args.runs})",
        "sklearn haversine s",
        "speed-up",
        "ours peak MiB (+run)",
        "sklearn peak MiB (+run)",
        "ARI",
        "target",
        "result",
    ]
    print()
    print_markdown(head, rows)
    print(
        "\nPeak = peak RSS (VmHWM) of a fresh interpreter running once, libraries and data "
        "included; (+run) = growth during the run."
    )

    # HDBSCAN, report only (scikit-learn's own implementation on projected coordinates)
    from hotspots.clusters import hdbscan_labels

    ll = _synthetic(10_000)()
    t, lab = median_time(lambda: hdbscan_labels(ll, min_cluster_size=50, min_samples=20), 3)
    print(
        f"HDBSCAN synthetic 10k (min_cluster_size 50, min_samples 20): {t:.3f} s, "
        f"{lab.max() + 1} clusters (report only)"
    )
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
