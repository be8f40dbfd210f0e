"""Built-in plugin: notifications to members — the ``development`` channel and its outbox.

The outbox holds what the ``development`` channel would have sent (the member app's login
codes): ``kopcore notify outbox`` (``GET /api/v1/notify/outbox``) shows it to an administrator
running a demo or a test. A real channel (WhatsApp, SMS, e-mail) is a plugin's
(``kopcore_notification_channels``), named by the setting ``notification_channel``.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from kopcore import _notify, hookimpl
from kopcore.context import Context
from kopcore.operations import Operation
from kopcore.records import NotificationChannel

#: Administrators only: the outbox holds one-time codes.
MANAGE = "users.manage"


@attrs.frozen
class OutboxIn:
    member: str | None = attrs.field(default=None, metadata={
        "help": "Only the messages to this member number", "max_length": 32})
    limit: int = attrs.field(default=20, metadata={"help": "Messages shown, newest first",
                                                   "minimum": 1, "maximum": 200})


@attrs.frozen
class OutboxMessage:
    id: int
    created_at: datetime
    kind: str
    member_number: str
    recipient: str
    text: str


@attrs.frozen
class OutboxOut:
    channel: str
    messages: list[OutboxMessage]


def outbox(ctx: Context, data: OutboxIn) -> OutboxOut:
    """The messages the development channel kept instead of sending, newest first."""
    return OutboxOut(ctx.settings.notification_channel, [
        OutboxMessage(**row) for row in _notify.outbox(ctx.conn, member_number=data.member,
                                                       limit=data.limit)])


@hookimpl
def kopcore_notification_channels() -> list[NotificationChannel]:
    return [_notify.DEVELOPMENT_CHANNEL]


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [Operation("notify.outbox", OutboxIn, OutboxOut, outbox, permission=MANAGE,
                      mutates=False, summary="Messages kept by the development channel")]
