"""How a payment is split and what an early settlement costs, on a schedule small enough to
check by hand: three monthly installments of Rp100,000 principal and Rp15,000 interest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from kopcore_loans.loan import Loan, ScheduleRow
from kopcore_loans.products import SettlementInterest
from kopcore_loans.repayment import RowPayment, allocate_payment, dues, settlement_quote

RP = 100  # sen per rupiah
ORDER = ("penalty", "interest", "principal")


def row(seq: int, start: date, due: date, *, principal_paid: int = 0, interest_paid: int = 0,
        status: str = "open") -> ScheduleRow:
    return ScheduleRow(seq, 1, seq, start, due, 100_000 * RP, 15_000 * RP, principal_paid,
                       interest_paid, 0, status, None)


#: Due on 31 January, 28 February and 31 March; each period starts on the previous due date.
ROWS = [row(1, date(2026, 1, 1), date(2026, 1, 31)),
        row(2, date(2026, 1, 31), date(2026, 2, 28)),
        row(3, date(2026, 2, 28), date(2026, 3, 31))]
FEBRUARY_28 = date(2026, 2, 28)
FEBRUARY_14 = date(2026, 2, 14)


def rupiah(parts: dict[int, RowPayment]) -> dict[int, tuple[int, int]]:
    return {k: (v.interest // RP, v.principal // RP) for k, v in parts.items()}


def test_a_payment_pays_penalty_then_due_interest_and_principal_then_prepays() -> None:
    # Rp300,000 on 28 February (rows 1 and 2 due, the second that very day), Rp5,000 penalty:
    # penalty 5,000; due interest 2 x 15,000; due principal 2 x 100,000 (235,000 so far); the
    # 65,000 left prepays row 3: its interest 15,000, then 50,000 of its principal.
    alloc = allocate_payment(300_000 * RP, 5_000 * RP, ROWS, FEBRUARY_28, ORDER)
    assert (alloc.penalty, alloc.interest, alloc.principal, alloc.left) == (
        5_000 * RP, 45_000 * RP, 250_000 * RP, 0)
    assert rupiah(alloc.rows) == {1: (15_000, 100_000), 2: (15_000, 100_000),
                                  3: (15_000, 50_000)}
    assert alloc.total == 300_000 * RP


def test_only_what_is_due_when_asked_and_the_rest_is_left() -> None:
    alloc = allocate_payment(300_000 * RP, 5_000 * RP, ROWS, FEBRUARY_28, ORDER,
                             dues_only=True)
    assert (alloc.penalty, alloc.interest, alloc.principal, alloc.left) == (
        5_000 * RP, 30_000 * RP, 200_000 * RP, 65_000 * RP)
    assert rupiah(alloc.rows) == {1: (15_000, 100_000), 2: (15_000, 100_000)}


def test_the_day_before_a_due_date_that_installment_is_not_yet_due() -> None:
    # On 27 February only row 1 is due: 5,000 + 15,000 + 100,000 = 120,000 of Rp150,000; the
    # 30,000 left prepays row 2 (interest first), not row 3.
    alloc = allocate_payment(150_000 * RP, 5_000 * RP, ROWS, date(2026, 2, 27), ORDER)
    assert rupiah(alloc.rows) == {1: (15_000, 100_000), 2: (15_000, 15_000)}
    assert alloc.left == 0


def test_the_products_order_decides_who_is_paid_first() -> None:
    # Principal first: Rp150,000 pays the two due principals (200,000 owed) as far as it goes.
    alloc = allocate_payment(150_000 * RP, 5_000 * RP, ROWS, FEBRUARY_28,
                             ("principal", "interest", "penalty"))
    assert (alloc.penalty, alloc.interest, alloc.principal) == (0, 0, 150_000 * RP)
    assert rupiah(alloc.rows) == {1: (0, 100_000), 2: (0, 50_000)}
    # A part left out of the order gets nothing, however much is paid.
    alloc = allocate_payment(1_000 * RP, 5_000 * RP, ROWS, FEBRUARY_28, ("interest", "principal"))
    assert (alloc.penalty, alloc.interest) == (0, 1_000 * RP)


def test_what_was_paid_before_and_paid_rows_are_not_asked_again() -> None:
    rows = [row(1, date(2026, 1, 1), date(2026, 1, 31), status="paid"),
            row(2, date(2026, 1, 31), date(2026, 2, 28), principal_paid=60_000 * RP,
                interest_paid=15_000 * RP),
            ROWS[2]]
    # Row 2 still owes Rp40,000 principal; Rp50,000 pays it and prepays 10,000 of row 3's
    # interest. Paying more than the schedule asks leaves the excess unallocated.
    alloc = allocate_payment(50_000 * RP, 0, rows, FEBRUARY_28, ORDER)
    assert rupiah(alloc.rows) == {2: (0, 40_000), 3: (10_000, 0)}
    alloc = allocate_payment(200_000 * RP, 0, rows, FEBRUARY_28, ORDER)
    assert alloc.left == (200_000 - 40_000 - 115_000) * RP


def test_a_negative_payment_is_refused() -> None:
    for amount in (-1, -50):
        with pytest.raises(ValueError, match="cannot be negative"):
            allocate_payment(amount, 0, ROWS, FEBRUARY_28, ORDER)
    assert allocate_payment(0, 5_000 * RP, ROWS, FEBRUARY_28, ORDER).total == 0


def loan(**values: Any) -> Loan:
    """A loan record with only what the functions under test read set meaningfully."""
    fields = {f.name: None for f in attrs.fields(Loan)}
    return Loan(**(fields | {"currency": "IDR", "rounding_unit": Decimal(1), "penalty_due": 0}
                   | values))


def test_dues_are_the_penalty_and_the_unpaid_installments_due_by_today() -> None:
    # On 28 February: Rp5,000 + 2 x (100,000 + 15,000) = Rp235,000; on the 27th, Rp120,000.
    assert dues(loan(penalty_due=5_000 * RP), ROWS, FEBRUARY_28) == 235_000 * RP
    assert dues(loan(penalty_due=5_000 * RP), ROWS, date(2026, 2, 27)) == 120_000 * RP


@pytest.mark.parametrize(("rule", "charges", "waived"), [
    # Settled on 14 February: row 1 is due (all its interest); row 2 has run 14 of its 28
    # days; row 3 has not started.
    (SettlementInterest.ACCRUED, {1: 15_000, 2: 7_500, 3: 0}, 22_500),  # 15,000 x 14/28
    (SettlementInterest.PERIOD, {1: 15_000, 2: 15_000, 3: 0}, 15_000),
    (SettlementInterest.ALL, {1: 15_000, 2: 15_000, 3: 15_000}, 0),
])
def test_an_early_settlement_charges_interest_by_the_products_rule(
        rule: SettlementInterest, charges: dict[int, int], waived: int) -> None:
    quote = settlement_quote(loan(penalty_due=2_000 * RP), ROWS, date(2026, 2, 14), rule)
    assert {k: v // RP for k, v in quote.charges.items()} == charges
    assert quote.interest == sum(charges.values()) * RP
    assert quote.interest_waived == waived * RP
    assert quote.principal == 300_000 * RP
    assert quote.penalty == 2_000 * RP
    assert quote.total == (2_000 + 300_000 + sum(charges.values())) * RP


def test_the_accrued_rule_never_charges_a_started_period_below_what_was_paid() -> None:
    # On 14 February row 2 has run 14 of its 28 days (Rp7,500 accrued), but Rp10,000 of its
    # interest was paid ahead: it is charged the 10,000 paid, so nothing more to pay, and
    # 5,000 of it is waived with the 15,000 of row 3, which has not started.
    rows = [attrs.evolve(ROWS[0], status="paid"),
            attrs.evolve(ROWS[1], interest_paid=10_000 * RP), ROWS[2]]
    quote = settlement_quote(loan(), rows, FEBRUARY_14, SettlementInterest.ACCRUED)
    assert {k: v // RP for k, v in quote.charges.items()} == {2: 10_000, 3: 0}
    assert (quote.interest, quote.interest_waived, quote.principal) == (
        0, 20_000 * RP, 200_000 * RP)


def test_the_period_rule_charges_a_period_from_its_first_day() -> None:
    # Settled on 31 January: row 1 is due that day (Rp15,000); row 2, here of Rp14,000
    # interest, starts that day, so the period rule charges all of it; row 3 has not started.
    rows = [ROWS[0], attrs.evolve(ROWS[1], interest=14_000 * RP), ROWS[2]]
    quote = settlement_quote(loan(), rows, date(2026, 1, 31), SettlementInterest.PERIOD)
    assert {k: v // RP for k, v in quote.charges.items()} == {1: 15_000, 2: 14_000, 3: 0}
    # 15,000 + 14,000 to pay; row 3's 15,000 waived.
    assert (quote.interest, quote.interest_waived) == (29_000 * RP, 15_000 * RP)


def test_a_row_due_on_the_settlement_day_is_charged_its_whole_interest_unrounded() -> None:
    # A restructuring on 14 February keeps what row 2 (Rp15,040 interest) had earned after 14
    # of its 28 days, 15,040 x 14 / 28 = Rp7,520 (rounded down to the sen, not to the
    # product's unit), as a row due that day; the new schedule starts the same day.
    kept = ScheduleRow(1, 2, 1, date(2026, 1, 31), FEBRUARY_14, 0, 7_520 * RP, 0, 0, 0,
                       "open", None)
    fresh = ScheduleRow(2, 2, 2, FEBRUARY_14, date(2026, 3, 14), 200_000 * RP, 2_000 * RP,
                        0, 0, 0, "open", None)
    # Settled that day under the accrued rule with a rounding unit of Rp100: the kept row is
    # due, so all Rp7,520 is charged (its 14 of 14 days would round to Rp7,500); the new
    # row has run 0 days: its Rp2,000 is waived.
    quote = settlement_quote(loan(rounding_unit=Decimal(100)), [kept, fresh], FEBRUARY_14,
                             SettlementInterest.ACCRUED)
    assert {k: v // RP for k, v in quote.charges.items()} == {1: 7_520, 2: 0}
    assert (quote.interest, quote.interest_waived, quote.principal) == (
        7_520 * RP, 2_000 * RP, 200_000 * RP)


def test_accrued_settlement_interest_rounds_half_up_and_never_below_what_was_paid() -> None:
    # Row 2 of Rp15,001 interest, 14 of 28 days: 7,500.50 -> Rp7,501 (half up to Rp1).
    rows = [ROWS[0], attrs.evolve(ROWS[1], interest=15_001 * RP),
            attrs.evolve(ROWS[2], interest_paid=4_000 * RP)]  # row 3 prepaid Rp4,000
    quote = settlement_quote(loan(), rows, date(2026, 2, 14), SettlementInterest.ACCRUED)
    assert {k: v // RP for k, v in quote.charges.items()} == {1: 15_000, 2: 7_501, 3: 4_000}
    # Interest still to pay: 15,000 + 7,501 + (4,000 - 4,000 paid) = Rp22,501; waived:
    # 0 + 7,500 + 11,000 = Rp18,500.
    assert quote.interest == 22_501 * RP
    assert quote.interest_waived == 18_500 * RP
    # On the period's first day nothing of it has accrued; paid rows are left out.
    quote = settlement_quote(loan(), [attrs.evolve(ROWS[0], status="paid"), ROWS[1]],
                             date(2026, 1, 31), SettlementInterest.ACCRUED)
    assert quote.charges == {2: 0}
    assert quote.principal == 100_000 * RP
