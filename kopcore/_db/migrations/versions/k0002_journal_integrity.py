"""journal integrity: entry digests and the seal chain

Revision ID: k0002
Revises: k0001
Create Date: 2026-11-28

Adds ``journal_entries.digest`` (NULL for the entries posted before this revision: the first
seal covers them, see docs/integrity.md) and the append-only ``journal_seals`` table, protected
by the same refuse-UPDATE-and-DELETE triggers as the journal.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0002"
down_revision: str | None = "k0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

SEALS_MESSAGE = "journal seals are append-only"


def upgrade() -> None:
    # Adding a nullable column is not an UPDATE: the journal's triggers are not involved.
    op.add_column("journal_entries", sa.Column("digest", sa.String(length=100), nullable=True))
    op.create_table(
        "journal_seals",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_entry_id", sa.Integer(), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("keyed", sa.Boolean(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("entry_count > 0", name=op.f("ck_journal_seals_count_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_seals")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION kopcore_refuse_seal_change() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{SEALS_MESSAGE}'; END; $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER journal_seals_immutable BEFORE UPDATE OR DELETE ON "
                   "journal_seals FOR EACH ROW EXECUTE FUNCTION kopcore_refuse_seal_change()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER journal_seals_no_{event.lower()} BEFORE {event} ON "
                f"journal_seals BEGIN SELECT RAISE(ABORT, '{SEALS_MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS journal_seals_immutable ON journal_seals")
        op.execute("DROP FUNCTION IF EXISTS kopcore_refuse_seal_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS journal_seals_no_update")
        op.execute("DROP TRIGGER IF EXISTS journal_seals_no_delete")
    op.drop_table("journal_seals")
    # SQLite cannot drop a column of a table with triggers through batch mode cleanly; the
    # column is nullable and ignored by k0001 code, so it stays.
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("journal_entries", "digest")
