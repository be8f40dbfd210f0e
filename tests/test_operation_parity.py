"""One declaration, two interfaces: every operation is a route and a command, and both agree.

Structural (every operation of every enabled plugin, known to this file or not): a route with the
right method and path in the OpenAPI document, a ``kopcore <group> <action>`` command whose
options are the input fields, and the same validation error from both for a missing required
field or a value of the wrong type.

Behavioural (the operations in ``SCRIPT``): the same sequence of calls runs through the API on
one cooperative and through the CLI (``--json``) on an identical twin; every step must give the
same payload (volatile fields aside) or the same error code.
"""

from __future__ import annotations

import enum
import json
import typing
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import attrs
import click
import pytest

from kopcore._plugin_manager import PluginHost
from kopcore.cli import make_cli
from kopcore.interfaces._convert import fields_of, is_required, unwrap_optional
from kopcore.interfaces.api import make_app
from kopcore.operations import Operation
from kopcore.settings import Settings
from tests import interfaces_support as support
from tests.interfaces_support import CASH, OTHER_ACCOUNT, OWN_ACCOUNT, OWN_MEMBER, Env, cli_args

env, twin_env, postgres_twin = support.env, support.twin_env, support.postgres_twin

# --- structure -------------------------------------------------------------------------------


def _registry(plugins: PluginHost) -> list[Operation]:
    return sorted((c.value for c in plugins.operations.values()), key=lambda op: op.name)


def _surfaces(plugins: PluginHost, settings: Settings) -> tuple[dict[Any, Any], click.Group]:
    """The OpenAPI routes and the CLI built from a plugin set (no database is touched)."""
    from litestar.testing import TestClient

    kernel = SimpleNamespace(plugins=plugins, settings=settings)
    with TestClient(make_app(kernel)) as client:  # type: ignore[arg-type]
        doc = client.get("/docs/openapi.json").json()
    routes = {(method.upper(), path): spec for path, item in doc["paths"].items()
              for method, spec in item.items()}
    return routes, make_cli(settings, plugins)


def _check_structure(operations: list[Operation], routes: dict[Any, Any],
                     cli: click.Group) -> None:
    assert operations
    for op in operations:
        spec = routes.get((op.http_method, op.path))
        assert spec is not None, f"{op.name}: no route {op.route_key}"
        assert spec["operationId"] == op.name
        group, action = op.command_path
        command = getattr(cli.commands.get(group), "commands", {}).get(action)
        assert isinstance(command, click.Command), f"{op.name}: no command kopcore {group} {action}"
        # The CLI's own options: --json, --idempotency-key, and --output for documents.
        options = {p.name for p in command.params} - {"as_json", "idempotency_key",
                                                      "output_path"}
        assert ("output_path" in {p.name for p in command.params}) == \
            (op.document_field is not None), op.name
        assert options == {f.name for f in fields_of(op.input)}, op.name
        # Click cannot require a --flag/--no-flag pair; the converter refuses it missing.
        required = {p.name for p in command.params if p.required}
        assert required == {f.name for f in fields_of(op.input) if is_required(f)
                            and unwrap_optional(f.type)[0] is not bool}, op.name
    # Nothing is routed under /api/v1 that is not in the registry.
    assert {key for key in routes if key[1].startswith("/api/v1/")} <= \
        {(op.http_method, op.path) for op in operations}


def test_every_builtin_operation_is_a_route_and_a_command(env: Env) -> None:
    plugins = env.kernel.plugins
    _check_structure(_registry(plugins), *_surfaces(plugins, env.kernel.settings))


def test_every_installed_plugins_operations_are_routes_and_commands() -> None:
    """With every installed plugin enabled (the default settings)."""
    plugins = PluginHost.load(None)
    _check_structure(_registry(plugins), *_surfaces(plugins, Settings(plugins=None)))


def test_an_operation_without_a_route_or_command_is_caught() -> None:
    """The structural check is not vacuous: an operation missing from the surfaces fails it."""
    plugins = PluginHost.load(())
    routes, cli = _surfaces(plugins, Settings(plugins=()))
    ghost = Operation("ghost.walk", _Nothing, _Nothing, lambda ctx, data: data,
                      permission="system.read", mutates=False, plugin="ghost")
    with pytest.raises(AssertionError, match=r"ghost\.walk: no route"):
        _check_structure([*_registry(plugins), ghost], routes, cli)
    routes[("GET", ghost.path)] = {"operationId": ghost.name}
    with pytest.raises(AssertionError, match=r"ghost\.walk: no command"):
        _check_structure([*_registry(plugins), ghost], routes, cli)


@attrs.frozen
class _Nothing:
    pass


# --- the same validation from both interfaces, for every operation ---------------------------


def _placeholder(field: attrs.Attribute[Any]) -> tuple[Any, str] | None:
    """A well-typed value for ``field`` as JSON (API body) and as text (CLI, query string)."""
    tp, _ = unwrap_optional(field.type)
    if tp is bool:
        return True, "true"
    if tp is int:
        low = field.metadata.get("minimum", 1)
        return max(low, 1), str(max(low, 1))
    if tp is Decimal:
        return "1", "1"
    if tp is date:
        return "2026-01-05", "2026-01-05"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        value = next(iter(tp)).value
        return value, str(value)
    if typing.get_origin(tp) is list:
        return [], "[]"
    if tp is str:
        return "X", "X"
    return None


def _bad_value(field: attrs.Attribute[Any]) -> tuple[Any, str] | None:
    """A value of the wrong shape for ``field``, as JSON and as text."""
    tp, _ = unwrap_optional(field.type)
    if tp is int:
        return "abc", "abc"
    if tp is Decimal:
        return "1e3", "1e3"
    if tp is date:
        return "2026-02-30", "2026-02-30"
    if typing.get_origin(tp) is list:
        return "not a list", "not a list"
    return None


def _api_input(op: Operation, values: dict[str, tuple[Any, str]]) -> dict[str, Any]:
    return {k: (v[0] if op.mutates else v[1]) for k, v in values.items()}


def _compare_refusal(env: Env, op: Operation, values: dict[str, tuple[Any, str]],
                     cli_values: dict[str, str]) -> tuple[str, str | None]:
    response = env.call(op.name, _api_input(op, values))
    assert response.status_code == 422, (op.name, values, response.text)
    problem = response.json()
    args = [*op.command_path]
    for name, text in cli_values.items():
        args += ["--" + name.replace("_", "-"), text]
    result = env.cli(*args, "--json")
    assert result.exit_code == 1, (op.name, args, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.error_code == problem["code"], (op.name, problem, result.stderr)
    if "field" in problem:
        assert f"field: {problem['field']}" in result.stderr, (op.name, problem, result.stderr)
    return problem["code"], problem.get("field")


def test_missing_or_mistyped_fields_give_the_same_error_everywhere(env: Env) -> None:
    before = env.snapshot()
    checked = 0
    for op in _registry(env.kernel.plugins):
        if op.upload_field is not None:
            # Its CLI takes the file's path (--file), not the value: the two interfaces are
            # compared on real files in tests/test_cutover_import.py.
            continue
        fields = fields_of(op.input)
        required = [f for f in fields if is_required(f)]
        if required and all(_placeholder(f) for f in required):
            # Missing: the API gets nothing for the field, the CLI an empty value (click itself
            # refuses an absent required option before the operation runs: exit 2).
            choices = {f.name: _placeholder(f) for f in required
                       if isinstance(unwrap_optional(f.type)[0], type)
                       and issubclass(unwrap_optional(f.type)[0], enum.Enum)}
            missing = [f for f in required if f.name not in choices]
            if missing:
                code, field = _compare_refusal(
                    env, op, choices,  # type: ignore[arg-type]
                    {**{k: v[1] for k, v in choices.items()},  # type: ignore[index]
                     **{f.name: "" for f in missing}})
                assert (code, field) == ("validation-error", missing[0].name), op.name
                absent = env.cli(*op.command_path)
                assert absent.exit_code == 2
                assert "Missing option" in absent.stderr
                checked += 1
        # Mistyped: every other field well-typed, this one not.
        for field in fields:
            bad = _bad_value(field)
            if bad is None or not all(_placeholder(f) for f in required):
                continue
            values = {f.name: _placeholder(f) for f in required}
            values[field.name] = bad
            code, where = _compare_refusal(env, op, values,  # type: ignore[arg-type]
                                           {k: v[1] for k, v in values.items()})  # type: ignore[index]
            expected = "invalid-amount" if unwrap_optional(field.type)[0] is Decimal \
                else "validation-error"
            assert code == expected, (op.name, field.name, code)
            assert where == field.name, (op.name, field.name, where)
            checked += 1
    assert checked >= 30
    after = env.snapshot()
    assert {k: v for k, v in after.items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}


# --- the same script through both interfaces -------------------------------------------------

Input = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


@attrs.frozen
class Step:
    op: str
    input: Input
    label: str | None = None
    user: str = "admin"
    #: None: must succeed; else the error code both interfaces must give.
    error: str | None = None


def _reg(r: dict[str, Any]) -> str:
    return r["reg"]["member_number"]  # type: ignore[no-any-return]


def _lines(*lines: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"account": a, "side": s, "amount": m} for a, s, m in lines]


SCRIPT: list[Step] = [
    Step("system.business-date", {}),
    Step("system.plugins", {}),
    Step("members.register", {"name": "Ni Luh Putu", "nik": "5171015508920003",
                              "phone": "081234567890"}, label="reg"),
    Step("members.activate", lambda r: {"member": _reg(r)}),
    Step("members.update-contact", lambda r: {"member": _reg(r), "email": "luh@example.id",
                                              "address": "Jl. Raya Sesetan 1, Denpasar"}),
    Step("members.get", lambda r: {"member": _reg(r)}),
    Step("members.list", {"status": "active", "limit": 2}),
    Step("members.list", {"after": 1, "limit": 50}),
    Step("accounts.open-internal", {"name": "Brankas", "gl_key": "vault", "number": "VAULT-01"}),
    Step("accounts.open-internal", {"name": "Kas Teller 2", "gl_key": "cash", "floor": "0"}),
    Step("entries.post", {"memo": "isi brankas", "lines": _lines(
        ("VAULT-01", "debit", "2500000"), (CASH, "credit", "2500000"))}, label="e1",
         user="manajer"),
    Step("entries.get", lambda r: {"entry_id": r["e1"]["entry_id"]}),
    Step("entries.reverse", lambda r: {"entry_id": r["e1"]["entry_id"], "memo": "salah"},
         user="manajer"),
    Step("entries.post", {"memo": "setoran", "lines": _lines(
        (CASH, "debit", "125000.50"), (OWN_ACCOUNT, "credit", "125000.50"))}),
    Step("accounts.hold", {"account": OWN_ACCOUNT, "amount": "250000", "reason": "jaminan",
                           "reference": "JMN-1"}, label="hold", user="teller"),
    Step("accounts.get", {"account": OWN_ACCOUNT}),
    Step("accounts.release-hold", lambda r: {"account": OWN_ACCOUNT,
                                             "hold_id": r["hold"]["hold_id"]}),
    Step("accounts.freeze", {"account": OTHER_ACCOUNT}),
    Step("accounts.unfreeze", {"account": OTHER_ACCOUNT}),
    Step("accounts.open-internal", {"name": "Kas 3", "gl_key": "cash", "number": "CASH-03"}),
    Step("accounts.close", {"account": "CASH-03"}),
    Step("accounts.list", {"gl_key": "cash"}),
    Step("accounts.list", {"member": OWN_MEMBER}),
    Step("accounts.statement", {"account": OWN_ACCOUNT, "from_date": "2026-01-05",
                                "to_date": "2026-01-05"}, user="anggota"),
    Step("accounts.balance", {"account": CASH}),
    Step("accounts.balance", {"account": CASH, "as_of": "2026-01-05"}, user="auditor"),
    Step("reports.trial-balance", {}),
    Step("reports.financial-position", {"as_of": "2026-01-05"}),
    Step("reports.operating-results", {"from_date": "2026-01-01", "to_date": "2026-01-31"}),
    Step("reports.chart", {"type": "asset"}),
    Step("users.create", {"username": "kasir2", "role": "teller"}),
    Step("users.create", lambda r: {"username": "luh", "role": "member", "member": _reg(r)}),
    Step("users.list", {}),
    Step("keys.issue", {"username": "kasir2", "label": "loket 2"}, label="key"),
    Step("keys.rotate", lambda r: {"key_id": r["key"]["key_id"], "label": "loket 2b"},
         label="rotated"),
    Step("keys.list", {"username": "kasir2"}),
    Step("keys.revoke", lambda r: {"key_id": r["rotated"]["key_id"]}),
    Step("users.deactivate", {"username": "kasir2"}),
    Step("approvals.list", {}),
    Step("approvals.list", {"status": "approved"}),
    Step("audit.list", {"operation": "entries.post"}, user="auditor"),
    Step("audit.list", {"limit": 3, "after": 2}),
    Step("members.exit", lambda r: {"member": _reg(r), "reason": "resigned",
                                    "payout_account": CASH}, user="manajer"),
    Step("eod.run", {}),
    Step("eod.run", {"until": "2026-01-09"}, user="manajer"),
    Step("system.business-date", {}, user="anggota"),
    # Refusals: the same code from both.
    Step("entries.post", {"memo": "x", "lines": _lines((CASH, "debit", "100"),
                                                       (OWN_ACCOUNT, "credit", "90"))},
         error="unbalanced-entry"),
    Step("entries.post", {"memo": "x", "lines": _lines((OTHER_ACCOUNT, "debit", "500000.01"),
                                                       (CASH, "credit", "500000.01"))},
         error="insufficient-funds"),
    Step("entries.post", {"memo": "x", "lines": _lines((CASH, "debit", "1e3"),
                                                       (OWN_ACCOUNT, "credit", "1000"))},
         error="invalid-amount"),
    Step("entries.post", {"memo": "x", "lines": _lines(("CASH-03", "debit", "1"),
                                                       (CASH, "credit", "1"))},
         error="account-closed"),
    Step("entries.post", {"memo": "x", "lines": _lines((CASH, "debit", "1"),
                                                       (OWN_ACCOUNT, "credit", "1"))},
         user="teller", error="forbidden"),
    Step("entries.reverse", lambda r: {"entry_id": r["e1"]["entry_id"]},
         error="already-reversed"),
    Step("accounts.get", {"account": "NOPE-1"}, error="not-found"),
    Step("accounts.get", {"account": OTHER_ACCOUNT}, user="anggota", error="forbidden"),
    Step("accounts.hold", {"account": OWN_ACCOUNT, "amount": "1", "reason": "x",
                           "reference": "JMN-1"}, error="conflict"),
    Step("accounts.unfreeze", {"account": OTHER_ACCOUNT}, error="conflict"),
    Step("approvals.approve", {"approval_id": 999}, user="manajer", error="not-found"),
    Step("members.register", {"name": "X", "nik": "123"}, error="validation-error"),
    Step("members.activate", {"member": OWN_MEMBER}, error="member-not-active"),
    Step("users.create", {"username": "kasir3", "role": "teller"}, user="teller",
         error="forbidden"),
    Step("eod.run", {"until": "2026-01-01"}, error="business-date"),
    Step("keys.revoke", {"key_id": "nokey"}, error="not-found"),
    Step("reports.operating-results", {"from_date": "2026-02-01", "to_date": "2026-01-01"},
         error="validation-error"),
]

#: Values that differ between two runs of the same script (timestamps, secrets).
VOLATILE = {"created_at", "at", "revoked_at", "decided_at", "api_key", "key_id"}


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in VOLATILE and item is not None:
                out[key] = "<volatile>"
            elif key == "interface":
                out[key] = "<interface>"
            else:
                out[key] = normalise(item)
        return out
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return value


def _via_api(env: Env, step: Step, data: dict[str, Any]) -> tuple[str, Any]:
    response = env.call(step.op, data, user=step.user)
    if response.status_code == 200:
        return "ok", response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    return "error", response.json()["code"]


def _via_cli(env: Env, step: Step, data: dict[str, Any]) -> tuple[str, Any]:
    op = env.op(step.op)
    result = env.cli(*op.command_path, *cli_args(data), "--json", operator=step.user)
    if result.exit_code == 0:
        return "ok", json.loads(result.stdout)
    assert result.exit_code == 1, (step, result.stderr, result.exception)
    assert result.stdout == ""
    return "error", result.error_code


def test_the_api_and_the_cli_give_the_same_results(env: Env, twin_env: Env) -> None:
    operations = set(env.kernel.plugins.operations)
    stale = {step.op for step in SCRIPT} - operations
    assert not stale, f"SCRIPT names operations that no longer exist: {stale}"
    api_results: dict[str, Any] = {}
    cli_results: dict[str, Any] = {}
    for number, step in enumerate(SCRIPT):
        api_in = step.input(api_results) if callable(step.input) else step.input
        cli_in = step.input(cli_results) if callable(step.input) else step.input
        api = _via_api(env, step, api_in)
        cli = _via_cli(twin_env, step, cli_in)
        where = f"step {number}: {step.op} as {step.user}"
        if step.error is None:
            assert api[0] == "ok", (where, api)
        else:
            assert api == ("error", step.error), where
        assert normalise(cli) == normalise(api), where
        if step.label:
            api_results[step.label] = api[1]
            cli_results[step.label] = cli[1]
    # The audit trails name the interface; apart from that they are the same trail.
    api_trail = env.ok("audit.list", {"limit": 500})["items"]
    cli_trail = twin_env.cli("audit", "list", "--limit", "500", "--json").json()["items"]
    assert {row["interface"] for row in api_trail} == {"api"}
    assert {row["interface"] for row in cli_trail} == {"cli"}
    assert [(r["operation"], r["outcome"], r["actor"]) for r in api_trail] == \
        [(r["operation"], r["outcome"], r["actor"]) for r in cli_trail]
    # The digest is of the parsed input, so equal requests have equal digests whichever way
    # they came (input that could not be parsed is digested as sent, JSON or text; key ids
    # are random, so requests naming them differ).
    parsed = [i for i, r in enumerate(api_trail)
              if r["outcome"] not in ("validation-error", "invalid-amount")
              and r["operation"] not in ("keys.rotate", "keys.revoke")]
    assert len(parsed) > 20
    assert [api_trail[i]["input_digest"] for i in parsed] == \
        [cli_trail[i]["input_digest"] for i in parsed]
