# ruff: noqa: F811  (the store fixtures are imported from store_support)
"""Single sign-on identities mapped to accounts by e-mail, on SQLite and a real PostgreSQL:
known, unknown (no access or a default role), disabled, unverified, without an address;
every outcome audited; SSO-only accounts never sign in with a password; the e-mail column
arrives by migration on a store made before it."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from store_support import backend_url, config, postgis, store  # noqa: F401  (fixtures)

from hotspots.errors import ParameterError
from hotspots.store import accounts, audit, migrate, open_store, sso
from hotspots.store.accounts import Account

PASSWORD = "correct horse battery"


def log(store):
    """(action, username, detail) of each audit row, oldest first."""
    rows = audit.events(store).iloc[::-1]
    return list(zip(rows["action"], rows["username"], rows["detail"], strict=True))


def test_known_address_signs_in_with_the_accounts_role(store):
    accounts.add_user(store, "ann", PASSWORD, "planner", email="Ann.Lee@Police.KZ")
    out = sso.sign_in_identity(
        store, {"email": "ann.lee@police.kz", "email_verified": True}, provider="police"
    )
    assert out.account == Account("ann", "planner", True, "ann.lee@police.kz")
    assert (out.reason, out.created) == (None, False)
    assert log(store)[-1] == ("sign_in", "ann", "single sign-on (police), ann.lee@police.kz")


def test_user_name_equal_to_the_address_matches_too(store):
    accounts.add_user(store, "Pat@Police.kz", PASSWORD, "presenter")
    out = sso.sign_in_identity(store, {"email": "pat@police.kz"})
    assert out.account is not None and out.account.username == "Pat@Police.kz"
    assert out.account.role == "presenter"


def test_unknown_address_gets_no_access_and_is_audited(store):
    accounts.add_user(store, "ann", PASSWORD, "analyst", email="ann@police.kz")
    out = sso.sign_in_identity(store, {"email": "eve@elsewhere.org"})
    assert (out.account, out.reason, out.email) == (None, "unknown", "eve@elsewhere.org")
    assert log(store)[-1] == (
        "sign_in_failed", "eve@elsewhere.org", "single sign-on (default): unknown"
    )
    assert [a.username for a in accounts.users(store)] == ["ann"]  # nothing created


def test_unknown_address_gets_the_default_role_once(store):
    first = sso.sign_in_identity(store, {"email": "New.Officer@police.kz"}, default_role="planner")
    assert first.created and first.account == Account(
        "new.officer@police.kz", "planner", True, "new.officer@police.kz"
    )
    again = sso.sign_in_identity(store, {"email": "new.officer@police.kz"}, default_role="planner")
    assert not again.created and again.account == first.account
    assert [(a.username, a.role) for a in accounts.users(store)] == [
        ("new.officer@police.kz", "planner")
    ]
    assert [r[:2] for r in log(store)] == [
        ("user_added", "sso"), ("sign_in", "new.officer@police.kz"),
        ("sign_in", "new.officer@police.kz"),
    ]  # fmt: skip
    # the created account has no password: no password at all signs in as it
    assert accounts.authenticate(store, "new.officer@police.kz", "") is None
    assert accounts.authenticate(store, "new.officer@police.kz", accounts.SSO_ONLY) is None
    assert store.has_accounts()  # an SSO account turns team mode on like any other


def test_a_role_given_by_the_admin_wins_over_the_default(store):
    accounts.add_user(store, "ann", None, "analyst", email="ann@police.kz")
    out = sso.sign_in_identity(store, {"email": "ann@police.kz"}, default_role="presenter")
    assert out.account.role == "analyst" and not out.created


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": "123"}, "no_email"),
        ({"email": "not an address"}, "no_email"),
        ({"email": "ann@police.kz", "email_verified": False}, "unverified"),
        ({"email": "ann@police.kz", "email_verified": "false"}, "unverified"),
    ],
)
def test_identities_without_a_trustworthy_address_are_refused(store, claims, reason):
    accounts.add_user(store, "ann", PASSWORD, "analyst", email="ann@police.kz")
    out = sso.sign_in_identity(store, claims, default_role="planner")
    assert (out.account, out.reason) == (None, reason)
    assert log(store)[-1][0] == "sign_in_failed" and log(store)[-1][2].endswith(reason)
    assert len(accounts.users(store)) == 1


def test_disabled_account_is_refused(store):
    accounts.add_user(store, "ann", PASSWORD, "analyst", email="ann@police.kz")
    accounts.change_user(store, "ann", active=False, by="chief")
    out = sso.sign_in_identity(store, {"email": "ann@police.kz"}, default_role="analyst")
    assert (out.account, out.reason) == (None, "disabled")
    assert log(store)[-1] == (
        "sign_in_failed", "ann", "single sign-on (default): disabled, ann@police.kz"
    )


def test_an_address_too_long_for_a_user_name_is_not_created(store):
    address = "a" * 75 + "@police.kz"
    out = sso.sign_in_identity(store, {"email": address}, default_role="planner")
    assert (out.account, out.reason) == (None, "too_long")
    assert accounts.users(store) == []


def test_emails_are_unique_and_validated(store):
    accounts.add_user(store, "ann", PASSWORD, "analyst", email="ann@police.kz")
    with pytest.raises(ParameterError, match="belongs to another user"):
        accounts.add_user(store, "bob", PASSWORD, "analyst", email="ANN@police.kz")
    accounts.add_user(store, "bob", PASSWORD, "analyst")
    with pytest.raises(ParameterError, match="belongs to another user"):
        accounts.change_user(store, "bob", email="ann@police.kz")
    with pytest.raises(ParameterError, match="name@domain"):
        accounts.change_user(store, "bob", email="bob")
    with pytest.raises(ParameterError, match="needs an e-mail"):
        accounts.add_user(store, "cat", None, "analyst")
    assert accounts.change_user(store, "ann", email="").email is None  # removed
    assert accounts.change_user(store, "bob", email="ann@police.kz").email == "ann@police.kz"


def test_default_role_setting():
    assert sso.default_role_from_env({}) is None
    assert sso.default_role_from_env({"HOTSPOTS_SSO_DEFAULT_ROLE": " Planner "}) == "planner"
    with pytest.raises(ParameterError, match="administrators are added by name"):
        sso.default_role_from_env({"HOTSPOTS_SSO_DEFAULT_ROLE": "admin"})


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        (None, ()),
        ({"redirect_uri": "u", "cookie_secret": "s"}, ()),
        ({"redirect_uri": "u", "client_id": "c", "server_metadata_url": "m"}, ("default",)),
        ({"redirect_uri": "u", "keycloak": {"client_id": "c"}, "okta": {"client_id": "d"}},
         ("keycloak", "okta")),
    ],
)  # fmt: skip
def test_providers_of_the_auth_section(auth, expected):
    assert sso.providers(auth) == expected


def test_a_store_made_before_the_email_column_is_migrated(config):
    from hotspots.store.engine import make_engine

    engine = make_engine(config.url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as c:  # an account of the old schema
        c.execute(text(
            "INSERT INTO users (username, password_hash, role, active, created_at) "
            "VALUES ('old', 'x', 'admin', true, CURRENT_TIMESTAMP)"
        ))  # fmt: skip
    engine.dispose()
    store = open_store(config)  # migrates to the head
    try:
        assert migrate.current(store.engine) == "0002"
        assert "email" in {c["name"] for c in inspect(store.engine).get_columns("users")}
        assert accounts.users(store) == [Account("old", "admin", True, None)]
        accounts.change_user(store, "old", email="old@police.kz")
        assert sso.sign_in_identity(store, {"email": "old@police.kz"}).account.username == "old"
    finally:
        store.close()


def test_cli_accounts_with_an_email(capsys, tmp_path, monkeypatch):
    from cli_support import run

    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HOTSPOTS_DB", raising=False)
    code, out, err = run(
        capsys, "store", "add-user", "ann", "--role", "analyst", "--email", "Ann@Police.kz",
        "--sso-only",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == "user ann added (analyst, ann@police.kz)"
    monkeypatch.setenv("HOTSPOTS_NEW_PASSWORD", PASSWORD)
    assert run(capsys, "store", "add-user", "bob", "--role", "planner")[0] == 0
    code, out, err = run(capsys, "store", "set-user", "bob", "--email", "bob@police.kz")
    assert code == 0, err
    code, out, _ = run(capsys, "store", "users")
    assert out.splitlines() == [
        "ann\tanalyst\tactive\tann@police.kz", "bob\tplanner\tactive\tbob@police.kz",
    ]  # fmt: skip
    code, _, err = run(capsys, "store", "set-user", "bob", "--email", "ann@police.kz")
    assert code == 2 and "belongs to another user" in err and "Traceback" not in err
    code, _, err = run(capsys, "store", "add-user", "cat", "--role", "analyst", "--sso-only")
    assert code == 2 and "not both" in err  # a password (here from the environment) and none
    monkeypatch.delenv("HOTSPOTS_NEW_PASSWORD")
    code, _, err = run(capsys, "store", "add-user", "cat", "--role", "analyst", "--sso-only")
    assert code == 2 and "needs an e-mail" in err
    store = open_store()
    try:
        assert accounts.authenticate(store, "bob", PASSWORD).email == "bob@police.kz"
        assert accounts.authenticate(store, "ann", "") is None  # SSO only
    finally:
        store.close()
