"""savings tables

Revision ID: savings0001
Revises:
Create Date: 2026-11-27

The first revision of the ``savings`` branch; it runs after the kernel's tables exist.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "savings0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("savings",)
depends_on: str | Sequence[str] | None = "kopcore"


def upgrade() -> None:
    op.create_table(
        "savings_products",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("gl_key", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("min_balance", sa.BigInteger(), nullable=False),
        sa.Column("rate_ppm", sa.Integer(), nullable=False),
        sa.Column("interest_method", sa.String(16), nullable=False),
        sa.Column("days_in_year", sa.SmallInteger(), nullable=False),
        sa.Column("interest_min_balance", sa.BigInteger(), nullable=False),
        sa.Column("posting_months", sa.SmallInteger(), nullable=False),
        sa.Column("rounding_unit", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate_ppm", sa.Integer(), nullable=False),
        sa.Column("tax_threshold", sa.BigInteger(), nullable=False),
        sa.Column("expense_gl_key", sa.String(64), nullable=False),
        sa.Column("dormant_after_days", sa.Integer(), nullable=True),
        sa.Column("dormant_policy", sa.String(16), nullable=False),
        sa.Column("auto_debit", sa.Boolean(), nullable=False),
        sa.Column("arrears_gl_key", sa.String(64), nullable=False),
        sa.Column("term_months", sa.SmallInteger(), nullable=True),
        sa.Column("penalty_ppm", sa.Integer(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.CheckConstraint("type IN ('pokok','wajib','sukarela','berjangka')",
                           name="ck_savings_products_type_known"),
        sa.CheckConstraint("interest_method IN ('daily','average','lowest')",
                           name="ck_savings_products_method_known"),
        sa.CheckConstraint("days_in_year IN (360, 365)", name="ck_savings_products_year"),
        sa.CheckConstraint("dormant_policy IN ('allow','deposits-only','none')",
                           name="ck_savings_products_dormant_policy"),
        sa.CheckConstraint("rounding_unit > 0", name="ck_savings_products_rounding_unit"),
        sa.ForeignKeyConstraint(["gl_key"], ["gl_accounts.key"],
                                name="fk_savings_products_gl_key_gl_accounts"),
        sa.PrimaryKeyConstraint("code", name="pk_savings_products"),
    )
    op.create_table(
        "savings_accounts",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("product_code", sa.String(32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("last_activity_on", sa.Date(), nullable=False),
        sa.Column("dormant_since", sa.Date(), nullable=True),
        sa.Column("accrued_through", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name="fk_savings_accounts_account_id_accounts"),
        sa.ForeignKeyConstraint(["product_code"], ["savings_products.code"],
                                name="fk_savings_accounts_product_code_savings_products"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name="fk_savings_accounts_member_id_members"),
        sa.PrimaryKeyConstraint("account_id", name="pk_savings_accounts"),
    )
    op.create_index("ix_savings_accounts_member", "savings_accounts", ["member_id"])
    op.create_index("ix_savings_accounts_product", "savings_accounts", ["product_code"])
    op.create_table(
        "savings_interest_days",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("rate_ppm", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "business_date", name="pk_savings_interest_days"),
    )
    op.create_table(
        "savings_interest_postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name="fk_savings_interest_postings_account_id_accounts"),
        sa.UniqueConstraint("account_id", "period_to", name="uq_savings_interest_postings_period"),
        sa.PrimaryKeyConstraint("id", name="pk_savings_interest_postings"),
    )
    op.create_table(
        "savings_wajib_dues",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("billed_on", sa.Date(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_savings_wajib_dues_amount_positive"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name="fk_savings_wajib_dues_account_id_accounts"),
        sa.PrimaryKeyConstraint("account_id", "period", name="pk_savings_wajib_dues"),
    )
    op.create_table(
        "savings_deposits",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("rate_ppm", sa.Integer(), nullable=False),
        sa.Column("term_months", sa.SmallInteger(), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("maturity_on", sa.Date(), nullable=False),
        sa.Column("instruction", sa.String(16), nullable=False),
        sa.Column("payout_account", sa.String(64), nullable=True),
        sa.Column("accrued", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.CheckConstraint("instruction IN ('payout','rollover')",
                           name="ck_savings_deposits_instruction_known"),
        sa.CheckConstraint("status IN ('active','matured','closed')",
                           name="ck_savings_deposits_status_known"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name="fk_savings_deposits_account_id_accounts"),
        sa.PrimaryKeyConstraint("account_id", name="pk_savings_deposits"),
    )
    op.create_index("ix_savings_deposits_maturity", "savings_deposits", ["maturity_on"])
    op.create_table(
        "savings_account_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name="fk_savings_account_events_account_id_accounts"),
        sa.PrimaryKeyConstraint("id", name="pk_savings_account_events"),
    )
    op.create_index("ix_savings_account_events_account", "savings_account_events",
                    ["account_id"])


def downgrade() -> None:
    op.drop_table("savings_account_events")
    op.drop_index("ix_savings_deposits_maturity", "savings_deposits")
    op.drop_table("savings_deposits")
    op.drop_table("savings_wajib_dues")
    op.drop_table("savings_interest_postings")
    op.drop_table("savings_interest_days")
    op.drop_index("ix_savings_accounts_product", "savings_accounts")
    op.drop_index("ix_savings_accounts_member", "savings_accounts")
    op.drop_table("savings_accounts")
    op.drop_table("savings_products")
