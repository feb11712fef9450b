"""Headless-Chromium rendering (hotspots.render) and real-browser checks of the maps.

These tests drive Debian's chromium (``make test`` installs it) through Playwright: the map works
with the network blocked, hostile names show as text without running, and the PNG/PDF exports
have the stated size and page count.
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import box

from hotspots.errors import InputError, ParameterError
from hotspots.maps import LAYERS, MapSpec, build_map, save_map
from hotspots.render import html_to_pdf, html_to_png, is_local_url
from hotspots.tiles import TileConfig

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "`${alert(1)}`",
]
CENTRE = (43.30, 68.25)


def _data(n_calls: int = 400) -> dict:
    rng = np.random.default_rng(3)
    calls = pd.DataFrame(
        {
            "lat": CENTRE[0] + rng.normal(0, 0.004, n_calls),
            "lon": CENTRE[1] + rng.normal(0, 0.005, n_calls),
            "offense": rng.choice(["theft", "fight", HOSTILE[0]], n_calls),
            "occurred_at": pd.Timestamp("2023-01-01 10:00"),
            "time_precision": "minute",
        }
    )
    venues = pd.DataFrame(
        {
            "venue_id": ["V1", "V2", "V3", "V4"],
            "name": [*HOSTILE, "Шайхана Самал"],
            "kind": ["cafe", "bar", "park", "tea_house"],
            "lat": [43.301, 43.299, 43.302, 43.298],
            "lon": [68.251, 68.248, 68.246, 68.253],
        }
    )
    boundary = gpd.GeoDataFrame(geometry=[box(68.23, 43.285, 68.27, 43.315)], crs="EPSG:4326")
    return {"calls": calls, "venues": venues, "boundary": boundary}


def _save(tmp_path: Path, spec: MapSpec, name: str = "map.html", **data) -> Path:
    m, _ = build_map(spec, **data)
    path = tmp_path / name
    save_map(m, path)  # offline: every script and style inline
    return path


def _open_offline(browser, path: Path):
    """Open ``path`` with every non-local request refused; returns (page, refused, dialogs)."""
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    refused: list[str] = []
    dialogs: list[str] = []

    def route(r):
        if is_local_url(r.request.url):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort("internetdisconnected")

    page.route("**/*", route)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-container .leaflet-overlay-pane svg path", timeout=15_000)
    return page, refused, dialogs


# --- checks that need no browser ------------------------------------------------------------


def test_missing_chromium_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HOTSPOTS_CHROMIUM", str(tmp_path / "no-chromium"))
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>")
    with pytest.raises(InputError, match="apt-get install chromium"):
        html_to_png(page, tmp_path / "p.png")


def test_missing_html_file(tmp_path) -> None:
    with pytest.raises(InputError, match="no HTML file"):
        html_to_pdf(tmp_path / "absent.html", tmp_path / "x.pdf")


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"width": 0}, "width"), ({"height": 10_000}, "height")]
)
def test_png_size_is_validated(tmp_path, kwargs, match) -> None:
    with pytest.raises(ParameterError, match=match):
        html_to_png(tmp_path / "x.html", tmp_path / "x.png", **kwargs)


def test_pdf_format_is_validated(tmp_path) -> None:
    with pytest.raises(ParameterError, match="format"):
        html_to_pdf(tmp_path / "x.html", tmp_path / "x.pdf", format="B5")


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("file:///tmp/a.html", True),
        ("data:image/png;base64,AA==", True),
        ("http://localhost:8501/x", True),
        ("http://127.0.0.1/x", True),
        ("https://tile.openstreetmap.org/1/0/0.png", False),
        ("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js", False),
    ],
)
def test_local_urls(url: str, local: bool) -> None:
    assert is_local_url(url) is local


# --- real browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_map_works_with_the_network_blocked(tmp_path, browser) -> None:
    data = _data()
    spec = MapSpec(layers=frozenset(LAYERS), tiles=TileConfig.none(), max_points=1000)
    path = _save(tmp_path, spec, **data)
    page, refused, dialogs = _open_offline(browser, path)
    try:
        assert refused == []  # nothing even tried to leave the machine
        assert page.evaluate("typeof L") == "object"
        assert page.evaluate("L.version") == "1.9.3"
        # 400 call markers and the boundary outline are SVG paths
        assert page.locator(".leaflet-overlay-pane svg path").count() >= 401
        assert page.locator(".leaflet-marker-pane .hs-venue").count() == 4
        assert page.locator(".leaflet-control-layers-overlays label").count() == 3
        assert page.locator(".hs-legend").count() == 2  # calls by offense, venues
        assert dialogs == []
    finally:
        page.close()


@pytest.mark.browser
def test_hostile_names_show_as_text_and_never_run(tmp_path, browser) -> None:
    data = _data(50)
    spec = MapSpec(
        layers=frozenset({"calls", "venues", "boundary"}),
        tiles=TileConfig.none(),
        title=HOSTILE[1],
        caption_lines=(HOSTILE[2],),
    )
    path = _save(tmp_path, spec, **data)
    page, _, dialogs = _open_offline(browser, path)
    try:
        assert page.inner_text(".hs-caption .hs-title") == HOSTILE[1]
        assert HOSTILE[2] in page.inner_text(".hs-caption")
        shown = []
        for i in range(4):
            page.locator(".leaflet-marker-pane .hs-venue").nth(i).hover(force=True)
            page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
            shown.append(page.inner_text(".leaflet-tooltip"))
            page.mouse.move(1, 1)
            page.wait_for_selector(".leaflet-tooltip", state="detached", timeout=5_000)
        for name in HOSTILE:
            assert any(text.startswith(name) for text in shown), (name, shown)
        # the hostile offense label is in the calls legend as text
        assert HOSTILE[0] in "\n".join(page.locator(".hs-legend").all_inner_texts())
        assert page.locator("img[src='x']").count() == 0
        page.wait_for_timeout(300)
        assert dialogs == []
    finally:
        page.close()


@pytest.mark.browser
def test_png_has_slide_size_and_is_not_blank(tmp_path, browser) -> None:
    spec = MapSpec(layers=frozenset(LAYERS), tiles=TileConfig.none(), title="Briefing", lang="kk")
    html = _save(tmp_path, spec, **_data())
    png = html_to_png(html, tmp_path / "out" / "map.png", browser=browser, offline=True)
    with Image.open(png) as image:
        assert image.size == (1920, 1080)
        pixels = np.asarray(image.convert("RGB"), dtype=float)
    assert pixels.std() > 10.0
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    # the boundary's dark dashes are drawn on the light background
    assert (pixels.sum(axis=2) < 200).sum() > 100


@pytest.mark.browser
def test_unreachable_tiles_do_not_hang_the_png(tmp_path, browser) -> None:
    spec = MapSpec(layers=frozenset({"boundary", "venues"}), tiles=TileConfig.osm())
    html = _save(tmp_path, spec, **_data())
    start = time.monotonic()
    png = html_to_png(
        html, tmp_path / "osm.png", 800, 600, offline=True, tile_timeout_s=3.0, browser=browser
    )
    assert time.monotonic() - start < 20.0
    with Image.open(png) as image:
        assert image.size == (800, 600)


@pytest.mark.browser
def test_pdf_has_one_page(tmp_path, browser) -> None:
    report = tmp_path / "report.html"
    report.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><style>@page{size:A4}</style></head>"
        "<body><h1>Отчёт / Есеп</h1><p>Calls: 8 681</p><table><tr><td>theft</td><td>2 340</td>"
        "</tr></table></body></html>",
        encoding="utf-8",
    )
    pdf = html_to_pdf(report, tmp_path / "report.pdf", browser=browser)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Calls" in text and "2 340" in text
    width_pt, height_pt = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width_pt), round(height_pt)) == (595, 842)  # A4 in points


@pytest.mark.browser
def test_a_map_prints_to_pdf(tmp_path, browser) -> None:
    spec = MapSpec(layers=frozenset({"boundary", "venues"}), tiles=TileConfig.none())
    html = _save(tmp_path, spec, **_data())
    pdf = html_to_pdf(html, tmp_path / "map.pdf", landscape=True, browser=browser, offline=True)
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 1
    width_pt, height_pt = (float(v) for v in reader.pages[0].mediabox[2:])
    assert width_pt > height_pt
