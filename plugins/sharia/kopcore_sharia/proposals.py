"""Maker-checker decisions: a discretionary wadiah bonus, an early-settlement muqasah.

Neither is ever promised or automatic. One user proposes (``pending``); another approves, and
the approval posts; or another rejects. The maker may not decide their own proposal. A wadiah
account gets at most one bonus per period (``YYYY-MM``), pending or approved (a partial unique
index holds it under concurrent proposals too).
"""

from __future__ import annotations

import enum
import re
from datetime import date
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import Conflict, Forbidden, NotFound, ValidationError
from kopcore.ledger import JournalEntry
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_sharia import chart, murabahah
from kopcore_sharia.messages import _
from kopcore_sharia.tables import proposals

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class Kind(enum.StrEnum):
    WADIAH_BONUS = "wadiah-bonus"
    MUQASAH = "muqasah"


@attrs.frozen
class Proposal:
    id: int
    kind: Kind
    account_id: int
    amount: int
    period: str | None
    cash_account: str | None
    memo: str
    maker: str
    proposed_on: date
    status: str
    checker: str | None
    decided_on: date | None
    entry_id: int | None


def get(ctx: Context, proposal_id: int) -> Proposal:
    row = ctx.conn.execute(sa.select(proposals).where(proposals.c.id == proposal_id)).first()
    if row is None:
        raise NotFound(_("no sharia proposal {proposal}", proposal=proposal_id),
                       field="proposal")
    values: dict[str, Any] = dict(row._mapping)
    return Proposal(**{**values, "kind": Kind(values["kind"])})


def listed(ctx: Context, status: str | None) -> list[Proposal]:
    statement = sa.select(proposals.c.id).order_by(proposals.c.id)
    if status is not None:
        statement = statement.where(proposals.c.status == status)
    return [get(ctx, i) for i in ctx.conn.execute(statement).scalars()]


def propose(ctx: Context, kind: Kind, account_id: int, amount: Money, memo: str, *,
            period: str | None = None, cash_account: str | None = None) -> Proposal:
    if not amount.is_positive():
        raise ValidationError(_("amount must be positive"), field="amount")
    if kind is Kind.WADIAH_BONUS:
        if period is None or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            raise ValidationError(_("period: the month the bonus is for, YYYY-MM"), field="period")
        p = proposals.c
        if ctx.conn.execute(sa.select(p.id).where(
                p.kind == kind.value, p.account_id == account_id, p.period == period,
                p.status != REJECTED)).first():
            raise Conflict(_("a bonus for {period} is already proposed or granted",
                             period=period), field="period")
    try:
        new_id = ctx.conn.execute(proposals.insert().values(
            kind=kind.value, account_id=account_id, amount=amount.minor, period=period,
            cash_account=cash_account, memo=memo.strip()[:200], maker=ctx.actor,
            proposed_on=ctx.business_date, status=PENDING).returning(proposals.c.id)
        ).scalar_one()
    except sa.exc.IntegrityError as exc:
        # Another proposal for this account and period was made at the same moment: the
        # partial unique index ``uq_sharia_proposals_period`` keeps one.
        raise Conflict(_("a bonus for {period} is already proposed or granted",
                         period=period),
                       field="period") from exc
    return get(ctx, int(new_id))


def _decidable(ctx: Context, proposal: Proposal) -> None:
    if proposal.status != PENDING:
        raise Conflict(_("proposal {proposal} is already {proposal_status}",
                         proposal=proposal.id, proposal_status=_(proposal.status)),
                       field="proposal")
    if proposal.maker == ctx.actor:
        raise Forbidden(_("proposal {proposal} needs a second person: {actor} proposed it",
                          proposal=proposal.id, actor=ctx.actor))


def _claim(ctx: Context, proposal_id: int, status: str) -> Proposal:
    """Decide a pending proposal made by someone else: one conditional UPDATE, so of two
    checkers deciding at once exactly one wins (the other waits for it on PostgreSQL, then finds
    it decided) and only the winner posts."""
    p = proposals.c
    done = ctx.conn.execute(sa.update(proposals).where(
        p.id == proposal_id, p.status == PENDING, p.maker != ctx.actor).values(
        status=status, checker=ctx.actor, decided_on=ctx.business_date))
    proposal = get(ctx, proposal_id)
    if done.rowcount != 1:
        _decidable(ctx, proposal)
        raise Conflict(_("proposal {proposal} is no longer pending", proposal=proposal_id),
                       field="proposal")
    return proposal


def approve(ctx: Context, proposal_id: int) -> tuple[Proposal, JournalEntry]:
    """Approve and post: the bonus to the wadiah account, or the early settlement with the
    muqasah."""
    proposal = _claim(ctx, proposal_id, APPROVED)
    number = query.account_number(ctx, proposal.account_id)
    if proposal.kind is Kind.WADIAH_BONUS:
        account = ledger.get_account(ctx, number)
        amount = Money(proposal.amount, account.currency)
        entry = ledger.post_entry(
            ctx, [PostingLine(chart.gl(chart.WADIAH_BONUS), Side.DEBIT, amount),
                  PostingLine(number, Side.CREDIT, amount)],
            memo=(proposal.memo or f"Bonus wadiah {proposal.period}")[:500])
    else:
        contract = murabahah.get_contract(ctx, number)
        _, _, entry = murabahah.settle_early(ctx, number, proposal.cash_account or "",
                                             contract.money(proposal.amount))
    ctx.conn.execute(sa.update(proposals).where(proposals.c.id == proposal.id).values(
        entry_id=entry.id))
    return get(ctx, proposal.id), entry


def reject(ctx: Context, proposal_id: int) -> Proposal:
    return _claim(ctx, proposal_id, REJECTED)
