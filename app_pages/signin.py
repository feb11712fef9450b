"""Sign-in, roles and the store for the app (the server side of :mod:`hotspots.store`).

:func:`gate` runs before any page: it refuses to serve a non-loopback address without
accounts, shows only the sign-in form until a user signs in (team mode: accounts exist), signs
out after ``HOTSPOTS_SESSION_MINUTES`` of inactivity, and returns the account in force; in
the embedded mode (no accounts, localhost) it returns the single local user. The role decides,
on the server, which pages exist for the session (:data:`hotspots.store.accounts.ROLE_PAGES`)
and whether presenter mode is forced (:func:`locked_presenter`).

Single sign-on (optional): when ``.streamlit/secrets.toml`` configures an OpenID Connect
provider in ``[auth]``, the sign-in page offers "Sign in with single sign-on" (``st.login``);
the identity that comes back (``st.user``) is mapped to an account by e-mail
(:func:`hotspots.store.sso.sign_in_identity`: unknown addresses get no access, or the role
``HOTSPOTS_SSO_DEFAULT_ROLE``), and signing out or timing out also ends the identity
(``st.logout``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from app_pages import state
from hotspots.errors import ParameterError
from hotspots.i18n import t
from hotspots.store import StoreConfig, open_store, serving_refusal, sso
from hotspots.store.accounts import LOCAL, Account, authenticate, session_expired
from hotspots.store.models import utcnow
from hotspots.store.views import VIEW_PARAM, get_view

USER = "auth:user"
SEEN = "auth:seen"
#: True when this session's account came through single sign-on.
SSO = "auth:sso"
#: The refused single sign-on identity of this session (mapped, and audited, once).
_SSO_REFUSED = "auth:sso_refused"
_VIEW_DONE = "auth:view_opened"


@st.cache_resource(show_spinner=False)
def _store(url: str, data_dir: str, minutes: float):
    return open_store(StoreConfig(url=url, data_dir=Path(data_dir), session_minutes=minutes))


def store():
    """The store of this server (:meth:`StoreConfig.from_env`), opened once per process."""
    cfg = StoreConfig.from_env()
    return _store(cfg.url, str(cfg.data_dir), cfg.session_minutes)


def account() -> Account:
    """The account of this session (the local user in the embedded mode)."""
    return st.session_state.get(USER) or LOCAL


def record(action: str, **kwargs: Any) -> None:
    """Add an event to the audit log for this session's user."""
    from hotspots.store import audit

    audit.record(store(), action, account().username, **kwargs)


def dataset_in_use() -> tuple[str | None, str]:
    """The data set this session is looking at: its id in the store (``None`` for the sample,
    an upload or a server file outside the store) and its name."""
    from app_pages import dataset

    calls = dataset.current_source().calls
    if calls is None:
        return None, "sample"
    path = Path(calls.path) if calls.path else None
    if path is not None and path.parent.parent == store().config.datasets_dir:
        return path.parent.name, calls.name  # <datasets>/<id>/<file>: a kept dataset
    return None, calls.name


def _record_download(file_name: str, dataset_id: str | None, dataset: str, filters) -> None:
    # on_click of an audited download button: runs once per click, before the rerun
    record("download", dataset_id=dataset_id, filters=filters, detail=f"{file_name} [{dataset}]")


@st.fragment
def _download_fragment(label: str, data: Any, file_name: str, mime: str, key: str, audit) -> None:
    st.download_button(
        label, data, file_name=file_name, mime=mime, key=key,
        on_click=_record_download, kwargs=audit,
    )  # fmt: skip


def download_button(label: str, data: Any, *, file_name: str, mime: str, key: str) -> None:
    """``st.download_button`` whose every click adds one ``download`` row to the audit log:
    who, which file, which data set, the filters in force (the URL's parameters).

    The button sits in a fragment, so a click reruns only the button (for the callback), not
    the page around it. Call it inside the container the button belongs to
    (``with column: download_button(...)``).
    """
    dataset_id, name = dataset_in_use()
    audit = {"file_name": file_name, "dataset_id": dataset_id, "dataset": name,
             "filters": state.url_params()}  # fmt: skip
    _download_fragment(label, data, file_name, mime, key, audit)


def sso_providers() -> tuple[str, ...]:
    """The single sign-on providers of ``[auth]`` in the secrets (none: no single sign-on)."""
    try:
        if not st.secrets.load_if_toml_exists():
            return ()
        auth = st.secrets.get("auth")
    except Exception:  # an unreadable secrets file: Streamlit logs it; no single sign-on
        return ()
    return sso.providers(auth.to_dict() if hasattr(auth, "to_dict") else auth)


def _end_identity() -> None:
    """Sign the single sign-on identity out too (its cookie would sign it straight back in)."""
    if st.session_state.pop(SSO, False):
        st.logout()
        st.stop()


def gate(lang: str) -> Account:
    """Refuse, ask for sign-in, or let the session through; returns its account."""
    s = store()
    providers = sso_providers()
    team = s.has_accounts() or bool(providers)
    refusal = serving_refusal(st.get_option("server.address"), team)
    if refusal:
        st.error(refusal)
        st.stop()
    if not team:
        st.session_state[USER] = LOCAL
        return LOCAL
    ss = st.session_state
    user: Account | None = ss.get(USER)
    now = utcnow()
    if user is not None and user is not LOCAL:
        if session_expired(ss.get(SEEN), now, s.config.session_minutes):
            record("sign_out", detail="session timed out")
            ss.pop(USER, None)
            ss["auth:timed_out"] = True
            _end_identity()
        else:
            ss[SEEN] = now
            return user
    ss.pop(USER, None)
    if providers and st.user.is_logged_in:
        found = _sso_account(lang)
        if found is not None:
            return found
        st.stop()
    _sign_in_form(lang, providers)
    st.stop()


def _sso_account(lang: str) -> Account | None:
    """The account of the identity signed in with the provider, or the refusal shown."""
    ss = st.session_state
    outcome = ss.get(_SSO_REFUSED)
    if outcome is None:
        claims = st.user.to_dict()
        try:
            role = sso.default_role_from_env()
        except ParameterError as exc:  # a misconfigured server: one line, no access
            st.error(t("msg.error", lang, message=str(exc)))
            return None
        outcome = sso.sign_in_identity(
            store(), claims, default_role=role, provider=str(claims.get("provider", "default"))
        )
    if outcome.account is not None:
        ss[USER], ss[SEEN], ss[SSO] = outcome.account, utcnow(), True
        return outcome.account
    ss[_SSO_REFUSED] = outcome
    st.title(t("app.title", lang))
    st.error(t(f"sso.refused_{outcome.reason}", lang, email=outcome.email or "?"))
    if st.button(t("auth.sign_out", lang), key="auth_sso_sign_out"):
        st.logout()
    return None


def _sign_in_form(lang: str, providers: tuple[str, ...] = ()) -> None:
    st.title(t("app.title", lang))
    if st.session_state.pop("auth:timed_out", False):
        st.info(t("auth.timed_out", lang))
    for name in providers:  # single sign-on first: the department's usual way in
        label = (
            t("sso.sign_in", lang)
            if name == "default"
            else t("sso.sign_in_with", lang, provider=name)
        )
        if st.button(label, key=f"auth_sso_{name}", type="primary"):
            st.login(None if name == "default" else name)
    with st.form("signin"):
        st.subheader(t("auth.sign_in", lang))
        name = st.text_input(t("auth.username", lang), key="auth_username")
        password = st.text_input(t("auth.password", lang), type="password", key="auth_password")
        pressed = st.form_submit_button(t("auth.sign_in", lang), type="primary")
    if pressed:
        found = authenticate(store(), name, password)
        if found is None:
            st.error(t("auth.failed", lang))
            return
        st.session_state[USER] = found
        st.session_state[SEEN] = utcnow()
        st.rerun()


def sign_out_button(user: Account, lang: str) -> None:
    """The signed-in user's name and role, and the sign-out button (team mode only)."""
    if user is LOCAL:
        return
    sb = st.sidebar
    sb.caption(t("auth.signed_in_as", lang, user=user.username, role=t(f"role.{user.role}", lang)))
    if sb.button(t("auth.sign_out", lang), key="auth_sign_out"):
        record("sign_out")
        for key in (USER, SEEN):
            st.session_state.pop(key, None)
        _end_identity()
        st.rerun()


def locked_presenter(user: Account) -> bool:
    """For a presenter: presenter mode on and K at least its default, whatever the URL or
    the widgets say (enforced here, on the server, before any page runs)."""
    if not user.presenter_only:
        return False
    state.put("presenter", True)
    state.put("k", max(int(state.get("k")), int(state.setting("k").default)))
    return True


def pages_for(user: Account, names: tuple[str, ...]) -> list[str]:
    """The pages of ``names`` this user may open, in their order."""
    return [n for n in names if n in user.pages]


def open_view_link() -> None:
    """A link ``?view=<slug>``: load the saved view's filters and parameters, once."""
    slug = st.query_params.get(VIEW_PARAM)
    if not slug or st.session_state.get(_VIEW_DONE) == slug:
        return
    st.session_state[_VIEW_DONE] = slug
    view = get_view(store(), slug)
    if view is None:
        return
    for name, raw in view.params.items():
        st.query_params[name] = raw
        try:
            setting = state.setting(name)
        except KeyError:
            continue  # a page's own setting: read from the URL when the page registers it
        try:
            state.set_and_reseed(name, setting.parse(raw))
        except (ValueError, TypeError, IndexError):
            continue
    if view.dataset_id:
        from app_pages import dataset
        from hotspots.store.datasets import get_dataset

        try:
            info = get_dataset(store(), view.dataset_id)
        except Exception:  # deleted since: the view opens on the current data
            return
        dataset.set_source(dataset.Source(calls=dataset.file_ref_for_path(info.path)))
        for name, raw in view.params.items():  # set_source reset the data's filters
            if name in ("years", "offenses", "venue"):
                try:
                    state.set_and_reseed(name, state.setting(name).parse(raw))
                except (KeyError, ValueError, TypeError, IndexError):
                    continue
