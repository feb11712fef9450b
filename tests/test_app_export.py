"""The Export page (AppTest): the take-aways of the view in force, ready to download."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from app_support import goto, new_app, run, sample, texts
from export_support import leaked_calls

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
    assert plan["n_incidents"].tolist() == count_cells(calls, 9)["count"].head(7).tolist()
    gdf = gpd.read_file(io.BytesIO(bundle.files["patrol.geojson"]))
    assert gdf["n_incidents"].tolist() == plan["n_incidents"].tolist()
    assert bundle.provenance.n_incidents == len(calls)
    assert bundle.provenance.filters == "years 2021; offenses theft"
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 7


def test_presenter_export_hides_calls_and_small_clusters():
    at = goto(run(new_app({"presenter": "1", "k": "40", "lang": "ru"})), "export")
    assert t("patrol.presenter_note", "ru", k=40) in texts(at)
    bundle = make_files(at, NO_CHROMIUM, method="clusters")
    calls = sample().calls
    labels = dbscan_labels(calls, eps=100, min_samples=30)  # the app's default parameters
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
