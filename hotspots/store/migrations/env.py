"""Alembic environment: run by :func:`hotspots.store.migrate.upgrade` with a connection."""

from __future__ import annotations

from alembic import context

from hotspots.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic -x url=...` from a shell
        from sqlalchemy import create_engine

        url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
            "sqlalchemy.url"
        )
        with create_engine(url).connect() as conn:
            _migrate(conn)
            conn.commit()
        return
    _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE on SQLite
    )
    with context.begin_transaction():
        context.run_migrations()


run()
