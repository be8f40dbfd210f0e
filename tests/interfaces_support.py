"""Shared set-up for the tests of the generated web API and CLI.

``env`` is a started kernel (built-in plugins, business date 2026-01-05) seeded with:

- a user for every role (``admin``, ``manajer``, ``teller``, ``auditor``, ``anggota`` — the
  member user, linked to member ``AG-001``) plus a second manager ``manajer2``, each with an
  API key;
- two active members ``AG-001`` (the member user's own) and ``AG-002`` (someone else);
- ``CASH-01`` (teller cash, floor 0, 10,000,000), ``SAV-001`` (AG-001's, 1,000,000) and
  ``SAV-002`` (AG-002's, 500,000), both member accounts with a floor at zero;
- a Litestar ``TestClient`` on ``make_app(kernel)`` and a CLI runner going through
  ``kopcore.cli.main`` (the console entry point, with its error messages and exit codes).

The tests that read problem titles and details read them in English: ``Env.headers`` sends
``Accept-Language: en`` and the CLI runs with ``KOPCORE_LANGUAGE=en`` unless a test asks for
another language (Indonesian, the default of both, is tested in ``tests/test_i18n_interfaces.py``).

Bind the fixtures a test module uses at its top: ``env = support.env`` (after
``from tests import interfaces_support as support``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import click
import httpx
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from kopcore import _auth as auth
from kopcore import ledger
from kopcore._db import tables as t
from kopcore.cli import main as cli_main
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.settings import Settings
from kopcore.testing import ON_POSTGRES, START_DATE, maintenance_url
from tests.builders import nik

ROLES = ("admin", "manager", "teller", "auditor", "member")
#: Username of the seeded user of each role.
USER = {"admin": "admin", "manager": "manajer", "teller": "teller", "auditor": "auditor",
        "member": "anggota"}
SECOND_MANAGER = "manajer2"
OWN_MEMBER, OTHER_MEMBER = "AG-001", "AG-002"
CASH, OWN_ACCOUNT, OTHER_ACCOUNT = "CASH-01", "SAV-001", "SAV-002"
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://kopcore.org/problems/"
#: The language the tests that read texts ask for (see the module's docstring).
ENGLISH = "en"
CLI_ERROR = re.compile(r"^(?:Kesalahan|Error): .*\[([a-z0-9-]+)\]: ", re.MULTILINE)


# --- the seeded cooperative ------------------------------------------------------------------


def seed(kernel: Kernel) -> dict[str, str]:
    """Seed members, accounts, users and keys; returns username -> API key."""

    def work(ctx: Any) -> dict[str, str]:
        cash = ledger.open_account(ctx, name="Kas Teller 1", gl_key="cash", plugin="kopcore",
                                   number=CASH, floor=Money(0))
        ledger.post_entry(ctx, [_line(cash.number, "debit", "10000000"),
                                _line("GL-equity.grants", "credit", "10000000")],
                          memo="modal awal")
        member_ids = {}
        for serial, number, name, account, amount in (
            (9001, OWN_MEMBER, "Made Wirawan", OWN_ACCOUNT, "1000000"),
            (9002, OTHER_MEMBER, "Komang Sari", OTHER_ACCOUNT, "500000"),
        ):
            member = ledger.register_member(ctx, name=name, nik=nik(serial),
                                            member_number=number)
            member = ledger.activate_member(ctx, member.member_number)
            member_ids[number] = member.id
            ledger.open_account(ctx, name=f"Titipan {name}", gl_key="payable.other",
                                plugin="kopcore", member_id=member.id, number=account,
                                floor=Money(0))
            ledger.post_entry(ctx, [_line(CASH, "debit", amount), _line(account, "credit",
                                                                           amount)],
                              memo=f"setoran {name}")
        keys = {}
        for role in ROLES:
            auth.create_user(ctx.conn, USER[role], role,
                             member_ids[OWN_MEMBER] if role == "member" else None)
        auth.create_user(ctx.conn, SECOND_MANAGER, "manager")
        for username in [*USER.values(), SECOND_MANAGER]:
            keys[username] = auth.issue_key(ctx.conn, username, "tests")[1]
        return keys

    return kernel.write("system", work)


def _line(account: str, side: str, amount: str) -> Any:
    from kopcore.records import PostingLine, Side

    return PostingLine(account, Side(side), Money.parse(amount))


# --- results of a CLI run --------------------------------------------------------------------


@attrs.frozen
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    def json(self) -> Any:
        assert self.exit_code == 0, (self.exit_code, self.stderr, self.exception)
        return json.loads(self.stdout)

    @property
    def error_code(self) -> str | None:
        """The problem code of a KopcoreError (``Error: Title [code]: detail``)."""
        match = CLI_ERROR.search(self.stderr)
        return match.group(1) if match else None


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                 "help_option_names": []})
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
def _console(argv: tuple[str, ...]) -> None:
    """Runs ``kopcore.cli.main`` — the real console entry point — under CliRunner."""
    cli_main(list(argv))


def run_console(settings_path: Path, *args: str, env: Mapping[str, str | None] | None = None
                ) -> CliResult:
    """``kopcore --settings PATH ARGS...`` through ``kopcore.cli.main``."""
    environment: dict[str, str | None] = {"KOPCORE_SETTINGS": None, "KOPCORE_DATABASE_URL": None,
                                          "KOPCORE_PLUGINS": None, "KOPCORE_OPERATOR": None,
                                          "KOPCORE_LANGUAGE": ENGLISH}
    environment.update(env or {})
    result = CliRunner().invoke(_console, ["--settings", str(settings_path), *args],
                                env=environment, catch_exceptions=True)
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return CliResult(result.exit_code, result.stdout, result.stderr, exception)


def write_settings(path: Path, database_url: str, **extra: Any) -> Path:
    """A settings TOML file for the CLI (only the built-in plugins unless told)."""
    values: dict[str, Any] = {"database_url": database_url, "plugins": [], **extra}
    lines = []
    tables = []
    for key, value in values.items():
        if isinstance(value, dict):
            body = "\n".join(f"{json.dumps(k)} = {json.dumps(str(v))}" for k, v in value.items())
            tables.append(f"[{key}]\n{body}\n")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n" + "\n".join(tables), encoding="utf-8")
    return path


def cli_args(data: Mapping[str, Any]) -> list[str]:
    """Input data as CLI options: ``{"entry_id": 3}`` -> ``["--entry-id", "3"]``."""
    args: list[str] = []
    for name, value in data.items():
        option = "--" + name.replace("_", "-")
        if value is None:
            continue
        if isinstance(value, bool):
            args.append(option if value else "--no-" + name.replace("_", "-"))
        elif isinstance(value, list | dict):
            args += [option, json.dumps(value)]
        else:
            args += [option, str(value)]
    return args


def query_params(data: Mapping[str, Any]) -> dict[str, str]:
    return {k: (str(v).lower() if isinstance(v, bool) else str(v))
            for k, v in data.items() if v is not None}


# --- the environment -------------------------------------------------------------------------


@attrs.define
class Env:
    kernel: Kernel
    client: TestClient[Any]
    keys: dict[str, str]
    settings_path: Path

    # HTTP ---------------------------------------------------------------------------------
    def op(self, name: str) -> Operation:
        return self.kernel.plugins.operations[name].value  # type: ignore[no-any-return]

    def headers(self, user: str = "admin", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[user]}", "Accept-Language": ENGLISH,
                **extra}

    def call(self, name: str, data: Mapping[str, Any] | None = None, *, user: str = "admin",
             key: str | None = None, headers: Mapping[str, str] | None = None
             ) -> httpx.Response:
        """Call operation ``name`` through the API as ``user`` (a username)."""
        op = self.op(name)
        sent = dict(headers) if headers is not None else self.headers(user)
        if key is not None:
            sent["Idempotency-Key"] = key
        if op.mutates:
            return self.client.post(op.path, json=dict(data or {}), headers=sent)
        return self.client.get(op.path, params=query_params(data or {}), headers=sent)

    def ok(self, name: str, data: Mapping[str, Any] | None = None, *, user: str = "admin",
           key: str | None = None) -> Any:
        response = self.call(name, data, user=user, key=key)
        assert response.status_code == 200, (name, response.status_code, response.text)
        return response.json()

    # CLI ----------------------------------------------------------------------------------
    def cli(self, *args: str, operator: str | None = "admin",
            env: Mapping[str, str | None] | None = None) -> CliResult:
        """``kopcore [--operator OPERATOR] ARGS...`` through the console entry point."""
        prefix = ["--operator", operator] if operator is not None else []
        return run_console(self.settings_path, *prefix, *args, env=env)

    def cli_op(self, name: str, data: Mapping[str, Any] | None = None, *,
               operator: str = "admin", key: str | None = None, as_json: bool = True
               ) -> CliResult:
        op = self.op(name)
        args = [*op.command_path, *cli_args(data or {})]
        if key is not None:
            args += ["--idempotency-key", key]
        if as_json:
            args.append("--json")
        return self.cli(*args, operator=operator)

    # Database -----------------------------------------------------------------------------
    def count(self, table: Any, *where: Any) -> int:
        query = select(func.count()).select_from(table)
        for clause in where:
            query = query.where(clause)
        return self.kernel.db.read(lambda conn: conn.execute(query).scalar_one())

    def rows(self, query: Any) -> list[Any]:
        return self.kernel.db.read(lambda conn: list(conn.execute(query)))

    def balance(self, account: str) -> Money:
        return self.kernel.read("auditor", lambda ctx: ledger.get_account(ctx, account).balance)

    def business_date(self) -> date:
        return self.kernel.read("system", lambda ctx: ctx.business_date)

    def snapshot(self) -> dict[str, int]:
        """Row counts of every table a request could write."""
        tables = (t.members, t.accounts, t.journal_entries, t.postings, t.account_holds,
                  t.users, t.api_keys, t.idempotency_records, t.audit_log, t.approvals)
        return {table.name: self.count(table) for table in tables}


class _Envs:
    """Builds seeded environments and closes their clients at the end of the test."""

    def __init__(self, make_kernel: Any, workdir: Path) -> None:
        self.make_kernel = make_kernel
        self.workdir = workdir
        self.clients: list[TestClient[Any]] = []

    def __call__(self, **kwargs: Any) -> Env:
        kernel = self.make_kernel(**kwargs)
        keys = seed(kernel)
        extra = {}
        if kernel.settings.approval_thresholds:
            extra["approval_thresholds"] = kernel.settings.approval_thresholds
        settings_path = write_settings(self.workdir / f"kopcore-{len(self.clients)}.toml",
                                       kernel.settings.database_url, **extra)
        client = TestClient(make_app(kernel))
        client.__enter__()
        self.clients.append(client)
        return Env(kernel, client, keys, settings_path)

    def close(self) -> None:
        for client in self.clients:
            client.__exit__(None, None, None)


@pytest.fixture
def env_factory(make_kernel: Any, tmp_path: Path) -> Iterator[Any]:
    """``env_factory(**make_kernel_kwargs)`` -> a seeded :class:`Env` (its client started)."""
    envs = _Envs(make_kernel, tmp_path)
    yield envs
    envs.close()


@pytest.fixture
def env(make_kernel: Any, tmp_path: Path) -> Iterator[Env]:
    """The seeded cooperative with only the kernel's built-in plugins."""
    envs = _Envs(make_kernel, tmp_path)
    yield envs()
    envs.close()


# --- a second, independent database (to run the same script through two interfaces) ----------


@pytest.fixture(scope="session")
def postgres_twin(postgres_database: str | None) -> Iterator[str | None]:
    if postgres_database is None:
        yield None
        return
    engine = create_engine(maintenance_url(postgres_database), isolation_level="AUTOCOMMIT")
    name = f"{make_url(postgres_database).database}_twin"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_database).set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def twin_env(tmp_path: Path, postgres_twin: str | None) -> Iterator[Env]:
    """A second seeded cooperative on its own database, identical to ``env``'s."""
    if postgres_twin is None:
        url = f"sqlite:///{tmp_path / 'twin.db'}"
    else:
        url = postgres_twin
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    kernel = Kernel.start(Settings(database_url=url, plugins=()), migrate=True,
                          initial_date=START_DATE)
    keys = seed(kernel)
    settings_path = write_settings(tmp_path / "twin.toml", url)
    with TestClient(make_app(kernel)) as client:
        yield Env(kernel, client, keys, settings_path)
    kernel.close()


# --- checks shared by several modules --------------------------------------------------------


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with the stable type URI of ``code``."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + code, problem
    assert problem["code"] == code
    assert problem["status"] == status
    assert isinstance(problem["title"], str)
    assert problem["title"]
    assert isinstance(problem["detail"], str)
    return problem  # type: ignore[no-any-return]


def amount(value: str) -> dict[str, str]:
    """Money as the API renders it (IDR: two decimals)."""
    return {"amount": f"{Decimal(value):.2f}", "currency": "IDR"}


__all__ = [
    "CASH",
    "ON_POSTGRES",
    "OTHER_ACCOUNT",
    "OTHER_MEMBER",
    "OWN_ACCOUNT",
    "OWN_MEMBER",
    "ROLES",
    "SECOND_MANAGER",
    "START_DATE",
    "USER",
    "CliResult",
    "Env",
    "amount",
    "assert_problem",
    "cli_args",
    "env",
    "env_factory",
    "postgres_twin",
    "query_params",
    "run_console",
    "twin_env",
    "write_settings",
]

