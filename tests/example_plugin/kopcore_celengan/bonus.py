"""The daily bonus: end-of-day work, set-based over chunks of celengan accounts.

Every business date, each open celengan whose balance is at or above its goal earns
:data:`BONUS_PER_DAY`. One chunk is one range of account ids; its qualifying accounts are read
with one SELECT and paid with ONE journal entry (debit the bonus expense with the total, credit
each account), so a chunk of a thousand accounts costs two statements and one entry, not a
thousand round trips.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import EodTask, PostingLine, Side
from kopcore_celengan.goals import BONUS_GL_KEY, goals

#: Bonus per account per business date, in major units of the cooperative's currency.
BONUS_PER_DAY = Decimal("1")

#: One entry per chunk: keep the chunk under the kernel's limit of postings per entry.
MAX_ACCOUNTS_PER_ENTRY = 500


def chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    """Split the goals into id ranges of at most ``size`` accounts each, in one query.

    Every ``size``-th account id (by ``row_number()``) starts a range; a range ends just before
    the next start, the last one at the highest id.
    """
    size = max(1, min(size, MAX_ACCOUNTS_PER_ENTRY))
    numbered = sa.select(
        goals.c.account_id,
        sa.func.row_number().over(order_by=goals.c.account_id).label("rn"),
    ).subquery()
    starts = list(ctx.conn.execute(
        sa.select(numbered.c.account_id).where((numbered.c.rn - 1) % size == 0)
        .order_by(numbered.c.account_id)
    ).scalars())
    if not starts:
        return []
    highest = ctx.conn.execute(sa.select(sa.func.max(goals.c.account_id))).scalar_one()
    ends = [start - 1 for start in starts[1:]] + [highest]
    return list(zip(starts, ends, strict=True))


def pay_chunk(ctx: Context, day: date, low_id: int, high_id: int) -> int:
    """Pay the day's bonus to the qualifying accounts with ids in ``[low_id, high_id]``."""
    currency = ctx.settings.currency
    a = query.accounts.c
    numbers = list(ctx.conn.execute(
        sa.select(a.number)
        .join(goals, goals.c.account_id == a.id)
        .where(goals.c.account_id.between(low_id, high_id), a.status != "closed",
               a.currency == currency, goals.c.released_on.is_(None),
               query.normal_balance() >= goals.c.target_minor)
        .order_by(a.id)
    ).scalars())
    if not numbers:
        return 0
    bonus = Money.parse(BONUS_PER_DAY, currency)
    total = Money(bonus.minor * len(numbers), currency)
    lines = [PostingLine(ledger.gl_account_number(BONUS_GL_KEY), Side.DEBIT, total)]
    lines += [PostingLine(number, Side.CREDIT, bonus) for number in numbers]
    # The kernel already records the chunk as done in this transaction; the key is a second,
    # independent guard against paying one range twice for one date.
    ledger.post_entry(ctx, lines, memo=f"Bonus harian celengan {day.isoformat()}",
                      idempotency_key=f"celengan.bonus:{day.isoformat()}:{low_id}-{high_id}")
    return len(numbers)


DAILY_BONUS = EodTask(
    name="celengan.daily-bonus",
    chunks=chunks,
    run=pay_chunk,
    order=200,
    description="Pay the daily bonus to every celengan at or above its goal",
)
