"""The first schema: users, datasets, views, audit.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from hotspots.store.models import EXTENT_TYPE

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # the extent is a PostGIS geometry (needs the extension's package installed)
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    when = sa.DateTime(timezone=True)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", when, nullable=False),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("folder", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("extent", EXTENT_TYPE, nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", when, nullable=False),
    )
    if postgres:
        op.create_index("ix_datasets_extent", "datasets", ["extent"], postgresql_using="gist")
    op.create_table(
        "views",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(80), nullable=False),
        sa.Column(
            "dataset_id",
            sa.String(32),
            sa.ForeignKey("datasets.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.UniqueConstraint("owner", "name", name="uq_views_owner_name"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", when, nullable=False),
        sa.Column("username", sa.String(80), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("dataset_id", sa.String(32), nullable=True),
        sa.Column("filters", sa.JSON, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_audit_at", "audit", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_at", "audit")
    op.drop_table("audit")
    op.drop_table("views")
    op.drop_table("datasets")
    op.drop_table("users")
