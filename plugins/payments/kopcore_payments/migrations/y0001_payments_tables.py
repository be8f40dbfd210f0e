"""payments tables

Revision ID: payments0001
Revises:
Create Date: 2026-12-07

The first revision of the ``payments`` branch; it runs after the kernel's tables exist.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "payments0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("payments",)
depends_on: str | Sequence[str] | None = "kopcore"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payments_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.create_table(
        "payments_fees",
        sa.Column("gateway", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("fixed", sa.BigInteger(), nullable=False),
        sa.Column("rate_ppm", sa.Integer(), nullable=False),
    )
    op.create_table(
        "payments_bills",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("target_operation", sa.String(64), nullable=False),
        sa.Column("target_input", sa.Text(), nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("payment_row_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("number", name="uq_payments_bills_number"),
    )
    op.create_table(
        "payments_channels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("gateway_ref", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(1000), nullable=False),
        sa.Column("bank_code", sa.String(32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", TZ, nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.UniqueConstraint("gateway", "gateway_ref", name="uq_payments_channels_ref"),
        sa.UniqueConstraint("gateway", "external_id", name="uq_payments_channels_external"),
    )
    op.create_index("ix_payments_channels_member", "payments_channels", ["member_id"])
    op.create_table(
        "payments_payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("payment_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("channel_ref", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("paid_at", TZ, nullable=False),
        sa.Column("received_via", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("credited_to", sa.String(200), nullable=True),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("fee_entry_id", sa.Integer(), nullable=True),
        sa.Column("resolution_entry_id", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.UniqueConstraint("gateway", "payment_id", name="uq_payments_payments_id"),
    )
    op.create_index("ix_payments_payments_status", "payments_payments", ["status"])
    op.create_table(
        "payments_callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("payment_id", sa.String(128), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
    )
    op.create_table(
        "payments_settlements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("bank_account", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=False),
        sa.UniqueConstraint("gateway", "reference", name="uq_payments_settlements_ref"),
    )


def downgrade() -> None:
    op.drop_table("payments_settlements")
    op.drop_table("payments_callbacks")
    op.drop_index("ix_payments_payments_status", table_name="payments_payments")
    op.drop_table("payments_payments")
    op.drop_index("ix_payments_channels_member", table_name="payments_channels")
    op.drop_table("payments_channels")
    op.drop_table("payments_bills")
    op.drop_table("payments_fees")
    op.drop_table("payments_settings")
