"""The books in beancount's plain-text format, for ``bean-check`` and beancount's tools.

- every account is opened on its opening date (and closed the day after it was closed), named
  ``<Assets|Liabilities|Equity|Income|Expenses>:<GL code>-<GL name>:<account number>``;
- every journal entry is a transaction with its postings, dated with its business date and
  carrying its entry id (``entry``) and operation as metadata;
- every open account's balance is asserted at the end of each month and of the period (a
  ``balance`` directive dated the next morning), from the running sums of the postings;
- a period that does not start with the books opens with one transaction carrying each
  account's balance before it, against ``Equity:Opening-Balances``.

A tool that did not write the books then checks them: ``bean-check`` verifies that every
transaction balances and every assertion holds, so an entry changed after the export (or a
posting lost from it) is found.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import func, select

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import GLType

ROOTS = {GLType.ASSET: "Assets", GLType.LIABILITY: "Liabilities", GLType.EQUITY: "Equity",
         GLType.INCOME: "Income", GLType.EXPENSE: "Expenses"}
OPENING = "Equity:Opening-Balances"
FETCH = 5000


def _component(text: str) -> str:
    """A valid account name component: letters, digits and dashes, starting with a capital
    letter or a digit."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    joined = "-".join(words) or "X"
    return joined[0].upper() + joined[1:]


def _quote(text: str) -> str:
    return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


class _Accounts:
    """The beancount name of each kopcore account, unique, with its currency and dates."""

    def __init__(self, ctx: Context) -> None:
        a, g = t.accounts.c, t.gl_accounts.c
        self.names: dict[int, str] = {}
        self.currency: dict[int, str] = {}
        self.opened: dict[int, date] = {}
        self.closed: dict[int, date | None] = {}
        taken: set[str] = set()
        for r in ctx.conn.execute(
                select(a.id, a.number, a.currency, a.opened_on, a.closed_on, g.type, g.code,
                       g.name).join(t.gl_accounts, g.key == a.gl_key).order_by(a.id)):
            name = (f"{ROOTS[GLType(r.type)]}:{_component(r.code + ' ' + r.name)}:"
                    f"{_component(r.number)}")
            if name in taken:
                name = f"{name}-{r.id}"
            taken.add(name)
            self.names[r.id] = name
            self.currency[r.id] = r.currency
            self.opened[r.id] = r.opened_on
            self.closed[r.id] = r.closed_on
        # An account opened after its first entry (a GL posting account, made when the chart
        # was set up, receiving a cut-over's opening balances dated the day before) opens on
        # the day of that entry.
        p, e = t.postings.c, t.journal_entries.c
        for account_id, first in ctx.conn.execute(
                select(p.account_id, func.min(e.business_date))
                .join(t.journal_entries, e.id == p.entry_id).group_by(p.account_id)):
            self.opened[account_id] = min(self.opened[account_id], first)

    def open_at(self, account_id: int, day: date) -> bool:
        closed = self.closed[account_id]
        return self.opened[account_id] <= day and (closed is None or closed > day)


def _amount(minor: int, currency: str) -> str:
    return f"{Money.stored(minor, currency).to_str()} {currency}"


def books(ctx: Context, from_date: date, to_date: date) -> Iterator[str]:
    """The beancount file for the period, line by line."""
    accounts = _Accounts(ctx)
    yield f"; kopcore: {ctx.settings.cooperative_name}, {from_date} to {to_date}\n"
    yield f"option \"title\" {_quote(ctx.settings.cooperative_name)}\n"
    yield f"option \"operating_currency\" \"{ctx.settings.currency}\"\n\n"
    first = min([*accounts.opened.values(), from_date])
    yield f"{first} open {OPENING}\n"
    for account_id, name in accounts.names.items():
        if accounts.opened[account_id] <= to_date:
            yield f"{accounts.opened[account_id]} open {name} {accounts.currency[account_id]}\n"
    yield "\n"
    running: dict[int, int] = defaultdict(int)
    p, e = t.postings.c, t.journal_entries.c
    before = ctx.conn.execute(
        select(p.account_id, func.sum(p.amount)).join(t.journal_entries, e.id == p.entry_id)
        .where(e.business_date < from_date).group_by(p.account_id)).all()
    opening = [(account_id, int(total)) for account_id, total in before if total]
    if opening:
        yield f"{from_date} * \"Saldo awal periode\"\n"
        totals: dict[str, int] = defaultdict(int)
        for account_id, total in opening:
            running[account_id] = total
            currency = accounts.currency[account_id]
            totals[currency] += total
            yield f"  {accounts.names[account_id]}  {_amount(total, currency)}\n"
        for currency, total in sorted(totals.items()):
            if total:
                yield f"  {OPENING}  {_amount(-total, currency)}\n"
        yield "\n"
    yield from _entries(ctx, accounts, running, from_date, to_date)
    for account_id, closed in accounts.closed.items():
        if closed is not None and from_date <= closed <= to_date:
            yield f"{closed + timedelta(days=1)} close {accounts.names[account_id]}\n"


def _assertions(accounts: _Accounts, running: dict[int, int], day: date) -> Iterator[str]:
    """Each account open at the end of ``day`` holds its running balance then."""
    yield f"; balances at the end of {day}\n"
    morning = day + timedelta(days=1)
    for account_id, name in accounts.names.items():
        if accounts.open_at(account_id, day):
            amount = _amount(running.get(account_id, 0), accounts.currency[account_id])
            yield f"{morning} balance {name}  {amount}\n"
    yield "\n"


def _entries(ctx: Context, accounts: _Accounts, running: dict[int, int], from_date: date,
             to_date: date) -> Iterator[str]:
    e, p = t.journal_entries.c, t.postings.c
    query = (
        select(e.id, e.business_date, e.memo, e.operation, p.account_id, p.amount, p.currency)
        .join(t.postings, p.entry_id == e.id)
        .where(e.business_date >= from_date, e.business_date <= to_date)
        .order_by(e.business_date, e.id, p.id).execution_options(yield_per=FETCH))
    current: int | None = None
    period_end = _month_end(from_date)
    for r in ctx.conn.execute(query):
        if r.id != current:
            if current is not None:
                yield "\n"
            while r.business_date > period_end:
                yield from _assertions(accounts, running, period_end)
                period_end = _month_end(period_end + timedelta(days=1))
            current = r.id
            yield (f"{r.business_date} * {_quote(r.memo)}\n  entry: {r.id}\n"
                   f"  operation: {_quote(r.operation)}\n")
        running[r.account_id] += r.amount
        yield f"  {accounts.names[r.account_id]}  {_amount(r.amount, r.currency)}\n"
    if current is not None:
        yield "\n"
    while period_end < to_date:
        yield from _assertions(accounts, running, period_end)
        period_end = _month_end(period_end + timedelta(days=1))
    yield from _assertions(accounts, running, to_date)
