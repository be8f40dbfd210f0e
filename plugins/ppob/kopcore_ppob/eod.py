"""End-of-day poll: ask offline providers about pending transactions and apply the answers.

Runs before the kernel closes the day, inside the chunk's transaction, so it asks only providers
that answer without a network (the sandbox). A networked provider (Digiflazz) is never called
with a transaction open: its pending transactions are settled by its signed callbacks and by
the status-polling job ``ppob poll`` (schedule it, e.g. every five minutes). A transaction still
pending stays pending, with its hold, and is asked again later.

The kernel's end-of-day tasks run only inside chunk transactions, so end of day cannot ask a
networked provider itself. Instead ``ppob.overdue-pending`` marks the networked transactions
pending longer than :data:`OVERDUE_MINUTES` (their ``message`` says so, a warning is logged)
and the count appears in the day's close, telling the operator the polling job is not keeping
up (or not scheduled). It only writes the note: the next ``ppob poll``, ``ppob status`` or
callback settles them as usual.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, timedelta

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.records import EodTask
from kopcore_ppob import clock, flow, tables
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


log = logging.getLogger(__name__)

#: A networked provider's transaction pending longer than this at end of day is overdue.
OVERDUE_MINUTES = 60


def _overdue_ids(ctx: Context, day: date, low: int | None = None,
                 high: int | None = None) -> list[int]:
    c = tables.transactions.c
    since = clock.now().astimezone(UTC) - timedelta(minutes=OVERDUE_MINUTES)
    query = (sa.select(c.id, c.provider).where(
        c.status == flow.PENDING,
        sa.or_(c.created_at < since, sa.and_(c.created_at.is_(None), c.created_on < day)))
        .order_by(c.id))
    if low is not None and high is not None:
        query = query.where(c.id >= low, c.id <= high)
    specs = registry(ctx)
    return [row.id for row in ctx.conn.execute(query)
            if specs.get(row.provider) is None or specs[row.provider].networked]


def _overdue_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    ids = _overdue_ids(ctx, day)
    size = max(1, size)
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def _mark_overdue(ctx: Context, day: date, low: int, high: int) -> int:
    c = tables.transactions.c
    ids = _overdue_ids(ctx, day, low, high)
    note = (f"still pending at end of day {day.isoformat()} (over {OVERDUE_MINUTES} min): "
            "is 'kopcore ppob poll' scheduled?")
    for txn_id in ids:
        ctx.conn.execute(sa.update(tables.transactions)
                         .where(c.id == txn_id, c.status == flow.PENDING).values(message=note))
    if ids:
        log.warning("PPOB: %d transaction(s) with a networked provider pending over %d minutes "
                    "at end of day %s; schedule 'kopcore ppob poll'", len(ids), OVERDUE_MINUTES,
                    day)
    return len(ids)


TASKS: tuple[EodTask, ...] = (
    EodTask("ppob.poll-pending", _chunks, _run, order=50,
            description="Ask the PPOB provider about pending transactions and settle them"),
    EodTask("ppob.overdue-pending", _overdue_chunks, _mark_overdue, order=51,
            description="Mark transactions pending with a networked provider for over "
                        f"{OVERDUE_MINUTES} minutes (settled by 'ppob poll' and callbacks)"),
)
