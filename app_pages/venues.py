"""Venues: the ranked venue table with per-year counts and trends, the concentration curve,
and one venue's detail (its calls by offense, hour and weekday, and its place on the map)."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import common, mapview, risk, signin, state
from hotspots import maps, privacy
from hotspots.i18n import offense_label, t, venue_label, weekday_label
from hotspots.output import csv_bytes

#: Widths of the ranking's columns in pixels: with three years of data they add up to 940 px
#: and fit the page at 1440 px in every language (auto-sized, the Russian and Kazakh headers
#: pushed the last column out of sight). The per-year counts are numbers, not a sparkline
#: as well: the CSV download holds every column of the ranking.
WIDTHS = {
    "rank": 60,
    "name": 180,
    "kind": 100,
    "calls": 85,
    "year": 50,
    "trend": 85,
    "per_year": 140,
    "ratio": 140,
}

ctx = common.context()
lang = ctx.lang


def count_column(width: int):
    """Config of a count column: numbers, or right-aligned text in presenter mode (where
    counts below K read "< K")."""
    if ctx.presenter:
        return st.column_config.TextColumn(alignment="right", width=width)
    return st.column_config.NumberColumn(width=width)


st.header(t("page.venues", lang))
st.caption(common.source_caption(ctx))

venues = ctx.ds.venues
if len(venues) == 0:
    st.info(t("venues.none", lang))
    st.stop()
if common.no_calls(ctx):
    st.stop()

c_radius, c_kind = st.columns([1, 2])
with c_radius:
    state.bound(
        st.slider,
        "radius",
        t("venues.radius", lang),
        lang,
        min_value=10,
        max_value=300,
        step=5,
        help=t("venues.radius_help", lang),
        to_widget=lambda v: int(round(min(max(v, 10), 300) / 5) * 5),
        from_widget=float,
    )
radius = float(state.get("radius"))
rk = common.venue_ranking(ctx.ds.key, ctx.fkey, radius, ctx.calls, venues)
table = rk.table
# what the page shows: in presenter mode no count below K (hotspots.privacy), as text
public = privacy.suppress_venue_ranking(table, ctx.k) if ctx.presenter else table
kinds = sorted(table["kind"].dropna().astype(str).unique())
with c_kind:
    chosen_kinds = st.multiselect(
        t("venues.kinds", lang),
        kinds,
        format_func=lambda k: venue_label(k, lang),
        placeholder=t("filter.all", lang),
        key=f"w:venue_kinds:{lang}:{ctx.ds.key}",
    )

# the ratio to peers of a venue that is the only one of its kind (the bus station, the
# market) is 1 by definition: it has no peers, so it shows "—"
peers = table.groupby(table["kind"].astype("string").fillna(""))["venue_id"].transform("size")
peer_ratio = public["peer_ratio"].where(peers.to_numpy() > 1)

attributed = int(table["calls"].sum())
m1, m2, m3, m4 = st.columns(4)
m1.metric(t("venues.n_venues", lang), common.num(len(table)))
m2.metric(
    t("venues.attributed", lang),
    privacy.fewer_than(ctx.k) if ctx.presenter and attributed < ctx.k else common.num(attributed),
    help=t("venues.attributed_help", lang, radius=common.num(radius)),
)
m3.metric(t("venues.gini", lang), "–" if math.isnan(rk.gini) else common.num(rk.gini, 2))
top10 = rk.top_share(0.1)
m4.metric(t("venues.top10", lang), "–" if math.isnan(top10) else f"{common.num(100 * top10)}%")

# --- ranked table ---------------------------------------------------------------------
st.subheader(t("venues.ranking", lang))
picked = table["kind"].astype(str).isin(chosen_kinds) if chosen_kinds else None
shown = public if picked is None else public[picked]
year_cols = [c for c in table.columns if c.startswith("calls_")]
trend_names = {
    "rising": t("venues.trend_rising", lang),
    "falling": t("venues.trend_falling", lang),
    "stable": t("venues.trend_stable", lang),
    "n/a": "–",
}
view = pd.DataFrame(
    {
        t("venues.rank", lang): shown["rank"],
        t("tip.name", lang): shown["name"].astype("string"),
        t("tip.kind", lang): shown["kind"].map(lambda k: venue_label(k, lang)),
        t("tip.count", lang): shown["calls"],
        **{c.removeprefix("calls_"): shown[c] for c in year_cols},
        t("venues.trend", lang): shown["trend"].map(trend_names).fillna("–"),
    }
)
trend_name = t("venues.per_year", lang)
view[trend_name], trend_config = common.decimal_column(
    shown["trend_per_year"], lang, 1, signed=True, width=WIDTHS["per_year"], help=trend_name
)
ratio_name = t("venues.peer_ratio", lang)
# text, so that a venue without peers reads "—" (a number column would print "None")
view[ratio_name] = [
    "—" if pd.isna(v) else common.num(float(v), 2) for v in peer_ratio.loc[shown.index]
]
ratio_config = st.column_config.TextColumn(
    alignment="right", help=t("venues.peer_help", lang), width=WIDTHS["ratio"]
)
st.dataframe(
    view,
    hide_index=True,
    width="stretch",
    height=360,
    key="venues_table",
    column_config={
        t("venues.rank", lang): st.column_config.NumberColumn(width=WIDTHS["rank"]),
        t("tip.name", lang): st.column_config.TextColumn(width=WIDTHS["name"]),
        t("tip.kind", lang): st.column_config.TextColumn(width=WIDTHS["kind"]),
        t("tip.count", lang): count_column(WIDTHS["calls"]),
        **{c.removeprefix("calls_"): count_column(WIDTHS["year"]) for c in year_cols},
        t("venues.trend", lang): st.column_config.TextColumn(width=WIDTHS["trend"]),
        ratio_name: ratio_config,
        trend_name: trend_config,
    },
)
signin.download_button(
    t("venues.download", lang),
    csv_bytes(public),  # UTF-8 with BOM; formulas in names quoted (OWASP)
    file_name="venue_ranking.csv",
    mime="text/csv",
    key="w:venues_csv",
)

# --- concentration curve --------------------------------------------------------------
st.subheader(t("venues.curve", lang))
curve = rk.curve
if curve["share_of_calls"].notna().any():
    pts = pd.concat(
        [pd.DataFrame({"share_of_venues": [0.0], "share_of_calls": [0.0]}), curve],
        ignore_index=True,
    )
    pts["venues_pct"] = 100 * pts["share_of_venues"]
    pts["calls_pct"] = 100 * pts["share_of_calls"]
    diag = pd.DataFrame({"venues_pct": [0, 100], "calls_pct": [0, 100]})
    chart = alt.Chart(pts).mark_line(color="#c0392b").encode(
        x=alt.X("venues_pct:Q", title=t("venues.share_venues", lang)),
        y=alt.Y("calls_pct:Q", title=t("venues.share_calls", lang)),
        tooltip=[
            alt.Tooltip("venues_pct:Q", title=t("venues.share_venues", lang), format=".1f"),
            alt.Tooltip("calls_pct:Q", title=t("venues.share_calls", lang), format=".1f"),
        ],
    ) + alt.Chart(diag).mark_line(strokeDash=[4, 4], color="#888").encode(
        x="venues_pct:Q", y="calls_pct:Q"
    )
    st.altair_chart(common.localised(chart.properties(height=300), lang), width="stretch")
    st.caption(
        t(
            "venues.curve_caption",
            lang,
            gini=common.num(rk.gini, 2),
            share=common.num(100 * top10),
        )
    )
else:
    st.info(t("venues.no_attributed", lang, radius=common.num(radius)))

# --- one venue ------------------------------------------------------------------------
st.subheader(t("venues.detail", lang))
ids = table["venue_id"].astype(str).tolist()
labels = {
    r.venue_id: f"#{r.rank} · {r.name} · {venue_label(r.kind, lang)} · {r.calls}"
    for r in public[["venue_id", "rank", "name", "kind", "calls"]].itertuples(index=False)
}
state.bound(
    st.selectbox,
    "venue",
    t("venues.pick", lang),
    f"{lang}:{ctx.ds.key}",
    options=ids,
    format_func=lambda v: labels.get(v, v),
    to_widget=lambda v: v if v in ids else ids[0],
)
vid = state.get("venue") or ids[0]
detail = common.venue_detail(ctx.ds.key, ctx.fkey, radius, vid, ctx.calls, venues)
row = public[public["venue_id"].astype(str) == vid].iloc[0]
n_venue = int(table.loc[row.name, "calls"])
hidden = ctx.presenter and n_venue < ctx.k  # its count, peers and charts would give it away
st.markdown(f"**{common.md_text(row['name'])}** · {common.md_text(venue_label(row['kind'], lang))}")
d1, d2, d3, d4 = st.columns(4)
d1.metric(t("tip.count", lang), row["calls"] if ctx.presenter else common.num(n_venue))
d2.metric(t("venues.rank", lang), f"{int(row['rank'])} / {len(table)}")
d3.metric(
    t("venues.peer_ratio", lang),
    "—" if pd.isna(peer_ratio[row.name]) else common.num(float(peer_ratio[row.name]), 2),
    help=t("venues.peer_help", lang),
)
d4.metric(t("venues.trend", lang), trend_names.get(str(row["trend"]), "–"))


def small_hidden(counts: pd.Series) -> pd.Series:
    """A chart's counts; in presenter mode those below K are left out (no bar)."""
    return privacy.hide_small(counts, ctx.k) if ctx.presenter else counts


def detail_charts() -> None:
    """The venue's calls by offense, hour and weekday."""
    b1, b2, b3 = st.columns(3)
    off = detail.by_offense.rename_axis("offense").reset_index(name="count")
    off["count"] = small_hidden(off["count"])
    off["label"] = off["offense"].map(lambda o: offense_label(o, lang))
    b1.altair_chart(
        common.localised(
            alt.Chart(off)
            .mark_bar(color="#c0392b")
            .encode(
                x=alt.X("count:Q", title=t("trends.calls", lang)),
                y=alt.Y("label:N", sort="-x", title=None),
                tooltip=[alt.Tooltip("label:N", title=t("tip.offense", lang)), "count:Q"],
            )
            .properties(height=220, title=t("venues.by_offense", lang)),
            lang,
        ),
        width="stretch",
    )
    hours = detail.by_hour.rename_axis("hour").reset_index(name="count")
    hours["count"] = small_hidden(hours["count"])
    b2.altair_chart(
        common.localised(
            alt.Chart(hours)
            .mark_bar(color="#e67e22")
            .encode(
                x=alt.X("hour:O", title=t("trends.hour", lang)),
                y=alt.Y("count:Q", title=t("trends.calls", lang)),
                tooltip=["hour:O", "count:Q"],
            )
            .properties(height=220, title=t("venues.by_hour", lang)),
            lang,
        ),
        width="stretch",
    )
    days = detail.by_weekday.rename_axis("weekday").reset_index(name="count")
    days["count"] = small_hidden(days["count"])
    days["day"] = days["weekday"].map(lambda d: weekday_label(int(d), lang, short=True))
    b3.altair_chart(
        common.localised(
            alt.Chart(days)
            .mark_bar(color="#8e44ad")
            .encode(
                x=alt.X(
                    "day:N", sort=[weekday_label(d, lang, short=True) for d in range(7)], title=None
                ),
                y=alt.Y("count:Q", title=t("trends.calls", lang)),
                tooltip=["day:N", "count:Q"],
            )
            .properties(height=220, title=t("venues.by_weekday", lang)),
            lang,
        ),
        width="stretch",
    )


if hidden:  # fewer than K calls: no count, no chart (presenter mode)
    st.info(f"{t('tip.count', lang)}: {row['calls']} · {t('msg.presenter_hidden', lang)}")
else:
    detail_charts()

# its place on the map: the venue, its calls (or their cells in presenter mode), its peers
one = venues[venues["venue_id"].astype(str) == vid]
spec = maps.MapSpec(
    layers=frozenset({"calls", "venues"}),
    lang=lang,
    presenter=ctx.presenter,
    min_count=ctx.k,
    resolution=ctx.params.resolution,
    tiles=mapview.tiles(),
    center=(float(one["lat"].iloc[0]), float(one["lon"].iloc[0])),
    zoom=16,
)
ident = ("venue", ctx.ds.key, ctx.fkey, radius, vid, repr(spec))
shown = mapview.show(
    ident,
    lambda: (*maps.build_map(spec, calls=detail.calls, venues=venues), []),
    key="venue_map",
    height=420,
    # one map per venue (its first view is the venue): a filter change updates it in place
    view=(ctx.ds.key, lang, ctx.presenter, mapview.tiles(), "venue", vid),
)
line = mapview.counts_line(shown.counts, lang)
if ctx.presenter:  # as on the Map page: the calls are there, counted in cells
    line = (line + " · " if line else "") + t("msg.presenter_hidden", lang)
st.markdown(f"**{common.md_text(line)}**")
st.caption(common.source_caption(ctx))
risk.panel(ctx)  # venue risk: the risk terrain model's factors and surface
