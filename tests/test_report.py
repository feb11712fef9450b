"""The one-page report: its figures are the library's, it has one page, in three languages."""

from __future__ import annotations

import base64
import io
import json
import re
from html import escape as html_escape

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import real_file
from export_support import as_int, html_tables, leaked_calls, png_facts, unescape_js

from hotspots.errors import ParameterError
from hotspots.filters import Filters, apply_filters
from hotspots.i18n import LANGS, offense_label, t
from hotspots.patrol import PatrolParams, patrol_plan
from hotspots.provenance import make_provenance
from hotspots.report import (
    BUNDLE_FILES,
    REMAINING,
    build_report_bundle,
    offense_table,
    report_html,
    report_pdf,
    top_venues,
)
from hotspots.temporal import yearly_by_offense
from hotspots.venues import attribute_to_venues, rank_venues


def pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


# --- the offense table --------------------------------------------------------------------
def test_offense_table_by_hand():
    df = pd.DataFrame(
        {
            "year": [2019] * 4 + [2020] * 3 + [2021] * 2,
            "month": [1, 2, 3, 4, 1, 1, 1, 6, 6],
            "offense": ["a", "a", "b", "c", "a", "b", "d", "b", "d"],
        }
    )
    tab = offense_table(df, max_rows=2, max_years=2)
    # busiest over the whole period: a (3), b (3) -> alphabetical; then c (1), d (2) summed
    assert tab["offense"].tolist() == ["all", "a", "b", REMAINING]
    assert tab.attrs["years"] == [2020, 2021]
    assert tab[2020].tolist() == [3, 1, 1, 1]
    assert tab[2021].tolist() == [2, 0, 1, 1]
    assert tab["total"].tolist() == [9, 3, 3, 3]
    assert tab["n_types"].tolist() == [4, 1, 1, 2]
    assert tab["change"].tolist() == [-1, -1, 0, 0]
    assert tab["change_pct"].iloc[1] == pytest.approx(-100.0)
    assert tab["change_pct"].iloc[0] == pytest.approx(-100 / 3)
    assert tab.attrs["months"] == {2019: 4, 2020: 1, 2021: 1}


def test_single_year_has_no_change():
    df = pd.DataFrame({"year": [2021, 2021], "month": [1, 2], "offense": ["a", "b"]})
    tab = offense_table(df)
    assert tab[2021].tolist() == [2, 1, 1]
    assert tab["change"].isna().all() and tab["change_pct"].isna().all()


def test_offense_table_is_yearly_by_offense_on_the_sample(sample):
    tab = offense_table(sample.calls)
    yearly = yearly_by_offense(sample.calls).set_index(["offense", "year"])
    last, prev = tab.attrs["years"][-1], tab.attrs["years"][-2]
    for r in tab.to_dict("records"):
        for y in tab.attrs["years"]:
            assert r[y] == yearly.loc[(r["offense"], y), "count"]
        assert r["change"] == yearly.loc[(r["offense"], last), "change"]
        assert r["change"] == r[last] - r[prev]
        assert r["change_pct"] == pytest.approx(yearly.loc[(r["offense"], last), "change_pct"])
    # thefts fall and hooliganism rises on the sample
    by = tab.set_index("offense")
    assert by.loc["theft", "change"] < 0 < by.loc["hooliganism", "change"]


def test_top_venues_are_rank_venues(sample):
    got = top_venues(sample.calls, sample.venues, radius_m=50, n=5)
    att = attribute_to_venues(sample.calls, sample.venues, radius=50)
    ref = rank_venues(sample.calls, sample.venues, att).head(5)
    assert got["venue_id"].tolist() == ref["venue_id"].tolist()
    assert got["calls"].tolist() == ref["calls"].tolist()
    assert top_venues(sample.calls, None) is None


# --- the HTML -----------------------------------------------------------------------------
def make_report(calls, venues, *, lang="en", presenter=False, params=None, png=None, **kw):
    p = params or PatrolParams()
    prov = make_provenance(
        "calls.csv", kw.pop("filters", None), p.describe(presenter), incidents=calls
    )
    plan = patrol_plan(calls, venues, p, presenter=presenter, lang=lang)
    html = report_html(
        calls,
        provenance=prov,
        plan=plan,
        params=p,
        venues=venues,
        map_png=png,
        presenter=presenter,
        lang=lang,
        **kw,
    )
    return html, plan, prov


def check_figures(html, calls, venues, plan, lang):
    """The report's tables hold the library's figures for the same calls."""
    tables = html_tables(html)
    offenses = tables["offenses"]
    years = [int(re.sub(r"\D", "", c)) for c in offenses[0][1:-1]]
    yearly = yearly_by_offense(calls).set_index(["offense", "year"])["count"]
    tab = offense_table(calls)
    assert years == tab.attrs["years"]
    assert len(offenses) - 1 == len(tab)
    for row, key in zip(offenses[1:], tab["offense"], strict=True):
        if key == "all":
            assert row[0] == t("report.all_offenses", lang)
        elif key != REMAINING:
            assert row[0] == offense_label(key, lang)
        for cell, y in zip(row[1:-1], years, strict=True):
            if key == REMAINING:
                assert as_int(cell) == int(tab.set_index("offense").loc[REMAINING, y])
            else:
                assert as_int(cell) == yearly[(key, y)]
        if len(years) > 1:  # the change of the last year from the one before
            counts = tab.set_index("offense").loc[key]
            assert as_int(row[-1].split("(")[0]) == counts[years[-1]] - counts[years[-2]]
            if key != REMAINING:
                assert counts[years[-1]] - counts[years[-2]] == (
                    yearly[(key, years[-1])] - yearly[(key, years[-2])]
                )
    hot = tables["hotspots"]
    assert [as_int(r[2]) for r in hot[1:]] == plan["n_incidents"].head(5).tolist()
    assert [r[1] for r in hot[1:]] == [x or "—" for x in plan["location"].head(5)]
    if venues is not None:
        ref = top_venues(calls, venues)
        assert [as_int(r[2]) for r in tables["venues"][1:]] == ref["calls"].tolist()


@pytest.mark.parametrize("lang", LANGS)
def test_report_figures_are_the_library_figures(sample, lang):
    f = Filters(years=(2020, 2021), hours=tuple(range(18, 24)))
    calls = apply_filters(sample.calls, f)
    html, plan, prov = make_report(calls, sample.venues, lang=lang, filters=f)
    check_figures(html, calls, sample.venues, plan, lang)
    assert f'<html lang="{lang}">' in html and t("report.title", lang) in html
    for label, _ in prov.lines(lang):
        assert label in html
    assert "years 2020, 2021; hours 18-23" in html
    meta = re.search(r"<meta name=\"hotspots-provenance\" content='(.*?)'>", html).group(1)
    assert json.loads(meta.replace("&#34;", '"')) == prov.as_dict()


@pytest.mark.parametrize("lang", LANGS)
def test_report_footer_reads_in_the_language(sample, lang):
    from html.parser import HTMLParser

    p = PatrolParams(top=10, resolution=9)
    prov = make_provenance("sample", None, {**p.describe(), "lang": lang}, incidents=sample.calls)
    plan = patrol_plan(sample.calls, sample.venues, p, lang=lang)
    html = report_html(sample.calls, provenance=prov, plan=plan, params=p, lang=lang)

    class Footer(HTMLParser):
        inside, text = False, ""

        def handle_starttag(self, tag, attrs):
            self.inside |= tag == "footer"

        def handle_endtag(self, tag):
            self.inside &= tag != "footer"

        def handle_data(self, data):
            if self.inside:
                self.text += data

    parser = Footer()
    parser.feed(html)
    footer = re.sub(r"[ \t\r\n]+", " ", parser.text)  # keeps the no-break spaces
    n = {"en": "8,681", "ru": "8\u00a0681", "kk": "8\u00a0681"}[lang]
    assert len(sample.calls) == 8681
    assert f"{t('prov.incidents', lang)}: {n}" in footer
    assert f"{t('prov.source', lang)}: {t('msg.sample_data', lang)}" in footer
    assert f"{t('tune.resolution', lang)}: 9" in footer
    assert f"{t('export.method', lang)}: {t('export.method_cells', lang)}" in footer
    assert f"{t('ui.language', lang)}: {t('lang.' + lang, lang)}" in footer
    assert "method=" not in footer and "lang=" not in footer and ": sample" not in footer
    # the machine-readable provenance is unchanged
    meta = re.search(r"<meta name=\"hotspots-provenance\" content='(.*?)'>", html).group(1)
    d = json.loads(meta.replace("&#34;", '"'))
    assert d["source"] == "sample" and d["n_incidents"] == 8681
    assert d["parameters"] == {"method": "cells", "top": 10, "resolution": 9, "lang": lang}


def test_report_embeds_the_map_png(sample):
    png = b"\x89PNG\r\n\x1a\n" + b"not really a picture"
    html, *_ = make_report(sample.calls, sample.venues, png=png)
    uri = re.search(r'<img src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(uri) == png
    assert not re.search(r"(src|href)=\"https?://", html)


def test_presenter_report_lists_no_small_hotspot_and_no_call(sample):
    p = PatrolParams(method="clusters", min_count=200, top=10)
    html, plan, _ = make_report(sample.calls, sample.venues, presenter=True, params=p)
    assert (plan["n_incidents"] >= 200).all() and len(plan) < 10
    assert t("patrol.presenter_note", "en", k=200) in html
    assert leaked_calls(html, sample.calls, sample.venues) == 0


def test_hostile_names_are_text(sample):
    venues = sample.venues.copy()
    venues["name"] = "<script>alert(1)</script>"
    html, *_ = make_report(sample.calls, venues, title="<b>Report</b>")
    assert "<script>alert" not in html and "<b>Report</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- the PDF --------------------------------------------------------------------------------
def test_sample_bundle_pdf_is_one_page_with_the_figures(sample, browser):
    b = build_report_bundle(
        sample.calls, sample.venues, sample.boundary, source="sample", lang="ru", browser=browser
    )
    assert list(b.files) == list(BUNDLE_FILES)
    pdf = b.files["report.pdf"]
    assert pdf.startswith(b"%PDF") and pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    assert t("report.title", "ru") in text
    total = f"{len(sample.calls):,}".replace(",", "\u00a0")
    assert total in text or total.replace("\u00a0", " ") in text
    size, spread, _ = png_facts(b.files["briefing.png"])
    assert size == (1920, 1080) and spread > 10
    html = b.files["report.html"].decode()
    assert base64.b64encode(b.files["briefing.png"]).decode() in html
    # every file carries the same provenance
    made = b.provenance.made_at.isoformat()
    assert json.loads(b.files["patrol.geojson"])["provenance"]["made_at"] == made
    assert made in pd.read_csv(io.BytesIO(b.files["patrol.csv"]))["prov_made_at"].iloc[0]
    from PIL import Image

    png_meta = Image.open(io.BytesIO(b.files["briefing.png"])).text["hotspots-provenance"]
    assert json.loads(png_meta) == b.provenance.as_dict()
    for name in ("patrol.html", "briefing.html", "report.html"):
        assert b.provenance.made_at.strftime("%Y-%m-%d %H:%M") in b.files[name].decode()


def test_overlong_report_is_scaled_onto_one_page(sample, browser):
    venues = sample.venues.copy()
    venues["name"] = [f"Venue {i} " + "with a very long name " * 12 for i in range(len(venues))]
    html, *_ = make_report(
        sample.calls, venues, lang="kk", params=PatrolParams(top=10), title="Title " * 30, png=None
    )
    pdf = report_pdf(html, browser=browser)
    assert pdf_pages(pdf) == 1
    page = browser.new_page(viewport={"width": 1024, "height": 1400})
    try:
        page.set_content(html)
        scale = float(page.evaluate("document.documentElement.getAttribute('data-fit-scale')"))
    finally:
        page.close()
    assert scale < 1.0


def test_unknown_bundle_file_is_refused(sample):
    with pytest.raises(ParameterError, match="files"):
        build_report_bundle(sample.calls, source="sample", files=("report.docx",))


def test_bundle_without_chromium_files(sample):
    b = build_report_bundle(
        sample.calls,
        sample.venues,
        sample.boundary,
        source="sample",
        files=("patrol.geojson", "briefing.html"),
        lang="kk",
    )
    assert list(b.files) == ["patrol.geojson", "briefing.html"]
    gdf = gpd.read_file(io.BytesIO(b.files["patrol.geojson"]))
    assert gdf["n_incidents"].tolist() == b.plan["n_incidents"].tolist()
    assert b.counts["cells_shown"] > 0
    assert b.media_type("patrol.geojson") == "application/geo+json"


# --- real data ----------------------------------------------------------------------------
def test_chicago_report_figures():
    from hotspots import io as hio

    path = real_file("chicago_cpd_2017_2019", "chicago_crimes_2017_2019_sample25k.csv")
    calls = hio.read_incidents(path).accepted
    f = Filters(weekdays=(4, 5, 6))
    sub = apply_filters(calls, f)
    html, plan, _ = make_report(sub, None, lang="en", filters=f)
    check_figures(html, sub, None, plan, "en")
    tab = offense_table(sub)
    # 30 offense types: 10 listed, the rest summed, and the sums add up
    assert tab["offense"].iloc[-1] == REMAINING
    assert tab["total"].iloc[1:].sum() == tab["total"].iloc[0] == len(sub)
    # 2019 stops at the end of September: flagged as a partial year
    assert tab.attrs["months"][2019] == 9
    assert t("report.partial_year", "en", year=2019, months=9) in html
    assert np.all(plan["location"].str.startswith("mostly "))


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_filters_are_printed_in_the_report_language(sample, lang):
    # the CLI and the app pass Filters; the files used to print the English
    # "years 2021; offenses hooliganism, fight; hours 0-3,22-23; weekdays fri, sat"
    from hotspots.filters import parse_hours, parse_weekdays
    from hotspots.i18n import describe_filters

    f = Filters(
        years=[2021],
        offenses=["hooliganism", "fight"],
        hours=parse_hours("22-3"),
        weekdays=parse_weekdays("fri,sat"),
    )
    calls = apply_filters(sample.calls, f)
    b = build_report_bundle(
        calls,
        sample.venues,
        sample.boundary,
        source="sample",
        filters=f,
        files=("patrol.html", "briefing.html"),
        lang=lang,
    )
    words = describe_filters(f, lang)
    assert offense_label("hooliganism", lang) in words
    patrol = b.files["patrol.html"].decode("utf-8")
    briefing = unescape_js(b.files["briefing.html"].decode("utf-8"))
    for text in (patrol, briefing):
        shown = re.sub(r"<meta[^>]*>", "", text)  # the <meta> provenance keeps its codes
        assert "offenses hooliganism" not in shown and "weekdays fri" not in shown
    assert patrol.count(words) == 2  # under the title and in the footer
    assert t("caption.filters", lang, filters=words) in briefing
    plan = patrol_plan(calls, sample.venues, PatrolParams(), lang=lang)
    html = report_html(
        calls,
        provenance=b.provenance,
        plan=plan,
        venues=sample.venues,
        lang=lang,
        filters=f,
    )
    assert html.count(words) == 2
    assert "offenses hooliganism" not in re.sub(r"<meta[^>]*>", "", html)
    # the machine-readable provenance keeps its codes
    assert b.provenance.filters == f.describe()


def test_peak_hours_stay_on_one_line_in_the_printed_pages(sample, browser):
    # the Russian report broke "10:00–13:00" after the dash in its narrow column
    from hotspots.patrol import patrol_html

    html, plan, prov = make_report(sample.calls, sample.venues, lang="ru")
    patrol = patrol_html(plan, provenance=prov, venues=sample.venues, lang="ru")
    lines_per_cell = """() => Array.from(document.querySelectorAll("td.time")).map((td) => {
        const r = document.createRange();
        r.selectNodeContents(td);
        return new Set(Array.from(r.getClientRects()).map((b) => Math.round(b.top))).size;
    })"""
    for page_html in (html, patrol):
        page = browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
        try:
            page.set_content(page_html)
            lines = page.evaluate(lines_per_cell)
        finally:
            page.close()
        assert len(lines) >= 5 and set(lines) == {1}, lines


def test_kazakh_headline_figures_read_as_shares(sample):
    # "27% / шақырулар: Ұрлық" and "28,8% / шақырулар 10 негізгі ошақта" are not Kazakh
    # sentences; the labels under the figures now name the share they are
    html, plan, _ = make_report(sample.calls, sample.venues, lang="kk")
    labels = re.findall(r'<div class="l">([^<]*)</div>', html)
    theft = offense_label("theft", "kk")
    assert theft == "Ұрлық"
    assert f"шақырулардағы {theft} үлесі" in labels
    assert f"{len(plan)} негізгі ошақтағы шақырулар үлесі" in labels


@pytest.mark.parametrize("lang", LANGS)
def test_report_marks_a_hotspot_larger_than_a_patrol_area(lang):
    from test_patrol import _sprawl_and_knot

    from hotspots.i18n import format_number
    from hotspots.patrol import oversized_lines

    calls = _sprawl_and_knot()
    p = PatrolParams(method="clusters", eps=75, min_samples=5)
    html, plan, _ = make_report(calls, None, lang=lang, params=p)
    assert plan["oversized"].tolist() == [True, False]
    hot = html_tables(html)["hotspots"]
    assert hot[0][-1] == t("tip.area_km2", lang)
    area = [format_number(a, lang, 3) for a in plan["area_km2"]]  # as the printable plan
    assert [r[-1] for r in hot[1:]] == [f"⚠ {area[0]}", area[1]]  # only the big one marked
    assert html.count('<strong class="oversized">') == 1
    # under the table, the printable plan's warning line, in the report's language
    (line,) = oversized_lines(plan, lang)
    assert t("patrol.oversized_clusters", lang) in line
    assert f'<div class="meta oversized">{html_escape(line)}</div>' in html
    assert html.count('class="meta oversized"') == 1


def test_report_without_an_oversized_hotspot_has_no_warning(sample):
    html, plan, _ = make_report(sample.calls, sample.venues)  # H3 cells of ~0.1 km²
    assert not plan["oversized"].any()
    assert "oversized" not in html.split("</style>", 1)[1] and "⚠" not in html
    hot = html_tables(html)["hotspots"]
    assert all("⚠" not in r[-1] and float(r[-1]) < 1 for r in hot[1:])
