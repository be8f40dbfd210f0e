"""Restructuring, write-off and recovery, and member exit: the entries they post."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from kopcore_loans import lifecycle, repayment
from kopcore_loans.loan import Loan, LoanStatus, get_loan, schedule_rows
from loans_helpers import (
    CASH,
    balance,
    books_balance,
    cash,
    disbursed_loan,
    gl_total,
    member,
    product,
    rp,
)

from kopcore import ledger
from kopcore.context import Context
from kopcore.eod import run_end_of_day
from kopcore.errors import ExitRefused, ValidationError
from kopcore.kernel import Kernel

RP = 100


def new_loan(kernel: Kernel, **product_args: object) -> Loan:
    def work(ctx: Context) -> Loan:
        cash(ctx)
        return disbursed_loan(ctx, member(ctx), product(ctx, **product_args).code)
    return kernel.write("admin", work)


def postings(kernel: Kernel, entry_id: int) -> dict[str, int]:
    entry = kernel.read("x", lambda ctx: ledger.get_entry(ctx, entry_id))
    return {p.account_number: p.amount.minor for p in entry.postings}


def test_restructure_moves_principal_and_keeps_history(loans_kernel: Kernel) -> None:
    # Weekly, 26 %/yr = 0.5 % a week: 12 x (1,000,000 + 60,000), due Jan 12, 19, 26...
    loan = new_loan(loans_kernel, frequency="weekly", annual_rate=Decimal(26))
    run_end_of_day(loans_kernel, until=date(2026, 1, 24))  # Jan 12 and 19 unpaid
    assert loans_kernel.read("x", lambda ctx: get_loan(ctx, loan.number)).days_past_due == 11

    def work(ctx: Context) -> tuple[Loan, int]:
        current = get_loan(ctx, loan.number)
        done, entry = lifecycle.restructure(ctx, current, lifecycle.member_of(ctx, current),
                                            term=24, annual_rate=None, method=None,
                                            note="SK 12/2026")
        return done, entry.id
    done, entry_id = loans_kernel.write("manager", work)
    new_account = f"{loan.number}-R1"
    assert postings(loans_kernel, entry_id) == {new_account: 12_000_000 * RP,
                                                loan.number: -12_000_000 * RP}
    assert gl_total(loans_kernel, "loans.receivable_restructured") == 12_000_000 * RP
    assert gl_total(loans_kernel, "loans.receivable") == 0
    assert (done.term, done.schedule_version) == (24, 2)
    everything = loans_kernel.read("x", lambda ctx: schedule_rows(ctx, loan.id,
                                                                  include_superseded=True))
    assert sum(r.status == "superseded" for r in everything) == 12
    live = [r for r in everything if r.status != "superseded"]
    arrears = [r for r in live if r.principal == 0]
    # Two due weeks of interest, and the week in progress cut at 5 of its 7 days.
    assert [r.interest for r in arrears] == [60_000 * RP, 60_000 * RP, 60_000 * RP * 5 // 7]
    assert [r.due_date for r in arrears] == [date(2026, 1, 12), date(2026, 1, 19),
                                             date(2026, 1, 24)]
    fresh = [r for r in live if r.principal]
    assert len(fresh) == 24
    assert sum(r.principal for r in fresh) == 12_000_000 * RP
    assert fresh[0].due_date == date(2026, 1, 31)
    # The arrears keep their age until paid.
    run_end_of_day(loans_kernel, until=date(2026, 1, 25))
    assert loans_kernel.read("x", lambda ctx: get_loan(ctx, loan.number)).days_past_due == 12
    books_balance(loans_kernel)


def test_write_off_uses_the_allowance_and_reverses_accrued_interest(
        loans_kernel: Kernel) -> None:
    loan = new_loan(loans_kernel)  # accrual basis
    run_end_of_day(loans_kernel, until=date(2026, 1, 21))  # 15 days accrued, PPAP 0.5 %
    accrued = 180_000 * RP * 15 // 31

    def work(ctx: Context) -> tuple[Loan, int]:
        done, entry = lifecycle.write_off(ctx, get_loan(ctx, loan.number), reason="SK 3/2026")
        return done, entry.id
    done, entry_id = loans_kernel.write("manager", work)
    assert postings(loans_kernel, entry_id) == {
        "GL-loans.allowance": 60_000 * RP,
        "GL-loans.allowance_expense": 11_940_000 * RP,
        loan.number: -12_000_000 * RP,
        "GL-loans.interest_income": accrued,
        f"{loan.number}-J": -accrued,
    }
    assert done.status is LoanStatus.WRITTEN_OFF
    assert done.written_off == 12_000_000 * RP
    assert balance(loans_kernel, "GL-loans.allowance") == 0
    assert balance(loans_kernel, "GL-loans.interest_income") == 0

    def recover(ctx: Context, amount: str) -> Loan:
        return lifecycle.recover(ctx, get_loan(ctx, loan.number),
                                 ledger.get_account(ctx, CASH), rp(amount))[0]
    recovered = loans_kernel.write("manager", lambda ctx: recover(ctx, "1000000"))
    assert recovered.recovered == 1_000_000 * RP
    assert balance(loans_kernel, "GL-loans.recovery_income") == 1_000_000 * RP
    with pytest.raises(ValidationError, match="left to recover"):
        loans_kernel.write("manager", lambda ctx: recover(ctx, "11000001"))
    run_end_of_day(loans_kernel, until=date(2026, 1, 23))  # nothing more happens to it
    assert balance(loans_kernel, "GL-loans.allowance") == 0
    books_balance(loans_kernel)


def test_member_exit_is_refused_while_a_loan_is_outstanding(loans_kernel: Kernel) -> None:
    loan = new_loan(loans_kernel)

    def leave(ctx: Context) -> None:
        number = ledger.get_member_by_id(ctx, loan.member_id).member_number
        ledger.exit_member(ctx, number, reason="resigned", payout_account=CASH)
    with pytest.raises(ExitRefused, match=loan.number):
        loans_kernel.write("manager", leave)


def test_guarantor_cannot_leave_while_the_loan_runs(loans_kernel: Kernel) -> None:
    loan = new_loan(loans_kernel)

    def guarantee_and_leave(ctx: Context) -> None:
        guarantor = member(ctx, "Ketut")
        lifecycle.add_guarantor(ctx, get_loan(ctx, loan.number), guarantor, "saudara")
        ledger.exit_member(ctx, guarantor.member_number, reason="resigned",
                           payout_account=CASH)
    with pytest.raises(ExitRefused, match="guarantees"):
        loans_kernel.write("manager", guarantee_and_leave)


def test_exit_nets_the_loan_when_the_product_allows(loans_kernel: Kernel) -> None:
    loan = new_loan(loans_kernel, exit_netting=True, accounting="cash")
    run_end_of_day(loans_kernel, until=date(2026, 2, 6))  # installment 1 due, unpaid
    cash_before = balance(loans_kernel, CASH)

    def leave(ctx: Context) -> None:
        number = ledger.get_member_by_id(ctx, loan.member_id).member_number
        ledger.exit_member(ctx, number, reason="resigned", payout_account=CASH)
    loans_kernel.write("manager", leave)
    # Principal, the due interest, and interest accrued on the next period for 1 of 28 days,
    # rounded half up to the product's unit (Rp1): 180,000 / 28 = 6,428.57 -> Rp6,429.
    owed = (12_000_000 + 180_000 + 6_429) * RP
    assert balance(loans_kernel, CASH) - cash_before == owed
    closed = loans_kernel.read("x", lambda ctx: get_loan(ctx, loan.number))
    assert closed.status is LoanStatus.CLOSED
    assert loans_kernel.read("x", lambda ctx: ledger.get_account(
        ctx, loan.number).status) is ledger.AccountStatus.CLOSED
    books_balance(loans_kernel)


def test_settlement_quote_is_what_settle_charges(loans_kernel: Kernel) -> None:
    loan = new_loan(loans_kernel, method="menurun")
    run_end_of_day(loans_kernel, until=date(2026, 1, 5) + timedelta(days=45))

    def work(ctx: Context) -> tuple[int, int]:
        current = get_loan(ctx, loan.number)
        quote = repayment.settlement_quote(current, schedule_rows(ctx, current.id),
                                           ctx.business_date, current_rule(ctx, current))
        _, _entry, settled = repayment.settle(ctx, current, ledger.get_account(ctx, CASH))
        return quote.total, settled.total
    quoted, charged = loans_kernel.write("teller", work)
    assert quoted == charged
    # 12 M principal + February's 180,000 + 14 of March's 28 days of 165,000.
    assert charged == (12_000_000 + 180_000) * RP + 165_000 * RP * 14 // 28
    books_balance(loans_kernel)


def current_rule(ctx: Context, loan: Loan):
    from kopcore_loans.products import get_product_by_id

    return get_product_by_id(ctx, loan.product_id).settlement_interest
