"""Users (administrators only): accounts and roles, and the audit log."""

from __future__ import annotations

import streamlit as st

from app_pages import common, signin
from hotspots.errors import ParameterError
from hotspots.i18n import t
from hotspots.store import accounts, audit
from hotspots.store.models import ROLES

lang = common.current_lang()
user = signin.account()
store = signin.store()
st.header(t("page.admin", lang))
if user.role != "admin":  # the page is not offered to others; refused here too
    st.error(t("admin.only", lang))
    st.stop()

everyone = accounts.users(store)
st.subheader(t("admin.users", lang))
st.dataframe(
    {
        t("admin.user", lang): [a.username for a in everyone],
        t("admin.role", lang): [t(f"role.{a.role}", lang) for a in everyone],
        t("admin.email", lang): [a.email or "" for a in everyone],
        t("admin.active", lang): [a.active for a in everyone],
    },
    hide_index=True,
    key="admin_users",
)

with st.form("admin_add", clear_on_submit=True):
    st.markdown(f"**{t('admin.add', lang)}**")
    name = st.text_input(t("auth.username", lang), key="admin_new_name")
    role = st.selectbox(
        t("admin.role", lang), ROLES, format_func=lambda r: t(f"role.{r}", lang), key="admin_role"
    )
    password = st.text_input(t("auth.password", lang), type="password", key="admin_new_pw")
    email = st.text_input(
        t("admin.email", lang), key="admin_new_email", help=t("admin.sso_only", lang)
    )
    if st.form_submit_button(t("admin.add", lang)):
        try:
            added = accounts.add_user(
                store, name, password or (None if email else ""), role,
                email=email or None, by=user.username,
            )  # fmt: skip
            st.success(t("admin.added", lang, user=added.username, role=t(f"role.{role}", lang)))
        except ParameterError as exc:
            st.error(t("msg.error", lang, message=str(exc)))

if everyone:
    st.markdown(f"**{t('admin.change', lang)}**")
    names = [a.username for a in everyone]
    who = st.selectbox(t("admin.user", lang), names, key="admin_who")
    new_role = st.selectbox(
        t("admin.role", lang), ROLES, format_func=lambda r: t(f"role.{r}", lang),
        key="admin_new_role",
    )
    new_email = st.text_input(t("admin.email", lang), key="admin_set_email_text")
    c1, c2, c3, c4 = st.columns(4)
    change = None
    if c1.button(t("admin.set_role", lang), key="admin_set_role"):
        change = {"role": new_role}
    if c2.button(t("admin.disable", lang), key="admin_disable", disabled=who == user.username):
        change = {"active": False}
    if c3.button(t("admin.enable", lang), key="admin_enable"):
        change = {"active": True}
    if c4.button(t("admin.set_email", lang), key="admin_set_email"):
        change = {"email": new_email.strip()}  # empty: removes the address
    if change is not None:
        try:
            accounts.change_user(store, who, by=user.username, **change)
        except ParameterError as exc:
            st.error(t("msg.error", lang, message=str(exc)))
        else:
            st.success(t("admin.changed", lang, user=who))
            st.rerun()

st.subheader(t("admin.audit", lang))
st.dataframe(audit.events(store, limit=500), hide_index=True, key="admin_audit")
