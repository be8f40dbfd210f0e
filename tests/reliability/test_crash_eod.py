"""End of day killed with SIGKILL mid-run, then run again.

``kopcore eod run`` (a subprocess) closes three business days of a cooperative with 64 interest-
bearing sukarela accounts and 8 loans on an accrual basis, in chunks of 4 accounts. It is killed
at progress points drawn from a seeded RNG (a number of finished chunks, plus a random fraction
of the next), the books are checked after each kill, and the last run completes. The result must
equal that of a run on a copy of the same database that was never killed: every account's
balance, every day of savings accrual, every loan's recognised interest, arrears and allowance,
the number of journal entries and postings. An account accrued twice, or a chunk lost, would
show as a difference.

``KOPCORE_RELIABILITY_ROUNDS`` raises the number of kills (default 3).
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from kopcore.kernel import Kernel
from kopcore.testing import START_DATE
from tests.reliability.support import (
    Processes,
    books_problems,
    business_date,
    database_copy,
    kopcore_argv,
    log_tail,
    rounds,
    run_command,
    seed,
    start_kernel,
    write_settings,
)

ROUNDS = rounds(3)
CHUNK = 4
UNTIL = START_DATE + timedelta(days=3)

SNAPSHOT = {
    "accounts": "SELECT number, balance, held, status FROM accounts ORDER BY number",
    "accrual": "SELECT account_id, business_date, balance, rate_ppm FROM savings_interest_days "
               "ORDER BY account_id, business_date",
    "interest postings": "SELECT account_id, period_from, period_to, gross, tax "
                         "FROM savings_interest_postings ORDER BY account_id, period_to",
    "loans": "SELECT number, interest_recognized, penalty_due, days_past_due, collectibility, "
             "allowance FROM loans_loans ORDER BY number",
    "sizes": "SELECT (SELECT count(*) FROM journal_entries), (SELECT count(*) FROM postings), "
             "(SELECT count(*) FROM eod_chunks WHERE status = 'done')",
}


def snapshot(kernel: Kernel) -> dict[str, list[tuple[Any, ...]]]:
    return kernel.read("auditor", lambda ctx: {
        name: [tuple(row) for row in ctx.conn.execute(text(sql))]
        for name, sql in SNAPSHOT.items()})


def chunks_done(kernel: Kernel) -> int:
    return int(kernel.read("system", lambda ctx: ctx.conn.execute(text(
        "SELECT count(*) FROM eod_chunks WHERE status = 'done' AND rows IS NOT NULL "
        "AND rows > 0")).scalar_one()))


def eod_argv(settings: Path) -> list[str]:
    return kopcore_argv("--settings", str(settings), "--operator", "admin", "eod", "run",
                        "--until", UNTIL.isoformat(), "--json")


def test_end_of_day_killed_mid_run_resumes_and_accrues_every_account_exactly_once(
        database_url: str, tmp_path: Path, processes: Processes) -> None:
    seed(database_url, members=64, loans=8, interest_rate="3", batch=32)

    # The run that is never killed, on a copy.
    with database_copy(database_url, tmp_path) as reference_url:
        (tmp_path / "reference").mkdir()
        settings = write_settings(tmp_path / "reference", reference_url, eod_chunk_size=CHUNK)
        code, output = run_command(processes, eod_argv(settings), name="eod-reference")
        assert code == 0, output
        reference = start_kernel(reference_url)
        try:
            expected = snapshot(reference)
            total = chunks_done(reference)
            assert business_date(reference) == UNTIL
        finally:
            reference.close()
    assert expected["accrual"], "the reference run accrued nothing: the test would prove nothing"
    assert total >= 30

    settings = write_settings(tmp_path, database_url, eod_chunk_size=CHUNK)
    kernel = start_kernel(database_url)
    rng = random.Random(3_2026)
    try:
        # Kill points: a number of finished chunks, leaving at least 20 to go so the run is
        # still busy when the kill lands; then up to 10 ms into the next chunk.
        points = range(2, total - 20)
        targets = sorted(rng.sample(points, ROUNDS) if len(points) >= ROUNDS
                         else rng.choices(points, k=ROUNDS))
        for round_no, target in enumerate(targets):
            proc = processes.spawn(eod_argv(settings), name=f"eod-{round_no}")
            deadline = time.monotonic() + 120
            while chunks_done(kernel) < target:
                assert proc.poll() is None, f"eod ended before the kill:\n{log_tail(proc)}"
                assert time.monotonic() < deadline, "eod made no progress"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.01))
            assert proc.poll() is None, f"eod ended before the kill:\n{log_tail(proc)}"
            processes.kill(proc)
            done = chunks_done(kernel)
            assert target <= done < total
            assert books_problems(kernel) == [], f"books broken by kill {round_no}"
            assert business_date(kernel) < UNTIL

        code, output = run_command(processes, eod_argv(settings), name="eod-final")
        assert code == 0, output
        assert business_date(kernel) == UNTIL
        assert snapshot(kernel) == expected
        assert books_problems(kernel) == []
    finally:
        kernel.close()
