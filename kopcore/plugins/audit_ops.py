"""Built-in plugin: reading the audit trail."""

from __future__ import annotations

from datetime import datetime

import attrs
from sqlalchemy import select

from kopcore import hookimpl
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.operations import Operation
from kopcore.plugins.paging import page_fields


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


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("audit.list", AuditIn, AuditPage, audit, permission="audit.read",
                  mutates=False, summary="Audit trail"),
    ]
