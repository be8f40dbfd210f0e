"""Dormancy: an account without member-initiated activity for the product's N days is dormant.

End of day marks it (``dormant_since``) and records a ``dormant`` event, set-based per chunk.
What a dormant account may do is the product's ``dormant_policy``, enforced for every entry
through the ``kopcore_veto_entry`` hook with reason ``savings.dormant``:

- ``allow``: anything; the next member-initiated movement reactivates the account;
- ``deposits-only``: money may come in (and reactivates it), none may leave;
- ``none``: no movement until staff reactivate it (``savings.reactivate``).

End-of-day work (interest, maturity) and reversals are never refused. Reactivation is recorded
as a ``reactivated`` event with the business date, the actor and what caused it.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.ledger import ProposedEntry
from kopcore.records import Veto
from kopcore_savings import chart
from kopcore_savings.messages import _
from kopcore_savings.products import DormantPolicy
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import events, products

DORMANT = "savings.dormant"


def mark_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Mark the accounts in ``[low, high]`` idle for their product's N days as dormant."""
    s, p, a = savings_accounts.c, products.c, query.accounts.c
    idle_days = sa.select(p.dormant_after_days).where(p.code == s.product_code).scalar_subquery()
    open_ = sa.select(a.status).where(a.id == s.account_id).scalar_subquery()
    candidates = [
        (row.account_id, row.last_activity_on)
        for row in ctx.conn.execute(
            sa.select(s.account_id, s.last_activity_on, idle_days.label("n"))
            .where(s.account_id.between(low, high), s.dormant_since.is_(None),
                   idle_days.is_not(None), open_ != "closed")
        )
        if row.last_activity_on + timedelta(days=row.n) <= day
    ]
    if not candidates:
        return 0
    ids = [account_id for account_id, _ in candidates]
    ctx.conn.execute(sa.update(savings_accounts).where(s.account_id.in_(ids))
                     .values(dormant_since=day))
    ctx.conn.execute(events.insert(), [
        {"account_id": account_id, "event": "dormant", "business_date": day,
         "actor": ctx.actor, "note": f"no member activity since {last.isoformat()}"}
        for account_id, last in candidates
    ])
    return len(ids)


def veto(ctx: Context, entry: ProposedEntry) -> Veto | None:
    """Refuse movements a dormant account's product does not allow."""
    # Savings' own end of day (interest, maturity) may credit a dormant account; other plugins'
    # end-of-day work (a loan's auto-debit) is a movement like any other.
    if entry.reverses_entry_id is not None or entry.operation.startswith("eod.savings."):
        return None
    ours = {acc.id: acc for acc in entry.accounts.values() if acc.plugin == chart.PLUGIN}
    if not ours:
        return None
    s, p = savings_accounts.c, products.c
    dormant = ctx.conn.execute(
        sa.select(s.account_id, s.dormant_since, p.dormant_policy)
        .join(products, p.code == s.product_code)
        .where(s.account_id.in_(sorted(ours)), s.dormant_since.is_not(None))
    ).all()
    if not dormant:
        return None
    net: dict[int, int] = {}
    for line in entry.lines:
        account = entry.accounts[line.account]
        net[account.id] = net.get(account.id, 0) + line.signed_minor * account.normal_sign
    for account_id, since, policy in dormant:
        number = ours[account_id].number
        policy = DormantPolicy(policy)
        if policy is DormantPolicy.NONE:
            return Veto(DORMANT, _("account {account} is dormant since {since}; staff must "
                                   "reactivate it first", account=number, since=since))
        if policy is DormantPolicy.DEPOSITS_ONLY and net.get(account_id, 0) < 0:
            return Veto(DORMANT, _("account {account} is dormant since {since}: it may "
                                   "receive deposits, but nothing may leave it until "
                                   "reactivated", account=number, since=since))
    return None
