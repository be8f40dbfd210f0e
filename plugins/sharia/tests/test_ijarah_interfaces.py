"""Ijarah end to end through the API and the CLI (routes and commands generated from the
declared operations), and the interest veto on the ijarah accounts: the textbook machine of
``test_ijarah`` (cost Rp120,000,000, 60 months' life, Rp2,400,000 a month)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from click.testing import CliRunner
from litestar.testing import TestClient
from sharia_coop import CASH, Coop

import kopcore
from kopcore.cli import make_cli
from kopcore.errors import PostingVetoed
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.records import GLAccountSpec, GLType


class LoanInterest:
    """A conventional chart's interest income account."""

    @kopcore.hookimpl
    def kopcore_gl_accounts(self) -> list[GLAccountSpec]:
        return [GLAccountSpec("conv.interest_income", "4991", "Pendapatan Bunga Pinjaman",
                              GLType.INCOME)]


def test_through_the_api(coop: Coop) -> None:
    member = coop.member("PT Aisyah")
    teller = coop.api_key("teller")
    auth = {"Authorization": f"Bearer {teller}"}
    with TestClient(app=make_app(coop.kernel)) as client:
        got = client.post("/api/v1/sharia/ijarah-acquire", headers=auth, json={
            "asset": "Mesin produksi", "cost": "120000000", "useful_life_months": 60,
            "cash_account": CASH, "supplier": "PT Pemasok Mesin", "document": "Faktur 05"})
        assert got.status_code == 200, got.text
        machine = got.json()["asset"]["id"]
        # A residual at or above the cost: problem+json, nothing written.
        got = client.post("/api/v1/sharia/ijarah-acquire", headers=auth, json={
            "asset": "Mesin", "cost": "1000", "useful_life_months": 12, "residual": "1000",
            "cash_account": CASH, "supplier": "PT Pemasok", "document": "Faktur 06"})
        assert got.status_code == 422
        assert got.headers["content-type"].startswith("application/problem+json")
        got = client.post("/api/v1/sharia/ijarah-contract", headers=auth, json={
            "member": member, "asset": machine, "ujrah": "2400000", "term": 24})
        assert got.status_code == 200, got.text
        number = got.json()["ijarah"]["account"]["number"]
        got = client.post("/api/v1/sharia/ijarah-contract", headers=auth, json={
            "member": member, "asset": machine, "ujrah": "2400000", "term": 24})
        assert got.status_code == 409  # already leased
        got = client.post("/api/v1/sharia/ijarah-pay", headers=auth,
                          json={"account": number, "cash_account": CASH})
        assert got.status_code == 409  # nothing due yet
        got = client.get("/api/v1/sharia/ijarah-detail", params={"account": number},
                         headers=auth)
        assert got.status_code == 200, got.text
        assert (got.json()["ujrah"]["amount"], got.json()["next_rent"]["due_on"]) == (
            "2400000.00", "2026-02-05")
        assets = client.get("/api/v1/sharia/ijarah-assets", params={"status": "leased"},
                            headers={"Authorization": f"Bearer {coop.api_key('auditor')}"})
        assert [a["contract"] for a in assets.json()["assets"]] == [number]
        spec = client.get("/docs/openapi.json").json()
        assert {f"/api/v1/sharia/ijarah-{action}" for action in (
            "acquire", "assets", "contract", "pay", "end", "early-sale", "tazir", "tawidh",
            "detail", "schedule")} \
            <= set(spec["paths"])


def test_through_the_cli(coop: Coop) -> None:
    member = coop.member("PT Aisyah")
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()

    def run(*args: str, user: str = "teller") -> dict[str, object]:
        result = runner.invoke(cli, ["--operator", user, "sharia", *args, "--json"],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output))

    bought = run("ijarah-acquire", "--asset", "Mobil", "--cost", "500000000",
                 "--useful-life-months", "60", "--residual", "100000000", "--cash-account",
                 CASH, "--supplier", "Dealer", "--document", "Faktur 9")
    car = str(bought["asset"]["id"])  # type: ignore[index]
    refused = runner.invoke(cli, ["--operator", "teller", "sharia", "ijarah-contract",
                                  "--member", member, "--asset", car, "--ujrah", "140000000",
                                  "--term", "1", "--kind", "imbt"])
    assert refused.exit_code != 0  # an IMBT names its transfer
    assert "Traceback" not in refused.output
    made = run("ijarah-contract", "--member", member, "--asset", car, "--ujrah", "140000000",
               "--term", "1", "--kind", "imbt", "--transfer", "hibah")
    number = str(made["ijarah"]["account"]["number"])  # type: ignore[index]
    coop.close_days(date(2026, 2, 6))
    paid = run("ijarah-pay", "--account", number, "--cash-account", CASH)
    assert paid["rent"]["ujrah"]["amount"] == "140000000.00"  # type: ignore[index]
    ended = run("ijarah-end", "--account", number)
    lines = {(p["account"], p["side"]): p["amount"]["amount"]
             for p in ended["entry"]["postings"]}  # type: ignore[index]
    # One month's term: the whole 400,000,000 depreciated, 100,000,000 given as hibah.
    assert lines == {("GL-sharia.ijarah_accumulated_depreciation", "debit"): "400000000.00",
                     ("GL-sharia.ijarah_hibah_expense", "debit"): "100000000.00",
                     ("GL-sharia.ijarah_asset", "credit"): "500000000.00"}
    listed = run("ijarah-assets", user="auditor")
    assert [a["status"] for a in listed["assets"]] == ["transferred"]  # type: ignore[union-attr]


def test_the_veto_keeps_interest_off_the_ijarah_accounts(
        make_kernel: Callable[..., Kernel]) -> None:
    coop = Coop(make_kernel(plugins=("sharia",), extra_plugins=(("conv", LoanInterest()),)))
    for key in ("ijarah_income", "ijarah_receivable", "ijarah_asset",
                "ijarah_accumulated_depreciation", "ijarah_depreciation",
                "ijarah_sale_gain"):
        error = coop.refused(PostingVetoed, "entries.post", memo="Bunga", lines=[
            {"account": f"GL-sharia.{key}", "side": "debit", "amount": "1000"},
            {"account": "GL-conv.interest_income", "side": "credit", "amount": "1000"}])
        assert f"sharia.{key}" in str(error)
        assert "conv.interest_income" in str(error)
    # The same accounts beside a non-interest account post.
    coop.call("entries.post", memo="Koreksi", lines=[
        {"account": "GL-sharia.ijarah_income", "side": "debit", "amount": "1000"},
        {"account": "GL-sharia.ijarah_sale_gain", "side": "credit", "amount": "1000"}])
    coop.books_balance()
