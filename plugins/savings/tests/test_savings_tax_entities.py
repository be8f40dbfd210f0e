"""Withholding on the savings interest of a member that is a legal entity.

PP 15/2009 covers members who are persons only (its Pasal 1); a cooperative, PT or CV member's
interest is withheld under Pasal 23 of the income tax law: 15 % of the gross, no threshold, not
final (30 % without an NPWP). The slip says which, and the recap totals each apart.
"""

from __future__ import annotations

import itertools
import json
from datetime import date
from decimal import Decimal

from click.testing import CliRunner
from kopcore_savings.entity_tax import entity_tax, rate_in
from kopcore_savings.products import DormantPolicy, InterestMethod, SavingsProduct, SavingsType
from litestar.testing import TestClient
from savings_coop import CASH, Coop

from kopcore.cli import make_cli
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.interfaces.api import make_app


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
    # Paid, and the tax withheld, at maturity on 1 March: March's recap (by paid, the return's
    # month); by earned it is February's.
    recap = coop.call("savings.tax-recap", month="2026-03")
    earned = coop.call("savings.tax-recap", month="2026-02", by="earned")
    assert recap == {**earned, "month": "2026-03", "by": "paid",
                     "members": [{**x, "slip_number": f"BP-202603-{x['member']}"}
                                 for x in earned["members"]]}
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


_serial = itertools.count(1)


def _entity(coop: Coop, name: str, kind: str = "pt") -> str:
    serial = next(_serial)
    number = coop.call("members.register", name=name, kind=kind, nib=f"912000555{serial:04d}",
                       npwp=f"00112233445{serial:05d}",
                       representative_name="Kadek Dwi")["member_number"]
    coop.call("members.activate", member=number)
    return str(number)


def test_a_bank_member_is_paid_without_pasal_23_withheld(coop: Coop) -> None:
    # Pasal 23 ayat (4) huruf a: nothing is withheld on income paid to a bank. A BPR that
    # keeps savings with the cooperative, next to a CV that is withheld 15 %.
    coop.product("GIRO", "sukarela", interest_rate="3")
    bank = _entity(coop, "PT BPR Sari Dana")
    firm = _entity(coop, "CV Karya Tani", kind="cv")
    coop.call("savings.tax-exemption-add", member=bank, reason="bank",
              valid_from="2026-01-01", reference="KEP-12/BPR/2001")
    accounts = {who: coop.open(who, "GIRO") for who in (bank, firm)}
    for account in accounts.values():
        coop.deposit(account, "10000000")
    coop.close_days_until(date(2026, 2, 1))
    # January 5-31: Rp22,192 each; the CV is withheld Rp3,329, the bank nothing.
    assert Decimal(coop.balance(accounts[bank])) == Decimal(10_000_000 + 22_192)
    assert Decimal(coop.balance(accounts[firm])) == Decimal(10_000_000 + 22_192 - 3_329)
    recap = coop.call("savings.tax-recap", month="2026-01")
    slips = {x["member"]: x for x in recap["members"]}
    assert (slips[bank]["basis"], slips[bank]["tax"]["amount"], slips[bank]["exemption"],
            slips[bank]["exemption_reference"]) == ("pph-23", "0.00", "bank", "KEP-12/BPR/2001")
    assert (slips[firm]["tax"]["amount"], slips[firm]["exemption"]) == ("3329.00", None)
    assert recap["tax_pasal_23"]["amount"] == "3329.00"
    lines = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    assert lines["payable.tax"]["balance"]["amount"] == "3329.00"
    coop.books_balance()


def test_an_skb_covers_the_payments_made_while_it_is_valid(coop: Coop) -> None:
    # An SKB valid 1-31 January: January's interest, posted on 31 January, is paid without
    # withholding and its slip names the SKB; February's, posted on 28 February, is withheld.
    coop.product("GIRO", "sukarela", interest_rate="3")
    partner = _entity(coop, "Koperasi Mitra Usaha", kind="koperasi")
    skb = coop.call("savings.tax-exemption-add", member=partner, reason="skb",
                    reference="KET-00017/SKB/WPJ.17/KP.0303/2026", valid_from="2026-01-01",
                    valid_until="2026-01-31")
    account = coop.open(partner, "GIRO")
    coop.deposit(account, "10000000")
    coop.close_days_until(date(2026, 3, 1))
    january = coop.call("savings.tax-recap", month="2026-01", member=partner)["members"][0]
    assert (january["gross"]["amount"], january["tax"]["amount"], january["exemption"],
            january["exemption_reference"]) == (
        "22192.00", "0.00", "skb", "KET-00017/SKB/WPJ.17/KP.0303/2026")
    # February: Rp10,022,192 x 3 % x 28 / 365 = Rp23,064.77 -> Rp23,065; 15 % = Rp3,459.75
    # -> Rp3,460.
    february = coop.call("savings.tax-recap", month="2026-02", member=partner)["members"][0]
    assert (february["gross"]["amount"], february["tax"]["amount"],
            february["exemption"]) == ("23065.00", "3460.00", None)
    assert Decimal(coop.balance(account)) == Decimal(10_000_000 + 22_192 + 23_065 - 3_460)
    # It cannot be ended before the payment it covered; ended on its last day it stays.
    coop.refused(Conflict, "savings.tax-exemption-end", id=skb["id"], valid_until="2026-01-30")
    coop.refused(Conflict, "savings.tax-exemption-end", id=skb["id"], valid_until="2026-02-28")
    ended = coop.call("savings.tax-exemption-end", id=skb["id"], valid_until="2026-01-31")
    assert (ended["valid_until"], ended["ended_by"]) == ("2026-01-31", "admin")
    listed = coop.call("savings.tax-exemptions", member=partner)["items"]
    assert [(x["reason"], x["valid_from"], x["valid_until"]) for x in listed] == [
        ("skb", "2026-01-01", "2026-01-31")]
    coop.books_balance()


def test_an_skb_is_judged_on_the_day_a_time_deposit_pays(coop: Coop) -> None:
    # A one-month deposit placed on 1 February matures on 1 March: its February interest is
    # paid on 1 March, after an SKB that ended on 28 February, so it is withheld.
    coop.product("DEPO-1", "berjangka", interest_rate="6", term_months=1,
                 min_balance="1000000")
    coop.product("SUKARELA", "sukarela")
    partner = _entity(coop, "Koperasi Sejahtera Bersama", kind="koperasi")
    payout = coop.open(partner, "SUKARELA")
    coop.call("savings.tax-exemption-add", member=partner, reason="skb", reference="SKB-1",
              valid_from="2026-01-01", valid_until="2026-02-28")
    coop.close_days_until(date(2026, 2, 1))
    coop.call("savings.place-deposit", member=partner, product="DEPO-1", amount="10000000",
              source_account=CASH, instruction="payout")
    coop.close_days_until(date(2026, 3, 2))
    # The slip of March, the month it was paid and withheld (by paid).
    slip = coop.call("savings.tax-recap", month="2026-03", member=partner)["members"][0]
    # Rp46,027 earned in February, 15 % = Rp6,904.05 -> Rp6,904.
    assert [(x["month"], x["paid_on"], x["rate"]) for x in slip["accounts"]] == [
        ("2026-02", "2026-03-01", "15")]
    assert (slip["gross"]["amount"], slip["tax"]["amount"], slip["exemption"]) == (
        "46027.00", "6904.00", None)
    assert Decimal(coop.balance(payout)) == Decimal(10_000_000 + 46_027 - 6_904)


def test_an_exemption_is_refused_for_a_person_or_without_what_it_needs(coop: Coop) -> None:
    person = coop.member()
    partner = _entity(coop, "Koperasi Mitra", kind="koperasi")
    coop.refused(ValidationError, "savings.tax-exemption-add", member=person, reason="bank",
                 valid_from="2026-01-01")
    coop.refused(ValidationError, "savings.tax-exemption-add", member=partner, reason="skb",
                 valid_from="2026-01-01", valid_until="2026-12-31")
    coop.refused(ValidationError, "savings.tax-exemption-add", member=partner, reason="skb",
                 reference="SKB-1", valid_from="2026-01-01")
    coop.refused(ValidationError, "savings.tax-exemption-add", member=partner, reason="bank",
                 valid_from="2026-02-01", valid_until="2026-01-31")
    coop.refused(NotFound, "savings.tax-exemption-end", id=99, valid_until="2026-01-31")
    assert coop.call("savings.tax-exemptions")["items"] == []


def test_exemptions_through_the_api_and_the_cli(coop: Coop) -> None:
    person = coop.member()
    partner = _entity(coop, "PT BPR Mitra Desa")
    admin = coop.api_key("admin")
    with TestClient(app=make_app(coop.kernel)) as client:
        refused = client.post("/api/v1/savings/tax-exemption-add", headers={
            "Authorization": f"Bearer {admin}"}, json={"member": person, "reason": "bank",
                                                       "valid_from": "2026-01-01"})
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["field"] == "member"
        made = client.post("/api/v1/savings/tax-exemption-add", headers={
            "Authorization": f"Bearer {admin}"}, json={"member": partner, "reason": "bank",
                                                       "valid_from": "2026-01-01"})
        assert made.status_code == 200, made.text
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()
    shown = runner.invoke(cli, ["--operator", "admin", "savings", "tax-exemptions", "--json"])
    assert shown.exit_code == 0, shown.output
    assert [(x["member"], x["reason"], x["valid_until"])
            for x in json.loads(shown.output)["items"]] == [(partner, "bank", None)]
    bad = runner.invoke(cli, ["--operator", "admin", "savings", "tax-exemption-add",
                              "--member", partner, "--reason", "skb",
                              "--valid-from", "2026-01-01"])
    assert isinstance(bad.exception, ValidationError)
    assert bad.exception.extra["field"] == "reference"
