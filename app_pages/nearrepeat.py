"""Near repeats: the Knox test (:mod:`hotspots.timeaware.nearrepeat`) as a heat table.

The calls are those of the sidebar's filters. The test runs when asked (a button: 999
permutations of a large file take seconds) and its result stays for the session; the same
figures as ``hotspots nearrepeat``.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from app_pages import common
from hotspots.errors import InputError, ParameterError
from hotspots.i18n import t
from hotspots.privacy import fewer_than, suppress_knox
from hotspots.timeaware import nearrepeat as nr

PERMUTATIONS = (99, 199, 499, 999)
#: colour of a near-repeat cell, by Knox ratio (light to dark red), and of the others
HOT = ("#fde0dd", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26")
PLAIN = "#f7f7f7"

ctx = common.context()
lang = ctx.lang
st.header(t("page.nearrepeat", lang))
st.caption(common.source_caption(ctx))
st.markdown(t("nr.intro", lang))
#: presenter mode: no pair count under K, nor the ratio or p that would give it back
K = ctx.k if ctx.presenter else 0


@st.cache_data(max_entries=16, show_spinner=False)
def knox(key: str, fkey: tuple, d_bands: str, t_bands: str, runs: int, _calls) -> pd.DataFrame:
    return nr.near_repeat(
        _calls, distance_bands=d_bands, time_bands=t_bands, permutations=runs, seed=0
    )


def colour(ratio: float, near: bool) -> str:
    if not near or not math.isfinite(ratio):
        return f"background-color: {PLAIN}"
    step = min(len(HOT) - 1, int((ratio - 1.0) / 0.25))  # 1-1.25, 1.25-1.5, ... 2 and more
    return f"background-color: {HOT[step]}; font-weight: bold"


if not common.no_calls(ctx):
    c1, c2, c3 = st.columns(3)
    d_bands = c1.text_input(t("nr.distance_bands", lang), "100,200,300,400", key="nr_d")
    t_bands = c2.text_input(t("nr.time_bands", lang), "7,14,21,28", key="nr_t")
    runs = c3.selectbox(t("nr.permutations", lang), PERMUTATIONS, index=3, key="nr_runs")
    if st.button(t("nr.run", lang), key="nr_go", type="primary"):
        st.session_state["nr_asked"] = True
    if st.session_state.get("nr_asked"):
        try:
            with st.spinner(t("nr.running", lang, runs=runs)):
                res = knox(ctx.ds.key, ctx.fkey, d_bands, t_bands, int(runs), ctx.calls)
        except (InputError, ParameterError) as exc:
            st.error(str(exc))
        else:
            if K:  # suppressed here, before anything reaches the browser
                res = suppress_knox(res, K)
                st.caption(t("nr.presenter", lang, k=K))
            pairs = res.attrs["n_pairs"]
            st.caption(
                t(
                    "nr.summary",
                    lang,
                    n=common.num(res.attrs["n_incidents"]),
                    pairs="—" if pairs is None else common.num(pairs),
                    max=common.num(res["distance_hi"].max()),
                    runs=res.attrs["permutations"],
                )
            )
            if res.attrs["unknown_day"]:
                st.info(t("nr.unknown_day", lang, n=common.num(res.attrs["unknown_day"])))
            ratio = nr.heat_table(res, "knox_ratio")
            near = nr.heat_table(res, "near_repeat")
            ratio.index.name = t("nr.distance", lang)
            ratio.columns.name = t("nr.days", lang)
            styles = pd.DataFrame(
                [
                    [colour(ratio.iat[r, c], bool(near.iat[r, c])) for c in range(ratio.shape[1])]
                    for r in range(ratio.shape[0])
                ],
                index=ratio.index,
                columns=ratio.columns,
            )
            st.subheader(t("nr.table_title", lang, alpha=res.attrs["alpha"]))
            st.dataframe(
                ratio.style.apply(lambda _: styles, axis=None).format(
                    "{:.2f}", na_rep=fewer_than(K) if K else "–"
                )
            )
            zone = res[res["near_repeat"]]
            if zone.empty:
                st.info(t("nr.no_zone", lang))
            else:
                parts = [
                    t(
                        "nr.band_pair",
                        lang,
                        d0=f"{r.distance_lo:g}",
                        d1=f"{r.distance_hi:g}",
                        t0=r.time_lo,
                        t1=r.time_hi,
                    )  # fmt: skip
                    for r in zone.itertuples(index=False)
                ]
                st.success(t("nr.zone", lang, zone="; ".join(parts)))
            with st.expander(t("nr.details", lang)):
                table = pd.DataFrame(
                    {
                        t("nr.distance", lang): [
                            f"{a:g}-{b:g}"
                            for a, b in zip(res["distance_lo"], res["distance_hi"], strict=True)
                        ],
                        t("nr.days", lang): [
                            f"{a}-{b}" for a, b in zip(res["time_lo"], res["time_hi"], strict=True)
                        ],
                        t("nr.observed", lang): res["observed"],
                        t("nr.expected", lang): res["expected"].round(1),
                        t("nr.ratio", lang): res["knox_ratio"].round(2),
                        t("nr.p", lang): res["p"].round(3),
                    }
                )
                st.dataframe(table, hide_index=True)
