"""Vendored scripts and stylesheets, and make_offline (hotspots.assets)."""

from __future__ import annotations

import base64
import hashlib
import re
import warnings

import branca.colormap
import folium
import folium.plugins
import pytest

from hotspots.assets import (
    ASSET_ROOT,
    ASSETS,
    UNNEEDED_URLS,
    asset_for_url,
    data_uri,
    external_resources,
    make_offline,
)
from hotspots.errors import ParameterError

DATA_SRC = re.compile(r'(?:src|href)="data:([a-z/]+);base64,([A-Za-z0-9+/=]+)"')


def _data_payloads(html: str) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {}
    for mime, payload in DATA_SRC.findall(html):
        out.setdefault(mime, []).append(base64.b64decode(payload))
    return out


def _map(**kwargs) -> folium.Map:
    m = folium.Map(location=[43.3, 68.25], zoom_start=12, tiles=None, **kwargs)
    folium.CircleMarker([43.3, 68.25], radius=5).add_to(m)
    return m


# --- the vendored files -----------------------------------------------------------------------


def test_vendored_files_match_recorded_hashes() -> None:
    lines = (ASSET_ROOT / "SHA256SUMS").read_text().splitlines()
    assert len(lines) >= 6
    for line in lines:
        digest, name = line.split()
        assert hashlib.sha256((ASSET_ROOT / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("asset", ASSETS, ids=lambda a: a.path)
def test_every_asset_has_its_file_and_licence(asset) -> None:
    assert asset.file.is_file()
    licence = ASSET_ROOT / asset.licence
    assert licence.is_file() and len(licence.read_text()) > 200


def test_vendored_leaflet_is_the_version_folium_asks_for() -> None:
    urls = dict(folium.Map.default_js)
    assert "leaflet@1.9.3" in urls["leaflet"]
    head = (ASSET_ROOT / "leaflet" / "leaflet.js").read_text(encoding="utf-8")[:300]
    assert "Leaflet 1.9.3" in head
    assert "jQuery v3.7.1" in (ASSET_ROOT / "jquery" / "jquery.min.js").read_text()[:100]


def test_every_default_folium_url_is_vendored_or_known_unneeded() -> None:
    # A folium upgrade that changes its CDN URLs fails here instead of silently going online.
    for _, url in folium.Map.default_js + folium.Map.default_css:
        assert asset_for_url(url) is not None or url in UNNEEDED_URLS, url
    for _, url in folium.plugins.HeatMap.default_js:
        assert asset_for_url(url) is not None, url


def test_total_vendored_size_is_modest() -> None:
    total = sum(p.stat().st_size for p in ASSET_ROOT.rglob("*") if p.is_file())
    assert total < 600_000


def test_css_data_uri_inlines_its_images() -> None:
    uri = data_uri("leaflet/leaflet.css")
    css = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert "url(images/" not in css
    layers_png = (ASSET_ROOT / "leaflet" / "images" / "layers.png").read_bytes()
    assert base64.b64encode(layers_png).decode() in css


# --- make_offline -----------------------------------------------------------------------------


def test_default_map_is_online_before() -> None:
    html = _map().get_root().render()
    assert any("cdn.jsdelivr.net" in u for u in external_resources(html))


def test_inline_map_has_no_remote_script_or_stylesheet() -> None:
    html = make_offline(_map()).get_root().render()
    assert external_resources(html) == []
    assert "cdn." not in html and "code.jquery.com" not in html
    payloads = _data_payloads(html)
    assert (ASSET_ROOT / "leaflet" / "leaflet.js").read_bytes() in payloads["text/javascript"]
    assert (ASSET_ROOT / "jquery" / "jquery.min.js").read_bytes() in payloads["text/javascript"]
    assert len(payloads["text/css"]) == 1  # leaflet.css only: no Bootstrap, no Font Awesome


def test_awesome_markers_only_when_an_icon_is_on_the_map() -> None:
    marker_js = (ASSET_ROOT / "awesome-markers" / "leaflet.awesome-markers.js").read_bytes()
    plain = _data_payloads(make_offline(_map()).get_root().render())
    assert marker_js not in plain["text/javascript"]
    m = _map()
    folium.Marker([43.3, 68.25], icon=folium.Icon(color="red")).add_to(m)
    html = make_offline(m).get_root().render()
    assert external_resources(html) == []
    assert marker_js in _data_payloads(html)["text/javascript"]


def test_heatmap_plugin_uses_the_vendored_script() -> None:
    m = _map()
    folium.plugins.HeatMap([[43.3, 68.25, 1.0], [43.31, 68.26, 2.0]]).add_to(m)
    html = make_offline(m).get_root().render()
    assert external_resources(html) == []
    heat = (ASSET_ROOT / "leaflet-heat" / "leaflet_heat.min.js").read_bytes()
    assert heat in _data_payloads(html)["text/javascript"]


def test_class_level_lists_are_not_modified() -> None:
    before = list(folium.Map.default_js)
    make_offline(_map())
    assert folium.Map.default_js == before
    assert external_resources(_map().get_root().render()) != []


def test_map_rendered_before_make_offline_is_cleaned_on_rerender() -> None:
    m = _map()
    m.get_root().render()  # fills the page header with CDN links
    html = make_offline(m).get_root().render()
    assert external_resources(html) == []


def test_make_offline_twice_is_harmless() -> None:
    m = make_offline(make_offline(_map()))
    html = m.get_root().render()
    assert external_resources(html) == []
    assert html.count("data:text/javascript") == 2


def test_relative_mode_copies_files_with_licences(tmp_path) -> None:
    m = make_offline(_map(), "relative", tmp_path / "assets")
    html = m.get_root().render()
    assert external_resources(html) == []
    assert 'src="assets/leaflet/leaflet.js"' in html
    assert 'href="assets/leaflet/leaflet.css"' in html
    for rel in (
        "leaflet/leaflet.js",
        "leaflet/LICENSE",
        "leaflet/images/layers.png",
        "jquery/jquery.min.js",
        "jquery/LICENSE.txt",
    ):
        assert (tmp_path / "assets" / rel).is_file(), rel
    assert not (tmp_path / "assets" / "awesome-markers").exists()


def test_relative_mode_needs_a_folder() -> None:
    with pytest.raises(ParameterError, match="asset_dir"):
        make_offline(_map(), "relative")


def test_bad_mode() -> None:
    with pytest.raises(ParameterError, match="mode"):
        make_offline(_map(), "cdn")  # type: ignore[arg-type]


def test_unknown_cdn_script_is_refused_in_strict_mode() -> None:
    m = _map()
    folium.plugins.MarkerCluster().add_to(m)
    with pytest.raises(ParameterError, match="leaflet.markercluster"):
        make_offline(m)


def test_unknown_cdn_script_is_kept_with_a_warning_when_not_strict() -> None:
    m = _map()
    folium.plugins.MarkerCluster().add_to(m)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = make_offline(m, strict=False).get_root().render()
    assert any("markercluster" in str(w.message) for w in caught)
    remote = external_resources(html)
    assert remote and all("markercluster" in u for u in remote)


def test_branca_colormap_is_refused() -> None:
    m = _map()
    branca.colormap.linear.YlOrRd_09.scale(0, 10).add_to(m)
    with pytest.raises(ParameterError, match="add_legend"):
        make_offline(m)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<script src="https://x.org/a.js"></script>', ["https://x.org/a.js"]),
        ("<script src='//x.org/a.js'></script>", ["//x.org/a.js"]),
        ('<link rel="stylesheet" href="http://x.org/a.css"/>', ["http://x.org/a.css"]),
        ('<script src="data:text/javascript;base64,AA=="></script>', []),
        ('<script src="assets/a.js"></script>', []),
        ('L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png")', []),
    ],
)
def test_external_resources(html: str, expected: list[str]) -> None:
    assert external_resources(html) == expected
