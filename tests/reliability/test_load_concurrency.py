"""Plugin-level races under load on PostgreSQL, where transactions really overlap.

tests/test_concurrency.py covers the kernel (many postings to one account, opposite transfers,
one idempotency key sent many times). Here sixteen threads run the savings and loans operations
through :func:`kopcore._service.invoke`, the path behind every route and command, each call in its
own transaction and connection, as concurrent API workers would:

- the teller cash account is the hot row: every deposit and withdrawal of every member touches it;
- members transfer between two sukarela accounts in both directions at once;
- withdrawals and repayments from savings race the loans end-of-day auto-debit on the same
  accounts.

Afterwards: no overdraft (no balance or available amount below zero), no error but a refusal for
insufficient funds reaches a caller, no deadlock is even retried, and every final balance is the
opening balance plus the movements that succeeded (no lost update).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import attrs
import pytest

from kopcore import _auth as auth
from kopcore import eod, ledger
from kopcore._service import invoke
from kopcore.errors import InsufficientFunds
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.testing import START_DATE
from tests.reliability.support import CASH, balances, books_problems, seed, start_kernel

pytestmark = pytest.mark.postgres_only

THREADS = 16
#: Operations per thread on the hot cash account
OPS = 8
JOIN_TIMEOUT = 180.0


@attrs.frozen
class Done:
    """One call: the operation, its input, and the payload or the error."""

    operation: str
    raw: dict[str, Any]
    payload: Any = None
    error: BaseException | None = None
    at: float = 0.0

    @property
    def amount(self) -> int:
        return Money.parse(self.raw["amount"]).minor


class Caller:
    """Runs operations as a user from any thread; records every call."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.done: list[Done] = []
        self._principals: dict[str, auth.Principal] = {}
        self._lock = threading.Lock()

    def principal(self, username: str) -> auth.Principal:
        with self._lock:
            if username not in self._principals:
                self._principals[username] = self.kernel.read(
                    username, lambda ctx: auth.principal_for(ctx.conn, self.kernel.plugins,
                                                             username))
            return self._principals[username]

    def __call__(self, operation: str, *, as_user: str = "teller", **raw: Any) -> Done:
        op = self.kernel.plugins.operations[operation].value
        try:
            outcome = invoke(self.kernel, op, raw, self.principal(as_user), interface="api")
            done = Done(operation, raw, payload=outcome.payload, at=time.monotonic())
        except Exception as exc:
            done = Done(operation, raw, error=exc, at=time.monotonic())
        with self._lock:
            self.done.append(done)
        return done

    def succeeded(self, operation: str) -> list[Done]:
        return [d for d in self.done if d.operation == operation and d.error is None]

    def unexpected(self) -> list[BaseException]:
        return [d.error for d in self.done
                if d.error is not None and not isinstance(d.error, InsufficientFunds)]


def run_threads(n: int, work: Callable[[int, threading.Barrier], None]) -> None:
    barrier = threading.Barrier(n, timeout=60)
    failures: list[BaseException] = []

    def target(i: int) -> None:
        try:
            work(i, barrier)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=target, args=(i,), daemon=True, name=f"load-{i}")
               for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not [t.name for t in threads if t.is_alive()], "threads hung"
    assert failures == []


@pytest.fixture
def no_deadlocks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails the test if any transaction was retried after a deadlock."""
    caplog.set_level(logging.INFO, logger="kopcore._db.database")
    yield
    deadlocks = [r.getMessage() for r in caplog.records if "Deadlock" in r.getMessage()]
    assert deadlocks == []


def no_overdraft(kernel: Kernel, numbers: list[str]) -> None:
    def check(ctx: Any) -> None:
        for number in numbers:
            account = ledger.get_account(ctx, number)
            assert account.balance.minor >= 0, number
            assert account.available.minor >= 0, number

    kernel.read("auditor", check)


def test_sixteen_tellers_on_the_hot_cash_account_lose_no_update(
        database_url: str, no_deadlocks: None) -> None:
    seeded = seed(database_url, members=THREADS)
    kernel = start_kernel(database_url)
    try:
        call = Caller(kernel)
        before = balances(kernel, [CASH, *seeded.savings])

        def teller(i: int, barrier: threading.Barrier) -> None:
            rng = random.Random(100 + i)
            account = seeded.savings[i]
            barrier.wait()
            for _ in range(OPS):
                operation = rng.choice(("savings.deposit", "savings.withdraw"))
                call(operation, account=account, amount=str(rng.randrange(1, 100) * 1000),
                     cash_account=CASH)

        run_threads(THREADS, teller)

        assert call.unexpected() == []
        assert len(call.done) == THREADS * OPS
        deposits, withdrawals = (call.succeeded("savings.deposit"),
                                 call.succeeded("savings.withdraw"))
        assert len(deposits) + len(withdrawals) == THREADS * OPS  # all affordable
        expected = dict(before)
        for d in deposits:
            expected[CASH] += d.amount
            expected[d.raw["account"]] += d.amount
        for d in withdrawals:
            expected[CASH] -= d.amount
            expected[d.raw["account"]] -= d.amount
        assert balances(kernel, before) == expected
        assert books_problems(kernel) == []
    finally:
        kernel.close()


def test_opposite_savings_transfers_conserve_money_and_never_overdraw(
        database_url: str, no_deadlocks: None) -> None:
    seeded = seed(database_url, members=2, deposit="300000")
    a, b = seeded.savings
    kernel = start_kernel(database_url)
    try:
        call = Caller(kernel)
        before = balances(kernel, [a, b])

        # Half the threads move 40,000-60,000 at a time from A to B, half 5,000-15,000 back:
        # A→B asks for more than A and all of B→A could ever hold, so some must be refused.
        def member(i: int, barrier: threading.Barrier) -> None:
            rng = random.Random(200 + i)
            source, target, low, high = (a, b, 40, 60) if i % 2 == 0 else (b, a, 5, 15)
            barrier.wait()
            for _ in range(10):
                call("savings.transfer", from_account=source, to_account=target,
                     amount=str(rng.randrange(low, high + 1) * 1000))

        run_threads(THREADS, member)

        assert call.unexpected() == []
        moved = call.succeeded("savings.transfer")
        assert moved, "no transfer succeeded"
        assert any(isinstance(d.error, InsufficientFunds) for d in call.done), (
            "no transfer was refused: the race never reached the floor")
        net = sum(d.amount if d.raw["to_account"] == a else -d.amount for d in moved)
        assert balances(kernel, [a, b]) == {a: before[a] + net, b: before[b] - net}
        no_overdraft(kernel, [a, b])
        assert books_problems(kernel) == []
    finally:
        kernel.close()


def test_withdrawals_and_repayments_from_savings_racing_the_auto_debit_never_overdraw(
        database_url: str, no_deadlocks: None) -> None:
    """Four borrowers with weekly loans on auto-debit. On the first due date end of day
    collects the installments from their sukarela accounts while twelve threads withdraw from
    those same accounts and four repay from them through ``loans.repay``."""
    seeded = seed(database_url, members=4, deposit="1500000")
    kernel = start_kernel(database_url)
    try:
        call = Caller(kernel)
        call("loans.product-create", as_user="manager", code="PMW", name="Pinjaman Mingguan",
             method="flat", frequency="weekly", annual_rate="26", min_amount="100000",
             max_amount="10000000", min_term=1, max_term=52, accounting="cash")
        loans = []
        for member in seeded.members:
            applied = call("loans.apply", member=member, product="PMW", amount="1000000",
                           term=10, auto_debit=True).payload
            call("loans.approve", as_user="manager", loan=applied["number"])
            call("loans.disburse", loan=applied["number"], to_savings=False, cash_account=CASH)
            loans.append(str(applied["number"]))
        assert call.unexpected() == []
        call.done.clear()
        account_of = dict(zip(loans, seeded.savings, strict=True))
        # To the first due date: 1,000,000 over 10 weeks at 26 %, flat: 105,000 a week.
        eod.run_end_of_day(kernel, until=START_DATE + timedelta(days=7))
        before = balances(kernel, seeded.savings)
        closing = threading.Event()
        window: list[float] = []

        def worker(i: int, barrier: threading.Barrier) -> None:
            rng = random.Random(300 + i)
            barrier.wait()
            if i == 0:
                window.append(time.monotonic())
                try:
                    eod.run_end_of_day(kernel)
                finally:
                    window.append(time.monotonic())
                    closing.set()
                return
            if i <= len(loans):  # one repayer per loan
                loan = loans[i - 1]
                for _ in range(30):
                    call("loans.repay", loan=loan, amount="10000", from_savings=True)
                    if closing.is_set():
                        break
                return
            account = seeded.savings[i % len(seeded.savings)]
            while not closing.is_set():
                call("savings.withdraw", account=account,
                     amount=str(rng.randrange(1, 10) * 1000), cash_account=CASH)

        run_threads(THREADS, worker)

        assert call.unexpected() == []
        start, end = window
        during = [d for d in call.done if d.error is None and start < d.at < end]
        assert during, "nothing succeeded while end of day ran: no race happened"
        out: dict[str, int] = defaultdict(int)
        for d in call.succeeded("savings.withdraw"):
            out[d.raw["account"]] += d.amount
        for d in call.succeeded("loans.repay"):
            out[account_of[d.raw["loan"]]] += d.amount
        collected = 0
        for loan in loans:
            events = call("loans.history", loan=loan).payload["events"]
            auto = sum(Money.parse(e["amount"]["amount"]).minor for e in events
                       if e["kind"] == "auto-debit")
            repaid = sum(Money.parse(e["amount"]["amount"]).minor for e in events
                         if e["kind"] == "repayment")
            assert repaid == sum(d.amount for d in call.succeeded("loans.repay")
                                 if d.raw["loan"] == loan)
            assert auto + repaid <= 10 * 105_000_00  # the whole schedule, in sen
            out[account_of[loan]] += auto
            collected += auto
        assert collected > 0, "the auto-debit collected nothing: no race happened"
        assert balances(kernel, seeded.savings) == {
            n: before[n] - out[n] for n in seeded.savings}
        no_overdraft(kernel, list(seeded.savings))
        assert books_problems(kernel) == []
    finally:
        kernel.close()
