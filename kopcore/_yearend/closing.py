"""Closing months and financial years (tutup buku).

- A **month** is closed once the business date has passed its last day. Closing runs every
  plugin's ``kopcore_period_end`` work (dated the month's last day), then stores the month's trial
  balance (net postings per GL account as of its last day) as its snapshot. Months close in
  order: the first close may be any month, each later one the month after the last closed.
  Afterwards no entry dated on or before the last closed day is accepted (veto reason
  ``yearend.period-closed``), except an **adjusting entry** (:func:`adjust`), a separate
  operation with its own permission (and maker-checker above its threshold).
- A **financial year** (the calendar year) is closed once its December is closed: plugins'
  ``kopcore_period_end`` work runs first (operation ``years.period-end``, dated 31 December, its
  entries recorded as late entries of December and counted in the year's operations), then every
  income and expense account is brought to zero by closing entries dated 31 December (one per
  plugin owning the accounts), the net going to the current-year SHU (``equity.shu_current``);
  the post-closing trial balance is the year's snapshot and the opening balance of the next
  year.
  Adjusting entries cannot be dated in a closed year.
- **Reproducible reports**: :func:`verify` recomputes a closed period's trial balance from the
  postings and compares it with its snapshot plus the entries that were dated in the period but
  posted after it closed (adjusting entries; for December, plugins' year-end work and the
  year's closing entries), which the module records as *late entries*. Any other difference
  means the books were changed behind the ledger's back.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
from sqlalchemy import func, select

from kopcore._db import tables as t
from kopcore._yearend.tables import adjustments, periods, snapshot_lines
from kopcore.context import Context
from kopcore.errors import BusinessDateError, Conflict, NotFound, ValidationError, message
from kopcore.ledger._accounts import gl_account_number
from kopcore.ledger._posting import post_entry
from kopcore.ledger._records import JournalEntry, ProposedEntry
from kopcore.ledger._reports import gl_balances
from kopcore.money import Money
from kopcore.records import GLType, Period, PostingLine, Side, Veto

#: The veto's stable reason code.
PERIOD_CLOSED = "yearend.period-closed"

#: The current-year SHU (SHU tahun berjalan): where closing a year moves income less expenses.
SHU_CURRENT = "equity.shu_current"

#: Operations allowed to post entries dated in a closed period.
ADJUST_OPERATION = "periods.adjust"
#: The year's closing entries (income and expenses into the current-year SHU).
YEAR_CLOSE_OPERATION = "years.close"
#: Plugins' year-end work (``kopcore_period_end`` with ``kind == "year"``): dated 31 December
#: after December is closed, part of the year's operations (unlike the closing entries).
YEAR_END_OPERATION = "years.period-end"
MONTH_CLOSE_OPERATION = "periods.close"
PRIVILEGED_OPERATIONS = frozenset({ADJUST_OPERATION, YEAR_CLOSE_OPERATION, YEAR_END_OPERATION})

MONTH = "month"
YEAR = "year"


@attrs.frozen
class ClosedPeriod:
    id: int
    kind: str
    start: date
    end: date
    currency: str
    closed_by: str
    closed_on: date
    closed_at: datetime
    entry_id: int | None
    surplus: Money | None

    @property
    def label(self) -> str:
        return f"{self.end:%Y-%m}" if self.kind == MONTH else f"{self.end:%Y}"


def month_bounds(year: int, month: int) -> tuple[date, date]:
    if not 1 <= month <= 12:
        raise ValidationError(message("month must be 1 to 12"), field="month")
    if not 1900 <= year <= 9999:
        raise ValidationError(message("year must be 1900 to 9999"), field="year")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def year_bounds(year: int) -> tuple[date, date]:
    if not 1900 <= year <= 9999:
        raise ValidationError(message("year must be 1900 to 9999"), field="year")
    return date(year, 1, 1), date(year, 12, 31)


def _row_to_period(row: Any) -> ClosedPeriod:
    surplus = None if row.surplus is None else Money(row.surplus, row.currency)
    return ClosedPeriod(row.id, row.kind, row.start_date, row.end_date, row.currency,
                        row.closed_by, row.closed_on, row.closed_at, row.entry_id, surplus)


# --- what is closed ------------------------------------------------------------------------


#: The last closed day, read as a transaction fact (``kopcore_transaction_facts``): the
#: posting veto needs it for every entry, and as a fact it costs no statement of its own.
CLOSED_THROUGH_FACT = "kopcore.yearend.closed_through"
CLOSED_THROUGH = select(func.max(periods.c.end_date)).where(periods.c.kind == MONTH) \
    .scalar_subquery()


def closed_through(ctx: Context) -> date | None:
    """The last day of the last closed month (``None`` when no month is closed).

    Read once per transaction with the business date; closing a month in the same transaction
    updates it."""
    value: date | None = ctx.fact(CLOSED_THROUGH_FACT)
    return value


def _remember(ctx: Context, through: date) -> None:
    ctx.remember_fact(CLOSED_THROUGH_FACT, through)


def last_closed_year(ctx: Context) -> ClosedPeriod | None:
    row = ctx.conn.execute(select(periods).where(periods.c.kind == YEAR)
                           .order_by(periods.c.end_date.desc()).limit(1)).first()
    return None if row is None else _row_to_period(row)


def get_period(ctx: Context, kind: str, end: date) -> ClosedPeriod | None:
    row = ctx.conn.execute(select(periods).where(periods.c.kind == kind,
                                                 periods.c.end_date == end)).first()
    return None if row is None else _row_to_period(row)


def list_periods(ctx: Context, *, kind: str | None = None, year: int | None = None
                 ) -> list[ClosedPeriod]:
    query = select(periods).order_by(periods.c.end_date, periods.c.kind)
    if kind is not None:
        query = query.where(periods.c.kind == kind)
    if year is not None:
        start, end = year_bounds(year)
        query = query.where(periods.c.end_date >= start, periods.c.end_date <= end)
    return [_row_to_period(r) for r in ctx.conn.execute(query)]


def veto(ctx: Context, entry: ProposedEntry) -> Veto | None:
    """Refuse an entry dated on or before the last closed day, unless it is an authorised
    adjusting entry or a year's closing entry."""
    through = closed_through(ctx)
    if through is None or entry.business_date > through:
        return None
    if entry.operation in PRIVILEGED_OPERATIONS:
        return None
    return Veto(PERIOD_CLOSED,
                f"the books are closed through {through.isoformat()}: an entry dated "
                f"{entry.business_date.isoformat()} needs an adjusting entry (periods adjust)")


# --- snapshots and late entries ------------------------------------------------------------


def _late_entries_seen(ctx: Context) -> int:
    value: int = ctx.conn.execute(select(func.coalesce(func.max(adjustments.c.id), 0))).scalar_one()
    return value


def _record_late_entry(ctx: Context, entry_id: int, dated: date, reason: str) -> None:
    ctx.conn.execute(adjustments.insert().values(
        entry_id=entry_id, adjusting_date=dated, posted_on=ctx.business_date,
        actor=ctx.actor, reason=reason[:500]))


def _insert_period(ctx: Context, kind: str, start: date, end: date, *,
                   entry_id: int | None = None, surplus: int | None = None) -> ClosedPeriod:
    period_id = ctx.conn.execute(periods.insert().values(
        kind=kind, start_date=start, end_date=end, currency=ctx.settings.currency,
        entry_id=entry_id, surplus=surplus, adjustments_seen=_late_entries_seen(ctx),
        closed_by=ctx.actor, closed_on=ctx.business_date, closed_at=datetime.now(UTC),
    ).returning(periods.c.id)).scalar_one()
    balances = gl_balances(ctx, as_of=end)
    if balances:
        ctx.conn.execute(snapshot_lines.insert(), [
            {"period_id": period_id, "gl_key": b.key, "currency": b.currency, "net": b.net}
            for b in balances])
    row = ctx.conn.execute(select(periods).where(periods.c.id == period_id)).one()
    return _row_to_period(row)


def _run_period_end(ctx: Context, kind: str, start: date, end: date, operation: str
                    ) -> list[tuple[int, str]]:
    """Run every plugin's ``kopcore_period_end`` work dated ``end`` under ``operation``; the
    (id, memo) of the entries it posted, in order."""
    e = t.journal_entries.c
    last_id: int = ctx.conn.execute(select(func.coalesce(func.max(e.id), 0))).scalar_one()
    dated = attrs.evolve(ctx, operation=operation, _business_date=end)
    ctx.kernel.plugins.call("kopcore_period_end", ctx=dated,
                                 period=Period(kind, start, end))
    return [(r.id, r.memo) for r in ctx.conn.execute(
        select(e.id, e.memo).where(e.id > last_id, e.operation == operation,
                                   e.business_date == end).order_by(e.id))]


# --- closing a month -----------------------------------------------------------------------


def close_month(ctx: Context, year: int, month: int) -> ClosedPeriod:
    """Close a month: plugins' month-end work, then the snapshot; no more postings dated in
    it (or before it) except adjusting entries."""
    start, end = month_bounds(year, month)
    if ctx.business_date <= end:
        raise BusinessDateError(
            message("{start} can be closed once the business date has passed {end} (it is "
                    "{business_date}): run end of day first",
                    start=format(start, '%Y-%m'), end=end.isoformat(),
                    business_date=ctx.business_date.isoformat()))
    through = closed_through(ctx)
    if through is not None:
        if end <= through:
            raise Conflict(message("{start} is already closed (the books are closed through "
                                   "{through})", start=format(start, '%Y-%m'),
                                   through=through.isoformat()))
        expected = through + timedelta(days=1)
        if start != expected:
            raise Conflict(message("months close in order: close {expected} before {start}",
                                   expected=format(expected, '%Y-%m'),
                                   start=format(start, '%Y-%m')))
    _run_period_end(ctx, MONTH, start, end, MONTH_CLOSE_OPERATION)
    period = _insert_period(ctx, MONTH, start, end)
    _remember(ctx, end)
    return period


# --- adjusting entries ---------------------------------------------------------------------


def adjust(ctx: Context, adjusting_date: date, lines: Sequence[PostingLine], *, memo: str
           ) -> JournalEntry:
    """Post an adjusting entry dated ``adjusting_date``, a past day of a year not yet closed
    (in a closed month or not). Recorded as a late entry of the closed periods it changes."""
    if adjusting_date >= ctx.business_date:
        raise ValidationError(
            message("an adjusting entry is dated before the business date ({business_date}); "
                    "post today's entries as usual",
                    business_date=ctx.business_date.isoformat()),
            field="date")
    year = last_closed_year(ctx)
    if year is not None and adjusting_date <= year.end:
        raise Conflict(message("the financial year {year} is closed: post the correction in the "
                               "current year", year=year.end.year))
    dated = attrs.evolve(ctx, operation=ADJUST_OPERATION, _business_date=adjusting_date)
    entry = post_entry(dated, lines, memo=memo)
    _record_late_entry(ctx, entry.id, entry.business_date, f"adjustment: {memo}")
    return entry


# --- closing a year ------------------------------------------------------------------------


def _income_expense_balances(ctx: Context, as_of: date, currency: str
                             ) -> dict[str, list[tuple[str, int]]]:
    """Per plugin owning the GL account: (account number, debit-positive balance) of every
    account rolling up to an income or expense GL account, as of ``as_of``, not at zero."""
    p, e, a, g = t.postings.c, t.journal_entries.c, t.accounts.c, t.gl_accounts.c
    rows = ctx.conn.execute(
        select(g.plugin, a.number, func.sum(p.amount).label("net"))
        .select_from(t.postings)
        .join(t.journal_entries, e.id == p.entry_id)
        .join(t.accounts, a.id == p.account_id)
        .join(t.gl_accounts, g.key == a.gl_key)
        .where(e.business_date <= as_of, p.currency == currency,
               g.type.in_([GLType.INCOME.value, GLType.EXPENSE.value]))
        .group_by(g.plugin, a.number).order_by(g.plugin, a.number)
    )
    grouped: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in rows:
        if int(r.net) != 0:
            grouped[r.plugin].append((r.number, int(r.net)))
    return dict(grouped)


def close_year(ctx: Context, year: int) -> ClosedPeriod:
    """Close a financial year: income and expenses into the current-year SHU, dated 31
    December, and the post-closing trial balance as the year's snapshot."""
    start, end = year_bounds(year)
    through = closed_through(ctx)
    if through is None or through < end:
        raise Conflict(message("close every month of {year} first: the books are closed "
                               "through {through} (periods close --year {year} --month 12)",
                               year=year, through=through) if through else
                       message("close every month of {year} first: no month is closed yet "
                               "(periods close --year {year} --month 12)", year=year))
    if get_period(ctx, YEAR, end) is not None:
        raise Conflict(message("the financial year {year} is already closed",
                               year=year))
    previous = last_closed_year(ctx)
    if previous is not None:
        expected_year = previous.end.year + 1
    else:  # the first year closed is the year of the first closed month
        first: date = ctx.conn.execute(select(func.min(periods.c.start_date))
                                       .where(periods.c.kind == MONTH)).scalar_one()
        expected_year = first.year
    if year != expected_year:
        raise Conflict(message("years close in order: close {expected_year} before {year}",
                               expected_year=expected_year, year=year))
    # Plugins' year-end work first: dated in the closed December, its entries are late entries
    # of that month, and the income and expenses they book are closed below with the rest.
    for work_id, memo in _run_period_end(ctx, YEAR, start, end, YEAR_END_OPERATION):
        _record_late_entry(ctx, work_id, end, f"year-end work of {year}: {memo}")
    currency = ctx.settings.currency
    dated = attrs.evolve(ctx, operation=YEAR_CLOSE_OPERATION, _business_date=end)
    shu_account = gl_account_number(SHU_CURRENT)
    surplus = 0
    entry_id = None
    # One closing entry per plugin owning the accounts closed: a plugin's rules about which
    # accounts may meet in one entry (sharia and interest accounts never do) still hold.
    for plugin, balances in sorted(_income_expense_balances(ctx, end, currency).items()):
        # Income is credit-normal (negative net): the plugin's share of the surplus is minus
        # the sum of the debit-positive nets.
        net = -sum(amount for _number, amount in balances)
        surplus += net
        lines = [PostingLine(number, Side.CREDIT if amount > 0 else Side.DEBIT,
                             Money(abs(amount), currency)) for number, amount in balances]
        if net != 0:
            lines.append(PostingLine(shu_account, Side.CREDIT if net > 0 else Side.DEBIT,
                                     Money(abs(net), currency)))
        entry = post_entry(dated, lines, memo=f"Penutupan buku tahun {year}: pendapatan dan "
                                              f"beban ({plugin}) ke SHU tahun berjalan",
                           idempotency_key=f"yearend-close-{year}-{plugin}")
        _record_late_entry(ctx, entry.id, end, f"closing entry of {year} ({plugin})")
        entry_id = entry_id or entry.id
    return _insert_period(ctx, YEAR, start, end, entry_id=entry_id, surplus=surplus)


# --- reproducing a closed period's figures -------------------------------------------------


@attrs.frozen
class VerifiedLine:
    key: str
    code: str
    name: str
    currency: str
    #: Debit-positive nets: as snapshotted at the close, moved by late entries since, and as
    #: recomputed from the postings now.
    as_closed: int
    late: int
    recomputed: int

    @property
    def difference(self) -> int:
        return self.recomputed - self.as_closed - self.late


@attrs.frozen
class Verification:
    period: ClosedPeriod
    lines: list[VerifiedLine]
    late_entries: list[int]

    @property
    def consistent(self) -> bool:
        return all(line.difference == 0 for line in self.lines)


def find_period(ctx: Context, kind: str, year: int, month: int | None) -> ClosedPeriod:
    if kind == MONTH:
        if month is None:
            raise ValidationError(message("a month period needs --month"), field="month")
        _start, end = month_bounds(year, month)
    elif kind == YEAR:
        _start, end = year_bounds(year)
    else:
        raise ValidationError(message("kind must be month or year"), field="kind")
    found = get_period(ctx, kind, end)
    if found is None:
        label = f"{end:%Y-%m}" if kind == MONTH else str(year)
        raise NotFound(message("{kind} {label} is not closed", kind=kind,
                               label=label), field="year")
    return found


def verify(ctx: Context, period: ClosedPeriod) -> Verification:
    """Recompute a closed period's trial balance and compare it with its snapshot."""
    seen = ctx.conn.execute(select(periods.c.adjustments_seen)
                            .where(periods.c.id == period.id)).scalar_one()
    snap = {(r.gl_key, r.currency): int(r.net) for r in ctx.conn.execute(
        select(snapshot_lines).where(snapshot_lines.c.period_id == period.id))}
    p, a, adj = t.postings.c, t.accounts.c, adjustments.c
    late_ids = [r.entry_id for r in ctx.conn.execute(
        select(adj.entry_id).where(adj.id > seen, adj.adjusting_date <= period.end)
        .order_by(adj.id))]
    late: dict[tuple[str, str], int] = defaultdict(int)
    if late_ids:
        for r in ctx.conn.execute(
            select(a.gl_key, p.currency, func.sum(p.amount).label("net"))
            .join(t.accounts, a.id == p.account_id)
            .where(p.entry_id.in_(late_ids)).group_by(a.gl_key, p.currency)
        ):
            late[(r.gl_key, r.currency)] += int(r.net)
    now = {(b.key, b.currency): b.net for b in gl_balances(ctx, as_of=period.end)}
    g = t.gl_accounts.c
    names = {r.key: (r.code, r.name) for r in ctx.conn.execute(select(g.key, g.code, g.name))}
    keys = sorted(set(snap) | set(late) | set(now),
                  key=lambda k: (names.get(k[0], ("~", ""))[0], k[1]))
    lines = []
    for key, currency in keys:
        code, name = names.get(key, ("?", key))
        lines.append(VerifiedLine(key, code, name, currency, snap.get((key, currency), 0),
                                  late.get((key, currency), 0), now.get((key, currency), 0)))
    return Verification(period, lines, late_ids)
