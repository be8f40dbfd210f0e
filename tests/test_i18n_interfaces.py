"""Indonesian first, English second, through the real API and the real console entry point.

A real shortfall on a real account: AG-001's SAV-001 holds Rp1.250.000,00 and the teller's
manager tries to take Rp2.000.000,00 out of it. The problem's ``type``, ``code`` and extra
members are the same in both languages; only ``title`` and ``detail`` speak the person's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kopcore._db import tables as t
from tests import interfaces_support as support
from tests.interfaces_support import CASH, OWN_ACCOUNT, Env, assert_problem, write_settings

env = support.env
env_factory = support.env_factory

SHORT_ID = "Saldo tidak cukup: tersedia Rp1.250.000,00, diminta Rp2.000.000,00 (rekening SAV-001)"
SHORT_EN = ("Insufficient balance: available Rp1.250.000,00, requested Rp2.000.000,00 "
            "(account SAV-001)")


def _lines(amount: str, debit: str = OWN_ACCOUNT, credit: str = CASH) -> list[dict[str, str]]:
    return [{"account": debit, "side": "debit", "amount": amount},
            {"account": credit, "side": "credit", "amount": amount}]


def _topped_up(env: Env) -> Env:
    """SAV-001 from Rp1.000.000 to Rp1.250.000 (a real deposit from the teller's cash)."""
    env.ok("entries.post", {"memo": "setor", "lines": _lines("250000", CASH, OWN_ACCOUNT)},
           user="manajer")
    return env


def _withdraw(env: Env, **headers: str) -> Any:
    sent = {"Authorization": f"Bearer {env.keys['manajer']}", **headers}
    return env.client.post(env.op("entries.post").path, headers=sent,
                           json={"memo": "tarik", "lines": _lines("2000000")})


def test_the_api_answers_in_indonesian_unless_english_is_asked_for(env: Env) -> None:
    _topped_up(env)
    before = env.count(t.journal_entries)
    indonesian = _withdraw(env)
    problem = assert_problem(indonesian, 409, "insufficient-funds")
    assert (problem["title"], problem["detail"]) == ("Saldo tidak cukup", SHORT_ID)
    assert indonesian.headers["content-language"] == "id"
    assert "accept-language" in indonesian.headers["vary"].lower()

    english = _withdraw(env, **{"Accept-Language": "en-US,en;q=0.9"})
    in_english = assert_problem(english, 409, "insufficient-funds")
    assert (in_english["title"], in_english["detail"]) == ("Insufficient funds", SHORT_EN)
    assert english.headers["content-language"] == "en"
    # Clients key on the rest: the same in both languages.
    stable = {k: v for k, v in problem.items() if k not in ("title", "detail")}
    assert stable == {k: v for k, v in in_english.items() if k not in ("title", "detail")}
    assert stable["account"] == OWN_ACCOUNT
    assert stable["available"] == "1250000.00"
    assert env.count(t.journal_entries) == before
    # A language we do not speak gets Indonesian, as does one we rank below Indonesian.
    for header in ("fr-FR", "en;q=0.2, id;q=0.9"):
        refused = _withdraw(env, **{"Accept-Language": header})
        assert refused.json()["detail"] == SHORT_ID
        assert refused.headers["content-language"] == "id"


def test_problems_raised_before_any_operation_speak_the_same_language(env: Env) -> None:
    no_key = env.client.post(env.op("entries.post").path, json={})
    assert (no_key.json()["title"], no_key.json()["detail"]) == (
        "Perlu autentikasi", "kirim kunci API sebagai 'Authorization: Bearer kop_...'")
    assert no_key.headers["content-language"] == "id"
    nowhere = env.client.get("/api/v1/no/such-route", headers={"Accept-Language": "id"})
    assert nowhere.status_code == 404
    assert nowhere.json()["title"] == "Tidak ditemukan"
    ambiguous = env.client.post(env.op("accounts.hold").path, headers={
        "Authorization": f"Bearer {env.keys['teller']}"}, json={
        "account": OWN_ACCOUNT, "amount": "50.000", "reason": "jaminan"})
    problem = assert_problem(ambiguous, 422, "invalid-amount")
    assert problem["title"] == "Jumlah tidak sah"
    assert problem["detail"] == (
        "amount '50.000' bermakna ganda: tulis '50000' (atau '50.000,00') jika titik "
        "memisahkan ribuan, atau '50' jika titik adalah tanda desimal")
    assert problem["field"] == "amount"
    auditor = env.client.post(env.op("entries.post").path, headers={
        "Authorization": f"Bearer {env.keys['auditor']}"}, json={})
    assert assert_problem(auditor, 403, "forbidden")["title"] == "Tidak diizinkan"


def test_the_cooperatives_language_setting_is_the_apis_default(env_factory: Any) -> None:
    from kopcore.settings import Settings

    assert Settings.from_mapping({"language": "en"}).language == "en"
    english_coop = _topped_up(env_factory(language="en"))
    assert _withdraw(english_coop).json()["detail"] == SHORT_EN
    assert _withdraw(english_coop, **{"Accept-Language": "id"}).json()["detail"] == SHORT_ID


def _withdraw_on_the_cli(env: Env, *options: str, language: str | None = None,
                         settings: Path | None = None) -> support.CliResult:
    args = [*options, "--operator", "manajer", "entries", "post", "--memo", "tarik",
            "--lines", json.dumps(_lines("2000000"))]
    return support.run_console(settings or env.settings_path, *args,
                               env={"KOPCORE_LANGUAGE": language})


def test_the_cli_prints_indonesian_unless_told_otherwise(env: Env, tmp_path: Path) -> None:
    _topped_up(env)
    before = env.count(t.journal_entries)
    default = _withdraw_on_the_cli(env)
    assert default.exit_code == 1
    assert default.stdout == ""
    assert default.stderr.startswith(
        f"Kesalahan: Saldo tidak cukup [insufficient-funds]: {SHORT_ID}\n")
    assert "  account: SAV-001\n" in default.stderr  # machine-readable members as they are

    english = _withdraw_on_the_cli(env, "--lang", "en")
    assert english.exit_code == 1
    assert english.stderr.startswith(f"Error: Insufficient funds [insufficient-funds]: {SHORT_EN}")
    assert _withdraw_on_the_cli(env, "--lang=en").stderr == english.stderr
    # The environment, then the settings file, choose when --lang does not.
    assert _withdraw_on_the_cli(env, language="en").stderr == english.stderr
    assert _withdraw_on_the_cli(env, "--lang", "id", language="en").stderr == default.stderr
    in_english = write_settings(tmp_path / "en.toml", env.kernel.settings.database_url,
                                language="en")
    assert _withdraw_on_the_cli(env, settings=in_english).stderr == english.stderr
    assert env.count(t.journal_entries) == before


def test_the_cli_refuses_a_language_it_does_not_speak(env: Env, tmp_path: Path) -> None:
    unknown = _withdraw_on_the_cli(env, "--lang", "fr")
    assert unknown.exit_code == 2
    assert "'fr' is not one of 'id', 'en'" in unknown.stderr
    wrong = write_settings(tmp_path / "fr.toml", env.kernel.settings.database_url,
                           language="fr")
    refused = _withdraw_on_the_cli(env, settings=wrong)
    assert refused.exit_code == 2
    assert "setting language must be one of id, en, got 'fr'" in refused.stderr
