"""interest carried over from a cut-over

Revision ID: savings_cutover0001
Revises: savings0001
Create Date: 2026-12-01

Interest a sukarela account had accrued in the cooperative's previous books and not yet
posted when it moved to kopcore; the next interest posting pays it with the days since.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "savings_cutover0001"
down_revision: str | None = "savings0001"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "savings_carried_interest",
        sa.Column("account_id", sa.Integer(), primary_key=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("savings_carried_interest")
