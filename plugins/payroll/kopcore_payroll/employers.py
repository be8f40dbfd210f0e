"""Employers (instansi, perusahaan) and members' employments.

An employer has a payroll contact, the day of the month its payroll office closes the list
(cut-off, 1-28), the internal account its transfer arrives in, and the order in which a
member's deducted amount is allocated over the priority classes of the dues. A member works
for at most one employer at a time: starting an employment elsewhere ends the current one the
day before (a move, mutasi).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.records import DuePriority
from kopcore_payroll.messages import _
from kopcore_payroll.tables import employers, employments

DEFAULT_PRIORITY = "wajib,overdue,current,other"


class EmployerKind(enum.StrEnum):
    INSTANSI = "instansi"
    PERUSAHAAN = "perusahaan"


@attrs.frozen
class Employer:
    id: int
    code: str
    name: str
    kind: EmployerKind
    contact_name: str
    contact_phone: str | None
    contact_email: str | None
    cut_off_day: int
    bank_account: str
    priority: tuple[DuePriority, ...]
    active: bool
    created_on: date


def parse_priority(text: str) -> tuple[DuePriority, ...]:
    """``wajib,overdue,current,other`` as the classes in that order; every class once."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    known = {p.value for p in DuePriority}
    if sorted(names) != sorted(known):
        raise ValidationError(_("priority names each of {known} once, in the order a member's "
                                "deduction is allocated", known=', '.join(sorted(known))),
                              field="priority")
    return tuple(DuePriority(name) for name in names)


def _employer(row: Any) -> Employer:
    values = dict(row._mapping)
    values["kind"] = EmployerKind(values["kind"])
    values["priority"] = parse_priority(values["priority"])
    values["active"] = bool(values["active"])
    return Employer(**values)


def get_employer(ctx: Context, code: str) -> Employer:
    row = ctx.conn.execute(sa.select(employers).where(employers.c.code == code)).first()
    if row is None:
        raise NotFound(_("no employer has code {code!r}", code=code), field="employer")
    return _employer(row)


def list_employers(ctx: Context) -> list[Employer]:
    return [_employer(r) for r in ctx.conn.execute(sa.select(employers)
                                                   .order_by(employers.c.code))]


def _bank(ctx: Context, number: str) -> str:
    account = ledger.get_account(ctx, number)
    if account.member_id is not None:
        raise ValidationError(_("bank_account must be an internal account (the cooperative's "
                                "bank account), not a member's"), field="bank_account")
    return account.number


def _check_cut_off(day: int) -> int:
    if not 1 <= day <= 28:
        raise ValidationError(_("cut_off_day: 1-28 (a day every month has)"), field="cut_off_day")
    return day


def create_employer(ctx: Context, *, code: str, name: str, kind: EmployerKind,
                    contact_name: str, contact_phone: str | None, contact_email: str | None,
                    cut_off_day: int, bank_account: str, priority: str) -> Employer:
    code = code.strip().upper()
    if not code or not name.strip() or not contact_name.strip():
        raise ValidationError(_("code, name and contact_name are required"), field="code")
    if ctx.conn.execute(sa.select(employers.c.id).where(employers.c.code == code)).first():
        raise Conflict(_("employer {code} exists already", code=code), field="code")
    ctx.conn.execute(employers.insert().values(
        code=code, name=name.strip(), kind=kind.value, contact_name=contact_name.strip(),
        contact_phone=contact_phone, contact_email=contact_email,
        cut_off_day=_check_cut_off(cut_off_day), bank_account=_bank(ctx, bank_account),
        priority=",".join(p.value for p in parse_priority(priority)), active=True,
        created_on=ctx.business_date))
    return get_employer(ctx, code)


def update_employer(ctx: Context, code: str, **changes: Any) -> Employer:
    employer = get_employer(ctx, code)
    values = {key: value for key, value in changes.items() if value is not None}
    if "cut_off_day" in values:
        _check_cut_off(values["cut_off_day"])
    if "bank_account" in values:
        values["bank_account"] = _bank(ctx, values["bank_account"])
    if "priority" in values:
        values["priority"] = ",".join(p.value for p in parse_priority(values["priority"]))
    if "kind" in values:
        values["kind"] = EmployerKind(values["kind"]).value
    if values:
        ctx.conn.execute(sa.update(employers).where(employers.c.id == employer.id)
                         .values(**values))
    return get_employer(ctx, code)


# --- employments -------------------------------------------------------------------------------


@attrs.frozen
class Employment:
    id: int
    member_id: int
    employer_id: int
    employee_number: str
    start_on: date
    end_on: date | None


def member_employments(ctx: Context, member_id: int) -> list[Employment]:
    e = employments.c
    return [Employment(**dict(r._mapping)) for r in ctx.conn.execute(
        sa.select(employments).where(e.member_id == member_id).order_by(e.start_on, e.id))]


def start_employment(ctx: Context, member_id: int, employer: Employer, employee_number: str,
                     start_on: date) -> Employment:
    """Record that the member works for ``employer`` from ``start_on``; an employment still
    open elsewhere ends the day before (a move between employers)."""
    employee_number = employee_number.strip()
    if not employee_number:
        raise ValidationError(_("employee_number is required"), field="employee_number")
    e = employments.c
    taken = ctx.conn.execute(sa.select(e.member_id).where(
        e.employer_id == employer.id, e.employee_number == employee_number,
        e.member_id != member_id, sa.or_(e.end_on.is_(None), e.end_on >= start_on))).first()
    if taken is not None:
        raise Conflict(_("employee number {employee_number} of {employer} belongs to another "
                         "member", employee_number=employee_number,
                         employer=employer.code), field="employee_number")
    for current in member_employments(ctx, member_id):
        if current.end_on is not None and current.end_on < start_on:
            continue
        if current.start_on >= start_on:
            raise Conflict(_("the member has an employment starting on or after {start_on}",
                             start_on=current.start_on.isoformat()), field="start_on")
        ctx.conn.execute(sa.update(employments).where(e.id == current.id)
                         .values(end_on=start_on - timedelta(days=1)))
    new_id = ctx.conn.execute(employments.insert().values(
        member_id=member_id, employer_id=employer.id, employee_number=employee_number,
        start_on=start_on, end_on=None).returning(e.id)).scalar_one()
    return Employment(new_id, member_id, employer.id, employee_number, start_on, None)


def end_employment(ctx: Context, member_id: int, end_on: date) -> Employment:
    e = employments.c
    current = [x for x in member_employments(ctx, member_id) if x.end_on is None]
    if not current:
        raise Conflict(_("the member has no current employment"), field="member")
    employment = current[-1]
    if end_on < employment.start_on:
        raise ValidationError(_("end_on is before the employment started"), field="end_on")
    ctx.conn.execute(sa.update(employments).where(e.id == employment.id).values(end_on=end_on))
    return attrs.evolve(employment, end_on=end_on)


def employees_on(ctx: Context, employer: Employer, day: date) -> Sequence[Employment]:
    """The employer's employments covering ``day``, by employee number."""
    e = employments.c
    rows = ctx.conn.execute(sa.select(employments).where(
        e.employer_id == employer.id, e.start_on <= day,
        sa.or_(e.end_on.is_(None), e.end_on >= day)).order_by(e.employee_number))
    return [Employment(**dict(r._mapping)) for r in rows]
