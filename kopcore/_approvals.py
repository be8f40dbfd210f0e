"""Maker-checker: a request at or above its threshold waits for a second person.

- **Gate** (:func:`gate`, a step of every mutation call): when ``[approval_thresholds]`` names
  the operation and the request's amount is at or above it, the request is queued instead of
  run; the maker's audit row says ``approval-required`` and the caller gets 202 with the
  approval id.
- **List** (:func:`list_approvals`), **approve** (:func:`approve`) and **reject**
  (:func:`reject`), run by the operations ``approvals.*``.

Approving runs the queued request through the invocation steps of any call
(:mod:`kopcore._invocation`): the maker is authorised for the operation again (their role may
have lost the permission since, or the record rule may now refuse), the handler runs as the
maker in the approver's transaction, and its ``ok`` audit row (interface ``approval``, naming
the approver) carries the same input digest as the maker's ``approval-required`` row. The
approver was authorised for ``approvals.approve`` by the call that runs :func:`approve`, and is
never the maker (four eyes).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
from sqlalchemy import select, update

from kopcore._auth import Principal, principal_for
from kopcore._db import tables as t
from kopcore._invocation import Audit, Outcome, authorise, execute, input_digest
from kopcore.context import Context
from kopcore.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError, message
from kopcore.interfaces._convert import dump, load
from kopcore.operations import Operation

STATUSES = ("pending", "approved", "rejected")


@attrs.frozen
class Approval:
    """A request that waited (or waits) for a second person, with its decision; ``result`` is
    the answer of the approved request."""

    approval_id: int
    operation: str
    status: str
    maker: str
    checker: str | None
    input: dict[str, Any]
    result: Any

    @classmethod
    def of(cls, row: Any) -> Approval:
        return cls(row.id, row.operation, row.status, row.maker, row.checker,
                   json.loads(row.input), json.loads(row.result) if row.result else None)


def needs_approval(ctx: Context, op: Operation, data: Any) -> bool:
    """Whether the settings' threshold for ``op`` is reached by the request's amount."""
    threshold = ctx.settings.approval_thresholds.get(op.name)
    if threshold is None or op.approval_amount_field is None:
        return False
    amount = getattr(data, op.approval_amount_field)
    return isinstance(amount, Decimal) and abs(amount) >= threshold


def gate(ctx: Context, op: Operation, data: Any, maker: Principal, audit: Audit
         ) -> Outcome | None:
    """Queue the request when it needs a second person (202 and the approval id, audited as
    ``approval-required``); None when it may run now."""
    if not needs_approval(ctx, op, data):
        return None
    approval_id = queue(ctx, op, data, maker)
    audit.record(ctx, "approval-required", f"approval {approval_id}")
    return Outcome(202, {
        "status": "approval-required", "approval_id": approval_id,
        "detail": f"{op.name} at this amount needs a second person's approval "
                  f"(approvals approve --approval-id {approval_id})",
    })


def queue(ctx: Context, op: Operation, data: Any, maker: Principal) -> int:
    """Store a loaded request as pending; returns the approval id."""
    return int(ctx.conn.execute(t.approvals.insert().values(
        operation=op.name, input=json.dumps(dump(data)), maker=maker.username,
        status="pending", created_at=datetime.now(UTC),
    ).returning(t.approvals.c.id)).scalar_one())


def list_approvals(ctx: Context, status: str) -> list[Approval]:
    """The requests with ``status`` (pending, approved or rejected), oldest first."""
    if status not in STATUSES:
        raise ValidationError(message("status must be pending, approved or rejected"),
                              field="status")
    rows = ctx.conn.execute(select(t.approvals).where(t.approvals.c.status == status)
                            .order_by(t.approvals.c.id))
    return [Approval.of(row) for row in rows]


def approve(ctx: Context, approval_id: int) -> Approval:
    """Run a pending request now, as its maker, in this transaction; ``ctx.actor`` approves."""
    row = _pending(ctx, approval_id)
    claimed = ctx.kernel.plugins.operations.get(row.operation)
    if claimed is None:
        raise Conflict(message("approval {approval}: operation {operation} is not enabled "
                               "here", approval=row.id, operation=row.operation))
    op: Operation = claimed.value
    try:
        maker = principal_for(ctx.conn, ctx.kernel.plugins, row.maker)
    except Unauthorized:
        raise Conflict(message("approval {approval}: its maker {maker} is no longer an active "
                               "user; reject it", approval=row.id, maker=row.maker)) from None
    as_maker = Context(ctx.kernel, ctx.conn, maker.username, op.name, maker)
    data = load(op.input, json.loads(row.input))
    authorise(as_maker, op, data, maker)
    audit = Audit(op, maker.username, "approval", input_digest(op, data))
    outcome = execute(as_maker, op, data, audit, f"approval {row.id} by {ctx.actor}")
    return _decide(ctx, row.id, "approved", result=json.dumps(outcome.payload))


def reject(ctx: Context, approval_id: int) -> Approval:
    """Refuse a pending request; nothing of it runs. ``ctx.actor`` rejects."""
    return _decide(ctx, _pending(ctx, approval_id).id, "rejected")


def _pending(ctx: Context, approval_id: int) -> Any:
    """The pending approval, locked against a concurrent decision, that the actor may decide."""
    query = select(t.approvals).where(t.approvals.c.id == approval_id)
    if ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = ctx.conn.execute(query).first()
    if row is None:
        raise NotFound(message("approval {approval} not found", approval=approval_id))
    if row.status != "pending":
        raise Conflict(message("approval {approval} is already {approval_status}",
                               approval=approval_id, approval_status=message(row.status)))
    if row.maker == ctx.actor:
        raise Forbidden(message("the maker of a request cannot approve or reject it"))
    return row


def _decide(ctx: Context, approval_id: int, status: str, result: str | None = None
            ) -> Approval:
    a = t.approvals.c
    ctx.conn.execute(update(t.approvals).where(a.id == approval_id).values(
        status=status, checker=ctx.actor, result=result, decided_at=datetime.now(UTC)))
    return Approval.of(ctx.conn.execute(select(t.approvals).where(a.id == approval_id)).one())
