"""Venue dots gather in clusters when zoomed out (issue 12, hotspots above venues): below
VENUE_CLUSTER_ZOOM the dots that share a square of VENUE_CLUSTER_PX screen pixels are one disc
with their number, alone they stay a dot; zoomed in, every dot is back. The expected clusters
are computed here from the Web Mercator formula, independently of the page's code. Chromium.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import folium
import geopandas as gpd
import pytest
import shapely

from hotspots.escape import escape_text
from hotspots.maps import add_venues
from hotspots.maps.assemble import map_html
from hotspots.maps.points import VENUE_CLUSTER_NAMES, VENUE_CLUSTER_PX, VENUE_CLUSTER_ZOOM

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (make chromium)"
)

#: What the map shows: cluster discs (their numbers) and single dots (circle markers).
_SHOWN = """([name, zoom]) => new Promise(done => {
    const m = window[name];
    m.setView([43.2973, 68.2518], zoom, {animate: false});
    setTimeout(() => {
        const numbers = [...document.querySelectorAll('.hs-venue-cluster')]
            .map(e => Number(e.textContent));
        let dots = 0;
        const tips = [];
        m.eachLayer(l => {
            if (l instanceof L.CircleMarker) dots++;
            const icon = l.options && l.options.icon;
            if (icon && icon.options.className === 'hs-venue-cluster') {
                tips.push([Number(icon.options.html), l.getTooltip().getContent()]);
            }
        });
        done({numbers, dots, tips, zoom: m.getZoom()});
    }, 300);
})"""


def _buckets(venues, zoom: int) -> Counter:
    """Venues per square of VENUE_CLUSTER_PX pixels at ``zoom`` (Web Mercator, 256 px tiles)."""
    scale = 256 * 2**zoom
    out: Counter = Counter()
    for lat, lon in zip(venues["lat"], venues["lon"], strict=True):
        x = (lon + 180.0) / 360.0 * scale
        s = math.sin(math.radians(lat))
        y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
        out[(math.floor(x / VENUE_CLUSTER_PX), math.floor(y / VENUE_CLUSTER_PX))] += 1
    return out


def test_venue_dots_cluster_zoomed_out_and_come_back_zoomed_in(browser, sample):
    venues = sample.venues
    far_away = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 0.001, 0.001)], crs=4326)
    m = folium.Map(location=[43.2973, 68.2518], zoom_start=VENUE_CLUSTER_ZOOM + 1, tiles=None)
    layer = add_venues(m, venues, hotspots=far_away, top_risky=0)  # every venue a dot
    assert layer.stats["venue_icons"] == 0
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    try:
        page.set_content(map_html(m), wait_until="load")
        page.wait_for_function(f"() => window.{m.get_name()} && window.{m.get_name()}._loaded")
        out_zoom = VENUE_CLUSTER_ZOOM - 2
        far = page.evaluate(_SHOWN, [m.get_name(), out_zoom])
        near = page.evaluate(_SHOWN, [m.get_name(), VENUE_CLUSTER_ZOOM])
    finally:
        page.close()
    want = _buckets(venues, out_zoom)
    assert far["zoom"] == out_zoom
    # one disc per square holding several venues, with their number; a dot per lone venue
    assert sorted(far["numbers"]) == sorted(n for n in want.values() if n > 1)
    assert far["dots"] == sum(1 for n in want.values() if n == 1)
    assert sum(far["numbers"]) + far["dots"] == len(venues)
    assert len(far["numbers"]) > 0  # the sample's 208 venues do gather at zoom 12
    # a cluster's tooltip names its first venues, then "+n" for the others
    names = {escape_text(n) for n in venues["name"]}  # as the page shows them, escaped
    for n, tip in far["tips"]:
        parts = re.findall(r"<div>(.*?)</div>", tip)
        shown = min(n, VENUE_CLUSTER_NAMES)
        assert len(parts) == shown + (n > shown)
        bad = [p for p in parts[:shown] if not any(name in p for name in names)]
        assert not bad, bad[:3]
        assert n == shown or parts[-1] == f"+{n - shown}"
    # zoomed in: no cluster, every venue its dot
    assert near == {"numbers": [], "dots": len(venues), "tips": [], "zoom": VENUE_CLUSTER_ZOOM}
