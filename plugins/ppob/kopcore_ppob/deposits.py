"""The deposit a provider keeps: top-ups, agreed adjustments, and the balance kopcore expects.

Aggregators sell from a deposit the cooperative pays in advance. kopcore knows that deposit from
its own books: every top-up recorded with ``ppob topup`` (Dr provider payable / Cr the bank or
cash account it was paid from), less what each successful purchase cost, less the adjustments
agreed at reconciliation. The daily reconciliation shows that expected deposit next to the one
the provider reports; end of day warns when they differ.

Adjustments (``ppob reconcile-adjust``, a second person approves above the maker-checker
threshold), each once per ref_id:

- ``price``: the statement charged a purchase at another price than booked. Charged more:
  Dr ``ppob.loss`` / Cr provider payable; charged less: Dr provider payable / Cr fee income.
- ``unrecorded``: a purchase on the statement that is not in our books (made outside kopcore
  on the same account): Dr ``ppob.loss`` / Cr provider payable.
"""

from __future__ import annotations

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_ppob import catalogue, chart, flow, tables
from kopcore_ppob.messages import _
from kopcore_ppob.providers import registry

TOPUP, PRICE, UNRECORDED = "topup", "price", "unrecorded"
ADJUSTMENTS = (PRICE, UNRECORDED)


@attrs.frozen
class Move:
    provider: str
    kind: str
    ref_id: str | None
    #: Minor units; positive adds to the deposit.
    amount: int
    entry_id: int | None


def _record(ctx: Context, provider: str, kind: str, ref_id: str | None, amount: int,
            entry_id: int, note: str | None) -> Move:
    ctx.conn.execute(tables.deposit_moves.insert().values(
        provider=provider, kind=kind, ref_id=ref_id, amount=amount, entry_id=entry_id,
        business_date=ctx.business_date, note=(note or None) and note[:200]))
    return Move(provider, kind, ref_id, amount, entry_id)


def top_up(ctx: Context, provider: str, amount_minor: int, from_account: str,
           note: str | None) -> Move:
    """Record a top-up of ``provider``'s deposit paid from an internal account."""
    if provider not in registry(ctx):
        raise NotFound(_("no PPOB provider named '{provider}'",
                         provider=provider))
    if amount_minor <= 0:
        raise ValidationError(_("amount must be more than zero"), field="amount")
    if ledger.get_account(ctx, from_account).member_id is not None:
        raise ValidationError(_("from_account must be an internal account (bank, cash), not a "
                                "member's"), field="from_account")
    money = Money(amount_minor, ctx.settings.currency)
    entry = ledger.post_entry(ctx, [
        PostingLine(ledger.gl_account_number(chart.PAYABLE_GL), Side.DEBIT, money),
        PostingLine(from_account, Side.CREDIT, money),
    ], memo=f"PPOB deposit top-up, {provider}" + (f": {note}" if note else ""))
    return _record(ctx, provider, TOPUP, None, amount_minor, entry.id, note)


def adjust(ctx: Context, ref_id: str, kind: str, provider_price_minor: int, amount_minor: int,
           provider: str | None, note: str | None) -> Move:
    """Post an adjustment agreed at reconciliation (see the module), once per ref_id.

    ``provider_price_minor`` is the price on the provider's statement; ``amount_minor`` repeats
    the difference it makes (what maker-checker compares)."""
    if kind not in ADJUSTMENTS:
        raise ValidationError(_("kind: price or unrecorded"), field="kind")
    if provider_price_minor < 0:
        raise ValidationError(_("provider_price cannot be negative"), field="provider_price")
    txn = flow.get_txn(ctx, ref_id)
    if kind == PRICE:
        if txn is None or txn.status != flow.SUCCESS:
            raise Conflict(_("{ref_id} is not a successful purchase in our books",
                             ref_id=ref_id))
        provider = txn.provider
        delta = provider_price_minor - flow.cost_of(txn)
        if delta == 0:
            raise Conflict(_("{ref_id} was booked at the statement's price: nothing to adjust",
                             ref_id=ref_id))
    else:
        if txn is not None:
            raise Conflict(_("{ref_id} is in our books: adjust its price, or settle it",
                             ref_id=ref_id))
        if provider is None or provider not in registry(ctx):
            raise ValidationError(_("provider: the provider whose statement lists it"),
                                  field="provider")
        delta = provider_price_minor
    if amount_minor != abs(delta):
        raise ValidationError(_("amount: repeat the adjustment, {amount}",
                                amount=Money(abs(delta), ctx.settings.currency)),
                              field="amount")
    t = tables.deposit_moves.c
    if ctx.conn.execute(sa.select(t.id).where(t.ref_id == ref_id, t.kind == kind)).first():
        raise Conflict(_("{ref_id} was already adjusted ({kind})",
                         ref_id=ref_id, kind=kind))
    money = Money(abs(delta), ctx.settings.currency)
    payable = ledger.gl_account_number(chart.PAYABLE_GL)
    if delta > 0:  # the provider took more than we booked: a loss
        lines = [PostingLine(ledger.gl_account_number(chart.LOSS_GL), Side.DEBIT, money),
                 PostingLine(payable, Side.CREDIT, money)]
    else:  # it took less: the margin was larger
        lines = [PostingLine(payable, Side.DEBIT, money),
                 PostingLine(ledger.gl_account_number(chart.FEE_INCOME_GL), Side.CREDIT,
                             money)]
    entry = ledger.post_entry(ctx, lines, memo=f"PPOB reconciliation {ref_id}: {kind}",
                              idempotency_key=f"ppob:{ref_id}:{kind}-adjustment")
    return _record(ctx, provider, kind, ref_id, -delta, entry.id, note)


def recorded(ctx: Context, provider: str) -> bool:
    """Whether kopcore knows this provider's deposit: a top-up was recorded."""
    t = tables.deposit_moves.c
    return ctx.conn.execute(sa.select(t.id).where(t.provider == provider, t.kind == TOPUP)
                            .limit(1)).first() is not None


def expected(ctx: Context, provider: str) -> int:
    """The deposit the books say the provider holds (minor units): top-ups and adjustments less
    the cost of every successful purchase."""
    t = tables.deposit_moves.c
    moves = ctx.conn.execute(sa.select(sa.func.coalesce(sa.func.sum(t.amount), 0))
                             .where(t.provider == provider)).scalar_one()
    c = tables.transactions.c
    costs = ctx.conn.execute(sa.select(sa.func.coalesce(sa.func.sum(
        sa.func.coalesce(c.cost, c.buy_price)), 0)).where(
        c.provider == provider, c.status == flow.SUCCESS)).scalar_one()
    return int(moves) - int(costs)


def reported(ctx: Context, provider: str) -> int | None:
    """The deposit the provider last reported, in minor units."""
    known = flow.known_deposit(ctx, provider)
    return None if known is None else known * catalogue.scale(ctx)
