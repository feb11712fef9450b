"""The CompStat panel of the Trends page: the last 28 days against the 28 before, or the year
to date against the same days last year, by offense and by area (H3 cells), with the exact
test (:func:`hotspots.timeaware.compstat.compstat`, the figures of ``hotspots change``).

In presenter mode no count under K is shown (its change and test neither).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from hotspots.errors import InputError
from hotspots.i18n import offense_label, t
from hotspots.privacy import suppress_counts
from hotspots.timeaware.compstat import ALL, compstat

#: Areas listed: the changes that stand out most (smallest p) first.
TOP_AREAS = 10


@st.cache_data(max_entries=32, show_spinner=False)
def _tables(key: str, fkey: tuple, period: str, _calls) -> tuple[pd.DataFrame, pd.DataFrame]:
    return compstat(_calls, period=period, by="offense"), compstat(_calls, period=period, by="area")


def _shown(table: pd.DataFrame, key: str, lang: str, k: int, label) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            t(f"cs.{key}", lang): [label(v) for v in table[key]],
            t("cs.before", lang): table["before"].to_numpy(),
            t("cs.now", lang): table["now"].to_numpy(),
            t("cs.change", lang): table["change"].to_numpy(),
            t("cs.change_pct", lang): table["change_pct"].round(1).to_numpy(),
            t("cs.p", lang): table["p"].round(4).to_numpy(),
            t("cs.significant", lang): ["✔" if s else "" for s in table["significant"]],
        }
    )
    if k:  # presenter mode: counts under K as "< K", their change and test blank
        small = (table["before"].to_numpy() < k) | (table["now"].to_numpy() < k)
        for col in ("before", "now"):
            out[t(f"cs.{col}", lang)] = suppress_counts(table[col].reset_index(drop=True), k)
        for col in ("change", "change_pct", "p"):
            out[t(f"cs.{col}", lang)] = out[t(f"cs.{col}", lang)].astype("object").where(~small)
        out.loc[small, t("cs.significant", lang)] = ""
    return out


def show(ctx) -> None:
    """Draw the panel for the page's context (language, data set, filtered calls)."""
    lang = ctx.lang
    k = ctx.k if ctx.presenter else 0
    st.subheader(t("cs.title", lang))
    period = st.radio(
        t("cs.period", lang),
        ("28d", "ytd"),
        format_func=lambda p: t(f"cs.period_{p}", lang),
        horizontal=True,
        key="cs_period",
    )
    try:
        by_offense, by_area = _tables(ctx.ds.key, ctx.fkey, period, ctx.calls)
    except InputError as exc:
        st.info(str(exc))
        return
    per = by_offense.attrs["periods"]
    st.caption(
        t(
            "cs.caption",
            lang,
            start=f"{per.start:%Y-%m-%d}",
            end=f"{per.end:%Y-%m-%d}",
            prev_start=f"{per.prev_start:%Y-%m-%d}",
            prev_end=f"{per.prev_end:%Y-%m-%d}",
        )
    )

    def off_label(v: str) -> str:
        return t("trends.all_offenses", lang) if v == ALL else offense_label(v, lang)

    st.dataframe(
        _shown(by_offense, "offense", lang, k, off_label), hide_index=True, key="cs_offense"
    )
    areas = pd.concat([by_area.iloc[:1], by_area.iloc[1 : TOP_AREAS + 1]])
    st.caption(t("cs.areas_caption", lang, n=TOP_AREAS))
    st.dataframe(
        _shown(areas, "area", lang, k, lambda v: t("cs.study_area", lang) if v == ALL else v),
        hide_index=True,
        key="cs_area",
    )
