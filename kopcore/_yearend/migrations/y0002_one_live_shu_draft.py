"""one live SHU draft per financial year

Revision ID: yearend0002
Revises: yearend0001
Create Date: 2026-11-28

A partial unique index on the year of the drafts not superseded: two drafts made at once can no
longer both stay live. Drafts left live beside a later draft, or beside an approved or posted
one, are superseded first (a year with two approved or posted drafts needs a decision by hand
and stops the upgrade).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "yearend0002"
down_revision: str | None = "yearend0001"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status <> 'superseded'")


def upgrade() -> None:
    op.execute(
        "UPDATE yearend_shu_drafts SET status = 'superseded' WHERE status = 'draft' AND EXISTS ("
        "SELECT 1 FROM yearend_shu_drafts AS other "
        "WHERE other.year = yearend_shu_drafts.year AND other.id <> yearend_shu_drafts.id "
        "AND (other.status IN ('approved', 'posted') "
        "OR (other.status = 'draft' AND other.id > yearend_shu_drafts.id)))")
    op.create_index("uq_yearend_shu_drafts_live_year", "yearend_shu_drafts", ["year"],
                    unique=True, postgresql_where=LIVE, sqlite_where=LIVE)


def downgrade() -> None:
    op.drop_index("uq_yearend_shu_drafts_live_year", table_name="yearend_shu_drafts")
