"""What a saver still puts into a celengan, as a member's due (``kopcore_member_dues``,
``kopcore_settle_dues``): a collector such as payroll deduction can then fill it.

A goal neither reached nor released declares one due, kind ``celengan.setoran``, priority
``other``, for what the account still lacks to its target, dated the period's end; reference
the account's id. Settling credits the celengan account; the after-posting hook then stamps the
goal reached as it does for any deposit, so ``apply`` has nothing to record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.errors import Conflict
from kopcore.ledger import JournalEntry
from kopcore.money import Money
from kopcore.records import DueLines, DuePriority, DueSettlement, MemberDue, PostingLine, Side
from kopcore_celengan.goals import PLUGIN, goals

KIND = "celengan.setoran"


def dues_of(ctx: Context, member_ids: Sequence[int], end: date) -> list[MemberDue]:
    a, g = query.accounts.c, goals.c
    lacking = g.target_minor - query.normal_balance()
    rows = ctx.conn.execute(
        sa.select(a.id, a.number, a.member_id, a.currency, lacking.label("lacking"))
        .select_from(goals.join(query.accounts, a.id == g.account_id))
        .where(a.member_id.in_(member_ids), g.reached_on.is_(None), g.released_on.is_(None),
               a.status == "open", lacking > 0)
        .order_by(a.id)).all()
    return [MemberDue(member_id=r.member_id, owner=PLUGIN, kind=KIND, priority=DuePriority.OTHER,
                      amount=Money(int(r.lacking), r.currency), due_date=end,
                      reference=str(r.id), account=r.number,
                      description=f"Setoran celengan {r.number}") for r in rows]


def settle(ctx: Context, settlements: Sequence[DueSettlement]) -> DueLines | None:
    mine = [s for s in settlements if s.due.owner == PLUGIN]
    if not mine:
        return None
    members = sorted({s.due.member_id for s in mine})
    owed = {d.reference: d for d in dues_of(ctx, members, max(s.due.due_date for s in mine))}
    lines = []
    for settlement in mine:
        current = owed.get(settlement.due.reference)
        if current is None or settlement.amount > current.amount:
            raise Conflict(f"celengan {settlement.due.account} changed since it was listed",
                           field="dues")
        if settlement.amount.is_positive():
            lines.append(PostingLine(current.account, Side.CREDIT, settlement.amount))

    def apply(ctx: Context, entry: JournalEntry | None) -> None:
        return None  # the after-posting hook stamps a goal reached

    return DueLines(lines, [s.due.reference for s in mine], apply)
