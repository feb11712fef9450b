"""Single sign-on: an OpenID Connect identity mapped to an account of the store, by e-mail.

Streamlit signs the user in with the department's provider (``st.login``; the provider is
configured in the ``[auth]`` section of ``.streamlit/secrets.toml``) and hands the identity's
claims over as ``st.user``. :func:`sign_in_identity` turns those claims into an
:class:`~hotspots.store.accounts.Account`:

- an active account whose ``email`` (or, failing that, whose user name) is the identity's
  e-mail address signs in with that account's role;
- a disabled account, an identity without an e-mail address, or one whose provider says the
  address is not verified (``email_verified`` false) gets no access;
- an unknown address gets no access, unless a default role is configured
  (``HOTSPOTS_SSO_DEFAULT_ROLE``: analyst, planner or presenter, never admin): then an account
  for single sign-on only (no password) is created with that role.

Every outcome is a row of the audit log: ``sign_in`` (detail ``single sign-on ...``),
``user_added`` by ``sso`` for a created account, ``sign_in_failed`` with the reason.

>>> providers({"redirect_uri": "...", "client_id": "x", "server_metadata_url": "..."})
('default',)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hotspots.errors import ParameterError
from hotspots.store import audit
from hotspots.store.accounts import SSO_ONLY, Account, check_email
from hotspots.store.models import User

ENV_SSO_ROLE = "HOTSPOTS_SSO_DEFAULT_ROLE"
#: Roles an unknown identity may be given automatically (administrators are always named).
DEFAULT_ROLES = ("analyst", "planner", "presenter")
#: Why an identity got no access (each has a message ``sso.refused_<reason>`` in the app).
REASONS = ("no_email", "unverified", "unknown", "disabled", "too_long")
#: Longest user name (the ``users.username`` column); a created account is named by address.
MAX_NAME = 80
#: The keys of a provider's settings in ``[auth]`` (Streamlit's own test for a provider).
_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


@dataclass(frozen=True)
class SsoOutcome:
    """What a single sign-on identity gets.

    Attributes
    ----------
    account : Account or None
        The account signed in, or ``None`` (no access).
    email : str or None
        The identity's address (lower case), when it had one.
    reason : str or None
        One of :data:`REASONS` when refused.
    created : bool
        True when the account was made now, with the default role.
    """

    account: Account | None
    email: str | None
    reason: str | None = None
    created: bool = False


def default_role_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The role given to unknown identities (``HOTSPOTS_SSO_DEFAULT_ROLE``), ``None`` if unset.

    Raises
    ------
    ParameterError
        A role other than analyst, planner or presenter.
    """
    raw = (dict(os.environ if env is None else env).get(ENV_SSO_ROLE) or "").strip().lower()
    if not raw:
        return None
    if raw not in DEFAULT_ROLES:
        raise ParameterError(
            f"{ENV_SSO_ROLE} must be one of {', '.join(DEFAULT_ROLES)} (administrators are "
            f"added by name), got {raw!r}"
        )
    return raw


def providers(auth: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The providers configured in a secrets ``[auth]`` section, as ``st.login`` names them:
    ``"default"`` for settings at the section's top level, else each sub-section's name.

    >>> providers({"redirect_uri": "u", "cookie_secret": "s", "police": {"client_id": "x"}})
    ('police',)
    >>> providers(None)
    ()
    """
    if not auth:
        return ()
    found = ["default"] if any(k in auth for k in _PROVIDER_KEYS) else []
    for name, value in auth.items():
        if isinstance(value, Mapping) and any(k in value for k in _PROVIDER_KEYS):
            if name != "default" or not found:
                found.append(str(name))
    return tuple(found)


def _verified(claims: Mapping[str, Any]) -> bool:
    # absent: the provider does not say (Microsoft Entra); only an explicit "no" refuses
    value = claims.get("email_verified", True)
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no")
    return bool(value)


def _find(s, address: str) -> User | None:
    by_email = s.scalar(select(User).where(User.email == address))
    if by_email is not None:
        return by_email
    return s.scalar(select(User).where(func.lower(User.username) == address))


def sign_in_identity(
    store,
    claims: Mapping[str, Any],
    *,
    default_role: str | None = None,
    provider: str = "default",
) -> SsoOutcome:
    """Map an OpenID Connect identity (``st.user``'s claims) to an account, and audit it.

    Parameters
    ----------
    store : Store
        The open store.
    claims : mapping
        The identity's claims: ``email`` (required), ``email_verified`` (optional).
    default_role : str, optional
        Role of an account created for an unknown address (one of :data:`DEFAULT_ROLES`);
        ``None``: unknown addresses get no access.
    provider : str
        The provider's name, for the audit log.

    Returns
    -------
    SsoOutcome
    """
    if default_role is not None and default_role not in DEFAULT_ROLES:
        raise ParameterError(
            f"default role must be one of {', '.join(DEFAULT_ROLES)}, got {default_role!r}"
        )
    raw = claims.get("email")
    try:
        address = check_email(str(raw)) if raw else None
    except ParameterError:
        address = None
    how = f"single sign-on ({provider})"
    if address is None:
        return _refuse(store, None, "no_email", how)
    if not _verified(claims):
        return _refuse(store, address, "unverified", how)
    for attempt in range(2):  # two first sign-ins of one new address at once: one creates
        try:
            with store.session() as s:
                user, created = _find(s, address), False
                if user is None and default_role is None:
                    break
                if user is None:
                    if len(address) > MAX_NAME:
                        break
                    user = User(
                        username=address,
                        password_hash=SSO_ONLY,
                        role=default_role,
                        email=address,
                        active=True,
                    )
                    s.add(user)
                    s.flush()
                    created = True
                    audit.record(
                        store, "user_added", "sso",
                        detail=f"{address} ({default_role}) by {how}", session=s,
                    )  # fmt: skip
                if not user.active:
                    audit.record(
                        store, "sign_in_failed", user.username,
                        detail=f"{how}: disabled, {address}", session=s,
                    )  # fmt: skip
                    return SsoOutcome(None, address, "disabled")
                audit.record(store, "sign_in", user.username, detail=f"{how}, {address}", session=s)
                account = Account(user.username, user.role, True, user.email)
                return SsoOutcome(account, address, None, created)
        except IntegrityError:
            if attempt:
                raise
    reason = "unknown" if default_role is None else "too_long"
    return _refuse(store, address, reason, how)


def _refuse(store, address: str | None, reason: str, how: str) -> SsoOutcome:
    name = address[:MAX_NAME] if address else None
    audit.record(store, "sign_in_failed", name, detail=f"{how}: {reason}")
    return SsoOutcome(None, address, reason)
