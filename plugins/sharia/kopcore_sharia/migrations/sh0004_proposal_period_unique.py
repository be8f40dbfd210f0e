"""one wadiah bonus per account and period, also under concurrent proposals

Revision ID: sharia0004
Revises: sharia0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0004"
down_revision: str | None = "sharia0003"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status <> 'rejected'")


def upgrade() -> None:
    op.create_index("uq_sharia_proposals_period", "sharia_proposals",
                    ["kind", "account_id", "period"], unique=True,
                    postgresql_where=LIVE, sqlite_where=LIVE)


def downgrade() -> None:
    op.drop_index("uq_sharia_proposals_period", table_name="sharia_proposals")
