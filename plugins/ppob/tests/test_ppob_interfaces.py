"""The PPOB flow through the generated web API and CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from ppob_coop import FEE, PAYABLE, Coop

from kopcore.cli import make_cli
from kopcore.errors import NotFound
from kopcore.interfaces.api import make_app


def test_a_teller_pays_through_the_api(coop: Coop) -> None:
    teller = coop.api_key("teller")
    member = coop.member("100000")
    account = coop.account_of(member)
    with TestClient(app=make_app(coop.kernel)) as client:
        headers = {"Authorization": f"Bearer {teller}"}

        def post(action: str, body: dict[str, Any], **extra: str) -> Any:
            return client.post(f"/api/v1/ppob/{action}", json=body,
                               headers={**headers, **extra})

        listed = client.get("/api/v1/ppob/products", params={"category": "pulsa"},
                            headers=headers)
        assert listed.status_code == 200, listed.text
        assert post("sync", {}).status_code == 403  # managers only
        body = {"ref_id": "API-1", "sku": "TSEL10", "customer_no": "081200000002",
                "member": member}
        first = post("pay", body, **{"Idempotency-Key": "api-pay-1"})
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "pending"
        replay = post("pay", body, **{"Idempotency-Key": "api-pay-1"})
        assert replay.json() == first.json()
        assert coop.state(account) == (Decimal("100000.00"), Decimal("10500.00"))
        settled = post("status", {"ref_id": "API-1"})
        assert settled.json()["status"] == "success"
        assert post("status", {"ref_id": "API-1"}).json() == settled.json()
        receipt = client.get("/api/v1/ppob/receipt", params={"ref_id": "API-1"},
                             headers=headers)
        assert "BERHASIL" in receipt.json()["text"]
        poor = post("pay", {"ref_id": "API-2", "sku": "TSEL10", "customer_no": "081200000000",
                            "member": coop.member("1000")})
        assert poor.status_code == 409
        assert poor.json()["code"] == "insufficient-funds"
        bad = post("pay", {**body, "ref_id": "API-3", "customer_no": "abc"})
        assert bad.status_code == 422, bad.text
    assert coop.state(account) == (Decimal("89500.00"), Decimal("0.00"))
    coop.books_ok()


def test_the_cli_pays_and_prints_the_receipt(coop: Coop) -> None:
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--operator", "teller", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    member = coop.member("100000")
    paid = json.loads(run("ppob", "pay", "--ref-id", "CLI-1", "--sku", "PLN20",
                          "--customer-no", "53123456780", "--member", member, "--json"))
    assert paid["status"] == "success"
    assert paid["token"]
    again = json.loads(run("ppob", "pay", "--ref-id", "CLI-1", "--sku", "PLN20",
                           "--customer-no", "53123456780", "--member", member, "--json"))
    assert again == paid
    receipt = json.loads(run("ppob", "receipt", "--ref-id", "CLI-1", "--json"))
    assert paid["token"] in receipt["text"]
    assert coop.balance(coop.account_of(member)) == Decimal("79500.00")
    coop.books_ok()


#: (last digit, status after pay, after a status check, balance, held after it): one member
#: with Rp100.000 buying Telkomsel 10k (Rp10.500) six times.
SANDBOX_STEPS = [("0", "success", "success", "89500.00", "0.00"),
                 ("1", "failed", "failed", "89500.00", "0.00"),
                 ("2", "pending", "success", "79000.00", "0.00"),
                 ("3", "pending", "failed", "79000.00", "0.00"),
                 ("4", "pending", "pending", "79000.00", "10500.00"),
                 ("5", "failed", "failed", "79000.00", "10500.00")]


def test_every_sandbox_outcome_through_the_api(coop: Coop) -> None:
    teller = coop.api_key("teller")
    member = coop.member("100000")
    account = coop.account_of(member)
    with TestClient(app=make_app(coop.kernel)) as client:
        headers = {"Authorization": f"Bearer {teller}"}
        for digit, paid, checked, balance, held in SANDBOX_STEPS:
            ref = f"API-SB-{digit}"
            out = client.post("/api/v1/ppob/pay", headers=headers, json={
                "ref_id": ref, "sku": "TSEL10", "customer_no": f"08120000000{digit}",
                "member": member})
            assert out.status_code == 200, out.text
            assert out.json()["status"] == paid, digit
            again = client.post("/api/v1/ppob/status", headers=headers, json={"ref_id": ref})
            assert again.json()["status"] == checked, digit
            assert coop.state(account) == (Decimal(balance), Decimal(held)), digit
            coop.books_ok()
        missing = client.post("/api/v1/ppob/inquiry", headers=headers, json={
            "ref_id": "API-SB-9", "sku": "PLNPOST", "customer_no": "5300000129"})
        assert missing.status_code == 404
        assert missing.json()["code"] == "not-found"
    assert coop.balance(PAYABLE) == Decimal("20250.00")


def test_every_sandbox_outcome_through_the_cli(coop: Coop) -> None:
    """Last digit 0-5 and 9, paid with the CLI, checked with the CLI; balances at each step."""
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(cli, ["--operator", "teller", *args, "--json"],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    member = coop.member("100000")
    account = coop.account_of(member)
    D = Decimal
    for digit, paid, checked, balance, held in SANDBOX_STEPS:
        ref = f"CLI-SB-{digit}"
        out = run("ppob", "pay", "--ref-id", ref, "--sku", "TSEL10",
                  "--customer-no", f"08120000000{digit}", "--member", member)
        assert out["status"] == paid, digit
        if paid == "pending":
            assert coop.state(account)[1] >= D("10500.00")
        assert run("ppob", "status", "--ref-id", ref)["status"] == checked, digit
        assert coop.state(account) == (D(balance), D(held)), digit
        coop.books_ok()
    assert "provider reported success" in run("ppob", "receipt", "--ref-id", "CLI-SB-5")[
        "transaction"]["anomaly"]
    assert run("ppob", "poll")["transactions"] == []  # 4 stays pending
    with pytest.raises(NotFound, match="no outstanding bill"):  # kopcore.cli.main: exit 1
        run("ppob", "inquiry", "--ref-id", "CLI-SB-9", "--sku", "PLNPOST",
            "--customer-no", "5300000129")
    assert coop.balance(PAYABLE) == D("20250.00")
    assert coop.balance(FEE) == D("750.00")
