"""ppob cut-off windows and the callback log

Revision ID: ppob0002
Revises: ppob0001
Create Date: 2026-11-28

Products get the provider's daily cut-off window from its price list; every callback received
(verified or forged) is recorded in ``ppob_callbacks``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ppob0002"
down_revision: str | None = "ppob0001"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ppob_products") as batch:
        batch.add_column(sa.Column("cutoff_start", sa.String(5), nullable=True))
        batch.add_column(sa.Column("cutoff_end", sa.String(5), nullable=True))
    op.create_table(
        "ppob_callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("ref_id", sa.String(64), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ppob_callbacks_ref_id", "ppob_callbacks", ["ref_id"])


def downgrade() -> None:
    op.drop_index("ix_ppob_callbacks_ref_id", "ppob_callbacks")
    op.drop_table("ppob_callbacks")
    with op.batch_alter_table("ppob_products") as batch:
        batch.drop_column("cutoff_end")
        batch.drop_column("cutoff_start")
