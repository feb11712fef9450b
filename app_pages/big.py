"""The Map and Trends pages on a dataset too large to load (``HOTSPOTS_BIG_ROWS``).

The calls stay on disk: the filters' choices, the calls per H3 cell and the trend tables are
computed partition by partition (:mod:`hotspots.engine.overview`, on Dask's threads in the
server process, or on the cluster the server is connected to) and cached per filter. The map
draws the cells layer (one hexagon per non-empty cell) and the density layer (its raster and
contours, on the grid the Map page of a loaded dataset uses), as that page draws them: the
browser gets no more than that page's map with the same layers, whatever the number of calls.
The calls, clusters and Gi* layers are not offered (they need the calls in one process).
Not a page of its own: ``map.py`` and ``trends.py`` hand over to it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages import common, mapview, state
from app_pages.params import MAP_LAYERS
from hotspots.errors import InputError, ParameterError
from hotspots.filters import Filters
from hotspots.i18n import offense_label, t, weekday_label


def _source(path: str, fkey: tuple, boundary: Any):
    from hotspots import engine

    return engine.Source(path, filters=Filters(*fkey), boundary=boundary)


@st.cache_data(max_entries=16, show_spinner=False)
def cells(path: str, key: str, fkey: tuple, resolution: int, _boundary: Any):
    """Calls per H3 cell with their hexagons (``key``: the data set's, for the cache)."""
    from hotspots.engine.overview import cell_layer

    return cell_layer(_source(path, fkey, _boundary), resolution)


@st.cache_data(max_entries=16, show_spinner=False)
def density(path: str, key: str, fkey: tuple, bw: float, kernel: str, cov: float, _boundary):
    """The density surface and its contours (``key``: the data set's)."""
    from hotspots.engine.overview import density_layer

    return density_layer(
        _source(path, fkey, _boundary),
        bandwidth_m=bw,
        kernel=kernel,
        coverage=cov,
        area=_boundary,
    )


#: The map layers drawn from aggregates (the calls, clusters and Gi* need more).
LAYERS = ("cells", "density")


@st.cache_data(max_entries=16, show_spinner=False)
def trends(path: str, key: str, fkey: tuple, _boundary: Any):
    """The yearly, hour x weekday and monthly tables (``key``: the data set's)."""
    from hotspots.engine.overview import trend_tables

    return trend_tables(_source(path, fkey, _boundary))


def note(ctx: Any) -> None:
    """Why this page shows aggregates: the dataset's size and the threshold."""
    from app_pages.dataset import big_rows
    from hotspots.engine.overview import dataset_rows

    rows = dataset_rows(ctx.ds.big) or 0
    st.info(
        t(
            "big.note",
            ctx.lang,
            name=ctx.ds.label,
            rows=common.num(rows),
            limit=common.num(big_rows()),
        )
    )


def map_page(ctx: Any) -> None:
    """Headline figures and the cells map of the filtered calls."""
    from hotspots import maps

    lang, p = ctx.lang, ctx.params
    if not ctx.presenter:
        note(ctx)
    with st.spinner(t("msg.loading", lang)):
        layer = cells(ctx.ds.big, ctx.ds.key, ctx.fkey, p.resolution, ctx.ds.boundary)
    n = int(layer["count"].sum())
    if n == 0:
        st.info(t("msg.no_data", lang))
        return
    cols = st.columns(3)
    cols[0].metric(t("map.calls", lang), common.num(n))
    cols[1].metric(t("big.cells", lang), common.num(len(layer)))
    cols[2].metric(t("big.busiest", lang), common.num(int(layer["count"].max())))
    shown_layers = state.bound(
        st.sidebar.pills if ctx.presenter else st.pills,
        "layers",
        t("ui.layers", lang),
        f"big:{lang}",
        options=list(LAYERS),
        selection_mode="multi",
        format_func=lambda code: t(f"layer.{code}", lang),
        # the other layers stay chosen for when a loaded data set is shown again
        to_widget=lambda v: [c for c in LAYERS if c in (v or ())],
        from_widget=lambda v: tuple(
            c for c in MAP_LAYERS if c in (v or ()) or (c not in LAYERS and c in _chosen())
        ),
    )
    data: dict[str, Any] = {"cells": layer, "boundary": ctx.ds.boundary}
    problems: list[str] = []
    if "density" in shown_layers:
        try:
            d = density(
                ctx.ds.big,
                ctx.ds.key,
                ctx.fkey,
                p.bandwidth_m,
                p.kernel,
                p.coverage,
                ctx.ds.boundary,
            )
            data["surface"], data["contours"] = d.surface, d.contours
        except (InputError, ParameterError) as exc:
            problems.append(str(exc))
    selected = {c for c in LAYERS if c in shown_layers}
    spec = {
        "layers": frozenset(selected | {"boundary"}),
        "lang": lang,
        "presenter": ctx.presenter,
        "min_count": ctx.k,
        "max_points": 1,  # no calls layer: the calls are not loaded
        "resolution": p.resolution,
        "tiles": mapview.tiles(),
    }
    ident = ("big", ctx.ds.key, ctx.fkey, tuple(sorted((k, repr(v)) for k, v in spec.items())))

    def build():
        m, counts = maps.build_map(maps.MapSpec(**spec), **data)
        return m, counts, problems

    with st.spinner(t("msg.loading", lang)):
        shown = mapview.show(
            ident,
            build,
            key="main_map",
            height=620,
            # as the Map page: filters and layers update the one map of this view in place
            view=(ctx.ds.key, ctx.lang, ctx.presenter, mapview.tiles()),
        )
    for message in shown.problems:
        st.warning(t("msg.error", lang, message=common.md_text(message)))
    line = mapview.counts_line(shown.counts, lang)
    if line:
        st.markdown(f"**{common.md_text(line)}**")
    st.caption(common.source_caption(ctx))


def trends_page(ctx: Any) -> None:
    """The yearly table, the monthly series by offense and the hour x weekday table."""
    lang = ctx.lang
    note(ctx)
    with st.spinner(t("msg.loading", lang)):
        tables = trends(ctx.ds.big, ctx.ds.key, ctx.fkey, ctx.ds.boundary)
    if tables.yearly.empty:
        st.info(t("msg.no_data", lang))
        return
    st.subheader(t("big.yearly", lang), anchor=False)
    yearly = tables.yearly.assign(offense=tables.yearly["offense"].map(_label(lang)))
    st.dataframe(yearly, hide_index=True)
    st.subheader(t("big.monthly", lang), anchor=False)
    monthly = tables.monthly.assign(offense=tables.monthly["offense"].map(_label(lang)))
    st.line_chart(monthly.pivot_table(index="month", columns="offense", values="count"))
    st.subheader(t("big.hour_weekday", lang), anchor=False)
    hw = tables.hour_weekday
    hw = pd.DataFrame(
        hw.to_numpy(),
        index=[weekday_label(i, lang, short=True) for i in range(len(hw))],
        columns=[f"{h:02d}" for h in hw.columns],
    )
    st.dataframe(hw)


def _chosen() -> tuple:
    return tuple(state.get("layers") or ())


def _label(lang: str):
    from hotspots.temporal import ALL_OFFENSES

    def label(code: str) -> str:
        return t("trends.all_offenses", lang) if code == ALL_OFFENSES else offense_label(code, lang)

    return label


__all__ = ["map_page", "note", "trends_page"]
