"""Provenance: what every export says about its data, filters, parameters, date and version."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from hotspots.filters import Filters
from hotspots.i18n import LANGS, t
from hotspots.provenance import NO_FILTERS, Provenance, make_provenance, tool_version

WHEN = dt.datetime(2024, 5, 1, 9, 30, 15)


def test_as_dict_is_json_and_complete():
    p = Provenance(
        "calls.csv",
        "years 2021",
        {"method": "cells", "resolution": 9, "eps": 150.0, "offenses": ("theft", "fight")},
        made_at=WHEN,
        version="1.2.3",
        n_incidents=42,
        period_start="2021-01-01",
        period_end="2021-12-31",
    )
    d = json.loads(json.dumps(p.as_dict()))
    assert d == {
        "source": "calls.csv",
        "filters": "years 2021",
        "parameters": {
            "method": "cells",
            "resolution": 9,
            "eps": 150.0,
            "offenses": ["theft", "fight"],
        },
        "made_at": "2024-05-01T09:30:15",
        "tool": "hotspots",
        "version": "1.2.3",
        "n_incidents": 42,
        "period_start": "2021-01-01",
        "period_end": "2021-12-31",
    }
    assert p.parameters_text() == "method=cells, resolution=9, eps=150, offenses=theft, fight"
    assert p.period == "2021-01-01 – 2021-12-31"


@pytest.mark.parametrize("lang", LANGS)
def test_text_has_every_item_with_labels_in_the_language(lang):
    p = Provenance("calls.csv", "years 2021", {"resolution": 9}, made_at=WHEN, version="0.9")
    text = p.as_text(lang)
    for key, value in [
        ("prov.source", "calls.csv"),
        ("prov.filters", "years 2021"),
        ("prov.parameters", f"{t('tune.resolution', lang)}: 9"),
        ("prov.made", "2024-05-01 09:30"),
        ("prov.tool", "hotspots 0.9"),
    ]:
        assert f"{t(key, lang)}: {value}" in text


def test_labels_differ_between_languages():
    p = Provenance("s", "x", made_at=WHEN)
    texts = {lang: p.as_text(lang) for lang in LANGS}
    assert len(set(texts.values())) == len(LANGS)


def test_make_provenance_counts_period_and_hides_directories():
    calls = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(
                ["2020-03-05 10:00", "2019-12-31 23:59", "2021-01-02 00:00"]
            ),
        }
    )
    p = make_provenance(
        "/home/analyst/secret/calls.csv",
        Filters(years=(2019, 2020), hours=(18, 19, 20)),
        {"top": 10},
        incidents=calls,
        made_at=WHEN.replace(microsecond=123),
    )
    assert p.source == "calls.csv"
    assert p.filters == "years 2019, 2020; hours 18-20"
    assert p.n_incidents == 3
    assert (p.period_start, p.period_end) == ("2019-12-31", "2021-01-02")
    assert p.made_at == WHEN
    assert p.version == tool_version()


@pytest.mark.parametrize("lang", LANGS)
def test_no_filter_is_said_in_the_language(lang):
    p = make_provenance("sample", None)
    assert p.filters == NO_FILTERS
    assert p.filters_text(lang) == t("prov.no_filters", lang)
    assert t("prov.no_filters", lang) in p.as_text(lang)


def test_month_only_data_gives_a_period_in_months():
    # police.uk records the month only: every call is stamped on the first of its month
    calls = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(["2018-03-01", "2018-01-01", "2018-12-01"]),
            "time_precision": ["month"] * 3,
        }
    )
    p = make_provenance("gmp.csv", None, incidents=calls, made_at=WHEN)
    assert (p.period_start, p.period_end) == ("2018-01", "2018-12")
    assert p.period == "2018-01 – 2018-12"
    assert f"{t('prov.period', 'ru')}: 2018-01 – 2018-12" in p.as_text("ru")


def test_day_precision_data_keeps_its_dates():
    calls = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(["2018-03-01", "2018-01-01", "2018-12-01"]),
            "time_precision": ["day", "minute", "hour"],
        }
    )
    p = make_provenance("calls.csv", None, incidents=calls, made_at=WHEN)
    assert p.period == "2018-01-01 – 2018-12-01"


def test_real_police_uk_file_period_is_in_months():
    from conftest import real_file

    from hotspots import io as hio

    path = real_file("uk_manchester_merseyside", "gmp_burglary_2016_2019.csv")
    calls = hio.read_incidents(path).accepted
    calls = calls[calls["occurred_at"].dt.year == 2018]
    p = make_provenance(path, None, incidents=calls, made_at=WHEN)
    assert p.period == "2018-01 – 2018-12"


@pytest.mark.parametrize("lang", LANGS)
def test_footer_numbers_and_parameters_read_in_the_language(lang):
    from hotspots.patrol import PatrolParams

    p = PatrolParams(method="clusters", eps=75.5, min_samples=30)
    params = {**p.describe(presenter=True), "lang": "ru"}
    p = Provenance("calls.csv", "x", params, made_at=WHEN, version="0", n_incidents=8681)
    rows = dict(p.lines(lang))
    grouped = {"en": "8,681", "ru": "8\u00a0681", "kk": "8\u00a0681"}[lang]
    assert rows[t("prov.incidents", lang)] == grouped
    decimal = "." if lang == "en" else ","
    assert rows[t("prov.parameters", lang)] == "; ".join(
        [
            f"{t('export.method', lang)}: {t('export.method_clusters', lang)}",
            f"{t('export.top', lang)}: 10",
            f"{t('tune.eps', lang)}: 75{decimal}5",
            f"{t('tune.min_samples', lang)}: 30",
            t("ui.presenter_mode", lang),
            f"{t('ui.min_count', lang)}: 5",
            f"{t('ui.language', lang)}: Русский",
        ]
    )
    assert "=" not in p.as_text(lang)
    # the machine-readable provenance keeps the raw names and values
    assert p.as_dict()["parameters"] == {
        "method": "clusters",
        "top": 10,
        "eps_m": 75.5,
        "min_samples": 30,
        "presenter": True,
        "min_count": 5,
        "lang": "ru",
    }
    assert p.parameters_text() == (
        "method=clusters, top=10, eps_m=75.5, min_samples=30, presenter=yes, min_count=5, lang=ru"
    )


def test_unknown_parameters_keep_their_name_with_the_number_formatted():
    p = Provenance("s", "x", {"grid_m": 1500, "share": 0.05}, made_at=WHEN, version="0")
    assert p.parameters_words("ru") == "grid_m=1\u00a0500; share=0,05"
    assert p.parameters_words("en") == "grid_m=1,500; share=0.05"


@pytest.mark.parametrize("lang", LANGS)
def test_the_bundled_sample_is_named_in_the_language(lang):
    p = make_provenance("sample", None, made_at=WHEN)
    assert dict(p.lines(lang))[t("prov.source", lang)] == t("msg.sample_data", lang)
    assert p.as_dict()["source"] == "sample"
    both = Provenance("sample + venues.csv", "x", made_at=WHEN, version="0")
    assert both.source_text(lang) == t("msg.sample_data", lang) + " + venues.csv"
    assert Provenance("sample_2021.csv", "x", made_at=WHEN).source_text(lang) == "sample_2021.csv"
