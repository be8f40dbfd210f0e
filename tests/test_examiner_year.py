"""A seeded year read the way a KSP examiner reads it: the loan book, the allowance, the
withholding slips of December and the health worksheet of 31 December 2026, by hand, through
the web API, the CLI and the staff web app.

The cooperative classes its loans by the KSP regime (Permen KUKM 14/2009 as DOMAIN.md §3 gives
it). Four monthly loans, flat 18 % a year over 12 months (Rp180,000 of interest a month on
Rp12,000,000), disbursed on 5 January, installments due on the 5th from February:

- A, Rp12,000,000, paid on every due date: 11 installments paid by 31 December, Rp1,000,000
  outstanding, Lancar (allowance 0.5 % = Rp5,000);
- B, Rp12,000,000, paid February to June, nothing since: principal and interest in arrears
  from 5 July, over 3 and not over 6 months on 31 December, Kurang Lancar; Rp7,000,000
  outstanding (allowance 10 % = Rp700,000);
- C, Rp12,000,000, never paid, land held with a liquidation value of Rp14,000,000: arrears
  over 6 months; debt 12,000,000 + 11 x 180,000 = Rp13,980,000, covered 100.14 % (at least
  100 %): Diragukan (allowance 50 % = Rp6,000,000);
- D, Rp6,000,000, never paid, nothing held: Macet (allowance 100 % = Rp6,000,000).

Outstanding Rp26,000,000; problem-loan risk 50 % x 7,000,000 + 75 % x 12,000,000 + 100 % x
6,000,000 = Rp18,500,000; allowance required Rp12,705,000, formed by the December month end;
risky loans (no guarantor, cover below the outstanding) A + B + D = Rp14,000,000.

Savings from 1 December at 3 % (365 days): a person's Rp100,000,000 earns 100,000,000 x 3 % x
31 / 365 = Rp254,794.52 -> Rp254,795 in December, above Rp240,000: 10 % = Rp25,479.50 ->
Rp25,480 (PPh 4(2) final); a member cooperative's Rp10,000,000 earns Rp25,479.45 -> Rp25,479,
withheld 15 % = Rp3,821.85 -> Rp3,822 (PPh pasal 23).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from kopcore import _logins as logins
from kopcore import eod
from kopcore._oversight.scoring import percent_text
from kopcore.cli import make_cli
from kopcore.interfaces.api import make_app
from kopcore.testing import Cooperative, KernelFactory

pytest.importorskip("kopcore_loans")
pytest.importorskip("kopcore_savings")

AS_OF = date(2026, 12, 31)
PASSWORD = "pemeriksa-2026-rahasia"


def rp(value: dict[str, str]) -> int:
    """A Money payload in whole rupiah (the figures here have no sen)."""
    amount = Decimal(value["amount"])
    assert amount == amount.to_integral_value(), value
    return int(amount)


class Year(Cooperative):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, capital="500000000", **kwargs)
        self.user("manager", "manager")
        self.user("auditor", "auditor")
        self.call("loans.set-regime", as_user="manager", regime="ksp-permenkukm-14-2009")
        self.call("loans.product-create", as_user="manager", code="BULANAN",
                  name="Pinjaman Bulanan", method="flat", frequency="monthly",
                  annual_rate="18", min_amount="100000", max_amount="500000000", min_term=1,
                  max_term=60)
        self.call("savings.product-create", code="SUKARELA", name="Simpanan Sukarela",
                  type="sukarela", interest_rate="3")

    def loan(self, name: str, amount: str) -> str:
        number = str(self.call("loans.apply", as_user="teller", member=self.member(name),
                               product="BULANAN", amount=amount, term=12)["number"])
        self.call("loans.approve", as_user="manager", loan=number)
        self.call("loans.disburse", as_user="teller", loan=number, cash_account=self.CASH)
        return number

    def repay(self, loan: str, amount: str) -> None:
        self.call("loans.repay", as_user="teller", loan=loan, amount=amount,
                  cash_account=self.CASH)

    def close_days_until(self, day: date) -> None:
        eod.run_end_of_day(self.kernel, until=day)


@pytest.fixture
def year(make_kernel: KernelFactory) -> tuple[Year, dict[str, str], dict[str, str]]:
    coop = Year(make_kernel(plugins=("loans", "savings"),
                            cooperative_name="KSP Sejahtera Bersama",
                            cooperative_legal_number="123/BH/XXVII.3/2019",
                            cooperative_address="Jl. Gatot Subroto 12, Denpasar",
                            cooperative_npwp="01.234.567.8-901.000"))
    loans = {"A": coop.loan("Ayu Lancar", "12000000"),
             "B": coop.loan("Bagus Berhenti", "12000000"),
             "C": coop.loan("Citra Beragunan", "12000000"),
             "D": coop.loan("Dewa Macet", "6000000")}
    coop.call("loans.add-collateral", as_user="teller", loan=loans["C"], kind="SHM tanah",
              description="SHM 12/Desa Mas", value="20000000", liquidation_value="14000000",
              binding="hak_tanggungan", binding_ref="SHT 31/2026")
    for month in range(2, 12):
        coop.close_days_until(date(2026, month, 5))
        coop.repay(loans["A"], "1180000")
        if month <= 6:
            coop.repay(loans["B"], "1180000")
    savers = {"person": coop.member("Putu Penabung")}
    partner = coop.call("members.register", name="Koperasi Tani Makmur", kind="koperasi",
                        nib="9120001112223", npwp="0011122233344000",
                        representative_name="Nyoman Karya")["member_number"]
    coop.call("members.activate", member=partner)
    savers["koperasi"] = partner
    coop.close_days_until(date(2026, 12, 1))
    for who, amount in (("person", "100000000"), ("koperasi", "10000000")):
        account = coop.call("savings.open", as_user="teller", member=savers[who],
                            product="SUKARELA")["account"]["number"]
        coop.call("savings.deposit", as_user="teller", account=account, amount=amount,
                  cash_account=coop.CASH)
    coop.close_days_until(date(2026, 12, 5))
    coop.repay(loans["A"], "1180000")
    coop.close_days_until(date(2027, 1, 1))  # 31 December closed: interest, allowance
    return coop, loans, savers


def test_the_examiner_reads_the_year_as_the_regulations_prescribe(
        year: tuple[Year, dict[str, str], dict[str, str]], tmp_path: Path) -> None:
    coop, loans, savers = year
    admin = coop.api_key("admin")
    auth = {"Authorization": f"Bearer {admin}"}
    with TestClient(app=make_app(coop.kernel)) as client:
        # The loan book of 31 December (API).
        book = client.get("/api/v1/loans/book", params={"as_of": AS_OF.isoformat()},
                          headers=auth).json()
        lines = {x["loan"]: x for x in book["items"]}
        assert {name: (lines[number]["collectibility"], rp(lines[number]["outstanding"]),
                       rp(lines[number]["allowance_required"]), lines[number]["risky"])
                for name, number in loans.items()} == {
            "A": ("L", 1_000_000, 5_000, True), "B": ("KL", 7_000_000, 700_000, True),
            "C": ("D", 12_000_000, 6_000_000, False), "D": ("M", 6_000_000, 6_000_000, True)}
        assert (lines[loans["B"]]["principal_since"], lines[loans["C"]]["principal_since"]) \
            == ("2026-07-05", "2026-02-05")
        assert rp(lines[loans["C"]]["interest_arrears"]) == 11 * 180_000
        assert (rp(book["outstanding"]), rp(book["non_performing"]),
                rp(book["problem_loan_risk"]), rp(book["risky"]),
                rp(book["allowance_required"]), rp(book["allowance_formed"])) == (
            26_000_000, 25_000_000, 18_500_000, 14_000_000, 12_705_000, 12_705_000)
        # The loan book as the last end of day left it agrees, loan by loan.
        for number, line in lines.items():
            got = client.get("/api/v1/loans/get", params={"loan": number}, headers=auth).json()
            assert (got["collectibility"], got["allowance"]) == (
                line["collectibility"], line["allowance_required"])

        # The health worksheet (Perdep 06/2016), productive-asset quality, by hand (API).
        result = client.get("/api/v1/health/assess", params={
            "as_of": AS_OF.isoformat(), "regime": "perdep-06-2016"}, headers=auth).json()
        got = {i["key"]: i for i in result["indicators"]}
        expected = {"member_loans": (Fraction(1), 100),
                    "problem_loan_risk": (Fraction(18_500_000, 26_000_000), 0),
                    "allowance_to_risk": (Fraction(12_705_000, 18_500_000), 70),
                    "risky_loans": (Fraction(14_000_000, 26_000_000), 25)}
        assert {key: (got[key]["value_percent"], got[key]["score"]) for key in expected} == {
            key: (percent_text(value * 100), score)
            for key, (value, score) in expected.items()}
        assert (got["problem_loan_risk"]["value_percent"],
                got["allowance_to_risk"]["value_percent"]) == ("71.15", "68.68")
        figures = {f["key"]: f for f in result["plugin_figures"]}
        assert (rp(figures["loans.substandard"]["amount"]), rp(figures["loans.doubtful"]
                                                               ["amount"]),
                rp(figures["loans.loss"]["amount"])) == (7_000_000, 12_000_000, 6_000_000)

    # December's withholding (CLI): the person's PPh 4(2), the cooperative's PPh 23.
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    shown = CliRunner().invoke(cli, ["--operator", "admin", "savings", "tax-recap", "--month",
                                     "2026-12", "--json"])
    assert shown.exit_code == 0, shown.output
    recap = json.loads(shown.output)
    slips = {x["member"]: x for x in recap["members"]}
    assert {who: (slips[number]["basis"], rp(slips[number]["gross"]),
                  rp(slips[number]["tax"])) for who, number in savers.items()} == {
        "person": ("pph-4-2", 254_795, 25_480), "koperasi": ("pph-23", 25_479, 3_822)}
    assert (rp(recap["tax_final"]), rp(recap["tax_pasal_23"])) == (25_480, 3_822)

    # The printable worksheet (CLI), in the Indonesian format.
    printed = tmp_path / "kertas-kerja.html"
    shown = CliRunner().invoke(cli, ["--operator", "auditor", "health", "assess", "--as-of",
                                     AS_OF.isoformat(), "--regime", "perdep-06-2016",
                                     "--format", "html", "--output", str(printed)])
    assert shown.exit_code == 0, shown.output
    document = printed.read_text(encoding="utf-8")
    for shown_value in ("71,15 %", "68,68 %", "&lt;= 70,00", "Rp18.500.000,00",
                        "tabel belum diverifikasi"):
        assert shown_value in document, shown_value
    # Opened by the cooperative's identity as the official form is, closed by the signatures.
    identity = document.split('class="identity">', 1)[1].split("</table>", 1)[0]
    for line in ("KSP Sejahtera Bersama", "123/BH/XXVII.3/2019", "Jl. Gatot Subroto 12, Denpasar",
                 "0012345678901000", "31 Desember 2026"):
        assert line in identity, line
    assert all(who in document.split('class="signatures">', 1)[1]
               for who in ("Pengurus", "Pengawas", "Pejabat penilai"))

    # The staff web app's health report shows the same worksheet to the auditor.
    coop.kernel.write("admin", lambda ctx: logins.set_password(ctx.conn, "auditor", PASSWORD,
                                                               temporary=False))
    with TestClient(make_app(coop.kernel), base_url="http://testserver.local") as web:
        form = web.get("/app/login").text
        token = form.split('name="login_token" value="', 1)[1].split('"', 1)[0]
        web.post("/app/login", data={"login_token": token, "username": "auditor",
                                     "password": PASSWORD, "next": "/app/"})
        page = web.get("/app/reports/kesehatan", params={
            "as_of": AS_OF.isoformat(), "regime": "perdep-06-2016"})
        assert page.status_code == 200
        assert 'data-testid="indicators"' in page.text
        for shown_value in ("71,15 %", "68,68 %", "53,85 %", "&lt;= 70,00", "Rp18.500.000,00",
                            "Rp12.705.000,00", "selain itu"):
            assert shown_value in page.text, shown_value


def test_the_cooperatives_identity_settings_are_checked() -> None:
    from kopcore.errors import ConfigurationError
    from kopcore.settings import Settings

    given = Settings.from_mapping({"cooperative_legal_number": "123/BH/XXVII.3/2019",
                                   "cooperative_address": "Jl. Gatot Subroto 12, Denpasar"})
    assert (given.cooperative_legal_number, given.cooperative_address) == (
        "123/BH/XXVII.3/2019", "Jl. Gatot Subroto 12, Denpasar")
    assert Settings().cooperative_legal_number is None
    for bad in ("", "   ", "x" * 301, 123):
        with pytest.raises(ConfigurationError, match="cooperative_address"):
            Settings.from_mapping({"cooperative_address": bad})
