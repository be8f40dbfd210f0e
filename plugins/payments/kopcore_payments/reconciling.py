"""Polling and reconciling against the gateway's transaction report.

``payments.poll`` reads the report for a period and credits every payment the books do not yet
have (a callback that never came): the same :func:`~kopcore_payments.crediting.credit` as a
callback, so a poll racing a callback posts once. ``payments.reconcile`` compares the report
with the books for a period and answers, per payment:

============  ==============================================================================
result        meaning
============  ==============================================================================
matched       in both, same amount (and the same fee where the report gives one)
missing       in the report, not in the books (credited now when ``credit_missing``)
different     in both, with another amount or fee: for staff to investigate
unreported    in the books, not in the report
============  ==============================================================================

Each run is stored; end of day warns while the last reconciliation has differences.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import Conflict, NotFound
from kopcore_payments import config, crediting, tables
from kopcore_payments.gateways import GatewayPayment, calling, make_gateway
from kopcore_payments.messages import _


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A business day in Western Indonesia Time (UTC+7) as a UTC interval."""
    start = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=7)
    return start, start + timedelta(days=1)


def _report(ctx: Context, since: datetime, until: datetime, gateway: str | None
            ) -> tuple[str, list[GatewayPayment]]:
    name = gateway or config.get(ctx, "gateway")
    if not name:
        raise NotFound(_("no payment gateway chosen: run payments gateway-set first"))
    client = make_gateway(ctx, name)
    return name, list(calling(name, lambda: client.payments(since, until)))


def _crediting(gateway: str, paid: GatewayPayment, via: str
               ) -> Callable[[Context], crediting.Credited]:
    return lambda w: crediting.credit(w, gateway, paid, via)


def poll(ctx: Context, since: datetime, until: datetime, gateway: str | None = None
         ) -> list[crediting.Credited]:
    """Credit what the report has and the books do not. ``ctx`` is read-only."""
    name, report = _report(ctx, since, until, gateway)
    done: list[crediting.Credited] = []
    for paid in report:
        if crediting.existing(ctx, name, paid.payment_id) is not None:
            continue
        try:
            done.append(ctx.kernel.write(ctx.actor, _crediting(name, paid, "poll"),
                                         operation=ctx.operation))
        except Conflict:
            continue  # a concurrent callback is booking it: it is booked once, by that one
    return [d for d in done if d.verdict == "applied"]


def reconcile(ctx: Context, since: datetime, until: datetime, credit_missing: bool,
              gateway: str | None = None) -> dict[str, list[dict[str, Any]]]:
    name, report = _report(ctx, since, until, gateway)
    p = tables.payments.c
    booked = {row.payment_id: row for row in ctx.conn.execute(sa.select(tables.payments).where(
        p.gateway == name, p.paid_at >= since, p.paid_at < until))}
    result: dict[str, list[dict[str, Any]]] = {
        "matched": [], "missing": [], "different": [], "unreported": []}
    seen = set()
    for paid in report:
        seen.add(paid.payment_id)
        row = booked.get(paid.payment_id) or crediting.existing(ctx, name, paid.payment_id)
        amount = crediting.rupiah(ctx, paid.amount).minor
        fee = crediting.rupiah(ctx, paid.fee).minor if paid.fee is not None else None
        line = {"payment_id": paid.payment_id, "reported_amount": amount,
                "reported_fee": fee, "booked_amount": None, "booked_fee": None}
        if row is None:
            if credit_missing:
                ctx.kernel.write(ctx.actor, _crediting(name, paid, "reconcile"),
                                 operation=ctx.operation)
            result["missing"].append(line)
            continue
        line.update(booked_amount=row.amount, booked_fee=row.fee)
        if row.amount != amount or (fee is not None and row.fee != fee):
            result["different"].append(line)
        else:
            result["matched"].append(line)
    for payment_id, row in booked.items():
        if payment_id not in seen:
            result["unreported"].append({"payment_id": payment_id, "reported_amount": None,
                                         "reported_fee": None, "booked_amount": row.amount,
                                         "booked_fee": row.fee})
    differences = len(result["different"]) + len(result["unreported"]) + (
        0 if credit_missing else len(result["missing"]))

    def store(w: Context) -> None:
        config.put(w, "last_reconciliation",
                   f"{since.isoformat()}|{differences}")

    ctx.kernel.write(ctx.actor, store, operation=ctx.operation)
    return result
