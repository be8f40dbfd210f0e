"""The financial statements presented to the RAT (annual members' meeting), SAK EP layout.

For a financial year (1 January to 31 December) and, side by side, the year before:

- statement of financial position at the year end (built on
  :func:`kopcore.ledger._reports.financial_position`);
- statement of operating results, member business apart from non-member business;
- statement of changes in equity: each equity account's opening balance, increases, decreases
  and closing balance, and the surplus not yet closed;
- statement of cash flows (direct method over the ledger).

**Member and non-member business.** An income or expense posting belongs to member business
(*usaha dengan anggota*, partisipasi anggota) when its journal entry also posts to an account
owned by a member, ``membership`` ``member`` (a savings or loan account): a loan repayment, a
savings interest payment, the end-of-day interest accrual over members' loans. Income and
expenses in entries that touch no member's account are non-member business or general: those
of a non-member counterparty served by agreement (Permenkop 8/2023: its loan interest, the
interest on its deposits), fees from walk-in customers, bank interest, salaries, depreciation,
the PPAP adjustment. An entry touching the accounts of a member and of a non-member is member
business. The split is read from the postings, so it holds for every plugin without knowing its
products. The year-closing entry (income and expenses into equity on 31 December) is not part of
the year's operations and is left out.

**Cash flows.** Cash is the kernel chart's ``cash``, ``vault`` and ``bank`` accounts. Every entry
that moves cash is attributed to its other lines: each non-cash line's amount, sign reversed,
is the cash it brought in or sent out, so the flows add up exactly to the change in cash (a
transfer between two cash accounts has no other line and no flow). A line is *financing* when
its GL account is equity (pokok, wajib, grants, reserves, SHU paid out), *investing* for fixed
assets, and *operating* otherwise (members' savings and loans are a cooperative's operations).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore._db import tables as t
from kopcore._oversight.figures import CASH_KEYS, CLOSING_OPERATIONS, cash_and_bank
from kopcore.context import Context
from kopcore.ledger._records import Membership
from kopcore.ledger._reports import financial_position, gl_balances, office_books
from kopcore.records import GLType

INVESTING_KEYS = ("fixed_assets", "fixed_assets.depreciation")


@attrs.frozen
class Line:
    """A statement line: ``current`` year and ``previous`` year, minor units."""

    code: str
    name: str
    current: int
    previous: int


@attrs.frozen
class Section:
    title: str
    lines: list[Line]

    @property
    def current(self) -> int:
        return sum(line.current for line in self.lines)

    @property
    def previous(self) -> int:
        return sum(line.previous for line in self.lines)


def _pair(current: dict[str, tuple[str, str, int]], previous: dict[str, tuple[str, str, int]]
          ) -> list[Line]:
    """Lines keyed by GL key present in either year, in code order."""
    keys = set(current) | set(previous)
    names = {**previous, **current}
    return sorted((Line(names[k][0], names[k][1], current.get(k, ("", "", 0))[2],
                        previous.get(k, ("", "", 0))[2]) for k in keys),
                  key=lambda line: line.code)


@attrs.frozen
class FinancialPosition:
    assets: Section
    liabilities: Section
    equity: Section
    current_surplus: Line
    #: Sections between liabilities and equity (dana syirkah temporer): GL accounts declared
    #: with a ``position_section``.
    between: list[Section] = attrs.field(factory=list)

    @property
    def liabilities_and_equity(self) -> tuple[int, int]:
        return (self.liabilities.current + sum(s.current for s in self.between)
                + self.equity.current + self.current_surplus.current,
                self.liabilities.previous + sum(s.previous for s in self.between)
                + self.equity.previous + self.current_surplus.previous)


def _position_lines(report: dict[str, Any], section: str) -> dict[str, tuple[str, str, int]]:
    return {b.key: (b.code, b.name, b.balance.minor) for b in report[section].lines}


def statement_of_financial_position(ctx: Context, year: int, currency: str
                                    ) -> FinancialPosition:
    now = financial_position(ctx, date(year, 12, 31), currency)
    before = financial_position(ctx, date(year - 1, 12, 31), currency)
    sections = {
        name: Section(now[name].title, _pair(_position_lines(now, name),
                                             _position_lines(before, name)))
        for name in ("assets", "liabilities", "equity")
    }
    surplus = Line("", "SHU tahun berjalan (belum ditutup)", now["current_surplus"].minor,
                   before["current_surplus"].minor)
    return FinancialPosition(sections["assets"], sections["liabilities"], sections["equity"],
                             surplus, _between_pairs(now, before))


def _between_pairs(now: dict[str, Any], before: dict[str, Any]) -> list[Section]:
    """The sections between liabilities and equity of either year, by title, in order."""
    def by_title(report: dict[str, Any]) -> dict[str, dict[str, tuple[str, str, int]]]:
        return {s.title: {b.key: (b.code, b.name, b.balance.minor) for b in s.lines}
                for s in report["between_liabilities_and_equity"]}

    current, previous = by_title(now), by_title(before)
    titles = list(dict.fromkeys([*current, *previous]))
    return [Section(title, _pair(current.get(title, {}), previous.get(title, {})))
            for title in titles]


# --- operating results ----------------------------------------------------------------------


@attrs.frozen
class OperatingResults:
    member_income: Section
    non_member_income: Section
    member_expenses: Section
    other_expenses: Section

    @property
    def member_surplus(self) -> tuple[int, int]:
        return (self.member_income.current - self.member_expenses.current,
                self.member_income.previous - self.member_expenses.previous)

    @property
    def surplus(self) -> tuple[int, int]:
        income = (self.member_income.current + self.non_member_income.current,
                  self.member_income.previous + self.non_member_income.previous)
        expenses = (self.member_expenses.current + self.other_expenses.current,
                    self.member_expenses.previous + self.other_expenses.previous)
        return income[0] - expenses[0], income[1] - expenses[1]


def income_by_business(ctx: Context, first: date, last: date, currency: str
                       ) -> dict[tuple[GLType, bool], dict[str, tuple[str, str, int]]]:
    """Income and expenses (normal side) per GL account, split by whether the entry touches the
    account of a member (``membership`` ``member``; a non-member counterparty's is not):
    ``{(type, member): {gl_key: (code, name, amount)}}``."""
    p, e, a, g = t.postings.c, t.journal_entries.c, t.accounts.c, t.gl_accounts.c
    mp, ma = t.postings.alias("member_postings"), t.accounts.alias("member_accounts")
    me, mm = t.journal_entries.alias("member_entries"), t.members.alias("owners")
    member_entries = (
        sa.select(mp.c.entry_id.label("entry_id")).select_from(mp)
        .join(ma, ma.c.id == mp.c.account_id)
        .join(mm, mm.c.id == ma.c.member_id)
        .join(me, me.c.id == mp.c.entry_id)
        .where(mm.c.membership == Membership.MEMBER.value, me.c.business_date >= first,
               me.c.business_date <= last).distinct().subquery())
    member = sa.case((member_entries.c.entry_id.is_not(None), 1), else_=0).label("member")
    rows = ctx.conn.execute(
        sa.select(g.key, g.code, g.name, g.type, member, sa.func.sum(p.amount).label("net"))
        .select_from(t.postings)
        .join(t.journal_entries, e.id == p.entry_id)
        .join(t.accounts, a.id == p.account_id)
        .join(t.gl_accounts, g.key == a.gl_key)
        .outerjoin(member_entries, member_entries.c.entry_id == p.entry_id)
        .where(e.business_date >= first, e.business_date <= last, p.currency == currency,
               e.operation.not_in(CLOSING_OPERATIONS),
               g.type.in_((GLType.INCOME.value, GLType.EXPENSE.value)), *office_books(ctx, p))
        .group_by(g.key, g.code, g.name, g.type, member)
    )
    out: dict[tuple[GLType, bool], dict[str, tuple[str, str, int]]] = defaultdict(dict)
    for r in rows:
        kind = GLType(r.type)
        amount = int(r.net) if kind.debit_normal else -int(r.net)
        if amount:
            out[(kind, bool(r.member))][r.key] = (r.code, r.name, amount)
    return out


def statement_of_operating_results(ctx: Context, year: int, currency: str) -> OperatingResults:
    now = income_by_business(ctx, date(year, 1, 1), date(year, 12, 31), currency)
    before = income_by_business(ctx, date(year - 1, 1, 1), date(year - 1, 12, 31), currency)

    def section(title: str, kind: GLType, member: bool) -> Section:
        return Section(title, _pair(now.get((kind, member), {}), before.get((kind, member), {})))

    return OperatingResults(
        section("Partisipasi anggota (pendapatan usaha dengan anggota)", GLType.INCOME, True),
        section("Pendapatan dari non-anggota dan lain-lain", GLType.INCOME, False),
        section("Beban usaha dengan anggota", GLType.EXPENSE, True),
        section("Beban umum, administrasi dan lain-lain", GLType.EXPENSE, False),
    )


# --- changes in equity ----------------------------------------------------------------------


@attrs.frozen
class EquityMovement:
    code: str
    name: str
    opening: int
    increases: int
    decreases: int

    @property
    def closing(self) -> int:
        return self.opening + self.increases - self.decreases


def _equity_movements(ctx: Context, year: int, currency: str) -> list[EquityMovement]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    opening = {b.key: b for b in gl_balances(ctx, as_of=date(year - 1, 12, 31))
               if b.type is GLType.EQUITY and b.currency == currency}
    p, e, a, g = t.postings.c, t.journal_entries.c, t.accounts.c, t.gl_accounts.c
    rows = ctx.conn.execute(
        sa.select(g.key, g.code, g.name,
                  sa.func.sum(sa.case((p.amount < 0, -p.amount), else_=0)).label("credits"),
                  sa.func.sum(sa.case((p.amount > 0, p.amount), else_=0)).label("debits"))
        .select_from(t.postings)
        .join(t.journal_entries, e.id == p.entry_id)
        .join(t.accounts, a.id == p.account_id)
        .join(t.gl_accounts, g.key == a.gl_key)
        .where(e.business_date >= first, e.business_date <= last, p.currency == currency,
               g.type == GLType.EQUITY.value, *office_books(ctx, p))
        .group_by(g.key, g.code, g.name)
    )
    moved = {r.key: r for r in rows}
    keys = set(opening) | set(moved)
    out = []
    for key in keys:
        o = opening.get(key)
        m = moved.get(key)
        code = o.code if o is not None else m.code  # type: ignore[union-attr]
        name = o.name if o is not None else m.name  # type: ignore[union-attr]
        out.append(EquityMovement(code, name, o.balance.minor if o is not None else 0,
                                  int(m.credits) if m is not None else 0,
                                  int(m.debits) if m is not None else 0))
    return sorted(out, key=lambda line: line.code)


@attrs.frozen
class ChangesInEquity:
    """Per year (current, previous): the equity accounts' movements and the surplus not yet
    closed at the start and end of the year."""

    current: list[EquityMovement]
    previous: list[EquityMovement]
    surplus_current: EquityMovement
    surplus_previous: EquityMovement


def _surplus_movement(ctx: Context, year: int, currency: str) -> EquityMovement:
    def unclosed(day: date) -> int:
        report = financial_position(ctx, day, currency)
        return int(report["current_surplus"].minor)

    opening, closing = unclosed(date(year - 1, 12, 31)), unclosed(date(year, 12, 31))
    change = closing - opening
    return EquityMovement("", "SHU tahun berjalan (belum ditutup)", opening, max(change, 0),
                          max(-change, 0))


def statement_of_changes_in_equity(ctx: Context, year: int, currency: str) -> ChangesInEquity:
    return ChangesInEquity(_equity_movements(ctx, year, currency),
                           _equity_movements(ctx, year - 1, currency),
                           _surplus_movement(ctx, year, currency),
                           _surplus_movement(ctx, year - 1, currency))


# --- cash flows -----------------------------------------------------------------------------

ACTIVITIES = ("operating", "investing", "financing")
ACTIVITY_TITLES = {"operating": "Arus kas dari aktivitas operasi",
                   "investing": "Arus kas dari aktivitas investasi",
                   "financing": "Arus kas dari aktivitas pendanaan"}


def activity_of(gl_key: str, gl_type: GLType) -> str:
    if gl_type is GLType.EQUITY:
        return "financing"
    if gl_key in INVESTING_KEYS:
        return "investing"
    return "operating"


def cash_flows_by_account(ctx: Context, first: date, last: date, currency: str
                          ) -> dict[str, dict[str, tuple[str, str, int]]]:
    """``{activity: {gl_key: (code, name, cash in (+) or out (-))}}`` for the period."""
    p, e, a, g = t.postings.c, t.journal_entries.c, t.accounts.c, t.gl_accounts.c
    cash_entries = (
        sa.select(p.entry_id).select_from(t.postings)
        .join(t.accounts, a.id == p.account_id)
        .where(a.gl_key.in_(CASH_KEYS), p.currency == currency, *office_books(ctx, p))
        .distinct().subquery())
    rows = ctx.conn.execute(
        sa.select(g.key, g.code, g.name, g.type, sa.func.sum(p.amount).label("net"))
        .select_from(t.postings)
        .join(cash_entries, cash_entries.c.entry_id == p.entry_id)
        .join(t.journal_entries, e.id == p.entry_id)
        .join(t.accounts, a.id == p.account_id)
        .join(t.gl_accounts, g.key == a.gl_key)
        .where(e.business_date >= first, e.business_date <= last, p.currency == currency,
               a.gl_key.not_in(CASH_KEYS), *office_books(ctx, p))
        .group_by(g.key, g.code, g.name, g.type)
    )
    out: dict[str, dict[str, tuple[str, str, int]]] = defaultdict(dict)
    for r in rows:
        flow = -int(r.net)
        if flow:
            out[activity_of(r.key, GLType(r.type))][r.key] = (r.code, r.name, flow)
    return out


@attrs.frozen
class CashFlows:
    activities: list[Section]
    opening_cash: Line
    closing_cash: Line

    @property
    def net_change(self) -> tuple[int, int]:
        return (sum(s.current for s in self.activities),
                sum(s.previous for s in self.activities))


def statement_of_cash_flows(ctx: Context, year: int, currency: str) -> CashFlows:
    now = cash_flows_by_account(ctx, date(year, 1, 1), date(year, 12, 31), currency)
    before = cash_flows_by_account(ctx, date(year - 1, 1, 1), date(year - 1, 12, 31), currency)
    sections = [Section(ACTIVITY_TITLES[k], _pair(now.get(k, {}), before.get(k, {})))
                for k in ACTIVITIES]
    opening = Line("", "Kas dan setara kas awal tahun",
                   cash_and_bank(ctx, date(year - 1, 12, 31), currency),
                   cash_and_bank(ctx, date(year - 2, 12, 31), currency))
    closing = Line("", "Kas dan setara kas akhir tahun",
                   cash_and_bank(ctx, date(year, 12, 31), currency),
                   cash_and_bank(ctx, date(year - 1, 12, 31), currency))
    return CashFlows(sections, opening, closing)


@attrs.frozen
class RatStatements:
    year: int
    currency: str
    cooperative: str
    financial_position: FinancialPosition
    operating_results: OperatingResults
    changes_in_equity: ChangesInEquity
    cash_flows: CashFlows


def rat_statements(ctx: Context, year: int, currency: str) -> RatStatements:
    return RatStatements(
        year, currency, ctx.settings.cooperative_name,
        statement_of_financial_position(ctx, year, currency),
        statement_of_operating_results(ctx, year, currency),
        statement_of_changes_in_equity(ctx, year, currency),
        statement_of_cash_flows(ctx, year, currency),
    )
