"""legal-entity members whose interest is not withheld under Pasal 23

Revision ID: savings_exempt0001
Revises: savings_policy0001
Create Date: 2026-12-08

``savings_tax_exemptions`` keeps, per member that is a legal entity, why its savings interest
is paid without PPh pasal 23 withheld — a bank (Pasal 23 ayat (4) huruf a of the income tax
law) or a Surat Keterangan Bebas (SKB) the tax office issued — and the payment dates it covers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "savings_exempt0001"
down_revision: str | None = "savings_policy0001"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "savings_tax_exemptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(8), nullable=False),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("ended_by", sa.String(64), nullable=True),
        sa.CheckConstraint("reason IN ('bank', 'skb')",
                           name="ck_savings_tax_exemptions_reason"),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from",
                           name="ck_savings_tax_exemptions_period"),
    )
    op.create_index("ix_savings_tax_exemptions_member", "savings_tax_exemptions",
                    ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_savings_tax_exemptions_member", table_name="savings_tax_exemptions")
    op.drop_table("savings_tax_exemptions")
