"""End of day (tutup hari): the business date, chunked set-based tasks, crash and resume.

The tasks here are test plugins registered with ``make_kernel(extra_plugins=...)``. Like real
EOD work they are set-based: a chunk reads its accounts with one SELECT over an id range and
posts ONE journal entry for the whole chunk.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

import kopcore
from kopcore import eod, ledger
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import BusinessDateError
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import EodTask, PostingLine, Side
from kopcore.testing import START_DATE, KernelFactory
from tests.builders import active_member

PRODUCT = "test.harian"
TASK = "daily.credit"
EXPENSE = ledger.gl_account_number("expense.general")


class Crash(RuntimeError):
    """The power goes out in the middle of end of day."""


class DailyCredit:
    """A test plugin: every business date, credit Rp1 to every open account of ``PRODUCT``.

    ``crash_on_chunk``: the run of that chunk (0-based, counted over the whole life of the
    plugin) posts its entry and then raises, once, ``crash_after`` seconds later. ``pause``:
    seconds each chunk takes.
    """

    def __init__(self, *, crash_on_chunk: int | None = None, pause: float = 0.0,
                 crash_after: float = 0.0) -> None:
        self.crash_on_chunk = crash_on_chunk
        self.pause = pause
        self.crash_after = crash_after
        self.runs = 0
        self.workers: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    @kopcore.hookimpl
    def kopcore_eod_tasks(self) -> Sequence[EodTask]:
        return [EodTask(TASK, self.chunks, self.run, description="Rp1 per account per day")]

    def chunks(self, ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
        a = t.accounts.c
        low, high = ctx.conn.execute(
            select(func.min(a.id), func.max(a.id)).where(a.product_code == PRODUCT)
        ).one()
        if low is None:
            return []
        return [(start, min(start + size - 1, high)) for start in range(low, high + 1, size)]

    def run(self, ctx: Context, day: date, low: int, high: int) -> int:
        with self._lock:
            attempt = self.runs
            self.runs += 1
        a = t.accounts.c
        numbers = list(ctx.conn.execute(
            select(a.number).where(a.product_code == PRODUCT, a.id.between(low, high),
                                   a.status == "open").order_by(a.id)
        ).scalars())
        # The work of a chunk takes time; posting comes last, as in real tasks, so the lock on
        # the shared expense account is held only briefly.
        time.sleep(self.pause)
        crash = attempt == self.crash_on_chunk
        if crash:
            time.sleep(self.crash_after)
        if numbers:
            one = Money.parse("1")
            lines = [PostingLine(EXPENSE, Side.DEBIT, Money(one.minor * len(numbers)))]
            lines += [PostingLine(number, Side.CREDIT, one) for number in numbers]
            ledger.post_entry(ctx, lines, memo=f"Kredit harian {day.isoformat()}")
        if crash:
            raise Crash(f"power cut while closing {day} (chunk {low}-{high})")
        with self._lock:
            self.workers.append((low, threading.current_thread().name))
        return len(numbers)


def open_daily_accounts(kernel: Kernel, count: int) -> list[str]:
    def work(ctx: Context) -> list[str]:
        member = active_member(ctx)
        return [ledger.open_account(ctx, name=f"Harian {i}", gl_key="payable.other",
                                    plugin="test", member_id=member.id, product_code=PRODUCT,
                                    floor=Money(0)).number
                for i in range(count)]

    return kernel.write("teller", work)


def credits_per_account(kernel: Kernel, numbers: list[str]) -> dict[str, list[date]]:
    """Business dates of the postings of each account, oldest first."""

    def work(ctx: Context) -> dict[str, list[date]]:
        p, a, e = t.postings.c, t.accounts.c, t.journal_entries.c
        rows = ctx.conn.execute(
            select(a.number, e.business_date)
            .select_from(t.postings.join(t.accounts, a.id == p.account_id)
                         .join(t.journal_entries, e.id == p.entry_id))
            .where(a.number.in_(numbers)).order_by(a.number, e.business_date)
        )
        found: dict[str, list[date]] = {number: [] for number in numbers}
        for row in rows:
            found[row.number].append(row.business_date)
        return found

    return kernel.read("auditor", work)


def chunk_rows(kernel: Kernel) -> list[Any]:
    c = t.eod_chunks.c
    return kernel.read("auditor", lambda ctx: list(ctx.conn.execute(
        select(c.business_date, c.task, c.chunk_no, c.status, c.rows)
        .order_by(c.business_date, c.task, c.chunk_no)
    )))


def eod_runs(kernel: Kernel) -> list[Any]:
    r = t.eod_runs.c
    return kernel.read("auditor", lambda ctx: list(ctx.conn.execute(
        select(r.business_date, r.status).order_by(r.business_date))))


def books_consistent(kernel: Kernel) -> bool:
    return kernel.read("auditor", ledger.ledger_invariants) == []


# --- the business date ------------------------------------------------------------------------


def test_end_of_day_advances_the_business_date_by_one_day(kernel: Kernel) -> None:
    assert eod.current_business_date(kernel) == START_DATE

    closed = eod.run_end_of_day(kernel)

    assert [day.business_date for day in closed] == [START_DATE]
    assert eod.current_business_date(kernel) == START_DATE + timedelta(days=1)
    assert [tuple(row) for row in eod_runs(kernel)] == [(START_DATE, "done")]


def test_new_entries_carry_the_new_business_date(make_kernel: KernelFactory) -> None:
    kernel = make_kernel(extra_plugins=[("daily", DailyCredit())])
    [number] = open_daily_accounts(kernel, 1)

    eod.run_end_of_day(kernel)
    eod.run_end_of_day(kernel)

    assert credits_per_account(kernel, [number])[number] == [START_DATE,
                                                              START_DATE + timedelta(days=1)]


def test_catching_up_several_days_closes_each_day_once_in_order(
    make_kernel: KernelFactory,
) -> None:
    kernel = make_kernel(extra_plugins=[("daily", DailyCredit())], eod_chunk_size=2)
    numbers = open_daily_accounts(kernel, 5)
    target = START_DATE + timedelta(days=3)

    closed = eod.run_end_of_day(kernel, until=target)

    days = [START_DATE + timedelta(days=n) for n in range(3)]
    assert [day.business_date for day in closed] == days
    assert all(day.tasks == {TASK: 5} for day in closed)
    assert eod.current_business_date(kernel) == target
    assert credits_per_account(kernel, numbers) == {number: days for number in numbers}
    assert [tuple(row) for row in eod_runs(kernel)] == [(day, "done") for day in days]
    assert books_consistent(kernel)


@pytest.mark.parametrize("days_back", [0, 1, 30])
def test_end_of_day_refuses_a_target_that_is_not_in_the_future(kernel: Kernel,
                                                               days_back: int) -> None:
    with pytest.raises(BusinessDateError, match="forward only"):
        eod.run_end_of_day(kernel, until=START_DATE - timedelta(days=days_back))

    assert eod.current_business_date(kernel) == START_DATE
    assert eod_runs(kernel) == []


def test_end_of_day_refuses_to_catch_up_more_than_a_year_at_once(kernel: Kernel) -> None:
    with pytest.raises(BusinessDateError, match="366 days"):
        eod.run_end_of_day(kernel, until=START_DATE + timedelta(days=367))

    assert eod.current_business_date(kernel) == START_DATE


def test_progress_is_reported_after_every_chunk(make_kernel: KernelFactory) -> None:
    kernel = make_kernel(extra_plugins=[("daily", DailyCredit())], eod_chunk_size=2)
    open_daily_accounts(kernel, 5)
    calls: list[tuple[str, int, int]] = []

    eod.run_end_of_day(kernel, progress=lambda task, done, total: calls.append(
        (task, done, total)))

    assert calls == [(TASK, 1, 3), (TASK, 2, 3), (TASK, 3, 3)]


def test_a_task_with_nothing_to_do_still_lets_the_day_close(make_kernel: KernelFactory) -> None:
    kernel = make_kernel(extra_plugins=[("daily", DailyCredit())])

    [day] = eod.run_end_of_day(kernel)

    assert day.tasks == {TASK: 0}
    assert eod.current_business_date(kernel) == START_DATE + timedelta(days=1)


# --- crash and resume ---------------------------------------------------------------------------


def test_a_crash_mid_day_keeps_finished_chunks_and_the_rerun_resumes_without_double_posting(
    make_kernel: KernelFactory,
) -> None:
    plugin = DailyCredit(crash_on_chunk=2)
    kernel = make_kernel(extra_plugins=[("daily", plugin)], eod_chunk_size=2)
    numbers = open_daily_accounts(kernel, 9)  # chunks of 2, 2, 2, 2, 1

    with pytest.raises(Crash):
        eod.run_end_of_day(kernel)

    # Chunks 0 and 1 committed with their entry; chunk 2's entry rolled back with the crash.
    after_crash = credits_per_account(kernel, numbers)
    assert [len(after_crash[n]) for n in numbers] == [1, 1, 1, 1, 0, 0, 0, 0, 0]
    assert [row.status for row in chunk_rows(kernel)] == ["done", "done", "pending", "pending",
                                                          "pending"]
    assert eod.current_business_date(kernel) == START_DATE
    assert [tuple(row) for row in eod_runs(kernel)] == [(START_DATE, "running")]
    assert books_consistent(kernel)

    [day] = eod.run_end_of_day(kernel)

    assert day.business_date == START_DATE
    assert day.tasks == {TASK: 5}  # only the five accounts the crashed run had not credited
    assert credits_per_account(kernel, numbers) == {n: [START_DATE] for n in numbers}
    assert [(row.status, row.rows) for row in chunk_rows(kernel)] == [
        ("done", 2), ("done", 2), ("done", 2), ("done", 2), ("done", 1)]
    assert eod.current_business_date(kernel) == START_DATE + timedelta(days=1)
    assert [tuple(row) for row in eod_runs(kernel)] == [(START_DATE, "done")]
    expense = kernel.read("auditor", lambda ctx: ledger.get_account(ctx, EXPENSE).balance)
    assert expense == Money.parse("9")
    assert books_consistent(kernel)


def test_a_crash_while_catching_up_resumes_on_the_day_it_stopped(
    make_kernel: KernelFactory,
) -> None:
    plugin = DailyCredit(crash_on_chunk=4)  # the first chunk of the third day
    kernel = make_kernel(extra_plugins=[("daily", plugin)], eod_chunk_size=2)
    numbers = open_daily_accounts(kernel, 4)
    target = START_DATE + timedelta(days=4)

    with pytest.raises(Crash):
        eod.run_end_of_day(kernel, until=target)
    assert eod.current_business_date(kernel) == START_DATE + timedelta(days=2)

    closed = eod.run_end_of_day(kernel, until=target)

    assert [day.business_date for day in closed] == [START_DATE + timedelta(days=n)
                                                     for n in (2, 3)]
    days = [START_DATE + timedelta(days=n) for n in range(4)]
    assert credits_per_account(kernel, numbers) == {n: days for n in numbers}
    assert books_consistent(kernel)


def test_a_day_is_never_applied_twice_even_by_a_worker_that_read_a_stale_date(
    make_kernel: KernelFactory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    kernel = make_kernel(extra_plugins=[("daily", DailyCredit())], eod_chunk_size=2)
    numbers = open_daily_accounts(kernel, 3)
    eod.run_end_of_day(kernel)
    chunks_before = chunk_rows(kernel)

    # A second worker that read the business date before the first one advanced it.
    monkeypatch.setattr(eod, "current_business_date", lambda _kernel: START_DATE)
    late = eod.close_business_date(kernel)
    monkeypatch.undo()

    assert late.business_date == START_DATE
    assert late.tasks == {TASK: 0}
    assert chunk_rows(kernel) == chunks_before
    assert eod.current_business_date(kernel) == START_DATE + timedelta(days=1)
    assert credits_per_account(kernel, numbers) == {n: [START_DATE] for n in numbers}
    assert books_consistent(kernel)


# --- several workers ----------------------------------------------------------------------------


@pytest.mark.postgres_only
def test_two_workers_share_the_chunks_and_advance_the_date_once(
    make_kernel: KernelFactory,
) -> None:
    plugin = DailyCredit(pause=0.1)
    kernel = make_kernel(extra_plugins=[("daily", plugin)], eod_chunk_size=2)
    numbers = open_daily_accounts(kernel, 20)  # ten chunks

    results = run_workers(kernel, 2, wait_seconds=60)

    errors = {name: r for name, r in results.items() if isinstance(r, BaseException)}
    assert errors == {}
    assert {r.business_date for r in results.values()} == {START_DATE}
    assert sum(r.tasks[TASK] for r in results.values()) == 20
    chunk_owners = Counter(low for low, _ in plugin.workers)
    assert len(chunk_owners) == 10
    assert set(chunk_owners.values()) == {1}
    assert {name for _, name in plugin.workers} == {"worker-0", "worker-1"}
    assert eod.current_business_date(kernel) == START_DATE + timedelta(days=1)
    assert [tuple(row) for row in eod_runs(kernel)] == [(START_DATE, "done")]
    assert credits_per_account(kernel, numbers) == {n: [START_DATE] for n in numbers}
    assert books_consistent(kernel)


def run_workers(kernel: Kernel, count: int, **kwargs: Any) -> dict[str, Any]:
    """``close_business_date`` in ``count`` threads started together: name -> result or error."""
    barrier = threading.Barrier(count, timeout=30)
    results: dict[str, Any] = {}

    def worker() -> None:
        name = threading.current_thread().name
        barrier.wait()
        try:
            results[name] = eod.close_business_date(kernel, **kwargs)
        except BaseException as exc:
            results[name] = exc

    threads = [threading.Thread(target=worker, name=f"worker-{i}", daemon=True)
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.postgres_only
def test_a_worker_that_crashes_leaves_its_chunk_to_the_other_worker(
    make_kernel: KernelFactory,
) -> None:
    """The first chunk claimed crashes a second later, after the other worker has run out of
    chunks to claim: that worker must take the chunk over, not wait for it in vain."""
    plugin = DailyCredit(pause=0.05, crash_on_chunk=0, crash_after=1.0)
    kernel = make_kernel(extra_plugins=[("daily", plugin)], eod_chunk_size=2)
    numbers = open_daily_accounts(kernel, 20)

    results = run_workers(kernel, 2, wait_seconds=10)

    crashed = [name for name, r in results.items() if isinstance(r, Crash)]
    survived = [r for r in results.values() if isinstance(r, eod.DayClosed)]
    assert len(crashed) == 1, results
    assert len(survived) == 1, results
    assert survived[0].tasks == {TASK: 20}
    assert {name for _, name in plugin.workers} == set(results) - set(crashed)
    assert eod.current_business_date(kernel) == START_DATE + timedelta(days=1)
    assert credits_per_account(kernel, numbers) == {n: [START_DATE] for n in numbers}
    assert books_consistent(kernel)
