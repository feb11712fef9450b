"""Import calls from a configured database connection (``HOTSPOTS_SOURCE_DB``), on the Data
page: a table or a query, validated like a file, kept in the team's store and opened.

The connection is the server's configuration, never typed by a user (so no user can point
the server at another database); only analysts and admins reach the Data page.
"""

from __future__ import annotations

import os

import streamlit as st

from app_pages import common, signin, state
from hotspots.errors import InputError, ParameterError
from hotspots.i18n import t

ENV_SOURCE_DB = "HOTSPOTS_SOURCE_DB"


def section(lang: str) -> None:
    """The import form, when a connection is configured (nothing otherwise)."""
    url = os.environ.get(ENV_SOURCE_DB, "").strip()
    user = signin.account()
    if not url or not user.may_upload:
        return
    from hotspots.io import read_incidents
    from hotspots.store import datasets
    from hotspots.store.database import DatabaseSource

    st.subheader(t("dbimport.title", lang))
    how = st.radio(
        t("dbimport.how", lang),
        ("table", "query"),
        format_func=lambda v: t(f"dbimport.{v}", lang),
        horizontal=True,
        key="dbimport_how",
    )
    what = st.text_input(t(f"dbimport.{how}", lang), key=f"dbimport_{how}")
    name = st.text_input(t("library.keep_name", lang), key="dbimport_name")
    if st.button(t("dbimport.run", lang), key="dbimport_run", disabled=not (what and name)):
        try:
            src = DatabaseSource(url, **{how: what})
            with st.spinner(t("msg.loading", lang)):
                result = read_incidents(src)
                info = datasets.save_dataset(
                    signin.store(), result, name, user.username, filters=state.url_params()
                )
        except (InputError, ParameterError) as exc:
            st.error(t("msg.error", lang, message=common.md_text(exc)))
            return
        common.set_source(common.Source(calls=common.file_ref_for_path(info.path)))
        st.session_state["library:open"] = info.id
        st.success(t("library.kept", lang, name=info.name, calls=common.num(info.accepted)))
