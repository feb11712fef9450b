"""Where the store lives and who may be served: the settings of the team server in one place.

Two modes, one code path:

- **embedded** (``make run``): no ``HOTSPOTS_DB``; the store is a SQLite file
  ``hotspots.sqlite`` in the data directory (``HOTSPOTS_DATA_DIR``, default
  ``~/.local/share/hotspots``), one user, bound to localhost, no sign-in;
- **team**: ``HOTSPOTS_DB=postgresql://user@host/db`` (PostGIS) and at least one account.

Datasets are GeoParquet files under ``<data dir>/datasets`` in both modes (their metadata in
the database).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from hotspots.errors import ParameterError

ENV_DB = "HOTSPOTS_DB"
ENV_DATA_DIR = "HOTSPOTS_DATA_DIR"
ENV_SESSION_MINUTES = "HOTSPOTS_SESSION_MINUTES"
#: Minutes without activity after which a signed-in session must sign in again.
DEFAULT_SESSION_MINUTES = 30
#: Host names that are this machine only.
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True)
class StoreConfig:
    """The store's settings.

    Parameters
    ----------
    url : str
        SQLAlchemy database URL: ``sqlite:///path/hotspots.sqlite`` or
        ``postgresql://user:password@host:5432/db`` (PostGIS).
    data_dir : Path
        Folder of the dataset files (and of the SQLite file in embedded mode).
    session_minutes : float
        Minutes of inactivity before a session must sign in again (> 0).
    """

    url: str
    data_dir: Path
    session_minutes: float = DEFAULT_SESSION_MINUTES

    def __post_init__(self) -> None:
        if not (self.session_minutes > 0):
            raise ParameterError(
                f"{ENV_SESSION_MINUTES} (session timeout) must be > 0 minutes, "
                f"got {self.session_minutes}"
            )
        if not self.url.startswith(("sqlite", "postgresql")):
            raise ParameterError(
                f"{ENV_DB} must be a sqlite:/// or postgresql:// URL, got {self.url.split(':')[0]}"
            )

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def datasets_dir(self) -> Path:
        return self.data_dir / "datasets"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> StoreConfig:
        """The settings from ``HOTSPOTS_DB``, ``HOTSPOTS_DATA_DIR`` and
        ``HOTSPOTS_SESSION_MINUTES`` (``os.environ`` by default)."""
        env = dict(os.environ if env is None else env)
        base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        data_dir = Path(env.get(ENV_DATA_DIR) or Path(base) / "hotspots").expanduser()
        url = env.get(ENV_DB, "").strip() or f"sqlite:///{data_dir / 'hotspots.sqlite'}"
        raw = env.get(ENV_SESSION_MINUTES, "").strip()
        try:
            minutes = float(raw) if raw else DEFAULT_SESSION_MINUTES
        except ValueError:
            raise ParameterError(
                f"{ENV_SESSION_MINUTES} takes a number of minutes, got {raw!r}"
            ) from None
        return cls(url=url, data_dir=data_dir, session_minutes=minutes)


def is_loopback(address: str | None) -> bool:
    """True when a server bound to ``address`` is reachable from this machine only.

    Streamlit binds every interface when ``server.address`` is empty, so ``""``/``None``
    is *not* loopback.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if not address:
        return False
    host = address.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serving_refusal(address: str | None, has_accounts: bool) -> str | None:
    """The one-line reason to refuse serving on ``address``, or ``None`` when it is allowed.

    A server reachable from the network must have accounts (police calls are personal data);
    on loopback the embedded single-user mode needs none.
    """
    if has_accounts or is_loopback(address):
        return None
    where = address or "all interfaces"
    return (
        f"refusing to serve on {where} without accounts: create the first admin with "
        "`hotspots store add-user NAME --role admin` (team mode), or serve on localhost"
    )
