"""A member buys for themselves from their own savings (the member app, or a member's API key):
the catalogue's prepaid products at the member's price, and a purchase paid from the member's
settlement account for payments, never in cash.

A member's references live in their own namespace (``<member number>-<reference>``), so a
reference can never name another member's purchase, and repeating one returns the purchase as
it stands without buying again. Neither answer carries the provider's price or cost.
``ppob.own-purchases`` lists the member's purchases (in the app and at the counter), newest
first, each with its status: pending until the provider answers, the PLN token once given.
"""

from __future__ import annotations

from datetime import date

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound
from kopcore.money import Money
from kopcore_ppob import catalogue, flow, receipts, tables
from kopcore_ppob.messages import _


@attrs.frozen
class OwnProductsIn:
    category: str | None = attrs.field(default=None, metadata={
        "help": "Only this category (pulsa, data, pln...)", "max_length": 32})
    bills: bool = attrs.field(default=False, metadata={
        "help": "Postpaid bills (PLN postpaid, BPJS Kesehatan...) instead of prepaid products; "
                "their price is the admin fee, the bill comes from ppob.own-bill"})


@attrs.frozen
class OwnProductOut:
    sku: str
    category: str
    brand: str
    name: str
    #: What the member pays.
    price: Money


@attrs.frozen
class OwnProductsOut:
    products: list[OwnProductOut]


@attrs.frozen
class BuyOwnIn:
    reference: str = attrs.field(metadata={
        "help": "A new reference for each purchase (repeating it returns that purchase)",
        "max_length": 31})
    sku: str = attrs.field(metadata={"help": "Product code from the catalogue",
                                     "max_length": 64})
    customer_no: str = attrs.field(metadata={"help": "Phone or meter number (digits)",
                                             "max_length": 32})


@attrs.frozen
class OwnPurchaseOut:
    reference: str
    status: str
    sku: str
    customer_no: str
    customer_name: str | None
    amount: Money
    #: The PLN token (prepaid electricity), once the provider gave it.
    token: str | None
    sn: str | None
    message: str | None
    entry_id: int | None
    created_on: date


def money(ctx: Context, minor: int) -> Money:
    return Money(minor, ctx.settings.currency)


def _member_number(ctx: Context) -> str:
    principal = ctx.principal
    if principal is None or principal.member_id is None:
        # The role may hold the permission (an administrator holds every one): the call is
        # allowed, but there are no own savings to pay from.
        raise Conflict(_("ppob.buy-own is a member's purchase from their own savings; staff "
                         "sell with ppob.pay"))
    return ledger.get_member_by_id(ctx, principal.member_id).member_number


def own_products(ctx: Context, data: OwnProductsIn) -> OwnProductsOut:
    """The prepaid products a member can buy now, at the member's price; with ``bills``, the
    postpaid bills a member can pay (the price is then the admin fee)."""
    return OwnProductsOut([
        OwnProductOut(p.sku, p.category, p.brand, p.name, money(ctx, p.selling_price))
        for p in catalogue.list_products(ctx, data.category)
        if p.available and p.postpaid == data.bills])


@attrs.frozen
class OwnBillIn:
    reference: str = attrs.field(metadata={
        "help": "A new reference for each bill; pay it with ppob.buy-own and the same "
                "reference, the same day", "max_length": 31})
    sku: str = attrs.field(metadata={"help": "Bill product code (ppob.own-products --bills)",
                                     "max_length": 64})
    customer_no: str = attrs.field(metadata={"help": "Customer or participant number (digits)",
                                             "max_length": 32})


@attrs.frozen
class OwnBillPeriod:
    period: str
    bill: Money
    penalty: Money


@attrs.frozen
class OwnBillOut:
    """A postpaid bill as the provider quoted it, and what the member pays for it."""

    reference: str
    status: str
    sku: str
    customer_no: str
    customer_name: str | None
    #: The bill itself (every period, penalties included).
    bill: Money
    #: The cooperative's admin fee.
    admin_fee: Money
    #: What the member pays: bill and admin fee.
    amount: Money
    periods: list[OwnBillPeriod]
    quoted_on: date


def own_bill(ctx: Context, data: OwnBillIn) -> OwnBillOut:
    """Ask the provider for a member's postpaid bill (PLN postpaid, BPJS Kesehatan...), kept
    under the reference for the day; asking again with the reference returns that quote."""
    number = _member_number(ctx)
    ref_id = f"{number}-{data.reference}"
    txn = flow.inquiry(ctx, ref_id, data.sku, data.customer_no)

    def shown(r: Context) -> OwnBillOut:
        periods = [OwnBillPeriod(period, money(r, bill), money(r, penalty))
                   for period, bill, penalty in flow.bill_periods(r, ref_id)]
        return OwnBillOut(data.reference, txn.status, txn.sku, txn.customer_no,
                          txn.customer_name, money(r, txn.bill),
                          money(r, txn.selling_price - txn.bill), money(r, txn.selling_price),
                          periods, txn.created_on)

    return ctx.kernel.read(ctx.actor, shown)


def buy_own(ctx: Context, data: BuyOwnIn) -> OwnPurchaseOut:
    """Buy a prepaid product (pulsa, data, a PLN token) from the member's own savings, or pay
    a bill quoted by ``ppob.own-bill`` under the same reference."""
    number = _member_number(ctx)
    ref_id = f"{number}-{data.reference}"
    txn = flow.pay(ctx, flow.PayRequest(ref_id, data.sku, data.customer_no, number, None))

    def shown(r: Context) -> OwnPurchaseOut:
        return OwnPurchaseOut(data.reference, txn.status, txn.sku, txn.customer_no,
                              txn.customer_name, money(r, txn.selling_price),
                              receipts.token_of(r, txn), txn.sn, txn.message, txn.entry_id,
                              txn.created_on)

    return ctx.kernel.read(ctx.actor, shown)


@attrs.frozen
class OwnPurchasesIn:
    limit: int = attrs.field(default=50, metadata={"help": "How many, the latest first",
                                                   "minimum": 1, "maximum": 200})


@attrs.frozen
class OwnHistoryOut:
    reference: str
    status: str
    sku: str
    product: str
    customer_no: str
    amount: Money
    token: str | None
    message: str | None
    created_on: date
    #: Where it was bought: ``app`` (the member's own purchase) or ``counter`` (a teller).
    where: str


@attrs.frozen
class OwnPurchasesOut:
    purchases: list[OwnHistoryOut]


def own_purchases(ctx: Context, data: OwnPurchasesIn) -> OwnPurchasesOut:
    """The member's own PPOB purchases, the latest first: in the app and at the counter, with
    their status (pending until the provider answers) and the PLN token once given."""
    number = _member_number(ctx)
    principal = ctx.principal
    assert principal is not None
    c = tables.transactions.c
    refs = ctx.conn.execute(sa.select(c.ref_id).where(c.member_id == principal.member_id)
                            .order_by(c.id.desc()).limit(data.limit)).scalars().all()
    found = []
    for ref_id in refs:
        txn = flow.require_txn(ctx, ref_id)
        try:
            name = catalogue.get_product(ctx, txn.sku).name
        except NotFound:
            name = txn.sku
        own = ref_id.startswith(f"{number}-")
        found.append(OwnHistoryOut(
            ref_id.removeprefix(f"{number}-") if own else ref_id, txn.status, txn.sku, name,
            txn.customer_no, money(ctx, txn.selling_price), receipts.token_of(ctx, txn),
            txn.message, txn.created_on, "app" if own else "counter"))
    return OwnPurchasesOut(found)
