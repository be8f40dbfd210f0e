"""The borrower hears of the money of their loan (kopcore's event outbox,
docs/notifications.md), recorded in the transaction that moved it and sent after commit
through the member's channel:

- ``loans.disbursed``: the loan paid out into the member's savings account;
- ``loans.payment-received``: each payment — at the counter, from the member app, by the end
  of day's auto-debit or by an early settlement.
"""

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
DISBURSED = "loans.disbursed"


def disbursed(ctx: Context, member_id: int, number: str, amount: Money, account: str) -> None:
    """Record that loan ``number`` paid ``amount`` into savings account ``account``."""
    events.emit(ctx, DISBURSED, {"loan": number, "amount": str(amount.amount),
                                 "account": account, "date": ctx.business_date.isoformat()},
                member_id=member_id)


def render_disbursed(payload: Mapping[str, Any]) -> Message:
    """``Pinjaman P-0001 sebesar Rp5.915.000 telah dicairkan ke simpanan S-0001.``"""
    return _("Loan {loan}: {amount} was paid into savings account {account}.",
             loan=payload["loan"], amount=events.rupiah(payload["amount"]),
             account=payload["account"])


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


EVENT_TYPES = (EventType(PAID, "A payment on a member's loan was received", render, subject),
               EventType(DISBURSED, "A member's loan was paid into their savings",
                         render_disbursed, subject))
