"""Accounts and roles: argon2 password hashes (argon2-cffi), sign-in, session timeout.

Roles (:data:`ROLES`):

- ``analyst``: everything, uploads and raw-call downloads included;
- ``planner``: maps, venues and patrol exports; no raw-call download, no upload;
- ``presenter``: presenter mode only (suppression enforced on the server);
- ``admin``: manages users, and can do what an analyst does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from hotspots.errors import ParameterError
from hotspots.store import audit
from hotspots.store.models import ROLES, User

#: Shortest password accepted.
MIN_PASSWORD = 10
#: The password hash of an account that signs in through single sign-on only: not an argon2
#: hash, so no password ever verifies against it.
SSO_ONLY = "!sso-only"
_HASHER = PasswordHasher()  # argon2id with the library's maintained defaults
#: Pages each role may open (the app's page names); admin gets "admin" too.
ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "analyst": ("map", "tune", "venues", "trends", "nearrepeat", "data", "export", "library"),
    "planner": ("map", "tune", "venues", "trends", "nearrepeat", "export", "library"),
    "presenter": ("map", "venues", "trends", "nearrepeat"),
}
ROLE_PAGES["admin"] = (*ROLE_PAGES["analyst"], "admin")


@dataclass(frozen=True)
class Account:
    """A signed-in (or listed) account: no password hash leaves this module."""

    username: str
    role: str
    active: bool = True
    email: str | None = None  # the single sign-on identity's address, lower case

    @property
    def may_upload(self) -> bool:
        return self.role in ("admin", "analyst")

    @property
    def may_download_raw(self) -> bool:
        """Raw calls (rejected rows, point exports) are for analysts only."""
        return self.role in ("admin", "analyst")

    @property
    def presenter_only(self) -> bool:
        return self.role == "presenter"

    @property
    def pages(self) -> tuple[str, ...]:
        return ROLE_PAGES[self.role]


#: The single user of the embedded (no accounts, localhost) mode.
LOCAL = Account("local", "analyst")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ParameterError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return role


def _check_name(username: str) -> str:
    name = (username or "").strip()
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise ParameterError(f"user name must be 1-80 characters without spaces, got {username!r}")
    return name


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ParameterError(f"password must have at least {MIN_PASSWORD} characters")


def check_email(email: str) -> str:
    """An e-mail address, trimmed and in lower case (how accounts and identities compare).

    >>> check_email("  Ann.Lee@Police.KZ ")
    'ann.lee@police.kz'
    """
    text = (email or "").strip().lower()
    local, at, domain = text.partition("@")
    if not (local and at and domain) or "@" in domain or len(text) > 254:
        raise ParameterError(f"e-mail must look like name@domain, got {email!r}")
    if any(c.isspace() for c in text):
        raise ParameterError(f"e-mail must not contain spaces, got {email!r}")
    return text


def _account(u: User) -> Account:
    return Account(u.username, u.role, u.active, u.email)


def add_user(
    store,
    username: str,
    password: str | None,
    role: str,
    *,
    email: str | None = None,
    by: str | None = None,
) -> Account:
    """Create an account (the password is stored as an argon2id hash, never as text).

    Parameters
    ----------
    password : str or None
        At least :data:`MIN_PASSWORD` characters; ``None`` makes an account for single
        sign-on only (``email`` is then required).
    email : str, optional
        The address a single sign-on identity must carry to sign in as this account.

    Raises
    ------
    ParameterError
        Unknown role, bad name, short password, bad or taken e-mail, or the name is taken.
    """
    name, role = _check_name(username), check_role(role)
    address = check_email(email) if email else None
    if password is None and address is None:
        raise ParameterError("an account without a password needs an e-mail (single sign-on)")
    if password is not None:
        _check_password(password)
    digest = SSO_ONLY if password is None else _HASHER.hash(password)
    with store.session() as s:
        if s.scalar(select(User.id).where(User.username == name)) is not None:
            raise ParameterError(f"user {name!r} exists already; choose another name")
        if address and s.scalar(select(User.id).where(User.email == address)) is not None:
            raise ParameterError(f"e-mail {address!r} belongs to another user already")
        s.add(User(username=name, password_hash=digest, role=role, email=address, active=True))
        what = f"{name} ({role}{', ' + address if address else ''})"
        audit.record(store, "user_added", by or name, detail=what, session=s)
    return Account(name, role, True, address)


def change_user(
    store,
    username: str,
    *,
    role: str | None = None,
    password: str | None = None,
    active: bool | None = None,
    email: str | None = None,
    by: str | None = None,
) -> Account:
    """Change an account's role, password, active flag or e-mail (what is ``None`` stays;
    ``email=""`` removes the address)."""
    with store.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise ParameterError(f"no user {username!r}")
        changes = []
        if role is not None:
            user.role = check_role(role)
            changes.append(f"role {role}")
        if password is not None:
            _check_password(password)
            user.password_hash = _HASHER.hash(password)
            changes.append("password")
        if active is not None:
            user.active = bool(active)
            changes.append("active" if active else "disabled")
        if email is not None:
            address = check_email(email) if email else None
            taken = s.scalar(select(User.id).where(User.email == address, User.id != user.id))
            if address and taken is not None:
                raise ParameterError(f"e-mail {address!r} belongs to another user already")
            user.email = address
            changes.append(f"e-mail {address or 'removed'}")
        audit.record(
            store, "user_changed", by, detail=f"{username}: {', '.join(changes)}", session=s
        )
        return _account(user)


def users(store) -> list[Account]:
    """Every account, by name."""
    with store.session() as s:
        rows = s.scalars(select(User).order_by(User.username))
        return [_account(u) for u in rows]


def authenticate(store, username: str, password: str) -> Account | None:
    """The account when ``password`` is right and the account active, else ``None``.

    Both outcomes go to the audit log (``sign_in`` / ``sign_in_failed``). A hash made with
    older parameters is upgraded on the way.
    """
    name = (username or "").strip()
    with store.session() as s:
        user = s.scalar(select(User).where(User.username == name))
        ok = False
        if user is not None and user.active:
            try:
                ok = _HASHER.verify(user.password_hash, password or "")
            except (VerificationError, InvalidHashError):
                ok = False
            if ok and _HASHER.check_needs_rehash(user.password_hash):
                user.password_hash = _HASHER.hash(password)
        audit.record(store, "sign_in" if ok else "sign_in_failed", name[:80], session=s)
        return _account(user) if ok else None


def session_expired(
    last_seen: dt.datetime | None, now: dt.datetime, timeout_minutes: float
) -> bool:
    """True when a session last active at ``last_seen`` has timed out at ``now``.

    >>> t0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    >>> session_expired(t0, t0 + dt.timedelta(minutes=31), 30)
    True
    """
    if timeout_minutes <= 0:
        raise ParameterError(f"session timeout must be > 0 minutes, got {timeout_minutes}")
    if last_seen is None:
        return True
    return (now - last_seen).total_seconds() > timeout_minutes * 60
