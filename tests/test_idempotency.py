"""Idempotency-Key: a repeated request returns the first result and posts nothing again."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from litestar.testing import TestClient

from kopcore._auth import principal_for
from kopcore._db import tables as t
from kopcore._service import Outcome, invoke
from kopcore.errors import KopcoreError
from kopcore.interfaces.api import make_app
from tests import interfaces_support as support
from tests.interfaces_support import (
    CASH,
    OTHER_ACCOUNT,
    OWN_ACCOUNT,
    OWN_MEMBER,
    Env,
    amount,
    assert_problem,
    cli_args,
)

env = support.env


def transfer(debit: str, credit: str, value: str, memo: str = "pindah") -> dict[str, Any]:
    return {"memo": memo, "lines": [{"account": debit, "side": "debit", "amount": value},
                                    {"account": credit, "side": "credit", "amount": value}]}


def test_replay_returns_the_original_response_and_posts_nothing(env: Env) -> None:
    entries = env.count(t.journal_entries)
    body = transfer(CASH, OWN_ACCOUNT, "50000")
    first = env.call("entries.post", body, key="setor-001")
    assert first.status_code == 200
    assert "Idempotency-Replayed" not in first.headers
    for _ in range(3):
        again = env.call("entries.post", body, key="setor-001")
        assert again.status_code == 200
        assert again.headers["Idempotency-Replayed"] == "true"
        assert again.json() == first.json()  # the same entry id and timestamp, not a new one
    assert env.count(t.journal_entries) == entries + 1
    assert env.balance(OWN_ACCOUNT).to_str() == "1050000.00"
    assert env.count(t.idempotency_records) == 1
    # Without a key the same body is a new request.
    assert env.call("entries.post", body).status_code == 200
    assert env.count(t.journal_entries) == entries + 2


def test_the_same_key_with_a_different_request_is_a_conflict(env: Env) -> None:
    env.ok("entries.post", transfer(CASH, OWN_ACCOUNT, "50000"), key="k-7")
    entries = env.count(t.journal_entries)
    for name, data in (
        ("entries.post", transfer(CASH, OWN_ACCOUNT, "50001")),
        ("entries.post", transfer(CASH, OTHER_ACCOUNT, "50000")),
        ("entries.post", transfer(CASH, OWN_ACCOUNT, "50000", memo="lain")),
        ("members.update-contact", {"member": OWN_MEMBER, "phone": "081234567890"}),
    ):
        problem = assert_problem(env.call(name, data, key="k-7"), 422, "idempotency-conflict")
        assert "k-7" in problem["detail"]
    assert env.count(t.journal_entries) == entries
    assert env.balance(OWN_ACCOUNT).to_str() == "1050000.00"
    same = env.call("entries.post", transfer(CASH, OWN_ACCOUNT, "50000"), key="k-7")
    assert same.headers.get("Idempotency-Replayed") == "true"


def test_keys_belong_to_the_user_who_sent_them(env: Env) -> None:
    body = transfer(CASH, OWN_ACCOUNT, "1000")
    entries = env.count(t.journal_entries)
    a = env.call("entries.post", body, key="shared", user="admin")
    b = env.call("entries.post", body, key="shared", user="manajer")
    assert a.status_code == b.status_code == 200
    assert a.json()["entry_id"] != b.json()["entry_id"]
    assert "Idempotency-Replayed" not in b.headers
    assert env.count(t.journal_entries) == entries + 2


def test_a_refused_request_is_not_remembered(env: Env) -> None:
    body = transfer(OTHER_ACCOUNT, CASH, "600000")  # AG-002 holds 500,000
    assert_problem(env.call("entries.post", body, key="tarik-1"), 409, "insufficient-funds")
    assert_problem(env.call("entries.post", body, key="tarik-1"), 409, "insufficient-funds")
    env.ok("entries.post", transfer(CASH, OTHER_ACCOUNT, "100000"))
    done = env.call("entries.post", body, key="tarik-1")
    assert done.status_code == 200
    assert "Idempotency-Replayed" not in done.headers
    assert env.balance(OTHER_ACCOUNT).to_str() == "0.00"


def test_bad_keys_and_keys_on_secret_outputs_are_refused(env: Env) -> None:
    before = env.snapshot()
    body = transfer(CASH, OWN_ACCOUNT, "1")
    assert_problem(env.call("entries.post", body, key=""), 422, "validation-error")
    assert_problem(env.call("entries.post", body, key="k" * 201), 422, "validation-error")
    # A new API key is shown once: replaying it would hand the secret out again.
    problem = assert_problem(env.call("keys.issue", {"username": "teller"}, key="key-1"), 422,
                             "validation-error")
    assert problem["field"] == "Idempotency-Key"
    after = env.snapshot()
    assert after["journal_entries"] == before["journal_entries"]
    assert after["api_keys"] == before["api_keys"]
    assert env.call("entries.post", body, key="k" * 200).status_code == 200


def test_end_of_day_with_a_key_closes_the_day_once(env: Env) -> None:
    first = env.call("eod.run", {}, key="tutup-2026-01-05")
    assert first.status_code == 200, first.text
    assert env.business_date().isoformat() == "2026-01-06"
    again = env.call("eod.run", {}, key="tutup-2026-01-05")
    assert again.status_code == 200
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert again.json() == first.json()
    assert env.business_date().isoformat() == "2026-01-06"
    conflict = env.call("eod.run", {"until": "2026-01-09"}, key="tutup-2026-01-05")
    assert_problem(conflict, 422, "idempotency-conflict")
    assert env.business_date().isoformat() == "2026-01-06"
    cli = env.cli("eod", "run", "--idempotency-key", "tutup-2026-01-06", "--json",
                  operator="manajer")
    assert cli.json()["business_date"] == "2026-01-07"
    cli_again = env.cli("eod", "run", "--idempotency-key", "tutup-2026-01-06", "--json",
                        operator="manajer")
    assert cli_again.json() == cli.json()
    assert env.business_date().isoformat() == "2026-01-07"


def test_the_cli_replays_with_idempotency_key(env: Env) -> None:
    entries = env.count(t.journal_entries)
    body = transfer(CASH, OWN_ACCOUNT, "75000")
    args = ["entries", "post", *cli_args(body), "--idempotency-key", "cli-1", "--json"]
    first = env.cli(*args).json()
    second = env.cli(*args).json()
    assert first == second
    assert env.count(t.journal_entries) == entries + 1
    # Same user, same key, same request through the API: the CLI's result is replayed.
    api = env.call("entries.post", body, key="cli-1")
    assert api.headers.get("Idempotency-Replayed") == "true"
    assert api.json() == first
    # And the other way round.
    env.ok("entries.post", transfer(CASH, OTHER_ACCOUNT, "5000"), key="api-1")
    cli = env.cli("entries", "post", *cli_args(transfer(CASH, OTHER_ACCOUNT, "5000")),
                  "--idempotency-key", "api-1", "--json")
    assert cli.exit_code == 0
    assert env.count(t.journal_entries) == entries + 2
    # A different request under the same key is refused by the CLI too.
    other = env.cli("entries", "post", *cli_args(transfer(CASH, OWN_ACCOUNT, "75001")),
                    "--idempotency-key", "cli-1")
    assert (other.exit_code, other.error_code) == (1, "idempotency-conflict")
    assert env.balance(OWN_ACCOUNT).to_str() == "1075000.00"


# --- concurrent repeats ----------------------------------------------------------------------


def _race(count: int, call: Callable[[], Any]) -> list[Any]:
    """Run ``call`` from ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)

    def one() -> Any:
        barrier.wait()
        try:
            return call()
        except KopcoreError as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: one(), range(count)))


def _concurrent_invokes(env: Env, threads: int, value: str, source: str) -> None:
    op = env.op("entries.post")
    principal = env.kernel.db.read(lambda conn: principal_for(conn, env.kernel.plugins,
                                                              "manajer"))
    start = env.balance(source)
    entries = env.count(t.journal_entries)
    body = transfer(source, CASH, value, memo="tarik tunai")

    outcomes = _race(threads, lambda: invoke(env.kernel, op, body, principal, interface="api",
                                             idempotency_key="race-1"))
    errors = [o for o in outcomes if not isinstance(o, Outcome)]
    assert errors == [], errors
    assert len({o.payload["entry_id"] for o in outcomes}) == 1
    assert sum(not o.replayed for o in outcomes) == 1
    assert env.count(t.journal_entries) == entries + 1
    assert start.minor - env.balance(source).minor == int(value) * 100
    audit = env.ok("audit.list", {"operation": "entries.post"})["items"]
    assert [row["outcome"] for row in audit] == ["ok"]


def test_concurrent_repeats_post_once(env: Env) -> None:
    """Eight requests with one key at the same moment: one entry, eight equal answers. The
    withdrawal can happen only once (the member holds 1,000,000), and no repeat may see the
    balance it left and answer insufficient-funds: each repeat waits for the first."""
    _concurrent_invokes(env, 8, "1000000", OWN_ACCOUNT)


@pytest.mark.postgres_only
def test_concurrent_repeats_post_once_under_heavy_contention(env: Env) -> None:
    _concurrent_invokes(env, 32, "1000000", OWN_ACCOUNT)


def test_concurrent_repeats_through_the_api(env: Env) -> None:
    """Separate apps (as separate API workers would be) sending the same request."""
    body = transfer(OTHER_ACCOUNT, CASH, "500000")
    headers = env.headers("manajer", **{"Idempotency-Key": "race-api"})
    clients = [TestClient(make_app(env.kernel)) for _ in range(6)]
    for client in clients:
        client.__enter__()
    try:
        barrier = threading.Barrier(len(clients))

        def send(client: TestClient[Any]) -> Any:
            barrier.wait()
            return client.post("/api/v1/entries/post", json=body, headers=headers)

        with ThreadPoolExecutor(len(clients)) as pool:
            responses = list(pool.map(send, clients))
    finally:
        for client in clients:
            client.__exit__(None, None, None)
    assert [r.status_code for r in responses] == [200] * len(clients), \
        [r.text for r in responses]
    assert len({r.json()["entry_id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotency-Replayed") == "true" for r in responses) == \
        len(clients) - 1
    assert env.balance(OTHER_ACCOUNT).to_str() == "0.00"
    assert env.balance(CASH).to_str() == amount("11000000")["amount"]


def test_an_amount_written_with_decimals_is_the_same_request(env: Env) -> None:
    entries = env.count(t.journal_entries)
    first = env.call("entries.post", transfer(CASH, OWN_ACCOUNT, "50000"), key="same-amount")
    again = env.call("entries.post", transfer(CASH, OWN_ACCOUNT, "50000.00"), key="same-amount")
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert env.count(t.journal_entries) == entries + 1
