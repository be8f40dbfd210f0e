"""Events: facts a plugin records for members in the transaction that caused them.

A plugin declares its event types (``kopcore_event_types``, :class:`kopcore.records.EventType`)
and records an event with :func:`emit` inside the operation or end-of-day chunk that caused it
(the entry posted, the installment due): a rolled-back operation leaves no event. The kernel
delivers it after commit, at least once, through the member's notification channel, with the
event id as the provider's idempotency key (docs/notifications.md)::

    from kopcore import events

    events.emit(ctx, "celengan.deposited", {"account": number, "amount": str(amount.amount)},
                member_id=account.member_id)
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kopcore import _events
from kopcore.context import Context
from kopcore.money import Money

__all__ = ["emit", "rupiah"]


def emit(ctx: Context, type_name: str, payload: Mapping[str, Any], *,
         member_id: int | None = None, dedup_key: str | None = None) -> str | None:
    """Record an event of the declared type ``type_name`` for member ``member_id`` in
    ``ctx``'s transaction; ``payload`` is JSON (text, whole numbers, booleans; dates and
    anything else are kept as their text). Returns the event id, or ``None`` when an event
    with the same ``dedup_key`` was recorded before (an end-of-day chunk run again).
    An undeclared type raises ``ConfigurationError``."""
    return _events.emit(ctx, type_name, payload, member_id=member_id, dedup_key=dedup_key)


def rupiah(amount: int | str | Decimal | Money) -> str:
    """An amount for a message to a member, as UI.md writes amounts in rupiah:
    ``Rp1.250.000`` (``Rp1.250.000,50`` when it has sen). Anything but :class:`Money` is read
    in major units (``1250000``, ``"1250000.00"``), as a payload keeps an amount."""
    money = amount if isinstance(amount, Money) else Money.parse(amount)
    text = money.format()
    return text[:-3] if text.endswith(",00") else text
