"""Statements and financial reports computed from postings (never from cached balances).

Names follow SAK EP: *laporan posisi keuangan* (statement of financial position) and *laporan
hasil usaha* (statement of operating results). All figures are exact minor units.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import attrs
from sqlalchemy import ColumnElement, and_, func, select

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.ledger._accounts import get_account
from kopcore.ledger._units import unit_filter
from kopcore.money import Money
from kopcore.records import GLType


@attrs.frozen
class StatementLine:
    entry_id: int
    business_date: date
    memo: str
    debit: Money
    credit: Money
    balance: Money


@attrs.frozen
class Statement:
    account: str
    currency: str
    from_date: date
    to_date: date
    opening_balance: Money
    closing_balance: Money
    lines: list[StatementLine]


def balance_as_of(ctx: Context, number: str, as_of: date) -> Money:
    """An account's normal-side balance at the end of ``as_of``, from its postings."""
    account = get_account(ctx, number)
    p, e = t.postings.c, t.journal_entries.c
    total = ctx.conn.execute(
        select(func.coalesce(func.sum(p.amount), 0))
        .join(t.journal_entries, e.id == p.entry_id)
        .where(p.account_id == account.id, e.business_date <= as_of)
    ).scalar_one()
    return Money.stored(int(total) * account.normal_sign, account.currency)


def statement(ctx: Context, number: str, from_date: date, to_date: date,
              *, limit: int = 1000) -> Statement:
    """Postings of an account between two business dates with a running balance."""
    from kopcore.errors import ValidationError, message

    if from_date > to_date:
        raise ValidationError(message("from_date is after to_date"), field="from_date")
    account = get_account(ctx, number)
    sign, cur = account.normal_sign, account.currency
    p, e = t.postings.c, t.journal_entries.c
    opening = ctx.conn.execute(
        select(func.coalesce(func.sum(p.amount), 0))
        .join(t.journal_entries, e.id == p.entry_id)
        .where(p.account_id == account.id, e.business_date < from_date)
    ).scalar_one()
    rows = ctx.conn.execute(
        select(e.id, e.business_date, e.memo, p.amount)
        .join(t.journal_entries, e.id == p.entry_id)
        .where(p.account_id == account.id, e.business_date >= from_date,
               e.business_date <= to_date)
        .order_by(e.business_date, e.id, p.id).limit(limit)
    )
    running = int(opening)
    lines = []
    for r in rows:
        running += r.amount
        lines.append(StatementLine(
            entry_id=r.id, business_date=r.business_date, memo=r.memo,
            debit=Money.stored(max(r.amount, 0), cur), credit=Money.stored(max(-r.amount, 0), cur),
            balance=Money.stored(running * sign, cur),
        ))
    # The closing balance is summed on its own: ``limit`` may cut the lines off early.
    closing = balance_as_of(ctx, number, to_date)
    return Statement(number, cur, from_date, to_date, Money.stored(int(opening) * sign, cur),
                     closing, lines)


@attrs.frozen
class GLBalance:
    key: str
    code: str
    name: str
    type: GLType
    contra: bool
    currency: str
    #: Debit-positive sum of the postings of every account rolling up to this GL account.
    net: int

    @property
    def debit(self) -> Money:
        return Money.stored(max(self.net, 0), self.currency)

    @property
    def credit(self) -> Money:
        return Money.stored(max(-self.net, 0), self.currency)

    @property
    def balance(self) -> Money:
        """On the GL type's normal side (contra accounts show negative)."""
        return Money.stored(self.net if self.type.debit_normal else -self.net, self.currency)


def office_books(ctx: Context, postings: Any, office_id: int | None = None
                 ) -> list[ColumnElement[bool]]:
    """The condition keeping the postings (``postings``: the columns of the postings table or
    an alias) of the books a report reads: office ``office_id``'s, else those of
    :attr:`Context.books_office_id`; none for the consolidated books."""
    office_id = office_id if office_id is not None else ctx.books_office_id
    return [] if office_id is None else [postings.office_id == office_id]


def _after_every_entry(ctx: Context, as_of: date) -> bool:
    """Whether no journal entry is dated after ``as_of`` (one index lookup)."""
    latest = ctx.conn.execute(select(func.max(t.journal_entries.c.business_date))).scalar()
    return latest is None or as_of >= latest


def gl_balances(ctx: Context, *, as_of: date, from_date: date | None = None,
                office_id: int | None = None) -> list[GLBalance]:
    """Net postings per GL account and currency up to ``as_of`` (and from ``from_date``), of
    one office's books (``office_id``, else :attr:`Context.books_office_id`) or consolidated:
    every office's, where the inter-office (RAK) accounts net to zero and so do not show."""
    p, e, a, g = t.postings.c, t.journal_entries.c, t.accounts.c, t.gl_accounts.c
    offices = office_books(ctx, p, office_id)
    if from_date is None and not offices and _after_every_entry(ctx, as_of):
        # Consolidated, up to a date no entry is after: the sum of every posting of an account
        # is its balance (the posting pipeline keeps it so and `kopcore verify` checks it), so
        # the accounts are summed instead of the whole journal.
        sums = (
            select(a.gl_key.label("gl_key"), a.currency.label("currency"),
                   func.sum(a.balance).label("net"))
            .group_by(a.gl_key, a.currency)
            .subquery()
        )
    else:
        date_filter = [e.business_date <= as_of, *offices]
        if from_date is not None:
            date_filter.append(e.business_date >= from_date)
        sums = (
            select(a.gl_key.label("gl_key"), p.currency.label("currency"),
                   func.sum(p.amount).label("net"))
            .select_from(t.postings)
            .join(t.journal_entries, and_(e.id == p.entry_id, *date_filter))
            .join(t.accounts, a.id == p.account_id)
            .group_by(a.gl_key, p.currency)
            .subquery()
        )
    rows = ctx.conn.execute(
        select(g.key, g.code, g.name, g.type, g.contra, sums.c.currency, sums.c.net)
        .join(sums, sums.c.gl_key == g.key)
        .order_by(g.code, sums.c.currency)
    )
    return [GLBalance(r.key, r.code, r.name, GLType(r.type), bool(r.contra), r.currency,
                      int(r.net)) for r in rows if int(r.net) != 0]


def book_balances(ctx: Context, *, as_of: date, from_date: date | None = None,
                  office_id: int | None = None, unit: str | None = None) -> list[GLBalance]:
    """:func:`gl_balances` of one office's books and of one unit's (its GL accounts,
    :mod:`kopcore.ledger._units`), or consolidated."""
    balances = gl_balances(ctx, as_of=as_of, from_date=from_date, office_id=office_id)
    if unit is None:
        return balances
    in_unit = unit_filter(ctx, unit)
    return [b for b in balances if in_unit(b.key)]


def trial_balance(ctx: Context, as_of: date, *, office_id: int | None = None,
                  unit: str | None = None) -> dict[str, Any]:
    """Neraca saldo: each GL account's debit or credit balance; totals equal per currency.
    ``office_id``: that office's books only (its RAK account included); ``unit``: that unit's
    books only; default consolidated."""
    balances = book_balances(ctx, as_of=as_of, office_id=office_id, unit=unit)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for b in balances:
        totals[b.currency][0] += b.debit.minor
        totals[b.currency][1] += b.credit.minor
    return {
        "as_of": as_of,
        "lines": balances,
        "totals": {c: (Money.stored(d, c), Money.stored(cr, c)) for c, (d, cr) in totals.items()},
    }


@attrs.frozen
class ReportSection:
    title: str
    lines: list[GLBalance]
    total: Money


def _section(title: str, balances: list[GLBalance], types: set[GLType], currency: str
             ) -> ReportSection:
    lines = [b for b in balances if b.type in types and b.currency == currency]
    total = sum((b.balance.minor for b in lines), 0)
    return ReportSection(title, lines, Money.stored(total, currency))


def position_sections(ctx: Context) -> dict[str, str]:
    """GL key -> title of the section between liabilities and equity it is presented in
    (:attr:`~kopcore.records.GLAccountSpec.position_section`, contract 1.1)."""
    return {key: claimed.value.position_section
            for key, claimed in ctx.kernel.plugins.gl_accounts.items()
            if claimed.value.position_section is not None}


def _between(balances: list[GLBalance], sections: dict[str, str], currency: str
             ) -> list[ReportSection]:
    """The sections between liabilities and equity, in the order of their first GL code."""
    titles = list(dict.fromkeys(sections[b.key] for b in balances if b.key in sections))
    out = []
    for title in titles:
        lines = [b for b in balances if sections.get(b.key) == title and b.currency == currency]
        if lines:
            out.append(ReportSection(title, lines, Money.stored(
                sum(b.balance.minor for b in lines), currency)))
    return out


def financial_position(ctx: Context, as_of: date, currency: str, *,
                       office_id: int | None = None, unit: str | None = None
                       ) -> dict[str, Any]:
    """Laporan posisi keuangan: assets = liabilities + the sections between liabilities and
    equity + equity, with the current period's surplus (SHU tahun berjalan, income less
    expenses not yet closed) shown within equity. A liability or equity account whose
    declaration names a ``position_section`` (dana syirkah temporer) is presented in that
    section, under ``between_liabilities_and_equity``, not in its type's section.
    ``office_id``: one office's books, whose RAK account is an asset when the office is owed
    and shows as a negative asset when it owes; ``unit``: one unit's books; default
    consolidated."""
    balances = book_balances(ctx, as_of=as_of, office_id=office_id, unit=unit)
    sections = position_sections(ctx)
    between = _between(balances, sections, currency)
    ordinary = [b for b in balances if b.key not in sections]
    assets = _section("Aset", balances, {GLType.ASSET}, currency)
    liabilities = _section("Liabilitas", ordinary, {GLType.LIABILITY}, currency)
    equity = _section("Ekuitas", ordinary, {GLType.EQUITY}, currency)
    income = _section("Pendapatan", balances, {GLType.INCOME}, currency)
    expenses = _section("Beban", balances, {GLType.EXPENSE}, currency)
    surplus = _net(income.total, expenses.total)
    return {
        "as_of": as_of, "currency": currency, "assets": assets, "liabilities": liabilities,
        "between_liabilities_and_equity": between,
        "equity": equity, "current_surplus": surplus,
        "liabilities_and_equity": Money.stored(
            liabilities.total.minor + sum(s.total.minor for s in between)
            + equity.total.minor + surplus.minor, currency),
    }


def _net(income: Money, expenses: Money) -> Money:
    """Income less expenses, exact: a report's totals are sums of bounded balances, not amounts
    entered, so they are not held to the range of one amount."""
    return Money.stored(income.minor - expenses.minor, income.currency)


def operating_results(ctx: Context, from_date: date, to_date: date, currency: str, *,
                      office_id: int | None = None, unit: str | None = None
                      ) -> dict[str, Any]:
    """Laporan hasil usaha: income and expenses for a period and the surplus (SHU), of one
    office (``office_id``), of one unit (``unit``) or consolidated."""
    balances = book_balances(ctx, as_of=to_date, from_date=from_date, office_id=office_id,
                             unit=unit)
    income = _section("Pendapatan", balances, {GLType.INCOME}, currency)
    expenses = _section("Beban", balances, {GLType.EXPENSE}, currency)
    return {
        "from_date": from_date, "to_date": to_date, "currency": currency,
        "income": income, "expenses": expenses, "surplus": _net(income.total, expenses.total),
    }


def ledger_invariants(ctx: Context) -> list[str]:
    """Problems found: unbalanced entries, cached balances that differ from their postings,
    entries with fewer than two postings. Empty means the books are consistent."""
    p, a, e = t.postings.c, t.accounts.c, t.journal_entries.c
    problems = []
    unbalanced = ctx.conn.execute(
        select(p.entry_id, p.currency).group_by(p.entry_id, p.currency)
        .having(func.sum(p.amount) != 0)
    ).all()
    problems += [f"entry {r.entry_id} does not balance in {r.currency}" for r in unbalanced]
    sums = (select(p.account_id, func.sum(p.amount).label("total"))
            .group_by(p.account_id).subquery())
    drift = ctx.conn.execute(
        select(a.number, a.balance, sums.c.total)
        .outerjoin(sums, sums.c.account_id == a.id)
        .where(a.balance != func.coalesce(sums.c.total, 0))
    ).all()
    problems += [f"account {r.number}: cached {r.balance} != postings {r.total or 0}"
                 for r in drift]
    counts = (select(p.entry_id, func.count().label("n")).group_by(p.entry_id).subquery())
    thin = ctx.conn.execute(
        select(e.id).outerjoin(counts, counts.c.entry_id == e.id)
        .where(func.coalesce(counts.c.n, 0) < 2)
    ).all()
    problems += [f"entry {r.id} has fewer than two postings" for r in thin]
    return problems
