"""offices: the head office, branches and cash offices

Revision ID: k0005
Revises: k0004
Create Date: 2026-12-07

Creates ``offices`` with the head office (id 1, code ``KP``, "Kantor Pusat"), the closing of an
office's day (``office_days``, ``office_cash_counts``), and gives
``accounts``, ``postings`` and ``users`` an ``office_id`` whose default is the head office, so an
existing single-office cooperative becomes a cooperative with one head office and every account,
posting and user in it.

Without downtime: each column is added as ``NOT NULL DEFAULT 1``. PostgreSQL (11 and later)
stores such a constant default in the catalogue and rewrites no table, and SQLite's ``ADD
COLUMN`` never rewrites one; the existing rows read the default, which is their backfill. The
journal's refuse-UPDATE triggers are not involved (nothing is updated). On PostgreSQL the
foreign keys to ``offices`` are added ``NOT VALID``: new rows are checked at once, and the
existing rows, which all read the head office, are not scanned while the tables are locked
(``ALTER TABLE ... VALIDATE CONSTRAINT`` may be run later, off peak, without blocking writes).
A short ``lock_timeout`` makes the upgrade give up rather than queue every teller behind a long
report holding the tables. SQLite cannot add a column with a foreign key and a non-NULL default;
there the kernel is what keeps the office ids right (kopcore.ledger._offices).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0005"
down_revision: str | None = "k0004"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

HEAD_OFFICE = {"id": 1, "code": "KP", "name": "Kantor Pusat", "kind": "pusat", "parent_id": None}
WITH_OFFICE = ("accounts", "postings", "users")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("SET LOCAL lock_timeout = '10s'")
    offices = op.create_table(
        "offices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('pusat','cabang','kas')", name=op.f("ck_offices_kind_known")),
        sa.CheckConstraint("(parent_id IS NULL) = (kind = 'pusat')",
                           name=op.f("ck_offices_root_is_head")),
        sa.ForeignKeyConstraint(["parent_id"], ["offices.id"],
                                name=op.f("fk_offices_parent_id_offices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offices")),
        sa.UniqueConstraint("code", name=op.f("uq_offices_code")),
    )
    op.create_index(op.f("ix_offices_parent"), "offices", ["parent_id"])
    op.bulk_insert(offices, [HEAD_OFFICE])
    if postgresql:  # the head office was inserted with its id: the sequence starts after it
        op.execute("SELECT setval(pg_get_serial_sequence('offices', 'id'), 1)")
    op.create_table(
        "office_days",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_office_days_office_id_offices")),
        sa.PrimaryKeyConstraint("office_id", "business_date", name=op.f("pk_office_days")),
    )
    op.create_table(
        "office_cash_counts",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("counted", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_office_cash_counts_account_id_accounts")),
        sa.PrimaryKeyConstraint("office_id", "business_date", "account_id",
                                name=op.f("pk_office_cash_counts")),
    )
    for table in WITH_OFFICE:
        op.add_column(table, sa.Column("office_id", sa.Integer(), nullable=False,
                                       server_default=sa.text("1")))
        if postgresql:
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_office_id_offices "
                       "FOREIGN KEY (office_id) REFERENCES offices (id) NOT VALID")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in WITH_OFFICE:
        if postgresql:
            op.drop_constraint(f"fk_{table}_office_id_offices", table, type_="foreignkey")
        # SQLite (3.35 and later) drops a column that no index, key or trigger names in place.
        op.execute(f"ALTER TABLE {table} DROP COLUMN office_id")
    op.drop_table("office_cash_counts")
    op.drop_table("office_days")
    op.drop_index(op.f("ix_offices_parent"), table_name="offices")
    op.drop_table("offices")
