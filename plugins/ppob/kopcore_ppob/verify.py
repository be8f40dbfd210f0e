"""The PPOB records checked against the ledger (``kopcore_verify``).

Every purchase recorded as a success was posted once: its sale (or, for a success reported
after a failure, the resolution that charged the member or absorbed the cost) credits the
provider payable with the provider's price. A transaction marked success in the database
without that posting, or with another price, is reported.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kopcore import ledger
from kopcore import query as kt
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import Finding
from kopcore_ppob import chart, tables
from kopcore_ppob.flow import SUCCESS


def findings(ctx: Context) -> list[Finding]:
    """Successful purchases whose posting does not credit the provider payable their price."""
    payable = ledger.get_account(ctx, ledger.gl_account_number(chart.PAYABLE_GL))
    c, p = tables.transactions.c, kt.postings.c
    entry = sa.func.coalesce(c.resolution_entry_id, c.entry_id)
    # Postings are debit-positive: a credit to the payable is a negative amount.
    credited = (sa.select(sa.func.coalesce(-sa.func.sum(p.amount), 0))
                .where(p.entry_id == entry, p.account_id == payable.id).scalar_subquery())
    rows: Any = ctx.conn.execute(
        sa.select(c.ref_id, c.buy_price, entry.label("entry_id"), credited.label("credited"))
        .where(c.status == SUCCESS, sa.or_(entry.is_(None), credited != c.buy_price))
        .order_by(c.id))
    cur = payable.currency
    return [Finding("purchase_not_posted" if r.entry_id is None else "purchase_posting_differs",
                    f"PPOB {r.ref_id} is recorded as a success at "
                    f"{Money(r.buy_price, cur).format()} from the provider; "
                    + ("no entry posted it" if r.entry_id is None else
                       f"entry {r.entry_id} credits the provider payable "
                       f"{Money(int(r.credited), cur).format()}"),
                    account_id=payable.id, entry_id=r.entry_id) for r in rows]
