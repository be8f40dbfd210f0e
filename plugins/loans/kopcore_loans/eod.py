"""End of day for loans: auto-debit, interest accrual, and arrears (days past due, penalties,
kolektibilitas and the loan-loss allowance PPAP).

One task, ``loans.close-day``, works on chunks of loan ids (loans running, or still carrying
an allowance). A chunk reads its loans and their installments with a couple of SELECTs,
computes in exact integers, writes its loan rows with one executemany UPDATE and posts ONE
journal entry per step for the whole chunk (accrual, allowance), so the cost per chunk is a
handful of statements, not one round trip per loan. Only the auto-debit posts one entry per loan:
each loan is paid from a different member's account, and each may be refused on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.db import tables as kt
from kopcore.errors import KopcoreError
from kopcore.money import Money, exponent
from kopcore.records import EodTask, PostingLine, Side
from kopcore_loans import gl
from kopcore_loans.lifecycle import COLLECTION
from kopcore_loans.loan import (
    LoanStatus,
    ScheduleRow,
    loan_from_row,
    row_from_db,
)
from kopcore_loans.products import (
    Accounting,
    PenaltyBase,
    classify,
    collectibility,
    product_from_row,
)
from kopcore_loans.repayment import dues, repay
from kopcore_loans.schedule import round_half_up
from kopcore_loans.tables import installments, loans, products

#: One entry per chunk: stay well under the kernel's 10,000 postings per entry.
MAX_LOANS_PER_CHUNK = 4000

ACTIVE = loans.c.status == LoanStatus.ACTIVE.value


def chunk_ranges(ctx: Context, condition: sa.ColumnElement[bool], size: int
                 ) -> list[tuple[int, int]]:
    """Id ranges of at most ``size`` loans matching ``condition``, computed in one query."""
    size = max(1, min(size, MAX_LOANS_PER_CHUNK))
    numbered = sa.select(loans.c.id, sa.func.row_number().over(order_by=loans.c.id).label("rn")
                         ).where(condition).subquery()
    starts = list(ctx.conn.execute(
        sa.select(numbered.c.id).where((numbered.c.rn - 1) % size == 0).order_by(numbered.c.id)
    ).scalars())
    if not starts:
        return []
    highest = ctx.conn.execute(sa.select(sa.func.max(loans.c.id)).where(condition)).scalar_one()
    return list(zip(starts, [s - 1 for s in starts[1:]] + [highest], strict=True))


def _rows_by_loan(ctx: Context, loan_ids: Sequence[int]) -> dict[int, list[ScheduleRow]]:
    grouped: dict[int, list[ScheduleRow]] = defaultdict(list)
    if not loan_ids:
        return grouped
    i = installments.c
    for row in ctx.conn.execute(sa.select(installments).where(i.loan_id.in_(loan_ids))
                                .order_by(i.loan_id, i.version, i.due_date, i.seq)):
        grouped[row.loan_id].append(row_from_db(row))
    return grouped


#: What end of day needs of a schedule row, read as plain tuples: a chunk reads tens of
#: thousands of rows, and building an object per row would cost more than the SELECT.
_SCHEDULE_COLUMNS = (installments.c.status, installments.c.period_start, installments.c.due_date,
                     installments.c.principal, installments.c.interest,
                     installments.c.principal_paid, installments.c.interest_paid,
                     installments.c.interest_waived)
Schedule = dict[int, list[tuple[str, date, date, int, int, int, int, int]]]


def _schedules(ctx: Context, condition: sa.ColumnElement[bool]) -> Schedule:
    """The schedule rows of every loan matching ``condition``, by loan, in one SELECT (a join,
    not a list of thousands of ids)."""
    i = installments.c
    grouped: Schedule = defaultdict(list)
    query = (sa.select(i.loan_id, *_SCHEDULE_COLUMNS).join(loans, loans.c.id == i.loan_id)
             .where(condition).order_by(i.loan_id, i.version, i.due_date, i.seq))
    for loan_id, *values in ctx.conn.execute(query):
        grouped[loan_id].append(tuple(values))
    return grouped


def _earned(rows: Sequence[tuple[str, date, date, int, int, int, int, int]], day: date) -> int:
    """:func:`~kopcore_loans.loan.earned_interest` on :func:`_schedules` tuples."""
    total = 0
    for status, start, due, _principal, interest, _principal_paid, paid, waived in rows:
        if status == "superseded":
            total += paid
            continue
        charged = interest - waived
        if day >= due:
            accrued = charged
        elif day <= start:
            accrued = 0
        else:
            accrued = charged * (day - start).days // (due - start).days
        total += accrued if accrued > paid else paid
    return total


def _arrears(rows: Sequence[tuple[str, date, date, int, int, int, int, int]], day: date,
             grace_days: int, base: PenaltyBase) -> tuple[int, int]:
    """(days past due, the amount the day's penalty is taken on), as
    :func:`~kopcore_loans.loan.days_past_due` and :func:`daily_penalty` compute them, in one
    pass over :func:`_schedules` tuples."""
    oldest: date | None = None
    overdue = 0
    for status, _start, due, principal, interest, principal_paid, paid, waived in rows:
        if status != "open":
            continue
        principal_unpaid = principal - principal_paid
        unpaid = principal_unpaid + interest - waived - paid
        if unpaid <= 0:
            continue
        if due <= day and (oldest is None or due < oldest):
            oldest = due
        if (day - due).days > grace_days:
            overdue += unpaid if base is PenaltyBase.INSTALLMENT else principal_unpaid
    return ((day - oldest).days if oldest is not None else 0), overdue


def _share(amount: int, fraction: Fraction, unit: int) -> int:
    """``round_half_up(amount * fraction, unit)`` in integers."""
    n, d = amount * fraction.numerator, fraction.denominator
    rounded = (2 * abs(n) + d * unit) // (2 * d * unit) * unit
    return rounded if n >= 0 else -rounded


def _update_loans(ctx: Context, values: list[dict[str, Any]]) -> None:
    if values:
        columns: dict[str, Any] = {k: sa.bindparam(k) for k in values[0] if k != "loan_id"}
        ctx.conn.execute(sa.update(loans).where(loans.c.id == sa.bindparam("loan_id"))
                         .values(**columns), values)


def _rupiah(ctx: Context) -> int:
    """Minor units of one major unit: penalties and allowances are whole rupiah."""
    return int(10 ** exponent(ctx.settings.currency))


# --- auto-debit -------------------------------------------------------------------------------


def auto_debit(ctx: Context, day: date, low: int, high: int) -> int:
    """Collect what is due today from each opted-in member's settlement account, as far as its
    available balance (above its floor) allows. A refusal skips that loan only."""
    # Locked like every repayment path locks its loan: a teller's repayment racing this chunk
    # waits, and each allocation below sees the schedule as it is.
    rows = ctx.conn.execute(sa.select(loans).where(
        loans.c.id.between(low, high), ACTIVE, loans.c.auto_debit.is_(True))
        .order_by(loans.c.id).with_for_update())
    collected = 0
    for loan in map(loan_from_row, rows):
        owed = dues(loan, _rows_by_loan(ctx, [loan.id])[loan.id], day)
        if not owed:
            continue
        member = ledger.get_member_by_id(ctx, loan.member_id)
        account = ledger.settlement_account(ctx, member, COLLECTION, loan.currency)
        if account is None or account.status is not ledger.AccountStatus.OPEN:
            continue
        floor = account.floor.minor if account.floor is not None else 0
        amount = min(owed, account.available.minor - floor)
        if amount <= 0:
            continue
        savepoint = ctx.conn.begin_nested()
        try:
            repay(ctx, loan, account, Money(amount, loan.currency), kind="auto-debit",
                  memo=f"Autodebet angsuran {loan.number}", dues_only=True,
                  idempotency_key=f"loans.auto-debit:{day.isoformat()}:{loan.id}")
            savepoint.commit()
            collected += 1
        except KopcoreError:
            savepoint.rollback()
    return collected


# --- interest accrual -------------------------------------------------------------------------


def accrual_condition() -> sa.ColumnElement[bool]:
    accrual_products = sa.select(products.c.id).where(
        products.c.accounting == Accounting.ACCRUAL.value)
    return ACTIVE & loans.c.product_id.in_(accrual_products)


def accrue_interest(ctx: Context, day: date, low: int, high: int,
                    schedule: Schedule | None = None,
                    recognized: dict[int, int] | None = None) -> int:
    """Bring each accrual-basis loan's recognised interest up to what it has earned by the end
    of ``day``: debit its interest receivable, credit interest income (one entry).
    ``schedule``: the chunk's schedule rows by loan, when the caller has read them already.
    ``recognized``: when given, the loans' new ``interest_recognized`` are put there for the
    caller to write with its own update of the same rows, instead of being written here."""
    a = kt.accounts.c
    in_chunk = loans.c.id.between(low, high)
    chosen = ctx.conn.execute(
        sa.select(loans.c.id, loans.c.interest_recognized, a.number)
        .join(kt.accounts, a.id == loans.c.interest_account_id)
        .where(in_chunk, accrual_condition()).order_by(loans.c.id)
    ).all()
    if schedule is None:
        schedule = _schedules(ctx, in_chunk & accrual_condition())
    currency = ctx.settings.currency
    lines: list[PostingLine] = []
    updates: list[dict[str, Any]] = []
    for loan_id, recognised, number in chosen:
        target = _earned(schedule.get(loan_id, ()), day)
        if target > recognised:
            lines.append(PostingLine(number, Side.DEBIT, Money(target - recognised, currency)))
            updates.append({"loan_id": loan_id, "interest_recognized": target})
    if not lines:
        return 0
    total = sum(line.amount.minor for line in lines)
    lines.append(PostingLine(gl.gl(gl.INTEREST_INCOME), Side.CREDIT, Money(total, currency)))
    ledger.post_entry(ctx, lines, memo=f"Akrual jasa pinjaman {day.isoformat()}",
                      idempotency_key=f"loans.accrual:{day.isoformat()}:{low}-{high}")
    if recognized is None:
        _update_loans(ctx, updates)
    else:
        recognized.update((u["loan_id"], u["interest_recognized"]) for u in updates)
    return len(updates)


# --- arrears, collectibility and allowance ----------------------------------------------------


def arrears_condition() -> sa.ColumnElement[bool]:
    return ACTIVE | (loans.c.allowance != 0)


def daily_penalty(rows: Sequence[ScheduleRow], day: date, grace_days: int,
                  percent_per_day: Fraction, base: PenaltyBase, unit: int) -> int:
    """Denda for ``day``: the percentage of what is overdue beyond the grace days."""
    if not percent_per_day:
        return 0
    overdue = sum(
        (r.unpaid if base is PenaltyBase.INSTALLMENT else r.principal_unpaid)
        for r in rows if r.unpaid > 0 and (day - r.due_date).days > grace_days
    )
    return round_half_up(overdue * percent_per_day / 100, unit)


def classify_arrears(ctx: Context, day: date, low: int, high: int,
                     schedule: Schedule | None = None,
                     recognized: dict[int, int] | None = None) -> int:
    """Days past due, the day's penalty, the class and the allowance of each loan; one entry
    moves the chunk's net allowance change between PPAP expense and the allowance.
    ``schedule``: the chunk's schedule rows by loan, when the caller has read them already.
    ``recognized``: new ``interest_recognized`` by loan (from :func:`accrue_interest`), written
    in the same UPDATE of each loan row."""
    a, c = kt.accounts.c, loans.c
    in_chunk = c.id.between(low, high)
    chosen = ctx.conn.execute(
        sa.select(c.id, c.status, c.product_id, c.days_past_due, c.penalty_due,
                  c.collectibility, c.allowance, c.interest_recognized,
                  (a.balance * a.normal_sign).label("outstanding"))
        .outerjoin(kt.accounts, a.id == c.account_id)
        .where(in_chunk, arrears_condition()).order_by(c.id)
    ).all()
    recognized = recognized or {}
    seen = {row.id for row in chosen}
    # Accrual loans are all running, so all chosen here; written apart should one not be.
    _update_loans(ctx, [{"loan_id": k, "interest_recognized": v}
                        for k, v in sorted(recognized.items()) if k not in seen])
    if not chosen:
        return 0
    classes = collectibility(ctx)
    allowance_of = {cls.code: Fraction(cls.allowance_percent) / 100 for cls in classes}
    by_id = {r.id: product_from_row(r) for r in ctx.conn.execute(sa.select(products))}
    penalty_of = {pid: Fraction(p.penalty_percent_per_day) for pid, p in by_id.items()}
    if schedule is None:
        schedule = _schedules(ctx, in_chunk & arrears_condition())
    rupiah = _rupiah(ctx)
    active = LoanStatus.ACTIVE.value
    updates: list[dict[str, Any]] = []
    change = 0
    for row in chosen:
        if row.status != active:
            updates.append({"loan_id": row.id, "days_past_due": row.days_past_due,
                            "penalty_due": row.penalty_due,
                            "collectibility": row.collectibility, "allowance": 0,
                            "interest_recognized": recognized.get(row.id,
                                                                  row.interest_recognized)})
            change -= row.allowance
            continue
        product = by_id[row.product_id]
        dpd, overdue = _arrears(schedule.get(row.id, ()), day, product.grace_days,
                                product.penalty_base)
        percent = penalty_of[row.product_id]
        penalty = _share(overdue, percent / 100, rupiah) if percent else 0
        cls = classify(classes, dpd)
        outstanding = int(row.outstanding or 0)
        target = _share(outstanding, allowance_of[cls.code], rupiah)
        change += target - row.allowance
        updates.append({"loan_id": row.id, "days_past_due": dpd,
                        "penalty_due": row.penalty_due + penalty,
                        "collectibility": cls.code, "allowance": target,
                        "interest_recognized": recognized.get(row.id,
                                                              row.interest_recognized)})
    _update_loans(ctx, updates)
    if change:
        amount = Money(abs(change), ctx.settings.currency)
        expense, allowance = gl.gl(gl.ALLOWANCE_EXPENSE), gl.gl(gl.ALLOWANCE)
        debit, credit = (expense, allowance) if change > 0 else (allowance, expense)
        ledger.post_entry(ctx, [PostingLine(debit, Side.DEBIT, amount),
                                PostingLine(credit, Side.CREDIT, amount)],
                          memo=f"Penyesuaian PPAP pinjaman {day.isoformat()}",
                          idempotency_key=f"loans.allowance:{day.isoformat()}:{low}-{high}")
    return len(updates)


def close_day_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    return chunk_ranges(ctx, arrears_condition(), size)


def close_day(ctx: Context, day: date, low: int, high: int) -> int:
    """The whole of a loan's day, for one chunk: auto-debit what is due, accrue the day's
    interest, then age, penalise, classify and provide for what is still unpaid. One task
    (rather than three) keeps the end-of-day bookkeeping per business date small."""
    auto_debit(ctx, day, low, high)
    # Read after the auto-debit (which pays installments); accrual changes no schedule row.
    schedule = _schedules(ctx, loans.c.id.between(low, high) & arrears_condition())
    # One UPDATE per loan row for both steps: the accrual's new interest_recognized is written
    # with the classification.
    recognized: dict[int, int] = {}
    accrue_interest(ctx, day, low, high, schedule, recognized)
    return classify_arrears(ctx, day, low, high, schedule, recognized)


EOD_TASKS: tuple[EodTask, ...] = (
    EodTask("loans.close-day", close_day_chunks, close_day, order=300,
            description="Auto-debit, interest accrual, days past due, penalties, "
                        "kolektibilitas and PPAP"),
)
