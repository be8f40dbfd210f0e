"""Concurrent posting: no lost update, no overdraft, no deadlock, idempotency keys post once.

Every thread posts through :meth:`Kernel.write`, so each has its own connection and transaction,
exactly as concurrent API workers would. Threads start together on a :class:`threading.Barrier`.
On SQLite writers are serialised (BEGIN IMMEDIATE and a busy timeout); on PostgreSQL they really
overlap, and the tests marked ``postgres_only`` make them collide on purpose.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import attrs
import pytest
from sqlalchemy import func, select

from kopcore import ledger
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import IdempotencyConflict, InsufficientFunds
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from tests.builders import active_member, capitalise, cash_account, member_account, rp, transfer

THREADS = 16
JOIN_TIMEOUT = 120.0


@attrs.frozen
class Outcome:
    value: Any = None
    error: BaseException | None = None


def run_together(n: int, work: Callable[[int, threading.Barrier], Any]) -> list[Outcome]:
    """Run ``work(i, barrier)`` in ``n`` threads; each calls ``barrier.wait()`` to line up."""
    barrier = threading.Barrier(n, timeout=60)
    outcomes: list[Outcome] = [Outcome()] * n

    def target(i: int) -> None:
        try:
            outcomes[i] = Outcome(value=work(i, barrier))
        except BaseException as exc:
            outcomes[i] = Outcome(error=exc)

    threads = [threading.Thread(target=target, args=(i,), name=f"poster-{i}", daemon=True)
               for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"threads still running after {JOIN_TIMEOUT}s: {hung}"
    return outcomes


def unexpected(outcomes: list[Outcome], *allowed: type[BaseException]) -> list[BaseException]:
    return [o.error for o in outcomes
            if o.error is not None and not isinstance(o.error, allowed)]


def postings_count(kernel: Kernel, number: str) -> int:
    def count(ctx: Context) -> int:
        p, a = t.postings.c, t.accounts.c
        return int(ctx.conn.execute(
            select(func.count()).select_from(t.postings.join(t.accounts, a.id == p.account_id))
            .where(a.number == number)
        ).scalar_one())

    return kernel.read("auditor", count)


def balance(kernel: Kernel, number: str) -> Money:
    return kernel.read("auditor", lambda ctx: ledger.get_account(ctx, number).balance)


def funded_savings(kernel: Kernel, amount: Money, *, accounts: int = 1) -> list[str]:
    """A cash drawer with Rp100,000,000 and ``accounts`` member accounts holding ``amount``."""

    def setup(ctx: Context) -> list[str]:
        cash = cash_account(ctx)
        capitalise(ctx, cash.number, rp("100000000"))
        numbers = []
        for i in range(accounts):
            member = active_member(ctx, name=f"Penabung {i}")
            savings = member_account(ctx, member, number=f"SAV-{i:02d}")
            transfer(ctx, cash.number, savings.number, amount, memo="setoran awal")
            numbers.append(savings.number)
        return numbers

    return kernel.write("teller", setup)


# --- (a) many withdrawals against one balance ---------------------------------------------------


def assert_exactly_affordable_withdrawals(kernel: Kernel, outcomes: list[Outcome],
                                          savings: str, start: Money, amount: Money) -> None:
    affordable = start.minor // amount.minor
    succeeded = [o for o in outcomes if o.error is None]
    refused = [o for o in outcomes if isinstance(o.error, InsufficientFunds)]
    assert unexpected(outcomes, InsufficientFunds) == []
    assert len(succeeded) == affordable
    assert len(refused) == len(outcomes) - affordable
    assert balance(kernel, savings) == Money(start.minor - affordable * amount.minor)
    assert postings_count(kernel, savings) == 1 + affordable
    assert kernel.read("auditor", ledger.ledger_invariants) == []


def test_concurrent_withdrawals_never_overdraw(kernel: Kernel) -> None:
    """Runs on SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL."""
    start, amount = rp("1000"), rp("150")
    [savings] = funded_savings(kernel, start)

    def withdraw(i: int, barrier: threading.Barrier) -> int:
        barrier.wait()
        entry = kernel.write("teller", lambda ctx: transfer(ctx, savings, "CASH-01", amount,
                                                             memo=f"tarik tunai {i}"))
        return entry.id

    outcomes = run_together(THREADS, withdraw)

    assert_exactly_affordable_withdrawals(kernel, outcomes, savings, start, amount)


@pytest.mark.postgres_only
def test_withdrawals_that_all_read_the_same_balance_first_never_overdraw(kernel: Kernel) -> None:
    """Every transaction reads the balance, then all post at once: a check based on the stale
    read would let all sixteen through. The floor check in the locked UPDATE lets six."""
    start, amount = rp("1000"), rp("150")
    [savings] = funded_savings(kernel, start)
    seen: list[Money] = []

    def withdraw(i: int, barrier: threading.Barrier) -> int:
        first_attempt = True

        def work(ctx: Context) -> int:
            nonlocal first_attempt
            available = ledger.get_account(ctx, savings).available
            if first_attempt:
                first_attempt = False
                seen.append(available)
                barrier.wait()  # every transaction has read; now all write
            return transfer(ctx, savings, "CASH-01", amount, memo=f"tarik tunai {i}").id

        return kernel.write("teller", work)

    outcomes = run_together(THREADS, withdraw)

    assert seen == [start] * THREADS
    assert_exactly_affordable_withdrawals(kernel, outcomes, savings, start, amount)


# --- (b) transfers in opposite directions --------------------------------------------------------


def test_opposite_transfers_under_load_never_deadlock_and_conserve_money(
    kernel: Kernel, caplog: pytest.LogCaptureFixture
) -> None:
    """Threads move money X→Y, Y→X, Y→Z, Z→X... with the entry lines in random order. Locks are
    taken in account-id order whatever the line order, so PostgreSQL never even has to break a
    deadlock (no retry for one is logged), and no error reaches a caller."""
    caplog.set_level(logging.INFO, logger="kopcore._db.database")
    start = rp("1000000")
    numbers = funded_savings(kernel, start, accounts=3)
    pairs = [(a, b) for a in numbers for b in numbers if a != b]
    threads, per_thread = 8, 25
    moved: list[tuple[str, str, int]] = []
    lock = threading.Lock()

    def post(ctx: Context, lines: list[PostingLine]) -> ledger.JournalEntry:
        return ledger.post_entry(ctx, lines, memo="pindah buku")

    def shuffle(i: int, barrier: threading.Barrier) -> int:
        rng = random.Random(i)
        barrier.wait()
        for n in range(per_thread):
            source, target = pairs[(i + n) % len(pairs)]
            amount = Money(rng.randint(1, 1000) * 100)
            lines = [PostingLine(source, Side.DEBIT, amount),
                     PostingLine(target, Side.CREDIT, amount)]
            rng.shuffle(lines)
            kernel.write("teller", partial(post, lines=lines))
            with lock:
                moved.append((source, target, amount.minor))
        return per_thread

    outcomes = run_together(threads, shuffle)

    assert unexpected(outcomes) == []
    assert len(moved) == threads * per_thread
    expected = {number: start.minor for number in numbers}
    for source, target, minor in moved:
        expected[source] -= minor
        expected[target] += minor
    finals = {number: balance(kernel, number).minor for number in numbers}
    assert finals == expected
    assert sum(finals.values()) == 3 * start.minor
    assert kernel.read("auditor", ledger.ledger_invariants) == []
    deadlocks = [r.getMessage() for r in caplog.records if "Deadlock" in r.getMessage()]
    assert deadlocks == []


# --- (c) one idempotency key from many threads ----------------------------------------------------


def entries_with_key(kernel: Kernel, key: str) -> int:
    return kernel.read("auditor", lambda ctx: int(ctx.conn.execute(
        select(func.count()).where(t.journal_entries.c.idempotency_key == key)
    ).scalar_one()))


def test_one_idempotency_key_sent_by_many_threads_posts_exactly_once(kernel: Kernel) -> None:
    [savings] = funded_savings(kernel, rp("1000"))
    key = "setoran-loket-3-0001"

    def deposit(i: int, barrier: threading.Barrier) -> tuple[int, bool]:
        barrier.wait()
        entry = kernel.write("teller", lambda ctx: transfer(ctx, "CASH-01", savings, rp("500"),
                                                             memo="setoran", key=key))
        return entry.id, entry.replayed

    outcomes = run_together(THREADS, deposit)

    assert unexpected(outcomes) == []
    ids = {o.value[0] for o in outcomes}
    assert len(ids) == 1, f"callers got different entries: {sorted(ids)}"
    assert sorted(o.value[1] for o in outcomes) == [False] + [True] * (THREADS - 1)
    assert entries_with_key(kernel, key) == 1
    assert balance(kernel, savings) == rp("1500")
    assert postings_count(kernel, savings) == 2
    assert kernel.read("auditor", ledger.ledger_invariants) == []


def test_one_key_with_two_different_requests_at_once_posts_one_and_refuses_the_other(
    kernel: Kernel,
) -> None:
    [savings] = funded_savings(kernel, rp("1000"))
    key = "setoran-loket-3-0002"
    amounts = [rp("500") if i % 2 else rp("700") for i in range(THREADS)]

    def deposit(i: int, barrier: threading.Barrier) -> int:
        barrier.wait()
        return kernel.write("teller", lambda ctx: transfer(ctx, "CASH-01", savings, amounts[i],
                                                            memo="setoran", key=key)).id

    outcomes = run_together(THREADS, deposit)

    assert unexpected(outcomes, IdempotencyConflict) == []
    posted = {o.value for o in outcomes if o.error is None}
    assert len(posted) == 1
    winners = [amounts[i] for i, o in enumerate(outcomes) if o.error is None]
    losers = [amounts[i] for i, o in enumerate(outcomes) if o.error is not None]
    assert len(set(winners)) == 1
    assert winners[0] not in losers
    assert len(winners) == THREADS // 2
    assert entries_with_key(kernel, key) == 1
    assert balance(kernel, savings) == rp("1000") + winners[0]
    assert kernel.read("auditor", ledger.ledger_invariants) == []
