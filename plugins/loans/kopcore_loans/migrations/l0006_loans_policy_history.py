"""history of the loan policy (kolektibilitas regime, allowance policy, classes table)

Revision ID: loans0006
Revises: loans0005
Create Date: 2026-12-08

A loan book or a health assessment dated in the past classes loans by the policy in force that
day. ``loans_policy_history`` keeps each policy from the business date it was chosen. The policy
in force before the first recorded change is recorded with that change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loans0006"
down_revision: str | None = "loans0005"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loans_policy_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("regime", sa.String(64), nullable=False),
        sa.Column("deduct_collateral", sa.Boolean(), nullable=False),
        sa.Column("allowance_posting", sa.String(16), nullable=False),
        sa.Column("classes", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_loans_policy_history_effective_from", "loans_policy_history",
                    ["effective_from"])


def downgrade() -> None:
    op.drop_index("ix_loans_policy_history_effective_from", table_name="loans_policy_history")
    op.drop_table("loans_policy_history")
