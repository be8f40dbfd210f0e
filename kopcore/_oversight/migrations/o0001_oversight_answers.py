"""oversight questionnaire answers

Revision ID: oversight0001
Revises:
Create Date: 2026-11-27

The first revision of the ``kopcore_oversight`` branch (the built-in oversight plugin): the
answers to the health assessment's non-financial questionnaire, with who answered and when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "oversight0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("kopcore_oversight",)
depends_on: str | Sequence[str] | None = "kopcore"


def upgrade() -> None:
    op.create_table(
        "oversight_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("answered_by", sa.String(length=64), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_oversight_answers_question", "oversight_answers",
                    ["regime", "question", "business_date"])


def downgrade() -> None:
    op.drop_index("ix_oversight_answers_question", table_name="oversight_answers")
    op.drop_table("oversight_answers")
