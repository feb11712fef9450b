"""Export: the take-aways of the current view (patrol plan, briefing map, one-page report).

The files are made by :func:`hotspots.report.build_report_bundle` from the calls, filters,
parameters, language and presenter mode in force; this page only offers the choice of method,
number of hotspots and files, and the download buttons.
"""

from __future__ import annotations

import streamlit as st

from app_pages import common, signin, state
from hotspots.errors import InputError, ParameterError
from hotspots.i18n import t
from hotspots.patrol import METHODS, PatrolParams, oversized_lines
from hotspots.report import BUNDLE_FILES, build_report_bundle
from hotspots.tiles import TileConfig

#: Session key of the last bundle made: (view key, Bundle or None).
BUNDLE_KEY = "export_bundle"

ctx = common.context()
lang = ctx.lang
st.header(t("page.export", lang))
st.caption(common.source_caption(ctx))

if not common.no_calls(ctx):
    left, right = st.columns(2)
    method = left.radio(
        t("export.method", lang),
        METHODS,
        format_func=lambda m: t(f"export.method_{m}", lang),
        horizontal=True,
        key="export_method",
    )
    top = int(right.number_input(t("export.top", lang), 1, 50, 10, step=1, key="export_top"))
    files = st.multiselect(
        t("export.files", lang), BUNDLE_FILES, default=list(BUNDLE_FILES), key="export_files"
    )
    if ctx.presenter:
        st.info(t("patrol.presenter_note", lang, k=ctx.k))
    view = (ctx.ds.key, ctx.fkey, ctx.pkey, method, top, ctx.presenter, ctx.k, lang, tuple(files))
    if st.button(t("export.make", lang), type="primary", key="export_make", disabled=not files):
        venues = ctx.ds.venues if ctx.ds.venues is not None and len(ctx.ds.venues) else None
        try:
            params = PatrolParams.from_view(ctx.requested, method=method, top=top, min_count=ctx.k)
            with st.spinner(t("msg.loading", lang)):
                made = build_report_bundle(
                    ctx.calls,
                    venues,
                    ctx.ds.boundary,
                    source=ctx.ds.label,
                    filters=ctx.filters,
                    params=params,
                    presenter=ctx.presenter,
                    lang=lang,
                    tiles=TileConfig.from_env(),
                    files=files,
                )
        except (InputError, ParameterError) as exc:
            st.error(t("msg.error", lang, message=str(exc)))
            made = None
        st.session_state[BUNDLE_KEY] = (view, made)
        if made is not None:  # who exported what, with which filters (the audit log)
            signin.record("export", filters=state.url_params(), detail=", ".join(files))

    stored = st.session_state.get(BUNDLE_KEY)
    if stored and stored[0] == view and stored[1] is not None:
        bundle = stored[1]
        st.subheader(t("patrol.title", lang))
        # hotspots larger than a patrol area: the printable plan's warnings, in the same words
        for line in oversized_lines(bundle.plan, lang):
            st.warning(line)
        columns = ["rank", "location", "n_incidents", "top_offenses", "peak_hours", "peak_weekdays"]
        labels = {
            "rank": "#",
            "location": t("patrol.location", lang),
            "n_incidents": t("patrol.calls", lang),
            "top_offenses": t("patrol.offenses", lang),
            "peak_hours": t("patrol.peak_hours", lang),
            "peak_weekdays": t("patrol.peak_weekdays", lang),
        }
        if len(bundle.plan):  # an empty plan is its warning above, not a table and downloads
            st.dataframe(
                bundle.plan[columns].rename(columns=labels), hide_index=True, width="stretch"
            )
            buttons = st.columns(max(1, min(4, len(bundle.files))))
            for i, (name, data) in enumerate(bundle.files.items()):
                with buttons[i % len(buttons)]:  # each click is a row of the audit log
                    signin.download_button(
                        name,
                        data,
                        file_name=name,
                        mime=bundle.media_type(name),
                        key=f"export_dl_{name}",
                    )
        st.caption(bundle.provenance.as_text(lang))
