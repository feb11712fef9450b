"""Map: the filtered calls as H3 cells, density, clusters, Gi* hot spots, venues and calls."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from app_pages import common, emptiness, mapview, state, timemap_panel
from hotspots.i18n import offense_label, t, weekday_label

#: Offense names longer than this are set in smaller type outside presenter mode.
LONG_NAME = 12


def period_label(first, last) -> str:
    """The period of the calls as a headline: "2019–2021", "2021" within one year, "2021-03"
    within one month, "–" without dates."""
    if first is None or pd.isna(first):
        return "–"
    if first.year != last.year:
        return f"{first.year}–{last.year}"
    if first.month != last.month:
        return str(first.year)
    return f"{first:%Y-%m}"


def name_css(name: str, presenter: bool) -> str:
    """CSS for the main-offense metric: a long name ("Public order offence", "Нарушение
    общественного порядка") wraps (app.py) in a type small enough for its longest word to fit
    the column (container units), so it is never cut off nor broken inside a word."""
    box = ".st-key-map_top_offense"
    base = common.PRESENTER_METRIC_SIZE if presenter else "2.25rem"
    if len(name) > LONG_NAME and not presenter:
        base = "clamp(1.25rem,1.9vw,2.25rem)"  # two lines rather than four beside the figures
    longest = max((len(word) for word in name.split()), default=1)
    fit = f"{100 / (0.62 * longest):.1f}cqi"  # ~0.62 em per letter
    return (
        f"{box}{{container-type:inline-size}}"
        f"{box} [data-testid='stMetricValue']{{font-size:min({base},{fit});line-height:1.15}}"
    )


#: Height of the map in presenter mode: the viewport less the title and the figures above it
#: (CSS, so it fits 1280x720 and 1920x1080 alike without scrolling).
PRESENTER_MAP_HEIGHT = "calc(100vh - 18rem)"


def presenter_css() -> str:
    """Presenter mode as a slide: the map fills the rest of the viewport, nothing scrolls."""
    frame = "iframe[title='streamlit_folium.st_folium']"
    return (
        f"{frame}{{height:{PRESENTER_MAP_HEIGHT}!important;min-height:18rem}}"
        ".st-key-map_title h3{padding:0 0 .25rem 0}"
        "[data-testid='stMainBlockContainer']{padding-bottom:0!important}"
    )


ctx = common.context()
lang, p = ctx.lang, ctx.params
if not ctx.presenter:
    st.header(t("app.title", lang))
    st.caption(t("app.subtitle", lang))

if ctx.ds.big:  # too large to load: cells computed partition by partition (app_pages/big.py)
    from app_pages import big

    big.map_page(ctx)
    st.stop()

if common.no_calls(ctx):
    st.stop()

# --- headline figures -------------------------------------------------------------------
h = common.headline(ctx.ds.key, ctx.fkey, ctx.pkey, ctx.calls, len(ctx.ds.calls), ctx.cells)
if ctx.presenter:
    # a slide: its title (what and when) above the figures; the map takes the rest
    st.html(f"<style>{presenter_css()}</style>")
    with st.container(key="map_title"):
        st.subheader(
            f"{t('app.title', lang)} · {period_label(h.first, h.last)}", anchor=False
        )
cols = st.columns(5)
cols[0].metric(
    t("map.calls", lang),
    common.num(h.n_calls),
    help=t("map.calls_help", lang, total=common.num(h.n_total)),
)
cols[1].metric(
    t("map.period", lang),
    period_label(h.first, h.last),
    help=common.period_text(ctx.calls),
)
top_name = offense_label(h.top_offense, lang) if h.top_offense else "–"
st.html(f"<style>{name_css(top_name, ctx.presenter)}</style>")
with cols[2].container(key="map_top_offense"):
    st.metric(
        t("map.top_offense", lang),
        top_name,
        f"{common.num(100 * h.top_offense_share)}%" if h.top_offense else None,
        delta_color="off",
        delta_arrow="off",
    )
cols[3].metric(
    t("map.peak", lang),
    f"{weekday_label(h.peak_weekday, lang, short=True)} {h.peak_hour:02d}:00"
    if h.peak_weekday is not None
    else "–",
    help=t("map.peak_help", lang),
)
cols[4].metric(
    t("map.concentration", lang),
    "–" if math.isnan(h.top_cells_share) else f"{common.num(100 * h.top_cells_share)}%",
    help=t("map.concentration_help", lang, cells=common.num(h.n_top_cells), res=p.resolution),
)

# --- layers ------------------------------------------------------------------------------
layers = state.bound(
    # presenter mode: the switches live in the sidebar, off the slide
    st.sidebar.pills if ctx.presenter else st.pills,
    "layers",
    t("ui.layers", lang),
    lang,
    options=list(common.MAP_LAYERS),
    selection_mode="multi",
    format_func=lambda code: t(f"layer.{code}", lang),
    to_widget=list,
    from_widget=lambda v: tuple(c for c in common.MAP_LAYERS if c in (v or ())),
)
selected = set(layers)
slide = {"layer_control": False, "zoom_control": False, "fill_frame": True}
ident, build = common.map_builder(ctx, selected, p, **(slide if ctx.presenter else {}))
with st.spinner(t("msg.loading", lang)):
    shown = mapview.show(
        ("main", *ident), build, key="main_map", height=620,
        # one map per data set, language, mode and basemap: filters and layers update it
        view=(ctx.ds.key, ctx.lang, ctx.presenter, mapview.tiles()),
    )
counts = shown.counts
for message in shown.problems:
    st.warning(t("msg.error", lang, message=common.md_text(message)))
emptiness.warn_empty_layers(ctx, selected, p, counts)  # a blank layer says why and what to try

line = mapview.counts_line(counts, lang)
if ctx.presenter and "calls" in selected:
    line = (line + " · " if line else "") + t("msg.presenter_hidden", lang)
if line and ctx.presenter:  # one small line under the slide's map, with the source
    st.caption(f"{common.md_text(line)} · {common.source_caption(ctx)}")
elif line:
    st.markdown(f"**{common.md_text(line)}**")
if not ctx.presenter or not line:
    st.caption(common.source_caption(ctx))
if not ctx.presenter and counts.get("calls_mode") == "cells" and "calls" in selected:
    st.caption(t("map.calls_cells_note", lang))

# maps through time: cells per month or week with a fixed legend, and a GIF (timemap_panel);
# in presenter mode in the sidebar, so the slide stays the map alone and nothing scrolls
if ctx.presenter:
    with st.sidebar:
        timemap_panel.show(ctx)
else:
    timemap_panel.show(ctx)
