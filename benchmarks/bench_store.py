"""The team store: keeping a validated dataset (GeoParquet + fsync + rename + commit), opening
it again, and saving views, on SQLite (the embedded default).

``python -m benchmarks.bench_store``. No target in the issue: the figures say what a save
costs beside the validation that precedes it (``read_incidents`` of the same file).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.timing import CHICAGO_ASSAULTS, median_time, print_markdown


def main(argv: list[str] | None = None) -> int:
    from hotspots.io import read_incidents
    from hotspots.sample import sample_paths
    from hotspots.store import StoreConfig, datasets, open_store, views

    files = [("Turkestan sample", sample_paths().calls)]
    if CHICAGO_ASSAULTS.exists():
        files.append(("Chicago assaults", CHICAGO_ASSAULTS))
    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    rows = []
    try:
        store = open_store(StoreConfig(url=f"sqlite:///{folder / 's.sqlite'}", data_dir=folder))
        for label, path in files:
            validate, result = median_time(lambda p=path: read_incidents(p), runs=3)
            save, info = median_time(
                lambda r=result, n=label: datasets.save_dataset(store, r, n, "bench"), runs=3
            )
            load, _ = median_time(lambda i=info: datasets.load_dataset(store, i.id), runs=3)
            rows.append(
                [label, f"{len(result.accepted):,}", f"{validate:.2f}", f"{save:.2f}",
                 f"{load:.2f}"]
            )
        n = 200
        took, _ = median_time(
            lambda: [views.save_view(store, f"v{i}", "bench", {"years": "2023"}) for i in range(n)],
            runs=1,
        )
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_markdown(["dataset", "calls", "validate (s)", "keep in store (s)", "open (s)"], rows)
    print(f"\n{n} saved views in {took:.2f} s ({n / took:.0f} per second, SQLite, one process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
