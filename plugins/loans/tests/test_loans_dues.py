"""Loan installments as members' dues: declared through ``kopcore_member_dues`` and settled
through ``kopcore_settle_dues`` in one entry a collector (payroll deduction) composes.

Rp12,000,000 over 12 months at 18 % flat (Rp1,180,000 a month: Rp1,000,000 principal and
Rp180,000 interest), disbursed on 5 January 2026, due on the 5th of each month."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from kopcore_loans.loan import get_loan, schedule_rows
from kopcore_loans.tables import events
from loans_helpers import books_balance, cash, disbursed_loan, member, product, rp

from kopcore import ledger
from kopcore.context import Context
from kopcore.eod import run_end_of_day
from kopcore.errors import Conflict
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import DuePriority, DueSettlement, MemberDue, PostingLine, Side

BANK = "BANK-01"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def setup(kernel: Kernel) -> tuple[str, int]:
    def work(ctx: Context) -> tuple[str, int]:
        cash(ctx)
        ledger.open_account(ctx, name="Bank", gl_key="bank", plugin="kopcore", number=BANK)
        borrower = member(ctx)
        loan = disbursed_loan(ctx, borrower, product(ctx, accounting="cash").code)
        return loan.number, borrower.id

    number, member_id = kernel.write("admin", work)
    run_end_of_day(kernel, until=date(2026, 3, 20))
    return number, member_id


def dues(kernel: Kernel, member_id: int) -> list[MemberDue]:
    return [d for d in kernel.read("admin", lambda ctx: ledger.member_dues(
        ctx, [member_id], *MARCH)) if d.kind == "loans.installment"]


def settle(kernel: Kernel, pairs: list[tuple[MemberDue, Money]]) -> ledger.JournalEntry | None:
    total = sum((amount for _, amount in pairs), Money.zero())

    def work(ctx: Context) -> ledger.JournalEntry | None:
        return ledger.settle_dues(ctx, [DueSettlement(d, a) for d, a in pairs],
                                  [PostingLine(BANK, Side.DEBIT, total)], memo="Potongan gaji")
    return kernel.write("admin", work)


def test_hook_member_dues_lists_overdue_and_current_installments(loans_kernel: Kernel) -> None:
    number, member_id = setup(loans_kernel)
    found = dues(loans_kernel, member_id)
    assert [(d.priority, d.amount, d.due_date, d.account) for d in found] == [
        (DuePriority.OVERDUE, rp("1180000"), date(2026, 2, 5), found[0].account),
        (DuePriority.CURRENT, rp("1180000"), date(2026, 3, 5), found[0].account)]
    assert all(d.owner == "loans" and d.partial for d in found)
    assert "tunggakan" in found[0].description
    assert number in found[0].description


def test_hook_settle_dues_marks_installments_paid_in_one_entry(loans_kernel: Kernel) -> None:
    number, member_id = setup(loans_kernel)
    overdue, current = dues(loans_kernel, member_id)
    entry = settle(loans_kernel, [(overdue, rp("1180000")), (current, rp("500000"))])
    assert entry is not None

    def check(ctx: Context) -> None:
        loan = get_loan(ctx, number)
        rows = schedule_rows(ctx, loan.id)
        assert (rows[0].status, rows[0].paid_on) == ("paid", date(2026, 3, 20))
        # interest first, then principal (the product's order)
        assert (rows[1].status, rows[1].interest_paid, rows[1].principal_paid) == (
            "open", 18000000, 32000000)
        assert ledger.get_account(ctx, overdue.account).balance == rp("10680000")
        assert ledger.get_account(ctx, BANK).balance == rp("1680000")
        recorded = ctx.conn.execute(sa.select(events.c.kind, events.c.amount, events.c.entry_id)
                                    .where(events.c.loan_id == loan.id,
                                           events.c.kind == "repayment")).all()
        assert [tuple(r) for r in recorded] == [("repayment", 168000000, entry.id)]

    loans_kernel.read("auditor", check)
    # What is left of March's installment is still due, and is its arrears.
    [left] = dues(loans_kernel, member_id)
    assert (left.reference, left.amount) == (current.reference, rp("680000"))
    with pytest.raises(Conflict):
        settle(loans_kernel, [(overdue, rp("1"))])
    books_balance(loans_kernel)
