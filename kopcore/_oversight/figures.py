"""The figures behind the health ratios and the trends, as they stood at the end of a date.

Ledger figures come from postings (through :func:`kopcore.ledger._reports.gl_balances`); figures
only a product plugin knows come from the ``kopcore_health_figures`` hook, added up per key.

- Assets are net of contra accounts (PPAP, accumulated depreciation).
- Equity includes the surplus not yet closed (income less expenses to date), as in the
  statement of financial position.
- Cash and bank are the kernel chart's ``cash``, ``vault`` and ``bank`` GL accounts and a unit's
  own cash (a plugin's GL account keyed ``<plugin>.cash``: the sharia unit's ``sharia.cash``).
- One unit's books (``unit``: a KSU's USP, a sharia unit) are its GL accounts only
  (``kopcore_units``), and the plugins' figures whose key starts as its GL accounts' keys do
  (``sharia.*`` for the sharia unit); members and member savings stay the cooperative's.
- Short-term liabilities are all liabilities: the chart does not separate maturities, and a
  cooperative's savings, time deposits and payables fall due within a year. Dana syirkah
  temporer (GL accounts a plugin declares with a ``position_section``: mudharabah savings and
  deposits) is not a liability here: it sits between liabilities and equity (PSAK 405; Perdep
  07/Per/Dep.6/IV/2016 counts it with the funds received, not with the obligations), and is
  kept apart in ``temporary_syirkah``.
- Savings are the balances of members' accounts rolling up to liability or equity GL accounts
  (pokok, wajib, sukarela, berjangka and any plugin's member deposits); members are those with
  ``membership`` ``member``: a non-member counterparty's deposits are funding from outside the
  membership (the closed-loop figure), not member savings.
- Active members on a date joined on or before it and had not left by it, non-member
  counterparties left out.
- Income and expenses of a period leave out the year-closing entry, which moves them into equity
  on 31 December: the year's operations are what happened before the books were closed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date

import attrs
import sqlalchemy as sa

from kopcore._db import tables as t
from kopcore._yearend.closing import YEAR_CLOSE_OPERATION
from kopcore.context import Context
from kopcore.ledger._records import Membership
from kopcore.ledger._reports import gl_balances, office_books, position_sections
from kopcore.ledger._units import unit_filter
from kopcore.records import FigureUnit, GLType, HealthFigure

CASH_KEYS = ("cash", "vault", "bank")
#: Operations whose entries close income and expenses into equity. Plugins' year-end work
#: (``years.period-end``, dated 31 December) is part of the year's operations and stays in.
CLOSING_OPERATIONS = (YEAR_CLOSE_OPERATION,)


@attrs.frozen
class PluginFigure:
    key: str
    label: str
    unit: FigureUnit
    value: int
    plugins: tuple[str, ...]


@attrs.frozen
class GLLine:
    """One GL account's balance on its normal side, for tracing a ratio to the books."""

    key: str
    code: str
    name: str
    type: GLType
    amount: int
    #: Presented between liabilities and equity (dana syirkah temporer).
    between: bool = False


@attrs.frozen
class Figures:
    """Everything the assessment needs for one date, in minor units of ``currency``."""

    as_of: date
    currency: str
    total_assets: int
    total_liabilities: int
    equity: int
    cash_and_bank: int
    income_year_to_date: int
    expenses_year_to_date: int
    savings: int
    members: int
    plugin: dict[str, PluginFigure]
    #: Dana syirkah temporer: outside ``total_liabilities`` and ``equity``.
    temporary_syirkah: int = 0
    #: Every GL account's balance on the date (normal side, contra accounts negative).
    lines: tuple[GLLine, ...] = ()
    #: Income and expenses from 1 January, per GL account, split by member business:
    #: ``{(type, member): {gl_key: (code, name, amount)}}`` (see statements.income_by_business).
    business: dict[tuple[GLType, bool], dict[str, tuple[str, str, int]]] = attrs.field(
        factory=dict)
    #: One unit's books (``kopcore_units``); None: the cooperative's.
    unit: str | None = None

    def value(self, key: str) -> int | None:
        figure = self.plugin.get(key)
        return None if figure is None else figure.value


def gl_lines(ctx: Context, as_of: date, currency: str) -> tuple[GLLine, ...]:
    """Each GL account's balance at the end of ``as_of`` on its type's normal side (a contra
    account shows negative), flagged when it is dana syirkah temporer."""
    between = position_sections(ctx)
    return tuple(GLLine(b.key, b.code, b.name, b.type, b.balance.minor, b.key in between)
                 for b in sorted(gl_balances(ctx, as_of=as_of), key=lambda b: b.code)
                 if b.currency == currency)


def income_and_expenses(ctx: Context, first: date, last: date, currency: str
                        ) -> tuple[int, int]:
    """Income and expenses (each on its normal side) posted from ``first`` to ``last``, the
    year-closing entries left out."""
    p, e, a, g = t.postings.c, t.journal_entries.c, t.accounts.c, t.gl_accounts.c
    rows = ctx.conn.execute(
        sa.select(g.type, sa.func.sum(p.amount).label("net"))
        .select_from(t.postings)
        .join(t.journal_entries, e.id == p.entry_id)
        .join(t.accounts, a.id == p.account_id)
        .join(t.gl_accounts, g.key == a.gl_key)
        .where(e.business_date >= first, e.business_date <= last, p.currency == currency,
               e.operation.not_in(CLOSING_OPERATIONS),
               g.type.in_((GLType.INCOME.value, GLType.EXPENSE.value)), *office_books(ctx, p))
        .group_by(g.type)
    )
    nets = {GLType(r.type): int(r.net) for r in rows}
    return -nets.get(GLType.INCOME, 0), nets.get(GLType.EXPENSE, 0)


def equity_on(ctx: Context, as_of: date, currency: str, unit: str | None = None) -> int:
    """Equity at the end of ``as_of``, with the surplus not yet closed (of one unit's
    books with ``unit``)."""
    keep = in_books(ctx, unit)
    totals: dict[GLType, int] = defaultdict(int)
    for line in gl_lines(ctx, as_of, currency):
        if keep(line.key) and not line.between:
            totals[line.type] += line.amount
    return totals[GLType.EQUITY] + totals[GLType.INCOME] - totals[GLType.EXPENSE]


def is_cash(gl_key: str) -> bool:
    """Cash and bank: the kernel chart's, and a unit's own cash (``<plugin>.cash``)."""
    return gl_key in CASH_KEYS or gl_key.endswith(".cash")


def cash_and_bank(ctx: Context, as_of: date, currency: str) -> int:
    return sum(b.balance.minor for b in gl_balances(ctx, as_of=as_of)
               if is_cash(b.key) and b.currency == currency)


def member_savings(ctx: Context, as_of: date, currency: str) -> int:
    """Member deposits: members' accounts under liability or equity GL accounts (non-member
    counterparties' left out)."""
    p, e, a, g, m = (t.postings.c, t.journal_entries.c, t.accounts.c, t.gl_accounts.c,
                     t.members.c)
    total = ctx.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(-p.amount), 0))
        .select_from(t.postings)
        .join(t.journal_entries, e.id == p.entry_id)
        .join(t.accounts, a.id == p.account_id)
        .join(t.members, m.id == a.member_id)
        .join(t.gl_accounts, g.key == a.gl_key)
        .where(m.membership == Membership.MEMBER.value, p.currency == currency,
               e.business_date <= as_of,
               g.type.in_((GLType.LIABILITY.value, GLType.EQUITY.value)), *office_books(ctx, p))
    ).scalar_one()
    return int(total)


def active_members(ctx: Context, as_of: date) -> int:
    """Members (non-member counterparties left out) active at the end of ``as_of``; of one
    office's books, those with an account in that office."""
    m, a = t.members.c, t.accounts.c
    query = sa.select(sa.func.count()).select_from(t.members).where(
        m.membership == Membership.MEMBER.value, m.joined_on.is_not(None), m.joined_on <= as_of,
        sa.or_(m.left_on.is_(None), m.left_on > as_of))
    if ctx.books_office_id is not None:
        query = query.where(sa.exists().where(a.member_id == m.id,
                                              a.office_id == ctx.books_office_id))
    return int(ctx.conn.execute(query).scalar_one())


def plugin_figures(ctx: Context, as_of: date, currency: str) -> dict[str, PluginFigure]:
    """The ``kopcore_health_figures`` of every plugin, added up per key (other currencies
    left out)."""
    found: dict[str, PluginFigure] = {}
    for plugin, figures in ctx.kernel.plugins.call("kopcore_health_figures", ctx=ctx,
                                                        as_of=as_of):
        for figure in figures:
            if not isinstance(figure, HealthFigure):
                continue
            if figure.unit is FigureUnit.MONEY and (figure.currency or currency) != currency:
                continue
            if figure.office_id != ctx.books_office_id:  # one office's books: its figures only
                continue
            known = found.get(figure.key)
            if known is None:
                found[figure.key] = PluginFigure(figure.key, figure.label or figure.key,
                                                 figure.unit, figure.value, (plugin,))
            else:
                found[figure.key] = attrs.evolve(known, value=known.value + figure.value,
                                                 plugins=(*known.plugins, plugin))
    return dict(sorted(found.items()))


def in_books(ctx: Context, unit: str | None) -> Callable[[str], bool]:
    """Whether a GL key is in the books assessed: every one, or one unit's."""
    return (lambda _key: True) if unit is None else unit_filter(ctx, unit)


def unit_figures(plugin: dict[str, PluginFigure], gl_keys: Iterable[str]
                 ) -> dict[str, PluginFigure]:
    """The plugins' figures of a unit: those whose key's prefix is one of its GL keys'."""
    prefixes = {key.split(".", 1)[0] for key in gl_keys if "." in key}
    return {k: v for k, v in plugin.items() if k.split(".", 1)[0] in prefixes}


def figures_on(ctx: Context, as_of: date, currency: str, *, detail: bool = True,
               unit: str | None = None) -> Figures:
    """The figures of ``as_of``; ``detail`` adds the GL lines and the member/non-member split
    of the year's income and expenses the worksheet traces its ratios to; ``unit`` one unit's
    books."""
    from kopcore._oversight.statements import income_by_business

    keep = in_books(ctx, unit)
    lines = tuple(line for line in gl_lines(ctx, as_of, currency) if keep(line.key))
    totals: dict[GLType, int] = defaultdict(int)
    for line in lines:
        if not line.between:
            totals[line.type] += line.amount
    business = {kind: {k: v for k, v in by_key.items() if keep(k)}
                for kind, by_key in income_by_business(
                    ctx, date(as_of.year, 1, 1), as_of, currency).items()} \
        if detail or unit is not None else {}
    if unit is None:
        income, expenses = income_and_expenses(ctx, date(as_of.year, 1, 1), as_of, currency)
    else:
        income, expenses = (sum(v[2] for (kind, _m), by_key in business.items()
                                if kind is which for v in by_key.values())
                            for which in (GLType.INCOME, GLType.EXPENSE))
    plugin = plugin_figures(ctx, as_of, currency)
    if unit is not None:
        plugin = unit_figures(plugin, (line.key for line in gl_lines(ctx, as_of, currency)
                                       if keep(line.key)))
    return Figures(
        as_of=as_of, currency=currency,
        total_assets=totals[GLType.ASSET],
        total_liabilities=totals[GLType.LIABILITY],
        equity=totals[GLType.EQUITY] + totals[GLType.INCOME] - totals[GLType.EXPENSE],
        cash_and_bank=sum(line.amount for line in lines if is_cash(line.key)),
        income_year_to_date=income,
        expenses_year_to_date=expenses,
        savings=member_savings(ctx, as_of, currency),
        members=active_members(ctx, as_of),
        plugin=plugin,
        temporary_syirkah=sum(line.amount for line in lines if line.between),
        lines=lines if detail else (),
        business=business if detail else {},
        unit=unit,
    )
