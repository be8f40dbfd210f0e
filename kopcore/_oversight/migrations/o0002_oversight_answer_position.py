"""questionnaire answers dated to the position they apply to

Revision ID: oversight0002
Revises: oversight0001
Create Date: 2026-12-09

An answer to the non-financial questionnaire states the position date it applies to
(``applies_on``), beside the business date it was recorded on and who recorded it: an examiner
who in March assesses the year-end position answers for 31 December. Answers already recorded
apply to the business date they were recorded on. The index serves the assessment's lookup of
each question's answer for the latest position on or before a date.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "oversight0002"
down_revision: str | None = "oversight0001"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("oversight_answers") as batch:
        batch.add_column(sa.Column("applies_on", sa.Date(), nullable=True))
    op.execute("UPDATE oversight_answers SET applies_on = business_date")
    with op.batch_alter_table("oversight_answers") as batch:
        batch.alter_column("applies_on", existing_type=sa.Date(), nullable=False)
    op.create_index("ix_oversight_answers_position", "oversight_answers",
                    ["regime", "applies_on"])


def downgrade() -> None:
    op.drop_index("ix_oversight_answers_position", table_name="oversight_answers")
    with op.batch_alter_table("oversight_answers") as batch:
        batch.drop_column("applies_on")
