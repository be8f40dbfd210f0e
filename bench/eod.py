"""End of day: the kernel's EOD runner driving a set-based test task, against the same SQL raw.

The task (registered as an extra plugin on the bench's kernel) does what a savings accrual does
in shape: per chunk of an account id range, ONE ``INSERT … SELECT`` of a computed amount for
every open account of a product into a scratch table created by the bench. The raw baseline runs
the same chunk plan (one MIN/MAX query) and the same ``INSERT … SELECT`` per chunk, one
transaction per chunk, with the driver. What the ratio shows is the runner's own cost: the run
and chunk bookkeeping rows, claiming each chunk, marking it done, advancing the business date.

The savings and loans plugins' own end of day are measured by :mod:`bench.savings_eod` and
:mod:`bench.loans_eod`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

import attrs
from sqlalchemy import func, select, text

import kopcore
from bench.report import Figure, first_run_figure
from bench.targets import Target, seed_members
from kopcore import eod
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.records import EodTask

PRODUCT = "bench.eod"
TASK = "bench.scratch-accrual"
SCRATCH = "bench_eod_scratch"
CREATE_SCRATCH = (
    f"CREATE TABLE IF NOT EXISTS {SCRATCH} (business_date DATE NOT NULL, "
    "account_id INTEGER NOT NULL, amount BIGINT NOT NULL, source VARCHAR(16) NOT NULL)"
)
#: Daily interest at 3.65 % a year on the (credit-normal) balance, in minor units.
ACCRUE = (
    f"INSERT INTO {SCRATCH} (business_date, account_id, amount, source) "
    "SELECT {day}, id, (balance * -1) / 10000, {source} FROM accounts "
    "WHERE product_code = {product} AND id BETWEEN {low} AND {high} AND status = 'open'"
)


@attrs.frozen
class EodSizes:
    accounts: int
    chunk_size: int
    rounds: int


QUICK = EodSizes(5_000, 1_250, 1)
FULL = EodSizes(100_000, 5_000, 2)


def _bound_accrue() -> str:
    return ACCRUE.format(day=":day", source=":source", product=":product", low=":low",
                         high=":high")


def _raw_accrue(target: Target) -> str:
    return target.sql(ACCRUE.format(day="%s", source="%s", product="%s", low="%s", high="%s"))


def chunk_plan(low: int | None, high: int | None, size: int) -> list[tuple[int, int]]:
    if low is None or high is None:
        return []
    return [(start, min(start + size - 1, high)) for start in range(low, high + 1, size)]


class ScratchAccrual:
    """The bench's EOD plugin: one set-based INSERT … SELECT per chunk."""

    @kopcore.hookimpl
    def kopcore_eod_tasks(self) -> Sequence[EodTask]:
        return [EodTask(TASK, self.chunks, self.run, description="bench: set-based accrual")]

    def chunks(self, ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
        a = t.accounts.c
        low, high = ctx.conn.execute(
            select(func.min(a.id), func.max(a.id)).where(a.product_code == PRODUCT)
        ).one()
        return chunk_plan(low, high, size)

    def run(self, ctx: Context, day: date, low: int, high: int) -> int:
        result = ctx.conn.execute(text(_bound_accrue()), {
            "day": day, "source": "kopcore", "product": PRODUCT, "low": low, "high": high})
        return int(result.rowcount)


def _raw_eod(target: Target, day: date, chunk_size: int) -> tuple[int, float]:
    conn = target.raw_connect()
    q = target.sql
    sql = _raw_accrue(target)
    try:
        start = time.perf_counter()
        with target.raw_transaction(conn) as cur:
            cur.execute(q("SELECT MIN(id), MAX(id) FROM accounts WHERE product_code = %s"),
                        (PRODUCT,))
            low, high = cur.fetchone()
        rows = 0
        for lo, hi in chunk_plan(low, high, chunk_size):
            with target.raw_transaction(conn) as cur:
                cur.execute(sql, (target.day(day), "raw", PRODUCT, lo, hi))
                rows += cur.rowcount
        return rows, time.perf_counter() - start
    finally:
        conn.close()


def run(target: Target, sizes: EodSizes, log: Callable[[str], None]) -> list[Figure]:
    log(f"[{target.name}] eod: seeding {sizes.accounts:,} accounts")
    seed_members(target, sizes.accounts, product=PRODUCT, prefix="EO")
    kernel = target.kernel(extra_plugins=[("bench", ScratchAccrual())],
                           eod_chunk_size=sizes.chunk_size)
    kernel.write("bench", lambda ctx: ctx.conn.exec_driver_sql(CREATE_SCRATCH))
    best: dict[str, dict[str, Any]] = {}
    runs: dict[str, list[float]] = {"raw": [], "kopcore": []}
    seals: list[dict[str, Any]] = []
    for _ in range(sizes.rounds):
        day = eod.current_business_date(kernel)
        rows, secs = _raw_eod(target, day, sizes.chunk_size)
        runs["raw"].append(round(secs, 3))
        if "raw" not in best or secs < best["raw"]["seconds"]:
            best["raw"] = {"seconds": secs, "rows": rows}
        start = time.perf_counter()
        with timed_seal() as seal:
            closed = eod.run_end_of_day(kernel)
        secs = time.perf_counter() - start
        seals.append(seal)
        seal["postings"] = sum(kernel.db.read(lambda conn, lo=lo, hi=hi: conn.execute(
            select(func.count()).where(t.postings.c.entry_id.between(lo, hi))).scalar_one())
            for lo, hi in seal.pop("ranges"))
        rows = closed[0].tasks.get(TASK, 0)
        runs["kopcore"].append(round(secs, 3))
        if "kopcore" not in best or secs < best["kopcore"]["seconds"]:
            best["kopcore"] = {"seconds": secs, "rows": rows}
        log(f"[{target.name}] eod: raw {runs['raw'][-1]} s, kopcore {runs['kopcore'][-1]} s")
    if best["raw"]["rows"] != best["kopcore"]["rows"] or best["raw"]["rows"] != sizes.accounts:
        raise RuntimeError(f"eod rows differ: {best}")
    k, r = best["kopcore"], best["raw"]
    details = {"accounts": sizes.accounts, "chunk_size": sizes.chunk_size,
               "kopcore_seconds": round(k["seconds"], 3), "raw_seconds": round(r["seconds"], 3),
               "rounds_seconds": runs, "seals": seals}
    figure = Figure(target.name, "eod", f"set-based task, {sizes.accounts:,} accounts "
                    f"(kopcore {k['seconds']:.2f} s, raw {r['seconds']:.2f} s)", "rows/s",
                    k["rows"] / k["seconds"], r["rows"] / r["seconds"], target=1 / 3,
                    target_text="within 3x raw", details=details)
    first = first_run_figure(figure, runs["kopcore"][0], runs["raw"][0], sizes.accounts,
                             f"set-based task, {sizes.accounts:,} accounts, seal "
                             f"{seals[0]['seconds']:.2f} s for {seals[0]['entries']:,} entries "
                             f"({seals[0]['postings']:,} postings)")
    return [figure, first]


@contextmanager
def timed_seal() -> Iterator[dict[str, Any]]:
    """Time the journal seal inside a measured end of day (the raw baseline seals nothing):
    its seconds, and how many entries and postings it covered."""
    from kopcore.ledger import _integrity

    found: dict[str, Any] = {"seconds": 0.0, "entries": 0, "ranges": []}
    original = _integrity.seal_journal

    def seal(ctx: Context, **kwargs: Any) -> Any:
        started = time.perf_counter()
        made = original(ctx, **kwargs)
        found["seconds"] += round(time.perf_counter() - started, 3)
        if made is not None:
            found["entries"] += made.entry_count
            found["ranges"].append((made.first_entry_id, made.last_entry_id))
        return made

    _integrity.seal_journal = seal  # type: ignore[assignment]
    try:
        yield found
    finally:
        _integrity.seal_journal = original  # type: ignore[assignment]
