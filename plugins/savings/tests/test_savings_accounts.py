"""Deposits, withdrawals, transfers, closing, and the kernel's holds, freezes and statements on
savings accounts; every refusal is typed and changes nothing."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from savings_coop import CASH, Coop

from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    Conflict,
    Forbidden,
    InsufficientFunds,
    NotFound,
    NotWithdrawable,
    ValidationError,
)


@pytest.fixture
def member_accounts(coop: Coop) -> dict[str, str]:
    coop.product("POKOK", "pokok", amount="100000")
    coop.product("WAJIB", "wajib", amount="25000")
    coop.product("SUKARELA", "sukarela", min_balance="10000", interest_rate="3")
    member = coop.member()
    accounts = {code: coop.open(member, code) for code in ("POKOK", "WAJIB", "SUKARELA")}
    coop.deposit(accounts["POKOK"], "100000")
    coop.deposit(accounts["WAJIB"], "25000")
    coop.deposit(accounts["SUKARELA"], "500000")
    accounts["member"] = member
    return accounts


def test_deposit_and_withdrawal_post_one_balanced_entry_each(coop: Coop,
                                                             member_accounts: dict[str, str]
                                                             ) -> None:
    sukarela = member_accounts["SUKARELA"]
    entry = coop.withdraw(sukarela, "90000")
    assert {(p["account"], p["side"], p["amount"]["amount"]) for p in entry["postings"]} == {
        (sukarela, "debit", "90000.00"), (CASH, "credit", "90000.00")}
    assert coop.balance(sukarela) == "410000.00"
    tb = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    assert tb["equity.pokok"]["balance"]["amount"] == "100000.00"
    assert tb["equity.wajib"]["balance"]["amount"] == "25000.00"
    assert tb["savings.sukarela"]["balance"]["amount"] == "410000.00"
    coop.books_balance()


def test_withdrawal_below_the_minimum_balance_is_refused(coop: Coop,
                                                         member_accounts: dict[str, str]) -> None:
    sukarela = member_accounts["SUKARELA"]
    coop.refused(InsufficientFunds, "savings.withdraw", account=sukarela, amount="490001",
                 cash_account=CASH)
    coop.withdraw(sukarela, "490000")
    assert coop.balance(sukarela) == "10000.00"


@pytest.mark.parametrize("code", ["POKOK", "WAJIB"])
def test_pokok_and_wajib_of_an_active_member_are_not_withdrawable(
        coop: Coop, member_accounts: dict[str, str], code: str) -> None:
    account = member_accounts[code]
    coop.refused(NotWithdrawable, "savings.withdraw", account=account, amount="1000",
                 cash_account=CASH)
    coop.refused(NotWithdrawable, "savings.transfer", from_account=account,
                 to_account=member_accounts["SUKARELA"], amount="1000")
    coop.refused(NotWithdrawable, "savings.close", account=account, payout_account=CASH)


def test_pokok_is_paid_once_at_its_fixed_amount(coop: Coop) -> None:
    coop.product("POKOK", "pokok", amount="100000")
    pokok = coop.open(coop.member(), "POKOK")
    coop.deposit(pokok, "60000")
    coop.refused(ValidationError, "savings.deposit", account=pokok, amount="40001",
                 cash_account=CASH)
    coop.deposit(pokok, "40000")
    assert coop.balance(pokok) == "100000.00"
    coop.refused(Conflict, "savings.open", member=coop.call(
        "savings.balance", account=pokok)["account"]["member_number"], product="POKOK")


def test_frozen_account_takes_deposits_but_pays_nothing_out(
        coop: Coop, member_accounts: dict[str, str]) -> None:
    sukarela = member_accounts["SUKARELA"]
    assert coop.call("accounts.freeze", account=sukarela)["status"] == "frozen"
    coop.refused(AccountFrozen, "savings.withdraw", account=sukarela, amount="1000",
                 cash_account=CASH)
    coop.deposit(sukarela, "1000")
    coop.call("accounts.unfreeze", account=sukarela)
    coop.withdraw(sukarela, "1000")


def test_a_hold_reduces_what_can_be_withdrawn_until_released(
        coop: Coop, member_accounts: dict[str, str]) -> None:
    sukarela = member_accounts["SUKARELA"]
    held = coop.call("accounts.hold", account=sukarela, amount="300000", reason="PPOB pending")
    assert held["account"]["available"]["amount"] == "200000.00"
    coop.refused(InsufficientFunds, "savings.withdraw", account=sukarela, amount="190001",
                 cash_account=CASH)
    coop.call("accounts.release-hold", account=sukarela, hold_id=held["hold_id"])
    coop.withdraw(sukarela, "490000")


def test_a_second_hold_with_the_same_reference_is_a_conflict(
        coop: Coop, member_accounts: dict[str, str]) -> None:
    sukarela = member_accounts["SUKARELA"]
    coop.call("accounts.hold", account=sukarela, amount="1000", reason="jaminan",
              reference="JMN-7")
    coop.refused(Conflict, "accounts.hold", account=sukarela, amount="1000", reason="jaminan",
                 reference="JMN-7")
    assert coop.call("accounts.get", account=sukarela)["held"]["amount"] == "1000.00"


def test_a_member_reads_their_own_savings_statement_and_no_one_elses(
        coop: Coop, member_accounts: dict[str, str]) -> None:
    ayu = member_accounts["SUKARELA"]
    made = coop.open(coop.member("I Made Wirawan"), "SUKARELA")
    coop.deposit(made, "70000")
    user = coop.member_user(member_accounts["member"])
    today = coop.today().isoformat()
    own = coop.call("accounts.statement", as_user=user, account=ayu, from_date=today,
                    to_date=today)
    assert own["closing_balance"]["amount"] == "500000.00"
    assert [line["credit"]["amount"] for line in own["lines"]] == ["500000.00"]
    with pytest.raises(Forbidden):
        coop.call("accounts.statement", as_user=user, account=made, from_date=today,
                  to_date=today)


def test_transfer_between_members_and_member_principals_touch_only_their_own(
        coop: Coop, member_accounts: dict[str, str]) -> None:
    ayu = member_accounts["SUKARELA"]
    other_member = coop.member("I Made Wirawan")
    made = coop.open(other_member, "SUKARELA")
    user = coop.member_user(member_accounts["member"])
    coop.call("savings.transfer", as_user=user, from_account=ayu, to_account=made,
              amount="125000")
    assert coop.balance(ayu) == "375000.00"
    assert coop.balance(made) == "125000.00"
    with pytest.raises(Forbidden):
        coop.call("savings.transfer", as_user=user, from_account=made, to_account=ayu,
                  amount="1000")
    with pytest.raises(Forbidden):
        coop.call("savings.balance", as_user=user, account=made)
    with pytest.raises(Forbidden):
        coop.call("savings.withdraw", as_user=user, account=ayu, amount="1000",
                  cash_account=CASH)
    own = coop.call("savings.balance", as_user=user, account=ayu)
    assert own["account"]["balance"]["amount"] == "375000.00"
    coop.books_balance()


def test_the_payer_sees_whose_savings_account_receives_a_transfer(
        coop: Coop, member_accounts: dict[str, str]) -> None:
    made = coop.open(coop.member("I Made Wirawan"), "SUKARELA")
    user = coop.member_user(member_accounts["member"])
    found = coop.call("savings.recipient", as_user=user, account=made)
    assert found == {"account": made, "name": "I Made Wirawan",
                     "product_code": "savings.sukarela"}
    # Only an open member savings account receives: not an internal account, not an unknown
    # number, not a closed account; each refused alike.
    closed = coop.open(coop.member("Ketut Sudarma"), "SUKARELA")
    coop.call("savings.close", account=closed, payout_account=CASH)
    for number in (CASH, "SS99999999", closed):
        with pytest.raises(NotFound, match="can receive a transfer"):
            coop.call("savings.recipient", as_user=user, account=number)


def test_closing_posts_accrued_interest_pays_out_and_refuses_further_postings(
        coop: Coop, member_accounts: dict[str, str]) -> None:
    sukarela = member_accounts["SUKARELA"]
    coop.close_days_until(coop.today().replace(day=15))  # 10 days at Rp500,000
    expected = (Decimal(500000) * 10 * Decimal("0.03") / 365).quantize(Decimal(1),
                                                                       "ROUND_HALF_UP")
    closed = coop.call("savings.close", account=sukarela, payout_account=CASH)
    assert closed["account"]["account"]["status"] == "closed"
    paid = Decimal(closed["payout"]["postings"][0]["amount"]["amount"])
    assert paid == Decimal(500000) + expected
    coop.refused(AccountClosed, "savings.deposit", account=sukarela, amount="1000",
                 cash_account=CASH)
    coop.books_balance()


def test_amounts_are_decimal_strings_never_floats(coop: Coop,
                                                  member_accounts: dict[str, str]) -> None:
    coop.refused(ValidationError, "savings.deposit", account=member_accounts["SUKARELA"],
                 amount=1000.5, cash_account=CASH)
    coop.refused(ValidationError, "savings.deposit", account=member_accounts["SUKARELA"],
                 amount="10.001", cash_account=CASH)


def test_concurrent_withdrawals_cannot_both_pass_the_minimum_balance(coop: Coop) -> None:
    # Both withdrawals keep the balance above zero (the kernel floor); only one keeps the
    # minimum balance.
    coop.product("SUKARELA", "sukarela", min_balance="30000")
    account = coop.open(coop.member(), "SUKARELA")
    coop.deposit(account, "100000")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def withdraw() -> None:
        barrier.wait()
        try:
            coop.withdraw(account, "40000")
            outcomes.append("paid")
        except InsufficientFunds:
            outcomes.append("refused")

    threads = [threading.Thread(target=withdraw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["paid", "refused"]
    assert coop.balance(account) == "60000.00"
    coop.books_balance()
