"""Installment schedules: pure functions, exact integer and rational arithmetic.

Amounts are integer minor units (sen for IDR); rates are exact ``Fraction``s. Rounding follows
DOMAIN.md §3: the interest of each period and the installment are rounded half up to the
product's rounding unit (Rp1 by default, Rp100 for some cooperatives) and the **last
installment absorbs the remainder**, so the principal parts always sum to the loan amount.

- flat: installment = P/n + P*r, interest every period = P*r;
- menurun (declining, equal principal): principal P/n, interest = outstanding*r;
- anuitas (annuity): A = P*r / (1 - (1+r)^-n), interest = outstanding*r, principal = A - interest;
- bullet (pinjaman tanpa angsuran, *sekaligus*): interest = P*r every period, the whole principal
  in the last installment (term 1: principal and interest in one payment at maturity).

Installments fall due daily, weekly, or every 1, 2, 3, 6 or 12 months. The rate of one period is
the annual rate divided by the periods in a year: 365 (daily, actual/365 as Indonesian
cooperatives quote it), 52, 12, 6, 4, 2 or 1.
"""

from __future__ import annotations

import calendar
import enum
import math
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import attrs


class InterestMethod(enum.StrEnum):
    FLAT = "flat"
    MENURUN = "menurun"
    ANUITAS = "anuitas"
    BULLET = "bullet"


class Frequency(enum.StrEnum):
    """How often installments fall due (the KSP kolektibilitas judges arrears against it)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    BIMONTHLY = "bimonthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"

    @property
    def periods_per_year(self) -> int:
        return _PERIODS_PER_YEAR[self]

    @property
    def months(self) -> int:
        """Calendar months between due dates; 0 for daily and weekly installments."""
        return 12 // self.periods_per_year if self.periods_per_year <= 12 else 0


_PERIODS_PER_YEAR = {Frequency.DAILY: 365, Frequency.WEEKLY: 52, Frequency.MONTHLY: 12,
                     Frequency.BIMONTHLY: 6, Frequency.QUARTERLY: 4, Frequency.SEMIANNUAL: 2,
                     Frequency.ANNUAL: 1}

#: The KSP kolektibilitas rule of a loan whose principal falls due in one payment.
WITHOUT_INSTALLMENTS = "bullet"


def arrears_basis(frequency: str, principal_installments: int) -> str:
    """What the KSP regime judges a loan's arrears against: its installment frequency, or
    :data:`WITHOUT_INSTALLMENTS` when the schedule in force asks for the principal in one
    installment (a bullet loan, or a single installment)."""
    return WITHOUT_INSTALLMENTS if principal_installments <= 1 else frequency


@attrs.frozen
class Installment:
    """One row of a schedule, in minor units."""

    seq: int
    period_start: date
    due_date: date
    principal: int
    interest: int
    outstanding_after: int

    @property
    def amount(self) -> int:
        return self.principal + self.interest


def round_half_up(value: Fraction, unit: int) -> int:
    """``value`` (minor units, exact) rounded half up to a multiple of ``unit`` minor units."""
    if unit <= 0:
        raise ValueError("rounding unit must be positive")
    units = value / unit
    rounded = math.floor(abs(units) + Fraction(1, 2))
    return (rounded if units >= 0 else -rounded) * unit


def periodic_rate(annual_rate_percent: Decimal, frequency: Frequency) -> Fraction:
    """The rate of one period as an exact fraction (18 % a year, monthly → 3/200)."""
    return Fraction(annual_rate_percent) / 100 / frequency.periods_per_year


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of a shorter month (31 Jan → 28 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_dates(start: date, term: int, frequency: Frequency) -> list[date]:
    """Due dates of ``term`` installments after ``start`` (the disbursement date)."""
    if frequency is Frequency.DAILY:
        return [start + timedelta(days=i) for i in range(1, term + 1)]
    if frequency is Frequency.WEEKLY:
        return [start + timedelta(weeks=i) for i in range(1, term + 1)]
    return [add_months(start, i * frequency.months) for i in range(1, term + 1)]


def annuity_installment(principal: int, rate: Fraction, term: int, unit: int) -> int:
    """A = P*r / (1 - (1+r)^-n), rounded half up to the unit (P/n when the rate is zero)."""
    if rate == 0:
        return round_half_up(Fraction(principal, term), unit)
    growth = (1 + rate) ** term
    return round_half_up(principal * rate * growth / (growth - 1), unit)


def build_schedule(
    principal: int,
    annual_rate_percent: Decimal,
    term: int,
    method: InterestMethod,
    frequency: Frequency,
    start: date,
    unit: int,
) -> list[Installment]:
    """The installments of a loan of ``principal`` minor units disbursed on ``start``.

    ``unit`` is the rounding unit in minor units (10000 sen = Rp100). Σ principal == principal
    exactly; the last installment takes whatever rounding left over.
    """
    if principal <= 0:
        raise ValueError("principal must be positive")
    if term <= 0:
        raise ValueError("term must be at least one installment")
    if annual_rate_percent < 0:
        raise ValueError("rate cannot be negative")
    rate = periodic_rate(annual_rate_percent, frequency)
    dates = due_dates(start, term, frequency)
    flat_interest = round_half_up(principal * rate, unit)
    flat_installment = round_half_up(Fraction(principal, term) + principal * rate, unit)
    equal_principal = round_half_up(Fraction(principal, term), unit)
    annuity = annuity_installment(principal, rate, term, unit)
    rows: list[Installment] = []
    outstanding = principal
    previous = start
    for seq, due in enumerate(dates, start=1):
        last = seq == term
        if method is InterestMethod.FLAT:
            interest = flat_interest
            part = flat_installment - interest
        elif method is InterestMethod.BULLET:
            interest = flat_interest
            part = 0
        elif method is InterestMethod.MENURUN:
            interest = round_half_up(outstanding * rate, unit)
            part = equal_principal
        else:
            interest = round_half_up(outstanding * rate, unit)
            part = annuity - interest
        # Never more than what is left (a large rounding unit on a small loan), never negative;
        # the last installment takes the remainder.
        part = outstanding if last else max(0, min(part, outstanding))
        outstanding -= part
        rows.append(Installment(seq, previous, due, part, interest, outstanding))
        previous = due
    return rows


def accrued_through(row_start: date, row_due: date, interest: int, day: date) -> int:
    """Interest of one period earned by the end of ``day``, pro rata by days, rounded down;
    the whole interest once the due date is reached."""
    if day >= row_due:
        return interest
    if day <= row_start:
        return 0
    return interest * (day - row_start).days // (row_due - row_start).days
