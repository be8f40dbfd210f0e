"""Built-in plugin: the operations deciding maker-checker approvals (see kopcore.approvals)."""

from __future__ import annotations

import attrs

from kopcore import _approvals as approvals
from kopcore import hookimpl
from kopcore._approvals import Approval
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
class ApprovalsOut:
    approvals: list[Approval]


def list_approvals(ctx: Context, data: ApprovalsIn) -> ApprovalsOut:
    """Requests waiting for (or decided by) a second person."""
    return ApprovalsOut(approvals.list_approvals(ctx, data.status))


def approve(ctx: Context, data: ApprovalIn) -> Approval:
    """Approve a waiting request: it runs now, as its maker, in this transaction."""
    return approvals.approve(ctx, data.approval_id)


def reject(ctx: Context, data: ApprovalIn) -> Approval:
    """Reject a waiting request; nothing of it is posted."""
    return approvals.reject(ctx, data.approval_id)


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("approvals.list", ApprovalsIn, ApprovalsOut, list_approvals,
                  permission=DECIDE, mutates=False, summary="List approvals"),
        Operation("approvals.approve", ApprovalIn, Approval, approve,
                  permission=DECIDE, mutates=True, summary="Approve a request",
                  errors=(NotFound, Conflict, Forbidden)),
        Operation("approvals.reject", ApprovalIn, Approval, reject,
                  permission=DECIDE, mutates=True, summary="Reject a request",
                  errors=(NotFound, Conflict, Forbidden)),
    ]
