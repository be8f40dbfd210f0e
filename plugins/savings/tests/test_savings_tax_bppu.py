"""The month's withholding as the e-Bupot import file (BPPU XML, Coretax), checked element by
element against the DJP converter's schema as published reproductions give it
(kopcore_savings/operations/tax_bppu.py names the elements and the codes)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

from click.testing import CliRunner
from kopcore_savings.operations.tax import TaxLineOut, TaxMemberOut, TaxRecapOut
from kopcore_savings.operations.tax_bppu import FIELDS, to_bppu
from litestar.testing import TestClient
from savings_coop import Coop
from test_savings_tax_slip import february, named  # noqa: F401 (fixtures)

from kopcore.cli import make_cli
from kopcore.errors import ValidationError
from kopcore.interfaces.api import make_app
from kopcore.money import Money

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def test_the_e_bupot_file_of_march(named: Coop, february: dict[str, str],  # noqa: F811
                                   tmp_path: Path) -> None:
    """February's deposits paid on 1 March (see test_savings_tax_slip.february): Ni Luh Ayu's
    Rp460,274 withheld 10 % (Rp46,027) and CV Sumber Rejeki's Rp46,027 withheld 15 % under
    Pasal 23 (Rp6,904); PT Bina Usaha, exempt by its SKB, has no slip in the file."""
    coop = named
    target = tmp_path / "bppu-2026-03.xml"
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    written = CliRunner().invoke(cli, ["--operator", "admin", "savings", "tax-recap", "--month",
                                       "2026-03", "--format", "bppu-xml", "--output",
                                       str(target), "--json"])
    assert written.exit_code == 0, written.output
    assert json.loads(written.output)["not_exported"] == []
    text = target.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    root = ET.fromstring(text)  # noqa: S314 (the file kopcore wrote)
    assert [child.tag for child in root] == ["TIN", "ListOfBpu"]
    assert root.findtext("TIN") == "0012345678901000"
    rows = root.findall("ListOfBpu/Bpu")
    assert [[element.tag for element in row] for row in rows] == [list(FIELDS)] * 2
    nik = coop.call("members.get", member=february["person"])["nik"]
    person, cv = ({e.tag: e.text for e in row if e.tag != "SP2DNumber"} for row in rows)
    assert person == {
        "TaxPeriodMonth": "3", "TaxPeriodYear": "2026", "CounterpartTin": nik,
        "IDPlaceOfBusinessActivityOfIncomeRecipient": nik + "000000", "TaxCertificate": "N/A",
        "TaxObjectCode": "28-417-02", "TaxBase": "460274", "Rate": "10",
        "Document": "PaymentProof", "DocumentNumber": f"BP-202603-{february['person']}",
        "DocumentDate": "2026-03-01", "IDPlaceOfBusinessActivity": "0012345678901000000000",
        "GovTreasurerOpt": "N/A", "WithholdingDate": "2026-03-01"}
    assert (cv["CounterpartTin"], cv["TaxObjectCode"], cv["TaxBase"], cv["Rate"]) == (
        "0022334455600002", "24-102-01", "46027", "15")
    assert all(row.find("SP2DNumber").get(XSI_NIL) == "true" for row in rows)  # type: ignore[union-attr]

    headers = {"Authorization": f"Bearer {coop.api_key('admin')}"}
    with TestClient(app=make_app(coop.kernel)) as client:
        same = client.get("/api/v1/savings/tax-recap", headers=headers,
                          params={"month": "2026-03", "format": "bppu-xml"})
        assert same.status_code == 200, same.text
        assert same.json()["document"] == text
        refused = client.get("/api/v1/savings/tax-recap", headers=headers,
                             params={"month": "2026-02", "format": "bppu-xml",
                                     "by": "earned"})
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["field"] == "by"


def test_a_cooperative_without_its_npwp_gets_a_clear_refusal(coop: Coop) -> None:
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    refused = CliRunner().invoke(cli, ["--operator", "admin", "savings", "tax-recap",
                                       "--month", "2026-01", "--format", "bppu-xml"])
    assert isinstance(refused.exception, ValidationError)
    assert "cooperative_npwp" in str(refused.exception)


def _member(number: str, lines: list[tuple[int, int, str]], *, nik: str | None = "5171011508900001",
            npwp: str | None = None) -> TaxMemberOut:
    accounts = [TaxLineOut("SS-1", "sukarela", Money(gross * 100), Money(tax * 100), "2026-01",
                           date(2026, 2, 5), Decimal(rate)) for gross, tax, rate in lines]
    return TaxMemberOut(number, "x", nik, accounts, Money(sum(g for g, _, _ in lines) * 100),
                        Money(sum(t for _, t, _ in lines) * 100), npwp,
                        slip_number=f"BP-202602-{number}")


def test_slips_the_file_cannot_carry_are_listed_for_keying_by_hand() -> None:
    """A line is exported when its tax is its own interest x rate, to the rupiah, as the tax
    office computes it: tax withheld in February on January's interest paid untaxed earlier (a
    catch-up line of gross 0) is not, while the deposit's own line of the same member is. A
    member without NIK or NPWP has no taxpayer number to report."""
    recap = TaxRecapOut("2026-02", [
        _member("A1", [(0, 15_000, "10"), (150_000, 15_000, "10")]),
        _member("A2", [(300_000, 30_000, "10")], nik=None),
        _member("A3", [(254_795, 25_480, "10"), (254_795, 25_480, "10")],
                npwp="1234567890123456"),
    ], Money(0), Money(0), 3, withholder_npwp="0012345678901000")
    text, left_out = to_bppu(recap, "en")
    assert left_out == ["A1: tax withheld 15000.00 on SS-1 is not the DPP 0.00 x 10 %",
                        "A2: no NPWP or NIK"]
    rows = ET.fromstring(text).findall("ListOfBpu/Bpu")  # noqa: S314 (kopcore's own)
    # Two lines of Rp254,795 taxed Rp25,480 each (25,479.5 rounded half up): their sum,
    # Rp509,590 x 10 %, would be Rp50,959, a rupiah short of what was withheld.
    assert [(row.findtext("CounterpartTin"), row.findtext("TaxBase")) for row in rows] == [
        ("5171011508900001", "150000"), ("1234567890123456", "254795"),
        ("1234567890123456", "254795")]
