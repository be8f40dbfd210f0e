"""Property: any sequence of postings, reversals, holds and freezes keeps the books consistent.

Each example runs on fresh books and replays random operations against the kernel and against a
plain Python model of balances. Operations the model says must fail (an overdraft, a second
reversal, a reversal of a reversal, an unbalanced entry, money leaving a frozen account) must
fail with the model's typed error and change nothing; the rest must leave exactly the model's
balances. At the end every entry balances, cached balances equal the sum of postings and the
trial balance agrees with the model.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select, text

from kopcore import ledger
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import (
    AccountFrozen,
    AlreadyReversed,
    InsufficientFunds,
    KopcoreError,
    NotFound,
    UnbalancedEntry,
    ValidationError,
)
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore.settings import Settings
from tests.builders import active_member, cash_account, member_account, transfer
from tests.conftest import START_DATE


@attrs.frozen
class AccountSpec:
    number: str
    gl_key: str
    normal_sign: int
    floor: int | None


CASH = AccountSpec("CASH-01", "cash", +1, 0)
SAVINGS_A = AccountSpec("SAV-A", "payable.other", -1, 0)
SAVINGS_B = AccountSpec("SAV-B", "payable.other", -1, 10_000)  # minimum balance Rp100
GRANTS = AccountSpec("GL-equity.grants", "equity.grants", -1, None)
EXPENSE = AccountSpec("GL-expense.general", "expense.general", +1, None)
INCOME = AccountSpec("GL-income.services", "income.services", -1, None)
ACCOUNTS = {spec.number: spec for spec in (CASH, SAVINGS_A, SAVINGS_B, GRANTS, EXPENSE, INCOME)}
#: (debit, credit, minor units): capital into cash, then each member deposits cash.
OPENING = ((CASH.number, GRANTS.number, 1_000_000), (CASH.number, SAVINGS_A.number, 200_000),
           (CASH.number, SAVINGS_B.number, 150_000))


# --- fresh books per example ------------------------------------------------------------------


def open_books(ctx: Context) -> None:
    """The books every example starts from: a cash account with opening capital, and two
    members' savings accounts with a deposit each."""
    cash_account(ctx, CASH.number)
    member_account(ctx, active_member(ctx, "Wayan"), SAVINGS_A.number,
                   floor=Money(SAVINGS_A.floor or 0))
    member_account(ctx, active_member(ctx, "Kadek"), SAVINGS_B.number,
                   floor=Money(SAVINGS_B.floor or 0))
    for debit, credit, amount in OPENING:
        transfer(ctx, debit, credit, Money(amount), memo="saldo awal")


@pytest.fixture(scope="module")
def fresh_books(tmp_path_factory: pytest.TempPathFactory,
                postgres_database: str | None) -> Callable[[], Kernel]:
    """Return a function giving a kernel on freshly opened books, quick enough to call once
    per hypothesis example (shrinking a failure runs hundreds of examples).

    SQLite: one kernel whose database file is replaced, before each example, by a copy of a
    template (migrated, books opened). PostgreSQL: the schema is dropped and migrated again,
    as the ``database_url`` fixture does for each test, and the books opened.
    """
    settings = Settings(database_url="sqlite://unused", plugins=())
    if postgres_database is None:
        folder = tmp_path_factory.mktemp("ledger-properties")
        template, books = folder / "template.db", folder / "books.db"
        made = Kernel.start(attrs.evolve(settings, database_url=f"sqlite:///{template}"),
                            migrate=True, initial_date=START_DATE)
        made.write("teller", open_books)
        made.close()
        assert not Path(f"{template}-wal").exists()  # everything is in the file we copy
        shutil.copyfile(template, books)
        kernel = Kernel.start(attrs.evolve(settings, database_url=f"sqlite:///{books}"))

        def make() -> Kernel:
            kernel.close()  # no pooled connection may keep the previous example's file open
            for leftover in (Path(f"{books}-wal"), Path(f"{books}-shm")):
                leftover.unlink(missing_ok=True)
            shutil.copyfile(template, books)
            return kernel

        return make

    def make_on_postgres() -> Kernel:
        engine = create_engine(postgres_database, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        kernel = Kernel.start(attrs.evolve(settings, database_url=postgres_database),
                              migrate=True, initial_date=START_DATE)
        kernel.write("teller", open_books)
        return kernel

    return make_on_postgres


# --- the reference model ----------------------------------------------------------------------


@attrs.define
class Model:
    """Debit-positive balances, holds and statuses as a cooperative's bookkeeper would keep them."""

    ids: dict[str, int]
    raw: dict[str, int] = attrs.field(factory=lambda: defaultdict(int))
    held: dict[str, int] = attrs.field(factory=lambda: defaultdict(int))
    frozen: set[str] = attrs.field(factory=set)
    #: (entry id, net debit-positive change per account, reverses another entry?)
    entries: list[tuple[int, dict[str, int], bool]] = attrs.field(factory=list)
    reversed: set[int] = attrs.field(factory=set)
    #: [hold id, account, amount, active]
    holds: list[list[Any]] = attrs.field(factory=list)

    def available(self, number: str) -> int:
        return self.raw[number] * ACCOUNTS[number].normal_sign - self.held[number]

    def refusal(self, deltas: dict[str, int]) -> type[KopcoreError] | None:
        """The error the pipeline must raise for these net changes, checked in account id
        order like the kernel's locks; ``None`` when they may be posted."""
        for number in sorted(deltas, key=self.ids.__getitem__):
            spec, delta = ACCOUNTS[number], deltas[number]
            if delta * spec.normal_sign >= 0:
                continue  # incoming money is always accepted
            if number in self.frozen:
                return AccountFrozen
            if spec.floor is not None and self.available(number) + delta * spec.normal_sign \
                    < spec.floor:
                return InsufficientFunds
        return None

    def apply(self, entry_id: int, deltas: dict[str, int], *, reverses: int | None) -> None:
        for number, delta in deltas.items():
            self.raw[number] += delta
        self.entries.append((entry_id, deltas, reverses is not None))
        if reverses is not None:
            self.reversed.add(reverses)


def net(lines: list[PostingLine]) -> dict[str, int]:
    deltas: dict[str, int] = defaultdict(int)
    for line in lines:
        deltas[line.account] += line.signed_minor
    return {number: delta for number, delta in deltas.items() if delta}


# --- operations -------------------------------------------------------------------------------

account_numbers = st.sampled_from(sorted(ACCOUNTS))
amounts = st.one_of(st.integers(1, 20_000), st.integers(1, 600_000))
post_ops = st.tuples(
    st.just("post"), account_numbers,
    st.lists(st.tuples(account_numbers, amounts), min_size=1, max_size=3),
    st.booleans(),  # swap debit and credit sides
    st.integers(0, 9).map(lambda n: n == 0),  # about one in ten is off by one sen
)
#: A member withdraws cash: often more than the savings (or the till) holds.
withdrawal_ops = st.tuples(
    st.just("post"), st.sampled_from([SAVINGS_A.number, SAVINGS_B.number]),
    st.tuples(st.tuples(st.just(CASH.number), st.integers(50_000, 600_000))),
    st.just(False), st.just(False),
)
reverse_ops = st.tuples(st.just("reverse"), st.integers(0, 10_000))
hold_ops = st.tuples(st.just("hold"), st.sampled_from([CASH.number, SAVINGS_A.number,
                                                         SAVINGS_B.number]), amounts)
release_ops = st.tuples(st.just("release"), st.integers(0, 10_000))
freeze_ops = st.tuples(st.just("freeze"),
                       st.sampled_from([SAVINGS_A.number, SAVINGS_B.number, EXPENSE.number]))
operations = st.lists(
    st.one_of(post_ops, post_ops, withdrawal_ops, reverse_ops, reverse_ops, hold_ops,
              release_ops, freeze_ops),
    min_size=5,
    max_size=25,
)


def model_of_opened_books(kernel: Kernel) -> Model:
    def read(ctx: Context) -> tuple[dict[str, int], list[ledger.JournalEntry]]:
        accounts = {number: ledger.get_account(ctx, number) for number in ACCOUNTS}
        for number, account in accounts.items():
            spec = ACCOUNTS[number]
            assert account.normal_sign == spec.normal_sign, number
            assert account.floor == (Money(spec.floor) if spec.floor is not None else None)
        entries = [ledger.get_entry(ctx, entry_id) for entry_id in
                   ctx.conn.execute(select(t.journal_entries.c.id)).scalars()]
        return {number: account.id for number, account in accounts.items()}, entries

    ids, entries = kernel.read("auditor", read)
    model = Model(ids=ids)
    assert len(entries) == len(OPENING)
    for entry, (debit, credit, amount) in zip(entries, OPENING, strict=True):
        deltas = {debit: amount, credit: -amount}
        assert {p.account_number: p.amount.minor for p in entry.postings} == deltas
        model.apply(entry.id, deltas, reverses=None)
    return model


def state(kernel: Kernel) -> tuple[int, dict[str, tuple[int, int, str]]]:
    """Number of journal entries, and each account's cached balance, held amount and status."""

    def read(ctx: Context) -> tuple[int, dict[str, tuple[int, int, str]]]:
        a = t.accounts.c
        rows = ctx.conn.execute(select(a.number, a.balance, a.held, a.status)
                                .where(a.number.in_(sorted(ACCOUNTS))))
        count = ctx.conn.execute(select(func.count()).select_from(t.journal_entries))
        return count.scalar_one(), {r.number: (r.balance, r.held, r.status) for r in rows}

    return kernel.read("auditor", read)


def expected_state(model: Model) -> tuple[int, dict[str, tuple[int, int, str]]]:
    return len(model.entries), {
        number: (model.raw[number], model.held[number],
                 "frozen" if number in model.frozen else "open")
        for number in ACCOUNTS}


def run(kernel: Kernel, model: Model, operation: tuple[Any, ...]) -> None:
    """Do one operation on the kernel and the model; refusals must match and write nothing."""
    kind = operation[0]
    expected_error: type[Exception] | None = None
    work: Callable[[Context], Any]

    def after(result: Any) -> None:
        """What the model does when the kernel accepts the operation."""

    if kind == "post":
        _, target, legs, swap, off_by_one = operation
        near, far = (Side.CREDIT, Side.DEBIT) if swap else (Side.DEBIT, Side.CREDIT)
        total = sum(amount for _, amount in legs) + (1 if off_by_one else 0)
        lines = [PostingLine(target, near, Money(total))]
        lines += [PostingLine(number, far, Money(amount)) for number, amount in legs]
        deltas = net(lines)
        expected_error = UnbalancedEntry if off_by_one else model.refusal(deltas)

        def work(ctx: Context) -> ledger.JournalEntry:
            return ledger.post_entry(ctx, lines, memo="random posting")

        def after(entry: ledger.JournalEntry) -> None:
            model.apply(entry.id, deltas, reverses=None)

    elif kind == "reverse":
        if not model.entries:
            return
        entry_id, deltas, is_reversal = model.entries[operation[1] % len(model.entries)]
        mirror = {number: -delta for number, delta in deltas.items()}
        if is_reversal:
            expected_error = ValidationError
        elif entry_id in model.reversed:
            expected_error = AlreadyReversed
        else:
            expected_error = model.refusal(mirror)

        def work(ctx: Context) -> ledger.JournalEntry:
            return ledger.reverse_entry(ctx, entry_id)

        def after(entry: ledger.JournalEntry) -> None:
            assert entry.reverses_entry_id == entry_id
            model.apply(entry.id, mirror, reverses=entry_id)

    elif kind == "hold":
        _, number, amount = operation
        if model.available(number) - amount < (ACCOUNTS[number].floor or 0):
            expected_error = InsufficientFunds

        def work(ctx: Context) -> int:
            return ledger.place_hold(ctx, number, Money(amount), reason="random hold")

        def after(hold_id: int) -> None:
            model.held[number] += amount
            model.holds.append([hold_id, number, amount, True])

    elif kind == "release":
        if not model.holds:
            return
        hold = model.holds[operation[1] % len(model.holds)]
        if not hold[3]:
            expected_error = NotFound

        def work(ctx: Context) -> None:
            ledger.release_hold(ctx, hold[0])

        def after(_: None) -> None:
            hold[3] = False
            model.held[hold[1]] -= hold[2]

    else:
        number = operation[1]
        change = ledger.unfreeze_account if number in model.frozen else ledger.freeze_account

        def work(ctx: Context) -> ledger.Account:
            return change(ctx, number)

        def after(_: ledger.Account) -> None:
            model.frozen.symmetric_difference_update({number})

    event(f"{kind}: {expected_error.__name__ if expected_error else 'done'}")
    if expected_error is None:
        after(kernel.write("teller", work))
    else:
        with pytest.raises(expected_error):
            kernel.write("teller", work)
    # After a refusal the model is unchanged, so this also says nothing was written.
    assert state(kernel) == expected_state(model), operation


def check_books(kernel: Kernel, model: Model) -> None:
    assert kernel.read("auditor", ledger.ledger_invariants) == []
    trial = kernel.read("auditor", lambda ctx: ledger.trial_balance(ctx, START_DATE))
    debits, credits = trial["totals"].get("IDR", (Money(0), Money(0)))
    assert debits == credits
    by_gl: dict[str, int] = defaultdict(int)
    for number, spec in ACCOUNTS.items():
        by_gl[spec.gl_key] += model.raw[number]
    assert {line.key: line.net for line in trial["lines"]} == {
        key: total for key, total in by_gl.items() if total}
    assert sum(model.raw.values()) == 0

    def postings_per_entry(ctx: Context) -> dict[int, int]:
        p = t.postings.c
        rows = ctx.conn.execute(select(p.entry_id, p.amount))
        sums: dict[int, int] = defaultdict(int)
        for row in rows:
            sums[row.entry_id] += row.amount
        return sums

    assert set(kernel.read("auditor", postings_per_entry).values()) == {0}
    for number in ACCOUNTS:
        as_of = kernel.read("auditor", lambda ctx, n=number: ledger.balance_as_of(ctx, n,
                                                                                   START_DATE))
        assert as_of.minor == model.raw[number] * ACCOUNTS[number].normal_sign


@given(operations)
def test_random_postings_and_reversals_keep_the_books_balanced_and_match_the_model(
        fresh_books, operations):
    kernel = fresh_books()
    try:
        model = model_of_opened_books(kernel)
        for number, operation in enumerate(operations):
            note(f"operation {number}: {operation!r}")
            run(kernel, model, operation)
        check_books(kernel, model)
    finally:
        kernel.close()
