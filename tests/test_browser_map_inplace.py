"""A filter change updates the Map page's map in place (issue 12, fast in the browser).

A real ``streamlit run app.py`` (the bundled sample, no basemap) and headless Chromium: the
Leaflet map object of the first view survives a change of the year filter (a mark set on it
is still there), its data layers are replaced (new cells, one legend and one layer switcher,
not two), and what the change brings over the websocket holds no copy of Leaflet or of any
other script (neither its text nor a ``data:`` URL) and weighs less than Leaflet alone: the
page's scripts are loaded once, by URL, and cached. The Venues and Tune pages' maps are
updated in place too.

Needs Debian's ``/usr/bin/chromium`` (``make chromium``); skipped with the reason otherwise.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from browser_support import chromium, serve

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is absent: install Debian's chromium (make chromium)", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api")

#: In the map frame: the map's features, legends, layer switchers and our mark.
_STATE = """() => {
    const m = window.map;
    if (!m) return null;
    let n = 0, sum = 0;
    m.eachLayer(l => { if (l.feature) { n++; sum += (l.feature.properties.count || 0); } });
    return {features: n, calls: sum, mark: m.__testMark || null,
            legends: document.querySelectorAll('.hs-legend').length,
            switchers: document.querySelectorAll('.leaflet-control-layers').length};
}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser_inplace")
    env = {"HOTSPOTS_TILES": "none", "HOTSPOTS_CALLS": None, "HOTSPOTS_VENUES": None}
    yield from serve(tmp / "streamlit.log", env)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def _map_frame(page):
    for frame in page.frames:
        if "streamlit_folium" in frame.url:
            return frame
    return None


def _wait(page, script: str, ok, timeout: float) -> dict:
    """The map frame's ``script`` result once ``ok`` holds (an AssertionError at ``timeout``)."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        frame = _map_frame(page)
        try:
            state = frame.evaluate(script) if frame else None
        except Exception:  # the frame is loading
            state = None
        if state and ok(state):
            return state
        page.wait_for_timeout(100)  # lets Playwright handle the page's events meanwhile
    raise AssertionError(f"the map never reached the expected state; last {state}")


def _wait_state(page, ok, timeout: float = 60.0) -> dict:
    return _wait(page, _STATE, ok, timeout)


def test_a_filter_change_replaces_the_layers_of_the_same_map(browser, app_url):
    from hotspots.sample import load_sample

    calls = load_sample().calls
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    received: list = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: received.append(p)))
    try:
        page.goto(f"{app_url}/?lang=en")
        first = _wait_state(page, lambda s: s["features"] > 50)
        assert first["calls"] == len(calls)  # every call counted in a drawn cell
        _map_frame(page).evaluate("() => { window.map.__testMark = 'first view'; }")
        received.clear()
        years = page.get_by_test_id("stMultiSelect").filter(has_text="Years")
        years.locator("input").click()
        page.get_by_role("option", name="2021", exact=True).click()
        page.keyboard.press("Escape")
        n_2021 = int((calls["year"] == 2021).sum())
        after = _wait_state(page, lambda s: s["calls"] == n_2021)
        page.wait_for_url(re.compile(r"years=2021"), timeout=60_000)
        frames = [p if isinstance(p, bytes) else p.encode() for p in received]
    finally:
        page.close()
    assert after["mark"] == "first view"  # the same Leaflet map: no new frame, no reload
    assert 0 < after["features"] < first["features"]
    assert after["legends"] == first["legends"] >= 1  # the old legend went with its layer
    assert after["switchers"] == first["switchers"] == 1
    # the change carries the new layers only: not Leaflet, nor any script inline
    from hotspots.assets import ASSET_ROOT

    leaflet = (ASSET_ROOT / "leaflet" / "leaflet.js").read_bytes()
    sent = b"".join(frames)
    assert 0 < len(sent) < len(leaflet), len(sent)
    assert leaflet[:200] not in sent and b"data:text/javascript" not in sent


_VENUE_LOOK = """(zoom) => new Promise(done => {
    const m = window.map;
    m.setView(m.getCenter(), zoom, {animate: false});
    setTimeout(() => {
        const icon = document.querySelector('.hs-venue');
        done({far: m.getContainer().classList.contains('hs-far'), zoom: m.getZoom(),
              size: icon ? getComputedStyle(icon).backgroundSize : null,
              icons: document.querySelectorAll('.hs-venue').length});
    }, 300);
})"""


def test_venue_icons_are_small_dots_zoomed_out_and_icons_zoomed_in(browser, app_url):
    from hotspots.maps.points import VENUE_DOT_ZOOM

    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(f"{app_url}/?lang=en")
        _wait_state(page, lambda s: s["features"] > 50)
        frame = _map_frame(page)
        frame.evaluate(_VENUE_LOOK, VENUE_DOT_ZOOM - 1)  # once the first view has settled
        near = frame.evaluate(_VENUE_LOOK, VENUE_DOT_ZOOM + 1)
        far = frame.evaluate(_VENUE_LOOK, VENUE_DOT_ZOOM - 2)
        back = frame.evaluate(_VENUE_LOOK, VENUE_DOT_ZOOM)
    finally:
        page.close()
    assert near["icons"] >= 1  # the venues next to the hotspots are icons
    assert (near["zoom"], near["far"], near["size"]) == (VENUE_DOT_ZOOM + 1, False, "22px 22px")
    # zoomed out: small dots
    assert (far["zoom"], far["far"], far["size"]) == (VENUE_DOT_ZOOM - 2, True, "10px 10px")
    assert (back["zoom"], back["far"], back["size"]) == (VENUE_DOT_ZOOM, False, "22px 22px")


#: In the (first) map frame: what the map shows (layers, the sum of the markers' and the
#: features' coordinates) and our mark.
_SHOWN = """() => {
    const m = window.map;
    if (!m || !m._loaded) return null;
    let layers = 0, sum = 0;
    m.eachLayer(l => {
        layers++;
        if (l.getLatLng) { sum += l.getLatLng().lat; }
        if (l.feature) { sum += (l.feature.properties.count || 0); }
    });
    return {shown: `${layers}|${sum.toFixed(6)}`, mark: m.__testMark || null};
}"""


def _wait_shown(page, ok, timeout: float = 120.0) -> dict:
    return _wait(page, _SHOWN, ok, timeout)


@pytest.mark.parametrize("name", ["venues", "tune"])
def test_the_venue_and_tune_maps_are_updated_in_place_too(browser, app_url, name):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(f"{app_url}/{name}?lang=en")
        first = _wait_shown(page, lambda s: s["shown"].split("|")[0] != "0")
        page.wait_for_timeout(500)  # the page done: no rerun left to replace the first map
        first = _wait_shown(page, lambda s: True)
        _map_frame(page).evaluate("() => { window.map.__testMark = 'first view'; }")
        years = page.get_by_test_id("stMultiSelect").filter(has_text="Years")
        years.locator("input").click()
        page.get_by_role("option", name="2021", exact=True).click()
        page.keyboard.press("Escape")
        page.wait_for_url(re.compile(r"years=2021"), timeout=60_000)
        after = _wait_shown(page, lambda s: s["shown"] != first["shown"])
    finally:
        page.close()
    assert after["mark"] == "first view"  # the same Leaflet map, its layers replaced
