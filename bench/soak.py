"""Soak run: ``kopcore serve`` under a steady mixed load for a bounded time, then a full check.

    python -m bench.soak --minutes 3 --database sqlite
    python -m bench.soak --minutes 3 --database postgres --clients 8
    tox run -e soak -- --minutes 10 --database postgres

A cooperative is seeded (members with sukarela accounts, loans on auto-debit), the API server is
started on a free loopback port, and client threads send deposits, withdrawals, transfers and
loan repayments over HTTP, each with its own Idempotency-Key, for the given time. Then it
reports the operations done, the outcomes and errors by kind, throughput and latency, and checks
the books: ``kopcore verify`` (trial balance, every entry balanced, cached balances = postings,
the journal's digests) and every account's balance against the movements the clients were told
succeeded. The exit status is 0 when there was no server error and the books are right.

PostgreSQL: the server comes from ``--postgres-url`` (default ``$KOPCORE_SOAK_POSTGRES_URL``, else
``postgresql://postgres@127.0.0.1:5432/postgres``); the run creates the database
``kopcore_soak_<pid>`` on it and drops it at the end. SQLite: a file in a temporary folder.
Nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def _database(kind: str, postgres_url: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'soak.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url("postgresql+psycopg://" + postgres_url.split("://", 1)[1])
    name = f"kopcore_soak_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def soak(*, minutes: float, database: str, clients: int, members: int, loans: int, seed: int,
         postgres_url: str, log: Any = print) -> dict[str, Any]:
    """Run the soak and return its report (see the module docstring)."""
    from tests.reliability.support import (
        CASH,
        Load,
        Processes,
        Server,
        balances,
        books_problems,
        entry_count,
        expected_balances,
        start_kernel,
        write_settings,
    )
    from tests.reliability.support import seed as seed_cooperative

    with tempfile.TemporaryDirectory(prefix="kopcore-soak-") as tmp, \
            _database(database, postgres_url, Path(tmp)) as url:
        directory = Path(tmp)
        log(f"seeding {members} members and {loans} loans on {database}...")
        seeded = seed_cooperative(url, members=members, loans=loans)
        processes = Processes(directory)
        try:
            server = Server(processes, write_settings(directory, url))
            server.start()
            kernel = start_kernel(url)
            try:
                initial = balances(kernel, [*seeded.savings, CASH])
                entries_before = entry_count(kernel)
                load = Load(server, seeded, clients=clients, seed=seed, tag="soak",
                            retry_unknown=True, count_server_errors=True)
                log(f"{clients} clients for {minutes:g} min against {server.url}")
                started = time.monotonic()
                load.start()
                end = started + minutes * 60
                while (now := time.monotonic()) < end:
                    time.sleep(min(30.0, end - now))
                    done = sum(r.outcome != "unknown" for r in list(load.requests))
                    log(f"  {time.monotonic() - started:6.0f} s  {done} requests answered")
                load.stop()
                elapsed = time.monotonic() - started
                requests = load.requests
                ok = [r for r in requests if r.outcome == "ok"]
                latencies = [r.latency for r in requests if r.outcome in ("ok", "refused")]
                problems = books_problems(kernel)
                mismatched = {
                    number: (actual, wanted)
                    for (number, actual), wanted in zip(
                        balances(kernel, initial).items(),
                        expected_balances(initial, requests).values(), strict=True)
                    if actual != wanted}
                posted = entry_count(kernel) - entries_before
            finally:
                kernel.close()
            server_log = server.output()
        finally:
            processes.close()
    by_operation = Counter(f"{r.operation} {r.outcome}" for r in requests)
    errors = Counter(r.outcome if r.outcome != "refused" else f"refused: {r.error_code}"
                     for r in requests if r.outcome != "ok")
    retried = Counter(f"status {s}" if s else "no answer"
                      for r in requests for s in r.attempts[:-1])
    return {
        "database": database,
        "minutes": minutes,
        "clients": clients,
        "members": members,
        "loans": loans,
        "seconds": round(elapsed, 1),
        "requests": len(requests),
        "succeeded": len(ok),
        "entries_posted": posted,
        "throughput_ok_per_s": round(len(ok) / elapsed, 1),
        "throughput_answered_per_s": round(
            sum(r.outcome in ("ok", "refused") for r in requests) / elapsed, 1),
        "latency_ms": {
            "p50": round(1000 * _percentile(latencies, 0.50), 1),
            "p95": round(1000 * _percentile(latencies, 0.95), 1),
            "p99": round(1000 * _percentile(latencies, 0.99), 1),
            "max": round(1000 * max(latencies, default=0.0), 1),
            "mean": round(1000 * statistics.fmean(latencies), 1) if latencies else 0.0,
        },
        "by_operation": dict(sorted(by_operation.items())),
        "errors": dict(sorted(errors.items())),
        "retried_attempts": dict(sorted(retried.items())),
        "tracebacks_in_server_log": server_log.count("Traceback"),
        "verify_problems": problems,
        "balance_mismatches": {k: list(v) for k, v in mismatched.items()},
        "ok": (not problems and not mismatched and not errors.get("server-error")
               and not errors.get("unknown") and posted == len(ok)
               and "Traceback" not in server_log),
    }


def _print(report: dict[str, Any]) -> None:
    print()
    print(f"soak on {report['database']}: {report['minutes']:g} min, {report['clients']} clients, "
          f"{report['members']} members, {report['loans']} loans")
    print(f"  requests          {report['requests']}  (succeeded {report['succeeded']}, "
          f"entries posted {report['entries_posted']})")
    print(f"  throughput        {report['throughput_ok_per_s']} ok/s, "
          f"{report['throughput_answered_per_s']} answered/s")
    lat = report["latency_ms"]
    print(f"  latency ms        p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  "
          f"max {lat['max']}")
    for name, count in report["by_operation"].items():
        print(f"    {name:<32} {count}")
    print(f"  not ok, by kind   {report['errors'] or 'none'}")
    print(f"  retried attempts  {report['retried_attempts'] or 'none'}")
    print(f"  verify            {'ok' if not report['verify_problems'] else 'PROBLEMS'}"
          f"{''.join(chr(10) + '    ' + p for p in report['verify_problems'])}")
    mismatches = report["balance_mismatches"]
    print(f"  balances          {mismatches or 'all as expected'}")
    print(f"  result            {'OK' if report['ok'] else 'FAILED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0, help="how long to load (3)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--clients", type=int, default=4, help="client threads (4)")
    parser.add_argument("--members", type=int, default=200, help="members seeded (200)")
    parser.add_argument("--loans", type=int, default=20, help="loans seeded (20)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' choices")
    parser.add_argument("--postgres-url", default=os.environ.get("KOPCORE_SOAK_POSTGRES_URL",
                                                                 DEFAULT_POSTGRES))
    parser.add_argument("--output", metavar="PATH", help="also write the report as JSON")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.clients < 1 or args.members < 2 or args.loans > args.members:
        parser.error("need --minutes > 0, --clients >= 1, --members >= 2, --loans <= --members")
    report = soak(minutes=args.minutes, database=args.database, clients=args.clients,
                  members=args.members, loans=args.loans, seed=args.seed,
                  postgres_url=args.postgres_url)
    _print(report)
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
