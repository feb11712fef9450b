"""Single sign-on for real: a local OpenID Connect provider (``oidc-provider-mock``, on
localhost), the app served by ``streamlit run`` with ``[auth]`` in its secrets, and Chromium
going through ``st.login``'s redirects: provider's authorisation page, the app's
``/oauth2callback``, back to the app.

- an identity whose e-mail belongs to an account signs in with that account's role;
- an unknown identity gets no access (no page, no map), and both are in the audit log;
- signing out ends the identity too: the next visit shows the sign-in page again.

Needs Debian's ``/usr/bin/chromium``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from browser_support import AppServer, chromium

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ANN = ("ann-sub", "ann@police.kz")  # an account (analyst) carries this e-mail
EVE = ("eve-sub", "eve@elsewhere.org")  # no account
ANALYST_PAGES = ["Map", "Tune", "Venues", "Trends", "Near repeats", "Data", "Export", "Library"]
SSO_BUTTON = "Sign in with single sign-on"

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is absent: install Debian's chromium (make chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api")
oidc_mock = pytest.importorskip("oidc_provider_mock")
pytest.importorskip("authlib")


@pytest.fixture(scope="module")
def provider():
    """The OIDC provider: its users sign in by pressing their ``sub`` on its form."""
    users = [
        oidc_mock.User(sub=sub, claims={"email": email, "email_verified": True})
        for sub, email in (ANN, EVE)
    ]
    with oidc_mock.run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory, provider):
    from hotspots.store import StoreConfig, accounts, open_store

    tmp = tmp_path_factory.mktemp("sso_server")
    store = open_store(StoreConfig(url=f"sqlite:///{tmp / 'hotspots.sqlite'}", data_dir=tmp))
    accounts.add_user(store, "ann", None, "analyst", email=ANN[1])  # single sign-on only
    store.close()
    secrets_toml = tmp / "secrets.toml"
    secrets_toml.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "hotspots"\n'
        'client_secret = "not-a-secret-in-this-test"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    env = {
        "HOTSPOTS_TILES": "none",
        "HOTSPOTS_DATA_DIR": str(tmp),
        "STREAMLIT_SECRETS_FILES": str(secrets_toml),
    }
    env |= dict.fromkeys(("HOTSPOTS_CALLS", "HOTSPOTS_VENUES", "HOTSPOTS_DB"))  # unset
    env |= dict.fromkeys(("HOTSPOTS_SSO_DEFAULT_ROLE",))
    srv = AppServer(tmp / "streamlit.log", env)
    srv.data_dir = tmp
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def sso_sign_in(browser, server, sub: str):
    """A fresh browser (no cookies) through the provider as ``sub``; the app's page after."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.goto(server.url)
    page.get_by_role("button", name=SSO_BUTTON).click(timeout=60_000)
    # the provider's authorisation page: its known users are buttons
    page.get_by_role("button", name=sub, exact=True).click(timeout=30_000)
    page.wait_for_url(f"{server.url}/**", timeout=30_000)
    page.get_by_test_id("stApp").wait_for(timeout=60_000)
    return context, page


def audit_rows(server):
    from hotspots.store import StoreConfig, audit, open_store

    folder = server.data_dir
    store = open_store(StoreConfig(url=f"sqlite:///{folder / 'hotspots.sqlite'}", data_dir=folder))
    try:
        return audit.events(store).iloc[::-1].reset_index(drop=True)
    finally:
        store.close()


def test_known_identity_signs_in_with_its_role_and_out_again(server, browser):
    context, page = sso_sign_in(browser, server, ANN[0])
    page.get_by_text("Signed in as ann (analyst)").wait_for(timeout=60_000)
    links = page.get_by_test_id("stTopNavLink")
    links.first.wait_for(timeout=60_000)
    labels = [t.strip().splitlines()[-1] for t in links.all_inner_texts() if t.strip()]
    assert labels == ANALYST_PAGES
    rows = audit_rows(server)
    signed = rows[(rows["action"] == "sign_in") & (rows["username"] == "ann")]
    assert signed["detail"].tolist() == [f"single sign-on (default), {ANN[1]}"]

    # sign out: the app's session and the identity's cookie both end, and the provider's
    # end-session page (its metadata has an end_session_endpoint) sends the browser back
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click(timeout=30_000)
    page.get_by_role("button", name=SSO_BUTTON).wait_for(timeout=60_000)
    assert page.get_by_test_id("stTopNavLink").count() == 0
    assert not [c for c in context.cookies() if c["name"].startswith("_streamlit_user")]
    rows = audit_rows(server)
    assert rows["action"].tolist()[-1] == "sign_out" and rows["username"].tolist()[-1] == "ann"
    context.close()


def test_unknown_identity_gets_no_access(server, browser):
    context, page = sso_sign_in(browser, server, EVE[0])
    page.get_by_text(f"No account for {EVE[1]}").wait_for(timeout=60_000)
    assert page.get_by_test_id("stTopNavLink").count() == 0
    assert page.get_by_test_id("stMetric").count() == 0
    assert page.locator('iframe[title="streamlit_folium.st_folium"]').count() == 0
    rows = audit_rows(server)
    refused = rows[rows["action"] == "sign_in_failed"]
    assert refused["username"].tolist() == [EVE[1]]
    assert refused["detail"].tolist() == ["single sign-on (default): unknown"]
    context.close()
