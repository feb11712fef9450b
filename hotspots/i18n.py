"""Translations: Kazakh, Russian and English labels for maps, the app and the reports.

Catalogues are flat JSON files in ``hotspots/locales/<lang>.json`` (plus one
``hotspots/locales/<topic>/<lang>.json`` per feature that brings its own labels, e.g.
``locales/nearrepeat/en.json``; a key may live in only one file) mapping a dotted key
(``"offense.theft"``, ``"layer.cells"``, ``"msg.calls_shown"``) to the text. Placeholders use
``str.format`` syntax (``"{shown} of {total} calls shown"``) and must be the same in every
language (``tests/test_i18n.py`` checks it).

Adding a label: add the key with its text to ``en.json``, ``ru.json`` and ``kk.json`` (keep the
files sorted; ``python -m hotspots.i18n`` lists keys missing from a catalogue), then call
``t("your.key", lang)``.
"""

from __future__ import annotations

import json
import string
import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Final

from hotspots.errors import ParameterError
from hotspots.schema import WEEKDAY_NAMES

#: Supported languages, in the order the app offers them.
LANGS: Final = ("kk", "ru", "en")
#: Language of last resort for a key missing from a catalogue.
FALLBACK_LANG: Final = "en"

LOCALE_DIR: Final = Path(__file__).with_name("locales")


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise :class:`ParameterError` naming the choices."""
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}")
    return lang


@lru_cache(maxsize=len(LANGS))
def catalogue(lang: str) -> Mapping[str, str]:
    """The read-only catalogue of ``lang`` (key -> text), loaded once from its JSON files:
    ``locales/<lang>.json`` and every ``locales/<topic>/<lang>.json``."""
    check_lang(lang)
    merged: dict[str, str] = {}
    for path in catalogue_files(lang):
        with path.open(encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise ValueError(f"{path}: a catalogue must be a JSON object of strings")
        twice = sorted(set(data) & set(merged))
        if twice:
            raise ValueError(f"{path}: keys already defined in another catalogue: {twice[:5]}")
        merged.update(data)
    return MappingProxyType(merged)


def catalogue_files(lang: str) -> list[Path]:
    """The JSON files that make up the catalogue of ``lang``: the main one first, then the
    topic folders' in name order (topics keep a feature's labels out of the shared files)."""
    return [LOCALE_DIR / f"{lang}.json", *sorted(LOCALE_DIR.glob(f"*/{lang}.json"))]


def placeholders(text: str) -> frozenset[str]:
    """Names of the ``{placeholders}`` in ``text`` (``"{n} of {total}"`` -> ``{"n", "total"}``)."""
    return frozenset(
        field.split(".")[0].split("[")[0]
        for _, field, _, _ in string.Formatter().parse(text)
        if field is not None
    )


def has_key(key: str, lang: str = FALLBACK_LANG) -> bool:
    """True if ``key`` is in the catalogue of ``lang``."""
    return key in catalogue(lang)


def t(key: str, lang: str = FALLBACK_LANG, **fmt: object) -> str:
    """Translate ``key`` into ``lang`` and fill its placeholders from ``fmt``.

    A key missing from ``lang`` falls back to English; a key missing from English too raises
    :class:`KeyError` naming the catalogue files to edit.

    Parameters
    ----------
    key : str
        Dotted catalogue key, e.g. ``"layer.cells"``.
    lang : {"kk", "ru", "en"}
        Language.
    **fmt
        Values of the placeholders (formatted with ``str.format``); without them the text is
        returned with its placeholders as they are.

    Examples
    --------
    >>> t("msg.calls_shown", "en", shown=5, total=12)
    '5 of 12 calls shown'
    >>> t("offense.theft", "ru")
    'Кража'
    """
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(FALLBACK_LANG).get(key)
    if text is None:
        raise KeyError(f"no translation for {key!r}: add it to hotspots/locales/{{kk,ru,en}}.json "
            "(or a topic folder's)")
    return text.format(**fmt) if fmt else text


def offense_label(key: object, lang: str = FALLBACK_LANG, raw: str | None = None) -> str:
    """Display name of an offense type.

    Canonical keys (``theft``, ``hooliganism``, ``fight``, ``public_order``, ``traffic``,
    ``other``) are translated; any other key falls back to ``raw`` (the label as in the source)
    when given, else to the key with underscores as spaces (``motor_vehicle_theft`` ->
    ``"motor vehicle theft"``).

    Examples
    --------
    >>> offense_label("fight", "kk")
    'Төбелес'
    >>> offense_label("motor_vehicle_theft", "ru")
    'motor vehicle theft'
    """
    check_lang(lang)
    name = "" if key is None else str(key)
    if has_key(f"offense.{name}", lang):
        return t(f"offense.{name}", lang)
    if raw is not None and str(raw).strip():
        return str(raw)
    return name.replace("_", " ")


def venue_label(kind: object, lang: str = FALLBACK_LANG) -> str:
    """Display name of a venue kind (``"tea_house"`` -> ``"Шайхана"`` in Kazakh); unknown
    kinds fall back to the kind with underscores as spaces."""
    check_lang(lang)
    name = "" if kind is None else str(kind)
    if has_key(f"venue.{name}", lang):
        return t(f"venue.{name}", lang)
    return name.replace("_", " ")


def weekday_label(day: int, lang: str = FALLBACK_LANG, *, short: bool = False) -> str:
    """Name of weekday ``day`` (0 = Monday .. 6 = Sunday, as in the data contract)."""
    if not 0 <= int(day) <= 6:
        raise ParameterError(f"day must be 0 (Monday) .. 6 (Sunday); got {day}")
    prefix = "weekday_short" if short else "weekday"
    return t(f"{prefix}.{WEEKDAY_NAMES[int(day)]}", check_lang(lang))


def month_label(month: int, lang: str = FALLBACK_LANG, *, short: bool = False) -> str:
    """Name of ``month`` (1 = January .. 12 = December)."""
    if not 1 <= int(month) <= 12:
        raise ParameterError(f"month must be 1 .. 12; got {month}")
    prefix = "month_short" if short else "month"
    return t(f"{prefix}.{int(month)}", check_lang(lang))


def format_number(value: float, lang: str = FALLBACK_LANG, decimals: int = 0) -> str:
    """Format a number with the language's digit grouping and decimal mark.

    English groups with commas and uses a decimal point (``12,345.6``); Russian and Kazakh
    group with a no-break space and use a decimal comma (``12 345,6``).

    Examples
    --------
    >>> format_number(12345.67, "en", 1)
    '12,345.7'
    >>> format_number(12345.67, "ru", 1)
    '12\\xa0345,7'
    """
    check_lang(lang)
    text = f"{float(value):,.{int(decimals)}f}"
    if lang == "en":
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


def _hour_runs(hours: tuple[int, ...]) -> list[tuple[int, int]]:
    """Runs of consecutive hours as (first, last), one run across midnight joined."""
    hs = sorted(set(hours))
    runs: list[list[int]] = []
    for h in hs:
        if runs and h == runs[-1][1] + 1:
            runs[-1][1] = h
        else:
            runs.append([h, h])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == 23:  # 22-23 and 0-3: 22 to 3
        runs[0][0] = runs.pop()[0]
    return [(a, b) for a, b in runs]


def describe_filters(filters: object, lang: str = FALLBACK_LANG) -> str:
    """The filters in words in ``lang``, as the app's caption says them.

    ``filters`` is a :class:`hotspots.filters.Filters` (``None`` or no filter: "all calls").
    Offense types and weekdays are translated and hours written as clock times, so a Russian
    or Kazakh report does not print the English ``"years 2021; offenses theft"``.

    Examples
    --------
    >>> from hotspots.filters import Filters
    >>> describe_filters(Filters(years=[2021], offenses=["theft"], hours=[22, 23, 0]), "ru")
    'Годы: 2021; Виды правонарушений: Кража; Часы: 22:00–00:59'
    >>> describe_filters(None, "en")
    'none (all calls)'
    """
    check_lang(lang)
    years = tuple(getattr(filters, "years", ()) or ())
    offenses = tuple(getattr(filters, "offenses", ()) or ())
    hours = tuple(getattr(filters, "hours", ()) or ())
    weekdays = tuple(getattr(filters, "weekdays", ()) or ())
    parts = []
    if years:
        parts.append(f"{t('filter.years', lang)}: " + ", ".join(str(int(y)) for y in years))
    if offenses:
        names = ", ".join(offense_label(str(o).strip().casefold(), lang, raw=o) for o in offenses)
        parts.append(f"{t('filter.offenses', lang)}: {names}")
    if hours:
        runs = ", ".join(f"{a:02d}:00–{b:02d}:59" for a, b in _hour_runs(hours))
        parts.append(f"{t('filter.hours', lang)}: {runs}")
    if weekdays:
        days = ", ".join(weekday_label(d, lang, short=True) for d in weekdays)
        parts.append(f"{t('filter.weekdays', lang)}: {days}")
    return "; ".join(parts) if parts else t("prov.no_filters", lang)


def missing_keys() -> dict[str, list[str]]:
    """Keys present in some catalogue but missing from each language (for maintainers)."""
    every = set().union(*(catalogue(lang).keys() for lang in LANGS))
    return {lang: sorted(every - set(catalogue(lang))) for lang in LANGS}


if __name__ == "__main__":  # python -m hotspots.i18n: list what is missing where
    gaps = missing_keys()
    for lang_, keys_ in gaps.items():
        for key_ in keys_:
            print(f"{lang_}: missing {key_}")
    sys.exit(1 if any(gaps.values()) else 0)
