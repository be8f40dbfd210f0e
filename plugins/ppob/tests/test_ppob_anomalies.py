"""Anomalies (a success reported after the transaction was recorded failed) resolved once by a
manager — charged, absorbed or refunded — through the API with maker-checker and through the
CLI, with the ledger checked; and the end-of-day mark on overdue networked pending ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from digiflazz_double import DigiflazzDouble
from kopcore_ppob import tables as ppob_tables
from litestar.testing import TestClient
from ppob_coop import CASH, FEE, PAYABLE, SUSPENSE, Coop, SettlementStandIn

from kopcore import eod
from kopcore.cli import make_cli
from kopcore.errors import InsufficientFunds, KopcoreError
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel

D = Decimal
LOSS = "GL-ppob.loss"
LATE = "081200000005"  # sandbox: fails, then a status check says success


def anomaly(coop: Coop, ref: str, **paid_by: str) -> dict[str, Any]:
    """Pay, fail, then hear of the success: an open anomaly."""
    assert coop.call("ppob.pay", as_user="teller", ref_id=ref, sku="TSEL10",
                     customer_no=LATE, **paid_by)["status"] == "failed"
    txn = dict(coop.call("ppob.status", as_user="teller", ref_id=ref))
    assert txn["anomaly"]
    assert txn["resolution"] is None
    return txn


def audit(coop: Coop) -> list[tuple[str, str, str, str | None]]:
    trail = coop.call("audit.list", operation="ppob.anomaly-resolve")["items"]
    return [(x["actor"], x["interface"], x["outcome"], x["detail"]) for x in trail]


def test_charged_through_the_api_with_a_second_person(
        make_kernel: Callable[..., Kernel]) -> None:
    standin = SettlementStandIn()
    coop = Coop(make_kernel(plugins=("ppob",), extra_plugins=[("standin", standin)],
                            approval_thresholds={"ppob.anomaly-resolve": D("1")}), standin)
    keys = {}
    for name, role in (("manajer1", "manager"), ("manajer2", "manager"), ("teller", None)):
        if role:
            coop.user(name, role)
        keys[name] = coop.api_key(name)
    member = coop.member("100000")
    account = coop.account_of(member)
    found = anomaly(coop, "AN-API-1", member=member)
    assert "sn SN" in found["anomaly"]
    assert coop.state(account) == (D("100000.00"), D("0.00"))
    entries = coop.entries_count()
    with TestClient(app=make_app(coop.kernel)) as client:
        def post(user: str, action: str, body: dict[str, Any]) -> Any:
            return client.post(f"/api/v1/{action}", json=body,
                               headers={"Authorization": f"Bearer {keys[user]}"})

        listed = client.get("/api/v1/ppob/anomalies",
                            headers={"Authorization": f"Bearer {keys['teller']}"})
        assert [x["ref_id"] for x in listed.json()["transactions"]] == ["AN-API-1"]
        body = {"ref_id": "AN-API-1", "resolution": "charged", "amount": "10500",
                "note": "ticket 77"}
        assert post("teller", "ppob/anomaly-resolve", body).status_code == 403
        queued = post("manajer1", "ppob/anomaly-resolve", body)
        assert queued.status_code == 202, queued.text
        approval = queued.json()["approval_id"]
        assert coop.entries_count() == entries  # nothing until a second person approves
        assert post("manajer1", "approvals/approve", {"approval_id": approval}).status_code == 403
        done = post("manajer2", "approvals/approve", {"approval_id": approval})
        assert done.status_code == 200, done.text
        again = post("manajer2", "approvals/approve", {"approval_id": approval})
        assert again.status_code == 409
        queued2 = post("manajer2", "ppob/anomaly-resolve", {**body, "resolution": "absorbed"})
        twice = post("manajer1", "approvals/approve", {"approval_id": queued2.json()[
            "approval_id"]})
        assert twice.status_code == 409, twice.text
        assert twice.json()["code"] == "ppob-anomaly-resolved"
        assert client.get("/api/v1/ppob/anomalies", headers={
            "Authorization": f"Bearer {keys['teller']}"}).json()["transactions"] == []
    # Charged as the sale would have been: 10500 from savings, 10125 payable, 375 fee.
    assert coop.entries_count() == entries + 1
    assert coop.state(account) == (D("89500.00"), D("0.00"))
    assert coop.balance(PAYABLE) == D("10125.00")
    assert coop.balance(FEE) == D("375.00")
    receipt = coop.call("ppob.receipt", ref_id="AN-API-1")
    txn = receipt["transaction"]
    assert (txn["status"], txn["resolution"], txn["resolved_by"]) == (
        "success", "charged", "manajer1")
    assert txn["resolution_note"] == "ticket 77"
    assert txn["sn"]
    assert txn["sn"] in receipt["text"]
    assert "didebit kemudian" in receipt["text"]
    trail = audit(coop)
    assert ("manajer1", "approval", "ok", f"approval {approval} by manajer2") in trail
    coop.books_ok()


def test_absorbed_refunded_and_refusals_through_the_cli(coop: Coop) -> None:
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(cli, ["--operator", "admin", "ppob", *args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def refused(*args: str) -> str:
        """A refusal: the typed error kopcore.cli.main prints before exiting with 1."""
        result = runner.invoke(cli, ["--operator", "admin", "ppob", "anomaly-resolve", *args])
        assert isinstance(result.exception, KopcoreError), result.output
        return f"{result.exception.code}: {result.exception}"

    member = coop.member("100000")
    account = coop.account_of(member)
    anomaly(coop, "AN-CLI-1", member=member)
    anomaly(coop, "AN-CLI-2", member=member)
    anomaly(coop, "AN-CASH-1", cash_account=CASH)
    cash = coop.balance(CASH)
    assert [x["ref_id"] for x in run("anomalies")["transactions"]] == [
        "AN-CASH-1", "AN-CLI-2", "AN-CLI-1"]
    entries = coop.entries_count()
    absorbed = run("anomaly-resolve", "--ref-id", "AN-CLI-1", "--resolution", "absorbed",
                   "--amount", "10500")
    assert (absorbed["status"], absorbed["resolution"]) == ("success", "absorbed")
    # The provider charged us 10125; the member keeps the product for free.
    assert coop.balance(LOSS) == D("10125.00")
    assert coop.balance(PAYABLE) == D("10125.00")
    assert coop.state(account) == (D("100000.00"), D("0.00"))
    refunded = run("anomaly-resolve", "--ref-id", "AN-CLI-2", "--resolution", "refunded",
                   "--amount", "10500")
    assert (refunded["status"], refunded["resolution"]) == ("failed", "refunded")
    assert refunded["resolution_entry_id"] is None
    assert coop.entries_count() == entries + 1
    assert refused("--ref-id", "AN-CLI-1", "--resolution", "charged", "--amount",
                   "10500").startswith("ppob-anomaly-resolved: ")
    assert refused("--ref-id", "AN-CASH-1", "--resolution", "absorbed", "--amount",
                   "10000").startswith("validation-error: amount: repeat")
    # Cash was handed back at the counter: it cannot be charged to savings.
    assert refused("--ref-id", "AN-CASH-1", "--resolution", "charged", "--amount",
                   "10500").startswith("conflict: AN-CASH-1 was paid in cash")
    assert refused("--ref-id", "AN-NONE", "--resolution", "charged", "--amount",
                   "1").startswith("not-found: no PPOB transaction")
    assert refused("--ref-id", "AN-CLI-2", "--resolution", "forgiven", "--amount",
                   "10500").startswith("validation-error: resolution")
    assert [x["ref_id"] for x in run("anomalies")["transactions"]] == ["AN-CASH-1"]
    assert {x["ref_id"] for x in run("anomalies", "--state", "resolved")[
        "transactions"]} == {"AN-CLI-1", "AN-CLI-2"}
    assert coop.balance(CASH) == cash
    assert coop.balance(SUSPENSE) == D("0.00")
    # Charging more than the member now has: refused, nothing written, still open.
    poor = coop.member("15000")
    anomaly(coop, "AN-POOR-1", member=poor)
    coop.call("entries.post", memo="Tarik", lines=[
        {"account": coop.account_of(poor), "side": "debit", "amount": "10000"},
        {"account": CASH, "side": "credit", "amount": "10000"}])
    coop.refused(InsufficientFunds, "ppob.anomaly-resolve", ref_id="AN-POOR-1",
                 resolution="charged", amount="10500")
    assert "AN-POOR-1" in [x["ref_id"] for x in run("anomalies")["transactions"]]
    assert audit(coop)[-1][:3] == ("admin", "test", "insufficient-funds")
    coop.books_ok()


def test_end_of_day_marks_overdue_networked_pending(digiflazz: Coop, fake: DigiflazzDouble,
                                                    wib: Callable[[int, int], None]) -> None:
    member = digiflazz.member("100000")
    fake.script["081211110022"] = "pending"
    fake.script["081211110023"] = "pending"
    digiflazz.call("ppob.pay", as_user="teller", ref_id="DF-EOD-1", sku="DF-TSEL10",
                   customer_no="081211110022", member=member)
    wib(10, 50)
    digiflazz.call("ppob.pay", as_user="teller", ref_id="DF-EOD-2", sku="DF-TSEL10",
                   customer_no="081211110023", member=member)
    wib(11, 30)  # DF-EOD-1 pending 90 minutes, DF-EOD-2 40 minutes
    sent = len(fake.requests)
    closed = eod.run_end_of_day(digiflazz.kernel)
    assert closed[0].tasks["ppob.overdue-pending"] == 1
    assert len(fake.requests) == sent  # end of day never calls the network
    one, two = (digiflazz.call("ppob.receipt", ref_id=r)["transaction"]
                for r in ("DF-EOD-1", "DF-EOD-2"))
    assert one["status"] == two["status"] == "pending"
    assert "is 'kopcore ppob poll' scheduled?" in one["message"]
    assert "scheduled" not in (two["message"] or "")
    fake.settle("DF-EOD-1", success=True)
    assert [x["ref_id"] for x in digiflazz.call("ppob.poll")["transactions"]] == ["DF-EOD-1"]
    c = ppob_tables.transactions.c
    assert digiflazz.kernel.read("admin", lambda ctx: ctx.conn.execute(
        sa.select(c.status).where(c.ref_id == "DF-EOD-1")).scalar_one()) == "success"
    assert digiflazz.state(digiflazz.account_of(member)) == (D("89500.00"), D("10500.00"))
    digiflazz.books_ok()
