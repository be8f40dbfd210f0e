"""End of day: accrual, penalties, days past due, kolektibilitas and the allowance (PPAP)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from kopcore_loans.loan import Loan, get_loan, schedule_rows
from kopcore_loans.products import CollectibilityClass, replace_classes
from kopcore_loans.repayment import dues, repay
from loans_helpers import balance, books_balance, cash, disbursed_loan, member, product

from kopcore import hookimpl, ledger
from kopcore.context import Context
from kopcore.eod import run_end_of_day
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import PostingLine, SettlementAccount, Side

RP = 100
FIRST_DUE = date(2026, 2, 5)  # loans are disbursed on the fixture's start date, 2026-01-05


def unpaid_loan(kernel: Kernel, **product_args: object) -> Loan:
    def work(ctx: Context) -> Loan:
        cash(ctx)
        return disbursed_loan(ctx, member(ctx), product(ctx, **product_args).code)
    return kernel.write("admin", work)


def state(kernel: Kernel, number: str) -> Loan:
    return kernel.read("x", lambda ctx: get_loan(ctx, number))


def close_day(kernel: Kernel, day: date) -> None:
    """Run end of day up to and including ``day`` (the business date becomes day + 1)."""
    run_end_of_day(kernel, until=day + timedelta(days=1))


def test_unpaid_loan_walks_through_every_class_on_the_right_days(loans_kernel: Kernel) -> None:
    loan = unpaid_loan(loans_kernel, accounting="cash")
    allowance = "GL-loans.allowance"
    close_day(loans_kernel, date(2026, 1, 5))
    first = state(loans_kernel, loan.number)
    assert (first.collectibility, first.allowance) == ("L", 60_000 * RP)  # 0.5 % of 12 M
    assert balance(loans_kernel, allowance) == 60_000 * RP
    # (last day in the class, its class, first day of the next class, the next class, PPAP)
    steps = [
        (FIRST_DUE + timedelta(days=90), "L", "KL", 1_200_000),
        (FIRST_DUE + timedelta(days=120), "KL", "D", 6_000_000),
        (FIRST_DUE + timedelta(days=180), "D", "M", 12_000_000),
    ]
    for last_day, cls, next_cls, next_allowance in steps:
        close_day(loans_kernel, last_day)
        before = state(loans_kernel, loan.number)
        assert before.collectibility == cls
        assert before.days_past_due == (last_day - FIRST_DUE).days
        close_day(loans_kernel, last_day + timedelta(days=1))
        after = state(loans_kernel, loan.number)
        assert after.collectibility == next_cls
        assert after.allowance == next_allowance * RP
        assert balance(loans_kernel, allowance) == next_allowance * RP
        assert balance(loans_kernel, "GL-loans.allowance_expense") == next_allowance * RP
    books_balance(loans_kernel)


def test_paying_the_arrears_brings_the_loan_back_and_releases_allowance(
        loans_kernel: Kernel) -> None:
    loans_kernel.write("manager", lambda ctx: replace_classes(ctx, [
        CollectibilityClass("L", "Lancar", 0, Decimal("0.5"), False),
        CollectibilityClass("KL", "Kurang Lancar", 3, Decimal(10), True),
    ]))
    loan = unpaid_loan(loans_kernel, accounting="cash")
    close_day(loans_kernel, FIRST_DUE + timedelta(days=3))
    late = state(loans_kernel, loan.number)
    assert (late.collectibility, late.allowance) == ("KL", 1_200_000 * RP)

    def pay_all_due(ctx: Context) -> None:
        current = get_loan(ctx, loan.number)
        owed = dues(current, schedule_rows(ctx, current.id), ctx.business_date)
        assert owed == 1_180_000 * RP
        repay(ctx, current, ledger.get_account(ctx, "CASH-01"), Money(owed), memo="lunas")
    loans_kernel.write("teller", pay_all_due)
    close_day(loans_kernel, FIRST_DUE + timedelta(days=4))
    back = state(loans_kernel, loan.number)
    assert (back.days_past_due, back.collectibility) == (0, "L")
    assert back.allowance == 55_000 * RP  # 0.5 % of the 11 M left
    assert balance(loans_kernel, "GL-loans.allowance") == back.allowance
    assert balance(loans_kernel, "GL-loans.allowance_expense") == back.allowance
    books_balance(loans_kernel)


def test_interest_accrues_daily_and_is_whole_on_the_due_date(loans_kernel: Kernel) -> None:
    loan = unpaid_loan(loans_kernel, method="anuitas")
    close_day(loans_kernel, date(2026, 1, 20))  # 15 of the period's 31 days
    assert balance(loans_kernel, f"{loan.number}-J") == 180_000 * RP * 15 // 31
    close_day(loans_kernel, FIRST_DUE)
    assert balance(loans_kernel, f"{loan.number}-J") == 180_000 * RP
    assert balance(loans_kernel, "GL-loans.interest_income") == 180_000 * RP
    books_balance(loans_kernel)


def test_penalty_starts_after_the_grace_days(loans_kernel: Kernel) -> None:
    loan = unpaid_loan(loans_kernel, accounting="cash",
                       penalty_percent_per_day=Decimal("0.1"), grace_days=3)
    close_day(loans_kernel, FIRST_DUE + timedelta(days=3))
    assert state(loans_kernel, loan.number).penalty_due == 0
    close_day(loans_kernel, FIRST_DUE + timedelta(days=5))
    # Two days at 0.1 % of the overdue installment of 1,180,000.
    assert state(loans_kernel, loan.number).penalty_due == 2 * 1_180 * RP


def test_auto_debit_collects_due_installments_from_savings(make_kernel) -> None:
    class Savings:
        @hookimpl
        def kopcore_settlement_account(self, ctx, member, purpose, currency):
            return SettlementAccount(f"SV-{member.member_number}")

    kernel = make_kernel(plugins=("loans",), extra_plugins=[("fake-savings", Savings())])

    def work(ctx: Context) -> Loan:
        cash(ctx)
        borrower = member(ctx)
        ledger.open_account(ctx, name="Sukarela", gl_key="payable.other", plugin="kopcore",
                            member_id=borrower.id, number=f"SV-{borrower.member_number}",
                            floor=Money(0))
        ledger.post_entry(ctx, [
            PostingLine("CASH-01", Side.DEBIT, Money(2_000_000 * RP)),
            PostingLine(f"SV-{borrower.member_number}", Side.CREDIT, Money(2_000_000 * RP))],
            memo="setoran")
        return disbursed_loan(ctx, borrower, product(ctx).code, auto_debit=True)
    loan = kernel.write("admin", work)
    close_day(kernel, FIRST_DUE)
    after = state(kernel, loan.number)
    assert after.days_past_due == 0
    assert balance(kernel, loan.number) == 11_000_000 * RP
    savings = kernel.read("x", lambda ctx: ledger.member_accounts(ctx, after.member_id))
    assert [a.balance.minor for a in savings if a.number.startswith("SV-")] == [
        (2_000_000 - 1_180_000) * RP]
    books_balance(kernel)
