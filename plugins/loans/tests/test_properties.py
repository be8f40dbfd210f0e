"""Properties over random products and payment histories.

For any product and any sequence of payments and days passing: the principal repaid never
exceeds the principal, every payment is allocated completely, the schedule and the ledger agree,
and the books stay balanced (trial balance and the kernel's invariants).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from kopcore_loans import repayment
from kopcore_loans.loan import LoanStatus, ScheduleRow, get_loan, schedule_rows
from kopcore_loans.products import ALLOCATION_PARTS
from kopcore_loans.repayment import allocate_payment
from kopcore_loans.schedule import Frequency, InterestMethod
from loans_helpers import CASH, books_balance, cash, disbursed_loan, member, product

from kopcore import ledger
from kopcore.context import Context
from kopcore.eod import run_end_of_day
from kopcore.errors import ValidationError
from kopcore.kernel import Kernel
from kopcore.money import Money

RP = 100

products_ = st.fixed_dictionaries({
    "method": st.sampled_from(InterestMethod),
    "frequency": st.sampled_from(Frequency),
    "annual_rate": st.decimals(0, 48, places=1),
    "rounding_unit": st.sampled_from([Decimal(1), Decimal(100)]),
    "accounting": st.sampled_from(["accrual", "cash"]),
    "penalty_percent_per_day": st.sampled_from([Decimal(0), Decimal("0.1")]),
    "allocation_order": st.sampled_from(["penalty,interest,principal",
                                         "principal,interest,penalty"]),
    "settlement_interest": st.sampled_from(["accrued", "period", "all"]),
})
# (days to let pass, amount to pay in rupiah; 0 = nothing)
histories = st.lists(st.tuples(st.integers(0, 10), st.integers(0, 1_500_000)),
                     min_size=1, max_size=4)


def test_random_payment_histories_keep_the_books_straight(make_kernel) -> None:
    kernel: Kernel = make_kernel(plugins=("loans",))
    kernel.write("admin", cash)

    @given(terms=products_, amount=st.integers(100_000, 3_000_000), term=st.integers(1, 8),
           history=histories, settle_at_end=st.booleans())
    def run(terms: dict[str, object], amount: int, term: int,
            history: list[tuple[int, int]], settle_at_end: bool) -> None:
        loan = kernel.write("admin", lambda ctx: disbursed_loan(
            ctx, member(ctx), product(ctx, **terms).code, amount=str(amount), term=term))
        repaid = 0
        for days, paid in history:
            if days:
                today = kernel.read("x", lambda ctx: ctx.business_date)
                run_end_of_day(kernel, until=today + timedelta(days=days))
            if not paid:
                continue

            def pay(ctx: Context, paid: int = paid) -> repayment.Allocation | None:
                current = get_loan(ctx, loan.number)
                if current.status is not LoanStatus.ACTIVE:
                    return None
                try:
                    _, entry, alloc = repayment.repay(
                        ctx, current, ledger.get_account(ctx, CASH), Money(paid * RP),
                        memo="angsuran")
                except ValidationError:
                    return None  # more than the schedule asks: refused, nothing posted
                assert alloc.total == paid * RP
                assert alloc.left == 0
                assert entry.postings[0].amount.minor == paid * RP
                return alloc
            alloc = kernel.write("teller", pay)
            if alloc is not None:
                repaid += alloc.principal
            assert repaid <= amount * RP
        if settle_at_end:
            def settle(ctx: Context) -> None:
                current = get_loan(ctx, loan.number)
                if current.status is LoanStatus.ACTIVE:
                    repayment.settle(ctx, current, ledger.get_account(ctx, CASH))
            kernel.write("teller", settle)

        def check(ctx: Context) -> None:
            current = get_loan(ctx, loan.number)
            rows = schedule_rows(ctx, current.id)
            principal_paid = sum(r.principal_paid for r in rows)
            assert principal_paid <= amount * RP
            outstanding = ledger.get_account(ctx, loan.number).balance.minor
            assert outstanding == amount * RP - principal_paid
            receivable = ledger.get_account(ctx, f"{loan.number}-J").balance.minor
            assert receivable >= 0
            assert receivable == current.interest_recognized - sum(r.interest_paid for r in rows)
            if settle_at_end:
                assert current.status is LoanStatus.CLOSED
        kernel.read("x", check)
        books_balance(kernel)

    run()


@st.composite
def schedules(draw: st.DrawFn) -> list[ScheduleRow]:
    count = draw(st.integers(1, 6))
    rows = []
    for n in range(count):
        principal = draw(st.integers(0, 10_000))
        interest = draw(st.integers(0, 5_000))
        rows.append(ScheduleRow(
            n + 1, 1, n + 1, date(2026, 1, 1) + timedelta(days=30 * n),
            date(2026, 1, 31) + timedelta(days=30 * n), principal, interest,
            draw(st.integers(0, principal)), draw(st.integers(0, interest)), 0, "open", None))
    return rows


@given(rows=schedules(), penalty=st.integers(0, 3_000), amount=st.integers(0, 100_000),
       today=st.dates(date(2026, 1, 1), date(2026, 8, 1)),
       order=st.permutations(ALLOCATION_PARTS), dues_only=st.booleans())
def test_allocation_is_complete_and_never_overpays(rows: list[ScheduleRow], penalty: int,
                                                  amount: int, today: date,
                                                  order: list[str], dues_only: bool) -> None:
    alloc = allocate_payment(amount, penalty, rows, today, order, dues_only=dues_only)
    assert alloc.total + alloc.left == amount
    assert 0 <= alloc.penalty <= penalty
    by_id = {r.id: r for r in rows}
    for row_id, part in alloc.rows.items():
        row = by_id[row_id]
        assert 0 <= part.interest <= row.interest_unpaid
        assert 0 <= part.principal <= row.principal_unpaid
        if dues_only:
            assert row.due_date <= today
    owed = penalty + sum(r.unpaid for r in rows
                         if not dues_only or r.due_date <= today)
    assert alloc.left == max(0, amount - owed)
    # The first part of the order is served in full before the others get anything due.
    due = [r for r in rows if r.due_date <= today]
    first = order[0]
    first_owed = penalty if first == "penalty" else sum(
        r.interest_unpaid if first == "interest" else r.principal_unpaid for r in due)
    first_paid = alloc.penalty if first == "penalty" else sum(
        (alloc.rows[r.id].interest if first == "interest" else alloc.rows[r.id].principal)
        for r in due if r.id in alloc.rows)
    assert first_paid == min(amount, first_owed)
