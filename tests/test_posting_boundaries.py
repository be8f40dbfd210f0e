"""Posting at its boundaries, each figure checked by hand: the memo's length, an account on
both sides of one entry, the floor to the sen, and an account changed after validation (by a
veto hook, the last code to run before the balances are written)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import kopcore
from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import AccountFrozen, InsufficientFunds, ValidationError
from kopcore.ledger import ProposedEntry
from kopcore.money import Money
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
