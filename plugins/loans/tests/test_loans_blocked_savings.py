"""Simpanan wajib pinjam: a product's percentage of the principal is blocked in the member's
savings from disbursement until the loan is paid off, or its written-off claim recovered."""

from __future__ import annotations

from decimal import Decimal

from kopcore_loans.loan import get_loan
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


def test_a_written_off_loan_keeps_its_hold_and_collateral_until_the_claim_is_recovered(
        make_kernel: KernelFactory) -> None:
    coop = LoansCoop(make_kernel(plugins=("loans", "savings")))
    coop.call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    coop.product("WAJIB-PINJAM", blocked_savings_percent="10")
    member, guarantor = coop.member(), coop.member("Made Penjamin")
    savings = coop.call("savings.open", member=member, product="SUKARELA")["account"]["number"]
    loan = coop.call("loans.apply", as_user="teller", member=member, product="WAJIB-PINJAM",
                     amount="5000000", term=10)["number"]
    coop.call("loans.approve", as_user="manager", loan=loan)
    coop.call("loans.disburse", as_user="teller", loan=loan)  # into savings
    coop.call("loans.add-guarantor", as_user="teller", loan=loan, guarantor=guarantor,
              relationship="saudara")
    coop.call("loans.add-collateral", as_user="teller", loan=loan, kind="BPKB kendaraan",
              description="Honda Vario 2022", value="8000000", binding="fidusia",
              binding_ref="W21.0001 TH 2026")

    def available() -> Decimal:
        return Decimal(coop.call("savings.balance", account=savings)
                       ["account"]["available"]["amount"])

    # Written off on the day it was disbursed: the claim is the 5,000,000 principal. The
    # claim is still owed: the collateral, the guarantor and Rp500,000 of savings stay held.
    coop.call("loans.write-off", as_user="manager", loan=loan, reason="SK Pengurus 7/2026")
    written = coop.get(loan)
    assert written["status"] == "written_off"
    assert Decimal(written["written_off"]["amount"]) == Decimal(5_000_000)
    assert Decimal(written["blocked_savings"]["amount"]) == Decimal(500_000)
    assert [c["status"] for c in written["collateral"]] == ["held"]
    assert written["guarantors"][0]["released_on"] is None
    assert available() == Decimal(4_500_000)
    # Rp3,000,000 recovered: Rp2,000,000 still owed, nothing released.
    coop.call("loans.recover", as_user="manager", loan=loan, amount="3000000",
              cash_account=CASH)
    part = coop.get(loan)
    assert Decimal(part["recovered"]["amount"]) == Decimal(3_000_000)
    assert [c["status"] for c in part["collateral"]] == ["held"]
    assert available() == Decimal(4_500_000)
    # The last Rp2,000,000 completes the claim: released as on a payoff.
    coop.call("loans.recover", as_user="manager", loan=loan, amount="2000000",
              cash_account=CASH)
    done = coop.get(loan)
    assert Decimal(done["recovered"]["amount"]) == Decimal(5_000_000)
    assert done["status"] == "written_off"
    assert Decimal(done["blocked_savings"]["amount"]) == 0
    assert [(c["status"], c["released_on"], c["release_note"]) for c in done["collateral"]] == [
        ("released", coop.today().isoformat(), "piutang hapus buku pulih")]
    assert done["guarantors"][0]["released_on"] == coop.today().isoformat()
    assert available() == Decimal(5_000_000)
    coop.refused(ValidationError, "loans.recover", loan=loan, amount="1", cash_account=CASH)
    coop.books_balance()


def test_a_hold_released_by_hand_does_not_stop_the_last_recovery(
        make_kernel: KernelFactory) -> None:
    coop = LoansCoop(make_kernel(plugins=("loans", "savings")))
    coop.call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    coop.product("WAJIB-PINJAM", blocked_savings_percent="10")
    member = coop.member()
    savings = coop.call("savings.open", member=member, product="SUKARELA")["account"]["number"]
    loan = coop.call("loans.apply", as_user="teller", member=member, product="WAJIB-PINJAM",
                     amount="2000000", term=4)["number"]
    coop.call("loans.approve", as_user="manager", loan=loan)
    coop.call("loans.disburse", as_user="teller", loan=loan)
    coop.call("loans.write-off", as_user="manager", loan=loan, reason="SK 8/2026")
    # Released by hand before this change made it automatic: the hold is gone already.
    hold = coop.kernel.read("admin", lambda ctx: get_loan(ctx, loan).blocked_hold_id)
    coop.call("accounts.release-hold", account=savings, hold_id=hold)
    coop.call("loans.recover", as_user="manager", loan=loan, amount="2000000",
              cash_account=CASH)
    assert Decimal(coop.get(loan)["blocked_savings"]["amount"]) == 0
    assert Decimal(coop.call("savings.balance", account=savings)
                   ["account"]["available"]["amount"]) == Decimal(2_000_000)
