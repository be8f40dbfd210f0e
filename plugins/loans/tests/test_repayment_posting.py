"""What a repayment posts, worked out by hand: Rp12,000,000 over 12 months at 18 % flat
(Rp1,180,000 a month: Rp1,000,000 principal and Rp180,000 interest), disbursed on 5 January,
first due on 5 February, penalty 0.1 % a day of the overdue installment after 3 grace days."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from kopcore_loans.loan import get_loan, schedule_rows
from kopcore_loans.repayment import repay, settle
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
    # The borrower is told of it (an event for their channel): Rp2,362,360 paid, and
    # 12,000,000 - 2 x 1,000,000 = Rp10,000,000 principal left.
    told = loans_kernel.db.read(lambda conn: conn.execute(sa.text(
        "SELECT payload FROM events WHERE type = 'loans.payment-received'")).scalars().all())
    assert [(json.loads(p)["amount"], json.loads(p)["outstanding"], json.loads(p)["kind"])
            for p in told] == [("2362360.00", "10000000.00", "repayment")]
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


def test_an_early_settlement_charges_accrued_interest_and_waives_the_rest(
        loans_kernel: Kernel) -> None:
    # On 11 February the first installment and its penalty are paid, with Rp10,000 more that
    # prepays period 2's interest (Rp1,192,360). Then the loan is settled (interest accrued to
    # date): period 2 has run 6 of its 28 days, 18,000,000 sen x 6 / 28 = 3,857,142.86 sen
    # -> Rp38,571, of which Rp10,000 is paid: Rp28,571 interest and Rp11,000,000 principal.
    # Waived: 180,000 - 38,571 = Rp141,429 of period 2 and 10 x Rp180,000 of periods 3-12.
    paid = pay(loans_kernel, "accrual", "1192360")

    def work(ctx: Context) -> dict[str, Any]:
        loan, entry, quote = settle(ctx, get_loan(ctx, paid["number"]),
                                    ledger.get_account(ctx, CASH))
        assert entry is not None
        return {"loan": loan, "quote": quote, "rows": schedule_rows(ctx, loan.id),
                "lines": {p.account_number: p.amount.minor for p in entry.postings}}

    done = loans_kernel.write("teller", work)
    quote, number = done["quote"], paid["number"]
    assert (quote.penalty, quote.interest, quote.principal) == (0, 2_857_100, 1_100_000_000)
    assert quote.interest_waived == 14_142_900 + 10 * 18_000_000
    # Receivable left after the first payment: 21,214,285 - 19,000,000 = 2,214,285 sen; the
    # rest of the 2,857,100 is income now.
    assert done["lines"] == {CASH: 1_102_857_100, number: -1_100_000_000,
                             f"{number}-J": -2_214_285, "GL-loans.interest_income": -642_815}
    rows = done["rows"]
    assert [(r.interest_paid, r.interest_waived, r.status) for r in rows[:3]] == [
        (18_000_000, 0, "paid"), (3_857_100, 14_142_900, "paid"), (0, 18_000_000, "paid")]
    assert {r.status for r in rows} == {"paid"}
    assert done["loan"].status.value == "closed"
    books_balance(loans_kernel)


def test_principal_first_then_one_sen_of_interest(loans_kernel: Kernel) -> None:
    # Principal first, cash basis, paid on 5 February: Rp1,000,000 is all principal (nothing
    # recognised); then Rp0.01 is one sen of the first installment's interest, income at once.
    def disburse(ctx: Context) -> str:
        cash(ctx)
        code = product(ctx, accounting="cash", allocation_order="principal,interest,penalty")
        return disbursed_loan(ctx, member(ctx), code.code).number

    number = loans_kernel.write("admin", disburse)
    run_end_of_day(loans_kernel, until=date(2026, 2, 5))

    def work(ctx: Context) -> list[tuple[dict[str, int], int]]:
        done = []
        for amount in ("1000000", "0.01"):
            loan, entry, _ = repay(ctx, get_loan(ctx, number), ledger.get_account(ctx, CASH),
                                   Money.parse(amount), memo="angsuran")
            assert entry is not None
            done.append(({p.account_number: p.amount.minor for p in entry.postings},
                         loan.interest_recognized))
        return done

    assert loans_kernel.write("teller", work) == [
        ({CASH: 100_000_000, number: -100_000_000}, 0),
        ({CASH: 1, "GL-loans.interest_income": -1}, 1)]
