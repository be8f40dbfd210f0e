"""Cash wakaf (wakaf uang) with the cooperative as nazhir: UU 41/2004 (the nazhir's share at
most 10 % of the net result, art. 12), PP 42/2006 and PSAK 412 (formerly PSAK 112): receipt
under an ikrar, permanent or temporary; investment of the principal; results shared between
the nazhir and the mauquf 'alaih; distributions from the results only; a temporary wakaf
returned at its end; the PSAK 412 statements.

Worked by hand (the test's own figures, laid out as PSAK 412's illustrative statements of a
nazhir):

5 January: permanent wakaf 100,000,000 (AIW-001/2026) and temporary 20,000,000 until 7 January
  (SWU-002/2026): 120,000,000 of principal. Placed: 90,000,000 in the cooperative's financing
  (the business keeps the money) and 25,000,000 in a bank's sharia deposit: 5,000,000 left, so
  5,000,001 more is refused. Cash 120,000,000 - 115,000,000 = 5,000,000.
6 January: the financing placement earns 1,500,000: nazhir 10 % = 150,000, mauquf 'alaih
  1,350,000; the bank deposit 333,335: nazhir 33,333.5 -> 33,334 (half up), mauquf 'alaih
  300,001. Results 1,650,001; 1,000,000 distributed; 650,002 more is refused (650,001 left:
  the principal is never distributed). The temporary wakaf cannot be returned before 7 January.
7 January: returning it (20,000,000) needs principal not invested: 5,000,000 -> refused; the
  bank deposit is taken back (25,000,000), then the wakaf returned.
Statements 6-7 January (beside 4-5 January):
  activities: results 1,833,335, nazhir (183,334), distributed (1,000,000): net assets
  100,000,000 -> 100,650,001; temporary wakaf 20,000,000 -> 0.
  cash flows: operating 650,001, investing +25,000,000, financing -20,000,000: cash
  5,000,000 -> 10,650,001.
  position: cash 10,650,001 + investment 90,000,000 = 100,650,001 = permanent 100,000,000 +
  results 650,001.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from kopcore_sharia.wakaf_tables import wakaf
from litestar.testing import TestClient
from sharia_coop import CASH, Coop

import kopcore
from kopcore.cli import make_cli
from kopcore.errors import (
    Conflict,
    Forbidden,
    InsufficientFunds,
    PostingVetoed,
    ValidationError,
)
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.records import GLAccountSpec, GLType
from kopcore.testing import verify_books


class BankInterest:
    """A conventional chart's bank interest income account (jasa giro)."""

    @kopcore.hookimpl
    def kopcore_gl_accounts(self) -> list[GLAccountSpec]:
        return [GLAccountSpec("conv.bank_interest_income", "4992", "Pendapatan Jasa Giro",
                              GLType.INCOME)]


def _lines(out: dict[str, Any], key: str) -> dict[tuple[str, str], tuple[str | None, ...]]:
    statement = next(s for s in out["statements"] if s["key"] == key)
    return {(line["section"], line["line"]): tuple(
        None if line[k] is None else line[k]["amount"] for k in ("current", "previous"))
        for line in statement["lines"]}


def test_cash_wakaf_from_receipt_to_return_with_the_psak_412_statements(
        make_kernel: Callable[..., Kernel]) -> None:
    coop = Coop(make_kernel(plugins=("sharia",), extra_plugins=(("conv", BankInterest()),)))
    coop.call("accounts.open-internal", name="Bank Syariah", gl_key="cash", number="BANK-BSI")
    permanent = coop.call("sharia.wakaf-receive", as_user="teller", wakif="H. Abdullah",
                          ikrar="AIW-001/2026", purpose="Beasiswa santri yatim",
                          amount="100000000", cash_account=CASH)
    assert permanent["wakaf"]["kind"] == "permanent"
    assert permanent["funds"]["permanent"]["amount"] == "100000000.00"
    raw = {"wakif": "PT Berkah", "purpose": "Klinik dhuafa", "amount": "20000000",
           "cash_account": CASH, "kind": "temporary"}
    coop.refused(ValidationError, "sharia.wakaf-receive", **raw, ikrar="SWU-002/2026")
    coop.refused(ValidationError, "sharia.wakaf-receive", **raw, ikrar="SWU-002/2026",
                 until="2026-01-05")
    coop.refused(Conflict, "sharia.wakaf-receive", **raw, ikrar="AIW-001/2026",
                 until="2026-01-07")
    coop.refused(ValidationError, "sharia.wakaf-receive", **{**raw, "kind": "permanent"},
                 ikrar="AIW-009/2026", until="2026-01-07")
    temporary = coop.call("sharia.wakaf-receive", **raw, ikrar="SWU-002/2026",
                          until="2026-01-07")
    temporary_id = temporary["wakaf"]["id"]

    # Investment: the principal, never more than is not invested.
    coop.refused(Forbidden, "sharia.wakaf-invest", as_user="teller", amount="1",
                 placement="financing", placed_with="x")
    financing = coop.call("sharia.wakaf-invest", as_user="manager", amount="90000000",
                          placement="financing",
                          placed_with="Pembiayaan murabahah anggota (pool wakaf)")
    coop.refused(ValidationError, "sharia.wakaf-invest", as_user="manager", amount="1",
                 placement="bank", placed_with="Deposito BSI")
    bank = coop.call("sharia.wakaf-invest", as_user="manager", amount="25000000",
                     placement="bank", placed_with="Deposito BSI 7001", cash_account=CASH)
    assert bank["funds"]["uninvested"]["amount"] == "5000000.00"
    coop.refused(InsufficientFunds, "sharia.wakaf-invest", as_user="manager",
                 amount="5000000.01", placement="deposit", placed_with="Deposito koperasi")
    # No interest: a wakaf account and an interest account never meet in one entry.
    coop.refused(PostingVetoed, "entries.post", memo="Bunga deposito", lines=[
        {"account": CASH, "side": "debit", "amount": "10000"},
        {"account": "GL-conv.bank_interest_income", "side": "credit", "amount": "5000"},
        {"account": "GL-sharia.wakaf_benefits", "side": "credit", "amount": "5000"}])

    coop.close_days(date(2026, 1, 6))
    fin_id, bank_id = financing["investment"]["id"], bank["investment"]["id"]
    result = coop.call("sharia.wakaf-result", as_user="manager", investment=fin_id,
                       amount="1500000", memo="Bagi hasil pembiayaan Januari")
    assert (result["nazhir_part"]["amount"], result["benefits_part"]["amount"]) == (
        "150000.00", "1350000.00")
    coop.refused(ValidationError, "sharia.wakaf-result", as_user="manager", investment=bank_id,
                 amount="333335", memo="Bagi hasil deposito", nazhir_share="10.01",
                 cash_account="BANK-BSI")
    coop.refused(ValidationError, "sharia.wakaf-result", as_user="manager", investment=bank_id,
                 amount="333335", memo="Bagi hasil deposito")
    result = coop.call("sharia.wakaf-result", as_user="manager", investment=bank_id,
                       amount="333335", memo="Bagi hasil deposito", cash_account="BANK-BSI")
    assert (result["nazhir_part"]["amount"], result["benefits_part"]["amount"]) == (
        "33334.00", "300001.00")
    assert result["funds"]["benefits"]["amount"] == "1650001.00"
    coop.call("sharia.wakaf-distribute", as_user="teller", amount="1000000", cash_account=CASH,
              memo="Beasiswa 4 santri yatim")
    error = coop.refused(InsufficientFunds, "sharia.wakaf-distribute", amount="650002",
                         cash_account=CASH, memo="Beasiswa")
    assert "principal is preserved" in str(error)
    coop.refused(Conflict, "sharia.wakaf-return", as_user="manager", wakaf=temporary_id,
                 cash_account=CASH)
    coop.refused(Conflict, "sharia.wakaf-return", as_user="manager",
                 wakaf=permanent["wakaf"]["id"], cash_account=CASH)

    coop.close_days(date(2026, 1, 7))
    coop.refused(InsufficientFunds, "sharia.wakaf-return", as_user="manager",
                 wakaf=temporary_id, cash_account=CASH)
    coop.call("sharia.wakaf-divest", as_user="manager", investment=bank_id,
              cash_account=CASH)
    coop.refused(Conflict, "sharia.wakaf-divest", as_user="manager", investment=bank_id,
                 cash_account=CASH)
    back = coop.call("sharia.wakaf-return", as_user="manager", wakaf=temporary_id,
                     cash_account=CASH)
    assert (back["wakaf"]["status"], back["wakaf"]["returned_on"]) == ("returned", "2026-01-07")
    assert back["funds"]["temporary"]["amount"] == "0.00"
    coop.refused(Conflict, "sharia.wakaf-return", as_user="manager", wakaf=temporary_id,
                 cash_account=CASH)

    net = coop.gl_net()
    assert net["sharia.nazhir_income"] == -18333400      # 150,000 + 33,334 (minor units)
    assert net["sharia.wakaf_result_expense"] == 150000000
    assert net["sharia.wakaf_placed"] == -9000000000
    assert net["sharia.wakaf_investment"] == 9000000000
    coop.books_balance()

    out = coop.call("sharia.wakaf-report", as_user="auditor", from_date="2026-01-06",
                    to_date="2026-01-07")
    assert (out["previous_from"], out["previous_to"]) == ("2026-01-04", "2026-01-05")
    position = _lines(out, "financial_position")
    assert position[("Aset", "Kas dan setara kas")] == ("10650001.00", "5000000.00")
    assert position[("Aset", "Investasi dana wakaf")] == ("90000000.00", "115000000.00")
    assert position[("Liabilitas", "Wakaf temporer")] == ("0.00", "20000000.00")
    assert position[("Aset neto", "Hasil pengelolaan wakaf yang belum disalurkan")] == (
        "650001.00", "0.00")
    assert position[("", "Jumlah liabilitas dan aset neto")] == (
        "100650001.00", "120000000.00")
    activities = _lines(out, "activities")
    assert activities[("Aset neto", "Penerimaan wakaf permanen")] == ("0.00", "100000000.00")
    assert activities[("Aset neto", "Bagian nazhir atas hasil pengelolaan")] == (
        "-183334.00", "0.00")
    assert activities[("Aset neto", "Aset neto akhir periode")] == (
        "100650001.00", "100000000.00")
    assert activities[("Wakaf temporer", "Pengembalian wakaf temporer kepada wakif")] == (
        "-20000000.00", "0.00")
    flows = _lines(out, "cash_flows")
    assert flows[("Arus kas dari aktivitas operasi", "Kas bersih dari aktivitas operasi")] == (
        "650001.00", "0.00")
    assert flows[("Arus kas dari aktivitas investasi",
                  "Kas bersih dari aktivitas investasi")] == ("25000000.00", "-115000000.00")
    assert flows[("Arus kas dari aktivitas pendanaan",
                  "Kas bersih dari aktivitas pendanaan")] == ("-20000000.00", "120000000.00")
    assert flows[("", "Kenaikan (penurunan) kas dan setara kas")] == (
        "5650001.00", "5000000.00")
    assert not any("Mutasi lain" in line for _s, line in flows)
    detail = _lines(out, "wakaf_assets")
    assert detail[("Wakaf uang diterima", "Jumlah wakaf uang")] == (
        "100000000.00", "120000000.00")
    assert detail[("Investasi dana wakaf", "Jumlah investasi dana wakaf")] == (
        "90000000.00", "115000000.00")
    notes = {n["title"]: n["text"] for n in out["notes"]}
    assert "Rp183.334,00 dari hasil Rp1.833.335,00 (10,00 %)" in notes["Imbalan nazhir"]

    listed = coop.call("sharia.wakaf-list", as_user="teller", status="active")
    assert [w["ikrar"] for w in listed["wakaf"]] == ["AIW-001/2026"]
    assert [i["placed_with"] for i in listed["investments"]] == [
        "Pembiayaan murabahah anggota (pool wakaf)"]


def test_wakaf_through_the_api_and_the_cli(coop: Coop, tmp_path: Any) -> None:
    teller = coop.api_key("teller")
    with TestClient(app=make_app(coop.kernel)) as client:
        got = client.post("/api/v1/sharia/wakaf-receive",
                          json={"wakif": "Ibu Fatimah", "ikrar": "AIW-010/2026",
                                "purpose": "Masjid", "amount": "5000000",
                                "cash_account": CASH},
                          headers={"Authorization": f"Bearer {teller}"})
        assert got.status_code == 200, got.text
        again = client.post("/api/v1/sharia/wakaf-receive",
                            json={"wakif": "Ibu Fatimah", "ikrar": "AIW-010/2026",
                                  "purpose": "Masjid", "amount": "5000000",
                                  "cash_account": CASH},
                            headers={"Authorization": f"Bearer {teller}"})
        assert again.status_code == 409
        assert again.headers["content-type"].startswith("application/problem+json")
        principal = client.post("/api/v1/sharia/wakaf-distribute",
                                json={"amount": "1", "cash_account": CASH, "memo": "Masjid"},
                                headers={"Authorization": f"Bearer {teller}"})
        assert principal.status_code == 409
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()
    result = runner.invoke(cli, ["--operator", "manager", "sharia", "wakaf-invest",
                                 "--amount", "4000000", "--placement", "deposit",
                                 "--placed-with", "Deposito mudharabah koperasi", "--json"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["funds"]["uninvested"]["amount"] == "1000000.00"
    refused = runner.invoke(cli, ["--operator", "manager", "sharia", "wakaf-invest",
                                  "--amount", "1000000.01", "--placement", "deposit",
                                  "--placed-with", "Deposito"])
    assert refused.exit_code != 0
    investment = json.loads(result.output)["investment"]["id"]
    with TestClient(app=make_app(coop.kernel)) as client:
        manager = coop.api_key("manager")
        # 40,001 at 10 %: the nazhir's 4,000.1 rounds to 4,000; 36,001 for the mauquf 'alaih.
        got = client.post("/api/v1/sharia/wakaf-result",
                          json={"investment": investment, "amount": "40001",
                                "memo": "Bagi hasil deposito Januari"},
                          headers={"Authorization": f"Bearer {manager}"})
        assert got.status_code == 200, got.text
        assert got.json()["benefits_part"]["amount"] == "36001.00"
        over = client.post("/api/v1/sharia/wakaf-result",
                           json={"investment": investment, "amount": "1", "memo": "x",
                                 "nazhir_share": "11"},
                           headers={"Authorization": f"Bearer {manager}"})
        assert over.status_code == 422
    result = runner.invoke(cli, ["--operator", "manager", "sharia", "wakaf-divest",
                                 "--investment", str(investment), "--json"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--operator", "teller", "sharia", "wakaf-list", "--json"],
                           catch_exceptions=False)
    listed = json.loads(result.output)
    assert [i["status"] for i in listed["investments"]] == ["returned"]
    assert listed["funds"]["benefits"]["amount"] == "36001.00"
    target = tmp_path / "wakaf.csv"
    result = runner.invoke(cli, ["--operator", "auditor", "sharia", "wakaf-report",
                                 "--from-date", "2026-01-05", "--to-date", "2026-01-05",
                                 "--format", "csv", "--output", str(target)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    # 5,000,000 received, 4,000,000 placed and taken back, 36,001 of results.
    assert "financial_position,Aset,,Kas dan setara kas,5036001.00,0.00" in text
    assert "wakaf_assets,Wakaf uang diterima,AIW-010/2026," in text


def test_the_wakaf_share_stays_out_of_the_mudharabah_pool(
        coop_from: Callable[[date], Coop]) -> None:
    # February: the unit earns 50,000 of qardh admin income; the wakaf placed in its financing
    # is paid 1,000,000 (1,000,000 expense, 100,000 of it the nazhir's fee). The pools share
    # 50,000 under revenue sharing (not 150,000) and under profit-loss sharing (not 0).
    coop = coop_from(date(2026, 1, 31))
    for code, basis in (("TMB", "revenue"), ("TPL", "profit")):
        coop.call("sharia.mudharabah-pool-create", as_user="manager", code=code,
                  name=code, nisbah="60", basis=basis)
        coop.call("sharia.mudharabah-open", member=coop.member(f"Anggota {code}"), pool=code,
                  amount="1000000", cash_account=CASH)
    coop.close_days(date(2026, 2, 2))
    coop.call("sharia.qardh-disburse", as_user="teller", member=coop.member("Budi Santoso"),
              amount="500000", cash_account=CASH, admin_fee="50000")
    coop.call("sharia.wakaf-receive", wakif="H. Abdullah", ikrar="AIW-001/2026",
              purpose="Beasiswa", amount="10000000", cash_account=CASH)
    placed = coop.call("sharia.wakaf-invest", as_user="manager", amount="10000000",
                       placement="financing", placed_with="Pembiayaan qardh dan murabahah")
    coop.call("sharia.wakaf-result", as_user="manager", investment=placed["investment"]["id"],
              amount="1000000", memo="Bagi hasil Februari")
    coop.close_days(date(2026, 3, 1))
    shared = [coop.call("sharia.mudharabah-distribute", as_user="manager", pool=code,
                        month="2026-02-01")["distributable_income"]["amount"]
              for code in ("TMB", "TPL")]
    assert shared == ["25000.00", "25000.00"]  # 50,000 split by equal pool balances


def test_a_wakaf_record_edited_in_the_database_is_found(coop: Coop) -> None:
    def errors() -> list[str]:
        return [p.kind for p in coop.kernel.read("auditor", verify_books).errors]

    coop.call("sharia.wakaf-receive", wakif="H. Abdullah", ikrar="AIW-001/2026",
              purpose="Beasiswa", amount="1000000", cash_account=CASH)
    assert errors() == []
    with coop.kernel.db.engine.begin() as conn:
        conn.execute(sa.update(wakaf).values(amount=wakaf.c.amount + 100))
    assert errors() == ["sharia.wakaf_records_differ"]
