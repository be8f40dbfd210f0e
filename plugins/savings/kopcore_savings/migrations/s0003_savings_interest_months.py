"""interest per month, for withholding tax

Revision ID: savings_tax0001
Revises: savings_cutover0001
Create Date: 2026-12-07

Withholding tax on savings interest (PPh final, PP 15/2009) is judged per calendar month: each
interest payment keeps its gross and tax per month the interest was earned in. A product's tax
rate and threshold can change from the first day of a month.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "savings_tax0001"
down_revision: str | None = "savings_cutover0001"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "savings_interest_months",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_savings_interest_months_month", "savings_interest_months",
                    ["month", "member_id"])
    op.create_table(
        "savings_tax_changes",
        sa.Column("product_code", sa.String(32), primary_key=True),
        sa.Column("valid_from", sa.Date(), primary_key=True),
        sa.Column("rate_ppm", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("savings_tax_changes")
    op.drop_index("ix_savings_interest_months_month", "savings_interest_months")
    op.drop_table("savings_interest_months")
