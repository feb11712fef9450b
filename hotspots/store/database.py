"""Reading calls (or venues) from a database: a table or a query, validated like a file.

``hotspots validate postgresql://user@host/db --table calls`` (or ``--query "SELECT ..."``)
and every other command read through :class:`DatabaseSource`: the rows come back through
:func:`geopandas.read_postgis` when the result has a PostGIS geometry column (its points
become ``geometry_lon``/``geometry_lat`` in WGS84, as for a GeoPackage) or
:func:`pandas.read_sql` otherwise, every value as text, and then go through the same column
detection and validation as a file (:func:`hotspots.io.read_incidents`).

This module imports SQLAlchemy only when a database is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hotspots.errors import InputError

#: URL schemes read as databases.
SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://", "sqlite:///")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?")


def is_database_url(value: object) -> bool:
    """True for a ``postgresql://`` (or ``sqlite:///``) URL rather than a file path."""
    return isinstance(value, str) and value.strip().lower().startswith(SCHEMES)


@dataclass(frozen=True)
class DatabaseSource:
    """A table (``schema.table`` or ``table``) or a ``SELECT`` query in a database.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``postgresql://analyst@dbhost/police``.
    table : str, optional
        Table or view name (letters, digits, ``_``; optionally ``schema.table``).
    query : str, optional
        A query returning the rows (read-only: run in a transaction that is rolled back).

    Exactly one of ``table`` and ``query`` is given.
    """

    url: str
    table: str | None = None
    query: str | None = None

    def __post_init__(self) -> None:
        if not is_database_url(self.url):
            raise InputError(f"not a database URL: {self.url!r} (use postgresql://user@host/db)")
        if bool(self.table) == bool(self.query):
            raise InputError("reading from a database takes --table NAME or --query 'SELECT ...'")
        if self.table and not _IDENT.fullmatch(self.table):
            raise InputError(
                f"--table takes a table name such as calls or police.calls, got {self.table!r}"
            )

    @property
    def sql_url(self) -> str:
        url = self.url.strip()
        return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url

    @property
    def name(self) -> str:
        """For messages and reports: what was read, where (no password)."""
        from sqlalchemy.engine import make_url

        where = make_url(self.sql_url).render_as_string(hide_password=True)
        return f"{self.table or 'query'} @ {where}"

    def sql(self, dialect) -> str:
        if self.query:
            return self.query.strip().rstrip(";")
        quote = dialect.identifier_preparer.quote
        return "SELECT * FROM " + ".".join(quote(p) for p in self.table.split("."))


def _geometry_columns(conn, sql: str) -> list[str]:
    """Names of the PostGIS geometry columns of a query's result (PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        return []
    oids = {
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography')"
        )
    }
    if not oids:
        return []
    cur = conn.exec_driver_sql(f"SELECT * FROM ({sql}) AS q LIMIT 0").cursor
    return [d.name for d in cur.description if d.type_code in oids]


def read_database(source: DatabaseSource, *, max_columns: int | None = None):
    """The rows of ``source`` as a :class:`hotspots.readers.RawTable` of text.

    Raises
    ------
    InputError
        The database cannot be reached, the table does not exist, the query fails, or no
        rows come back (one line naming the source).
    """
    import geopandas as gpd
    import pandas as pd
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    from hotspots.readers import RawTable, _as_text, _point_text

    try:
        engine = create_engine(source.sql_url)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise InputError(f"cannot use {source.url!r}: {_first(exc)}") from None
    try:
        with engine.connect() as conn:
            sql = source.sql(conn.dialect)
            geo = _geometry_columns(conn, sql)
            if geo:
                frame = gpd.read_postgis(text(sql), conn, geom_col=geo[0])
            else:
                frame = pd.read_sql(text(sql), conn)
            conn.rollback()  # read only: nothing a query did is kept
    except (SQLAlchemyError, pd.errors.DatabaseError) as exc:  # pandas wraps some errors
        raise InputError(f"cannot read {source.name}: {_first(exc.__cause__ or exc)}") from None
    finally:
        engine.dispose()
    name = source.name
    if max_columns is not None and frame.shape[1] > max_columns:
        raise InputError(f"{name} has {frame.shape[1]:,} columns; at most {max_columns:,} are read")
    if len(frame) == 0:
        raise InputError(f"{name} has no rows (columns: {', '.join(map(str, frame.columns))})")
    frame = frame.reset_index(drop=True)
    if not geo:
        return RawTable(_as_text(frame), name)
    others = [c for c in geo[1:] if c in frame]  # a second geometry: not a coordinate
    props = _as_text(pd.DataFrame(frame.drop(columns=[geo[0], *others])))
    geoms, crs = frame.geometry, frame.crs
    if crs is not None and not crs.equals("EPSG:4326"):
        geoms = geoms.to_crs("EPSG:4326")
    xcol, ycol = ("geometry_lon", "geometry_lat") if crs else ("geometry_x", "geometry_y")
    props[xcol], props[ycol] = _point_text(geoms)
    return RawTable(props, name, geometry_crs=crs.to_string() if crs is not None else None)


def _first(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0]
