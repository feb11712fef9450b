"""Trends: calls by year and offense, hour x weekday heatmap, month by month.

The changes between years are the library's (:func:`hotspots.views.trends`): the headline
figures compare the last two years, as the report and the year table of ``hotspots trends``
do; the bars and the table add the change over the whole period (first to last full year, the
CLI's ``Change``). Offenses keep one colour in every chart and language.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import common
from hotspots.i18n import offense_label, t, weekday_label
from hotspots.privacy import fewer_than, hide_small, suppress_counts
from hotspots.temporal import ALL_OFFENSES

#: Headline metrics in one row at most: four leave each label about 200 px at 1280 px wide.
METRICS_PER_ROW = 4
#: Pixels of an offense name in the line chart's legend before Vega-Lite cuts it ("…"):
#: "Нарушение общественного порядка" takes about 190 px.
LEGEND_LABEL_LIMIT = 240
#: Metric labels wrap onto a second line instead of being cut off with an ellipsis.
LABEL_WRAP_CSS = (
    "[data-testid='stMetricLabel'] [data-testid='stMarkdownContainer'],"
    "[data-testid='stMetricLabel'] [data-testid='stMarkdownContainer'] p"
    "{white-space:normal!important;overflow:visible!important;text-overflow:clip!important;"
    "overflow-wrap:break-word}"
)

ctx = common.context()
lang = ctx.lang
#: presenter mode: no figure, bar or cell from fewer than K calls (hotspots.privacy)
K = ctx.k if ctx.presenter else 0
st.header(t("page.trends", lang))
st.caption(common.source_caption(ctx))
if ctx.ds.big:  # too large to load: tables computed partition by partition (app_pages/big.py)
    from app_pages import big

    big.trends_page(ctx)
    st.stop()


def total_label() -> str:
    """The all-offenses series: "All offenses", or the offense filter's choice."""
    chosen = ctx.filters.offenses or ()
    if len(chosen) == 1:
        return offense_label(chosen[0], lang)
    return t("trends.selected_offenses" if chosen else "trends.all_offenses", lang)


def label(code: str) -> str:
    return total_label() if code == ALL_OFFENSES else offense_label(code, lang)


def pct_text(pct: object, decimals: int = 1) -> str:
    """A change in percent with its sign ("-15.2%", "+14.4%", "±0%"; "—" when undefined)."""
    if pct is None or pd.isna(pct):
        return "—"
    v = round(float(pct), decimals)
    if v == 0:
        return "±0%"
    return ("+" if v > 0 else "-") + common.num(abs(v), decimals) + "%"


def colour_scale(codes: list[str]) -> alt.Scale:
    """Labels of ``codes`` in this language, each in its offense's fixed colour."""
    return alt.Scale(
        domain=[label(c) for c in codes],
        range=common.offense_colours(codes, ctx.ds.choices.get("offenses", [])),
    )


if not common.no_calls(ctx):
    tr = common.trends(ctx.ds.key, ctx.fkey, ctx.calls)

    # --- calls by year and offense -------------------------------------------------------
    st.subheader(t("trends.by_year", lang))
    yearly = tr.yearly.copy()
    yearly["label"] = yearly["offense"].map(label)
    years = sorted(yearly["year"].astype(int).unique())
    offenses = sorted(o for o in yearly["offense"].unique() if o != ALL_OFFENSES)
    # with one offense type the all-offenses rows would repeat it
    rows = offenses if len(offenses) == 1 else [ALL_OFFENSES, *offenses]
    by_offense = yearly[yearly["offense"] != ALL_OFFENSES]
    if K:  # no point for a year and offense with fewer than K calls
        by_offense = by_offense.assign(count=hide_small(by_offense["count"], K).to_numpy())
        by_offense = by_offense.assign(
            change_pct=by_offense["change_pct"].where(by_offense["count"].notna())
        )
    recent, span = tr.recent, tr.span
    if recent is not None:
        # one metric per offense: last year's count and the change from the year before,
        # the figures of the report and of `hotspots trends`
        y_prev, y_last = recent.attrs["from_year"], recent.attrs["to_year"]
        st.caption(t("trends.change_caption", lang, first=y_prev, last=y_last))
        rec = recent.set_index("offense")
        spn = span.set_index("offense") if span is not None else None
        order = [o for o in rec.sort_values("change").index if o in rows and o != ALL_OFFENSES]
        order = ([ALL_OFFENSES] if ALL_OFFENSES in rows else []) + order
        # at most METRICS_PER_ROW to a row, and labels that wrap: a long Russian or Kazakh
        # offense name ("Нарушение общественного порядка") reads in full, not as "Нарушение об…"
        st.html(f"<style>{LABEL_WRAP_CSS}</style>")
        per_row = min(len(order), METRICS_PER_ROW)
        cols: list = []
        for i, code in enumerate(order):
            if i % per_row == 0:
                cols = st.columns(per_row, vertical_alignment="bottom")
            r = rec.loc[code]
            flat = int(r["change"]) == 0
            help_text = None
            if spn is not None and code in spn.index:
                help_text = (
                    t(
                        "trends.span_title",
                        lang,
                        first=span.attrs["from_year"],
                        last=span.attrs["to_year"],
                    )
                    + f": {pct_text(spn.loc[code, 'change_pct'])}"
                )
            pct = r["change_pct"]
            delta = pct_text(pct) if not pd.isna(pct) else f"{int(r['change']):+d}"
            small = K and min(int(r["from_count"]), int(r["to_count"])) < K
            if small:  # a change between counts under K would give them away
                delta, flat, help_text = None, True, None
            cols[i % per_row].metric(
                common.md_text(label(code)),
                fewer_than(K) if K and int(r["to_count"]) < K else common.num(int(r["to_count"])),
                None if small else ("±0%" if flat else delta),
                delta_color="off" if flat else "inverse",
                delta_arrow="off" if flat else "auto",
                help=help_text,
            )
        for y in (y_prev, y_last):
            if y in tr.partial:
                st.caption(t("report.partial_year", lang, year=y, months=tr.partial[y]))
    chart = (
        alt.Chart(by_offense)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title=t("trends.year", lang)),
            y=alt.Y("count:Q", title=t("trends.calls", lang)),
            color=alt.Color(
                "label:N",
                title=t("filter.offenses", lang),
                scale=colour_scale(offenses),
                legend=alt.Legend(labelLimit=LEGEND_LABEL_LIMIT),  # whole offense names
            ),
            tooltip=[
                alt.Tooltip("label:N", title=t("tip.offense", lang)),
                alt.Tooltip("year:O", title=t("trends.year", lang)),
                alt.Tooltip("count:Q", title=t("trends.calls", lang), format=","),
                alt.Tooltip("change_pct:Q", title=t("trends.change_pct", lang), format="+.1f"),
            ],
        )
        .properties(height=320)
    )
    whole = span if span is not None else recent
    if whole is not None:
        # the change over the whole period, one bar per offense: rises and falls at a glance
        y0, y1 = whole.attrs["from_year"], whole.attrs["to_year"]
        change = whole[whole["offense"].isin(offenses)].dropna(subset=["change_pct"]).copy()
        if K:  # a change between counts under K would give them away
            change = change[(change["from_count"] >= K) & (change["to_count"] >= K)]
        change["label"] = change["offense"].map(label)
        change["pct"] = change["change_pct"].astype("float64")
        title = t("trends.span_title" if span is not None else "trends.change_title", lang)
        bars = (
            alt.Chart(change[["label", "pct", "direction"]])
            .mark_bar(size=24)
            .encode(
                x=alt.X("pct:Q", title=t("trends.change_pct", lang)),
                y=alt.Y("label:N", sort="-x", title=None),
                color=alt.Color(
                    "direction:N",
                    scale=alt.Scale(
                        domain=["up", "down", "flat"], range=["#c0392b", "#2e86c1", "#999999"]
                    ),
                    legend=None,
                ),
                tooltip=[
                    alt.Tooltip("label:N", title=t("tip.offense", lang)),
                    alt.Tooltip("pct:Q", title=t("trends.change_pct", lang), format="+.1f"),
                ],
            )
            .properties(height=320, title=title.format(first=y0, last=y1))
        )
        left, right = st.columns([3, 2])
        left.altair_chart(common.localised(chart, lang), width="stretch")
        right.altair_chart(common.localised(bars, lang), width="stretch")
    else:
        st.altair_chart(common.localised(chart, lang), width="stretch")
        st.caption(t("report.kpi_change_none", lang))
    if span is not None and tr.span_skipped:
        st.caption(t("trends.span_left_out", lang, years=", ".join(map(str, tr.span_skipped))))

    # the table: counts per year, the change of the last two years and over the whole period
    table = yearly[yearly["offense"].isin(rows)].pivot(
        index="offense", columns="year", values="count"
    )
    table = table.reindex(rows)
    table.columns = [str(c) for c in table.columns]
    config: dict[str, object] = {}
    for comp in (recent, span):
        if comp is None:
            continue
        name = t(
            "trends.change_col",
            lang,
            first=comp.attrs["from_year"],
            last=comp.attrs["to_year"],
        )
        c = comp.set_index("offense").reindex(rows)
        pct = c["change_pct"]
        if K:
            pct = pct.where((c["from_count"] >= K) & (c["to_count"] >= K))
        table[name], config[name] = common.decimal_column(pct, lang, 1, signed=True)
    if K:  # counts under K as "< K"
        for col in [str(y) for y in years if str(y) in table.columns]:
            table[col] = suppress_counts(table[col], K).to_numpy()
    table.index = [label(c) for c in table.index]
    table.index.name = t("tip.offense", lang)
    st.dataframe(table, width="stretch", key="trends_table", column_config=config)

    # --- hour x weekday ------------------------------------------------------------------
    st.subheader(t("trends.hour_weekday", lang))
    hw = tr.hour_weekday.copy()
    hw.index = range(7)
    long = hw.stack().rename("count").reset_index()
    long.columns = ["weekday", "hour", "count"]
    if K:  # no cell from fewer than K calls
        long["count"] = hide_small(long["count"], K).to_numpy()
    # from/to windows: aoristic weights, fractions of calls (hotspots.temporal)
    aoristic = "aoristic" in tr.hour_weekday.attrs
    count_format = ",.2f" if aoristic else ","
    long["day"] = long["weekday"].map(lambda d: weekday_label(int(d), lang, short=True))
    day_order = [weekday_label(d, lang, short=True) for d in range(7)]
    heat = (
        alt.Chart(long)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=t("trends.hour", lang)),
            y=alt.Y("day:N", sort=day_order, title=t("trends.weekday", lang)),
            color=alt.Color(
                "count:Q", title=t("trends.calls", lang), scale=alt.Scale(scheme="orangered")
            ),
            tooltip=[
                alt.Tooltip("day:N", title=t("trends.weekday", lang)),
                alt.Tooltip("hour:O", title=t("trends.hour", lang)),
                alt.Tooltip("count:Q", title=t("trends.calls", lang), format=count_format),
            ],
        )
        .properties(height=260)
    )
    st.altair_chart(common.localised(heat, lang), width="stretch")
    unknown = int(tr.hour_weekday.attrs.get("unknown", 0))
    if aoristic:
        a = tr.hour_weekday.attrs
        st.caption(t("aor.caption", lang, n=common.num(int(a["aoristic"]))))
        if a["too_long"] or a["reversed"]:
            st.caption(
                t(
                    "aor.unknown",
                    lang,
                    too_long=common.num(int(a["too_long"])),
                    reversed=common.num(int(a["reversed"])),
                )
            )
    if unknown:
        st.caption(t("trends.unknown_time", lang, n=common.num(unknown)))

    # --- month by month ------------------------------------------------------------------
    st.subheader(t("trends.monthly", lang))
    split = st.toggle(t("trends.by_offense", lang), key="w:trends_split")
    if split:
        monthly = tr.monthly_by_offense.copy()
        codes = offenses
    else:
        monthly = tr.monthly.assign(offense=offenses[0] if len(offenses) == 1 else ALL_OFFENSES)
        codes = list(monthly["offense"].unique())
    monthly["label"] = monthly["offense"].map(label)
    if K:  # no point from fewer than K calls
        monthly["count"] = hide_small(monthly["count"], K).to_numpy()
    monthly["month_name"] = [common.month_year(m, lang) for m in pd.to_datetime(monthly["month"])]
    line = (
        alt.Chart(monthly)
        .mark_line(point=len(monthly) < 80)
        .encode(
            x=alt.X("month:T", title=t("trends.month", lang)),
            y=alt.Y("count:Q", title=t("trends.calls", lang)),
            color=alt.Color("label:N", title=t("filter.offenses", lang), scale=colour_scale(codes)),
            tooltip=[
                alt.Tooltip("month_name:N", title=t("trends.month", lang)),
                alt.Tooltip("label:N", title=t("tip.offense", lang)),
                alt.Tooltip("count:Q", title=t("trends.calls", lang), format=","),
            ],
        )
        .properties(height=300)
    )
    st.altair_chart(common.localised(line, lang), width="stretch")

    # --- CompStat: change with a test (app_pages.compstat_panel) -------------------------
    from app_pages import compstat_panel

    compstat_panel.show(ctx)
