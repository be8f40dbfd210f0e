"""murabahah acquisitions: the goods bought (or bought by the member as agent) before the sale

Revision ID: sharia0006
Revises: sharia0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0006"
down_revision: str | None = "sharia0005"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharia_murabahah_acquisitions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("asset", sa.String(200), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=True),
        sa.Column("wakalah_document", sa.String(200), nullable=True),
        sa.Column("purchase_document", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("owned_on", sa.Date(), nullable=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("journal_entries.id"), nullable=False),
        sa.Column("purchase_entry_id", sa.Integer(), sa.ForeignKey("journal_entries.id"),
                  nullable=True),
        sa.Column("contract_account_id", sa.Integer(), sa.ForeignKey("accounts.id"),
                  nullable=True, unique=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.CheckConstraint("cost > 0", name="ck_sharia_acquisitions_cost_positive"),
        sa.CheckConstraint("method IN ('purchase','wakalah')",
                           name="ck_sharia_acquisitions_method"),
        sa.CheckConstraint("status IN ('agent','owned','sold')",
                           name="ck_sharia_acquisitions_status"),
    )
    op.create_index("ix_sharia_acquisitions_member_id", "sharia_murabahah_acquisitions",
                    ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_sharia_acquisitions_member_id",
                  table_name="sharia_murabahah_acquisitions")
    op.drop_table("sharia_murabahah_acquisitions")
