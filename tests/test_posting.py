"""The posting pipeline: balanced entries move balances; each refusal is typed, writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

import kopcore
from kopcore import ledger
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    AlreadyReversed,
    Conflict,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    NotFound,
    PostingVetoed,
    UnbalancedEntry,
    ValidationError,
)
from kopcore.money import Money
from kopcore.records import PostingLine, Side, Veto
from tests.builders import active_member, capitalise, cash_account, member_account, rp, transfer
from tests.conftest import START_DATE

CASH = "CASH-01"
SAVINGS = "SAV-01"
INCOME = "GL-income.services"


def debit(account: str, amount: str | Money) -> PostingLine:
    return PostingLine(account, Side.DEBIT, amount if isinstance(amount, Money) else rp(amount))


def credit(account: str, amount: str | Money) -> PostingLine:
    return PostingLine(account, Side.CREDIT, amount if isinstance(amount, Money) else rp(amount))


def post(kernel, lines, memo="test", **kwargs: Any) -> ledger.JournalEntry:
    return kernel.write("teller", lambda ctx: ledger.post_entry(ctx, lines, memo=memo, **kwargs))


def balance(kernel, number: str) -> Money:
    return kernel.read("auditor", lambda ctx: ledger.get_account(ctx, number)).balance


def available(kernel, number: str) -> Money:
    return kernel.read("auditor", lambda ctx: ledger.get_account(ctx, number)).available


Books = tuple[dict[str, int], dict[str, tuple[int, int, str]]]


def books(kernel) -> Books:
    """Everything a posting or a hold may write: the number of journal entries, postings and
    holds (active or not), and every account's cached balance, held amount and status."""

    def read(ctx: Context) -> Books:
        counts = {
            table.name: ctx.conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.journal_entries, t.postings, t.account_holds)
        }
        counts["active holds"] = ctx.conn.execute(
            select(func.count()).where(t.account_holds.c.status == "active")).scalar_one()
        accounts = ctx.conn.execute(
            select(t.accounts.c.number, t.accounts.c.balance, t.accounts.c.held,
                   t.accounts.c.status)
        )
        return counts, {r.number: (r.balance, r.held, r.status) for r in accounts}

    return kernel.read("auditor", read)


def assert_refused_and_nothing_written(kernel, error: type[Exception],
                                       work: Callable[[Context], Any], match: str | None = None
                                       ) -> Exception:
    before = books(kernel)
    with pytest.raises(error, match=match) as caught:
        kernel.write("teller", work)
    assert books(kernel) == before
    assert kernel.read("auditor", ledger.ledger_invariants) == []
    return caught.value


@pytest.fixture
def branch(kernel):
    """Cash Rp1,250,000 (floor 0), Rp250,000 of it deposited into a member's savings account
    (floor 0)."""

    def setup(ctx: Context) -> None:
        cash_account(ctx, CASH)
        capitalise(ctx, CASH, rp("1000000"))
        member = active_member(ctx)
        member_account(ctx, member, SAVINGS)
        transfer(ctx, CASH, SAVINGS, rp("250000"), memo="setoran")

    kernel.write("teller", setup)
    return kernel


# --- posting ----------------------------------------------------------------------------------


def test_balanced_entry_updates_balances_on_each_accounts_normal_side(branch):
    entry = post(branch, [debit(CASH, "100000"), credit(SAVINGS, "100000")], memo="setoran tunai")
    assert balance(branch, CASH) == rp("1350000")  # asset: debit raises it
    assert balance(branch, SAVINGS) == rp("350000")  # liability: credit raises it
    assert [(p.account_number, p.amount) for p in entry.postings] == [
        (CASH, rp("100000")), (SAVINGS, rp("-100000"))]
    assert [p.side for p in entry.postings] == ["debit", "credit"]
    assert entry.memo == "setoran tunai"
    assert entry.actor == "teller"
    assert entry.operation == "python-api"
    assert entry.business_date == START_DATE
    assert entry.replayed is False
    assert entry.reverses_entry_id is None
    assert branch.read("auditor", lambda ctx: ledger.get_entry(ctx, entry.id)) == entry
    assert branch.read("auditor", ledger.ledger_invariants) == []


def test_entry_with_several_lines_posts_every_line(branch):
    post(branch, [debit(SAVINGS, "60000"), credit(CASH, "50000"), credit(INCOME, "10000")],
         memo="tarik tunai dengan biaya")
    assert balance(branch, SAVINGS) == rp("190000")
    assert balance(branch, CASH) == rp("1200000")
    assert balance(branch, INCOME) == rp("10000")
    assert branch.read("auditor", ledger.ledger_invariants) == []


def test_an_entry_touching_one_account_twice_moves_it_by_the_net_amount(branch):
    post(branch, [debit(CASH, "300"), credit(CASH, "100"), credit(INCOME, "200")])
    assert balance(branch, CASH) == rp("1250200")
    assert balance(branch, INCOME) == rp("200")


def test_a_failure_later_in_the_transaction_undoes_earlier_postings(branch):
    def work(ctx: Context) -> None:
        transfer(ctx, CASH, SAVINGS, rp("1000"))
        transfer(ctx, SAVINGS, CASH, rp("999999"))  # overdraws: the whole unit of work fails

    assert_refused_and_nothing_written(branch, InsufficientFunds, work)


def test_entry_with_many_lines_moves_every_account(branch):
    numbers = [f"SUS-{i:02d}" for i in range(1, 31)]

    def open_suspense(ctx: Context) -> None:
        for number in numbers:  # no floor: both directions go through unchecked batches
            ledger.open_account(ctx, name=number, gl_key="suspense", plugin="kopcore",
                                number=number)

    branch.write("teller", open_suspense)
    amounts = {number: Money(100 * i) for i, number in enumerate(numbers, start=1)}
    total = Money(sum(m.minor for m in amounts.values()))
    post(branch, [debit(CASH, total)] + [credit(n, m) for n, m in amounts.items()],
         memo="titipan masuk")
    assert {n: balance(branch, n) for n in numbers} == amounts
    withdraw = [debit(n, m) for n, m in amounts.items()] + [credit(CASH, total)]
    branch.write("teller", lambda ctx: ledger.freeze_account(ctx, "SUS-17"))
    assert_refused_and_nothing_written(
        branch, AccountFrozen, lambda ctx: ledger.post_entry(ctx, withdraw, memo="keluar"),
        match="SUS-17")
    branch.write("teller", lambda ctx: ledger.unfreeze_account(ctx, "SUS-17"))
    post(branch, withdraw, memo="titipan keluar")
    assert {balance(branch, n) for n in numbers} == {Money(0)}
    assert balance(branch, CASH) == rp("1250000")
    assert branch.read("auditor", ledger.ledger_invariants) == []


def test_frozen_account_without_a_floor_lets_nothing_out(branch):
    post(branch, [debit(CASH, "1000"), credit(INCOME, "1000")], memo="pendapatan")
    branch.write("teller", lambda ctx: ledger.freeze_account(ctx, INCOME))
    assert_refused_and_nothing_written(
        branch, AccountFrozen, lambda ctx: transfer(ctx, INCOME, CASH, rp("1")), match=INCOME)
    post(branch, [debit(CASH, "1000"), credit(INCOME, "1000")], memo="pendapatan lagi")
    assert balance(branch, INCOME) == rp("2000")


# --- refusals ---------------------------------------------------------------------------------


def test_unbalanced_entry_is_refused(branch):
    error = assert_refused_and_nothing_written(
        branch, UnbalancedEntry,
        lambda ctx: ledger.post_entry(ctx, [debit(CASH, "100"), credit(SAVINGS, "99.99")],
                                      memo="salah hitung"),
        match="debits exceed credits by 0.01",
    )
    assert error.code == "unbalanced-entry"


def test_entry_balanced_only_across_currencies_is_refused(branch):
    def work(ctx: Context) -> None:
        ledger.open_account(ctx, name="Kas USD", gl_key="cash", plugin="kopcore",
                            number="CASH-USD", currency="USD")
        ledger.post_entry(ctx, [debit(CASH, Money(100)), credit("CASH-USD", Money(100, "USD"))],
                          memo="kurs")

    assert_refused_and_nothing_written(branch, UnbalancedEntry, work, match="IDR")


def test_single_posting_is_refused(branch):
    assert_refused_and_nothing_written(
        branch, UnbalancedEntry,
        lambda ctx: ledger.post_entry(ctx, [debit(CASH, "100")], memo="satu kaki"),
        match="at least two",
    )
    assert_refused_and_nothing_written(
        branch, UnbalancedEntry, lambda ctx: ledger.post_entry(ctx, [], memo="kosong"))


@pytest.mark.parametrize("amount", [Money(0), Money(-100), rp("-250000")])
def test_zero_or_negative_amount_is_refused(branch, amount):
    error = assert_refused_and_nothing_written(
        branch, ValidationError,
        lambda ctx: ledger.post_entry(ctx, [PostingLine(CASH, Side.DEBIT, amount),
                                            PostingLine(SAVINGS, Side.CREDIT, amount)],
                                      memo="nol"),
        match="positive",
    )
    assert error.extra["field"] == "amount"


def test_missing_memo_is_refused(branch):
    assert_refused_and_nothing_written(
        branch, ValidationError,
        lambda ctx: ledger.post_entry(ctx, [debit(CASH, "1"), credit(SAVINGS, "1")], memo=""),
        match="memo",
    )


def test_unknown_account_is_refused(branch):
    error = assert_refused_and_nothing_written(
        branch, NotFound,
        lambda ctx: ledger.post_entry(ctx, [debit(CASH, "100"), credit("NOPE-404", "100")],
                                      memo="salah rekening"),
        match="NOPE-404",
    )
    assert error.code == "not-found"


def test_closed_account_takes_no_postings_either_way(branch):
    def open_and_close(ctx: Context) -> None:
        ledger.open_account(ctx, name="Titipan", gl_key="payable.other", plugin="kopcore",
                            number="OLD-01", floor=Money(0))
        ledger.close_account(ctx, "OLD-01")

    branch.write("teller", open_and_close)
    assert_refused_and_nothing_written(
        branch, AccountClosed,
        lambda ctx: transfer(ctx, CASH, "OLD-01", rp("100")), match="OLD-01")
    assert_refused_and_nothing_written(
        branch, AccountClosed, lambda ctx: transfer(ctx, "OLD-01", CASH, rp("100")))


def test_frozen_account_refuses_outgoing_but_accepts_incoming(branch):
    branch.write("teller", lambda ctx: ledger.freeze_account(ctx, SAVINGS))
    assert_refused_and_nothing_written(
        branch, AccountFrozen, lambda ctx: transfer(ctx, SAVINGS, CASH, rp("1")), match=SAVINGS)
    post(branch, [debit(CASH, "5000"), credit(SAVINGS, "5000")], memo="setoran ke rekening beku")
    assert balance(branch, SAVINGS) == rp("255000")
    branch.write("teller", lambda ctx: ledger.unfreeze_account(ctx, SAVINGS))
    post(branch, [debit(SAVINGS, "5000"), credit(CASH, "5000")], memo="tarik setelah dibuka")
    assert balance(branch, SAVINGS) == rp("250000")


def test_posting_in_another_currency_than_the_account_is_refused(branch):
    def open_usd(ctx: Context) -> None:
        ledger.open_account(ctx, name="Kas USD", gl_key="cash", plugin="kopcore",
                            number="CASH-USD", currency="USD")
        ledger.open_account(ctx, name="Titipan USD", gl_key="payable.other", plugin="kopcore",
                            number="DEP-USD", currency="USD")

    branch.write("teller", open_usd)
    error = assert_refused_and_nothing_written(
        branch, CurrencyMismatch,
        lambda ctx: ledger.post_entry(ctx, [debit("CASH-USD", "100"), credit(SAVINGS, "100")],
                                      memo="rupiah ke rekening dolar"),
        match="USD",
    )
    assert error.code == "currency-mismatch"
    usd = Money.parse("12.50", "USD")
    post(branch, [PostingLine("CASH-USD", Side.DEBIT, usd),
                  PostingLine("DEP-USD", Side.CREDIT, usd)], memo="setoran dolar")
    assert balance(branch, "CASH-USD") == usd
    post(branch, [PostingLine("CASH-USD", Side.DEBIT, usd), credit(INCOME, "1000"),
                  PostingLine("DEP-USD", Side.CREDIT, usd), debit(CASH, "1000")],
         memo="balanced in each currency")
    assert balance(branch, "DEP-USD") == usd + usd
    totals = branch.read("auditor", lambda ctx: ledger.trial_balance(ctx, START_DATE))["totals"]
    assert totals["USD"] == (usd + usd, usd + usd)
    assert totals["IDR"][0] == totals["IDR"][1]


def test_float_amounts_never_reach_the_ledger(branch):
    with pytest.raises(InvalidAmount):
        Money.parse(0.1)
    assert_refused_and_nothing_written(
        branch, ValidationError,
        lambda ctx: ledger.post_entry(
            ctx, [PostingLine(CASH, Side.DEBIT, 0.1),  # type: ignore[arg-type]
                  PostingLine(SAVINGS, Side.CREDIT, 0.1)],  # type: ignore[arg-type]
            memo="float"),
        match="Money",
    )


def test_side_given_as_plain_text_is_refused(branch):
    assert_refused_and_nothing_written(
        branch, ValidationError,
        lambda ctx: ledger.post_entry(
            ctx, [PostingLine(CASH, "debit", rp("1")),  # type: ignore[arg-type]
                  PostingLine(SAVINGS, "credit", rp("1"))],  # type: ignore[arg-type]
            memo="text sides"),
        match="side",
    )


# --- idempotency ------------------------------------------------------------------------------


def test_same_key_and_same_request_returns_the_original_entry_and_posts_nothing(branch):
    lines = [debit(CASH, "20000"), credit(SAVINGS, "20000")]
    first = post(branch, lines, memo="setoran", idempotency_key="req-1")
    before = books(branch)
    again = post(branch, lines, memo="setoran", idempotency_key="req-1")
    assert books(branch) == before
    assert again.replayed is True
    assert first.replayed is False
    assert again.id == first.id
    assert again.postings == first.postings
    assert again.idempotency_key == "req-1"
    assert balance(branch, SAVINGS) == rp("270000")


def test_same_key_with_a_different_request_is_a_conflict(branch):
    post(branch, [debit(CASH, "20000"), credit(SAVINGS, "20000")], memo="setoran",
         idempotency_key="req-1")
    for lines, memo in [
        ([debit(CASH, "20001"), credit(SAVINGS, "20001")], "setoran"),
        ([debit(CASH, "20000"), credit(SAVINGS, "20000")], "setoran lain"),
        ([debit(SAVINGS, "20000"), credit(CASH, "20000")], "setoran"),
    ]:
        error = assert_refused_and_nothing_written(
            branch, IdempotencyConflict,
            lambda ctx, lines=lines, memo=memo: ledger.post_entry(
                ctx, lines, memo=memo, idempotency_key="req-1"),
            match="req-1",
        )
        assert error.code == "idempotency-conflict"


def test_a_replay_does_not_depend_on_the_accounts_current_state(branch):
    lines = [debit(SAVINGS, "250000"), credit(CASH, "250000")]
    first = post(branch, lines, memo="tarik semua", idempotency_key="w-1")
    # Repeating the withdrawal would now overdraw; the replay must still answer, not refuse.
    again = post(branch, lines, memo="tarik semua", idempotency_key="w-1")
    assert again.replayed is True
    assert again.id == first.id
    assert balance(branch, SAVINGS) == rp("0")
    # Nor does an account closed since: the replay answers before the entry is prepared again.
    branch.write("teller", lambda ctx: ledger.close_account(ctx, SAVINGS))
    closed = post(branch, lines, memo="tarik semua", idempotency_key="w-1")
    assert (closed.id, closed.replayed) == (first.id, True)


def test_failed_posting_does_not_use_up_its_key(branch):
    assert_refused_and_nothing_written(
        branch, InsufficientFunds,
        lambda ctx: ledger.post_entry(ctx, [debit(SAVINGS, "300000"), credit(CASH, "300000")],
                                      memo="tarik", idempotency_key="w-2"))
    ok = post(branch, [debit(SAVINGS, "200000"), credit(CASH, "200000")], memo="tarik",
              idempotency_key="w-2")
    assert ok.replayed is False
    assert balance(branch, SAVINGS) == rp("50000")


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_idempotency_key_length_is_checked(branch, key):
    assert_refused_and_nothing_written(
        branch, ValidationError,
        lambda ctx: ledger.post_entry(ctx, [debit(CASH, "1"), credit(SAVINGS, "1")], memo="m",
                                      idempotency_key=key),
        match="idempotency key")


# --- floors and holds -------------------------------------------------------------------------


def test_withdrawal_below_floor_is_refused(branch):
    error = assert_refused_and_nothing_written(
        branch, InsufficientFunds, lambda ctx: transfer(ctx, SAVINGS, CASH, rp("250000.01")),
        match=SAVINGS)
    assert error.code == "insufficient-funds"
    assert error.extra["available"] == "250000.00"
    post(branch, [debit(SAVINGS, "250000"), credit(CASH, "250000")], memo="tarik sampai nol")
    assert balance(branch, SAVINGS) == rp("0")


def test_minimum_balance_floor_is_kept(branch):
    def open_with_minimum(ctx: Context) -> None:
        member = active_member(ctx, "Ni Luh Putu")
        member_account(ctx, member, "SAV-MIN", floor=rp("50000"))
        transfer(ctx, CASH, "SAV-MIN", rp("100000"))

    branch.write("teller", open_with_minimum)
    assert_refused_and_nothing_written(
        branch, InsufficientFunds, lambda ctx: transfer(ctx, "SAV-MIN", CASH, rp("50000.01")))
    post(branch, [debit("SAV-MIN", "50000"), credit(CASH, "50000")], memo="tarik")
    assert balance(branch, "SAV-MIN") == rp("50000")


def test_asset_account_floor_stops_paying_out_cash_that_is_not_there(branch):
    assert_refused_and_nothing_written(
        branch, InsufficientFunds,
        lambda ctx: ledger.post_entry(ctx, [debit("GL-expense.general", "1250000.01"),
                                            credit(CASH, "1250000.01")], memo="beban"),
        match=CASH)


def test_raised_floor_stops_withdrawals_but_not_deposits(branch):
    account = branch.write("teller", lambda ctx: ledger.set_floor(ctx, SAVINGS, rp("300000")))
    assert account.floor == rp("300000")
    assert_refused_and_nothing_written(
        branch, InsufficientFunds, lambda ctx: transfer(ctx, SAVINGS, CASH, rp("1")))
    post(branch, [debit(CASH, "60000"), credit(SAVINGS, "60000")], memo="setoran")
    post(branch, [debit(SAVINGS, "10000"), credit(CASH, "10000")], memo="tarik sampai batas")
    assert balance(branch, SAVINGS) == rp("300000")
    branch.write("teller", lambda ctx: ledger.set_floor(ctx, SAVINGS, None))
    post(branch, [debit(SAVINGS, "400000"), credit(CASH, "400000")], memo="cerukan")
    assert balance(branch, SAVINGS) == rp("-100000")
    assert_refused_and_nothing_written(
        branch, ValidationError,
        lambda ctx: ledger.set_floor(ctx, SAVINGS, Money.parse("1", "USD")), match="currency")


def test_holds_reduce_the_available_balance(branch):
    hold_id = branch.write(
        "teller", lambda ctx: ledger.place_hold(ctx, SAVINGS, rp("200000"), reason="PPOB pending",
                                                reference="ppob-1"))
    account = branch.read("auditor", lambda ctx: ledger.get_account(ctx, SAVINGS))
    assert account.balance == rp("250000")
    assert account.held == rp("200000")
    assert account.available == rp("50000")
    assert [h["id"] for h in branch.read("auditor", lambda ctx: ledger.active_holds(ctx, SAVINGS))
            ] == [hold_id]
    assert_refused_and_nothing_written(
        branch, Conflict, lambda ctx: ledger.place_hold(ctx, SAVINGS, rp("1"), reason="again",
                                                        reference="ppob-1"), match="ppob-1")
    assert_refused_and_nothing_written(
        branch, InsufficientFunds, lambda ctx: transfer(ctx, SAVINGS, CASH, rp("50000.01")))
    post(branch, [debit(SAVINGS, "50000"), credit(CASH, "50000")], memo="tarik sisa")
    assert available(branch, SAVINGS) == rp("0")
    branch.write("teller", lambda ctx: ledger.release_hold(ctx, hold_id))
    assert available(branch, SAVINGS) == rp("200000")
    assert branch.read("auditor", lambda ctx: ledger.active_holds(ctx, SAVINGS)) == []
    post(branch, [debit(SAVINGS, "200000"), credit(CASH, "200000")], memo="tarik setelah lepas")
    assert balance(branch, SAVINGS) == rp("0")


def test_hold_beyond_the_available_balance_is_refused(branch):
    branch.write("teller", lambda ctx: ledger.place_hold(ctx, SAVINGS, rp("150000"), reason="a"))
    assert_refused_and_nothing_written(
        branch, InsufficientFunds,
        lambda ctx: ledger.place_hold(ctx, SAVINGS, rp("100000.01"), reason="b"))
    assert_refused_and_nothing_written(
        branch, ValidationError,
        lambda ctx: ledger.place_hold(ctx, SAVINGS, rp("0"), reason="c"))


def test_a_hold_is_released_only_once(branch):
    hold_id = branch.write("teller", lambda ctx: ledger.place_hold(ctx, SAVINGS, rp("1000"),
                                                                   reason="a"))
    branch.write("teller", lambda ctx: ledger.release_hold(ctx, hold_id))
    assert_refused_and_nothing_written(
        branch, NotFound, lambda ctx: ledger.release_hold(ctx, hold_id))
    assert available(branch, SAVINGS) == rp("250000")


def test_account_with_a_balance_cannot_be_closed(branch):
    assert_refused_and_nothing_written(
        branch, Conflict, lambda ctx: ledger.close_account(ctx, SAVINGS),
        match=r"balance Rp250\.000,00")
    post(branch, [debit(SAVINGS, "250000"), credit(CASH, "250000")], memo="kosongkan")
    closed = branch.write("teller", lambda ctx: ledger.close_account(ctx, SAVINGS))
    assert closed.status is ledger.AccountStatus.CLOSED
    assert closed.closed_on == START_DATE
    assert_refused_and_nothing_written(
        branch, AccountClosed, lambda ctx: ledger.close_account(ctx, SAVINGS))
    assert_refused_and_nothing_written(
        branch, AccountClosed, lambda ctx: ledger.place_hold(ctx, SAVINGS, rp("1"), reason="x"))


def test_account_with_an_active_hold_cannot_be_closed(branch):
    def open_and_hold(ctx: Context) -> int:
        ledger.open_account(ctx, name="Titipan", gl_key="suspense", plugin="kopcore",
                            number="SUS-01")
        return ledger.place_hold(ctx, "SUS-01", rp("100"), reason="sengketa")

    hold_id = branch.write("teller", open_and_hold)
    assert_refused_and_nothing_written(
        branch, Conflict, lambda ctx: ledger.close_account(ctx, "SUS-01"), match=r"held Rp100,00")
    branch.write("teller", lambda ctx: ledger.release_hold(ctx, hold_id))
    closed = branch.write("teller", lambda ctx: ledger.close_account(ctx, "SUS-01"))
    assert closed.status is ledger.AccountStatus.CLOSED


# --- reversals --------------------------------------------------------------------------------


def test_reversal_posts_the_mirror_and_restores_balances(branch):
    entry = post(branch, [debit(SAVINGS, "60000"), credit(CASH, "50000"),
                          credit(INCOME, "10000")], memo="tarik dengan biaya")
    reversal = branch.write("manager", lambda ctx: ledger.reverse_entry(ctx, entry.id))
    assert reversal.reverses_entry_id == entry.id
    assert reversal.id != entry.id
    assert [(p.account_number, p.amount) for p in reversal.postings] == [
        (p.account_number, -p.amount) for p in entry.postings]
    assert "Reversal of entry" in reversal.memo
    assert reversal.actor == "manager"
    assert balance(branch, SAVINGS) == rp("250000")
    assert balance(branch, CASH) == rp("1250000")
    assert balance(branch, INCOME) == rp("0")
    assert branch.read("auditor", ledger.ledger_invariants) == []


def test_an_entry_is_reversed_only_once(branch):
    entry = post(branch, [debit(CASH, "1000"), credit(SAVINGS, "1000")])
    reversal = branch.write("manager", lambda ctx: ledger.reverse_entry(ctx, entry.id))
    error = assert_refused_and_nothing_written(
        branch, AlreadyReversed, lambda ctx: ledger.reverse_entry(ctx, entry.id))
    assert error.code == "already-reversed"
    assert str(error) == f"entry {entry.id} was already reversed by entry {reversal.id}"
    # Another idempotency key does not open a way around it: the database's unique reversal
    # refuses it when the entry row is inserted.
    error = assert_refused_and_nothing_written(
        branch, AlreadyReversed,
        lambda ctx: ledger.reverse_entry(ctx, entry.id, idempotency_key="rev-other"))
    assert str(error) == f"entry {entry.id} is already reversed"


def test_reversal_with_a_key_is_replayed_not_repeated(branch):
    entry = post(branch, [debit(CASH, "1000"), credit(SAVINGS, "1000")])
    first = branch.write("manager",
                         lambda ctx: ledger.reverse_entry(ctx, entry.id, idempotency_key="rev-1"))
    before = books(branch)
    again = branch.write("manager",
                         lambda ctx: ledger.reverse_entry(ctx, entry.id, idempotency_key="rev-1"))
    assert books(branch) == before
    assert again.replayed is True
    assert again.id == first.id


def test_a_reversal_cannot_be_reversed(branch):
    entry = post(branch, [debit(CASH, "1000"), credit(SAVINGS, "1000")])
    reversal = branch.write("manager", lambda ctx: ledger.reverse_entry(ctx, entry.id))
    assert_refused_and_nothing_written(
        branch, ValidationError, lambda ctx: ledger.reverse_entry(ctx, reversal.id),
        match="is a reversal")


def test_reversal_respects_floors(branch):
    deposit = post(branch, [debit(CASH, "100000"), credit(SAVINGS, "100000")], memo="setoran")
    post(branch, [debit(SAVINGS, "300000"), credit(CASH, "300000")], memo="tarik")
    assert_refused_and_nothing_written(
        branch, InsufficientFunds, lambda ctx: ledger.reverse_entry(ctx, deposit.id),
        match=SAVINGS)


def test_reversal_respects_account_status(branch):
    deposit = post(branch, [debit(CASH, "100000"), credit(SAVINGS, "100000")], memo="setoran")
    branch.write("teller", lambda ctx: ledger.freeze_account(ctx, SAVINGS))
    assert_refused_and_nothing_written(
        branch, AccountFrozen, lambda ctx: ledger.reverse_entry(ctx, deposit.id))


def test_reversing_an_unknown_entry_is_not_found(branch):
    assert_refused_and_nothing_written(
        branch, NotFound, lambda ctx: ledger.reverse_entry(ctx, 999_999))


# --- immutability -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE postings SET amount = amount + 1",
        "DELETE FROM postings",
        "UPDATE journal_entries SET memo = 'rewritten'",
        "DELETE FROM journal_entries",
    ],
)
def test_posted_entries_cannot_be_changed_with_raw_sql(branch, statement):
    before = books(branch)
    with pytest.raises(DBAPIError, match="immutable"):
        branch.write("intruder", lambda ctx: ctx.conn.execute(text(statement)))
    assert books(branch) == before


# --- plugins in the pipeline ------------------------------------------------------------------


class RefuseCashBonuses:
    """Vetoes entries whose memo says 'bonus'."""

    @kopcore.hookimpl
    def kopcore_veto_entry(self, ctx, entry):
        if "bonus" in entry.memo:
            return Veto("test.no-bonus", "bonuses are not allowed")
        return None


class FailAfterPosting:
    seen: list[int]

    def __init__(self) -> None:
        self.seen = []

    @kopcore.hookimpl
    def kopcore_after_posting(self, ctx, entry):
        self.seen.append(entry.id)
        if "boom" in entry.memo:
            raise RuntimeError("after-posting failure")


def _with_branch(kernel):
    def setup(ctx: Context) -> None:
        cash_account(ctx, CASH)
        capitalise(ctx, CASH, rp("1000000"))

    kernel.write("teller", setup)
    return kernel


def test_a_plugin_veto_refuses_the_entry_with_its_reason(make_kernel):
    kernel = _with_branch(make_kernel(extra_plugins=[("nobonus", RefuseCashBonuses())]))
    error = assert_refused_and_nothing_written(
        kernel, PostingVetoed,
        lambda ctx: ledger.post_entry(ctx, [debit("GL-expense.staff", "100"), credit(CASH, "100")],
                                      memo="bonus akhir tahun"))
    assert error.reason == "test.no-bonus"
    assert error.plugin == "nobonus"
    post(kernel, [debit("GL-expense.staff", "100"), credit(CASH, "100")], memo="gaji")


def test_an_after_posting_failure_rolls_the_entry_back(make_kernel):
    watcher = FailAfterPosting()
    kernel = _with_branch(make_kernel(extra_plugins=[("watcher", watcher)]))
    assert watcher.seen == [1]
    assert_refused_and_nothing_written(
        kernel, RuntimeError,
        lambda ctx: ledger.post_entry(ctx, [debit("GL-expense.staff", "1"), credit(CASH, "1")],
                                      memo="boom"))
    assert len(watcher.seen) == 2
