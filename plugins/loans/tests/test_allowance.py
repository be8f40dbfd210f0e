"""The allowance (PPAP / cadangan risiko): a rate per class, held collateral deducted first for
non-performing classes when the cooperative chooses, booked at month end; the health
worksheet's problem-loan risk (50 % Kurang Lancar + 75 % Diragukan + 100 % Macet) as a figure
of its own, and the allowance compared with it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from loans_coop import LoansCoop

from kopcore.kernel import Kernel

RP = Decimal


@pytest.fixture
def coop(loans_kernel: Kernel) -> LoansCoop:
    c = LoansCoop(loans_kernel)
    c.product()
    return c


def allowance(coop: LoansCoop, loan: str) -> Decimal:
    return Decimal(coop.get(loan)["allowance"]["amount"])


def gl_allowance(coop: LoansCoop) -> Decimal:
    lines = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    return -Decimal(lines["loans.allowance"]["balance"]["amount"]) \
        if "loans.allowance" in lines else Decimal(0)


def test_collateral_deducted_and_booked_at_month_end(coop: LoansCoop) -> None:
    policy = coop.call("loans.set-regime", as_user="manager", regime="ksp-permenkukm-14-2009",
                       deduct_collateral=True, allowance_posting="month-end")
    assert (policy["deduct_collateral"], policy["allowance_posting"]) == (True, "month-end")
    assert [(c["code"], c["allowance_percent"], c["role"]) for c in policy["classes"]] == [
        ("L", "0.5", "current"), ("KL", "10", "substandard"), ("D", "50", "doubtful"),
        ("M", "100", "loss")]
    covered = coop.loan(coop.member("Agunan"))
    bare = coop.loan(coop.member("Tanpa"))
    # Liquidation value Rp13,260,000: the debt on 31 August (12,000,000 principal and seven
    # months' interest of 180,000 in arrears).
    coop.call("loans.add-collateral", as_user="teller", loan=covered, kind="SHM tanah",
              description="SHM 7", value="20000000", liquidation_value="13260000",
              binding="hak_tanggungan", binding_ref="SHT 7/2026")
    coop.close_days_until(date(2026, 1, 7))
    # Mid-month nothing is booked yet.
    assert allowance(coop, covered) == allowance(coop, bare) == 0
    assert gl_allowance(coop) == 0

    coop.close_days_until(date(2026, 5, 1))
    # 30 April: both Lancar (arrears since 5 February, not over 3 months): 0.5 % of the whole
    # outstanding, collateral is not deducted for a performing class.
    assert [coop.get(x)["collectibility"] for x in (covered, bare)] == ["L", "L"]
    assert allowance(coop, covered) == allowance(coop, bare) == RP(60_000)
    coop.close_days_until(date(2026, 8, 1))
    # 31 July: Kurang Lancar, 10 % of the outstanding less the collateral's cover.
    assert allowance(coop, covered) == 0  # 12,000,000 - 13,260,000 < 0
    assert allowance(coop, bare) == RP(1_200_000)
    coop.close_days_until(date(2026, 8, 8))
    # Diragukan and Macet since 6 August, but the allowance waits for the month's end.
    assert [coop.get(x)["collectibility"] for x in (covered, bare)] == ["D", "M"]
    assert allowance(coop, bare) == RP(1_200_000)
    assert gl_allowance(coop) == RP(1_200_000)
    coop.close_days_until(date(2026, 9, 1))
    assert allowance(coop, covered) == 0  # 50 % of nothing left after the collateral
    assert allowance(coop, bare) == RP(12_000_000)
    assert gl_allowance(coop) == RP(12_000_000)

    # The health worksheet on 31 August: problem-loan risk = 75 % x 12,000,000 (Diragukan) +
    # 100 % x 12,000,000 (Macet) = 21,000,000; the allowance formed covers 57.14 % of it.
    result = coop.call("health.assess", regime="perdep-06-2016", as_of="2026-08-31")
    figures = {f["key"]: f for f in result["plugin_figures"]}
    assert Decimal(figures["loans.doubtful"]["amount"]["amount"]) == RP(12_000_000)
    assert Decimal(figures["loans.loss"]["amount"]["amount"]) == RP(12_000_000)
    assert Decimal(figures["loans.substandard"]["amount"]["amount"]) == 0
    assert Decimal(figures["loans.problem_loan_risk"]["amount"]["amount"]) == RP(21_000_000)
    assert Decimal(figures["loans.allowance_required"]["amount"]["amount"]) == RP(12_000_000)
    assert Decimal(figures["loans.allowance_formed"]["amount"]["amount"]) == RP(12_000_000)
    ratio = {i["key"]: i for i in result["indicators"]}["allowance_to_risk"]
    assert ratio["value_percent"] == "57.14"
    # Cadangan risiko is the allowance and the reserve set aside for the risk of loans
    # (cadangan tujuan risiko): Rp3,000,000 of it brings the cover to 15,000,000 / 21,000,000.
    coop.call("entries.post", memo="Keputusan RAT: cadangan tujuan risiko", lines=[
        {"account": "GL-equity.grants", "side": "debit", "amount": "3000000"},
        {"account": "GL-equity.reserve_risk", "side": "credit", "amount": "3000000"}])
    result = coop.call("health.assess", regime="perdep-06-2016", as_of=str(coop.today()))
    ratio = {i["key"]: i for i in result["indicators"]}["allowance_to_risk"]
    assert ratio["value_percent"] == "71.43"
    assert [(p["source"].split(" (")[0], p["amount"]["amount"])
            for p in ratio["numerator_parts"]] == [
        ("figure loans.allowance_formed", "12000000.00"), ("GL 3202", "3000000.00")]
    portfolio = coop.call("loans.portfolio")
    assert portfolio["regime"] == "ksp-permenkukm-14-2009"
    assert Decimal(portfolio["problem_loan_risk"]["amount"]) == RP(21_000_000)
    assert [(c["code"], c["role"], c["loans"]) for c in portfolio["classes"]] == [
        ("L", "current", 0), ("KL", "substandard", 0), ("D", "doubtful", 1),
        ("M", "loss", 1)]
    coop.books_balance()


def test_without_deduction_the_rate_applies_to_the_whole_outstanding(coop: LoansCoop) -> None:
    coop.call("loans.set-regime", as_user="manager", regime="bank-days")
    loan = coop.loan(coop.member())
    coop.call("loans.add-collateral", as_user="teller", loan=loan, kind="BPKB", value="50000000",
              description="Truk", binding="fidusia", binding_ref="F-9")
    coop.close_days_until(date(2026, 6, 8))  # due since 5 February: 123 days, Diragukan
    assert coop.get(loan)["collectibility"] == "D"
    assert allowance(coop, loan) == RP(6_000_000)  # booked daily: 50 % of 12,000,000
    coop.call("loans.set-regime", as_user="manager", regime="bank-days",
              deduct_collateral=True)
    coop.close_days_until(date(2026, 6, 9))
    assert allowance(coop, loan) == 0
    assert gl_allowance(coop) == 0
    coop.books_balance()
