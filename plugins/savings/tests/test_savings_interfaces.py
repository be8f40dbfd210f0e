"""End to end through the generated web API and CLI, with only the kernel and savings enabled."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from litestar.testing import TestClient
from savings_coop import CASH, Coop

from kopcore.cli import make_cli
from kopcore.errors import NotWithdrawable
from kopcore.interfaces.api import make_app


def test_a_teller_and_a_member_use_savings_through_the_api(coop: Coop) -> None:
    admin, teller = coop.api_key("admin"), coop.api_key("teller")
    member = coop.member()
    stranger = coop.member("Someone Else")
    member_key = coop.api_key(coop.member_user(member))
    with TestClient(app=make_app(coop.kernel)) as client:
        def post(path: str, key: str, body: dict[str, object], **headers: str) -> Any:
            return client.post(f"/api/v1/savings/{path}", json=body,
                               headers={"Authorization": f"Bearer {key}", **headers})

        created = post("product-create", admin, {"code": "TABUNGAN", "name": "Tabungan",
                                                 "type": "sukarela", "min_balance": "25000",
                                                 "interest_rate": "2.5"})
        assert created.status_code == 200, created.text
        refused = post("product-create", teller, {"code": "X", "name": "X", "type": "sukarela"})
        assert refused.status_code == 403
        opened = post("open", teller, {"member": member, "product": "TABUNGAN"}).json()
        number = opened["account"]["number"]
        other = post("open", teller, {"member": stranger, "product": "TABUNGAN"}).json()
        body = {"account": number, "amount": "150000", "cash_account": CASH}
        first = post("deposit", teller, body, **{"Idempotency-Key": "setor-1"})
        replay = post("deposit", teller, body, **{"Idempotency-Key": "setor-1"})
        assert first.json() == replay.json()
        assert replay.headers["Idempotency-Replayed"] == "true"

        too_much = post("withdraw", teller, {"account": number, "amount": "125001",
                                             "cash_account": CASH})
        assert too_much.status_code == 409
        assert too_much.headers["content-type"].startswith("application/problem+json")
        assert too_much.json()["code"] == "insufficient-funds"

        headers = {"Authorization": f"Bearer {member_key}"}
        own = client.get("/api/v1/savings/balance", params={"account": number},
                         headers=headers)
        assert own.json()["account"]["balance"]["amount"] == "150000.00"
        theirs = client.get("/api/v1/savings/balance",
                            params={"account": other["account"]["number"]}, headers=headers)
        assert theirs.status_code == 403
        # The member's statement is the kernel's, scoped to their own accounts the same way.
        day = {"from_date": coop.today().isoformat(), "to_date": coop.today().isoformat()}
        statement = client.get("/api/v1/accounts/statement", params={"account": number, **day},
                               headers=headers)
        assert statement.json()["closing_balance"]["amount"] == "150000.00"
        theirs = client.get("/api/v1/accounts/statement",
                            params={"account": other["account"]["number"], **day},
                            headers=headers)
        assert theirs.status_code == 403
        moved = post("transfer", member_key, {"from_account": number,
                                              "to_account": other["account"]["number"],
                                              "amount": "50000"})
        assert moved.status_code == 200, moved.text
        spec = client.get("/docs/openapi.json").json()
        assert {"/api/v1/savings/deposit", "/api/v1/savings/wajib-bill",
                "/api/v1/savings/place-deposit"} <= set(spec["paths"])
        # Holds, freezes and statements have one route each, the kernel's.
        assert not {f"/api/v1/savings/{action}" for action in (
            "statement", "hold", "release-hold", "freeze", "unfreeze")} & set(spec["paths"])
    assert coop.balance(number) == "100000.00"
    coop.books_balance()


def test_the_cli_runs_the_same_operations_as_an_identified_operator(coop: Coop) -> None:
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--operator", "teller", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    coop.product("POKOK", "pokok", amount="100000")
    member = coop.member()
    opened = json.loads(run("savings", "open", "--member", member, "--product", "POKOK",
                            "--json"))
    number = opened["account"]["number"]
    run("savings", "deposit", "--account", number, "--amount", "100000", "--cash-account", CASH)
    table = run("savings", "balance", "--account", number)
    assert "100.000,00 IDR" in table
    result = runner.invoke(cli, ["--operator", "teller", "savings", "withdraw", "--account",
                                 number, "--amount", "1000", "--cash-account", CASH])
    assert isinstance(result.exception, NotWithdrawable)
    assert coop.balance(number) == "100000.00"
