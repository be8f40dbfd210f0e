"""Inquiry, payment and resolution of PPOB transactions — exactly once per ref_id.

A payment runs in two committed steps around the provider call:

1. **begin** (one write transaction): the ``ppob_transactions`` row is claimed as ``pending``
   (``ref_id`` is unique) and the money is set aside — a hold on the member's savings account
   (reference ``ppob:<ref_id>``), or the teller's cash moved to ``suspense``.
2. the provider is asked, outside any database transaction; an exception leaves it pending;
3. **resolve** (one write transaction): only the caller that moves the row out of ``pending``
   (a conditional UPDATE) acts. Success releases the hold and posts the member (or suspense) →
   provider payable at the buy price and fee income for the margin; failure releases the hold
   (or returns the cash). Entries carry the idempotency key ``ppob:<ref_id>``.

A crash between 1 and 3 leaves a pending row with its hold, which ``ppob.status`` or the end-of-day
poll resolves. An answer contradicting a final outcome (success after failure) is recorded in
``anomaly`` for the operator and never posted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_ppob import catalogue, chart, tables
from kopcore_ppob.providers import Outcome, Provider, Result, make_provider

log = logging.getLogger(__name__)

T = TypeVar("T")

PENDING, SUCCESS, FAILED, INQUIRED = "pending", "success", "failed", "inquired"


@attrs.frozen
class Txn:
    id: int
    ref_id: str
    provider: str
    sku: str
    customer_no: str
    customer_name: str | None
    status: str
    member_id: int | None
    source_account: str | None
    paid_by: str | None
    bill: int
    selling_price: int
    buy_price: int
    hold_id: int | None
    cash_entry_id: int | None
    entry_id: int | None
    sn: str | None
    message: str | None
    anomaly: str | None
    created_on: date
    resolved_on: date | None


def check_ref_id(ref_id: str) -> str:
    if not 1 <= len(ref_id) <= 64 or not all(c.isalnum() or c in "-_" for c in ref_id):
        raise ValidationError("ref_id: 1-64 letters, digits, '-' or '_'", field="ref_id")
    return ref_id


def check_customer_no(customer_no: str) -> str:
    if not (customer_no.isascii() and customer_no.isdigit() and 6 <= len(customer_no) <= 20):
        raise ValidationError("customer number: 6-20 digits", field="customer_no")
    return customer_no


def get_txn(ctx: Context, ref_id: str) -> Txn | None:
    row = ctx.conn.execute(sa.select(tables.transactions)
                           .where(tables.transactions.c.ref_id == ref_id)).first()
    if row is None:
        return None
    return Txn(**{f.name: getattr(row, f.name) for f in attrs.fields(Txn)})


def require_txn(ctx: Context, ref_id: str) -> Txn:
    txn = get_txn(ctx, ref_id)
    if txn is None:
        raise NotFound(f"no PPOB transaction {ref_id!r}")
    return txn


def list_txns(ctx: Context, status: str | None, anomalies_only: bool,
              limit: int = 100) -> list[Txn]:
    c = tables.transactions.c
    query = sa.select(c.ref_id).order_by(c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(c.status == status)
    if anomalies_only:
        query = query.where(c.anomaly.is_not(None))
    return [require_txn(ctx, r) for r in ctx.conn.execute(query).scalars()]


def _same_request(txn: Txn, sku: str, customer_no: str) -> None:
    if txn.sku != sku or txn.customer_no != customer_no:
        raise Conflict(f"ref_id {txn.ref_id!r} was used for {txn.sku} {txn.customer_no}")


def _available(ctx: Context, sku: str) -> catalogue.Product:
    product = catalogue.get_product(ctx, sku)
    if not product.available:
        raise Conflict(f"PPOB product {sku} is not available now")
    if product.provider != catalogue.provider_name(ctx):
        raise Conflict(f"PPOB product {sku} belongs to provider {product.provider}; "
                       "sync the catalogue")
    return product


# -- inquiry ----------------------------------------------------------------------------------

def inquiry(ctx: Context, ref_id: str, sku: str, customer_no: str) -> Txn:
    """Ask the provider for a postpaid bill; the quote is kept under ``ref_id`` for the day."""
    check_ref_id(ref_id)
    check_customer_no(customer_no)
    existing = get_txn(ctx, ref_id)
    if existing is not None:
        _same_request(existing, sku, customer_no)
        return existing
    product = _available(ctx, sku)
    if not product.postpaid:
        raise ValidationError(f"{sku} is prepaid: pay it directly", field="sku")
    bill = catalogue.provider(ctx).inquiry(ref_id, sku, customer_no)
    unit = catalogue.scale(ctx)
    amount, admin_buy = bill.amount * unit, bill.admin_fee * unit
    admin_sell = catalogue.get_markup(ctx, product.category).apply(admin_buy)
    ctx.conn.execute(tables.transactions.insert().values(
        ref_id=ref_id, provider=product.provider, sku=sku, customer_no=customer_no,
        customer_name=bill.customer_name[:200], status=INQUIRED, bill=amount,
        selling_price=amount + admin_sell, buy_price=amount + admin_buy,
        created_on=ctx.business_date))
    return require_txn(ctx, ref_id)


# -- payment ----------------------------------------------------------------------------------

@attrs.frozen
class PayRequest:
    ref_id: str
    sku: str
    customer_no: str
    member: str | None = None
    cash_account: str | None = None


def begin(ctx: Context, req: PayRequest) -> tuple[Txn, bool]:
    """Claim ``ref_id`` and set the money aside. Returns the row and whether it is new (a repeat
    of a pay already begun returns the existing row, and nothing is sent again)."""
    check_ref_id(req.ref_id)
    check_customer_no(req.customer_no)
    existing = get_txn(ctx, req.ref_id)
    if existing is not None:
        _same_request(existing, req.sku, req.customer_no)
        if existing.status != INQUIRED:
            return existing, False
    product = _available(ctx, req.sku)
    if product.postpaid:
        if existing is None:
            raise Conflict(f"{req.sku} is a bill: inquire it first with this ref_id")
        if existing.created_on != ctx.business_date:
            raise Conflict(f"the quote for {req.ref_id} is from {existing.created_on}; "
                           "inquire again")
        selling, buy, bill = existing.selling_price, existing.buy_price, existing.bill
    else:
        selling, buy, bill = product.selling_price, product.buy_price, product.selling_price
    amount = Money(selling, ctx.settings.currency)
    member = ledger.get_member(ctx, req.member) if req.member else None
    if member is not None:
        ledger.require_active(ctx, member.id)
    values: dict[str, Any]
    if req.cash_account:
        entry = ledger.post_entry(ctx, [
            PostingLine(req.cash_account, Side.DEBIT, amount),
            PostingLine(ledger.gl_account_number(chart.SUSPENSE_GL), Side.CREDIT, amount),
        ], memo=f"PPOB {req.sku} {req.customer_no} ({req.ref_id}): cash received",
            idempotency_key=f"ppob:{req.ref_id}:cash")
        values = {"paid_by": "cash", "source_account": req.cash_account,
                  "cash_entry_id": entry.id}
    elif member is not None:
        account = ledger.settlement_account(ctx, member, "payment")
        if account is None:
            raise ValidationError(f"member {member.member_number} has no account that pays; "
                                  "take cash (cash_account)", field="cash_account")
        hold_id = ledger.place_hold(ctx, account.number, amount,
                                    reason=f"PPOB {req.sku} {req.customer_no}",
                                    reference=f"ppob:{req.ref_id}")
        values = {"paid_by": "savings", "source_account": account.number, "hold_id": hold_id}
    else:
        raise ValidationError("name the member paying from savings, or the cash_account",
                              field="member")
    values.update(status=PENDING, member_id=member.id if member else None)
    if existing is None:
        ctx.conn.execute(tables.transactions.insert().values(
            ref_id=req.ref_id, provider=product.provider, sku=req.sku,
            customer_no=req.customer_no, bill=bill, selling_price=selling, buy_price=buy,
            created_on=ctx.business_date, **values))
    else:
        c = tables.transactions.c
        claimed = ctx.conn.execute(sa.update(tables.transactions)
                                   .where(c.ref_id == req.ref_id, c.status == INQUIRED)
                                   .values(**values)).rowcount
        if claimed != 1:
            raise Conflict(f"ref_id {req.ref_id!r} is already being paid")
    return require_txn(ctx, req.ref_id), True


def ask(provider: Provider, txn: Txn, *, first: bool) -> Result:
    """The provider's answer; any error talking to it means the outcome is unknown: pending."""
    try:
        if first:
            return provider.transaction(txn.ref_id, txn.sku, txn.customer_no)
        return provider.status(txn.ref_id, txn.sku, txn.customer_no)
    except Exception as exc:  # network, timeout, malformed answer: ask again later
        log.warning("PPOB %s: provider %s did not answer: %s", txn.ref_id, provider.name, exc)
        return Result(txn.ref_id, Outcome.PENDING, "", f"no answer: {type(exc).__name__}")


def resolve(ctx: Context, ref_id: str, result: Result) -> Txn:
    """Apply the provider's answer to a transaction, exactly once."""
    txn = require_txn(ctx, ref_id)
    if result.outcome is Outcome.PENDING:
        return txn
    c = tables.transactions.c
    new = SUCCESS if result.outcome is Outcome.SUCCESS else FAILED
    claimed = ctx.conn.execute(
        sa.update(tables.transactions).where(c.ref_id == ref_id, c.status == PENDING)
        .values(status=new, sn=result.sn[:200] or None, message=result.message[:200],
                resolved_on=ctx.business_date)
    ).rowcount
    if claimed != 1:
        return _late_answer(ctx, require_txn(ctx, ref_id), new, result)
    money = Money(txn.selling_price, ctx.settings.currency)
    suspense = ledger.gl_account_number(chart.SUSPENSE_GL)
    if txn.hold_id is not None:
        ledger.release_hold(ctx, txn.hold_id)
    source = suspense if txn.paid_by == "cash" else str(txn.source_account)
    memo = f"PPOB {txn.sku} {txn.customer_no} ({ref_id})"
    if new == SUCCESS:
        fee = txn.selling_price - txn.buy_price
        lines = [PostingLine(source, Side.DEBIT, money),
                 PostingLine(ledger.gl_account_number(chart.PAYABLE_GL), Side.CREDIT,
                             Money(txn.buy_price, money.currency))]
        if fee > 0:
            lines.append(PostingLine(ledger.gl_account_number(chart.FEE_INCOME_GL),
                                     Side.CREDIT, Money(fee, money.currency)))
        entry = ledger.post_entry(ctx, lines, memo=memo, idempotency_key=f"ppob:{ref_id}")
        ctx.conn.execute(sa.update(tables.transactions).where(c.ref_id == ref_id)
                         .values(entry_id=entry.id))
    elif txn.paid_by == "cash":
        entry = ledger.post_entry(ctx, [
            PostingLine(suspense, Side.DEBIT, money),
            PostingLine(str(txn.source_account), Side.CREDIT, money),
        ], memo=memo + ": failed, cash returned", idempotency_key=f"ppob:{ref_id}:refund")
        ctx.conn.execute(sa.update(tables.transactions).where(c.ref_id == ref_id)
                         .values(entry_id=entry.id))
    return require_txn(ctx, ref_id)


def _late_answer(ctx: Context, txn: Txn, new: str, result: Result) -> Txn:
    if txn.status in (SUCCESS, FAILED) and txn.status != new and txn.anomaly is None:
        note = (f"provider reported {new}"
                + (f" (sn {result.sn})" if result.sn else "")
                + f" after {txn.status} was recorded on {txn.resolved_on}: not posted; "
                "settle with the provider")
        c = tables.transactions.c
        ctx.conn.execute(sa.update(tables.transactions).where(c.ref_id == txn.ref_id)
                         .values(anomaly=note[:200]))
        log.warning("PPOB %s: %s", txn.ref_id, note)
        return require_txn(ctx, txn.ref_id)
    return txn


def _write(ctx: Context, work: Callable[[Context], T]) -> T:
    return ctx.kernel.write(ctx.actor, work, operation=ctx.operation, principal=ctx.principal)


def pay(ctx: Context, req: PayRequest) -> Txn:
    """Begin, ask the provider, resolve — each committed on its own (``ctx`` is read-only)."""
    try:
        txn, fresh = _write(ctx, lambda w: begin(w, req))
    except sa.exc.IntegrityError:
        # A concurrent pay with the same ref_id claimed it first (unique ref_id): report theirs.
        txn = ctx.kernel.read(ctx.actor, lambda r: require_txn(r, req.ref_id))
        _same_request(txn, req.sku, req.customer_no)
        return txn
    if not fresh:
        return txn
    result = ask(make_provider(txn.provider), txn, first=True)
    return _write(ctx, lambda w: resolve(w, req.ref_id, result))


def check_status(ctx: Context, ref_id: str) -> Txn:
    """Ask the provider again about a pending (or failed) transaction and apply the answer."""
    txn = require_txn(ctx, ref_id)
    if txn.status in (SUCCESS, INQUIRED) or txn.anomaly is not None:
        return txn
    result = ask(make_provider(txn.provider), txn, first=False)
    return _write(ctx, lambda w: resolve(w, ref_id, result))
