"""End to end through the generated web API and CLI: the same handlers, the same rules."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from litestar.testing import TestClient
from loans_helpers import cash, member

from kopcore import ledger
from kopcore.cli import make_cli
from kopcore.context import Context
from kopcore.errors import Forbidden
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.testing import add_user, api_key

PRODUCT = {
    "code": "PMU", "name": "Pinjaman Modal Usaha", "method": "anuitas",
    "frequency": "monthly", "annual_rate": "18", "min_amount": "1000000",
    "max_amount": "50000000", "min_term": 3, "max_term": 24, "provisi_percent": "1",
}


def seed(kernel: Kernel) -> dict[str, Any]:
    def work(ctx: Context) -> dict[str, Any]:
        cash(ctx)
        borrower, other = member(ctx, "Siti Aminah"), member(ctx, "Budi Santoso")
        keys = {}
        for username, role, member_id in (("manager", "manager", None),
                                          ("teller", "teller", None),
                                          ("siti", "member", borrower.id),
                                          ("budi", "member", other.id)):
            add_user(ctx, username, role, member_id)
            keys[username] = {"Authorization": f"Bearer {api_key(ctx, username)}"}
        return {"keys": keys, "borrower": borrower.member_number,
                "other": other.member_number}
    return kernel.write("admin", work)


def test_loan_lifecycle_through_the_api(loans_kernel: Kernel) -> None:
    data = seed(loans_kernel)
    keys = data["keys"]
    with TestClient(make_app(loans_kernel)) as client:
        made = client.post("/api/v1/loans/product-create", json=PRODUCT,
                           headers=keys["manager"])
        assert made.status_code == 200, made.text
        simulated = client.get("/api/v1/loans/simulate", params={
            "product": "PMU", "amount": "12000000", "term": "12"}, headers=keys["siti"])
        assert simulated.status_code == 200
        first = simulated.json()["installments"][0]
        assert (first["installment"]["amount"], first["interest"]["amount"]) == (
            "1100160.00", "180000.00")
        assert simulated.json()["total_interest"]["amount"] == "1201920.00"

        applied = client.post("/api/v1/loans/apply", headers=keys["teller"], json={
            "member": data["borrower"], "product": "PMU", "amount": "12000000", "term": 12})
        assert applied.status_code == 200, applied.text
        number = applied.json()["number"]
        # A member cannot apply in another member's name.
        foreign = client.post("/api/v1/loans/apply", headers=keys["budi"], json={
            "member": data["borrower"], "product": "PMU", "amount": "1000000", "term": 3})
        assert foreign.status_code == 403
        # The teller who entered it cannot approve it; a manager can.
        own = client.post("/api/v1/loans/approve", json={"loan": number},
                          headers=keys["teller"])
        assert own.status_code == 403
        same = client.post("/api/v1/loans/approve", json={"loan": number},
                           headers=keys["manager"])
        assert same.status_code == 200
        assert same.json()["status"] == "approved"
        paid_out = client.post("/api/v1/loans/disburse", headers=keys["teller"], json={
            "loan": number, "cash_account": "CASH-01"})
        assert paid_out.status_code == 200, paid_out.text
        lines = {p["account"]: p["amount"]["amount"] for p in paid_out.json()["entry"]["postings"]}
        assert lines == {number: "12000000.00", "CASH-01": "11880000.00",
                         "GL-loans.fee_income": "120000.00"}
        headers = keys["teller"] | {"Idempotency-Key": "angsuran-1"}
        for _ in range(2):  # a retried request is answered once
            paid = client.post("/api/v1/loans/repay", headers=headers, json={
                "loan": number, "amount": "1100160", "cash_account": "CASH-01"})
            assert paid.status_code == 200, paid.text
        assert paid.json()["interest"]["amount"] == "180000.00"
        assert paid.json()["principal"]["amount"] == "920160.00"
        detail = client.get("/api/v1/loans/get", params={"loan": number},
                            headers=keys["siti"])
        assert detail.json()["outstanding_principal"]["amount"] == "11079840.00"
        assert client.get("/api/v1/loans/get", params={"loan": number},
                          headers=keys["budi"]).status_code == 403
        report = client.get("/api/v1/loans/portfolio", headers=keys["manager"])
        assert report.json()["outstanding"]["amount"] == "11079840.00"
        assert report.json()["classes"][0]["loans"] == 1  # current from disbursement
        document = client.get("/docs/openapi.json").json()
        assert "/api/v1/loans/repay" in document["paths"]
        refused = client.post("/api/v1/loans/repay", headers=keys["teller"], json={
            "loan": number, "amount": 1.5, "cash_account": "CASH-01"})
        assert refused.status_code == 422  # floats never reach the ledger
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_cli_runs_the_same_operations(loans_kernel: Kernel) -> None:
    data = seed(loans_kernel)
    cli = make_cli(loans_kernel.settings, loans_kernel.plugins)
    runner = CliRunner()

    def run(operator: str, *args: str) -> dict[str, Any]:
        result = runner.invoke(cli, ["--operator", operator, *args, "--json"])
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output))

    run("manager", "loans", "product-create", *[
        f"--{k.replace('_', '-')}={v}" for k, v in PRODUCT.items()], "--method=menurun")
    simulated = run("teller", "loans", "simulate", "--product=PMU", "--amount=12000000",
                    "--term=12")
    amounts = [x["installment"]["amount"] for x in simulated["installments"]]
    assert (amounts[0], amounts[-1]) == ("1180000.00", "1015000.00")
    assert simulated["total_interest"]["amount"] == "1170000.00"
    applied = run("teller", "loans", "apply", f"--member={data['borrower']}", "--product=PMU",
                  "--amount=3000000", "--term=3", "--purpose=warung")
    refused = runner.invoke(cli, ["--operator", "teller", "loans", "approve",
                                  f"--loan={applied['number']}"])
    assert isinstance(refused.exception, Forbidden)
    run("manager", "loans", "approve", f"--loan={applied['number']}")
    run("teller", "loans", "disburse", f"--loan={applied['number']}", "--cash-account=CASH-01")
    history = run("siti", "loans", "history", f"--loan={applied['number']}")
    assert [e["kind"] for e in history["events"]] == ["application", "approved",
                                                      "disbursement"]
    member_history = run("siti", "loans", "member-history", f"--member={data['borrower']}")
    assert [x["number"] for x in member_history["loans"]] == [applied["number"]]
    balance = loans_kernel.read("x", lambda ctx: ledger.get_account(
        ctx, applied["number"]).balance.to_str())
    assert balance == "3000000.00"


def test_large_repayment_waits_for_a_second_person(make_kernel) -> None:
    from decimal import Decimal

    kernel = make_kernel(plugins=("loans",),
                         approval_thresholds={"loans.repay": Decimal("5000000")})
    data = seed(kernel)
    keys = data["keys"]
    with TestClient(make_app(kernel)) as client:
        client.post("/api/v1/loans/product-create", json=PRODUCT, headers=keys["manager"])
        number = client.post("/api/v1/loans/apply", headers=keys["teller"], json={
            "member": data["borrower"], "product": "PMU", "amount": "12000000",
            "term": 12}).json()["number"]
        client.post("/api/v1/loans/approve", json={"loan": number}, headers=keys["manager"])
        client.post("/api/v1/loans/disburse", json={"loan": number, "cash_account": "CASH-01"},
                    headers=keys["teller"])
        waiting = client.post("/api/v1/loans/repay", headers=keys["teller"], json={
            "loan": number, "amount": "6000000", "cash_account": "CASH-01"})
        assert waiting.status_code == 202
        before = client.get("/api/v1/loans/get", params={"loan": number},
                            headers=keys["manager"]).json()["outstanding_principal"]
        assert before["amount"] == "12000000.00"
        decided = client.post("/api/v1/approvals/approve", headers=keys["manager"],
                              json={"approval_id": waiting.json()["approval_id"]})
        assert decided.status_code == 200, decided.text
        after = client.get("/api/v1/loans/get", params={"loan": number},
                           headers=keys["manager"]).json()
        assert after["outstanding_principal"]["amount"] != "12000000.00"


def test_guarantors_and_collateral_show_on_the_loan(loans_kernel: Kernel) -> None:
    data = seed(loans_kernel)
    keys = data["keys"]
    with TestClient(make_app(loans_kernel)) as client:
        client.post("/api/v1/loans/product-create", json=PRODUCT, headers=keys["manager"])
        number = client.post("/api/v1/loans/apply", headers=keys["teller"], json={
            "member": data["borrower"], "product": "PMU", "amount": "5000000",
            "term": 6}).json()["number"]
        added = client.post("/api/v1/loans/add-guarantor", headers=keys["teller"], json={
            "loan": number, "guarantor": data["other"], "relationship": "tetangga"})
        assert added.status_code == 200, added.text
        again = client.post("/api/v1/loans/add-guarantor", headers=keys["teller"], json={
            "loan": number, "guarantor": data["other"]})
        assert again.status_code == 409
        self_guarantee = client.post("/api/v1/loans/add-guarantor", headers=keys["teller"],
                                     json={"loan": number, "guarantor": data["borrower"]})
        assert self_guarantee.status_code == 422
        shown = client.post("/api/v1/loans/add-collateral", headers=keys["teller"], json={
            "loan": number, "kind": "BPKB", "description": "Honda Vario 2021",
            "value": "15000000", "document_ref": "BPKB-123"}).json()
        assert [g["member_number"] for g in shown["guarantors"]] == [data["other"]]
        assert shown["collateral"][0]["value"]["amount"] == "15000000.00"


def test_rejecting_an_active_loan_is_a_problem_whose_status_is_the_http_status(
        loans_kernel: Kernel) -> None:
    data = seed(loans_kernel)
    keys = data["keys"]
    with TestClient(make_app(loans_kernel)) as client:
        client.post("/api/v1/loans/product-create", json=PRODUCT, headers=keys["manager"])
        number = client.post("/api/v1/loans/apply", headers=keys["teller"], json={
            "member": data["borrower"], "product": "PMU", "amount": "5000000",
            "term": 6}).json()["number"]
        client.post("/api/v1/loans/approve", json={"loan": number}, headers=keys["manager"])
        client.post("/api/v1/loans/disburse", json={"loan": number, "cash_account": "CASH-01"},
                    headers=keys["teller"])
        refused = client.post("/api/v1/loans/reject", json={"loan": number},
                              headers=keys["manager"])
        assert refused.status_code == 409
        problem = refused.json()
        assert (problem["status"], problem["code"], problem["loan_status"]) == (
            409, "conflict", "active")
