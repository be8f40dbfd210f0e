"""End of day of the ijarah contracts (task ``sharia.ijarah-due``, order 305, chunks of
contract account ids), three steps per chunk:

1. rents falling due by the day are recognised with their months' depreciation, one entry for
   the chunk (:func:`kopcore_sharia.ijarah.accrue_chunk`);
2. ageing: each active contract's days past due (the day - the due date of its oldest unpaid
   rent, 0 when none is unpaid or it falls due today) and its kolektibilitas class, as for
   murabahah (:mod:`kopcore_sharia.collectibility`);
3. allowance (PPAP, :mod:`kopcore_sharia.allowance`): ``base`` = the ujrah receivable still
   owed + the carrying amount of the leased asset (cost - accumulated depreciation), the
   cooperative's exposure in the lease; ``required = base x the class's rate``, rounded half up
   to the whole rupiah per contract; the chunk's net change is one entry, Dr allowance expense /
   Cr allowance (the reverse when it shrinks; an ended lease releases its allowance).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.money import Money, exponent
from kopcore.records import PostingLine, Side
from kopcore_sharia import allowance, chart, ijarah
from kopcore_sharia.ijarah_tables import ijarah_assets, ijarah_contracts
from kopcore_sharia.murabahah import add_months


def chunk_condition() -> sa.ColumnElement[bool]:
    """Contracts end of day looks at: active ones, and ended ones still carrying an allowance."""
    c = ijarah_contracts.c
    return sa.or_(c.status == ijarah.ACTIVE, c.allowance != 0)


def rows(ctx: Context, where: sa.ColumnElement[bool]) -> list[Any]:
    """Per contract: id, status, counts, class, allowance formed and the allowance ``base``."""
    c, a, s = ijarah_contracts.c, query.accounts.c, ijarah_assets.c
    base = sa.case((c.status == ijarah.ACTIVE,
                    query.normal_balance() + (s.cost - s.sold_cost)
                    - (s.accumulated - s.sold_accumulated)), else_=0)
    return list(ctx.conn.execute(
        sa.select(c.account_id, c.status, c.contract_on, c.paid, c.accrued, c.collectibility,
                  c.allowance, base.label("base"))
        .join(query.accounts, a.id == c.account_id).join(ijarah_assets, s.id == c.asset_id)
        .where(where).order_by(c.account_id)).all())


def _classes(ctx: Context) -> list[tuple[int, str]]:
    from kopcore_sharia.tables import collectibility_classes as k
    return [(int(r.min_days), str(r.code)) for r in ctx.conn.execute(
        sa.select(k.c.min_days, k.c.code).order_by(k.c.min_days.desc()))]


def age_and_provide(ctx: Context, day: date, low: int, high: int) -> int:
    """Steps 1-3 for the contracts ``[low, high]``; returns the rents recognised."""
    recognised = ijarah.accrue_chunk(ctx, day, low, high)
    c = ijarah_contracts.c
    classes = _classes(ctx)
    rates, current = allowance._rates(ctx)
    unit = 10 ** exponent(ctx.settings.currency)
    changed = []
    difference = 0
    for row in rows(ctx, sa.and_(c.account_id.between(low, high), chunk_condition())):
        late = 0
        if row.status == ijarah.ACTIVE and row.paid < row.accrued:
            late = max((day - add_months(row.contract_on, row.paid + 1)).days, 0)
        code = next((code for low_days, code in classes if low_days <= late), None)
        target = allowance.required(int(row.base), rates.get(code or current or "", 0), unit)
        values = {"id": row.account_id, "late": late, "code": code, "formed": target}
        if row.status != ijarah.ACTIVE:
            values.update(late=0, code=row.collectibility)
        changed.append(values)
        difference += target - int(row.allowance)
    if changed:
        ctx.conn.execute(sa.update(ijarah_contracts).where(c.account_id == sa.bindparam("id"))
                         .values(days_past_due=sa.bindparam("late"),
                                 collectibility=sa.bindparam("code"),
                                 allowance=sa.bindparam("formed")), changed)
    if difference:
        amount = Money(abs(difference), ctx.settings.currency)
        expense, held = chart.gl(chart.ALLOWANCE_EXPENSE), chart.gl(chart.FINANCING_ALLOWANCE)
        debit, credit = (expense, held) if difference > 0 else (held, expense)
        ledger.post_entry(ctx, [PostingLine(debit, Side.DEBIT, amount),
                                PostingLine(credit, Side.CREDIT, amount)],
                          memo=f"Penyesuaian PPAP ijarah {day.isoformat()}",
                          idempotency_key=f"sharia.ijarah-allowance:{day.isoformat()}:"
                                          f"{low}-{high}")
    return recognised


def chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    """Ranges of the contract account ids end of day looks at."""
    from kopcore_sharia.eod import id_ranges

    return id_ranges(ctx, sa.select(ijarah_contracts.c.account_id).where(chunk_condition()),
                     size)
