"""Translations (hotspots.i18n and hotspots/locales/*.json)."""

from __future__ import annotations

import json

import pytest

from hotspots import i18n
from hotspots.errors import ParameterError
from hotspots.i18n import (
    LANGS,
    catalogue,
    format_number,
    month_label,
    offense_label,
    placeholders,
    t,
    venue_label,
    weekday_label,
)
from hotspots.offenses import CANONICAL
from hotspots.schema import CATERING_KINDS, PUBLIC_SPACE_KINDS, WEEKDAY_NAMES


def test_languages_in_the_apps_order() -> None:
    assert LANGS == ("kk", "ru", "en")


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_is_in_every_catalogue(lang: str) -> None:
    every = set().union(*(catalogue(x).keys() for x in LANGS))
    assert set(catalogue(lang)) == every


@pytest.mark.parametrize("lang", LANGS)
def test_no_empty_texts(lang: str) -> None:
    empty = [k for k, v in catalogue(lang).items() if not v.strip()]
    assert empty == []


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_placeholders_match_english(lang: str) -> None:
    english = catalogue("en")
    bad = {
        key: (placeholders(english[key]), placeholders(text))
        for key, text in catalogue(lang).items()
        if placeholders(text) != placeholders(english[key])
    }
    assert bad == {}


def test_catalogue_files_are_sorted_utf8_json_objects() -> None:
    for lang in LANGS:
        for path in i18n.catalogue_files(lang):
            data = json.loads(path.read_text(encoding="utf-8"))
            assert list(data) == sorted(data), f"{path}: keep the keys sorted"


def test_every_topic_folder_has_every_language() -> None:
    for folder in (p for p in i18n.LOCALE_DIR.iterdir() if p.is_dir()):
        assert {f.name for f in folder.glob("*.json")} == {f"{lang}.json" for lang in LANGS}, folder


def test_topic_catalogues_merge_and_a_key_lives_in_one_file(tmp_path, monkeypatch) -> None:
    (tmp_path / "topic").mkdir()
    (tmp_path / "en.json").write_text(json.dumps({"a.one": "One"}), encoding="utf-8")
    (tmp_path / "topic" / "en.json").write_text(json.dumps({"b.two": "Two"}), encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        assert dict(i18n.catalogue("en")) == {"a.one": "One", "b.two": "Two"}
        (tmp_path / "topic" / "en.json").write_text(json.dumps({"a.one": "X"}), encoding="utf-8")
        i18n.catalogue.cache_clear()
        with pytest.raises(ValueError, match="already defined"):
            i18n.catalogue("en")
    finally:
        i18n.catalogue.cache_clear()


def test_placeholders_parser() -> None:
    assert placeholders("{shown} of {total}") == {"shown", "total"}
    assert placeholders("no placeholder") == frozenset()


# --- the labels the maps, app and reports need ------------------------------------------------

REQUIRED = (
    [f"offense.{k}" for k in CANONICAL]
    + [f"venue.{k}" for k in sorted(CATERING_KINDS | PUBLIC_SPACE_KINDS)]
    + [f"weekday.{d}" for d in WEEKDAY_NAMES]
    + [f"weekday_short.{d}" for d in WEEKDAY_NAMES]
    + [f"month.{m}" for m in range(1, 13)]
    + [f"month_short.{m}" for m in range(1, 13)]
    + [f"page.{p}" for p in ("map", "tune", "venues", "trends", "data")]
    + [
        f"layer.{x}"
        for x in ("density", "cells", "gistar", "clusters", "boundary", "calls", "venues")
    ]
    + [f"gistar.{x}_{c}" for x in ("hot", "cold") for c in (90, 95, 99)]
    + ["gistar.not_significant", "legend.calls_per_cell", "legend.density", "legend.gistar"]
    + ["legend.suppressed", "msg.no_data", "msg.calls_shown", "caption.filters", "ui.language"]
)


@pytest.mark.parametrize("key", REQUIRED)
def test_required_key_present(key: str) -> None:
    for lang in LANGS:
        assert key in catalogue(lang), f"{key} missing from {lang}.json"


def test_the_three_languages_really_differ() -> None:
    # a catalogue copied from another language would pass the presence tests
    for key in ("weekday.mon", "offense.theft", "page.trends", "msg.no_data"):
        texts = {lang: t(key, lang) for lang in LANGS}
        assert len(set(texts.values())) == 3, texts


@pytest.mark.parametrize(
    ("key", "lang", "fmt", "expected"),
    [
        ("msg.calls_shown", "en", {"shown": 5, "total": 12}, "5 of 12 calls shown"),
        ("msg.calls_shown", "ru", {"shown": 5, "total": 12}, "Показано 5 из 12 вызовов"),
        ("offense.hooliganism", "kk", {}, "Бұзақылық"),
        ("page.map", "ru", {}, "Карта"),
        ("legend.suppressed", "en", {"k": 5}, "Cells with fewer than 5 calls are hidden"),
    ],
)
def test_t_translates_and_formats(key: str, lang: str, fmt: dict, expected: str) -> None:
    assert t(key, lang, **fmt) == expected


def test_t_accepts_lang_as_keyword() -> None:
    assert t("page.data", lang="kk") == "Деректер"


def test_unknown_key_raises_naming_the_files() -> None:
    with pytest.raises(KeyError, match="locales"):
        t("no.such.key", "en")


@pytest.mark.parametrize("lang", ["de", "", "KK"])
def test_unknown_language_is_a_parameter_error(lang: str) -> None:
    with pytest.raises(ParameterError, match="lang"):
        t("page.map", lang)


def test_key_missing_from_a_language_falls_back_to_english(tmp_path, monkeypatch) -> None:
    for lang, data in {
        "en": {"a.b": "English {n}", "c.d": "C"},
        "ru": {"c.d": "Ц"},
        "kk": {"c.d": "Ц"},
    }.items():
        (tmp_path / f"{lang}.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        assert t("a.b", "ru", n=3) == "English 3"
        assert t("c.d", "ru") == "Ц"
        assert i18n.missing_keys() == {"kk": ["a.b"], "ru": ["a.b"], "en": []}
    finally:
        i18n.catalogue.cache_clear()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("key", CANONICAL)
def test_offense_label_translates_canonical_keys(key: str, lang: str) -> None:
    assert offense_label(key, lang) == t(f"offense.{key}", lang)


def test_offense_label_falls_back_to_raw_then_key() -> None:
    assert offense_label("motor_vehicle_theft", "ru") == "motor vehicle theft"
    assert offense_label("motor_vehicle_theft", "ru", raw="MOTOR VEHICLE THEFT") == (
        "MOTOR VEHICLE THEFT"
    )
    assert offense_label("theft", "en", raw="LARCENY") == "Theft"


def test_venue_labels() -> None:
    assert venue_label("tea_house", "kk") == "Шайхана"
    assert venue_label("sauna", "en") == "sauna"


@pytest.mark.parametrize(
    ("day", "lang", "short", "expected"),
    [(0, "en", False, "Monday"), (6, "ru", True, "Вс"), (4, "kk", False, "Жұма")],
)
def test_weekday_label(day: int, lang: str, short: bool, expected: str) -> None:
    assert weekday_label(day, lang, short=short) == expected


def test_month_label_and_ranges() -> None:
    assert month_label(9, "kk") == "Қыркүйек"
    assert month_label(1, "ru", short=True) == "Янв"
    with pytest.raises(ParameterError):
        month_label(13, "en")
    with pytest.raises(ParameterError):
        weekday_label(7, "en")


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (1234567.891, "en", 2, "1,234,567.89"),
        (1234567.891, "ru", 2, "1\u00a0234\u00a0567,89"),
        (1234.5, "kk", 0, "1\u00a0234"),
        (0.5, "ru", 1, "0,5"),
    ],
)
def test_format_number(value: float, lang: str, decimals: int, expected: str) -> None:
    assert format_number(value, lang, decimals) == expected


# The Map page's headline figures sit in five columns; at 1440 px a column holds about 20
# Cyrillic (24 Latin) characters beside its help icon before Streamlit cuts the label with
# an ellipsis (the Russian "В 5 % самых загруженных ячеек" was shown as "В 5 % самых
# загруженн…", in presenter mode too).
HEADLINE_LABELS = ("map.calls", "map.period", "map.top_offense", "map.peak", "map.concentration")


@pytest.mark.parametrize("lang", LANGS)
def test_headline_labels_fit_their_column(lang: str) -> None:
    limit = 24 if lang == "en" else 20
    too_long = {k: t(k, lang) for k in HEADLINE_LABELS if len(t(k, lang)) > limit}
    assert too_long == {}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("trend", ["rising", "falling", "stable"])
def test_report_names_a_venue_trend_as_the_app_does(lang: str, trend: str) -> None:
    # the same venue must not be "стабильно" in the app and "без изменений" in the report
    assert t(f"report.trend_{trend}", lang) == t(f"venues.trend_{trend}", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_patrol_note_names_presenter_mode_as_the_app_toggle(lang: str) -> None:
    mode = t("ui.presenter_mode", lang).lower()
    assert mode in t("patrol.presenter_note", lang, k=5).lower()


@pytest.mark.parametrize("lang", LANGS)
def test_parameters_line_names_the_bandwidth_as_its_slider(lang: str) -> None:
    # "Bandwidth, m" on the Tune page must be recognisable in the line printed with every map
    name = t("tune.bandwidth", lang).rsplit(",", 1)[0].lower()
    line = t("ui.params_line", lang, res=9, bw=250, kernel="q", eps=100, minpts=30, cov=5)
    assert name in line.lower()


def test_download_buttons_say_download_not_upload() -> None:
    # Kazakh "жүктеу" alone reads as "load/upload"; a download is "жүктеп алу"
    keys = [k for k in catalogue("en") if "download" in k]
    assert keys
    for key in keys:
        assert "жүктеп алу" in t(key, "kk"), key
        assert t(key, "ru").startswith("Скачать"), key
        assert t(key, "en").startswith("Download"), key


def test_kazakh_calls_the_sample_the_same_everywhere() -> None:
    # the data source line says "Кіріктірілген үлгі деректер"; the button must match it
    assert t("msg.sample_data", "kk").startswith("Кіріктірілген үлгі")
    assert t("data.use_sample", "kk").startswith("Кіріктірілген үлгі")
    assert "үлгі" in t("data.boundary_needs_calls", "kk").lower()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "Years: 2021; Offense types: Hooliganism, Fight; Hours: 22:00–03:59; "
            "Weekdays: Fri, Sat",
        ),
        (
            "ru",
            "Годы: 2021; Виды правонарушений: Хулиганство, Драка; Часы: 22:00–03:59; "
            "Дни недели: Пт, Сб",
        ),
        (
            "kk",
            "Жылдар: 2021; Құқық бұзушылық түрлері: Бұзақылық, Төбелес; Сағаттар: 22:00–03:59; "
            "Апта күндері: Жм, Сн",
        ),
    ],
)
def test_describe_filters_in_words(lang: str, expected: str) -> None:
    from hotspots.filters import Filters, parse_hours, parse_weekdays

    f = Filters(
        years=[2021],
        offenses=["hooliganism", "fight"],
        hours=parse_hours("22-3"),
        weekdays=parse_weekdays("fri,sat"),
    )
    assert i18n.describe_filters(f, lang) == expected


def test_describe_filters_hours_runs_raw_offenses_and_no_filter() -> None:
    from hotspots.filters import Filters

    f = Filters(hours=[8, 9, 10, 15], offenses=["THEFT", "Motor Vehicle Theft"])
    assert i18n.describe_filters(f, "ru") == (
        "Виды правонарушений: Кража, Motor Vehicle Theft; Часы: 08:00–10:59, 15:00–15:59"
    )
    assert i18n.describe_filters(Filters(hours=[0]), "en") == "Hours: 00:00–00:59"
    for lang in LANGS:
        assert i18n.describe_filters(Filters(), lang) == t("prov.no_filters", lang)
        assert i18n.describe_filters(None, lang) == t("prov.no_filters", lang)


@pytest.mark.parametrize(
    ("lang", "too_many"), [("en", "too many"), ("ru", "слишком много"), ("kk", "тым көп")]
)
def test_presenter_counts_line_gives_no_false_reason_for_cells(lang: str, too_many: str) -> None:
    # in presenter mode 207 calls are shown as cells because calls are never drawn there, yet
    # the line under the map said "207 calls: too many to draw one by one"; the reason is
    # given by the presenter note or, outside presenter mode, by map.calls_cells_note
    from app_pages.mapview import counts_line

    line = counts_line({"calls_mode": "cells", "calls_total": 207, "cells_shown": 1}, lang)
    assert format_number(207, lang) in line
    assert too_many not in line.lower()
    assert too_many in t("map.calls_cells_note", lang).lower()
