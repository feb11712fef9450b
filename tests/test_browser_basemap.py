"""The offline basemap and presenter mode in a real browser (Debian chromium, Playwright).

The app is started with the default basemap (the sample city's ``geodata/basemap.pmtiles``,
served by the app's own endpoint) and every request that does not go to this machine is
aborted and recorded. The tests check that the basemap's bytes come from the app (HTTP 200 or
206), that nothing left the machine, that the map's pixels show streets (the street colour of
the style, not one flat background), and that presenter mode is a slide at 1280x720 and
1920x1080: title, figures, legend and the whole map inside the window, no scroll bars, no
zoom or layer buttons. Screenshots go to ``test-output/basemap/``.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_support import chromium, serve

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "basemap"
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
LOCAL = ("127.0.0.1", "localhost", "::1", "[::1]")
#: Street colours of the style (hotspots/basemap/layer.py): minor and major streets.
STREET_RGB = ((0xAA, 0xA4, 0x9B), (0x8B, 0x85, 0x7C))

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser_basemap")
    # the default: the sample and its own basemap
    unset = ("HOTSPOTS_TILES", "HOTSPOTS_CALLS", "HOTSPOTS_VENUES", "HOTSPOTS_BOUNDARY")
    env = dict.fromkeys(unset)
    yield from serve(tmp / "streamlit.log", env)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


class Offline:
    """A page on which every request not to this machine is aborted (and recorded)."""

    def __init__(self, browser, width: int, height: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.blocked: list[str] = []
        self.responses: list[tuple[str, int]] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("response", lambda r: self.responses.append((r.url, r.status)))

    def _route(self, route) -> None:
        url = route.request.url
        host = urlparse(url).hostname
        if url.startswith(("data:", "blob:", "about:")) or host in LOCAL:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.get_by_test_id("stApp").wait_for(timeout=60_000)
        frame = self.page.frame_locator(MAP_FRAME).first
        frame.locator(".leaflet-container").wait_for(timeout=90_000)
        # the basemap marks itself ready once its tiles are drawn
        frame.locator(".leaflet-container[data-hs-basemap='ready']").wait_for(timeout=60_000)

    @property
    def frame(self):
        return self.page.locator(MAP_FRAME).first.element_handle().content_frame()

    def close(self) -> None:
        self.context.close()


# Share of the basemap canvases' pixels in each street colour (within 6 levels per channel).
_STREET_SHARE_JS = """(rgbs) => {
    let hits = 0, total = 0;
    for (const c of document.querySelectorAll(".leaflet-tile-pane canvas")) {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) {
            total++;
            for (const [r, g, b] of rgbs) {
                if (Math.abs(d[i] - r) <= 6 && Math.abs(d[i + 1] - g) <= 6
                    && Math.abs(d[i + 2] - b) <= 6) { hits++; break; }
            }
        }
    }
    return [hits, total];
}"""


def test_basemap_tiles_come_from_the_app_and_nothing_leaves(app_url, browser) -> None:
    session = Offline(browser, 1440, 1000)
    try:
        session.open(app_url + "/?layers=none")
        basemap = [(u, s) for u, s in session.responses if "/basemap/" in u]
        assert basemap, "no basemap request"
        assert all(s in (200, 206) for _, s in basemap), basemap
        assert any(u.endswith(".pmtiles") for u, _ in basemap)
        assert all(urlparse(u).hostname in LOCAL for u, _ in basemap)
        deadline = time.monotonic() + 30
        while True:  # the canvases are painted tile by tile
            hits, total = session.frame.evaluate(
                _STREET_SHARE_JS, [list(c) for c in STREET_RGB]
            )
            if (total and hits / total > 0.005) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert total > 100_000  # the basemap covers the map with canvas tiles
        assert 0.005 < hits / total < 0.5, (hits, total)  # streets: lines, not a flat ground
        SHOTS.mkdir(parents=True, exist_ok=True)
        session.page.screenshot(path=str(SHOTS / "map_offline.png"))
        assert session.blocked == []
    finally:
        session.close()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["720p", "1080p"])
def test_presenter_mode_is_a_slide(app_url, browser, size) -> None:
    width, height = size
    session = Offline(browser, width, height)
    try:
        session.open(app_url + "/?presenter=1&layers=cells,venues")
        page = session.page
        page.wait_for_timeout(500)  # the last layout pass after the map's frame resized
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"presenter_{width}x{height}.png"))
        # nothing scrolls: the document and Streamlit's scroll container fit the window
        overflow = page.evaluate(
            """() => [document.scrollingElement.scrollHeight - window.innerHeight,
                      ...[...document.querySelectorAll('[data-testid="stMain"],'
                         + '[data-testid="stAppViewContainer"]')]
                        .map(e => e.scrollHeight - e.clientHeight)]"""
        )
        assert max(overflow) <= 1, overflow
        box = page.locator(MAP_FRAME).first.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height
        assert box["height"] >= 0.5 * height  # the map is the slide's body
        # a title with the period, and the headline figures above the map
        title = page.locator(".st-key-map_title").inner_text()
        assert "Hotspot map" in title and "2019" in title
        assert page.get_by_test_id("stMetric").count() == 5
        assert page.locator("header[data-testid='stHeader']").is_hidden()
        frame = session.frame
        assert frame.locator(".leaflet-control-zoom").count() == 0
        assert frame.locator(".leaflet-control-layers").count() == 0
        # every legend is inside the map's frame (page coordinates), so on the slide
        for i in range(frame.locator(".hs-legend").count()):
            legend = frame.locator(".hs-legend").nth(i).bounding_box()
            assert legend is not None
            assert legend["y"] >= box["y"] and legend["x"] >= box["x"]
            assert legend["y"] + legend["height"] <= box["y"] + box["height"]
            assert legend["x"] + legend["width"] <= box["x"] + box["width"]
        assert session.blocked == []
    finally:
        session.close()


def _pixels(png: bytes):
    from io import BytesIO

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(BytesIO(png)).convert("RGB")).astype(int)


def _streets_drawn(png: bytes, plain: bytes) -> tuple[float, float]:
    """Compare a picture with a basemap against the same picture on the plain background.

    Returns the share of pixels the basemap made darker (by 12 levels or more) and grey
    (channels within 20 levels of each other): street lines and their names, seen through the
    translucent cells; and the share of pixels that changed at all. Exact street colours are
    not counted: Chromium scales the tiles to the slide's fractional zoom with a filter that
    depends on how busy the machine is (a CPU slowed 10x gives thinner lines of blended
    colours from the same canvases), while darker grey lines are there either way.
    """
    a, b = _pixels(png), _pixels(plain)
    assert a.shape == b.shape
    darker = (b - a).mean(axis=2) >= 12
    grey = a.max(axis=2) - a.min(axis=2) <= 20
    return float((darker & grey).mean()), float((a != b).any(axis=2).mean())


def test_briefing_png_shows_streets_with_no_network(browser) -> None:
    from hotspots import briefing
    from hotspots.patrol import PatrolParams
    from hotspots.provenance import make_provenance
    from hotspots.sample import load_sample
    from hotspots.tiles import TileConfig

    s = load_sample()
    prov = make_provenance("sample", None, PatrolParams().describe(), incidents=s.calls)
    pngs = {}
    # the module's browser: a second sync Playwright in the same thread is refused
    for name, tiles in (("basemap", TileConfig.auto_choice()), ("none", TileConfig.none())):
        m, _ = briefing.briefing_map(s.calls, provenance=prov, venues=s.venues,
                                     boundary=s.boundary, tiles=tiles)
        # offline: every request that would leave the machine is refused
        png = briefing.briefing_png(briefing.briefing_html(m), browser=browser, offline=True)
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"briefing_{name}.png").write_bytes(png)
        pngs[name] = png
    streets, changed = _streets_drawn(pngs["basemap"], pngs["none"])
    # grey street lines around and between the cells: 0.9-1.0 % of a slide's pixels at its
    # zoom (measured at normal speed and with the CPU slowed 10-30x); tiles that were never
    # drawn change nothing, and a flat ground would change most of the picture
    assert streets > 0.003, (streets, changed)
    assert changed < 0.25, (streets, changed)
