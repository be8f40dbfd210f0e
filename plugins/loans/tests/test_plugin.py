"""The plugin as a whole: configurable classes, demo data, and living next to savings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from kopcore_loans import lifecycle, seed_demo
from kopcore_loans.loan import LoanStatus, get_loan
from kopcore_loans.products import CollectibilityClass, replace_classes
from loans_helpers import CASH, as_user, books_balance, cash, disbursed_loan, member, product, rp

from kopcore import ledger
from kopcore.context import Context
from kopcore.eod import run_end_of_day
from kopcore.errors import ValidationError
from kopcore.kernel import Kernel


def test_collectibility_classes_are_configurable(loans_kernel: Kernel) -> None:
    def work(ctx: Context) -> str:
        cash(ctx)
        replace_classes(ctx, [
            CollectibilityClass("L", "Lancar", 0, Decimal("0.5"), False),
            CollectibilityClass("DPK", "Dalam Perhatian Khusus", 1, Decimal(5), False),
            CollectibilityClass("M", "Macet", 91, Decimal(100), True),
        ])
        return disbursed_loan(ctx, member(ctx), product(ctx).code).number
    number = loans_kernel.write("manager", work)
    run_end_of_day(loans_kernel, until=date(2026, 2, 7))  # closed Feb 6: one day late
    loan = loans_kernel.read("x", lambda ctx: get_loan(ctx, number))
    assert (loan.days_past_due, loan.collectibility, loan.allowance) == (1, "DPK", 60_000_000)


def test_bad_class_tables_are_refused(loans_kernel: Kernel) -> None:
    with pytest.raises(ValidationError, match="0 days"):
        loans_kernel.write("manager", lambda ctx: replace_classes(ctx, [
            CollectibilityClass("X", "Late", 5, Decimal(1), True)]))
    with pytest.raises(ValidationError, match="never decrease"):
        loans_kernel.write("manager", lambda ctx: replace_classes(ctx, [
            CollectibilityClass("L", "Lancar", 0, Decimal(10), False),
            CollectibilityClass("M", "Macet", 90, Decimal(5), True)]))


def test_demo_seed_disburses_loans_in_cash(loans_kernel: Kernel) -> None:
    def demo_cooperative(ctx: Context) -> None:  # what `kopcore demo` seeds before plugins
        cash(ctx)
        member(ctx, "Ni Luh Putu Ayu")
        member(ctx, "I Made Wirawan")

    loans_kernel.write("admin", demo_cooperative)
    numbers = loans_kernel.write("admin", seed_demo, operation="demo.loans")
    assert len(numbers) == 2
    for number in numbers:
        loan = loans_kernel.read("x", lambda ctx, n=number: get_loan(ctx, n))
        assert (loan.status, loan.applied_by, loan.decided_by) == (
            LoanStatus.ACTIVE, "teller", "admin")
    books_balance(loans_kernel)


def test_works_next_to_the_savings_plugin(make_kernel) -> None:
    """With savings enabled, disbursement asks the settlement hook and falls back to cash
    when no account answers. Skipped where only the kernel and loans are installed."""
    pytest.importorskip("kopcore_savings", reason="the savings plugin is not installed")
    kernel = make_kernel(plugins=("loans", "savings"))

    def work(ctx: Context) -> str:
        cash(ctx)
        borrower = member(ctx)
        loan = lifecycle.apply(as_user(ctx, "teller"), borrower, product(ctx).code,
                               rp(2000000), 4)
        loan = lifecycle.decide(ctx, loan, approve=True)
        loan, _ = lifecycle.disburse(ctx, loan, borrower, use_savings=True,
                                     cash_account=CASH, fee_account=None)
        return loan.number
    number = kernel.write("admin", work)
    assert kernel.read("x", lambda ctx: ledger.get_account(ctx, number).balance) == rp(2000000)
    books_balance(kernel)


def test_portfolio_npl_par_and_arrears_list(loans_kernel: Kernel) -> None:
    from kopcore_loans import repayment, reports

    def work(ctx: Context) -> tuple[str, str]:
        cash(ctx)
        replace_classes(ctx, [
            CollectibilityClass("L", "Lancar", 0, Decimal("0.5"), False),
            CollectibilityClass("KL", "Kurang Lancar", 2, Decimal(10), True),
        ])
        code = product(ctx).code
        late = disbursed_loan(ctx, member(ctx, "Late"), code)
        prompt = disbursed_loan(ctx, member(ctx, "Prompt"), code, amount="6000000")
        return late.number, prompt.number
    late, prompt = loans_kernel.write("manager", work)
    run_end_of_day(loans_kernel, until=date(2026, 2, 5))
    loans_kernel.write("teller", lambda ctx: repayment.repay(
        ctx, get_loan(ctx, prompt), ledger.get_account(ctx, CASH), rp(590000), memo="tepat"))
    run_end_of_day(loans_kernel, until=date(2026, 2, 9))  # closed Feb 8: late is 3 days late
    report = loans_kernel.read("x", reports.portfolio)
    assert report.outstanding == rp(17500000)  # 12 M + (6 M - 500,000)
    assert report.npl_percent == "68.57"  # 12 / 17.5
    assert (report.par_1_percent, report.par_30_percent) == ("68.57", "0.00")
    assert [(c.code, c.loans) for c in report.classes] == [("L", 1), ("KL", 1)]
    assert report.allowance == rp(1200000 + 27500)  # 10 % of 12 M, 0.5 % of 5.5 M
    listed = loans_kernel.read("x", reports.arrears)
    assert [(x.loan, x.days_past_due, x.overdue) for x in listed.items] == [
        (late, 3, rp(1180000))]
