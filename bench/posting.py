"""Posting: deposits (cash → member) and member-to-member transfers, 2-leg entries.

kopcore: ``kernel.write`` + ``ledger.post_entry`` per entry (1/tx), or ``ledger.post_entries``
with 100 entries inside one ``kernel.write`` (100/tx, the bulk posting API).

Raw, the baseline the targets are read against: the equivalent statements with the driver in
the same transactions. A request names accounts by number, so the transaction first reads the
accounts it posts to (one ``SELECT`` by number of id, sign, status, floor and currency, with the
business date as a scalar subquery: the statement kopcore also issues), then INSERTs the journal
entry row (RETURNING id), makes the conditional UPDATE of each account balance in ascending id
order (status check; floor check when the balance goes down) and INSERTs the postings
(executemany). At 100/tx the accounts of the whole batch are read by one ``SELECT``, as kopcore's
bulk path does. Validating, the plugin hooks, the entry digest and SQLAlchemy are kopcore's own
work and so its overhead.

Raw writes only: the same without the account ``SELECT`` (ids and signs known up front), a
stricter baseline reported beside it.
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
RAW_ENTRIES = ("INSERT INTO journal_entries (business_date, memo, actor, operation, "
               "idempotency_key, request_digest, reverses_entry_id, created_at, digest) VALUES ")
PG_ENTRIES = (
    "INSERT INTO journal_entries (business_date, memo, actor, operation, request_digest, "
    f"created_at, digest) SELECT d.day, d.memo, '{ACTOR}', '{OPERATION}', '{DIGEST}', d.at, "
    f"'{ENTRY_DIGEST}' FROM unnest(%s::date[], %s::text[], %s::timestamptz[]) WITH ORDINALITY "
    "AS d(day, memo, at, n) ORDER BY d.n RETURNING id")
#: A batch's net change of one account: any change to an account not closed; a change lowering
#: the normal balance only to an open account within its floor.
_NET_CONDITION = ("status <> 'closed' AND ({delta} * normal_sign >= 0 OR (status = 'open' AND "
                  "(floor IS NULL OR (balance + {delta}) * normal_sign - held >= floor)))")
SQLITE_UPDATE_ANY = ("UPDATE accounts SET balance = balance + ? WHERE id = ? AND "
                     + _NET_CONDITION.replace("{delta}", "?"))
PG_UPDATE_ANY = ("UPDATE accounts SET balance = accounts.balance + d.delta FROM "
                 "unnest(%s::bigint[], %s::bigint[]) AS d(id, delta) WHERE accounts.id = d.id "
                 "AND " + _NET_CONDITION.format(delta="d.delta"))
PG_POSTINGS = ("INSERT INTO postings (entry_id, account_id, amount, currency) SELECT * FROM "
               "unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[])")
LOOKUP = ("SELECT id, number, normal_sign, status, floor, currency, "
          "(SELECT business_date FROM business_calendar) FROM accounts WHERE number IN ({})")


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
#: Client CPU per entry at most 1.5 x the raw driver's: entries per CPU second >= 1 / 1.5 raw's.
CPU_TARGET = round(1 / 1.5, 3)


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
    """The raw driver baseline for one connection; ``lookup``: read the accounts by number
    first (the equivalent statements), else use the ids known up front (writes only)."""

    def __init__(self, target: Target, seeded: Seeded, *, lookup: bool = True) -> None:
        self.target = target
        self.conn = target.raw_connect()
        self.lookup = lookup
        self.ids = seeded.ids
        self.numbers = seeded.numbers
        self.cash_id = seeded.cash_id
        self.cash = seeded.cash_number
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
                    found = self._read_accounts(cur, batch) if self.lookup else None
                    if len(batch) == 1:
                        self._one(cur, batch[0], memo, found)
                    else:
                        self._batch(cur, batch, memo, found)
                return
            except Exception as exc:  # deadlock / serialization failure on PostgreSQL
                if getattr(exc, "sqlstate", None) not in ("40001", "40P01") or attempt > 8:
                    raise
                attempt += 1
                self.retries += 1
                time.sleep(0.005 * attempt)

    def _number(self, index: int) -> str:
        return self.cash if index < 0 else self.numbers[index]

    def _read_accounts(self, cur: Any, batch: Sequence[Entry]) -> dict[str, int]:
        """The ids of the batch's accounts by number, checked as a posting needs them (found,
        not closed, in the entry's currency), and the business date the entries carry."""
        numbers = sorted({self._number(i) for entry in batch for i in entry[:2]})
        marks = ", ".join(self.target.placeholder for _ in numbers)
        cur.execute(LOOKUP.format(marks), numbers)
        rows = cur.fetchall()
        if len(rows) != len(numbers) or any(r[3] == "closed" or r[5] != CURRENCY for r in rows):
            raise RuntimeError("raw baseline: an account is missing, closed or in another "
                               "currency")
        self.day = rows[0][6]
        return {r[1]: r[0] for r in rows}

    def _one(self, cur: Any, entry: Entry, memo: str, found: dict[str, int] | None) -> None:
        debit, credit, amount = entry
        if found is None:
            debit_id = self.cash_id if debit < 0 else self.ids[debit]
            credit_id = self.cash_id if credit < 0 else self.ids[credit]
        else:
            debit_id, credit_id = found[self._number(debit)], found[self._number(credit)]
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

    def _batch(self, cur: Any, batch: Sequence[Entry], memo: str,
               found: dict[str, int] | None) -> None:
        """A batch set-based, as kopcore's bulk path writes it: the entries by one multi-row
        statement, one conditional balance change per account (ascending ids; the floor
        checked on the batch's net change, which this workload never reaches), the postings by
        one statement (PostgreSQL: arrays and ``unnest``; SQLite: the driver's executemany,
        there being no round trip to save)."""
        legs = [self._legs(entry, found) for entry in batch]
        now = self.target.now()
        if self.target.name == "sqlite":
            row = "(?, ?, ?, ?, NULL, ?, NULL, ?, ?)"
            params: list[Any] = []
            for _ in batch:
                params.extend((self.day, memo, ACTOR, OPERATION, DIGEST, now, ENTRY_DIGEST))
            cur.execute(RAW_ENTRIES + ", ".join(row for _ in batch), params)
            # BEGIN IMMEDIATE: the only writer, so the batch's ids are the last ones, in order.
            last = cur.execute("SELECT last_insert_rowid()").fetchone()[0]
            ids = list(range(last - len(batch) + 1, last + 1))
        else:
            n = len(batch)
            cur.execute(PG_ENTRIES, ([self.day] * n, [memo] * n, [now] * n))
            ids = sorted(r[0] for r in cur.fetchall())  # nextval in the rows' order
        net: dict[int, list[int]] = {}  # account id -> [delta, normal sign]
        postings: list[tuple[int, int, int, str]] = []
        for entry_id, entry_legs in zip(ids, legs, strict=True):
            for account_id, delta, sign in entry_legs:
                net.setdefault(account_id, [0, sign])[0] += delta
                postings.append((entry_id, account_id, delta, CURRENCY))
        changes = sorted((account_id, delta, sign) for account_id, (delta, sign) in net.items()
                         if delta)
        if self.target.name == "sqlite":
            cur.executemany(SQLITE_UPDATE_ANY, [(delta, account_id, delta, delta)
                                                for account_id, delta, _ in changes])
        else:
            cur.execute(PG_UPDATE_ANY, ([c[0] for c in changes], [c[1] for c in changes]))
        if cur.rowcount != len(changes):
            raise RuntimeError("raw baseline: a balance change was refused")
        if self.target.name == "sqlite":
            cur.executemany(self.insert_posting, postings)
        else:
            cur.execute(PG_POSTINGS, tuple(list(column) for column in zip(*postings, strict=True)))

    def _legs(self, entry: Entry, found: dict[str, int] | None) -> list[tuple[int, int, int]]:
        """``(account id, balance delta, normal sign)`` of an entry's two accounts: the debit
        lowers the stored (signed) balance, the credit raises it; cash is debit-normal."""
        debit, credit, amount = entry
        if found is None:
            debit_id = self.cash_id if debit < 0 else self.ids[debit]
            credit_id = self.cash_id if credit < 0 else self.ids[credit]
        else:
            debit_id, credit_id = found[self._number(debit)], found[self._number(credit)]
        return [(debit_id, amount, 1 if debit < 0 else -1),
                (credit_id, -amount, 1 if credit < 0 else -1)]

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


def _measure_sides(sides: dict[str, Callable[[Sequence[Entry], str], None]],
                   entries: list[Entry], per_tx: int, sizes: PostingSizes, memo: str
                   ) -> dict[str, dict[str, Any]]:
    """The sides interleaved in slices (20 entries at 1/tx, one transaction at 100/tx), the
    order rotating, until each has posted ``entries`` or ``sizes.seconds`` have passed: every
    side sees the same machine load, so the ratios hold on a busy machine."""
    warm = entries[: min(len(entries), 2 * per_tx, 200)]
    for post in sides.values():
        drive(post, warm, per_tx, sizes.seconds, memo)
    step = per_tx * max(1, 20 // per_tx)
    done = dict.fromkeys(sides, 0)
    spent = dict.fromkeys(sides, 0.0)
    cpu = dict.fromkeys(sides, 0.0)
    order = list(sides.items())
    deadline = time.perf_counter() + sizes.seconds
    turn = 0
    while time.perf_counter() < deadline and min(done.values()) < len(entries):
        for name, post in order[turn % len(order):] + order[:turn % len(order)]:
            if done[name] < len(entries):
                used = time.process_time()
                n, secs = drive(post, entries[done[name]:done[name] + step], per_tx,
                                float("inf"), memo)
                cpu[name] += time.process_time() - used
                done[name] += n
                spent[name] += secs
        turn += 1
    return {name: {"rate": done[name] / spent[name], "entries": done[name],
                   "seconds": round(spent[name], 3), "slices": turn,
                   "cpu_seconds": round(cpu[name], 3),
                   "cpu_ms_per_entry": round(1000 * cpu[name] / done[name], 4)}
            for name in sides}


def fresh_plans(target: Target, kernel: Kernel) -> None:
    """Start a case on current statistics and fresh plans (PostgreSQL): ``ANALYZE`` the
    tables the previous case grew, and close kopcore's pooled connections, whose cached plans
    (the foreign-key checks' among them) were made when the tables were smaller. Each side's
    raw connection is opened anew by the caller. Without this, a plan made when
    ``journal_entries`` had one row (a sequential scan for every foreign-key check of a
    posting) lasts the whole phase and slows both sides several times over."""
    kernel.db.engine.dispose()
    if target.name != "postgres":
        return
    conn = target.raw_connect()
    try:
        conn.autocommit = True
        conn.execute("ANALYZE")
    finally:
        conn.close()


def seq_scans(target: Target) -> dict[str, int] | None:
    """PostgreSQL: sequential scans so far of the tables a posting writes (a figure that grows
    by thousands in a case points at stale plans)."""
    if target.name != "postgres":
        return None
    conn = target.raw_connect()
    try:
        rows = conn.execute("SELECT relname, seq_scan FROM pg_stat_user_tables WHERE relname "
                            "IN ('journal_entries', 'postings', 'accounts')").fetchall()
    finally:
        conn.close()
    return {str(name): int(count) for name, count in rows}


def single_client(target: Target, kernel: Kernel, seeded: Seeded, sizes: PostingSizes,
                  log: Callable[[str], None] = lambda _: None) -> list[Figure]:
    """Each case starts on fresh plans (:func:`fresh_plans`) and new connections on every
    side."""
    figures: list[Figure] = []
    kop = KopcorePoster(kernel, seeded)
    target_1tx = 0.5 if target.name == "sqlite" else 0.7
    for kind, memo in (("deposit", "Setoran tunai"), ("transfer", "Pindah buku")):
        for per_tx in (1, BULK):
            count = sizes.single_entries if per_tx == 1 else sizes.bulk_entries
            entries = make_entries(kind, len(seeded.ids), count, seed=per_tx)
            fresh_plans(target, kernel)
            scans = seq_scans(target)
            raw = RawPoster(target, seeded)
            writes_only = RawPoster(target, seeded, lookup=False)
            try:
                res = _measure_sides({"raw": raw.post, "writes": writes_only.post,
                                      "kopcore": kop.post}, entries, per_tx, sizes, memo)
            finally:
                raw.close()
                writes_only.close()
            after = seq_scans(target)
            log(f"[{target.name}] posting {kind} {per_tx}/tx: raw {res['raw']['rate']:.1f}, "
                f"raw writes only {res['writes']['rate']:.1f}, "
                f"kopcore {res['kopcore']['rate']:.1f} entries/s; client CPU per entry raw "
                f"{res['raw']['cpu_ms_per_entry']:.3f} ms, kopcore "
                f"{res['kopcore']['cpu_ms_per_entry']:.3f} ms")
            wanted = target_1tx if per_tx == 1 else 0.5
            details: dict[str, Any] = {
                "accounts": len(seeded.ids), "entries_per_tx": per_tx,
                "kopcore": res["kopcore"], "raw": res["raw"], "raw_writes_only": res["writes"]}
            if scans is not None and after is not None:
                details["sequential_scans_during_case"] = {
                    name: after.get(name, 0) - scans.get(name, 0) for name in after}
            figures.append(Figure(
                target.name, "posting", f"{kind} {per_tx}/tx", "entries/s",
                res["kopcore"]["rate"], res["raw"]["rate"], target=wanted,
                target_text=f">= {wanted}x raw", details=details))
            k_cpu, r_cpu = (res[side]["cpu_ms_per_entry"] for side in ("kopcore", "raw"))
            figures.append(Figure(
                target.name, "posting", f"{kind} {per_tx}/tx, client CPU per entry "
                f"(kopcore {k_cpu:.3f} ms, raw {r_cpu:.3f} ms)", "entries/CPU-s",
                1000 / k_cpu, 1000 / r_cpu, target=CPU_TARGET if per_tx == 1 else None,
                target_text="CPU <= 1.5x raw" if per_tx == 1 else "", details=details))
            figures.append(Figure(
                target.name, "posting", f"{kind} {per_tx}/tx, vs raw writes only",
                "entries/s", res["kopcore"]["rate"], res["writes"]["rate"],
                baseline_name="raw driver, writes only (ids known up front)",
                details=details))
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
            fresh_plans(target, kernel)  # both sides start each round on fresh statistics
            parts["raw"].append(_concurrent(lambda: RawPoster(target, seeded), clients, sizes,
                                            len(seeded.ids), clients * 10 + r, seconds))
            # Each raw client connects anew; kopcore's pool starts afresh too, so neither side
            # runs on connections (and their cached plans) from the rounds before.
            fresh_plans(target, kernel)
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
    # One opening entry per account: the journal the cases start on has some history.
    seeded = seed_members(target, sizes.accounts, entry_per_account=True)
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
