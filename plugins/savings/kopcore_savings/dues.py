"""Simpanan wajib as members' dues (``kopcore_member_dues``, ``kopcore_settle_dues``).

Each unpaid wajib month of an open wajib account is one due, kind ``savings.wajib``, priority
``wajib``, reference ``<account id>:<YYYY-MM>``, dated the month's last day (or the period's
end, when that comes first). The months are the billed ones still unpaid (arrears: what was
billed minus what the account holds, oldest month first) and the months of the period asked
about not billed yet, at the product's amount less any credit paid ahead. Settling credits
the wajib account; once the entry is posted every month settled — or presented and not paid —
is recorded as billed, so a shortfall stays as wajib arrears.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.errors import Conflict
from kopcore.ledger import JournalEntry
from kopcore.money import Money
from kopcore.records import DueLines, DuePriority, DueSettlement, MemberDue, PostingLine, Side
from kopcore_savings.chart import PLUGIN
from kopcore_savings.messages import _
from kopcore_savings.products import SavingsType
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import products, wajib_dues
from kopcore_savings.wajib import period_end

KIND = "savings.wajib"


def _months(start: date, end: date) -> list[str]:
    """``YYYY-MM`` of every month from ``start``'s to ``end``'s."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def wajib_dues_of(ctx: Context, member_ids: Sequence[int], start: date, end: date
                  ) -> list[MemberDue]:
    s, a, m, p, d = (savings_accounts.c, query.accounts.c, query.members.c, products.c,
                     wajib_dues.c)
    accounts = ctx.conn.execute(
        sa.select(s.account_id, s.member_id, s.opened_on, a.number, a.currency,
                  query.normal_balance().label("paid"), p.amount)
        .select_from(savings_accounts.join(query.accounts, a.id == s.account_id)
                     .join(query.members, m.id == s.member_id)
                     .join(products, p.code == s.product_code))
        .where(s.member_id.in_(member_ids), p.type == SavingsType.WAJIB.value,
               a.status != "closed", m.status == "active")
        .order_by(s.account_id)).all()
    if not accounts:
        return []
    billed: dict[int, dict[str, int]] = defaultdict(dict)
    for due in ctx.conn.execute(
            sa.select(d.account_id, d.period, d.amount)
            .where(d.account_id.in_([r.account_id for r in accounts]),
                   d.period <= f"{end.year:04d}-{end.month:02d}")):
        billed[due.account_id][due.period] = int(due.amount)
    window = _months(start, end)
    found = []
    for row in accounts:
        asked = dict(billed[row.account_id])
        for period in window:
            if period not in asked and period_end(period) >= row.opened_on:
                asked[period] = int(row.amount or 0)
        covered = int(row.paid)
        for period in sorted(asked):
            amount = asked[period]
            owed = max(0, amount - covered)
            covered = max(0, covered - amount)
            if owed:
                found.append(MemberDue(
                    member_id=row.member_id, owner=PLUGIN, kind=KIND,
                    priority=DuePriority.WAJIB, amount=Money(owed, row.currency),
                    due_date=min(period_end(period), end),
                    reference=f"{row.account_id}:{period}", account=row.number,
                    description=f"Simpanan wajib {period}"))
    return found


def settle(ctx: Context, settlements: Sequence[DueSettlement]) -> DueLines | None:
    mine = [s for s in settlements if s.due.owner == PLUGIN]
    if not mine:
        return None
    start = min(s.due.due_date for s in mine).replace(day=1)
    end = max(s.due.due_date for s in mine)
    members = sorted({s.due.member_id for s in mine})
    owed = {due.reference: due for first in range(0, len(members), CHUNK)
            for due in wajib_dues_of(ctx, members[first:first + CHUNK], start, end)}
    credits: dict[str, int] = defaultdict(int)
    currency: dict[str, str] = {}
    for settlement in mine:
        current = owed.get(settlement.due.reference)
        if current is None or settlement.amount.minor > current.amount.minor:
            raise Conflict(_("simpanan wajib {reference} is paid or changed since it was listed",
                             reference=settlement.due.reference), field="dues")
        credits[current.account] += settlement.amount.minor
        currency[current.account] = current.amount.currency
    lines = [PostingLine(number, Side.CREDIT, Money(amount, currency[number]))
             for number, amount in sorted(credits.items()) if amount]

    def apply(ctx: Context, entry: JournalEntry | None) -> None:
        _record_months(ctx, [s.due.reference for s in mine])

    return DueLines(lines, [s.due.reference for s in mine], apply)


#: Accounts named in one ``IN (...)``.
CHUNK = 5000


def _record_months(ctx: Context, references: Sequence[str]) -> None:
    """Bill every month settled or presented that was not billed yet, at its product amount."""
    pairs = sorted({(int(ref.split(":")[0]), ref.split(":")[1]) for ref in references})
    for first in range(0, len(pairs), CHUNK):
        _record_chunk(ctx, set(pairs[first:first + CHUNK]))


def _record_chunk(ctx: Context, wanted: set[tuple[int, str]]) -> None:
    s, p, d = savings_accounts.c, products.c, wajib_dues.c
    amounts: dict[int, int | None] = dict(ctx.conn.execute(
        sa.select(s.account_id, p.amount).join(products, p.code == s.product_code)
        .where(s.account_id.in_({account for account, _ in wanted}))).all())
    have: set[tuple[int, str]] = set(ctx.conn.execute(
        sa.select(d.account_id, d.period)
        .where(d.account_id.in_({account for account, _ in wanted}))).all())
    rows = [{"account_id": account, "period": period, "amount": int(amounts[account] or 0),
             "billed_on": ctx.business_date}
            for account, period in sorted(wanted - have)]
    if rows:
        ctx.conn.execute(sa.insert(wajib_dues), rows)
