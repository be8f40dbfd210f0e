"""Entries with many lines (an end of day's jasa simpanan for thousands of accounts) take the
set-based writes of kopcore.ledger._writes: the same balances, postings in line order, digests that
verify, the same refusals, and no deadlock against tellers posting at the same time."""

from __future__ import annotations

import logging
import random
import threading
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import AccountFrozen
from kopcore.kernel import Kernel
from kopcore.ledger import _writes as writes
from kopcore.ledger._verify import verify_books
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from tests.builders import active_member, capitalise, cash_account, rp
from tests.test_posting import books
from tests.test_transaction_facts import statements

CASH = "CASH-01"
MANY = writes.LARGE + 36


ZERO = Money(0)


def open_members(kernel: Kernel, count: int, *, floor: Money | None = ZERO) -> list[str]:
    def work(ctx: Context) -> list[str]:
        cash_account(ctx, CASH)
        capitalise(ctx, CASH, rp("100000000"))
        numbers = []
        for i in range(count):
            member = active_member(ctx, name=f"Anggota {i}")
            account = ledger.open_account(
                ctx, name=f"Titipan {i}", gl_key="payable.other", plugin="kopcore",
                member_id=member.id, floor=floor)
            numbers.append(account.number)
        return numbers

    return kernel.write("teller", work)


def pay_each(numbers: list[str], amount: int) -> Any:
    """One entry: the cash pays ``amount + i`` sen to the i-th account."""
    def work(ctx: Context) -> ledger.JournalEntry:
        lines = [PostingLine(n, Side.CREDIT, Money(amount + i)) for i, n in enumerate(numbers)]
        total = sum(line.amount.minor for line in lines)
        return ledger.post_entry(ctx, [PostingLine(CASH, Side.DEBIT, Money(total)), *lines],
                                 memo="Jasa simpanan")
    return work


def balance(kernel: Kernel, number: str) -> int:
    return kernel.read("auditor", lambda ctx: ledger.get_account(ctx, number).balance.minor)


def test_a_large_entry_moves_every_balance_and_keeps_its_lines_in_order(kernel: Kernel) -> None:
    numbers = open_members(kernel, MANY)
    cash_before = balance(kernel, CASH)

    with statements(kernel.db.engine) as sent:
        entry = kernel.write("system", pay_each(numbers, 10_000))

    # The set-based writes: the postings by one statement of kopcore.ledger._writes (arrays on
    # PostgreSQL, the driver's executemany on SQLite), not SQLAlchemy's per-row parameters.
    expected = writes._PG_POSTINGS if kernel.db.dialect == "postgresql" \
        else writes._SQLITE_POSTINGS
    assert " ".join(expected.split()) in sent
    assert len(sent) < 12, sent

    assert [balance(kernel, n) for n in numbers] == [10_000 + i for i in range(MANY)]
    paid = sum(10_000 + i for i in range(MANY))
    assert balance(kernel, CASH) == cash_before + paid
    stored = kernel.read("auditor", lambda ctx: ledger.get_entry(ctx, entry.id))
    assert [(p.account_number, p.amount.minor) for p in stored.postings] == \
        [(CASH, paid)] + [(n, -(10_000 + i)) for i, n in enumerate(numbers)]
    report = kernel.read("auditor", verify_books)
    assert report.ok, report.problems


def test_a_large_entry_lowering_a_frozen_account_is_refused_and_writes_nothing(
        kernel: Kernel) -> None:
    numbers = open_members(kernel, MANY, floor=None)  # no floor: lowered in one batch
    kernel.write("system", pay_each(numbers, 50_000))
    kernel.write("manager", lambda ctx: ledger.freeze_account(ctx, numbers[MANY // 2]))
    before = books(kernel)

    def take_back(ctx: Context) -> None:
        lines = [PostingLine(n, Side.DEBIT, Money(1_000)) for n in numbers]
        ledger.post_entry(ctx, [*lines, PostingLine(CASH, Side.CREDIT, Money(1_000 * MANY))],
                          memo="Koreksi")

    with pytest.raises(AccountFrozen, match=numbers[MANY // 2]):
        kernel.write("teller", take_back)
    assert books(kernel) == before


def test_a_bulk_batch_touching_many_accounts_changes_each_balance_by_its_net(
        kernel: Kernel) -> None:
    numbers = open_members(kernel, MANY)

    def work(ctx: Context) -> None:
        ledger.post_entries(ctx, [
            ledger.EntryRequest([PostingLine(CASH, Side.DEBIT, Money(500 + i)),
                                 PostingLine(n, Side.CREDIT, Money(500 + i))], "Setoran")
            for i, n in enumerate(numbers)] + [
            ledger.EntryRequest([PostingLine(numbers[0], Side.DEBIT, Money(100)),
                                 PostingLine(numbers[-1], Side.CREDIT, Money(100))], "Pindah")])

    kernel.write("teller", work)

    expected = [500 + i for i in range(MANY)]
    expected[0] -= 100
    expected[-1] += 100
    assert [balance(kernel, n) for n in numbers] == expected
    report = kernel.read("auditor", verify_books)
    assert report.ok, report.problems


@pytest.mark.postgres_only
def test_large_entries_racing_teller_transfers_never_deadlock(
        kernel: Kernel, caplog: pytest.LogCaptureFixture) -> None:
    numbers = open_members(kernel, MANY)
    kernel.write("system", pay_each(numbers, 1_000_000))
    errors: list[BaseException] = []
    caplog.set_level(logging.INFO, logger="kopcore._db.database")

    def large_entries() -> None:
        try:
            for _ in range(15):
                kernel.write("system", pay_each(list(reversed(numbers)), 100))
        except BaseException as exc:
            errors.append(exc)

    def transfers(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(60):
                a, b = rng.sample(numbers, 2)
                kernel.write("teller", lambda ctx, a=a, b=b: ledger.post_entry(ctx, [
                    PostingLine(a, Side.DEBIT, Money(7)), PostingLine(b, Side.CREDIT, Money(7))],
                    memo="Pindah buku"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=large_entries), threading.Thread(target=large_entries),
               threading.Thread(target=transfers, args=(1,)),
               threading.Thread(target=transfers, args=(2,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    deadlocks = [r.getMessage() for r in caplog.records if "Deadlock" in r.getMessage()]
    assert deadlocks == []
    total = sum(balance(kernel, n) for n in numbers)
    # 30 large entries of 100 + i sen each (reversed), transfers move money between members.
    assert total == sum(1_000_000 + i for i in range(MANY)) + 30 * sum(
        100 + i for i in range(MANY))
    report = kernel.read("auditor", verify_books)
    assert report.ok, report.problems


def test_insert_rows_writes_many_rows_of_a_plugins_table_in_order_with_their_types(
        kernel: Kernel) -> None:
    metadata = sa.MetaData()
    table = sa.Table("test_insert_rows", metadata,
                     sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("day", sa.Date, nullable=False),
                     sa.Column("amount", sa.BigInteger, nullable=False),
                     sa.Column("note", sa.String(20), nullable=True))
    metadata.create_all(kernel.db.engine)
    rows = [{"day": date(2026, 1, 1) + timedelta(days=i % 40), "amount": 10**15 + i,
             "note": None if i % 3 else f"baris {i}"} for i in range(MANY)]

    kernel.write("system", lambda ctx: ledger.insert_rows(ctx, table, rows))
    kernel.write("system", lambda ctx: ledger.insert_rows(ctx, table, rows[:3]))  # small path

    def read(ctx: Context) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in ctx.conn.execute(
            sa.select(table.c.day, table.c.amount, table.c.note).order_by(table.c.id))]

    assert kernel.read("auditor", read) == rows + rows[:3]
