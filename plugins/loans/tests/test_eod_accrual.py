"""Daily interest accrual and the figures end of day reads from the database, worked out by hand.

Loans of Rp12,000,000 (and Rp6,000,000) over 12 months at 18 % flat, disbursed on 5 January
2026: Rp180,000 (Rp90,000) interest a month, the first period 31 days to 5 February."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from kopcore_loans.eod import accrue_interest, chunk_figures
from kopcore_loans.loan import Loan, get_loan
from kopcore_loans.products import PenaltyBase
from kopcore_loans.tables import installments, loans, products
from loans_helpers import balance, books_balance, cash, disbursed_loan, member, product

from kopcore import query
from kopcore.context import Context
from kopcore.eod import run_end_of_day
from kopcore.kernel import Kernel

RP = 100
INCOME = "GL-loans.interest_income"


def _rewrite_schedule(ctx: Context, loan_id: int, rows: list[tuple[Any, ...]]) -> None:
    """Replace the loan's schedule with ``rows``: (version, seq, period_start, due_date,
    principal, interest, principal_paid, interest_paid, interest_waived, status)."""
    ctx.conn.execute(sa.delete(installments).where(installments.c.loan_id == loan_id))
    keys = ("version", "seq", "period_start", "due_date", "principal", "interest",
            "principal_paid", "interest_paid", "interest_waived", "status")
    if rows:
        ctx.conn.execute(installments.insert(), [
            {"loan_id": loan_id, **dict(zip(keys, row, strict=True))} for row in rows])


def _figures(ctx: Context, loan_id: int, day: date, *, grace_days: int = 3,
             base: PenaltyBase = PenaltyBase.INSTALLMENT) -> dict[str, Any]:
    product_id = ctx.conn.execute(
        sa.select(loans.c.product_id).where(loans.c.id == loan_id)).scalar_one()
    ctx.conn.execute(sa.update(products).where(products.c.id == product_id)
                     .values(grace_days=grace_days, penalty_base=base.value))
    (row,) = chunk_figures(ctx, day, loan_id, loan_id)
    names = ("accrues", "earned", "dpd", "overdue", "principal_since", "interest_since",
             "interest_arrears")
    return dict(zip(names, row[10:17], strict=True))


def _loans(kernel: Kernel, *specs: tuple[str, str]) -> list[Loan]:
    """Disburse a loan per (accounting, amount) on 5 January."""
    def work(ctx: Context) -> list[Loan]:
        cash(ctx)
        return [disbursed_loan(ctx, member(ctx, f"Peminjam {k}"),
                               product(ctx, accounting=accounting).code, amount)
                for k, (accounting, amount) in enumerate(specs)]
    return kernel.write("admin", work)


#: The schedule of test_eod's hand-computed case (see there): every case the rules tell apart.
HAND_SCHEDULE = [
    (1, 1, date(2026, 1, 5), date(2026, 2, 5), 1000, 100, 0, 40, 0, "superseded"),
    (2, 1, date(2026, 1, 5), date(2026, 2, 5), 1000, 100, 1000, 100, 0, "paid"),
    (2, 2, date(2026, 1, 10), date(2026, 2, 10), 200, 20, 200, 20, 0, "open"),  # nothing unpaid
    (2, 3, date(2026, 2, 5), date(2026, 3, 5), 1000, 100, 400, 30, 0, "open"),  # 15 days late
    (2, 4, date(2026, 3, 5), date(2026, 4, 5), 1000, 93, 0, 0, 0, "open"),  # in progress
    (2, 5, date(2026, 4, 5), date(2026, 5, 5), 1000, 90, 0, 60, 0, "open"),  # interest paid ahead
    (2, 6, date(2026, 3, 10), date(2026, 3, 17), 500, 50, 0, 10, 20, "open"),  # waived, in grace
    (2, 7, date(2026, 2, 20), date(2026, 3, 20), 300, 28, 0, 0, 0, "open"),  # due on the day
]


def test_the_arrears_figures_of_a_hand_computed_schedule(loans_kernel: Kernel) -> None:
    (loan,) = _loans(loans_kernel, ("accrual", "12000000"))

    def work(ctx: Context) -> None:
        _rewrite_schedule(ctx, loan.id, HAND_SCHEDULE)
        # On 20 March the open rows due by then are those of 10 February (nothing unpaid),
        # 5 March (600 principal, 70 interest), 17 March (500 principal, 50 - 20 waived - 10
        # paid = 20 interest) and 20 March (300, 28). Principal and interest are both unpaid
        # since 5 March; interest in arrears 70 + 20 + 28 = 118. The superseded and paid rows
        # count for nothing, whatever they say.
        assert _figures(ctx, loan.id, date(2026, 3, 20)) == {
            "accrues": 1, "earned": 423, "dpd": 15, "overdue": 670,
            "principal_since": date(2026, 3, 5), "interest_since": date(2026, 3, 5),
            "interest_arrears": 118}
        # The day before, the 20 March row is not due: its 28 is not in arrears yet.
        assert _figures(ctx, loan.id, date(2026, 3, 19))["interest_arrears"] == 90
    loans_kernel.write("admin", work)


def test_one_sen_unpaid_is_in_arrears(loans_kernel: Kernel) -> None:
    (loan,) = _loans(loans_kernel, ("accrual", "12000000"))

    def work(ctx: Context) -> None:
        _rewrite_schedule(ctx, loan.id, [
            # 5 February: one sen of principal left; 5 March: one sen of interest left.
            (1, 1, date(2026, 1, 5), date(2026, 2, 5), 1000, 100, 999, 100, 0, "open"),
            (1, 2, date(2026, 2, 5), date(2026, 3, 5), 1000, 100, 1000, 99, 0, "open"),
            (1, 3, date(2026, 3, 5), date(2026, 4, 5), 1000, 100, 0, 0, 0, "open"),
        ])
        # On 20 March: 43 days past due (since 5 February); earned 100 + 100 + 100 x 15 // 31
        # = 48; overdue beyond 3 days 1 + 1 sen, of the principal 1 sen.
        expected = {"accrues": 1, "earned": 248, "dpd": 43, "overdue": 2,
                    "principal_since": date(2026, 2, 5), "interest_since": date(2026, 3, 5),
                    "interest_arrears": 1}
        assert _figures(ctx, loan.id, date(2026, 3, 20)) == expected
        assert _figures(ctx, loan.id, date(2026, 3, 20), base=PenaltyBase.PRINCIPAL
                        )["overdue"] == 1
        # A loan with no schedule at all earns and owes nothing.
        _rewrite_schedule(ctx, loan.id, [])
        assert _figures(ctx, loan.id, date(2026, 3, 20)) == {
            "accrues": 1, "earned": 0, "dpd": 0, "overdue": 0, "principal_since": None,
            "interest_since": None, "interest_arrears": 0}
    loans_kernel.write("admin", work)


def test_only_accrual_basis_loans_accrue_and_recognise_daily(loans_kernel: Kernel) -> None:
    accrual, cash_basis = _loans(loans_kernel, ("accrual", "12000000"), ("cash", "12000000"))
    run_end_of_day(loans_kernel, until=date(2026, 1, 21))  # closed up to 20 January
    # 15 of the first period's 31 days: 18,000,000 sen x 15 // 31 = 8,709,677 sen.
    assert balance(loans_kernel, f"{accrual.number}-J") == 8_709_677
    assert balance(loans_kernel, f"{cash_basis.number}-J") == 0
    assert balance(loans_kernel, INCOME) == 8_709_677

    def recognised(ctx: Context) -> list[int]:
        return [get_loan(ctx, n.number).interest_recognized for n in (accrual, cash_basis)]
    assert loans_kernel.read("x", recognised) == [8_709_677, 0]
    books_balance(loans_kernel)


def test_accrual_on_its_own_posts_one_entry_and_recognises_what_was_earned(
        loans_kernel: Kernel) -> None:
    big, small, cash_basis = _loans(loans_kernel, ("accrual", "12000000"),
                                    ("accrual", "6000000"), ("cash", "6000000"))
    low, high = big.id, cash_basis.id

    def accrue(day: date) -> tuple[int, int]:
        """(loans accrued, journal entries posted) by accruing to the end of ``day``."""
        def work(ctx: Context) -> tuple[int, int]:
            count = sa.select(sa.func.count()).select_from(query.journal_entries)
            before = ctx.conn.execute(count).scalar_one()
            done = accrue_interest(ctx, day, low, high)
            return done, ctx.conn.execute(count).scalar_one() - before
        return loans_kernel.write("system", work)

    assert accrue(date(2026, 1, 5)) == (0, 0)  # the disbursement day: nothing yet
    # 10 of 31 days: 18,000,000 x 10 // 31 = 5,806,451 and 9,000,000 x 10 // 31 = 2,903,225.
    assert accrue(date(2026, 1, 15)) == (2, 1)
    assert accrue(date(2026, 1, 15)) == (0, 0)  # the same day again: nothing more

    def recognised(ctx: Context) -> list[int]:
        return [get_loan(ctx, n.number).interest_recognized for n in (big, small, cash_basis)]
    assert loans_kernel.read("x", recognised) == [5_806_451, 2_903_225, 0]
    assert balance(loans_kernel, INCOME) == 5_806_451 + 2_903_225
    # On the due date each has earned the whole month's interest.
    assert accrue(date(2026, 1, 5) + timedelta(days=31)) == (2, 1)
    assert loans_kernel.read("x", recognised) == [18_000_000, 9_000_000, 0]
    assert balance(loans_kernel, f"{small.number}-J") == 9_000_000
    books_balance(loans_kernel)


def test_a_doubtful_loan_accrues_nothing(loans_kernel: Kernel) -> None:
    doubtful, current = _loans(loans_kernel, ("accrual", "12000000"), ("accrual", "12000000"))

    def work(ctx: Context) -> tuple[int, list[int]]:
        # Classed Diragukan (D): its interest waits until it is received.
        ctx.conn.execute(sa.update(loans).where(loans.c.id == doubtful.id)
                         .values(collectibility="D"))
        done = accrue_interest(ctx, date(2026, 1, 15), doubtful.id, current.id)
        return done, [get_loan(ctx, n.number).interest_recognized for n in (doubtful, current)]
    # Only the current loan accrues its 10 of 31 days: 18,000,000 x 10 // 31 = 5,806,451 sen.
    assert loans_kernel.write("system", work) == (1, [0, 5_806_451])
    assert balance(loans_kernel, f"{doubtful.number}-J") == 0
