"""End of day: expire unpaid bills; warn of suspense and reconciliation differences.

End-of-day tasks run inside database transactions, so they never call the gateway: payments
whose callback never came are credited by ``payments poll`` (schedule it) or
``payments reconcile``. ``payments.expire-bills`` marks open bills past their expiry
``expired`` (a later payment into one goes to suspense). ``payments.attention`` logs a warning
while payments wait in suspense or the last reconciliation found differences; its count appears
in the day's close.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.records import EodTask
from kopcore_payments import config, crediting, tables

log = logging.getLogger(__name__)


def _bill_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    b = tables.bills.c
    ids = list(ctx.conn.execute(sa.select(b.id).where(
        b.status == "open", b.expires_at <= datetime.now(UTC)).order_by(b.id)).scalars())
    size = max(1, size)
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def _expire(ctx: Context, day: date, low: int, high: int) -> int:
    b = tables.bills.c
    return int(ctx.conn.execute(tables.bills.update().where(
        b.id.between(low, high), b.status == "open", b.expires_at <= datetime.now(UTC)
    ).values(status="expired")).rowcount)


def _once(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    return [(0, 0)]


def _attention(ctx: Context, day: date, low: int, high: int) -> int:
    waiting = int(ctx.conn.execute(sa.select(sa.func.count()).where(
        tables.payments.c.status == crediting.SUSPENSE)).scalar() or 0)
    if waiting:
        log.warning("payments: %d payment(s) wait in suspense (payments payments --status "
                    "suspense)", waiting)
    last = config.get(ctx, "last_reconciliation")
    differences = int(last.rpartition("|")[2] or 0) if last else 0
    if differences:
        log.warning("payments: the last reconciliation (%s) found %d difference(s)",
                    last.partition("|")[0], differences)
    return waiting + differences


TASKS = (
    EodTask("payments.expire-bills", _bill_chunks, _expire, order=150,
            description="Mark bills past their expiry expired"),
    EodTask("payments.attention", _once, _attention, order=960,
            description="Warn of payments in suspense and reconciliation differences"),
)
