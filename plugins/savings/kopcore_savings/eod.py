"""End-of-day tasks of the savings plugin, run by the kernel in chunks of account ids.

In order: record balances for interest (100), post interest where a period ends (110), accrue
and mature time deposits (120, 130), mark dormant accounts (140). Every task is set-based over
an id range; money moves only in one journal entry per chunk (or per deposit at maturity).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.records import EodTask
from kopcore_savings import dormancy, interest, time_deposits
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import products

#: An entry has at most 10,000 lines; a chunk of accounts stays well inside that.
MAX_CHUNK = 5000


def id_ranges(ctx: Context, ids: sa.Select[tuple[int]], size: int) -> list[tuple[int, int]]:
    """Split the ids ``ids`` selects into inclusive ranges of at most ``size`` ids each."""
    size = max(1, min(size, MAX_CHUNK))
    numbered = sa.select(ids.subquery().c[0].label("id")).subquery()
    ranked = sa.select(numbered.c.id,
                       sa.func.row_number().over(order_by=numbered.c.id).label("rn")).subquery()
    starts = list(ctx.conn.execute(
        sa.select(ranked.c.id).where((ranked.c.rn - 1) % size == 0).order_by(ranked.c.id)
    ).scalars())
    if not starts:
        return []
    highest = ctx.conn.execute(sa.select(sa.func.max(numbered.c.id))).scalar_one()
    ends = [start - 1 for start in starts[1:]] + [highest]
    return list(zip(starts, ends, strict=True))


def _of_type(*types: str) -> sa.Select[tuple[int]]:
    s, p = savings_accounts.c, products.c
    return (sa.select(s.account_id).join(products, p.code == s.product_code)
            .where(p.type.in_(types)))


def _accrual_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    p = products.c
    return id_ranges(ctx, _of_type("sukarela").where(p.rate_ppm > 0), size)


def _posting_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    codes = [p.code for p in interest.due_products(ctx, day)]
    if not codes:
        return []
    # The accounts of the due products, not the distinct accounts of the accrual rows: those
    # are a month of rows per account (27 million for a million accounts), and an account
    # without accrual rows costs its chunk nothing.
    s = savings_accounts.c
    return id_ranges(ctx, sa.select(s.account_id).where(s.product_code.in_(codes)), size)


def _deposit_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    return id_ranges(ctx, _of_type("berjangka"), size)


def _dormancy_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    s, p = savings_accounts.c, products.c
    return id_ranges(ctx, sa.select(s.account_id).join(products, p.code == s.product_code)
                     .where(p.dormant_after_days.is_not(None)), size)


def _task(name: str, chunks: Callable[[Context, date, int], list[tuple[int, int]]],
          run: Callable[[Context, date, int, int], int], order: int, description: str
          ) -> EodTask:
    return EodTask(name=name, chunks=chunks, run=run, order=order, description=description)


#: Late in the day (order 900+): the balances recorded for interest are the day's final ones,
#: after other plugins' end-of-day movements such as a loan's auto-debit.
TASKS: tuple[EodTask, ...] = (
    _task("savings.interest-accrual", _accrual_chunks, interest.accrue_chunk, 900,
          "Record end-of-day balances of interest-earning sukarela accounts"),
    _task("savings.interest-posting", _posting_chunks, interest.post_chunk, 910,
          "Post jasa simpanan where a product's period ends"),
    _task("savings.deposit-accrual", _deposit_chunks, time_deposits.accrue_chunk, 920,
          "Expense time-deposit interest to interest payable at month end"),
    _task("savings.deposit-maturity", _deposit_chunks, time_deposits.mature_chunk, 930,
          "Pay out or roll over time deposits that mature"),
    _task("savings.dormancy", _dormancy_chunks, dormancy.mark_chunk, 940,
          "Mark accounts without member activity for N days dormant"),
)
