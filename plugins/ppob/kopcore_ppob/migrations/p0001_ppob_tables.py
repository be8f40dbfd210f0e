"""ppob tables

Revision ID: ppob0001
Revises:
Create Date: 2026-11-27

The first revision of the ``ppob`` branch; it runs after the kernel's tables exist.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ppob0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("ppob",)
depends_on: str | Sequence[str] | None = "kopcore"


def upgrade() -> None:
    op.create_table(
        "ppob_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.create_table(
        "ppob_products",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("postpaid", sa.Boolean(), nullable=False),
        sa.Column("buy_price", sa.BigInteger(), nullable=False),
        sa.Column("selling_price", sa.BigInteger(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("synced_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "ppob_markups",
        sa.Column("category", sa.String(32), primary_key=True),
        sa.Column("flat", sa.BigInteger(), nullable=False),
        sa.Column("percent_ppm", sa.Integer(), nullable=False),
        sa.Column("round_to", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "ppob_transactions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref_id", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("customer_no", sa.String(32), nullable=False),
        sa.Column("customer_name", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("source_account", sa.String(64), nullable=True),
        sa.Column("paid_by", sa.String(8), nullable=True),
        sa.Column("bill", sa.BigInteger(), nullable=False),
        sa.Column("selling_price", sa.BigInteger(), nullable=False),
        sa.Column("buy_price", sa.BigInteger(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("cash_entry_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("sn", sa.String(200), nullable=True),
        sa.Column("message", sa.String(200), nullable=True),
        sa.Column("anomaly", sa.String(200), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.UniqueConstraint("ref_id", name="uq_ppob_transactions_ref_id"),
    )
    op.create_index("ix_ppob_transactions_status", "ppob_transactions", ["status"])


def downgrade() -> None:
    op.drop_index("ix_ppob_transactions_status", table_name="ppob_transactions")
    op.drop_table("ppob_transactions")
    op.drop_table("ppob_markups")
    op.drop_table("ppob_products")
    op.drop_table("ppob_settings")
