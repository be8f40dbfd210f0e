"""Wakaf uang (UU 41/2004, PSAK 412): the wakaf received, its investments, their results and
the distributions to the mauquf 'alaih; a ZIS receipt's payer (individual or entity) and
whether an infak is restricted (PSAK 409's statement of changes in funds shows both)

Revision ID: sharia0011
Revises: sharia0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0011"
down_revision: str | None = "sharia0010"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _entry(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("journal_entries.id"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sharia_wakaf",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("wakif", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("ikrar", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        _entry("entry_id"),
        sa.Column("returned_on", sa.Date(), nullable=True),
        _entry("return_entry_id", nullable=True),
        sa.UniqueConstraint("ikrar", name="uq_sharia_wakaf_ikrar"),
        sa.CheckConstraint("amount > 0", name="ck_sharia_wakaf_amount_positive"),
        sa.CheckConstraint("kind IN ('permanent','temporary')", name="ck_sharia_wakaf_kind"),
        sa.CheckConstraint("kind = 'permanent' OR until IS NOT NULL",
                           name="ck_sharia_wakaf_temporary_until"),
    )
    op.create_table(
        "sharia_wakaf_investments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("placement", sa.String(16), nullable=False),
        sa.Column("placed_with", sa.String(200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        _entry("entry_id"),
        sa.Column("returned_on", sa.Date(), nullable=True),
        _entry("return_entry_id", nullable=True),
        sa.CheckConstraint("amount > 0", name="ck_sharia_wakaf_investments_amount_positive"),
    )
    op.create_table(
        "sharia_wakaf_movements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("investment_id", sa.Integer(),
                  sa.ForeignKey("sharia_wakaf_investments.id"), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("nazhir_part", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.String(200), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        _entry("entry_id"),
        sa.CheckConstraint("amount > 0", name="ck_sharia_wakaf_movements_amount_positive"),
        sa.CheckConstraint("kind IN ('result','distribution')",
                           name="ck_sharia_wakaf_movements_kind"),
    )
    op.create_index("ix_sharia_wakaf_movements_date", "sharia_wakaf_movements",
                    ["business_date"])
    op.add_column("sharia_zis_movements", sa.Column("payer", sa.String(16), nullable=True))
    op.add_column("sharia_zis_movements", sa.Column("restricted", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sharia_zis_movements") as batch:
        batch.drop_column("restricted")
        batch.drop_column("payer")
    op.drop_index("ix_sharia_wakaf_movements_date", table_name="sharia_wakaf_movements")
    op.drop_table("sharia_wakaf_movements")
    op.drop_table("sharia_wakaf_investments")
    op.drop_table("sharia_wakaf")
