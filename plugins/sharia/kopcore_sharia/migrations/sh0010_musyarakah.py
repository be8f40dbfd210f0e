"""musyarakah and musyarakah mutanaqisah financing (PSAK 406): contracts and the member's
monthly result reports

Revision ID: sharia0010
Revises: sharia0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0010"
down_revision: str | None = "sharia0009"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharia_musyarakah",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("business", sa.String(200), nullable=False),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("nisbah_ppm", sa.Integer(), nullable=True),
        sa.Column("capital", sa.BigInteger(), nullable=False),
        sa.Column("form", sa.String(16), nullable=False),
        sa.Column("asset", sa.String(200), nullable=True),
        sa.Column("carrying_value", sa.BigInteger(), nullable=True),
        sa.Column("member_capital", sa.BigInteger(), nullable=False),
        sa.Column("member_contribution", sa.String(200), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("contract_on", sa.Date(), nullable=False),
        sa.Column("maturity_on", sa.Date(), nullable=False),
        sa.Column("installments", sa.Integer(), nullable=True),
        sa.Column("ujrah", sa.BigInteger(), nullable=False),
        sa.Column("rounding_unit", sa.BigInteger(), nullable=False),
        sa.Column("paid_installments", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("income", sa.BigInteger(), nullable=False),
        sa.Column("losses", sa.BigInteger(), nullable=False),
        sa.Column("returned", sa.BigInteger(), nullable=False),
        sa.Column("deferred_gain", sa.BigInteger(), nullable=False),
        sa.Column("gain_recognised", sa.BigInteger(), nullable=False),
        sa.Column("useful_life_months", sa.Integer(), nullable=True),
        sa.Column("depreciated", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("collectibility", sa.String(16), nullable=True),
        sa.Column("allowance", sa.BigInteger(), nullable=False),
        sa.Column("receivable_account_id", sa.Integer(), sa.ForeignKey("accounts.id"),
                  nullable=True),
        sa.Column("shortfall_ground", sa.String(200), nullable=True),
        sa.CheckConstraint("kind IN ('permanent','diminishing')",
                           name="ck_sharia_musyarakah_kind"),
        sa.CheckConstraint("capital > 0 AND member_capital > 0",
                           name="ck_sharia_musyarakah_capital"),
        sa.CheckConstraint("status IN ('active','settled','ended')",
                           name="ck_sharia_musyarakah_status"),
    )
    op.create_index("ix_sharia_musyarakah_member", "sharia_musyarakah", ["member_id"])
    op.create_table(
        "sharia_musyarakah_reports",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("sharia_musyarakah.account_id"),
                  primary_key=True),
        sa.Column("period", sa.Integer(), primary_key=True),
        sa.Column("result", sa.BigInteger(), nullable=False),
        sa.Column("share", sa.BigInteger(), nullable=False),
        sa.Column("negligence", sa.String(200), nullable=True),
        sa.Column("memo", sa.String(200), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("journal_entries.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("sharia_musyarakah_reports")
    op.drop_index("ix_sharia_musyarakah_member", table_name="sharia_musyarakah")
    op.drop_table("sharia_musyarakah")
