"""The team server in a real browser (Chromium, Playwright): an unauthenticated browser sees
only the sign-in form, each role finds its pages, a presenter's page holds no individual call,
and after a restart of the server the team's dataset and view are still there.

The server is ``streamlit run app.py`` on a free localhost port with its store (SQLite) in a
temporary folder holding one account per role. Needs Debian's ``/usr/bin/chromium``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser_support import AppServer, chromium
from export_support import leaked_calls

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
USERS = {
    "ada": ("admin", "admin-password-1"),
    "ann": ("analyst", "analyst-password-1"),
    "pat": ("planner", "planner-password-1"),
    "pia": ("presenter", "presenter-pass-1"),
}
PAGES = {  # the navigation's labels per role (English)
    "admin": [
        "Map", "Tune", "Venues", "Trends", "Near repeats", "Data", "Export", "Library", "Users"
    ],
    "analyst": ["Map", "Tune", "Venues", "Trends", "Near repeats", "Data", "Export", "Library"],
    "planner": ["Map", "Tune", "Venues", "Trends", "Near repeats", "Export", "Library"],
    "presenter": ["Map", "Venues", "Trends", "Near repeats"],
}

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is absent: install Debian's chromium (make chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from hotspots.store import StoreConfig, accounts, open_store

    tmp = tmp_path_factory.mktemp("team_server")
    store = open_store(StoreConfig(url=f"sqlite:///{tmp / 'hotspots.sqlite'}", data_dir=tmp))
    for name, (role, password) in USERS.items():
        accounts.add_user(store, name, password, role)
    store.close()
    env = {"HOTSPOTS_TILES": "none", "HOTSPOTS_DATA_DIR": str(tmp)}
    env |= dict.fromkeys(("HOTSPOTS_CALLS", "HOTSPOTS_VENUES", "HOTSPOTS_DB"))  # unset
    srv = AppServer(tmp / "streamlit.log", env)
    srv.data_dir = tmp  # the store folder, for tests that write to it between restarts
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def open_app(browser, url: str):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(url)
    page.get_by_test_id("stApp").wait_for(timeout=60_000)
    return page


def sign_in(browser, url: str, name: str):
    page = open_app(browser, url)
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(USERS[name][1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {name}").wait_for(timeout=60_000)
    return page


def nav_labels(page, expected: list[str], timeout: float = 60) -> list[str]:
    """The navigation's labels once they match ``expected`` or stop changing (the page
    re-renders while it loads: a presenter's run turns presenter mode on)."""
    # presenter mode hides the header that holds the navigation (a clean slide): shown here,
    # since the check is which pages the server registered, not how the slide looks
    page.add_style_tag(content="header[data-testid='stHeader']{display:block!important}")
    links = page.get_by_test_id("stTopNavLink")
    links.first.wait_for(timeout=timeout * 1000)
    deadline, labels = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        # each link reads "<icon name>\n\n<label>": the label is its last line
        labels = [t.strip().splitlines()[-1] for t in links.all_inner_texts() if t.strip()]
        if labels == expected:
            break
        time.sleep(0.25)
    return labels


def test_unauthenticated_browser_sees_only_the_sign_in_form(server, browser):
    page = open_app(browser, server.url)
    page.get_by_role("textbox", name="Password").wait_for(timeout=60_000)
    assert page.get_by_test_id("stTopNavLink").count() == 0
    assert page.locator(MAP_FRAME).count() == 0
    assert page.get_by_test_id("stMetric").count() == 0
    page.goto(f"{server.url}/data")  # a page's address typed by hand: still the form
    page.get_by_role("textbox", name="Password").wait_for(timeout=60_000)
    assert page.get_by_test_id("stFileUploader").count() == 0
    page.close()


@pytest.mark.parametrize("name", list(USERS))
def test_each_role_sees_its_pages(server, browser, name):
    page = sign_in(browser, server.url, name)
    expected = PAGES[USERS[name][0]]
    assert nav_labels(page, expected) == expected
    page.close()


def test_presenter_page_holds_no_individual_call(server, browser):
    from hotspots.sample import load_sample

    sample = load_sample()
    page = sign_in(browser, server.url, "pia")
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    # the map's document as it is once drawn: read through the locator, which waits again if
    # a rerun replaces the iframe meanwhile (its new document is blank until the map is in)
    map_doc = frame.locator(".leaflet-overlay-pane path").first.evaluate(
        "e => e.ownerDocument.documentElement.outerHTML", timeout=60_000
    )
    html = "".join(f.content() for f in page.frames) + map_doc  # the page and every frame
    assert "leaflet-overlay-pane" in map_doc
    assert leaked_calls(html, sample.calls, sample.venues) == 0
    page.close()


def test_restart_keeps_datasets_and_views(server, browser):
    from hotspots.io import read_incidents
    from hotspots.sample import sample_paths
    from hotspots.store import StoreConfig, datasets, open_store, views

    cfg = StoreConfig(url=f"sqlite:///{server.data_dir / 'hotspots.sqlite'}",
                      data_dir=server.data_dir)
    store = open_store(cfg)
    info = datasets.save_dataset(store, read_incidents(sample_paths().calls), "Kept calls", "ann")
    views.save_view(store, "Kept view", "ann", {"hours": "22-3"}, dataset_id=info.id)
    store.close()
    server.stop()
    server.start()
    page = sign_in(browser, server.url, "pat")
    page.get_by_test_id("stTopNavLink").filter(has_text="Library").click()
    page.get_by_text("Kept view").wait_for(timeout=60_000)
    # the dataset's name, in the Library's chooser
    page.get_by_text("Kept calls", exact=True).first.wait_for(state="attached", timeout=60_000)
    page.close()
