"""Jasa simpanan: DOMAIN.md's worked example and the closed form, through a month of end of day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from kopcore_savings import eod
from savings_coop import Coop

APRIL = [date(2026, 4, 1) + timedelta(days=n) for n in range(30)]
MONTH_END = date(2026, 4, 30)


def rupiah(payload: dict[str, str]) -> Decimal:
    return Decimal(payload["amount"])


def closed_form(daily: list[Decimal], rate: Fraction, year: int, minimum: Decimal) -> Decimal:
    """Sum of balance_d * i / Y over days at or above the minimum, rounded half up to Rp1."""
    exact = sum((Fraction(b) * rate / year for b in daily if b >= minimum), Fraction(0))
    return Decimal(int(exact + Fraction(1, 2)))


def daily_balances(coop: Coop, account: str) -> list[Decimal]:
    """End-of-day balance of each April day, read back from the statement."""
    statement = coop.call("accounts.statement", account=account, from_date="2026-04-01",
                          to_date="2026-04-30")
    balance = rupiah(statement["opening_balance"])
    out = []
    for day in APRIL:
        for line in statement["lines"]:
            if line["business_date"] == day.isoformat() and "Jasa simpanan" not in line["memo"]:
                balance = rupiah(line["balance"])
        out.append(balance)
    return out


def posted_interest(coop: Coop, account: str) -> Decimal:
    statement = coop.call("accounts.statement", account=account, from_date="2026-04-30",
                          to_date="2026-04-30")
    credits = [rupiah(x["credit"]) for x in statement["lines"] if "Jasa simpanan" in x["memo"]]
    assert len(credits) == 1
    return credits[0]


def test_a_month_of_end_of_day_gives_the_worked_example_and_the_closed_form(coop: Coop) -> None:
    coop.product("HARIAN", "sukarela", interest_rate="3", interest_method="daily")
    coop.product("RATA", "sukarela", interest_rate="3", interest_method="average")
    coop.product("TERENDAH", "sukarela", interest_rate="3", interest_method="lowest")
    coop.product("LAIN", "sukarela", interest_rate="4.5", days_in_year=360,
                 interest_min_balance="500000")
    coop.product("BESAR", "sukarela", interest_rate="3", tax_rate="10", tax_threshold="240000")
    coop.close_days_until(APRIL[0])
    member = coop.member()
    worked = {code: coop.open(member, code) for code in ("HARIAN", "RATA", "TERENDAH")}
    other, big = coop.open(member, "LAIN"), coop.open(member, "BESAR")

    # Days 1-10 at Rp1,000,000, days 11-30 at Rp3,000,000.
    for account in worked.values():
        coop.deposit(account, "1000000")
    coop.deposit(other, "800000")
    coop.deposit(big, "200000000")
    coop.close_days_until(date(2026, 4, 8))
    coop.withdraw(other, "400000")  # below the minimum for interest for a week
    coop.close_days_until(date(2026, 4, 11))
    accrued = coop.call("savings.balance", account=worked["HARIAN"])["accrued_interest"]
    assert rupiah(accrued) == closed_form([Decimal(1000000)] * 10, Fraction(3, 100), 365,
                                          Decimal(0))
    for account in worked.values():
        coop.deposit(account, "2000000")
    coop.close_days_until(date(2026, 4, 15))
    coop.deposit(other, "1250000")
    coop.close_days_until(date(2026, 4, 23))
    coop.withdraw(other, "150000")
    coop.close_days_until(MONTH_END + timedelta(days=1))

    # DOMAIN.md §2: Rp5,753.42 → Rp5,753 (daily and average), lowest balance Rp2,466.
    assert posted_interest(coop, worked["HARIAN"]) == Decimal("5753.00")
    assert posted_interest(coop, worked["RATA"]) == Decimal("5753.00")
    assert posted_interest(coop, worked["TERENDAH"]) == Decimal("2466.00")
    assert coop.balance(worked["HARIAN"]) == "3005753.00"

    # Other figures: 4.5 %, 360 days, nothing on days below Rp500,000.
    expected = closed_form(daily_balances(coop, other), Fraction(45, 1000), 360,
                           Decimal(500000))
    assert expected > 0
    assert posted_interest(coop, other) == expected

    # Above the threshold, 10 % withholding tax: the member gets gross - tax.
    gross = closed_form([Decimal(200000000)] * 30, Fraction(3, 100), 365, Decimal(0))
    tax = Decimal(int(Fraction(gross) / 10 + Fraction(1, 2)))
    assert posted_interest(coop, big) == gross - tax
    tb = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    assert rupiah(tb["payable.tax"]["balance"]) == tax
    total_gross = (Decimal(5753) * 2 + Decimal(2466) + expected + gross)
    assert rupiah(tb["savings.interest_expense"]["balance"]) == total_gross
    coop.books_balance()

    # Re-running the month-end day (and an earlier one) changes nothing.
    before = coop.snapshot()
    for task in eod.TASKS:
        for day in (date(2026, 4, 15), MONTH_END):
            rows = coop.kernel.write("system", lambda ctx, task=task, day=day: task.run(
                ctx, day, 0, 2**31 - 1), operation=f"eod.{task.name}")
            assert rows == 0, task.name
    assert coop.snapshot() == before
