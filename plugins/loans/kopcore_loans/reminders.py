"""Reminders to borrowers through kopcore's event outbox (docs/notifications.md).

The end-of-day task ``loans.remind`` runs after ``loans.close-day`` (so an installment the
auto-debit paid is not reminded) and records, for the business date closed:

- ``loans.installment-due``: an open installment falling due :data:`DAYS_AHEAD` days later,
  with what is still unpaid of it;
- ``loans.installment-overdue``: an installment due on the day closed and still unpaid at its
  end (the first day of arrears).

Each is recorded once per installment (its ``dedup_key``), however often the day is closed
again, and sent after the chunk commits through the member's channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from kopcore import events
from kopcore.context import Context
from kopcore.errors import Message
from kopcore.money import Money
from kopcore.records import EodTask, EventType
from kopcore_loans.eod import ACTIVE, chunk_ranges
from kopcore_loans.messages import _
from kopcore_loans.tables import installments, loans

DUE = "loans.installment-due"
OVERDUE = "loans.installment-overdue"
#: How many days before its due date an installment is reminded.
DAYS_AHEAD = 3


def _chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    return chunk_ranges(ctx, ACTIVE, size)


def remind(ctx: Context, day: date, low: int, high: int) -> int:
    """Record the due and overdue events of the loans ``low``..``high`` for ``day``."""
    i, ln = installments.c, loans.c
    unpaid = i.principal - i.principal_paid + i.interest - i.interest_waived - i.interest_paid
    rows = ctx.conn.execute(
        sa.select(i.id, i.seq, i.due_date, unpaid.label("unpaid"), ln.number, ln.member_id,
                  ln.currency)
        .select_from(installments.join(loans, ln.id == i.loan_id))
        .where(ln.id.between(low, high), ACTIVE, i.status == "open", unpaid > 0,
               i.due_date.in_((day, day + timedelta(days=DAYS_AHEAD))))
        .order_by(i.id)).all()
    recorded = 0
    for row in rows:
        kind = OVERDUE if row.due_date == day else DUE
        amount = Money.stored(int(row.unpaid), row.currency)
        if events.emit(ctx, kind, {"loan": row.number, "seq": row.seq,
                                   "due_date": row.due_date.isoformat(),
                                   "amount": str(amount.amount)},
                       member_id=row.member_id, dedup_key=f"{kind}:{row.id}") is not None:
            recorded += 1
    return recorded


def render_due(payload: Mapping[str, Any]) -> Message:
    """``Angsuran ke-3 pinjaman P-0001 sebesar Rp875.000 jatuh tempo 12 Januari 2026.``"""
    return _("Installment {seq} of loan {loan}, {amount}, falls due on {due_date}.",
             seq=payload["seq"], loan=payload["loan"], amount=events.rupiah(payload["amount"]),
             due_date=date.fromisoformat(payload["due_date"]))


def render_overdue(payload: Mapping[str, Any]) -> Message:
    return _("Installment {seq} of loan {loan}, {amount}, due on {due_date}, is unpaid. "
             "Please pay it soon to avoid a penalty.",
             seq=payload["seq"], loan=payload["loan"], amount=events.rupiah(payload["amount"]),
             due_date=date.fromisoformat(payload["due_date"]))


def subject(_payload: Mapping[str, Any]) -> Message:
    return _("Loan installment")


EVENT_TYPES = (
    EventType(DUE, f"A loan installment falls due in {DAYS_AHEAD} days", render_due, subject),
    EventType(OVERDUE, "A loan installment is unpaid after its due date", render_overdue,
              subject),
)
EOD_TASKS = (EodTask("loans.remind", _chunks, remind, order=310,
                     description="Installments due soon or overdue: events for the borrowers"),)
