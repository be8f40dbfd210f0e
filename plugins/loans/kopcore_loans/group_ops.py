"""Group loan operations: groups, the meeting's collection sheet and its result as one batch
(``loans group-create``, ``group-add-member``, ``group-get``, ``group-list``, ``group-sheet``,
``group-collect``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    Conflict,
    InsufficientFunds,
    MemberNotActive,
    NotFound,
    PostingVetoed,
    ValidationError,
)
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore_loans import groups
from kopcore_loans.lifecycle import money_account
from kopcore_loans.loan import outstanding_principal
from kopcore_loans.messages import _

READ = "loans.read"
RECORDS = "loans.records"
REPAY = "loans.repay"

GROUP = {"help": "Group code, e.g. KLP-MAWAR", "max_length": 32}
MEMBER = {"help": "Member number", "max_length": 32}


@attrs.frozen
class GroupCreateIn:
    code: str = attrs.field(metadata=GROUP)
    name: str = attrs.field(metadata={"help": "Group name", "max_length": 200})
    leader: str = attrs.field(metadata={**MEMBER, "help": "Member number of the leader"})
    meeting_day: str = attrs.field(metadata={"help": "monday … sunday", "max_length": 16})
    joint_liability: groups.JointLiability = attrs.field(
        default=groups.JointLiability.EQUAL, converter=groups.JointLiability,
        metadata={"help": "Tanggung renteng: a shortfall is covered in equal shares by the "
                          "members who brought more than their dues (equal), or by each in "
                          "turn (in-order)"})


@attrs.frozen
class GroupMemberIn:
    group: str = attrs.field(metadata=GROUP)
    member: str = attrs.field(metadata=MEMBER)


@attrs.frozen
class GroupIn:
    group: str = attrs.field(metadata=GROUP)


@attrs.frozen
class GroupListIn:
    """No parameters."""


@attrs.frozen
class SheetIn:
    group: str = attrs.field(metadata=GROUP)
    day: date | None = attrs.field(default=None,
                                   metadata={"help": "Meeting day (default: today)"})


@attrs.frozen
class PaidIn:
    member: str = attrs.field(metadata=MEMBER)
    amount: Decimal = attrs.field(metadata={"help": "What the member handed over"})


@attrs.frozen
class CollectIn:
    group: str = attrs.field(metadata=GROUP)
    cash_account: str = attrs.field(metadata={
        "help": "Cash account the collector brings the money to (e.g. CASH-01)",
        "max_length": 64})
    payments: list[PaidIn] = attrs.field(metadata={
        "help": 'What each member paid, e.g. [{"member": "A0001", "amount": "55000"}, ...]'})


@attrs.frozen
class GroupLoanOut:
    loan: str
    member_number: str
    member_name: str
    outstanding_principal: Money
    due: Money
    overdue: Money
    days_past_due: int
    collectibility: str | None


@attrs.frozen
class GroupOut:
    """A group (kelompok): leader, meeting day, members, its loans and their arrears."""

    code: str
    name: str
    leader: str
    meeting_day: str
    members: list[str]
    loans: list[GroupLoanOut]
    outstanding_principal: Money
    overdue: Money
    collectibility: str | None
    #: equal or in-order (:class:`kopcore_loans.groups.JointLiability`).
    joint_liability: str


@attrs.frozen
class GroupSummaryOut:
    code: str
    name: str
    leader: str
    leader_name: str
    meeting_day: str
    members: int
    loans: int
    outstanding_principal: Money
    overdue: Money
    collectibility: str | None


@attrs.frozen
class GroupListOut:
    """Every loan group with its leader, meeting day, members, outstanding and arrears."""

    items: list[GroupSummaryOut]


@attrs.frozen
class SheetOut:
    """The collection sheet of a meeting: what each loan asks by that day (``due``, of which
    ``overdue`` was already due before it)."""

    group: str
    name: str
    leader: str
    leader_name: str
    meeting_day: str
    day: date
    lines: list[GroupLoanOut]
    total_due: Money
    total_overdue: Money


@attrs.frozen
class CoverOut:
    """What one member paid towards another's shortfall."""

    member_number: str
    amount: Money


@attrs.frozen
class CollectedOut:
    loan: str
    member_number: str
    own: Money
    covered_by_group: Money
    #: The members who covered it, and (``covers``) how much each.
    covered_by: list[str]
    overdue_left: Money
    covers: list[CoverOut]


@attrs.frozen
class CollectOut:
    """The meeting's result as applied: per loan, what the borrower paid and what the group
    covered (tanggung renteng)."""

    group: str
    day: date
    total: Money
    loans: list[CollectedOut]


def _lines(ctx: Context, group: groups.Group, day: date) -> list[GroupLoanOut]:
    out = []
    for line in groups.sheet(ctx, group, day):
        loan = line.loan
        member = ledger.get_member_by_id(ctx, loan.member_id)
        principal = Money(outstanding_principal(ctx, loan), loan.currency)
        out.append(GroupLoanOut(loan.number, member.member_number, member.name, principal,
                                Money(line.due, loan.currency),
                                Money(line.overdue, loan.currency), loan.days_past_due,
                                loan.collectibility))
    return out


def _total(ctx: Context, amounts: list[Money]) -> Money:
    return Money(sum(m.minor for m in amounts), ctx.settings.currency)


def group_out(ctx: Context, group: groups.Group) -> GroupOut:
    lines = _lines(ctx, group, ctx.business_date)
    member = ledger.get_member_by_id
    return GroupOut(group.code, group.name, member(ctx, group.leader_member_id).member_number,
                    group.meeting_day,
                    [member(ctx, m).member_number for m in groups.members_of(ctx, group)],
                    lines, _total(ctx, [x.outstanding_principal for x in lines]),
                    _total(ctx, [x.overdue for x in lines]),
                    groups.worst_class(ctx, groups.running_loans(ctx, group)),
                    group.joint_liability.value)


def group_create(ctx: Context, data: GroupCreateIn) -> GroupOut:
    """Form a group (kelompok) with its leader and meeting day."""
    return group_out(ctx, groups.create(ctx, data.code, data.name,
                                        ledger.get_member(ctx, data.leader), data.meeting_day,
                                        data.joint_liability))


def group_add_member(ctx: Context, data: GroupMemberIn) -> GroupOut:
    """Add a member to a group (one group at a time)."""
    group = groups.get_group(ctx, data.group)
    groups.add_member(ctx, group, ledger.get_member(ctx, data.member))
    return group_out(ctx, group)


def group_get(ctx: Context, data: GroupIn) -> GroupOut:
    """A group with its members, loans, arrears and collectibility."""
    return group_out(ctx, groups.get_group(ctx, data.group))


def group_list(ctx: Context, data: GroupListIn) -> GroupListOut:
    """Every loan group with its leader, meeting day, members, outstanding and arrears."""
    items = []
    for group in groups.all_groups(ctx):
        lines = _lines(ctx, group, ctx.business_date)
        leader = ledger.get_member_by_id(ctx, group.leader_member_id)
        items.append(GroupSummaryOut(
            group.code, group.name, leader.member_number, leader.name, group.meeting_day,
            len(groups.members_of(ctx, group)), len(lines),
            _total(ctx, [x.outstanding_principal for x in lines]),
            _total(ctx, [x.overdue for x in lines]),
            groups.worst_class(ctx, groups.running_loans(ctx, group))))
    return GroupListOut(items)


def group_sheet(ctx: Context, data: SheetIn) -> SheetOut:
    """The collection sheet of a group's meeting."""
    group = groups.get_group(ctx, data.group)
    day = data.day or ctx.business_date
    lines = _lines(ctx, group, day)
    leader = ledger.get_member_by_id(ctx, group.leader_member_id)
    return SheetOut(group.code, group.name, leader.member_number, leader.name,
                    group.meeting_day, day, lines, _total(ctx, [x.due for x in lines]),
                    _total(ctx, [x.overdue for x in lines]))


def group_collect(ctx: Context, data: CollectIn) -> CollectOut:
    """Enter a meeting's result as one batch, applied under joint liability."""
    group = groups.get_group(ctx, data.group)
    paid: dict[int, int] = {}
    for line in data.payments:
        member = ledger.get_member(ctx, line.member)
        amount = Money.parse(line.amount, ctx.settings.currency, field="payments")
        if member.id in paid:
            raise ValidationError(_("member {member} is listed twice",
                                    member=line.member), field="payments")
        paid[member.id] = amount.minor
    if not paid:
        raise ValidationError(_("enter what the members paid"), field="payments")
    source = money_account(ctx, ledger.get_member_by_id(ctx, group.leader_member_id),
                           "collection", use_savings=False, cash_account=data.cash_account)
    applied = groups.collect(ctx, group, paid, source)
    cur = ctx.settings.currency
    left = {x.loan: x.overdue for x in _lines(ctx, group, ctx.business_date)}
    return CollectOut(group.code, ctx.business_date, Money(sum(paid.values()), cur), [
        CollectedOut(a.loan.number, ledger.get_member_by_id(ctx, a.loan.member_id).member_number,
                     Money(a.own, cur), Money(a.covered, cur),
                     [number for number, _ in a.covered_by],
                     left.get(a.loan.number, Money(0, cur)),
                     [CoverOut(number, Money(amount, cur)) for number, amount in a.covered_by])
        for a in applied])


MONEY = (NotFound, Conflict, ValidationError, InsufficientFunds, AccountClosed, AccountFrozen,
         PostingVetoed, MemberNotActive)

OPERATIONS: tuple[Operation, ...] = (
    Operation("loans.group-create", GroupCreateIn, GroupOut, group_create, permission=RECORDS,
              mutates=True, summary="Form a loan group (kelompok)",
              errors=(NotFound, ValidationError, Conflict, MemberNotActive)),
    Operation("loans.group-add-member", GroupMemberIn, GroupOut, group_add_member,
              permission=RECORDS, mutates=True, summary="Add a member to a loan group",
              errors=(NotFound, Conflict, MemberNotActive)),
    Operation("loans.group-get", GroupIn, GroupOut, group_get, permission=READ,
              mutates=False, summary="A loan group, its loans and arrears",
              errors=(NotFound,)),
    Operation("loans.group-list", GroupListIn, GroupListOut, group_list, permission=READ,
              mutates=False, summary="List loan groups with their arrears"),
    Operation("loans.group-sheet", SheetIn, SheetOut, group_sheet, permission=READ,
              mutates=False, summary="A group meeting's collection sheet", errors=(NotFound,)),
    Operation("loans.group-collect", CollectIn, CollectOut, group_collect, permission=REPAY,
              mutates=True, summary="Enter a group meeting's collections as one batch",
              errors=MONEY),
)
