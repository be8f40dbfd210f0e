"""celengan goals

Revision ID: celengan0001
Revises:
Create Date: 2026-11-27

The first revision of the ``celengan`` branch; it runs after the kernel's tables exist.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "celengan0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("celengan",)
depends_on: str | Sequence[str] | None = "kopcore"


def upgrade() -> None:
    op.create_table(
        "celengan_goals",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("target_minor", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("reached_on", sa.Date(), nullable=True),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.CheckConstraint("target_minor > 0", name="ck_celengan_goals_target_positive"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name="fk_celengan_goals_account_id_accounts"),
        sa.PrimaryKeyConstraint("account_id", name="pk_celengan_goals"),
    )


def downgrade() -> None:
    op.drop_table("celengan_goals")
