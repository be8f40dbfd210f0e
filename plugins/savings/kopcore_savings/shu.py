"""The capital basis of members' SHU (jasa modal): simpanan pokok + wajib.

Answers ``kopcore_shu_bases`` for ``basis.kind == "capital"``:

- ``year-end``: the member's pokok and wajib balances at the end of the year's last day;
- ``average``: their average daily balance over the year, Σ(balance at each day's end) / days
  in the year, rounded half up to the minor unit (days before an account opened count as zero).

Both are read from the kernel's postings (one grouped query), not from cached balances, so a
year's bases can be recomputed at any later time.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import MemberBasis, ShuBasis, ShuBasisKind
from kopcore_savings.chart import PLUGIN

CAPITAL_PRODUCTS = ("savings.pokok", "savings.wajib")


def bases(ctx: Context, year_start: date, year_end: date, basis: ShuBasis
          ) -> list[MemberBasis] | None:
    if basis.kind is not ShuBasisKind.CAPITAL or basis.method not in ("year-end", "average"):
        return None
    currency = ctx.settings.currency
    p, e, a = query.postings.c, query.journal_entries.c, query.accounts.c
    # Credit-normal equity: the member's balance is minus the debit-positive sum.
    rows = ctx.conn.execute(
        sa.select(a.member_id, e.business_date.label("day"), sa.func.sum(p.amount).label("net"))
        .select_from(query.postings)
        .join(query.journal_entries, e.id == p.entry_id)
        .join(query.accounts, a.id == p.account_id)
        .where(a.plugin == PLUGIN, a.product_code.in_(CAPITAL_PRODUCTS),
               a.member_id.is_not(None), p.currency == currency, e.business_date <= year_end)
        .group_by(a.member_id, e.business_date)
    )
    if basis.method == "year-end":
        totals: dict[int, int] = defaultdict(int)
        for r in rows:
            totals[r.member_id] -= int(r.net)
        return [MemberBasis(m, Money(v, currency), "pokok + wajib at year end")
                for m, v in sorted(totals.items()) if v > 0]
    days = (year_end - year_start).days + 1
    # Σ over days of the balance = Σ over movements of amount * days it stays in the year.
    weighted: dict[int, int] = defaultdict(int)
    for r in rows:
        day = max(r.day, year_start)
        weighted[r.member_id] -= int(r.net) * ((year_end - day).days + 1)
    return [MemberBasis(m, Money((2 * v + days) // (2 * days), currency),
                        "pokok + wajib, average daily balance")
            for m, v in sorted(weighted.items()) if v > 0]
