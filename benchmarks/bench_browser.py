"""The Map page in a real browser: time to the first map and to a filter change settled.

Run from the repo root: ``.venv/bin/python -m benchmarks.bench_browser [--runs 3]
[--n 1000000] [--root DIR] [--skip-synthetic]``.

A real Streamlit server (``streamlit run app.py`` on a free localhost port, headless) and
Debian's Chromium through Playwright (``executable_path="/usr/bin/chromium"``, 1440x1000, every
request that does not go to the app aborted, as on a closed police network). The data are the
148,636 real Chicago aggravated assaults 2010-2019 (``../shared/data``) and ``--n`` synthetic
calls (:func:`benchmarks.synthetic.make_incidents`, ten years, written to a CSV once); the
basemap is off (``HOTSPOTS_TILES=none``) so tiles do not blur the figures. Default layers
(H3 cells, venues, calls). What is timed, from the browser's side:

- **first map, fresh server**: from opening the page of a server just started (nothing cached:
  the file is read, the analyses computed) to the map drawn (the Leaflet map inside the
  streamlit-folium frame holds its GeoJSON features and has painted two frames).
- **first map, new tab**: the same in a second tab (the server's caches are warm): what a user
  opening the app that already runs for others waits.
- **filter change settled**: from adding a year to the sidebar's year filter (typed, Enter) to
  the map holding the new selection's features, painted and stable, and the script finished.
  Median over ``--runs`` changes (2019; 2019+2018; ...: selections never seen before, so no
  analysis is read from a cache).
- **bytes over the websocket** during a filter change (the frames Streamlit sends).

``--root DIR`` runs the app from another checkout of the project (for the "before" figures:
``git archive <commit> | tar -x -C DIR``), with this checkout's Python environment.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.timing import CHICAGO_ASSAULTS
from hotspots.render import CHROMIUM, CHROMIUM_ARGS  # the exports' own browser settings

ROOT = Path(__file__).resolve().parents[1]
VERBOSE = bool(os.environ.get("BENCH_VERBOSE"))
TARGET_FIRST = 4.0  # s (issue 12)
TARGET_CHANGE = 1.0  # s

#: In the map frame: what the map shows (features and markers and a checksum of their data),
#: or null before the map exists. Works whatever draws the map (SVG or canvas).
_FINGERPRINT = """() => {
    const m = window.map;
    if (!m || !m._loaded) return null;
    let n = 0, markers = 0, sum = 0;
    m.eachLayer(l => {
        if (l.feature) {
            n++;
            const p = l.feature.properties || {};
            for (const k in p) { if (typeof p[k] === 'number') sum += p[k]; }
        } else if (l.getLatLng && !l.getLayers) {
            markers++;
        }
    });
    return n ? `${n}|${markers}|${sum.toFixed(3)}` : null;
}"""

#: Every URL that does not go to the app (nor is inline): aborted, as on a closed network.
_NOT_LOCAL = re.compile(r"^(?!(https?|wss?)://(127\.0\.0\.1|localhost)[:/]|data:|blob:|about:)")

#: Two animation frames later the map is on screen (at most 1 s: a hidden frame gets none).
_PAINTED = """() => new Promise(r => {
    setTimeout(() => r(0), 1000);
    requestAnimationFrame(() => requestAnimationFrame(() => r(1)));
})"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` from ``root`` on a free port, with ``HOTSPOTS_CALLS=csv``."""

    def __init__(self, root: Path, csv: Path, log: Path) -> None:
        self.root, self.csv, self.log_path = root, csv, log
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> str:
        port = _free_port()
        env = {
            **os.environ,
            "HOTSPOTS_CALLS": str(self.csv),
            "HOTSPOTS_TILES": "none",
            "PYTHONUNBUFFERED": "1",
        }
        self.log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.headless", "true", "--server.port", str(port),
                "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
                "--browser.gatherUsageStats", "false",
            ],
            cwd=self.root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return url
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("streamlit did not start: see " + str(self.log_path))

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Tab:
    """A browser tab on the app: the map's fingerprint, Streamlit's state, websocket bytes."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1440, "height": 1000})
        self.blocked: list[str] = []
        self.page.route(_NOT_LOCAL, self._block)  # local requests are not intercepted
        self.received = 0
        self.marks: dict[str, float] = {}
        self.page.on("websocket", self._socket)
        self.url = url

    def _block(self, route) -> None:
        self.blocked.append(route.request.url)
        route.abort()

    def _socket(self, ws) -> None:
        def count(payload) -> None:
            self.received += len(payload)
            if len(payload) > 100_000:  # the map's layers: when the server sent them
                self.marks["sent"] = time.monotonic()

        ws.on("framereceived", count)

    def map_frames(self):
        return [f for f in self.page.frames if "streamlit_folium" in f.url]

    def fingerprint(self) -> str | None:
        for frame in self.map_frames():
            try:
                fp = frame.evaluate(_FINGERPRINT)
            except Exception:  # the frame is being replaced
                continue
            if fp:
                return fp
        return None

    def running(self) -> bool:
        return self.page.locator('[data-testid="stStatusWidget"]').count() > 0

    def wait_map(self, old: str | None, timeout: float = 180.0) -> str:
        """Wait for a map whose fingerprint is not ``old``, painted, stable, script done."""
        deadline = time.monotonic() + timeout
        last, since = None, 0.0
        # monotonic times: the map first changed, the script last seen running, the map's
        # layers received (a websocket frame over 100 kB)
        self.marks = {}
        while time.monotonic() < deadline:
            fp = self.fingerprint()
            now = time.monotonic()
            running = self.running()
            if running:
                self.marks["running"] = now
            if VERBOSE and int(now * 20) % 20 == 0:
                print(f"    {now:.1f} map {fp} running {running} ws {self.received}")
            if fp != last:
                last, since = fp, now
                if fp is not None and fp != old:
                    self.marks.setdefault("changed", now)
            # stable: the same new map seen on two polls 50 ms apart, and the script done
            if fp is not None and fp != old and now - since >= 0.05 and not self.running():
                for frame in self.map_frames():
                    try:
                        frame.evaluate(_PAINTED)
                    except Exception:
                        pass
                return fp
            self.page.wait_for_timeout(50)  # not time.sleep: Playwright handles events here
        shot = Path(tempfile.gettempdir()) / "hotspots_bench_browser_timeout.png"
        self.page.screenshot(path=str(shot), full_page=True)
        raise TimeoutError(f"the map did not change from {old!r} (screenshot: {shot})")

    def open(self) -> float:
        t0 = time.perf_counter()
        self.page.goto(f"{self.url}/?lang=en")
        self.wait_map(None)
        return time.perf_counter() - t0

    def pick_year(self, year: int) -> tuple[float, int]:
        """Add ``year`` to the year filter (a selection never seen before); seconds until the
        map settled, websocket bytes received meanwhile."""
        old = self.fingerprint()
        years = self.page.get_by_test_id("stMultiSelect").filter(has_text="Years")
        years.locator("input").click()
        self.page.keyboard.type(str(year))  # the list shows that year alone
        self.page.get_by_role("option", name=str(year), exact=True).wait_for()
        before = self.received
        t0, m0 = time.perf_counter(), time.monotonic()
        self.page.keyboard.press("Enter")
        self.wait_map(old)
        took = time.perf_counter() - t0
        if VERBOSE:
            marks = {k: f"{v - m0:.2f} s" for k, v in self.marks.items()}
            print(f"    year {year}: settled {took:.2f} s; script last seen running, map layers"
                  f" received, map first changed: {marks}")
        self.page.keyboard.press("Escape")
        return took, self.received - before


def _synthetic_csv(n: int, folder: Path) -> Path:
    path = folder / f"synthetic_{n}.csv"
    if path.exists():
        return path
    from benchmarks.synthetic import make_incidents

    gdf = make_incidents(n, seed=7, years=(2010, 2019))
    out = gdf[["incident_id", "occurred_at", "offense", "lat", "lon"]].copy()
    out["occurred_at"] = out["occurred_at"].dt.strftime("%Y-%m-%d %H:%M")
    out.to_csv(path, index=False)
    return path


def measure(root: Path, csv: Path, years: list[int], runs: int, log: Path) -> dict:
    """First-map and filter-change times of the app in ``root`` on ``csv``."""
    from playwright.sync_api import sync_playwright

    out: dict = {}
    with Server(root, csv, log) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            tab = Tab(browser, url)
            out["first_cold"] = tab.open()
            second = Tab(browser, url)
            out["first_warm"] = second.open()
            second.page.close()
            changes, sizes = [], []
            for year in years[-runs:][::-1]:
                took, size = tab.pick_year(year)
                changes.append(took)
                sizes.append(size)
            out["changes"], out["bytes"] = changes, sizes
        finally:
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="filter changes per data set")
    parser.add_argument("--n", type=int, default=1_000_000, help="synthetic calls")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout of the app to run")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is absent: install Debian's chromium (make chromium)")
        return 0
    cache = Path(tempfile.gettempdir()) / "hotspots_bench_browser"
    cache.mkdir(exist_ok=True)
    sets: list[tuple[str, Path]] = []
    if CHICAGO_ASSAULTS.exists() and not args.skip_real:
        sets.append(("Chicago assaults (148,636)", CHICAGO_ASSAULTS))
    if not args.skip_synthetic:
        sets.append((f"synthetic ({args.n:,})", _synthetic_csv(args.n, cache)))
    years = list(range(2010, 2020))
    print(f"app: {args.root}")
    ok = True
    for title, csv in sets:
        r = measure(args.root.resolve(), csv, years, args.runs, cache / "streamlit.log")
        change = statistics.median(r["changes"])
        verdict_first = "PASS" if r["first_warm"] <= TARGET_FIRST else "FAIL"
        verdict_change = "PASS" if change <= TARGET_CHANGE else "FAIL"
        ok &= verdict_first == verdict_change == "PASS"
        print(f"{title}:")
        print(
            f"  first map, fresh server {r['first_cold']:.2f} s; new tab {r['first_warm']:.2f} s"
            f"  (target <= {TARGET_FIRST:.0f} s) [{verdict_first}]"
        )
        print(
            f"  filter change settled: median {change:.2f} s"
            f" ({', '.join(f'{x:.2f}' for x in r['changes'])})"
            f"  (target <= {TARGET_CHANGE:.0f} s) [{verdict_change}]"
        )
        print(
            "  websocket bytes per filter change: "
            + ", ".join(f"{b / 1e6:.2f} MB" for b in r["bytes"])
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
