"""The withholding-tax recap by the month the tax was withheld, and the printable slips.

PP 15/2009 Pasal 3 and PMK 112/PMK.03/2010: the tax on savings interest is withheld when the
interest is paid and reported in the return of that month (masa pajak). ``tax-recap`` takes the
interest paid in the month by default (``by`` ``paid``), or the interest earned in it (``by``
``earned``: how each month met the threshold). ``format`` ``html`` gives the recap and a
withholding slip (bukti potong) per member as one printable page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from savings_coop import CASH, Coop

from kopcore.cli import make_cli
from kopcore.errors import ConfigurationError
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.settings import Settings

SKB = "KET-00042/SKB/WPJ.17/2026"


@pytest.fixture
def named(make_kernel: Callable[..., Kernel]) -> Coop:
    """A cooperative whose settings name it and give its NPWP (the old 15-digit form, kept as
    16 digits with a leading 0)."""
    return Coop(make_kernel(plugins=("savings",), cooperative_name="KSP Maju Bersama",
                            cooperative_npwp="01.234.567.8-901.000"))


def _entity(coop: Coop, name: str, kind: str, serial: int) -> str:
    number = coop.call("members.register", name=name, kind=kind, nib=f"912000777{serial:04d}",
                       npwp=f"00223344556{serial:05d}",
                       representative_name="Kadek Dwi")["member_number"]
    coop.call("members.activate", member=number)
    return str(number)


@pytest.fixture
def february(named: Coop) -> dict[str, str]:
    """Three one-month deposits placed on 1 February 2026, each maturing on 1 March: their
    interest is all earned in February (28 days) and paid, with the tax withheld, on 1 March.

    - Ni Luh Ayu, a person: Rp100,000,000 at 6 %: 100,000,000 x 0.06 x 28 / 365 = 460,273.97
      -> Rp460,274; above Rp240,000, so 10 % of it: 46,027.4 -> Rp46,027.
    - PT Bina Usaha, holding an SKB valid 1 January - 30 June 2026: Rp10,000,000 earns
      10,000,000 x 0.06 x 28 / 365 = 46,027.40 -> Rp46,027, paid whole (the SKB covers 1 March).
    - CV Sumber Rejeki: Rp46,027 likewise, 15 % under Pasal 23: 6,904.05 -> Rp6,904.
    """
    coop = named
    coop.product("DEPO-1", "berjangka", interest_rate="6", term_months=1,
                 min_balance="1000000")
    coop.product("SUKARELA", "sukarela")
    who = {"person": coop.member("Ni Luh Ayu"),
           "pt": _entity(coop, "PT Bina Usaha", "pt", 1),
           "cv": _entity(coop, "CV Sumber Rejeki", "cv", 2)}
    for member in who.values():
        coop.open(member, "SUKARELA")
    coop.call("savings.tax-exemption-add", member=who["pt"], reason="skb", reference=SKB,
              valid_from="2026-01-01", valid_until="2026-06-30")
    coop.close_days_until(date(2026, 2, 1))
    for key, amount in (("person", "100000000"), ("pt", "10000000"), ("cv", "10000000")):
        coop.call("savings.place-deposit", member=who[key], product="DEPO-1", amount=amount,
                  source_account=CASH, instruction="payout")
    coop.close_days_until(date(2026, 3, 2))
    return who


def _lines(recap: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    return [(m["member"], a["month"], a["paid_on"], a["gross"]["amount"], a["tax"]["amount"],
             a["rate"]) for m in recap["members"] for a in m["accounts"]]


def test_februarys_interest_paid_on_1_march_is_in_marchs_return(
        named: Coop, february: dict[str, str]) -> None:
    coop, who = named, february
    march = coop.call("savings.tax-recap", month="2026-03")  # by paid, the default
    assert march["by"] == "paid"
    assert _lines(march) == [
        (who["person"], "2026-02", "2026-03-01", "460274.00", "46027.00", "10"),
        (who["pt"], "2026-02", "2026-03-01", "46027.00", "0.00", "0"),
        (who["cv"], "2026-02", "2026-03-01", "46027.00", "6904.00", "15")]
    # 460,274 + 46,027 + 46,027 = 552,328 gross; 46,027 + 6,904 = 52,931 withheld, of which
    # Rp46,027 PPh final 4(2) (the person) and Rp6,904 PPh 23 (the CV).
    assert (march["gross"]["amount"], march["tax"]["amount"], march["tax_final"]["amount"],
            march["tax_pasal_23"]["amount"], march["members_taxed"]) == (
        "552328.00", "52931.00", "46027.00", "6904.00", 2)
    assert [m["slip_number"] for m in march["members"]] == [
        f"BP-202603-{who[k]}" for k in ("person", "pt", "cv")]
    pt = march["members"][1]
    assert (pt["exemption"], pt["exemption_reference"]) == ("skb", SKB)
    assert (march["withholder"], march["withholder_npwp"]) == ("KSP Maju Bersama",
                                                              "0012345678901000")
    # Nothing was paid in February: its return is empty; by the month earned, February has
    # it all and March nothing.
    assert coop.call("savings.tax-recap", month="2026-02")["members"] == []
    earned = coop.call("savings.tax-recap", month="2026-02", by="earned")
    assert _lines(earned) == _lines(march)
    assert [m["slip_number"] for m in earned["members"]] == [None] * 3
    assert coop.call("savings.tax-recap", month="2026-03", by="earned")["members"] == []
    # The slip of one member is the same line.
    slip = coop.call("savings.tax-recap", month="2026-03", member=who["person"])
    assert _lines(slip) == _lines(march)[:1]


def test_catch_up_tax_lands_in_the_month_it_was_withheld(coop: Coop) -> None:
    """Aggregated per member: the sukarela's January interest, Rp150,000 (Rp40,000,000 at 5 %,
    360-day year, 27 days), is paid untaxed on 31 January, the month being under Rp240,000 so
    far. A one-month deposit of Rp40,000,000 at 5 % placed on 5 January pays on 5 February:
    Rp150,000 of January (27 days) and Rp22,222 of February (4 days: 22,222.22). January is
    now Rp300,000: the deposit's January is taxed 10 % = Rp15,000, and the Rp15,000 due on the
    sukarela's January is withheld from the same payment (a row with gross 0). Both were
    withheld on 5 February, so February's return has Rp30,000 and January's nothing."""
    coop.product("BULANAN", "sukarela", interest_rate="5", days_in_year=360)
    coop.product("DEPO-1", "berjangka", interest_rate="5", term_months=1, days_in_year=360)
    coop.call("savings.policy-set", tax_aggregation="member")
    member = coop.member("Komang")
    sukarela = coop.open(member, "BULANAN")
    coop.deposit(sukarela, "40000000")
    deposit = coop.call("savings.place-deposit", member=member, product="DEPO-1",
                        amount="40000000", source_account=CASH,
                        payout_account=CASH)["account"]["account"]["number"]
    coop.close_days_until(date(2026, 2, 6))
    january = coop.call("savings.tax-recap", month="2026-01")
    assert [(a["account"], a["month"], a["paid_on"], a["gross"]["amount"], a["tax"]["amount"])
            for a in january["members"][0]["accounts"]] == [
        (sukarela, "2026-01", "2026-01-31", "150000.00", "0.00")]
    assert january["tax"]["amount"] == "0.00"
    paid = coop.call("savings.tax-recap", month="2026-02")
    assert [(a["account"], a["month"], a["paid_on"], a["gross"]["amount"], a["tax"]["amount"],
             a["rate"]) for a in paid["members"][0]["accounts"]] == [
        (sukarela, "2026-01", "2026-02-05", "0.00", "15000.00", "10"),
        (deposit, "2026-01", "2026-02-05", "150000.00", "15000.00", "10"),
        (deposit, "2026-02", "2026-02-05", "22222.00", "0.00", "0")]
    assert (paid["gross"]["amount"], paid["tax"]["amount"]) == ("172222.00", "30000.00")
    # By the month earned, January carries all of its tax, wherever it was withheld.
    earned = coop.call("savings.tax-recap", month="2026-01", by="earned")
    assert (earned["gross"]["amount"], earned["tax"]["amount"]) == ("300000.00", "30000.00")
    # The printed slip says what the catch-up line is.
    page = coop.call("savings.tax-recap", month="2026-02", format="html")["document"]
    assert "PPh atas bunga bulan tersebut yang dibayar lebih dahulu, dipotong sekarang" in page


def _section(page: str, number: str) -> str:
    """The slip numbered ``number`` (its <section>)."""
    found = [s for s in re.findall(r"<section>.*?</section>", page)
             if f"<td>{number}</td>" in s and "<h1>Bukti" in s]
    assert len(found) == 1
    return found[0]


def test_the_printed_slips_carry_the_figures(named: Coop, february: dict[str, str]) -> None:
    coop, who = named, february
    recap = coop.call("savings.tax-recap", month="2026-03", format="html")
    page = recap["document"]
    assert page.startswith('<!DOCTYPE html><html lang="id">')
    for fetched in ("<script", "src=", "href=", "@import", "url("):
        assert fetched not in page
    # The recap: per member a line; totals 552,328 / 52,931 (46,027 final 4(2), 6,904 PPh 23).
    assert "<h1>Rekapitulasi pemotongan PPh atas bunga simpanan</h1>" in page
    assert "KSP Maju Bersama &middot; NPWP 0012345678901000 &middot; Masa pajak (bulan " \
           "pemotongan): Maret 2026" in page
    assert ('<td colspan="4">Jumlah</td><td class="amount">Rp552.328,00</td>'
            '<td class="amount">Rp52.931,00</td>') in page
    assert ('<td colspan="4">di antaranya PPh final pasal 4 ayat (2)</td><td class="amount">'
            '</td><td class="amount">Rp46.027,00</td>') in page
    assert ('<td colspan="4">di antaranya PPh pasal 23</td><td class="amount"></td>'
            '<td class="amount">Rp6.904,00</td>') in page
    person = coop.call("members.get", member=who["person"])
    nik = person["nik"]
    # The person's slip: withholder, payee, February's Rp460,274 paid 1 March, 10 %, Rp46,027.
    slip = _section(page, f"BP-202603-{who['person']}")
    assert "<h1>Bukti pemotongan PPh final pasal 4 ayat (2) atas bunga simpanan</h1>" in slip
    for label, value in (("Masa pajak (bulan pemotongan)", "Maret 2026"),
                         ("Pemotong pajak", "KSP Maju Bersama"),
                         ("NPWP pemotong", "0012345678901000"),
                         ("Penerima penghasilan", "Ni Luh Ayu"),
                         ("Nomor anggota", who["person"]), ("NIK", nik)):
        assert f'<td class="label">{label}</td><td>{value}</td>' in slip, label
    assert ('<td>Februari 2026</td><td>01/03/2026</td><td class="amount">Rp460.274,00</td>'
            '<td class="amount">10 %</td><td class="amount">Rp46.027,00</td>') in slip
    assert "Simpanan berjangka" in slip
    assert "PPh final pasal 4 ayat (2) atas bunga simpanan anggota koperasi orang pribadi " \
           "(PP 15/2009)" in slip
    # The PT: Rp46,027 paid whole under its SKB, named with its number.
    slip = _section(page, f"BP-202603-{who['pt']}")
    assert "<h1>Bukti pemotongan PPh pasal 23 atas bunga simpanan</h1>" in slip
    assert '<td class="label">NPWP</td><td>0022334455600001</td>' in slip
    assert ('<td>Februari 2026</td><td>01/03/2026</td><td class="amount">Rp46.027,00</td>'
            '<td class="amount">0 %</td><td class="amount">Rp0,00</td>') in slip
    assert f"Tidak dipotong: Surat Keterangan Bebas (SKB) nomor {SKB}" in slip
    # The CV: 15 % of Rp46,027 = Rp6,904 under Pasal 23, not final.
    slip = _section(page, f"BP-202603-{who['cv']}")
    assert ('<td class="amount">Rp46.027,00</td><td class="amount">15 %</td>'
            '<td class="amount">Rp6.904,00</td>') in slip
    assert "PPh pasal 23 atas bunga yang dibayarkan kepada badan" in slip
    assert "Tidak dipotong" not in slip
    # The same slip printed again has the same number; by earned the page is not a slip.
    again = coop.call("savings.tax-recap", month="2026-03", member=who["cv"], format="html")
    assert _section(again["document"], f"BP-202603-{who['cv']}") == slip
    earned = coop.call("savings.tax-recap", month="2026-02", by="earned",
                       format="html")["document"]
    assert "BP-2026" not in earned
    assert "<h1>Bukti" not in earned
    assert "Bukan bukti potong" in earned
    assert coop.call("savings.tax-recap", month="2026-03")["document"] is None


def test_the_recap_through_the_api_and_the_cli(named: Coop, february: dict[str, str],
                                               tmp_path: Path) -> None:
    coop = named
    admin = coop.api_key("admin")
    headers = {"Authorization": f"Bearer {admin}"}
    with TestClient(app=make_app(coop.kernel)) as client:
        # A read: GET with the input as the query.
        refused = client.get("/api/v1/savings/tax-recap", headers=headers,
                             params={"month": "2026-03", "by": "month"})
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["field"] == "by"
        answered = client.get("/api/v1/savings/tax-recap", headers=headers,
                              params={"month": "2026-03", "format": "html"})
        assert answered.status_code == 200, answered.text
        page = answered.json()["document"]
    assert "Rp460.274,00" in page
    target = tmp_path / "bukti-potong-2026-03.html"
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    written = CliRunner().invoke(cli, ["--operator", "admin", "savings", "tax-recap", "--month",
                                       "2026-03", "--format", "html", "--output", str(target),
                                       "--json"])
    assert written.exit_code == 0, written.output
    assert target.read_text(encoding="utf-8") == page
    shown = json.loads(written.output)
    assert shown["document"].startswith(f"written to {target}")
    assert (shown["gross"]["amount"], shown["tax"]["amount"]) == ("552328.00", "52931.00")
    by_earned = CliRunner().invoke(cli, ["--operator", "admin", "savings", "tax-recap",
                                         "--month", "2026-02", "--by", "earned", "--json"])
    assert by_earned.exit_code == 0, by_earned.output
    assert json.loads(by_earned.output)["gross"]["amount"] == "552328.00"


def test_the_cooperatives_npwp_setting_is_checked() -> None:
    assert Settings().cooperative_npwp is None
    assert Settings.from_mapping({"cooperative_npwp": "01.234.567.8-901.000"}
                                 ).cooperative_npwp == "0012345678901000"
    assert Settings.from_mapping({"cooperative_npwp": "1234 5678 9012 3456"}
                                 ).cooperative_npwp == "1234567890123456"
    for bad in ("01.234.567.8-901", "12345678901234567", "000000000000000", "NPWP", 123):
        with pytest.raises(ConfigurationError, match="cooperative_npwp"):
            Settings.from_mapping({"cooperative_npwp": bad})
