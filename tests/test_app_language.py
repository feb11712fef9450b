"""Languages (AppTest): every page in kk/ru/en, switchable at any time, kept in the URL."""

from __future__ import annotations

import json

import pytest
from app_support import REPO_ROOT, goto, map_args, metrics, new_app, run, texts

CATALOGUES = {
    lang: json.loads((REPO_ROOT / "hotspots" / "locales" / f"{lang}.json").read_text("utf-8"))
    for lang in ("kk", "ru", "en")
}


def lang_switch(at):
    return [w for w in at.button_group if w.key == "w:lang"][0]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_url_language_labels_the_sidebar_and_the_map(lang):
    cat = CATALOGUES[lang]
    at = run(new_app({"lang": lang}))
    labels = [w.label for w in at.multiselect]
    assert labels == [cat["filter.years"], cat["filter.offenses"]]
    assert cat["map.calls"] in metrics(at)
    assert at.header[0].value == cat["app.title"]
    # the layer names inside the map (JSON-encoded in the layer control)
    assert json.dumps(cat["layer.cells"]) in map_args(at)["script"]
    assert lang_switch(at).value == lang


def test_switching_language_changes_labels_and_keeps_the_filters():
    at = run(new_app({"years": "2021"}))
    calls_en = metrics(at)["Calls"]
    lang_switch(at).set_value("ru")
    run(at)
    ru = CATALOGUES["ru"]
    assert at.query_params["lang"] == "ru"
    assert at.query_params["years"] == "2021"
    assert [w.label for w in at.multiselect][0] == ru["filter.years"]
    assert [w for w in at.multiselect if w.label == ru["filter.years"]][0].value == [2021]
    # Russian digit grouping, same number
    assert metrics(at)[ru["map.calls"]].replace("\xa0", "") == calls_en.replace(",", "")
    lang_switch(at).set_value("kk")
    run(at)
    assert at.header[0].value == CATALOGUES["kk"]["app.title"]
    assert "Ұрлық" in [w for w in at.multiselect][1].options  # offense names translated


def test_the_browser_language_is_the_default():
    at = run(new_app(locale="ru-RU"))
    assert at.header[0].value == CATALOGUES["ru"]["app.title"]
    at = run(new_app(locale="de-DE"))
    assert at.header[0].value == CATALOGUES["en"]["app.title"]


@pytest.mark.parametrize("page", ["tune", "venues", "trends", "data"])
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_page_is_translated(page, lang):
    cat, en = CATALOGUES[lang], CATALOGUES["en"]
    at = goto(run(new_app({"lang": lang})), page)
    assert at.header[0].value == cat[f"page.{page}"]
    shown = texts(at)
    # no English page-specific text leaks into the page (labels that differ between languages)
    leaks = [
        en[k]
        for k in en
        if k.startswith(f"{page}.") and en[k] != cat.get(k) and len(en[k]) > 12 and en[k] in shown
    ]
    assert not leaks, leaks
    widget_labels = [w.label for w in at.main if hasattr(w, "label")]
    assert all(label not in en.values() or label in cat.values() for label in widget_labels)
