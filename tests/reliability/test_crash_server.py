"""The API server killed with SIGKILL under load, and started again.

Four clients send deposits, withdrawals, transfers and loan repayments over HTTP, each request
with its own Idempotency-Key; the server (``kopcore serve``, a subprocess) is killed at a random
moment from a seeded RNG. After each kill, before the restart, the books must be whole (every
entry balanced, cached balances = postings, trial balance zero). After the restart, every request
that got no answer is sent again with its key until it is answered, and answered requests are
sent again: same status, same body, ``Idempotency-Replayed: true``, nothing new posted. At the
end every member account and the teller cash account must hold exactly its opening balance plus
the movements the clients were told succeeded, and each loan's outstanding principal must have
fallen by exactly the principal of its acknowledged repayments.

``KOPCORE_RELIABILITY_ROUNDS`` raises the number of kill rounds (default 3).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from pathlib import Path

import httpx

from kopcore.money import Money
from tests.reliability.support import (
    CASH,
    IN_FLIGHT,
    Load,
    Processes,
    Request,
    Server,
    balances,
    books_problems,
    entries,
    entry_count,
    entry_of,
    expected_balances,
    outstanding,
    replay,
    resolve,
    rounds,
    seed,
    start_kernel,
    wait_for,
    write_settings,
)

ROUNDS = rounds(3)
CLIENTS = 4
#: Replays checked per round (chosen at random among the answered requests).
REPLAYS = 12


def test_server_killed_under_load_keeps_every_acknowledged_operation_exactly_once(
        database_url: str, tmp_path: Path, processes: Processes) -> None:
    seeded = seed(database_url, members=20, loans=3)
    token = seeded.keys["admin"]
    kernel = start_kernel(database_url)
    try:
        initial = balances(kernel, [*seeded.savings, CASH])
        initial_outstanding = outstanding(kernel, seeded.loans)
        server = Server(processes, write_settings(tmp_path, database_url))
        server.start()
        rng = random.Random(9_2026)
        sent: list[Request] = []
        for round_no in range(ROUNDS):
            load = Load(server, seeded, clients=CLIENTS, seed=round_no, tag=f"r{round_no}")
            load.start()
            # The kill moment: after a random number of acknowledged requests, then a random
            # fraction of a request's time, so it lands anywhere in the next ones.
            target = rng.randrange(5, 40)
            wait_for(lambda: load.succeeded() >= target, "requests before the kill")  # noqa: B023
            time.sleep(rng.uniform(0.0, 0.15))
            server.kill()
            load.stop()
            sent += load.requests
            in_flight = sum(IN_FLIGHT in r.attempts for r in load.requests)
            print(f"round {round_no}: {len(load.requests)} sent, {in_flight} cut off in flight")
            assert books_problems(kernel) == [], f"round {round_no}: books broken by the kill"

            server.start()
            resolve(server, token, load.requests)
            answered = [r for r in load.requests if r.outcome == "ok"]
            assert answered, f"round {round_no}: no request succeeded before the kill"
            before = entry_count(kernel)
            with httpx.Client(timeout=60.0) as http:
                for request in rng.sample(answered, min(REPLAYS, len(answered))):
                    again = replay(http, server, token, request)
                    assert again.status_code == 200, again.text
                    assert again.headers.get("idempotency-replayed") == "true"
                    assert again.json() == request.response
            assert entry_count(kernel) == before, "a replay posted something"

        assert [r for r in sent if r.outcome == "unknown"] == []
        assert any(IN_FLIGHT in r.attempts for r in sent), "no kill hit a request in flight"
        refused = {r.error_code for r in sent if r.outcome == "refused"}
        assert refused <= {"insufficient-funds"}, refused
        ok = [r for r in sent if r.outcome == "ok"]

        # Every acknowledged operation is in the journal, once, with its own entry.
        ids = [entry_of(r)["entry_id"] for r in ok]
        assert len(set(ids)) == len(ids)
        stored = entries(kernel, ids)
        for request in ok:
            entry = entry_of(request)
            assert stored[entry["entry_id"]] == (entry["memo"], len(entry["postings"]))

        # No lost and no doubled movement.
        assert balances(kernel, initial) == expected_balances(initial, sent)
        repaid: dict[str, int] = defaultdict(int)
        for request in ok:
            if request.operation == "loans.repay":
                repaid[request.body["loan"]] += Money.parse(
                    request.response["principal"]["amount"]).minor
        assert outstanding(kernel, seeded.loans) == {
            loan: start - repaid[loan] for loan, start in initial_outstanding.items()}
        assert books_problems(kernel) == []
        assert "Traceback" not in server.output()
    finally:
        kernel.close()
