"""``kopcore verify`` checks: the payments' records against the ledger.

- the suspense GL account's balance is the sum of the payments waiting in suspense;
- every payment booked has its entry.
"""

from __future__ import annotations

import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.records import Finding
from kopcore_payments import crediting, tables


def findings(ctx: Context) -> list[Finding]:
    found = []
    p = tables.payments.c
    waiting = int(ctx.conn.execute(sa.select(sa.func.coalesce(sa.func.sum(p.amount), 0)).where(
        p.status == crediting.SUSPENSE)).scalar() or 0)
    balance = ledger.get_account(ctx, crediting.SUSPENSE_ACCOUNT).balance.minor
    if balance != waiting:
        found.append(Finding("suspense_differs", f"the suspense account holds {balance} but "
                             f"payments in suspense total {waiting} (minor units)"))
    missing = ctx.conn.execute(sa.select(p.payment_id).where(
        p.entry_id.is_(None), p.status.in_((crediting.SUSPENSE, crediting.REFUNDED)))).scalars()
    for payment_id in missing:
        found.append(Finding("payment_without_entry", f"payment {payment_id} has no entry"))
    return found
