"""The tables of period closing and SHU (SQLAlchemy Core), created by the ``yearend`` branch.

Amounts are BIGINT minor units; SHU percentages are stored as integer hundredths of a percent.
"""

from __future__ import annotations

import sqlalchemy as sa

from kopcore._db.tables import UTCDateTime

metadata = sa.MetaData()

#: One row per closed month and per closed financial year.
periods = sa.Table(
    "yearend_periods",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    #: Year: the closing entry and the surplus (income less expenses) it moved.
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.Column("surplus", sa.BigInteger, nullable=True),
    #: The last adjustment (``yearend_adjustments.id``) the snapshot already includes.
    sa.Column("adjustments_seen", sa.Integer, nullable=False),
    sa.Column("closed_by", sa.String(64), nullable=False),
    sa.Column("closed_on", sa.Date, nullable=False),
    sa.Column("closed_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("kind", "end_date", name="uq_yearend_periods_kind_end"),
)

#: The trial balance of a period at its close: net debit-positive postings per GL account.
snapshot_lines = sa.Table(
    "yearend_snapshot_lines",
    metadata,
    sa.Column("period_id", sa.Integer, sa.ForeignKey("yearend_periods.id"), primary_key=True),
    sa.Column("gl_key", sa.String(64), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("net", sa.BigInteger, nullable=False),
)

#: Authorised adjusting entries dated in a past (closed or not yet closed) month.
adjustments = sa.Table(
    "yearend_adjustments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entry_id", sa.Integer, nullable=False, unique=True),
    sa.Column("adjusting_date", sa.Date, nullable=False),
    sa.Column("posted_on", sa.Date, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
)

#: An SHU allocation for a financial year: draft -> approved -> posted (or superseded).
shu_drafts = sa.Table(
    "yearend_shu_drafts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("surplus", sa.BigInteger, nullable=False),
    sa.Column("capital_basis", sa.String(16), nullable=False),
    sa.Column("patronage_basis", sa.String(16), nullable=False),
    sa.Column("member_payout", sa.String(16), nullable=False),
    sa.Column("drafted_by", sa.String(64), nullable=False),
    sa.Column("drafted_at", UTCDateTime(), nullable=False),
    sa.Column("approved_by", sa.String(64), nullable=True),
    sa.Column("approved_at", UTCDateTime(), nullable=True),
    sa.Column("posted_by", sa.String(64), nullable=True),
    sa.Column("posted_on", sa.Date, nullable=True),
    sa.Column("entry_id", sa.Integer, nullable=True),
    #: One live (not superseded) draft per year, also under concurrent drafts.
    sa.Index("uq_yearend_shu_drafts_live_year", "year", unique=True,
             postgresql_where=sa.text("status <> 'superseded'"),
             sqlite_where=sa.text("status <> 'superseded'")),
)

#: The pools of a draft: reserve, jasa modal, jasa usaha, management, staff...
shu_pools = sa.Table(
    "yearend_shu_pools",
    metadata,
    sa.Column("draft_id", sa.Integer, sa.ForeignKey("yearend_shu_drafts.id"), primary_key=True),
    sa.Column("pool", sa.String(16), primary_key=True),
    sa.Column("seq", sa.SmallInteger, nullable=False),
    sa.Column("weight", sa.Integer, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
)

#: Each member's bases and shares in a draft, and where the share went when posted.
shu_members = sa.Table(
    "yearend_shu_members",
    metadata,
    sa.Column("draft_id", sa.Integer, sa.ForeignKey("yearend_shu_drafts.id"), primary_key=True),
    sa.Column("member_id", sa.Integer, primary_key=True),
    sa.Column("capital", sa.BigInteger, nullable=False),
    sa.Column("patronage", sa.BigInteger, nullable=False),
    sa.Column("jasa_modal", sa.BigInteger, nullable=False),
    sa.Column("jasa_usaha", sa.BigInteger, nullable=False),
    sa.Column("account", sa.String(64), nullable=True),
    sa.Column("entry_id", sa.Integer, nullable=True),
)
