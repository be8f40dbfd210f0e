"""The journal, GL balances and member accounts of a period, as rows (streamed from the
postings, never from cached balances)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import ValidationError, message
from kopcore.money import Money
from kopcore.records import GLType

#: Rows fetched from the database at a time while streaming.
FETCH = 5000

JOURNAL_HEADER = ("entry_id", "tanggal", "memo", "operasi", "pelaku", "membalik_entry",
                  "nomor_rekening", "nama_rekening", "kode_akun", "nama_akun", "debit",
                  "kredit", "mata_uang")
BALANCES_HEADER = ("kode_akun", "nama_akun", "jenis", "saldo_awal", "debit", "kredit",
                   "saldo_akhir", "mata_uang")
ACCOUNTS_HEADER = ("nomor_rekening", "nama_rekening", "nomor_anggota", "nama_anggota",
                   "produk", "kode_akun", "nama_akun", "status", "dibuka", "ditutup", "saldo",
                   "mata_uang")


def _major(minor: int, currency: str) -> Decimal:
    return Decimal(Money.stored(minor, currency).to_str())


def journal_rows(ctx: Context, from_date: date, to_date: date) -> Iterator[tuple[Any, ...]]:
    """One row per posting of the entries dated in the period, in entry order."""
    e, p, a, g = t.journal_entries.c, t.postings.c, t.accounts.c, t.gl_accounts.c
    query = (
        select(e.id, e.business_date, e.memo, e.operation, e.actor, e.reverses_entry_id,
               a.number, a.name, g.code, g.name.label("gl_name"), p.amount, p.currency)
        .select_from(t.postings.join(t.journal_entries, e.id == p.entry_id)
                     .join(t.accounts, a.id == p.account_id)
                     .join(t.gl_accounts, g.key == a.gl_key))
        .where(e.business_date >= from_date, e.business_date <= to_date)
        .order_by(e.id, p.id)
        .execution_options(yield_per=FETCH)
    )
    for r in ctx.conn.execute(query):
        amount = _major(abs(r.amount), r.currency)
        yield (r.id, r.business_date, r.memo, r.operation, r.actor, r.reverses_entry_id,
               r.number, r.name, r.code, r.gl_name,
               amount if r.amount > 0 else None, amount if r.amount < 0 else None, r.currency)


def balance_rows(ctx: Context, from_date: date, to_date: date) -> list[tuple[Any, ...]]:
    """Each GL account's balance before the period, its debits and credits in the period and
    its balance at the end, on its normal side (neraca saldo with movements)."""
    e, p, a, g = t.journal_entries.c, t.postings.c, t.accounts.c, t.gl_accounts.c
    before = case((e.business_date < from_date, p.amount), else_=0)
    within = e.business_date >= from_date
    sums = (
        select(a.gl_key.label("gl_key"), p.currency.label("currency"),
               func.sum(before).label("opening"),
               func.sum(case((and_(within, p.amount > 0), p.amount), else_=0)).label("debit"),
               func.sum(case((and_(within, p.amount < 0), -p.amount), else_=0)).label("credit"))
        .select_from(t.postings.join(t.journal_entries, e.id == p.entry_id)
                     .join(t.accounts, a.id == p.account_id))
        .where(e.business_date <= to_date)
        .group_by(a.gl_key, p.currency).subquery())
    rows = []
    for r in ctx.conn.execute(
            select(g.code, g.name, g.type, g.contra, sums.c.currency, sums.c.opening,
                   sums.c.debit, sums.c.credit)
            .join(sums, sums.c.gl_key == g.key).order_by(g.code, sums.c.currency)):
        sign = 1 if GLType(r.type).debit_normal != bool(r.contra) else -1
        opening, debit, credit = int(r.opening), int(r.debit), int(r.credit)
        rows.append((r.code, r.name, r.type, _major(opening * sign, r.currency),
                     _major(debit, r.currency), _major(credit, r.currency),
                     _major((opening + debit - credit) * sign, r.currency), r.currency))
    return rows


def account_rows(ctx: Context, to_date: date) -> Iterator[tuple[Any, ...]]:
    """Every member account opened by ``to_date`` with its balance at the end of that day."""
    e, p, a, g, m = (t.journal_entries.c, t.postings.c, t.accounts.c, t.gl_accounts.c,
                     t.members.c)
    sums = (select(p.account_id.label("account_id"), func.sum(p.amount).label("total"))
            .select_from(t.postings.join(t.journal_entries, e.id == p.entry_id))
            .where(e.business_date <= to_date).group_by(p.account_id).subquery())
    query = (
        select(a.number, a.name, m.member_number, m.name.label("member_name"),
               a.product_code, g.code, g.name.label("gl_name"), a.status, a.opened_on,
               a.closed_on, a.normal_sign, a.currency,
               func.coalesce(sums.c.total, 0).label("total"))
        .select_from(t.accounts.join(t.members, m.id == a.member_id)
                     .join(t.gl_accounts, g.key == a.gl_key)
                     .outerjoin(sums, sums.c.account_id == a.id))
        .where(a.opened_on <= to_date).order_by(a.id)
        .execution_options(yield_per=FETCH)
    )
    for r in ctx.conn.execute(query):
        closed = r.closed_on if r.closed_on is not None and r.closed_on <= to_date else None
        status = r.status if r.closed_on is None or closed is not None else "open"
        yield (r.number, r.name, r.member_number, r.member_name, r.product_code, r.code,
               r.gl_name, status, r.opened_on, closed,
               _major(int(r.total) * r.normal_sign, r.currency), r.currency)


def first_day(ctx: Context) -> date:
    """The first business date of the books (the business date when they are empty)."""
    earliest = ctx.conn.execute(select(func.min(t.journal_entries.c.business_date))
                                ).scalar_one()
    return earliest if earliest is not None else ctx.business_date


def period(ctx: Context, from_date: date | None, to_date: date | None) -> tuple[date, date]:
    """The period asked for, defaulting to the whole books up to the business date."""
    start = from_date or first_day(ctx)
    end = to_date or ctx.business_date
    if start > end:
        raise ValidationError(message("from_date is after to_date"), field="from_date")
    return start, end
