"""Days past due as they stood on a past date, for the health figures (kopcore_health_figures).

The end-to-end figures (outstanding, NPL, PPAP required and formed, borrowers) are checked
against a hand computation in the kernel's tests/test_health_assessment.py, through the
operations; here the date arithmetic that reads the schedule as of an earlier day.
"""

from __future__ import annotations

from datetime import date

from kopcore_loans.health import days_past_due_on, version_in_force
from kopcore_loans.loan import ScheduleRow


def row(seq: int, due: date, paid_on: date | None, *, version: int = 1) -> ScheduleRow:
    return ScheduleRow(id=seq, version=version, seq=seq, period_start=due, due_date=due,
                       principal=100_000, interest=9_000,
                       principal_paid=100_000 if paid_on else 0,
                       interest_paid=9_000 if paid_on else 0, interest_waived=0,
                       status="paid" if paid_on else "open", paid_on=paid_on)


def test_an_installment_paid_after_the_date_was_unpaid_on_it() -> None:
    rows = [row(1, date(2026, 2, 5), date(2026, 3, 20)), row(2, date(2026, 3, 5), None)]
    assert days_past_due_on(rows, date(2026, 2, 5)) == 0  # due that day: not late yet
    assert days_past_due_on(rows, date(2026, 3, 1)) == 24
    assert days_past_due_on(rows, date(2026, 3, 19)) == 42  # the oldest unpaid counts
    # Once the first is paid (03-20) the second, due 03-05, is the oldest unpaid.
    assert days_past_due_on(rows, date(2026, 3, 20)) == 15


def test_a_current_loan_is_zero_days_past_due() -> None:
    rows = [row(1, date(2026, 2, 5), date(2026, 2, 5)), row(2, date(2026, 3, 5), None)]
    assert days_past_due_on(rows, date(2026, 3, 4)) == 0


def test_the_scheduleversion_in_force_follows_the_restructurings() -> None:
    restructured = [date(2026, 4, 1), date(2026, 9, 1)]
    assert version_in_force(restructured, date(2026, 3, 31)) == 1
    assert version_in_force(restructured, date(2026, 4, 1)) == 2
    assert version_in_force(restructured, date(2026, 12, 31)) == 3
    assert version_in_force([], date(2026, 12, 31)) == 1
