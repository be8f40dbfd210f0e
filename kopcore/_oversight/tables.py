"""The oversight plugin's tables (created by its own Alembic branch, ``kopcore_oversight``)."""

from __future__ import annotations

import sqlalchemy as sa

from kopcore._db.tables import UTCDateTime

metadata = sa.MetaData()

#: Answers to the non-financial questionnaire, one row per answer given (append-only): each
#: states the position date it applies to (``applies_on``), beside the business date it was
#: recorded on, when and by whom. The answer in force for a position date D is the one for the
#: latest position on or before D, the last recorded among those; earlier ones stay on the record.
answers = sa.Table(
    "oversight_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("regime", sa.String(32), nullable=False),
    sa.Column("question", sa.String(64), nullable=False),
    sa.Column("answer", sa.Boolean, nullable=False),
    sa.Column("note", sa.String(500), nullable=False),
    sa.Column("answered_by", sa.String(64), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.Column("applies_on", sa.Date, nullable=False),
    sa.Index("ix_oversight_answers_question", "regime", "question", "business_date"),
    sa.Index("ix_oversight_answers_position", "regime", "applies_on"),
)
