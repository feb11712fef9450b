"""``hotspots report``: every take-away written into a folder, on the sample and on Chicago."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from cli_support import CHICAGO, run
from conftest import real_file
from export_support import as_int, html_tables, leaked_calls, png_facts, unescape_js

from hotspots.clusters import dbscan_labels
from hotspots.filters import Filters, apply_filters
from hotspots.grid import count_cells
from hotspots.i18n import t
from hotspots.report import BUNDLE_FILES
from hotspots.temporal import yearly_by_offense


def check_files(folder, calls, venues=None):
    """Every file exists and parses; returns them read (plan, geojson, texts)."""
    from pypdf import PdfReader

    for name in BUNDLE_FILES:
        assert (folder / name).stat().st_size > 0, name
    plan = pd.read_csv(folder / "patrol.csv", encoding="utf-8-sig", dtype={"hotspot": str})
    gdf = gpd.read_file(folder / "patrol.geojson")
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == len(plan)
    assert gdf["n_incidents"].tolist() == plan["n_incidents"].tolist()
    assert len(PdfReader(folder / "report.pdf").pages) == 1
    size, spread, colours = png_facts((folder / "briefing.png").read_bytes())
    assert size == (1920, 1080) and spread > 5 and colours > 50
    texts = {
        n: (folder / n).read_text(encoding="utf-8")
        for n in ("patrol.csv", "patrol.geojson", "patrol.html", "briefing.html", "report.html")
    }
    for n in ("patrol.html", "briefing.html", "report.html"):
        assert texts[n].rstrip().endswith("</html>")
    # the report's offense table holds temporal.yearly_by_offense's counts
    yearly = yearly_by_offense(calls)
    table = html_tables(texts["report.html"])["offenses"]
    years = [int("".join(c for c in h if c.isdigit())) for h in table[0][1:-1]]
    all_row = yearly[yearly["offense"] == "all"].set_index("year")["count"]
    assert [as_int(c) for c in table[1][1:-1]] == [all_row[y] for y in years]
    if len(years) == len(all_row):  # every year shown: the row adds up to the calls
        assert sum(as_int(c) for c in table[1][1:-1]) == len(calls)
    return plan, gdf, texts


def test_sample_report(capsys, tmp_path, sample):
    out = tmp_path / "out"
    code, text, err = run(
        capsys, "report", "--sample", "-o", str(out), "--lang", "kk", "--tiles", "none"
    )
    assert code == 0, err
    assert "8681 calls from sample; 10 hotspots (cells)" in text
    plan, gdf, texts = check_files(out, sample.calls, sample.venues)
    cc = count_cells(sample.calls, 9).head(10)
    assert plan["hotspot"].tolist() == cc["cell"].tolist()
    assert plan["n_incidents"].tolist() == cc["count"].tolist()
    prov = json.loads(texts["patrol.geojson"])["provenance"]
    assert prov["source"] == "sample" and prov["parameters"]["resolution"] == 9
    assert prov["parameters"]["lang"] == "kk" and prov["n_incidents"] == len(sample.calls)
    assert (plan["prov_made_at"] == prov["made_at"]).all()
    assert '<html lang="kk">' in texts["report.html"]
    assert "more than one patrol can cover" not in err  # no sample hotspot is too large
    assert not plan["oversized"].any()
    # a reader sees the bundled sample by its name in the chosen language, not "sample"
    sample_kk = t("msg.sample_data", "kk")
    caption = unescape_js(texts["briefing.html"])
    assert t("caption.source", "kk", source=sample_kk) in caption
    assert t("caption.source", "kk", source="sample") not in caption
    for n in ("patrol.html", "report.html"):
        footer = texts[n].split('<footer class="provenance">')[1]
        assert f"{t('prov.source', 'kk')}:</span> {sample_kk}" in footer
        assert "method=" not in footer and "8\u00a0681" in footer


def test_presenter_report_with_filters_shows_no_call(capsys, tmp_path, sample):
    out = tmp_path / "out"
    code, _, err = run(
        capsys,
        "report",
        "--sample",
        "-o",
        str(out),
        "--years",
        "2021",
        "--offenses",
        "theft,hooliganism",
        "--eps",
        "100",
        "--min-samples",
        "20",
        "--presenter",
        "--min-count",
        "25",
        "--lang",
        "ru",
        "--tiles",
        "none",
    )
    assert code == 0, err
    calls = apply_filters(sample.calls, Filters(years=(2021,), offenses=("theft", "hooliganism")))
    plan, _, texts = check_files(out, calls, sample.venues)
    labels = dbscan_labels(calls, eps=100, min_samples=20)
    sizes = np.sort(np.bincount(labels[labels >= 0]))[::-1]
    assert plan["n_incidents"].tolist() == sizes[sizes >= 25][:10].tolist()
    assert (plan["method"] == "clusters").all()
    for name, text in texts.items():
        assert leaked_calls(text, calls, sample.venues) == 0, name
    assert "min_count=25" in plan["prov_parameters"].iloc[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (("--min-count", "3"), "--min-count is the presenter mode's suppression"),
        (("--eps", "50", "--method", "cells"), "--eps and --min-samples are for --method clusters"),
        (("--resolution", "8", "--method", "clusters"), "--resolution is for --method cells"),
        (("--resolution", "13"), "resolution"),
        (("--top", "0"), "top"),
        (("--years", "1999"), "no calls pass the filters"),
    ],
)
def test_bad_flags_are_one_line_errors(capsys, tmp_path, args, message):
    code, _, err = run(capsys, "report", "--sample", "-o", str(tmp_path / "x"), *args)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x" / "report.pdf").exists()


def test_no_input_is_an_error(capsys, tmp_path):
    code, _, err = run(capsys, "report", "-o", str(tmp_path / "x"))
    assert code == 2 and "no input" in err


def test_chicago_report(capsys, tmp_path):
    from hotspots import io as hio

    path = real_file(*CHICAGO)
    out = tmp_path / "chicago"
    code, _, err = run(
        capsys,
        "report",
        str(path),
        "-o",
        str(out),
        "--years",
        "2018",
        "--offenses",
        "theft",
        "--method",
        "clusters",
        "--eps",
        "150",
        "--min-samples",
        "10",
        "--presenter",
        "--min-count",
        "10",
        "--lang",
        "en",
        "--tiles",
        "none",
        "--top",
        "8",
    )
    assert code == 0, err
    calls = apply_filters(
        hio.read_incidents(path).accepted, Filters(years=(2018,), offenses=("theft",))
    )
    plan, _, texts = check_files(out, calls)
    labels = dbscan_labels(calls, eps=150, min_samples=10)
    sizes = np.sort(np.bincount(labels[labels >= 0]))[::-1]
    assert plan["n_incidents"].tolist() == sizes[:8].tolist()
    assert (plan["location"].str.startswith("mostly ")).all()
    for name, text in texts.items():
        assert leaked_calls(text, calls) == 0, name
    report = texts["report.html"]
    assert "chicago_crimes_2017_2019_sample25k.csv" in report
    assert "years 2018; offenses theft" in report
