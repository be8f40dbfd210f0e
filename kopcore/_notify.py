"""Notifications to members: the channel the settings name, and the kernel's ``development``
channel.

Channels are plugins (``kopcore_notification_channels``). :func:`notify` hands a
:class:`~kopcore.records.Notification` to the channel the setting ``notification_channel``
names, inside the caller's transaction. The kernel's own channel ``development`` sends
nothing: it keeps the message in ``notification_outbox``, where ``kopcore notify outbox``, the
demo and the tests read it. A cooperative sets a real channel (WhatsApp, SMS) before members
use the app.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import ConfigurationError
from kopcore.records import Notification, NotificationChannel

DEVELOPMENT = "development"


def keep_in_outbox(ctx: Context, notification: Notification) -> None:
    """The ``development`` channel: the message goes to the outbox table, nowhere else."""
    ctx.conn.execute(t.notification_outbox.insert().values(
        created_at=datetime.now(UTC), kind=notification.kind,
        member_number=notification.member_number, recipient=notification.recipient,
        text=notification.text))


DEVELOPMENT_CHANNEL = NotificationChannel(
    DEVELOPMENT, "Keeps messages in the outbox table (kopcore notify outbox); sends nothing",
    keep_in_outbox)


def channel(plugins: Any, name: str) -> NotificationChannel:
    """The channel ``name`` (the setting ``notification_channel``), or a ConfigurationError."""
    claimed = plugins.notification_channels.get(name)
    if claimed is None:
        known = ", ".join(sorted(plugins.notification_channels)) or "none"
        raise ConfigurationError(f"notification_channel {name!r} is not a loaded channel "
                                 f"(loaded: {known})")
    found: NotificationChannel = claimed.value
    return found


def notify(ctx: Context, notification: Notification) -> None:
    """Hand ``notification`` to the cooperative's channel, in ``ctx``'s transaction."""
    channel(ctx.kernel.plugins, ctx.settings.notification_channel).deliver(ctx, notification)


def outbox(conn: Any, *, member_number: str | None = None, limit: int = 20
           ) -> list[dict[str, Any]]:
    """The development channel's latest messages, newest first."""
    o = t.notification_outbox.c
    query = select(o.id, o.created_at, o.kind, o.member_number, o.recipient, o.text)
    if member_number:
        query = query.where(o.member_number == member_number)
    return [dict(r._mapping) for r in conn.execute(query.order_by(o.id.desc()).limit(limit))]
