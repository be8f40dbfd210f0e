"""account balances bounded by the money range

Revision ID: k0007
Revises: k0006
Create Date: 2026-12-07

Every amount entered is bounded by ``kopcore.money.MAX_MINOR`` (10^17 minor units, Rp1,000
trillion), but a balance is a sum: two deposits of the largest amount each succeeded, after which
every read of the account and every report refused the balance as out of range, and near the
64-bit limit the database itself failed. The database now refuses a balance outside the same
range, whichever code path writes it: a CHECK constraint on PostgreSQL (added ``NOT VALID`` and
validated afterwards, so the table is not locked against writes while it is scanned), triggers
on SQLite (a CHECK would need the table rebuilt). The posting pipeline turns the refusal into
``BalanceOutOfRange`` (docs/guarantees.md).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "k0007"
down_revision: str | None = "k0006"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

MAX_MINOR = 10**17  # kopcore.money.MAX_MINOR when this revision was written; it stays fixed here
CONSTRAINT = "ck_accounts_balance_in_range"
MESSAGE = f"{CONSTRAINT}: the balance would leave the money range"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE accounts ADD CONSTRAINT {CONSTRAINT} "
                   f"CHECK (balance BETWEEN {-MAX_MINOR} AND {MAX_MINOR}) NOT VALID")
        op.execute(f"ALTER TABLE accounts VALIDATE CONSTRAINT {CONSTRAINT}")
    else:
        out_of_range = f"abs(NEW.balance) > {MAX_MINOR}"
        for event in ("INSERT", "UPDATE OF balance"):
            name = "accounts_balance_range_" + event.split()[0].lower()
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON accounts "
                       f"WHEN {out_of_range} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE accounts DROP CONSTRAINT IF EXISTS {CONSTRAINT}")
    else:
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS accounts_balance_range_{event}")
