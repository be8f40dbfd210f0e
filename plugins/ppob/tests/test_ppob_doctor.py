"""``ppob doctor`` checks the go-live checklist against the configured provider, through the
CLI and the API alike, with Digiflazz's stand-in and the cooperative's server on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from digiflazz_double import API_KEY, DigiflazzDouble
from ppob_coop import CASH, Coop

from kopcore.cli import make_cli


def items(report: dict[str, Any]) -> dict[str, bool]:
    return {c["item"]: c["ok"] for c in report["checks"]}


def test_doctor_checks_each_go_live_item_against_the_provider(
        digiflazz: Coop, fake: DigiflazzDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOPCORE_PPOB_CALLBACK_URL", fake.webhook_url)
    first = digiflazz.call("ppob.doctor")
    assert first["ok"] is False
    assert items(first) == {
        "credentials": True, "deposit-readable": True, "signature-accepted": True,
        "ip-whitelisted": True, "testing-off": True, "webhook-secret": True,
        "catalogue-synced": True, "deposit-reconciled": False, "nothing-waiting": True,
        "callback-reachable": True}
    digiflazz.call("ppob.topup", provider="digiflazz", amount="1000000", from_account=CASH)
    cli = make_cli(digiflazz.kernel.settings, digiflazz.kernel.plugins)
    shown = CliRunner().invoke(cli, ["--operator", "admin", "ppob", "doctor", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["ok"] is True

    fake.api_key = "rotated-key"
    fake.whitelisted = False
    monkeypatch.setenv("KOPCORE_PPOB_DIGIFLAZZ_TESTING", "true")
    monkeypatch.setenv("KOPCORE_PPOB_CALLBACK_URL", fake.webhook_url + "-typo")
    broken = digiflazz.call("ppob.doctor", provider="digiflazz")
    found = items(broken)
    assert (found["deposit-readable"], found["ip-whitelisted"], found["testing-off"],
            found["callback-reachable"]) == (False, False, False, False)
    fake.whitelisted = True
    found = items(digiflazz.call("ppob.doctor"))
    assert (found["ip-whitelisted"], found["signature-accepted"]) == (True, False)
    fake.api_key = API_KEY
    monkeypatch.delenv("KOPCORE_PPOB_DIGIFLAZZ_API_KEY")
    monkeypatch.delenv("KOPCORE_PPOB_CALLBACK_URL")
    bare = digiflazz.call("ppob.doctor")
    assert [(c["item"], c["ok"]) for c in bare["checks"]] == [
        ("credentials", False), ("callback-reachable", False)]
    assert "KOPCORE_PPOB_DIGIFLAZZ_API_KEY" in bare["checks"][0]["detail"]
    assert API_KEY not in json.dumps(bare)
