"""Signed provider callbacks (webhooks): resolve a pending transaction, exactly once.

The callback route is public — the provider holds no API key — and authenticated by the
provider's signature instead (Digiflazz: ``X-Hub-Signature`` over the raw body; a provider plugin
may sign a field of the body). Each provider in use checks its own; the transaction must belong
to the provider whose signature verified. Every delivery
is recorded in ``ppob_callbacks``:

============== ===============================================================================
verdict        what happened
============== ===============================================================================
applied        the transaction was pending and is now settled (posted or released)
pending        the provider reports it still pending, or answers with a code that settles
               nothing (it stays pending; an operator is told): nothing is posted
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
from kopcore_ppob.errors import BadSignature, ProviderUnavailable
from kopcore_ppob.messages import _
from kopcore_ppob.providers import Outcome, Result, make_provider

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


def _verify(ctx: Context, body: str, signature: str) -> tuple[str, Result]:
    """The provider whose signature verifies over the callback, and what it reports.

    Every enabled provider is tried, the chosen one first: each checks its own signature (a
    header, or a field of the body) and refuses what is not its own. A provider without its
    settings here cannot have sent it. Raises :class:`BadSignature` when none verifies and the
    :class:`ValidationError` of a provider whose signature verified over a body it cannot
    read."""
    for name in catalogue.enabled_providers(ctx):
        try:
            provider = make_provider(ctx, name)
            return name, provider.parse_callback(body, signature)
        except (BadSignature, ProviderUnavailable):
            continue
    raise BadSignature(_("the callback's signature verifies for no provider in use; ignored"))


def receive(ctx: Context, body: str, signature: str) -> Delivery:
    """Verify and apply one callback. ``ctx`` is read-only; each outcome commits on its own."""
    if not could_be_a_callback(body):
        raise ValidationError(_("not a provider callback: the body is not a JSON object; "
                                "nothing was recorded"), field="body")
    chosen = catalogue.provider_name(ctx)
    try:
        name, result = _verify(ctx, body, signature)
    except BadSignature:
        log.warning("PPOB callback refused: bad signature (%d bytes)", len(body))
        ctx.kernel.write(ctx.actor, lambda w: _record(w, chosen, body, "bad-signature"),
                         operation=ctx.operation)
        raise
    except ValidationError as exc:
        detail = exc.detail
        ctx.kernel.write(ctx.actor,
                         lambda w: _record(w, chosen, body, "malformed", detail=detail),
                         operation=ctx.operation)
        raise

    def apply(w: Context) -> Delivery:
        txn = flow.get_txn(w, result.ref_id)
        if txn is None or txn.provider != name or txn.status == flow.INQUIRED:
            _record(w, name, body, "unknown-ref", result.ref_id[:64], result.outcome.value)
            log.warning("PPOB callback from %s about unknown ref_id %s", name, result.ref_id)
            return Delivery("unknown-ref", result.ref_id, None)
        after, settled = flow.settle(w, txn.ref_id, result)
        if result.outcome is Outcome.PENDING or after.status == flow.PENDING:
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
