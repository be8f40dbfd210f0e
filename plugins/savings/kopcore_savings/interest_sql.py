"""Jasa simpanan computed by the database: the end of day's posting, set-based.

:func:`settle_sql` gives the same :class:`~kopcore_savings.settlement.Settlement` as the Python
rules of :mod:`kopcore_savings.interest` (:func:`~kopcore_savings.interest.settle_python`,
which the tests hold it to: hand-computed figures, random accounts and extreme amounts, on
SQLite and PostgreSQL), from one ``SELECT`` per chunk that returns a row per account and
calendar month with that month's gross interest and withholding tax already rounded. Python
only gathers the rows into records and posting lines; the entry is posted through the
kernel's pipeline (set-based for an entry of thousands of lines).

Exact integer arithmetic, the same statement in both dialects
-------------------------------------------------------------

With ``D = days_in_year * 1,000,000`` (rates are parts per million), an account's interest in
a month is ``N / D`` minor units for an integer ``N`` (a sum of ``balance * rate`` terms), and
it is never formed: each day's balance ``b`` is split as ``b = (b / D) * D + b % D`` and the
database sums ``A = sum((b / D) * rate)`` (whole minor units) and ``B = sum((b % D) * rate)``
(units of ``1 / D``) separately, so that ``N / D = A + B / D`` exactly. The running total over
the period's months is ``T + R / D`` with ``T = A + B / D`` and ``R = B % D`` (integer
division), and rounding half up to the unit ``u`` needs no product at all::

    round(T + R / D) = (T / u) * u + u   when 2 * (T % u) >= u,
                                          or 2 * (T % u) + 1 = u and 2 * R >= D
                     = (T / u) * u       otherwise

(the fraction ``(T % u + R / D) / u`` reaches one half exactly then). The withholding tax on a
month's gross ``g`` is rounded the same way with ``g = (g / 10^6) * 10^6 + g % 10^6``.
Every value is a non-negative integer, so SQL's integer division truncating towards zero is
the floor the rules use. The average balance is compared with the minimum through the floor
of the average, ``(H / n) * K + ((H % n) * K + L) / n`` with ``H = sum(b / K)``,
``L = sum(b % K)``, ``K = 10^9``: ``sum(b) / n < minimum`` exactly when that floor is below
the (integer) minimum.

The bound: SQLite's integers are 64-bit (beyond 2^63 - 1 ~ 9.22 * 10^18 its arithmetic turns
to floating point, its ``SUM`` fails); PostgreSQL's ``SUM`` of ``BIGINT`` is exact and cast
back to ``BIGINT``, which fails rather than wraps. With balances up to 10^17 minor units (the
money range), rates up to 100 % (10^6 ppm) and ``D >= 3.6 * 10^8``, each day adds at most
``(10^17 / D) * 10^6 < 2.8 * 10^14`` to ``A`` and less than ``D * 10^6 <= 3.66 * 10^14`` to
``B``: 10,000 accrual days of one account (27 years; a posting period has at most 366) stay
under 3.7 * 10^18. ``H`` grows by at most 10^8 and ``L`` by less than 10^9 a day. The lowest
balance ``m`` of the lowest-balance method is split the same way (``(m / D) * days_rate`` and
``(m % D) * days_rate``, ``days_rate <= 10^4 * 10^6``). Carried-over interest (at most the
money range) and the rounding unit (at most the money range too) only appear in sums and
remainders below these. The tests post the largest balances at 100 % on both databases.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore_savings.products import PPM, InterestMethod
from kopcore_savings.settlement import Settlement
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import carried_interest, interest_days, products, tax_changes

#: The split of balances for the average-balance test (see the module's docstring).
K = 1_000_000_000


def _big(value: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """A sum back to ``BIGINT`` (PostgreSQL's ``SUM`` of ``BIGINT`` is ``NUMERIC``)."""
    return sa.cast(value, sa.BigInteger)


def _zero() -> sa.ColumnElement[int]:
    return sa.literal(0, sa.BigInteger)


def half_up(whole: sa.ColumnElement[int], rest: sa.ColumnElement[int],
            denominator: sa.ColumnElement[int], unit: sa.ColumnElement[int]
            ) -> sa.ColumnElement[int]:
    """``whole + rest / denominator`` (``whole >= 0``, ``0 <= rest < denominator``) rounded
    half up to a multiple of ``unit``, without multiplying any two of them."""
    twice = 2 * (whole % unit)
    return whole // unit * unit + sa.case(
        (sa.or_(twice >= unit, sa.and_(twice + 1 == unit, 2 * rest >= denominator)), unit),
        else_=_zero())


def _month_start(dialect: str, day: sa.ColumnElement[date]) -> sa.ColumnElement[date]:
    """The first day of the month of ``day``, as a date."""
    if dialect == "sqlite":  # dates are ISO strings
        return sa.type_coerce(sa.func.date(day, "start of month"), sa.Date)
    # On a timestamp without time zone: no time zone conversion for each row.
    return sa.cast(sa.func.date_trunc("month", sa.cast(day, sa.DateTime)), sa.Date)


def _tax_in_force(column: str, code: sa.ColumnElement[str], month: sa.ColumnElement[date],
                  default: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    """The withholding-tax ``rate_ppm`` or ``threshold`` in force for ``month``: the latest
    change from that month or earlier (:meth:`SavingsProduct.tax_in`), else the product's."""
    t = tax_changes.c
    latest = (sa.select(t[column]).where(t.product_code == code, t.valid_from <= month)
              .order_by(t.valid_from.desc()).limit(1).scalar_subquery())
    return sa.func.coalesce(latest, default)


def interest_query(dialect: str, where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """One row per account with accrual rows in ``[:low, :high]`` up to ``:up_to`` matching
    ``where`` (a condition on ``savings_accounts``), and calendar month of those rows, in
    account and month order:

    ``account_id, number, member_id, closed, expense_gl_key, month, gross, tax, period_from,
    days, lowest, carried`` — ``gross`` and ``tax`` the month's, rounded as
    :func:`~kopcore_savings.interest.monthly_amounts` rounds them; ``period_from``, ``days`` and
    ``lowest`` (balance) over all the account's rows; ``carried`` its carried-over interest or
    NULL."""
    d, s, p = interest_days.c, savings_accounts.c, products.c
    low, high = sa.bindparam("low", type_=sa.Integer), sa.bindparam("high", type_=sa.Integer)
    up_to = sa.bindparam("up_to", type_=sa.Date)
    year = p.days_in_year * sa.literal(PPM, sa.BigInteger)
    b, rate, method = d.balance, d.rate_ppm, p.interest_method
    # The balance each day counts with, for the daily and the average balance methods (the
    # lowest balance method multiplies the period's lowest balance instead).
    counted = sa.case(
        (method == InterestMethod.LOWEST.value, _zero()),
        (sa.and_(method == InterestMethod.DAILY.value, b < p.interest_min_balance), _zero()),
        else_=b)
    month = _month_start(dialect, d.business_date).label("month")
    # Per account and month: the sums the three methods need, split so none can overflow.
    sums = (
        sa.select(
            d.account_id, month,
            sa.func.count().label("n"),
            _big(sa.func.sum(rate)).label("rates"),
            _big(sa.func.sum(counted // year * rate)).label("pa"),
            _big(sa.func.sum(counted % year * rate)).label("pb"),
            _big(sa.func.sum(b // K)).label("bh"),
            _big(sa.func.sum(b % K)).label("bl"),
            sa.func.min(b).label("low"),
            sa.func.min(d.business_date).label("first"))
        .select_from(interest_days.join(savings_accounts, s.account_id == d.account_id)
                     .join(products, p.code == s.product_code))
        # Every table by the id range (an index range each): a join alone would let the
        # planner scan an index from its start for the last chunks.
        .where(d.account_id.between(low, high), s.account_id.between(low, high),
               d.business_date <= up_to, where)
        .group_by(d.account_id, month)
        .subquery("sums"))
    m = sums.c
    whole = m.account_id
    # Over the account's whole period: days, the average's parts, the lowest balance.
    period = sa.select(
        m.account_id, m.month, m.rates, m.pa, m.pb,
        _big(sa.func.sum(m.n).over(partition_by=whole)).label("days"),
        _big(sa.func.sum(m.bh).over(partition_by=whole)).label("bh"),
        _big(sa.func.sum(m.bl).over(partition_by=whole)).label("bl"),
        sa.func.min(m.low).over(partition_by=whole).label("lowest"),
        sa.func.min(m.first).over(partition_by=whole).label("period_from"),
        sa.func.row_number().over(partition_by=whole, order_by=m.month).label("k"),
    ).subquery("period")
    q = period.c
    a, c = query.accounts.c, carried_interest.c
    average = (q.bh // q.days) * K + ((q.bh % q.days) * K + q.bl) // q.days
    minimum = p.interest_min_balance
    first = sa.case((q.k == 1, sa.func.coalesce(c.amount, _zero())), else_=_zero())
    # This month's exact interest is A + B / D minor units (carried-over interest in the first).
    nothing = sa.or_(sa.and_(method == InterestMethod.AVERAGE.value, average < minimum),
                     sa.and_(method == InterestMethod.LOWEST.value, q.lowest < minimum))
    part_a = sa.case(
        (nothing, _zero()),
        (method == InterestMethod.LOWEST.value, q.lowest // year * q.rates),
        else_=q.pa) + first
    part_b = sa.case(
        (nothing, _zero()),
        (method == InterestMethod.LOWEST.value, q.lowest % year * q.rates),
        else_=q.pb)
    exact = (
        sa.select(
            q.account_id, a.number, s.member_id,
            (a.status == "closed").label("closed"),
            p.expense_gl_key, p.rounding_unit.label("unit"), year.label("year"),
            q.month, q.period_from, q.days, q.lowest, c.amount.label("carried"),
            part_a.label("a"), part_b.label("b"),
            _big(sa.func.sum(part_a).over(partition_by=q.account_id, order_by=q.month)
                 ).label("ra"),
            _big(sa.func.sum(part_b).over(partition_by=q.account_id, order_by=q.month)
                 ).label("rb"),
            _tax_in_force("rate_ppm", p.code, q.month, p.tax_rate_ppm).label("tax_rate"),
            _tax_in_force("threshold", p.code, q.month, p.tax_threshold).label("threshold"))
        .select_from(period.join(savings_accounts, s.account_id == q.account_id)
                     .join(products, p.code == s.product_code)
                     .join(query.accounts, a.id == q.account_id)
                     .outerjoin(carried_interest, sa.and_(c.account_id == q.account_id,
                                                          c.account_id.between(low, high))))
        .where(s.account_id.between(low, high), a.id.between(low, high))
        .subquery("exact"))
    e = exact.c
    # The rounded running total through this month, less the one through the month before.
    total = half_up(e.ra + e.rb // e.year, e.rb % e.year, e.year, e.unit)
    before_a, before_b = e.ra - e.a, e.rb - e.b
    earlier = half_up(before_a + before_b // e.year, before_b % e.year, e.year, e.unit)
    monthly = sa.select(
        e.account_id, e.number, e.member_id, e.closed, e.expense_gl_key, e.unit, e.month,
        e.period_from, e.days, e.lowest, e.carried, e.tax_rate, e.threshold,
        (total - earlier).label("gross")).subquery("monthly")
    g = monthly.c
    # gross * rate / 10^6 = (gross / 10^6) * rate + (gross % 10^6) * rate / 10^6
    share = g.gross % PPM * g.tax_rate
    tax = sa.case(
        (g.gross > g.threshold,  # a rate of 0 gives 0
         half_up(g.gross // PPM * g.tax_rate + share // PPM, share % PPM,
                 sa.literal(PPM, sa.BigInteger), g.unit)),
        else_=_zero())
    return (
        sa.select(g.account_id, g.number, g.member_id, g.closed, g.expense_gl_key, g.month,
                  g.gross, tax.label("tax"), g.period_from, g.days, g.lowest, g.carried)
        .order_by(g.account_id, g.month))


@functools.lru_cache(maxsize=4)
def _chunk_query(dialect: str) -> sa.Select[Any]:
    """:func:`interest_query` for the accounts of the products ``:codes`` (an end-of-day
    chunk), built once per dialect."""
    codes = sa.bindparam("codes", type_=sa.String)  # in_() makes it expanding
    return interest_query(dialect, savings_accounts.c.product_code.in_(codes))


def settle_sql(ctx: Context, up_to: date, where: sa.ColumnElement[bool], ids: tuple[int, int]
               ) -> Settlement:
    """The :class:`~kopcore_savings.settlement.Settlement` of the accounts matching ``where``
    (a condition on ``savings_accounts`` within the id range ``ids``) for their accrual up to
    ``up_to``, computed by the database (:func:`interest_query`)."""
    rows = ctx.conn.execute(interest_query(ctx.conn.dialect.name, where),
                            {"low": ids[0], "high": ids[1], "up_to": up_to})
    return _settlement(ctx, rows, up_to)


def settle_chunk(ctx: Context, up_to: date, codes: list[str], ids: tuple[int, int]
                 ) -> Settlement:
    """:func:`settle_sql` for the accounts of the products ``codes`` with ids in ``ids`` (an
    end-of-day chunk), by a statement built once."""
    rows = ctx.conn.execute(_chunk_query(ctx.conn.dialect.name),
                            {"low": ids[0], "high": ids[1], "up_to": up_to, "codes": codes})
    return _settlement(ctx, rows, up_to)


def _settlement(ctx: Context, rows: Iterable[Any], up_to: date) -> Settlement:
    """Gather :func:`interest_query` rows into a settlement: nothing but sums and rows."""
    out = Settlement()
    records, monthly, credits = out.records, out.monthly, out.credits
    expense: dict[str, int] = {}
    paid_on = ctx.business_date
    keys: dict[date, str] = {}
    tax_total = 0
    current: int | None = None
    record: dict[str, Any] = {}
    number = ""
    for (account_id, number_, member_id, closed, expense_key, month, gross, tax, period_from,
         days, lowest, carried) in rows:
        if lowest < 0 or (carried is not None and carried < 0):
            raise ValueError("interest is never negative")
        if account_id != current:
            if record and record["gross"] != record["tax"]:
                credits.append((number, record["gross"] - record["tax"]))
            current, number = account_id, number_
            record = {"account_id": account_id, "period_from": period_from,
                      "period_to": up_to, "days": int(days), "gross": 0, "tax": 0}
            records.append(record)
            if carried is not None:
                out.paid_carried.append(account_id)
        if closed or not gross:
            continue
        record["gross"] += gross
        record["tax"] += tax
        tax_total += tax
        expense[expense_key] = expense.get(expense_key, 0) + gross
        key = keys.get(month)
        if key is None:
            key = keys[month] = month.strftime("%Y-%m")
        monthly.append({"account_id": account_id, "member_id": member_id, "month": key,
                        "source": "sukarela", "gross": gross, "tax": tax,
                        "paid_on": paid_on})
    if record and record["gross"] != record["tax"]:
        credits.append((number, record["gross"] - record["tax"]))
    out.expense = expense
    out.tax = tax_total
    return out
