"""`hotspots report` with and without a basemap, and the basemap's own costs.

Prints the median wall time of ``hotspots report --sample`` (every file: patrol plan, briefing
HTML and 1920x1080 PNG, report HTML and PDF) with ``--tiles none``, with the sample's own
basemap file (the default) and with ``--tiles osm`` on this machine (whose network may not
reach OpenStreetMap: that is the closed-network case of the issue, 11.7 s against 5.3 s with
``--tiles none`` before), each in a fresh process; then the in-process costs: opening the
basemap, one tile read, the tiles an export carries, naming the nearest street of the sample's
208 venues, and the briefing page's size with and without its tiles.

Run: ``python -m benchmarks.bench_basemap [--runs 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time


def report_seconds(tiles: str | None, runs: int) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, "-c", "from hotspots.cli import main; main()", "report",
                   "--sample", "-o", out]
            if tiles is not None:
                cmd += ["--tiles", tiles]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process() -> None:
    import numpy as np

    from hotspots import maps
    from hotspots.basemap import open_basemap
    from hotspots.basemap.streets import nearest_street
    from hotspots.basemap.tilemath import tile_of
    from hotspots.sample import load_sample
    from hotspots.tiles import SAMPLE_BASEMAP, TileConfig

    s = load_sample()
    t = time.perf_counter()
    bm = open_basemap(SAMPLE_BASEMAP)
    print(f"open basemap ({SAMPLE_BASEMAP.stat().st_size / 1e3:.0f} kB): "
          f"{(time.perf_counter() - t) * 1e3:.1f} ms")
    x, y = tile_of(68.25, 43.297, 15)
    t = time.perf_counter()
    for _ in range(100):
        bm.tile(15, x, y)
    print(f"one tile read + gunzip: {(time.perf_counter() - t) * 10:.2f} ms")
    lat, lon = s.venues["lat"].to_numpy(), s.venues["lon"].to_numpy()
    t = time.perf_counter()
    names = nearest_street(bm, lat, lon)
    print(f"nearest street of {lat.size} venues: {(time.perf_counter() - t) * 1e3:.0f} ms "
          f"(first call), {np.mean(names != '') * 100:.0f} % named within 150 m")
    for tiles in (TileConfig.none(), TileConfig.auto_choice()):
        spec = maps.MapSpec(layers=frozenset({"cells", "boundary", "venues"}), tiles=tiles)
        counts, _ = maps.h3_cell_counts(s.calls["lat"], s.calls["lon"], 9)
        t = time.perf_counter()
        m, _ = maps.build_map(spec, cells=maps.h3_cells_frame(counts), venues=s.venues,
                              boundary=s.boundary)
        html = maps.map_html(m)
        label = "basemap file" if tiles.file else "no basemap"
        print(f"briefing-sized map, {label}: built in {time.perf_counter() - t:.2f} s, "
              f"{len(html) / 1e6:.2f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"hotspots report --sample, median of {args.runs} fresh processes:")
    for label, tiles in (("--tiles none", "none"), ("sample basemap (default)", None),
                         ("--tiles osm (unreachable here)", "osm")):
        print(f"  {label:32s} {report_seconds(tiles, args.runs):6.2f} s")
    in_process()


if __name__ == "__main__":
    main()
