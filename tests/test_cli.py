"""The generated CLI: help, tables and --json, errors and exit codes, and the built-in commands."""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from kopcore import __version__, hookimpl
from kopcore._auth import KEY_PATTERN
from kopcore._db import tables as t
from kopcore.cli import make_cli
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.operations import Operation
from kopcore.records import PermissionSpec
from kopcore.settings import Settings
from tests import interfaces_support as support
from tests.interfaces_support import (
    CASH,
    OWN_ACCOUNT,
    OWN_MEMBER,
    Env,
    amount,
    run_console,
    write_settings,
)

env, env_factory = support.env, support.env_factory


def operations(env: Env) -> list[Any]:
    return sorted((c.value for c in env.kernel.plugins.operations.values()),
                  key=lambda op: op.name)


def test_help_for_the_root_every_group_and_every_command(env: Env) -> None:
    root = env.cli("--help", operator=None)
    assert root.exit_code == 0, root.stderr
    groups = sorted({op.command_path[0] for op in operations(env)})
    for group in [*groups, "db", "init", "plugins", "serve", "demo"]:
        assert re.search(rf"^\s+{re.escape(group)}\s", root.stdout, re.M), group
    cli = make_cli(env.kernel.settings, env.kernel.plugins)
    runner = CliRunner()
    for group in groups:
        result = runner.invoke(cli, [group, "--help"])
        assert result.exit_code == 0, result.output
        for op in operations(env):
            if op.command_path[0] == group:
                assert re.search(rf"^\s+{re.escape(op.command_path[1])}\s", result.output,
                                 re.M), (group, op.name)
    for op in operations(env):
        result = runner.invoke(cli, [*op.command_path, "--help"])
        assert result.exit_code == 0, (op.name, result.output)
        assert "--json" in result.output
        for field in op.input.__attrs_attrs__:
            # A file's content is sent with --file PATH (the command reads the file).
            option = "--file" if field.name == op.upload_field else \
                "--" + field.name.replace("_", "-")
            assert option in result.output, (op.name, field.name)
        assert ("--idempotency-key" in result.output) == (op.mutates
                                                          and not op.sensitive_output), op.name
    version = runner.invoke(cli, ["--version"])
    assert __version__ in version.output
    # The version the code reports is the distribution's, as installed from pyproject.toml.
    assert __version__ == importlib.metadata.version("kopcore")


def test_table_output_and_json_output(env: Env) -> None:
    table = env.cli("members", "list")
    assert table.exit_code == 0, table.stderr
    header = next(line for line in table.stdout.splitlines() if "MEMBER_NUMBER" in line)
    assert header.split()[:3] == ["MEMBER_NUMBER", "NAME", "NIK"]
    assert re.search(rf"^{OWN_MEMBER}\s+Made Wirawan\s+", table.stdout, re.M)
    as_json = env.cli("members", "list", "--json").json()
    assert [m["member_number"] for m in as_json["items"]] == [OWN_MEMBER, "AG-002"]
    assert as_json == env.ok("members.list")
    # Money is shown the Indonesian way in tables, exact in JSON.
    balance = env.cli("accounts", "balance", "--account", OWN_ACCOUNT)
    assert "balance: 1.000.000,00 IDR" in balance.stdout
    assert env.cli("accounts", "balance", "--account", OWN_ACCOUNT,
                   "--json").json()["balance"] == amount("1000000")


def test_a_refusal_is_a_message_on_stderr_exit_1_and_nothing_written(env: Env) -> None:
    before = env.snapshot()
    lines = json.dumps([{"account": OWN_ACCOUNT, "side": "debit", "amount": "2000000"},
                        {"account": CASH, "side": "credit", "amount": "2000000"}])
    result = env.cli("entries", "post", "--memo", "tarik", "--lines", lines, operator="manajer")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.error_code == "insufficient-funds"
    assert result.stderr.startswith("Error: Insufficient funds [insufficient-funds]: ")
    after = env.snapshot()
    assert after["journal_entries"] == before["journal_entries"]
    assert env.balance(OWN_ACCOUNT).to_str() == "1000000.00"
    # Validation through the same converter as the API: same code, message on stderr.
    result = env.cli("entries", "post", "--memo", "x", "--lines", "[{\"account\": 1}]")
    assert (result.exit_code, result.error_code) == (1, "validation-error")
    result = env.cli("entries", "get", "--entry-id", "abc")
    assert (result.exit_code, result.error_code) == (1, "validation-error")
    assert "field: entry_id" in result.stderr
    result = env.cli("members", "get", "--member", "NOPE")
    assert (result.exit_code, result.error_code, result.stdout) == (1, "not-found", "")
    assert {k: v for k, v in env.snapshot().items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}


def test_every_command_needs_an_identified_operator(env: Env) -> None:
    before = env.snapshot()
    result = env.cli("members", "register", "--name", "Tanpa Operator", "--nik",
                     "5171011508900077", operator=None)
    assert result.exit_code == 2
    assert "--operator" in result.stderr
    assert env.snapshot() == before
    # The environment variable works as well as the option...
    listed = run_console(env.settings_path, "members", "list", "--json",
                         env={"KOPCORE_OPERATOR": "teller"})
    assert listed.exit_code == 0, listed.stderr
    # ...an unknown or deactivated operator is refused, and acts as nobody.
    result = env.cli("members", "list", operator="siapa")
    assert (result.exit_code, result.error_code) == (1, "unauthorized")
    env.ok("users.deactivate", {"username": "teller"})
    result = env.cli("members", "list", operator="teller")
    assert (result.exit_code, result.error_code) == (1, "unauthorized")
    # The operator's role applies: an auditor may not list users.
    result = env.cli("users", "list", operator="auditor")
    assert (result.exit_code, result.error_code) == (1, "forbidden")


def test_plugins_lists_the_builtins_with_versions(env: Env) -> None:
    result = env.cli("plugins", operator=None)
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    for name in ("kopcore.chart", "kopcore.members", "kopcore.accounts", "kopcore.ledger",
                 "kopcore.users", "kopcore.approvals"):
        assert rows[name][1:3] == [__version__, "built-in"], rows
    operations_per_plugin = {name: int(row[4]) for name, row in rows.items()}
    assert sum(operations_per_plugin.values()) == len(env.kernel.plugins.operations)
    assert int(rows["kopcore.chart"][5]) > 0  # GL accounts
    as_operation = env.cli("system", "plugins", "--json").json()
    assert [p["name"] for p in as_operation["plugins"]] == list(rows)


def test_init_creates_the_first_admin_once(database_url: str, tmp_path: Path) -> None:
    settings = write_settings(tmp_path / "kopcore.toml", database_url)
    result = run_console(settings, "init", "--admin", "ketua", "--name", "Koperasi Sejahtera")
    assert result.exit_code == 0, (result.stderr, result.exception)
    key = result.stdout.strip().splitlines()[-1]
    assert KEY_PATTERN.fullmatch(key), result.stdout
    assert "ketua" in result.stdout
    # The key works against the API, as an administrator.
    kernel = Kernel.start(Settings(database_url=database_url, plugins=()))
    try:
        from litestar.testing import TestClient

        with TestClient(make_app(kernel)) as client:
            users = client.get("/api/v1/users/list", headers={"Authorization": f"Bearer {key}"})
            assert users.status_code == 200, users.text
            assert users.json()["users"] == [
                {"username": "ketua", "role": "admin", "member_id": None, "active": True,
                 "office": "KP"}]
        again = run_console(settings, "init", "--admin", "lain")
        assert again.exit_code != 0
        assert "users already exist" in again.stderr
        assert "kop_" not in again.stdout
        count = kernel.db.read(lambda conn: conn.execute(
            t.users.select()).all())
        assert [u.username for u in count] == ["ketua"]
        keys = kernel.db.read(lambda conn: conn.execute(t.api_keys.select()).all())
        assert len(keys) == 1
    finally:
        kernel.close()


def test_db_upgrade_on_a_fresh_database(database_url: str, tmp_path: Path) -> None:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    assert "journal_entries" not in inspect(engine).get_table_names()
    settings = write_settings(tmp_path / "kopcore.toml", database_url)
    # Before the upgrade an operation says what to do, without a traceback.
    early = run_console(settings, "--operator", "admin", "members", "list")
    assert early.exit_code == 2
    assert "kopcore db upgrade" in early.stderr
    result = run_console(settings, "db", "upgrade")
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert result.stdout.startswith("database at revision(s): ")
    tables = set(inspect(engine).get_table_names())
    assert {"journal_entries", "postings", "accounts", "audit_log", "api_keys"} <= tables
    heads = run_console(settings, "db", "heads")
    assert heads.exit_code == 0
    assert heads.stdout.strip() in result.stdout
    # Upgrading an up-to-date database is harmless.
    assert run_console(settings, "db", "upgrade").exit_code == 0
    engine.dispose()


def test_eod_run_until_advances_the_business_date(env: Env) -> None:
    assert env.cli("system", "business-date", "--json").json()["business_date"] == "2026-01-05"
    result = env.cli("eod", "run", "--until", "2026-01-08", "--json", operator="manajer")
    closed = result.json()
    assert [d["business_date"] for d in closed["closed"]] == ["2026-01-05", "2026-01-06",
                                                              "2026-01-07"]
    assert closed["business_date"] == "2026-01-08"
    assert env.business_date().isoformat() == "2026-01-08"
    # Without --json a human summary (and progress) is printed.
    table = env.cli("eod", "run", "--until", "2026-01-09", operator="manajer")
    assert table.exit_code == 0, table.stderr
    assert "business_date: 2026-01-09" in table.stdout
    # Backwards is refused, nothing changes.
    back = env.cli("eod", "run", "--until", "2026-01-01", operator="manajer")
    assert (back.exit_code, back.error_code) == (1, "business-date")
    assert env.business_date().isoformat() == "2026-01-09"
    # A teller may not run end of day.
    refused = env.cli("eod", "run", operator="teller")
    assert (refused.exit_code, refused.error_code) == (1, "forbidden")
    assert env.business_date().isoformat() == "2026-01-09"


def test_json_list_option_and_choice_option(env: Env) -> None:
    lines = [{"account": CASH, "side": "debit", "amount": "2500"},
             {"account": "GL-equity.grants", "side": "credit", "amount": "2500"}]
    posted = env.cli("entries", "post", "--memo", "hibah", "--lines", json.dumps(lines),
                     "--json", operator="manajer").json()
    assert [p["amount"] for p in posted["postings"]] == [amount("2500"), amount("2500")]
    not_json = env.cli("entries", "post", "--memo", "x", "--lines", "CASH-01 2500")
    assert (not_json.exit_code, not_json.error_code) == (1, "validation-error")
    chart = env.cli("reports", "chart", "--type", "equity", "--json").json()
    assert chart["accounts"]
    assert {a["type"] for a in chart["accounts"]} == {"equity"}
    bad_choice = env.cli("reports", "chart", "--type", "modal")
    assert bad_choice.exit_code == 2
    assert "modal" in bad_choice.stderr


@attrs.frozen
class EchoIn:
    text: str = attrs.field(metadata={"help": "What to say", "max_length": 50})


@attrs.frozen
class EchoOut:
    text: str
    actor: str


class EchoPlugin:
    """A plugin with its own permission, passed to make_cli directly (not installed)."""

    @hookimpl
    def kopcore_permissions(self) -> tuple[PermissionSpec, ...]:
        return (PermissionSpec("echo.use", "Echo", ("teller",)),)

    @hookimpl
    def kopcore_operations(self) -> list[Operation]:
        return [Operation("echo.say", EchoIn, EchoOut,
                          lambda ctx, data: EchoOut(data.text, ctx.actor),
                          permission="echo.use", mutates=False, summary="Echo")]


def test_make_cli_runs_the_plugin_set_it_was_given(env_factory: Any) -> None:
    """Commands and the kernel behind them come from the same plugin set."""
    env = env_factory(extra_plugins=[("echo", EchoPlugin())])
    cli = make_cli(env.kernel.settings, env.kernel.plugins)
    result = CliRunner().invoke(cli, ["--operator", "teller", "echo", "say", "--text", "halo",
                                      "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert json.loads(result.stdout) == {"text": "halo", "actor": "teller"}
    refused = CliRunner().invoke(cli, ["--operator", "auditor", "echo", "say", "--text", "x"])
    assert getattr(refused.exception, "code", None) == "forbidden"


def test_an_unreachable_database_is_a_message_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from kopcore.cli import main

    monkeypatch.setenv("KOPCORE_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/kopcore.db")
    monkeypatch.setenv("KOPCORE_PLUGINS", "")
    monkeypatch.delenv("KOPCORE_SETTINGS", raising=False)
    monkeypatch.delenv("KOPCORE_LANGUAGE", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["--operator", "admin", "reports", "trial-balance"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Kesalahan: basis data tidak dapat dihubungi: ")  # Indonesian first
    assert "Traceback" not in err
