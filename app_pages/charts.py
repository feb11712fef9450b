"""Charts and tables in the page's language: Vega locales, offense colours, decimal columns."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from hotspots.i18n import format_number, weekday_label

# --------------------------------------------------------------------------------------------
# Charts and tables in the page's language
# --------------------------------------------------------------------------------------------
#: Colours of offense types the map's palette does not name, by their place in the data set.
EXTRA_OFFENSE_COLOURS = ("#17becf", "#b15928", "#e7298a", "#a6761d", "#1b9e77", "#7570b3")
#: Colour of the all-offenses series.
TOTAL_COLOUR = "#222222"


def chart_locale(lang: str) -> dict[str, Any]:
    """Vega's number and time locale for ``lang``: month and weekday names of the locales
    (``month.*``, ``weekday.*``), digit grouping and decimal mark as
    :func:`hotspots.i18n.format_number` (``1 000``, ``2,5`` in Russian and Kazakh)."""
    from hotspots.i18n import month_label

    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # d3 counts days from Sunday
    en = lang == "en"
    return {
        "number": {
            "decimal": "." if en else ",",
            "thousands": "," if en else "\u00a0",
            "grouping": [3],
            "currency": ["", ""],
        },
        "time": {
            "dateTime": "%x, %X",
            "date": "%Y-%m-%d" if en else "%d.%m.%Y",
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": [weekday_label(d, lang) for d in sunday_first],
            "shortDays": [weekday_label(d, lang, short=True) for d in sunday_first],
            "months": [month_label(m, lang) for m in range(1, 13)],
            "shortMonths": [month_label(m, lang, short=True) for m in range(1, 13)],
        },
    }


def localised(chart, lang: str):
    """An Altair chart with the number and time formats of ``lang`` (axes, legends)."""
    return chart.configure(locale=chart_locale(lang))


def offense_colours(codes: list[str], all_codes: list[str]) -> list[str]:
    """A fixed colour per offense code, whatever the language or the filter: the map's
    colours (:data:`hotspots.maps.OFFENSE_COLOURS`), then, for other codes, a colour by the
    code's place among ``all_codes`` (the offense types of the data set)."""
    from hotspots.maps import OFFENSE_COLOURS
    from hotspots.temporal import ALL_OFFENSES

    others = [c for c in all_codes if c not in OFFENSE_COLOURS]
    out = []
    for code in codes:
        if code == ALL_OFFENSES:
            out.append(TOTAL_COLOUR)
        elif code in OFFENSE_COLOURS:
            out.append(OFFENSE_COLOURS[code])
        else:
            i = others.index(code) if code in others else len(others) + codes.index(code)
            out.append(EXTRA_OFFENSE_COLOURS[i % len(EXTRA_OFFENSE_COLOURS)])
    return out


def decimal_column(
    values: pd.Series, lang: str, decimals: int, *, signed: bool = False, **config: Any
) -> tuple[pd.Series, Any]:
    """A column of numbers shown with ``decimals`` decimals and ``lang``'s decimal mark, and
    its ``st.column_config``: numbers with a printf format in English (they sort as numbers);
    text from :func:`hotspots.i18n.format_number` otherwise (printf formats know only the
    decimal point), right-aligned like numbers. Missing values show as "—"."""
    values = pd.to_numeric(values, errors="coerce").astype("float64")
    if lang == "en":
        fmt = f"%{'+' if signed else ''}" + (f",.{decimals}f" if decimals else ",d")
        return values.round(decimals), st.column_config.NumberColumn(format=fmt, **config)

    def text(v: float) -> str:
        if pd.isna(v):
            return "—"
        s = format_number(abs(v), lang, decimals)
        sign = ("+" if v > 0 else "-" if v < 0 else "±") if signed else ("-" if v < 0 else "")
        return sign + s

    return values.map(text).astype("string"), st.column_config.TextColumn(
        alignment="right", **config
    )


def month_year(month: Any, lang: str) -> str:
    """ "Apr 2020" in ``lang``'s month names."""
    from hotspots.i18n import month_label

    m = pd.Timestamp(month)
    return f"{month_label(m.month, lang, short=True)} {m.year}"
