"""Offline maps: serve every script and stylesheet from the project instead of public CDNs.

Folium's default page loads Leaflet, jQuery, Bootstrap, Font Awesome and
Leaflet.awesome-markers from public CDNs; on a closed network the map stays blank.
``hotspots/assets/`` vendors the exact files the maps need (with their licences, see
``hotspots/assets/README.md``) and :func:`make_offline` rewrites a map to use them:

- ``mode="inline"``: every script and stylesheet becomes a ``data:`` URL inside the page (images
  referenced by the CSS are inlined too). One self-contained file: the exported HTML, the PNG
  rendering and the app's iframe (streamlit-folium loads the map's ``default_js`` /
  ``default_css`` URLs itself, and ``data:`` URLs work there as well as in a ``<script>`` tag).
- ``mode="relative"``: the files are copied under ``asset_dir`` and referenced by relative URL
  (an HTML export next to an ``assets`` folder, for people who want readable files).

What the maps do not need is dropped: Bootstrap (JS and CSS) and the Glyphicons and
Font Awesome icon fonts only style ``folium.Icon`` glyphs, and Leaflet.awesome-markers is only
kept when a ``folium.Icon`` is on the map. The maps of :mod:`hotspots.maps` draw their venue icons
with inline SVG instead. Tiles are not assets: see :mod:`hotspots.tiles`.
"""

from __future__ import annotations

import base64
import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

import branca.colormap
import folium
from branca.element import CssLink, Element, Figure, JavascriptLink

from hotspots.errors import ParameterError

ASSET_ROOT: Final = Path(__file__).with_name("assets")

Mode = Literal["inline", "relative"]


@dataclass(frozen=True)
class Asset:
    """One vendored script or stylesheet.

    Attributes
    ----------
    kind : {"js", "css"}
    path : str
        Path under ``hotspots/assets/`` (``"leaflet/leaflet.js"``).
    version : str
        Upstream version (the one Folium 0.20 asks for).
    licence : str
        Path of the licence file under ``hotspots/assets/``.
    urls : tuple of str
        The CDN URLs this file replaces.
    icon_only : bool
        Only needed when a ``folium.Icon`` marker is on the map.
    """

    kind: Literal["js", "css"]
    path: str
    version: str
    licence: str
    urls: tuple[str, ...]
    icon_only: bool = False

    @property
    def file(self) -> Path:
        """Absolute path of the vendored file."""
        return ASSET_ROOT / self.path

    @property
    def package(self) -> str:
        """Top folder of the asset (copied whole in relative mode: it holds images, licence)."""
        return self.path.split("/", 1)[0]


ASSETS: Final[tuple[Asset, ...]] = (
    Asset(
        "js",
        "leaflet/leaflet.js",
        "1.9.3",
        "leaflet/LICENSE",
        ("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",),
    ),
    Asset(
        "css",
        "leaflet/leaflet.css",
        "1.9.3",
        "leaflet/LICENSE",
        ("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",),
    ),
    Asset(
        "js",
        "jquery/jquery.min.js",
        "3.7.1",
        "jquery/LICENSE.txt",
        ("https://code.jquery.com/jquery-3.7.1.min.js",),
    ),
    Asset(
        "js",
        "awesome-markers/leaflet.awesome-markers.js",
        "2.0.2",
        "awesome-markers/LICENSE",
        (
            "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
            "leaflet.awesome-markers.js",
        ),
        icon_only=True,
    ),
    Asset(
        "css",
        "awesome-markers/leaflet.awesome-markers.css",
        "2.0.2",
        "awesome-markers/LICENSE",
        (
            "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
            "leaflet.awesome-markers.css",
        ),
        icon_only=True,
    ),
    Asset(
        "js",
        "leaflet-heat/leaflet_heat.min.js",
        "0.2.0",
        "leaflet-heat/LICENSE",
        (
            "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/"
            "leaflet_heat.min.js",
        ),
    ),
    Asset(
        "js",
        "protomaps-leaflet/protomaps-leaflet.js",
        "5.1.0",
        "protomaps-leaflet/LICENSE",
        ("https://unpkg.com/protomaps-leaflet@5.1.0/dist/protomaps-leaflet.js",),
    ),
)

#: CDN files Folium adds by default that the maps do not need (dropped).
UNNEEDED_URLS: Final = frozenset(
    {
        "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
        "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
        "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
        "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
        "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/"
        "leaflet.awesome.rotate.min.css",
    }
)

_BY_URL: Final = {url: asset for asset in ASSETS for url in asset.urls}
_MIME: Final = {"js": "text/javascript", "css": "text/css", ".png": "image/png"}
# url(images/x.png), url('images/x.png'), url("images/x.png"): relative image references in CSS
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(?!data:|#|https?:)([^'")]+)\1\s*\)""")
_EXTERNAL = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']((?:https?:)?//[^"']+)["']"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']((?:https?:)?//[^"']+)["']""",
    re.IGNORECASE,
)


def asset_for_url(url: str) -> Asset | None:
    """The vendored asset replacing CDN ``url``, or ``None``."""
    return _BY_URL.get(url)


def is_remote(url: str) -> bool:
    """True for ``http://``, ``https://`` and protocol-relative ``//`` URLs."""
    return url.startswith(("http://", "https://", "//"))


@lru_cache(maxsize=32)
def data_uri(path: str) -> str:
    """``data:`` URL of a vendored file (``path`` under ``hotspots/assets/``).

    Stylesheets have their relative ``url(...)`` images inlined as ``data:image/png`` first,
    so the result needs nothing else.
    """
    file = ASSET_ROOT / path
    suffix = file.suffix.lower()
    if suffix == ".css":

        def _inline(match: re.Match[str]) -> str:
            image = file.parent / match.group(2)
            mime = _MIME.get(image.suffix.lower(), "application/octet-stream")
            payload = base64.b64encode(image.read_bytes()).decode("ascii")
            return f"url(data:{mime};base64,{payload})"

        payload = _CSS_URL.sub(_inline, file.read_text(encoding="utf-8")).encode("utf-8")
        mime = _MIME["css"]
    else:
        payload = file.read_bytes()
        mime = _MIME.get("js" if suffix == ".js" else suffix, "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def iter_elements(root: Element) -> Iterator[Element]:
    """Every element of a branca/folium tree, depth first, ``root`` included."""
    stack = [root]
    while stack:
        element = stack.pop()
        yield element
        stack.extend(reversed(list(getattr(element, "_children", {}).values())))
        if isinstance(element, Figure):
            stack.extend([element.header, element.html, element.script])


def external_resources(html: str) -> list[str]:
    """Remote (http, https, protocol-relative) script and stylesheet URLs in ``html``.

    Tile URL templates are not scripts or stylesheets and are not listed.
    """
    return [a or b for a, b in _EXTERNAL.findall(html)]


class _Rewriter:
    """Maps a CDN URL to its offline URL (or ``None`` to drop it)."""

    def __init__(
        self, mode: Mode, asset_dir: Path | None, base_url: str | None, icons: bool, strict: bool
    ) -> None:
        self.mode = mode
        self.asset_dir = asset_dir
        self.base_url = base_url
        self.icons = icons
        self.strict = strict

    def __call__(self, url: str) -> str | None:
        if not is_remote(url):
            return url
        if url in UNNEEDED_URLS:
            return None
        asset = asset_for_url(url)
        if asset is None:
            message = (
                f"no vendored copy of {url}: add it to hotspots/assets/ and ASSETS in "
                "hotspots/assets.py, or use a layer from hotspots.maps"
            )
            if self.strict:
                raise ParameterError(message)
            warnings.warn(message + " (kept: the map needs internet for it)", stacklevel=3)
            return url
        if asset.icon_only and not self.icons:
            return None
        if self.mode == "inline":
            return data_uri(asset.path)
        assert self.asset_dir is not None
        destination = self.asset_dir / asset.package
        if not destination.exists():
            shutil.copytree(ASSET_ROOT / asset.package, destination)
        return f"{self.base_url}/{asset.path}"


class _OfflineHeader(Element):
    """A Figure header that rewrites CDN links added while the page renders.

    Some elements add links during ``render`` rather than in ``default_js`` (Folium's own
    ``JSCSSMixin`` re-adds its links on every render); this catches all of them.
    """

    def __init__(self, rewrite: _Rewriter) -> None:
        super().__init__()
        self._rewrite = rewrite

    def render(self, **kwargs) -> str:
        for name, child in list(self._children.items()):
            if isinstance(child, (JavascriptLink, CssLink)) and is_remote(child.url):
                new = self._rewrite(child.url)
                if new is None:
                    del self._children[name]
                else:
                    child.url = new
        return super().render(**kwargs)


def make_offline(
    m: folium.Map,
    mode: Mode = "inline",
    asset_dir: str | Path | None = None,
    *,
    base_url: str | None = None,
    strict: bool = True,
) -> folium.Map:
    """Make ``m`` load every script and stylesheet from the project, not from CDNs.

    Parameters
    ----------
    m : folium.Map
        The map, modified in place (its elements' ``default_js``/``default_css`` and its page
        header) and returned.
    mode : {"inline", "relative"}
        ``"inline"``: ``data:`` URLs inside the page (one self-contained HTML file, works in the
        app's iframe). ``"relative"``: files copied under ``asset_dir`` and referenced by
        relative URL.
    asset_dir : path, optional
        Folder receiving the files in ``"relative"`` mode (required there).
    base_url : str, optional
        URL of ``asset_dir`` as seen from the HTML page (relative mode); by default the
        folder's name, right for an HTML file saved in ``asset_dir``'s parent.
    strict : bool
        Raise :class:`ParameterError` for a script or stylesheet with no vendored copy (default);
        if False, keep its remote URL and warn.

    Returns
    -------
    folium.Map
        ``m`` itself.

    Examples
    --------
    >>> m = make_offline(folium.Map(tiles=None))
    >>> external_resources(m.get_root().render())
    []
    """
    if mode not in ("inline", "relative"):
        raise ParameterError(f"mode must be 'inline' or 'relative'; got {mode!r}")
    directory: Path | None = None
    if mode == "relative":
        if asset_dir is None:
            raise ParameterError("asset_dir is required with mode='relative'")
        directory = Path(asset_dir)
        directory.mkdir(parents=True, exist_ok=True)
        base_url = (base_url or directory.name).rstrip("/")
    root = m.get_root()
    elements = list(iter_elements(root))
    if strict:
        for element in elements:
            if isinstance(element, branca.colormap.ColorMap):
                raise ParameterError(
                    "a branca colormap on the map loads d3 from a CDN: draw its legend with "
                    "hotspots.maps.add_legend instead"
                )
    icons = any(isinstance(element, folium.Icon) for element in elements)
    rewrite = _Rewriter(mode, directory, base_url, icons, strict)
    for element in elements:
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if not links:
                continue
            kept = []
            for name, url in links:
                new = rewrite(url)
                if new is not None:
                    kept.append((name, new))
            # Instance attribute: the class-level list of Folium stays untouched.
            setattr(element, attr, kept)
    if isinstance(root, Figure) and not isinstance(root.header, _OfflineHeader):
        header = _OfflineHeader(rewrite)
        header._children = root.header._children
        header._parent = root
        root.header = header
    elif isinstance(root, Figure):
        root.header._rewrite = rewrite
    return m


def vendored_files() -> list[Path]:
    """Every file under ``hotspots/assets/`` (for packaging checks and the size report)."""
    return sorted(p for p in ASSET_ROOT.rglob("*") if p.is_file())
