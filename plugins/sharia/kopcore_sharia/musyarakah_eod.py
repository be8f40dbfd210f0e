"""Musyarakah at end of day, in the NPF and in ``kopcore verify``
(:mod:`kopcore_sharia.musyarakah` holds the contracts).

End of day (task ``sharia.musyarakah-ageing``), per chunk of contracts: days past due since the
oldest installment or result report not made fell due and the kolektibilitas class (one
UPDATE); then, each kind of change posted as one entry for the chunk: the depreciation of
non-cash capital (PSAK 406 par. 29), the deferred gain amortised, and the allowance (PPAP) at
the class's rate of the investment outstanding.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import Finding, PostingLine, Side
from kopcore_sharia import chart
from kopcore_sharia.allowance import BASIS_POINTS
from kopcore_sharia.murabahah import add_months, days_between, round_half_up
from kopcore_sharia.musyarakah import ACTIVE, unit_of
from kopcore_sharia.musyarakah_tables import musyarakah
from kopcore_sharia.tables import collectibility_classes


def eod_condition() -> sa.ColumnElement[bool]:
    """Contracts end of day looks at: active ones, and closed ones still carrying an allowance or
    a deferred gain not yet recognised."""
    m = musyarakah.c
    return sa.or_(m.status == ACTIVE, m.allowance != 0, m.gain_recognised != m.deferred_gain)


def age_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Days past due (since the oldest installment or result report not made fell due) and
    kolektibilitas of the active contracts ``[low, high]``: one UPDATE."""
    m, c = musyarakah.c, collectibility_classes.c
    late = sa.case((m.next_due_on < day, days_between(ctx, day, m.next_due_on)), else_=0)
    cls = (sa.select(c.code).where(c.min_days <= late).order_by(c.min_days.desc()).limit(1)
           .scalar_subquery())
    done = ctx.conn.execute(sa.update(musyarakah).where(
        m.account_id.between(low, high), m.status == ACTIVE).values(
        days_past_due=late, collectibility=cls))
    return int(done.rowcount)


def _months_elapsed(start: date, day: date, term: int) -> int:
    months = (day.year - start.year) * 12 + day.month - start.month
    if months > 0 and add_months(start, months) > day:
        months -= 1
    return max(0, min(months, term))


@attrs.frozen
class _Change:
    account_id: int
    number: str
    allowance: int
    gain: int
    depreciated: int
    allowance_change: int
    gain_change: int
    depreciation: int


def _change(row: Any, day: date, rates: dict[str, int], first: str, unit: int) -> _Change:
    """What end of day changes on one contract: the deferred gain recognised to
    ``gain x months elapsed / term`` (all of it once the contract is closed), the non-cash
    asset depreciated to ``fair value x months elapsed / useful life`` (never beyond what the
    investment holds), and the allowance at its class's rate of the investment left."""
    active = row.status == ACTIVE
    elapsed = _months_elapsed(row.contract_on, day, row.term_months)
    gain = int(row.deferred_gain)
    if active:
        gain = round_half_up(Fraction(gain * elapsed, row.term_months), unit)
    held, done = max(int(row.held), 0), int(row.depreciated)
    depreciated = done
    if active and row.useful_life_months:
        months = min(elapsed, row.useful_life_months)
        due = round_half_up(Fraction(int(row.capital) * months, row.useful_life_months), unit)
        depreciated = max(done, min(due, done + held))
    base = held - (depreciated - done) if active else 0
    rate = rates.get(row.collectibility or first, 0)
    allowance = round_half_up(Fraction(base * rate, BASIS_POINTS), unit)
    return _Change(row.account_id, row.number, allowance, gain, depreciated,
                   allowance - int(row.allowance), gain - int(row.gain_recognised),
                   depreciated - done)


def provide_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Depreciate non-cash capital (PSAK 406 par. 29), amortise its deferred gain month by month
    over the term, and bring each contract's allowance to its class's rate of the investment
    outstanding; each kind of change of the chunk posts as one entry. Returns the contracts
    changed."""
    m, a, c = musyarakah.c, query.accounts.c, collectibility_classes.c
    rows = ctx.conn.execute(
        sa.select(m.account_id, a.number, m.status, m.collectibility, m.allowance,
                  m.contract_on, m.term_months, m.deferred_gain, m.gain_recognised, m.capital,
                  m.useful_life_months, m.depreciated, query.normal_balance().label("held"))
        .join(query.accounts, a.id == m.account_id)
        .where(m.account_id.between(low, high), eod_condition()).order_by(m.account_id)).all()
    classes = ctx.conn.execute(sa.select(c.code, c.allowance_bp).order_by(c.min_days)).all()
    rates = {r.code: int(r.allowance_bp) for r in classes}
    first = classes[0].code if classes else ""
    unit = unit_of(ctx)
    changed = [x for x in (_change(row, day, rates, first, unit) for row in rows)
               if x.allowance_change or x.gain_change or x.depreciation]
    if not changed:
        return 0
    ctx.conn.execute(sa.update(musyarakah).where(m.account_id == sa.bindparam("id"))
                     .values(allowance=sa.bindparam("formed"),
                             gain_recognised=sa.bindparam("gain"),
                             depreciated=sa.bindparam("dep")),
                     [{"id": x.account_id, "formed": x.allowance, "gain": x.gain,
                       "dep": x.depreciated} for x in changed])
    currency, stamp = ctx.settings.currency, day.isoformat()
    key = f"{stamp}:{low}-{high}"
    wear = [x for x in changed if x.depreciation]
    if wear:
        total = Money(sum(x.depreciation for x in wear), currency)
        ledger.post_entry(ctx, [
            PostingLine(chart.gl(chart.MUSYARAKAH_DEPRECIATION), Side.DEBIT, total),
            *(PostingLine(x.number, Side.CREDIT, Money(x.depreciation, currency))
              for x in wear)],
            memo=f"Penyusutan aset nonkas musyarakah {stamp}",
            idempotency_key=f"sharia.musyarakah-depreciation:{key}")
    allowance_change = sum(x.allowance_change for x in changed)
    if allowance_change:
        amount = Money(abs(allowance_change), currency)
        expense, held = chart.gl(chart.ALLOWANCE_EXPENSE), chart.gl(chart.FINANCING_ALLOWANCE)
        debit, credit = (expense, held) if allowance_change > 0 else (held, expense)
        ledger.post_entry(ctx, [PostingLine(debit, Side.DEBIT, amount),
                                PostingLine(credit, Side.CREDIT, amount)],
                          memo=f"Penyesuaian PPAP musyarakah {stamp}",
                          idempotency_key=f"sharia.musyarakah-allowance:{key}")
    gain_change = sum(x.gain_change for x in changed)
    if gain_change:
        amount = Money(gain_change, currency)
        ledger.post_entry(ctx, [
            PostingLine(chart.gl(chart.MUSYARAKAH_DEFERRED_GAIN), Side.DEBIT, amount),
            PostingLine(chart.gl(chart.MUSYARAKAH_VALUATION_GAIN), Side.CREDIT, amount)],
            memo=f"Amortisasi keuntungan tangguhan musyarakah {stamp}",
            idempotency_key=f"sharia.musyarakah-gain:{key}")
    return len(changed)


def eod_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    aged = age_chunk(ctx, day, low, high)
    provide_chunk(ctx, day, low, high)
    return aged


# --- outstanding for NPF -------------------------------------------------------------------------


@attrs.frozen
class ClassOutstanding:
    code: str
    name: str
    contracts: int
    outstanding: int


def outstanding_by_class(ctx: Context) -> list[ClassOutstanding]:
    """Active contracts and their outstanding (the investment's balance) per kolektibilitas
    class at the last end of day, from current to loss: what NPF counts for musyarakah."""
    m, a, c = musyarakah.c, query.accounts.c, collectibility_classes.c
    classes = ctx.conn.execute(sa.select(c.code, c.name).order_by(c.min_days)).all()
    first = classes[0].code if classes else ""
    code = sa.func.coalesce(m.collectibility, first)
    rows = {r.code: r for r in ctx.conn.execute(
        sa.select(code.label("code"), sa.func.count().label("n"),
                  sa.func.coalesce(sa.func.sum(query.normal_balance()), 0).label("held"))
        .join(query.accounts, a.id == m.account_id).where(m.status == ACTIVE)
        .group_by(code))}
    out = [ClassOutstanding(k.code, k.name, int(rows[k.code].n) if k.code in rows else 0,
                            int(rows[k.code].held) if k.code in rows else 0) for k in classes]
    out += [ClassOutstanding(r.code, r.code, int(r.n), int(r.held)) for r in rows.values()
            if r.code not in {k.code for k in classes}]
    return out


# --- verify ------------------------------------------------------------------------------------


def findings(ctx: Context) -> list[Finding]:
    """Contracts whose investment account disagrees with their records (``kopcore verify``):
    an active one holds its capital less what was returned, the losses borne and the
    depreciation of non-cash capital; a settled or ended one holds nothing."""
    m, a = musyarakah.c, query.accounts.c
    expected = sa.case((m.status == ACTIVE,
                        m.capital - m.returned - m.losses - m.depreciated), else_=0)
    rows: Any = ctx.conn.execute(
        sa.select(m.account_id, a.number, expected.label("expected"),
                  query.normal_balance().label("held"))
        .join(query.accounts, a.id == m.account_id)
        .where(expected != query.normal_balance()).order_by(m.account_id))
    currency = ctx.settings.currency
    return [Finding("musyarakah_outstanding_differs",
                    f"musyarakah {r.number} should hold "
                    f"{Money(int(r.expected), currency).format()} (capital less returns, losses "
                    f"and depreciation); its account holds {Money(int(r.held), currency).format()}",
                    account_id=r.account_id) for r in rows]
