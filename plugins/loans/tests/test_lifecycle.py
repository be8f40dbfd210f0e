"""Application, approval, disbursement, repayment, early settlement and closing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from kopcore_loans import lifecycle, repayment
from kopcore_loans.loan import LoanStatus, get_loan, schedule_rows
from kopcore_loans.products import SettlementInterest
from kopcore_loans.schedule import InterestMethod
from loans_helpers import (
    CASH,
    as_user,
    balance,
    books_balance,
    cash,
    disbursed_loan,
    member,
    product,
    rp,
)

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Forbidden, PostingVetoed, ValidationError
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import PostingLine, Side

RP = 100


def setup(kernel: Kernel, **product_args: object) -> tuple[str, str]:
    def work(ctx: Context) -> tuple[str, str]:
        cash(ctx)
        return member(ctx).member_number, product(ctx, **product_args).code
    return kernel.write("admin", work)


def test_approval_by_the_applicant_is_forbidden(loans_kernel: Kernel) -> None:
    number, code = setup(loans_kernel)

    def work(ctx: Context) -> None:
        teller = as_user(ctx, "teller")
        loan = lifecycle.apply(teller, ledger.get_member(ctx, number), code, rp(5000000), 10)
        assert loan.status is LoanStatus.APPLIED
        with pytest.raises(Forbidden):
            lifecycle.decide(teller, loan, approve=True)
        approved = lifecycle.decide(as_user(ctx, "manager"), loan, approve=True)
        assert (approved.status, approved.decided_by) == (LoanStatus.APPROVED, "manager")
    loans_kernel.write("admin", work)


def test_limits_are_enforced(loans_kernel: Kernel) -> None:
    number, code = setup(loans_kernel, max_amount=Decimal(1000000), max_term=12)

    def work(ctx: Context) -> None:
        borrower = ledger.get_member(ctx, number)
        with pytest.raises(ValidationError, match="amount"):
            lifecycle.apply(ctx, borrower, code, rp(1000001), 6)
        with pytest.raises(ValidationError, match="term"):
            lifecycle.apply(ctx, borrower, code, rp(1000000), 13)
    loans_kernel.write("admin", work)


def test_savings_multiple_needs_a_settlement_account(loans_kernel: Kernel) -> None:
    number, code = setup(loans_kernel, savings_multiple=Decimal(3))
    with pytest.raises(ValidationError, match="savings"):
        loans_kernel.write("admin", lambda ctx: lifecycle.apply(
            ctx, ledger.get_member(ctx, number), code, rp(1000000), 6))


def test_disbursement_in_cash_deducts_fees(loans_kernel: Kernel) -> None:
    number, code = setup(loans_kernel, provisi_percent=Decimal(1), admin_fee=Decimal(25000))
    cash_before = balance(loans_kernel, CASH)
    loan = loans_kernel.write("admin", lambda ctx: disbursed_loan(
        ctx, ledger.get_member(ctx, number), code))
    # Provisi 1 % of 12,000,000 = 120,000, admin 25,000: the member receives 11,855,000.
    assert cash_before - balance(loans_kernel, CASH) == 11_855_000 * RP
    assert balance(loans_kernel, loan.number) == 12_000_000 * RP
    assert balance(loans_kernel, "GL-loans.fee_income") == 145_000 * RP
    rows = loans_kernel.read("x", lambda ctx: schedule_rows(ctx, loan.id))
    assert [r.due_date for r in rows[:2]] == [date(2026, 2, 5), date(2026, 3, 5)]
    assert sum(r.principal for r in rows) == 12_000_000 * RP
    books_balance(loans_kernel)


def test_fees_paid_apart_come_from_the_fee_account(loans_kernel: Kernel) -> None:
    number, code = setup(loans_kernel, admin_fee=Decimal(50000), fees_deducted=False)
    cash_before = balance(loans_kernel, CASH)
    loans_kernel.write("admin", lambda ctx: disbursed_loan(
        ctx, ledger.get_member(ctx, number), code, amount="1000000"))
    assert cash_before - balance(loans_kernel, CASH) == 950_000 * RP  # 1,000,000 out, 50,000 in
    assert balance(loans_kernel, "GL-loans.fee_income") == 50_000 * RP


def pay(kernel: Kernel, loan_number: str, amount: str) -> repayment.Allocation:
    def work(ctx: Context) -> repayment.Allocation:
        loan = get_loan(ctx, loan_number)
        return repayment.repay(ctx, loan, ledger.get_account(ctx, CASH), rp(amount),
                               memo="angsuran")[2]
    return kernel.write("teller", work)


def test_repayments_partial_full_and_prepayment_close_the_loan(loans_kernel: Kernel) -> None:
    number, code = setup(loans_kernel, accounting="cash")
    loan = loans_kernel.write("admin", lambda ctx: disbursed_loan(
        ctx, ledger.get_member(ctx, number), code))
    # Nothing is due yet: a payment is a prepayment of installment 1, interest first.
    first = pay(loans_kernel, loan.number, "100000")
    assert (first.interest, first.principal) == (100_000 * RP, 0)
    # The rest of installment 1 (80,000 + 1,000,000), then installment 2's interest.
    second = pay(loans_kernel, loan.number, "1180000")
    assert (second.interest, second.principal) == (180_000 * RP, 1_000_000 * RP)
    assert balance(loans_kernel, loan.number) == 11_000_000 * RP
    rest = 12 * 1_180_000 - 1_280_000
    with pytest.raises(ValidationError, match="exceeds"):
        pay(loans_kernel, loan.number, str(rest + 1))
    last = pay(loans_kernel, loan.number, str(rest))
    assert last.total == rest * RP
    closed = loans_kernel.read("x", lambda ctx: get_loan(ctx, loan.number))
    assert closed.status is LoanStatus.CLOSED
    assert balance(loans_kernel, "GL-loans.interest_income") == 2_160_000 * RP
    books_balance(loans_kernel)


@pytest.mark.parametrize(("rule", "interest"), [
    (SettlementInterest.ACCRUED, 0),  # disbursed today: nothing earned yet
    (SettlementInterest.PERIOD, 180_000),
    (SettlementInterest.ALL, 2_160_000),
])
def test_early_settlement_follows_the_product_rule(loans_kernel: Kernel, rule: SettlementInterest,
                                                   interest: int) -> None:
    number, code = setup(loans_kernel, settlement_interest=rule)
    loan = loans_kernel.write("admin", lambda ctx: disbursed_loan(
        ctx, ledger.get_member(ctx, number), code))

    def settle(ctx: Context) -> repayment.SettlementQuote:
        return repayment.settle(ctx, get_loan(ctx, loan.number),
                                ledger.get_account(ctx, CASH))[2]
    quote = loans_kernel.write("teller", settle)
    assert (quote.principal, quote.interest) == (12_000_000 * RP, interest * RP)
    assert quote.interest_waived == (2_160_000 - interest) * RP
    done = loans_kernel.read("x", lambda ctx: get_loan(ctx, loan.number))
    assert done.status is LoanStatus.CLOSED
    assert loans_kernel.read("x", lambda ctx: ledger.get_account(
        ctx, loan.number).status) is ledger.AccountStatus.CLOSED
    books_balance(loans_kernel)


def test_manual_entries_on_loan_accounts_are_vetoed(loans_kernel: Kernel) -> None:
    number, code = setup(loans_kernel)
    loan = loans_kernel.write("admin", lambda ctx: disbursed_loan(
        ctx, ledger.get_member(ctx, number), code))

    def manual(ctx: Context) -> None:
        ledger.post_entry(ctx.for_operation("entries.post"), [
            PostingLine(CASH, Side.DEBIT, rp(1000)),
            PostingLine(loan.number, Side.CREDIT, rp(1000))], memo="koreksi")
    with pytest.raises(PostingVetoed) as refused:
        loans_kernel.write("admin", manual)
    assert refused.value.reason == "loans.managed-account"


def test_disbursement_into_savings_through_the_settlement_hook(make_kernel) -> None:
    """A stand-in savings plugin answers the settlement hook; loans never imports it."""
    from kopcore import hookimpl
    from kopcore.records import SettlementAccount

    class Savings:
        @hookimpl
        def kopcore_settlement_account(self, ctx, member, purpose, currency):
            return SettlementAccount(f"SV-{member.member_number}")

    kernel = make_kernel(plugins=("loans",), extra_plugins=[("fake-savings", Savings())])

    def work(ctx: Context) -> str:
        cash(ctx)
        borrower = member(ctx)
        ledger.open_account(ctx, name="Sukarela", gl_key="payable.other", plugin="kopcore",
                            member_id=borrower.id, number=f"SV-{borrower.member_number}",
                            floor=Money(0))
        code = product(ctx, method=InterestMethod.ANUITAS).code
        loan = lifecycle.apply(as_user(ctx, "teller"), borrower, code, rp(12000000), 12)
        loan = lifecycle.decide(ctx, loan, approve=True)
        lifecycle.disburse(ctx, loan, borrower, use_savings=True, cash_account=None,
                           fee_account=None)
        repayment.repay(ctx, get_loan(ctx, loan.number),
                        lifecycle.money_account(ctx, borrower, "collection", use_savings=True,
                                                cash_account=None), rp(1100160), memo="x")
        return f"SV-{borrower.member_number}"
    savings = kernel.write("admin", work)
    assert balance(kernel, savings) == (12_000_000 - 1_100_160) * RP
    books_balance(kernel)


def test_settling_after_prepaying_all_principal_waives_future_interest(
        loans_kernel: Kernel) -> None:
    """Principal first: a prepayment can clear the principal while future interest stays on
    the schedule; settling then costs nothing more, posts nothing and closes the loan."""
    number, code = setup(loans_kernel, allocation_order="principal,interest,penalty",
                         accounting="cash")
    loan = loans_kernel.write("admin", lambda ctx: disbursed_loan(
        ctx, ledger.get_member(ctx, number), code, amount="1200000", term=3))
    # Installments 1 and 2 in full (400,000 + 18,000 each), then installment 3's principal.
    pay(loans_kernel, loan.number, "1236000")
    assert balance(loans_kernel, loan.number) == 0
    assert loans_kernel.read("x", lambda ctx: get_loan(ctx, loan.number)).status \
        is LoanStatus.ACTIVE

    def settle(ctx: Context) -> object:
        return repayment.settle(ctx, get_loan(ctx, loan.number),
                                ledger.get_account(ctx, CASH))[1]
    assert loans_kernel.write("teller", settle) is None
    done = loans_kernel.read("x", lambda ctx: get_loan(ctx, loan.number))
    assert done.status is LoanStatus.CLOSED
    # Cash basis: the 2 x Rp18,000 paid were recognised when paid; the settlement adds nothing.
    assert done.interest_recognized == 36_000 * 100
    books_balance(loans_kernel)


def test_savings_multiple_reads_the_settlement_account(make_kernel) -> None:
    from kopcore import hookimpl
    from kopcore.records import SettlementAccount

    class Savings:
        @hookimpl
        def kopcore_settlement_account(self, ctx, member, purpose, currency):
            return SettlementAccount(f"SV-{member.member_number}")

    kernel = make_kernel(plugins=("loans",), extra_plugins=[("fake-savings", Savings())])

    def work(ctx: Context) -> None:
        cash(ctx)
        borrower = member(ctx)
        savings = f"SV-{borrower.member_number}"
        ledger.open_account(ctx, name="Sukarela", gl_key="payable.other", plugin="kopcore",
                            member_id=borrower.id, number=savings, floor=Money(0))
        ledger.post_entry(ctx, [PostingLine(CASH, Side.DEBIT, rp(1000000)),
                                PostingLine(savings, Side.CREDIT, rp(1000000))], memo="setor")
        code = product(ctx, savings_multiple=Decimal(3)).code
        with pytest.raises(ValidationError, match="3x"):
            lifecycle.apply(ctx, borrower, code, rp(3000001), 6)
        assert lifecycle.apply(ctx, borrower, code, rp(3000000), 6).status \
            is LoanStatus.APPLIED
    kernel.write("admin", work)
