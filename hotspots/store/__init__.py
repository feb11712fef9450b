"""The team server's store: accounts, validated datasets, saved views and the audit log.

One SQLAlchemy model (:mod:`hotspots.store.models`) with Alembic migrations, the same on
SQLite (the embedded default) and PostgreSQL/PostGIS (``HOTSPOTS_DB=postgresql://...``).

>>> from hotspots.store import open_store, StoreConfig
>>> store = open_store(StoreConfig.from_env())                      # doctest: +SKIP

Modules, one job each: :mod:`~hotspots.store.config` (where, which mode, who may be served),
:mod:`~hotspots.store.engine` (open, migrate, recover), :mod:`~hotspots.store.accounts`,
:mod:`~hotspots.store.datasets`, :mod:`~hotspots.store.views`, :mod:`~hotspots.store.audit`,
:mod:`~hotspots.store.database` (reading calls from a database table or query).
"""

from hotspots.store.config import StoreConfig, is_loopback, serving_refusal

__all__ = ["Store", "StoreConfig", "is_loopback", "open_store", "serving_refusal"]


def __getattr__(name: str):
    # SQLAlchemy is imported when a store is opened, not by `hotspots.io` reading a file
    if name in ("Store", "open_store"):
        from hotspots.store import engine

        return getattr(engine, name)
    raise AttributeError(name)
