"""Group loans (kelompok, tanggung renteng): small loans to members of a group that meets on a
fixed weekday, whose members are jointly liable; the meeting's collection sheet is the unit of
repayment.

A group has a code, a name, a leader (one of its members) and a meeting day. A loan applied with
``group`` belongs to it (its borrower must be a member). The **collection sheet** for a meeting
lists each running loan of the group with what is due by that day (the penalty and the unpaid
installments due) and what of it was already overdue before. The meeting's **result** is
entered as one batch, what each member handed over, and applied in one transaction under the
joint-liability rule:

1. each member's money first pays their own loan's dues;
2. what members paid beyond their own dues covers the other members' shortfalls (tanggung
   renteng), the loans with the oldest arrears first, recorded on the covered loan as paid by
   the group with who covered it and how much. The group's rule (:class:`JointLiability`)
   says how: ``equal`` shares each shortfall equally among the members who brought more than
   their dues, in whole rupiah (the odd rupiah to the earlier member; what one cannot bear is
   shared among the rest), ``in-order`` takes it from each of them in turn (by when they
   joined);
3. what is then left is a prepayment of the payer's own loan (refused, like any repayment, beyond
   what the schedule still asks).

The group's arrears are its loans' overdue amounts; its collectibility is the worst class among
its running loans (the classes table's order).
"""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from datetime import date

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.ledger import Account, Member
from kopcore.money import Money, exponent
from kopcore_loans.loan import Loan, LoanStatus, loan_from_row, schedule_rows
from kopcore_loans.messages import _
from kopcore_loans.products import collectibility
from kopcore_loans.repayment import dues, repay
from kopcore_loans.tables import group_members, groups, loans

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class JointLiability(enum.StrEnum):
    """How members' money beyond their own dues covers another member's shortfall."""

    #: In equal shares among the members who brought more than their dues.
    EQUAL = "equal"
    #: From each of them in turn, by when they joined the group.
    IN_ORDER = "in-order"


@attrs.frozen
class Group:
    id: int
    code: str
    name: str
    leader_member_id: int
    meeting_day: str
    created_on: date
    created_by: str
    joint_liability: JointLiability = JointLiability.EQUAL


def _group(row: sa.Row[object]) -> Group:
    values = dict(row._mapping)
    values["joint_liability"] = JointLiability(values["joint_liability"])
    return Group(**values)


def get_group(ctx: Context, code: str) -> Group:
    row = ctx.conn.execute(sa.select(groups).where(groups.c.code == code)).first()
    if row is None:
        raise NotFound(_("group {code} not found", code=code), field="group")
    return _group(row)


def all_groups(ctx: Context) -> list[Group]:
    """Every group, by code."""
    return [_group(r) for r in ctx.conn.execute(sa.select(groups).order_by(groups.c.code))]


def members_of(ctx: Context, group: Group) -> list[int]:
    m = group_members.c
    return list(ctx.conn.execute(sa.select(m.member_id).where(m.group_id == group.id)
                                 .order_by(m.joined_on, m.member_id)).scalars())


def create(ctx: Context, code: str, name: str, leader: Member, meeting_day: str,
           joint_liability: JointLiability = JointLiability.EQUAL) -> Group:
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9._-]{0,31}", code):
        raise ValidationError(_("group code: 1-32 capital letters, digits, '.', '_' or '-'"),
                              field="code")
    if not name.strip():
        raise ValidationError(_("a group needs a name"), field="name")
    if meeting_day not in DAYS:
        raise ValidationError(_("meeting_day is one of {days}", days=', '.join(DAYS)),
                              field="meeting_day")
    if ctx.conn.execute(sa.select(groups.c.id).where(groups.c.code == code)).first():
        raise Conflict(_("group {code} already exists", code=code), field="code")
    ledger.require_active(ctx, leader.id)
    group_id = ctx.conn.execute(groups.insert().values(
        code=code, name=name.strip()[:200], leader_member_id=leader.id,
        meeting_day=meeting_day, created_on=ctx.business_date, created_by=ctx.actor,
        joint_liability=joint_liability.value,
    ).returning(groups.c.id)).scalar_one()
    group = get_group(ctx, code)
    assert group.id == group_id
    add_member(ctx, group, leader)
    return group


def add_member(ctx: Context, group: Group, member: Member) -> None:
    ledger.require_active(ctx, member.id)
    m = group_members.c
    if ctx.conn.execute(sa.select(m.member_id).where(m.member_id == member.id)).first():
        raise Conflict(_("member {member_number} already belongs to a group",
                         member_number=member.member_number),
                       field="member")
    ctx.conn.execute(group_members.insert().values(
        group_id=group.id, member_id=member.id, joined_on=ctx.business_date))


def group_of_member(ctx: Context, member_id: int) -> int | None:
    m = group_members.c
    found = ctx.conn.execute(sa.select(m.group_id).where(m.member_id == member_id)).first()
    return None if found is None else int(found[0])


def running_loans(ctx: Context, group: Group) -> list[Loan]:
    c = loans.c
    return [loan_from_row(r) for r in ctx.conn.execute(
        sa.select(loans).where(c.group_id == group.id,
                               c.status == LoanStatus.ACTIVE.value).order_by(c.id))]


# --- the collection sheet ---------------------------------------------------------------------


@attrs.frozen
class SheetLine:
    loan: Loan
    member_id: int
    due: int  # penalty and installments due by the meeting day, unpaid
    overdue: int  # of which already due before the meeting day


def sheet(ctx: Context, group: Group, day: date) -> list[SheetLine]:
    lines = []
    for loan in running_loans(ctx, group):
        rows = schedule_rows(ctx, loan.id)
        overdue = loan.penalty_due + sum(r.unpaid for r in rows if r.due_date < day)
        lines.append(SheetLine(loan, loan.member_id, dues(loan, rows, day), overdue))
    return lines


def worst_class(ctx: Context, loans_: list[Loan]) -> str | None:
    order = [c.code for c in collectibility(ctx)]
    found = [x.collectibility for x in loans_ if x.collectibility in order]
    return max(found, key=order.index) if found else None


# --- the meeting's result -----------------------------------------------------------------------


@attrs.frozen
class Applied:
    loan: Loan
    own: int  # paid by the borrower towards their own loan
    covered: int  # paid by other members of the group (tanggung renteng)
    covered_by: tuple[tuple[str, int], ...]  # (member number, amount), in order


def cover(gap: int, spare: list[tuple[int, int]], rule: JointLiability, unit: int
          ) -> list[tuple[int, int]]:
    """Who covers ``gap`` (minor units) from what they brought beyond their own dues
    (``spare``: member id and amount, in the group's order), and how much each: at most the gap
    and at most each one's spare. ``equal`` shares it in whole units (``unit`` minor units: a
    rupiah), the odd units to the earlier members and what a member cannot bear shared among
    the rest; ``in-order`` takes it from each in turn."""
    left = dict(spare)
    taken: dict[int, int] = {}
    if rule is JointLiability.IN_ORDER:
        for member_id, amount in spare:
            take = min(gap, amount)
            if take:
                taken[member_id] = take
                gap -= take
        return list(taken.items())
    while gap:
        givers = [m for m, _ in spare if left[m] > 0]
        if not givers:
            break
        whole, rest = divmod(gap, unit)
        # Whole units in equal shares (the odd ones to the earlier members); less than a unit
        # left goes to the first who can bear it.
        shares = [whole // len(givers) + (1 if i < whole % len(givers) else 0)
                  for i in range(len(givers))]
        progress = 0
        for member_id, units in zip(givers, shares, strict=True):
            wanted = units * unit + (rest if member_id == givers[0] else 0)
            take = min(wanted, left[member_id], gap - progress)
            if take:
                left[member_id] -= take
                taken[member_id] = taken.get(member_id, 0) + take
                progress += take
        if not progress:
            break
        gap -= progress
    return [(m, taken[m]) for m, _ in spare if m in taken]


def collect(ctx: Context, group: Group, paid: dict[int, int], source: Account
            ) -> list[Applied]:
    """Apply what each member (by id) handed over at today's meeting (see the module
    docstring); every payment is posted from ``source`` (the collector's cash)."""
    today = ctx.business_date
    lines = sheet(ctx, group, today)
    by_member: dict[int, list[SheetLine]] = defaultdict(list)
    for line in lines:
        by_member[line.member_id].append(line)
    strangers = sorted(set(paid) - set(members_of(ctx, group)))
    if strangers:
        raise ValidationError(_("only members of the group pay at its meeting"), field="payments")
    if any(amount <= 0 for amount in paid.values()):
        raise ValidationError(_("each amount paid must be positive"), field="payments")
    own: dict[int, int] = defaultdict(int)  # loan id -> from its borrower
    spare: dict[int, int] = {}  # member id -> beyond their own dues
    for member_id, amount in paid.items():
        left = amount
        for line in by_member.get(member_id, []):
            take = min(left, line.due)
            own[line.loan.id] += take
            left -= take
        spare[member_id] = left
    covered: dict[int, int] = defaultdict(int)
    covered_by: dict[int, dict[int, int]] = defaultdict(dict)
    short = sorted((x for x in lines if own[x.loan.id] < x.due),
                   key=lambda x: (-x.overdue, x.loan.id))
    order = members_of(ctx, group)
    unit = 10 ** exponent(ctx.settings.currency)
    for line in short:
        gap = line.due - own[line.loan.id]
        for member_id, take in cover(gap, [(m, spare[m]) for m in order if m in spare],
                                     group.joint_liability, unit):
            spare[member_id] -= take
            covered[line.loan.id] += take
            covered_by[line.loan.id][member_id] = take
    # What is left prepays the payer's own loan (the first running one).
    for member_id, left in spare.items():
        if left:
            mine = by_member.get(member_id)
            if not mine:
                raise ValidationError(_("a member without a running loan paid more than the "
                                        "group's shortfalls"), field="payments")
            own[mine[0].loan.id] += left
    applied = []
    numbers = {m: ledger.get_member_by_id(ctx, m).member_number for m in paid}
    for line in lines:
        total = own[line.loan.id] + covered[line.loan.id]
        if not total:
            continue
        who = tuple((numbers[m], amount) for m, amount in covered_by[line.loan.id].items())
        memo = f"Angsuran kelompok {group.code} {line.loan.number}"
        if who:
            memo += " (tanggung renteng " + ", ".join(
                f"{number} {Money(amount, line.loan.currency).format()}"
                for number, amount in who) + ")"
        loan, _entry, _alloc = repay(ctx, line.loan, source, Money(total, line.loan.currency),
                                     memo=memo, kind="repayment")
        applied.append(Applied(loan, own[line.loan.id], covered[line.loan.id], who))
    return applied
