"""The PPOB operations (``/api/v1/ppob/<action>`` and ``kopcore ppob <action>``).

``ppob.pay`` and ``ppob.status`` run their own transactions: the money is set aside and the
ref_id claimed in one commit, the provider is asked outside any transaction, and its answer is
applied in another commit (see :mod:`kopcore_ppob.flow`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

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
from kopcore_ppob import catalogue, chart, flow, receipts

REF = {"help": "The transaction's ref_id: the idempotency key sent to the provider",
       "max_length": 64}
SKU = {"help": "Product code from the catalogue (ppob products)", "max_length": 64}
CUSTOMER = {"help": "Phone, meter or customer number (digits)", "max_length": 32}


# -- outputs ----------------------------------------------------------------------------------

@attrs.frozen
class ProviderOut:
    provider: str


@attrs.frozen
class MarkupOut:
    category: str
    flat: Money
    percent: Decimal
    round_to: Money


@attrs.frozen
class ProductOut:
    sku: str
    provider: str
    category: str
    brand: str
    name: str
    postpaid: bool
    #: Prepaid: the provider's price. Postpaid: the provider's admin fee.
    buy_price: Money
    #: Prepaid: the member's price. Postpaid: the admin fee charged on top of the bill.
    selling_price: Money
    available: bool
    synced_on: date


@attrs.frozen
class ProductsOut:
    products: list[ProductOut]


@attrs.frozen
class TxnOut:
    """A PPOB transaction."""

    ref_id: str
    status: str
    sku: str
    customer_no: str
    customer_name: str | None
    amount: Money
    bill: Money
    paid_by: str | None
    source_account: str | None
    sn: str | None
    token: str | None
    message: str | None
    anomaly: str | None
    entry_id: int | None
    created_on: date
    resolved_on: date | None


@attrs.frozen
class TxnsOut:
    transactions: list[TxnOut]


@attrs.frozen
class ReceiptOut:
    transaction: TxnOut
    text: str


def money(ctx: Context, minor: int) -> Money:
    return Money(minor, ctx.settings.currency)


def product_out(ctx: Context, p: catalogue.Product) -> ProductOut:
    return ProductOut(p.sku, p.provider, p.category, p.brand, p.name, p.postpaid,
                      money(ctx, p.buy_price), money(ctx, p.selling_price), p.available,
                      p.synced_on)


def txn_out(ctx: Context, t: flow.Txn) -> TxnOut:
    return TxnOut(t.ref_id, t.status, t.sku, t.customer_no, t.customer_name,
                  money(ctx, t.selling_price), money(ctx, t.bill), t.paid_by, t.source_account,
                  t.sn, receipts.token_of(ctx, t), t.message, t.anomaly, t.entry_id,
                  t.created_on, t.resolved_on)


# -- inputs and handlers ----------------------------------------------------------------------

@attrs.frozen
class NoIn:
    """No parameters."""


@attrs.frozen
class ProviderSetIn:
    name: str = attrs.field(metadata={"help": "Provider name (sandbox)", "max_length": 32})


@attrs.frozen
class MarkupSetIn:
    category: str = attrs.field(metadata={
        "help": "pln_token, pulsa, paket_data, pln_postpaid, bpjs, pdam or telkom",
        "max_length": 32})
    flat: Decimal = attrs.field(default=Decimal(0), metadata={"help": "Rupiah added"})
    percent: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "Percent of the buy price added (up to 4 decimals), rounded up"})
    round_to: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "Round the price up to a multiple of this many rupiah (0: none)"})


@attrs.frozen
class ProductsIn:
    category: str | None = attrs.field(default=None, metadata={"help": "Only this category",
                                                               "max_length": 32})


@attrs.frozen
class InquiryIn:
    ref_id: str = attrs.field(metadata=REF)
    sku: str = attrs.field(metadata=SKU)
    customer_no: str = attrs.field(metadata=CUSTOMER)


@attrs.frozen
class PayIn:
    ref_id: str = attrs.field(metadata=REF)
    sku: str = attrs.field(metadata=SKU)
    customer_no: str = attrs.field(metadata=CUSTOMER)
    member: str | None = attrs.field(default=None, metadata={
        "help": "Member paying from their savings (the settlement account for payments)",
        "max_length": 32})
    cash_account: str | None = attrs.field(default=None, metadata={
        "help": "Teller cash account, when paid in cash", "max_length": 64})


@attrs.frozen
class RefIn:
    ref_id: str = attrs.field(metadata=REF)


@attrs.frozen
class TxnsIn:
    status: str | None = attrs.field(default=None, metadata={
        "help": "inquired, pending, success or failed", "max_length": 16})
    anomalies_only: bool = attrs.field(default=False, metadata={
        "help": "Only transactions the provider contradicted after the fact"})


def provider_set(ctx: Context, data: ProviderSetIn) -> ProviderOut:
    """Choose the PPOB provider (aggregator); sync the catalogue afterwards."""
    return ProviderOut(catalogue.set_provider(ctx, data.name))


def provider_get(ctx: Context, data: NoIn) -> ProviderOut:
    """The PPOB provider in use."""
    return ProviderOut(catalogue.provider_name(ctx))


def _units(ctx: Context, value: Decimal, field: str) -> int:
    return Money.parse(value, ctx.settings.currency, field=field).minor


def markup_set(ctx: Context, data: MarkupSetIn) -> MarkupOut:
    """Set a category's markup rule (takes effect at the next catalogue sync)."""
    ppm = data.percent * 10000
    if ppm != ppm.to_integral_value() or not 0 <= ppm <= 1_000_000:
        raise ValidationError("percent: 0-100 with at most 4 decimals", field="percent")
    m = catalogue.set_markup(ctx, catalogue.Markup(
        data.category, _units(ctx, data.flat, "flat"), int(ppm),
        _units(ctx, data.round_to, "round_to")))
    return MarkupOut(m.category, money(ctx, m.flat), data.percent, money(ctx, m.round_to))


def sync(ctx: Context, data: NoIn) -> ProductsOut:
    """Sync the catalogue from the provider's price list, at the current markups."""
    return ProductsOut([product_out(ctx, p) for p in catalogue.sync(ctx)])


def products(ctx: Context, data: ProductsIn) -> ProductsOut:
    """The catalogue: products with buy and selling price and availability."""
    return ProductsOut([product_out(ctx, p) for p in catalogue.list_products(ctx, data.category)])


def inquiry(ctx: Context, data: InquiryIn) -> TxnOut:
    """Ask the bill of a postpaid product (PLN, BPJS, PDAM, Telkom); pay it the same day."""
    return txn_out(ctx, flow.inquiry(ctx, data.ref_id, data.sku, data.customer_no))


def pay(ctx: Context, data: PayIn) -> TxnOut:
    """Buy a product or pay an inquired bill, from the member's savings or in cash. Repeating
    a ref_id returns the transaction as it stands and sends nothing again."""
    txn = flow.pay(ctx, flow.PayRequest(data.ref_id, data.sku, data.customer_no, data.member,
                                        data.cash_account))
    return ctx.kernel.read(ctx.actor, lambda r: txn_out(r, txn))


def status(ctx: Context, data: RefIn) -> TxnOut:
    """Ask the provider about a pending transaction and settle it (exactly once)."""
    txn = flow.check_status(ctx, data.ref_id)
    return ctx.kernel.read(ctx.actor, lambda r: txn_out(r, txn))


def transactions(ctx: Context, data: TxnsIn) -> TxnsOut:
    """Recent PPOB transactions, by status; anomalies for the operator to follow up."""
    return TxnsOut([txn_out(ctx, t)
                    for t in flow.list_txns(ctx, data.status, data.anomalies_only)])


def receipt(ctx: Context, data: RefIn) -> ReceiptOut:
    """A receipt to print or send: amount, status and the serial number or PLN token."""
    txn = flow.require_txn(ctx, data.ref_id)
    return ReceiptOut(txn_out(ctx, txn), receipts.text(ctx, txn))


PAYING = (NotFound, ValidationError, Conflict, InsufficientFunds, AccountClosed, AccountFrozen,
          MemberNotActive, PostingVetoed)


def _op(name: str, inp: type, out: type, handler: object, permission: str, *,
        mutates: bool, summary: str, **extra: object) -> Operation:
    return Operation(f"ppob.{name}", inp, out, handler, permission=permission,  # type: ignore[arg-type]
                     mutates=mutates, summary=summary, **extra)  # type: ignore[arg-type]


OPERATIONS: tuple[Operation, ...] = (
    _op("provider-get", NoIn, ProviderOut, provider_get, chart.READ, mutates=False,
        summary="The PPOB provider in use"),
    _op("provider-set", ProviderSetIn, ProviderOut, provider_set, chart.MANAGE, mutates=True,
        summary="Choose the PPOB provider", errors=(NotFound,)),
    _op("markup-set", MarkupSetIn, MarkupOut, markup_set, chart.MANAGE, mutates=True,
        summary="Set a category's markup rule", errors=(ValidationError,)),
    _op("sync", NoIn, ProductsOut, sync, chart.MANAGE, mutates=True,
        summary="Sync the catalogue from the provider", errors=(NotFound, Conflict)),
    _op("products", ProductsIn, ProductsOut, products, chart.READ, mutates=False,
        summary="The PPOB catalogue"),
    _op("inquiry", InquiryIn, TxnOut, inquiry, chart.TRANSACT, mutates=True,
        summary="Inquire a postpaid bill", errors=(NotFound, ValidationError, Conflict)),
    _op("pay", PayIn, TxnOut, pay, chart.TRANSACT, mutates=True, own_transactions=True,
        summary="Buy a product or pay a bill", errors=PAYING),
    _op("status", RefIn, TxnOut, status, chart.TRANSACT, mutates=True, own_transactions=True,
        summary="Check and settle a pending transaction", errors=(NotFound, *PAYING)),
    _op("transactions", TxnsIn, TxnsOut, transactions, chart.READ, mutates=False,
        summary="Recent PPOB transactions"),
    _op("receipt", RefIn, ReceiptOut, receipt, chart.READ, mutates=False,
        summary="Receipt of a PPOB transaction", errors=(NotFound,)),
)
