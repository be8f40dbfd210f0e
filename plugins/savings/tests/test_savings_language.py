"""A teller's refusals at the counter, in Indonesian unless English is asked for: the kernel's
shortfall on a real sukarela account and the plugin's own refusal from its catalogue, through
the web API and the ``kopcore`` console entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner, Result
from litestar.testing import TestClient
from savings_coop import CASH, Coop

from kopcore.cli import main
from kopcore.interfaces.api import make_app

SHORT_ID = "Saldo tidak cukup: tersedia Rp1.250.000,00, diminta Rp2.000.000,00 (rekening {})"
SHORT_EN = ("Insufficient balance: available Rp1.250.000,00, requested Rp2.000.000,00 "
            "(account {})")


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                 "help_option_names": []})
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
def console(argv: tuple[str, ...]) -> None:
    main(list(argv))


def _counter(coop: Coop) -> tuple[str, str]:
    """A sukarela account holding Rp1.250.000 and the member's simpanan pokok."""
    coop.product("SUKARELA", "sukarela")
    coop.product("POKOK", "pokok", amount="100000")
    member = coop.member()
    sukarela, pokok = coop.open(member, "SUKARELA"), coop.open(member, "POKOK")
    coop.deposit(sukarela, "1250000")
    coop.deposit(pokok, "100000")
    return sukarela, pokok


def test_the_api_refuses_a_withdrawal_in_the_tellers_language(coop: Coop) -> None:
    sukarela, pokok = _counter(coop)
    key = coop.api_key("teller")
    before = coop.snapshot()
    with TestClient(app=make_app(coop.kernel)) as client:
        def withdraw(account: str, **headers: str) -> Any:
            return client.post("/api/v1/savings/withdraw", headers={
                "Authorization": f"Bearer {key}", **headers}, json={
                "account": account, "amount": "2.000.000", "cash_account": CASH})

        refused = withdraw(sukarela)
        assert refused.status_code == 409
        assert refused.headers["content-language"] == "id"
        problem = refused.json()
        assert problem["code"] == "insufficient-funds"
        assert (problem["title"], problem["detail"]) == ("Saldo tidak cukup",
                                                         SHORT_ID.format(sukarela))
        english = withdraw(sukarela, **{"Accept-Language": "en"}).json()
        assert (english["title"], english["detail"]) == ("Insufficient funds",
                                                         SHORT_EN.format(sukarela))
        assert {k: v for k, v in english.items() if k not in ("title", "detail")} == \
            {k: v for k, v in problem.items() if k not in ("title", "detail")}

        # The plugin's own refusal, from its own catalogue.
        locked = withdraw(pokok).json()
        assert locked["code"] == "not-withdrawable"
        assert (locked["title"], locked["detail"]) == (
            "Tidak dapat ditarik",
            f"simpanan pokok ({pokok}) hanya dapat ditarik ketika anggota keluar dari koperasi")
        assert withdraw(pokok, **{"Accept-Language": "en"}).json()["detail"] == (
            f"simpanan pokok ({pokok}) is withdrawable only when the member leaves the "
            "cooperative")
    assert coop.snapshot() == before


def _cli(coop: Coop, tmp_path: Path, *args: str, language: str | None = None) -> Result:
    settings = tmp_path / "kopcore.toml"
    settings.write_text(f'database_url = "{coop.kernel.settings.database_url}"\n'
                        'plugins = ["savings"]\n', encoding="utf-8")
    return CliRunner().invoke(console, ["--settings", str(settings), *args], env={
        "KOPCORE_LANGUAGE": language, "KOPCORE_SETTINGS": None, "KOPCORE_DATABASE_URL": None,
        "KOPCORE_PLUGINS": None, "KOPCORE_OPERATOR": None})


def test_the_cli_refuses_a_withdrawal_in_the_tellers_language(coop: Coop,
                                                             tmp_path: Path) -> None:
    sukarela, _pokok = _counter(coop)
    before = coop.snapshot()
    withdraw = ("--operator", "teller", "savings", "withdraw", "--account", sukarela,
                "--amount", "2000000", "--cash-account", CASH)
    indonesian = _cli(coop, tmp_path, *withdraw)
    assert indonesian.exit_code == 1
    assert indonesian.stderr.startswith(
        f"Kesalahan: Saldo tidak cukup [insufficient-funds]: {SHORT_ID.format(sukarela)}\n")
    english = _cli(coop, tmp_path, "--lang", "en", *withdraw)
    assert english.exit_code == 1
    assert english.stderr.startswith(
        f"Error: Insufficient funds [insufficient-funds]: {SHORT_EN.format(sukarela)}\n")
    assert _cli(coop, tmp_path, *withdraw, language="en").stderr == english.stderr
    assert coop.snapshot() == before
