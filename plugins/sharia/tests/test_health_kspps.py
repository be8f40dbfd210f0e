"""The KSPPS health worksheet (Perdep 07/Per/Dep.6/IV/2016) of a sharia cooperative, ratio by
ratio against a hand computation from the amounts posted: NPF from the murabahah contracts and
their kolektibilitas, and dana syirkah temporer (mudharabah savings) kept out of the
liabilities.

The books on the end of 1 March 2026 (all amounts in rupiah):

- capital 1,000,000,000 (hibah) in cash;
- Siti: mudharabah savings 20,000,000 (dana syirkah temporer); Budi: wadiah 5,000,000;
- murabahah A (Siti): cost 10,000,000, margin 2,000,000, 10 installments, the first paid on
  the contract day (1,200,000: 1,000,000 cost + 200,000 margin recognised); current;
- murabahah B (Budi): cost 3,333,333, margin 666,667, one installment due 28 February, unpaid:
  a day late at the end of 1 March, Kurang Lancar (the class starts at 1 day here).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kopcore_sharia import health
from sharia_coop import CASH, Coop

from kopcore.errors import NotFound
from kopcore.kernel import Kernel


def percent_text(value: Fraction) -> str:
    """Percent with two decimals, half up (as the assessment shows it)."""
    hundredths = value * 100
    whole = int(abs(hundredths) + Fraction(1, 2))
    return f"{'-' if value < 0 else ''}{whole // 100}.{whole % 100:02d}"

CAPITAL = 1_000_000_000
MUDHARABAH = 20_000_000
WADIAH = 5_000_000
COST_A, MARGIN_A, N_A = 10_000_000, 2_000_000, 10
COST_B, MARGIN_B = 3_333_333, 666_667
AS_OF = date(2026, 3, 1)
UNIT_CASH = "KAS-SYARIAH"
FUNDING = 100_000_000
CAPITAL_DEFAULT = 1_000_000_000  # the test cooperative's opening capital


def line(account: str, side: str, amount: str) -> dict[str, str]:
    return {"account": account, "side": side, "amount": amount}


def rp(payload: dict[str, str] | None) -> Fraction | None:
    return None if payload is None else Fraction(Decimal(payload["amount"]))


def seeded(coop_from: Callable[[date], Coop]) -> Coop:
    coop = coop_from(date(2026, 1, 31))
    siti, budi = coop.member(), coop.member("Budi Santoso")
    coop.call("sharia.mudharabah-pool-create", as_user="manager", code="TAB", name="Tabungan",
              nisbah="60")
    coop.call("sharia.mudharabah-open", member=siti, pool="TAB", amount=str(MUDHARABAH),
              cash_account=CASH)
    wadiah = coop.call("sharia.wadiah-open", member=budi)["number"]
    coop.call("sharia.wadiah-deposit", account=wadiah, amount=str(WADIAH), cash_account=CASH)
    a = coop.call("sharia.murabahah-contract", member=siti,
                  acquisition=coop.acquire(siti, str(COST_A)), margin=str(MARGIN_A),
                  installments=N_A)["murabahah"]["account"]["number"]
    coop.call("sharia.murabahah-contract", member=budi,
              acquisition=coop.acquire(budi, str(COST_B)), margin=str(MARGIN_B),
              installments=1)
    coop.call("sharia.murabahah-pay", account=a, cash_account=CASH)
    coop.call("sharia.collectibility-set", as_user="manager", code="2", name="Kurang Lancar",
              min_days=1)
    coop.close_days(date(2026, 3, 2))  # ends of day 31 January - 1 March
    return coop


def indicators(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["key"]: i for i in result["indicators"]}


def test_kspps_worksheet_npf_and_temporary_syirkah(coop_from: Callable[[date], Coop]) -> None:
    coop = seeded(coop_from)
    # --- hand figures ------------------------------------------------------------------------
    base_a = COST_A - COST_A // N_A  # receivable 10,800,000 less deferred margin 1,800,000
    base_b = COST_B  # receivable 4,000,000 less deferred margin 666,667
    financing = base_a + base_b
    risk = (Fraction(base_b) / 2).__ceil__()  # 1,666,666.5 -> 1,666,667 (half up)
    allowance = base_a * 5 // 1000 + base_b * 10 // 100  # 45,000 + 333,333 (end of 1 March)
    margin_income = MARGIN_A // N_A
    cash = CAPITAL - COST_A - COST_B + MUDHARABAH + WADIAH + (COST_A + MARGIN_A) // N_A
    surplus = margin_income - allowance
    equity = CAPITAL + surplus
    assets = WADIAH + MUDHARABAH + equity  # dana syirkah temporer sits between the two
    assert assets == cash + financing - allowance

    result = coop.call("health.assess", as_user="auditor", regime="perdep-07-2016",
                       as_of=AS_OF.isoformat())
    reported = {f["key"]: f for f in result["plugin_figures"]}
    assert rp(reported[health.OUTSTANDING]["amount"]) == financing
    assert rp(reported[health.NON_PERFORMING]["amount"]) == base_b
    assert rp(reported["sharia.financing_substandard"]["amount"]) == base_b
    assert rp(reported[health.PROBLEM_RISK]["amount"]) == risk == 1_666_667
    assert rp(reported[health.ALLOWANCE_FORMED]["amount"]) == allowance == 378_333

    # Dana syirkah temporer is neither a liability nor equity.
    ledger_figures = result["ledger_figures"]
    assert rp(ledger_figures["total_liabilities"]) == WADIAH
    assert rp(ledger_figures["equity"]) == equity
    assert rp(ledger_figures["total_assets"]) == assets

    got = indicators(result)
    expected = {
        "equity_to_assets": Fraction(equity, assets),
        "npf": Fraction(base_b, financing),
        "financing_allowance_to_risk": Fraction(allowance, risk),
        "member_cost_to_participation": Fraction(0),
        "business_cost_to_gross_shu": Fraction(allowance, margin_income),
        "service_efficiency": Fraction(0),
        "liquidity": Fraction(cash, WADIAH),
        "financing_to_funds": Fraction(financing, WADIAH + MUDHARABAH + CAPITAL),
        "return_on_assets": Fraction(surplus, assets),
        # Kemandirian operasional: partisipasi netto (no member-business expenses) / beban
        # usaha (the allowance).
        "operational_independence": Fraction(margin_income, allowance),
        "gross_participation": Fraction(1),
        # Modal tertimbang: hibah at 100 % and the year's (negative) surplus at 50 % (half up
        # to the sen; dana syirkah temporer is not capital); ATMR: cash 0 %, financing net of
        # its PPAP 100 %.
        "capital_adequacy": Fraction(CAPITAL * 100 - (-surplus * 100 + 1) // 2,
                                     (financing - allowance) * 100),
        # A deficit: no SHU for members.
        "return_on_equity": Fraction(0),
    }
    for key, value in expected.items():
        assert got[key]["value_percent"] == percent_text(value * 100), key
    assert got["npf"]["value_percent"] == "27.03"
    # The cash ratio's denominator is the wadiah alone: GL 2122 (mudharabah) is not in it,
    # while the funds received count it.
    liquidity = got["liquidity"]
    assert [p["source"] for p in liquidity["denominator_parts"]] == ["GL 2121"]
    assert "GL 2122" in [p["source"] for p in got["financing_to_funds"]["denominator_parts"]]
    assert rp(liquidity["denominator"]) == WADIAH

    # Scores on the Perdep 07/2016 table: equity 97.6 % > 80 -> 25; NPF > 12 % -> 25;
    # allowance/risk 22.70 % (20-30) -> 30; member cost 0 % -> 100; business cost 189 % -> 25;
    # staff cost 0 % -> 100; cash ratio > 20 % -> 25; financing/funds 1.2 % -> 25; ROA < 5 %
    # -> 25; kemandirian operasional 52.9 % (at most 100) -> 0; participation 100 % -> 100; capital
    # adequacy (8 % or more) -> 100; ROE 0 % -> 25. PEA: no pokok and wajib, not available.
    scores = {"equity_to_assets": 25, "npf": 25, "financing_allowance_to_risk": 30,
              "member_cost_to_participation": 100, "business_cost_to_gross_shu": 25,
              "service_efficiency": 100, "liquidity": 25, "financing_to_funds": 25,
              "return_on_assets": 25, "operational_independence": 0, "gross_participation": 100,
              "capital_adequacy": 100, "return_on_equity": 25}
    weights = {"equity_to_assets": 5, "npf": 10, "financing_allowance_to_risk": 10,
               "member_cost_to_participation": 4, "business_cost_to_gross_shu": 4,
               "service_efficiency": 2, "liquidity": 10, "financing_to_funds": 5,
               "return_on_assets": 3, "operational_independence": 4, "gross_participation": 7,
               "capital_adequacy": 5, "return_on_equity": 3}
    assert {k: got[k]["score"] for k in scores} == scores
    assert {k for k, v in got.items() if v["score"] is not None} == set(scores)
    assert got["member_economic_promotion"]["note"] == \
        "not available: no simpanan pokok and wajib"
    points = sum(Fraction(weights[k] * scores[k], 100) for k in scores)
    assert points == Fraction(3100, 100)
    assert result["score"] == percent_text(points / sum(weights.values()) * 100) == "43.06"
    assert result["category"] == "Dalam Pengawasan Khusus"
    aspects = {a["name"]: a for a in result["aspects"]}
    assert aspects["Kepatuhan prinsip syariah"]["weight"] == "10.00"
    assert aspects["Kepatuhan prinsip syariah"]["percent"] is None  # not answered yet
    assert aspects["Kualitas aktiva produktif"]["points"] == "5.50"  # 2.5 + 3


def test_sharia_compliance_questionnaire_and_printable_worksheet(
        coop_from: Callable[[date], Coop]) -> None:
    coop = seeded(coop_from)
    questions = [q for q in coop.call("health.questionnaire-show", regime="perdep-07-2016",
                                      as_user="auditor")["questions"]
                 if q["indicator"] == "sharia_compliance"]
    assert len(questions) == 10
    for q in questions[:8]:
        coop.call("health.questionnaire-set", as_user="manager", regime="perdep-07-2016",
                  question=q["key"], answer="yes")
    for q in questions[8:]:
        coop.call("health.questionnaire-set", as_user="manager", regime="perdep-07-2016",
                  question=q["key"], answer="no")
    result = coop.call("health.assess", as_user="auditor", regime="perdep-07-2016",
                       format="html")
    got = indicators(result)["sharia_compliance"]
    # 8 of 10 yes: 80 % of the top score 100 -> 80; weight 10 -> 8 points.
    assert (got["value_percent"], got["score"], got["points"]) == ("80.00", 80, "8.00")
    page = result["document"]
    assert page.startswith("<!DOCTYPE html>")
    assert "Kepatuhan prinsip syariah" in page
    assert "GL 2121" in page
    assert "<script" not in page


def test_a_sharia_unit_is_assessed_on_its_own_books(make_kernel: Callable[..., Kernel]
                                                    ) -> None:
    """A USPPS beside a conventional business: the worksheet of unit ``syariah`` reads the
    unit's GL accounts and the sharia figures only; its mudharabah savings stay out of its
    liabilities, the head office's funding (RAK) is one of them."""
    coop = Coop(make_kernel(plugins=("sharia",)))
    coop.call("accounts.open-internal", name="Kas Unit Syariah", gl_key="sharia.cash",
              number=UNIT_CASH)
    coop.call("entries.post", memo="Modal kerja unit syariah", lines=[
        line(UNIT_CASH, "debit", str(FUNDING)), line("GL-sharia.unit_funds", "credit",
                                                      str(FUNDING)),
        line("GL-sharia.head_office_investment", "debit", str(FUNDING)),
        line(CASH, "credit", str(FUNDING))])
    siti = coop.member()
    contract = coop.call("sharia.murabahah-contract", member=siti,
                         acquisition=coop.acquire(siti, str(COST_A), cash_account=UNIT_CASH),
                         margin=str(MARGIN_A), installments=N_A)
    coop.call("sharia.murabahah-pay", account=contract["murabahah"]["account"]["number"],
              cash_account=UNIT_CASH)
    coop.call("sharia.mudharabah-pool-create", as_user="manager", code="TAB", name="Tabungan",
              nisbah="60")
    coop.call("sharia.mudharabah-open", member=siti, pool="TAB", amount=str(MUDHARABAH),
              cash_account=UNIT_CASH)
    wadiah = coop.call("sharia.wadiah-open", member=siti)["number"]
    coop.call("sharia.wadiah-deposit", account=wadiah, amount="500000", cash_account=UNIT_CASH)
    coop.call("entries.post", memo="Pendapatan lain kantor pusat", lines=[
        line(CASH, "debit", "75000"), line("GL-income.other", "credit", "75000")])

    cash = FUNDING - COST_A + (COST_A + MARGIN_A) // N_A + MUDHARABAH + 500_000
    financing = COST_A - COST_A // N_A
    liabilities = FUNDING + 500_000  # RAK kantor pusat + wadiah
    surplus = MARGIN_A // N_A  # the head office's 75,000 is not the unit's
    result = coop.call("health.assess", as_user="auditor", regime="perdep-07-2016",
                       unit="syariah")
    figures = result["ledger_figures"]
    assert rp(figures["cash_and_bank"]) == cash == 111_700_000
    assert rp(figures["total_liabilities"]) == liabilities
    assert rp(figures["equity"]) == surplus
    assert rp(figures["total_assets"]) == liabilities + MUDHARABAH + surplus
    assert {f["key"].split(".")[0] for f in result["plugin_figures"]} == {"sharia"}
    got = indicators(result)
    assert got["liquidity"]["value_percent"] == percent_text(Fraction(cash, liabilities) * 100)
    assert [p["source"] for p in got["liquidity"]["numerator_parts"]] == ["GL 1105"]
    assert got["npf"]["value_percent"] == "0.00"
    assert got["financing_to_funds"]["value_percent"] == percent_text(
        Fraction(financing, liabilities + MUDHARABAH) * 100)
    assert got["gross_participation"]["value_percent"] == "100.00"
    # Consolidated, the unit's cash is cash too, and the head office's income counts.
    whole = coop.call("health.assess", as_user="auditor", regime="perdep-07-2016")
    assert rp(whole["ledger_figures"]["cash_and_bank"]) == CAPITAL_DEFAULT + 75_000 + cash \
        - FUNDING
    coop.refused(NotFound, "health.assess", as_user="auditor", unit="no-such-unit")
