"""Closing an office's day (tutup kas kantor) before the cooperative's end of day.

At the end of the counter's day each office counts its tellers' cash and vault. Closing the
office's day records each count against the books: each open cash or vault account of the
office is counted — a teller's drawer by the till count the teller recorded that day
(:mod:`kopcore._till_counts`, note by note) unless the closing names another figure, an account
nobody counted as zero — and each count must equal its balance (a difference, *selisih kas*, is
posted first, so the books say where it went). The
cooperative's end of day then runs only when every office holding cash has closed the business
date: :func:`offices_still_open` is what :func:`kopcore.eod.run_end_of_day` asks. A
cooperative with one office (the head office alone) closes its day as before, without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import attrs
from sqlalchemy import Connection, func, select

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import Conflict, ValidationError, message
from kopcore.ledger._offices import get_office, list_offices
from kopcore.ledger._records import AccountStatus, Office
from kopcore.money import Money

#: The GL accounts whose accounts an office counts when it closes its day.
COUNTED_GL_KEYS = ("cash", "vault")


@attrs.frozen
class OfficeDay:
    """One office's day: closed or not, by whom and when, and the cash counted."""

    office: Office
    business_date: date
    cash_accounts: int
    closed_by: str | None
    closed_at: datetime | None
    counted: int


def _cash_accounts(conn: Connection, office_id: int) -> list[Any]:
    a = t.accounts.c
    return list(conn.execute(
        select(a.id, a.number, a.balance, a.normal_sign, a.currency)
        .where(a.office_id == office_id, a.gl_key.in_(COUNTED_GL_KEYS), a.member_id.is_(None),
               a.status != AccountStatus.CLOSED.value).order_by(a.id)))


def tills_counted(conn: Connection, account_ids: list[int], day: date) -> dict[str, Money]:
    """The last till count of ``day`` of each of these accounts that has one (the tellers'
    counts by denomination, :mod:`kopcore._till_counts`), by account number."""
    c, a = t.till_counts.c, t.accounts.c
    last = (select(c.account_id, func.max(c.id).label("id"))
            .where(c.business_date == day, c.account_id.in_(account_ids))
            .group_by(c.account_id).subquery())
    return {r.number: Money.stored(r.counted, r.currency) for r in conn.execute(
        select(a.number, a.currency, c.counted).select_from(t.till_counts)
        .join(last, last.c.id == c.id).join(t.accounts, a.id == c.account_id))}


def close_office_day(ctx: Context, code: str, counts: Mapping[str, Money]) -> OfficeDay:
    """Close office ``code``'s current business date with the cash counted per account: an
    account not named takes the last till count a teller recorded for it that day, or zero
    when nobody counted it."""
    office = get_office(ctx.conn, code)
    day = ctx.business_date
    d = t.office_days.c
    if ctx.conn.execute(select(d.actor).where(d.office_id == office.id,
                                              d.business_date == day)).first():
        raise Conflict(message("the day {day} of office {code} is already closed",
                               day=day.isoformat(), code=code), field="office")
    accounts = _cash_accounts(ctx.conn, office.id)
    numbers = {row.number for row in accounts}
    stray = sorted(set(counts) - numbers)
    if stray:
        raise ValidationError(message("{stray}: not an open cash or vault account of office "
                                      "{code}", stray=', '.join(stray), code=code), field="counts")
    counts = {**tills_counted(ctx.conn, [row.id for row in accounts], day), **counts}
    differences = []
    for row in accounts:
        books = Money.stored(row.balance * row.normal_sign, row.currency)
        counted = counts.get(row.number, Money.zero(row.currency))
        if counted.currency != row.currency or counted.minor != books.minor:
            differences.append(message("{account}: counted {counted}, the books say {books}",
                                       account=row.number, counted=counted, books=books))
    if differences:
        listed = differences[0]
        for more in differences[1:]:
            listed = message("{listed}; {more}", listed=listed, more=more)
        raise Conflict(message("the cash counted differs from the books (selisih kas): "
                               "{differences}. Post the difference first, then close.",
                               differences=listed), field="counts")
    ctx.conn.execute(t.office_days.insert().values(office_id=office.id, business_date=day,
                                                   actor=ctx.actor, closed_at=datetime.now(UTC)))
    if accounts:
        ctx.conn.execute(t.office_cash_counts.insert(), [
            {"office_id": office.id, "business_date": day, "account_id": row.id,
             "counted": counts.get(row.number, Money.zero(row.currency)).minor,
             "balance": row.balance * row.normal_sign}
            for row in accounts])
    return office_days(ctx, day, only=office.id)[0]


def office_days(ctx: Context, day: date, *, only: int | None = None) -> list[OfficeDay]:
    """Every office's day ``day`` (or office ``only``'s), the head office first."""
    d, c, a = t.office_days.c, t.office_cash_counts.c, t.accounts.c
    closed = {row.office_id: row for row in ctx.conn.execute(
        select(d.office_id, d.actor, d.closed_at).where(d.business_date == day))}
    counted: dict[int, Any] = dict(ctx.conn.execute(
        select(c.office_id, func.sum(c.counted)).where(c.business_date == day)
        .group_by(c.office_id)).all())
    holding: dict[int, Any] = dict(ctx.conn.execute(
        select(a.office_id, func.count()).where(
            a.gl_key.in_(COUNTED_GL_KEYS), a.member_id.is_(None),
            a.status != AccountStatus.CLOSED.value).group_by(a.office_id)).all())
    return [OfficeDay(office, day, int(holding.get(office.id, 0)),
                      closed[office.id].actor if office.id in closed else None,
                      closed[office.id].closed_at if office.id in closed else None,
                      int(counted.get(office.id) or 0))
            for office in list_offices(ctx.conn) if only is None or office.id == only]


def offices_still_open(ctx: Context, day: date) -> list[Office]:
    """The offices holding cash that have not closed ``day``; none while the cooperative has
    only its head office."""
    days = office_days(ctx, day)
    if len(days) < 2:
        return []
    return [d.office for d in days if d.cash_accounts and d.closed_by is None]
