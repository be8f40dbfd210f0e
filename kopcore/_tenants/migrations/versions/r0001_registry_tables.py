"""the registry's tables: clusters, tenants, their events

Revision ID: r0001
Revises:
Create Date: 2026-12-07

A registry made before its migrations (by ``create_all``) holds exactly these tables: opening it
stamps it at this revision instead of creating them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenant_clusters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("admin_url", sa.String(length=500), nullable=False),
        sa.Column("max_connections", sa.Integer(), nullable=False),
        sa.Column("pooler", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("max_connections > 0", name="max_connections_positive"),
        sa.CheckConstraint("pooler IN ('none','pgbouncer')", name="pooler_known"),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "tenants",
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("cluster", sa.String(length=64), nullable=False),
        sa.Column("database", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("plugins", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('creating','active','suspended','moving')",
                           name="state_known"),
        sa.ForeignKeyConstraint(["cluster"], ["tenant_clusters.name"]),
        sa.PrimaryKeyConstraint("slug"),
    )
    op.create_table(
        "tenant_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tenant_events_slug", "tenant_events", ["slug"])


def downgrade() -> None:
    op.drop_index("ix_tenant_events_slug", table_name="tenant_events")
    op.drop_table("tenant_events")
    op.drop_table("tenants")
    op.drop_table("tenant_clusters")
