"""period closing and SHU tables

Revision ID: yearend0001
Revises:
Create Date: 2026-11-27

The first revision of the ``yearend`` branch (the kernel's built-in closing and SHU plugin); it
runs after the kernel's tables exist.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "yearend0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("yearend",)
depends_on: str | Sequence[str] | None = "kopcore"

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "yearend_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("surplus", sa.BigInteger(), nullable=True),
        sa.Column("adjustments_seen", sa.Integer(), nullable=False),
        sa.Column("closed_by", sa.String(64), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("closed_at", _TS, nullable=False),
        sa.CheckConstraint("kind IN ('month','year')", name="ck_yearend_periods_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_yearend_periods"),
        sa.UniqueConstraint("kind", "end_date", name="uq_yearend_periods_kind_end"),
    )
    op.create_table(
        "yearend_snapshot_lines",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("gl_key", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["period_id"], ["yearend_periods.id"],
                                name="fk_yearend_snapshot_lines_period_id"),
        sa.PrimaryKeyConstraint("period_id", "gl_key", "currency",
                                name="pk_yearend_snapshot_lines"),
    )
    op.create_table(
        "yearend_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("adjusting_date", sa.Date(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_yearend_adjustments"),
        sa.UniqueConstraint("entry_id", name="uq_yearend_adjustments_entry_id"),
    )
    op.create_table(
        "yearend_shu_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("surplus", sa.BigInteger(), nullable=False),
        sa.Column("capital_basis", sa.String(16), nullable=False),
        sa.Column("patronage_basis", sa.String(16), nullable=False),
        sa.Column("member_payout", sa.String(16), nullable=False),
        sa.Column("drafted_by", sa.String(64), nullable=False),
        sa.Column("drafted_at", _TS, nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("approved_at", _TS, nullable=True),
        sa.Column("posted_by", sa.String(64), nullable=True),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('draft','approved','posted','superseded')",
                           name="ck_yearend_shu_drafts_status"),
        sa.PrimaryKeyConstraint("id", name="pk_yearend_shu_drafts"),
    )
    op.create_index("ix_yearend_shu_drafts_year", "yearend_shu_drafts", ["year"])
    op.create_table(
        "yearend_shu_pools",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("pool", sa.String(16), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["yearend_shu_drafts.id"],
                                name="fk_yearend_shu_pools_draft_id"),
        sa.PrimaryKeyConstraint("draft_id", "pool", name="pk_yearend_shu_pools"),
    )
    op.create_table(
        "yearend_shu_members",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("capital", sa.BigInteger(), nullable=False),
        sa.Column("patronage", sa.BigInteger(), nullable=False),
        sa.Column("jasa_modal", sa.BigInteger(), nullable=False),
        sa.Column("jasa_usaha", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(64), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["draft_id"], ["yearend_shu_drafts.id"],
                                name="fk_yearend_shu_members_draft_id"),
        sa.PrimaryKeyConstraint("draft_id", "member_id", name="pk_yearend_shu_members"),
    )


def downgrade() -> None:
    op.drop_table("yearend_shu_members")
    op.drop_table("yearend_shu_pools")
    op.drop_index("ix_yearend_shu_drafts_year", table_name="yearend_shu_drafts")
    op.drop_table("yearend_shu_drafts")
    op.drop_table("yearend_adjustments")
    op.drop_table("yearend_snapshot_lines")
    op.drop_table("yearend_periods")
