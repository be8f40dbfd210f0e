"""sharia tables

Revision ID: sharia0001
Revises:
Create Date: 2026-11-27

The first revision of the ``sharia`` branch; it runs after the kernel's tables exist.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("sharia",)
depends_on: str | Sequence[str] | None = "kopcore"


def upgrade() -> None:
    op.create_table(
        "sharia_murabahah",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(200), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("margin", sa.BigInteger(), nullable=False),
        sa.Column("down_payment", sa.BigInteger(), nullable=False),
        sa.Column("installments", sa.SmallInteger(), nullable=False),
        sa.Column("rounding_unit", sa.BigInteger(), nullable=False),
        sa.Column("contract_on", sa.Date(), nullable=False),
        sa.Column("paid_installments", sa.SmallInteger(), nullable=False),
        sa.Column("margin_recognised", sa.BigInteger(), nullable=False),
        sa.Column("muqasah", sa.BigInteger(), nullable=False),
        sa.Column("tazir", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.CheckConstraint("status IN ('active','settled')",
                           name="ck_sharia_murabahah_status_known"),
        sa.CheckConstraint("cost > 0 AND margin >= 0 AND down_payment >= 0 "
                           "AND down_payment < cost", name="ck_sharia_murabahah_amounts"),
        sa.CheckConstraint("installments > 0", name="ck_sharia_murabahah_installments"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name="fk_sharia_murabahah_account_id_accounts"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name="fk_sharia_murabahah_member_id_members"),
        sa.PrimaryKeyConstraint("account_id", name="pk_sharia_murabahah"),
    )
    op.create_index("ix_sharia_murabahah_member_id", "sharia_murabahah", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_sharia_murabahah_member_id", table_name="sharia_murabahah")
    op.drop_table("sharia_murabahah")
