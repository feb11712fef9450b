"""The app on a city's worth of calls: server time of a filter change, size of the map sent.

Run from the repo root: ``.venv/bin/python -m benchmarks.bench_app [--runs 5] [--n 150000]``.

The app (``app.py``) is driven by Streamlit's ``AppTest`` with ``HOTSPOTS_CALLS`` pointing at
the 148,636 real Chicago aggravated assaults 2010-2019 (``../shared/data``), or, when they are
absent, at 150k clustered synthetic incidents (:func:`benchmarks.synthetic.make_incidents`)
written to a CSV. ``AppTest.run()`` executes the whole script server side, as a browser rerun
would: reading the widgets, filtering, the cached analyses, building the Folium map and
serialising it for the browser. What is timed:

- **filter change**: a new year selected in the sidebar (a filter never seen before, so every
  filter-dependent analysis is computed, not read from the cache); median over ``--runs``
  different years. Target (issue 5): under 1 s. Measured with the default layers (H3 cells,
  venues, calls) and with every layer on (density, DBSCAN clusters and Gi* too); Streamlit's
  caches are emptied between the two, so the second set computes its years afresh too.
- **steps**: where a filter change's time goes (median over the runs): the filter, the
  headline figures, each layer's analysis (:mod:`hotspots.views`), drawing the Folium map
  (:func:`hotspots.maps.build_map`), turning it into the component's strings
  (:func:`app_pages.mapview.render`), and the rest (Streamlit: the script, widgets, caches).
- **map size**: bytes of the map handed to streamlit-folium (Leaflet script, header, HTML and the
  inline offline assets), with all calls selected. Target: under 5 MB whatever the number of
  incidents.

The naive approaches measured in the same run: an app without the data-set cache re-reads and
validates the file on every rerun (``hotspots.io.read_incidents``, timed), and a map drawing
every call as a Folium ``CircleMarker`` (its HTML is measured on 5,000 calls and scaled
linearly to n, since each marker adds the same amount of script).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = (
    ROOT
    / ".."
    / "shared"
    / "data"
    / "chicago_cpd_2017_2019"
    / "chicago_aggravated_assaults_2010_2019.csv"
).resolve()
NAIVE_MARKERS = 5_000
LAYER_SETS = {
    "default layers (cells, venues, calls)": "cells,venues,calls",
    "all layers (+density, clusters, Gi*)": "cells,density,clusters,gistar,venues,calls",
}


def _synthetic_csv(n: int, folder: Path) -> Path:
    from benchmarks.synthetic import make_incidents

    gdf = make_incidents(n, seed=7, years=(2010, 2019))
    path = folder / f"synthetic_{n}.csv"
    out = gdf[["incident_id", "occurred_at", "offense", "lat", "lon"]].copy()
    out["occurred_at"] = out["occurred_at"].dt.strftime("%Y-%m-%d %H:%M")
    out.to_csv(path, index=False)
    return path


def _payload(at) -> int:
    """Bytes of the map handed to streamlit-folium: script, header, HTML and inline assets."""
    import json

    comp = [e for e in at.get("component_instance") if "st_folium" in e.proto.component_name]
    args = json.loads(comp[0].proto.json_args)
    parts = [args["script"], args["header"], args["html"], *args["js_links"], *args["css_links"]]
    return sum(len(p.encode("utf-8")) for p in parts)


def _years_widget(at):
    return [w for w in at.multiselect if w.key and w.key.startswith("w:years:")][0]


def _naive_map_bytes(path: Path, n_total: int) -> float:
    import folium

    from hotspots.io import read_incidents

    calls = read_incidents(path).accepted.head(NAIVE_MARKERS)
    m = folium.Map(location=[calls["lat"].mean(), calls["lon"].mean()], tiles=None)
    for lat, lon in zip(calls["lat"], calls["lon"], strict=True):
        folium.CircleMarker([lat, lon], radius=2).add_to(m)
    size = len(m.get_root().render().encode("utf-8"))
    return size * n_total / len(calls)


#: Functions timed by :class:`StepTimer`: (module, attribute, step shown).
STEPS = (
    ("app_pages.sidebar", "apply_filters", "filter"),
    ("hotspots.views", "headline", "headline"),
    ("hotspots.views", "cell_layer", "cells"),
    ("hotspots.views", "density_layer", "density"),
    ("hotspots.views", "cluster_summary", "clusters"),
    ("hotspots.views", "gistar_summary", "Gi*"),
    ("hotspots.maps", "build_map", "map build"),
    ("app_pages.mapview", "render", "map render"),
)


class StepTimer:
    """Wall time spent in each of :data:`STEPS` during the app's reruns.

    The functions are replaced on their modules by timed wrappers (the app looks them up
    there at call time) while the timer is active, and restored afterwards."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._saved: list[tuple[object, str, object]] = []

    def __enter__(self) -> StepTimer:
        import functools
        import importlib

        for module_name, attr, step in STEPS:
            module = importlib.import_module(module_name)
            fn = getattr(module, attr)

            @functools.wraps(fn)
            def timed(*args, _fn=fn, _step=step, **kwargs):
                t0 = time.perf_counter()
                try:
                    return _fn(*args, **kwargs)
                finally:
                    self.spent[_step] = self.spent.get(_step, 0.0) + time.perf_counter() - t0

            self._saved.append((module, attr, fn))
            setattr(module, attr, timed)
        return self

    def __exit__(self, *exc: object) -> None:
        for module, attr, fn in reversed(self._saved):
            setattr(module, attr, fn)
        self._saved.clear()

    def take(self) -> dict[str, float]:
        """The times since the last call (seconds per step), and start again."""
        out, self.spent = self.spent, {}
        return out


def _clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="filter changes per layer set")
    parser.add_argument("--n", type=int, default=150_000, help="synthetic calls (no real data)")
    parser.add_argument("--synthetic", action="store_true", help="ignore the real data")
    args = parser.parse_args(argv)

    from streamlit.testing.v1 import AppTest

    from benchmarks.timing import Row, median_time, print_table
    from hotspots.io import read_incidents

    saved_env = {k: os.environ.get(k) for k in ("HOTSPOTS_CALLS", "HOTSPOTS_TILES")}
    tmp = tempfile.TemporaryDirectory()
    path = REAL if REAL.exists() and not args.synthetic else _synthetic_csv(args.n, Path(tmp.name))
    os.environ["HOTSPOTS_CALLS"] = str(path)
    os.environ["HOTSPOTS_TILES"] = "none"
    naive_read, result = median_time(lambda: read_incidents(path), runs=3)
    n = result.n_accepted
    years = sorted(int(y) for y in result.accepted["year"].dropna().unique())
    print(f"data: {path.name}, {n:,} calls, years {years[0]}-{years[-1]}")

    rows: list[Row] = []
    sizes: dict[str, int] = {}
    steps: dict[str, dict[str, float]] = {}
    for title, layers in LAYER_SETS.items():
        _clear_caches()  # every layer set starts cold: no year computed by the one before
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.query_params["layers"] = layers
        t0 = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t0
        if at.exception:
            print(at.exception[0].message, file=sys.stderr)
            return 1
        sizes[title] = _payload(at)
        times = []
        per_run: list[dict[str, float]] = []
        with StepTimer() as timer:
            for year in years[-args.runs :][::-1]:
                _years_widget(at).set_value([year])
                t0 = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - t0)
                assert not at.exception, at.exception[0].message
                spent = timer.take()
                spent["rest"] = times[-1] - sum(spent.values())
                per_run.append(spent)
                sizes[title] = max(sizes[title], _payload(at))
        names = [step for _, _, step in STEPS if any(step in r for r in per_run)] + ["rest"]
        steps[title] = {k: statistics.median(r.get(k, 0.0) for r in per_run) for k in names}
        ours = statistics.median(times)
        rows.append(
            Row(
                f"filter change, {title}",
                n,
                ours,
                naive_read + ours,
                "< 1 s",
                ours < 1.0,
                f"first run {cold:.1f} s (reads the file, fills the caches); filter changes "
                f"{', '.join(f'{x:.2f}' for x in times)} s; naive = no data-set cache: "
                f"read_incidents {naive_read:.2f} s on every rerun on top",
            )
        )
    naive_bytes = _naive_map_bytes(path, n)
    print_table(rows, "App: server time of a filter change (AppTest, median)")
    print()
    print("Where a filter change's time goes (median seconds per step over the same runs):")
    for title, spent in steps.items():
        parts = ", ".join(f"{k} {v:.3f}" for k, v in spent.items())
        print(f"  {title}: {parts}")
    print()
    print("Map sent to the browser (all calls selected; target < 5 MB):")
    for title, size in sizes.items():
        verdict = "PASS" if size < 5_000_000 else "FAIL"
        print(
            f"  {title}: {size / 1e6:.2f} MB  [{verdict}]  naive CircleMarker map: "
            f"{naive_bytes / 1e6:,.0f} MB ({naive_bytes / size:,.0f}x larger; measured on "
            f"{NAIVE_MARKERS:,} markers, scaled to {n:,})"
        )
    tmp.cleanup()
    for k, v in saved_env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    ok = all(r.ok for r in rows) and all(s < 5_000_000 for s in sizes.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
