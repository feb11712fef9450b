"""A study area shared across threads, safely: the engine's partitions on a worker's threads,
the app's sessions on theirs.

GEOS's prepared geometries build their indexes lazily on first use and are not safe to share
between threads (libgeos/geos#825): four threads testing points against one shared prepared
polygon abort the process within a few hundred rounds on this machine. Each test uses its own
prepared copy (:func:`hotspots.shapes.own_prepared`). The races run in a child process, so an
abort is a failed test, not a lost test worker.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from hotspots import schema as S
from hotspots.engine.dataset import _filtered
from hotspots.shapes import own_prepared

RACE = r"""
import sys, threading
import numpy as np, pandas as pd, shapely
from shapely.geometry import Point
from hotspots import schema as S
from hotspots.engine.dataset import _filtered
from hotspots.filters import within_area
rng = np.random.default_rng(0)
frame = pd.DataFrame({S.LAT: rng.uniform(-1.2, 1.2, 20_000), S.LON: rng.uniform(-1.2, 1.2, 20_000)})
for _ in range(int(sys.argv[1])):
    area = Point(0, 0).buffer(1.0, quad_segs=256)
    shapely.prepare(area)  # as the engine's callers hand it over: prepared, shared
    start, again = threading.Barrier(4), threading.Barrier(4)
    def partition():
        start.wait()  # every thread's first test of the new polygon at once
        _filtered(frame, None, area, None, within=area)  # a partition of the engine
        again.wait()
        within_area(frame, area)  # an app session's filter
    threads = [threading.Thread(target=partition) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
print("done")
"""


def test_threads_share_a_study_area_without_crashing() -> None:
    out = subprocess.run(
        [sys.executable, "-c", RACE, "300"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0 and out.stdout.strip() == "done", out.stderr[-500:]


def test_own_prepared_is_an_equal_prepared_copy() -> None:
    area = Point(1, 2).buffer(0.5)
    mine = own_prepared(area)
    assert mine is not area and shapely.is_prepared(mine) and not shapely.is_prepared(area)
    assert shapely.equals_exact(mine, area, tolerance=0)  # through WKB: every vertex exact
    assert own_prepared(None) is None
    frame = pd.DataFrame({S.LAT: [2.0, 2.4, 3.0, np.nan], S.LON: [1.0, 1.0, 1.0, 1.0]})
    got = _filtered(frame, None, area, None)
    assert got[S.LAT].tolist() == [2.0, 2.4]  # inside; 0.6 away and NaN are not
