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
from app_pages.analyses import comparison_full, resolved_params, rolling
from hotspots import defaults, views
from hotspots.errors import InputError, ParameterError
from hotspots.evaluate import METHODS, hit_rate_curve, selected_areas
from hotspots.i18n import t

ctx = common.context()
lang = ctx.lang
saved = ctx.requested  # as saved: "auto" kept
st.header(t("page.tune", lang))
st.caption(t("tune.intro", lang))
if common.no_calls(ctx):
    st.stop()

# working parameters: session keys "tune:<field>" ("auto" or a number), seeded from the saved
ss = st.session_state
for name, value in saved.as_dict().items():
    ss.setdefault(f"tune:{name}", value)

#: The parameters with an auto rule, and each slider's range (the app's, within views').
AUTO_NAMES = views.AUTO_FIELDS
SLIDERS = {
    "resolution": (7, 11, 1, int),
    "eps_m": (25, 1000, 1, float),
    "min_samples": (2, 500, 1, int),
    "bandwidth_m": (50, 2000, 1, float),
}


def auto_key(name: str) -> str:
    return f"w:tune:{name}:auto:{lang}"


def slider_key(name: str) -> str:
    return f"w:tune:{name}:{lang}"


def is_auto_now(name: str) -> bool:
    """The auto switch of ``name`` as the user left it (seeded from the working value)."""
    return bool(ss.get(auto_key(name), ss[f"tune:{name}"] == defaults.AUTO))


def requested_now(name: str):
    if is_auto_now(name):
        return defaults.AUTO
    value = ss.get(slider_key(name), ss[f"tune:{name}"])
    return ss[f"tune:{name}"] if value == defaults.AUTO else value


# the working parameters as the widgets left them, and their numbers on the filtered calls:
# auto values are computed again on every filter change (never written as numbers)
try:
    asked = views.Params(
        **{n: (requested_now(n) if n in AUTO_NAMES else ss[f"tune:{n}"]) for n in saved.as_dict()}
    )
except ParameterError as exc:
    st.error(t("msg.error", lang, message=common.md_text(exc)))
    st.stop()
numbers = resolved_params(
    ctx.ds.key, ctx.fkey, common.params_key(asked), ctx.calls, ctx.ds.boundary
)


def _manual(name: str) -> None:
    ss[auto_key(name)] = False  # moving the slider sets the number: auto is off


def auto_control(name: str, label: str, help_text: str) -> None:
    """An "auto" switch and a slider for ``name``: with auto on, the slider shows the number
    computed from the filtered calls (and moving it switches auto off)."""
    lo, hi, step, cast = SLIDERS[name]
    akey, skey = auto_key(name), slider_key(name)
    if akey not in ss:
        ss[akey] = ss[f"tune:{name}"] == defaults.AUTO
    value = getattr(numbers, name)
    if ss[akey] or skey not in ss:  # the slider shows the number in force
        ss[skey] = cast(min(max(round(value) if cast is float else value, lo), hi))
    head, switch = st.columns([3, 1], vertical_alignment="bottom")
    with switch:
        on = st.toggle(t("tuning.auto_toggle", lang), key=akey, help=t("tuning.auto_help", lang))
    with head:
        chosen = st.slider(
            label,
            min_value=lo,
            max_value=hi,
            step=step,
            key=skey,
            help=help_text,
            on_change=_manual,
            args=(name,),
        )
    if on:
        ss[f"tune:{name}"] = defaults.AUTO
        rule = t(f"tuning.rule_{name}", lang, value=common.num(value, 0))
        st.caption(t("tuning.auto_value", lang) + " " + rule)
    else:
        ss[f"tune:{name}"] = cast(chosen)


def control(widget, name: str, label: str, cast=float, **kwargs):
    """A widget editing working parameter ``name`` (re-seeded after a language switch)."""
    key = f"w:tune:{name}:{lang}"
    if key not in ss:
        ss[key] = kwargs.pop("seed", ss[f"tune:{name}"])
    else:
        kwargs.pop("seed", None)
    ss[f"tune:{name}"] = cast(widget(label, key=key, **kwargs))


COVERAGES = [0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2]
c1, c2, c3 = st.columns(3)
with c1:
    auto_control("resolution", t("tune.resolution", lang), t("tune.resolution_help", lang))
    control(
        st.select_slider,
        "coverage",
        t("tune.coverage", lang),
        float,
        options=COVERAGES,
        format_func=lambda v: f"{100 * v:g} %",
        help=t("tune.coverage_help", lang),
        seed=min(COVERAGES, key=lambda v: abs(v - ss["tune:coverage"])),
    )
with c2:
    auto_control("bandwidth_m", t("tune.bandwidth", lang), t("tune.bandwidth_help", lang))
    control(
        st.selectbox,
        "kernel",
        t("tune.kernel", lang),
        str,
        options=list(views.KERNELS),
        format_func=lambda k: t(f"kernel.{k}", lang),
    )
with c3:
    auto_control("eps_m", t("tune.eps", lang), t("tune.eps_help", lang))
    auto_control("min_samples", t("tune.min_samples", lang), t("tune.min_samples_help", lang))

try:
    work = views.Params(**{name: ss[f"tune:{name}"] for name in saved.as_dict()})
except ParameterError as exc:
    st.error(t("msg.error", lang, message=common.md_text(exc)))
    st.stop()
if work != asked:  # a widget changed a value this run: the numbers follow
    numbers = resolved_params(
        ctx.ds.key, ctx.fkey, common.params_key(work), ctx.calls, ctx.ds.boundary
    )


def set_working(values: dict) -> None:
    """Put ``values`` (numbers or "auto") into the working parameters and re-seed their
    widgets (the auto switches too)."""
    for name, value in values.items():
        ss[f"tune:{name}"] = value
        for key in [k for k in ss if str(k).startswith(f"w:tune:{name}:")]:
            del ss[key]


if st.button(t("tuning.auto_button", lang), key="w:tune_auto", help=t("tuning.auto_help", lang)):
    # every parameter with a rule back to auto: computed from the calls on every filter change
    set_working(dict.fromkeys(AUTO_NAMES, defaults.AUTO))
    st.rerun()

b1, b2, b3 = st.columns([1, 1, 2])
saved_numbers = ctx.params  # the saved parameters' numbers on the filtered calls
if b1.button(t("tune.save", lang), type="primary", key="w:tune_save", disabled=work == saved):
    common.save_params(work)  # "auto" is saved as "auto": it follows later filter changes
    saved, saved_numbers = work, numbers
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
        json.dumps(views.params_json(work, ctx.filters, numbers), indent=2, ensure_ascii=False),
        file_name="hotspot_parameters.json",
        mime="application/json",
        key="w:tune_json",
    )
st.caption(
    t(
        "tune.saved_line",
        lang,
        params=common.describe_params(saved_numbers, lang, saved.auto_fields),
    )
    + ("" if work == saved else " · " + t("tune.unsaved", lang))
)

def rolling_panel(p: views.Params) -> None:
    """Several consecutive train/test splits (by year or by periods of months): each method's
    mean and spread, as ``hotspots evaluate --rolling N [--period 3M]`` prints them."""
    years = sorted(int(y) for y in ctx.calls["year"].dropna().unique())
    periods = ["year", "6M", "3M"]
    r1, r2, r3 = st.columns([1, 1, 1], vertical_alignment="bottom")
    n = int(
        r1.number_input(
            t("tuning.rolling_splits", lang), 2, 6, 3, step=1, key=f"w:tune_roll_n:{lang}"
        )
    )
    period = r2.selectbox(
        t("tuning.rolling_period", lang),
        periods,
        index=0 if len(years) >= 3 else 2,
        format_func=lambda v: t(f"tuning.rolling_by_{v.lower()}", lang),
        key=f"w:tune_roll_period:{lang}",
    )
    ident = (ctx.ds.key, ctx.fkey, common.params_key(p), n, period)
    if r3.button(t("tuning.rolling_run", lang), key="w:tune_roll_run"):
        ss["tune:rolling"] = ident
    if ss.get("tune:rolling") != ident:
        st.caption(t("tuning.rolling_help", lang))
        return
    try:
        with st.spinner(t("msg.loading", lang)):
            splits, summary = rolling(
                *ident[:4], None if period == "year" else period, ctx.calls, ctx.ds.boundary
            )
    except (InputError, ParameterError) as exc:
        st.info(common.md_text(exc))
        return

    def pm(mean: float, sd: float, decimals: int, scale: float = 1.0) -> str:
        if pd.isna(mean):
            return "–"
        spread = "–" if pd.isna(sd) else common.num(scale * sd, decimals)
        return f"{common.num(scale * mean, decimals)} ± {spread}"

    def column(stat: str, decimals: int, scale: float = 1.0) -> list[str]:
        means, sds = summary[f"{stat}_mean"], summary[f"{stat}_sd"]
        return [pm(a, b, decimals, scale) for a, b in zip(means, sds, strict=True)]

    table = pd.DataFrame(
        {
            t("tune.col_method", lang): [t(f"method.{m}", lang) for m in summary["method"]],
            t("tuning.col_splits", lang): summary["splits"].astype(int),
            t("tuning.col_comparable_splits", lang): summary["comparable_splits"].astype(int),
            t("tune.col_hit_rate", lang): column("hit_rate", 1, 100),
            t("tune.col_area", lang): column("area_share", 2, 100),
            t("tune.col_pai", lang): column("pai", 2),
            t("tuning.col_pei", lang): column("pei", 2),
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", key="tune_rolling")
    tested = ", ".join(dict.fromkeys(splits["test_period"].astype(str)))
    st.caption(t("tuning.rolling_caption", lang, tested=tested))


def _auto_in_comparison(res: pd.DataFrame, p: views.Params) -> str:
    """The numbers the comparison's auto parameters took on the training calls."""
    from hotspots.evaluate import DEFAULT_PARAMS, format_params

    asked = p.method_params()
    parts = []
    for r in res.itertuples(index=False):
        full = {**DEFAULT_PARAMS[r.method], **asked.get(r.method, {})}
        auto = {k: r.params[k] for k, v in full.items() if defaults.is_auto(v)}
        if auto:
            parts.append(f"{t(f'method.{r.method}', lang)}: {format_params(auto)}")
    return "; ".join(parts)


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
        trained = _auto_in_comparison(res, work)
        if trained:  # an evaluation computes auto from the training calls only (no peeking)
            st.caption(t("tuning.comparison_auto", lang, params=trained))
        if (res["method"] == "dbscan").any() and int(
            res.loc[res["method"] == "dbscan", "n_areas"].iloc[0]
        ) == 0:
            fit = res.loc[res["method"] == "dbscan", "params"].iloc[0]  # numbers it used
            hint = emptiness.dbscan_train_hint(
                ctx, views.Params(eps_m=fit["eps"], min_samples=fit["min_samples"])
            )
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

        with st.expander(t("tuning.rolling_title", lang)):
            rolling_panel(work)

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
            mapview.show(
                ident, build, key="tune_map", height=520,
                # one map per view: a filter or parameter change updates its layers in place
                view=(ctx.ds.key, lang, ctx.presenter, mapview.tiles(), "tune-selected"),
            )
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
        ident, build = common.map_builder(ctx, {layer}, numbers)
        with st.spinner(t("msg.loading", lang)):
            shown = mapview.show(
                ("tune", *ident), build, key="tune_map", height=520,
                view=(ctx.ds.key, lang, ctx.presenter, mapview.tiles(), "tune-layers"),
            )
        for message in shown.problems:
            st.warning(t("msg.error", lang, message=common.md_text(message)))
        st.caption(mapview.counts_line(shown.counts, lang))
        emptiness.warn_empty_layers(ctx, {layer}, numbers, shown.counts)
    st.caption(
        t(
            "caption.parameters",
            lang,
            params=common.describe_params(numbers, lang, work.auto_fields),
        )
    )
