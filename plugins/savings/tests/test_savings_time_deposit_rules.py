"""The time deposit rules on their own, worked out by hand: the maturity date a term gives, the
term's interest split by calendar month (the withholding tax is judged per month), and the
lines that clear the month-end accrual at maturity. Rp10,000,000 at 6 % a year, 365 days:
Rp1,643.8356… a day."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import pytest
from kopcore_savings.accounts import SavingsAccount
from kopcore_savings.interest import MonthAmount
from kopcore_savings.products import DormantPolicy, InterestMethod, SavingsProduct, SavingsType
from kopcore_savings.time_deposits import (
    TimeDeposit,
    _interest_lines,
    add_months,
    deposit_months,
)

from kopcore.money import Money
from kopcore.records import Side

RP = 100  # sen per rupiah


def product(rounding_unit: int = RP, tax_threshold: int = 240_000 * RP) -> SavingsProduct:
    """Berjangka at 6 %, 365 days, 10 % tax above the month's threshold."""
    return SavingsProduct(
        code="DEPO", name="Deposito", type=SavingsType.BERJANGKA, currency="IDR",
        gl_key="savings.berjangka", amount=None, min_balance=0, rate_ppm=60_000,
        interest_method=InterestMethod.DAILY, days_in_year=365, interest_min_balance=0,
        posting_months=1, rounding_unit=rounding_unit, tax_rate_ppm=100_000,
        tax_threshold=tax_threshold, expense_gl_key="savings.interest_expense",
        dormant_after_days=None, dormant_policy=DormantPolicy.ALLOW, auto_debit=False,
        arrears_gl_key="income.other", term_months=2, penalty_ppm=10_000,
        created_on=date(2026, 1, 1))


def deposit(placed_on: date, maturity_on: date, *, principal: int = 10_000_000 * RP,
            accrued: int = 0, **product_args: Any) -> TimeDeposit:
    account: Any = SimpleNamespace(currency="IDR", id=1, number="SB-1")
    savings = SavingsAccount(account, product(**product_args), 1, placed_on, placed_on, None)
    return TimeDeposit(savings, principal, 60_000, 2, placed_on, maturity_on, "payout", None,
                       accrued, "active")


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 20), 1, date(2026, 2, 20)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no 31 February: the month's last day
    (date(2028, 1, 31), 1, date(2028, 2, 29)),  # a leap year
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 1, 31), 11, date(2026, 12, 31)),  # into December of the same year
    (date(2026, 12, 15), 1, date(2027, 1, 15)),  # into January of the next
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 1, 5), 12, date(2027, 1, 5)),
    (date(2026, 1, 5), 24, date(2028, 1, 5)),
])
def test_a_term_in_months_ends_on_the_same_day_or_the_months_last(
        day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_the_interest_of_a_term_is_simple_and_never_runs_past_maturity() -> None:
    d = deposit(date(2026, 1, 20), date(2026, 3, 20))
    assert d.term_days == 59  # 11 days of January, 28 of February, 20 of March
    # 1,000,000,000 sen x 6 % x 12 / 365 = 1,972,602.739… sen.
    assert d.interest_for(12) == Fraction(1_000_000_000 * 6 * 12, 100 * 365)
    assert d.interest_for(59) == d.interest_for(60) == d.interest_for(365) == Fraction(
        1_000_000_000 * 6 * 59, 100 * 365)


def test_the_terms_interest_is_split_by_calendar_month() -> None:
    # Placed on 20 January for two months. Running interest, rounded half up to the rupiah:
    # 12 days to 1 February Rp19,726.03 -> 19,726; 40 days to 1 March Rp65,753.42 -> 65,753;
    # all 59 days Rp96,986.30 -> 96,986. Each month gets the difference.
    months = deposit_months(deposit(date(2026, 1, 20), date(2026, 3, 20)))
    assert months == [MonthAmount(date(2026, 1, 1), 19_726 * RP, 0),
                      MonthAmount(date(2026, 2, 1), 46_027 * RP, 0),
                      MonthAmount(date(2026, 3, 1), 31_233 * RP, 0)]


def test_the_running_interest_is_exact_to_the_sen() -> None:
    # Rounded to the sen: 1,972,602.74 -> 1,972,603; 6,575,342.47 -> 6,575,342;
    # 9,698,630.14 -> 9,698,630 sen.
    months = deposit_months(deposit(date(2026, 1, 20), date(2026, 3, 20), rounding_unit=1))
    assert [m.gross for m in months] == [1_972_603, 6_575_342 - 1_972_603,
                                         9_698_630 - 6_575_342]


def test_a_term_ending_on_the_first_of_a_month_has_no_month_after_it() -> None:
    # 1 January to 1 February: 31 days, Rp50,958.90 -> Rp50,959, all of it January's.
    months = deposit_months(deposit(date(2026, 1, 1), date(2026, 2, 1)))
    assert months == [MonthAmount(date(2026, 1, 1), 50_959 * RP, 0)]


def test_only_the_months_above_the_threshold_are_taxed() -> None:
    # Rp100,000,000 from 5 January to 5 February: January's 27 days earn Rp443,835.62 ->
    # Rp443,836, above Rp240,000: 10 % of it, Rp44,383.60 -> Rp44,384. February's 4 days bring
    # the whole to Rp509,589.04 -> 509,589: Rp65,753, untaxed.
    months = deposit_months(deposit(date(2026, 1, 5), date(2026, 2, 5),
                                    principal=100_000_000 * RP))
    assert months == [MonthAmount(date(2026, 1, 1), 443_836 * RP, 44_384 * RP),
                      MonthAmount(date(2026, 2, 1), 65_753 * RP, 0)]


def lines(d: TimeDeposit, gross: int, tax: int) -> list[tuple[str, Side, int]]:
    return [(line.account, line.side, line.amount.minor)
            for line in _interest_lines(d, gross, tax)]


def test_maturity_clears_the_accrual_and_expenses_the_rest() -> None:
    jan_20, mar_20 = date(2026, 1, 20), date(2026, 3, 20)
    payable, expense, tax = ("GL-savings.interest_payable", "GL-savings.interest_expense",
                             "GL-payable.tax")
    # Rp65,753 accrued by the end of February; the term earned Rp96,986: Rp31,233 more.
    accrued = deposit(jan_20, mar_20, accrued=65_753 * RP)
    assert lines(accrued, 96_986 * RP, 0) == [(payable, Side.DEBIT, 65_753 * RP),
                                               (expense, Side.DEBIT, 31_233 * RP)]
    # One sen more than accrued is still an expense; exactly the accrual expenses nothing.
    assert lines(accrued, 65_753 * RP + 1, 0) == [(payable, Side.DEBIT, 65_753 * RP),
                                                   (expense, Side.DEBIT, 1)]
    assert lines(accrued, 65_753 * RP, 0) == [(payable, Side.DEBIT, 65_753 * RP)]
    # Less than accrued gives the difference back to the expense.
    assert lines(accrued, 65_000 * RP, 0) == [(payable, Side.DEBIT, 65_753 * RP),
                                               (expense, Side.CREDIT, 753 * RP)]
    # Nothing accrued: all of it is expensed, and the tax withheld is owed to the state.
    fresh = deposit(jan_20, mar_20)
    assert lines(fresh, 509_589 * RP, 44_384 * RP) == [(expense, Side.DEBIT, 509_589 * RP),
                                                        (tax, Side.CREDIT, 44_384 * RP)]
    assert [line.amount for line in _interest_lines(fresh, 1, 0)] == [Money(1, "IDR")]
