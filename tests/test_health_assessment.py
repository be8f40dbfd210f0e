"""The health assessment on a seeded cooperative, checked against a hand computation.

The cooperative is driven through the operations (savings and loans plugins, end of day) with
:class:`kopcore.testing.Cooperative`; every expected ratio below is computed in the test from the
amounts posted, then scored by hand with the shipped tables (docs/oversight.md).

Loans are weekly and the cooperative's kolektibilitas classes are tightened (Kurang Lancar from
2 days late) so that a loan becomes non-performing after ten days of end of day.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from kopcore import eod
from kopcore._oversight.scoring import load_regime, parse_regime, percent_text
from kopcore.errors import Forbidden, ValidationError
from kopcore.kernel import Kernel
from kopcore.testing import START_DATE, Cooperative, KernelFactory
from tests.books_support import SavingsAndWeeklyLoans

pytest.importorskip("kopcore_loans")
pytest.importorskip("kopcore_savings")

CAPITAL = 50_000_000
POKOK = 100_000
SUKARELA = (4_000_000, 3_000_000, 2_000_000)
LOAN_A, TERM_A = 5_200_000, 52  # paid on time
LOAN_B, TERM_B = 2_600_000, 26  # never paid: non-performing
SALARIES = 150_000
AS_OF = date(2026, 1, 14)

CLASSES = [
    {"code": "L", "name": "Lancar", "min_days": 0, "allowance_percent": "0.5",
     "non_performing": False},
    {"code": "KL", "name": "Kurang Lancar", "min_days": 2, "allowance_percent": "10",
     "non_performing": True},
    {"code": "D", "name": "Diragukan", "min_days": 15, "allowance_percent": "50",
     "non_performing": True},
    {"code": "M", "name": "Macet", "min_days": 22, "allowance_percent": "100",
     "non_performing": True},
]


def minor(value: dict[str, str] | None) -> int | None:
    """A Money payload in minor units (IDR has two decimals)."""
    if value is None:
        return None
    return int(Decimal(value["amount"]) * 100)


class Seeded(SavingsAndWeeklyLoans):
    """Three members with pokok and sukarela, two weekly loans, one never repaid."""

    def __init__(self, kernel: Kernel) -> None:
        super().__init__(kernel, capital=CAPITAL, pokok=POKOK)
        self.call("loans.set-classes", as_user="manager", classes=CLASSES)
        self.members = []
        for name, deposit in zip(("Ni Luh Ayu", "Made Wirawan", "Ketut Sari"), SUKARELA,
                                 strict=True):
            member = self.member(name)
            self.members.append(member)
            pokok = self.call("savings.open", as_user="teller", member=member,
                              product="POKOK")["account"]["number"]
            self.call("savings.deposit", as_user="teller", account=pokok, amount=str(POKOK),
                      cash_account=self.CASH)
            sukarela = self.call("savings.open", as_user="teller", member=member,
                                 product="SUKARELA")["account"]["number"]
            self.call("savings.deposit", as_user="teller", account=sukarela,
                      amount=str(deposit), cash_account=self.CASH)
        self.loan_a = self.loan(self.members[0], LOAN_A, TERM_A)
        self.loan_b = self.loan(self.members[1], LOAN_B, TERM_B)
        # Loan A has a guarantor, loan B neither collateral nor one: B alone is risky.
        self.call("loans.add-guarantor", as_user="teller", loan=self.loan_a,
                  guarantor=self.members[2], relationship="tetangga")
        self.call("entries.post", memo="Gaji karyawan", lines=[
            {"account": "GL-expense.staff", "side": "debit", "amount": str(SALARIES)},
            {"account": self.CASH, "side": "credit", "amount": str(SALARIES)}])

    def installment(self, loan: str, seq: int) -> dict[str, Any]:
        rows = self.call("loans.schedule", loan=loan)["installments"]
        return dict(next(r for r in rows if r["seq"] == seq))

    def close_days(self, last_day: date) -> None:
        eod.run_end_of_day(self.kernel, until=last_day + timedelta(days=1))


@pytest.fixture
def seeded(make_kernel: KernelFactory) -> Seeded:
    """Loan A's first weekly installment paid on its due date; end of day closed up to and
    including 2026-01-14."""
    coop = Seeded(make_kernel(plugins=("loans", "savings")))
    for seq in (1,):
        due = date.fromisoformat(coop.installment(coop.loan_a, seq)["due_date"])
        coop.close_days(due - timedelta(days=1))
        amount = coop.installment(coop.loan_a, seq)["installment"]["amount"]
        coop.call("loans.repay", as_user="teller", loan=coop.loan_a, amount=amount,
                  cash_account=coop.CASH)
    coop.close_days(AS_OF)
    return coop


def indicators(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["key"]: i for i in result["indicators"]}


def test_ratios_score_and_category_match_a_hand_computation(seeded: Seeded) -> None:
    coop = seeded
    weekly_a = [coop.installment(coop.loan_a, 1)]
    assert weekly_a[0]["status"] == "paid"
    principal_paid = sum(minor(r["principal"]) or 0 for r in weekly_a)
    interest_paid = sum(minor(r["interest"]) or 0 for r in weekly_a)
    # Flat 18 % a year, weekly: principal P/n, interest P x 18 % / 52 each week.
    assert principal_paid == LOAN_A * 100 // TERM_A
    assert interest_paid == LOAN_A * 100 * 18 // 100 // 52

    # Loan B fell due on 01-12 and was not paid: 2 days late on 01-14, Kurang Lancar (10 %);
    # loan A is current (0.5 %). PPAP is rounded to the rupiah per loan.
    outstanding_a = LOAN_A * 100 - principal_paid
    outstanding_b = LOAN_B * 100
    outstanding = outstanding_a + outstanding_b
    allowance = outstanding_a * 5 // 1000 + outstanding_b * 10 // 100
    cash = (CAPITAL + 3 * POKOK + sum(SUKARELA) - LOAN_A - LOAN_B - SALARIES) * 100 \
        + principal_paid + interest_paid
    assets = cash + outstanding - allowance
    liabilities = sum(SUKARELA) * 100
    expenses = SALARIES * 100 + allowance
    equity = (CAPITAL + 3 * POKOK) * 100 + interest_paid - expenses
    assert assets == liabilities + equity

    result = coop.call("health.assess", as_user="auditor", as_of=AS_OF.isoformat())
    figures = result["ledger_figures"]
    assert minor(figures["total_assets"]) == assets
    assert minor(figures["total_liabilities"]) == liabilities
    assert minor(figures["equity"]) == equity
    assert minor(figures["cash_and_bank"]) == cash
    assert minor(figures["member_savings"]) == (3 * POKOK + sum(SUKARELA)) * 100
    assert figures["active_members"] == 3
    reported = {f["key"]: f for f in result["plugin_figures"]}
    assert minor(reported["loans.outstanding"]["amount"]) == outstanding
    assert minor(reported["loans.non_performing"]["amount"]) == outstanding_b
    assert minor(reported["loans.allowance_required"]["amount"]) == allowance
    assert minor(reported["loans.allowance_formed"]["amount"]) == allowance  # booked by EOD
    assert reported["loans.borrowers"]["count"] == 2
    assert reported["loans.outstanding"]["plugins"] == ["loans"]

    # Permenkop 9/2020 with Juknis 15/2021 (1-4). Hand ratios from the amounts posted: all
    # income is member business (loan A's interest), all expenses are not (salaries, PPAP).
    got = indicators(result)
    expected = {
        "equity_to_assets": Fraction(equity, assets),
        "npl": Fraction(outstanding_b, outstanding),
        "liquidity": Fraction(cash, liabilities),
        "liquid_to_assets": Fraction(cash, assets),
        "productive_to_assets": Fraction(outstanding, assets),
        "loans_to_productive_assets": Fraction(1),
        "operating_efficiency": Fraction(expenses, interest_paid),
        "business_cost_to_gross_shu": Fraction(expenses, interest_paid),
        "net_margin": Fraction(interest_paid - expenses, interest_paid),
        "return_on_assets": Fraction(interest_paid - expenses, assets),
        "non_member_funding": Fraction(0),  # no non-member counterparty: closed loop
        # Modal tertimbang: pokok and hibah at 100 %, the year's (negative) surplus at 50 %
        # (half up to the sen); ATMR: cash 0 %, loans and their PPAP 100 %.
        "capital_adequacy": Fraction((3 * POKOK + CAPITAL) * 100
                                     - (expenses - interest_paid + 1) // 2,
                                     outstanding - allowance),
    }
    for key, ratio in expected.items():
        assert got[key]["value_percent"] == percent_text(ratio * 100), key
    assert got["npl"]["value_percent"] == "33.77"
    assert got["equity_growth"]["score"] is None  # no equity a year earlier
    assert got["equity_growth"]["note"].startswith("not available")
    # Traced to the books: equity is Hibah (GL 3103) + Simpanan Pokok (GL 3101) + the year's
    # surplus; the liabilities the sukarela savings' GL account.
    equity_parts = {p["source"]: minor(p["amount"])
                    for p in got["equity_to_assets"]["numerator_parts"]}
    assert equity_parts == {"GL 3101": 3 * POKOK * 100, "GL 3103": CAPITAL * 100,
                            "ledger: income less expenses not yet closed":
                                interest_paid - expenses}
    assert sum(minor(p["amount"]) or 0 for p in got["liquidity"]["denominator_parts"]) \
        == liabilities
    assert got["npl"]["numerator_parts"][0]["source"] == "figure loans.non_performing (loans)"

    # Juknis bands: equity/assets > 30 % -> 4; NPL > 15 % -> 1; loans/productive > 95 % -> 1;
    # BOPO >= 100 % -> 1; business cost/gross SHU >= 80 % -> 1; NPM and ROA negative -> 1;
    # and placeholder bands (marked not-found): productive/assets 13 % (at most 75 %) -> 4,
    # liquid/assets and cash ratio > 40 % -> 2; funding from non-members 0 % of assets (at
    # most 40 %, Permenkop 8/2023) -> 4. Questionnaires not answered.
    scores = {"equity_to_assets": 4, "npl": 1, "loans_to_productive_assets": 1,
              "operating_efficiency": 1, "business_cost_to_gross_shu": 1,
              "productive_to_assets": 4, "liquid_to_assets": 2, "liquidity": 2,
              "net_margin": 1, "return_on_assets": 1, "non_member_funding": 4,
              "capital_adequacy": 4}
    assert {k: got[k]["score"] for k in scores} == scores
    assert {k for k, v in got.items() if v["score"] is not None} == set(scores)
    assert got["productive_to_assets"]["status"] == "not-found"
    assert got["operating_efficiency"]["status"] == "verified"
    # Each aspect's weight is shared by its indicators: profil risiko 15 over 11, kinerja
    # keuangan 40 over 6, permodalan 15 over 3.
    share = {"npl": Fraction(15, 11), "loans_to_productive_assets": Fraction(15, 11),
             "productive_to_assets": Fraction(15, 11), "liquid_to_assets": Fraction(15, 11),
             "liquidity": Fraction(15, 11), "operating_efficiency": Fraction(40, 6),
             "business_cost_to_gross_shu": Fraction(40, 6), "net_margin": Fraction(40, 6),
             "return_on_assets": Fraction(40, 6), "equity_to_assets": Fraction(15, 3),
             "non_member_funding": Fraction(15, 11), "capital_adequacy": Fraction(15, 3)}
    points = sum(share[k] * scores[k] / 4 for k in scores)
    score = points / sum(share.values()) * 100
    assert result["score"] == percent_text(score) == "47.80"
    assert result["category"] == "Dalam Pengawasan Khusus"
    assert result["complete"] is False
    aspects = {a["name"]: a for a in result["aspects"]}
    assert aspects["Kinerja keuangan"]["points"] == percent_text(Fraction(40, 6))
    assert aspects["Tata kelola"]["percent"] is None
    coop.books_balance()

    # Perdep 06/2016 (nilai 0-100, bobot per ratio).
    result = coop.call("health.assess", regime="perdep-06-2016", as_of=AS_OF.isoformat())
    got = indicators(result)
    reported = {f["key"]: f for f in result["plugin_figures"]}
    assert minor(reported["loans.substandard"]["amount"]) == outstanding_b
    assert minor(reported["loans.problem_loan_risk"]["amount"]) == outstanding_b // 2
    funds = liabilities + (CAPITAL + 3 * POKOK) * 100  # savings + hibah + pokok
    expected = {
        "equity_to_assets": Fraction(equity, assets),
        "member_loans": Fraction(1),
        "problem_loan_risk": Fraction(outstanding_b // 2, outstanding),
        "allowance_to_risk": Fraction(allowance, outstanding_b // 2),
        "member_cost_to_participation": Fraction(0),
        "business_cost_to_gross_shu": Fraction(expenses, interest_paid),
        "service_efficiency": Fraction(SALARIES * 100, outstanding),
        "liquidity": Fraction(cash, liabilities),
        "loans_to_funds": Fraction(outstanding, funds),
        "return_on_assets": Fraction(interest_paid - expenses, assets),
        # Kemandirian operasional: partisipasi netto (no member-business expenses) / beban.
        "operational_independence": Fraction(interest_paid, expenses),
        "gross_participation": Fraction(1),
        # Pinjaman berisiko: loan B, lent without collateral or a guarantor (loan A has one).
        "risky_loans": Fraction(outstanding_b, outstanding),
        "equity_to_risky_loans": Fraction(equity, outstanding_b),
        # Modal tertimbang of Permen KUKM 14/2009's table: the sukarela savings count at 50 %.
        "own_capital_adequacy": Fraction((3 * POKOK + CAPITAL) * 100
                                         - (expenses - interest_paid + 1) // 2
                                         + (liabilities + 1) // 2,
                                         outstanding - allowance),
        # The year runs at a deficit: no SHU for members, so ROE and PEA are 0 %.
        "return_on_equity": Fraction(0),
        "member_economic_promotion": Fraction(0),
    }
    assert minor(reported["loans.risky"]["amount"]) == outstanding_b
    for key, ratio in expected.items():
        assert got[key]["value_percent"] == percent_text(ratio * 100), key
    # The worksheet compares the allowance with the problem-loan risk: 50 % of loan B (Kurang
    # Lancar) = Rp1,300,000; allowance Rp285,500 -> 21.96 %.
    assert got["allowance_to_risk"]["value_percent"] == "21.96"
    # Annex bands: equity/assets 84.7 % (> 80) -> 25; loans to members 100 % -> 100; RPM
    # 16.88 % (10-20) -> 60; allowance/risk 21.96 % (20-30) -> 30; member cost 0 % -> 100;
    # business cost > 80 % -> 25; staff cost 1.95 % of loans (< 5) -> 100; cash ratio > 20 %
    # -> 25; loans/funds 13 % (< 50) -> 25; ROA < 5 % -> 25; kemandirian operasional at most
    # 100 % -> 0;
    # gross participation 100 % -> 100; equity / risky loans (100 % or more) -> 100; CAR
    # (8 % or more) -> 100; risky loans 33.77 % (> 30) -> 25; ROE 0 % (< 3) -> 25; PEA 0 %
    # (< 5) -> 0. Management questionnaire not answered.
    scores = {"equity_to_assets": 25, "member_loans": 100, "problem_loan_risk": 60,
              "allowance_to_risk": 30, "member_cost_to_participation": 100,
              "business_cost_to_gross_shu": 25, "service_efficiency": 100, "liquidity": 25,
              "loans_to_funds": 25, "return_on_assets": 25, "operational_independence": 0,
              "gross_participation": 100, "equity_to_risky_loans": 100,
              "own_capital_adequacy": 100, "risky_loans": 25, "return_on_equity": 25,
              "member_economic_promotion": 0}
    bobot = {"equity_to_assets": 6, "member_loans": 10, "problem_loan_risk": 5,
             "allowance_to_risk": 5, "member_cost_to_participation": 4,
             "business_cost_to_gross_shu": 4, "service_efficiency": 2, "liquidity": 10,
             "loans_to_funds": 5, "return_on_assets": 3, "operational_independence": 4,
             "gross_participation": 7, "equity_to_risky_loans": 6, "own_capital_adequacy": 3,
             "risky_loans": 5, "return_on_equity": 3, "member_economic_promotion": 3}
    assert {k: got[k]["score"] for k in scores} == scores
    assert {k for k, v in got.items() if v["score"] is not None} == set(scores)
    assert got["risky_loans"]["numerator_parts"][0]["source"] == "figure loans.risky (loans)"
    skor = sum(Fraction(bobot[k] * scores[k], 100) for k in scores)
    assert skor == Fraction(455, 10)
    assert got["problem_loan_risk"]["points"] == "3.00"
    assert result["score"] == percent_text(skor / sum(bobot.values()) * 100) == "53.53"
    assert result["category"] == "Dalam Pengawasan"
    assert "Perdep" in result["regime_name"]
    assert "06/Per/Dep.6" in result["source"]

    # A past date uses the schedule and the postings of that day: on the disbursement day both
    # loans were current, the allowance formed by that day's end of day covers nothing
    # non-performing, and coverage scores best.
    result = coop.call("health.assess", as_of=START_DATE.isoformat())
    reported = {f["key"]: f for f in result["plugin_figures"]}
    assert minor(reported["loans.outstanding"]["amount"]) == (LOAN_A + LOAN_B) * 100
    assert minor(reported["loans.non_performing"]["amount"]) == 0
    assert minor(reported["loans.allowance_formed"]["amount"]) == (LOAN_A + LOAN_B) * 100 \
        * 5 // 1000
    got = indicators(result)
    assert got["npl"]["value_percent"] == "0.00"
    assert got["npl"]["score"] == 4
    # Perdep 06/2016 scores the allowance against a problem-loan risk of nothing as best.
    got = indicators(coop.call("health.assess", regime="perdep-06-2016",
                               as_of=START_DATE.isoformat()))
    assert got["allowance_to_risk"]["score"] == 100
    assert "no problem-loan risk" in got["allowance_to_risk"]["note"]

    with pytest.raises(ValidationError):
        coop.call("health.assess", as_of="2027-01-01")  # after the business date
    with pytest.raises(ValidationError):
        coop.call("health.assess", regime="made-up")


def test_without_the_loans_plugin_the_loan_ratios_are_not_available(
        make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(plugins=("savings",)), capital="10000000")
    coop.call("entries.post", memo="Titipan", lines=[
        {"account": coop.CASH, "side": "debit", "amount": "2000000"},
        {"account": "GL-payable.other", "side": "credit", "amount": "2000000"}])
    result = coop.call("health.assess")
    got = indicators(result)
    for key in ("npl", "productive_to_assets", "loans_to_productive_assets"):
        assert got[key]["score"] is None, key
        assert "no plugin reports loans" in got[key]["note"], key
    # Equity 10,000,000 / assets 12,000,000 = 83.33 % (> 30) -> 4; cash 12,000,000 /
    # liabilities 2,000,000 = 600 % and / assets 100 % (> 40) -> 2 each; ROA 0 % -> 1; no
    # income: NPM, BOPO and business cost not available.
    assert got["equity_to_assets"]["value_percent"] == "83.33"
    assert got["liquidity"]["value_percent"] == "600.00"
    assert got["return_on_assets"]["value_percent"] == "0.00"
    assert got["operating_efficiency"]["note"] == "not available: no income this year"
    # No non-member counterparty: funding from non-members 0 % of assets -> 4.
    assert got["non_member_funding"]["value_percent"] == "0.00"
    share = {"equity_to_assets": Fraction(15, 3), "liquidity": Fraction(15, 11),
             "liquid_to_assets": Fraction(15, 11), "return_on_assets": Fraction(40, 6),
             "non_member_funding": Fraction(15, 11)}
    scores = {"equity_to_assets": 4, "liquidity": 2, "liquid_to_assets": 2,
              "return_on_assets": 1, "non_member_funding": 4}
    assert {k for k, v in got.items() if v["score"] is not None} == set(scores)
    score = sum(share[k] * scores[k] / 4 for k in scores) / sum(share.values()) * 100
    assert result["score"] == percent_text(score) == "59.62"
    assert result["category"] == "Dalam Pengawasan"
    assert result["complete"] is False


def test_governance_answers_enter_the_score_and_are_kept_with_who_and_when(
        make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(), capital="10000000")
    coop.call("users.create", username="manager", role="manager")
    coop.call("users.create", username="auditor", role="auditor")
    coop.call("entries.post", memo="Titipan", lines=[
        {"account": coop.CASH, "side": "debit", "amount": "2000000"},
        {"account": "GL-payable.other", "side": "credit", "amount": "2000000"}])
    questions = coop.call("health.questionnaire-show", as_user="auditor")["questions"]
    membership = [q for q in questions if q["indicator"] == "principle_membership"]
    shu = [q for q in questions if q["indicator"] == "principle_shu"]
    assert (len(membership), len(shu)) == (4, 3)  # the Juknis' sub-indicators
    assert all(q["answer"] is None for q in questions)
    first = membership[0]["key"]
    with pytest.raises(Forbidden):
        coop.call("health.questionnaire-set", as_user="auditor", question=first,
                  answer="yes")
    coop.refused(ValidationError, "health.questionnaire-set", question="no-such-question",
                 answer="yes")
    coop.call("health.questionnaire-set", as_user="manager", question=first,
              answer="no", note="first reading")
    eod.run_end_of_day(coop.kernel, until=START_DATE + timedelta(days=1))
    for q in [*membership, *shu]:
        answer = "no" if q["key"] == membership[3]["key"] else "yes"
        saved = coop.call("health.questionnaire-set", as_user="manager", question=q["key"],
                          answer=answer, note="RAT 2025 minutes")
        assert saved["answered_by"] == "manager"
        assert saved["business_date"] == "2026-01-06"
    shown = {q["key"]: q for q in coop.call("health.questionnaire-show")["questions"]}
    assert shown[first]["answer"] is True  # the newest answer is in force
    # The earlier answer stays on record and is the one in force on the earlier date.
    earlier = {q["key"]: q for q in coop.call("health.questionnaire-show",
                                               as_of=START_DATE.isoformat())["questions"]}
    assert earlier[first]["answer"] is False
    assert earlier[first]["note"] == "first reading"
    assert earlier[shu[0]["key"]]["answer"] is None

    result = coop.call("health.assess", as_user="auditor")
    got = indicators(result)
    # Juknis table: 3 of 4 met = 75 % (51-75) -> 3; 3 of 3 = 100 % -> 4.
    assert (got["principle_membership"]["value_percent"],
            got["principle_membership"]["score"]) == ("75.00", 3)
    assert got["principle_shu"]["score"] == 4
    assert got["principle_shu"]["band"] == "> 75.00"
    # With the books of the test without loans (59.62 from 5 ratios), the tata kelola aspect
    # now counts two of its 17 indicators, each 30/17.
    share = {"equity_to_assets": Fraction(15, 3), "liquidity": Fraction(15, 11),
             "liquid_to_assets": Fraction(15, 11), "return_on_assets": Fraction(40, 6),
             "non_member_funding": Fraction(15, 11),
             "principle_membership": Fraction(30, 17), "principle_shu": Fraction(30, 17)}
    scores = {"equity_to_assets": 4, "liquidity": 2, "liquid_to_assets": 2,
              "return_on_assets": 1, "non_member_funding": 4, "principle_membership": 3,
              "principle_shu": 4}
    score = sum(share[k] * scores[k] / 4 for k in scores) / sum(share.values()) * 100
    assert result["score"] == percent_text(score)
    assert result["pulling_down"][0] == "return_on_assets"


def test_hook_health_figures_adds_up_every_plugins_figures(make_kernel: KernelFactory) -> None:
    """The example plugin reports its savers; the figures reach the assessment with the name
    of the plugin that reported them."""
    coop = Cooperative(make_kernel(plugins=("celengan",)))
    member = coop.member()
    opened = coop.call("celengan.open", as_user="teller", member=member, target="500000",
                       purpose="Lebaran")
    coop.call("celengan.deposit", as_user="teller", account=opened["account"],
              amount="100000", cash_account=coop.CASH)
    result = coop.call("health.assess")
    reported = {f["key"]: f for f in result["plugin_figures"]}
    assert reported["celengan.savers"]["count"] == 1
    assert reported["celengan.savers"]["plugins"] == ["celengan"]
    assert reported["celengan.savers"]["amount"] is None


def test_regime_files_are_checked_when_loaded() -> None:
    regime = load_regime("permenkop-9-2020")
    assert sum(i.weight for i in regime.indicators) == 100
    assert "Permenkop" in regime.source or "Menteri Koperasi" in regime.source
    broken = {"code": "x", "name": "x", "source": "x", "max_score": 4,
              "categories": [{"name": "Sehat", "min": "80"}],
              "indicators": [{"key": "npl", "name": "NPL", "aspect": "risk", "weight": 10.5,
                              "bands": [{"score": 4}]}]}
    from kopcore.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="decimal strings"):
        parse_regime(broken, "broken.toml")
