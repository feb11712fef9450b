"""Language and number formats of the pages: the chosen language, its switch, numbers,
periods and data text made inert for Markdown."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import state
from hotspots.i18n import LANGS, format_number, t


# --------------------------------------------------------------------------------------------
# Language
# --------------------------------------------------------------------------------------------
def current_lang() -> str:
    """The chosen language; before any choice, the browser's when supported, else English."""
    ss = st.session_state
    chosen = ss.get("w:lang")
    if chosen in LANGS and chosen != state.get("lang"):
        state.put("lang", chosen)
    lang = state.get("lang")
    if lang in LANGS:
        return lang
    locale = (st.context.locale or "").split("-")[0].lower()
    return locale if locale in LANGS else "en"


def language_selector(lang: str) -> None:
    """The language switch at the top of the sidebar (labels in their own language)."""
    if st.session_state.get("w:lang") not in LANGS:
        st.session_state["w:lang"] = lang
    st.sidebar.segmented_control(
        "Language / Тіл / Язык",
        LANGS,
        format_func=lambda code: t(f"lang.{code}", code),
        key="w:lang",
        required=True,
        label_visibility="collapsed",
    )


def tr(key: str, **fmt: Any) -> str:
    """:func:`hotspots.i18n.t` in the current language."""
    return t(key, current_lang(), **fmt)


def num(value: float, decimals: int = 0) -> str:
    """A number in the current language's format."""
    return format_number(value, current_lang(), decimals)


def md_text(value: object) -> str:
    """Data text made inert for Markdown (no links, emphasis or HTML can be formed)."""
    text = "" if value is None else str(value)
    out = []
    for ch in text:
        if ch in "\\`*_{}[]#|<>~$&":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out).replace("\n", " ")


def num_lang(value: float, lang: str, decimals: int = 0) -> str:
    return format_number(value, lang, decimals)


def pct_lang(share: float, lang: str) -> str:
    """A share as a percentage without a needless decimal: 0.05 -> "5", 0.075 -> "7.5"."""
    value = round(100 * float(share), 6)
    return format_number(value, lang, 0 if value.is_integer() else 1)


def period_text(incidents: Any) -> str:
    """``"2019-01-01 – 2021-12-31"`` (months for month-only sources: ``"2016-02 – 2019-01"``)."""
    from hotspots.provenance import incident_period

    span = incident_period(incidents)
    return f"{span[0]} – {span[1]}" if span else "–"
