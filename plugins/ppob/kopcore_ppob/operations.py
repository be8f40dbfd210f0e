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
from kopcore_ppob import (
    callbacks,
    catalogue,
    chart,
    deposits,
    flow,
    own,
    receipts,
    reconcile,
    routing,
)
from kopcore_ppob import doctor as ppob_doctor
from kopcore_ppob.errors import (
    AnomalyResolved,
    BadSignature,
    CutOff,
    DepositExhausted,
    ProviderUnavailable,
)
from kopcore_ppob.messages import _
from kopcore_ppob.providers import calling, registry

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
    #: The provider's daily cut-off window (WIB), if any.
    cutoff_start: str | None
    cutoff_end: str | None
    #: Products of one group are the same product at different providers (routing).
    group: str | None = None


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
    #: How a manager resolved the anomaly: charged, absorbed or refunded (``None``: open).
    resolution: str | None = None
    resolved_by: str | None = None
    resolution_on: date | None = None
    resolution_note: str | None = None
    #: The entry the resolution posted (the sale when charged, the loss when absorbed).
    resolution_entry_id: int | None = None
    #: What the provider actually charged (a success); it can differ from the catalogue.
    cost: Money | None = None
    #: The provider charged another price than expected: see ``ppob price-changes``.
    price_changed: bool = False
    #: Why a pending transaction needs an operator (the provider refused a status re-send).
    attention: str | None = None
    #: The provider that sold it (``sku`` is its product code).
    provider: str | None = None
    #: The product the member asked for, when a route sold another provider's.
    requested_sku: str | None = None


@attrs.frozen
class TxnsOut:
    transactions: list[TxnOut]


@attrs.frozen
class PriceChangeOut:
    """A sale whose cost differed from what the catalogue (or the bill's quote) expected."""

    ref_id: str
    sku: str
    provider: str
    resolved_on: date | None
    selling_price: Money
    expected_cost: Money
    cost: Money
    #: The margin the sale really made (selling price less the cost actually charged).
    margin: Money
    expected_margin: Money


@attrs.frozen
class PriceChangesOut:
    sales: list[PriceChangeOut]
    #: The margin lost (negative: gained) to price changes over these sales.
    margin_difference: Money


@attrs.frozen
class ReceiptOut:
    transaction: TxnOut
    text: str


@attrs.frozen
class ProviderInfo:
    name: str
    description: str
    networked: bool
    #: Its products are sold (the chosen provider and every provider a route names).
    enabled: bool = False
    #: Why it is marked down (no sale is sent to it), or null.
    down: str | None = None


@attrs.frozen
class RouteOut:
    scope: str
    key: str
    providers: list[str]


@attrs.frozen
class RoutesOut:
    routes: list[RouteOut]
    #: The providers whose products are sold, the chosen one first.
    enabled: list[str]


@attrs.frozen
class ProviderStateOut:
    provider: str
    down: str | None


@attrs.frozen
class ProvidersOut:
    chosen: str
    providers: list[ProviderInfo]


@attrs.frozen
class CutoffOut:
    category: str
    start: str | None
    end: str | None


@attrs.frozen
class DepositOut:
    provider: str
    #: The deposit left with the provider, as it last reported it.
    deposit: Money | None
    #: Below this, ``low`` is true (and the operator should top up).
    threshold: Money | None
    low: bool
    #: The deposit the books expect (null until a top-up was recorded with ``ppob topup``).
    expected: Money | None = None


@attrs.frozen
class CallbackOut:
    verdict: str
    ref_id: str | None
    status: str | None


@attrs.frozen
class DeliveryOut:
    provider: str
    ref_id: str | None
    verdict: str
    outcome: str | None
    detail: str | None
    received_at: str


@attrs.frozen
class DeliveriesOut:
    callbacks: list[DeliveryOut]


@attrs.frozen
class ReconLine:
    ref_id: str
    detail: str


@attrs.frozen
class ProposalOut:
    """An adjustment to agree with the provider, then post with ``ppob reconcile-adjust``."""

    ref_id: str
    kind: str
    provider_price: Money
    amount: Money


@attrs.frozen
class ReconcileOut:
    provider: str
    statement_rows: int
    matched: int
    mismatched: list[ReconLine]
    missing_locally: list[ReconLine]
    missing_at_provider: list[ReconLine]
    #: Successful purchases at the price charged: on the statement, and in our books.
    provider_total: Money
    local_total: Money
    proposed: list[ProposalOut] = attrs.field(factory=list)
    #: The deposit kopcore expects (null until a top-up was recorded with ``ppob topup``),
    #: the provider's (the statement's closing balance or its last report), and the difference.
    expected_deposit: Money | None = None
    provider_deposit: Money | None = None
    deposit_difference: Money | None = None


@attrs.frozen
class CheckOut:
    #: The provider checked ("" for the callback URL, which serves them all).
    provider: str
    item: str
    ok: bool
    detail: str


@attrs.frozen
class DoctorOut:
    """The go-live checklist: every item, and whether all pass."""

    ok: bool
    checks: list[CheckOut]


@attrs.frozen
class MoveOut:
    provider: str
    kind: str
    ref_id: str | None
    amount: Money
    entry_id: int | None
    #: The deposit kopcore now expects the provider to hold.
    expected_deposit: Money


def money(ctx: Context, minor: int) -> Money:
    return Money(minor, ctx.settings.currency)


def product_out(ctx: Context, p: catalogue.Product) -> ProductOut:
    return ProductOut(p.sku, p.provider, p.category, p.brand, p.name, p.postpaid,
                      money(ctx, p.buy_price), money(ctx, p.selling_price), p.available,
                      p.synced_on, p.cutoff_start, p.cutoff_end, p.group_code)


def txn_out(ctx: Context, t: flow.Txn) -> TxnOut:
    return TxnOut(t.ref_id, t.status, t.sku, t.customer_no, t.customer_name,
                  money(ctx, t.selling_price), money(ctx, t.bill), t.paid_by, t.source_account,
                  t.sn, receipts.token_of(ctx, t), t.message, t.anomaly, t.entry_id,
                  t.created_on, t.resolved_on, t.resolution, t.resolved_by, t.resolution_on,
                  t.resolution_note, t.resolution_entry_id,
                  money(ctx, t.cost) if t.cost is not None else None,
                  t.cost is not None and t.cost != t.buy_price, t.attention, t.provider,
                  t.requested_sku)


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
    attention_only: bool = attrs.field(default=False, metadata={
        "help": "Only pending transactions raised to an operator (provider refused a re-send)"})


@attrs.frozen
class PeriodIn:
    date_from: date | None = attrs.field(default=None, metadata={
        "help": "First business date (default: the business date)"})
    date_to: date | None = attrs.field(default=None, metadata={
        "help": "Last business date (default: date_from)"})


@attrs.frozen
class AnomaliesIn:
    state: str = attrs.field(default="open", metadata={
        "help": "open (not yet resolved), resolved or all", "max_length": 8})


@attrs.frozen
class ResolveIn:
    ref_id: str = attrs.field(metadata=REF)
    resolution: str = attrs.field(metadata={
        "help": "charged (the member pays now, from savings), absorbed (a loss of the "
                "cooperative) or refunded (the provider reversed it)", "max_length": 16})
    amount: Decimal = attrs.field(metadata={
        "help": "The transaction's amount, repeated as confirmation (compared with the "
                "maker-checker threshold)"})
    note: str | None = attrs.field(default=None, metadata={
        "help": "Why, for the audit trail (e.g. the provider's ticket)", "max_length": 200})


@attrs.frozen
class RouteSetIn:
    scope: str = attrs.field(metadata={"help": "category or group", "max_length": 8})
    key: str = attrs.field(metadata={
        "help": "The category (pulsa, pln_token...) or the product group", "max_length": 64})
    providers: str = attrs.field(default="", metadata={
        "help": "Providers in order of preference, comma-separated (empty: clear the route)",
        "max_length": 200})


@attrs.frozen
class GroupSetIn:
    sku: str = attrs.field(metadata=SKU)
    group: str | None = attrs.field(default=None, metadata={
        "help": "The group: the same product at several providers (omit to take it out)",
        "max_length": 64})


@attrs.frozen
class ProviderStateIn:
    name: str = attrs.field(metadata={"help": "Provider name", "max_length": 32})
    down: bool = attrs.field(default=False, metadata={
        "help": "Mark it down (no sale is sent to it; routes fall back); false: up again"})
    note: str | None = attrs.field(default=None, metadata={
        "help": "Why, shown to tellers", "max_length": 150})


@attrs.frozen
class CutoffSetIn:
    category: str = attrs.field(metadata={
        "help": "pln_token, pulsa, paket_data, pln_postpaid, bpjs, pdam or telkom",
        "max_length": 32})
    start: str | None = attrs.field(default=None, metadata={
        "help": "Start of the daily window, HH:MM WIB (omit start and end to clear)",
        "max_length": 5})
    end: str | None = attrs.field(default=None, metadata={
        "help": "End of the window, HH:MM WIB (may be after midnight)", "max_length": 5})


@attrs.frozen
class ThresholdIn:
    threshold: Decimal = attrs.field(metadata={
        "help": "Report the provider deposit as low below this many rupiah (0: never)"})


@attrs.frozen
class CallbackIn:
    body: str = attrs.field(metadata={"help": "The callback's raw body, exactly as received",
                                      "max_length": 65536})
    signature: str = attrs.field(default="", metadata={
        "help": "The signature header's value (Digiflazz: X-Hub-Signature)", "max_length": 200})


@attrs.frozen
class CallbacksIn:
    ref_id: str | None = attrs.field(default=None, metadata=REF)


@attrs.frozen
class DoctorIn:
    provider: str | None = attrs.field(default=None, metadata={
        "help": "Check only this provider (default: every provider in use)", "max_length": 32})


@attrs.frozen
class TopUpIn:
    provider: str = attrs.field(metadata={"help": "The provider whose deposit was topped up",
                                          "max_length": 32})
    amount: Decimal = attrs.field(metadata={"help": "Rupiah paid to the provider"})
    from_account: str = attrs.field(metadata={
        "help": "The internal account it was paid from (bank, cash)", "max_length": 64})
    note: str | None = attrs.field(default=None, metadata={
        "help": "The transfer's reference", "max_length": 200})


@attrs.frozen
class AdjustIn:
    ref_id: str = attrs.field(metadata=REF)
    kind: str = attrs.field(metadata={
        "help": "price (charged at another price than booked) or unrecorded (on the "
                "statement only)", "max_length": 16})
    provider_price: Decimal = attrs.field(metadata={"help": "The price on the statement"})
    amount: Decimal = attrs.field(metadata={
        "help": "The adjustment, as the reconciliation proposed it (compared with the "
                "maker-checker threshold)"})
    provider: str | None = attrs.field(default=None, metadata={
        "help": "For an unrecorded purchase: the provider whose statement lists it",
        "max_length": 32})
    note: str | None = attrs.field(default=None, metadata={
        "help": "What was agreed with the provider (its ticket)", "max_length": 200})


@attrs.frozen
class ReconcileIn:
    csv: str = attrs.field(metadata={
        "help": "The provider's statement as CSV text with columns ref_id, status, price",
        "max_length": 4_000_000})
    provider: str | None = attrs.field(default=None, metadata={
        "help": "Whose statement it is (default: the chosen provider)", "max_length": 32})
    closing_balance: Decimal | None = attrs.field(default=None, metadata={
        "help": "The deposit at the statement's end (default: the provider's last report)"})
    date_from: date | None = attrs.field(default=None, metadata={
        "help": "First day of our transactions to compare (default: the business date)"})
    date_to: date | None = attrs.field(default=None, metadata={
        "help": "Last day (default: date_from)"})


def providers(ctx: Context, data: NoIn) -> ProvidersOut:
    """The PPOB providers the installed plugins offer, the one chosen, which are in use and
    which are marked down."""
    enabled = catalogue.enabled_providers(ctx)
    return ProvidersOut(catalogue.provider_name(ctx), [
        ProviderInfo(spec.name, spec.description, spec.networked, spec.name in enabled,
                     catalogue.provider_down(ctx, spec.name))
        for spec in sorted(registry(ctx).values(), key=lambda s: s.name)])


def _routes_out(ctx: Context) -> RoutesOut:
    return RoutesOut([RouteOut(*r) for r in routing.routes(ctx)],
                     catalogue.enabled_providers(ctx))


def route_set(ctx: Context, data: RouteSetIn) -> RoutesOut:
    """Prefer providers, in order, for a category or a product group; the next one is used
    when one is down, out of stock or refuses. Sync the catalogue afterwards."""
    names = [n.strip() for n in data.providers.split(",") if n.strip()]
    routing.set_route(ctx, data.scope, data.key, names)
    return _routes_out(ctx)


def routes(ctx: Context, data: NoIn) -> RoutesOut:
    """The routes, and the providers whose products are sold."""
    return _routes_out(ctx)


def product_group_set(ctx: Context, data: GroupSetIn) -> ProductOut:
    """Put a product in a group: the same product at several providers, for routing."""
    return product_out(ctx, routing.set_group(ctx, data.sku, data.group))


def provider_state(ctx: Context, data: ProviderStateIn) -> ProviderStateOut:
    """Mark a provider down (routes fall back to the next) or up again."""
    return ProviderStateOut(data.name,
                            routing.set_provider_state(ctx, data.name, data.down, data.note))


def cutoff_set(ctx: Context, data: CutoffSetIn) -> CutoffOut:
    """Set (or clear) a category's daily cut-off window, in WIB: no sale is sent inside it."""
    window = catalogue.set_category_cutoff(ctx, data.category, data.start, data.end)
    return CutoffOut(data.category, *(window or (None, None)))


def _deposit_out(ctx: Context) -> DepositOut:
    name = catalogue.provider_name(ctx)
    known = flow.known_deposit(ctx, name)
    threshold = catalogue.get_setting(ctx, "deposit_threshold")
    unit = catalogue.scale(ctx)
    deposit = money(ctx, known * unit) if known is not None else None
    limit = money(ctx, int(threshold)) if threshold is not None else None
    low = deposit is not None and limit is not None and deposit.minor < limit.minor
    expected = (money(ctx, deposits.expected(ctx, name)) if deposits.recorded(ctx, name)
                else None)
    return DepositOut(name, deposit, limit, low, expected)


def deposit(ctx: Context, data: NoIn) -> DepositOut:
    """Ask the provider for the deposit left and compare it with the low-balance threshold."""
    name = catalogue.provider_name(ctx)
    balance = calling(name, flow.provider_for(ctx, name).balance)

    def store(w: Context) -> DepositOut:
        flow.record_deposit(w, name, balance)
        return _deposit_out(w)

    return ctx.kernel.write(ctx.actor, store, operation=ctx.operation, principal=ctx.principal)


def deposit_threshold_set(ctx: Context, data: ThresholdIn) -> DepositOut:
    """Set the provider deposit's low-balance threshold."""
    minor = _units(ctx, data.threshold, "threshold")
    if minor < 0:
        raise ValidationError(_("threshold cannot be negative"), field="threshold")
    catalogue.put_setting(ctx, "deposit_threshold", str(minor) if minor else None)
    return _deposit_out(ctx)


def poll(ctx: Context, data: NoIn) -> TxnsOut:
    """The status-polling job: ask about every pending transaction and settle those decided
    (schedule it; each provider call is made outside any database transaction)."""
    settled = flow.poll_pending(ctx)
    return ctx.kernel.read(ctx.actor, lambda r: TxnsOut([txn_out(r, t) for t in settled]))


def callback(ctx: Context, data: CallbackIn) -> CallbackOut:
    """Receive the provider's signed callback (webhook) and settle the transaction it reports.

    Public route: authenticated by the signature over the body, not by an API key. A bad
    signature is refused (401), recorded, and changes nothing; a repeated delivery changes
    nothing."""
    d = callbacks.receive(ctx, data.body, data.signature)
    return CallbackOut(d.verdict, d.ref_id, d.status)


def callback_log(ctx: Context, data: CallbacksIn) -> DeliveriesOut:
    """Callbacks received, newest first, with what each did (forged ones included)."""
    return DeliveriesOut([
        DeliveryOut(str(r["provider"]), r["ref_id"], str(r["verdict"]),  # type: ignore[arg-type]
                    r["outcome"], r["detail"], str(r["received_at"]))  # type: ignore[arg-type]
        for r in callbacks.deliveries(ctx, data.ref_id)])


def reconcile_statement(ctx: Context, data: ReconcileIn) -> ReconcileOut:
    """Compare the provider's statement (CSV) with our transactions: matched, mismatched and
    missing on either side. Nothing is posted."""
    closing = (None if data.closing_balance is None
               else _units(ctx, data.closing_balance, "closing_balance"))
    r = reconcile.reconcile(ctx, data.csv, data.date_from, data.date_to, data.provider,
                            closing)

    def lines(items: list[reconcile.Line]) -> list[ReconLine]:
        return [ReconLine(i.ref_id, i.detail) for i in items]

    def opt(minor: int | None) -> Money | None:
        return None if minor is None else money(ctx, minor)

    difference = (None if r.expected_deposit is None or r.provider_deposit is None
                  else r.provider_deposit - r.expected_deposit)
    return ReconcileOut(r.provider, r.statement_rows, r.matched, lines(r.mismatched),
                        lines(r.missing_locally), lines(r.missing_at_provider),
                        money(ctx, r.provider_total), money(ctx, r.local_total),
                        [ProposalOut(p.ref_id, p.kind, money(ctx, p.provider_price),
                                     money(ctx, p.amount)) for p in r.proposed],
                        opt(r.expected_deposit), opt(r.provider_deposit), opt(difference))


def doctor(ctx: Context, data: DoctorIn) -> DoctorOut:
    """Check the go-live checklist against the configured providers: credentials, signature
    accepted, IP whitelisted, deposit readable and reconciled, testing mode off, catalogue
    synced, callback URL reachable."""
    checks = [CheckOut(c.provider, c.item, c.ok, c.detail)
              for c in ppob_doctor.doctor(ctx, data.provider)]
    return DoctorOut(all(c.ok for c in checks), checks)


def _move_out(ctx: Context, move: deposits.Move) -> MoveOut:
    return MoveOut(move.provider, move.kind, move.ref_id, money(ctx, move.amount),
                   move.entry_id, money(ctx, deposits.expected(ctx, move.provider)))


def topup(ctx: Context, data: TopUpIn) -> MoveOut:
    """Record a top-up of a provider's deposit (Dr provider payable / Cr the account paid
    from); kopcore then knows the deposit it expects the provider to hold."""
    return _move_out(ctx, deposits.top_up(ctx, data.provider,
                                          _units(ctx, data.amount, "amount"),
                                          data.from_account, data.note))


def reconcile_adjust(ctx: Context, data: AdjustIn) -> MoveOut:
    """Post an adjustment agreed at reconciliation, once per ref_id: a price charged other than
    booked, or a purchase on the statement only (a second person approves it above the
    maker-checker threshold)."""
    return _move_out(ctx, deposits.adjust(
        ctx, data.ref_id, data.kind, _units(ctx, data.provider_price, "provider_price"),
        _units(ctx, data.amount, "amount"), data.provider, data.note))


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
        raise ValidationError(_("percent: 0-100 with at most 4 decimals"), field="percent")
    m = catalogue.set_markup(ctx, catalogue.Markup(
        data.category, _units(ctx, data.flat, "flat"), int(ppm),
        _units(ctx, data.round_to, "round_to")))
    return MarkupOut(m.category, money(ctx, m.flat), data.percent, money(ctx, m.round_to))


def sync(ctx: Context, data: NoIn) -> ProductsOut:
    """Sync the catalogue from the provider's price list, at the current markups.

    The price list is fetched with no write transaction open; it is stored in one."""
    lists = catalogue.fetch_price_lists(ctx)

    def store(w: Context) -> ProductsOut:
        return ProductsOut([product_out(w, p) for p in catalogue.store_price_lists(w, lists)])

    return ctx.kernel.write(ctx.actor, store, operation=ctx.operation, principal=ctx.principal)


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
    return TxnsOut([txn_out(ctx, t) for t in flow.list_txns(
        ctx, data.status, data.anomalies_only, attention_only=data.attention_only)])


def price_changes(ctx: Context, data: PeriodIn) -> PriceChangesOut:
    """Sales whose cost differed from the catalogue's buy price (or the bill's quote), with the
    margin each really made: the provider's price changed after the price list was synced."""
    first = data.date_from or ctx.business_date
    last = data.date_to or first
    if last < first:
        raise ValidationError(_("date_to is before date_from"), field="date_to")
    sales = []
    difference = 0
    for t in flow.price_changes(ctx, first, last):
        cost = flow.cost_of(t)
        difference += cost - t.buy_price
        sales.append(PriceChangeOut(
            t.ref_id, t.sku, t.provider, t.resolved_on, money(ctx, t.selling_price),
            money(ctx, t.buy_price), money(ctx, cost), money(ctx, t.selling_price - cost),
            money(ctx, t.selling_price - t.buy_price)))
    return PriceChangesOut(sales, money(ctx, difference))


def anomalies(ctx: Context, data: AnomaliesIn) -> TxnsOut:
    """Transactions the provider contradicted (success reported after a failure) or cannot
    answer about (a ref_id it holds for another transaction): an operator settles them."""
    return TxnsOut([txn_out(ctx, t) for t in flow.list_anomalies(ctx, data.state)])


def anomaly_resolve(ctx: Context, data: ResolveIn) -> TxnOut:
    """Resolve an anomaly once: charge the member, absorb it as a loss, or record the provider's
    refund (a second person approves it above the maker-checker threshold)."""
    minor = _units(ctx, data.amount, "amount")
    return txn_out(ctx, flow.resolve_anomaly(ctx, data.ref_id, data.resolution, minor,
                                             data.note))


def receipt(ctx: Context, data: RefIn) -> ReceiptOut:
    """A receipt to print or send: amount, status and the serial number or PLN token."""
    txn = flow.require_txn(ctx, data.ref_id)
    return ReceiptOut(txn_out(ctx, txn), receipts.text(ctx, txn))


PAYING = (NotFound, ValidationError, Conflict, InsufficientFunds, AccountClosed, AccountFrozen,
          MemberNotActive, PostingVetoed, CutOff, DepositExhausted, ProviderUnavailable)


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
    _op("sync", NoIn, ProductsOut, sync, chart.MANAGE, mutates=True, own_transactions=True,
        summary="Sync the catalogue from the provider",
        errors=(NotFound, Conflict, ProviderUnavailable)),
    _op("products", ProductsIn, ProductsOut, products, chart.READ, mutates=False,
        summary="The PPOB catalogue"),
    _op("inquiry", InquiryIn, TxnOut, inquiry, chart.TRANSACT, mutates=True,
        own_transactions=True, summary="Inquire a postpaid bill",
        errors=(NotFound, ValidationError, Conflict, CutOff, ProviderUnavailable)),
    _op("pay", PayIn, TxnOut, pay, chart.TRANSACT, mutates=True, own_transactions=True,
        summary="Buy a product or pay a bill", errors=PAYING),
    _op("own-products", own.OwnProductsIn, own.OwnProductsOut, own.own_products,
        chart.BUY_OWN, mutates=False, self_service=True,
        summary="The products a member buys from their own savings"),
    _op("own-bill", own.OwnBillIn, own.OwnBillOut, own.own_bill, chart.BUY_OWN,
        mutates=True, own_transactions=True, self_service=True,
        summary="A member's postpaid bill, quoted to pay from their own savings",
        errors=(NotFound, ValidationError, Conflict, CutOff, ProviderUnavailable)),
    _op("buy-own", own.BuyOwnIn, own.OwnPurchaseOut, own.buy_own, chart.BUY_OWN,
        mutates=True, own_transactions=True, self_service=True,
        summary="Buy a top-up or a token, or pay a quoted bill, from one's own savings",
        errors=PAYING),
    _op("own-purchases", own.OwnPurchasesIn, own.OwnPurchasesOut, own.own_purchases,
        chart.BUY_OWN, mutates=False, self_service=True,
        summary="A member's own PPOB purchases, the latest first", errors=(Conflict,)),
    _op("status", RefIn, TxnOut, status, chart.TRANSACT, mutates=True, own_transactions=True,
        summary="Check and settle a pending transaction", errors=(NotFound, *PAYING)),
    _op("transactions", TxnsIn, TxnsOut, transactions, chart.READ, mutates=False,
        summary="Recent PPOB transactions"),
    _op("price-changes", PeriodIn, PriceChangesOut, price_changes, chart.READ, mutates=False,
        summary="Sales whose cost differed from the catalogue, with their real margin",
        errors=(ValidationError,)),
    _op("receipt", RefIn, ReceiptOut, receipt, chart.READ, mutates=False,
        summary="Receipt of a PPOB transaction", errors=(NotFound,)),
    _op("providers", NoIn, ProvidersOut, providers, chart.READ, mutates=False,
        summary="PPOB providers offered by the installed plugins"),
    _op("route-set", RouteSetIn, RoutesOut, route_set, chart.MANAGE, mutates=True,
        summary="Prefer providers for a category or product group",
        errors=(NotFound, ValidationError)),
    _op("routes", NoIn, RoutesOut, routes, chart.READ, mutates=False,
        summary="PPOB routes and the providers in use"),
    _op("product-group-set", GroupSetIn, ProductOut, product_group_set, chart.MANAGE,
        mutates=True, summary="Group the same product at several providers",
        errors=(NotFound, ValidationError)),
    _op("provider-state", ProviderStateIn, ProviderStateOut, provider_state, chart.MANAGE,
        mutates=True, summary="Mark a PPOB provider down or up", errors=(NotFound,)),
    _op("cutoff-set", CutoffSetIn, CutoffOut, cutoff_set, chart.MANAGE, mutates=True,
        summary="Set a category's daily cut-off window", errors=(ValidationError,)),
    _op("deposit", NoIn, DepositOut, deposit, chart.MANAGE, mutates=True,
        own_transactions=True, summary="Ask the provider's deposit balance",
        errors=(NotFound, ProviderUnavailable)),
    _op("deposit-threshold-set", ThresholdIn, DepositOut, deposit_threshold_set, chart.MANAGE,
        mutates=True, summary="Set the low-deposit threshold", errors=(ValidationError,)),
    _op("poll", NoIn, TxnsOut, poll, chart.TRANSACT, mutates=True, own_transactions=True,
        summary="Settle pending transactions by asking the provider", errors=(NotFound,)),
    _op("callback", CallbackIn, CallbackOut, callback, chart.CALLBACK, mutates=True,
        own_transactions=True, signature_header="X-Hub-Signature",
        summary="Provider callback (webhook), signed; public route",
        errors=(BadSignature, ValidationError, ProviderUnavailable, *PAYING)),
    _op("callbacks", CallbacksIn, DeliveriesOut, callback_log, chart.READ, mutates=False,
        summary="Provider callbacks received"),
    _op("anomalies", AnomaliesIn, TxnsOut, anomalies, chart.READ, mutates=False,
        summary="PPOB anomalies (success reported after a failure)", errors=(ValidationError,)),
    _op("anomaly-resolve", ResolveIn, TxnOut, anomaly_resolve, chart.MANAGE, mutates=True,
        approval_amount_field="amount", summary="Resolve a PPOB anomaly once",
        errors=(NotFound, ValidationError, Conflict, AnomalyResolved, InsufficientFunds,
                AccountClosed, AccountFrozen, PostingVetoed)),
    _op("reconcile", ReconcileIn, ReconcileOut, reconcile_statement, chart.MANAGE,
        mutates=True, summary="Reconcile the provider's statement (CSV)",
        errors=(ValidationError, NotFound)),
    _op("doctor", DoctorIn, DoctorOut, doctor, chart.MANAGE, mutates=False,
        summary="Check the go-live checklist against the configured providers"),
    _op("topup", TopUpIn, MoveOut, topup, chart.MANAGE, mutates=True,
        approval_amount_field="amount", summary="Record a top-up of a provider's deposit",
        errors=(NotFound, ValidationError, InsufficientFunds, AccountClosed, AccountFrozen,
                PostingVetoed)),
    _op("reconcile-adjust", AdjustIn, MoveOut, reconcile_adjust, chart.MANAGE, mutates=True,
        approval_amount_field="amount", summary="Post an adjustment agreed at reconciliation",
        errors=(NotFound, ValidationError, Conflict, PostingVetoed)),
)
