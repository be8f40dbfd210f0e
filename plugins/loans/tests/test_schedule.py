"""Schedules: the worked examples of DOMAIN.md §3 exactly, more cases, and properties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kopcore_loans.schedule import (
    WITHOUT_INSTALLMENTS,
    Frequency,
    InterestMethod,
    accrued_through,
    add_months,
    arrears_basis,
    build_schedule,
    round_half_up,
)

RP = 100  # minor units (sen) per rupiah
START = date(2026, 1, 5)


def rupiah(rows: list, attr: str) -> list[int]:
    return [getattr(r, attr) // RP for r in rows]


def worked(method: InterestMethod) -> list:
    return build_schedule(12_000_000 * RP, Decimal(18), 12, method, Frequency.MONTHLY, START,
                          RP)


def test_flat_worked_example() -> None:
    rows = worked(InterestMethod.FLAT)
    assert [r.amount // RP for r in rows] == [1_180_000] * 12
    assert rupiah(rows, "interest") == [180_000] * 12
    assert sum(r.interest for r in rows) == 2_160_000 * RP
    assert sum(r.principal for r in rows) == 12_000_000 * RP


def test_anuitas_worked_example() -> None:
    rows = worked(InterestMethod.ANUITAS)
    assert [r.amount // RP for r in rows] == [1_100_160] * 12
    assert (rows[0].interest // RP, rows[0].principal // RP) == (180_000, 920_160)
    assert rows[1].interest // RP == 166_198
    assert sum(r.interest for r in rows) == 1_201_920 * RP
    assert sum(r.principal for r in rows) == 12_000_000 * RP
    assert rows[-1].outstanding_after == 0


def test_menurun_worked_example() -> None:
    rows = worked(InterestMethod.MENURUN)
    assert rows[0].amount == 1_180_000 * RP
    assert rows[-1].amount == 1_015_000 * RP
    assert rupiah(rows, "principal") == [1_000_000] * 12
    assert sum(r.interest for r in rows) == 1_170_000 * RP


def test_monthly_due_dates_clamp_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 31), 2) == date(2026, 3, 31)
    rows = worked(InterestMethod.FLAT)
    assert rows[0].period_start == START
    assert rows[0].due_date == date(2026, 2, 5)
    assert rows[-1].due_date == date(2027, 1, 5)


def test_weekly_flat_with_odd_amount_last_installment_absorbs_remainder() -> None:
    # Rp1,000,003 over 10 weeks at 26 %/yr: P*r = 5,000.015 -> 5,000; P/n + P*r -> 105,000.
    rows = build_schedule(1_000_003 * RP, Decimal(26), 10, InterestMethod.FLAT,
                          Frequency.WEEKLY, START, RP)
    assert [r.due_date for r in rows[:2]] == [date(2026, 1, 12), date(2026, 1, 19)]
    assert rupiah(rows, "interest") == [5_000] * 10
    assert [r.amount // RP for r in rows[:-1]] == [105_000] * 9
    assert rows[-1].principal == 100_003 * RP  # 1,000,003 - 9 x 100,000
    assert sum(r.principal for r in rows) == 1_000_003 * RP


def test_rounding_unit_rp100() -> None:
    rows = build_schedule(12_345_678 * RP, Decimal(18), 12, InterestMethod.ANUITAS,
                          Frequency.MONTHLY, START, 100 * RP)
    # A = 1,131,851.67... -> Rp1,131,900; interest 185,185.17 -> Rp185,200.
    assert rows[0].amount == 1_131_900 * RP
    assert rows[0].interest == 185_200 * RP
    assert all(r.interest % (100 * RP) == 0 for r in rows)
    assert all(r.amount % (100 * RP) == 0 for r in rows[:-1])
    assert sum(r.principal for r in rows) == 12_345_678 * RP


def test_menurun_rp100_odd_amount() -> None:
    rows = build_schedule(1_000_050 * RP, Decimal(12), 3, InterestMethod.MENURUN,
                          Frequency.MONTHLY, START, 100 * RP)
    # P/3 = 333,350 -> 333,400 (half up to Rp100); the last takes 333,250.
    assert rupiah(rows, "principal") == [333_400, 333_400, 333_250]
    assert rupiah(rows, "interest") == [10_000, 6_700, 3_300]


def test_zero_rate_annuity_is_equal_principal() -> None:
    rows = build_schedule(1_000_000 * RP, Decimal(0), 3, InterestMethod.ANUITAS,
                          Frequency.MONTHLY, START, RP)
    assert rupiah(rows, "principal") == [333_333, 333_333, 333_334]
    assert sum(r.interest for r in rows) == 0


def test_installments_fall_due_daily_to_yearly() -> None:
    def dues(frequency: Frequency) -> list[date]:
        return [r.due_date for r in build_schedule(1_200_000 * RP, Decimal(12), 3,
                                                   InterestMethod.FLAT, frequency, START, RP)]

    assert dues(Frequency.DAILY) == [date(2026, 1, 6), date(2026, 1, 7), date(2026, 1, 8)]
    assert dues(Frequency.BIMONTHLY) == [date(2026, 3, 5), date(2026, 5, 5), date(2026, 7, 5)]
    assert dues(Frequency.QUARTERLY) == [date(2026, 4, 5), date(2026, 7, 5), date(2026, 10, 5)]
    assert dues(Frequency.SEMIANNUAL) == [date(2026, 7, 5), date(2027, 1, 5), date(2027, 7, 5)]
    assert dues(Frequency.ANNUAL) == [date(2027, 1, 5), date(2028, 1, 5), date(2029, 1, 5)]
    # Counted from the disbursement each time, so a month end stays a month end.
    end = [r.due_date for r in build_schedule(1_200_000 * RP, Decimal(12), 3, InterestMethod.FLAT,
                                              Frequency.QUARTERLY, date(2026, 1, 31), RP)]
    assert end == [date(2026, 4, 30), date(2026, 7, 31), date(2026, 10, 31)]


def test_a_daily_flat_loan() -> None:
    # Rp3,000,000 over 30 days at 36.5 % a year: 0.1 % a day (actual/365), Rp3,000 interest and
    # Rp100,000 principal each day.
    rows = build_schedule(3_000_000 * RP, Decimal("36.5"), 30, InterestMethod.FLAT,
                          Frequency.DAILY, START, RP)
    assert set(rupiah(rows, "interest")) == {3_000}
    assert set(rupiah(rows, "principal")) == {100_000}
    assert rows[-1].due_date == date(2026, 2, 4)


def test_a_bullet_loan_pays_interest_by_period_and_the_principal_at_maturity() -> None:
    # Rp10,000,000 for a year at 12 %, interest every quarter: Rp300,000 a quarter.
    rows = build_schedule(10_000_000 * RP, Decimal(12), 4, InterestMethod.BULLET,
                          Frequency.QUARTERLY, START, RP)
    assert rupiah(rows, "interest") == [300_000] * 4
    assert rupiah(rows, "principal") == [0, 0, 0, 10_000_000]
    assert rupiah(rows, "outstanding_after") == [10_000_000] * 3 + [0]
    # Interest too at maturity: one installment of principal and a year's interest.
    (once,) = build_schedule(10_000_000 * RP, Decimal(12), 1, InterestMethod.BULLET,
                             Frequency.ANNUAL, START, RP)
    assert (once.due_date, once.amount // RP) == (date(2027, 1, 5), 11_200_000)


def test_the_ksp_arrears_basis_of_a_loan() -> None:
    def basis(method: InterestMethod, frequency: Frequency, term: int) -> str:
        rows = build_schedule(1_200_000 * RP, Decimal(12), term, method, frequency, START, RP)
        return arrears_basis(frequency.value, sum(1 for r in rows if r.principal))

    assert basis(InterestMethod.FLAT, Frequency.WEEKLY, 26) == "weekly"
    assert basis(InterestMethod.BULLET, Frequency.MONTHLY, 12) == WITHOUT_INSTALLMENTS
    assert basis(InterestMethod.ANUITAS, Frequency.SEMIANNUAL, 1) == WITHOUT_INSTALLMENTS


def test_round_half_up() -> None:
    assert round_half_up(Fraction(50), 100) == 100
    assert round_half_up(Fraction(49), 100) == 0
    assert round_half_up(Fraction(-50), 100) == -100
    assert round_half_up(Fraction(0), 100) == 0


@pytest.mark.parametrize("unit", [0, -1, -100])
def test_a_rounding_unit_must_be_positive(unit: int) -> None:
    with pytest.raises(ValueError, match="rounding unit must be positive"):
        round_half_up(Fraction(50), unit)


@pytest.mark.parametrize("rate", [Decimal("-0.5"), Decimal("-0.01"), Decimal(-18)])
def test_a_negative_rate_is_refused(rate: Decimal) -> None:
    with pytest.raises(ValueError, match="rate cannot be negative"):
        build_schedule(1_000_000 * RP, rate, 12, InterestMethod.FLAT, Frequency.MONTHLY,
                       START, RP)


def test_each_period_starts_on_the_previous_due_date() -> None:
    rows = worked(InterestMethod.ANUITAS)
    assert [(r.period_start, r.due_date) for r in rows[:3]] == [
        (date(2026, 1, 5), date(2026, 2, 5)), (date(2026, 2, 5), date(2026, 3, 5)),
        (date(2026, 3, 5), date(2026, 4, 5))]


def test_interest_accrues_pro_rata_by_whole_days_rounded_down() -> None:
    start, due = date(2026, 1, 5), date(2026, 2, 4)  # a 30-day period
    # Rp300.01 of interest (30,001 sen): after 10 days 30,001 x 10 / 30 = 10,000.33 -> 10,000.
    assert accrued_through(start, due, 30_001, date(2026, 1, 15)) == 10_000
    assert accrued_through(start, due, 30_001, date(2026, 1, 6)) == 1_000  # 1,000.03
    assert accrued_through(start, due, 30_001, date(2026, 2, 3)) == 29_000  # 29,000.97
    # Nothing on or before the period's first day; all of it from the due date on.
    assert accrued_through(start, due, 30_001, start) == 0
    assert accrued_through(start, due, 30_001, date(2026, 1, 1)) == 0
    assert accrued_through(start, due, 30_001, due) == 30_001
    assert accrued_through(start, due, 30_001, date(2026, 3, 1)) == 30_001


@pytest.mark.parametrize("bad", [{"principal": 0}, {"term": 0}])
def test_invalid_inputs_are_refused(bad: dict[str, int]) -> None:
    args = {"principal": 100, "term": 1} | bad
    with pytest.raises(ValueError, match=r"must be positive|at least one"):
        build_schedule(args["principal"], Decimal(1), args["term"], InterestMethod.FLAT,
                       Frequency.MONTHLY, START, RP)


@given(
    principal=st.integers(1, 10**12),
    rate=st.decimals(0, 60, places=2),
    term=st.integers(1, 120),
    method=st.sampled_from(InterestMethod),
    frequency=st.sampled_from(Frequency),
    unit=st.sampled_from([1, RP, 100 * RP, 1000 * RP]),
)
def test_principal_parts_sum_to_the_loan_exactly(principal: int, rate: Decimal, term: int,
                                                 method: InterestMethod, frequency: Frequency,
                                                 unit: int) -> None:
    rows = build_schedule(principal, rate, term, method, frequency, START, unit)
    assert len(rows) == term
    assert sum(r.principal for r in rows) == principal
    assert all(r.principal >= 0 and r.interest >= 0 for r in rows)
    assert all(r.interest % unit == 0 for r in rows)
    assert rows[-1].outstanding_after == 0
    assert [r.due_date for r in rows] == sorted({r.due_date for r in rows})
    if method is InterestMethod.FLAT:
        assert len({r.interest for r in rows}) == 1
