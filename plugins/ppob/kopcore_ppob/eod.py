"""End-of-day poll: ask the provider about every pending transaction and apply the answers.

Runs before the kernel closes the day; a transaction the provider still reports pending stays
pending (its hold too) and is asked again by ``ppob.status`` or the next day's run.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.records import EodTask
from kopcore_ppob import flow, tables
from kopcore_ppob.providers import make_provider


def _chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    c = tables.transactions.c
    ids = list(ctx.conn.execute(sa.select(c.id).where(c.status == flow.PENDING)
                                .order_by(c.id)).scalars())
    size = max(1, size)
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def _run(ctx: Context, day: date, low: int, high: int) -> int:
    c = tables.transactions.c
    refs = list(ctx.conn.execute(sa.select(c.ref_id).where(
        c.status == flow.PENDING, c.id >= low, c.id <= high).order_by(c.id)).scalars())
    done = 0
    for ref_id in refs:
        txn = flow.require_txn(ctx, ref_id)
        result = flow.ask(make_provider(txn.provider), txn, first=False)
        if flow.resolve(ctx, ref_id, result).status != flow.PENDING:
            done += 1
    return done


TASKS: tuple[EodTask, ...] = (
    EodTask("ppob.poll-pending", _chunks, _run, order=50,
            description="Ask the PPOB provider about pending transactions and settle them"),
)
