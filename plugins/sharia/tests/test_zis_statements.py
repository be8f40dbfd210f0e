"""The amil's PSAK 409 statements (laporan posisi keuangan, perubahan dana, perubahan aset
kelolaan, arus kas and notes) for a period beside the preceding one, end to end through the API
and the CLI.

The example follows the layout of PSAK 409's (formerly PSAK 109's) illustrative statements of
an amil: zakat and infak/sedekah received gross, less the amil's share; zakat distributed per
asnaf; the amil fund's receipts (its shares and other receipts) and its use; the non-halal fund.
The figures are the test's own, worked by hand below.

Day 1 (5 January, the preceding period):
  zakat 10,000,000 at 12.5 % -> zakat 8,750,000, amil 1,250,000
  infak 2,000,000 at 20 %    -> infak 1,600,000, amil 400,000
  zakat to the fakir 3,000,000
  closing: zakat 5,750,000, infak 1,600,000, amil 1,650,000, nonhalal 0 = 9,000,000 = cash
Day 2 (6 January, the period):
  zakat 4,000,000 at 10 % from an entity -> zakat 3,600,000, amil 400,000
  infak 333,333 at 10 % restricted to a mosque -> amil 33,333 (33,333.3 rounded half up),
  infak 300,000
  amil's other receipt 100,000
  zakat: miskin 2,500,000, gharimin 1,000,000 (3,500,000); infak: fisabilillah 200,000, a
  mustahik with no asnaf 500,000 (700,000); amil's costs 600,000
  a bank's interest 150,000 to the nonhalal fund, 50,000 of it to flood relief
  zakat 5,750,000 + 3,600,000 - 3,500,000 = 5,850,000
  infak 1,600,000 + 300,000 - 700,000 = 1,200,000
  amil 1,650,000 + 400,000 + 33,333 + 100,000 - 600,000 = 1,583,333
  nonhalal 150,000 - 50,000 = 100,000
  funds 8,733,333 = cash; cash flow 4,583,333 in - 4,850,000 out = -266,667
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from kopcore_sharia.tables import zis_movements
from litestar.testing import TestClient
from sharia_coop import CASH, Coop

from kopcore.cli import make_cli
from kopcore.errors import ValidationError
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel


def _lines(out: dict[str, Any], key: str) -> dict[tuple[str, str], tuple[str | None, ...]]:
    statement = next(s for s in out["statements"] if s["key"] == key)
    return {(line["section"], line["line"]): tuple(
        None if line[k] is None else line[k]["amount"] for k in ("current", "previous"))
        for line in statement["lines"]}


def _book_two_days(coop: Coop) -> None:
    def receive(fund: str, amount: str, share: str = "0", memo: str = "Muzakki",
                **extra: Any) -> None:
        coop.call("sharia.zis-receive", as_user="teller", fund=fund, amount=amount,
                  cash_account=CASH, memo=memo, amil_share=share, **extra)

    def disburse(fund: str, amount: str, asnaf: str | None = None) -> None:
        raw: dict[str, Any] = {"asnaf": asnaf} if asnaf else {}
        coop.call("sharia.zis-disburse", as_user="teller", fund=fund, amount=amount,
                  cash_account=CASH, memo="Mustahik", **raw)

    receive("zakat", "10000000", "12.5")
    receive("infaq", "2000000", "20")
    disburse("zakat", "3000000", "fakir")
    coop.close_days(date(2026, 1, 6))
    receive("zakat", "4000000", "10", memo="PT Amanah Sejahtera", payer="entity")
    receive("infaq", "333333", "10", memo="Pembangunan masjid", restricted=True)
    receive("amil", "100000", memo="Hibah untuk operasional amil")
    disburse("zakat", "2500000", "miskin")
    disburse("zakat", "1000000", "gharimin")
    disburse("infaq", "200000", "fisabilillah")
    disburse("infaq", "500000")
    disburse("amil", "600000")
    receive("non_halal", "150000", memo="Jasa giro Bank X")
    disburse("non_halal", "50000")


def test_psak_409_statements_with_the_preceding_period(
        make_kernel: Callable[..., Kernel]) -> None:
    coop = Coop(make_kernel(plugins=("sharia",)))
    _book_two_days(coop)
    out = coop.call("sharia.zis-statements", as_user="auditor", from_date="2026-01-06",
                    to_date="2026-01-06")
    assert (out["previous_from"], out["previous_to"]) == ("2026-01-05", "2026-01-05")
    assert out["document"] is None

    changes = _lines(out, "changes_in_funds")
    assert changes[("Dana zakat", "Muzakki entitas")] == ("4000000.00", "0.00")
    assert changes[("Dana zakat", "Muzakki individual")] == ("0.00", "10000000.00")
    assert changes[("Dana zakat", "Jumlah penerimaan dana zakat")] == (
        "4000000.00", "10000000.00")
    assert changes[("Dana zakat", "Bagian amil atas penerimaan dana zakat")] == (
        "-400000.00", "-1250000.00")
    assert changes[("Dana zakat", "Fakir")] == ("0.00", "-3000000.00")
    assert changes[("Dana zakat", "Miskin")] == ("-2500000.00", "0.00")
    assert changes[("Dana zakat", "Gharimin")] == ("-1000000.00", "0.00")
    assert changes[("Dana zakat", "Jumlah penyaluran dana zakat")] == (
        "-3500000.00", "-3000000.00")
    assert changes[("Dana zakat", "Surplus (defisit)")] == ("100000.00", "5750000.00")
    assert changes[("Dana zakat", "Saldo awal dana zakat")] == ("5750000.00", "0.00")
    assert changes[("Dana zakat", "Saldo akhir dana zakat")] == ("5850000.00", "5750000.00")
    assert changes[("Dana infak/sedekah", "Infak/sedekah terikat (muqayyadah)")] == (
        "333333.00", "0.00")
    assert changes[("Dana infak/sedekah", "Infak/sedekah tidak terikat (mutlaqah)")] == (
        "0.00", "2000000.00")
    assert changes[("Dana infak/sedekah", "Bagian amil atas penerimaan dana infak/sedekah")
                   ] == ("-33333.00", "-400000.00")
    assert changes[("Dana infak/sedekah", "Mustahik lainnya (tanpa asnaf)")] == (
        "-500000.00", "0.00")
    assert changes[("Dana infak/sedekah", "Surplus (defisit)")] == ("-400000.00", "1600000.00")
    assert changes[("Dana infak/sedekah", "Saldo akhir dana infak/sedekah")] == (
        "1200000.00", "1600000.00")
    assert changes[("Dana amil", "Bagian amil dari dana zakat")] == ("400000.00", "1250000.00")
    assert changes[("Dana amil", "Bagian amil dari dana infak/sedekah")] == (
        "33333.00", "400000.00")
    assert changes[("Dana amil", "Penerimaan dana amil lainnya")] == ("100000.00", "0.00")
    assert changes[("Dana amil", "Jumlah penggunaan dana amil")] == ("-600000.00", "0.00")
    assert changes[("Dana amil", "Saldo akhir dana amil")] == ("1583333.00", "1650000.00")
    assert changes[("Dana nonhalal", "Saldo akhir dana nonhalal")] == ("100000.00", "0.00")
    assert changes[("", "Jumlah saldo dana zakat, infak/sedekah, amil dan nonhalal")] == (
        "8733333.00", "9000000.00")
    # Every receipt and distribution went through the operations: no other movement.
    assert not any("Mutasi lain" in line for _s, line in changes)

    position = _lines(out, "financial_position")
    assert position[("Aset", "Jumlah aset")] == ("8733333.00", "9000000.00")
    assert position[("Liabilitas", "Jumlah liabilitas")] == ("0.00", "0.00")
    assert position[("Saldo dana", "Dana amil")] == ("1583333.00", "1650000.00")
    assert position[("", "Jumlah liabilitas dan saldo dana")] == ("8733333.00", "9000000.00")

    flows = _lines(out, "cash_flows")
    operating = "Arus kas dari aktivitas operasi"
    assert flows[(operating, "Penerimaan zakat")] == ("4000000.00", "10000000.00")
    assert flows[(operating, "Penerimaan dana nonhalal")] == ("150000.00", "0.00")
    assert flows[(operating, "Penggunaan dana amil")] == ("-600000.00", "0.00")
    assert flows[(operating, "Kas bersih dari aktivitas operasi")] == (
        "-266667.00", "9000000.00")
    assert flows[("", "Kas dan setara kas awal periode")] == ("9000000.00", "0.00")
    assert flows[("", "Kas dan setara kas akhir periode")] == ("8733333.00", "9000000.00")

    managed = next(s for s in out["statements"] if s["key"] == "changes_in_managed_assets")
    assert [line["current"] for line in managed["lines"]] == [None]
    notes = {n["title"]: n["text"] for n in out["notes"]}
    # 400,000 / 4,000,000 and 33,333 / 333,333 (9.99999 %): 10,00 %.
    assert "10,00 % dari penerimaan zakat, 10,00 % dari penerimaan" in notes[
        "Kebijakan bagian amil"]
    assert notes["Rincian penyaluran zakat per asnaf"] == (
        "Miskin Rp2.500.000,00; Gharimin Rp1.000.000,00")
    # 3,500,000 / 3,600,000 = 97.22 %; 700,000 / 300,000 = 233.33 %.
    assert "zakat 97,22 %, infak/sedekah 233,33 %" in notes["Kinerja amil"]

    coop.refused(ValidationError, "sharia.zis-statements", from_date="2026-01-06",
                 to_date="2026-01-05")
    coop.refused(ValidationError, "sharia.zis-statements", from_date="2026-01-06",
                 to_date="2026-01-07")  # after the business date
    coop.refused(ValidationError, "sharia.zis-statements", from_date="2025-01-05",
                 to_date="2026-01-06")  # 367 days: a year at most
    coop.refused(ValidationError, "sharia.zis-statements", from_date="0001-01-01",
                 to_date="0001-01-02")


def test_a_manual_entry_on_a_fund_shows_as_another_movement(coop: Coop) -> None:
    coop.call("sharia.zis-receive", fund="infaq", amount="1000000", cash_account=CASH,
              memo="Kotak infak")
    coop.call("entries.post", memo="Koreksi setoran infak", lines=[
        {"account": CASH, "side": "debit", "amount": "25000"},
        {"account": "GL-sharia.infaq", "side": "credit", "amount": "25000"}])
    out = coop.call("sharia.zis-statements", from_date="2026-01-05", to_date="2026-01-05")
    changes = _lines(out, "changes_in_funds")
    key = ("Dana infak/sedekah", "Mutasi lain (jurnal di luar penerimaan dan penyaluran ZIS)")
    assert changes[key] == ("25000.00", "0.00")
    assert changes[("Dana infak/sedekah", "Saldo akhir dana infak/sedekah")] == (
        "1025000.00", "0.00")
    assert _lines(out, "cash_flows")[("", "Kas dan setara kas akhir periode")] == (
        "1025000.00", "0.00")


def test_documents_through_the_api_and_the_cli(make_kernel: Callable[..., Kernel],
                                               tmp_path: Path) -> None:
    coop = Coop(make_kernel(plugins=("sharia",)))
    _book_two_days(coop)
    key = coop.api_key("auditor")
    with TestClient(app=make_app(coop.kernel)) as client:
        got = client.get("/api/v1/sharia/zis-statements",
                         params={"from_date": "2026-01-06", "to_date": "2026-01-06",
                                 "format": "csv"},
                         headers={"Authorization": f"Bearer {key}"})
        assert got.status_code == 200, got.text
        rows = list(csv.reader(io.StringIO(got.json()["document"])))
        assert rows[0] == ["statement", "section", "code", "line", "2026-01-06 s.d. 2026-01-06",
                           "2026-01-05 s.d. 2026-01-05"]
        assert ["changes_in_funds", "Dana zakat", "", "Saldo akhir dana zakat", "5850000.00",
                "5750000.00"] in rows
        assert ["changes_in_funds", "Dana zakat", "miskin", "Miskin", "-2500000.00",
                "0.00"] in rows
        bad = client.get("/api/v1/sharia/zis-statements",
                         params={"from_date": "2026-01-06", "to_date": "2026-01-05"},
                         headers={"Authorization": f"Bearer {key}"})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        teller = coop.api_key("teller")
        assert client.get("/api/v1/sharia/zis-statements",
                          params={"from_date": "2026-01-06", "to_date": "2026-01-06"},
                          headers={"Authorization": f"Bearer {teller}"}).status_code == 403
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    target = tmp_path / "zis.html"
    result = CliRunner().invoke(cli, ["--operator", "auditor", "sharia", "zis-statements",
                                      "--from-date", "2026-01-06", "--to-date", "2026-01-06",
                                      "--format", "html", "--output", str(target)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert "<h2>Laporan Perubahan Dana</h2>" in page
    assert "Rp8.733.333,00" in page
    assert "(Rp3.500.000,00)" in page
    assert "<script" not in page


def test_a_branch_teller_receiving_zakat_shows_its_cash_not_the_inter_office_lines(
        coop: Coop) -> None:
    # A branch's teller cash receives zakat for the fund in the head office's books: the
    # entry's inter-office (RAK) lines net to zero and are no asset of the funds.
    coop.call("offices.create", code="CAB01", name="Kantor Cabang Satu", kind="cabang")
    coop.call("accounts.open-internal", name="Kas Teller CAB01", gl_key="cash",
              number="KAS-CAB01", office="CAB01")
    coop.call("sharia.zis-receive", fund="zakat", amount="2500000", cash_account="KAS-CAB01",
              memo="Zakat fitrah", amil_share="10")
    out = coop.call("sharia.zis-statements", from_date="2026-01-05", to_date="2026-01-05")
    position = _lines(out, "financial_position")
    assets = {line: amounts for (section, line), amounts in position.items()
              if section == "Aset"}
    assert assets == {"Kas Teller CAB01": ("2500000.00", "0.00"),
                      "Jumlah aset": ("2500000.00", "0.00")}
    assert position[("", "Jumlah liabilitas dan saldo dana")] == ("2500000.00", "0.00")


def test_the_preceding_period_of_whole_months_is_whole_months(coop: Coop) -> None:
    # 2024 is a leap year: its 366 days stand beside 2023, not 31 December 2022 - 2023. A
    # quarter beside the quarter before it; any other period beside as many days before.
    coop.close_days(date(2026, 3, 2))
    for first, last, before in (
            ("2024-01-01", "2024-12-31", ("2023-01-01", "2023-12-31")),
            ("2025-04-01", "2025-06-30", ("2025-01-01", "2025-03-31")),
            ("2026-01-01", "2026-02-28", ("2025-11-01", "2025-12-31")),
            ("2026-01-10", "2026-01-20", ("2025-12-30", "2026-01-09"))):
        out = coop.call("sharia.zis-statements", from_date=first, to_date=last)
        assert (out["previous_from"], out["previous_to"]) == before


def test_payer_and_restriction_describe_zakat_and_infak_receipts(coop: Coop) -> None:
    raw = {"amount": "100000", "cash_account": CASH, "memo": "x"}
    coop.refused(ValidationError, "sharia.zis-receive", fund="zakat", restricted=True, **raw)
    coop.refused(ValidationError, "sharia.zis-receive", fund="non_halal", payer="entity", **raw)
    coop.call("sharia.zis-receive", fund="zakat", **raw)
    coop.refused(ValidationError, "sharia.zis-disburse", fund="zakat", asnaf="fakir",
                 payer="entity", **raw)
    # A receipt recorded before revision sharia0011 has neither: shown on a line of its own.
    with coop.kernel.db.engine.begin() as conn:
        conn.execute(sa.update(zis_movements).values(payer=None))
    changes = _lines(coop.call("sharia.zis-statements", from_date="2026-01-05",
                               to_date="2026-01-05"), "changes_in_funds")
    assert changes[("Dana zakat", "Penerimaan tanpa rincian (dicatat sebelum rincian "
                                  "tersedia)")] == ("100000.00", "0.00")
    assert changes[("Dana zakat", "Muzakki individual")] == ("0.00", "0.00")
