"""Withholding on the savings interest of a member that is a legal entity.

PP 15/2009 covers members who are persons only (its Pasal 1); a cooperative, PT or CV member's
interest is withheld under Pasal 23 of the income tax law: 15 % of the gross, no threshold, not
final (30 % without an NPWP). The slip says which, and the recap totals each apart.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kopcore_savings.entity_tax import entity_tax, rate_in
from kopcore_savings.products import DormantPolicy, InterestMethod, SavingsProduct, SavingsType
from savings_coop import CASH, Coop


def _product() -> SavingsProduct:
    # 3 %, Rp1 rounding (100 sen), persons: 10 % above Rp240,000 a month.
    return SavingsProduct(
        "T", "T", SavingsType.SUKARELA, "IDR", "savings.sukarela", None, 0, 30000,
        InterestMethod.DAILY, 365, 0, 3, 100, 100000, 24000000, "savings.interest_expense",
        None, DormantPolicy.ALLOW, False, "income.other", None, 0, date(2026, 1, 5))


def test_pasal_23_rates_have_no_threshold() -> None:
    # Rp1,000 of interest: a person pays nothing below Rp240,000; an entity 15 % = Rp150,
    # 30 % = Rp300 without an NPWP. Rp22,191.50 -> 15 % = Rp3,328.725 -> Rp3,329 (half up).
    assert entity_tax(_product(), "2026-01", 100_000, True) == 15_000
    assert entity_tax(_product(), "2026-01", 100_000, False) == 30_000
    assert entity_tax(_product(), "2026-01", 2_219_150, True) == 332_900
    assert (rate_in(date(2009, 1, 1), True), rate_in(date(2008, 12, 1), True)) == (150_000, 0)


def test_an_entity_member_is_withheld_15_percent_and_reported_apart(coop: Coop) -> None:
    coop.product("GIRO", "sukarela", interest_rate="3")
    person = coop.member()
    partner = coop.call("members.register", name="Koperasi Mitra", kind="koperasi",
                        nib="9120001234567", npwp="0012345678901000",
                        representative_name="I Wayan")["member_number"]
    coop.call("members.activate", member=partner)
    accounts = {who: coop.open(who, "GIRO") for who in (person, partner)}
    for account in accounts.values():
        coop.deposit(account, "10000000")
    assert coop.today() == date(2026, 1, 5)
    coop.close_days_until(date(2026, 2, 1))
    # January 5-31, 27 days: 10,000,000 x 3 % x 27 / 365 = Rp22,191.78 -> Rp22,192 each.
    # The person: under Rp240,000 a month, no tax. The cooperative: 15 % of Rp22,192 =
    # Rp3,328.80 -> Rp3,329, however small the month.
    assert Decimal(coop.balance(accounts[person])) == Decimal(10_000_000 + 22_192)
    assert Decimal(coop.balance(accounts[partner])) == Decimal(10_000_000 + 22_192 - 3_329)
    recap = coop.call("savings.tax-recap", month="2026-01")
    slips = {x["member"]: x for x in recap["members"]}
    assert (slips[person]["basis"], slips[person]["tax"]["amount"]) == ("pph-4-2", "0.00")
    assert (slips[partner]["basis"], slips[partner]["tax"]["amount"]) == ("pph-23", "3329.00")
    assert slips[partner]["npwp"] == "0012345678901000"
    assert (recap["tax_final"]["amount"], recap["tax_pasal_23"]["amount"]) == ("0.00",
                                                                              "3329.00")
    assert recap["tax"]["amount"] == "3329.00"
    assert recap["members_taxed"] == 1
    lines = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    assert lines["payable.tax"]["balance"]["amount"] == "3329.00"
    coop.books_balance()


def test_an_entitys_time_deposit_is_withheld_at_maturity(coop: Coop) -> None:
    coop.product("DEPO-1", "berjangka", interest_rate="6", term_months=1,
                 min_balance="1000000")
    partner = coop.call("members.register", name="CV Sumber Rejeki", kind="cv",
                        nib="9120007654321", npwp="0098765432109000",
                        representative_name="Made Sari")["member_number"]
    coop.call("members.activate", member=partner)
    person = coop.member()
    coop.product("SUKARELA", "sukarela")
    payout = {who: coop.open(who, "SUKARELA") for who in (partner, person)}
    coop.close_days_until(date(2026, 2, 1))
    placed = {who: coop.call("savings.place-deposit", member=who, product="DEPO-1",
                             amount="10000000", source_account=CASH, instruction="payout")
              for who in (partner, person)}
    # Rp10,000,000 at 6 % for February's 28 days: 10,000,000 x 6 % x 28 / 365 = Rp46,027.40
    # -> Rp46,027, all earned in February.
    assert {p["interest_at_maturity"]["amount"] for p in placed.values()} == {"46027.00"}
    coop.close_days_until(date(2026, 3, 2))
    recap = coop.call("savings.tax-recap", month="2026-02")
    slips = {x["member"]: x for x in recap["members"]}
    # The person: Rp46,027 in the month is under Rp240,000, no tax. The CV: 15 % of Rp46,027
    # = Rp6,904.05 -> Rp6,904.
    assert (slips[person]["gross"]["amount"], slips[person]["tax"]["amount"]) == (
        "46027.00", "0.00")
    assert (slips[partner]["gross"]["amount"], slips[partner]["tax"]["amount"],
            slips[partner]["basis"]) == ("46027.00", "6904.00", "pph-23")
    assert recap["tax_pasal_23"]["amount"] == "6904.00"
    assert Decimal(coop.balance(payout[partner])) == Decimal(10_000_000 + 46_027 - 6_904)
    assert Decimal(coop.balance(payout[person])) == Decimal(10_000_000 + 46_027)
    coop.books_balance()
