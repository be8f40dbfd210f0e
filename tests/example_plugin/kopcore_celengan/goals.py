"""Celengan goals: the plugin's own table, and the goal rules the hooks share.

A goal belongs to one celengan account. It is *reached* the first time the account's balance
is at least its target (the after-posting hook stamps ``reached_on``), and *released* when the
member leaves (the member-exit hook stamps ``released_on``). Money may leave the account only
when the goal is reached or released.

The plugin writes only its own table. It reads the kernel's accounts through the read-only view
:data:`kopcore.query.accounts`, so that its end-of-day work is set-based SQL; every change to
balances goes through :func:`kopcore.ledger.post_entry`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import NotFound, ValidationError
from kopcore.ledger import Account, Member
from kopcore.money import Money
from kopcore.records import Finding

PLUGIN = "celengan"
PRODUCT = "celengan"
GL_KEY = "celengan"
BONUS_GL_KEY = "celengan.bonus"

metadata = sa.MetaData()

#: Created by migrations/c0001_celengan_goals.py.
goals = sa.Table(
    "celengan_goals",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("target_minor", sa.BigInteger, nullable=False),
    sa.Column("purpose", sa.String(200), nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("reached_on", sa.Date, nullable=True),
    sa.Column("released_on", sa.Date, nullable=True),
)

#: Transaction fact (``kopcore_transaction_facts``): how many goals are neither reached nor
#: released. Read with each entry's accounts at no statement of its own, it lets the
#: after-posting hook skip its UPDATE while no goal is waiting.
WAITING_FACT = "celengan.goals_waiting"
WAITING = sa.select(sa.func.count()).select_from(goals).where(
    goals.c.reached_on.is_(None), goals.c.released_on.is_(None)).scalar_subquery()


def open_goal(ctx: Context, member: Member, target: Money, purpose: str) -> Account:
    """Open a celengan account for ``member`` with its goal. The account cannot go below zero."""
    if not target.is_positive():
        raise ValidationError("the goal must be a positive amount", field="target")
    if len(purpose) > 200:
        raise ValidationError("purpose: at most 200 characters", field="purpose")
    account = ledger.open_account(
        ctx, name=f"Celengan {member.name}"[:200], gl_key=GL_KEY, plugin=PLUGIN,
        member_id=member.id, product_code=PRODUCT, currency=target.currency,
        floor=Money.zero(target.currency), prefix="CL",
    )
    ctx.conn.execute(goals.insert().values(
        account_id=account.id, target_minor=target.minor, purpose=purpose,
        opened_on=ctx.business_date,
    ))
    ctx.forget_facts()  # one more goal waiting: read the count again when next asked
    return account


def get_celengan(ctx: Context, number: str) -> tuple[Account, sa.Row[Any]]:
    """The account and its goal row; NotFound when ``number`` is not a celengan."""
    account = ledger.get_account(ctx, number)
    goal = ctx.conn.execute(sa.select(goals).where(goals.c.account_id == account.id)).first()
    if account.product_code != PRODUCT or goal is None:
        raise NotFound(f"account {number} is not a celengan", field="account")
    return account, goal


def goal_rows(ctx: Context, account_ids: Collection[int]) -> dict[int, sa.Row[Any]]:
    if not account_ids:
        return {}
    rows = ctx.conn.execute(sa.select(goals).where(goals.c.account_id.in_(sorted(account_ids))))
    return {row.account_id: row for row in rows}


def is_unlocked(goal: sa.Row[Any], balance_minor: int) -> bool:
    return (goal.reached_on is not None or goal.released_on is not None
            or balance_minor >= goal.target_minor)


def mark_reached(ctx: Context, account_ids: Collection[int], on: date) -> int:
    """Stamp ``reached_on`` on the goals among ``account_ids`` whose balance now meets the
    target, in one UPDATE. Returns how many goals were reached just now."""
    if not account_ids:
        return 0
    balance = (sa.select(query.normal_balance()).where(query.accounts.c.id == goals.c.account_id)
               .scalar_subquery())
    result = ctx.conn.execute(
        sa.update(goals)
        .where(goals.c.account_id.in_(sorted(account_ids)), goals.c.reached_on.is_(None),
               goals.c.target_minor <= balance)
        .values(reached_on=on)
    )
    reached = int(result.rowcount)
    if reached:
        ctx.remember_fact(WAITING_FACT, ctx.fact(WAITING_FACT) - reached)
    return reached


def release(ctx: Context, account_ids: Collection[int], on: date) -> None:
    """Unlock goals for good (the member is leaving)."""
    if account_ids:
        ctx.conn.execute(
            sa.update(goals)
            .where(goals.c.account_id.in_(sorted(account_ids)), goals.c.released_on.is_(None))
            .values(released_on=on)
        )
        ctx.forget_facts()


def member_celengan(ctx: Context, member_id: int) -> list[Account]:
    """The member's celengan accounts that are not closed, oldest first."""
    return [acc for acc in ledger.member_accounts(ctx, member_id)
            if acc.product_code == PRODUCT and acc.status is not ledger.AccountStatus.CLOSED]


def reached_without_target(ctx: Context) -> list[Finding]:
    """Goals stamped reached whose account never held its target, by its postings (a goal
    marked reached in the database would unlock the money). One query: the running balance
    of each reached goal's account in posting order, and its peak."""
    p, a, g = query.postings.c, query.accounts.c, goals.c
    running = (
        sa.select(p.account_id, sa.func.sum(p.amount).over(
            partition_by=p.account_id, order_by=p.id).label("running"))
        .where(p.account_id.in_(sa.select(g.account_id).where(g.reached_on.is_not(None))))
        .subquery()
    )
    peak = (
        sa.select(running.c.account_id, sa.func.max(running.c.running * a.normal_sign)
                  .label("peak"))
        .join(query.accounts, a.id == running.c.account_id)
        .group_by(running.c.account_id, a.normal_sign).subquery()
    )
    highest = sa.func.coalesce(peak.c.peak, 0)
    rows = ctx.conn.execute(
        sa.select(a.id, a.number, a.currency, g.target_minor, g.reached_on, highest)
        .select_from(goals.join(query.accounts, a.id == g.account_id)
                     .outerjoin(peak, peak.c.account_id == g.account_id))
        .where(g.reached_on.is_not(None), highest < g.target_minor).order_by(a.id))
    return [Finding("goal_reached_without_target",
                    f"celengan {row.number} is marked reached on {row.reached_on.isoformat()}, "
                    f"but its balance peaked at {Money(int(row[5]), row.currency).format()}, short "
                    f"of its {Money(row.target_minor, row.currency).format()} goal",
                    account_id=row.id) for row in rows]


@attrs.frozen
class GoalsOverview:
    """The celengan goals at a glance: how many are waiting, reached and released."""

    waiting: int
    reached: int
    released: int


def overview(ctx: Context, query: Mapping[str, str]) -> GoalsOverview:
    """The web app's page and dashboard panel ``celengan.overview`` (``kopcore_web_pages``)."""
    g = goals.c
    row = ctx.conn.execute(sa.select(
        sa.func.count().filter(g.reached_on.is_(None), g.released_on.is_(None)),
        sa.func.count().filter(g.reached_on.is_not(None), g.released_on.is_(None)),
        sa.func.count().filter(g.released_on.is_not(None)))).one()
    return GoalsOverview(int(row[0]), int(row[1]), int(row[2]))
