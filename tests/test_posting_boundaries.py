"""Posting at its boundaries, each figure checked by hand: the memo's length, an account on
both sides of one entry, the floor to the sen, and an account changed after validation (by a
veto hook, the last code to run before the balances are written)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

import kopcore
from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    AlreadyReversed,
    BalanceOutOfRange,
    IdempotencyConflict,
    InsufficientFunds,
    PostingVetoed,
    ValidationError,
)
from kopcore.ledger import ProposedEntry
from kopcore.money import MAX_MINOR, Money
from kopcore.records import Veto
from tests.builders import active_member, capitalise, cash_account, member_account, rp, transfer
from tests.test_posting import (
    CASH,
    INCOME,
    SAVINGS,
    assert_refused_and_nothing_written,
    balance,
    credit,
    debit,
    post,
)


@pytest.fixture
def branch(kernel: Any) -> Any:
    """Cash Rp1,000,000 (floor 0), Rp250,000 of it in a member's savings account (floor 0)."""

    def setup(ctx: Context) -> None:
        cash_account(ctx, CASH)
        capitalise(ctx, CASH, rp("1000000"))
        member_account(ctx, active_member(ctx), SAVINGS)
        transfer(ctx, CASH, SAVINGS, rp("250000"), memo="setoran")

    kernel.write("teller", setup)
    return kernel


def test_a_memo_of_500_characters_is_the_longest(branch: Any) -> None:
    entry = post(branch, [debit(CASH, "1"), credit(INCOME, "1")], memo="m" * 500)
    assert entry.memo == "m" * 500
    for memo in ("m" * 501, ""):
        assert_refused_and_nothing_written(
            branch, ValidationError, lambda ctx, memo=memo: ledger.post_entry(
                ctx, [debit(CASH, "1"), credit(INCOME, "1")], memo=memo), match="memo")


def test_an_account_on_both_sides_moves_by_the_difference(branch: Any) -> None:
    # Savings Rp250,000: debited Rp1.00 and credited Rp1.00 -> unchanged; debited Rp1.00 and
    # credited Rp0.99 -> one sen less (Rp249,999.99), the sen going to income.
    post(branch, [debit(SAVINGS, "1"), credit(SAVINGS, "1"), debit(CASH, "5"),
                  credit(INCOME, "5")])
    assert balance(branch, SAVINGS) == rp("250000")
    post(branch, [debit(SAVINGS, "1"), credit(SAVINGS, "0.99"), credit(INCOME, "0.01")])
    assert balance(branch, SAVINGS) == rp("249999.99")
    # And credited one sen more than debited: one sen more.
    post(branch, [debit(SAVINGS, "1"), credit(SAVINGS, "1.01"), debit(CASH, "0.01")])
    assert balance(branch, SAVINGS) == rp("250000")


def test_the_floor_holds_to_the_sen(branch: Any) -> None:
    # Savings Rp250,000 with a floor of 0: Rp250,000.01 is one sen too many, Rp250,000 is all.
    error = assert_refused_and_nothing_written(
        branch, InsufficientFunds, lambda ctx: transfer(ctx, SAVINGS, CASH, rp("250000.01")))
    assert str(error) == ("Insufficient balance: available Rp250.000,00, requested "
                          f"Rp250.000,01 (account {SAVINGS})")
    transfer_all = post(branch, [debit(SAVINGS, "250000"), credit(CASH, "250000")])
    assert transfer_all.postings[0].amount == rp("250000")
    assert balance(branch, SAVINGS) == Money(0)
    # At the floor, one sen more is refused.
    assert_refused_and_nothing_written(
        branch, InsufficientFunds, lambda ctx: transfer(ctx, SAVINGS, CASH, rp("0.01")))


class Changer:
    """A plugin whose veto hook changes an account after the entry was validated."""

    def __init__(self) -> None:
        self.change: Callable[[Context], object] | None = None

    @kopcore.hookimpl
    def kopcore_veto_entry(self, ctx: Context, entry: ProposedEntry) -> None:
        if self.change is not None:
            self.change(ctx)


def test_an_account_frozen_after_validation_is_refused_by_name(make_kernel: Any) -> None:
    changer = Changer()
    kernel = make_kernel(extra_plugins=[("changer", changer)])

    def setup(ctx: Context) -> None:
        cash_account(ctx, CASH)
        capitalise(ctx, CASH, rp("1000000"))
        member_account(ctx, active_member(ctx), SAVINGS)

    kernel.write("teller", setup)
    grants = "GL-equity.grants"
    # Grants (no floor) debited and savings credited: both go in one batch of updates that
    # need no floor check; freezing grants meanwhile makes the batch refuse it.
    changer.change = lambda ctx: ledger.freeze_account(ctx, grants)
    error = assert_refused_and_nothing_written(
        kernel, AccountFrozen, lambda ctx: transfer(ctx, grants, SAVINGS, rp("100")))
    assert str(error) == f"account {grants} is frozen: nothing may leave it"
    changer.change = None
    post(kernel, [debit(grants, "100"), credit(SAVINGS, "100")])
    assert balance(kernel, SAVINGS) == rp("100")


# --- the money range bounds balances, not only single amounts (docs/guarantees.md) -------------

LARGEST = Money(MAX_MINOR)


def _largest_in(kernel: Any) -> None:
    # Cash (Rp1,250,000 with the member's deposit) filled up to the largest balance there is.
    def work(ctx: Context) -> None:
        transfer(ctx, CASH, INCOME, LARGEST - rp("1250000"), memo="to the limit")
    kernel.write("teller", work)


def test_a_deposit_that_would_take_a_balance_beyond_the_range_is_refused(branch: Any) -> None:
    # Cash holds Rp1,000,000; one more rupiah than the range allows is refused with the account
    # and the limit named, and nothing is written. Up to the limit, it posts.
    _largest_in(branch)
    assert balance(branch, CASH) == LARGEST
    error = assert_refused_and_nothing_written(
        branch, BalanceOutOfRange,
        lambda ctx: ledger.post_entry(ctx, [debit(CASH, "0.01"), credit(INCOME, "0.01")],
                                      memo="one sen too many"),
        match=rf"account {CASH} cannot take Rp0,01 more: a balance is at most Rp1\.000\.000")
    assert error.extra["account"] == CASH


def test_the_database_itself_refuses_a_balance_beyond_the_range(branch: Any) -> None:
    # Whatever path writes a balance, the database refuses the out-of-range value.
    from sqlalchemy import update

    from kopcore._db import tables as t

    def raw(ctx: Context) -> None:
        ctx.conn.execute(update(t.accounts).where(t.accounts.c.number == CASH)
                         .values(balance=MAX_MINOR + 1))

    with pytest.raises(IntegrityError, match="ck_accounts_balance_in_range"):
        branch.write("teller", raw)
    assert balance(branch, CASH) == rp("1250000")


def test_the_bulk_path_bounds_the_running_balance_of_its_batch(branch: Any) -> None:
    # Two entries, each within the range, whose sum on one account is not: the batch is refused
    # as a whole.
    half = Money(MAX_MINOR // 2)
    requests = [ledger.EntryRequest([debit(CASH, half.to_str()), credit(INCOME, half.to_str())],
                                    memo=f"half {n}") for n in (1, 2)]
    assert_refused_and_nothing_written(
        branch, BalanceOutOfRange, lambda ctx: ledger.post_entries(ctx, requests),
        match=f"account {CASH}")


def test_a_member_short_of_money_hears_of_their_own_shortfall_before_the_tills(
        branch: Any) -> None:
    # The member has Rp250,000 and asks for Rp2,000,000, more than the till's Rp1,250,000 too.
    # The till's account is older (checked first, in id order), yet the member is named.
    error = assert_refused_and_nothing_written(
        branch, InsufficientFunds,
        lambda ctx: ledger.post_entry(ctx, [debit(SAVINGS, "2000000"), credit(CASH, "2000000")],
                                      memo="tarik tunai"))
    assert error.extra["account"] == SAVINGS
    assert "available Rp250.000,00, requested Rp2.000.000,00" in str(error)
    # With enough in the member's account, the till's own shortfall is the one named.
    post(branch, [debit(INCOME, "5000000"), credit(SAVINGS, "5000000")])
    error = assert_refused_and_nothing_written(
        branch, InsufficientFunds,
        lambda ctx: ledger.post_entry(ctx, [debit(SAVINGS, "2000000"), credit(CASH, "2000000")],
                                      memo="tarik tunai"))
    assert error.extra["account"] == CASH


def test_reports_sum_balances_beyond_the_range_of_one_amount(branch: Any) -> None:
    # Two cash accounts each holding 60 % of the largest balance: their GL's total (120 %) is
    # beyond the range of one amount, and the trial balance and position still add up exactly.
    share = Money(MAX_MINOR * 6 // 10)

    def work(ctx: Context) -> None:
        cash_account(ctx, "CASH-02")
        transfer(ctx, CASH, INCOME, share, memo="first")
        transfer(ctx, "CASH-02", "GL-equity.grants", share, memo="second")

    branch.write("teller", work)
    today = branch.read("auditor", lambda ctx: ctx.business_date)
    trial = branch.read("auditor", lambda ctx: ledger.trial_balance(ctx, today))
    debit_total, credit_total = trial["totals"]["IDR"]
    assert debit_total == credit_total
    assert debit_total.minor > MAX_MINOR
    position = branch.read("auditor", lambda ctx: ledger.financial_position(ctx, today, "IDR"))
    assert position["assets"].total.minor == share.minor * 2 + rp("1250000").minor
    assert position["assets"].total == position["liabilities_and_equity"]


def test_many_lines_on_one_account_cannot_overflow_the_database(branch: Any) -> None:
    # 93 lines of the largest amount on one account sum past the 64-bit integer the database
    # stores: refused as out of range before the database is asked.
    lines = [debit(CASH, LARGEST.to_str())] * 93 + [credit(INCOME, LARGEST.to_str())] * 93
    assert_refused_and_nothing_written(
        branch, BalanceOutOfRange,
        lambda ctx: ledger.post_entry(ctx, lines, memo="overflow"), match="cannot take Rp93.000")


# --- idempotency keys at their lengths' bounds -------------------------------------------------


@pytest.mark.parametrize("length", [1, 200])
def test_an_idempotency_key_of_1_or_200_characters_is_accepted(branch: Any, length: int) -> None:
    # 0 and 201 characters are refused (test_posting.py); 1 and 200 post, and replay.
    key = "k" * length
    lines = [debit(CASH, "100"), credit(SAVINGS, "100")]
    entry = post(branch, lines, idempotency_key=key)
    assert entry.idempotency_key == key
    again = post(branch, lines, idempotency_key=key)
    assert (again.id, again.replayed) == (entry.id, True)
    assert balance(branch, SAVINGS) == rp("250100")  # Rp250,000 + Rp100, once


# --- accounts changed after validation: the one that changed is named --------------------------


def _changed_books(make_kernel: Any) -> tuple[Any, Changer]:
    """Cash Rp1,000,000 from grants (so grants hold Rp1,000,000) and a member's empty savings
    account; a veto hook that changes an account after validation."""
    changer = Changer()
    kernel = make_kernel(extra_plugins=[("changer", changer)])

    def setup(ctx: Context) -> None:
        cash_account(ctx, CASH)
        capitalise(ctx, CASH, rp("1000000"))
        member_account(ctx, active_member(ctx), SAVINGS)

    kernel.write("teller", setup)
    return kernel, changer


def test_an_account_closed_after_validation_takes_no_deposit_and_is_named(
        make_kernel: Any) -> None:
    # Cash debited and savings credited both raise a balance: one batch of updates. Closing
    # the (empty) savings account meanwhile refuses it by name, not the till next to it.
    kernel, changer = _changed_books(make_kernel)
    changer.change = lambda ctx: ledger.close_account(ctx, SAVINGS)
    error = assert_refused_and_nothing_written(
        kernel, AccountClosed, lambda ctx: transfer(ctx, CASH, SAVINGS, rp("100")))
    assert str(error) == f"account {SAVINGS} is closed"
    assert balance(kernel, SAVINGS) == Money(0)
    assert balance(kernel, CASH) == rp("1000000")


def test_of_two_accounts_lowered_together_the_one_frozen_meanwhile_is_named(
        make_kernel: Any) -> None:
    # Grants and income (neither has a floor) each debited Rp100 and savings credited Rp200:
    # both debits go in one batch. Freezing the later of the two (in id order) refuses it by
    # name; the earlier one, still open, is not blamed.
    kernel, changer = _changed_books(make_kernel)
    grants = "GL-equity.grants"
    ids = kernel.read("x", lambda ctx: {n: ledger.get_account(ctx, n).id for n in (grants, INCOME)})
    later = max(ids, key=ids.__getitem__)
    changer.change = lambda ctx: ledger.freeze_account(ctx, later)
    lines = [debit(grants, "100"), debit(INCOME, "100"), credit(SAVINGS, "200")]
    error = assert_refused_and_nothing_written(
        kernel, AccountFrozen, lambda ctx: ledger.post_entry(ctx, lines, memo="dua debit"))
    assert str(error) == f"account {later} is frozen: nothing may leave it"
    changer.change = None
    post(kernel, lines)
    assert balance(kernel, SAVINGS) == rp("200")
    assert balance(kernel, grants) == rp("999900")


def test_an_account_given_a_floor_after_validation_keeps_it(make_kernel: Any) -> None:
    # Grants hold Rp1,000,000 and have no floor when the entry is validated; a floor of
    # Rp999,950 set meanwhile leaves Rp50 that may leave, so Rp100 is refused, naming both.
    kernel, changer = _changed_books(make_kernel)
    grants = "GL-equity.grants"
    changer.change = lambda ctx: ledger.set_floor(ctx, grants, rp("999950"))
    error = assert_refused_and_nothing_written(
        kernel, InsufficientFunds, lambda ctx: transfer(ctx, grants, SAVINGS, rp("100")))
    assert str(error) == ("Insufficient balance: available Rp50,00, requested Rp100,00 "
                          f"(account {grants}, minimum balance Rp999.950,00)")
    assert balance(kernel, grants) == rp("1000000")


def test_an_entry_reversed_meanwhile_is_not_reversed_twice(make_kernel: Any) -> None:
    # A deposit of Rp1,000 is reversed by another request (the veto hook, once) while this
    # reversal of it is being prepared: this one is refused as already reversed when its entry
    # row is inserted, and nothing is written (the member keeps the Rp1,000).
    kernel, changer = _changed_books(make_kernel)
    entry = post(kernel, [debit(CASH, "1000"), credit(SAVINGS, "1000")])

    def reverse_once(ctx: Context) -> None:
        changer.change = None
        ledger.reverse_entry(ctx, entry.id)

    changer.change = reverse_once
    error = assert_refused_and_nothing_written(
        kernel, AlreadyReversed, lambda ctx: ledger.reverse_entry(ctx, entry.id))
    assert str(error) == f"entry {entry.id} is already reversed"
    assert balance(kernel, SAVINGS) == rp("1000")


def test_a_till_short_of_money_is_named_when_the_member_leaves_exactly_their_floor(
        branch: Any) -> None:
    # The till holds Rp150,000 after Rp1,100,000 is moved out; the member withdraws all of
    # their Rp250,000, which leaves their account exactly at its floor of 0: the till, Rp100,000
    # short, is the account named.
    post(branch, [debit(INCOME, "1100000"), credit(CASH, "1100000")])
    assert balance(branch, CASH) == rp("150000")
    error = assert_refused_and_nothing_written(
        branch, InsufficientFunds,
        lambda ctx: ledger.post_entry(ctx, [debit(SAVINGS, "250000"), credit(CASH, "250000")],
                                      memo="tarik semua"))
    assert error.extra["account"] == CASH
    assert "available Rp150.000,00, requested Rp250.000,00" in str(error)


def test_a_member_below_their_floor_who_is_paid_in_is_not_blamed_for_the_tills_shortfall(
        branch: Any) -> None:
    # A second member's account holds 0 under a floor raised to Rp500. An entry pays Rp100 into
    # it and Rp2,000,000 out of the till, which holds Rp1,250,000: the till is the one short (money
    # coming in is never refused by a floor), so the till is named.
    def second(ctx: Context) -> None:
        member_account(ctx, active_member(ctx, "Komang Adi"), "SAV-02")
        ledger.set_floor(ctx, "SAV-02", rp("500"))
    branch.write("teller", second)
    error = assert_refused_and_nothing_written(
        branch, InsufficientFunds,
        lambda ctx: ledger.post_entry(ctx, [debit(INCOME, "2000100"), credit(CASH, "2000000"),
                                            credit("SAV-02", "100")], memo="bayar"))
    assert error.extra["account"] == CASH
    assert "available Rp1.250.000,00, requested Rp2.000.000,00" in str(error)


class Twin:
    """A veto hook that posts a request under an idempotency key first: the twin of a request
    that claimed the key between this one's replay check and its insert (as a concurrent
    request can, on PostgreSQL)."""

    def __init__(self) -> None:
        self.request: tuple[list[Any], str, str] | None = None
        self.posted: ledger.JournalEntry | None = None

    @kopcore.hookimpl
    def kopcore_veto_entry(self, ctx: Context, entry: ProposedEntry) -> None:
        if self.request is not None:
            lines, memo, key = self.request
            self.request = None
            self.posted = ledger.post_entry(ctx, lines, memo=memo, idempotency_key=key)


def test_a_key_claimed_meanwhile_by_the_same_request_replays_it(make_kernel: Any) -> None:
    # The twin deposits Rp20,000 under key "req-1" while this request, the same deposit under
    # the same key, is being prepared: this one answers with the twin's entry, and the money
    # moves once (Rp250,000 + Rp20,000).
    twin = Twin()
    kernel = make_kernel(extra_plugins=[("twin", twin)])
    kernel.write("teller", lambda ctx: (cash_account(ctx, CASH),
                                        capitalise(ctx, CASH, rp("1000000")),
                                        member_account(ctx, active_member(ctx), SAVINGS),
                                        transfer(ctx, CASH, SAVINGS, rp("250000"))))
    lines = [debit(CASH, "20000"), credit(SAVINGS, "20000")]
    twin.request = (lines, "setoran", "req-1")
    entry = post(kernel, lines, memo="setoran", idempotency_key="req-1")
    assert twin.posted is not None
    assert (entry.id, entry.replayed) == (twin.posted.id, True)
    assert balance(kernel, SAVINGS) == rp("270000")
    # A different request (another memo) whose key was claimed meanwhile is a conflict.
    twin.request = (lines, "setoran", "req-2")
    assert_refused_and_nothing_written(
        kernel, IdempotencyConflict,
        lambda ctx: ledger.post_entry(ctx, lines, memo="setoran lain", idempotency_key="req-2"),
        match="req-2")
    assert balance(kernel, SAVINGS) == rp("270000")


class DuesOnly:
    """Vetoes every entry on the member's savings account except a collection settling dues (as
    the loans and sharia plugins exempt those)."""

    @kopcore.hookimpl
    def kopcore_veto_entry(self, ctx: Context, entry: ProposedEntry) -> Veto | None:
        if SAVINGS in entry.accounts and not entry.settles_dues:
            return Veto("dues-only", "only a collection of dues may touch this account")
        return None


def test_an_entry_posted_directly_does_not_pass_for_a_collection_of_dues(
        make_kernel: Any) -> None:
    kernel = make_kernel(extra_plugins=[("dues-only", DuesOnly())])
    kernel.write("teller", lambda ctx: (cash_account(ctx, CASH),
                                        member_account(ctx, active_member(ctx), SAVINGS)))
    assert_refused_and_nothing_written(
        kernel, PostingVetoed,
        lambda ctx: transfer(ctx, CASH, SAVINGS, rp("100")), match="only a collection")


# --- a refusal the database makes on its own --------------------------------------------------


def _audit_trigger(kernel: Any, when: str, *, refuse: bool,
                   event: str = "UPDATE OF balance ON accounts") -> None:
    """A trigger before ``event`` on the rows where ``when`` holds (a rule of the database's own,
    such as an auditor might add): it refuses the row with a constraint error, or
    (``refuse=False``) silently leaves it as it was."""

    def work(ctx: Context) -> None:
        if ctx.conn.dialect.name == "sqlite":
            body = "SELECT RAISE(ABORT, 'ditolak audit')" if refuse else "SELECT RAISE(IGNORE)"
            ctx.conn.exec_driver_sql(
                f"CREATE TRIGGER audit BEFORE {event} WHEN {when} BEGIN {body}; END")
            return
        body = ("RAISE EXCEPTION 'ditolak audit' USING ERRCODE = 'check_violation'" if refuse
                else "RETURN NULL")
        ctx.conn.exec_driver_sql("CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql "
                                 f"AS $$ BEGIN {body}; END $$")
        ctx.conn.exec_driver_sql(f"CREATE TRIGGER audit BEFORE {event} FOR EACH ROW "
                                 f"WHEN ({when}) EXECUTE FUNCTION audit()")

    kernel.write("teller", work)


def test_a_balance_update_the_database_refuses_otherwise_refuses_the_entry(branch: Any) -> None:
    # Only the money range is turned into a typed refusal; any other constraint error on a
    # balance reaches the caller as it is, and the Rp100 deposit is not posted (the member keeps
    # Rp250,000, the till Rp1,250,000: Rp1,000,000 of capital and her deposit).
    _audit_trigger(branch, f"NEW.number = '{SAVINGS}'", refuse=True)
    assert_refused_and_nothing_written(
        branch, IntegrityError, lambda ctx: transfer(ctx, CASH, SAVINGS, rp("100")),
        match="ditolak audit")
    assert balance(branch, SAVINGS) == rp("250000")
    assert balance(branch, CASH) == rp("1250000")


def test_a_balance_update_the_database_skips_without_a_reason_refuses_the_entry(
        branch: Any) -> None:
    # The member's account is open and takes deposits, yet its row is left unchanged: the entry
    # is refused rather than posted with a balance that does not match its postings.
    _audit_trigger(branch, f"NEW.number = '{SAVINGS}'", refuse=False)
    assert_refused_and_nothing_written(
        branch, RuntimeError, lambda ctx: transfer(ctx, CASH, SAVINGS, rp("100")),
        match="refused without a reason")
    assert balance(branch, SAVINGS) == rp("250000")


def test_an_entry_row_the_database_refuses_under_a_key_reaches_the_caller(branch: Any) -> None:
    # The key is claimed by inserting the entry row; a refusal of that row that is neither the
    # key's nor a second reversal's reaches the caller as it is, nothing is written, and the key
    # stays free: the same deposit of Rp100 under it with another memo then posts
    # (Rp250,000 + Rp100).
    _audit_trigger(branch, "NEW.memo = 'ditolak'", refuse=True,
                   event="INSERT ON journal_entries")
    lines = [debit(CASH, "100"), credit(SAVINGS, "100")]
    assert_refused_and_nothing_written(
        branch, IntegrityError,
        lambda ctx: ledger.post_entry(ctx, lines, memo="ditolak", idempotency_key="req-9"),
        match="ditolak audit")
    entry = post(branch, lines, memo="setoran", idempotency_key="req-9")
    assert not entry.replayed
    assert balance(branch, SAVINGS) == rp("250100")
