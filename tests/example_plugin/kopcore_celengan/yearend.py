"""What celengan does at period end and for SHU.

Celengan deposits count as business the member does with the cooperative: when the cooperative
shares jasa usaha by transactions (``[shu] patronage_basis = "transactions"``), the amounts paid
into a member's celengan during the year are added to the member's patronage basis. At month
end, every goal whose balance meets its target but carries no ``reached_on`` stamp yet (say its
balance came in through an adjusting entry) is stamped with the month's last day.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import MemberBasis, Period, ShuBasis, ShuBasisKind
from kopcore_celengan.goals import goals, mark_reached


def period_end(ctx: Context, period: Period) -> int:
    """Stamp the goals that met their target without being stamped; returns how many."""
    if period.kind != "month":
        return 0
    pending = [row.account_id for row in ctx.conn.execute(
        sa.select(goals.c.account_id).where(goals.c.reached_on.is_(None),
                                            goals.c.released_on.is_(None)))]
    return mark_reached(ctx, pending, period.end)


def shu_bases(ctx: Context, year_start: date, year_end: date, basis: ShuBasis
              ) -> list[MemberBasis] | None:
    """Members' celengan deposits (``celengan.deposit``) of the year; bonuses and SHU credited
    to a celengan are not the member's business and do not count."""
    if basis.kind is not ShuBasisKind.PATRONAGE or basis.method != "transactions":
        return None
    currency = ctx.settings.currency
    a, p, e = query.accounts.c, query.postings.c, query.journal_entries.c
    rows = ctx.conn.execute(
        sa.select(a.member_id, sa.func.sum(-p.amount).label("paid_in"))
        .select_from(query.postings)
        .join(query.journal_entries, e.id == p.entry_id)
        .join(query.accounts, a.id == p.account_id)
        .join(goals, goals.c.account_id == a.id)
        .where(e.operation == "celengan.deposit", e.business_date >= year_start,
               e.business_date <= year_end, a.currency == currency)
        .group_by(a.member_id).order_by(a.member_id)
    )
    return [MemberBasis(r.member_id, Money(int(r.paid_in), currency), "celengan deposits")
            for r in rows if int(r.paid_in or 0) > 0]
