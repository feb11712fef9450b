"""Tune (analysts): method parameters, the map and the method comparison, updated together.

The controls edit *working* parameters (kept in the session while you try values); the map and
the comparison table follow them at once. "Save parameters" makes them the parameters of every
map (they go into the URL, so a shared link carries them) and the JSON download keeps them.
"From the data" sets the parameters to their ``auto`` values (:mod:`hotspots.defaults`)
computed from the filtered calls, and shows each chosen number with its rule.

The comparison is at equal area (:mod:`hotspots.evaluate`): a method that cannot fill 90 % of
the coverage is marked not comparable and never named best, and every method is also shown at
its area share; the map draws the areas the chosen method selected, numbered in rank order.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app_pages import common, emptiness, mapview, signin
from app_pages.analyses import comparison_full
from hotspots import defaults, views
from hotspots.errors import InputError, ParameterError
from hotspots.evaluate import METHODS, hit_rate_curve, selected_areas
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
        step=1,
        help=t("tune.bandwidth_help", lang),
        seed=int(min(max(round(ss["tune:bandwidth_m"]), 50), 2000)),
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
        step=1,
        help=t("tune.eps_help", lang),
        seed=int(min(max(round(ss["tune:eps_m"]), 25), 1000)),
    )
    control(
        st.slider,
        "min_samples",
        t("tune.min_samples", lang),
        int,
        min_value=2,
        max_value=500,
        help=t("tune.min_samples_help", lang),
        seed=int(min(max(ss["tune:min_samples"], 2), 500)),
    )

try:
    work = views.Params(**{name: ss[f"tune:{name}"] for name in saved.as_dict()})
except ParameterError as exc:
    st.error(t("msg.error", lang, message=common.md_text(exc)))
    st.stop()

AUTO_NAMES = ("resolution", "eps_m", "min_samples", "bandwidth_m")


def set_working(values: dict) -> None:
    """Put ``values`` into the working parameters and re-seed their widgets."""
    for name, value in values.items():
        ss[f"tune:{name}"] = value
        for key in [k for k in ss if str(k).startswith(f"w:tune:{name}:")]:
            del ss[key]


if st.button(t("tuning.auto_button", lang), key="w:tune_auto", help=t("tuning.auto_help", lang)):
    try:
        chosen = defaults.resolve(
            ctx.calls, dict.fromkeys(AUTO_NAMES, defaults.AUTO), ctx.ds.boundary
        )
    except (InputError, ParameterError) as exc:
        st.info(common.md_text(exc))
    else:
        # within the app's ranges (and the sliders'): e.g. at most 500 calls per core point
        limits = {"min_samples": (2, 500), "eps_m": (25, 1000), "bandwidth_m": (50, 2000)}
        values = {
            k: type(v)(min(max(v, limits[k][0]), limits[k][1])) if k in limits else v
            for k, v in chosen.values.items()
        }
        set_working(values)
        ss["tune:auto_chosen"] = values
        st.rerun()
if "tune:auto_chosen" in ss:
    auto = ss["tune:auto_chosen"]
    if all(ss.get(f"tune:{k}") == v for k, v in auto.items()):  # still the auto values
        st.caption(
            " · ".join(t(f"tuning.rule_{k}", lang, value=common.num(v, 0)) for k, v in auto.items())
        )

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
with b3:  # each click is a row of the audit log
    signin.download_button(
        t("tune.download", lang),
        json.dumps(views.params_json(work, ctx.filters), indent=2, ensure_ascii=False),
        file_name="hotspot_parameters.json",
        mime="application/json",
        key="w:tune_json",
    )
st.caption(
    t("tune.saved_line", lang, params=common.describe_params(saved, lang))
    + ("" if work == saved else " · " + t("tune.unsaved", lang))
)

# --- the comparison (full width under the controls: every column shows at 1280 px) ----------
comp = None
with st.container(key="tune_comparison"):
    st.subheader(t("tune.comparison", lang))
    try:
        with st.spinner(t("msg.loading", lang)):
            comp = comparison_full(
                ctx.ds.key, ctx.fkey, common.params_key(work), ctx.calls, ctx.ds.boundary
            )
            areas = {m: selected_areas(comp, m, work.coverage) for m in comp.fitted}
        split = views.comparison_split(ctx.calls)
    except (InputError, ParameterError) as exc:
        st.info(common.md_text(exc))
        comp = None
    else:
        res = comp.table
        st.caption(
            t(
                "tune.years",
                lang,
                train=", ".join(split.train),
                test=", ".join(split.test),
                cov=common.pct_lang(work.coverage, lang),
            )
        )

        def method_table(rows: pd.DataFrame, shapes: dict | None) -> tuple[pd.DataFrame, dict]:
            """The rows in the page's language; ``Areas`` = shapes on the map when given."""
            table = pd.DataFrame(
                {t("tune.col_method", lang): [t(f"method.{x}", lang) for x in rows["method"]]}
            )
            config = {t("tune.col_method", lang): st.column_config.TextColumn(pinned=True)}
            n_areas = (
                rows["n_areas"]
                if shapes is None
                else pd.Series([len(shapes[m]) for m in rows["method"]], index=rows.index)
            )
            for key, values, decimals in (
                ("tune.col_hit_rate", 100 * rows["hit_rate"], 1),
                ("tune.col_pai", rows["pai"], 2),
                ("tuning.col_pei", rows["pei"], 2),
                ("tune.col_rri", rows["rri"], 2),
                ("tune.col_area", 100 * rows["area_share"], 2),
                ("tune.col_areas", n_areas, 0),
            ):
                name = t(key, lang)
                table[name], config[name] = common.decimal_column(
                    values, lang, decimals, help=t(f"{key}_help", lang)
                )
            name = t("tuning.col_comparable", lang)
            table[name] = [
                t("tuning.yes", lang) if ok else t("tuning.no", lang) for ok in rows["comparable"]
            ]
            config[name] = st.column_config.TextColumn(help=t("tuning.col_comparable_help", lang))
            return table, config

        table, config = method_table(res, areas)
        st.dataframe(
            table, hide_index=True, width="stretch", key="tune_table", column_config=config
        )
        if res["best"].any():
            best = res.index[res["best"]][0]
            st.success(
                t(
                    "tune.best",
                    lang,
                    method=t(f"method.{res.loc[best, 'method']}", lang),
                    pai=common.num(float(res.loc[best, "pai"]), 2),
                    hit=common.num(100 * float(res.loc[best, "hit_rate"]), 1),
                )
            )
        else:
            st.info(t("tuning.no_best", lang, cov=common.pct_lang(work.coverage, lang)))
        for ref, part in comp.at_share.groupby("reference", sort=False):
            share = float(part["coverage"].iloc[0])
            st.warning(
                t(
                    "tuning.not_comparable",
                    lang,
                    method=t(f"method.{ref}", lang),
                    share=common.pct_lang(share, lang),
                    cov=common.pct_lang(work.coverage, lang),
                )
            )
            sub, sub_config = method_table(part.reset_index(drop=True), None)
            st.dataframe(
                sub,
                hide_index=True,
                width="stretch",
                key=f"tune_at_share_{ref}",
                column_config=sub_config,
            )
        st.caption(t("tune.pai_help", lang) + " " + t("tuning.pei_help", lang))
        if (res["method"] == "dbscan").any() and int(
            res.loc[res["method"] == "dbscan", "n_areas"].iloc[0]
        ) == 0:
            hint = emptiness.dbscan_train_hint(ctx, work)
            if hint is not None:
                emptiness.show(hint, lang)
                if "min_samples" in hint.values and st.button(
                    t("tuning.apply", lang, value=hint.values["min_samples"]),
                    key="w:tune_apply_hint",
                ):
                    set_working({"min_samples": int(min(hint.values["min_samples"], 500))})
                    st.rerun()

        with st.expander(t("tuning.curve_title", lang)):
            curve = hit_rate_curve(comp, n_boot=100)
            curve = curve.assign(
                method=[t(f"method.{m}", lang) for m in curve["method"]],
                x=100 * curve["area_share"],
                y=100 * curve["hit_rate"],
                lo=100 * curve["low"],
                hi=100 * curve["high"],
            )
            import altair as alt

            base = alt.Chart(curve).encode(
                x=alt.X("x:Q", title=t("tuning.curve_x", lang)),
                color=alt.Color("method:N", title=t("tune.col_method", lang)),
            )
            chart = base.mark_area(opacity=0.2).encode(
                y=alt.Y("lo:Q", title=t("tuning.curve_y", lang)), y2="hi:Q"
            ) + base.mark_line(point=True).encode(y="y:Q")
            st.altair_chart(common.localised(chart, lang), width="stretch")
            st.caption(t("tuning.curve_help", lang))

# --- the map of one method: the areas it selected, numbered as ranked ----------------------
method_layers = {"h3": "cells", "kde": "density", "dbscan": "clusters", "gistar": "gistar"}
with st.container(key="tune_map_box"):
    method = st.radio(
        t("tune.method", lang),
        list(METHODS),
        format_func=lambda mth: t(f"method.{mth}", lang),
        horizontal=True,
        key=f"w:tune_method:{lang}",
    )
    if comp is not None and not ctx.presenter and method in comp.fitted:
        from hotspots.maps.selected import selected_map

        shapes = areas[method]
        ident = (
            "tune-selected",
            ctx.ds.key,
            ctx.fkey,
            common.params_key(work),
            method,
            lang,
            repr(mapview.tiles()),
        )

        def build():
            m, counts = selected_map(
                shapes, boundary=ctx.ds.boundary, lang=lang, tiles=mapview.tiles()
            )
            return m, counts, []

        with st.spinner(t("msg.loading", lang)):
            mapview.show(ident, build, key="tune_map", height=520)
        row = comp.table.set_index("method").loc[method]
        st.caption(
            t(
                "tuning.map_caption",
                lang,
                method=t(f"method.{method}", lang),
                n=common.num(len(shapes), 0),
                cov=common.pct_lang(work.coverage, lang),
                hits=common.num(int(row["hits_test"]), 0),
            )
        )
        if len(shapes) == 0:
            st.warning(t("tuning.map_empty", lang, method=t(f"method.{method}", lang)))
    else:  # presenter mode (no shapes made from calls) or no comparison: the method's layer
        layer = method_layers[method]
        ident, build = common.map_builder(ctx, {layer}, work)
        with st.spinner(t("msg.loading", lang)):
            shown = mapview.show(("tune", *ident), build, key="tune_map", height=520)
        for message in shown.problems:
            st.warning(t("msg.error", lang, message=common.md_text(message)))
        st.caption(mapview.counts_line(shown.counts, lang))
        emptiness.warn_empty_layers(ctx, {layer}, work, shown.counts)
    st.caption(t("caption.parameters", lang, params=common.describe_params(work, lang)))
