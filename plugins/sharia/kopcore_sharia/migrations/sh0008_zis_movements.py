"""ZIS per PSAK 409: each receipt and distribution of the zakat, infak/sedekah, amil, non-halal
and social funds, with its asnaf

Revision ID: sharia0008
Revises: sharia0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0008"
down_revision: str | None = "sharia0007"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharia_zis_movements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fund", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("asnaf", sa.String(16), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.String(200), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("journal_entries.id"), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_sharia_zis_movements_amount_positive"),
        sa.CheckConstraint("direction IN ('in','out')", name="ck_sharia_zis_movements_direction"),
    )
    op.create_index("ix_sharia_zis_movements_date", "sharia_zis_movements", ["business_date"])


def downgrade() -> None:
    op.drop_index("ix_sharia_zis_movements_date", table_name="sharia_zis_movements")
    op.drop_table("sharia_zis_movements")
