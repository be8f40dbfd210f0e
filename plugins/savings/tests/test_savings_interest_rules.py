"""Jasa simpanan rules without a database: the three methods, the minimum balance for
interest, rate spans, rounding and withholding tax, each against figures worked out by hand."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from kopcore_savings.interest import (
    MonthAmount,
    RateSpan,
    exact_interest,
    interest_amount,
    round_half_up,
    total_amount,
)
from kopcore_savings.products import DormantPolicy, InterestMethod, SavingsProduct, SavingsType

from kopcore.money import Money


def _product(method: InterestMethod, minimum: int = 0, year: int = 365) -> SavingsProduct:
    return SavingsProduct(
        "T", "T", SavingsType.SUKARELA, "IDR",
        "savings.sukarela", None, 0, 30000, method, year, minimum, 1, 100, 100000, 24000000,
        "savings.interest_expense", None,
        DormantPolicy.ALLOW, False,
        "income.other", None, 0, date(2026, 1, 5))


def test_the_three_methods_agree_with_the_formulas_in_minor_units() -> None:
    spans = [RateSpan(30000, 10, 10 * 100_000_000, 10 * 100_000_000, 100_000_000),
             RateSpan(30000, 20, 20 * 300_000_000, 20 * 300_000_000, 300_000_000)]
    daily = exact_interest(_product(InterestMethod.DAILY), spans)
    average = exact_interest(_product(InterestMethod.AVERAGE), spans)
    lowest = exact_interest(_product(InterestMethod.LOWEST), spans)
    assert daily == average == Fraction(7_000_000_000 * 3, 100 * 365)
    assert lowest == Fraction(100_000_000 * 3 * 30, 100 * 365)
    assert round_half_up(daily, 100) == 575300
    assert round_half_up(lowest, 100) == 246600


def test_the_minimum_balance_for_interest_applies_per_method() -> None:
    spans = [RateSpan(30000, 15, 15 * 40_000_000, 0, 40_000_000),
             RateSpan(30000, 15, 15 * 80_000_000, 15 * 80_000_000, 80_000_000)]
    minimum = 50_000_000  # Rp500,000
    assert exact_interest(_product(InterestMethod.DAILY, minimum), spans) == Fraction(
        15 * 80_000_000 * 3, 100 * 365)
    assert exact_interest(_product(InterestMethod.AVERAGE, minimum), spans) == Fraction(
        (15 * 40_000_000 + 15 * 80_000_000) * 3, 100 * 365)
    assert exact_interest(_product(InterestMethod.LOWEST, minimum), spans) == 0
    assert exact_interest(_product(InterestMethod.AVERAGE, 70_000_000), spans) == 0


@pytest.mark.parametrize(("exact", "unit", "rounded"), [
    (Fraction(575342, 1), 100, 575300),
    (Fraction(575350, 1), 100, 575400),  # exactly half a rupiah goes up
    (Fraction(575349, 1) + Fraction(99, 100), 100, 575300),
    (Fraction(1234_50, 1), 10000, 1200_00),  # Rp1,234.50 to Rp100 → Rp1,200
    (Fraction(1250_00, 1), 10000, 1300_00),
])
def test_rounding_is_half_up_once_to_the_unit(exact: Fraction, unit: int, rounded: int) -> None:
    assert round_half_up(exact, unit) == rounded


def test_withholding_tax_starts_above_the_threshold() -> None:
    product = _product(InterestMethod.DAILY)  # 10 % above Rp240,000
    at = interest_amount(product, Fraction(24_000_000))
    above = interest_amount(product, Fraction(24_000_100))
    assert (at.gross, at.tax) == (24_000_000, 0)
    assert (above.gross, above.tax, above.net) == (24_000_100, 2_400_000, 21_600_100)
    assert Money(above.net).to_str() == "216001.00"


def test_a_balance_exactly_on_the_minimum_earns_by_every_method() -> None:
    # Rp500,000 all 30 days, minimum Rp500,000, 3 %: 500,000 x 3 % x 30 / 365 = Rp1,232.88.
    on = [RateSpan(30000, 30, 30 * 50_000_000, 30 * 50_000_000, 50_000_000)]
    for method in InterestMethod:
        assert exact_interest(_product(method, 50_000_000), on) == Fraction(
            50_000_000 * 3 * 30, 100 * 365), method
    # One sen under it, every day: nothing, by every method.
    under = [RateSpan(30000, 30, 30 * 49_999_999, 0, 49_999_999)]
    for method in InterestMethod:
        assert exact_interest(_product(method, 50_000_000), under) == 0, method


def test_a_rate_changed_inside_the_period_counts_each_rate_for_its_days() -> None:
    # Rp1,000,000 all period: 10 days at 3 % then 17 days at 6 %, the same by every method:
    # 1,000,000 x (3 % x 10 + 6 % x 17) / 365 = 1,320,000 / 365 = Rp3,616.44 -> Rp3,616.
    spans = [RateSpan(30000, 10, 10 * 100_000_000, 10 * 100_000_000, 100_000_000),
             RateSpan(60000, 17, 17 * 100_000_000, 17 * 100_000_000, 100_000_000)]
    for method in InterestMethod:
        exact = exact_interest(_product(method), spans)
        assert exact == Fraction(100_000_000 * 1_320_000, 365 * 1_000_000), method
        assert round_half_up(exact, 100) == 361_600


def test_no_accrual_days_and_zero_balances_earn_nothing() -> None:
    zero = [RateSpan(30000, 30, 0, 0, 0)]
    for method in InterestMethod:
        assert exact_interest(_product(method), []) == 0
        assert exact_interest(_product(method), zero) == 0
    nothing = interest_amount(_product(InterestMethod.DAILY), Fraction(0))
    assert (nothing.gross, nothing.tax, nothing.net) == (0, 0, 0)


def test_interest_is_never_negative() -> None:
    for value in (Fraction(-1, 2), Fraction(-1), Fraction(-575342)):
        with pytest.raises(ValueError, match="never negative"):
            round_half_up(value, 100)
    assert round_half_up(Fraction(0), 100) == 0


def test_the_spans_may_be_any_iterable() -> None:
    # The same two spans as a list and as a one-pass iterator: Rp3,616.44 either way.
    spans = [RateSpan(30000, 10, 10 * 100_000_000, 10 * 100_000_000, 100_000_000),
             RateSpan(60000, 17, 17 * 100_000_000, 17 * 100_000_000, 100_000_000)]
    for method in InterestMethod:
        assert exact_interest(_product(method), iter(spans)) == exact_interest(
            _product(method), spans) == Fraction(100_000_000 * 1_320_000, 365 * 1_000_000)


def test_one_sen_for_one_day_earns_its_exact_fraction() -> None:
    # 1 sen x 3 % / 365 = 30,000 / 365,000,000 sen: tiny, not zero, by every method.
    one_sen = [RateSpan(30000, 1, 1, 1, 1)]
    for method in InterestMethod:
        assert exact_interest(_product(method), one_sen) == Fraction(30000, 365 * 1_000_000)


def test_a_period_adds_up_its_months_even_given_them_one_by_one() -> None:
    # January Rp3,000 gross with Rp300 tax, February Rp1 gross untaxed: Rp3,001, Rp300 tax,
    # Rp2,701 net, whether the months come as a list or one at a time.
    months = [MonthAmount(date(2026, 1, 1), 300_000, 30_000),
              MonthAmount(date(2026, 2, 1), 100, 0)]
    for given in (months, iter(months)):
        amount = total_amount(given)
        assert (amount.gross, amount.tax, amount.net) == (300_100, 30_000, 270_100)
