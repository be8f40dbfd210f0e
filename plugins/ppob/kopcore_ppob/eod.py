"""End-of-day poll: ask offline providers about pending transactions and apply the answers.

Runs before the kernel closes the day, inside the chunk's transaction, so it asks only providers
that answer without a network (the sandbox). A networked provider (Digiflazz) is never called
with a transaction open: its pending transactions are settled by its signed callbacks and by
the status-polling job ``ppob poll`` (schedule it, e.g. every five minutes). A transaction still
pending stays pending, with its hold, and is asked again later.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.records import EodTask
from kopcore_ppob import flow, tables
from kopcore_ppob.providers import make_provider, registry


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
    specs = registry(ctx)
    for ref_id in refs:
        txn = flow.require_txn(ctx, ref_id)
        spec = specs.get(txn.provider)
        if spec is None or spec.networked:
            continue
        result = flow.ask(make_provider(ctx, txn.provider), txn, first=False)
        if flow.resolve(ctx, ref_id, result).status != flow.PENDING:
            done += 1
    return done


TASKS: tuple[EodTask, ...] = (
    EodTask("ppob.poll-pending", _chunks, _run, order=50,
            description="Ask the PPOB provider about pending transactions and settle them"),
)
