"""HTML to PNG and PDF with headless Chromium (Debian's ``chromium``, driven by Playwright).

Briefing maps become slide-sized PNGs (1920 x 1080) and the one-page report becomes a PDF.
The page is opened from a local file; when it holds a Leaflet map the renderer waits until the
map's panes exist and its tiles have loaded, or until ``tile_timeout_s`` has passed, so missing
or unreachable tiles (closed networks) never hang it: a remote host that does not answer a
connection within 1.5 s is refused at once for the rest of the page. With ``offline=True``
every request that is not local (``file:``, ``data:``, ``blob:``, localhost) is refused before
it leaves the machine. A basemap file's tiles are inside the page (:mod:`hotspots.basemap`).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from urllib.parse import urlparse

from hotspots.errors import InputError, ParameterError
from hotspots.output import atomic_write

#: Debian's Chromium (``apt-get install chromium``); ``HOTSPOTS_CHROMIUM`` overrides it.
CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
PAPER_FORMATS: Final = ("A4", "A3", "Letter", "Legal")
_LOCAL_SCHEMES: Final = ("file", "data", "blob", "about")
_LOCAL_HOSTS: Final = ("localhost", "127.0.0.1", "::1", "[::1]")

# True once the page has no Leaflet map, or the map's panes are there and every tile image
# has either loaded or failed (Leaflet marks both).
_MAP_READY_JS: Final = """() => {
    if (document.readyState !== "complete") return false;
    const container = document.querySelector(".leaflet-container");
    if (!container) return true;
    if (!container.querySelector(".leaflet-map-pane .leaflet-overlay-pane")) return false;
    if (container.dataset.hsBasemap === "loading") return false;
    const tiles = container.querySelectorAll("img.leaflet-tile");
    for (const tile of tiles) {
        if (!tile.classList.contains("leaflet-tile-loaded") && !tile.complete) return false;
    }
    return true;
}"""


_SETTLE_JS: Final = """() => new Promise((resolve) => {
    const fade = document.querySelector("img.leaflet-tile") ? 250 : 0;
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, fade)));
})"""


#: What to do when Chromium is missing or does not start.
INSTALL_HINT: Final = (
    "install Debian's chromium (apt-get install chromium) or set HOTSPOTS_CHROMIUM to its path"
)


class BrowserUnavailable(InputError):
    """Headless Chromium could not be found or could not start.

    The message is one line with the reason and what to do; ``reason`` holds the reason
    alone (e.g. "not found at /usr/bin/chromium"), so a caller that can do without the
    browser (``hotspots report`` writes its other files) can say which files it left out.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"headless Chromium {reason}: {INSTALL_HINT}")


def chromium_path() -> str:
    """Path of the Chromium executable, or :class:`BrowserUnavailable` (an
    :class:`InputError`) saying how to install it."""
    path = os.environ.get("HOTSPOTS_CHROMIUM", CHROMIUM)
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        raise BrowserUnavailable(f"not found at {path}")
    return path


def _first_line(exc: BaseException) -> str:
    """The gist of a Playwright error: its first line without the API name."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return line.split(": ", 1)[1] if line.startswith("BrowserType.") and ": " in line else line


def is_local_url(url: str) -> bool:
    """True for file/data/blob URLs and http(s) to localhost."""
    parsed = urlparse(url)
    if parsed.scheme in _LOCAL_SCHEMES:
        return True
    return parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname in _LOCAL_HOSTS


@contextlib.contextmanager
def launch_browser() -> Iterator[object]:
    """A headless Chromium (Playwright ``Browser``) to share between several renders.

    Examples
    --------
    >>> with launch_browser() as b:                                 # doctest: +SKIP
    ...     html_to_png("map.html", "map.png", browser=b)
    ...     html_to_pdf("report.html", "report.pdf", browser=b)
    """
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a dependency
        raise InputError("the playwright package is missing: pip install playwright") from exc
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(
                executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
            )
        except Exception as exc:  # Playwright's Error: not a browser, crashed at start ...
            raise BrowserUnavailable(
                f"at {executable} could not start ({_first_line(exc)})"
            ) from None
        try:
            yield b
        finally:
            b.close()


def _check_html(html_path: str | Path) -> Path:
    path = Path(html_path).resolve()
    if not path.is_file():
        raise InputError(f"no HTML file at {html_path}: write the map or report first")
    return path


def _reachable(host: str, port: int, timeout_s: float = 1.5) -> bool:
    """Whether a TCP connection to ``host:port`` opens within ``timeout_s`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _route_remote(offline: bool):
    """A request router: local requests pass; remote ones pass only when their host answers
    (checked once per host, within 1.5 s), so tiles from an unreachable server fail at once
    instead of holding the picture until ``tile_timeout_s`` (closed networks)."""
    known: dict[tuple[str, int], bool] = {}

    def route(r) -> None:
        url = r.request.url
        if is_local_url(url):
            r.continue_()
            return
        parsed = urlparse(url)
        key = (parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80))
        if not offline and key not in known:
            known[key] = _reachable(*key)
        if not offline and known[key]:
            r.continue_()
        else:
            r.abort("internetdisconnected")

    return route


def _open(
    b: object,
    path: Path,
    width: int,
    height: int,
    offline: bool,
    timeout_s: float,
    tile_timeout_s: float,
):
    page = b.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
    page.route("**/*", _route_remote(offline))
    page.goto(path.as_uri(), wait_until="load", timeout=timeout_s * 1000)
    try:
        page.wait_for_function(_MAP_READY_JS, timeout=tile_timeout_s * 1000, polling=100)
    except Exception as exc:  # Playwright TimeoutError: render what is there
        if "Timeout" not in type(exc).__name__:
            raise
    # Two animation frames let Leaflet lay out the last layers; tiles fade in over 200 ms.
    page.evaluate(_SETTLE_JS)
    return page


def _check_size(width: int, height: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or int(value) != value or not 16 <= value <= 8192:
            raise ParameterError(f"{name} must be 16 .. 8192 pixels; got {value}")


def html_to_png(
    html_path: str | Path,
    png_path: str | Path,
    width: int = 1920,
    height: int = 1080,
    *,
    offline: bool = False,
    timeout_s: float = 60.0,
    tile_timeout_s: float = 8.0,
    browser: object | None = None,
) -> Path:
    """Render an HTML file (a saved map) to a PNG of exactly ``width`` x ``height`` pixels.

    Parameters
    ----------
    html_path : path
        The page (e.g. from :func:`hotspots.maps.save_map`).
    png_path : path
        Where to write the PNG (folders are created).
    width, height : int
        Viewport and image size, pixels (1920 x 1080 for slides).
    offline : bool
        Refuse every non-local request (tiles included).
    timeout_s : float
        Longest wait for the page to load, seconds.
    tile_timeout_s : float
        Longest wait for the map's tiles, seconds; the picture is taken anyway afterwards.
    browser : playwright Browser, optional
        A browser from :func:`launch_browser` to reuse.

    Returns
    -------
    Path
        ``png_path``.
    """
    _check_size(width, height)
    path = _check_html(html_path)
    out = Path(png_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        b = browser if browser is not None else stack.enter_context(launch_browser())
        page = _open(b, path, int(width), int(height), offline, timeout_s, tile_timeout_s)
        try:
            with atomic_write(out) as tmp:  # no half PNG if the render fails
                page.screenshot(path=str(tmp), full_page=False)
        finally:
            page.close()
    return out


def html_to_pdf(
    html_path: str | Path,
    pdf_path: str | Path,
    format: str = "A4",
    *,
    landscape: bool = False,
    offline: bool = False,
    timeout_s: float = 60.0,
    tile_timeout_s: float = 8.0,
    browser: object | None = None,
) -> Path:
    """Print an HTML file (the one-page report) to PDF with Chromium.

    Backgrounds are printed; the page's own ``@page`` CSS rules take precedence over
    ``format``. The page should fit on the paper: Chromium breaks long pages into several.

    Parameters
    ----------
    format : {"A4", "A3", "Letter", "Legal"}
        Paper size.
    landscape : bool
        Landscape orientation.

    Other parameters are those of :func:`html_to_png`.
    """
    if format not in PAPER_FORMATS:
        raise ParameterError(f"format must be one of {', '.join(PAPER_FORMATS)}; got {format!r}")
    path = _check_html(html_path)
    out = Path(pdf_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        b = browser if browser is not None else stack.enter_context(launch_browser())
        # A4 at 96 dpi is about 794 x 1123 CSS pixels: lay the page out at that width.
        page = _open(b, path, 1024, 1400, offline, timeout_s, tile_timeout_s)
        try:
            page.emulate_media(media="print")
            with atomic_write(out) as tmp:  # no half PDF if printing fails
                page.pdf(
                    path=str(tmp),
                    format=format,
                    landscape=landscape,
                    print_background=True,
                    prefer_css_page_size=True,
                    margin={"top": "10mm", "bottom": "10mm", "left": "10mm", "right": "10mm"},
                )
        finally:
            page.close()
    return out
