"""Deduction batches: the monthly list per employer, and the employer's result posted.

The list (``payroll.list``) takes the employer's employees on the period's cut-off day and asks
every plugin what each owes for the month (:func:`kopcore.ledger.member_dues`): wajib, overdue
and current installments, anything else a plugin declares. Listing again before the result is
posted refreshes the list.

The result (``payroll.import``) is what payroll deducted per employee. It is posted all or
nothing as ONE entry (:func:`kopcore.ledger.settle_dues`): Dr the bank account the employer's
transfer, Cr each due settled, Cr suspense for money no listed due claims (employees not in the
list; a deduction above what the member owes now). Each member's amount is allocated over the
dues they owe at posting, in the employer's priority order of classes, then by due date; a due
of an account is settled only after the earlier dues of that account are settled in full, and
a due taken only whole (a murabahah installment) is skipped when the rest cannot cover it. Every
listed due is presented to its owner, paid or not, so shortfalls stay as arrears on the right
obligations (a wajib month is billed, an installment stays overdue). The transfer must equal
the result's total. A batch is posted once: the same result again answers with the first
posting; a different one is refused.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import Money
from kopcore.records import DuePriority, DueSettlement, MemberDue, PostingLine, Side
from kopcore_payroll.employers import Employer, employees_on
from kopcore_payroll.messages import _
from kopcore_payroll.sheets import ResultRow
from kopcore_payroll.tables import batches, lines, results

SUSPENSE = "GL-suspense"
CLASSES = (DuePriority.WAJIB, DuePriority.OVERDUE, DuePriority.CURRENT, DuePriority.OTHER)


def period_days(period: str) -> tuple[date, date]:
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period):
        raise ValidationError(_("period is a month written YYYY-MM"), field="period")
    year, month = int(period[:4]), int(period[5:])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def cut_off(employer: Employer, period: str) -> date:
    first, _ = period_days(period)
    return first.replace(day=employer.cut_off_day)


@attrs.frozen
class Batch:
    id: int
    employer_id: int
    period: str
    status: str
    currency: str
    listed_total: int
    listed_on: date
    listed_by: str
    result_digest: str | None
    transfer: int | None
    allocated: int | None
    suspense: int | None
    bank_account: str | None
    entry_id: int | None
    posted_on: date | None
    posted_by: str | None


def find_batch(ctx: Context, employer: Employer, period: str) -> Batch | None:
    row = ctx.conn.execute(sa.select(batches).where(
        batches.c.employer_id == employer.id, batches.c.period == period)).first()
    return Batch(**dict(row._mapping)) if row is not None else None


def get_batch(ctx: Context, employer: Employer, period: str) -> Batch:
    batch = find_batch(ctx, employer, period_or_raise(period))
    if batch is None:
        raise NotFound(_("no deduction list of {employer} for {period}: make it with payroll "
                         "list", employer=employer.code, period=period), field="period")
    return batch


def period_or_raise(period: str) -> str:
    period_days(period)
    return period


# --- the list ----------------------------------------------------------------------------------


def make_list(ctx: Context, employer: Employer, period: str) -> Batch:
    """List what each employee owes for ``period`` (a refresh while no result is posted)."""
    first, last = period_days(period)
    batch = find_batch(ctx, employer, period)
    if batch is not None and batch.status == "posted":
        raise Conflict(_("the {period} deduction of {employer} is posted already",
                         period=period, employer=employer.code),
                       field="period")
    staff = {e.member_id: e.employee_number for e in employees_on(ctx, employer,
                                                                  cut_off(employer, period))}
    dues = ledger.member_dues(ctx, staff, first, last, priority=employer.priority)
    currency = ctx.settings.currency
    total = sum(d.amount.minor for d in dues)
    if batch is None:
        batch_id = ctx.conn.execute(batches.insert().values(
            employer_id=employer.id, period=period, status="listed", currency=currency,
            listed_total=total, listed_on=ctx.business_date, listed_by=ctx.actor)
            .returning(batches.c.id)).scalar_one()
    else:
        batch_id = batch.id
        ctx.conn.execute(lines.delete().where(lines.c.batch_id == batch_id))
        ctx.conn.execute(sa.update(batches).where(batches.c.id == batch_id).values(
            listed_total=total, listed_on=ctx.business_date, listed_by=ctx.actor))
    rows = [{"batch_id": batch_id, "member_id": d.member_id,
             "employee_number": staff[d.member_id], "owner": d.owner, "kind": d.kind,
             "priority": d.priority.value, "reference": d.reference, "account": d.account,
             "description": d.description[:200], "due_date": d.due_date,
             "amount": d.amount.minor} for d in dues]
    if rows:
        ctx.conn.execute(lines.insert(), rows)
    return get_batch(ctx, employer, period)


@attrs.frozen
class ListedMember:
    member_id: int
    employee_number: str
    member_number: str
    name: str
    classes: tuple[int, int, int, int]

    @property
    def total(self) -> int:
        return sum(self.classes)


def listed_members(ctx: Context, batch: Batch) -> list[ListedMember]:
    """The batch's employees with their listed dues per class, by employee number."""
    ln, m = lines.c, query.members.c
    rows = ctx.conn.execute(
        sa.select(ln.member_id, ln.employee_number, ln.priority,
                  sa.func.sum(ln.amount).label("amount"), m.member_number, m.name)
        .join(query.members, m.id == ln.member_id)
        .where(ln.batch_id == batch.id)
        .group_by(ln.member_id, ln.employee_number, ln.priority, m.member_number, m.name)
        .order_by(ln.employee_number)).all()
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = found.setdefault(row.member_id, {
            "employee_number": row.employee_number, "member_number": row.member_number,
            "name": row.name, "classes": [0, 0, 0, 0]})
        entry["classes"][CLASSES.index(DuePriority(row.priority))] += int(row.amount)
    return sorted((ListedMember(member_id, v["employee_number"], v["member_number"], v["name"],
                                tuple(v["classes"]))
                   for member_id, v in found.items()), key=lambda x: x.employee_number)


def listed_lines(ctx: Context, batch: Batch) -> list[Any]:
    ln, m = lines.c, query.members.c
    return list(ctx.conn.execute(
        sa.select(lines, m.member_number, m.name).join(query.members, m.id == ln.member_id)
        .where(ln.batch_id == batch.id).order_by(ln.employee_number, ln.id)).all())


# --- allocation --------------------------------------------------------------------------------


def allocate(amount: int, dues: Sequence[MemberDue]) -> tuple[list[tuple[MemberDue, int]], int]:
    """Split one member's deducted ``amount`` (minor units) over ``dues``, already in the
    order to settle them; returns each due with what it gets (zero included) and what is left.

    A due gets ``min(left, due)``, or, when it is taken only whole, all of it or nothing. Once
    a due of an account is not settled in full, the later dues of that account get nothing."""
    left, out = amount, []
    short_accounts: set[tuple[str, str]] = set()
    for due in dues:
        key = (due.owner, due.account)
        take = 0
        if key not in short_accounts:
            take = min(left, due.amount.minor)
            if not due.partial and take < due.amount.minor:
                take = 0
        if take < due.amount.minor and due.account:
            short_accounts.add(key)
        left -= take
        out.append((due, take))
    return out, left


# --- the result --------------------------------------------------------------------------------


@attrs.frozen
class Posted:
    batch: Batch
    replayed: bool


def digest_of(content: bytes | None) -> str:
    return hashlib.sha256(content if content is not None else b"as-sent").hexdigest()


def post_result(ctx: Context, employer: Employer, period: str, rows: Sequence[ResultRow] | None,
                transfer: Money | None, digest: str, bank_account: str | None) -> Posted:
    """Post the employer's result (``rows``; ``None``: deducted as listed) as one entry."""
    batch = get_batch(ctx, employer, period)
    if batch.status == "posted":
        if batch.result_digest == digest:
            return Posted(batch, replayed=True)
        raise Conflict(_("the {period} deduction of {employer} was posted on {posted_on}: a "
                         "different result is refused", period=period,
                         employer=employer.code, posted_on=str(batch.posted_on)),
                       field="content")
    listed = {m.employee_number: m for m in listed_members(ctx, batch)}
    if rows is None:
        rows = [ResultRow(0, m.employee_number, m.name, m.total) for m in listed.values()]
    deducted = {r.employee_number: r for r in rows}
    currency = batch.currency
    total = sum(r.deducted for r in rows)
    if transfer is not None and transfer.minor != total:
        raise ValidationError(
            _("the transfer ({transfer}) is not the result's total ({total}): check the "
              "employer's figures", transfer=transfer, total=Money(total, currency)),
            field="transfer")
    first, last = period_days(period)
    owed = defaultdict(list)
    for due in ledger.member_dues(ctx, [m.member_id for m in listed.values()], first, last,
                                  priority=employer.priority):
        owed[due.member_id].append(due)
    parts: list[_Part] = []
    for number, member in listed.items():
        row = deducted.get(number)
        amount = row.deducted if row is not None else 0
        shares, left = allocate(amount, owed[member.member_id])
        outcome = ("missing" if amount == 0 and member.total else
                   "partial" if amount < member.total else "full")
        parts.append(_Part(
            [DueSettlement(due, Money(share, due.amount.currency)) for due, share in shares],
            amount, left, {"employee_number": number, "member_id": member.member_id,
                           "name": member.name, "listed": member.total, "deducted": amount,
                           "allocated": amount - left, "outcome": outcome}))
    for row in rows:
        if row.employee_number not in listed:
            parts.append(_Part([], row.deducted, row.deducted, {
                "employee_number": row.employee_number, "member_id": None,
                "name": row.name or "(tidak dikenal)", "listed": 0, "deducted": row.deducted,
                "allocated": 0, "outcome": "unknown"}))
    bank = bank_account or employer.bank_account
    if ledger.get_account(ctx, bank).member_id is not None:
        raise ValidationError(_("bank_account must be an internal account"), field="bank_account")
    memo = f"Potongan gaji {employer.name} {period}"
    entries = []
    for index, chunk in enumerate(_chunks(parts)):
        funding = []
        received = sum(part.deducted for part in chunk)
        unclaimed = sum(part.left for part in chunk)
        if received:
            funding.append(PostingLine(bank, Side.DEBIT, Money(received, currency)))
        if unclaimed:
            funding.append(PostingLine(SUSPENSE, Side.CREDIT, Money(unclaimed, currency)))
        entry = ledger.settle_dues(
            ctx, [s for part in chunk for s in part.settlements], funding,
            memo=(memo if index == 0 else f"{memo} ({index + 1})")[:500],
            idempotency_key=f"payroll-batch-{batch.id}-{index + 1}")
        entries.append(entry.id if entry else None)
        for part in chunk:
            part.result["entry_id"] = entry.id if entry else None
    suspense = sum(part.left for part in parts)
    _record(ctx, batch, parts)
    ctx.conn.execute(sa.update(batches).where(batches.c.id == batch.id).values(
        status="posted", result_digest=digest, transfer=total, allocated=total - suspense,
        suspense=suspense, bank_account=bank,
        entry_id=next((e for e in entries if e is not None), None),
        posted_on=ctx.business_date, posted_by=ctx.actor))
    return Posted(get_batch(ctx, employer, period), replayed=False)


#: Settlements per journal entry: an entry holds at most 10,000 postings, and an owner writes
#: at most four lines for a due (a loan: principal, interest receivable, interest income,
#: penalty). Batches above it are posted as several entries in the same transaction.
SETTLEMENTS_PER_ENTRY = 2400


@attrs.define
class _Part:
    """One row of the result: its settlements, what was deducted, what no due claimed."""

    settlements: list[DueSettlement]
    deducted: int
    left: int
    result: dict[str, Any]


def _chunks(parts: list[_Part]) -> list[list[_Part]]:
    """The result's rows in groups of at most :data:`SETTLEMENTS_PER_ENTRY` settlements, one
    member never split (an owner sees all of a member's dues in one call)."""
    chunks: list[list[_Part]] = [[]]
    count = 0
    for part in parts:
        if chunks[-1] and count + len(part.settlements) > SETTLEMENTS_PER_ENTRY:
            chunks.append([])
            count = 0
        chunks[-1].append(part)
        count += len(part.settlements)
    return chunks


def _record(ctx: Context, batch: Batch, parts: list[_Part]) -> None:
    """What each listed due got, and the dues settled that were not listed (a due arisen
    since the list was made) as lines of their own: the batch keeps every settlement."""
    ln = lines.c
    settled = {(s.due.member_id, s.due.reference): s for part in parts for s in part.settlements}
    updates = []
    for row in ctx.conn.execute(sa.select(ln.id, ln.member_id, ln.reference)
                                .where(ln.batch_id == batch.id)):
        found = settled.pop((row.member_id, row.reference), None)
        updates.append({"line_id": row.id, "settled": found.amount.minor if found else 0})
    if updates:
        ctx.conn.execute(sa.update(lines).where(ln.id == sa.bindparam("line_id"))
                         .values(settled=sa.bindparam("settled")), updates)
    employee = {p.result["member_id"]: p.result["employee_number"] for p in parts}
    added = [{"batch_id": batch.id, "member_id": s.due.member_id,
              "employee_number": employee[s.due.member_id], "owner": s.due.owner,
              "kind": s.due.kind, "priority": s.due.priority.value,
              "reference": s.due.reference, "account": s.due.account,
              "description": s.due.description[:200], "due_date": s.due.due_date,
              "amount": 0, "settled": s.amount.minor}
             for s in settled.values()]
    if added:
        ctx.conn.execute(lines.insert(), added)
    if parts:
        ctx.conn.execute(results.insert(), [{"batch_id": batch.id, **p.result} for p in parts])


def result_rows(ctx: Context, batch: Batch, outcomes: Sequence[str] | None = None) -> list[Any]:
    r, m = results.c, query.members.c
    statement = (sa.select(results, m.member_number)
                 .outerjoin(query.members, m.id == r.member_id)
                 .where(r.batch_id == batch.id).order_by(r.employee_number))
    if outcomes is not None:
        statement = statement.where(r.outcome.in_(outcomes))
    return list(ctx.conn.execute(statement).all())


@attrs.frozen
class ResultSummary:
    entry_ids: list[int]
    outcomes: dict[str, int]
    shortfall: int


def result_summary(ctx: Context, batch: Batch) -> ResultSummary:
    """The posted result in three aggregates: its entries, employees per outcome, shortfall."""
    r = results.c
    entries = ctx.conn.execute(sa.select(r.entry_id).distinct().where(
        r.batch_id == batch.id, r.entry_id.is_not(None)).order_by(r.entry_id)).scalars().all()
    outcomes = {row.outcome: int(row.n) for row in ctx.conn.execute(
        sa.select(r.outcome, sa.func.count().label("n")).where(r.batch_id == batch.id)
        .group_by(r.outcome))}
    short = ctx.conn.execute(sa.select(sa.func.coalesce(sa.func.sum(r.listed - r.deducted), 0))
                             .where(r.batch_id == batch.id, r.listed > r.deducted)).scalar_one()
    return ResultSummary([int(e) for e in entries], outcomes, int(short))


def collection(ctx: Context, employer_id: int | None, start: str, end: str) -> list[Any]:
    """Posted batches between two periods: listed, deducted, collection rate."""
    b = batches.c
    statement = (sa.select(batches).where(b.status == "posted", b.period >= start,
                                          b.period <= end).order_by(b.employer_id, b.period))
    if employer_id is not None:
        statement = statement.where(b.employer_id == employer_id)
    return list(ctx.conn.execute(statement).all())
