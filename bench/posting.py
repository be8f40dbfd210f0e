"""Posting: deposits (cash → member) and member-to-member transfers, 2-leg entries.

kopcore: ``kernel.write`` + ``ledger.post_entry`` per entry (1/tx), or ``ledger.post_entries``
with 100 entries inside one ``kernel.write`` (100/tx, the bulk posting API). Raw: the same
writes with the driver in the same transactions: INSERT the journal entry row (RETURNING id),
the conditional UPDATE of each account balance in ascending id order (status check; floor check
when the balance goes down), INSERT the postings (executemany). The raw side knows account ids
and signs up front; looking them up, validating, idempotency, plugin hooks and reading the entry
back are kopcore's own work and so part of its overhead.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from bench.report import Figure
from bench.targets import (
    CURRENCY,
    DIGEST,
    ENTRY_DIGEST,
    START_DATE,
    Seeded,
    Target,
    seed_members,
)
from kopcore import ledger
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import PostingLine, Side

ACTOR = "bench"
OPERATION = "python-api"
#: (debit account index, credit account index, amount in minor units); index -1 is the cash.
Entry = tuple[int, int, int]

INSERT_ENTRY = (
    "INSERT INTO journal_entries (business_date, memo, actor, operation, idempotency_key, "
    "request_digest, reverses_entry_id, created_at, digest) VALUES (%s, %s, %s, %s, NULL, %s, "
    f"NULL, %s, '{ENTRY_DIGEST}') RETURNING id"
)
UPDATE_UP = ("UPDATE accounts SET balance = balance + %s WHERE id = %s AND status <> 'closed' "
             "RETURNING id")
UPDATE_DOWN = (
    "UPDATE accounts SET balance = balance + %s WHERE id = %s AND status <> 'closed' "
    "AND status = 'open' AND (floor IS NULL OR (balance + %s) * normal_sign - held >= floor) "
    "RETURNING id"
)
INSERT_POSTING = ("INSERT INTO postings (entry_id, account_id, amount, currency) "
                  "VALUES (%s, %s, %s, %s)")


@attrs.frozen
class PostingSizes:
    accounts: int
    single_entries: int  # entries per measurement at 1/tx
    bulk_entries: int  # entries per measurement at 100/tx
    seconds: float  # time cap of one raw-vs-kopcore measurement (both sides together)
    concurrent_entries: int
    concurrent_seconds: float  # per level, both sides together
    rounds: int  # concurrent measurements per level and side, alternating raw and kopcore
    clients: tuple[int, ...] = (1, 2, 4, 8)


QUICK = PostingSizes(1_000, 200, 1_000, 4.0, 300, 3.0, 1)
FULL = PostingSizes(10_000, 3_000, 20_000, 60.0, 4_000, 30.0, 2)
BULK = 100


def make_entries(kind: str, accounts: int, count: int, seed: int) -> list[Entry]:
    rng = random.Random(seed)
    out: list[Entry] = []
    for _ in range(count):
        amount = rng.randint(1, 1_000) * 100
        if kind == "deposit":
            out.append((-1, rng.randrange(accounts), amount))
        else:
            a, b = rng.sample(range(accounts), 2)
            out.append((a, b, amount))
    return out


class RawPoster:
    """The raw driver baseline for one connection."""

    def __init__(self, target: Target, seeded: Seeded) -> None:
        self.target = target
        self.conn = target.raw_connect()
        self.ids = seeded.ids
        self.cash_id = seeded.cash_id
        self.day = target.day(START_DATE)
        self.insert_entry = target.sql(INSERT_ENTRY)
        self.update_up = target.sql(UPDATE_UP)
        self.update_down = target.sql(UPDATE_DOWN)
        self.insert_posting = target.sql(INSERT_POSTING)
        self.retries = 0

    def post(self, batch: Sequence[Entry], memo: str) -> None:
        attempt = 0
        while True:
            try:
                with self.target.raw_transaction(self.conn) as cur:
                    for entry in batch:
                        self._one(cur, entry, memo)
                return
            except Exception as exc:  # deadlock / serialization failure on PostgreSQL
                if getattr(exc, "sqlstate", None) not in ("40001", "40P01") or attempt > 8:
                    raise
                attempt += 1
                self.retries += 1
                time.sleep(0.005 * attempt)

    def _one(self, cur: Any, entry: Entry, memo: str) -> None:
        debit, credit, amount = entry
        debit_id = self.cash_id if debit < 0 else self.ids[debit]
        credit_id = self.cash_id if credit < 0 else self.ids[credit]
        cur.execute(self.insert_entry,
                    (self.day, memo, ACTOR, OPERATION, DIGEST, self.target.now()))
        entry_id = cur.fetchone()[0]
        # (account id, delta, normal sign): cash is debit-normal, member accounts credit-normal.
        legs = sorted([(debit_id, amount, 1 if debit < 0 else -1),
                       (credit_id, -amount, 1 if credit < 0 else -1)])
        for account_id, delta, sign in legs:
            if delta * sign < 0:
                cur.execute(self.update_down, (delta, account_id, delta))
            else:
                cur.execute(self.update_up, (delta, account_id))
            if cur.fetchone() is None:
                raise RuntimeError(f"raw baseline: account {account_id} refused {delta}")
        cur.executemany(self.insert_posting, [(entry_id, debit_id, amount, CURRENCY),
                                              (entry_id, credit_id, -amount, CURRENCY)])

    def close(self) -> None:
        self.conn.close()


class KopcorePoster:
    def __init__(self, kernel: Kernel, seeded: Seeded) -> None:
        self.kernel = kernel
        self.numbers = seeded.numbers
        self.cash = seeded.cash_number

    def _lines(self, entry: Entry) -> list[PostingLine]:
        debit, credit, amount = entry
        money = Money(amount, CURRENCY)
        return [PostingLine(self.cash if debit < 0 else self.numbers[debit], Side.DEBIT, money),
                PostingLine(self.cash if credit < 0 else self.numbers[credit], Side.CREDIT,
                            money)]

    def post(self, batch: Sequence[Entry], memo: str) -> None:
        def work(ctx: Context) -> None:
            if len(batch) == 1:
                ledger.post_entry(ctx, self._lines(batch[0]), memo=memo)
            else:
                ledger.post_entries(ctx, [ledger.EntryRequest(self._lines(entry), memo)
                                          for entry in batch])

        self.kernel.write(ACTOR, work)

    def close(self) -> None:
        pass


def drive(post: Callable[[Sequence[Entry], str], None], entries: Sequence[Entry], per_tx: int,
          seconds: float, memo: str) -> tuple[int, float]:
    """Post ``entries`` ``per_tx`` to a transaction until done or ``seconds`` have passed."""
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while done < len(entries) and time.perf_counter() < deadline:
        batch = entries[done:done + per_tx]
        post(batch, memo)
        done += len(batch)
    return done, time.perf_counter() - start


def _measure_pair(raw: RawPoster, kop: KopcorePoster, entries: list[Entry], per_tx: int,
                  sizes: PostingSizes, memo: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Raw and kopcore interleaved in slices (20 entries at 1/tx, one transaction at 100/tx),
    the side going first alternating, until both have posted ``entries`` or ``sizes.seconds``
    have passed: both sides see the same machine load, so the ratio holds on a busy machine."""
    warm = entries[: min(len(entries), 2 * per_tx, 200)]
    drive(raw.post, warm, per_tx, sizes.seconds, memo)
    drive(kop.post, warm, per_tx, sizes.seconds, memo)
    step = per_tx * max(1, 20 // per_tx)
    done = {"raw": 0, "kopcore": 0}
    spent = {"raw": 0.0, "kopcore": 0.0}
    sides = [("raw", raw.post), ("kopcore", kop.post)]
    deadline = time.perf_counter() + sizes.seconds
    turn = 0
    while time.perf_counter() < deadline and min(done.values()) < len(entries):
        for name, post in sides if turn % 2 == 0 else sides[::-1]:
            if done[name] < len(entries):
                n, secs = drive(post, entries[done[name]:done[name] + step], per_tx,
                                float("inf"), memo)
                done[name] += n
                spent[name] += secs
        turn += 1
    return tuple(  # type: ignore[return-value]
        {"rate": done[name] / spent[name], "entries": done[name],
         "seconds": round(spent[name], 3), "slices": turn}
        for name in ("raw", "kopcore"))


def single_client(target: Target, kernel: Kernel, seeded: Seeded, sizes: PostingSizes,
                  log: Callable[[str], None] = lambda _: None) -> list[Figure]:
    figures: list[Figure] = []
    raw = RawPoster(target, seeded)
    kop = KopcorePoster(kernel, seeded)
    target_1tx = 0.5 if target.name == "sqlite" else 0.7
    try:
        for kind, memo in (("deposit", "Setoran tunai"), ("transfer", "Pindah buku")):
            for per_tx in (1, BULK):
                count = sizes.single_entries if per_tx == 1 else sizes.bulk_entries
                entries = make_entries(kind, len(seeded.ids), count, seed=per_tx)
                raw_res, kop_res = _measure_pair(raw, kop, entries, per_tx, sizes, memo)
                log(f"[{target.name}] posting {kind} {per_tx}/tx: raw {raw_res['rate']:.1f}, "
                    f"kopcore {kop_res['rate']:.1f} entries/s")
                figures.append(Figure(
                    target.name, "posting", f"{kind} {per_tx}/tx", "entries/s",
                    kop_res["rate"], raw_res["rate"],
                    target=target_1tx if per_tx == 1 else 0.5,
                    target_text=f">= {target_1tx if per_tx == 1 else 0.5}x raw",
                    details={"accounts": len(seeded.ids), "entries_per_tx": per_tx,
                             "kopcore": kop_res, "raw": raw_res},
                ))
    finally:
        raw.close()
    return figures


def _concurrent(make_poster: Callable[[], Any], clients: int, sizes: PostingSizes,
                accounts: int, seed: int, seconds: float) -> dict[str, Any]:
    per_client = sizes.concurrent_entries // clients
    streams = [make_entries("transfer", accounts, per_client, seed * 100 + c)
               for c in range(clients)]
    posters = [make_poster() for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    counts = [0] * clients
    errors: list[BaseException] = []
    deadline_box: list[float] = []

    def worker(c: int) -> None:
        barrier.wait()
        deadline = deadline_box[0]
        try:
            for entry in streams[c]:
                if time.perf_counter() >= deadline:
                    break
                posters[c].post((entry,), "Pindah buku")
                counts[c] += 1
        except BaseException as exc:  # reported after join
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in range(clients)]
    for th in threads:
        th.start()
    start = time.perf_counter()
    deadline_box.append(start + seconds)
    barrier.wait()
    for th in threads:
        th.join(seconds + 60)
    elapsed = time.perf_counter() - start
    retries = sum(getattr(p, "retries", 0) for p in posters)
    for p in posters:
        p.close()
    if errors:
        raise errors[0]
    total = sum(counts)
    return {"rate": total / elapsed, "entries": total, "seconds": round(elapsed, 3),
            "clients": clients, "retries": retries}


def concurrent_clients(target: Target, kernel: Kernel, seeded: Seeded, sizes: PostingSizes
                       ) -> list[Figure]:
    """Transfers at 1/tx from 1, 2, 4, 8 threads, each transaction on its own connection.
    Per level, raw and kopcore alternate ``sizes.rounds`` times; rates are over all rounds."""
    figures: list[Figure] = []
    results: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    seconds = sizes.concurrent_seconds / (2 * sizes.rounds)
    for clients in sizes.clients:
        parts: dict[str, list[dict[str, Any]]] = {"raw": [], "kopcore": []}
        for r in range(sizes.rounds):
            parts["raw"].append(_concurrent(lambda: RawPoster(target, seeded), clients, sizes,
                                            len(seeded.ids), clients * 10 + r, seconds))
            parts["kopcore"].append(_concurrent(lambda: KopcorePoster(kernel, seeded), clients,
                                                sizes, len(seeded.ids), clients * 10 + r,
                                                seconds))
        raw_res, kop_res = ({
            "rate": sum(p["entries"] for p in parts[name])
            / sum(p["seconds"] for p in parts[name]),
            "entries": sum(p["entries"] for p in parts[name]),
            "seconds": round(sum(p["seconds"] for p in parts[name]), 3),
            "retries": sum(p["retries"] for p in parts[name]),
            "clients": clients} for name in ("raw", "kopcore"))
        results[clients] = (raw_res, kop_res)
        figures.append(Figure(
            target.name, "posting", f"transfer 1/tx, {clients} client(s)", "entries/s",
            kop_res["rate"], raw_res["rate"],
            details={"accounts": len(seeded.ids), "kopcore": kop_res, "raw": raw_res},
        ))
    if 1 in results and 4 in results:
        one_k, four_k = results[1][1]["rate"], results[4][1]["rate"]
        one_r, four_r = results[1][0]["rate"], results[4][0]["rate"]
        figures.append(Figure(
            target.name, "posting", "scaling: 4 clients / 1 client", "x",
            four_k / one_k, four_r / one_r, baseline_name="raw driver scaling",
            target_text=f"kopcore 4/1 >= 2x: {'MET' if four_k / one_k >= 2 else 'MISSED'}",
            details={"kopcore_scaling": round(four_k / one_k, 3),
                     "raw_scaling": round(four_r / one_r, 3)},
        ))
    return figures


def run(target: Target, sizes: PostingSizes, log: Callable[[str], None]) -> list[Figure]:
    log(f"[{target.name}] posting: seeding {sizes.accounts:,} member accounts")
    seeded = seed_members(target, sizes.accounts)
    kernel = target.kernel()
    log(f"[{target.name}] posting: single client")
    figures = single_client(target, kernel, seeded, sizes, log)
    if target.name == "postgres":
        log(f"[{target.name}] posting: concurrent clients {sizes.clients}")
        figures += concurrent_clients(target, kernel, seeded, sizes)
        for f in figures[-len(sizes.clients) - 1:-1]:
            log(f"[{target.name}] posting {f.case}: raw {f.baseline or 0:.1f}, "
                f"kopcore {f.measured:.1f} entries/s")
    return figures
