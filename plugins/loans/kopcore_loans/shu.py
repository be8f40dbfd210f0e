"""The patronage basis of members' SHU (jasa usaha) from their loans.

Answers ``kopcore_shu_bases`` for ``basis.kind == "patronage"``:

- ``interest``: the loan interest (jasa pinjaman) the member paid in the year — repayments,
  automatic debits, early settlements and exit netting, as recorded in the loan events;
- ``transactions``: everything the member repaid in the year (principal, interest and penalty).

Written-off claims are not payments and do not count; a recovery after a write-off does not name
what it paid, so it counts in ``transactions`` only.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import MemberBasis, ShuBasis, ShuBasisKind
from kopcore_loans.tables import events, loans

#: Loan events that are payments by (or for) the member.
PAYMENT_EVENTS = ("repayment", "auto-debit", "settlement", "exit-netting")


def bases(ctx: Context, year_start: date, year_end: date, basis: ShuBasis
          ) -> list[MemberBasis] | None:
    if basis.kind is not ShuBasisKind.PATRONAGE:
        return None
    kinds: tuple[str, ...]
    if basis.method == "interest":
        measure, kinds, label = events.c.interest, PAYMENT_EVENTS, "loan interest paid"
    elif basis.method == "transactions":
        measure, kinds = events.c.amount, (*PAYMENT_EVENTS, "recovery")
        label = "loan repayments"
    else:
        return None
    currency = ctx.settings.currency
    rows = ctx.conn.execute(
        sa.select(loans.c.member_id, sa.func.sum(measure).label("total"))
        .join(loans, loans.c.id == events.c.loan_id)
        .where(events.c.kind.in_(kinds), events.c.business_date >= year_start,
               events.c.business_date <= year_end, loans.c.currency == currency)
        .group_by(loans.c.member_id).order_by(loans.c.member_id)
    )
    return [MemberBasis(r.member_id, Money(int(r.total), currency), label)
            for r in rows if int(r.total or 0) > 0]
