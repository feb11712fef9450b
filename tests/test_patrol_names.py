"""Patrol cards and warnings name places, not codes (issue 12): a hotspot no venue names is
named after the nearest street of the basemap (within 150 m of its centre), and the warning
about an oversized hotspot names it the same way, never by its H3 id."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from benchmarks.synthetic import make_incidents
from hotspots.basemap.write import write_vector_pmtiles
from hotspots.i18n import t
from hotspots.patrol import PatrolParams, oversized_lines, patrol_html, patrol_plan
from hotspots.provenance import make_provenance
from hotspots.tiles import TileConfig

#: A point 60 m from the test street (ул. Абая), and one 900 m from it.
ON_STREET = (43.2952, 68.2500)
OFF_STREET = (43.3050, 68.2300)


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> TileConfig:
    """A basemap file holding one named street, ул. Абая, from (68.24, 43.29) to (68.26, 43.30)."""
    street = shapely.LineString([(68.240, 43.290), (68.260, 43.300)])
    roads = gpd.GeoDataFrame(
        {"kind": ["major_road"], "name": ["ул. Абая"]}, geometry=[street], crs=4326
    )
    path = tmp_path_factory.mktemp("names") / "city.pmtiles"
    write_vector_pmtiles({"roads": roads}, path, min_zoom=12, max_zoom=16, attribution="Test")
    return TileConfig.from_file(str(path))


def _calls(centre: tuple[float, float], n: int = 200, seed: int = 1) -> pd.DataFrame:
    """``n`` calls within about 20 m of ``centre`` (one busy H3 cell), without premises (so
    nothing but a venue or a street can name them)."""
    calls = make_incidents(
        n, seed=seed, centre=centre, radius_m=20.0, n_clusters=1, cluster_sd_m=(5.0, 6.0)
    )
    return calls.drop(columns=["premise"], errors="ignore")


def test_a_hotspot_without_a_venue_is_named_after_its_street(city):
    plan = patrol_plan(_calls(ON_STREET), None, PatrolParams(top=1), tiles=city)
    assert plan["location"].tolist() == ["ул. Абая"]
    prov = make_provenance("calls.csv", None, "", incidents=_calls(ON_STREET))
    html = patrol_html(plan, provenance=prov, lang="ru")
    assert "ул. Абая</h3>" in html  # the card's title
    assert f"{t('patrol.hotspot', 'ru')} 1</h3>" not in html


def test_a_venue_names_the_hotspot_before_the_street(city):
    venues = pd.DataFrame(
        {"venue_id": ["v1"], "name": ["Кафе Алтын"], "kind": ["cafe"],
         "lat": [ON_STREET[0] + 0.0002], "lon": [ON_STREET[1]]}
    )  # fmt: skip
    plan = patrol_plan(_calls(ON_STREET), venues, PatrolParams(top=1), tiles=city)
    assert "Кафе Алтын" in plan["location"].iloc[0]
    assert "ул. Абая" not in plan["location"].iloc[0]


def test_no_street_is_named_beyond_150_m_or_without_a_basemap(city):
    far = patrol_plan(_calls(OFF_STREET), None, PatrolParams(top=1), tiles=city)
    assert far["location"].tolist() == [""]
    none = patrol_plan(_calls(ON_STREET), None, PatrolParams(top=1), tiles=TileConfig.none())
    assert none["location"].tolist() == [""]


def _street_through(point: tuple[float, float], folder) -> TileConfig:
    """A basemap whose one street, ул. Абая, runs through ``point``."""
    lat, lon = point
    street = shapely.LineString([(lon - 0.01, lat - 0.001), (lon + 0.01, lat + 0.001)])
    roads = gpd.GeoDataFrame(
        {"kind": ["major_road"], "name": ["ул. Абая"]}, geometry=[street], crs=4326
    )
    path = folder / "through.pmtiles"
    write_vector_pmtiles({"roads": roads}, path, min_zoom=12, max_zoom=16, attribution="Test")
    return TileConfig.from_file(str(path))


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_oversized_warning_names_the_street_never_the_h3_id(city, lang, tmp_path):
    import h3

    # resolution 7: a cell of about 5 km², larger than a patrol area whatever it holds; its
    # centre (where the street is looked for) lies on the street
    centre = h3.cell_to_latlng(h3.latlng_to_cell(*ON_STREET, 7))
    tiles = _street_through(centre, tmp_path)
    plan = patrol_plan(_calls(ON_STREET), None, PatrolParams(resolution=7, top=1), tiles=tiles,
                       lang=lang)  # fmt: skip
    assert plan["oversized"].tolist() == [True]
    [line] = oversized_lines(plan, lang)
    assert line.startswith("⚠ #1 · ул. Абая: ")
    assert str(plan["hotspot"].iloc[0]) not in line
    # a hotspot with no name at all reads by its rank alone
    far = patrol_plan(_calls(OFF_STREET), None, PatrolParams(resolution=7, top=1), tiles=city)
    [line] = oversized_lines(far, lang)
    assert line.startswith("⚠ #1: ") and str(far["hotspot"].iloc[0]) not in line


def test_the_sample_city_names_its_hotspots_by_its_own_streets(sample):
    """Without venues nor premises, the sample's busiest cells are named after the synthetic
    streets of its bundled basemap."""
    from hotspots.basemap.archive import open_basemap
    from hotspots.basemap.streets import nearest_street
    from hotspots.tiles import SAMPLE_BASEMAP

    calls = sample.calls.drop(columns=["premise"], errors="ignore")
    plan = patrol_plan(calls, None, PatrolParams(top=5), tiles=TileConfig.from_file(
        str(SAMPLE_BASEMAP)))  # fmt: skip
    want = nearest_street(open_basemap(SAMPLE_BASEMAP), plan["centroid_lat"].to_numpy(),
                          plan["centroid_lon"].to_numpy(), max_m=150)  # fmt: skip
    streets = [str(w) for w in want if w]
    assert len(streets) >= 3  # the sample's streets reach its hotspots
    for loc, street in zip(plan["location"], want, strict=True):
        if street:  # no venue, no premise: the street names the card
            assert loc == street
    assert not any(h in " ".join(plan["location"]) for h in plan["hotspot"].astype(str))
