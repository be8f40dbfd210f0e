"""Allowance for losses on sharia financing (PPAP, cadangan kerugian pembiayaan).

Each kolektibilitas class carries a rate (``allowance_bp``, basis points; defaults from DOMAIN.md
§3: Lancar 0.5 %, Kurang Lancar 10 %, Diragukan 50 %, Macet 100 %). For an active murabahah the
base is the receivable still owed net of its deferred margin — the cost part not yet repaid —
and the allowance required is

    required = base * rate, rounded half up to the whole rupiah (per contract)

End of day, right after ageing (task ``sharia.murabahah-ageing``), each chunk reads its contracts
in one SELECT, stores every contract's new required figure (``sharia_murabahah.allowance``,
one executemany for the contracts that changed) and posts the chunk's net difference as one
entry: Dr ``sharia.allowance_expense`` / Cr ``sharia.financing_allowance`` (a contra-asset) when
it grows, the reverse when it shrinks (a settled contract releases its allowance). So the
allowance GL account always equals the sum of the contracts' allowances after end of day. Neither
account is an interest account: the veto lets these entries through.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.money import Money, exponent
from kopcore.operations import Operation
from kopcore.records import PostingLine, Side
from kopcore_sharia import chart
from kopcore_sharia.murabahah import ACTIVE, round_half_up
from kopcore_sharia.tables import collectibility_classes, murabahah

BASIS_POINTS = 10_000


def chunk_condition() -> sa.ColumnElement[bool]:
    """Contracts end of day looks at: active ones, and settled ones still carrying an allowance
    (to release it)."""
    return sa.or_(murabahah.c.status == ACTIVE, murabahah.c.allowance != 0)


def _rupiah(ctx: Context) -> int:
    return int(10 ** exponent(ctx.settings.currency))


def required(base: int, rate_bp: int, unit: int) -> int:
    """The allowance for ``base`` (minor units) at ``rate_bp``, rounded half up to ``unit``."""
    return round_half_up(Fraction(max(base, 0) * rate_bp, BASIS_POINTS), unit)


def _rows(ctx: Context, where: sa.ColumnElement[bool]) -> Sequence[Any]:
    m, a = murabahah.c, query.accounts.c
    base = sa.case((m.status == ACTIVE,
                    query.normal_balance() - (m.margin - m.margin_recognised)), else_=0)
    return (ctx.conn.execute(
        sa.select(m.account_id, m.collectibility, m.allowance, base.label("base"))
        .join(query.accounts, a.id == m.account_id).where(where).order_by(m.account_id)).all())


def _rates(ctx: Context) -> tuple[dict[str, int], str | None]:
    """Rate per class code, and the code of the class starting at 0 days (for a contract not
    yet aged: made today)."""
    c = collectibility_classes.c
    rows = ctx.conn.execute(sa.select(c.code, c.min_days, c.allowance_bp)
                            .order_by(c.min_days)).all()
    return {r.code: int(r.allowance_bp) for r in rows}, (rows[0].code if rows else None)


def provide_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Bring the allowance of the contracts ``[low, high]`` to what their class requires and post
    the chunk's net difference as one entry. Returns the contracts whose allowance changed."""
    m = murabahah.c
    rows = _rows(ctx, sa.and_(m.account_id.between(low, high), chunk_condition()))
    rates, current = _rates(ctx)
    unit = _rupiah(ctx)
    changed = []
    for row in rows:
        code = row.collectibility or current
        target = required(int(row.base), rates.get(code or "", 0), unit)
        if target != row.allowance:
            changed.append({"id": row.account_id, "allowance": target,
                            "difference": target - int(row.allowance)})
    if not changed:
        return 0
    ctx.conn.execute(sa.update(murabahah).where(m.account_id == sa.bindparam("id"))
                     .values(allowance=sa.bindparam("formed")),
                     [{"id": c["id"], "formed": c["allowance"]} for c in changed])
    difference = sum(c["difference"] for c in changed)
    if difference:
        amount = Money(abs(difference), ctx.settings.currency)
        expense, allowance = (chart.gl(chart.ALLOWANCE_EXPENSE),
                              chart.gl(chart.FINANCING_ALLOWANCE))
        debit, credit = (expense, allowance) if difference > 0 else (allowance, expense)
        ledger.post_entry(ctx, [PostingLine(debit, Side.DEBIT, amount),
                                PostingLine(credit, Side.CREDIT, amount)],
                          memo=f"Penyesuaian PPAP pembiayaan syariah {day.isoformat()}",
                          idempotency_key=f"sharia.allowance:{day.isoformat()}:{low}-{high}")
    return len(changed)


# --- report -------------------------------------------------------------------------------------


@attrs.frozen
class NoInput:
    pass


@attrs.frozen
class ClassAllowanceOut:
    code: str
    name: str
    rate: Decimal
    contracts: int
    base: Money
    required: Money
    formed: Money


@attrs.frozen
class AllowanceReportOut:
    business_date: date
    classes: list[ClassAllowanceOut]
    required: Money
    formed: Money
    ledger_balance: Money
    shortfall: Money


def report(ctx: Context, data: NoInput) -> AllowanceReportOut:
    """Allowance (PPAP) per kolektibilitas class: the active contracts, their base (receivable
    net of deferred margin), the allowance required now at the class's rate and the allowance
    formed at the last end of day, with the balance of the allowance GL account."""
    rates, current = _rates(ctx)
    unit = _rupiah(ctx)
    currency = ctx.settings.currency
    c = collectibility_classes.c
    names = {r.code: r.name for r in ctx.conn.execute(
        sa.select(c.code, c.name).order_by(c.min_days))}
    totals = {code: [0, 0, 0, 0] for code in names}  # contracts, base, required, formed
    for row in [*_rows(ctx, chunk_condition()), *_ijarah_rows(ctx)]:
        code = row.collectibility or current or ""
        figures = totals.setdefault(code, [0, 0, 0, 0])
        if row.allowance == 0 and int(row.base) == 0:
            continue
        figures[0] += int(row.base) > 0
        figures[1] += max(int(row.base), 0)
        figures[2] += required(int(row.base), rates.get(code, 0), unit)
        figures[3] += int(row.allowance)
    lines = [ClassAllowanceOut(code, names.get(code, code),
                               Decimal(rates.get(code, 0)) / 100, n, Money(base, currency),
                               Money(req, currency), Money(formed, currency))
             for code, (n, base, req, formed) in totals.items()]
    need = sum(line.required.minor for line in lines)
    formed = sum(line.formed.minor for line in lines)
    held = ledger.get_account(ctx, chart.gl(chart.FINANCING_ALLOWANCE)).balance
    return AllowanceReportOut(ctx.business_date, lines, Money(need, currency),
                              Money(formed, currency), held, Money(need - formed, currency))


def _ijarah_rows(ctx: Context) -> list[Any]:
    """The ijarah contracts' allowance rows (:mod:`kopcore_sharia.ijarah_eod`)."""
    from kopcore_sharia import ijarah_eod

    return ijarah_eod.rows(ctx, ijarah_eod.chunk_condition())


OPERATIONS: tuple[Operation, ...] = (
    Operation("sharia.allowance-report", NoInput, AllowanceReportOut, report,
              permission=chart.REPORTS, mutates=False,
              summary="Allowance (PPAP) required and formed per kolektibilitas class"),
)
