"""Musyarakah end to end through the generated web API and CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sharia_coop import CASH, Coop

from kopcore.cli import make_cli
from kopcore.errors import Forbidden
from kopcore.interfaces.api import make_app


def test_a_mutanaqisah_through_the_api(coop: Coop) -> None:
    teller, auditor = coop.api_key("teller"), coop.api_key("auditor")
    member = coop.member()
    with TestClient(app=make_app(coop.kernel)) as client:
        def post(path: str, body: dict[str, object], **headers: str) -> Any:
            return client.post(f"/api/v1/sharia/{path}", json=body,
                               headers={"Authorization": f"Bearer {teller}", **headers})

        def get(path: str, key: str = teller, **params: str) -> Any:
            return client.get(f"/api/v1/sharia/{path}", params=params,
                              headers={"Authorization": f"Bearer {key}"})

        bad = post("musyarakah-contract", {
            "member": member, "kind": "diminishing", "business": "Ruko", "capital": "3000000",
            "member_capital": "1000000", "member_contribution": "kas", "term_months": 3,
            "cash_account": CASH})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        made = post("musyarakah-contract", {
            "member": member, "kind": "diminishing", "business": "Ruko", "capital": "3000000",
            "member_capital": "1000000", "member_contribution": "kas", "term_months": 3,
            "installments": 3, "ujrah": "400000", "cash_account": CASH})
        assert made.status_code == 200, made.text
        number = made.json()["musyarakah"]["account"]["number"]
        headers = {"Idempotency-Key": "mmq-1"}
        first = post("musyarakah-pay", {"account": number, "cash_account": CASH}, **headers)
        again = post("musyarakah-pay", {"account": number, "cash_account": CASH}, **headers)
        assert first.status_code == 200, first.text
        assert again.json() == first.json()
        assert again.headers["Idempotency-Replayed"] == "true"
        detail = get("musyarakah-detail", account=number).json()
        # 3,000,000 less one share of 1,000,000 bought; 1,300,000 paid with 300,000 ujrah.
        assert (detail["paid_installments"], detail["outstanding"]["amount"],
                detail["income"]["amount"], detail["ownership"]) == (
            1, "2000000.00", "300000.00", "50")
        rows = get("musyarakah-schedule", account=number).json()["installments"]
        assert [r["paid"] for r in rows] == [True, False, False]
        report = post("musyarakah-report", {"account": number, "result": "100000",
                                            "cash_account": CASH})
        assert report.status_code == 409
        assert get("musyarakah-portfolio", teller).status_code == 403
        book = get("musyarakah-portfolio", auditor).json()
        assert book["outstanding"]["amount"] == "2000000.00"
        spec = client.get("/docs/openapi.json").json()
        assert {f"/api/v1/sharia/musyarakah-{action}" for action in (
            "contract", "report", "pay", "return", "end", "collect", "detail", "schedule",
            "reports", "portfolio")} <= set(spec["paths"])
    coop.books_balance()


def test_a_partnership_through_the_cli(coop: Coop) -> None:
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(cli, ["--operator", "teller", "sharia", *args, "--json"],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    member = coop.member()
    made = run("musyarakah-contract", "--member", member, "--business", "Usaha katering",
               "--capital", "6000000", "--member-capital", "4000000", "--member-contribution",
               "peralatan dapur", "--term-months", "6", "--nisbah", "45", "--basis", "profit",
               "--cash-account", CASH)
    number = made["musyarakah"]["account"]["number"]
    assert (made["musyarakah"]["ownership"], made["musyarakah"]["basis"]) == ("60", "profit")
    early = runner.invoke(cli, ["--operator", "teller", "sharia", "musyarakah-report",
                                "--account", number, "--result", "500000", "--cash-account",
                                CASH])
    assert early.exit_code == 1  # the month is not over
    wrong = runner.invoke(cli, ["--operator", "teller", "sharia", "musyarakah-return",
                                "--account", number, "--amount", "6000000.01",
                                "--cash-account", CASH])
    assert wrong.exit_code == 1
    back = run("musyarakah-return", "--account", number, "--amount", "6000000",
               "--cash-account", CASH)
    assert (back["musyarakah"]["status"], back["musyarakah"]["returned"]["amount"]) == (
        "settled", "6000000.00")
    assert run("musyarakah-reports", "--account", number)["reports"] == []
    coop.books_balance()


def test_a_member_reads_only_their_own_partnership(coop: Coop) -> None:
    siti, budi = coop.member("Siti Aminah"), coop.member("Budi Santoso")
    numbers = [coop.call("sharia.musyarakah-contract", member=who, business="Warung",
                         capital="1000000", member_capital="500000", member_contribution="kas",
                         term_months=6, nisbah="40", cash_account=CASH)["musyarakah"]["account"][
        "number"] for who in (siti, budi)]
    own = coop.call("sharia.musyarakah-detail", as_user=coop.member_user(siti),
                    account=numbers[0])
    assert own["capital"]["amount"] == "1000000.00"
    with pytest.raises(Forbidden):
        coop.call("sharia.musyarakah-detail", as_user=f"m-{siti.lower()}", account=numbers[1])
    with pytest.raises(Forbidden):  # reporting a result is the staff's
        coop.call("sharia.musyarakah-report", as_user=f"m-{siti.lower()}", account=numbers[0],
                  result="1000", cash_account=CASH)
