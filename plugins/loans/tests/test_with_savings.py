"""Loans and savings together, end to end through the operations.

Both plugins are enabled; they never import each other. Loans pays out to and collects from the
member's primary sukarela account through the kernel's ``kopcore_settlement_account`` hook, the
savings multiple reads that account, and member exit asks both plugins. Every step here runs an
operation as an identified user (teller, manager, admin) through
:class:`kopcore.testing.Cooperative`, or end of day with :func:`kopcore.eod.run_end_of_day`.

The module is skipped when kopcore-savings is not installed, so the loans suite still runs alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

pytest.importorskip("kopcore_savings")

from kopcore import eod, ledger
from kopcore.context import Context
from kopcore.errors import (
    ExitRefused,
    Forbidden,
    InsufficientFunds,
    PostingVetoed,
    ValidationError,
)
from kopcore.kernel import Kernel
from kopcore.testing import START_DATE, Cooperative, KernelFactory

CASH = Cooperative.CASH
FIRST_DUE = date(2026, 2, 5)  # monthly loans disbursed on START_DATE (2026-01-05)
SECOND_DUE = date(2026, 3, 5)

#: 12,000,000 flat over 12 months at 18 %: 1,000,000 principal + 180,000 interest a month.
LOAN = Decimal(12_000_000)
INSTALLMENT = Decimal(1_180_000)
INTEREST = Decimal(180_000)
#: 1 % provisi (120,000) and a 50,000 admin fee, deducted from the payout.
FEES = Decimal(170_000)


def rp(value: Any) -> Decimal:
    """A money field of an operation's output (``{"amount": "1.00", ...}``) as a Decimal."""
    return Decimal(value["amount"] if isinstance(value, dict) else value)


class Coop(Cooperative):
    """A cooperative with loans and savings: users, teller cash, savings and loan products."""

    def __init__(self, kernel: Kernel) -> None:
        super().__init__(kernel)
        self.user("manager", "manager")
        self.call("savings.product-create", code="POKOK", name="Simpanan Pokok", type="pokok",
                  amount="100000")
        self.call("savings.product-create", code="WAJIB", name="Simpanan Wajib", type="wajib",
                  amount="25000")
        self.call("savings.product-create", code="SUKARELA", name="Simpanan Sukarela",
                  type="sukarela")
        self.call("loans.product-create", as_user="manager", **self.loan_terms("PMU"))

    @staticmethod
    def loan_terms(code: str, **overrides: Any) -> dict[str, Any]:
        terms = {"code": code, "name": "Pinjaman Modal Usaha", "method": "flat",
                 "frequency": "monthly", "annual_rate": "18", "min_amount": "100000",
                 "max_amount": "100000000", "min_term": 1, "max_term": 60,
                 "provisi_percent": "1", "admin_fee": "50000", "accounting": "cash"}
        terms.update(overrides)
        return terms

    # --- savings and loans ----------------------------------------------------------------------

    def open(self, member: str, product: str, deposit: str | None = None) -> str:
        account = str(self.call("savings.open", as_user="teller", member=member,
                                product=product)["account"]["number"])
        if deposit is not None:
            self.call("savings.deposit", as_user="teller", account=account, amount=deposit,
                      cash_account=CASH)
        return account

    def balance(self, account: str) -> Decimal:
        return rp(self.call("savings.balance", account=account)["account"]["balance"])

    def approved_loan(self, member: str, product: str = "PMU", amount: Decimal = LOAN,
                      term: int = 12, **apply_args: Any) -> str:
        """Applied by the teller, approved by the manager (another person)."""
        applied = self.call("loans.apply", as_user="teller", member=member, product=product,
                            amount=str(amount), term=term, **apply_args)
        assert applied["status"] == "applied"
        approved = self.call("loans.approve", as_user="manager", loan=applied["number"])
        assert approved["status"] == "approved"
        return str(applied["number"])

    def loan(self, number: str) -> dict[str, Any]:
        return dict(self.call("loans.get", loan=number))

    def schedule(self, number: str) -> list[dict[str, Any]]:
        return list(self.call("loans.schedule", loan=number)["installments"])

    # --- books ----------------------------------------------------------------------------------

    def gl(self, key: str) -> Decimal:
        """A GL line of the trial balance, debit-positive."""
        lines = self.call("reports.trial-balance")["lines"]
        found = [line for line in lines if line["key"] == key]
        if not found:
            return Decimal(0)
        (line,) = found
        return rp(line["debit"]) - rp(line["credit"])

    def books_balance(self) -> None:
        """Trial balance at zero and the ledger's invariants (cached balances = postings...)."""

        def check(ctx: Context) -> None:
            assert ledger.ledger_invariants(ctx) == []
            tb = ledger.trial_balance(ctx, ctx.business_date)
            assert tb["totals"]
            for debit, credit in tb["totals"].values():
                assert debit == credit

        self.kernel.read("auditor", check)

    def close_days(self, last_day: date) -> None:
        """End of day up to and including ``last_day`` (the business date becomes the next)."""
        eod.run_end_of_day(self.kernel, until=last_day + timedelta(days=1))


@pytest.fixture
def coop(make_kernel: KernelFactory) -> Coop:
    return Coop(make_kernel(plugins=("loans", "savings")))


# --- 1. disbursement into savings -----------------------------------------------------------


def test_disbursement_goes_into_the_members_sukarela_net_of_fees(coop: Coop) -> None:
    member = coop.member()
    sukarela = coop.open(member, "SUKARELA", deposit="250000")
    number = coop.approved_loan(member)
    with pytest.raises(Forbidden):  # whoever entered an application cannot approve it
        coop.call("loans.approve", as_user="teller",
                  loan=coop.call("loans.apply", as_user="teller", member=member,
                                 product="PMU", amount="1000000", term=3)["number"])
    receivable_before, fees_before = coop.gl("loans.receivable"), coop.gl("loans.fee_income")
    cash_before = coop.call("accounts.get", account=CASH)["balance"]

    paid_out = coop.call("loans.disburse", as_user="teller", loan=number)  # to_savings default

    lines = {p["account"]: (p["side"], rp(p["amount"])) for p in paid_out["entry"]["postings"]}
    assert lines == {number: ("debit", LOAN), sukarela: ("credit", LOAN - FEES),
                     "GL-loans.fee_income": ("credit", FEES)}
    assert paid_out["loan"]["status"] == "active"
    assert coop.balance(sukarela) == Decimal(250_000) + LOAN - FEES
    assert coop.gl("loans.receivable") - receivable_before == LOAN
    assert coop.gl("loans.fee_income") - fees_before == -FEES  # credit
    assert coop.call("accounts.get", account=CASH)["balance"] == cash_before  # no cash moved
    assert rp(coop.loan(number)["outstanding_principal"]) == LOAN
    # The savings statement shows the disbursement as a credit to the member.
    statement = coop.call("accounts.statement", account=sukarela,
                          from_date=START_DATE.isoformat(),
                          to_date=START_DATE.isoformat())
    assert rp(statement["closing_balance"]) == coop.balance(sukarela)
    coop.books_balance()


def test_disbursement_falls_back_to_cash_only_when_asked_or_without_sukarela(coop: Coop) -> None:
    member = coop.member()
    coop.open(member, "POKOK", deposit="100000")  # pokok is no settlement account
    number = coop.approved_loan(member)
    err = coop.refused(ValidationError, "loans.disburse", as_user="teller", loan=number)
    assert err.extra["field"] == "cash_account"
    paid_out = coop.call("loans.disburse", as_user="teller", loan=number, cash_account=CASH)
    assert {p["account"] for p in paid_out["entry"]["postings"]} == {
        number, CASH, "GL-loans.fee_income"}
    coop.books_balance()


# --- 2. repayment from savings --------------------------------------------------------------


def test_repayment_and_auto_debit_are_collected_from_savings(coop: Coop) -> None:
    member = coop.member()
    sukarela = coop.open(member, "SUKARELA", deposit="500000")
    number = coop.approved_loan(member)
    coop.call("loans.disburse", as_user="teller", loan=number)
    start = coop.balance(sukarela)
    assert start == Decimal(500_000) + LOAN - FEES

    # Installment 1 on its due date, through the repay operation from savings.
    coop.close_days(FIRST_DUE - timedelta(days=1))
    paid = coop.call("loans.repay", as_user="teller", loan=number, amount=str(INSTALLMENT),
                     from_savings=True)
    assert (rp(paid["interest"]), rp(paid["principal"]), rp(paid["penalty"])) == (
        INTEREST, INSTALLMENT - INTEREST, 0)
    assert {p["account"]: rp(p["amount"]) for p in paid["entry"]["postings"]}[sukarela] == (
        INSTALLMENT)
    assert coop.balance(sukarela) == start - INSTALLMENT
    first = coop.schedule(number)[0]
    assert (first["seq"], first["due_date"], first["status"]) == (1, FIRST_DUE.isoformat(),
                                                                  "paid")
    assert rp(first["principal_paid"]) + rp(first["interest_paid"]) == INSTALLMENT

    # Installment 2 by auto-debit at end of its due date, once the member opted in.
    assert coop.call("loans.auto-debit", as_user="teller", loan=number,
                     enabled=True)["auto_debit"] is True
    coop.close_days(SECOND_DUE)
    assert coop.balance(sukarela) == start - 2 * INSTALLMENT
    rows = coop.schedule(number)
    assert [r["status"] for r in rows[:3]] == ["paid", "paid", "open"]
    loan = coop.loan(number)
    assert loan["days_past_due"] == 0
    assert rp(loan["outstanding_principal"]) == LOAN - 2 * (INSTALLMENT - INTEREST)
    kinds = [e["kind"] for e in coop.call("loans.history", loan=number)["events"]]
    assert kinds[-2:] == ["repayment", "auto-debit"]
    coop.books_balance()


def test_repayment_from_savings_beyond_the_balance_is_refused(coop: Coop) -> None:
    member = coop.member()
    sukarela = coop.open(member, "SUKARELA")
    number = coop.approved_loan(member)
    coop.call("loans.disburse", as_user="teller", loan=number, to_savings=False,
              cash_account=CASH)
    coop.call("savings.deposit", as_user="teller", account=sukarela, amount="400000",
              cash_account=CASH)
    coop.refused(InsufficientFunds, "loans.repay", as_user="teller", loan=number,
                 amount=str(INSTALLMENT), from_savings=True)
    assert coop.balance(sukarela) == Decimal(400_000)
    # A hold keeps its part: only the available balance pays.
    coop.call("accounts.hold", as_user="manager", account=sukarela, amount="150000",
              reason="jaminan")
    coop.refused(InsufficientFunds, "loans.repay", as_user="teller", loan=number,
                 amount="300000", from_savings=True)
    coop.call("loans.repay", as_user="teller", loan=number, amount="250000", from_savings=True)
    assert coop.balance(sukarela) == Decimal(150_000)
    coop.books_balance()


# --- 3. auto-debit with too little in savings -----------------------------------------------


def test_auto_debit_takes_only_what_savings_hold_and_the_loan_falls_past_due(coop: Coop) -> None:
    poor, frozen = coop.member("Poor"), coop.member("Frozen")
    accounts, numbers = {}, {}
    for member in (poor, frozen):
        accounts[member] = coop.open(member, "SUKARELA")
        numbers[member] = coop.approved_loan(member, auto_debit=True)
        coop.call("loans.disburse", as_user="teller", loan=numbers[member], to_savings=False,
                  cash_account=CASH)
        coop.call("savings.deposit", as_user="teller", account=accounts[member],
                  amount="500000", cash_account=CASH)
    hold = coop.call("accounts.hold", as_user="manager", account=accounts[poor],
                     amount="100000", reason="jaminan")["hold_id"]
    coop.call("accounts.freeze", as_user="manager", account=accounts[frozen])

    coop.close_days(FIRST_DUE + timedelta(days=2))

    # The poor member's available 400,000 went to the loan; the hold and the floor held.
    assert coop.balance(accounts[poor]) == Decimal(100_000)
    first = coop.schedule(numbers[poor])[0]
    assert first["status"] == "open"
    assert (rp(first["interest_paid"]), rp(first["principal_paid"])) == (
        INTEREST, Decimal(400_000) - INTEREST)
    # The frozen account was skipped.
    assert coop.balance(accounts[frozen]) == Decimal(500_000)
    assert rp(coop.schedule(numbers[frozen])[0]["interest_paid"]) == 0
    for member in (poor, frozen):
        loan = coop.loan(numbers[member])
        assert loan["status"] == "active"
        assert loan["days_past_due"] == 2
    arrears = coop.call("loans.arrears", as_user="manager")
    assert {item["loan"]: rp(item["overdue"]) for item in arrears["items"]} == {
        numbers[poor]: INSTALLMENT - Decimal(400_000), numbers[frozen]: INSTALLMENT}

    def no_overdraft(ctx: Context) -> None:
        for number in accounts.values():
            account = ledger.get_account(ctx, number)
            assert account.balance.minor >= 0
            assert account.available.minor >= 0

    coop.kernel.read("auditor", no_overdraft)
    coop.books_balance()

    # Money arriving later is collected by the next end of day and the loan is current again.
    coop.call("accounts.release-hold", as_user="manager", account=accounts[poor],
              hold_id=hold)
    coop.call("savings.deposit", as_user="teller", account=accounts[poor], amount="2000000",
              cash_account=CASH)
    coop.close_days(FIRST_DUE + timedelta(days=3))
    assert coop.schedule(numbers[poor])[0]["status"] == "paid"
    assert coop.loan(numbers[poor])["days_past_due"] == 0
    assert coop.balance(accounts[poor]) == Decimal(100_000 + 2_000_000) - (
        INSTALLMENT - Decimal(400_000))
    coop.books_balance()


def test_auto_debit_respects_the_dormancy_policy_of_the_savings_account(coop: Coop) -> None:
    coop.call("savings.product-create", code="SUKARELA-TIDUR", name="Sukarela", type="sukarela",
              dormant_after_days=20, dormant_policy="none")
    member = coop.member()
    sukarela = coop.open(member, "SUKARELA-TIDUR", deposit="2000000")
    number = coop.approved_loan(member, auto_debit=True)
    coop.call("loans.disburse", as_user="teller", loan=number, to_savings=False,
              cash_account=CASH)
    coop.close_days(FIRST_DUE - timedelta(days=1))
    assert coop.call("savings.balance", account=sukarela)["dormant_since"]
    # Staff cannot collect from the dormant account...
    coop.refused(PostingVetoed, "loans.repay", as_user="teller", loan=number,
                 amount=str(INSTALLMENT), from_savings=True)
    # ...and neither should the end-of-day auto-debit.
    coop.close_days(FIRST_DUE)
    assert coop.balance(sukarela) == Decimal(2_000_000)


def test_savings_interest_ignores_money_the_auto_debit_took_that_day(coop: Coop) -> None:
    coop.call("savings.product-create", code="BUNGA", name="Sukarela berbunga",
              type="sukarela", interest_rate="3")
    accounts, numbers = {}, {}
    for name, auto in (("Manual", False), ("Auto", True)):
        member = coop.member(name)
        accounts[name] = coop.open(member, "BUNGA", deposit="5000000")
        numbers[name] = coop.approved_loan(member, auto_debit=auto)
        coop.call("loans.disburse", as_user="teller", loan=numbers[name], to_savings=False,
                  cash_account=CASH)
    coop.close_days(FIRST_DUE - timedelta(days=1))
    coop.call("loans.repay", as_user="teller", loan=numbers["Manual"],
              amount=str(INSTALLMENT), from_savings=True)
    coop.close_days(FIRST_DUE)
    # Both members closed the due date with the same balance and the same installment paid...
    assert coop.balance(accounts["Manual"]) == coop.balance(accounts["Auto"])
    assert [coop.schedule(n)[0]["status"] for n in numbers.values()] == ["paid", "paid"]
    # ...so they have earned the same interest.
    coop.close_days(date(2026, 2, 28))  # February's interest is posted
    assert coop.balance(accounts["Manual"]) == coop.balance(accounts["Auto"])


# --- 4. member exit --------------------------------------------------------------------------


def test_exit_is_refused_while_the_loan_runs_then_savings_refund_everything(coop: Coop) -> None:
    member = coop.member()
    pokok = coop.open(member, "POKOK", deposit="100000")
    wajib = coop.open(member, "WAJIB", deposit="25000")
    sukarela = coop.open(member, "SUKARELA", deposit="300000")
    number = coop.approved_loan(member, amount=Decimal(3_000_000), term=6)
    coop.call("loans.disburse", as_user="teller", loan=number)
    coop.close_days(START_DATE + timedelta(days=10))

    refused = coop.refused(ExitRefused, "members.exit", as_user="manager", member=member,
                           reason="resigned", payout_account=CASH)
    assert [r["plugin"] for r in refused.extra["refusals"]] == ["loans"]
    assert number in refused.detail
    assert "outstanding" in refused.detail
    assert coop.call("members.get", member=member)["status"] == "active"

    quote = coop.call("loans.settlement-quote", loan=number)
    settled = coop.call("loans.settle", as_user="teller", loan=number, from_savings=True)
    assert settled["loan"]["status"] == "closed"
    assert rp(settled["principal"]) == Decimal(3_000_000)
    sukarela_left = Decimal(300_000) + Decimal(3_000_000) - Decimal(30_000 + 50_000) - rp(
        quote["total"])
    assert coop.balance(sukarela) == sukarela_left
    assert {r["status"] for r in coop.schedule(number)} == {"paid"}

    cash_before = rp(coop.call("accounts.get", account=CASH)["balance"])
    done = coop.call("members.exit", as_user="manager", member=member, reason="resigned",
                     payout_account=CASH)
    postings = {p["account"]: (p["side"], rp(p["amount"]))
                for p in done["settlement"]["postings"]}
    refund = Decimal(100_000 + 25_000) + sukarela_left
    assert postings == {pokok: ("debit", Decimal(100_000)), wajib: ("debit", Decimal(25_000)),
                        sukarela: ("debit", sukarela_left), CASH: ("credit", refund)}
    assert cash_before - rp(coop.call("accounts.get", account=CASH)["balance"]) == refund
    assert coop.call("members.get", member=member)["status"] == "left"
    for account in (pokok, wajib, sukarela, number):
        assert coop.call("accounts.get", account=account)["status"] == "closed"
    coop.books_balance()


def test_exit_is_refused_for_a_guarantor_and_cancels_pending_applications(coop: Coop) -> None:
    coop.call("savings.product-create", code="BUNGA", name="Sukarela berbunga",
              type="sukarela", interest_rate="3")
    borrower, guarantor = coop.member("Borrower"), coop.member("Guarantor")
    savings = coop.open(guarantor, "BUNGA", deposit="2000000")
    coop.open(borrower, "SUKARELA", deposit="500000")
    number = coop.approved_loan(borrower)
    coop.call("loans.add-guarantor", as_user="teller", loan=number, guarantor=guarantor)
    pending = coop.call("loans.apply", as_user="teller", member=guarantor, product="PMU",
                        amount="1000000", term=3)["number"]
    coop.call("loans.disburse", as_user="teller", loan=number)
    coop.close_days(START_DATE + timedelta(days=5))
    accrued = rp(coop.call("savings.balance", account=savings)["accrued_interest"])
    assert accrued > 0
    # Refused as a whole: savings' interest settlement for the exit is not kept either.
    refused = coop.refused(ExitRefused, "members.exit", as_user="manager", member=guarantor,
                           reason="resigned", payout_account=CASH)
    assert "guarantees" in refused.detail
    assert number in refused.detail
    assert coop.loan(pending)["status"] == "applied"
    assert coop.balance(savings) == Decimal(2_000_000)
    coop.call("loans.settle", as_user="teller", loan=number, from_savings=True)
    done = coop.call("members.exit", as_user="manager", member=guarantor, reason="resigned",
                     payout_account=CASH)
    paid = {p["account"]: rp(p["amount"]) for p in done["settlement"]["postings"]}
    assert paid[CASH] == Decimal(2_000_000) + accrued
    assert coop.loan(pending)["status"] == "cancelled"
    coop.books_balance()


def test_settlement_from_savings_is_in_the_products_rounding_unit(coop: Coop) -> None:
    coop.call("loans.product-create", as_user="manager",
              **Coop.loan_terms("P100", rounding_unit="100"))
    member = coop.member()
    sukarela = coop.open(member, "SUKARELA", deposit="500000")
    number = coop.approved_loan(member, product="P100")
    coop.call("loans.disburse", as_user="teller", loan=number)
    coop.close_days(START_DATE + timedelta(days=5))  # 6 of the period's 31 days
    before = coop.balance(sukarela)
    quote = coop.call("loans.settlement-quote", loan=number)
    assert rp(quote["principal"]) == LOAN
    assert rp(quote["interest"]) > 0
    settled = coop.call("loans.settle", as_user="teller", loan=number, from_savings=True)
    assert settled["loan"]["status"] == "closed"
    assert before - coop.balance(sukarela) == rp(quote["total"])
    assert rp(quote["interest"]) % 100 == 0


# --- 5. the savings multiple reads the real savings account ---------------------------------


def test_savings_multiple_limits_the_loan_to_the_sukarela_balance(coop: Coop) -> None:
    coop.call("loans.product-create", as_user="manager",
              **Coop.loan_terms("PSM", savings_multiple="3"))
    member = coop.member()
    coop.open(member, "POKOK", deposit="100000")
    # Without a sukarela account the limit cannot be read: the application is refused.
    coop.refused(ValidationError, "loans.apply", as_user="teller", member=member,
                 product="PSM", amount="200000", term=6)
    sukarela = coop.open(member, "SUKARELA", deposit="1000000")
    err = coop.refused(ValidationError, "loans.apply", as_user="teller", member=member,
                       product="PSM", amount="3000001", term=6)
    assert "Rp1.000.000,00" in err.detail
    coop.call("loans.apply", as_user="teller", member=member, product="PSM",
              amount="3000000", term=6)
    # The ceiling follows the account: after a withdrawal it is lower...
    coop.call("savings.withdraw", as_user="teller", account=sukarela, amount="500000",
              cash_account=CASH)
    coop.refused(ValidationError, "loans.apply", as_user="teller", member=member,
                 product="PSM", amount="1500001", term=6)
    # ...and after a deposit higher; pokok never counts (only the settlement account does).
    coop.call("savings.deposit", as_user="teller", account=sukarela, amount="250000",
              cash_account=CASH)
    coop.refused(ValidationError, "loans.apply", as_user="teller", member=member,
                 product="PSM", amount="2250001", term=6)
    number = coop.approved_loan(member, product="PSM", amount=Decimal(2_250_000), term=6)
    coop.call("loans.disburse", as_user="teller", loan=number)
    assert coop.balance(sukarela) == Decimal(750_000 + 2_250_000 - 22_500 - 50_000)
    coop.books_balance()


def test_a_member_pays_their_own_installment_from_their_savings(coop: Coop) -> None:
    member, other = coop.member(), coop.member("Wayan Sudarsa")
    sukarela = coop.open(member, "SUKARELA", deposit="500000")
    coop.open(other, "SUKARELA", deposit="500000")
    number = coop.approved_loan(member)
    theirs = coop.approved_loan(other)
    coop.call("loans.disburse", as_user="teller", loan=number)
    coop.call("loans.disburse", as_user="teller", loan=theirs)
    own = coop.member_user(member)
    before = coop.balance(sukarela)

    paid = coop.call("loans.repay-own", as_user=own, loan=number, amount=str(INSTALLMENT))

    assert rp(paid["principal"]) + rp(paid["interest"]) == INSTALLMENT
    assert coop.balance(sukarela) == before - INSTALLMENT
    assert rp(coop.loan(number)["outstanding_principal"]) == LOAN - Decimal(1_000_000)
    # Another member's loan is refused; staff take repayments with loans.repay instead.
    with pytest.raises(Forbidden):
        coop.call("loans.repay-own", as_user=own, loan=theirs, amount="1000")
    with pytest.raises(Forbidden):
        coop.call("loans.repay-own", as_user=own, loan="PJ99999999", amount="1000")
    with pytest.raises(Forbidden):
        coop.call("loans.repay-own", as_user="teller", loan=number, amount="1000")
    coop.books_balance()
