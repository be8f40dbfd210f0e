"""The closed-loop indicator (usaha simpan pinjam tertutup, UU 4/2023 P2SK, Permenkop 8/2023):
funding from outside the membership against 40 % of total assets.

Funding from non-members is, at the end of a date and from postings dated up to it:

- the savings and deposits held by non-member counterparties (the balances of their member
  accounts rolling up to liability or equity GL accounts), and
- other borrowed funds: the GL account ``payable.borrowings`` (Pinjaman Diterima: loans taken
  from banks, LPDB, other cooperatives) and any GL account keyed under it
  (``payable.borrowings.lpdb``).

The limit is 40 % of total assets (net of contra accounts, as in the statement of financial
position). The comparison is exact (``funding * 100 > assets * 40``); the share in percent is
shown rounded half up to two decimals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from fractions import Fraction

import attrs
from sqlalchemy import and_, func, select

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.ledger._records import Membership
from kopcore.ledger._reports import GLBalance, gl_balances, office_books
from kopcore.records import GLType

#: The largest share of total assets that may be funded from outside the membership.
CLOSED_LOOP_LIMIT = Fraction(40, 100)
#: The GL account of borrowed funds (modal pinjaman); keys under it count as well.
BORROWINGS_GL = "payable.borrowings"
#: The health figure key (``kopcore_health_figures``) of the funding from non-members.
FIGURE_KEY = "members.non_member_funding"


@attrs.frozen
class ClosedLoopFunding:
    """Funding from non-members on ``as_of``, in minor units of ``currency``."""

    as_of: date
    currency: str
    non_member_savings: int
    borrowings: int
    total_assets: int

    @property
    def funding(self) -> int:
        return self.non_member_savings + self.borrowings

    @property
    def share(self) -> Fraction | None:
        """Funding from non-members as a share of total assets; ``None`` with no assets."""
        return Fraction(self.funding, self.total_assets) if self.total_assets > 0 else None

    @property
    def limit(self) -> Fraction:
        """40 % of total assets, exact (minor units)."""
        return max(self.total_assets, 0) * CLOSED_LOOP_LIMIT

    @property
    def exceeded(self) -> bool:
        return self.funding > self.limit


def _is_borrowing(key: str) -> bool:
    return key == BORROWINGS_GL or key.startswith(BORROWINGS_GL + ".")


def _sum(balances: Iterable[GLBalance], currency: str, *, borrowings: bool) -> int:
    total = 0
    for b in balances:
        if b.currency != currency:
            continue
        if borrowings and b.type is GLType.LIABILITY and _is_borrowing(b.key):
            total += b.balance.minor
        if not borrowings and b.type is GLType.ASSET:
            total += b.balance.minor
    return total


def non_member_savings(ctx: Context, as_of: date, currency: str) -> int:
    """What non-member counterparties hold in savings and deposits at the end of ``as_of``:
    their accounts rolling up to liability or equity GL accounts, on the credit side."""
    p, e, a, m, g = (t.postings.c, t.journal_entries.c, t.accounts.c, t.members.c,
                     t.gl_accounts.c)
    net = ctx.conn.execute(
        select(func.coalesce(func.sum(p.amount), 0))
        .select_from(t.postings)
        .join(t.journal_entries, and_(e.id == p.entry_id, e.business_date <= as_of,
                                      *office_books(ctx, p)))
        .join(t.accounts, a.id == p.account_id)
        .join(t.members, m.id == a.member_id)
        .join(t.gl_accounts, g.key == a.gl_key)
        .where(m.membership == Membership.NON_MEMBER.value, p.currency == currency,
               g.type.in_((GLType.LIABILITY.value, GLType.EQUITY.value)))
    ).scalar_one()
    return -int(net)


def closed_loop_funding(ctx: Context, as_of: date) -> ClosedLoopFunding:
    """Funding from non-members against total assets at the end of ``as_of`` (the books of
    :attr:`Context.books_office_id`, else consolidated), in the cooperative's currency."""
    currency = ctx.settings.currency
    balances = gl_balances(ctx, as_of=as_of)
    return ClosedLoopFunding(
        as_of=as_of, currency=currency,
        non_member_savings=non_member_savings(ctx, as_of, currency),
        borrowings=_sum(balances, currency, borrowings=True),
        total_assets=_sum(balances, currency, borrowings=False))
