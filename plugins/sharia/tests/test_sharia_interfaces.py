"""End to end through the generated web API and CLI: a murabahah contracted and paid."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from litestar.testing import TestClient
from sharia_coop import CASH, Coop

from kopcore.cli import make_cli
from kopcore.interfaces.api import make_app


def test_a_murabahah_through_the_api(coop: Coop) -> None:
    teller = coop.api_key("teller")
    member = coop.member()
    with TestClient(app=make_app(coop.kernel)) as client:
        def post(path: str, body: dict[str, object], **headers: str) -> Any:
            return client.post(f"/api/v1/sharia/{path}", json=body,
                               headers={"Authorization": f"Bearer {teller}", **headers})

        bought = post("murabahah-acquire", {"member": member, "asset": "Laptop",
                                            "cost": "10000000", "cash_account": CASH,
                                            "supplier": "Toko Komputer", "document": "INV-77"})
        assert bought.status_code == 200, bought.text
        assert bought.json()["acquisition"]["status"] == "owned"
        made = post("murabahah-contract", {"member": member,
                                           "acquisition": bought.json()["acquisition"]["id"],
                                           "margin": "2000000", "installments": 10})
        assert made.status_code == 200, made.text
        number = made.json()["murabahah"]["account"]["number"]
        headers = {"Idempotency-Key": "angsuran-1"}
        first = post("murabahah-pay", {"account": number, "cash_account": CASH}, **headers)
        again = post("murabahah-pay", {"account": number, "cash_account": CASH}, **headers)
        assert first.status_code == 200, first.text
        assert again.json() == first.json()
        assert again.headers["Idempotency-Replayed"] == "true"
        detail = client.get("/api/v1/sharia/murabahah-detail", params={"account": number},
                            headers={"Authorization": f"Bearer {teller}"}).json()
        assert detail["paid_installments"] == 1
        assert detail["outstanding"]["amount"] == "10800000.00"
        assert detail["deferred_margin"]["amount"] == "1800000.00"
        too_much = post("muqasah-propose", {"account": number, "cash_account": CASH,
                                            "discount": "1800000.01"})
        assert too_much.status_code == 422
        assert too_much.headers["content-type"].startswith("application/problem+json")
        bonus = post("wadiah-bonus-propose", {"account": number, "amount": "1",
                                              "period": "2026-01"})
        assert bonus.status_code == 403  # a bonus is the managers' decision
        manager = coop.api_key("manager")
        pool = client.post("/api/v1/sharia/mudharabah-pool-create",
                           json={"code": "TMB", "name": "Tabungan Mudharabah", "nisbah": "55",
                                 "basis": "profit"},
                           headers={"Authorization": f"Bearer {manager}"})
        assert pool.status_code == 200, pool.text
        opened = post("mudharabah-open", {"member": member, "pool": "TMB", "amount": "100000",
                                          "cash_account": CASH})
        assert opened.status_code == 200, opened.text
        assert opened.json()["holding"]["nisbah"] == "55"
        bad = post("mudharabah-open", {"member": member, "pool": "TMB", "nisbah": "0"})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        spec = client.get("/docs/openapi.json").json()
        assert {"/api/v1/sharia/murabahah-contract", "/api/v1/sharia/zis-report",
                "/api/v1/sharia/qardh-disburse", "/api/v1/sharia/wadiah-deposit",
                "/api/v1/sharia/mudharabah-distribute", "/api/v1/sharia/proposal-approve",
                "/api/v1/sharia/unit-trial-balance"} \
            <= set(spec["paths"])
    coop.books_balance()


def test_the_cli_as_an_identified_operator(coop: Coop) -> None:
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--operator", "teller", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    member = coop.member()
    opened = json.loads(run("sharia", "wadiah-open", "--member", member, "--json"))
    number = opened["number"]
    run("sharia", "wadiah-deposit", "--account", number, "--amount", "75000",
        "--cash-account", CASH)
    assert "75.000,00" in run("sharia", "wadiah-balance", "--account", number)
    result = runner.invoke(cli, ["--operator", "teller", "sharia", "wadiah-withdraw",
                                 "--account", number, "--amount", "75000.01",
                                 "--cash-account", CASH])
    assert result.exit_code == 1
    # Wakalah: the member buys the goods as the cooperative's agent; the sale waits for the
    # invoice.
    agent = json.loads(run("sharia", "murabahah-acquire", "--member", member, "--asset",
                           "Mesin jahit", "--cost", "3000000", "--cash-account", CASH,
                           "--method", "wakalah", "--document", "Akad wakalah 12/2026",
                           "--json"))["acquisition"]
    assert agent["status"] == "agent"
    sale = ["sharia", "murabahah-contract", "--member", member, "--acquisition",
            str(agent["id"]), "--margin", "450000", "--installments", "3", "--json"]
    early = runner.invoke(cli, ["--operator", "teller", *sale])
    assert early.exit_code == 1
    assert "as agent (wakalah)" in str(early.exception)
    owned = json.loads(run("sharia", "murabahah-wakalah-purchase", "--acquisition",
                           str(agent["id"]), "--supplier", "Toko Jahit Makmur", "--document",
                           "Nota 5531", "--json"))["acquisition"]
    assert (owned["status"], owned["purchase_document"]) == ("owned", "Nota 5531")
    made = json.loads(run(*sale))
    schedule = json.loads(run("sharia", "murabahah-schedule", "--account",
                              made["murabahah"]["account"]["number"], "--json"))
    assert [row["total"]["amount"] for row in schedule["installments"]] == [
        "1150000.00", "1150000.00", "1150000.00"]
    assert coop.balance(number) == "75000.00"
    unit = runner.invoke(cli, ["--operator", "auditor", "sharia", "unit-trial-balance", "--json"],
                         catch_exceptions=False)
    assert unit.exit_code == 0, unit.output
    assert json.loads(unit.output)["total_debit"]["amount"] == "3450000.00"
    refused = runner.invoke(cli, ["--operator", "teller", "sharia", "wadiah-bonus-propose",
                                  "--account", number, "--amount", "5000", "--period", "2026-01"])
    assert refused.exit_code != 0
    coop.books_balance()
