"""ppob anomaly resolution and pending age

Revision ID: ppob0003
Revises: ppob0002
Create Date: 2026-11-28

A transaction the provider contradicted (success reported after a local failure) records how a
manager resolved it: charged to the member, absorbed by the cooperative, or refunded by the
provider, by whom, when, and the entry posted. ``created_at`` dates a pending transaction to the
minute for the end-of-day check of overdue pending ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ppob0003"
down_revision: str | None = "ppob0002"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("created_at", "resolution", "resolution_note", "resolved_by", "resolution_on",
           "resolution_entry_id")


def upgrade() -> None:
    with op.batch_alter_table("ppob_transactions") as batch:
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolution", sa.String(16), nullable=True))
        batch.add_column(sa.Column("resolution_note", sa.String(200), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("resolution_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("resolution_entry_id", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ppob_transactions") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
