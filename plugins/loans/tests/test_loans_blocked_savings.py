"""Simpanan wajib pinjam: a product's percentage of the principal is blocked in the member's
savings from disbursement until the loan is paid off."""

from __future__ import annotations

from decimal import Decimal

from loans_coop import CASH, LoansCoop

from kopcore.errors import InsufficientFunds, ValidationError
from kopcore.testing import KernelFactory


def test_savings_blocked_with_the_loan_are_released_on_payoff(
        make_kernel: KernelFactory) -> None:
    coop = LoansCoop(make_kernel(plugins=("loans", "savings")))
    coop.call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    made = coop.product("WAJIB-PINJAM", blocked_savings_percent="10")
    assert made["blocked_savings_percent"] == "10"
    member = coop.member()
    savings = coop.call("savings.open", member=member, product="SUKARELA")["account"]["number"]
    loan = coop.call("loans.apply", as_user="teller", member=member, product="WAJIB-PINJAM",
                     amount="5000000", term=10)["number"]
    coop.call("loans.approve", as_user="manager", loan=loan)
    coop.call("loans.disburse", as_user="teller", loan=loan)  # into savings
    account = coop.call("savings.balance", account=savings)["account"]
    assert Decimal(account["balance"]["amount"]) == Decimal(5_000_000)
    assert Decimal(account["available"]["amount"]) == Decimal(4_500_000)
    assert Decimal(coop.get(loan)["blocked_savings"]["amount"]) == Decimal(500_000)
    coop.refused(InsufficientFunds, "savings.withdraw", account=savings, amount="4600000",
                 cash_account=CASH)
    coop.call("loans.settle", as_user="teller", loan=loan, cash_account=CASH)
    assert coop.get(loan)["status"] == "closed"
    assert Decimal(coop.get(loan)["blocked_savings"]["amount"]) == 0
    account = coop.call("savings.balance", account=savings)["account"]
    assert account["available"] == account["balance"]
    coop.books_balance()


def test_without_a_savings_account_the_loan_is_not_disbursed(make_kernel: KernelFactory
                                                             ) -> None:
    coop = LoansCoop(make_kernel(plugins=("loans",)))
    coop.product("WAJIB-PINJAM", blocked_savings_percent="10")
    loan = coop.call("loans.apply", as_user="teller", member=coop.member(),
                     product="WAJIB-PINJAM", amount="5000000", term=10)["number"]
    coop.call("loans.approve", as_user="manager", loan=loan)
    coop.refused(ValidationError, "loans.disburse", loan=loan, cash_account=CASH)
    assert coop.get(loan)["status"] == "approved"
