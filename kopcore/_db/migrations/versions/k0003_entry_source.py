"""journal entry source

Revision ID: k0003
Revises: k0002
Create Date: 2026-12-03

Adds ``journal_entries.source``: the plugin whose operation or end-of-day task posted the entry,
or ``python-api`` (kopcore.ledger._prepare.entry_source). Entries posted before this revision keep
NULL, read as "not recorded": the journal is immutable (its triggers refuse UPDATE), each entry's
digest covers what was stored, and the operation name alone cannot say which plugin declared it
back then.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0003"
down_revision: str | None = "k0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # Adding a nullable column is not an UPDATE: the journal's triggers are not involved.
    op.add_column("journal_entries", sa.Column("source", sa.String(length=128), nullable=True))


def downgrade() -> None:
    # As for k0002's digest: SQLite keeps the nullable column, which older code ignores.
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("journal_entries", "source")
