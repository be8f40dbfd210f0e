"""ppob deposit moves: top-ups and agreed reconciliation adjustments

Revision ID: ppob0006
Revises: ppob0005
Create Date: 2026-12-07

Every change to the deposit a provider keeps that is not a purchase — a top-up, an adjustment
agreed at reconciliation — is kept per provider with the entry that posted it, so kopcore knows
the deposit it expects next to the one the provider reports.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ppob0006"
down_revision: str | None = "ppob0005"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ppob_deposit_moves",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref_id", sa.String(64), nullable=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("entry_id", sa.Integer, nullable=True),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
        sa.UniqueConstraint("ref_id", "kind", name="uq_ppob_deposit_moves_ref_kind"),
    )
    op.create_index("ix_ppob_deposit_moves_provider", "ppob_deposit_moves", ["provider"])


def downgrade() -> None:
    op.drop_index("ix_ppob_deposit_moves_provider", "ppob_deposit_moves")
    op.drop_table("ppob_deposit_moves")
