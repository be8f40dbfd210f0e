"""ppob cost actually charged, attention notes and postpaid bill periods

Revision ID: ppob0004
Revises: ppob0003
Create Date: 2026-12-07

A transaction keeps what the provider actually charged (``cost``; it can differ from the
catalogue's buy price) and an ``attention`` note when the provider answered a status re-send with
a code that says nothing about the purchase (it stays pending for an operator). A postpaid
quote keeps each period of its bill, bill and penalty, for the receipt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ppob0004"
down_revision: str | None = "ppob0003"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ppob_transactions") as batch:
        batch.add_column(sa.Column("cost", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("attention", sa.String(200), nullable=True))
    op.create_table(
        "ppob_bill_periods",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("bill", sa.BigInteger, nullable=False),
        sa.Column("penalty", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_ppob_bill_periods_ref_id", "ppob_bill_periods", ["ref_id"])


def downgrade() -> None:
    op.drop_index("ix_ppob_bill_periods_ref_id", "ppob_bill_periods")
    op.drop_table("ppob_bill_periods")
    with op.batch_alter_table("ppob_transactions") as batch:
        batch.drop_column("attention")
        batch.drop_column("cost")
