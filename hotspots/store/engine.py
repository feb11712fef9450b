"""Opening the store: the engine, the schema brought up to date, a crashed write cleaned up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotspots.errors import InputError
from hotspots.store.config import StoreConfig

#: Seconds a SQLite writer waits for another one instead of failing with "database is locked".
SQLITE_BUSY_SECONDS = 30


@dataclass
class Store:
    """An open store: its settings, engine and session factory (one per process)."""

    config: StoreConfig
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        with self.sessions.begin() as s:
            yield s

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def has_accounts(self) -> bool:
        """True when at least one active account exists (team mode)."""
        from hotspots.store.models import User

        with self.session() as s:
            return s.scalar(select(User.id).where(User.active.is_(True)).limit(1)) is not None

    def close(self) -> None:
        self.engine.dispose()


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine for ``url``; SQLite in WAL mode with a busy timeout, so that
    several sessions (or processes) can write one after the other without errors."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None  # the driver's own BEGIN is off: see _begin
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # a committed dataset survives power loss
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:
            # take the write lock when the transaction starts: a deferred transaction that
            # reads, then writes after another writer committed, fails at once with
            # "database is locked" (SQLITE_BUSY_SNAPSHOT) instead of waiting its turn
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def open_store(config: StoreConfig | None = None, *, migrate: bool = True) -> Store:
    """Open (and create when needed) the store of ``config`` (:meth:`StoreConfig.from_env`
    by default): migrate the schema to the newest revision and clean up what a server killed
    in the middle of a write left behind (:func:`hotspots.store.datasets.recover`).

    Raises
    ------
    InputError
        The database cannot be reached or migrated (one line saying what to check).
    """
    from hotspots.store import datasets
    from hotspots.store import migrate as migrations

    config = config or StoreConfig.from_env()
    config.datasets_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(config.url)
    try:
        if migrate:
            migrations.upgrade(engine)
    except Exception as exc:  # driver errors: many types
        engine.dispose()
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(
            f"cannot open the store {engine.url.render_as_string(hide_password=True)}: {first} "
            "(check HOTSPOTS_DB, that the server runs and that PostGIS is installed)"
        ) from None
    store = Store(config, engine, sessionmaker(engine, expire_on_commit=False))
    datasets.recover(store)
    return store
