"""PostgreSQL stopped (``pg_ctl stop -m immediate``, a crash) and started again under load.

A private throw-away cluster is made for the test with ``initdb`` and run with ``pg_ctl`` on a
free port (the shared server other tests use is never touched). While four API clients send
deposits, withdrawals, transfers and repayments, the cluster is stopped: every request must then
be refused cleanly, 503 problem+json with code ``service-unavailable`` (never a 500 or a
traceback), and the CLI must exit with status 2 and a one-line message. After the cluster is
started again the same requests, retried with their Idempotency-Keys, succeed, each exactly once.

Runs in the postgres tox env only. Without ``initdb`` it is skipped with the reason, except under
CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.reliability.support import (
    CASH,
    Load,
    PrivateCluster,
    Processes,
    Request,
    Server,
    balances,
    books_problems,
    child_env,
    expected_balances,
    has_postgres_user,
    kopcore_argv,
    postgres_bin,
    resolve,
    run_command,
    seed,
    send,
    start_kernel,
    wait_for,
    write_settings,
)

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    bindir = postgres_bin()
    reason = None
    if bindir is None:
        reason = "initdb not found (install the PostgreSQL server package, e.g. postgresql-15)"
    elif os.geteuid() == 0 and not has_postgres_user():
        reason = "running as root and there is no 'postgres' user to run initdb and pg_ctl as"
    if reason is not None or bindir is None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI requires a private PostgreSQL cluster", pytrace=False)
        pytest.skip(str(reason))
    made = PrivateCluster(bindir)
    try:
        made.start()
        yield made
    finally:
        made.close()


def test_postgres_crash_and_restart_under_load_fails_cleanly_then_recovers(
        cluster: PrivateCluster, tmp_path: Path, processes: Processes) -> None:
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE kopcore"))
    admin.dispose()
    url = cluster.url.rsplit("/", 1)[0] + "/kopcore"
    seeded = seed(url, members=12, loans=2)
    token = seeded.keys["admin"]
    settings = write_settings(tmp_path, url)
    kernel = start_kernel(url)
    try:
        initial = balances(kernel, [*seeded.savings, CASH])
        server = Server(processes, settings)
        server.start()
        load = Load(server, seeded, clients=4, seed=15, tag="pg", retry_unknown=True)
        load.start()

        answered = load.succeeded

        wait_for(lambda: answered() >= 20, "requests before the crash")
        cluster.stop("immediate")

        # While the database is down: a clean 503 from the API, exit status 2 from the CLI.
        probe = Request(client=-1, key="probe-1", operation="savings.deposit",
                        body={"account": seeded.savings[0], "amount": "7000",
                              "cash_account": CASH})
        with httpx.Client(timeout=60.0) as http:
            send(http, server.url, token, probe)
            assert probe.attempts == [503]
            problem = http.post(f"{server.url}/api/v1/savings/deposit", json=probe.body,
                                headers={"Authorization": f"Bearer {token}",
                                         "Idempotency-Key": probe.key})
            assert problem.status_code == 503
            assert problem.headers["content-type"].startswith("application/problem+json")
            assert problem.json()["code"] == "service-unavailable"
            read = http.get(f"{server.url}/api/v1/accounts/balance",
                            params={"account": CASH},
                            headers={"Authorization": f"Bearer {token}"})
            assert read.status_code == 503, read.text
        deposit = kopcore_argv("--settings", str(settings), "--operator", "admin", "savings",
                               "deposit", "--account", seeded.savings[1], "--amount", "9000",
                               "--cash-account", CASH, "--idempotency-key", "cli-1")
        code, output = run_command(processes, deposit, name="cli-down", env=child_env())
        assert code == 2, output
        assert "Traceback" not in output
        assert "Kesalahan: basis data tidak dapat dihubungi: " in output  # Indonesian first
        wait_for(lambda: sum(503 in r.attempts for r in list(load.requests)) >= 4,
                 "clients to be refused")

        cluster.start()
        after = answered()
        wait_for(lambda: answered() >= after + 20, "requests after the restart")
        load.stop()
        code, output = run_command(processes, deposit, name="cli-up", env=child_env())
        assert code == 0, output
        resolve(server, token, [probe])
        assert probe.outcome == "ok"

        requests = [*load.requests, probe, Request(
            client=-1, key="cli-1", operation="savings.deposit", outcome="ok",
            body={"account": seeded.savings[1], "amount": "9000", "cash_account": CASH})]
        assert [r for r in requests if r.outcome == "unknown"] == []
        refused = {r.error_code for r in requests if r.outcome == "refused"}
        assert refused <= {"insufficient-funds"}, refused
        statuses = {status for r in requests for status in r.attempts}
        assert statuses <= {200, 422, 503}, statuses
        assert balances(kernel, initial) == expected_balances(initial, requests)
        assert books_problems(kernel) == []
        assert "Traceback" not in server.output()
    finally:
        kernel.close()
