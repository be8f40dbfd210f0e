"""Invoking an operation: the single path behind every route and every command.

load input → authorise → (mutations) replay or claim the idempotency key → maker-checker →
run the handler in one transaction → record the idempotency result and the audit row in that
same transaction. A failed mutation is audited in its own small transaction, so refusals are on
the record too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kopcore.auth import Principal
from kopcore.context import Context
from kopcore.db import tables as t
from kopcore.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    KopcoreError,
    NotFound,
    ValidationError,
)
from kopcore.interfaces.convert import dump, load
from kopcore.kernel import Kernel
from kopcore.ledger.accounts import get_account
from kopcore.ledger.members import get_member
from kopcore.ledger.posting import request_digest
from kopcore.operations import Operation

log = logging.getLogger(__name__)


@attrs.frozen
class Outcome:
    """What an interface shows: an HTTP-like status and the JSON payload."""

    status: int
    payload: Any
    replayed: bool = False


def _same_amounts(value: Any) -> Any:
    """The input as digested for idempotency: equal amounts written differently ("50000" and
    "50000.00") are the same request."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if attrs.has(type(value)):
        return {f.name: _same_amounts(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, list | tuple):
        return [_same_amounts(v) for v in value]
    return dump(value)


def authorise(ctx: Context, op: Operation, data: Any, principal: Principal) -> None:
    """Refuse with Forbidden unless the principal holds the permission and, for a member,
    every account and member the input names is their own."""
    if not principal.can(op.permission):
        raise Forbidden(f"role {principal.role} may not {op.name} (needs {op.permission})")
    if principal.role != "member":
        return
    if not (op.account_fields or op.member_fields):
        if op.self_service:
            return
        raise Forbidden(f"members may not call {op.name}")
    # A number that does not exist is refused like someone else's: a member learns nothing
    # about which account or member numbers exist.
    for name in op.account_fields:
        number = getattr(data, name)
        try:
            owner = get_account(ctx, number).member_id if number is not None else None
        except NotFound:
            owner = None
        if owner is None or owner != principal.member_id:
            raise Forbidden("members may only use their own accounts")
    for name in op.member_fields:
        number = getattr(data, name)
        try:
            member_id = get_member(ctx, number).id if number is not None else None
        except NotFound:
            member_id = None
        if member_id is None or member_id != principal.member_id:
            raise Forbidden("members may only see their own membership")


def _stored(ctx: Context, actor: str, key: str) -> Any:
    r = t.idempotency_records.c
    return ctx.conn.execute(
        select(r.operation, r.request_digest, r.status_code, r.response)
        .where(r.actor == actor, r.key == key)
    ).first()


def _replay_or_conflict(row: Any, op: Operation, digest: str, key: str) -> Outcome:
    if row.operation != op.name or row.request_digest != digest:
        raise IdempotencyConflict(
            f"Idempotency-Key {key!r} was already used for a different request"
        )
    return Outcome(row.status_code, json.loads(row.response), replayed=True)


def _audit(ctx: Context, op: Operation, interface: str, digest: str, outcome: str,
           detail: str | None = None) -> None:
    ctx.conn.execute(t.audit_log.insert().values(
        at=datetime.now(UTC), actor=ctx.actor, interface=interface, operation=op.name,
        input_digest=digest, outcome=outcome, detail=detail[:500] if detail else None,
    ))


def _needs_approval(kernel: Kernel, op: Operation, data: Any) -> bool:
    threshold = kernel.settings.approval_thresholds.get(op.name)
    if threshold is None or op.approval_amount_field is None:
        return False
    amount = getattr(data, op.approval_amount_field)
    return isinstance(amount, Decimal) and abs(amount) >= threshold


def invoke(
    kernel: Kernel,
    op: Operation,
    raw: Mapping[str, Any],
    principal: Principal,
    *,
    interface: str,
    idempotency_key: str | None = None,
    from_text: bool = False,
    approved_by: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Outcome:
    """Run ``op`` for ``principal`` on raw input; raises KopcoreError for every refusal."""
    try:
        data: Any = load(op.input, raw, from_text=from_text)
    except KopcoreError as exc:
        if op.mutates:
            digest = request_digest({"op": op.name, "raw": dict(raw)})
            _audit_failure(kernel, op, principal, interface, digest, exc)
        raise
    # The digest of the parsed input: the same request through the API or the CLI is equal.
    canonical = dump(data)
    digest = request_digest({"op": op.name, "input": _same_amounts(data)})
    if not op.mutates:
        def read(ctx: Context) -> Outcome:
            authorise(ctx, op, data, principal)
            return Outcome(200, dump(op.handler(ctx, data)))

        return kernel.read(principal.username, read, operation=op.name, principal=principal)

    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise ValidationError("Idempotency-Key must be 1-200 characters", field="Idempotency-Key")
    if idempotency_key is not None and op.sensitive_output:
        raise ValidationError(f"{op.name} returns a secret once and takes no Idempotency-Key",
                              field="Idempotency-Key")
    if op.own_transactions:
        return _invoke_outside(kernel, op, data, principal, interface, digest, progress,
                               idempotency_key)

    def mutate(ctx: Context) -> Outcome:
        authorise(ctx, op, data, principal)
        if idempotency_key is not None:
            row = _stored(ctx, principal.username, idempotency_key)
            if row is not None:
                return _replay_or_conflict(row, op, digest, idempotency_key)
            # Claim the key before acting: a concurrent request with the same key waits on this
            # row until we commit (then replays our result) or roll back (then acts itself),
            # instead of acting on the state we leave and answering, say, insufficient-funds.
            _remember(ctx, op, principal, idempotency_key, digest, Outcome(0, None))
        if approved_by is None and _needs_approval(kernel, op, data):
            outcome = _queue_for_approval(ctx, op, canonical, principal)
            _audit(ctx, op, interface, digest, "approval-required",
                   f"approval {outcome.payload['approval_id']}")
        else:
            result = dump(op.handler(ctx, data))
            outcome = Outcome(200, result)
            note = f"approved by {approved_by}" if approved_by else None
            _audit(ctx, op, interface, digest, "ok", note)
        if idempotency_key is not None:
            r = t.idempotency_records.c
            ctx.conn.execute(update(t.idempotency_records)
                             .where(r.actor == principal.username, r.key == idempotency_key)
                             .values(status_code=outcome.status,
                                     response=json.dumps(outcome.payload)))
        return outcome

    try:
        return kernel.write(principal.username, mutate, operation=op.name, principal=principal)
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its result.
        if idempotency_key is not None:
            row = kernel.read(principal.username,
                              lambda ctx: _stored(ctx, principal.username, idempotency_key))
            if row is not None:
                return _replay_or_conflict(row, op, digest, idempotency_key)
        # A unique constraint lost a race with a concurrent request (the same NIK registered
        # twice at once, say): nothing of this request was written.
        error = Conflict(f"{op.name} conflicts with a concurrent change; nothing was written. "
                         "Check the current state and retry.")
        _audit_failure(kernel, op, principal, interface, digest, error)
        raise error from None
    except KopcoreError as exc:
        _audit_failure(kernel, op, principal, interface, digest, exc)
        raise


def _remember(ctx: Context, op: Operation, principal: Principal, key: str, digest: str,
              outcome: Outcome) -> None:
    ctx.conn.execute(t.idempotency_records.insert().values(
        actor=principal.username, key=key, operation=op.name, request_digest=digest,
        status_code=outcome.status, response=json.dumps(outcome.payload),
        created_at=datetime.now(UTC),
    ))


def _invoke_outside(kernel: Kernel, op: Operation, data: Any, principal: Principal,
                    interface: str, digest: str,
                    progress: Callable[[str, int, int], None] | None,
                    idempotency_key: str | None) -> Outcome:
    def run(ctx: Context) -> Outcome:
        ctx.progress = progress
        authorise(ctx, op, data, principal)
        if idempotency_key is not None:
            row = _stored(ctx, principal.username, idempotency_key)
            if row is not None:
                return _replay_or_conflict(row, op, digest, idempotency_key)
        return Outcome(200, dump(op.handler(ctx, data)))

    try:
        outcome = kernel.read(principal.username, run, operation=op.name, principal=principal)
    except KopcoreError as exc:
        _audit_failure(kernel, op, principal, interface, digest, exc)
        raise
    if outcome.replayed:
        return outcome

    def record(ctx: Context) -> None:
        _audit(ctx, op, interface, digest, "ok")
        if idempotency_key is not None:
            _remember(ctx, op, principal, idempotency_key, digest, outcome)

    try:
        kernel.write(principal.username, record, operation=op.name)
    except IntegrityError:
        # A concurrent run with the same key recorded first (the handler guards its own work,
        # as end of day never applies a day twice): keep the audit row.
        kernel.write(principal.username, lambda ctx: _audit(ctx, op, interface, digest, "ok"),
                     operation=op.name)
    return outcome


def _audit_failure(kernel: Kernel, op: Operation, principal: Principal, interface: str,
                   digest: str, exc: KopcoreError) -> None:
    try:
        kernel.write(principal.username,
                     lambda ctx: _audit(ctx, op, interface, digest, exc.code, exc.detail),
                     operation=op.name)
    except Exception:  # the refusal itself must still reach the caller
        log.exception("could not audit refused %s", op.name)


def _queue_for_approval(ctx: Context, op: Operation, canonical: dict[str, Any],
                        principal: Principal) -> Outcome:
    approval_id = ctx.conn.execute(t.approvals.insert().values(
        operation=op.name, input=json.dumps(canonical), maker=principal.username,
        status="pending", created_at=datetime.now(UTC),
    ).returning(t.approvals.c.id)).scalar_one()
    return Outcome(202, {
        "status": "approval-required", "approval_id": approval_id,
        "detail": f"{op.name} at this amount needs a second person's approval "
                  f"(approvals approve --approval-id {approval_id})",
    })
