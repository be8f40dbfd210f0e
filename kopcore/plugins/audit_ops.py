"""Built-in plugin: reading the audit trail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

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
    since: date | None = attrs.field(default=None, metadata={
        "help": "Only from this day (a day in WIB, UTC+7)"})
    until: date | None = attrs.field(default=None, metadata={
        "help": "Only until this day, inclusive (a day in WIB, UTC+7)"})


#: The days of ``since`` and ``until`` are days of Western Indonesian Time, as the staff web
#: app shows the trail's times.
WIB = timezone(timedelta(hours=7), "WIB")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), WIB)


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
    """The audit trail of mutating operations through every interface, oldest first; by
    user, operation and days."""
    a = t.audit_log.c
    query = select(t.audit_log).where(a.id > data.after).order_by(a.id).limit(data.limit)
    if data.actor:
        query = query.where(a.actor == data.actor)
    if data.operation:
        query = query.where(a.operation == data.operation)
    if data.since:
        query = query.where(a.at >= _start_of(data.since))
    if data.until:
        query = query.where(a.at < _start_of(data.until + timedelta(days=1)))
    rows = [AuditOut(**r._mapping) for r in ctx.conn.execute(query)]
    return AuditPage(rows, rows[-1].id if len(rows) == data.limit else None)


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("audit.list", AuditIn, AuditPage, audit, permission="audit.read",
                  mutates=False, summary="Audit trail"),
    ]
