"""The mudharabah distributions checked against the ledger (``kopcore_verify``).

A distribution records the members' share of the pool's income and each account's part. The
parts add up to the members' share, and each journal entry that paid them debits the
profit-sharing expense with exactly the parts it paid: a share edited in the database, or
recorded without its entry, is reported. A loss borne by the fund owners is recorded the same
way with negative parts, and its entry credits ``sharia.loss_borne_by_owners`` with exactly
those parts.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kopcore import ledger
from kopcore import query as kt
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import Finding
from kopcore_sharia import chart
from kopcore_sharia.tables import distributions, shares


def _total_findings(ctx: Context, currency: str) -> list[Finding]:
    d, s = distributions.c, shares.c
    parts = (sa.select(s.distribution_id, sa.func.sum(s.amount).label("total"))
             .group_by(s.distribution_id).subquery())
    total = sa.func.coalesce(parts.c.total, 0)
    rows: Any = ctx.conn.execute(
        sa.select(d.id, d.pool_code, d.period_to, d.members_share, total.label("total"))
        .select_from(distributions.outerjoin(parts, parts.c.distribution_id == d.id))
        .where(total != d.members_share).order_by(d.id))
    return [Finding("distribution_parts_differ",
                    f"distribution {r.id} of pool {r.pool_code} to {r.period_to.isoformat()}: "
                    f"the members' share is {Money(r.members_share, currency).format()}; its "
                    f"accounts' parts add up to {Money(int(r.total), currency).format()}")
            for r in rows]


def _posting_findings(ctx: Context, expense: int, loss: int, currency: str) -> list[Finding]:
    s, p = shares.c, kt.postings.c
    paid = (sa.select(s.entry_id, sa.func.sum(s.amount).label("parts"))
            .where(s.entry_id.is_not(None)).group_by(s.entry_id).subquery())
    # A share is a debit of the expense (positive); a loss borne a credit of the loss account
    # (negative): either way the entry's lines on the two accounts equal its parts.
    debited = (sa.select(sa.func.coalesce(sa.func.sum(p.amount), 0))
               .where(p.entry_id == paid.c.entry_id, p.account_id.in_((expense, loss)))
               .scalar_subquery())
    rows: Any = ctx.conn.execute(
        sa.select(paid.c.entry_id, paid.c.parts, debited.label("debited"))
        .where(debited != paid.c.parts).order_by(paid.c.entry_id))
    found = [Finding("share_posting_differs",
                     f"entry {r.entry_id} paid mudharabah shares recorded as "
                     f"{Money(int(r.parts), currency).format()}; it debits the profit-sharing "
                     f"expense {Money(int(r.debited), currency).format()}", account_id=expense,
                     entry_id=r.entry_id) for r in rows]
    unpaid: Any = ctx.conn.execute(
        sa.select(s.distribution_id, s.account_id, s.amount)
        .where(s.amount != 0, s.entry_id.is_(None)).order_by(s.distribution_id, s.account_id))
    found += [Finding("share_not_posted",
                      f"distribution {r.distribution_id} records a share of "
                      f"{Money(r.amount, currency).format()} for account id {r.account_id} "
                      "that no entry paid", account_id=r.account_id) for r in unpaid]
    return found


def findings(ctx: Context) -> list[Finding]:
    """Distributions whose parts or postings disagree."""
    expense = ledger.get_account(ctx, chart.gl(chart.PROFIT_SHARE_EXPENSE))
    currency = expense.currency
    loss = ledger.get_account(ctx, chart.gl(chart.LOSS_BORNE_BY_OWNERS))
    from kopcore_sharia import ijarah_verify

    return (_total_findings(ctx, currency) + _posting_findings(ctx, expense.id, loss.id, currency)
            + ijarah_verify.findings(ctx))
