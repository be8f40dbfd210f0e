"""Non-accrual (DOMAIN.md §3): interest of loans classed Diragukan or Macet is not income until
it is received; it is kept in memorandum. Without it the year's SHU counts interest a Macet loan
never paid."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from loans_coop import CASH, LoansCoop

from kopcore.kernel import Kernel


@pytest.fixture
def coop(loans_kernel: Kernel) -> LoansCoop:
    c = LoansCoop(loans_kernel)
    c.product()  # flat 18 %, monthly, interest on accrual
    c.user("ketua", "manager")
    return c


def gl(coop: LoansCoop, key: str) -> Decimal:
    lines = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    return Decimal(lines[key]["balance"]["amount"]) if key in lines else Decimal(0)


def amount(payload: dict[str, str]) -> Decimal:
    return Decimal(payload["amount"])


def test_a_macet_loan_adds_no_interest_to_the_years_surplus(coop: LoansCoop) -> None:
    loan = coop.loan(coop.member())  # 12,000,000 from 5 January, 180,000 interest a month
    coop.close_days_until(date(2026, 6, 6))
    # 5 June closed, 120 days past due: Kurang Lancar, five installments' interest accrued.
    shown = coop.get(loan)
    assert shown["collectibility"] == "KL"
    assert amount(shown["interest_receivable"]) == Decimal(900_000)
    assert gl(coop, "loans.interest_income") == Decimal(900_000)
    coop.close_days_until(date(2026, 6, 7))
    # 6 June, 121 days: Diragukan. The interest accrued (with 6 June's, 1/30 of 180,000) leaves
    # income for the memorandum.
    shown = coop.get(loan)
    assert shown["collectibility"] == "D"
    assert amount(shown["interest_receivable"]) == 0
    assert gl(coop, "loans.interest_income") == 0
    assert amount(shown["interest_memorandum"]) == Decimal(906_000)
    # The portfolio totals it for the notes to the statements (one loan here).
    assert amount(coop.call("loans.portfolio")["interest_memorandum"]) == Decimal(906_000)

    coop.close_days_until(date(2027, 1, 4))
    shown = coop.get(loan)
    assert shown["collectibility"] == "M"
    # By 3 January 2027 (the last day closed): eleven installments' interest (5 February to
    # 5 December) and 29 of the 31 days to 5 January, rounded down to the sen:
    # 1,980,000 + 168,387.09.
    assert amount(shown["interest_memorandum"]) == Decimal("2148387.09")
    assert gl(coop, "loans.interest_income") == 0
    for month in range(1, 13):
        coop.call("periods.close", year=2026, month=month)
    closed = coop.call("years.close", year=2026)
    # The year's surplus: no interest income, the allowance of a Macet loan (100 %) as expense.
    assert amount(closed["surplus"]) == Decimal(-12_000_000)

    # Interest is income when it is received.
    paid = coop.call("loans.repay", as_user="teller", loan=loan, amount="500000",
                     cash_account=CASH)
    assert amount(paid["interest"]) == Decimal(500_000)
    assert gl(coop, "loans.interest_income") == Decimal(500_000)
    assert amount(coop.get(loan)["interest_memorandum"]) == Decimal("1648387.09")
    assert amount(coop.call("loans.portfolio")["interest_memorandum"]) == Decimal("1648387.09")
    coop.books_balance()


def test_a_loan_paid_back_to_performing_accrues_again(coop: LoansCoop) -> None:
    loan = coop.loan(coop.member())
    coop.close_days_until(date(2026, 6, 8))
    assert coop.get(loan)["collectibility"] == "D"
    overdue = coop.get(loan)["overdue"]["amount"]  # five installments of 1,180,000
    assert Decimal(overdue) == Decimal(5_900_000)
    coop.call("loans.repay", as_user="teller", loan=loan, amount=overdue, cash_account=CASH)
    assert gl(coop, "loans.interest_income") == Decimal(900_000)  # received: income
    coop.close_days_until(date(2026, 6, 9))
    shown = coop.get(loan)
    assert shown["collectibility"] == "L"
    assert amount(shown["interest_memorandum"]) == 0
    coop.close_days_until(date(2026, 6, 10))
    # Accrual resumes from the next day, with the period in progress (5 June to 5 July) caught
    # up: 4 of 30 days by 9 June.
    assert amount(coop.get(loan)["interest_receivable"]) == Decimal(24_000)
    assert gl(coop, "loans.interest_income") == Decimal(924_000)
    coop.books_balance()
