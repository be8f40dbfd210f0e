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
``anomaly`` for the operator and never posted; a manager resolves it once with
:func:`resolve_anomaly` (charged, absorbed or refunded).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, KopcoreError, NotFound, ValidationError
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_ppob import catalogue, chart, clock, routing, tables
from kopcore_ppob.errors import AnomalyResolved, DepositExhausted
from kopcore_ppob.messages import _
from kopcore_ppob.providers import (
    Outcome,
    Provider,
    Reason,
    Result,
    calling,
    make_provider,
    registry,
)

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
    created_at: datetime | None
    resolution: str | None
    resolution_note: str | None
    resolved_by: str | None
    resolution_on: date | None
    resolution_entry_id: int | None
    cost: int | None = None
    attention: str | None = None
    requested_sku: str | None = None


def check_ref_id(ref_id: str) -> str:
    if not 1 <= len(ref_id) <= 64 or not all(c.isalnum() or c in "-_" for c in ref_id):
        raise ValidationError(_("ref_id: 1-64 letters, digits, '-' or '_'"), field="ref_id")
    return ref_id


def check_customer_no(customer_no: str) -> str:
    if not (customer_no.isascii() and customer_no.isdigit() and 6 <= len(customer_no) <= 20):
        raise ValidationError(_("customer number: 6-20 digits"), field="customer_no")
    return customer_no


#: Customer numbers per category: (pattern, what the teller is told).
CUSTOMER_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "pln_token": (re.compile(r"\d{10,12}"), "a PLN meter number or customer ID: 10-12 digits"),
    "pln_postpaid": (re.compile(r"\d{10,12}"), "a PLN customer ID: 10-12 digits"),
    "pulsa": (re.compile(r"(08|628)\d{8,12}"), "a mobile number: 08... or 628..., 10-15 digits"),
    "paket_data": (re.compile(r"(08|628)\d{8,12}"),
                   "a mobile number: 08... or 628..., 10-15 digits"),
    "bpjs": (re.compile(r"\d{10,16}"), "a BPJS Kesehatan number: 10-16 digits"),
}


def check_customer_for(category: str, customer_no: str) -> str:
    """The category's own format (phone number, meter number...) on top of digits only."""
    fmt = CUSTOMER_FORMATS.get(category)
    if fmt is not None and not fmt[0].fullmatch(customer_no):
        raise ValidationError(_("customer number for {category}: {expected}",
                                category=category, expected=fmt[1]), field="customer_no")
    return customer_no


def known_deposit(ctx: Context, provider: str) -> int | None:
    """The provider's deposit as last reported (rupiah), or ``None`` if never asked."""
    value = catalogue.get_setting(ctx, f"deposit.{provider}")
    return int(value) if value is not None else None


def utc(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes for timezone-aware columns: they were stored as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def record_deposit(ctx: Context, provider: str, rupiah: int, as_of: datetime | None = None, *,
                   fresh: bool = True) -> bool:
    """Keep the provider's deposit as reported at ``as_of`` (default: now), unless a report
    about a later moment is already known: a late or out-of-order callback never overwrites a
    newer balance. A ``fresh`` report (the provider answering now) wins a tie. Returns whether
    it was kept."""
    moment = utc(as_of or clock.now())
    known = catalogue.get_setting(ctx, f"deposit_at.{provider}")
    if known is not None:
        previous = datetime.fromisoformat(known)
        if moment < previous or (moment == previous and not fresh):
            return False
    catalogue.put_setting(ctx, f"deposit.{provider}", str(max(rupiah, 0)))
    catalogue.put_setting(ctx, f"deposit_at.{provider}", moment.isoformat())
    return True


def check_deposit(ctx: Context, provider: str, buy_minor: int) -> None:
    """Refuse before sending when the provider's last reported deposit cannot pay."""
    deposit = known_deposit(ctx, provider)
    if deposit is not None and deposit * catalogue.scale(ctx) < buy_minor:
        raise DepositExhausted(_(
            "the deposit with provider {provider} ({deposit} at last report) cannot pay this "
            "purchase; top it up, then refresh it with 'ppob deposit'", provider=provider,
            deposit=Money(deposit * catalogue.scale(ctx), ctx.settings.currency)))


def get_txn(ctx: Context, ref_id: str) -> Txn | None:
    row = ctx.conn.execute(sa.select(tables.transactions)
                           .where(tables.transactions.c.ref_id == ref_id)).first()
    if row is None:
        return None
    return Txn(**{f.name: getattr(row, f.name) for f in attrs.fields(Txn)})


def require_txn(ctx: Context, ref_id: str) -> Txn:
    txn = get_txn(ctx, ref_id)
    if txn is None:
        raise NotFound(_("no PPOB transaction '{ref_id}'", ref_id=ref_id))
    return txn


def list_txns(ctx: Context, status: str | None, anomalies_only: bool,
              limit: int = 100, *, attention_only: bool = False) -> list[Txn]:
    c = tables.transactions.c
    query = sa.select(c.ref_id).order_by(c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(c.status == status)
    if anomalies_only:
        query = query.where(c.anomaly.is_not(None))
    if attention_only:
        query = query.where(c.attention.is_not(None), c.status == PENDING)
    return [require_txn(ctx, r) for r in ctx.conn.execute(query).scalars()]


def price_changes(ctx: Context, first: date, last: date) -> list[Txn]:
    """Successful sales settled between ``first`` and ``last`` whose cost differed from the
    buy price expected when they were sold."""
    c = tables.transactions.c
    query = (sa.select(c.ref_id).where(
        c.status == SUCCESS, c.cost.is_not(None), c.cost != c.buy_price,
        c.resolved_on >= first, c.resolved_on <= last).order_by(c.id))
    return [require_txn(ctx, r) for r in ctx.conn.execute(query).scalars()]


def _same_request(txn: Txn, sku: str, customer_no: str) -> None:
    asked = txn.requested_sku or txn.sku
    if asked != sku or txn.customer_no != customer_no:
        raise Conflict(_("ref_id '{ref_id}' was used for {asked} {customer_no}",
                         ref_id=txn.ref_id, asked=asked,
                         customer_no=txn.customer_no))


# -- inquiry ----------------------------------------------------------------------------------

def inquiry(ctx: Context, ref_id: str, sku: str, customer_no: str) -> Txn:
    """Ask the provider for a postpaid bill; the quote is kept under ``ref_id`` for the day.

    ``ctx`` is read-only: the provider is asked outside any write transaction and the quote
    written in its own commit."""
    check_ref_id(ref_id)
    check_customer_no(customer_no)
    existing = get_txn(ctx, ref_id)
    if existing is not None:
        _same_request(existing, sku, customer_no)
        return existing
    product = catalogue.get_product(ctx, sku)
    if not product.postpaid:
        raise ValidationError(_("{sku} is prepaid: pay it directly", sku=sku), field="sku")
    check_customer_for(product.category, customer_no)
    routing.sellable(ctx, product)
    provider = provider_for(ctx, product.provider)
    bill = calling(product.provider, lambda: provider.inquiry(ref_id, sku, customer_no))
    unit = catalogue.scale(ctx)
    amount, admin_buy = bill.amount * unit, bill.admin_fee * unit
    admin_sell = catalogue.get_markup(ctx, product.category).apply(admin_buy)
    # The cost the provider quotes (its commission already off); bill plus admin otherwise.
    cost = (bill.cost if bill.cost is not None else bill.amount + bill.admin_fee) * unit

    def record(w: Context) -> Txn:
        w.conn.execute(tables.transactions.insert().values(
            ref_id=ref_id, provider=product.provider, sku=sku, customer_no=customer_no,
            customer_name=bill.customer_name[:200], status=INQUIRED, bill=amount,
            selling_price=amount + admin_sell, buy_price=cost,
            created_on=w.business_date))
        for period in bill.periods:
            w.conn.execute(tables.bill_periods.insert().values(
                ref_id=ref_id, period=period.period[:32], bill=period.bill * unit,
                penalty=period.penalty * unit))
        return require_txn(w, ref_id)

    try:
        return _write(ctx, record)
    except sa.exc.IntegrityError:
        txn = ctx.kernel.read(ctx.actor, lambda r: require_txn(r, ref_id))
        _same_request(txn, sku, customer_no)
        return txn


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
    product = catalogue.get_product(ctx, req.sku)
    check_customer_for(product.category, req.customer_no)
    chosen = product
    if product.postpaid:
        routing.sellable(ctx, product)
        if existing is None:
            raise Conflict(_("{sku} is a bill: inquire it first with this ref_id", sku=req.sku))
        if existing.created_on != ctx.business_date:
            raise Conflict(_("the quote for {ref_id} is from {created_on}; inquire again",
                             ref_id=req.ref_id, created_on=existing.created_on))
        selling, buy, bill = existing.selling_price, existing.buy_price, existing.bill
        check_deposit(ctx, product.provider, buy)
    else:
        # The member pays the price of the product asked for, whichever provider sells it.
        chosen = routing.candidates(ctx, product, check_deposit=check_deposit)[0]
        selling, buy, bill = product.selling_price, chosen.buy_price, product.selling_price
    amount = Money(selling, ctx.settings.currency)
    member = ledger.get_member(ctx, req.member) if req.member else None
    if member is not None:
        ledger.require_active(ctx, member.id)
    values: dict[str, Any]
    if req.cash_account:
        if ledger.get_account(ctx, req.cash_account).member_id is not None:
            raise ValidationError(_("cash_account must be an internal account (teller cash, "
                                    "bank), not a member's"), field="cash_account")
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
            raise ValidationError(_("member {member} has no account that pays; take cash "
                                    "(cash_account)", member=member.member_number),
                                  field="cash_account")
        hold_id = ledger.place_hold(ctx, account.number, amount,
                                    reason=f"PPOB {req.sku} {req.customer_no}",
                                    reference=f"ppob:{req.ref_id}")
        values = {"paid_by": "savings", "source_account": account.number, "hold_id": hold_id}
    else:
        raise ValidationError(_("name the member paying from savings, or the cash_account"),
                              field="member")
    values.update(status=PENDING, member_id=member.id if member else None,
                  created_at=clock.now().astimezone(UTC))
    if existing is None:
        ctx.conn.execute(tables.transactions.insert().values(
            ref_id=req.ref_id, provider=chosen.provider, sku=chosen.sku,
            requested_sku=req.sku if chosen.sku != req.sku else None,
            customer_no=req.customer_no, bill=bill, selling_price=selling, buy_price=buy,
            created_on=ctx.business_date, **values))
    else:
        c = tables.transactions.c
        claimed = ctx.conn.execute(sa.update(tables.transactions)
                                   .where(c.ref_id == req.ref_id, c.status == INQUIRED)
                                   .values(**values)).rowcount
        if claimed != 1:
            raise Conflict(_("ref_id '{ref_id}' is already being paid", ref_id=req.ref_id))
    return require_txn(ctx, req.ref_id), True


def bill_periods(ctx: Context, ref_id: str) -> list[tuple[str, int, int]]:
    """(period, bill, penalty) of a postpaid quote, minor units, in the provider's order."""
    b = tables.bill_periods.c
    return [(r.period, r.bill, r.penalty) for r in ctx.conn.execute(
        sa.select(b.period, b.bill, b.penalty).where(b.ref_id == ref_id).order_by(b.id))]


def max_price(txn: Txn, unit: int) -> int | None:
    """The most the provider may charge for a prepaid purchase, in rupiah: the member's price,
    so a price rise never turns a sale into a loss (the provider refuses it instead)."""
    return None if txn.customer_name is not None else txn.selling_price // unit


def ask(provider: Provider, txn: Txn, *, first: bool, unit: int = 1) -> Result:
    """The provider's answer; any error talking to it means the outcome is unknown: pending."""
    postpaid = txn.customer_name is not None  # only an inquired bill has a customer name
    try:
        if first:
            return provider.transaction(txn.ref_id, txn.sku, txn.customer_no, postpaid=postpaid,
                                        max_price=max_price(txn, unit))
        return provider.status(txn.ref_id, txn.sku, txn.customer_no, postpaid=postpaid,
                               max_price=max_price(txn, unit))
    except Exception as exc:  # network, timeout, malformed answer: ask again later
        log.warning("PPOB %s: provider %s did not answer: %s", txn.ref_id, provider.name, exc)
        return Result(txn.ref_id, Outcome.PENDING, "", f"no answer: {type(exc).__name__}")


REASON_TEXT = {Reason.DEPOSIT_EXHAUSTED: "provider deposit exhausted",
               Reason.CUT_OFF: "provider cut-off",
               Reason.BAD_SIGNATURE: "request signature refused",
               Reason.BILL_NOT_AVAILABLE: "bill not available",
               Reason.REF_ID_NOT_UNIQUE: "ref_id not unique",
               Reason.PRICE_ABOVE_MAXIMUM: "provider price above the member's price",
               Reason.UNKNOWN_CODE: "undocumented response code"}


def resolve(ctx: Context, ref_id: str, result: Result, *, first: bool = False) -> Txn:
    """Apply the provider's answer to a transaction, exactly once."""
    return settle(ctx, ref_id, result, first=first)[0]


def _explained(result: Result) -> str:
    message = result.message
    if result.reason is not Reason.NONE:
        message = f"{REASON_TEXT.get(result.reason, result.reason.value)}: {message}"
    return f"[{result.code}] {message}" if result.code else message


def _keep_pending(ctx: Context, txn: Txn, result: Result, first: bool) -> tuple[Txn, bool]:
    """The answer does not settle the purchase: it stays pending, with its hold. An answer
    that refused the request (not about the purchase) is raised to an operator: ``attention``
    (asked again by the polling job) or, for a ref_id the provider holds for another
    transaction, ``anomaly`` (asking again cannot help: an operator settles it with the
    provider, then with ``ppob anomaly-resolve``)."""
    c = tables.transactions.c
    values: dict[str, Any] = {}
    if result.message and result.message != txn.message:
        values["message"] = result.message[:200]
    if result.reason is Reason.REF_ID_NOT_UNIQUE and txn.anomaly is None:
        note = (f"{_explained(result)}: the provider holds another transaction under this "
                "ref_id; settle with the provider")
        values["anomaly"] = note[:200]
        log.warning("PPOB %s: %s", txn.ref_id, note)
    elif result.outcome is not Outcome.PENDING or not result.settles:
        note = (f"{'first answer' if first else 'status re-send'} refused by the provider "
                f"{_explained(result)}: the purchase's outcome is unknown; check the provider's "
                "credentials, IP whitelist and limits")
        values["attention"] = note[:200]
        log.warning("PPOB %s: %s", txn.ref_id, note)
    elif txn.attention is not None:
        values["attention"] = None  # the provider answers about the purchase again
    if values:
        ctx.conn.execute(sa.update(tables.transactions)
                         .where(c.ref_id == txn.ref_id, c.status == PENDING).values(**values))
        return require_txn(ctx, txn.ref_id), False
    return txn, False


def _settles(result: Result, first: bool) -> bool:
    """Whether the answer decides the purchase. A success always does. A failure does when its
    code refers to the created transaction — or, on the first request, when the code says the
    request created nothing (then nothing was bought). A code the documentation does not list,
    or a ref_id the provider already holds, decides nothing."""
    if result.outcome is Outcome.PENDING or result.reason in (Reason.REF_ID_NOT_UNIQUE,
                                                              Reason.UNKNOWN_CODE):
        return False
    return result.outcome is Outcome.SUCCESS or result.settles or first


def settle(ctx: Context, ref_id: str, result: Result, *,
           first: bool = False) -> tuple[Txn, bool]:
    """:func:`resolve`, also saying whether this call was the one that settled it.

    ``first``: the answer to the purchase request itself; otherwise a status re-send's or a
    callback's, which settles only with a code about the created transaction."""
    txn = require_txn(ctx, ref_id)
    # A status or callback answer reports the deposit after *this* purchase: dated by it.
    as_of = None if first or txn.created_at is None else txn.created_at
    if result.balance is not None:
        record_deposit(ctx, txn.provider, result.balance, as_of, fresh=first)
    elif result.reason is Reason.DEPOSIT_EXHAUSTED:
        record_deposit(ctx, txn.provider, 0, as_of, fresh=first)
    c = tables.transactions.c
    if txn.status == PENDING and not _settles(result, first):
        return _keep_pending(ctx, txn, result, first)
    if result.outcome is Outcome.PENDING or not _settles(result, first):
        return txn, False
    new = SUCCESS if result.outcome is Outcome.SUCCESS else FAILED
    message = _explained(result)
    cost = None
    if new == SUCCESS:
        unit = catalogue.scale(ctx)
        cost = result.price * unit if result.price is not None else txn.buy_price
    claimed = ctx.conn.execute(
        sa.update(tables.transactions).where(c.ref_id == ref_id, c.status == PENDING)
        .values(status=new, sn=result.sn[:200] or None, message=message[:200],
                resolved_on=ctx.business_date, cost=cost, attention=None)
    ).rowcount
    if claimed != 1:
        return _late_answer(ctx, require_txn(ctx, ref_id), new, result), False
    money = Money(txn.selling_price, ctx.settings.currency)
    suspense = ledger.gl_account_number(chart.SUSPENSE_GL)
    if txn.hold_id is not None:
        ledger.release_hold(ctx, txn.hold_id)
    source = suspense if txn.paid_by == "cash" else str(txn.source_account)
    memo = f"PPOB {txn.sku} {txn.customer_no} ({ref_id})"
    if new == SUCCESS:
        entry = ledger.post_entry(ctx, sale_lines(ctx, require_txn(ctx, ref_id), source),
                                  memo=memo, idempotency_key=f"ppob:{ref_id}")
        ctx.conn.execute(sa.update(tables.transactions).where(c.ref_id == ref_id)
                         .values(entry_id=entry.id))
    elif txn.paid_by == "cash":
        entry = ledger.post_entry(ctx, [
            PostingLine(suspense, Side.DEBIT, money),
            PostingLine(str(txn.source_account), Side.CREDIT, money),
        ], memo=memo + ": failed, cash returned", idempotency_key=f"ppob:{ref_id}:refund")
        ctx.conn.execute(sa.update(tables.transactions).where(c.ref_id == ref_id)
                         .values(entry_id=entry.id))
    done = require_txn(ctx, ref_id)
    from kopcore_ppob import events

    events.settled(ctx, done)
    return done, True


def cost_of(txn: Txn) -> int:
    """What the purchase cost the cooperative: the price the provider actually charged, or the
    buy price it was expected at."""
    return txn.cost if txn.cost is not None else txn.buy_price


def sale_lines(ctx: Context, txn: Txn, source: str) -> list[PostingLine]:
    """A sale: Dr ``source`` selling price / Cr provider payable the price actually charged /
    Cr fee income the margin — or, when the provider charged more than the member paid,
    Dr ``ppob.loss`` the difference."""
    cur = ctx.settings.currency
    cost = cost_of(txn)
    fee = txn.selling_price - cost
    lines = [PostingLine(source, Side.DEBIT, Money(txn.selling_price, cur)),
             PostingLine(ledger.gl_account_number(chart.PAYABLE_GL), Side.CREDIT,
                         Money(cost, cur))]
    if fee > 0:
        lines.append(PostingLine(ledger.gl_account_number(chart.FEE_INCOME_GL),
                                 Side.CREDIT, Money(fee, cur)))
    elif fee < 0:
        lines.append(PostingLine(ledger.gl_account_number(chart.LOSS_GL),
                                 Side.DEBIT, Money(-fee, cur)))
    return lines


def _late_answer(ctx: Context, txn: Txn, new: str, result: Result) -> Txn:
    if txn.status in (SUCCESS, FAILED) and txn.status != new and txn.anomaly is None:
        note = (f"provider reported {new}"
                + (f" (sn {result.sn})" if result.sn else "")
                + f" after {txn.status} was recorded on {txn.resolved_on}: not posted; "
                "settle with the provider")
        c = tables.transactions.c
        values: dict[str, Any] = {"anomaly": note[:200]}
        if new == SUCCESS and result.sn:
            values["sn"] = result.sn[:200]  # the token the member may still need
        ctx.conn.execute(sa.update(tables.transactions).where(c.ref_id == txn.ref_id)
                         .values(**values))
        log.warning("PPOB %s: %s", txn.ref_id, note)
        return require_txn(ctx, txn.ref_id)
    return txn


def _write(ctx: Context, work: Callable[[Context], T]) -> T:
    return ctx.kernel.write(ctx.actor, work, operation=ctx.operation, principal=ctx.principal)


def provider_for(ctx: Context, name: str) -> Provider:
    return make_provider(ctx, name)


def pay(ctx: Context, req: PayRequest) -> Txn:
    """Begin, ask the provider, resolve — each committed on its own (``ctx`` is read-only)."""
    try:
        txn, fresh = _write(ctx, lambda w: begin(w, req))
    except (sa.exc.IntegrityError, KopcoreError):
        # A concurrent pay with the same ref_id may have claimed it first: the unique ref_id,
        # the hold's unique reference, or the funds its hold took refused this one. Then report
        # theirs; otherwise the refusal stands.
        other = ctx.kernel.read(ctx.actor, lambda r: get_txn(r, req.ref_id))
        if other is None or other.status == INQUIRED:
            raise
        _same_request(other, req.sku, req.customer_no)
        return other
    if not fresh:
        return txn
    unit = catalogue.scale(ctx)
    tried: list[str] = []
    while True:
        result = ask(provider_for(ctx, txn.provider), txn, first=True, unit=unit)
        tried.append(txn.provider)
        if _created_nothing(result) and txn.customer_name is None:
            fallback = _write(ctx, partial(fall_back, txn=txn, result=result,
                                           tried=tuple(tried)))
            if fallback is not None:
                txn = fallback
                continue
        return _write(ctx, partial(resolve, ref_id=req.ref_id, result=result, first=True))


def _created_nothing(result: Result) -> bool:
    """A first answer refusing the request without creating a transaction: no stock, deposit
    short, request refused. Another provider may be asked: nothing can be bought twice."""
    return (result.outcome is Outcome.FAILED and not result.settles
            and result.reason is not Reason.UNKNOWN_CODE)


def fall_back(ctx: Context, txn: Txn, result: Result, tried: tuple[str, ...]) -> Txn | None:
    """Send a pending prepaid purchase to the next provider of its route after ``result``
    refused it at ``txn.provider`` creating nothing; ``None`` when no provider is left."""
    if result.reason is Reason.DEPOSIT_EXHAUSTED:
        record_deposit(ctx, txn.provider, 0)
    asked = catalogue.get_product(ctx, txn.requested_sku or txn.sku)
    left = routing.candidates(ctx, asked, tried=tried, check_deposit=check_deposit)
    if not left:
        return None
    chosen = left[0]
    note = f"{txn.provider} refused {_explained(result)}; sent to {chosen.provider}"
    c = tables.transactions.c
    moved = ctx.conn.execute(
        sa.update(tables.transactions).where(c.ref_id == txn.ref_id, c.status == PENDING)
        .values(provider=chosen.provider, sku=chosen.sku, buy_price=chosen.buy_price,
                requested_sku=asked.sku if chosen.sku != asked.sku else None,
                message=note[:200])).rowcount
    log.info("PPOB %s: %s", txn.ref_id, note)
    return require_txn(ctx, txn.ref_id) if moved == 1 else None


#: A networked provider is not asked about a transaction older than this: Digiflazz takes a
#: prepaid ref_id re-sent after 90 days as a new purchase.
STATUS_HORIZON_DAYS = 30


def check_status(ctx: Context, ref_id: str) -> Txn:
    """Ask the provider again about a pending transaction (or, offline providers only, a failed
    one, to catch a late success) and apply the answer."""
    txn = require_txn(ctx, ref_id)
    if txn.status in (SUCCESS, INQUIRED) or txn.anomaly is not None:
        return txn
    spec = registry(ctx).get(txn.provider)
    networked = spec is None or spec.networked
    if networked and txn.status == FAILED:
        return txn  # re-sending a failed ref_id to an aggregator could buy it again
    if networked and (ctx.business_date - txn.created_on).days > STATUS_HORIZON_DAYS:
        note = (f"pending for more than {STATUS_HORIZON_DAYS} days: not asked again (a re-sent "
                "ref_id could be a new purchase); settle with the provider")
        c = tables.transactions.c
        return _write(ctx, lambda w: (w.conn.execute(
            sa.update(tables.transactions).where(c.ref_id == ref_id, c.anomaly.is_(None))
            .values(anomaly=note)), require_txn(w, ref_id))[1])
    result = ask(provider_for(ctx, txn.provider), txn, first=False, unit=catalogue.scale(ctx))
    return _write(ctx, lambda w: resolve(w, ref_id, result))


def poll_pending(ctx: Context, limit: int = 500) -> list[Txn]:
    """The status-polling job: ask about every pending transaction, each outside any database
    transaction, and settle those the provider has decided. Returns the ones it settled."""
    c = tables.transactions.c
    refs = list(ctx.conn.execute(sa.select(c.ref_id).where(c.status == PENDING)
                                 .order_by(c.id).limit(limit)).scalars())
    settled = []
    for ref_id in refs:
        txn = check_status(ctx, ref_id)
        if txn.status != PENDING:
            settled.append(txn)
    return settled


# -- anomalies --------------------------------------------------------------------------------

CHARGED, ABSORBED, REFUNDED = "charged", "absorbed", "refunded"
RESOLUTIONS = (CHARGED, ABSORBED, REFUNDED)


def list_anomalies(ctx: Context, state: str, limit: int = 100) -> list[Txn]:
    """Transactions the provider contradicted: ``open`` (not yet resolved), ``resolved`` or
    ``all``."""
    c = tables.transactions.c
    query = (sa.select(c.ref_id).where(c.anomaly.is_not(None))
             .order_by(c.id.desc()).limit(limit))
    if state == "open":
        query = query.where(c.resolution.is_(None))
    elif state == "resolved":
        query = query.where(c.resolution.is_not(None))
    elif state != "all":
        raise ValidationError(_("state: open, resolved or all"), field="state")
    return [require_txn(ctx, r) for r in ctx.conn.execute(query).scalars()]


def resolve_anomaly(ctx: Context, ref_id: str, resolution: str, amount_minor: int,
                    note: str | None) -> Txn:
    """Resolve an anomaly once, as agreed with the provider.

    Two kinds: a success reported after the transaction was recorded failed, and a pending
    transaction the provider cannot answer about (a ref_id it holds for another transaction),
    whose money is still held. ``charged``: the member pays, as the sale would have been posted
    (a failed one: savings only, the cash was handed back at the counter; a pending one: from
    the held savings or the cash waiting in suspense). ``absorbed``: the provider delivered and
    the cooperative bears its price as a loss (Dr ``ppob.loss`` / Cr provider payable); a pending
    one's money goes back to the member. ``refunded``: the provider did not deliver or reversed
    the purchase; a pending one's money goes back. Charged and absorbed become ``success``;
    refunded becomes (or stays) ``failed``. ``amount_minor`` must repeat the transaction's
    amount (it is what maker-checker compares)."""
    if resolution not in RESOLUTIONS:
        raise ValidationError(_("resolution: charged, absorbed or refunded"), field="resolution")
    txn = require_txn(ctx, ref_id)
    if txn.resolution is not None:
        raise AnomalyResolved(_("the anomaly of {ref_id} was already resolved ({resolution}, by "
                                "{resolved_by} on {resolution_on})",
                                ref_id=ref_id, resolution=txn.resolution,
                                resolved_by=txn.resolved_by,
                                resolution_on=txn.resolution_on))
    if txn.anomaly is None or txn.status not in (FAILED, PENDING):
        raise Conflict(_("{ref_id} has no anomaly to resolve (status {status}); pending ones are "
                         "settled by 'ppob status'", ref_id=ref_id,
                         status=txn.status))
    if amount_minor != txn.selling_price:
        raise ValidationError(
            _("amount: repeat the transaction's amount, {amount}",
              amount=Money(txn.selling_price, ctx.settings.currency)), field="amount")
    held = txn.status == PENDING
    if resolution == CHARGED and txn.paid_by != "savings" and not held:
        raise Conflict(_("{ref_id} was paid in cash and the cash handed back: collect it at the "
                         "counter as a new sale, or resolve it as absorbed",
                         ref_id=ref_id))
    c = tables.transactions.c
    claimed = ctx.conn.execute(
        sa.update(tables.transactions)
        .where(c.ref_id == ref_id, c.status == txn.status, c.anomaly.is_not(None),
               c.resolution.is_(None))
        .values(resolution=resolution, resolution_note=(note or None) and note[:200],
                resolved_by=ctx.actor[:64], resolution_on=ctx.business_date,
                resolved_on=txn.resolved_on or ctx.business_date, attention=None,
                status=FAILED if resolution == REFUNDED else SUCCESS)).rowcount
    if claimed != 1:  # a concurrent resolution committed first
        raise AnomalyResolved(_("the anomaly of {ref_id} was already resolved",
                                ref_id=ref_id))
    memo = f"PPOB {txn.sku} {txn.customer_no} ({ref_id})"
    source = str(txn.source_account)
    if held:
        source = _release(ctx, txn, keep=resolution == CHARGED, memo=memo)
    entry_id = None
    if resolution == CHARGED:
        entry_id = ledger.post_entry(
            ctx, sale_lines(ctx, txn, source),
            memo=memo + (": settled with the provider, charged" if held
                         else ": delivered after a failure, charged"),
            idempotency_key=f"ppob:{ref_id}").id
    elif resolution == ABSORBED:
        buy = Money(cost_of(txn), ctx.settings.currency)
        entry_id = ledger.post_entry(ctx, [
            PostingLine(ledger.gl_account_number(chart.LOSS_GL), Side.DEBIT, buy),
            PostingLine(ledger.gl_account_number(chart.PAYABLE_GL), Side.CREDIT, buy),
        ], memo=memo + ": delivered, absorbed", idempotency_key=f"ppob:{ref_id}:absorbed").id
    if entry_id is not None:
        ctx.conn.execute(sa.update(tables.transactions).where(c.ref_id == ref_id)
                         .values(resolution_entry_id=entry_id))
    log.info("PPOB %s: anomaly resolved as %s by %s", ref_id, resolution, ctx.actor)
    return require_txn(ctx, ref_id)


def _release(ctx: Context, txn: Txn, *, keep: bool, memo: str) -> str:
    """Free a pending transaction's money: the hold on the member's savings goes; cash waiting
    in suspense is handed back unless ``keep`` (then the sale is posted from suspense). Returns
    the account the sale is posted from."""
    if txn.hold_id is not None:
        ledger.release_hold(ctx, txn.hold_id)
    if txn.paid_by != "cash":
        return str(txn.source_account)
    suspense = ledger.gl_account_number(chart.SUSPENSE_GL)
    if not keep:
        money = Money(txn.selling_price, ctx.settings.currency)
        entry = ledger.post_entry(ctx, [
            PostingLine(suspense, Side.DEBIT, money),
            PostingLine(str(txn.source_account), Side.CREDIT, money),
        ], memo=memo + ": not delivered, cash returned",
            idempotency_key=f"ppob:{txn.ref_id}:refund")
        c = tables.transactions.c
        ctx.conn.execute(sa.update(tables.transactions).where(c.ref_id == txn.ref_id)
                         .values(entry_id=entry.id))
    return suspense
