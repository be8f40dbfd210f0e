"""Notifications to members: the channel the settings name, and the kernel's ``development``
channel.

Channels are plugins (``kopcore_notification_channels``). :func:`notify` hands a
:class:`~kopcore.records.Notification` to the member's channel (the setting
``notification_channel`` unless the member has one of their own) through the event outbox
(kopcore/_events.py): recorded in the caller's transaction, sent once it committed. The
kernel's own channel ``development`` sends nothing: it keeps the message in
``notification_outbox``, where ``kopcore notify outbox``, the demo and the tests read it. A
cooperative sets a real channel (WhatsApp, SMS, e-mail) before members use the app.
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


def notify(ctx: Context, notification: Notification) -> str:
    """Record ``notification`` as an event of its kind (``member.login-code``...) for its
    member, in ``ctx``'s transaction: nothing is sent before that transaction commits. Returns
    the event id, for :func:`send_now`. The member's channel (``notify.member-channel``, else
    the setting ``notification_channel``) sends it after commit."""
    from kopcore import _events

    member_id = ctx.conn.execute(select(t.members.c.id).where(
        t.members.c.member_number == notification.member_number)).scalar_one()
    event_id = _events.emit(ctx, notification.kind, {"text": notification.text,
                                                     "subject": notification.subject},
                            member_id=member_id)
    assert event_id is not None
    return event_id


def send_now(kernel: Any, event_id: str) -> bool:
    """Deliver the event ``event_id`` now if it was not yet (its transaction committed);
    returns whether it was sent."""
    from kopcore import _events

    row_id = kernel.db.read(lambda conn: conn.execute(select(t.events.c.id).where(
        t.events.c.event_id == event_id)).scalar_one())
    _events.deliver_due(kernel, rows=[row_id])
    return _events.state_of(kernel, event_id) == _events.SENT


def message_text(payload: Any) -> str | None:
    """The text of a kernel message event (``notify``): kept as it was written."""
    text = payload.get("text")
    return str(text) if text else None


def message_subject(payload: Any) -> str:
    return str(payload.get("subject") or "")


def outbox(conn: Any, *, member_number: str | None = None, limit: int = 20
           ) -> list[dict[str, Any]]:
    """The development channel's latest messages, newest first."""
    o = t.notification_outbox.c
    query = select(o.id, o.created_at, o.kind, o.member_number, o.recipient, o.text)
    if member_number:
        query = query.where(o.member_number == member_number)
    return [dict(r._mapping) for r in conn.execute(query.order_by(o.id.desc()).limit(limit))]
