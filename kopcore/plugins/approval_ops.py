"""Built-in plugin: the operations deciding maker-checker approvals (see kopcore.approvals)."""

from __future__ import annotations

from typing import Any

import attrs

from kopcore import approvals, hookimpl
from kopcore.context import Context
from kopcore.errors import Conflict, Forbidden, NotFound
from kopcore.operations import Operation

DECIDE = "approvals.decide"


@attrs.frozen
class ApprovalsIn:
    status: str = attrs.field(default="pending", metadata={
        "help": "pending, approved or rejected", "max_length": 16})


@attrs.frozen
class ApprovalIn:
    approval_id: int = attrs.field(metadata={"help": "Approval id", "minimum": 1,
                                             "maximum": 2**62})


@attrs.frozen
class ApprovalOut:
    approval_id: int
    operation: str
    status: str
    maker: str
    checker: str | None
    input: dict[str, Any]
    result: Any


@attrs.frozen
class ApprovalsOut:
    approvals: list[ApprovalOut]


def _out(approval: approvals.Approval) -> ApprovalOut:
    return ApprovalOut(approval.id, approval.operation, approval.status, approval.maker,
                       approval.checker, approval.input, approval.result)


def list_approvals(ctx: Context, data: ApprovalsIn) -> ApprovalsOut:
    """Requests waiting for (or decided by) a second person."""
    return ApprovalsOut([_out(a) for a in approvals.list_approvals(ctx, data.status)])


def approve(ctx: Context, data: ApprovalIn) -> ApprovalOut:
    """Approve a waiting request: it runs now, as its maker, in this transaction."""
    return _out(approvals.approve(ctx, data.approval_id))


def reject(ctx: Context, data: ApprovalIn) -> ApprovalOut:
    """Reject a waiting request; nothing of it is posted."""
    return _out(approvals.reject(ctx, data.approval_id))


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("approvals.list", ApprovalsIn, ApprovalsOut, list_approvals,
                  permission=DECIDE, mutates=False, summary="List approvals"),
        Operation("approvals.approve", ApprovalIn, ApprovalOut, approve,
                  permission=DECIDE, mutates=True, summary="Approve a request",
                  errors=(NotFound, Conflict, Forbidden)),
        Operation("approvals.reject", ApprovalIn, ApprovalOut, reject,
                  permission=DECIDE, mutates=True, summary="Reject a request",
                  errors=(NotFound, Conflict, Forbidden)),
    ]
