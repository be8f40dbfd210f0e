"""The facts a savings movement tells the member (kopcore's event outbox, docs/notifications.md):
``savings.entry-posted``, recorded in the movement's transaction and sent after commit through
the member's notification channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kopcore import events, ledger
from kopcore.context import Context
from kopcore.errors import Message
from kopcore.ledger import JournalEntry
from kopcore.money import Money
from kopcore.records import EventType
from kopcore_savings.messages import _

ENTRY_POSTED = "savings.entry-posted"


def entry_posted(ctx: Context, member_id: int, number: str, amount: Money, incoming: bool,
                 entry: JournalEntry) -> None:
    """Record that ``amount`` went into (``incoming``) or out of savings account ``number``."""
    balance = ledger.get_account(ctx, number).balance
    events.emit(ctx, ENTRY_POSTED, {
        "account": number, "amount": str(amount.amount), "direction": "in" if incoming
        else "out", "balance": str(balance.amount), "entry": entry.id,
        "date": ctx.business_date.isoformat()}, member_id=member_id)


def render(payload: Mapping[str, Any]) -> Message:
    """``Setoran Rp1.250.000 ke simpanan S-0001 diterima. Saldo Rp2.500.000.``"""
    amount, balance = events.rupiah(payload["amount"]), events.rupiah(payload["balance"])
    if payload["direction"] == "in":
        return _("Deposit of {amount} to savings account {account} received. Balance "
                 "{balance}.", amount=amount, account=payload["account"], balance=balance)
    return _("Withdrawal of {amount} from savings account {account}. Balance {balance}.",
             amount=amount, account=payload["account"], balance=balance)


def subject(_payload: Mapping[str, Any]) -> Message:
    return _("Savings account movement")


EVENT_TYPES = (EventType(ENTRY_POSTED, "Money into or out of a member's savings account",
                         render, subject),)
