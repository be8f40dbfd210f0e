"""What a repayment posts, worked out by hand: Rp12,000,000 over 12 months at 18 % flat
(Rp1,180,000 a month: Rp1,000,000 principal and Rp180,000 interest), disbursed on 5 January,
first due on 5 February, penalty 0.1 % a day of the overdue installment after 3 grace days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from kopcore_loans.loan import get_loan
from kopcore_loans.repayment import repay
from kopcore_loans.tables import events
from loans_helpers import CASH, books_balance, cash, disbursed_loan, member, product

from kopcore import ledger
from kopcore.context import Context
from kopcore.eod import run_end_of_day
from kopcore.errors import ValidationError
from kopcore.kernel import Kernel
from kopcore.money import Money

RP = 100


def pay(kernel: Kernel, accounting: str, amount: str) -> dict[str, Any]:
    """Disburse a loan, close the days to 10 February, pay ``amount`` on the 11th; return
    the payment's entry lines by account, the loan after it and its event."""

    def disburse(ctx: Context) -> str:
        cash(ctx)
        code = product(ctx, accounting=accounting, penalty_percent_per_day=Decimal("0.1"),
                       grace_days=3).code
        return disbursed_loan(ctx, member(ctx), code).number

    number = kernel.write("admin", disburse)
    run_end_of_day(kernel, until=date(2026, 2, 11))

    def work(ctx: Context) -> dict[str, Any]:
        before = get_loan(ctx, number)
        loan, entry, _ = repay(ctx, before, ledger.get_account(ctx, CASH), Money.parse(amount),
                               memo="angsuran")
        assert entry is not None
        event = ctx.conn.execute(sa.select(events).where(
            events.c.loan_id == loan.id, events.c.kind == "repayment")).one()
        return {"number": number, "before": before, "after": loan, "event": event,
                "lines": {p.account_number: p.amount.minor for p in entry.postings},
                "entry_id": entry.id}

    return kernel.write("teller", work)


def test_an_accrual_basis_payment_credits_the_receivable_first(loans_kernel: Kernel) -> None:
    # By 10 February: period 1's Rp180,000 accrued in full, period 2 (5 February to 5 March,
    # 28 days) 5 days of it: 18,000,000 sen x 5 // 28 = 3,214,285 sen; receivable 21,214,285.
    # Penalty on the 9th and 10th (4 and 5 days late): 2 x 0.1 % x 1,180,000 = Rp2,360.
    # Paid Rp2,362,360: penalty 2,360; interest 2 x 180,000 (one due, one prepaid);
    # principal 2 x 1,000,000. Of the 36,000,000 sen interest, 21,214,285 clears the
    # receivable and 14,785,715 is income now.
    paid = pay(loans_kernel, "accrual", "2362360")
    number, before, after = paid["number"], paid["before"], paid["after"]
    assert (before.penalty_due, before.interest_recognized) == (236_000, 21_214_285)
    assert paid["lines"] == {
        CASH: 236_236_000, number: -200_000_000, f"{number}-J": -21_214_285,
        "GL-loans.interest_income": -14_785_715, "GL-loans.penalty_income": -236_000}
    assert (after.penalty_due, after.interest_recognized) == (0, 36_000_000)
    event = paid["event"]
    assert (event.amount, event.penalty, event.interest, event.principal, event.entry_id) == (
        236_236_000, 236_000, 36_000_000, 200_000_000, paid["entry_id"])
    assert event.note == "angsuran"
    books_balance(loans_kernel)


def test_a_cash_basis_payment_recognises_its_interest_when_paid(loans_kernel: Kernel) -> None:
    # Nothing accrues on a cash basis: the first installment with its penalty, Rp1,182,360,
    # credits Rp180,000 interest straight to income and recognises it.
    paid = pay(loans_kernel, "cash", "1182360")
    number, before, after = paid["number"], paid["before"], paid["after"]
    assert (before.penalty_due, before.interest_recognized) == (236_000, 0)
    assert paid["lines"] == {
        CASH: 118_236_000, number: -100_000_000, "GL-loans.interest_income": -18_000_000,
        "GL-loans.penalty_income": -236_000}
    assert (after.penalty_due, after.interest_recognized) == (0, 18_000_000)
    books_balance(loans_kernel)


def test_a_long_memo_is_cut_to_500_characters_and_nothing_is_no_payment(
        loans_kernel: Kernel) -> None:
    def disburse(ctx: Context) -> str:
        cash(ctx)
        return disbursed_loan(ctx, member(ctx), product(ctx, accounting="cash").code).number

    number = loans_kernel.write("admin", disburse)
    run_end_of_day(loans_kernel, until=date(2026, 1, 5) + timedelta(days=31))

    def work(ctx: Context) -> str:
        loan = get_loan(ctx, number)
        for amount in ("0", "-1"):
            with pytest.raises(ValidationError, match="amount must be positive"):
                repay(ctx, loan, ledger.get_account(ctx, CASH), Money.parse(amount), memo="x")
        _, entry, _ = repay(ctx, loan, ledger.get_account(ctx, CASH), Money.parse("1180000"),
                            memo="x" * 501)
        assert entry is not None
        return entry.memo

    assert loans_kernel.write("teller", work) == "x" * 500
