"""End-of-day tasks of the sharia plugin, run by the kernel in chunks of account ids.

Each works on a whole chunk with a few statements and at most one journal entry (money never
moves account by account):

- ``sharia.mudharabah-balances`` (order 905, late, after the day's other movements): record
  each open mudharabah account's end-of-day balance for the monthly average balances;
- ``sharia.murabahah-ageing`` (order 310): days past due and kolektibilitas of each active
  murabahah contract, then its allowance (PPAP), the chunk's net change posted as one entry
  (:mod:`kopcore_sharia.allowance`);
- ``sharia.deposit-maturity`` (order 910, after the day's balances are recorded): pay out or
  roll over the mudharabah deposits reaching maturity, one entry per chunk for the payouts
  (:func:`kopcore_sharia.mudharabah.mature_chunk`; closing a paid-out deposit is per account);
- ``sharia.ijarah-due`` (order 305): ijarah rents falling due with their months' depreciation,
  then ageing and allowance of the leases (:mod:`kopcore_sharia.ijarah_eod`).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.records import EodTask
from kopcore_sharia import allowance, ijarah_eod, mudharabah, murabahah, musyarakah_eod
from kopcore_sharia.musyarakah_tables import musyarakah as partnerships
from kopcore_sharia.tables import mudharabah_accounts
from kopcore_sharia.tables import murabahah as contracts

MAX_CHUNK = 5000


def id_ranges(ctx: Context, ids: sa.Select[tuple[int]], size: int) -> list[tuple[int, int]]:
    """Split the ids ``ids`` selects into inclusive ranges of at most ``size`` ids each."""
    size = max(1, min(size, MAX_CHUNK))
    numbered = ids.subquery()
    ranked = sa.select(numbered.c[0].label("id"),
                       sa.func.row_number().over(order_by=numbered.c[0]).label("rn")).subquery()
    starts = list(ctx.conn.execute(
        sa.select(ranked.c.id).where((ranked.c.rn - 1) % size == 0).order_by(ranked.c.id)
    ).scalars())
    if not starts:
        return []
    highest = ctx.conn.execute(sa.select(sa.func.max(numbered.c[0]))).scalar_one()
    return list(zip(starts, [s - 1 for s in starts[1:]] + [highest], strict=True))


def _holding_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    h = mudharabah_accounts.c
    return id_ranges(ctx, sa.select(h.account_id).where(h.opened_on <= day), size)


def _contract_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    m = contracts.c
    return id_ranges(ctx, sa.select(m.account_id).where(allowance.chunk_condition()), size)


def _age_and_provide(ctx: Context, day: date, low: int, high: int) -> int:
    aged = murabahah.age_chunk(ctx, day, low, high)
    allowance.provide_chunk(ctx, day, low, high)
    return aged


def _maturity_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    return id_ranges(ctx, sa.select(mudharabah_accounts.c.account_id)
                     .where(mudharabah.maturing(day)), size)


TASKS: tuple[EodTask, ...] = (
    EodTask("sharia.murabahah-ageing", _contract_chunks, _age_and_provide, order=310,
            description="Days past due, kolektibilitas and allowance (PPAP) of murabahah "
                        "contracts"),
    EodTask("sharia.mudharabah-balances", _holding_chunks, mudharabah.accumulate_chunk,
            order=905, description="Record end-of-day balances of mudharabah accounts"),
    EodTask("sharia.deposit-maturity", _maturity_chunks, mudharabah.mature_chunk, order=910,
            description="Pay out or roll over mudharabah deposits at maturity"),
    EodTask("sharia.ijarah-due", ijarah_eod.chunks, ijarah_eod.age_and_provide, order=305,
            description="Ijarah rents falling due with the month's depreciation, then days "
                        "past due, kolektibilitas and allowance (PPAP)"),
)


def _musyarakah_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    return id_ranges(ctx, sa.select(partnerships.c.account_id)
                     .where(musyarakah_eod.eod_condition()), size)


#: Musyarakah (:mod:`kopcore_sharia.musyarakah_eod`): days past due since the installment or the
#: result report not made fell due, kolektibilitas, allowance (PPAP) on the investment and the
#: deferred gain on non-cash capital amortised, each net change one entry per chunk.
TASKS += (
    EodTask("sharia.musyarakah-ageing", _musyarakah_chunks, musyarakah_eod.eod_chunk, order=311,
            description="Days past due, kolektibilitas and allowance (PPAP) of musyarakah, "
                        "deferred gain on non-cash capital"),
)
