"""Issuing channels: a member's fixed VAs (open amount) and a bill's VA or QRIS (closed amount).

Asking the gateway is a network call, so it never happens inside a database transaction: a
handler checks and reserves in one transaction, calls the gateway, and records the answer in a
second. A bill is written ``creating`` first; if the gateway refuses or does not answer it
becomes ``failed`` and the error reaches the caller. Our ``external_id`` is derived from the
member and bank (``M<member>-<bank>``) or the bill number, so a retried request names the same
channel.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kopcore import ledger, operations
from kopcore.context import Context
from kopcore.errors import KopcoreError, NotFound, ValidationError
from kopcore.money import Money
from kopcore_payments import config, crediting, tables
from kopcore_payments.gateways import Channel, Gateway, Kind, calling, make_gateway
from kopcore_payments.messages import _


def gateway_in_use(ctx: Context) -> tuple[str, Gateway]:
    name = config.get(ctx, "gateway")
    if not name:
        raise NotFound(_("no payment gateway chosen: run payments gateway-set first"))
    return name, make_gateway(ctx, name)


def va_name(name: str) -> str:
    """The name a bank shows for the VA: letters and spaces only, as gateways require."""
    cleaned = " ".join(re.sub(r"[^A-Za-z ]", " ", name).split())
    return (cleaned or "Anggota Koperasi")[:50]


def record_channel(ctx: Context, gateway: str, channel: Channel, member_id: int,
                    bill_id: int | None) -> dict[str, Any]:
    c = tables.channels.c
    row = ctx.conn.execute(sa.select(tables.channels).where(
        c.gateway == gateway, c.gateway_ref == channel.gateway_ref)).first()
    if row is None:
        ctx.conn.execute(tables.channels.insert().values(
            gateway=gateway, kind=channel.kind.value, gateway_ref=channel.gateway_ref,
            external_id=channel.external_id, number=channel.number,
            bank_code=channel.bank_code, member_id=member_id, bill_id=bill_id,
            amount=crediting.rupiah(ctx, channel.amount).minor
            if channel.amount is not None else None, expires_at=channel.expires_at,
            created_on=ctx.business_date))
        row = ctx.conn.execute(sa.select(tables.channels).where(
            c.gateway == gateway, c.gateway_ref == channel.gateway_ref)).one()
    return dict(row._mapping)


def _va_request(gateway: Gateway, external_id: str, bank: str, name: str
                ) -> Callable[[], Channel]:
    return lambda: gateway.create_va(external_id, bank, name)


def _recording(gateway: str, channel: Channel, member_id: int, bill_id: int | None
               ) -> Callable[[Context], dict[str, Any]]:
    return lambda w: record_channel(w, gateway, channel, member_id, bill_id)


def open_member_vas(ctx: Context, member_number: str, banks: list[str]) -> list[dict[str, Any]]:
    """Open (or return) the member's fixed open-amount VA at each bank. ``ctx`` is read-only."""
    member = ledger.require_active(ctx, ledger.get_member(ctx, member_number).id)
    name, gateway = gateway_in_use(ctx)
    c = tables.channels.c
    opened = []
    for bank in banks or config.get(ctx, "banks").split(","):
        bank = bank.strip().upper()
        if not re.fullmatch(r"[A-Z_]{2,32}", bank):
            raise ValidationError(_("bank code {bank!r}: 2-32 letters (BRI, BNI, MANDIRI...)",
                                    bank=bank),
                                  field="banks")
        external_id = f"M{member.member_number}-{bank}"[:64]
        existing = ctx.conn.execute(sa.select(tables.channels).where(
            c.gateway == name, c.external_id == external_id)).first()
        if existing is not None:
            opened.append(dict(existing._mapping))
            continue
        channel = calling(name, _va_request(gateway, external_id, bank, va_name(member.name)))
        opened.append(ctx.kernel.write(ctx.actor, _recording(name, channel, member.id, None),
                                       operation=ctx.operation))
    return opened


def create_bill(ctx: Context, *, member_number: str, amount: Decimal, kind: Kind, bank: str,
                operation: str, target: dict[str, Any], description: str, hours: int | None
                ) -> dict[str, Any]:
    """Check the target call, write the bill, ask the gateway for its channel, record it.
    ``ctx`` is read-only (the caller's principal is checked for the target operation)."""
    member = ledger.require_active(ctx, ledger.get_member(ctx, member_number).id)
    money = Money.parse(str(amount), ctx.settings.currency)
    if not money.is_positive() or money.amount != money.amount.to_integral_value():
        raise ValidationError(_("a bill's amount is positive whole rupiah (gateways take no "
                                "sen)"), field="amount")
    whole = int(money.amount)
    if "amount" in target or "cash_account" in target:
        raise ValidationError(_("the payment sets the target's amount and cash_account; leave "
                                "them out of the input"), field="input")
    probe = dict(target, amount=str(money.amount), cash_account=crediting.GATEWAY_ACCOUNT)
    operations.check_call(ctx, operation, probe)
    name, gateway = gateway_in_use(ctx)
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(
        hours=hours if hours is not None else int(config.get(ctx, "bill_hours")))
    if kind is Kind.VA and not re.fullmatch(r"[A-Z_]{2,32}", bank.strip().upper()):
        raise ValidationError(_("a bill paid by VA names its bank (bank_code)"), field="bank_code")

    def reserve(w: Context) -> tuple[int, str]:
        inserted = w.conn.execute(tables.bills.insert().values(
            number=f"new-{uuid.uuid4().hex[:24]}", member_id=member.id, amount=money.minor,
            currency=money.currency,
            description=description[:200], target_operation=operation,
            target_input=json.dumps(target, sort_keys=True), expires_at=expires,
            status="creating", created_by=ctx.actor,
            created_on=w.business_date)).inserted_primary_key
        assert inserted is not None
        bill_id = int(inserted[0])
        number = f"TG{w.business_date:%y%m%d}{bill_id:06d}"
        w.conn.execute(tables.bills.update().where(tables.bills.c.id == bill_id).values(
            number=number))
        return bill_id, number

    bill_id, number = ctx.kernel.write(ctx.actor, reserve, operation=ctx.operation)
    try:
        if kind is Kind.VA:
            channel = calling(name, lambda: gateway.create_va(
                number, bank.strip().upper(), va_name(member.name), amount=whole,
                expires_at=expires))
        else:
            channel = calling(name, lambda: gateway.create_qris(number, whole, expires))
    except KopcoreError:
        ctx.kernel.write(ctx.actor, lambda w: w.conn.execute(tables.bills.update().where(
            tables.bills.c.id == bill_id).values(status="failed")), operation=ctx.operation)
        raise

    def record(w: Context) -> dict[str, Any]:
        row = record_channel(w, name, channel, member.id, bill_id)
        w.conn.execute(tables.bills.update().where(tables.bills.c.id == bill_id).values(
            status="open"))
        return row

    channel_row = ctx.kernel.write(ctx.actor, record, operation=ctx.operation)
    return {"number": number, "channel": channel_row, "expires_at": expires,
            "amount": money, "member_number": member.member_number}
