"""Single sign-on in the app (AppTest): the sign-in page offers the provider when ``[auth]``
is configured, an identity (``st.user``) signs in as the account of its e-mail, an unknown
one gets no access or the configured default role, signing out ends the identity too.

The real redirects through a provider are in ``test_browser_sso.py``; here ``AppTest.user``
stands for the identity Streamlit would have read from its cookie."""

from __future__ import annotations

import pytest
from app_support import new_app, run, texts
from test_app_signin import EXPECTED_PAGES, reachable

from hotspots.store import accounts, audit, open_store

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-cookie-secret-for-the-test-only",
    "client_id": "hotspots",
    "client_secret": "not-a-secret",
    "server_metadata_url": "http://localhost:9/.well-known/openid-configuration",
}
SSO_BUTTON = "Sign in with single sign-on"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty store: single sign-on alone turns team mode on."""
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HOTSPOTS_SSO_DEFAULT_ROLE", raising=False)
    s = open_store()
    yield s
    s.close()


def app(email: str | None = None, **claims):
    """The app with ``[auth]`` configured; signed in with the provider as ``email``."""
    at = new_app()
    at.secrets["auth"] = AUTH
    at.user = (
        {"is_logged_in": True, "email": email, "provider": "default", **claims}
        if email
        else {"is_logged_in": False}
    )
    return at


def test_sign_in_page_offers_the_provider_and_nothing_else(store):
    at = run(app())
    assert [b.label for b in at.button] == [SSO_BUTTON, "Sign in"]  # and the password form
    assert [w.label for w in at.text_input] == ["User name", "Password"]
    assert not at.metric and not at.get("download_button")
    at.switch_page("app_pages/data.py")  # a page asked for directly: still the sign-in page
    run(at)
    assert [w.label for w in at.text_input] == ["User name", "Password"]
    assert not at.get("file_uploader") and not at.metric


def test_identity_signs_in_as_the_account_of_its_email(store):
    accounts.add_user(store, "ann", None, "planner", email="ann@police.kz")
    at = run(app("Ann@Police.kz", email_verified=True))
    assert "Signed in as ann (planner)" in texts(at)
    assert reachable(at) == EXPECTED_PAGES["planner"]
    assert audit.events(store, action="sign_in")["username"].tolist() == ["ann"]
    run(at)  # later runs keep the session's account: mapped (and audited) once
    assert len(audit.events(store, action="sign_in")) == 1


def test_unknown_identity_gets_no_access(store):
    at = run(app("eve@elsewhere.org"))
    assert "No account for eve@elsewhere.org" in texts(at)
    assert not at.metric and not at.text_input
    assert [b.label for b in at.button] == ["Sign out"]
    at.switch_page("app_pages/data.py")
    run(at)
    assert "No account for" in texts(at) and not at.get("file_uploader")
    run(at)
    log = audit.events(store)
    assert log["action"].tolist() == ["sign_in_failed"]  # once, not at every rerun
    assert accounts.users(store) == []


def test_default_role_makes_a_presenter_with_presenter_mode_locked(store, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_SSO_DEFAULT_ROLE", "presenter")
    at = run(app("new@police.kz"))
    assert "Signed in as new@police.kz (presenter)" in texts(at)
    assert reachable(at) == EXPECTED_PAGES["presenter"]
    toggle = at.toggle(key="w:presenter:en")
    assert toggle.value is True and toggle.disabled
    assert [(a.username, a.role, a.email) for a in accounts.users(store)] == [
        ("new@police.kz", "presenter", "new@police.kz")
    ]
    assert audit.events(store)["action"].tolist()[::-1] == ["user_added", "sign_in"]


def test_signing_out_ends_the_identity(store):
    accounts.add_user(store, "ann", None, "analyst", email="ann@police.kz")
    at = run(app("ann@police.kz"))
    at.sidebar.button(key="auth_sign_out").click()
    run(at)
    assert at.user.get("is_logged_in") is False  # st.logout cleared the identity
    run(at)
    assert [b.label for b in at.button] == [SSO_BUTTON, "Sign in"] and not at.metric
    assert audit.events(store)["action"].tolist()[:1] == ["sign_out"]


def test_a_timed_out_session_ends_the_identity(store, monkeypatch):
    import streamlit as st

    accounts.add_user(store, "ann", None, "analyst", email="ann@police.kz")
    at = run(app("ann@police.kz"))
    assert at.metric
    monkeypatch.setenv("HOTSPOTS_SESSION_MINUTES", "0.00001")  # 0.6 ms
    st.cache_resource.clear()
    run(at)
    assert at.user.get("is_logged_in") is False  # else its cookie would sign it straight back
    assert not at.metric
    log = audit.events(store)
    assert (log["action"].iloc[0], log["detail"].iloc[0]) == ("sign_out", "session timed out")
