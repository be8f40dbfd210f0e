"""End of day's rupiah rules on their own, worked out by hand: the day's penalty (denda) on what
is overdue beyond the grace days, and the share end of day rounds a penalty or an allowance
(PPAP) with: half up to the rupiah, the same for a negative amount."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from kopcore_loans.eod import _share, daily_penalty
from kopcore_loans.loan import ScheduleRow
from kopcore_loans.products import PenaltyBase

RP = 100  # sen per rupiah
DUE = date(2026, 2, 5)


def row(seq: int, due: date, *, principal: int = 1_000_000 * RP, interest: int = 180_000 * RP,
        principal_paid: int = 0, interest_paid: int = 0, status: str = "open") -> ScheduleRow:
    return ScheduleRow(seq, 1, seq, date(2026, 1, 5), due, principal, interest, principal_paid,
                       interest_paid, 0, status, None)


@pytest.mark.parametrize(("amount", "percent", "expected"), [
    (12_000_000 * RP, Fraction(1, 200), 60_000 * RP),  # 0.5 % of Rp12,000,000
    (12_345_700 * RP, Fraction(1, 200), 61_729 * RP),  # Rp61,728.50: half up
    (12_345_500 * RP, Fraction(1, 200), 61_728 * RP),  # Rp61,727.50 -> 61,728
    (12_345_499 * RP, Fraction(1, 200), 61_727 * RP),  # Rp61,727.495 -> 61,727
    (1_181_000 * RP, Fraction(1, 2000), 591 * RP),  # 0.05 % a day: Rp590.50 -> 591
    (99 * RP, Fraction(1, 200), 0),  # Rp0.495 -> 0
    (100 * RP, Fraction(1, 200), 1 * RP),  # Rp0.50 -> 1
    (-12_345_700 * RP, Fraction(1, 200), -61_729 * RP),  # a release rounds the same way
    (0, Fraction(1, 2), 0),
])
def test_a_share_is_rounded_half_up_to_the_rupiah(amount: int, percent: Fraction,
                                                   expected: int) -> None:
    assert _share(amount, percent, RP) == expected


def test_a_share_to_a_coarser_unit() -> None:
    # 10 % of Rp1,234,567 = Rp123,456.70: to Rp100 -> 123,500; to Rp1,000 -> 123,000.
    assert _share(1_234_567 * RP, Fraction(1, 10), 100 * RP) == 123_500 * RP
    assert _share(1_234_567 * RP, Fraction(1, 10), 1_000 * RP) == 123_000 * RP


def test_the_penalty_starts_the_day_after_the_grace_days() -> None:
    rows = [row(1, DUE), row(2, date(2026, 3, 5))]
    tenth = Fraction(1, 10)  # 0.1 % a day
    # The 5 February installment (Rp1,180,000) is 3 days late on the 8th: within 3 days of
    # grace, nothing; on the 9th, 4 days late: 0.1 % of 1,180,000 = Rp1,180.
    assert daily_penalty(rows, date(2026, 2, 8), 3, tenth, PenaltyBase.INSTALLMENT, RP) == 0
    assert daily_penalty(rows, date(2026, 2, 9), 3, tenth, PenaltyBase.INSTALLMENT, RP) \
        == 1_180 * RP
    # On the principal only: 0.1 % of Rp1,000,000.
    assert daily_penalty(rows, date(2026, 2, 9), 3, tenth, PenaltyBase.PRINCIPAL, RP) \
        == 1_000 * RP
    # Without grace days the due date itself is not late; the next day is.
    assert daily_penalty(rows, DUE, 0, tenth, PenaltyBase.INSTALLMENT, RP) == 0
    assert daily_penalty(rows, date(2026, 2, 6), 0, tenth, PenaltyBase.INSTALLMENT, RP) \
        == 1_180 * RP
    # No penalty rate, no penalty.
    assert daily_penalty(rows, date(2026, 4, 9), 0, Fraction(0), PenaltyBase.INSTALLMENT,
                         RP) == 0


def test_the_penalty_is_on_what_is_still_unpaid_rounded_half_up() -> None:
    # Both installments late on 9 March (32 and 4 days): the first has Rp400,000 principal and
    # Rp30,000 interest left, the second all of its Rp1,180,000; a paid one counts nothing.
    rows = [row(1, DUE, principal_paid=600_000 * RP, interest_paid=150_000 * RP),
            row(2, date(2026, 3, 5)), row(3, date(2026, 1, 5), status="paid")]
    day = date(2026, 3, 9)
    # 0.05 % of 1,610,000 = Rp805; of the principal, 1,400,000: Rp700.
    twentieth = Fraction(1, 20)
    assert daily_penalty(rows, day, 3, twentieth, PenaltyBase.INSTALLMENT, RP) == 805 * RP
    assert daily_penalty(rows, day, 3, twentieth, PenaltyBase.PRINCIPAL, RP) == 700 * RP
    # 0.05 % of Rp1,181,000 = Rp590.50 -> Rp591.
    odd = [row(1, DUE, interest=181_000 * RP)]
    assert daily_penalty(odd, day, 3, twentieth, PenaltyBase.INSTALLMENT, RP) == 591 * RP
    # One sen left unpaid is still overdue: at 100 % a day, to the sen, one sen.
    sen = [row(1, DUE, principal_paid=1_000_000 * RP - 1, interest_paid=180_000 * RP)]
    assert daily_penalty(sen, day, 3, Fraction(100), PenaltyBase.PRINCIPAL, 1) == 1


def test_a_share_to_the_sen_rounds_a_negative_half_away_from_zero() -> None:
    # To one minor unit: -1 x 1 is -1; -3 x 1/2 = -1.5 -> -2, as 1.5 -> 2.
    assert _share(-1, Fraction(1), 1) == -1
    assert _share(-3, Fraction(1, 2), 1) == -2
    assert _share(3, Fraction(1, 2), 1) == 2
    # 0.15 % a day (3/2000) of Rp1,000,000: Rp1,500.
    assert _share(1_000_000 * RP, Fraction(3, 2000), RP) == 1_500 * RP
