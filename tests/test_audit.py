"""The audit trail: every mutating call, done or refused, through the API or the CLI."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from kopcore._db import tables as t
from kopcore.interfaces._convert import dump, load
from kopcore.ledger._posting import request_digest
from tests import interfaces_support as support
from tests.interfaces_support import (
    CASH,
    OTHER_ACCOUNT,
    OWN_ACCOUNT,
    OWN_MEMBER,
    Env,
    assert_problem,
    cli_args,
)

env = support.env

DIGEST = re.compile(r"^[0-9a-f]{64}$")


def audit_rows(env: Env, after: int = 0) -> list[Any]:
    a = t.audit_log.c
    return env.rows(select(t.audit_log).where(a.id > after).order_by(a.id))


def last_id(env: Env) -> int:
    rows = audit_rows(env)
    return rows[-1].id if rows else 0


def digest_of(env: Env, name: str, data: dict[str, Any]) -> str:
    op = env.op(name)
    return request_digest({"op": name, "input": dump(load(op.input, data))})


def transfer(debit: str, credit: str, value: str) -> dict[str, Any]:
    return {"memo": "audit", "lines": [{"account": debit, "side": "debit", "amount": value},
                                       {"account": credit, "side": "credit", "amount": value}]}


#: (user, operation, input, expected outcome) — successes and refusals of every kind.
CALLS: list[tuple[str, str, dict[str, Any], str]] = [
    ("teller", "members.register", {"name": "Wayan Sudarma", "nik": "5171011508905555"}, "ok"),
    ("manajer", "entries.post", transfer(CASH, OWN_ACCOUNT, "1000"), "ok"),
    ("manajer", "entries.post", transfer(OTHER_ACCOUNT, CASH, "999999"), "insufficient-funds"),
    ("manajer", "entries.post", transfer(CASH, OWN_ACCOUNT, "1e3"), "invalid-amount"),
    ("manajer", "entries.post", {"memo": "x", "lines": ""}, "validation-error"),
    ("teller", "entries.post", transfer(CASH, OWN_ACCOUNT, "1"), "forbidden"),
    ("anggota", "accounts.freeze", {"account": OWN_ACCOUNT}, "forbidden"),
    ("teller", "accounts.freeze", {"account": OTHER_ACCOUNT}, "ok"),
    ("teller", "accounts.freeze", {"account": OTHER_ACCOUNT}, "conflict"),
    ("admin", "users.create", {"username": "kasir9", "role": "teller"}, "ok"),
    ("admin", "keys.issue", {"username": "kasir9"}, "ok"),
    ("admin", "keys.revoke", {"key_id": "nokey"}, "not-found"),
    ("manajer", "eod.run", {}, "ok"),
    ("manajer", "eod.run", {"until": "2026-01-01"}, "business-date"),
]


def _check_trail(env: Env, start: int, interface: str, sent: list[str]) -> None:
    rows = audit_rows(env, start)
    assert [(r.actor, r.operation, r.outcome) for r in rows] == \
        [(user, name, outcome) for user, name, _, outcome in CALLS]
    for row, (_, name, data, outcome) in zip(rows, CALLS, strict=True):
        assert row.interface == interface
        assert DIGEST.fullmatch(row.input_digest), row
        assert row.at is not None
        if outcome not in ("invalid-amount", "validation-error"):
            assert row.input_digest == digest_of(env, name, data), (name, outcome)
        if outcome == "ok":
            assert row.detail is None
        else:
            assert row.detail, row  # what was refused and why
    # No secret ever reaches the trail.
    for row in rows:
        for secret in sent:
            assert secret not in json.dumps([str(v) for v in row._mapping.values()])


def test_every_mutating_api_call_is_audited(env: Env) -> None:
    start = last_id(env)
    secrets = []
    for user, name, data, outcome in CALLS:
        response = env.call(name, data, user=user)
        if outcome == "ok":
            assert response.status_code == 200, (name, response.text)
            secrets += [response.json().get("api_key", "")] if name == "keys.issue" else []
        else:
            assert_problem(response, response.status_code, outcome)
    _check_trail(env, start, "api", [s for s in secrets if s])


def test_every_mutating_cli_call_is_audited(env: Env) -> None:
    start = last_id(env)
    secrets = []
    for user, name, data, outcome in CALLS:
        op = env.op(name)
        result = env.cli(*op.command_path, *cli_args(data), "--json", operator=user)
        if outcome == "ok":
            assert result.exit_code == 0, (name, result.stderr)
            secrets += [result.json().get("api_key", "")] if name == "keys.issue" else []
        else:
            assert (result.exit_code, result.error_code) == (1, outcome), (name, result.stderr)
    _check_trail(env, start, "cli", [s for s in secrets if s])


def test_the_same_request_has_the_same_digest_through_either_interface(env: Env) -> None:
    data = {"member": OWN_MEMBER, "phone": "081234567890", "email": "made@example.id"}
    start = last_id(env)
    env.ok("members.update-contact", data)
    result = env.cli("members", "update-contact", *cli_args(data), "--json")
    assert result.exit_code == 0
    api, cli = audit_rows(env, start)
    assert (api.interface, cli.interface) == ("api", "cli")
    assert api.input_digest == cli.input_digest == digest_of(env, "members.update-contact", data)
    # A different request has a different digest.
    env.ok("members.update-contact", {**data, "phone": "081234567891"})
    assert audit_rows(env, start)[-1].input_digest != api.input_digest


def test_reads_leave_no_audit_rows(env: Env) -> None:
    env.ok("entries.post", transfer(CASH, OWN_ACCOUNT, "1000"))
    before = env.count(t.audit_log)
    reads = [op for op in (c.value for c in env.kernel.plugins.operations.values())
             if not op.mutates]
    for op in reads:
        for user in ("admin", "auditor", "anggota"):
            response = env.call(op.name, {}, user=user)
            assert response.status_code < 500
    env.call("accounts.get", {"account": "NOPE"})  # not found
    env.call("accounts.get", {"account": OTHER_ACCOUNT}, user="anggota")  # forbidden
    env.call("entries.get", {"entry_id": 1}, user="auditor")
    env.call("accounts.statement", {"account": OWN_ACCOUNT, "from_date": "2026-01-01",
                                    "to_date": "2026-01-31"}, user="anggota")
    for args in (("members", "list"), ("accounts", "balance", "--account", CASH),
                 ("audit", "list"), ("accounts", "get", "--account", "NOPE")):
        env.cli(*args)
    assert len(reads) >= 15
    assert env.count(t.audit_log) == before


def test_a_replay_is_not_a_second_action(env: Env) -> None:
    body = transfer(CASH, OWN_ACCOUNT, "1000")
    env.ok("entries.post", body, key="once")
    before = env.count(t.audit_log)
    assert env.call("entries.post", body, key="once").headers["Idempotency-Replayed"] == "true"
    assert env.count(t.audit_log) == before


def test_auditors_query_the_trail(env: Env) -> None:
    env.ok("members.register", {"name": "Ketut", "nik": "5171011508904444"}, user="teller")
    env.call("entries.post", transfer(CASH, OWN_ACCOUNT, "1"), user="teller")
    env.ok("entries.post", transfer(CASH, OWN_ACCOUNT, "2"), user="manajer")
    page = env.ok("audit.list", {}, user="auditor")
    assert [(i["actor"], i["operation"], i["outcome"], i["interface"]) for i in page["items"]] == [
        ("teller", "members.register", "ok", "api"),
        ("teller", "entries.post", "forbidden", "api"),
        ("manajer", "entries.post", "ok", "api"),
    ]
    assert page["next_after"] is None
    by_actor = env.ok("audit.list", {"actor": "teller"}, user="auditor")["items"]
    assert {i["actor"] for i in by_actor} == {"teller"}
    assert len(by_actor) == 2
    by_op = env.ok("audit.list", {"operation": "entries.post"}, user="manajer")["items"]
    assert [i["outcome"] for i in by_op] == ["forbidden", "ok"]
    first = env.ok("audit.list", {"limit": 2}, user="auditor")
    assert len(first["items"]) == 2
    rest = env.ok("audit.list", {"after": first["next_after"]}, user="auditor")
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in page["items"]]
    # The CLI gives auditors the same trail.
    cli = env.cli("audit", "list", "--json", operator="auditor").json()
    assert cli == page
    # Tellers and members may not read it.
    assert_problem(env.call("audit.list", {}, user="teller"), 403, "forbidden")
    assert_problem(env.call("audit.list", {}, user="anggota"), 403, "forbidden")
