"""Arrears as they stood on a past date, for the health figures (kopcore_health_figures).

The end-to-end figures (outstanding, NPL, PPAP required and formed, borrowers) are checked
against a hand computation in the kernel's tests/test_health_assessment.py, through the
operations; here the date arithmetic that reads the schedule as of an earlier day.
"""

from __future__ import annotations

from datetime import date

import attrs
from kopcore_loans.health import arrears_on, version_in_force
from kopcore_loans.loan import ScheduleRow


def row(seq: int, due: date, paid_on: date | None, *, version: int = 1) -> ScheduleRow:
    return ScheduleRow(id=seq, version=version, seq=seq, period_start=due, due_date=due,
                       principal=100_000, interest=9_000,
                       principal_paid=100_000 if paid_on else 0,
                       interest_paid=9_000 if paid_on else 0, interest_waived=0,
                       status="paid" if paid_on else "open", paid_on=paid_on)


def dpd(rows: list[ScheduleRow], day: date, paid_later: tuple[int, int] = (0, 0)) -> int:
    return arrears_on(rows, day, paid_later).days_past_due(day)


def test_an_installment_paid_after_the_date_was_unpaid_on_it() -> None:
    # Both paid today; the first by a payment on 03-20 (Rp9,000 interest, Rp100,000
    # principal), the second by one on 03-25.
    rows = [row(1, date(2026, 2, 5), date(2026, 3, 20)), row(2, date(2026, 3, 5),
                                                             date(2026, 3, 25))]
    both, second = (18_000, 200_000), (9_000, 100_000)
    assert dpd(rows, date(2026, 2, 5), both) == 0  # due that day: not late yet
    assert dpd(rows, date(2026, 3, 1), both) == 24
    assert dpd(rows, date(2026, 3, 19), both) == 42  # the oldest unpaid counts
    # Once the first is paid (03-20) the second, due 03-05, is the oldest unpaid.
    assert dpd(rows, date(2026, 3, 20), second) == 15
    assert dpd(rows, date(2026, 3, 25)) == 0


def test_a_current_loan_is_zero_days_past_due() -> None:
    rows = [row(1, date(2026, 2, 5), date(2026, 2, 5)), row(2, date(2026, 3, 5), None)]
    assert dpd(rows, date(2026, 3, 4)) == 0


def test_interest_paid_is_not_in_arrears_and_each_part_has_its_own_oldest() -> None:
    # Three installments of Rp100,000 + Rp9,000. Interest first: Rp27,000 paid the three
    # interests, no principal: principal in arrears from the first, interest from none.
    rows = [row(n, date(2026, n + 1, 5), None) for n in (1, 2, 3)]
    paid = [attrs.evolve(r, interest_paid=9_000) for r in rows]
    state = arrears_on(paid, date(2026, 4, 30))
    assert (state.principal_since, state.interest_since, state.interest_arrears) == (
        date(2026, 2, 5), None, 0)
    # Principal first: Rp250,000 paid two principals and half the third; all interest unpaid.
    paid = [attrs.evolve(r, principal_paid=p) for r, p in zip(rows, (100_000, 100_000, 50_000),
                                                             strict=True)]
    state = arrears_on(paid, date(2026, 4, 30))
    assert (state.principal_since, state.interest_since, state.interest_arrears) == (
        date(2026, 4, 5), date(2026, 2, 5), 27_000)
    # On 31 March, before a payment of Rp150,000 principal made in April: then Rp100,000 of
    # principal was paid, the second installment the oldest with principal unpaid.
    state = arrears_on(paid, date(2026, 3, 31), (0, 150_000))
    assert (state.oldest, state.principal_since, state.interest_since,
            state.interest_arrears) == (date(2026, 2, 5), date(2026, 3, 5), date(2026, 2, 5),
                                        18_000)


def test_the_scheduleversion_in_force_follows_the_restructurings() -> None:
    restructured = [date(2026, 4, 1), date(2026, 9, 1)]
    assert version_in_force(restructured, date(2026, 3, 31)) == 1
    assert version_in_force(restructured, date(2026, 4, 1)) == 2
    assert version_in_force(restructured, date(2026, 12, 31)) == 3
    assert version_in_force([], date(2026, 12, 31)) == 1
