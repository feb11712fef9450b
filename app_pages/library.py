"""Library: the team's validated datasets (kept after restarts) and saved views with links.

Analysts keep the data in use for the team (a validated upload) and delete datasets; every
role that reaches this page can open a dataset and save or open views. Everything goes
through :mod:`hotspots.store` and is recorded in the audit log.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common, signin, state
from hotspots.errors import InputError, ParameterError
from hotspots.i18n import t
from hotspots.store import datasets, views

ctx = common.context()
lang = ctx.lang
user = signin.account()
store = signin.store()
st.header(t("page.library", lang))

# datasets ---------------------------------------------------------------------------------
st.subheader(t("library.datasets", lang))
kept = datasets.list_datasets(store, kind="incidents")
if not kept:
    st.caption(t("library.none", lang))
else:
    st.dataframe(
        pd.DataFrame(
            {
                t("library.name", lang): [d.name for d in kept],
                t("library.calls", lang): [d.accepted for d in kept],
                t("library.by", lang): [d.created_by for d in kept],
                t("library.when", lang): [f"{d.created_at:%Y-%m-%d %H:%M}" for d in kept],
            }
        ),
        hide_index=True,
        key="library_table",
    )
    by_id = {d.id: d for d in kept}
    chosen = st.selectbox(
        t("library.choose", lang),
        list(by_id),
        format_func=lambda i: f"{by_id[i].name} ({common.num(by_id[i].accepted)})",
        key="library_choice",
    )
    left, right = st.columns(2)
    if left.button(t("library.open", lang), key="library_open", type="primary"):
        info = by_id[chosen]
        common.set_source(common.Source(calls=common.file_ref_for_path(info.path)))
        st.session_state["library:open"] = info.id
        st.success(t("library.opened", lang, name=info.name))
    if user.may_upload and right.button(t("library.delete", lang), key="library_delete"):
        info = by_id[chosen]
        datasets.delete_dataset(store, info.id, user.username)
        st.success(t("library.deleted", lang, name=info.name))
        st.rerun()

if user.may_upload:
    st.subheader(t("library.keep", lang))
    if ctx.ds.is_sample:
        st.caption(t("library.sample_not_kept", lang))
    else:
        name = st.text_input(t("library.keep_name", lang), value=ctx.ds.label, key="library_name")
        if st.button(t("library.keep_button", lang), key="library_keep"):
            try:
                info = datasets.save_dataset(
                    store, ctx.ds.calls_result, name, user.username, filters=state.url_params()
                )
            except (InputError, ParameterError) as exc:
                st.error(t("msg.error", lang, message=str(exc)))
            else:
                st.session_state["library:open"] = info.id
                st.success(t("library.kept", lang, name=info.name, calls=common.num(info.accepted)))

# views --------------------------------------------------------------------------------------
st.subheader(t("library.views", lang))
view_name = st.text_input(t("library.view_name", lang), key="library_view_name")
if st.button(t("library.save_view", lang), key="library_save_view", disabled=not view_name):
    try:
        saved = views.save_view(
            store,
            view_name,
            user.username,
            state.url_params(),
            dataset_id=st.session_state.get("library:open"),
        )
    except ParameterError as exc:
        st.error(t("msg.error", lang, message=str(exc)))
    else:
        st.success(t("library.view_saved", lang, name=saved.name))
listed = views.list_views(store)
if not listed:
    st.caption(t("library.no_views", lang))
for v in listed:
    st.markdown(
        t("library.view_link", lang, name=common.md_text(v.name), link=v.link("/"),
          owner=common.md_text(v.owner))
    )
