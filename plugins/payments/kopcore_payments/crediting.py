"""Crediting a payment: once per gateway payment id, whoever reports it first.

A payment reaches the books through a callback, a poll of the gateway's report or a
reconciliation; all three call :func:`credit`. The first inserts the payment's row under the
unique ``(gateway, payment_id)`` and posts; every later report of the same payment finds the
row (or loses the insert to a concurrent one, in a savepoint) and posts nothing: a duplicate.

What a payment credits:

- into a **member's open VA**: the account the ``kopcore_settlement_account`` hook names for the
  member and the purpose in the setting ``open_va_purpose`` (default ``disbursement``: the
  member's sukarela savings with kopcore-savings); with the setting ``open_va_rule``
  ``wajib-first``, the member's simpanan wajib arrears (``savings.wajib-arrears``) are paid
  first, oldest first, in the same entry;
- into a **bill's VA or QRIS**: the bill's target operation (``loans.repay``,
  ``savings.deposit``…), run through :func:`kopcore.operations.call` with the paid ``amount``
  and ``cash_account`` set to the gateway balance account, so the operation takes the money
  from the gateway's balance;
- otherwise the **suspense** account, with the reason: an unknown channel, a bill already paid
  or expired (a closed VA paid again), an amount other than the bill's, a member who left, no
  account for the member, or a target operation that refused.

The gateway's fee is booked in the same transaction: the gateway's own figure when its report
says, else the fee schedule (``payments.fee-set``).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kopcore import ledger, operations
from kopcore.context import Context
from kopcore.errors import Conflict, KopcoreError, NotFound
from kopcore.ledger import MemberStatus
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_payments import chart, config, events, tables
from kopcore_payments.gateways import GatewayPayment
from kopcore_payments.messages import _

log = logging.getLogger(__name__)

GATEWAY_ACCOUNT = ledger.gl_account_number(chart.GATEWAY_GL)
SUSPENSE_ACCOUNT = ledger.gl_account_number(chart.SUSPENSE_GL)
FEE_ACCOUNT = ledger.gl_account_number(chart.FEE_GL)

#: ``open_va_rule``: simpanan wajib arrears first, the rest to the settlement account.
WAJIB_FIRST = "wajib-first"
CREDITED = "credited"
SUSPENSE = "suspense"
ASSIGNED = "assigned"
REFUNDED = "refunded"


@attrs.frozen
class Booked:
    """A payment just booked, as ``kopcore_payments_booked`` receives it."""

    gateway: str
    payment_id: str
    kind: str
    amount: Money
    fee: Money
    #: ``credited`` or ``suspense``.
    status: str
    #: The member whose VA or bill it was, when known.
    member_id: int | None
    #: The account number or ``<operation> <bill>`` credited; ``None`` in suspense.
    credited_to: str | None
    reason: str | None
    entry_id: int | None


@attrs.frozen
class Credited:
    #: ``applied`` (posted now) or ``duplicate`` (already in the books; nothing posted).
    verdict: str
    payment_id: str
    status: str
    credited_to: str | None
    reason: str | None


def rupiah(ctx: Context, whole: int) -> Money:
    """Whole rupiah, as gateways quote them, as Money in the cooperative's currency."""
    return Money.parse(str(whole), ctx.settings.currency)


def schedule_fee(ctx: Context, gateway: str, kind: str, amount: int) -> int:
    """The fee schedule's fee for a payment of ``amount`` minor units: fixed plus
    ``rate_ppm``/1 000 000 of the amount, rounded half up to the minor unit."""
    row = ctx.conn.execute(sa.select(tables.fees).where(
        tables.fees.c.gateway == gateway, tables.fees.c.kind == kind)).first()
    if row is None:
        return 0
    variable = (Decimal(amount) * row.rate_ppm / Decimal(1_000_000)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP)
    return int(row.fixed + variable)


def existing(ctx: Context, gateway: str, payment_id: str) -> Any:
    p = tables.payments.c
    return ctx.conn.execute(sa.select(tables.payments).where(
        p.gateway == gateway, p.payment_id == payment_id)).first()


def find_channel(ctx: Context, gateway: str, paid: GatewayPayment) -> Any:
    """The channel paid into: by the gateway's id of it, else by our ``external_id`` (a
    transaction report names only the latter)."""
    c = tables.channels.c
    if paid.channel_ref:
        where = c.gateway_ref == paid.channel_ref
    elif paid.external_id:
        where = c.external_id == paid.external_id
    else:
        return None
    return ctx.conn.execute(sa.select(tables.channels).where(c.gateway == gateway, where)
                            ).first()


def _as_result(row: Any, verdict: str) -> Credited:
    return Credited(verdict, row.payment_id, row.status, row.credited_to, row.reason)


def credit(ctx: Context, gateway: str, paid: GatewayPayment, via: str) -> Credited:
    """Book ``paid`` once: credit its target, or suspense, and the fee. Idempotent."""
    found = existing(ctx, gateway, paid.payment_id)
    if found is not None:
        return _as_result(found, "duplicate")
    currency = ctx.settings.currency
    channel = find_channel(ctx, gateway, paid)
    savepoint = ctx.conn.begin_nested()
    try:
        inserted = ctx.conn.execute(tables.payments.insert().values(
            gateway=gateway, payment_id=paid.payment_id, kind=paid.kind.value,
            channel_ref=(channel.gateway_ref if channel
                         else paid.channel_ref or paid.external_id)[:64],
            channel_id=channel.id if channel else None,
            member_id=channel.member_id if channel else None,
            amount=rupiah(ctx, paid.amount).minor, fee=0,
            currency=currency, paid_at=paid.paid_at, received_via=via, status="received",
            received_on=ctx.business_date)).inserted_primary_key
    except IntegrityError:
        savepoint.rollback()  # a concurrent report of the same payment inserted it first
        found = existing(ctx, gateway, paid.payment_id)
        if found is None:  # not yet visible to this transaction's snapshot
            raise Conflict(_("payment {payment_id} is being booked by a concurrent report; "
                             "retry", payment_id=paid.payment_id)) from None
        return _as_result(found, "duplicate")
    savepoint.commit()
    assert inserted is not None
    row_id = int(inserted[0])
    amount = rupiah(ctx, paid.amount)
    memo = f"Pembayaran {paid.kind.value.upper()} {gateway} {paid.payment_id}"[:500]
    status: str
    target: str | None
    reason: str | None
    entry: int | None
    if paid.currency != currency:
        status, target, reason, entry = _suspense(ctx, amount, memo, "currency-mismatch")
    else:
        status, target, reason, entry = _apply(ctx, channel, amount, memo, row_id,
                                               paid.paid_at)
    fee = rupiah(ctx, paid.fee).minor if paid.fee is not None else \
        schedule_fee(ctx, gateway, paid.kind.value, amount.minor)
    fee_entry = None
    if fee > 0:
        fee_money = Money(fee, currency)
        fee_entry = ledger.post_entry(ctx, [
            PostingLine(FEE_ACCOUNT, Side.DEBIT, fee_money),
            PostingLine(GATEWAY_ACCOUNT, Side.CREDIT, fee_money),
        ], memo=f"Biaya {gateway} {paid.payment_id}"[:500],
            idempotency_key=f"payments.fee:{gateway}:{paid.payment_id}"[:200]).id
    ctx.conn.execute(tables.payments.update().where(tables.payments.c.id == row_id).values(
        status=status, credited_to=target, reason=reason[:300] if reason else None,
        entry_id=entry, fee=fee, fee_entry_id=fee_entry))
    if status == SUSPENSE:
        log.warning("payment %s %s to suspense: %s", gateway, paid.payment_id, reason)
    booked = Booked(gateway, paid.payment_id, paid.kind.value, amount, Money(fee, currency),
                    status, channel.member_id if channel else None, target, reason, entry)
    ctx.kernel.plugins.call("kopcore_payments_booked", ctx=ctx, payment=booked)
    return Credited("applied", paid.payment_id, status, target, reason)


def _suspense(ctx: Context, amount: Money, memo: str, reason: str
              ) -> tuple[str, str | None, str, int]:
    entry = ledger.post_entry(ctx, [
        PostingLine(GATEWAY_ACCOUNT, Side.DEBIT, amount),
        PostingLine(SUSPENSE_ACCOUNT, Side.CREDIT, amount),
    ], memo=f"{memo} (titipan: {reason})"[:500])
    return SUSPENSE, None, reason, entry.id


def _apply(ctx: Context, channel: Any, amount: Money, memo: str, row_id: int,
           paid_at: datetime) -> tuple[str, str | None, str | None, int | None]:
    if channel is None:
        return _suspense(ctx, amount, memo, "unknown-channel")
    if channel.bill_id is not None:
        return _pay_bill(ctx, channel.bill_id, amount, memo, row_id, paid_at)
    member = ledger.get_member_by_id(ctx, channel.member_id)
    if member.status is not MemberStatus.ACTIVE:
        return _suspense(ctx, amount, memo, f"member-{member.status.value}")
    lines = [PostingLine(GATEWAY_ACCOUNT, Side.DEBIT, amount)]
    remaining = amount
    if config.get(ctx, "open_va_rule") == WAJIB_FIRST:
        for wajib, due in wajib_arrears(ctx, member.member_number, amount.currency):
            take = min(due, remaining)
            if take.is_positive():
                lines.append(PostingLine(wajib, Side.CREDIT, take))
                remaining = remaining - take
    purpose = config.get(ctx, "open_va_purpose")
    account = ledger.settlement_account(ctx, member, purpose, amount.currency)
    if remaining.is_positive():
        if account is None:
            return _suspense(ctx, amount, memo, f"no-account-for-{purpose}")
        lines.append(PostingLine(account.number, Side.CREDIT, remaining))
    savepoint = ctx.conn.begin_nested()
    try:
        entry = ledger.post_entry(ctx, lines, memo=memo)
    except KopcoreError as refused:
        savepoint.rollback()
        return _suspense(ctx, amount, memo, f"account-refused: {refused.code}")
    savepoint.commit()
    credited = ", ".join(line.account for line in lines[1:])[:200]
    events.received(ctx, member.id, channel.gateway, amount, credited)
    return CREDITED, credited, None, entry.id


def wajib_arrears(ctx: Context, member_number: str, currency: str) -> list[tuple[str, Money]]:
    """The member's simpanan wajib arrears, oldest first, as kopcore-savings' public operation
    ``savings.wajib-arrears`` answers them; none when that operation is not enabled."""
    try:
        answer = operations.call(ctx, "savings.wajib-arrears", {"member": member_number},
                                 caller=chart.PLUGIN)
    except NotFound:
        return []
    found = []
    for item in answer.get("items", []) if isinstance(answer, dict) else []:
        due = Money.parse(str(item["arrears"]["amount"]), currency)
        if due.is_positive():
            found.append((str(item["account"]), due))
    return found


def target_input(bill: Any, amount: Money, cash_account: str) -> dict[str, Any]:
    """The bill's target operation's input: the stored input with ``amount`` and
    ``cash_account`` set by the payment."""
    raw: dict[str, Any] = json.loads(bill.target_input)
    raw["amount"] = str(amount.amount)
    raw["cash_account"] = cash_account
    return raw


def _pay_bill(ctx: Context, bill_id: int, amount: Money, memo: str, row_id: int,
              paid_at: datetime) -> tuple[str, str | None, str | None, int | None]:
    """A bill is payable while open, by a payment made before it expired: a late callback
    about a payment made in time still pays it, even after end of day marked it expired."""
    bill = ctx.conn.execute(sa.select(tables.bills).where(tables.bills.c.id == bill_id)).one()
    if bill.status in ("open", "expired") and _aware(paid_at) > _aware(bill.expires_at):
        return _suspense(ctx, amount, memo, "bill-expired")
    if bill.status not in ("open", "expired"):
        return _suspense(ctx, amount, memo, f"bill-{bill.status}")
    if amount.minor != bill.amount:
        return _suspense(ctx, amount, memo,
                         f"amount-mismatch: bill {Money(bill.amount, amount.currency).format()}")
    b = tables.bills.c
    # Claim the bill before running its target: of two payments racing for one bill, the
    # second finds it paid (PostgreSQL re-reads the row after the first commits).
    claimed = ctx.conn.execute(tables.bills.update().where(
        b.id == bill_id, b.status == bill.status).values(status="paid", payment_row_id=row_id))
    if claimed.rowcount != 1:
        return _suspense(ctx, amount, memo, "bill-paid")
    try:
        answer = operations.call(ctx, bill.target_operation,
                                 target_input(bill, amount, GATEWAY_ACCOUNT),
                                 caller=chart.PLUGIN)
    except KopcoreError as refused:
        ctx.conn.execute(tables.bills.update().where(b.id == bill_id).values(
            status=bill.status, payment_row_id=None))
        return _suspense(ctx, amount, memo, f"target-refused: {refused.code}: {refused.detail}")
    entry_id = answer.get("entry_id") if isinstance(answer, dict) else None
    return CREDITED, f"{bill.target_operation} {bill.number}", None, \
        entry_id if isinstance(entry_id, int) else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
