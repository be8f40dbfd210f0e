"""The API's request path: a key is authenticated inside the call's own transaction (nothing
about a key is cached, so a revocation or a role change made anywhere counts on the very next
request), one transaction per request, and SQLite writers queued in-process ahead of
``BEGIN IMMEDIATE``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text, update
from sqlalchemy.exc import OperationalError

from kopcore import _auth as auth
from kopcore._db import tables as t
from kopcore._db.database import Database, make_engine, writer_lock
from kopcore.kernel import Kernel
from tests import interfaces_support as support
from tests.interfaces_support import CASH, OWN_ACCOUNT, Env, assert_problem

env, env_factory = support.env, support.env_factory


def deposit(amount: str) -> dict[str, Any]:
    return {"memo": "setoran", "lines": [{"account": CASH, "side": "debit", "amount": amount},
                                         {"account": OWN_ACCOUNT, "side": "credit",
                                          "amount": amount}]}


def balance(env: Env) -> str:
    return str(env.ok("accounts.balance", {"account": OWN_ACCOUNT})["balance"]["amount"])


def audit_rows(env: Env, actor: str) -> list[tuple[str, str]]:
    a = t.audit_log.c
    return env.kernel.db.read(lambda conn: [
        (r.operation, r.outcome) for r in conn.execute(
            select(a.operation, a.outcome).where(a.actor == actor).order_by(a.id))])


@contextmanager
def elsewhere(env: Env) -> Iterator[Kernel]:
    """A second kernel on the same database: another process (the CLI, a second worker)."""
    other = Kernel.start(env.kernel.settings)
    try:
        yield other
    finally:
        other.close()


@pytest.fixture
def kasir(env: Env) -> str:
    """An admin ``kasir`` with an API key (issued by the seeded admin, through the API)."""
    env.kernel.write("system", lambda ctx: auth.create_user(ctx.conn, "kasir", "admin"))
    return str(env.ok("keys.issue", {"username": "kasir"})["api_key"])


def test_a_key_revoked_by_another_process_is_refused_on_the_next_request(env: Env,
                                                                        kasir: str) -> None:
    headers = {"Authorization": f"Bearer {kasir}", "Accept-Language": "en"}
    assert env.client.post("/api/v1/entries/post", json=deposit("100.00"),
                           headers=headers).status_code == 200
    assert balance(env) == "1000100.00"
    key_id = kasir.split("_")[1]
    with elsewhere(env) as other:  # the CLI's `kopcore keys revoke`, say
        other.write("admin", lambda ctx: auth.revoke_key(ctx.conn, key_id))
    # The very next request with the key is refused, a read as well as a write, and the
    # refused deposit writes nothing: neither the entry nor an audit row (nobody to record).
    assert_problem(env.client.post("/api/v1/entries/post", json=deposit("200.00"),
                                   headers=headers), 401, "unauthorized")
    assert_problem(env.client.get("/api/v1/accounts/balance",
                                  params={"account": OWN_ACCOUNT}, headers=headers),
                   401, "unauthorized")
    assert balance(env) == "1000100.00"
    assert audit_rows(env, "kasir") == [("entries.post", "ok")]


def test_a_role_changed_by_another_process_counts_on_the_next_request(env: Env,
                                                                     kasir: str) -> None:
    headers = {"Authorization": f"Bearer {kasir}", "Accept-Language": "en"}
    assert env.client.post("/api/v1/entries/post", json=deposit("50.00"),
                           headers=headers).status_code == 200
    with elsewhere(env) as other:
        other.write("admin", lambda ctx: ctx.conn.execute(
            update(t.users).where(t.users.c.username == "kasir").values(role="auditor")))
    # An auditor reads the books but posts nothing: refused at once, with the refusal on the
    # audit trail under the user's name; a read is still allowed.
    refused = env.client.post("/api/v1/entries/post", json=deposit("70.00"), headers=headers)
    assert_problem(refused, 403, "forbidden")
    assert "auditor" in refused.json()["detail"]
    assert env.client.get("/api/v1/accounts/balance", params={"account": OWN_ACCOUNT},
                          headers=headers).json()["balance"]["amount"] == "1000050.00"
    assert audit_rows(env, "kasir") == [("entries.post", "ok"), ("entries.post", "forbidden")]
    # Deactivated elsewhere: refused too (its keys are revoked with it, and an inactive user
    # does not authenticate even with a key left active).
    with elsewhere(env) as other:
        other.write("admin", lambda ctx: ctx.conn.execute(
            update(t.users).where(t.users.c.username == "kasir").values(active=False)))
    assert_problem(env.client.get("/api/v1/accounts/balance",
                                  params={"account": OWN_ACCOUNT}, headers=headers),
                   401, "unauthorized")


def test_an_unknown_key_is_refused_before_its_body_is_read(env: Env) -> None:
    headers = {"Authorization": "Bearer kop_abcdefabcdef_" + "a" * 43,
               "Content-Type": "application/json"}
    for body in (b"{not json", b"[1, 2]", b'{"memo": 5}'):
        assert_problem(env.client.post("/api/v1/entries/post", content=body,
                                       headers=headers), 401, "unauthorized")
    # With a valid key the same bodies are the body's problems.
    assert_problem(env.client.post("/api/v1/entries/post", content=b"{not json",
                                   headers=env.headers() | {"Content-Type":
                                                            "application/json"}),
                   422, "validation-error")


def test_a_request_is_one_transaction(env: Env) -> None:
    begun: list[int] = []
    engine = env.kernel.db.engine

    def count(_conn: Any) -> None:
        begun.append(1)

    event.listen(engine, "begin", count)
    try:
        assert env.client.post("/api/v1/entries/post", json=deposit("10.00"),
                               headers=env.headers()).status_code == 200
        assert len(begun) == 1  # authentication, the entry and its audit row together
        begun.clear()
        env.client.get("/api/v1/accounts/balance", params={"account": OWN_ACCOUNT},
                       headers=env.headers())
        assert len(begun) == 1
        begun.clear()
        # A refused mutation: its own transaction rolled back, then the refusal's audit row.
        assert_problem(env.call("entries.post", deposit("10.00"), user="auditor"), 403,
                       "forbidden")
        assert len(begun) == 2
    finally:
        event.remove(engine, "begin", count)


def test_role_permissions_are_worked_out_once_and_equal_a_fresh_computation(env: Env) -> None:
    plugins = env.kernel.plugins
    for role in ("admin", "manager", "teller", "auditor", "member"):
        first = auth.role_permissions(plugins, role)
        assert auth.role_permissions(plugins, role) is first
        assert first == auth._role_permissions(plugins, role)
    assert "ledger.post" in auth.role_permissions(plugins, "admin")
    assert "ledger.post" not in auth.role_permissions(plugins, "auditor")


# --- SQLite: writers queue in-process -----------------------------------------------------


def _counter(database: Database) -> None:
    database.write(lambda conn: conn.execute(text(
        "CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")))
    database.write(lambda conn: conn.execute(text("INSERT INTO counter VALUES (1, 0)")))


def test_sqlite_writers_of_one_process_queue_instead_of_meeting_the_busy_handler(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # SQLite's busy timeout at 1 ms: without the in-process queue, eight threads writing at
    # once meet SQLite's lock, and each refused writer is retried after a back-off (logged).
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    database = Database(make_engine(url, busy_timeout_ms=1), writer_wait_s=30)
    second = Database(make_engine(url, busy_timeout_ms=1), writer_wait_s=30)
    assert database.writer is not None
    assert database.writer is second.writer
    _counter(database)

    def increment(conn: Any) -> None:
        # Read, wait, write: two writers overlapping here would lose an increment.
        n = conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
        time.sleep(0.002)
        conn.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})

    def writer(db: Database) -> None:
        for _ in range(10):
            db.write(increment)

    caplog.set_level(logging.INFO, logger="kopcore._db.database")
    threads = [threading.Thread(target=writer, args=(database if i % 2 else second,))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert database.read(lambda conn: conn.execute(
        text("SELECT n FROM counter")).scalar_one()) == 80
    assert [r.message for r in caplog.records if "retry" in r.message] == []
    database.dispose()
    second.dispose()


def test_the_sqlite_writer_queue_is_released_when_a_transaction_fails(tmp_path: Path) -> None:
    database = Database(make_engine(f"sqlite:///{tmp_path / 'fail.db'}"))
    _counter(database)

    def fail(conn: Any) -> None:
        conn.execute(text("UPDATE counter SET n = 5"))
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        database.write(fail)
    lock = database.writer
    assert lock is not None
    # Free for another thread at once, and the failed transaction left nothing.
    taken: list[bool] = []

    def probe_lock() -> None:
        taken.append(lock.acquire(timeout=1))
        lock.release()

    probe = threading.Thread(target=probe_lock)
    probe.start()
    probe.join()
    assert taken == [True]
    assert database.read(lambda conn: conn.execute(
        text("SELECT n FROM counter")).scalar_one()) == 0
    database.dispose()


def test_a_server_database_has_no_writer_queue() -> None:
    engine = make_engine("postgresql://kopcore@127.0.0.1:1/none")
    assert writer_lock(engine) is None
    assert Database(engine).writer is None
    engine.dispose()


def test_a_nested_write_in_the_same_thread_is_not_blocked_by_the_queue(tmp_path: Path) -> None:
    # Re-entrant: a thread already writing meets SQLite's own lock (and its busy timeout), not
    # a deadlock in the queue: here the inner write fails after SQLite's 50 ms, as it did
    # before the queue existed.
    database = Database(make_engine(f"sqlite:///{tmp_path / 'nested.db'}", busy_timeout_ms=50),
                        retries=0)
    _counter(database)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        database.write(lambda conn: (conn.execute(text("UPDATE counter SET n = 1")),
                                     database.write(lambda inner: inner.execute(
                                         text("UPDATE counter SET n = 2")))))
    assert time.monotonic() - started < 10
    assert database.read(lambda conn: conn.execute(
        select(func.count()).select_from(text("counter"))).scalar_one()) == 1
    database.dispose()
