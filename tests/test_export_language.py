"""Everything a kk/ru briefing map says is in that language: no English or code words.

Every string the map shows (legends, caption, tooltips of cells, clusters, venues and patrol
markers) is collected from the Folium tree and searched for Latin words; only venue names
(data), the program's name and the method names H3 and DBSCAN may be Latin.
"""

from __future__ import annotations

import html
import json
import re

import folium
import pytest

from hotspots import briefing, maps
from hotspots.assets import iter_elements
from hotspots.filters import Filters, apply_filters
from hotspots.patrol import PatrolParams, patrol_plan
from hotspots.provenance import make_provenance
from hotspots.sample import load_sample
from hotspots.tiles import TileConfig

ALLOWED = {"hotspots", "DBSCAN", "H3"}


def _shown_strings(m: folium.Map) -> list[str]:
    out: list[str] = []
    for el in iter_elements(m.get_root()):
        if isinstance(getattr(el, "html_js", None), str):  # legends and the caption
            out.append(json.loads(el.html_js))
        if isinstance(el, maps._VenueMarkers):
            out += [row[3] for row in json.loads(el.rows_js)]
        if isinstance(el, folium.GeoJson):
            for f in el.data.get("features", []):
                out += [v for v in f.get("properties", {}).values() if isinstance(v, str)]
        if isinstance(el, folium.GeoJsonTooltip):
            out += list(el.aliases or [])
        if isinstance(el, folium.Tooltip):
            out.append(el.text)
    return out


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("method", ["cells", "clusters"])
def test_briefing_map_speaks_only_the_chosen_language(sample, lang, method) -> None:
    params = PatrolParams(method=method)
    filters = Filters(years=[2021], offenses=["hooliganism"], hours=range(18, 24))
    calls = apply_filters(sample.calls, filters)
    prov = make_provenance("sample", filters, params.describe(), incidents=calls)
    plan = patrol_plan(calls, sample.venues, params, lang=lang)
    m, _ = briefing.briefing_map(
        calls, provenance=prov, params=params, venues=sample.venues, boundary=sample.boundary,
        plan=plan, lang=lang, filters=filters, tiles=TileConfig.auto_choice(),
    )  # fmt: skip
    shown = _shown_strings(m)
    assert len(shown) > 50  # tooltips, legends and the caption were all found
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", s)) for s in shown)
    names = " ".join(sample.venues["name"])
    latin = {w for w in re.findall(r"[A-Za-z][A-Za-z'_]+", text) if w not in names}
    assert latin <= ALLOWED, sorted(latin - ALLOWED)
    assert "more)" not in text and "years" not in text
