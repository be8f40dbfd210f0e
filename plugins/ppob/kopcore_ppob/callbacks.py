"""Signed provider callbacks (webhooks): resolve a pending transaction, exactly once.

The callback route is public — the provider holds no API key — and authenticated by the
provider's signature over the raw body instead (Digiflazz: ``X-Hub-Signature``). Every delivery
is recorded in ``ppob_callbacks``:

============== ===============================================================================
verdict        what happened
============== ===============================================================================
applied        the transaction was pending and is now settled (posted or released)
pending        the provider reports it still pending: nothing changes
duplicate      the transaction already has this outcome (a repeated or late delivery)
contradicted   the provider contradicts a final outcome: recorded as an anomaly, never posted
unknown-ref    no transaction with this ref_id (or it belongs to another provider)
bad-signature  the signature does not verify: nothing else is read or changed; refused (401)
malformed      the signature verifies but the JSON is not a callback; refused (422)
============== ===============================================================================

A body that cannot be a provider's callback — not a JSON object — is refused (422) before the
signature is checked and before anything is written, so junk sent to the public route leaves no
row behind; the kernel also rate-limits the route per client address.

A callback and the status-polling job may answer the same transaction at once: the conditional
update in :func:`kopcore_ppob.flow.resolve` lets exactly one of them post.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime

import attrs

from kopcore.context import Context
from kopcore.errors import ValidationError
from kopcore_ppob import catalogue, flow, tables
from kopcore_ppob.errors import BadSignature
from kopcore_ppob.providers import Outcome, make_provider

log = logging.getLogger(__name__)


@attrs.frozen
class Delivery:
    verdict: str
    ref_id: str | None
    status: str | None


def _record(ctx: Context, provider: str, body: str, verdict: str, ref_id: str | None = None,
            outcome: str | None = None, detail: str | None = None) -> None:
    ctx.conn.execute(tables.callbacks.insert().values(
        provider=provider, ref_id=ref_id, verdict=verdict, outcome=outcome,
        detail=detail[:200] if detail else None,
        body_sha256=hashlib.sha256(body.encode()).hexdigest(),
        received_at=datetime.now(UTC)))


def could_be_a_callback(body: str) -> bool:
    """Whether ``body`` is a JSON object, as every provider's callback is."""
    if not body.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False


def receive(ctx: Context, body: str, signature: str) -> Delivery:
    """Verify and apply one callback. ``ctx`` is read-only; each outcome commits on its own."""
    if not could_be_a_callback(body):
        raise ValidationError("not a provider callback: the body is not a JSON object; "
                              "nothing was recorded", field="body")
    name = catalogue.provider_name(ctx)
    provider = make_provider(ctx, name)
    try:
        result = provider.parse_callback(body, signature)
    except BadSignature:
        log.warning("PPOB callback for provider %s refused: bad signature (%d bytes)",
                    name, len(body))
        ctx.kernel.write(ctx.actor, lambda w: _record(w, name, body, "bad-signature"),
                         operation=ctx.operation)
        raise
    except ValidationError as exc:
        detail = exc.detail
        ctx.kernel.write(ctx.actor,
                         lambda w: _record(w, name, body, "malformed", detail=detail),
                         operation=ctx.operation)
        raise

    def apply(w: Context) -> Delivery:
        txn = flow.get_txn(w, result.ref_id)
        if txn is None or txn.provider != name or txn.status == flow.INQUIRED:
            _record(w, name, body, "unknown-ref", result.ref_id[:64], result.outcome.value)
            log.warning("PPOB callback from %s about unknown ref_id %s", name, result.ref_id)
            return Delivery("unknown-ref", result.ref_id, None)
        after, settled = flow.settle(w, txn.ref_id, result)
        if result.outcome is Outcome.PENDING:
            verdict = "pending"
        elif settled:
            verdict = "applied"
        elif after.status == result.outcome.value:
            verdict = "duplicate"
        else:
            verdict = "contradicted"
        _record(w, name, body, verdict, txn.ref_id, result.outcome.value, result.message)
        return Delivery(verdict, txn.ref_id, after.status)

    return ctx.kernel.write(ctx.actor, apply, operation=ctx.operation)


def deliveries(ctx: Context, ref_id: str | None, limit: int = 100) -> list[dict[str, object]]:
    c = tables.callbacks.c
    query = tables.callbacks.select().order_by(c.id.desc()).limit(limit)
    if ref_id is not None:
        query = query.where(c.ref_id == ref_id)
    return [dict(row._mapping) for row in ctx.conn.execute(query)]
