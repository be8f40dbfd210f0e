"""Refunds of simpanan pokok and wajib deferred by the AD/ART (DOMAIN.md §1).

On a member's exit, with the policy's ``exit_refund`` (:mod:`kopcore_savings.policy`):

- ``immediate``: refunded with the rest of the exit settlement (the kernel's payout account);
- ``installments``: owed in ``n`` parts, the first ``interval`` months after the exit and one
  every ``interval`` months after it. Each part is the refund divided by ``n`` **rounded down to
  the whole rupiah**; the last part takes what is left, so the parts add up to the refund;
- ``after-rat``: owed in one part that falls due when the RAT approving the accounts of the
  year of the exit has been held (:func:`release_after_rat` records its date).

The capital refunded is the pokok and wajib balances less the wajib arrears deducted from them;
sukarela and matured time deposits are always paid with the exit. The deferred amount moves
from the member's pokok and wajib accounts to ``payable.member_exit`` (Utang Pengembalian
Simpanan Anggota Keluar) in the exit's own entry, and each part is recorded in
``savings_exit_refunds``. :func:`pay_due` pays every part due by the business date in one entry
(debit ``payable.member_exit``, credit the payout account: teller cash or bank).
"""

from __future__ import annotations

from datetime import date

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import ValidationError
from kopcore.ledger import JournalEntry, Member
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_savings.messages import _
from kopcore_savings.policy import ExitRefund, SavingsPolicy, get_policy
from kopcore_savings.tables import exit_refunds
from kopcore_savings.time_deposits import add_months

#: The liability of refunds owed to former members (the kernel's chart).
EXIT_PAYABLE_GL = "payable.member_exit"
#: Installments are whole rupiah (100 sen); the last one takes the remainder.
WHOLE_RUPIAH = 100


@attrs.frozen
class ExitRefundPart:
    id: int
    member_id: int
    installment: int
    installments: int
    left_on: date
    due_on: date | None
    after_rat_of: int | None
    amount: Money
    paid_on: date | None
    entry_id: int | None


def installment_amounts(total: int, parts: int, unit: int = WHOLE_RUPIAH) -> list[int]:
    """``total`` (minor units) in ``parts``: each ``total / parts`` rounded down to ``unit``,
    the last taking the remainder.

    >>> installment_amounts(100_000_000, 3)
    [33333300, 33333300, 33333400]
    """
    each = total // parts // unit * unit
    return [each] * (parts - 1) + [total - each * (parts - 1)]


@attrs.frozen
class PlannedPart:
    """A part of a deferred refund as the policy schedules it: due on ``due_on``, or (``None``)
    once the RAT approving the accounts of ``after_rat_of`` has been held."""

    installment: int
    installments: int
    due_on: date | None
    after_rat_of: int | None
    amount: Money


def plan(policy: SavingsPolicy, capital: int, currency: str, left_on: date
         ) -> list[PlannedPart]:
    """The parts in which ``policy`` defers the refund of ``capital`` (minor units) of a member
    leaving on ``left_on``; none when the policy refunds at once or there is nothing to refund.
    What an exit records (:func:`defer`) and what its preview shows."""
    if policy.exit_refund is ExitRefund.IMMEDIATE or capital <= 0:
        return []
    if policy.exit_refund is ExitRefund.INSTALLMENTS:
        amounts = installment_amounts(capital, policy.exit_refund_installments)
        return [PlannedPart(n, len(amounts),
                            add_months(left_on, n * policy.exit_refund_interval_months), None,
                            Money(amount, currency))
                for n, amount in enumerate(amounts, start=1)]
    return [PlannedPart(1, 1, None, left_on.year, Money(capital, currency))]


def defer(ctx: Context, member: Member, capital: int, currency: str) -> PostingLine | None:
    """Record the deferred refund of ``capital`` (minor units) for a leaving member as the
    policy says (:func:`plan`), and return the line crediting ``payable.member_exit`` with it;
    ``None`` when the policy refunds at once or there is nothing to refund."""
    today = ctx.business_date
    parts = plan(get_policy(ctx), capital, currency, today)
    if not parts:
        return None
    ctx.conn.execute(exit_refunds.insert(), [
        {"installment": p.installment, "installments": p.installments, "amount": p.amount.minor,
         "due_on": p.due_on, "after_rat_of": p.after_rat_of, "member_id": member.id,
         "left_on": today, "currency": currency}
        for p in parts])
    return PostingLine(ledger.gl_account_number(EXIT_PAYABLE_GL), Side.CREDIT,
                       Money(capital, currency))


def _part(row: sa.Row[tuple[object, ...]]) -> ExitRefundPart:
    m = row._mapping
    return ExitRefundPart(m["id"], m["member_id"], m["installment"], m["installments"],
                          m["left_on"], m["due_on"], m["after_rat_of"],
                          Money(int(m["amount"]), m["currency"]), m["paid_on"], m["entry_id"])


def pending(ctx: Context, *, member_id: int | None = None, due_by: date | None = None
            ) -> list[ExitRefundPart]:
    """Parts not yet paid, by due date (those waiting for the RAT last), then member.
    ``due_by``: only the parts due on or before that date."""
    r = exit_refunds.c
    query = sa.select(exit_refunds).where(r.paid_on.is_(None))
    if member_id is not None:
        query = query.where(r.member_id == member_id)
    if due_by is not None:
        query = query.where(r.due_on.is_not(None), r.due_on <= due_by)
    query = query.order_by(r.due_on.is_(None), r.due_on, r.member_id, r.installment)
    return [_part(row) for row in ctx.conn.execute(query)]


def pay_due(ctx: Context, payout_account: str, *, member_id: int | None = None
            ) -> tuple[list[ExitRefundPart], JournalEntry | None]:
    """Pay every part due by the business date (of one former member, or all) in one entry:
    debit ``payable.member_exit``, credit ``payout_account``."""
    due = pending(ctx, member_id=member_id, due_by=ctx.business_date)
    if not due:
        return [], None
    payout = ledger.get_account(ctx, payout_account)
    currency = due[0].amount.currency
    if payout.currency != currency or any(p.amount.currency != currency for p in due):
        raise ValidationError(_("the refunds are in {currency}; account {account} is not",
                                currency=currency, account=payout_account),
                              field="payout_account")
    total = Money(sum(p.amount.minor for p in due), currency)
    entry = ledger.post_entry(ctx, [
        PostingLine(ledger.gl_account_number(EXIT_PAYABLE_GL), Side.DEBIT, total),
        PostingLine(payout.number, Side.CREDIT, total)],
        memo=f"Pengembalian simpanan anggota keluar ({len(due)} angsuran)")
    r = exit_refunds.c
    ctx.conn.execute(sa.update(exit_refunds).where(r.id.in_([p.id for p in due]))
                     .values(paid_on=ctx.business_date, entry_id=entry.id))
    return pending_by_ids(ctx, [p.id for p in due]), entry


def pending_by_ids(ctx: Context, ids: list[int]) -> list[ExitRefundPart]:
    r = exit_refunds.c
    return [_part(row) for row in ctx.conn.execute(
        sa.select(exit_refunds).where(r.id.in_(ids)).order_by(r.id))]


def release_after_rat(ctx: Context, year: int, held_on: date) -> list[ExitRefundPart]:
    """The RAT approving the accounts of ``year`` was held on ``held_on``: the refunds waiting
    for it fall due that day."""
    if held_on <= date(year, 12, 31):
        raise ValidationError(_("the RAT approving the accounts of {year} is held after the "
                                "year ends", year=year), field="held_on")
    if held_on > ctx.business_date:
        raise ValidationError(_("the RAT date {day} is after the business date",
                                day=held_on), field="held_on")
    r = exit_refunds.c
    ids = list(ctx.conn.execute(sa.select(r.id).where(
        r.after_rat_of == year, r.due_on.is_(None), r.paid_on.is_(None))).scalars())
    if ids:
        ctx.conn.execute(sa.update(exit_refunds).where(r.id.in_(ids)).values(due_on=held_on))
    return pending_by_ids(ctx, ids)
