"""Built-in plugin: business date and end of day, plugins, users and keys, audit, approvals."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import attrs
from sqlalchemy import select, update

from kopcore import auth, hookimpl, ledger
from kopcore.context import Context
from kopcore.db import tables as t
from kopcore.errors import (
    BusinessDateError,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationError,
)
from kopcore.interfaces.convert import dump, load
from kopcore.operations import Operation
from kopcore.plugins.paging import page_fields


@attrs.frozen
class NoInput:
    """No parameters."""


@attrs.frozen
class BusinessDateOut:
    business_date: date
    cooperative: str
    currency: str


@attrs.frozen
class PluginOut:
    name: str
    version: str
    builtin: bool
    products: list[str]
    operations: list[str]


@attrs.frozen
class PluginsOut:
    plugins: list[PluginOut]


@attrs.frozen
class EodIn:
    until: date | None = attrs.field(
        default=None, metadata={"help": "Close days until the business date is this "
                                        "(default: one day)"})


@attrs.frozen
class ClosedDayOut:
    business_date: date
    rows: dict[str, int]


@attrs.frozen
class EodOut:
    closed: list[ClosedDayOut]
    business_date: date


@attrs.frozen
class CreateUserIn:
    username: str = attrs.field(metadata={"help": "Login name", "max_length": 64})
    role: str = attrs.field(metadata={"help": "admin, manager, teller, auditor or member",
                                      "max_length": 16})
    member: str | None = attrs.field(default=None, metadata={
        "help": "Member number (member role only)", "max_length": 32})


@attrs.frozen
class UserIn:
    username: str = attrs.field(metadata={"help": "Login name", "max_length": 64})


@attrs.frozen
class UserOut:
    username: str
    role: str
    member_id: int | None
    active: bool


@attrs.frozen
class UsersOut:
    users: list[UserOut]


@attrs.frozen
class IssueKeyIn:
    username: str = attrs.field(metadata={"help": "Login name", "max_length": 64})
    label: str | None = attrs.field(default=None, metadata={"help": "Where the key is used",
                                                            "max_length": 100})


@attrs.frozen
class KeyOut:
    """A new API key. The key is shown once; only its hash is stored."""

    key_id: str
    api_key: str


@attrs.frozen
class RevokeKeyIn:
    key_id: str = attrs.field(metadata={"help": "Key id (the part after kop_)", "max_length": 32})


@attrs.frozen
class RotateKeyIn:
    key_id: str = attrs.field(metadata={"help": "Key id to replace", "max_length": 32})
    label: str | None = attrs.field(default=None, metadata={"help": "Label of the new key",
                                                            "max_length": 100})


@attrs.frozen
class KeyInfoOut:
    key_id: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


@attrs.frozen
class KeysOut:
    keys: list[KeyInfoOut]


@attrs.frozen
class Done:
    done: bool


@attrs.frozen
class AuditIn:
    actor: str | None = attrs.field(default=None, metadata={"help": "Only this user",
                                                            "max_length": 64})
    operation: str | None = attrs.field(default=None, metadata={"help": "Only this operation",
                                                                "max_length": 128})
    after: int = attrs.field(default=0, metadata=page_fields["after"])
    limit: int = attrs.field(default=50, metadata=page_fields["limit"])


@attrs.frozen
class AuditOut:
    id: int
    at: datetime
    actor: str
    interface: str
    operation: str
    input_digest: str
    outcome: str
    detail: str | None


@attrs.frozen
class AuditPage:
    items: list[AuditOut]
    next_after: int | None


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


def business_date(ctx: Context, data: NoInput) -> BusinessDateOut:
    """The cooperative's current business date."""
    return BusinessDateOut(ctx.business_date, ctx.settings.cooperative_name,
                           ctx.settings.currency)


def plugins(ctx: Context, data: NoInput) -> PluginsOut:
    """Loaded plugins with versions, products and operations."""
    host = ctx.kernel.plugins
    return PluginsOut([
        PluginOut(p.name, p.version, p.builtin,
                  sorted(c for c, v in host.products.items() if v.plugin == p.name),
                  sorted(n for n, v in host.operations.items() if v.plugin == p.name))
        for p in host.loaded
    ])


def run_eod(ctx: Context, data: EodIn) -> EodOut:
    """Close the business date (or several, to catch up) running every plugin's end-of-day
    work; resumes a crashed run without applying anything twice."""
    from kopcore.eod import current_business_date, run_end_of_day

    closed = run_end_of_day(ctx.kernel, until=data.until, progress=ctx.progress)
    return EodOut([ClosedDayOut(d.business_date, d.tasks) for d in closed],
                  current_business_date(ctx.kernel))


def _user_out(row: dict[str, Any]) -> UserOut:
    return UserOut(row["username"], row["role"], row["member_id"], bool(row["active"]))


def create_user(ctx: Context, data: CreateUserIn) -> UserOut:
    """Create a user with a role; member users are linked to their member number."""
    member_id = ledger.get_member(ctx, data.member).id if data.member else None
    return _user_out(auth.create_user(ctx.conn, data.username, data.role, member_id))


def list_users(ctx: Context, data: NoInput) -> UsersOut:
    """Every user and role."""
    return UsersOut([_user_out(u) for u in auth.list_users(ctx.conn)])


def deactivate_user(ctx: Context, data: UserIn) -> UserOut:
    """Deactivate a user and revoke all their keys."""
    if data.username == ctx.actor:
        raise Conflict("you cannot deactivate yourself")
    return _user_out(auth.set_active(ctx.conn, data.username, False))


def issue_key(ctx: Context, data: IssueKeyIn) -> KeyOut:
    """Issue an API key (shown once; rotate by issuing a new one and revoking the old)."""
    return KeyOut(*auth.issue_key(ctx.conn, data.username, data.label))


def revoke_key(ctx: Context, data: RevokeKeyIn) -> Done:
    """Revoke an API key at once."""
    auth.revoke_key(ctx.conn, data.key_id)
    return Done(True)


def rotate_key(ctx: Context, data: RotateKeyIn) -> KeyOut:
    """Replace an API key: the old one is revoked and a new one issued, in one step."""
    k, u = t.api_keys.c, t.users.c
    owner = ctx.conn.execute(select(u.username).join(t.api_keys, k.user_id == u.id)
                             .where(k.key_id == data.key_id, k.revoked_at.is_(None))).first()
    if owner is None:
        raise NotFound(f"no active key {data.key_id}", field="key_id")
    auth.revoke_key(ctx.conn, data.key_id)
    return KeyOut(*auth.issue_key(ctx.conn, owner.username, data.label))


def list_keys(ctx: Context, data: UserIn) -> KeysOut:
    """A user's keys (ids and labels, never secrets)."""
    return KeysOut([KeyInfoOut(**k) for k in auth.list_keys(ctx.conn, data.username)])


def audit(ctx: Context, data: AuditIn) -> AuditPage:
    """The audit trail of mutating operations through the API and the CLI."""
    a = t.audit_log.c
    query = select(t.audit_log).where(a.id > data.after).order_by(a.id).limit(data.limit)
    if data.actor:
        query = query.where(a.actor == data.actor)
    if data.operation:
        query = query.where(a.operation == data.operation)
    rows = [AuditOut(**r._mapping) for r in ctx.conn.execute(query)]
    return AuditPage(rows, rows[-1].id if len(rows) == data.limit else None)


def _approval_out(row: Any) -> ApprovalOut:
    return ApprovalOut(row.id, row.operation, row.status, row.maker, row.checker,
                       json.loads(row.input), json.loads(row.result) if row.result else None)


def list_approvals(ctx: Context, data: ApprovalsIn) -> ApprovalsOut:
    """Requests waiting for (or decided by) a second person."""
    if data.status not in ("pending", "approved", "rejected"):
        raise ValidationError("status must be pending, approved or rejected", field="status")
    rows = ctx.conn.execute(select(t.approvals).where(t.approvals.c.status == data.status)
                            .order_by(t.approvals.c.id))
    return ApprovalsOut([_approval_out(r) for r in rows])


def _pending(ctx: Context, approval_id: int) -> Any:
    query = select(t.approvals).where(t.approvals.c.id == approval_id)
    if ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = ctx.conn.execute(query).first()
    if row is None:
        raise NotFound(f"approval {approval_id} not found")
    if row.status != "pending":
        raise Conflict(f"approval {approval_id} is already {row.status}")
    if row.maker == ctx.actor:
        raise Forbidden("the maker of a request cannot approve or reject it")
    return row


def approve(ctx: Context, data: ApprovalIn) -> ApprovalOut:
    """Approve a waiting request: it runs now, as its maker, in this transaction."""
    from kopcore.ledger.posting import request_digest
    from kopcore.service import _audit, authorise

    row = _pending(ctx, data.approval_id)
    claimed = ctx.kernel.plugins.operations.get(row.operation)
    if claimed is None:
        raise Conflict(f"approval {row.id}: operation {row.operation} is not enabled here")
    op = claimed.value
    try:
        maker = auth.principal_for(ctx.conn, ctx.kernel.plugins, row.maker)
    except Unauthorized:
        raise Conflict(f"approval {row.id}: its maker {row.maker} is no longer an active "
                       "user; reject it") from None
    maker_ctx = Context(ctx.kernel, ctx.conn, maker.username, op.name, maker)
    request = load(op.input, json.loads(row.input))
    authorise(maker_ctx, op, request, maker)
    result = dump(op.handler(maker_ctx, request))
    digest = request_digest({"op": op.name, "input": dump(request)})
    _audit(maker_ctx, op, "approval", digest, "ok", f"approval {row.id} by {ctx.actor}")
    ctx.conn.execute(update(t.approvals).where(t.approvals.c.id == row.id).values(
        status="approved", checker=ctx.actor, result=json.dumps(result),
        decided_at=datetime.now(UTC)))
    return _approval_out(ctx.conn.execute(select(t.approvals)
                                          .where(t.approvals.c.id == row.id)).one())


def reject(ctx: Context, data: ApprovalIn) -> ApprovalOut:
    """Reject a waiting request; nothing of it is posted."""
    row = _pending(ctx, data.approval_id)
    ctx.conn.execute(update(t.approvals).where(t.approvals.c.id == row.id).values(
        status="rejected", checker=ctx.actor, decided_at=datetime.now(UTC)))
    return _approval_out(ctx.conn.execute(select(t.approvals)
                                          .where(t.approvals.c.id == row.id)).one())


@hookimpl
def kopcore_operations() -> list[Operation]:
    users = "users.manage"
    return [
        Operation("system.business-date", NoInput, BusinessDateOut, business_date,
                  permission="system.read", mutates=False, summary="Current business date",
                  self_service=True),
        Operation("system.plugins", NoInput, PluginsOut, plugins, permission="system.read",
                  mutates=False, summary="Loaded plugins", self_service=True),
        Operation("eod.run", EodIn, EodOut, run_eod, permission="eod.run", mutates=True,
                  summary="Run end of day", own_transactions=True,
                  errors=(BusinessDateError,)),
        Operation("users.create", CreateUserIn, UserOut, create_user, mutates=True,
                  summary="Create a user", errors=(ValidationError, Conflict, NotFound),
                  permission=users),
        Operation("users.list", NoInput, UsersOut, list_users, mutates=False,
                  summary="List users", permission=users),
        Operation("users.deactivate", UserIn, UserOut, deactivate_user, mutates=True,
                  summary="Deactivate a user", errors=(NotFound, Conflict), permission=users),
        Operation("keys.issue", IssueKeyIn, KeyOut, issue_key, mutates=True,
                  summary="Issue an API key", sensitive_output=True,
                  errors=(NotFound, Conflict), permission=users),
        Operation("keys.revoke", RevokeKeyIn, Done, revoke_key, mutates=True,
                  summary="Revoke an API key", errors=(NotFound,), permission=users),
        Operation("keys.rotate", RotateKeyIn, KeyOut, rotate_key, mutates=True,
                  summary="Replace an API key", sensitive_output=True, errors=(NotFound,),
                  permission=users),
        Operation("keys.list", UserIn, KeysOut, list_keys, mutates=False,
                  summary="List a user's keys", errors=(NotFound,), permission=users),
        Operation("audit.list", AuditIn, AuditPage, audit, permission="audit.read",
                  mutates=False, summary="Audit trail"),
        Operation("approvals.list", ApprovalsIn, ApprovalsOut, list_approvals,
                  permission="approvals.decide", mutates=False, summary="List approvals"),
        Operation("approvals.approve", ApprovalIn, ApprovalOut, approve,
                  permission="approvals.decide", mutates=True, summary="Approve a request",
                  errors=(NotFound, Conflict, Forbidden)),
        Operation("approvals.reject", ApprovalIn, ApprovalOut, reject,
                  permission="approvals.decide", mutates=True, summary="Reject a request",
                  errors=(NotFound, Conflict, Forbidden)),
    ]
