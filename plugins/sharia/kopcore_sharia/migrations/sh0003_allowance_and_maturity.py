"""financing allowance (PPAP), mudharabah deposit maturity instructions

Revision ID: sharia0003
Revises: sharia0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0003"
down_revision: str | None = "sharia0002"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Default allowance per default class (DOMAIN.md §3), in basis points of the base.
DEFAULT_RATES = (("1", 0, 50), ("2", 91, 1000), ("3", 121, 5000), ("4", 181, 10000))


def upgrade() -> None:
    with op.batch_alter_table("sharia_collectibility_classes") as batch:
        batch.add_column(sa.Column("allowance_bp", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.create_check_constraint("ck_sharia_classes_allowance_range",
                                      "allowance_bp >= 0 AND allowance_bp <= 10000")
    classes = sa.table("sharia_collectibility_classes", sa.column("code", sa.String),
                       sa.column("min_days", sa.Integer), sa.column("allowance_bp", sa.Integer))
    for code, days, rate in DEFAULT_RATES:
        op.execute(sa.update(classes).where(classes.c.code == code, classes.c.min_days == days)
                   .values(allowance_bp=rate))
    with op.batch_alter_table("sharia_murabahah") as batch:
        batch.add_column(sa.Column("allowance", sa.BigInteger(), nullable=False,
                                   server_default="0"))
    with op.batch_alter_table("sharia_mudharabah_accounts") as batch:
        batch.add_column(sa.Column("at_maturity", sa.String(16), nullable=False,
                                   server_default="hold"))
        batch.add_column(sa.Column("settlement_account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rollovers", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.create_foreign_key("fk_sharia_mudharabah_settlement_account", "accounts",
                                 ["settlement_account_id"], ["id"])
        batch.create_check_constraint("ck_sharia_mudharabah_at_maturity",
                                      "at_maturity IN ('hold','payout','rollover')")
    op.create_table(
        "sharia_deposit_maturities",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("maturity_on", sa.Date(), primary_key=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("next_maturity_on", sa.Date(), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("journal_entries.id"), nullable=True),
        sa.CheckConstraint("action IN ('payout','rollover')",
                           name="ck_sharia_deposit_maturities_action"),
    )


def downgrade() -> None:
    op.drop_table("sharia_deposit_maturities")
    with op.batch_alter_table("sharia_mudharabah_accounts") as batch:
        batch.drop_constraint("ck_sharia_mudharabah_at_maturity", type_="check")
        batch.drop_constraint("fk_sharia_mudharabah_settlement_account", type_="foreignkey")
        for column in ("rollovers", "settlement_account_id", "at_maturity"):
            batch.drop_column(column)
    with op.batch_alter_table("sharia_murabahah") as batch:
        batch.drop_column("allowance")
    with op.batch_alter_table("sharia_collectibility_classes") as batch:
        batch.drop_constraint("ck_sharia_classes_allowance_range", type_="check")
        batch.drop_column("allowance_bp")
