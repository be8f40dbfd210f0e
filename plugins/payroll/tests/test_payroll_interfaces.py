"""Payroll through the CLI (export to a file, import a file) and the API (maker-checker on the
import above a threshold, typed refusals as problem documents)."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from litestar.testing import TestClient
from openpyxl import load_workbook
from payroll_coop import BANK, PERIOD, Kpri, filled_result
from test_payroll_batch import setup_march

from kopcore.cli import make_cli
from kopcore.errors import KopcoreError
from kopcore.interfaces.api import make_app
from kopcore.money import Money
from kopcore.testing import KernelFactory


def test_the_cli_exports_the_list_and_imports_the_result(kpri: Kpri, tmp_path: Path) -> None:
    setup_march(kpri)
    cli = make_cli(kpri.kernel.settings, kpri.kernel.plugins)
    runner = CliRunner()

    def run(operator: str, *args: str, code: int = 0) -> str:
        """The command's output; for a refusal (``code=1``) the typed error's detail, which
        the console entry point prints as its message (kopcore.cli.main)."""
        result = runner.invoke(cli, ["--operator", operator, *args])
        if code == 0:
            assert result.exit_code == 0, (result.output, result.exception)
            return result.output
        assert isinstance(result.exception, KopcoreError), repr(result.exception)
        return result.exception.detail

    made = json.loads(run("teller", "payroll", "list", "--employer", "DISDIK", "--period",
                          PERIOD, "--json"))
    assert made["listed_total"]["amount"] == "1830000.00"
    sheet = tmp_path / "potongan.xlsx"
    run("teller", "payroll", "export", "--employer", "DISDIK", "--period", PERIOD,
        "--output", str(sheet))
    assert load_workbook(sheet)["Potongan"]["D2"].value == "Ayu"
    result = tmp_path / "hasil.xlsx"
    result.write_bytes(base64.b64decode(filled_result(
        base64.b64encode(sheet.read_bytes()).decode(), {"001": 700000, "002": 50000, "003": 0},
        [("999", "Dewa", 100000)])))
    wrong = run("manager", "payroll", "import", "--employer", "DISDIK", "--period", PERIOD,
                "--transfer", "800000", "--file", str(result), code=1)
    assert "transfer" in wrong
    assert kpri.balance(BANK) == Money.zero()
    run("teller", "payroll", "import", "--employer", "DISDIK", "--period", PERIOD,
        "--transfer", "850000", "--file", str(result), code=1)  # a teller may not post
    posted = json.loads(run("manager", "payroll", "import", "--employer", "DISDIK", "--period",
                            PERIOD, "--transfer", "850000", "--file", str(result), "--json"))
    assert posted["status"] == "posted"
    assert kpri.balance(BANK) == Money.parse("850000")
    short = run("manager", "payroll", "shortfalls", "--employer", "DISDIK", "--period", PERIOD)
    assert "470.000,00" in short
    kpri.books_balance()


def test_the_cli_imports_a_list_fully_deducted_without_a_file(kpri: Kpri) -> None:
    # --as-sent: the result is the list as sent; --file is then optional.
    setup_march(kpri)
    cli = make_cli(kpri.kernel.settings, kpri.kernel.plugins)
    runner = CliRunner()
    listed = runner.invoke(cli, ["--operator", "teller", "payroll", "list", "--employer",
                                 "DISDIK", "--period", PERIOD])
    assert listed.exit_code == 0, listed.output
    result = runner.invoke(cli, ["--operator", "manager", "payroll", "import", "--employer",
                                 "DISDIK", "--period", PERIOD, "--transfer", "1830000",
                                 "--as-sent", "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert json.loads(result.output)["status"] == "posted"
    assert kpri.balance(BANK) == Money.parse("1830000")
    kpri.books_balance()


def test_the_api_holds_a_large_import_for_a_second_person(make_kernel: KernelFactory) -> None:
    kpri = Kpri(make_kernel(plugins=("savings", "loans", "payroll"),
                            approval_thresholds={"payroll.import": Decimal("500000")}),
                loans=True)
    setup_march(kpri)
    kpri.user("manager2", "manager")
    keys = {name: {"Authorization": f"Bearer {kpri.api_key(name)}"}
            for name in ("manager", "manager2", "teller")}
    with TestClient(app=make_app(kpri.kernel)) as client:
        made = client.post("/api/v1/payroll/list", json={"employer": "DISDIK",
                                                         "period": PERIOD},
                           headers=keys["teller"])
        assert made.status_code == 200, made.text
        exported = client.get("/api/v1/payroll/export", params={
            "employer": "DISDIK", "period": PERIOD, "format": "csv"}, headers=keys["teller"])
        assert exported.status_code == 200, exported.text
        assert exported.json()["filename"] == "potongan-gaji-disdik-2026-03.csv"
        missing = client.get("/api/v1/payroll/show", params={"employer": "NOPE",
                                                             "period": PERIOD},
                             headers=keys["teller"])
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        body = {"employer": "DISDIK", "period": PERIOD, "transfer": "1830000", "as_sent": True}
        queued = client.post("/api/v1/payroll/import", json=body, headers=keys["manager"])
        assert queued.status_code == 202, queued.text
        assert kpri.balance(BANK) == Money.zero()
        approval = queued.json()["approval_id"]
        done = client.post("/api/v1/approvals/approve", json={"approval_id": approval},
                           headers=keys["manager2"])
        assert done.status_code == 200, done.text
        shown = client.get("/api/v1/payroll/show", params={"employer": "DISDIK",
                                                           "period": PERIOD},
                           headers=keys["teller"])
        assert shown.json()["status"] == "posted"
        bad = client.post("/api/v1/payroll/import", json={**body, "employer": "RSUD",
                                                           "transfer": "1"},
                          headers=keys["manager"])
        assert bad.status_code == 404  # RSUD has no list for March yet
    assert kpri.balance(BANK) == Money.parse("1830000")
    kpri.books_balance()
