"""The loan portfolio's figures for the kernel's health assessment (``kopcore_health_figures``).

Everything is as it stood at the end of a business date, so a past date gives that day's
figures, not today's:

- outstanding principal per loan is the sum of the postings of its principal accounts (the
  original and, after restructuring, the restructured one) dated up to that day;
- days past due on that day come from the schedule in force then (the version before a later
  restructuring): the oldest installment due on or before the day and not fully paid by it
  (``paid_on`` after the day counts as unpaid then, as does a part-paid installment);
- the class follows from the days past due and the classification table in force now (the
  table has no history); the allowance required is the class's percentage of the outstanding,
  rounded half up to the rupiah per loan, as end of day books it.

The allowance formed is the balance of the PPAP GL account (every account rolling up to it) from
its postings up to that day.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from fractions import Fraction

import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.money import exponent
from kopcore.records import FigureUnit, HealthFigure
from kopcore_loans import gl
from kopcore_loans.loan import ScheduleRow, row_from_db
from kopcore_loans.products import classify, collectibility
from kopcore_loans.schedule import round_half_up
from kopcore_loans.tables import events, installments, loans

OUTSTANDING = "loans.outstanding"
NON_PERFORMING = "loans.non_performing"
ALLOWANCE_REQUIRED = "loans.allowance_required"
ALLOWANCE_FORMED = "loans.allowance_formed"
BORROWERS = "loans.borrowers"

_RESTRUCTURED_SUFFIX = re.compile(r"-R[0-9]+$")


def outstanding_by_loan(ctx: Context, as_of: date) -> dict[str, int]:
    """Loan number → principal outstanding at the end of ``as_of`` (non-zero only)."""
    p, e, a = query.postings.c, query.journal_entries.c, query.accounts.c
    rows = ctx.conn.execute(
        sa.select(a.number, sa.func.sum(p.amount * a.normal_sign).label("outstanding"))
        .select_from(query.postings)
        .join(query.journal_entries, e.id == p.entry_id)
        .join(query.accounts, a.id == p.account_id)
        .where(a.plugin == gl.PLUGIN, a.gl_key.in_((gl.RECEIVABLE, gl.RESTRUCTURED)),
               e.business_date <= as_of)
        .group_by(a.number)
    )
    totals: dict[str, int] = defaultdict(int)
    for number, outstanding in rows:
        totals[_RESTRUCTURED_SUFFIX.sub("", number)] += int(outstanding)
    return {number: amount for number, amount in totals.items() if amount != 0}


def allowance_formed(ctx: Context, as_of: date) -> int:
    """The PPAP balance (credit-normal, so positive when formed) at the end of ``as_of``."""
    p, e, a = query.postings.c, query.journal_entries.c, query.accounts.c
    total = ctx.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(p.amount), 0))
        .join(query.journal_entries, e.id == p.entry_id)
        .join(query.accounts, a.id == p.account_id)
        .where(a.gl_key == gl.ALLOWANCE, e.business_date <= as_of)
    ).scalar_one()
    return -int(total)


def version_in_force(restructured_on: list[date], as_of: date) -> int:
    """Schedule version 1 runs from disbursement; version k+1 from the k-th restructuring."""
    return 1 + sum(1 for day in restructured_on if day <= as_of)


def days_past_due_on(rows: list[ScheduleRow], as_of: date) -> int:
    """Days since the oldest installment due by ``as_of`` and not fully paid by then."""
    unpaid = [r.due_date for r in rows if r.due_date <= as_of
              and (r.paid_on is None or r.paid_on > as_of)]
    return (as_of - min(unpaid)).days if unpaid else 0


def health_figures(ctx: Context, as_of: date) -> list[HealthFigure]:
    outstanding = outstanding_by_loan(ctx, as_of)
    currency = ctx.settings.currency
    chosen = ctx.conn.execute(
        sa.select(loans.c.id, loans.c.number, loans.c.member_id)
        .where(loans.c.number.in_(list(outstanding)))
    ).all()
    ids = [r.id for r in chosen]
    restructured: dict[int, list[date]] = defaultdict(list)
    for loan_id, day in ctx.conn.execute(
            sa.select(events.c.loan_id, events.c.business_date)
            .where(events.c.loan_id.in_(ids), events.c.kind == "restructure")
            .order_by(events.c.business_date, events.c.id)):
        restructured[loan_id].append(day)
    schedule: dict[int, list[ScheduleRow]] = defaultdict(list)
    for row in ctx.conn.execute(sa.select(installments).where(installments.c.loan_id.in_(ids))):
        schedule[row.loan_id].append(row_from_db(row))
    classes = collectibility(ctx)
    rupiah = int(10 ** exponent(currency))
    total = non_performing = required = 0
    for loan in chosen:
        amount = outstanding[loan.number]
        version = version_in_force(restructured[loan.id], as_of)
        rows = [r for r in schedule[loan.id] if r.version == version]
        cls = classify(classes, days_past_due_on(rows, as_of))
        total += amount
        if cls.non_performing:
            non_performing += amount
        required += round_half_up(Fraction(amount) * Fraction(cls.allowance_percent) / 100,
                                  rupiah)
    borrowers = len({loan.member_id for loan in chosen})
    return [
        HealthFigure(OUTSTANDING, total, label="Pinjaman beredar", currency=currency),
        HealthFigure(NON_PERFORMING, non_performing, label="Pinjaman bermasalah (NPL)",
                     currency=currency),
        HealthFigure(ALLOWANCE_REQUIRED, required, label="PPAP wajib dibentuk",
                     currency=currency),
        HealthFigure(ALLOWANCE_FORMED, allowance_formed(ctx, as_of),
                     label="PPAP telah dibentuk", currency=currency),
        HealthFigure(BORROWERS, borrowers, FigureUnit.COUNT, label="Peminjam"),
    ]
