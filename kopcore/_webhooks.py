"""Signed outbound webhooks: events POSTed to integrators' URLs, signed, retried, logged.

An integrator (a vendor's app, an accounting system) subscribes a URL to event types (or
``*``). When an event is recorded (:func:`kopcore._events.emit`), :func:`enqueue` adds one
delivery per active subscription whose types match, in the same transaction: a rolled-back
operation leaves none. Deliveries go out like the member notifications: after commit (unless
``event_delivery = "worker"``) and by ``kopcore events work`` / ``events deliver``, claimed,
retried and given up with the outbox's code (:func:`kopcore._events.claim`, ``retry``,
``drain``). Event types marked ``secret`` (one-time codes) are never sent to a webhook.

The body is ``{"id", "type", "created_at", "data"}`` as JSON; the headers ``Kopcore-Event-Id``,
``Kopcore-Timestamp`` (unix seconds) and ``Kopcore-Signature: v1=<hex HMAC-SHA256 of
"<timestamp>.<body>" keyed with the subscription's secret>``. A 2xx answer is delivered; any
other answer or a network error is retried; ``410 Gone`` pauses the subscription.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import DBAPIError

from kopcore import _events
from kopcore._db import tables as t
from kopcore._db.database import after_commit
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError, message

log = logging.getLogger(__name__)

#: Every event type (but the secret ones).
ALL = "*"
#: Hosts a plain-http URL may name (an integrator testing on the same machine).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: Seconds a receiver has to answer.
TIMEOUT = 10
SIGNATURE_VERSION = "v1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Kopcore-Signature`` header's value: ``v1=`` and the hex HMAC-SHA256 of
    ``"<timestamp>.<body>"`` keyed with ``secret``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def check_url(url: str) -> str:
    """``url`` if it is https, or http to this machine (localhost, 127.0.0.1); else a
    ValidationError."""
    try:
        parts = urlsplit(url.strip())
        host, _port = parts.hostname, parts.port
    except ValueError:  # "http://[", a port that is not a number
        host = None
    local = host in LOCAL_HOSTS and parts.scheme == "http"
    if not host or not (parts.scheme == "https" or local) or any(
            ch.isspace() for ch in url.strip()):
        raise ValidationError(message("the webhook URL must be https (http only to localhost "
                                      "or 127.0.0.1): {url}", url=url), field="url")
    return url.strip()


def check_types(ctx: Context, types: Sequence[str]) -> str:
    """The subscribed types as stored (space separated, or ``*``): declared, not secret."""
    names = sorted({name for name in types if name})
    if not names:
        raise ValidationError(message("name the event types to send, or *"), field="types")
    if ALL in names:
        return ALL
    for name in names:
        declared = ctx.kernel.plugins.event_types.get(name)
        if declared is None or declared.value.secret:
            raise ValidationError(message("no event type {type} can be sent to a webhook",
                                          type=name), field="types")
    return " ".join(names)


def create(ctx: Context, url: str, types: Sequence[str],
           description: str | None = None) -> tuple[Any, str]:
    """Subscribe ``url`` to ``types``; returns the subscription and its secret, which is
    never shown again."""
    url = check_url(url)
    stored = check_types(ctx, types)
    secret = "whsec_" + secrets.token_hex(32)
    inserted = ctx.conn.execute(t.webhooks.insert().values(
        url=url, types=stored, secret=secret, active=True, description=description or None,
        created_at=_events._now(), created_by=ctx.actor)).inserted_primary_key
    assert inserted is not None
    return get(ctx.conn, int(inserted[0])), secret


def get(conn: Connection, webhook_id: int) -> Any:
    """The subscription ``webhook_id`` or NotFound."""
    row = conn.execute(select(t.webhooks).where(t.webhooks.c.id == webhook_id)).first()
    if row is None:
        raise NotFound(message("no webhook {webhook}", webhook=webhook_id))
    return row


def listing(conn: Connection) -> list[Any]:
    """Every subscription, oldest first."""
    return list(conn.execute(select(t.webhooks).order_by(t.webhooks.c.id)))


def set_active(ctx: Context, webhook_id: int, active: bool) -> Any:
    """Pause (nothing is sent, due deliveries wait) or resume a subscription."""
    get(ctx.conn, webhook_id)
    ctx.conn.execute(update(t.webhooks).where(t.webhooks.c.id == webhook_id)
                     .values(active=active))
    if active:
        d = t.webhook_deliveries.c
        waiting = ctx.conn.execute(select(d.id).where(
            d.webhook_id == webhook_id, d.state.in_((_events.PENDING, _events.FAILED)))).all()
        schedule(ctx, [int(r.id) for r in waiting])
    return get(ctx.conn, webhook_id)


def delete(ctx: Context, webhook_id: int) -> None:
    """Remove a subscription and its delivery log."""
    get(ctx.conn, webhook_id)
    ctx.conn.execute(t.webhook_deliveries.delete().where(
        t.webhook_deliveries.c.webhook_id == webhook_id))
    ctx.conn.execute(t.webhooks.delete().where(t.webhooks.c.id == webhook_id))


def enqueue(ctx: Context, event_row: int, type_name: str) -> None:
    """Add a delivery of event ``event_row`` for every active subscription to its type, in
    ``ctx``'s transaction (a secret event type goes to no webhook)."""
    declared = ctx.kernel.plugins.event_types.get(type_name)
    if declared is None or declared.value.secret:
        return
    w = t.webhooks.c
    wanted = [int(row.id) for row in ctx.conn.execute(
        select(w.id, w.types).where(w.active.is_(True)).order_by(w.id))
        if row.types == ALL or type_name in row.types.split()]
    if not wanted:
        return
    now = _events._now()
    ids = []
    for webhook_id in wanted:
        inserted = ctx.conn.execute(t.webhook_deliveries.insert().values(
            event_row_id=event_row, webhook_id=webhook_id, state=_events.PENDING, attempts=0,
            next_attempt_at=now)).inserted_primary_key
        assert inserted is not None
        ids.append(int(inserted[0]))
    schedule(ctx, ids)


def schedule(ctx: Context, rows: list[int]) -> None:
    """Deliver ``rows`` once ``ctx``'s transaction committed (``event_delivery =
    "after-commit"``)."""
    if rows and ctx.settings.event_delivery == "after-commit":
        kernel = ctx.kernel

        def deliver_them() -> None:
            deliver_due(kernel, rows=rows)

        after_commit(ctx.conn, deliver_them)


def body(event: Any) -> bytes:
    """The JSON a receiver is sent for ``event`` (a row of ``events``)."""
    created: datetime = event.created_at
    return json.dumps({"id": event.event_id, "type": event.type,
                       "created_at": created.isoformat(),
                       "data": json.loads(event.payload)},
                      sort_keys=True, separators=(",", ":")).encode()


def post(url: str, secret: str, event_id: str, data: bytes, now: datetime) -> int:
    """POST ``data`` signed to ``url``; the HTTP status (raises on a network error)."""
    timestamp = int(now.timestamp())
    # The scheme is https or http (check_url), never file: or another.
    request = urllib.request.Request(url, data=data, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "User-Agent": "kopcore-webhooks",
        "Kopcore-Event-Id": event_id, "Kopcore-Timestamp": str(timestamp),
        "Kopcore-Signature": sign(secret, timestamp, data)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
            status: int = answer.status
    except urllib.error.HTTPError as refused:
        status = refused.code
    return status


def _deliver(ctx: Context, row: Any, now: datetime) -> str:
    """Send one claimed delivery; returns its new state."""
    d = t.webhook_deliveries.c
    attempts = row.attempts + 1
    status: int | None = None
    try:
        status = post(row.url, row.secret, row.event_id, body(row), now)
        if 200 <= status < 300:
            ctx.conn.execute(update(t.webhook_deliveries).where(d.id == row.id).values(
                state=_events.SENT, attempts=attempts, http_status=status, sent_at=now,
                last_error=None))
            return _events.SENT
        error = f"HTTP {status}"
    except DBAPIError:  # the database failed, not the receiver: roll back, try later
        raise
    except Exception as exc:  # a refused connection, a timeout: try again
        error = f"{type(exc).__name__}: {exc}"
    failed = _events.retry(attempts, ctx.settings.event_max_attempts, now)
    if status == 410:  # Gone: the integrator wants no more
        failed["state"] = _events.DEAD
        error = "HTTP 410 Gone: subscription paused"
        ctx.conn.execute(update(t.webhooks).where(t.webhooks.c.id == row.webhook_id)
                         .values(active=False))
    log.warning("webhook %s: event %s not delivered, attempt %d: %s", row.webhook_id,
                row.event_id, attempts, error)
    ctx.conn.execute(update(t.webhook_deliveries).where(d.id == row.id).values(
        **failed, http_status=status, last_error=error[:500]))
    state: str = failed["state"]
    return state


def deliver_in(ctx: Context, *, rows: Sequence[int] | None = None,
               now: datetime | None = None) -> Counter[str]:
    """Deliver at most one due delivery of an active subscription, in ``ctx``'s
    transaction."""
    now = now or _events._now()
    d, w, e = t.webhook_deliveries.c, t.webhooks.c, t.events.c
    query = (select(d.id, d.webhook_id, d.attempts, w.url, w.secret, e.event_id, e.type,
                    e.created_at, e.payload)
             .select_from(t.webhook_deliveries.join(t.webhooks, w.id == d.webhook_id)
                          .join(t.events, e.id == d.event_row_id))
             .where(w.active.is_(True)))
    row = _events.claim(ctx, query, t.webhook_deliveries, now, rows)
    done: Counter[str] = Counter()
    if row is not None:
        done[_deliver(ctx, row, now)] += 1
    return done


def deliver_due(kernel: Any, *, rows: Sequence[int] | None = None, limit: int = 1000,
                now: datetime | None = None) -> Counter[str]:
    """Deliver the webhook deliveries that are due, one per transaction; counts by state."""
    return _events.drain(kernel, lambda ctx: deliver_in(ctx, rows=rows, now=now), limit)


def deliveries(conn: Connection, webhook_id: int, *, state: str | None = None,
               limit: int = 50) -> list[Any]:
    """The delivery log of subscription ``webhook_id``, newest first."""
    get(conn, webhook_id)
    d, e = t.webhook_deliveries.c, t.events.c
    query = (select(t.webhook_deliveries, e.event_id, e.type, e.created_at)
             .select_from(t.webhook_deliveries.join(t.events, e.id == d.event_row_id))
             .where(d.webhook_id == webhook_id))
    if state:
        query = query.where(d.state == state)
    return list(conn.execute(query.order_by(d.id.desc()).limit(limit)))


def _delivery(conn: Connection, delivery_id: int) -> Any:
    d, e = t.webhook_deliveries.c, t.events.c
    row = conn.execute(select(t.webhook_deliveries, e.event_id, e.type, e.created_at)
                       .select_from(t.webhook_deliveries.join(t.events,
                                                              e.id == d.event_row_id))
                       .where(d.id == delivery_id)).first()
    if row is None:
        raise NotFound(message("no webhook delivery {delivery}", delivery=delivery_id))
    return row


def replay(ctx: Context, delivery_id: int) -> Any:
    """Send a delivery again, attempts counted from zero, with the same event id (the
    receiver dedupes by it). A paused subscription's delivery waits until it is resumed."""
    row = _delivery(ctx.conn, delivery_id)
    if not get(ctx.conn, row.webhook_id).active:
        raise Conflict(message("webhook {webhook} is paused: resume it first",
                               webhook=row.webhook_id))
    ctx.conn.execute(update(t.webhook_deliveries).where(
        t.webhook_deliveries.c.id == delivery_id).values(
        state=_events.PENDING, attempts=0, next_attempt_at=_events._now(), last_error=None))
    schedule(ctx, [delivery_id])
    return _delivery(ctx.conn, delivery_id)
