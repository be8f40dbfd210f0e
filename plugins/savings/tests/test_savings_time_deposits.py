"""Simpanan berjangka: placement, month-end accrual, maturity payout or rollover, early
withdrawal with penalty."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from savings_coop import CASH, Coop

from kopcore.errors import Conflict, NotWithdrawable

PRINCIPAL = Decimal(10_000_000)


def simple_interest(days: int) -> Decimal:
    return (PRINCIPAL * Decimal("0.06") * days / 365).quantize(Decimal(1), "ROUND_HALF_UP")


def gl(coop: Coop, key: str) -> Decimal:
    lines = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    return Decimal(lines[key]["balance"]["amount"]) if key in lines else Decimal(0)


@pytest.fixture
def deposit_coop(coop: Coop) -> Coop:
    coop.product("SUKARELA", "sukarela")
    coop.product("DEPO-1", "berjangka", interest_rate="6", term_months=1,
                 min_balance="1000000", penalty_rate="1")
    return coop


def place(coop: Coop, member: str, instruction: str) -> dict[str, Any]:
    return dict(coop.call("savings.place-deposit", member=member, product="DEPO-1",
                          amount=str(PRINCIPAL), source_account=CASH, instruction=instruction))


def test_maturity_pays_out_or_rolls_over_with_month_end_accrual(deposit_coop: Coop) -> None:
    coop = deposit_coop
    placed_on = coop.today()
    payer, roller = coop.member("Payout"), coop.member("Rollover")
    sukarela = coop.open(payer, "SUKARELA")
    paid = place(coop, payer, "payout")
    rolled = place(coop, roller, "rollover")
    maturity = date(2026, 2, 5)
    assert paid["maturity_on"] == rolled["maturity_on"] == maturity.isoformat()
    term = (maturity - placed_on).days
    assert Decimal(paid["interest_at_maturity"]["amount"]) == simple_interest(term)

    coop.close_days_until(date(2026, 2, 1))
    accrued = simple_interest((date(2026, 1, 31) - placed_on).days + 1)
    assert gl(coop, "savings.interest_payable") == 2 * accrued
    assert gl(coop, "savings.interest_expense") == 2 * accrued

    coop.close_days_until(maturity + timedelta(days=1))
    interest = simple_interest(term)
    assert Decimal(coop.balance(sukarela)) == PRINCIPAL + interest
    payout_account = str(paid["account"]["account"]["number"])
    assert coop.call("savings.deposit-get", account=payout_account)["status"] == "closed"
    again = coop.call("savings.deposit-get",
                      account=rolled["account"]["account"]["number"])
    assert again["status"] == "active"
    assert Decimal(again["principal"]["amount"]) == PRINCIPAL + interest
    assert again["maturity_on"] == "2026-03-05"
    assert gl(coop, "savings.interest_payable") == 0
    assert gl(coop, "savings.interest_expense") == 2 * interest
    coop.books_balance()


def test_early_withdrawal_forfeits_interest_and_pays_the_penalty(deposit_coop: Coop) -> None:
    coop = deposit_coop
    member = coop.member()
    coop.open(member, "SUKARELA")
    number = str(place(coop, member, "payout")["account"]["account"]["number"])
    coop.refused(NotWithdrawable, "savings.withdraw", account=number, amount="1000",
                 cash_account=CASH)
    coop.refused(Conflict, "savings.deposit", account=number, amount="1000", cash_account=CASH)
    coop.close_days_until(date(2026, 2, 2))
    assert gl(coop, "savings.interest_payable") > 0
    entry = coop.call("savings.deposit-withdraw", account=number, destination=CASH)
    to_member = next(Decimal(p["amount"]["amount"]) for p in entry["postings"]
                     if p["account"] == CASH)
    assert to_member == PRINCIPAL * Decimal("0.99")
    assert gl(coop, "savings.penalty_income") == PRINCIPAL / 100
    assert gl(coop, "savings.interest_payable") == 0
    assert gl(coop, "savings.interest_expense") == 0
    assert coop.call("savings.balance", account=number)["account"]["status"] == "closed"
    coop.refused(Conflict, "savings.deposit-withdraw", account=number, destination=CASH)
    coop.books_balance()
