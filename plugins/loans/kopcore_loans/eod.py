"""End of day for loans: auto-debit, interest accrual, and arrears (days past due, penalties,
kolektibilitas and the loan-loss allowance PPAP).

One task, ``loans.close-day``, works on chunks of loan ids (loans running, or still carrying
an allowance). A chunk reads one row per loan: the database sums each loan's schedule (earned
interest, days past due, the amount the penalty is taken on) in one ``SELECT … GROUP BY``; the
penalty, class and allowance are then computed in exact integers, the loan rows are written with
one ``UPDATE … FROM (VALUES …)`` per thousand rows, and ONE journal entry is posted per step for
the whole chunk (accrual, allowance), so the cost per chunk is a handful of statements, not one
round trip per loan. Only the auto-debit posts one entry per loan:
each loan is paid from a different member's account, and each may be refused on its own.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import ConfigurationError, KopcoreError
from kopcore.money import Money, exponent
from kopcore.records import EodTask, PostingLine, Side
from kopcore_loans import gl
from kopcore_loans.collateral import cover_by_range
from kopcore_loans.kolektibilitas import (
    AllowancePosting,
    Arrears,
    classify_ksp,
    load_regime,
    non_accrual_codes,
    policy,
)
from kopcore_loans.lifecycle import COLLECTION
from kopcore_loans.loan import (
    PAYMENT_KINDS,
    RESCUE_KINDS,
    LoanStatus,
    ScheduleRow,
    loan_from_row,
    row_from_db,
)
from kopcore_loans.products import (
    Accounting,
    CollectibilityClass,
    PenaltyBase,
    classify,
    collectibility,
    role_of,
)
from kopcore_loans.repayment import dues, repay
from kopcore_loans.schedule import arrears_basis, round_half_up
from kopcore_loans.tables import events, installments, loans, products

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


# --- the chunk's figures, computed by the database ---------------------------------------------


def _days(dialect: str, later: sa.ColumnElement[Any], earlier: sa.ColumnElement[Any]
          ) -> sa.ColumnElement[int]:
    """Whole days from ``earlier`` to ``later`` (two dates) in SQL."""
    if dialect == "sqlite":  # dates are ISO strings; julianday of a date is exact (x.5)
        return sa.cast(sa.func.julianday(later) - sa.func.julianday(earlier), sa.Integer)
    return sa.cast(later - earlier, sa.Integer)  # date - date is an integer on PostgreSQL


def _greatest(dialect: str, a: sa.ColumnElement[int], b: sa.ColumnElement[int]
              ) -> sa.ColumnElement[int]:
    return (sa.func.max(a, b) if dialect == "sqlite" else sa.func.greatest(a, b)).cast(
        sa.BigInteger)


@functools.cache
def figures_query(dialect: str) -> sa.Select[Any]:
    """One row per loan with an id from ``:low`` to ``:high`` matching
    :func:`arrears_condition`, in id order:
    the loan's stored figures and what end of day computes from its schedule, aggregated by
    the database in one ``SELECT … GROUP BY`` (so a chunk fetches one row per loan, not one
    per installment):

    - ``earned``: :func:`~kopcore_loans.loan.earned_interest` — per schedule row, what was paid
      on a superseded row, else the larger of the interest paid and the interest accrued by
      the end of ``:day`` (all of it from the due date, none up to the period's start, pro rata
      by whole days between, rounded down: the rows' figures are never negative, so the SQL
      integer division truncating towards zero is Python's ``//``);
    - ``dpd``: :func:`~kopcore_loans.loan.days_past_due` — days since the oldest due date (up
      to ``:day``) of an open row with something unpaid, 0 if none;
    - ``overdue``: what :func:`daily_penalty` takes its percentage of — the unpaid amount
      (or the unpaid principal, by the product's penalty base) of open rows more than the
      product's grace days past due.

    The tests check these against the Python rules on hand-computed schedules. Built once per
    dialect: a chunk only binds its parameters."""
    c, i, p = loans.c, installments.c, products.c
    principal_account = query.accounts.alias("principal_account")
    interest_account = query.accounts.alias("interest_account")
    today = sa.bindparam("day", type_=sa.Date)
    condition = c.id.between(sa.bindparam("low", type_=sa.Integer),
                             sa.bindparam("high", type_=sa.Integer)) & arrears_condition()
    charged = i.interest - i.interest_waived
    elapsed = _days(dialect, today, i.period_start)
    span = _days(dialect, i.due_date, i.period_start)
    # charged * elapsed // span, without the product (which could pass 2**63 on a large amount
    # over a long period): with charged = q * span + r, it is q * elapsed + r * elapsed // span.
    accrued = sa.case(
        (today >= i.due_date, charged),
        (today <= i.period_start, sa.literal(0, sa.BigInteger)),
        else_=charged // span * elapsed + charged % span * elapsed // span)
    earned = sa.func.sum(sa.case((i.status == "superseded", i.interest_paid),
                                 else_=_greatest(dialect, accrued, i.interest_paid)))
    principal_unpaid = i.principal - i.principal_paid
    unpaid = principal_unpaid + charged - i.interest_paid
    owing = (i.status == "open") & (unpaid > 0)
    late = _days(dialect, today, i.due_date)
    oldest = sa.func.min(sa.case((owing & (i.due_date <= today), i.due_date)))
    base = sa.case((p.penalty_base == PenaltyBase.INSTALLMENT.value, unpaid),
                   else_=principal_unpaid)
    due_by_today = (i.status == "open") & (i.due_date <= today)
    interest_unpaid = charged - i.interest_paid
    principal_since = sa.func.min(sa.case((due_by_today & (principal_unpaid > 0), i.due_date)))
    interest_since = sa.func.min(sa.case((due_by_today & (interest_unpaid > 0), i.due_date)))
    interest_arrears = sa.func.sum(sa.case((due_by_today, interest_unpaid),
                                           else_=sa.literal(0, sa.BigInteger)))
    # Installments of the schedule in force that ask for principal (one: no installments).
    principal_rows = sa.func.sum(sa.case(((i.status != "superseded") & (i.principal > 0), 1),
                                         else_=0))
    overdue = sa.func.sum(sa.case((owing & (late > p.grace_days), base),
                                  else_=sa.literal(0, sa.BigInteger)))
    # Grouped by the loan's id alone (its other columns depend on it), then joined to what
    # else is wanted: no sort of the joined rows by a wider key.
    grouped = (
        sa.select(
            c.id, c.status, c.product_id, c.penalty_due, c.days_past_due, c.collectibility,
            c.allowance, c.interest_recognized, c.account_id, c.interest_account_id,
            sa.func.coalesce(sa.cast(earned, sa.BigInteger), 0).label("earned"),
            sa.func.coalesce(_days(dialect, today, oldest), 0).label("dpd"),
            # Never NULL, unlike `earned`: every row, the one row of NULLs a loan without a
            # schedule is joined to included, adds 0 when the case leaves it out.
            sa.cast(overdue, sa.BigInteger).label("overdue"),
            principal_since.label("principal_since"), interest_since.label("interest_since"),
            sa.cast(interest_arrears, sa.BigInteger).label("interest_arrears"),
            c.frequency, c.doubtful_since, c.rescuable,
            sa.func.coalesce(principal_rows, 0).label("principal_rows"))
        .select_from(loans.join(products, p.id == c.product_id)
                     .outerjoin(installments, i.loan_id == c.id))
        .where(condition)
        .group_by(c.id)
        .subquery("grouped"))
    g = grouped.c
    accrues = ((g.status == LoanStatus.ACTIVE.value)
               & (p.accounting == Accounting.ACCRUAL.value))
    return (
        sa.select(
            g.id, g.status, g.product_id, g.penalty_due, g.days_past_due, g.collectibility,
            g.allowance, g.interest_recognized,
            query.normal_balance(principal_account).label("outstanding"),
            interest_account.c.number.label("interest_number"),
            sa.case((accrues, 1), else_=0).label("accrues"), g.earned, g.dpd, g.overdue,
            g.principal_since, g.interest_since, g.interest_arrears, g.frequency,
            g.doubtful_since, g.rescuable, g.principal_rows)
        .select_from(
            grouped.join(products, p.id == g.product_id)
            .outerjoin(principal_account, principal_account.c.id == g.account_id)
            .outerjoin(interest_account, interest_account.c.id == g.interest_account_id))
        .order_by(g.id)
    )


#: A :func:`figures_query` row: (id, status, product_id, penalty_due, days_past_due,
#: collectibility, allowance, interest_recognized, outstanding, interest_number, accrues,
#: earned, dpd, overdue, principal_since, interest_since, interest_arrears, frequency,
#: doubtful_since, rescuable, principal_rows).
Figures = list[tuple[Any, ...]]


def chunk_figures(ctx: Context, day: date, low: int, high: int) -> Figures:
    """The :func:`figures_query` rows of the loans with ids from ``low`` to ``high``."""
    return cast(Figures, [tuple(row) for row in ctx.conn.execute(
        figures_query(ctx.conn.dialect.name),
        {"day": day, "low": low, "high": high})])


def _share(amount: int, fraction: Fraction, unit: int) -> int:
    """``round_half_up(amount * fraction, unit)`` in integers."""
    n, d = amount * fraction.numerator, fraction.denominator
    rounded = (2 * abs(n) + d * unit) // (2 * d * unit) * unit
    return rounded if n >= 0 else -rounded


#: On SQLite, one UPDATE statement sets this many loan rows (6 parameters each: far below the
#: limit on parameters per statement).
_ROWS_PER_UPDATE = 1000

#: The UPDATE of :func:`_write_loans`, ``{rows}`` being the new values as ``v``.
_SET_LOANS = (f"UPDATE {loans.name} SET interest_recognized = v.recognized, "
              "days_past_due = v.dpd, penalty_due = v.penalty, collectibility = v.code, "
              f"allowance = v.allowance FROM {{rows}} WHERE {loans.name}.id = v.id")


def _write_loans(ctx: Context, rows: Sequence[tuple[int, int, int, int, str | None, int]]
                 ) -> None:
    """Write (id, interest_recognized, days_past_due, penalty_due, collectibility, allowance)
    of many loan rows with one ``UPDATE … FROM`` the list of new values, not one statement per
    row: on PostgreSQL the list is six arrays (``unnest``), on SQLite a ``VALUES`` list
    (:data:`_ROWS_PER_UPDATE` rows a statement)."""
    if not rows:
        return
    if ctx.conn.dialect.name == "postgresql":
        arrays = "unnest(%s::integer[], %s::bigint[], %s::integer[], %s::bigint[], %s::text[], " \
                 "%s::bigint[]) AS v(id, recognized, dpd, penalty, code, allowance)"
        ctx.conn.exec_driver_sql(_SET_LOANS.format(rows=arrays),
                                 tuple(list(column) for column in zip(*rows, strict=True)))
        return
    mark = "?" if ctx.conn.dialect.paramstyle == "qmark" else "%s"
    row = "(" + ", ".join([mark] * 6) + ")"
    for first in range(0, len(rows), _ROWS_PER_UPDATE):
        batch = rows[first:first + _ROWS_PER_UPDATE]
        # Columns of a VALUES list are named column1, column2, … on SQLite.
        values = ("(SELECT column1 AS id, column2 AS recognized, column3 AS dpd, "
                  "column4 AS penalty, column5 AS code, column6 AS allowance FROM (VALUES "
                  f"{', '.join([row] * len(batch))})) AS v")
        ctx.conn.exec_driver_sql(_SET_LOANS.format(rows=values),
                                 tuple(value for loan in batch for value in loan))


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


def accrue_interest(ctx: Context, day: date, low: int, high: int,
                    figures: Figures | None = None,
                    recognized: dict[int, int] | None = None) -> int:
    """Bring each accrual-basis loan's recognised interest up to what it has earned by the end
    of ``day``: debit its interest receivable, credit interest income (one entry).
    ``figures``: the chunk's :func:`chunk_figures`, when the caller has read them already
    (read here otherwise: those end of day works on, of which only the running accrual-basis
    loans accrue).
    ``recognized``: when given, the loans' new ``interest_recognized`` are put there for the
    caller to write with its own update of the same rows, instead of being written here."""
    if figures is None:
        figures = chunk_figures(ctx, day, low, high)
    currency = ctx.settings.currency
    lines: list[PostingLine] = []
    updates: list[tuple[int, int]] = []
    debit = Side.DEBIT
    suspended = non_accrual_codes(ctx)
    for row in figures:
        loan_id, recognised, number, accrues, earned = row[0], row[7], row[9], row[10], row[11]
        if row[5] in suspended:  # Diragukan or Macet: interest waits until it is received
            continue
        if accrues and number is not None and earned > recognised:
            lines.append(PostingLine(number, debit, Money(earned - recognised, currency)))
            updates.append((loan_id, earned))
    if not lines:
        return 0
    total = sum(line.amount.minor for line in lines)
    lines.append(PostingLine(gl.gl(gl.INTEREST_INCOME), Side.CREDIT, Money(total, currency)))
    ledger.post_entry(ctx, lines, memo=f"Akrual jasa pinjaman {day.isoformat()}",
                      idempotency_key=f"loans.accrual:{day.isoformat()}:{low}-{high}")
    if recognized is None:
        _update_recognized(ctx, updates)
    else:
        recognized.update(updates)
    return len(updates)


def _receivables(ctx: Context, numbers: Sequence[str]) -> dict[str, int]:
    a = query.accounts.c
    if not numbers:
        return {}
    return {str(number): int(balance) for number, balance in ctx.conn.execute(
        sa.select(a.number, query.normal_balance()).where(a.number.in_(list(numbers))))}


def _update_recognized(ctx: Context, values: Sequence[tuple[int, int]]) -> None:
    if values:
        ctx.conn.execute(
            sa.update(loans).where(loans.c.id == sa.bindparam("loan_id"))
            .values(interest_recognized=sa.bindparam("recognized")),
            [{"loan_id": k, "recognized": v} for k, v in values])


# --- arrears, collectibility and allowance ----------------------------------------------------


def arrears_condition() -> sa.ColumnElement[bool]:
    return ACTIVE | (loans.c.allowance != 0)


def daily_penalty(rows: Sequence[ScheduleRow], day: date, grace_days: int,
                  percent_per_day: Fraction, base: PenaltyBase, unit: int) -> int:
    """Denda for ``day``: the percentage of what is overdue beyond the grace days (a row with
    nothing unpaid, or not open, adds 0 on either base)."""
    overdue = sum(
        (r.unpaid if base is PenaltyBase.INSTALLMENT else r.principal_unpaid)
        for r in rows if (day - r.due_date).days > grace_days
    )
    return round_half_up(overdue * percent_per_day / 100, unit)


def _last_events(ctx: Context, low: int, high: int, kinds: tuple[str, ...]
                 ) -> dict[int, date]:
    """The day of each loan's last event of ``kinds`` with an amount, for loans in the range:
    the last repayment (:data:`PAYMENT_KINDS`), the last rescue (:data:`RESCUE_KINDS`)."""
    e = events.c
    return {int(loan_id): day for loan_id, day in ctx.conn.execute(
        sa.select(e.loan_id, sa.func.max(e.business_date))
        .where(e.loan_id.between(low, high), e.kind.in_(kinds), e.amount > 0)
        .group_by(e.loan_id))}


class _Judge:
    """The class of each running loan in a chunk under the cooperative's regime."""

    def __init__(self, ctx: Context, day: date, low: int, high: int,
                 classes: list[CollectibilityClass]) -> None:
        self.day = day
        self.policy = policy(ctx)
        self.regime = load_regime(self.policy.regime)
        self.classes = classes
        self.by_days: dict[int, str] = {}
        ksp = self.regime.kind == "frequency"
        self.cover = cover_by_range(ctx, low, high) \
            if ksp or self.policy.deduct_collateral else {}
        self.paid = _last_events(ctx, low, high, PAYMENT_KINDS) if ksp else {}
        self.rescued = _last_events(ctx, low, high, RESCUE_KINDS) if ksp else {}
        self.rate = {cls.code: Fraction(cls.allowance_percent) / 100 for cls in classes}
        self.non_performing = {cls.code for cls in classes if cls.non_performing}
        self.rupiah = _rupiah(ctx)
        self.books_allowance = (self.policy.allowance_posting is AllowancePosting.DAILY
                                or (day + timedelta(days=1)).day == 1)

    def allowance(self, loan_id: int, outstanding: int, code: str, formed: int) -> int:
        """The allowance a running loan should carry: the class's rate of the outstanding,
        less the held collateral's cover for a non-performing class when the cooperative
        deducts it, in whole rupiah (half up). With the allowance booked at month end, what
        was formed stays until then."""
        if not self.books_allowance:
            return formed
        base = outstanding
        if self.policy.deduct_collateral and code in self.non_performing:
            base = max(0, outstanding - self.cover.get(loan_id, 0))
        return _share(base, self.rate[code], self.rupiah)

    def code(self, row: tuple[Any, ...]) -> str:
        if self.regime.kind == "days":
            dpd = row[12]
            code = self.by_days.get(dpd)
            if code is None:
                code = self.by_days[dpd] = classify(self.classes, dpd).code
            return code
        loan_id = row[0]
        return classify_ksp(self.regime, Arrears(
            frequency=arrears_basis(row[17], int(row[20])), principal_since=row[14],
            interest_since=row[15],
            debt=int(row[8] or 0) + int(row[16]), cover=self.cover.get(loan_id, 0),
            rescuable=None if row[19] is None else bool(row[19]), doubtful_since=row[18],
            last_paid=self.paid.get(loan_id), last_rescued=self.rescued.get(loan_id)),
            self.day)


def classify_arrears(ctx: Context, day: date, low: int, high: int,
                     figures: Figures | None = None,
                     recognized: dict[int, int] | None = None) -> int:
    """Days past due, the day's penalty, the class (under the cooperative's regime) and the
    allowance of each loan; one entry moves the chunk's net allowance change between PPAP
    expense and the allowance.
    ``figures``: the chunk's :func:`chunk_figures` (of the loans matching
    :func:`arrears_condition`), when the caller has read them already.
    ``recognized``: new ``interest_recognized`` by loan (from :func:`accrue_interest`), written
    in the same UPDATE of each loan row."""
    if figures is None:
        figures = chunk_figures(ctx, day, low, high)
    recognized = recognized or {}
    seen = {row[0] for row in figures}
    # Accrual loans are all running, so all chosen here; written apart should one not be.
    _update_recognized(ctx, [(k, v) for k, v in sorted(recognized.items()) if k not in seen])
    if not figures:
        return 0
    classes = collectibility(ctx)
    judge = _Judge(ctx, day, low, high, classes)
    allowance_of = judge.rate
    role = {cls.code: role_of(cls) for cls in classes}
    p = products.c
    penalty_of = {pid: Fraction(Decimal(percent)) / 100 for pid, percent in ctx.conn.execute(
        sa.select(p.id, p.penalty_percent_per_day))}
    rupiah = _rupiah(ctx)
    active = LoanStatus.ACTIVE.value
    updates: list[tuple[int, int, int, int, str | None, int]] = []
    doubtful: list[dict[str, Any]] = []
    suspended = non_accrual_codes(ctx)
    to_suspend: list[tuple[int, str]] = []
    change = 0
    for row in figures:
        (loan_id, status, product_id, penalty_due, old_dpd, old_class, allowance, recognised,
         outstanding, _number, _accrues, _earned, dpd, overdue) = row[:14]
        new_recognised: int = recognised
        if loan_id in recognized:
            new_recognised = recognized[loan_id]
        new: tuple[int, int, int, int, str | None, int]
        if status != active:
            new = (loan_id, new_recognised, old_dpd, penalty_due, old_class, 0)
            change -= allowance
        else:
            percent = penalty_of[product_id]
            penalty = _share(overdue, percent, rupiah) if percent else 0
            code = judge.code(row)
            if code not in allowance_of:
                raise ConfigurationError(
                    f"regime {judge.regime.code} classes a loan {code}, which the classes "
                    "table lacks (loans set-regime resets it)")
            target = judge.allowance(loan_id, int(outstanding or 0), code, allowance)
            change += target - allowance
            new = (loan_id, new_recognised, dpd, penalty_due + penalty, code, target)
            if code in suspended and row[9] is not None:
                to_suspend.append((loan_id, row[9]))
            since = row[18]
            if role[code] == "doubtful" and since is None:
                doubtful.append({"loan_id": loan_id, "since": day})
            elif role[code] in ("current", "special-mention", "substandard") \
                    and since is not None:
                doubtful.append({"loan_id": loan_id, "since": None})
        if new != (loan_id, recognised, old_dpd, penalty_due, old_class, allowance):
            updates.append(new)
    updates = _suspend_interest(ctx, day, low, high, to_suspend, updates, figures)
    _write_loans(ctx, updates)
    if doubtful:
        ctx.conn.execute(sa.update(loans).where(loans.c.id == sa.bindparam("loan_id"))
                         .values(doubtful_since=sa.bindparam("since")), doubtful)
    if change:
        amount = Money(abs(change), ctx.settings.currency)
        expense, allowance_gl = gl.gl(gl.ALLOWANCE_EXPENSE), gl.gl(gl.ALLOWANCE)
        debit, credit = (expense, allowance_gl) if change > 0 else (allowance_gl, expense)
        ledger.post_entry(ctx, [PostingLine(debit, Side.DEBIT, amount),
                                PostingLine(credit, Side.CREDIT, amount)],
                          memo=f"Penyesuaian PPAP pinjaman {day.isoformat()}",
                          idempotency_key=f"loans.allowance:{day.isoformat()}:{low}-{high}")
    return len(figures)


def _suspend_interest(ctx: Context, day: date, low: int, high: int,
                      loans_: list[tuple[int, str]],
                      updates: list[tuple[int, int, int, int, str | None, int]],
                      figures: Figures) -> list[tuple[int, int, int, int, str | None, int]]:
    """Non-accrual: interest accrued and not received on loans now Diragukan or Macet leaves
    income (Dr interest income, Cr the loan's interest receivable, one entry for the chunk) and
    is kept in memorandum; the loans' recognised interest falls by as much."""
    balances = _receivables(ctx, [number for _, number in loans_])
    reversed_ = {loan_id: balances.get(number, 0) for loan_id, number in loans_
                 if balances.get(number, 0) > 0}
    if not reversed_:
        return updates
    currency = ctx.settings.currency
    number_of = dict(loans_)
    lines = [PostingLine(number_of[loan_id], Side.CREDIT, Money(amount, currency))
             for loan_id, amount in sorted(reversed_.items())]
    lines.append(PostingLine(gl.gl(gl.INTEREST_INCOME), Side.DEBIT,
                             Money(sum(reversed_.values()), currency)))
    ledger.post_entry(ctx, lines, memo=f"Jasa pinjaman non-akrual {day.isoformat()}",
                      idempotency_key=f"loans.non-accrual:{day.isoformat()}:{low}-{high}")
    out = []
    written = {u[0]: u for u in updates}
    stored = {row[0]: row for row in figures}
    for loan_id in sorted(set(written) | set(reversed_)):
        if loan_id in written:
            u = written[loan_id]
        else:
            row = stored[loan_id]
            u = (loan_id, row[7], row[4], row[3], row[5], row[6])
        if loan_id in reversed_:
            u = (u[0], u[1] - reversed_[loan_id], *u[2:])
        out.append(u)
    return out


def close_day_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    return chunk_ranges(ctx, arrears_condition(), size)


def close_day(ctx: Context, day: date, low: int, high: int) -> int:
    """The whole of a loan's day, for one chunk: auto-debit what is due, accrue the day's
    interest, then age, penalise, classify and provide for what is still unpaid. One task
    (rather than three) keeps the end-of-day bookkeeping per business date small."""
    auto_debit(ctx, day, low, high)
    # Read after the auto-debit (which pays installments); accrual changes no schedule row.
    figures = chunk_figures(ctx, day, low, high)
    # One write of the loan rows for both steps: the accrual's new interest_recognized is
    # written with the classification.
    recognized: dict[int, int] = {}
    accrue_interest(ctx, day, low, high, figures, recognized)
    return classify_arrears(ctx, day, low, high, figures, recognized)


EOD_TASKS: tuple[EodTask, ...] = (
    EodTask("loans.close-day", close_day_chunks, close_day, order=300,
            description="Auto-debit, interest accrual, days past due, penalties, "
                        "kolektibilitas and PPAP"),
)
