"""The store's schema: one SQLAlchemy model for SQLite and PostgreSQL/PostGIS.

Tables: ``users`` (accounts and roles), ``datasets`` (validated datasets: metadata, report
and extent; the rows themselves are a GeoParquet file), ``views`` (saved views: filters and
parameters, named, with a link) and ``audit`` (sign-ins, uploads, exports, deletions).

A dataset's extent is a PostGIS ``geometry(POLYGON, 4326)`` on PostgreSQL (GeoAlchemy2) and
its EWKT text on SQLite (no SpatiaLite needed); :func:`extent_polygon` reads either.
The migrations under ``hotspots/store/migrations`` create exactly these tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import shapely
from geoalchemy2 import Geometry
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Roles, from most to least: admin manages users and is an analyst too.
ROLES = ("admin", "analyst", "planner", "presenter")


#: The extent column's type (in the model and the migrations).
#: GeoAlchemy2 leaves a column whose base type is Text alone on SQLite (no SpatiaLite needed).
EXTENT_TYPE = Text().with_variant(
    Geometry("POLYGON", srid=4326, spatial_index=False), "postgresql"
)


def utcnow() -> dt.datetime:
    """Now, in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, dt.datetime: DateTime(timezone=True)}


class User(Base):
    """An account: its password is an argon2 hash (:mod:`hotspots.store.accounts`); an
    account for single sign-on only has no usable hash (:data:`SSO_ONLY`)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    #: Lower-case e-mail address: how a single sign-on identity finds its account.
    email: Mapped[str | None] = mapped_column(String(254), nullable=True, unique=True, index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DatasetRecord(Base):
    """A validated dataset: ``folder`` (under the data directory) holds its GeoParquet file."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # incidents or venues
    folder: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    extent: Mapped[Any] = mapped_column(EXTENT_TYPE, nullable=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SavedView(Base):
    """Filters and parameters under a name; ``slug`` is the link (``?view=<slug>``)."""

    __tablename__ = "views"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_views_owner_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(80))
    dataset_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what, when, on which dataset, with which filters."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    username: Mapped[str | None] = mapped_column(String(80), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    dataset_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    filters: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


def extent_ewkt(polygon: shapely.Geometry | None) -> str | None:
    """A polygon as EWKT (``SRID=4326;POLYGON(...)``), the form both back ends accept."""
    if polygon is None or polygon.is_empty:
        return None
    return f"SRID=4326;{shapely.to_wkt(polygon, rounding_precision=7)}"


def extent_polygon(value: Any) -> shapely.Geometry | None:
    """The stored extent as a shapely polygon (PostGIS WKB element or SQLite EWKT text)."""
    if value is None or isinstance(value, shapely.Geometry):
        return value
    if isinstance(value, str) and value[:1] in "0123456789ABCDEFabcdef" and "(" not in value:
        return shapely.from_wkb(bytes.fromhex(value))  # PostGIS hex EWKB
    if isinstance(value, str):
        return shapely.from_wkt(value.split(";", 1)[-1])
    from geoalchemy2.shape import to_shape

    return to_shape(value)
