"""The savings policy, and refunds owed to former members (deferred by the AD/ART)."""

from __future__ import annotations

from datetime import date

import attrs

from kopcore import ledger
from kopcore.context import Context
from kopcore.money import Money
from kopcore.views import EntryOut
from kopcore_savings import exit_refunds, membership
from kopcore_savings.operations.common import MEMBER
from kopcore_savings.policy import (
    ExitRefund,
    SavingsPolicy,
    TaxAggregation,
    get_policy,
    set_policy,
)


@attrs.frozen
class PolicyGetIn:
    pass


@attrs.frozen
class PolicyOut:
    """What the AD/ART and the cooperative's decisions fix for every savings product."""

    exit_refund: ExitRefund
    exit_refund_installments: int
    exit_refund_interval_months: int
    tax_aggregation: TaxAggregation

    @classmethod
    def of(cls, p: SavingsPolicy) -> PolicyOut:
        return cls(p.exit_refund, p.exit_refund_installments, p.exit_refund_interval_months,
                   p.tax_aggregation)


@attrs.frozen
class PolicySetIn:
    exit_refund: ExitRefund | None = attrs.field(default=None, metadata={
        "help": "Refund of pokok and wajib on exit: immediate, installments or after-rat"})
    exit_refund_installments: int | None = attrs.field(default=None, metadata={
        "help": "Number of installments (installments)", "minimum": 2, "maximum": 120})
    exit_refund_interval_months: int | None = attrs.field(default=None, metadata={
        "help": "Months between installments, the first one after the exit", "minimum": 1,
        "maximum": 12})
    tax_aggregation: TaxAggregation | None = attrs.field(default=None, metadata={
        "help": "Withholding-tax threshold judged per account, or on the member's accounts "
                "together (member)"})


@attrs.frozen
class RefundPartOut:
    member: str
    name: str
    installment: int
    installments: int
    left_on: date
    #: None while the refund waits for the RAT of ``after_rat_of``.
    due_on: date | None
    after_rat_of: int | None
    amount: Money
    paid_on: date | None


@attrs.frozen
class RefundsIn:
    member: str | None = attrs.field(default=None, metadata={
        **MEMBER, "help": "Only this former member"})
    due_by: date | None = attrs.field(default=None, metadata={
        "help": "Only parts due on or before this date"})


@attrs.frozen
class RefundsOut:
    """Refunds of pokok and wajib still owed to former members (payable.member_exit)."""

    items: list[RefundPartOut]
    total: Money


@attrs.frozen
class RefundsPayIn:
    payout_account: str = attrs.field(metadata={
        "help": "Account that pays: teller cash or bank", "max_length": 64})
    member: str | None = attrs.field(default=None, metadata={
        **MEMBER, "help": "Only this former member"})


@attrs.frozen
class RefundsPaidOut:
    items: list[RefundPartOut]
    total: Money
    entry: EntryOut | None


@attrs.frozen
class RatHeldIn:
    year: int = attrs.field(metadata={"help": "Financial year whose accounts the RAT approved",
                                      "minimum": 2000, "maximum": 2999})
    held_on: date = attrs.field(metadata={"help": "Date of the RAT"})


@attrs.frozen
class ExitPreviewIn:
    member: str = attrs.field(metadata={**MEMBER, "help": "The member who would leave"})


@attrs.frozen
class PlannedPartOut:
    installment: int
    installments: int
    #: None: due once the RAT approving the accounts of ``after_rat_of`` has been held.
    due_on: date | None
    after_rat_of: int | None
    amount: Money


@attrs.frozen
class ExitPreviewOut:
    """What an exit today would do with the member's savings, by the code the exit runs: the
    balances refunded, the wajib arrears deducted, what is paid with the exit and the pokok and
    wajib the policy defers, part by part. The exit adds the sukarela interest earned so far."""

    member: str
    exit_refund: ExitRefund
    balances: Money
    deducted: Money
    paid_now: Money
    deferred: Money
    parts: list[PlannedPartOut]


def policy_get(ctx: Context, data: PolicyGetIn) -> PolicyOut:
    """The savings policy in force."""
    return PolicyOut.of(get_policy(ctx))


def policy_set(ctx: Context, data: PolicySetIn) -> PolicyOut:
    """Change the savings policy (settings left out stay as they are)."""
    current = get_policy(ctx)
    changes = {k: v for k, v in attrs.asdict(data).items() if v is not None}
    return PolicyOut.of(set_policy(ctx, attrs.evolve(current, **changes)))


def _parts(ctx: Context, parts: list[exit_refunds.ExitRefundPart]) -> list[RefundPartOut]:
    out = []
    for p in parts:
        member = ledger.get_member_by_id(ctx, p.member_id)
        out.append(RefundPartOut(member.member_number, member.name, p.installment,
                                 p.installments, p.left_on, p.due_on, p.after_rat_of, p.amount,
                                 p.paid_on))
    return out


def _total(ctx: Context, parts: list[RefundPartOut]) -> Money:
    return Money(sum(p.amount.minor for p in parts), ctx.settings.currency)


def _member_id(ctx: Context, member: str | None) -> int | None:
    return None if member is None else ledger.get_member(ctx, member).id


def refunds(ctx: Context, data: RefundsIn) -> RefundsOut:
    """Refunds still owed to former members, by due date (those waiting for the RAT last)."""
    parts = _parts(ctx, exit_refunds.pending(ctx, member_id=_member_id(ctx, data.member),
                                             due_by=data.due_by))
    return RefundsOut(parts, _total(ctx, parts))


def refunds_pay(ctx: Context, data: RefundsPayIn) -> RefundsPaidOut:
    """Pay every refund part due by the business date in one entry."""
    paid, entry = exit_refunds.pay_due(ctx, data.payout_account,
                                       member_id=_member_id(ctx, data.member))
    parts = _parts(ctx, paid)
    return RefundsPaidOut(parts, _total(ctx, parts), EntryOut.of(entry) if entry else None)


def rat_held(ctx: Context, data: RatHeldIn) -> RefundsOut:
    """Record the RAT that approved a year's accounts: refunds waiting for it fall due."""
    parts = _parts(ctx, exit_refunds.release_after_rat(ctx, data.year, data.held_on))
    return RefundsOut(parts, _total(ctx, parts))


def exit_preview(ctx: Context, data: ExitPreviewIn) -> ExitPreviewOut:
    """What the member's exit would refund now and what the savings policy defers."""
    member = ledger.get_member(ctx, data.member)
    found = membership.preview(ctx, member)
    return ExitPreviewOut(
        member.member_number, get_policy(ctx).exit_refund, found.refund, found.deducted,
        found.paid_now, found.deferred_total,
        [PlannedPartOut(p.installment, p.installments, p.due_on, p.after_rat_of, p.amount)
         for p in found.deferred])
