"""Built-in plugin: integrators' signed webhooks — subscribe, pause, resume, delete, the
delivery log and replay.

``kopcore webhooks create --url https://akuntansi.example/kopcore --types
savings.entry-posted`` (``POST /api/v1/webhooks/create``) subscribes a URL to event types (or
``*``) and shows the signing secret once; ``webhooks list`` never shows it again.
``webhooks deliveries`` is the delivery log of a subscription, ``webhooks replay`` sends one
delivery again. Changes need ``events.manage``, reading ``events.read``. See the "Webhooks"
section of docs/notifications.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from kopcore import _events, _webhooks, hookimpl
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError, message
from kopcore.operations import Operation
from kopcore.plugins.event_ops import MANAGE, READ


@attrs.frozen
class CreateIn:
    url: str = attrs.field(metadata={
        "help": "Where events are POSTed: https (http only to localhost or 127.0.0.1)",
        "max_length": 500})
    types: str = attrs.field(metadata={
        "help": "Event types to send, separated by spaces or commas "
                "(savings.entry-posted...), or * for all", "max_length": 1000})
    description: str | None = attrs.field(default=None, metadata={
        "help": "Who receives it (the accounting system...)", "max_length": 200})


@attrs.frozen
class WebhookOut:
    webhook: int
    url: str
    #: The event types sent, separated by spaces, or ``*``.
    types: str
    active: bool
    description: str | None
    created_at: datetime
    created_by: str


@attrs.frozen
class CreatedOut:
    webhook: WebhookOut
    #: Signs every body (``Kopcore-Signature``); shown now only, keep it in the receiver.
    secret: str


@attrs.frozen
class WebhooksIn:
    pass


@attrs.frozen
class WebhooksOut:
    webhooks: list[WebhookOut]


@attrs.frozen
class WebhookIn:
    webhook: int = attrs.field(metadata={"help": "Webhook number (from webhooks list)",
                                         "minimum": 1})


@attrs.frozen
class DeletedOut:
    webhook: int
    deleted: bool


@attrs.frozen
class DeliveriesIn:
    webhook: int = attrs.field(metadata={"help": "Webhook number (from webhooks list)",
                                         "minimum": 1})
    state: str | None = attrs.field(default=None, metadata={
        "help": "Only deliveries in this state: pending, sent, failed or dead",
        "max_length": 8})
    limit: int = attrs.field(default=50, metadata={"help": "Deliveries shown, newest first",
                                                   "minimum": 1, "maximum": 500})


@attrs.frozen
class DeliveryOut:
    delivery: int
    webhook: int
    event_id: str
    type: str
    state: str
    attempts: int
    #: The receiver's last HTTP status (none before the first answer or on a network error).
    http_status: int | None
    #: When the event was recorded.
    created_at: datetime
    sent_at: datetime | None
    #: When the next attempt is due (pending and failed deliveries).
    next_attempt_at: datetime | None
    last_error: str | None


@attrs.frozen
class DeliveriesOut:
    deliveries: list[DeliveryOut]


@attrs.frozen
class ReplayIn:
    delivery: int = attrs.field(metadata={"help": "Delivery number (from webhooks deliveries)",
                                          "minimum": 1})


STATES = (_events.PENDING, _events.SENT, _events.FAILED, _events.DEAD)


def _webhook(row: Any) -> WebhookOut:
    return WebhookOut(row.id, row.url, row.types, bool(row.active), row.description,
                      row.created_at, row.created_by)


def _delivery(row: Any) -> DeliveryOut:
    due = row.state in (_events.PENDING, _events.FAILED)
    return DeliveryOut(row.id, row.webhook_id, row.event_id, row.type, row.state,
                       row.attempts, row.http_status, row.created_at, row.sent_at,
                       row.next_attempt_at if due else None, row.last_error)


def create(ctx: Context, data: CreateIn) -> CreatedOut:
    """Subscribe a URL to event types; the signing secret is shown this once."""
    row, secret = _webhooks.create(ctx, data.url, data.types.replace(",", " ").split(),
                                   data.description)
    return CreatedOut(_webhook(row), secret)


def list_webhooks(ctx: Context, _data: WebhooksIn) -> WebhooksOut:
    """The subscriptions (never their secrets)."""
    return WebhooksOut([_webhook(row) for row in _webhooks.listing(ctx.conn)])


def pause(ctx: Context, data: WebhookIn) -> WebhookOut:
    """Send a subscription nothing until it is resumed (its deliveries wait)."""
    return _webhook(_webhooks.set_active(ctx, data.webhook, False))


def resume(ctx: Context, data: WebhookIn) -> WebhookOut:
    """Send a paused subscription its waiting deliveries and new events again."""
    return _webhook(_webhooks.set_active(ctx, data.webhook, True))


def delete(ctx: Context, data: WebhookIn) -> DeletedOut:
    """Remove a subscription and its delivery log."""
    _webhooks.delete(ctx, data.webhook)
    return DeletedOut(data.webhook, True)


def list_deliveries(ctx: Context, data: DeliveriesIn) -> DeliveriesOut:
    """The delivery log of a subscription, newest first."""
    if data.state is not None and data.state not in STATES:
        raise ValidationError(message("state must be one of {states}",
                                      states=", ".join(STATES)), field="state")
    return DeliveriesOut([_delivery(row) for row in _webhooks.deliveries(
        ctx.conn, data.webhook, state=data.state, limit=data.limit)])


def replay(ctx: Context, data: ReplayIn) -> DeliveryOut:
    """Send a delivery again, with the same event id."""
    return _delivery(_webhooks.replay(ctx, data.delivery))


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("webhooks.create", CreateIn, CreatedOut, create, permission=MANAGE,
                  mutates=True, summary="Subscribe a URL to events, signed with a new secret",
                  errors=(ValidationError,)),
        Operation("webhooks.list", WebhooksIn, WebhooksOut, list_webhooks, permission=READ,
                  mutates=False, summary="The webhook subscriptions"),
        Operation("webhooks.pause", WebhookIn, WebhookOut, pause, permission=MANAGE,
                  mutates=True, summary="Send a webhook nothing until it is resumed",
                  errors=(NotFound,)),
        Operation("webhooks.resume", WebhookIn, WebhookOut, resume, permission=MANAGE,
                  mutates=True, summary="Send a paused webhook its events again",
                  errors=(NotFound,)),
        Operation("webhooks.delete", WebhookIn, DeletedOut, delete, permission=MANAGE,
                  mutates=True, summary="Remove a webhook and its delivery log",
                  errors=(NotFound,)),
        Operation("webhooks.deliveries", DeliveriesIn, DeliveriesOut, list_deliveries,
                  permission=READ, mutates=False, summary="The delivery log of a webhook",
                  errors=(NotFound, ValidationError)),
        Operation("webhooks.replay", ReplayIn, DeliveryOut, replay, permission=MANAGE,
                  mutates=True, summary="Send a webhook delivery again, with the same event id",
                  errors=(NotFound, Conflict)),
    ]
