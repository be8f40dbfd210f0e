"""The payments operations (``/api/v1/payments/<action>`` and ``kopcore payments <action>``).

Operations that ask the gateway (``va-open``, ``bill-create``, ``poll``, ``reconcile``) and the
callback run their own transactions: the gateway is never called with a transaction open.
"""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import (
    Conflict,
    Forbidden,
    MemberNotActive,
    NotFound,
    PostingVetoed,
    ValidationError,
)
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore_payments import (
    callbacks,
    chart,
    config,
    crediting,
    issuing,
    reconciling,
    settling,
    tables,
)
from kopcore_payments.errors import (
    AlreadyResolved,
    BadCallbackToken,
    GatewayRefused,
    GatewayUnavailable,
)
from kopcore_payments.gateways import Kind, registry
from kopcore_payments.messages import _

MEMBER = {"help": "Member number", "max_length": 32}
PAYMENT = {"help": "The gateway's payment id", "max_length": 128}
#: How far back a poll looks by default: a bank's late report reaches the gateway within days.
POLL_DAYS = 3
GATEWAY_ERRORS = (NotFound, ValidationError, GatewayUnavailable, GatewayRefused)


# -- outputs ----------------------------------------------------------------------------------

@attrs.frozen
class ChannelOut:
    gateway: str
    kind: str
    #: The VA number to transfer to, or the QRIS string to render as a QR code.
    number: str
    bank_code: str
    gateway_ref: str
    external_id: str
    #: Closed amount; ``None``: any amount.
    amount: Money | None
    expires_at: datetime | None
    bill: str | None


@attrs.frozen
class ChannelsOut:
    member_number: str
    channels: list[ChannelOut]


@attrs.frozen
class BillOut:
    number: str
    member_number: str
    amount: Money
    description: str
    operation: str
    input: str
    status: str
    expires_at: datetime
    channel: ChannelOut | None


@attrs.frozen
class BillsOut:
    bills: list[BillOut]


@attrs.frozen
class PaymentOut:
    gateway: str
    payment_id: str
    kind: str
    amount: Money
    fee: Money
    paid_at: datetime
    received_via: str
    #: ``credited``, ``suspense``, ``assigned`` or ``refunded``.
    status: str
    credited_to: str | None
    reason: str | None
    member_number: str | None
    entry_id: int | None


@attrs.frozen
class PaymentsOut:
    payments: list[PaymentOut]
    total: Money


@attrs.frozen
class CallbackOut:
    #: ``applied`` (booked now) or ``duplicate`` (already booked; nothing posted).
    verdict: str
    payment_id: str
    status: str
    credited_to: str | None
    reason: str | None


@attrs.frozen
class PolledOut:
    credited: list[CallbackOut]


@attrs.frozen
class ReconLine:
    payment_id: str
    reported_amount: Money | None
    reported_fee: Money | None
    booked_amount: Money | None
    booked_fee: Money | None


@attrs.frozen
class ReconOut:
    since: datetime
    until: datetime
    matched: list[ReconLine]
    missing: list[ReconLine]
    different: list[ReconLine]
    unreported: list[ReconLine]


@attrs.frozen
class SettlementOut:
    gateway: str
    reference: str
    amount: Money
    bank_account: str
    entry_id: int
    #: What the gateway still holds for the cooperative after this settlement.
    gateway_balance: Money


@attrs.frozen
class ResolvedOut:
    payment_id: str
    status: str
    credited_to: str | None
    entry_id: int | None


@attrs.frozen
class SettingsOut:
    gateway: str
    open_va_purpose: str
    open_va_rule: str
    banks: str
    bill_hours: int
    gateways: list[str]
    last_reconciliation: str


@attrs.frozen
class FeeOut:
    gateway: str
    kind: str
    fixed: Money
    rate_ppm: int


@attrs.frozen
class FeesOut:
    fees: list[FeeOut]


@attrs.frozen
class CallbackLogLine:
    gateway: str
    verdict: str
    payment_id: str | None
    detail: str | None
    received_at: datetime


@attrs.frozen
class CallbackLogOut:
    callbacks: list[CallbackLogLine]


# -- inputs -----------------------------------------------------------------------------------

@attrs.frozen
class NoIn:
    pass


class OpenVaRule(enum.StrEnum):
    SAVINGS = "savings"
    WAJIB_FIRST = "wajib-first"


@attrs.frozen
class SettingsIn:
    gateway: str | None = attrs.field(default=None, metadata={
        "help": "The gateway in use (payments settings lists those installed)",
        "max_length": 32})
    open_va_purpose: str | None = attrs.field(default=None, metadata={
        "help": "Settlement purpose asked for the account an open VA credits "
                "(default disbursement: the member's sukarela savings)", "max_length": 64})
    open_va_rule: OpenVaRule | None = attrs.field(default=None, metadata={
        "help": "savings: all to that account; wajib-first: simpanan wajib arrears first"})
    banks: str | None = attrs.field(default=None, metadata={
        "help": "Banks at which members' VAs are opened, comma-separated (BRI,BNI,MANDIRI)",
        "max_length": 200})
    bill_hours: int | None = attrs.field(default=None, metadata={
        "help": "A bill's default validity in hours", "minimum": 1, "maximum": 24 * 90})


@attrs.frozen
class VaOpenIn:
    member: str = attrs.field(metadata=MEMBER)
    banks: str = attrs.field(default="", metadata={
        "help": "Banks, comma-separated (default: the cooperative's banks setting)",
        "max_length": 200})


@attrs.frozen
class MemberIn:
    member: str = attrs.field(metadata=MEMBER)


@attrs.frozen
class BillCreateIn:
    member: str = attrs.field(metadata=MEMBER)
    amount: Decimal = attrs.field(metadata={"help": "The bill's amount (closed): rupiah"})
    operation: str = attrs.field(metadata={
        "help": "The operation the payment runs, e.g. loans.repay or savings.deposit; it "
                "receives amount and cash_account from the payment", "max_length": 64})
    input: str = attrs.field(default="{}", metadata={
        "help": "The operation's other input as a JSON object, e.g. {\"loan\": \"LN00000003\"}",
        "max_length": 2000})
    channel: Kind = attrs.field(default=Kind.VA, metadata={"help": "va or qris"})
    bank_code: str = attrs.field(default="", metadata={
        "help": "The VA's bank (channel va)", "max_length": 32})
    description: str = attrs.field(default="", metadata={"help": "What the bill is for",
                                                          "max_length": 200})
    hours: int | None = attrs.field(default=None, metadata={
        "help": "Valid for this many hours (default: the bill_hours setting)", "minimum": 1,
        "maximum": 24 * 90})


@attrs.frozen
class BillIn:
    number: str = attrs.field(metadata={"help": "Bill number (TG...)", "max_length": 32})


@attrs.frozen
class BillsIn:
    member: str | None = attrs.field(default=None, metadata=MEMBER)
    status: str | None = attrs.field(default=None, metadata={
        "help": "open, paid, expired or failed", "max_length": 16})


@attrs.frozen
class CallbackIn:
    body: str = attrs.field(metadata={"help": "The callback's raw body, exactly as received",
                                      "max_length": 65536})
    signature: str = attrs.field(default="", metadata={
        "help": "The x-callback-token header's value (Xendit)", "max_length": 200})


@attrs.frozen
class PaymentsIn:
    status: str | None = attrs.field(default=None, metadata={
        "help": "credited, suspense, assigned or refunded", "max_length": 16})
    member: str | None = attrs.field(default=None, metadata=MEMBER)
    limit: int = attrs.field(default=100, metadata={"help": "At most this many, newest first",
                                                    "minimum": 1, "maximum": 1000})


@attrs.frozen
class PeriodIn:
    since: datetime | None = attrs.field(default=None, metadata={
        "help": "From (default: three days before until)"})
    until: datetime | None = attrs.field(default=None, metadata={
        "help": "Until, exclusive (default: now)"})
    gateway: str | None = attrs.field(default=None, metadata={
        "help": "Another gateway than the one in use (one the cooperative used before)",
        "max_length": 32})


@attrs.frozen
class ReconcileIn:
    day: date | None = attrs.field(default=None, metadata={
        "help": "The day reconciled, WIB (default: the business date)"})
    credit_missing: bool = attrs.field(default=True, metadata={
        "help": "Credit payments the report has and the books do not"})
    gateway: str | None = attrs.field(default=None, metadata={
        "help": "Another gateway than the one in use (one the cooperative used before)",
        "max_length": 32})


@attrs.frozen
class SettleIn:
    reference: str = attrs.field(metadata={
        "help": "The gateway's settlement (payout) reference", "max_length": 64})
    amount: Decimal = attrs.field(metadata={"help": "Amount the bank received"})
    bank_account: str = attrs.field(metadata={
        "help": "The cooperative's bank account (internal account under GL bank)",
        "max_length": 64})
    settled_on: date | None = attrs.field(default=None, metadata={
        "help": "Value date (default: the business date)"})


@attrs.frozen
class ResolveIn:
    payment_id: str = attrs.field(metadata=PAYMENT)
    amount: Decimal = attrs.field(metadata={
        "help": "The payment's amount, repeated (compared with the approval threshold)"})
    action: str = attrs.field(metadata={"help": "assign or refund", "max_length": 8})
    account: str | None = attrs.field(default=None, metadata={
        "help": "assign: the member's account credited", "max_length": 64})
    operation: str | None = attrs.field(default=None, metadata={
        "help": "assign: an operation run instead (loans.repay...), with amount and "
                "cash_account set to the suspense account", "max_length": 64})
    input: str = attrs.field(default="{}", metadata={
        "help": "assign with operation: its other input as a JSON object",
        "max_length": 2000})
    refund_from: str | None = attrs.field(default=None, metadata={
        "help": "refund: the account paying it back (default: the gateway balance)",
        "max_length": 64})
    note: str = attrs.field(default="", metadata={"help": "Why; printed on the entry",
                                                  "max_length": 200})


@attrs.frozen
class FeeSetIn:
    kind: Kind = attrs.field(metadata={"help": "va or qris"})
    fixed: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "Per transaction, rupiah (e.g. 4000 for a VA)"})
    rate_ppm: int = attrs.field(default=0, metadata={
        "help": "Parts per million of the amount (MDR: 7000 = 0.7%)", "minimum": 0,
        "maximum": 100_000})
    gateway: str | None = attrs.field(default=None, metadata={
        "help": "Default: the gateway in use", "max_length": 32})


@attrs.frozen
class CallbacksIn:
    payment_id: str | None = attrs.field(default=None, metadata=PAYMENT)
    limit: int = attrs.field(default=100, metadata={"help": "At most this many, newest first",
                                                    "minimum": 1, "maximum": 1000})


# -- helpers ----------------------------------------------------------------------------------

def _json_input(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        raise ValidationError(_("input: not JSON"), field="input") from None
    if not isinstance(value, dict):
        raise ValidationError(_("input: a JSON object"), field="input")
    return value


def _money(ctx: Context, minor: int | None) -> Money | None:
    return None if minor is None else Money(minor, ctx.settings.currency)


def _channel_out(ctx: Context, row: Any) -> ChannelOut:
    bill = None
    if row["bill_id"] is not None:
        bill = ctx.conn.execute(sa.select(tables.bills.c.number).where(
            tables.bills.c.id == row["bill_id"])).scalar()
    return ChannelOut(row["gateway"], row["kind"], row["number"], row["bank_code"],
                      row["gateway_ref"], row["external_id"], _money(ctx, row["amount"]),
                      row["expires_at"], bill)


def _bill_out(ctx: Context, row: Any) -> BillOut:
    member = ledger.get_member_by_id(ctx, row.member_id)
    channel = ctx.conn.execute(sa.select(tables.channels).where(
        tables.channels.c.bill_id == row.id)).first()
    return BillOut(row.number, member.member_number, Money(row.amount, row.currency),
                   row.description, row.target_operation, row.target_input, row.status,
                   row.expires_at, _channel_out(ctx, channel._mapping) if channel else None)


def _credited_out(done: crediting.Credited) -> CallbackOut:
    return CallbackOut(done.verdict, done.payment_id, done.status, done.credited_to,
                       done.reason)


# -- handlers ---------------------------------------------------------------------------------

def settings(ctx: Context, data: NoIn) -> SettingsOut:
    """The gateway in use, the crediting rule, the banks and the installed gateways."""
    values = config.everything(ctx)
    return SettingsOut(values["gateway"], values["open_va_purpose"], values["open_va_rule"],
                       values["banks"],
                       int(values["bill_hours"]), sorted(registry(ctx)),
                       values["last_reconciliation"])


def settings_set(ctx: Context, data: SettingsIn) -> SettingsOut:
    """Choose the gateway, the account an open VA credits, the banks and the bill validity."""
    if data.gateway is not None:
        if data.gateway not in registry(ctx):
            raise NotFound(_("no payment gateway named {gateway!r}; installed: {installed}",
                             gateway=data.gateway, installed=sorted(registry(ctx))))
        config.put(ctx, "gateway", data.gateway)
    if data.open_va_purpose is not None:
        config.put(ctx, "open_va_purpose", data.open_va_purpose.strip())
    if data.open_va_rule is not None:
        config.put(ctx, "open_va_rule", data.open_va_rule.value)
    if data.banks is not None:
        config.put(ctx, "banks", ",".join(b.strip().upper() for b in data.banks.split(",")
                                          if b.strip()))
    if data.bill_hours is not None:
        config.put(ctx, "bill_hours", str(data.bill_hours))
    return settings(ctx, NoIn())


def va_open(ctx: Context, data: VaOpenIn) -> ChannelsOut:
    """Open the member's fixed virtual accounts (open amount), one per bank; an existing one is
    returned as it is."""
    banks = [b for b in data.banks.split(",") if b.strip()]
    rows = issuing.open_member_vas(ctx, data.member, banks)
    return ChannelsOut(data.member, [_channel_out(ctx, row) for row in rows])


def vas(ctx: Context, data: MemberIn) -> ChannelsOut:
    """The member's virtual accounts and the open bills' QRIS codes and VAs."""
    member = ledger.get_member(ctx, data.member)
    c, b = tables.channels.c, tables.bills.c
    rows = ctx.conn.execute(
        sa.select(tables.channels).outerjoin(tables.bills, b.id == c.bill_id)
        .where(c.member_id == member.id, sa.or_(c.bill_id.is_(None), b.status == "open"))
        .order_by(c.id)).all()
    return ChannelsOut(member.member_number, [_channel_out(ctx, r._mapping) for r in rows])


def bill_create(ctx: Context, data: BillCreateIn) -> BillOut:
    """Issue a bill paid by a closed-amount VA or a dynamic QRIS code. When paid, the payment
    runs ``operation`` with ``input`` plus ``amount`` and ``cash_account`` (the gateway
    balance account); the caller must be allowed to run that operation now."""
    made = issuing.create_bill(
        ctx, member_number=data.member, amount=data.amount, kind=data.channel,
        bank=data.bank_code, operation=data.operation, target=_json_input(data.input),
        description=data.description or data.operation, hours=data.hours)
    row = ctx.kernel.read(ctx.actor, lambda r: r.conn.execute(sa.select(tables.bills).where(
        tables.bills.c.number == made["number"])).one())
    return ctx.kernel.read(ctx.actor, lambda r: _bill_out(r, row))


def bill_get(ctx: Context, data: BillIn) -> BillOut:
    """A bill, its channel and its status."""
    row = ctx.conn.execute(sa.select(tables.bills).where(
        tables.bills.c.number == data.number)).first()
    if row is None:
        raise NotFound(_("no bill {bill!r}", bill=data.number))
    return _bill_out(ctx, row)


def bills(ctx: Context, data: BillsIn) -> BillsOut:
    """Bills, newest first."""
    query = sa.select(tables.bills).order_by(tables.bills.c.id.desc()).limit(500)
    if data.member is not None:
        query = query.where(tables.bills.c.member_id == ledger.get_member(ctx, data.member).id)
    if data.status is not None:
        query = query.where(tables.bills.c.status == data.status)
    return BillsOut([_bill_out(ctx, row) for row in ctx.conn.execute(query)])


def callback(ctx: Context, data: CallbackIn) -> CallbackOut:
    """Receive a gateway's payment callback: verified by its token, credited once."""
    return _credited_out(callbacks.receive(ctx, data.body, data.signature))


def payments_list(ctx: Context, data: PaymentsIn) -> PaymentsOut:
    """Payments received, newest first; ``--status suspense`` lists what waits for staff."""
    p, m = tables.payments.c, query.members.c
    select = sa.select(tables.payments, m.member_number).outerjoin(
        query.members, m.id == p.member_id).order_by(p.id.desc()).limit(data.limit)
    if data.status is not None:
        select = select.where(p.status == data.status)
    if data.member is not None:
        select = select.where(p.member_id == ledger.get_member(ctx, data.member).id)
    out = []
    total = Money.zero(ctx.settings.currency)
    for row in ctx.conn.execute(select):
        amount = Money(row.amount, row.currency)
        total = total + amount
        out.append(PaymentOut(row.gateway, row.payment_id, row.kind, amount,
                              Money(row.fee, row.currency), row.paid_at, row.received_via,
                              row.status, row.credited_to, row.reason, row.member_number,
                              row.entry_id))
    return PaymentsOut(out, total)


def _period(ctx: Context, data: PeriodIn) -> tuple[datetime, datetime]:
    until = data.until or datetime.now(UTC)
    since = data.since or until - timedelta(days=POLL_DAYS)
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    until = until if until.tzinfo else until.replace(tzinfo=UTC)
    if until <= since or until - since > timedelta(days=31):
        raise ValidationError(_("the period runs forwards and spans at most 31 days"),
                              field="until")
    return since, until


def poll(ctx: Context, data: PeriodIn) -> PolledOut:
    """Ask the gateway's transaction report and credit every payment not yet in the books
    (a callback that never came). Schedule it, e.g. every 15 minutes."""
    since, until = _period(ctx, data)
    return PolledOut([_credited_out(d) for d in reconciling.poll(ctx, since, until,
                                                                 data.gateway)])


def reconcile(ctx: Context, data: ReconcileIn) -> ReconOut:
    """Compare a day's gateway report with the books: matched, missing, different,
    unreported."""
    since, until = reconciling.day_bounds(data.day or ctx.business_date)
    found = reconciling.reconcile(ctx, since, until, data.credit_missing, data.gateway)

    def line(item: dict[str, Any]) -> ReconLine:
        return ReconLine(item["payment_id"], _money(ctx, item["reported_amount"]),
                         _money(ctx, item["reported_fee"]), _money(ctx, item["booked_amount"]),
                         _money(ctx, item["booked_fee"]))

    return ReconOut(since, until, *[[line(i) for i in found[k]] for k in
                                    ("matched", "missing", "different", "unreported")])


def settle(ctx: Context, data: SettleIn) -> SettlementOut:
    """Record a settlement from the gateway to the cooperative's bank account."""
    done = settling.settle(ctx, data.reference,
                           Money.parse(str(data.amount), ctx.settings.currency),
                           data.bank_account, data.settled_on)
    return SettlementOut(**done)


def resolve(ctx: Context, data: ResolveIn) -> ResolvedOut:
    """Resolve a payment waiting in suspense: assign it to a member's account or an operation,
    or record its refund. Above the approval threshold a second person approves."""
    if data.action not in ("assign", "refund"):
        raise ValidationError(_("action: assign or refund"), field="action")
    target = _json_input(data.input) if data.operation else None
    done = settling.resolve(ctx, data.payment_id,
                            Money.parse(str(data.amount), ctx.settings.currency), data.action,
                            account=data.account, operation=data.operation, target=target,
                            refund_from=data.refund_from, note=data.note)
    return ResolvedOut(**done)


def fee_set(ctx: Context, data: FeeSetIn) -> FeeOut:
    """Set the gateway's fee for a kind of channel: fixed per transaction plus a rate (MDR).
    Used when the gateway's callback does not state the fee."""
    gateway = data.gateway or config.get(ctx, "gateway")
    if gateway not in registry(ctx):
        raise NotFound(_("no payment gateway named {gateway!r}", gateway=gateway))
    fixed = Money.parse(str(data.fixed), ctx.settings.currency)
    if fixed.minor < 0:
        raise ValidationError(_("fixed: not negative"), field="fixed")
    f = tables.fees.c
    ctx.conn.execute(tables.fees.delete().where(f.gateway == gateway, f.kind == data.kind.value))
    ctx.conn.execute(tables.fees.insert().values(gateway=gateway, kind=data.kind.value,
                                                 fixed=fixed.minor, rate_ppm=data.rate_ppm))
    return FeeOut(gateway, data.kind.value, fixed, data.rate_ppm)


def fees(ctx: Context, data: NoIn) -> FeesOut:
    """The fee schedule."""
    rows = ctx.conn.execute(sa.select(tables.fees).order_by(tables.fees.c.gateway,
                                                            tables.fees.c.kind))
    return FeesOut([FeeOut(r.gateway, r.kind, Money(r.fixed, ctx.settings.currency),
                           r.rate_ppm) for r in rows])


def callback_log(ctx: Context, data: CallbacksIn) -> CallbackLogOut:
    """Callbacks received, with their verdicts (refused ones too), newest first."""
    c = tables.callbacks.c
    query = sa.select(tables.callbacks).order_by(c.id.desc()).limit(data.limit)
    if data.payment_id is not None:
        query = query.where(c.payment_id == data.payment_id)
    return CallbackLogOut([CallbackLogLine(r.gateway, r.verdict, r.payment_id, r.detail,
                                           r.received_at) for r in ctx.conn.execute(query)])


def _op(action: str, *args: Any, **kwargs: Any) -> Operation:
    return Operation(f"payments.{action}", *args, **kwargs)


OPERATIONS: tuple[Operation, ...] = (
    _op("settings", NoIn, SettingsOut, settings, chart.READ, mutates=False,
        summary="The payments settings and installed gateways"),
    _op("settings-set", SettingsIn, SettingsOut, settings_set, chart.MANAGE, mutates=True,
        summary="Choose the gateway and the crediting rule", errors=(NotFound,)),
    _op("va-open", VaOpenIn, ChannelsOut, va_open, chart.ISSUE, mutates=True,
        own_transactions=True, member_fields=("member",),
        summary="Open a member's fixed virtual accounts",
        errors=(*GATEWAY_ERRORS, MemberNotActive)),
    _op("vas", MemberIn, ChannelsOut, vas, chart.READ, mutates=False, member_fields=("member",),
        summary="A member's virtual accounts and open QRIS codes", errors=(NotFound,)),
    _op("bill-create", BillCreateIn, BillOut, bill_create, chart.ISSUE, mutates=True,
        own_transactions=True, member_fields=("member",),
        summary="Issue a bill paid by VA or QRIS",
        errors=(*GATEWAY_ERRORS, MemberNotActive, Forbidden)),
    _op("bill-get", BillIn, BillOut, bill_get, chart.READ, mutates=False,
        summary="A bill and its status", errors=(NotFound,)),
    _op("bills", BillsIn, BillsOut, bills, chart.READ, mutates=False, summary="Bills",
        member_fields=("member",), errors=(NotFound,)),
    _op("callback", CallbackIn, CallbackOut, callback, chart.CALLBACK, mutates=True,
        own_transactions=True, signature_header="x-callback-token",
        summary="A gateway's payment callback (public route, token-verified)",
        errors=(BadCallbackToken, ValidationError)),
    _op("payments", PaymentsIn, PaymentsOut, payments_list, chart.READ, mutates=False,
        member_fields=("member",), summary="Payments received; suspense items",
        errors=(NotFound,)),
    _op("poll", PeriodIn, PolledOut, poll, chart.MANAGE, mutates=True, own_transactions=True,
        summary="Credit payments whose callback never came", errors=GATEWAY_ERRORS),
    _op("reconcile", ReconcileIn, ReconOut, reconcile, chart.MANAGE, mutates=True,
        own_transactions=True, summary="Reconcile a day against the gateway's report",
        errors=GATEWAY_ERRORS),
    _op("settle", SettleIn, SettlementOut, settle, chart.MANAGE, mutates=True,
        approval_amount_field="amount", summary="Record a settlement to the bank",
        errors=(NotFound, ValidationError, Conflict)),
    _op("resolve", ResolveIn, ResolvedOut, resolve, chart.MANAGE, mutates=True,
        approval_amount_field="amount", summary="Resolve a suspense item (assign or refund)",
        errors=(NotFound, ValidationError, AlreadyResolved, PostingVetoed, Forbidden)),
    _op("fee-set", FeeSetIn, FeeOut, fee_set, chart.MANAGE, mutates=True,
        summary="Set a gateway's fee (MDR, per transaction)", errors=(NotFound, ValidationError)),
    _op("fees", NoIn, FeesOut, fees, chart.READ, mutates=False, summary="The fee schedule"),
    _op("callbacks", CallbacksIn, CallbackLogOut, callback_log, chart.READ, mutates=False,
        summary="Callbacks received and their verdicts"),
)
