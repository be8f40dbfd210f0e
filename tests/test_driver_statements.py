"""The posting path's statements run on the driver's cursor (kopcore._db.driver), and still
behave as statements run through SQLAlchemy: listeners see them, errors come as SQLAlchemy's
errors (the posting pipeline turns them into typed refusals), and nothing is left half written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import Engine, event, select

from kopcore import ledger
from kopcore._db import driver
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.records import PostingLine, Side
from tests.builders import active_member, capitalise, cash_account, member_account, rp


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, bool]]]:
    """(first word of the SQL, executemany?) of every statement the engine sends."""
    seen: list[tuple[str, bool]] = []

    def record(_conn: Any, _cursor: Any, sql: str, _params: Any, _context: Any,
               many: bool) -> None:
        seen.append((sql.split()[0].upper(), many))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def accounts(kernel: Kernel) -> tuple[str, str]:
    def work(ctx: Context) -> tuple[str, str]:
        cash = cash_account(ctx).number
        capitalise(ctx, cash, rp("1000000"))
        return cash, member_account(ctx, active_member(ctx, name="Ni Luh Sari")).number

    return kernel.write("teller", work)


def test_listeners_see_every_statement_of_a_posting(kernel: Kernel) -> None:
    cash, savings = accounts(kernel)
    with statements(kernel.db.engine) as sent:
        entry = kernel.write("teller", lambda ctx: ledger.post_entry(
            ctx, [PostingLine(cash, Side.DEBIT, rp("25000")),
                  PostingLine(savings, Side.CREDIT, rp("25000"))], memo="Setoran"))
    # The account SELECT (with the transaction's facts) and both balances raised by one
    # executemany; on SQLite the entry INSERT comes before the balances and the postings
    # INSERT after them, on PostgreSQL one statement writes the entry with its postings last
    # (a data-modifying WITH).
    if kernel.db.engine.dialect.name == "sqlite":
        assert sent == [("SELECT", False), ("INSERT", False), ("UPDATE", True),
                        ("INSERT", False)]
    else:
        assert sent == [("SELECT", False), ("UPDATE", True), ("WITH", False)]
    assert entry.postings[0].amount == rp("25000")
    balances = kernel.db.read(lambda conn: dict(conn.execute(
        select(t.accounts.c.number, t.accounts.c.balance)
        .where(t.accounts.c.number.in_([cash, savings]))).all()))
    # Cash (debit-normal) holds the capital plus the deposit; the savings account (credit-
    # normal, stored negative) the deposit.
    assert balances == {cash: 102_500_000, savings: -2_500_000}


def test_driver_errors_are_sqlalchemy_errors_and_roll_the_transaction_back(
        kernel: Kernel) -> None:
    cash, _ = accounts(kernel)
    mark = "%s" if kernel.db.engine.dialect.name == "postgresql" else "?"

    def duplicate(ctx: Context) -> None:
        # accounts.number is unique: the driver's error comes wrapped by SQLAlchemy.
        driver.execute(ctx.conn, "UPDATE accounts SET name = 'Kas' WHERE number = "
                       + mark, (cash,)).close()
        driver.execute(ctx.conn, "INSERT INTO accounts (number, name, gl_key, plugin, "
                       "currency, normal_sign, status, balance, held, opened_on, office_id) "
                       f"SELECT number, name, gl_key, plugin, currency, normal_sign, status, "
                       f"balance, held, opened_on, office_id FROM accounts WHERE number = "
                       f"{mark}", (cash,))

    with pytest.raises(sqlalchemy.exc.IntegrityError):
        kernel.write("teller", duplicate)
    names = kernel.db.read(lambda conn: conn.execute(
        select(t.accounts.c.name).where(t.accounts.c.number == cash)).scalars().all())
    assert names == ["Kas CASH-01"]  # the UPDATE before it was rolled back with it


def test_executemany_reports_the_rows_changed_and_listeners_see_it(kernel: Kernel) -> None:
    cash, savings = accounts(kernel)
    mark = "%s" if kernel.db.engine.dialect.name == "postgresql" else "?"
    sql = f"UPDATE accounts SET held = held + 0 WHERE number = {mark}"
    with statements(kernel.db.engine) as sent:
        changed = kernel.write("teller", lambda ctx: driver.executemany(
            ctx.conn, sql, [(cash,), (savings,), ("NO-SUCH-ACCOUNT",)]))
    assert changed == 2
    assert ("UPDATE", True) in sent
