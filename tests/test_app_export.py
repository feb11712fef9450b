"""The Export page (AppTest): the take-aways of the view in force, ready to download."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from app_support import goto, new_app, run, sample, texts
from export_support import leaked_calls

from hotspots import defaults
from hotspots.clusters import dbscan_labels
from hotspots.filters import Filters, apply_filters
from hotspots.grid import count_cells
from hotspots.i18n import t

NO_CHROMIUM = ["patrol.csv", "patrol.geojson", "patrol.html", "briefing.html"]


@pytest.fixture(autouse=True)
def no_tiles(monkeypatch):
    monkeypatch.setenv("HOTSPOTS_TILES", "none")


def make_files(at, files, *, method=None, top=None):
    """Choose the files (and method, top), press the button, return the bundle made."""
    at.multiselect(key="export_files").set_value(files)
    if method:
        at.radio(key="export_method").set_value(method)
    if top:
        at.number_input(key="export_top").set_value(top)
    run(at)
    at.button(key="export_make").click()
    run(at)
    view, bundle = at.session_state["export_bundle"]
    assert bundle is not None, texts(at)
    return bundle


def test_export_follows_the_filters_of_the_view():
    at = goto(run(new_app({"years": "2021", "offenses": "theft"})), "export")
    assert "Export" in [h.value for h in at.header]
    bundle = make_files(at, NO_CHROMIUM, top=7)
    assert list(bundle.files) == NO_CHROMIUM
    names = sorted(b.proto.label for b in at.get("download_button"))
    assert names == sorted(NO_CHROMIUM)
    calls = apply_filters(sample().calls, Filters(years=(2021,), offenses=("theft",)))
    plan = pd.read_csv(io.BytesIO(bundle.files["patrol.csv"]), encoding="utf-8-sig")
    res = defaults.auto_resolution(calls)  # auto, the default, from the filtered calls
    assert bundle.provenance.parameters["resolution"] == res
    assert plan["n_incidents"].tolist() == count_cells(calls, res)["count"].head(7).tolist()
    gdf = gpd.read_file(io.BytesIO(bundle.files["patrol.geojson"]))
    assert gdf["n_incidents"].tolist() == plan["n_incidents"].tolist()
    assert bundle.provenance.n_incidents == len(calls)
    assert bundle.provenance.filters == "years 2021; offenses theft"
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 7


def test_presenter_export_hides_calls_and_small_clusters():
    # DBSCAN 100 m / 30 given in the link: with auto's 46 m / 7 the rounded centre of one
    # cluster (43.298, 68.250, a 0.001° lattice point) falls by chance within 1 m of a call
    # at (43.297998, 68.25), which this 1 m detector cannot tell from a leak
    query = {"presenter": "1", "k": "40", "lang": "ru", "eps": "100", "minpts": "30"}
    at = goto(run(new_app(query)), "export")
    assert t("patrol.presenter_note", "ru", k=40) in texts(at)
    bundle = make_files(at, NO_CHROMIUM, method="clusters")
    calls = sample().calls
    labels = dbscan_labels(calls, eps=100, min_samples=30)  # the parameters in the link
    sizes = np.sort(np.bincount(labels[labels >= 0]))[::-1]
    assert bundle.plan["n_incidents"].tolist() == sizes[sizes >= 40][:10].tolist()
    for name in NO_CHROMIUM:
        assert leaked_calls(bundle.files[name].decode("utf-8"), calls, sample().venues) == 0
    assert '<html lang="ru">' in bundle.files["patrol.html"].decode()


def test_report_pdf_from_the_app_is_one_page():
    from pypdf import PdfReader

    at = goto(run(new_app({"lang": "kk"})), "export")
    assert t("page.export", "kk") in [h.value for h in at.header]
    bundle = make_files(at, ["report.pdf"])
    assert list(bundle.files) == ["report.pdf"]
    assert len(PdfReader(io.BytesIO(bundle.files["report.pdf"])).pages) == 1
    assert at.get("download_button")[0].proto.label == "report.pdf"


def _sprawl_and_knot_csv(path):
    """tests/test_patrol.py's ``_sprawl_and_knot`` as a calls file: a 1.5 km x 1.5 km square
    of calls 50 m apart (one DBSCAN cluster of 2.25 km² at eps 75 m) and a knot of 40 calls."""
    m_lat = 6_371_008.8 * np.pi / 180
    lat0, lon0 = 43.30, 68.25
    m_lon = m_lat * np.cos(np.radians(lat0))
    g = np.arange(31) * 50.0
    yy, xx = np.meshgrid(g, g)
    rng = np.random.default_rng(3)
    lat = np.r_[lat0 + yy.ravel() / m_lat, lat0 + (-3000 + rng.uniform(-5, 5, 40)) / m_lat]
    lon = np.r_[lon0 + xx.ravel() / m_lon, lon0 + rng.uniform(-5, 5, 40) / m_lon]
    frame = pd.DataFrame(
        {
            "id": np.arange(1, len(lat) + 1),
            "date": "2021-03-03 12:00",
            "type": "theft",
            "latitude": lat,
            "longitude": lon,
        }
    )
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_export_warns_of_a_hotspot_larger_than_a_patrol_area(tmp_path, monkeypatch, lang):
    from hotspots.patrol import PATROL_AREA_KM2, oversized_lines

    monkeypatch.setenv("HOTSPOTS_CALLS", str(_sprawl_and_knot_csv(tmp_path / "calls.csv")))
    query = {"lang": lang, "eps": "75", "minpts": "5"}
    at = goto(run(new_app(query)), "export")
    bundle = make_files(at, ["patrol.csv"], method="clusters")
    plan = bundle.plan
    assert plan["n_incidents"].tolist() == [31 * 31, 40]
    assert plan["oversized"].tolist() == [True, False]
    assert plan["area_km2"].iloc[0] > PATROL_AREA_KM2
    expected = oversized_lines(plan, lang)
    assert len(expected) == 1 and expected[0].startswith("⚠ #1")
    assert t("patrol.hotspot", lang) not in expected[0]  # a place or its rank, never an id
    assert t("patrol.oversized_clusters", lang) in expected[0]
    # the line's leading ⚠ becomes the alert's icon, the rest its text
    assert [(w.proto.icon, w.value) for w in at.warning] == [
        ("⚠", line.removeprefix("⚠ ")) for line in expected
    ]
    # the same calls as H3 cells: every cell is far smaller than a patrol area, no warning
    bundle = make_files(at, ["patrol.csv"], method="cells")
    assert not bundle.plan["oversized"].any()
    assert [w.value for w in at.warning] == []
