"""The borrower hears of each payment on their loan (kopcore's event outbox,
docs/notifications.md): ``loans.payment-received``, recorded in the payment's transaction —
at the counter, from the member app, by the end of day's auto-debit or by an early
settlement — and sent after commit through the member's channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kopcore import events
from kopcore.context import Context
from kopcore.errors import Message
from kopcore.money import Money
from kopcore.records import EventType
from kopcore_loans.messages import _

PAID = "loans.payment-received"


def payment_received(ctx: Context, member_id: int, number: str, paid: Money,
                     outstanding: Money, kind: str) -> None:
    """Record that ``paid`` went to loan ``number``, leaving ``outstanding`` principal."""
    events.emit(ctx, PAID, {"loan": number, "amount": str(paid.amount),
                            "outstanding": str(outstanding.amount), "kind": kind,
                            "date": ctx.business_date.isoformat()}, member_id=member_id)


def render(payload: Mapping[str, Any]) -> Message:
    """``Pembayaran Rp590.000 untuk pinjaman P-0001 diterima. Sisa pokok Rp5.500.000.``"""
    if payload["outstanding"] in ("0", "0.00"):
        return _("Payment of {amount} for loan {loan} received. The loan is paid off.",
                 amount=events.rupiah(payload["amount"]), loan=payload["loan"])
    return _("Payment of {amount} for loan {loan} received. Principal outstanding "
             "{outstanding}.", amount=events.rupiah(payload["amount"]), loan=payload["loan"],
             outstanding=events.rupiah(payload["outstanding"]))


def subject(_payload: Mapping[str, Any]) -> Message:
    return _("Loan payment")


EVENT_TYPES = (EventType(PAID, "A payment on a member's loan was received", render, subject),)
