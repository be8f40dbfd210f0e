"""End-of-day poll: ask offline providers about pending transactions and apply the answers.

Runs before the kernel closes the day, inside the chunk's transaction, so it asks only providers
that answer without a network (the sandbox). A networked provider (Digiflazz) is never called
with a transaction open: its pending transactions are settled by its signed callbacks and by
the status-polling job ``ppob poll`` (schedule it, e.g. every five minutes). A transaction still
pending stays pending, with its hold, and is asked again later.

The kernel's end-of-day tasks run only inside chunk transactions, so end of day cannot ask a
networked provider itself. Instead ``ppob.overdue-pending`` marks the networked transactions
pending longer than their provider's documented settlement time
(:attr:`~kopcore_ppob.providers.ProviderSpec.settlement_minutes`; their ``message`` says so, a
warning is logged) and the count appears in the day's close, telling the operator the polling
job is not keeping up (or not scheduled). It only writes the note: the next ``ppob poll``,
``ppob status`` or callback settles them as usual.

``ppob.deposit-check`` warns, for each provider in use whose top-ups are recorded, when the
deposit it last reported differs from the one the books expect (:mod:`kopcore_ppob.deposits`):
reconcile its statement.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, timedelta

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.records import EodTask
from kopcore_ppob import catalogue, clock, deposits, flow, tables
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

#: A transaction of a provider no longer installed is overdue after this.
OVERDUE_MINUTES = 60


def _overdue_ids(ctx: Context, day: date, low: int | None = None,
                 high: int | None = None) -> list[int]:
    c = tables.transactions.c
    now = clock.now().astimezone(UTC)
    query = (sa.select(c.id, c.provider, c.created_at, c.created_on)
             .where(c.status == flow.PENDING).order_by(c.id))
    if low is not None and high is not None:
        query = query.where(c.id >= low, c.id <= high)
    specs = registry(ctx)
    overdue = []
    for row in ctx.conn.execute(query):
        spec = specs.get(row.provider)
        if spec is not None and not spec.networked:
            continue
        minutes = spec.settlement_minutes if spec is not None else OVERDUE_MINUTES
        if row.created_at is None:
            late = row.created_on < day
        else:
            late = flow.utc(row.created_at) < now - timedelta(minutes=minutes)
        if late:
            overdue.append(row.id)
    return overdue


def _overdue_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    ids = _overdue_ids(ctx, day)
    size = max(1, size)
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def _mark_overdue(ctx: Context, day: date, low: int, high: int) -> int:
    c = tables.transactions.c
    ids = _overdue_ids(ctx, day, low, high)
    note = (f"still pending at end of day {day.isoformat()}, past the provider's settlement "
            "time: is 'kopcore ppob poll' scheduled?")
    for txn_id in ids:
        ctx.conn.execute(sa.update(tables.transactions)
                         .where(c.id == txn_id, c.status == flow.PENDING).values(message=note))
    if ids:
        log.warning("PPOB: %d transaction(s) with a networked provider pending past its "
                    "settlement time at end of day %s; schedule 'kopcore ppob poll'", len(ids),
                    day)
    return len(ids)


def deposit_differences(ctx: Context) -> list[tuple[str, int, int]]:
    """(provider, expected, reported) for each provider in use whose recorded deposit differs
    from the one it last reported (minor units)."""
    found = []
    for name in catalogue.enabled_providers(ctx):
        reported = deposits.reported(ctx, name)
        if reported is None or not deposits.recorded(ctx, name):
            continue
        expected = deposits.expected(ctx, name)
        if expected != reported:
            found.append((name, expected, reported))
    return found


def _deposit_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    return [(0, 0)] if deposit_differences(ctx) else []


def _warn_deposits(ctx: Context, day: date, low: int, high: int) -> int:
    differences = deposit_differences(ctx)
    for name, expected, reported in differences:
        log.warning("PPOB: at end of day %s provider %s reports a deposit of %d, the books "
                    "expect %d (minor units): reconcile its statement ('kopcore ppob "
                    "reconcile')", day, name, reported, expected)
    return len(differences)


TASKS: tuple[EodTask, ...] = (
    EodTask("ppob.poll-pending", _chunks, _run, order=50,
            description="Ask the PPOB provider about pending transactions and settle them"),
    EodTask("ppob.overdue-pending", _overdue_chunks, _mark_overdue, order=51,
            description="Mark transactions pending with a networked provider past its "
                        "settlement time (settled by 'ppob poll' and callbacks)"),
    EodTask("ppob.deposit-check", _deposit_chunks, _warn_deposits, order=52,
            description="Warn when a provider's reported deposit differs from the one the "
                        "books expect (reconcile its statement)"),
)
