"""Settlements from the gateway to the cooperative's bank, and resolving suspense.

A settlement moves money the gateway holds to the cooperative's bank account: debit the bank
account named, credit ``payments.gateway``; recorded once per gateway reference when the
gateway reports it settled. A suspense item is resolved once, by staff (maker-checker above
the approval threshold): **assign** credits a member's account or runs an operation (a bill's
kind of target) with ``cash_account`` set to the suspense account; **refund** records the money
returned to the payer from the gateway balance (or another account named).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kopcore import ledger, operations
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_payments import chart, config, crediting, tables
from kopcore_payments.errors import AlreadyResolved
from kopcore_payments.messages import _


def settle(ctx: Context, reference: str, amount: Money, bank_account: str,
           settled_on: date | None) -> dict[str, Any]:
    gateway = config.get(ctx, "gateway")
    if not gateway:
        raise NotFound(_("no payment gateway chosen: run payments gateway-set first"))
    s = tables.settlements.c
    if ctx.conn.execute(sa.select(s.id).where(s.gateway == gateway, s.reference == reference)
                        ).first() is not None:
        raise Conflict(_("settlement {reference} of {gateway} is already recorded",
                         reference=reference, gateway=gateway))
    bank = ledger.get_account(ctx, bank_account)
    if bank.member_id is not None or bank.gl_key != "bank":
        raise ValidationError(_("{bank_account} is not one of the cooperative's bank accounts "
                                "(an internal account under the bank GL)",
                                bank_account=bank_account), field="bank_account")
    if not amount.is_positive():
        raise ValidationError(_("a settlement's amount must be positive"), field="amount")
    entry = ledger.post_entry(ctx, [
        PostingLine(bank.number, Side.DEBIT, amount),
        PostingLine(crediting.GATEWAY_ACCOUNT, Side.CREDIT, amount),
    ], memo=f"Settlement {gateway} {reference}"[:500],
        idempotency_key=f"payments.settlement:{gateway}:{reference}"[:200])
    try:
        with ctx.conn.begin_nested():
            ctx.conn.execute(tables.settlements.insert().values(
                gateway=gateway, reference=reference, amount=amount.minor,
                bank_account=bank.number, entry_id=entry.id,
                settled_on=settled_on or ctx.business_date))
    except IntegrityError:
        raise Conflict(_("settlement {reference} of {gateway} is already recorded",
                         reference=reference, gateway=gateway)) from None
    return {"gateway": gateway, "reference": reference, "amount": amount,
            "bank_account": bank.number, "entry_id": entry.id,
            "gateway_balance": ledger.get_account(ctx, crediting.GATEWAY_ACCOUNT).balance}


def suspense_item(ctx: Context, payment_id: str) -> Any:
    p = tables.payments.c
    row = ctx.conn.execute(sa.select(tables.payments).where(p.payment_id == payment_id)
                           .order_by(p.id)).first()
    if row is None:
        raise NotFound(_("no payment {payment_id!r}", payment_id=payment_id))
    if row.status != crediting.SUSPENSE:
        raise AlreadyResolved(_("payment {payment_id} is {status}, not in suspense",
                                payment_id=payment_id, status=row.status))
    return row


def resolve(ctx: Context, payment_id: str, amount: Money, action: str, *, account: str | None,
            operation: str | None, target: dict[str, Any] | None, refund_from: str | None,
            note: str) -> dict[str, Any]:
    row = suspense_item(ctx, payment_id)
    held = Money(row.amount, row.currency)
    if amount != held:
        raise ValidationError(_("the amount must repeat the payment's, {held}",
                                held=held),
                              field="amount")
    memo = f"Penyelesaian titipan {row.gateway} {payment_id}: {note}".strip(": ")[:500]
    entry_id: int | None
    if action == "refund":
        source = refund_from or crediting.GATEWAY_ACCOUNT
        entry = ledger.post_entry(ctx, [
            PostingLine(crediting.SUSPENSE_ACCOUNT, Side.DEBIT, held),
            PostingLine(source, Side.CREDIT, held)], memo=memo)
        status, to, entry_id = crediting.REFUNDED, source, entry.id
    elif operation is not None:
        raw = dict(target or {})
        if "amount" in raw or "cash_account" in raw:
            raise ValidationError(_("the resolution sets the target's amount and cash_account"),
                                  field="input")
        raw.update(amount=str(held.amount), cash_account=crediting.SUSPENSE_ACCOUNT)
        operations.check_call(ctx, operation, raw)
        answer = operations.call(ctx, operation, raw, caller=chart.PLUGIN)
        given = answer.get("entry_id") if isinstance(answer, dict) else None
        entry_id = given if isinstance(given, int) else None
        status, to = crediting.ASSIGNED, f"{operation} {json.dumps(target, sort_keys=True)}"
    elif account is not None:
        target_account = ledger.get_account(ctx, account)
        if target_account.member_id is None:
            raise ValidationError(_("{account} is not a member's account",
                                    account=account), field="account")
        entry = ledger.post_entry(ctx, [
            PostingLine(crediting.SUSPENSE_ACCOUNT, Side.DEBIT, held),
            PostingLine(target_account.number, Side.CREDIT, held)], memo=memo)
        status, to, entry_id = crediting.ASSIGNED, target_account.number, entry.id
    else:
        raise ValidationError(_("assign names an account or an operation"), field="account")
    updated = ctx.conn.execute(tables.payments.update().where(
        tables.payments.c.id == row.id, tables.payments.c.status == crediting.SUSPENSE).values(
        status=status, credited_to=to[:200],
        resolution_entry_id=entry_id))
    if updated.rowcount != 1:
        raise AlreadyResolved(_("payment {payment_id} was resolved meanwhile",
                                payment_id=payment_id))
    return {"payment_id": payment_id, "status": status, "credited_to": to[:200],
            "entry_id": entry_id}
