"""The app in a real browser: `streamlit run app.py` and headless Chromium (Playwright).

A module fixture starts the app on a free localhost port (headless, no file watcher, no usage
statistics), offline (``HOTSPOTS_TILES=none``) and with a venue file holding hostile names
(``HOTSPOTS_VENUES``: ``<img src=x onerror=alert(1)>``, a ``<script>``, a template-literal
``${...}``), and waits for ``/_stcore/health`` to answer ``ok``. The tests then check, in
Chromium, that the Leaflet map and its layers render inside the streamlit-folium iframe, that
the year filter changes the map and the figures, that the language switch relabels the page,
that nothing is fetched from the internet, and that the hostile names show as text and never
run (no dialog opens, no injected element exists). Screenshots go to ``test-output/``.

Needs Debian's ``/usr/bin/chromium`` (``make chromium``); skipped with the reason otherwise.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from browser_support import chromium, serve

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "browser"
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    "`${alert(3)}` \\u003cb\\u003e",
    "<svg onload=\"document.title='pwned'\">",
]

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is absent: install Debian's chromium (make chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api")


def _hostile_venues(path: Path) -> None:
    """The sample's first venues plus venues whose names are attacks, near the city centre."""
    import csv

    from hotspots.sample import load_sample

    venues = load_sample().venues.head(20)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["venue_id", "name", "kind", "lat", "lon"])
        for r in venues.itertuples():
            w.writerow([r.venue_id, r.name, r.kind, r.lat, r.lon])
        for i, name in enumerate(HOSTILE):
            w.writerow([f"X{i}", name, "cafe", 43.2972 + 0.002 * i, 68.2509])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser_app")
    venues = tmp / "hostile_venues.csv"
    _hostile_venues(venues)
    env = {"HOTSPOTS_TILES": "none", "HOTSPOTS_VENUES": str(venues), "HOTSPOTS_CALLS": None}
    yield from serve(tmp / "streamlit.log", env)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


class Session:
    """A page of the app plus what it did: dialogs opened and URLs requested."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1440, "height": 1000})
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.get_by_test_id("stApp").wait_for(timeout=60_000)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @property
    def frame(self):
        return self.page.frame_locator(MAP_FRAME).first

    def wait_map(self, min_paths: int = 1, timeout: float = 60) -> int:
        """Wait for the Leaflet map with at least ``min_paths`` vector shapes; their number."""
        self.frame.locator(".leaflet-container").wait_for(timeout=timeout * 1000)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = self.frame.locator(".leaflet-overlay-pane path").count()
            if n >= min_paths:
                return n
            time.sleep(0.25)
        raise AssertionError("the map drew no shapes")

    def metric(self, label: str) -> str:
        box = self.page.get_by_test_id("stMetric").filter(has_text=label).first
        return box.get_by_test_id("stMetricValue").inner_text()

    def wait_metric_change(self, label: str, old: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.metric(label)
            except Exception:  # the page is re-rendering
                value = old
            if value != old:
                return value
            time.sleep(0.25)
        raise AssertionError(f"{label} stayed {old}")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def session(browser, app_url):
    s = Session(browser, f"{app_url}/?lang=en")
    yield s
    s.close()


def _sample_calls():
    from hotspots.sample import load_sample

    return load_sample().calls


def test_the_map_and_its_layers_render(session):
    n_paths = session.wait_map(min_paths=50)
    frame = session.frame
    assert frame.locator(".leaflet-control-layers").count() == 1
    overlays = frame.locator(".leaflet-control-layers-overlays").inner_text()
    assert "Calls per H3 cell" in overlays and "Venues" in overlays and "Study area" in overlays
    # the venues: their own icons next to the hotspots, small dots elsewhere (issue 12)
    assert 1 <= frame.locator(".leaflet-marker-icon").count() < 24
    assert "Calls per cell" in frame.locator("body").inner_text()  # the legend
    calls = _sample_calls()
    assert session.metric("Calls") == f"{len(calls):,}"
    assert n_paths > 100
    assert session.errors == []  # no uncaught script error in the page or the map
    session.shot("01_map_en")


def test_year_filter_changes_the_map_and_the_figures(session):
    before_paths = session.wait_map(min_paths=50)
    before = session.metric("Calls")
    years = session.page.get_by_test_id("stMultiSelect").filter(has_text="Years")
    years.click()
    session.page.get_by_role("option", name="2021", exact=True).click()
    session.page.keyboard.press("Escape")
    after = session.wait_metric_change("Calls", before)
    calls = _sample_calls()
    assert after == f"{int((calls['year'] == 2021).sum()):,}"
    session.page.wait_for_url(re.compile(r"years=2021"), timeout=60_000)  # shareable view
    # the map is redrawn: wait for a different number of shapes (fewer cells in one year)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        n = session.frame.locator(".leaflet-overlay-pane path").count()
        if n and n != before_paths:
            break
        time.sleep(0.25)
    assert n != before_paths and n > 0
    session.shot("02_map_2021")


def test_layers_can_be_switched(session):
    session.wait_map(min_paths=50)
    session.page.get_by_test_id("stButtonGroup").get_by_role(
        "button", name="Gi* hot and cold spots"
    ).click()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = session.frame.locator("body").inner_text()
        if "Getis-Ord Gi*" in body:
            break
        time.sleep(0.25)
    assert "Getis-Ord Gi*" in body
    session.page.wait_for_url(re.compile(r"layers=[^&]*gistar"), timeout=60_000)
    session.shot("03_gistar")


def test_language_switch_relabels_everything_and_keeps_the_filters(session):
    session.wait_map(min_paths=50)
    before = session.metric("Calls")
    offenses = session.page.get_by_test_id("stMultiSelect").filter(has_text="Offense types")
    offenses.click()
    session.page.get_by_role("option", name="Hooliganism", exact=True).click()
    session.page.keyboard.press("Escape")
    n = session.wait_metric_change("Calls", before)
    calls = _sample_calls()
    assert n == f"{int((calls['offense'] == 'hooliganism').sum()):,}"
    session.page.wait_for_url(re.compile(r"offenses=hooliganism"), timeout=60_000)
    session.page.get_by_test_id("stSidebar").get_by_text("Русский", exact=True).click()
    session.page.get_by_role("heading", name="Карта горячих точек").wait_for(timeout=60_000)
    session.page.wait_for_url(re.compile(r"lang=ru"), timeout=60_000)
    # same selection, now labelled in Russian, same count (Russian digit grouping)
    assert session.metric("Вызовы").replace("\xa0", "").replace(" ", "") == n.replace(",", "")
    sidebar = session.page.get_by_test_id("stSidebar")
    assert sidebar.get_by_text("Хулиганство").count() >= 1
    assert "offenses=hooliganism" in session.page.url
    session.frame.locator(".leaflet-control-layers").wait_for(timeout=60_000)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        overlays = session.frame.locator(".leaflet-control-layers-overlays").inner_text()
        if "Вызовы по ячейкам H3" in overlays:
            break
        time.sleep(0.25)
    assert "Вызовы по ячейкам H3" in overlays
    session.page.get_by_test_id("stSidebar").get_by_text("Қазақша", exact=True).click()
    session.page.get_by_text("Сүзгілерді тазалау").or_(
        session.page.get_by_text("Жылдар")
    ).first.wait_for(timeout=60_000)
    session.page.wait_for_url(re.compile(r"lang=kk"), timeout=60_000)
    session.shot("04_map_kk")


#: Layers of the map with a tooltip (venue markers, cells ...).
_TOOLTIPS_JS = """() => {
    let n = 0;
    window.map.eachLayer(l => { if (l.getTooltip && l.getTooltip()) n++; });
    return n;
}"""


def _settled_tooltips(session, timeout: float = 60) -> int:
    """The number of layers with a tooltip once it has stayed the same for a second.

    The test before switches the language: Streamlit runs the page again and the map's
    frame is drawn anew, so a count taken at once may be of a half-built map (18 of 21
    layers, once in five runs) or of a frame being replaced."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        try:
            n = session.page.frame_locator(MAP_FRAME).first.locator("body").evaluate(_TOOLTIPS_JS)
        except Exception:  # the frame is being replaced
            n = -1
        if n != last:
            last, since = n, time.monotonic()
        elif n > 0 and time.monotonic() - since >= 1.0:
            return n
        time.sleep(0.25)
    raise AssertionError(f"the map's layers did not settle (last count {last})")


def test_hostile_venue_names_show_as_text_and_never_run(session):
    session.wait_map(min_paths=50)
    assert _settled_tooltips(session) >= 20
    # open every tooltip and popup on the map: Leaflet inserts their content as HTML
    opened = (
        session.page.frame_locator(MAP_FRAME)
        .first.locator("body")
        .evaluate(
            """() => {
            let n = 0;
            window.map.eachLayer(l => {
                if (l.getTooltip && l.getTooltip()) { l.openTooltip(); n++; }
            });
            return n;
        }"""
        )
    )
    assert opened >= 20
    time.sleep(1.0)
    frame = session.frame
    tips = frame.locator(".leaflet-tooltip").all_inner_texts()
    text = "\n".join(tips)
    for name in HOSTILE[:2]:
        assert name in text, f"{name!r} not shown as text"
    assert "${alert(3)}" in text
    # nothing injected ran or exists
    assert (
        frame.locator(".leaflet-tooltip img, .leaflet-tooltip script, .leaflet-tooltip svg").count()
        == 0
    )
    title = frame.locator("body").evaluate("() => document.title")
    assert title != "pwned"
    assert session.dialogs == []
    session.shot("05_hostile_tooltips")
    # the venues page lists them too (a data grid: text only)
    session.page.get_by_role("link", name="Venues").click()
    session.page.get_by_role("heading", name="Venues ranked by calls").wait_for(timeout=60_000)
    session.page.wait_for_url(re.compile(r"/venues\?(.*&)?lang=en"), timeout=60_000)
    time.sleep(1.0)
    assert session.dialogs == []
    session.shot("06_venues_page")


def test_nothing_is_fetched_from_the_internet(session):
    session.wait_map(min_paths=50)
    external = [
        u
        for u in session.requests
        if not re.match(r"^(https?://127\.0\.0\.1[:/]|data:|blob:|about:)", u)
    ]
    assert external == []


def test_presenter_mode_in_the_browser(session):
    session.wait_map(min_paths=50)
    session.page.get_by_text("Presenter mode").click()
    session.page.wait_for_url(re.compile(r"presenter=1"), timeout=60_000)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if session.page.get_by_text("Individual calls are hidden in presenter mode").count():
            break
        time.sleep(0.25)
    # no page header; the slide's title says what and when
    assert session.page.get_by_role("heading", name="Hotspot map", exact=True).count() == 0
    assert session.page.get_by_role("heading", name="Hotspot map · 2019–2021").count() == 1
    session.wait_map(min_paths=10)
    session.shot("07_presenter")


_METRIC_BOXES = """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')].map(e => {
    const r = e.getBoundingClientRect(), inner = e.firstElementChild || e;
    return {text: e.innerText, size: parseFloat(getComputedStyle(e).fontSize),
            left: r.left, right: r.right, scroll: inner.scrollWidth, width: inner.clientWidth};
})"""


def _headline(browser, url: str, width: int) -> list[dict]:
    """The five headline figures of the Map page at ``width`` px: text, font size, box."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    try:
        page.goto(url)
        page.get_by_test_id("stMetricValue").nth(4).wait_for(timeout=60_000)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the page's CSS applied, figures drawn
            boxes = page.evaluate(_METRIC_BOXES)
            if len(boxes) == 5 and all(b["text"] for b in boxes):
                break
            time.sleep(0.25)
        time.sleep(0.5)
        boxes = page.evaluate(_METRIC_BOXES)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"08_headline_{width}_{url.split('?')[1]}.png"[:120]))
        return boxes
    finally:
        page.close()


@pytest.mark.parametrize("width", [1440, 1280])
def test_presenter_figures_are_larger_and_never_overlap_or_get_cut(browser, app_url, width):
    # Russian, public order: the longest offense name ("Нарушение общественного порядка")
    view = "lang=ru&offenses=public_order"
    normal = _headline(browser, f"{app_url}/?{view}", width)
    presenter = _headline(browser, f"{app_url}/?{view}&presenter=1", width)
    for boxes in (normal, presenter):
        assert len(boxes) == 5
        assert boxes[2]["text"].split() == ["Нарушение", "общественного", "порядка"]
        for a, b in zip(boxes, boxes[1:], strict=False):
            assert a["right"] <= b["left"], f"{a['text']!r} overlaps {b['text']!r}"
        for b in boxes:  # nothing cut off or spilling out of its column
            assert b["scroll"] <= b["width"] + 1, f"{b['text']!r} is cut off"
    # the figures (calls, period, peak, share) in large type: never below the normal 36 px,
    # and larger than in the normal view at 1440 px
    for i in (0, 1, 3, 4):
        assert presenter[i]["size"] >= normal[i]["size"] >= 36
        if width == 1440:
            assert presenter[i]["size"] > normal[i]["size"]


def test_the_map_page_opens_at_slash_map_too(browser, app_url):
    """/map (the page's name, as /venues is the Venues page's) opens the Map page with the view
    of its URL, and no "Page not found" dialog; / stays the Map page."""
    calls = _sample_calls()
    for path in ("/map?lang=en&years=2021", "/?lang=en&years=2021"):
        s = Session(browser, app_url + path)
        try:
            s.page.get_by_role("heading", name="Hotspot map").wait_for(timeout=60_000)
            s.wait_map(min_paths=10)
            assert s.metric("Calls") == f"{int((calls['year'] == 2021).sum()):,}"
            assert s.metric("Period") == "2021"
            assert s.page.get_by_text("Page not found").count() == 0
            assert s.dialogs == [] and s.errors == []
            assert "years=2021" in s.page.url
        finally:
            s.close()


_METRIC_LABELS = """() => [...document.querySelectorAll('[data-testid="stMetricLabel"]')].map(e => {
    const box = e.querySelector('[data-testid="stMarkdownContainer"]') || e;
    const r = e.getBoundingClientRect();
    return {text: box.innerText, scroll: box.scrollWidth, width: box.clientWidth,
            left: r.left, right: r.right, bottom: r.bottom};
})"""


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("width", [1440, 1280])
def test_trends_metric_labels_read_in_full(browser, app_url, lang, width):
    from hotspots.i18n import offense_label

    page = browser.new_page(viewport={"width": width, "height": 1000})
    try:
        page.goto(f"{app_url}/trends?lang={lang}")
        page.get_by_test_id("stMetricLabel").nth(6).wait_for(timeout=60_000)
        time.sleep(1.0)  # the page's CSS applied
        labels = page.evaluate(_METRIC_LABELS)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"09_trends_{lang}_{width}.png"), full_page=True)
    finally:
        page.close()
    texts = [b["text"] for b in labels]
    assert len(labels) == 7  # all offenses and the six types of the sample
    assert offense_label("public_order", lang) in texts  # the longest name, whole
    for b in labels:  # nothing cut off with an ellipsis
        assert b["scroll"] <= b["width"] + 1, f"{b['text']!r} is cut off at {width} px"
    # rows of metrics (labels of one row end on one line, the figures below them align)
    rows: list[list[dict]] = []
    for b in sorted(labels, key=lambda b: b["bottom"]):
        if rows and abs(b["bottom"] - rows[-1][0]["bottom"]) <= 2:
            rows[-1].append(b)
        else:
            rows.append([b])
    assert [len(r) for r in rows] == [4, 3]  # at most four to a row
    for row in rows:
        boxes = sorted(row, key=lambda b: b["left"])
        for a, b in zip(boxes, boxes[1:], strict=False):
            assert a["right"] <= b["left"], f"{a['text']!r} overlaps {b['text']!r}"


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_venue_ranking_fits_the_page_at_1440(browser, app_url, lang):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(f"{app_url}/venues?lang={lang}")
        grid = page.get_by_test_id("stDataFrame").first
        grid.wait_for(timeout=60_000)
        time.sleep(1.0)
        # the grid scrolls sideways only when its columns are wider than the page gives it
        scroll, client = page.evaluate(
            """() => { const s = document.querySelector(
                           '[data-testid="stDataFrame"] .dvn-scroller');
                       return [s.scrollWidth, s.clientWidth]; }"""
        )
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"10_venues_{lang}_1440.png"))
    finally:
        page.close()
    assert client > 800
    assert scroll <= client, f"the venue table is {scroll - client} px too wide"
