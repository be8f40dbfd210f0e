"""group loans: groups, their members, a loan's group; savings blocked with a loan

Revision ID: loans0004
Revises: loans0003
Create Date: 2026-12-07

Groups (kelompok) with a leader and a meeting day, their members (one group at a time), and the
group a loan belongs to (tanggung renteng). Simpanan wajib pinjam: a product's percentage of the
principal blocked in the member's savings until payoff, and each loan's hold.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loans0004"
down_revision: str | None = "loans0003"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loans_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("leader_member_id", sa.Integer(), nullable=False),
        sa.Column("meeting_day", sa.String(16), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "loans_group_members",
        sa.Column("member_id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("loans_groups.id"), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_loans_group_members_group_id", "loans_group_members", ["group_id"])
    op.add_column("loans_loans", sa.Column("group_id", sa.Integer(), nullable=True))
    op.add_column("loans_loans", sa.Column("blocked_hold_id", sa.Integer(), nullable=True))
    op.add_column("loans_loans", sa.Column("blocked_savings", sa.BigInteger(), nullable=False,
                                           server_default="0"))
    op.add_column("loans_products", sa.Column("blocked_savings_percent", sa.String(32),
                                              nullable=False, server_default="0"))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN in place: a table copy would break the references to it.
    op.execute("ALTER TABLE loans_products DROP COLUMN blocked_savings_percent")
    for name in ("blocked_savings", "blocked_hold_id", "group_id"):
        op.execute(f"ALTER TABLE loans_loans DROP COLUMN {name}")
    op.drop_index("ix_loans_group_members_group_id", "loans_group_members")
    op.drop_table("loans_group_members")
    op.drop_table("loans_groups")
