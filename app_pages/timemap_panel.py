"""Maps through time on the Map page: the filtered calls per H3 cell stepped through months or
weeks (slider and play button, one fixed legend) and an animated GIF to download
(:mod:`hotspots.timeaware.timemaps`, the figures of ``hotspots timemap``).

In presenter mode no cell from fewer than K calls in a period is drawn.
"""

from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components

from app_pages import signin
from hotspots.errors import InputError, ParameterError
from hotspots.i18n import t
from hotspots.maps.assemble import map_html
from hotspots.tiles import TileConfig
from hotspots.timeaware.timemaps import animation_gif, time_cells, time_map

RESOLUTION = 8


@st.cache_data(max_entries=16, show_spinner=False)
def _html(key: str, fkey: tuple, freq: str, k: int, title: str, _calls) -> tuple[str, int]:
    tc = time_cells(_calls, freq=freq, resolution=RESOLUTION, min_count=max(k, 1))
    return map_html(time_map(tc, title=title, tiles=TileConfig.from_env())), len(tc.periods)


@st.cache_data(max_entries=4, show_spinner=False)
def _gif(key: str, fkey: tuple, freq: str, k: int, title: str, _calls) -> bytes:
    tc = time_cells(_calls, freq=freq, resolution=RESOLUTION, min_count=max(k, 1))
    return animation_gif(tc, title=title)


def show(ctx) -> None:
    """Draw the panel (inside an expander) for the page's context."""
    lang = ctx.lang
    k = ctx.k if ctx.presenter else 1
    # lazy: the maps through time are computed only while the panel is open, not on every
    # filter change of the Map page (issue 12: a filter change settled within 1 s)
    with st.expander(t("tm.title", lang), expanded=False, key="tm_open", on_change="rerun") as box:
        if not box.open:
            return
        freq = st.radio(
            t("tm.freq", lang),
            ("month", "week"),
            format_func=lambda f: t(f"tm.freq_{f}", lang),
            horizontal=True,
            key="tm_freq",
        )
        title = t("tm.legend", lang)
        try:
            html, n = _html(ctx.ds.key, ctx.fkey, freq, k, title, ctx.calls)
        except (InputError, ParameterError) as exc:
            st.info(str(exc))
            return
        st.caption(t("tm.caption", lang, n=n))
        components.html(html, height=520)
        if st.button(t("tm.make_gif", lang), key="tm_gif"):
            with st.spinner(t("msg.loading", lang)):
                data = _gif(ctx.ds.key, ctx.fkey, freq, k, title, ctx.calls)
            signin.download_button(
                t("tm.download_gif", lang),
                data,
                file_name=f"hotspots_{freq}s.gif",
                mime="image/gif",
                key="tm_gif_download",
            )
