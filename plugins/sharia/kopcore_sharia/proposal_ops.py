"""Operations for the maker-checker decisions: wadiah bonus and muqasah."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    Conflict,
    Forbidden,
    InsufficientFunds,
    NotFound,
    PostingVetoed,
    ValidationError,
)
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.views import EntryOut
from kopcore_sharia import chart, murabahah, proposals
from kopcore_sharia.messages import _
from kopcore_sharia.operations import ACCOUNT, CASH, MEMO, _account, _positive


@attrs.frozen
class BonusIn:
    account: str = attrs.field(metadata=ACCOUNT)
    amount: Decimal = attrs.field(metadata={"help": "Bonus in rupiah, the operator's decision"})
    period: str = attrs.field(metadata={"help": "Month the bonus is for, YYYY-MM",
                                        "max_length": 7})
    memo: str = attrs.field(default="", metadata=MEMO)


@attrs.frozen
class MuqasahIn:
    account: str = attrs.field(metadata=ACCOUNT)
    discount: Decimal = attrs.field(metadata={
        "help": "Early-settlement discount in rupiah, at most the margin not yet recognised"})
    cash_account: str = attrs.field(metadata=CASH)
    memo: str = attrs.field(default="", metadata=MEMO)


@attrs.frozen
class DecideIn:
    proposal: int = attrs.field(metadata={"help": "Proposal id", "minimum": 1})


@attrs.frozen
class ListIn:
    status: str | None = attrs.field(default=None, metadata={
        "help": "pending, approved or rejected (default: all)", "max_length": 16})


@attrs.frozen
class ProposalOut:
    id: int
    kind: str
    account: str
    amount: Money
    period: str | None
    memo: str
    maker: str
    proposed_on: date
    status: str
    checker: str | None
    decided_on: date | None


@attrs.frozen
class DecidedOut:
    proposal: ProposalOut
    entry: EntryOut | None


@attrs.frozen
class ProposalsOut:
    proposals: list[ProposalOut]


def _out(ctx: Context, p: proposals.Proposal) -> ProposalOut:
    a = query.accounts.c
    number, currency = ctx.conn.execute(sa.select(a.number, a.currency)
                                        .where(a.id == p.account_id)).one()
    return ProposalOut(p.id, p.kind.value, number, Money(p.amount, currency), p.period, p.memo,
                       p.maker, p.proposed_on, p.status, p.checker, p.decided_on)


def bonus_propose(ctx: Context, data: BonusIn) -> ProposalOut:
    """Propose a discretionary wadiah bonus for a period (never promised, never automatic). It
    posts only when another user approves it (``sharia.proposal-approve``)."""
    account = _account(ctx, data.account, chart.WADIAH_PRODUCT, "wadiah")
    amount = _positive(ctx, data.amount, "amount", account.currency)
    return _out(ctx, proposals.propose(ctx, proposals.Kind.WADIAH_BONUS, account.id, amount,
                                       data.memo or f"Bonus wadiah {data.period}",
                                       period=data.period))


def muqasah_propose(ctx: Context, data: MuqasahIn) -> ProposalOut:
    """Propose settling a murabahah early with a discretionary discount (muqasah). On another
    user's approval the member pays the outstanding less the discount and the contract is
    settled; the discount reduces margin income, never booked as an expense."""
    contract = murabahah.get_contract(ctx, data.account)
    if contract.status != murabahah.ACTIVE:
        raise Conflict(_("murabahah {account} is already settled",
                         account=data.account), field="account")
    discount = _positive(ctx, data.discount, "discount", contract.account.currency)
    if discount.minor > contract.deferred_margin:
        raise ValidationError(_("muqasah must be at most the unrecognised margin {margin}",
                                margin=contract.money(contract.deferred_margin)),
                              field="discount")
    return _out(ctx, proposals.propose(ctx, proposals.Kind.MUQASAH, contract.account.id,
                                       discount, data.memo or "Muqasah pelunasan dipercepat",
                                       cash_account=murabahah.internal_account(
                                           ctx, data.cash_account)))


def approve(ctx: Context, data: DecideIn) -> DecidedOut:
    """Approve a proposal made by someone else; it posts now (the bonus, or the settlement with
    its muqasah, at the outstanding of today)."""
    proposal, entry = proposals.approve(ctx, data.proposal)
    return DecidedOut(_out(ctx, proposal), EntryOut.of(entry))


def reject(ctx: Context, data: DecideIn) -> DecidedOut:
    """Reject a proposal made by someone else; nothing posts."""
    return DecidedOut(_out(ctx, proposals.reject(ctx, data.proposal)), None)


def listing(ctx: Context, data: ListIn) -> ProposalsOut:
    """Proposals (wadiah bonuses, muqasah), oldest first."""
    if data.status not in (None, proposals.PENDING, proposals.APPROVED, proposals.REJECTED):
        raise ValidationError(_("status: pending, approved or rejected"), field="status")
    return ProposalsOut([_out(ctx, p) for p in proposals.listed(ctx, data.status)])


DECIDE_ERRORS = (NotFound, Conflict, Forbidden, InsufficientFunds, AccountClosed,
                 AccountFrozen, PostingVetoed, ValidationError)

OPERATIONS: tuple[Operation, ...] = (
    Operation("sharia.wadiah-bonus-propose", BonusIn, ProposalOut, bonus_propose,
              permission=chart.MANAGE, mutates=True,
              summary="Propose a discretionary wadiah bonus", account_fields=("account",),
              errors=(NotFound, Conflict, ValidationError)),
    Operation("sharia.muqasah-propose", MuqasahIn, ProposalOut, muqasah_propose,
              permission=chart.TRANSACT, mutates=True,
              summary="Propose an early murabahah settlement with muqasah",
              account_fields=("account",), errors=(NotFound, Conflict, ValidationError)),
    Operation("sharia.proposal-approve", DecideIn, DecidedOut, approve,
              permission=chart.MANAGE, mutates=True,
              summary="Approve someone else's proposal; it posts", errors=DECIDE_ERRORS),
    Operation("sharia.proposal-reject", DecideIn, DecidedOut, reject, permission=chart.MANAGE,
              mutates=True, summary="Reject someone else's proposal",
              errors=(NotFound, Conflict, Forbidden)),
    Operation("sharia.proposals", ListIn, ProposalsOut, listing, permission=chart.MANAGE,
              mutates=False, summary="List bonus and muqasah proposals",
              errors=(ValidationError,)),
)
