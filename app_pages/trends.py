"""Trends: calls by year and offense, hour x weekday heatmap, month by month."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import common
from hotspots.i18n import month_label, offense_label, t, weekday_label
from hotspots.temporal import ALL_OFFENSES

ctx = common.context()
lang = ctx.lang
st.header(t("page.trends", lang))
st.caption(common.source_caption(ctx))

if not common.no_calls(ctx):
    tr = common.trends(ctx.ds.key, ctx.fkey, ctx.calls)

    def label(code: str) -> str:
        return t("trends.all_offenses", lang) if code == ALL_OFFENSES else offense_label(code, lang)

    # --- calls by year and offense -------------------------------------------------------
    st.subheader(t("trends.by_year", lang))
    yearly = tr.yearly.copy()
    yearly["label"] = yearly["offense"].map(label)
    years = sorted(yearly["year"].astype(int).unique())
    first, last = years[0], years[-1]
    by_offense = yearly[yearly["offense"] != ALL_OFFENSES]
    if len(years) > 1:
        # one metric per offense: last year's count and the change since the first year
        st.caption(t("trends.change_caption", lang, first=first, last=last))
        a = yearly[yearly["year"] == first].set_index("offense")["count"]
        b = yearly[yearly["year"] == last].set_index("offense")["count"]
        order = [ALL_OFFENSES] + (b - a).drop(ALL_OFFENSES).sort_values().index.tolist()
        cols = st.columns(min(len(order), 7))
        for i, code in enumerate(order):
            before, after = int(a.get(code, 0)), int(b.get(code, 0))
            delta = f"{100 * (after - before) / before:+.0f}%" if before else f"{after - before:+d}"
            cols[i % len(cols)].metric(
                common.md_text(label(code)), common.num(after), delta, delta_color="inverse"
            )
    chart = (
        alt.Chart(by_offense)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title=t("trends.year", lang)),
            y=alt.Y("count:Q", title=t("trends.calls", lang)),
            color=alt.Color("label:N", title=t("filter.offenses", lang)),
            tooltip=[
                alt.Tooltip("label:N", title=t("tip.offense", lang)),
                alt.Tooltip("year:O", title=t("trends.year", lang)),
                alt.Tooltip("count:Q", title=t("trends.calls", lang)),
                alt.Tooltip("change_pct:Q", title=t("trends.change_pct", lang), format="+.1f"),
            ],
        )
        .properties(height=320)
    )
    if len(years) > 1:
        # the change since the first year, one bar per offense: rises and falls at a glance
        change = (
            by_offense[by_offense["year"].isin([first, last])]
            .pivot(index="label", columns="year", values="count")
            .rename(columns=str)
            .reset_index()
        )
        a, b = change[str(first)], change[str(last)]
        change = change.assign(pct=100 * (b - a) / a.where(a > 0)).dropna(subset=["pct"])
        change["direction"] = change["pct"].map(lambda v: "up" if v > 0 else "down")
        bars = (
            alt.Chart(change)
            .mark_bar()
            .encode(
                x=alt.X("pct:Q", title=t("trends.change_pct", lang)),
                y=alt.Y("label:N", sort="-x", title=None),
                color=alt.Color(
                    "direction:N",
                    scale=alt.Scale(domain=["up", "down"], range=["#c0392b", "#2e86c1"]),
                    legend=None,
                ),
                tooltip=[
                    alt.Tooltip("label:N", title=t("tip.offense", lang)),
                    alt.Tooltip("pct:Q", title=t("trends.change_pct", lang), format="+.1f"),
                ],
            )
            .properties(height=320, title=t("trends.change_title", lang, first=first, last=last))
        )
        left, right = st.columns([3, 2])
        left.altair_chart(chart, width="stretch")
        right.altair_chart(bars, width="stretch")
    else:
        st.altair_chart(chart, width="stretch")
    table = yearly.pivot(index="label", columns="year", values="count")
    table.columns = [str(c) for c in table.columns]
    if len(years) > 1:
        a = table[str(first)].astype(float)
        table[t("trends.change_pct", lang)] = (100 * (table[str(last)] - a) / a.where(a > 0)).round(
            1
        )
    table.index.name = t("tip.offense", lang)
    st.dataframe(table, width="stretch", key="trends_table")

    # --- hour x weekday ------------------------------------------------------------------
    st.subheader(t("trends.hour_weekday", lang))
    hw = tr.hour_weekday.copy()
    hw.index = range(7)
    long = hw.stack().rename("count").reset_index()
    long.columns = ["weekday", "hour", "count"]
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
                alt.Tooltip("count:Q", title=t("trends.calls", lang)),
            ],
        )
        .properties(height=260)
    )
    st.altair_chart(heat, width="stretch")
    unknown = int(tr.hour_weekday.attrs.get("unknown", 0))
    if unknown:
        st.caption(t("trends.unknown_time", lang, n=common.num(unknown)))

    # --- month by month ------------------------------------------------------------------
    st.subheader(t("trends.monthly", lang))
    split = st.toggle(t("trends.by_offense", lang), key="w:trends_split")
    monthly = (tr.monthly_by_offense if split else tr.monthly).copy()
    monthly["label"] = monthly["offense"].map(label) if split else t("trends.all_offenses", lang)
    monthly["month_name"] = [
        f"{month_label(m.month, lang, short=True)} {m.year}"
        for m in pd.to_datetime(monthly["month"])
    ]
    line = (
        alt.Chart(monthly)
        .mark_line(point=len(monthly) < 80)
        .encode(
            x=alt.X("month:T", title=t("trends.month", lang)),
            y=alt.Y("count:Q", title=t("trends.calls", lang)),
            color=alt.Color("label:N", title=t("filter.offenses", lang)),
            tooltip=[
                alt.Tooltip("month_name:N", title=t("trends.month", lang)),
                alt.Tooltip("label:N", title=t("tip.offense", lang)),
                alt.Tooltip("count:Q", title=t("trends.calls", lang)),
            ],
        )
        .properties(height=300)
    )
    st.altair_chart(line, width="stretch")
