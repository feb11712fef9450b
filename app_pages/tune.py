"""Tune (analysts): method parameters, the map and the method comparison, updated together.

The controls edit *working* parameters (kept in the session while you try values); the map and
the comparison table follow them at once. "Save parameters" makes them the parameters of every
map (they go into the URL, so a shared link carries them) and the JSON download keeps them.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import streamlit as st

from app_pages import common, mapview
from hotspots import views
from hotspots.errors import InputError, ParameterError
from hotspots.evaluate import METHODS
from hotspots.i18n import t

ctx = common.context()
lang = ctx.lang
saved = ctx.params
st.header(t("page.tune", lang))
st.caption(t("tune.intro", lang))
if common.no_calls(ctx):
    st.stop()

# working parameters: session keys "tune:<field>", seeded from the saved ones
ss = st.session_state
for name, value in saved.as_dict().items():
    ss.setdefault(f"tune:{name}", value)


def control(widget, name: str, label: str, cast=float, **kwargs):
    """A widget editing working parameter ``name`` (re-seeded after a language switch)."""
    key = f"w:tune:{name}:{lang}"
    if key not in ss:
        ss[key] = kwargs.pop("seed", ss[f"tune:{name}"])
    else:
        kwargs.pop("seed", None)
    ss[f"tune:{name}"] = cast(widget(label, key=key, **kwargs))


c1, c2, c3 = st.columns(3)
with c1:
    control(
        st.slider,
        "resolution",
        t("tune.resolution", lang),
        int,
        min_value=7,
        max_value=11,
        help=t("tune.resolution_help", lang),
    )
    control(
        st.select_slider,
        "coverage",
        t("tune.coverage", lang),
        float,
        options=[0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2],
        format_func=lambda v: f"{100 * v:g} %",
        help=t("tune.coverage_help", lang),
        seed=min(
            [0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2],
            key=lambda v: abs(v - ss["tune:coverage"]),
        ),
    )
with c2:
    control(
        st.slider,
        "bandwidth_m",
        t("tune.bandwidth", lang),
        float,
        min_value=50,
        max_value=2000,
        step=25,
        help=t("tune.bandwidth_help", lang),
        seed=int(min(max(round(ss["tune:bandwidth_m"] / 25) * 25, 50), 2000)),
    )
    control(
        st.selectbox,
        "kernel",
        t("tune.kernel", lang),
        str,
        options=list(views.KERNELS),
        format_func=lambda k: t(f"kernel.{k}", lang),
    )
with c3:
    control(
        st.slider,
        "eps_m",
        t("tune.eps", lang),
        float,
        min_value=25,
        max_value=1000,
        step=5,
        help=t("tune.eps_help", lang),
        seed=int(min(max(round(ss["tune:eps_m"] / 5) * 5, 25), 1000)),
    )
    control(
        st.slider,
        "min_samples",
        t("tune.min_samples", lang),
        int,
        min_value=2,
        max_value=200,
        help=t("tune.min_samples_help", lang),
        seed=int(min(max(ss["tune:min_samples"], 2), 200)),
    )

try:
    work = views.Params(**{name: ss[f"tune:{name}"] for name in saved.as_dict()})
except ParameterError as exc:
    st.error(t("msg.error", lang, message=common.md_text(exc)))
    st.stop()

b1, b2, b3 = st.columns([1, 1, 2])
if b1.button(t("tune.save", lang), type="primary", key="w:tune_save", disabled=work == saved):
    common.save_params(work)
    saved = work
    st.toast(t("tune.saved", lang))
if b2.button(t("tune.revert", lang), key="w:tune_revert", disabled=work == saved):
    for name in saved.as_dict():
        ss[f"tune:{name}"] = getattr(saved, name)
        for key in [k for k in ss if str(k).startswith(f"w:tune:{name}:")]:
            del ss[key]
    st.rerun()
b3.download_button(
    t("tune.download", lang),
    json.dumps(views.params_json(work, ctx.filters), indent=2, ensure_ascii=False),
    file_name="hotspot_parameters.json",
    mime="application/json",
    key="w:tune_json",
    on_click="ignore",
)
st.caption(
    t("tune.saved_line", lang, params=common.describe_params(saved, lang))
    + ("" if work == saved else " · " + t("tune.unsaved", lang))
)

# --- the comparison (full width under the controls: every column shows at 1280 px) ----------
with st.container(key="tune_comparison"):
    st.subheader(t("tune.comparison", lang))
    try:
        with st.spinner(t("msg.loading", lang)):
            res = common.comparison(
                ctx.ds.key, ctx.fkey, common.params_key(work), ctx.calls, ctx.ds.boundary
            )
        split = views.comparison_split(ctx.calls)
    except (InputError, ParameterError) as exc:
        st.info(common.md_text(exc))
    else:
        st.caption(
            t(
                "tune.years",
                lang,
                train=", ".join(split.train),
                test=", ".join(split.test),
                cov=common.pct_lang(work.coverage, lang),
            )
        )
        best = res["pai"].fillna(-math.inf).idxmax()
        # few narrow columns, each number in the language's format (as in the line below)
        table = pd.DataFrame(
            {t("tune.col_method", lang): [t(f"method.{x}", lang) for x in res["method"]]}
        )
        config = {t("tune.col_method", lang): st.column_config.TextColumn(pinned=True)}
        for key, values, decimals in (
            ("tune.col_hit_rate", 100 * res["hit_rate"], 1),
            ("tune.col_pai", res["pai"], 2),
            ("tune.col_rri", res["rri"], 2),
            ("tune.col_area", 100 * res["area_share"], 2),
            ("tune.col_areas", res["n_areas"], 0),
        ):
            name = t(key, lang)
            table[name], config[name] = common.decimal_column(
                values, lang, decimals, help=t(f"{key}_help", lang)
            )
        st.dataframe(
            table, hide_index=True, width="stretch", key="tune_table", column_config=config
        )
        st.success(
            t(
                "tune.best",
                lang,
                method=t(f"method.{res.loc[best, 'method']}", lang),
                pai=common.num(float(res.loc[best, "pai"]), 2),
                hit=common.num(100 * float(res.loc[best, "hit_rate"]), 1),
            )
        )
        st.caption(t("tune.pai_help", lang))

# --- the map of one method ----------------------------------------------------------------
method_layers = {"h3": "cells", "kde": "density", "dbscan": "clusters", "gistar": "gistar"}
with st.container(key="tune_map_box"):
    method = st.radio(
        t("tune.method", lang),
        list(METHODS),
        format_func=lambda mth: t(f"method.{mth}", lang),
        horizontal=True,
        key=f"w:tune_method:{lang}",
    )
    layer = method_layers[method]
    ident, build = common.map_builder(ctx, {layer}, work)
    with st.spinner(t("msg.loading", lang)):
        shown = mapview.show(("tune", *ident), build, key="tune_map", height=520)
    counts = shown.counts
    for message in shown.problems:
        st.warning(t("msg.error", lang, message=common.md_text(message)))
    st.caption(mapview.counts_line(counts, lang))
    st.caption(t("caption.parameters", lang, params=common.describe_params(work, lang)))
