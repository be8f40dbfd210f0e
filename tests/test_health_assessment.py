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


class Seeded(Cooperative):
    """Three members with pokok and sukarela, two weekly loans, one never repaid."""

    def __init__(self, kernel: Kernel) -> None:
        super().__init__(kernel, capital=str(CAPITAL))
        self.call("users.create", username="manager", role="manager")
        self.call("users.create", username="auditor", role="auditor")
        self.call("savings.product-create", code="POKOK", name="Simpanan Pokok", type="pokok",
                  amount=str(POKOK))
        self.call("savings.product-create", code="SUKARELA", name="Simpanan Sukarela",
                  type="sukarela")
        self.call("loans.product-create", as_user="manager", code="MINGGUAN",
                  name="Pinjaman Mingguan", method="flat", frequency="weekly",
                  annual_rate="18", min_amount="100000", max_amount="100000000", min_term=1,
                  max_term=104, accounting="cash")
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
        self.call("entries.post", memo="Gaji karyawan", lines=[
            {"account": "GL-expense.staff", "side": "debit", "amount": str(SALARIES)},
            {"account": self.CASH, "side": "credit", "amount": str(SALARIES)}])

    def loan(self, member: str, amount: int, term: int) -> str:
        number = str(self.call("loans.apply", as_user="teller", member=member,
                               product="MINGGUAN", amount=str(amount), term=term)["number"])
        self.call("loans.approve", as_user="manager", loan=number)
        self.call("loans.disburse", as_user="teller", loan=number, to_savings=False,
                  cash_account=self.CASH)
        return number

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

    expected = {
        "equity_to_assets": Fraction(equity, assets),
        "npl": Fraction(outstanding_b, outstanding),
        "allowance_coverage": Fraction(allowance, outstanding_b),
        "liquidity": Fraction(cash, liabilities),
        "operating_efficiency": Fraction(expenses, interest_paid),
    }
    got = indicators(result)
    for key, ratio in expected.items():
        assert got[key]["value_percent"] == percent_text(ratio * 100), key
    assert got["npl"]["value_percent"] == "33.77"
    assert got["equity_growth"]["score"] is None  # no equity a year earlier
    assert got["equity_growth"]["note"].startswith("not available")

    # Permenkop 9/2020 table (1-4): equity/assets >= 20 % -> 4; NPL > 15 % -> 1; coverage
    # < 50 % -> 1; liquidity >= 40 % -> 2; efficiency > 100 % -> 1; governance not answered.
    scores = {"equity_to_assets": 4, "npl": 1, "allowance_coverage": 1, "liquidity": 2,
              "operating_efficiency": 1}
    assert {k: got[k]["score"] for k in scores} == scores
    assert got["governance"]["score"] is None
    weights = {"equity_to_assets": 25, "npl": 15, "allowance_coverage": 5, "liquidity": 10,
               "operating_efficiency": 15}
    score = Fraction(sum(weights[k] * scores[k] for k in scores) * 100,
                     4 * sum(weights.values()))
    assert result["score"] == percent_text(score) == "55.36"
    assert result["category"] == "Dalam Pengawasan"
    assert result["complete"] is False
    # Lost weighted points: NPL 11.25, efficiency 11.25, liquidity 5, coverage 3.75.
    assert result["pulling_down"] == ["npl", "operating_efficiency", "liquidity",
                                      "allowance_coverage"]
    coop.books_balance()

    # The older regime scores the same ratios on its own table.
    result = coop.call("health.assess", regime="perdep-06-2016", as_of=AS_OF.isoformat())
    got = indicators(result)
    # Equity/assets 84.7 % is outside every better band (40-60 best, 20-40 and 60-80 next):
    # 25; NPL > 15 %: 25; coverage < 25 %: 25; efficiency > 100 %: 25; cash ratio > 20 %: 25.
    assessed = {k: v["score"] for k, v in got.items() if v["score"] is not None}
    assert assessed == {"equity_to_assets": 25, "npl": 25, "allowance_to_risk": 25,
                        "operating_efficiency": 25, "liquidity": 25}
    # The worksheet compares the allowance with the problem-loan risk: 50 % of loan B (Kurang
    # Lancar) = Rp1,300,000; allowance Rp285,500 → 21.96 %, under 25 %.
    reported = {f["key"]: f for f in result["plugin_figures"]}
    assert minor(reported["loans.substandard"]["amount"]) == outstanding_b
    assert minor(reported["loans.problem_loan_risk"]["amount"]) == outstanding_b // 2
    assert got["allowance_to_risk"]["value_percent"] == percent_text(
        Fraction(allowance, outstanding_b // 2) * 100) == "21.96"
    assert result["score"] == "25.00"
    assert result["category"] == "Dalam Pengawasan Khusus"
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
    assert got["allowance_coverage"]["score"] == 4
    assert "no non-performing loans" in got["allowance_coverage"]["note"]

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
    assert got["npl"]["score"] is None
    assert "no plugin reports loans" in got["npl"]["note"]
    assert got["allowance_coverage"]["score"] is None
    # Equity 10,000,000 / assets 12,000,000 = 83.33 % -> 4; cash 12,000,000 / liabilities
    # 2,000,000 = 600 % -> 2: (25 x 4 + 10 x 2) / (4 x 35) = 85.71 -> Sehat, provisional.
    assert got["equity_to_assets"]["value_percent"] == "83.33"
    assert got["liquidity"]["value_percent"] == "600.00"
    assert result["score"] == "85.71"
    assert result["category"] == "Sehat"
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
    assert len(questions) == 7
    assert all(q["answer"] is None for q in questions)
    with pytest.raises(Forbidden):
        coop.call("health.questionnaire-set", as_user="auditor", question="rat-held",
                  answer="yes")
    coop.refused(ValidationError, "health.questionnaire-set", question="no-such-question",
                 answer="yes")
    coop.call("health.questionnaire-set", as_user="manager", question="four-eyes",
              answer="no", note="first reading")
    eod.run_end_of_day(coop.kernel, until=START_DATE + timedelta(days=1))
    for q in questions:
        answer = "no" if q["key"] in ("statements-audited", "member-education") else "yes"
        saved = coop.call("health.questionnaire-set", as_user="manager", question=q["key"],
                          answer=answer, note="RAT 2025 minutes")
        assert saved["answered_by"] == "manager"
        assert saved["business_date"] == "2026-01-06"
    shown = {q["key"]: q for q in coop.call("health.questionnaire-show")["questions"]}
    assert shown["four-eyes"]["answer"] is True  # the newest answer is in force
    assert shown["statements-audited"]["answer"] is False
    # The earlier answer stays on record and is the one in force on the earlier date.
    earlier = {q["key"]: q for q in coop.call("health.questionnaire-show",
                                               as_of=START_DATE.isoformat())["questions"]}
    assert earlier["four-eyes"]["answer"] is False
    assert earlier["four-eyes"]["note"] == "first reading"
    assert earlier["rat-held"]["answer"] is None

    result = coop.call("health.assess", as_user="auditor")
    got = indicators(result)
    # 5 of 7 yes: 4 x 5/7 = 2.857 -> 3 (half up); the share is 71.43 %. Equity/assets
    # 10,000,000 / 12,000,000 -> 4; cash 12,000,000 / liabilities 2,000,000 = 600 % -> 2.
    assert got["governance"]["score"] == 3
    assert got["governance"]["value_percent"] == "71.43"
    score = Fraction(25 * 3 + 25 * 4 + 10 * 2, 4 * (25 + 25 + 10)) * 100
    assert result["score"] == percent_text(score) == "81.25"
    assert result["category"] == "Sehat"
    # Without the answers the same books score 85.71 (see the test without loans): the
    # questionnaire now costs the most points, then liquidity.
    assert result["pulling_down"] == ["governance", "liquidity"]


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
