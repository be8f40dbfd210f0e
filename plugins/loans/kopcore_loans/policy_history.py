"""The loan policy of a past date: which kolektibilitas regime, allowance policy and classes
table were in force at the end of a business day.

``loans.set-regime`` and ``loans.set-classes`` record the policy they leave in force from the
business date they run on (its end of day is the first to apply it). The first change also
records the policy it replaced, as in force from the beginning. A loan book or a health
assessment of a past date (:func:`kopcore_loans.health.loan_book`) classes loans by the policy
recorded for that date, so a regime chosen in January does not rewrite December's figures.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import attrs
import sqlalchemy as sa

from kopcore.context import Context
from kopcore_loans.kolektibilitas import AllowancePosting, Policy, policy
from kopcore_loans.products import CollectibilityClass, collectibility
from kopcore_loans.tables import policy_history

#: The date the policy in force before the first recorded change is recorded from.
BEGINNING = date(1900, 1, 1)


def _record(ctx: Context, effective_from: date) -> None:
    chosen = policy(ctx)
    ctx.conn.execute(policy_history.insert().values(
        effective_from=effective_from, regime=chosen.regime,
        deduct_collateral=chosen.deduct_collateral,
        allowance_posting=chosen.allowance_posting.value,
        classes=json.dumps([{"code": c.code, "name": c.name, "min_days": c.min_days,
                             "allowance_percent": str(c.allowance_percent),
                             "non_performing": c.non_performing, "role": c.role}
                            for c in collectibility(ctx)]),
        recorded_by=ctx.actor))


def before_change(ctx: Context) -> None:
    """Call before changing the policy: the first change records the policy it replaces."""
    if ctx.conn.execute(sa.select(policy_history.c.id).limit(1)).first() is None:
        _record(ctx, BEGINNING)


def after_change(ctx: Context) -> None:
    """Call after changing the policy: it is in force from the business date on."""
    _record(ctx, ctx.business_date)


@attrs.frozen
class PolicyChange:
    """A recorded policy: in force from ``effective_from`` (``BEGINNING``: the policy the first
    recorded change replaced), chosen by ``recorded_by``."""

    effective_from: date
    regime: str
    deduct_collateral: bool
    allowance_posting: str
    recorded_by: str


def changes(ctx: Context) -> list[PolicyChange]:
    """Every recorded policy, the oldest first."""
    h = policy_history.c
    return [PolicyChange(r.effective_from, r.regime, bool(r.deduct_collateral),
                         r.allowance_posting, r.recorded_by)
            for r in ctx.conn.execute(sa.select(policy_history)
                                      .order_by(h.effective_from, h.id))]


def policy_on(ctx: Context, day: date) -> tuple[Policy, list[CollectibilityClass]]:
    """The policy and classes table in force at the end of ``day`` (today's when no change
    was ever recorded)."""
    h = policy_history.c
    row = ctx.conn.execute(
        sa.select(policy_history).where(h.effective_from <= day)
        .order_by(h.effective_from.desc(), h.id.desc()).limit(1)).first()
    if row is None:
        return policy(ctx), collectibility(ctx)
    classes = [CollectibilityClass(c["code"], c["name"], int(c["min_days"]),
                                   Decimal(c["allowance_percent"]), bool(c["non_performing"]),
                                   c["role"]) for c in json.loads(row.classes)]
    return (Policy(row.regime, bool(row.deduct_collateral),
                   AllowancePosting(row.allowance_posting)),
            sorted(classes, key=lambda c: c.min_days))
