"""journal head and no TRUNCATE of the journal

Revision ID: k0004
Revises: k0002
Create Date: 2026-12-07

The journal's triggers are row-level: PostgreSQL's TRUNCATE fires none of them, so
``TRUNCATE postings, journal_entries, journal_seals CASCADE`` emptied the books. Statement-level
``BEFORE TRUNCATE`` triggers now refuse it on the journal, its postings, its seals and the new
``journal_head``. SQLite has no TRUNCATE; its ``DELETE`` without ``WHERE`` fires the row
triggers, because SQLite skips its truncate shortcut on a table with triggers.

``journal_head`` remembers the last seal (number, last entry, chain value) outside the journal's
tables, in one row that only moves forward one seal at a time and cannot be deleted: ``verify``
compares the seals with it, so a journal emptied or shortened by someone who got past the
triggers is reported (see docs/integrity.md). It starts at the last seal already there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0004"
down_revision: str | None = "k0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

TRUNCATE_MESSAGE = "the journal cannot be truncated; post reversals instead"
HEAD_MESSAGE = "the journal head only moves forward, one seal at a time"
PROTECTED = ("journal_entries", "postings", "journal_seals", "journal_head")
GENESIS = "0" * 64


def upgrade() -> None:
    head = op.create_table(
        "journal_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seal_id", sa.Integer(), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_journal_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_head")),
    )
    last = op.get_bind().execute(sa.text(
        "SELECT id, last_entry_id, chain_hash FROM journal_seals ORDER BY id DESC LIMIT 1"
    )).first()
    op.bulk_insert(head, [{"id": 1, "seal_id": last[0] if last else 0,
                           "last_entry_id": last[1] if last else 0,
                           "chain_hash": last[2] if last else GENESIS}])
    backwards = ("NEW.id <> OLD.id OR NEW.seal_id <> OLD.seal_id + 1 "
                 "OR NEW.last_entry_id <= OLD.last_entry_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION kopcore_refuse_truncate() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{TRUNCATE_MESSAGE}'; END; $$ LANGUAGE plpgsql""")
        for table in PROTECTED:
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION kopcore_refuse_truncate()")
        op.execute(f"""
            CREATE OR REPLACE FUNCTION kopcore_refuse_head_change() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{HEAD_MESSAGE}'; END; $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER journal_head_no_delete BEFORE DELETE ON journal_head "
                   "FOR EACH ROW EXECUTE FUNCTION kopcore_refuse_head_change()")
        op.execute("CREATE TRIGGER journal_head_forward_only BEFORE UPDATE ON journal_head "
                   f"FOR EACH ROW WHEN ({backwards}) "
                   "EXECUTE FUNCTION kopcore_refuse_head_change()")
    else:
        op.execute("CREATE TRIGGER journal_head_no_delete BEFORE DELETE ON journal_head "
                   f"BEGIN SELECT RAISE(ABORT, '{HEAD_MESSAGE}'); END")
        op.execute("CREATE TRIGGER journal_head_forward_only BEFORE UPDATE ON journal_head "
                   f"WHEN {backwards} BEGIN SELECT RAISE(ABORT, '{HEAD_MESSAGE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PROTECTED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS kopcore_refuse_truncate()")
        op.execute("DROP TRIGGER IF EXISTS journal_head_no_delete ON journal_head")
        op.execute("DROP TRIGGER IF EXISTS journal_head_forward_only ON journal_head")
        op.execute("DROP FUNCTION IF EXISTS kopcore_refuse_head_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS journal_head_no_delete")
        op.execute("DROP TRIGGER IF EXISTS journal_head_forward_only")
    op.drop_table("journal_head")
