"""ta'zir agreed at signing (once per late installment) and ta'widh with its evidence

Revision ID: sharia0005
Revises: sharia0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0005"
down_revision: str | None = "sharia0004"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A contract made before this revision agreed no ta'zir: none can be charged on it.
    with op.batch_alter_table("sharia_murabahah") as batch:
        for column in ("tazir_flat", "tazir_daily", "tawidh"):
            batch.add_column(sa.Column(column, sa.BigInteger(), nullable=False,
                                       server_default="0"))
        batch.create_check_constraint("ck_sharia_murabahah_tazir_terms",
                                      "tazir_flat >= 0 AND tazir_daily >= 0")
    with op.batch_alter_table("sharia_tazir") as batch:
        batch.add_column(sa.Column("installment", sa.SmallInteger(), nullable=True))
    op.create_index("uq_sharia_tazir_installment", "sharia_tazir",
                    ["account_id", "installment"], unique=True)
    op.create_table(
        "sharia_tawidh",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("installment", sa.SmallInteger(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.String(200), nullable=False),
        sa.Column("evidence", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("journal_entries.id"), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_sharia_tawidh_amount_positive"),
    )
    op.create_index("ix_sharia_tawidh_account_id", "sharia_tawidh", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_sharia_tawidh_account_id", table_name="sharia_tawidh")
    op.drop_table("sharia_tawidh")
    op.drop_index("uq_sharia_tazir_installment", table_name="sharia_tazir")
    with op.batch_alter_table("sharia_tazir") as batch:
        batch.drop_column("installment")
    with op.batch_alter_table("sharia_murabahah") as batch:
        batch.drop_constraint("ck_sharia_murabahah_tazir_terms", type_="check")
        for column in ("tawidh", "tazir_daily", "tazir_flat"):
            batch.drop_column(column)
