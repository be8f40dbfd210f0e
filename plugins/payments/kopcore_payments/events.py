"""The member hears of money that came in for them through a gateway (kopcore's event outbox,
docs/notifications.md): ``payments.received``, recorded when a payment into the member's open
virtual account is credited to their account, and sent after commit through the member's
channel. A bill's payment runs its target operation (``savings.deposit``, ``loans.repay``),
which tells the member itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kopcore import events
from kopcore.context import Context
from kopcore.errors import Message
from kopcore.money import Money
from kopcore.records import EventType
from kopcore_payments.messages import _

RECEIVED = "payments.received"


def received(ctx: Context, member_id: int, gateway: str, amount: Money, accounts: str) -> None:
    events.emit(ctx, RECEIVED, {"gateway": gateway, "amount": str(amount.amount),
                                "accounts": accounts, "date": ctx.business_date.isoformat()},
                member_id=member_id)


def render(payload: Mapping[str, Any]) -> Message:
    """``Dana Rp500.000 melalui virtual account masuk ke rekening S-0001.``"""
    return _("{amount} paid to your virtual account was credited to {accounts}.",
             amount=events.rupiah(payload["amount"]), accounts=payload["accounts"])


def subject(_payload: Mapping[str, Any]) -> Message:
    return _("Money received")


EVENT_TYPES = (EventType(RECEIVED, "Money paid into a member's virtual account was credited",
                         render, subject),)
