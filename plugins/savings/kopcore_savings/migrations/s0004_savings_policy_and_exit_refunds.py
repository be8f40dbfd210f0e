"""the cooperative's savings policy; exit refunds deferred by the AD/ART

Revision ID: savings_policy0001
Revises: savings_tax0001
Create Date: 2026-12-07

``savings_policy`` keeps what the AD/ART and the cooperative decide for every product: how a
leaving member's simpanan pokok and wajib are refunded (at once, in installments, or after the
RAT that approves the year's accounts) and whether the withholding-tax threshold is judged per
account or on the sum of a member's accounts. ``savings_exit_refunds`` holds each refund still
owed to a former member (the liability ``payable.member_exit``): its installment, when it falls
due (none while waiting for the RAT), the amount, and when and by which entry it was paid.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "savings_policy0001"
down_revision: str | None = "savings_tax0001"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "savings_policy",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "savings_exit_refunds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("installment", sa.SmallInteger(), nullable=False),
        sa.Column("installments", sa.SmallInteger(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("after_rat_of", sa.SmallInteger(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount > 0", name="ck_savings_exit_refunds_amount_positive"),
        sa.CheckConstraint("due_on IS NOT NULL OR after_rat_of IS NOT NULL",
                           name="ck_savings_exit_refunds_due_or_rat"),
    )
    op.create_index("ix_savings_exit_refunds_member", "savings_exit_refunds", ["member_id"])
    op.create_index("ix_savings_exit_refunds_open", "savings_exit_refunds",
                    ["paid_on", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_savings_exit_refunds_open", table_name="savings_exit_refunds")
    op.drop_index("ix_savings_exit_refunds_member", table_name="savings_exit_refunds")
    op.drop_table("savings_exit_refunds")
    op.drop_table("savings_policy")
