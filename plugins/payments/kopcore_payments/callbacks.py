"""Gateway callbacks: verified as the gateway documents, then credited once.

The route is public (the gateway holds no API key) and authenticated by what the gateway sends
(Xendit: the ``x-callback-token`` header, compared with the account's verification token). The
gateway in use tries first, then any other gateway that issued channels here and is still
configured (a cooperative that changed gateways still books the old one's late payments);
nothing else of the body is read before one verifies it. Every delivery is
recorded in ``payments_callbacks``:

=============  ===========================================================================
verdict        what happened
=============  ===========================================================================
applied        the payment was new: credited to its target, or to suspense
duplicate      the payment is already in the books (a repeated or late delivery, or a poll
               got there first): nothing is posted
ignored        verified, but about something other than a payment (a VA became active, a
               QR code expired): acknowledged (200) so the gateway stops retrying
bad-token      the token does not verify: refused (401), nothing else read or changed
malformed      the token verifies but the body is not a payment callback: refused (422)
=============  ===========================================================================

A body that is not a JSON object is refused (422) before anything is written. If the database
is down the route fails (5xx) and nothing is half-written: the gateway retries the delivery,
and the payment is credited when it arrives, or by the next poll.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import NotFound, ValidationError
from kopcore_payments import config, crediting, tables
from kopcore_payments.errors import BadCallbackToken, GatewayUnavailable
from kopcore_payments.gateways import GatewayPayment, make_gateway
from kopcore_payments.messages import _

log = logging.getLogger(__name__)


def _record(ctx: Context, gateway: str, body: str, verdict: str, payment_id: str | None = None,
            detail: str | None = None) -> None:
    ctx.conn.execute(tables.callbacks.insert().values(
        gateway=gateway[:32] or "-", verdict=verdict,
        payment_id=payment_id[:128] if payment_id else None,
        detail=detail[:200] if detail else None,
        body_sha256=hashlib.sha256(body.encode("utf-8", "surrogateescape")).hexdigest(),
        received_at=datetime.now(UTC)))


def _json_object(body: str) -> bool:
    if not body.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False


def gateways_with_channels(ctx: Context) -> list[str]:
    """The gateway in use first, then every other gateway that issued channels here: a
    cooperative that changed gateways still receives the old one's late callbacks."""
    current = config.get(ctx, "gateway")
    c = tables.channels.c
    others = ctx.conn.execute(sa.select(c.gateway).distinct().order_by(c.gateway)).scalars()
    return ([current] if current else []) + [g for g in others if g != current]


def _verify(ctx: Context, body: str, token: str) -> tuple[str, GatewayPayment | None]:
    """The gateway whose verification passes, and what it reads. A gateway without its
    settings here cannot have sent it; :class:`BadCallbackToken` when none verifies."""
    for name in gateways_with_channels(ctx):
        try:
            gateway = make_gateway(ctx, name)
        except (GatewayUnavailable, NotFound):
            continue
        try:
            return name, gateway.parse_callback(body, token)
        except BadCallbackToken:
            continue
    raise BadCallbackToken(_("the callback verifies for no payment gateway in use; ignored"))


def receive(ctx: Context, body: str, token: str) -> crediting.Credited:
    """Verify and apply one callback. ``ctx`` is read-only; each outcome commits on its own."""
    if not _json_object(body):
        raise ValidationError(_("not a gateway callback: the body is not a JSON object; "
                                "nothing was recorded"), field="body")
    name = config.get(ctx, "gateway")
    try:
        name, paid = _verify(ctx, body, token)
    except BadCallbackToken:
        log.warning("payments callback refused: token does not verify (%d bytes)", len(body))
        ctx.kernel.write(ctx.actor, lambda w: _record(w, name, body, "bad-token"),
                         operation=ctx.operation)
        raise
    except ValidationError as exc:
        detail = exc.detail
        ctx.kernel.write(ctx.actor, lambda w: _record(w, name, body, "malformed", detail=detail),
                         operation=ctx.operation)
        raise

    if paid is None:
        ctx.kernel.write(ctx.actor, lambda w: _record(w, name, body, "ignored"),
                         operation=ctx.operation)
        return crediting.Credited("ignored", "", "ignored", None, "not a payment")
    payment = paid

    def apply(w: Context) -> crediting.Credited:
        done = crediting.credit(w, name, payment, "callback")
        _record(w, name, body, done.verdict, payment.payment_id, done.reason)
        return done

    return ctx.kernel.write(ctx.actor, apply, operation=ctx.operation)
