"""ijarah and ijarah muntahiyah bittamlik: the assets bought to lease and the lease contracts

Revision ID: sharia0009
Revises: sharia0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0009"
down_revision: str | None = "sharia0008"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharia_ijarah_assets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("asset", sa.String(200), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("residual", sa.BigInteger(), nullable=False),
        sa.Column("useful_life_months", sa.Integer(), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("document", sa.String(200), nullable=False),
        sa.Column("acquired_on", sa.Date(), nullable=False),
        sa.Column("accumulated", sa.BigInteger(), nullable=False),
        sa.Column("depreciated_months", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("contract_account_id", sa.Integer(), sa.ForeignKey("accounts.id"),
                  nullable=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("journal_entries.id"), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("sold_cost", sa.BigInteger(), nullable=False),
        sa.Column("sold_accumulated", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("cost > 0", name="ck_sharia_ijarah_assets_cost_positive"),
        sa.CheckConstraint("residual >= 0 AND residual < cost",
                           name="ck_sharia_ijarah_assets_residual"),
        sa.CheckConstraint("useful_life_months > 0", name="ck_sharia_ijarah_assets_life"),
        sa.CheckConstraint("accumulated >= sold_accumulated AND sold_accumulated >= 0 AND "
                           "sold_cost >= 0 AND sold_cost <= cost",
                           name="ck_sharia_ijarah_assets_depreciation"),
        sa.CheckConstraint("status IN ('available','leased','transferred')",
                           name="ck_sharia_ijarah_assets_status"),
    )
    op.create_table(
        "sharia_ijarah",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("asset_id", sa.Integer(), sa.ForeignKey("sharia_ijarah_assets.id"),
                  nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("transfer", sa.String(8), nullable=True),
        sa.Column("transfer_price", sa.BigInteger(), nullable=False),
        sa.Column("ujrah", sa.BigInteger(), nullable=False),
        sa.Column("term", sa.SmallInteger(), nullable=False),
        sa.Column("contract_on", sa.Date(), nullable=False),
        sa.Column("dep_base", sa.BigInteger(), nullable=False),
        sa.Column("dep_months", sa.Integer(), nullable=False),
        sa.Column("accrued", sa.SmallInteger(), nullable=False),
        sa.Column("paid", sa.SmallInteger(), nullable=False),
        sa.Column("depreciation", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_entry_id", sa.Integer(), sa.ForeignKey("journal_entries.id"),
                  nullable=True),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("collectibility", sa.String(16), nullable=True),
        sa.Column("allowance", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("tazir_flat", sa.BigInteger(), nullable=False),
        sa.Column("tazir_daily", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("tazir_flat >= 0 AND tazir_daily >= 0",
                           name="ck_sharia_ijarah_tazir_terms"),
        sa.CheckConstraint("ujrah > 0", name="ck_sharia_ijarah_ujrah_positive"),
        sa.CheckConstraint("kind IN ('ijarah','imbt')", name="ck_sharia_ijarah_kind"),
        sa.CheckConstraint("(kind = 'ijarah' AND transfer IS NULL) OR "
                           "(kind = 'imbt' AND transfer IN ('hibah','sale','gradual'))",
                           name="ck_sharia_ijarah_transfer"),
        sa.CheckConstraint("paid >= 0 AND paid <= accrued AND accrued <= term",
                           name="ck_sharia_ijarah_counts"),
        sa.CheckConstraint("status IN ('active','ended')", name="ck_sharia_ijarah_status"),
    )
    op.create_index("ix_sharia_ijarah_member_id", "sharia_ijarah", ["member_id"])
    # An asset is leased by at most one active contract.
    op.create_index("uq_sharia_ijarah_active_asset", "sharia_ijarah", ["asset_id"], unique=True,
                    postgresql_where=sa.text("status = 'active'"),
                    sqlite_where=sa.text("status = 'active'"))


def downgrade() -> None:
    op.drop_index("uq_sharia_ijarah_active_asset", table_name="sharia_ijarah")
    op.drop_index("ix_sharia_ijarah_member_id", table_name="sharia_ijarah")
    op.drop_table("sharia_ijarah")
    op.drop_table("sharia_ijarah_assets")
