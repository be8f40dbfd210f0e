"""Jasa simpanan: interest on sukarela savings, accrued at end of day and posted per period.

Accrual records each account's end-of-day balance and the rate in force in
``savings_interest_days`` (one INSERT ... SELECT per chunk). Posting, at the end of a product's
period, turns those rows into one exact amount per account, with annual rate ``i`` (the day's
rate) and days-in-year ``Y``:

- daily balance: sum_d balance_d * i_d / Y, counting only days at or above the minimum balance;
- average balance: (sum_d balance_d / n) * i * n / Y, nothing when the average is below the
  minimum;
- lowest balance: min_d balance_d * i * n / Y, nothing when the lowest is below the minimum.

The exact result (a fraction of a sen) is rounded **once**, half up to the product's rounding unit
(Rp1 by default), when it is posted. Withholding tax (PPh final, PP 15/2009) is judged **per
calendar month**, never on a posting period as a whole: a period's interest is split by the
month its days fall in, each month's gross is the difference of the rounded running total (so the
months add up to the period's once-rounded gross exactly), and a month whose gross is **above**
the product's threshold is taxed ``gross * rate`` on the whole month, rounded half up to the same
unit. The member is credited ``gross - tax``; each month's figures are kept in
``savings_interest_months`` (the withholding slip and the monthly recap read them).

At end of day the database computes these figures (:mod:`kopcore_savings.interest_sql`, one
``SELECT`` per chunk, exact integer arithmetic); the functions here are the rules it is checked
against, and compute a single account's settlement when it is closed. A product whose rate is
set to zero during a period stops accruing, and the days it accrued before are still posted at
the period's end.

Interest an account had accrued in the cooperative's previous books when it moved to kopcore
(``savings_carried_interest``, written by the cut-over import) is added to the exact amount of
its first posting, before rounding and tax: it belongs to the same period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_savings import chart, interest_sql, tax_aggregation
from kopcore_savings.products import (
    PPM,
    InterestMethod,
    SavingsProduct,
    SavingsType,
    list_products,
)
from kopcore_savings.settlement import Settlement
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import (
    carried_interest,
    interest_days,
    interest_months,
    interest_postings,
    products,
)


def round_half_up(value: Fraction, unit: int) -> int:
    """A non-negative exact amount of minor units rounded half up to a multiple of ``unit``."""
    if value < 0:
        raise ValueError("interest is never negative")
    # floor(n/d / unit + 1/2) in integers: end of day rounds one amount per account.
    n, d = value.numerator, value.denominator
    return (2 * n + d * unit) // (2 * d * unit) * unit


@attrs.frozen
class RateSpan:
    """The accrual days of one account at one rate: how many, the sum of their balances, the
    sum of those at or above the minimum balance for interest, and the lowest balance.

    Balances are never negative (a savings account's floor is zero at least): a negative one
    would make the interest negative, which :func:`round_half_up` refuses."""

    rate_ppm: int
    days: int
    balance_sum: int
    eligible_sum: int
    lowest: int


def monthly_exact(product: SavingsProduct, by_month: Mapping[date, Iterable[RateSpan]]
                  ) -> list[tuple[date, Fraction]]:
    """Interest of one account for its accrual days, exactly (in minor units), per month
    (``by_month`` keys: the first day of each month), in month order.

    The minimum balance applies as the method says, over all the days given (the period): the
    average and the lowest balance are the period's, a month's share is its days' part."""
    months = sorted(by_month)
    spans = {m: list(by_month[m]) for m in months}
    every = [s for m in months for s in spans[m]]
    if not every:
        return []
    year = product.days_in_year * PPM
    minimum = product.interest_min_balance
    method = product.interest_method
    if method is InterestMethod.DAILY:
        return [(m, Fraction(sum(s.eligible_sum * s.rate_ppm for s in spans[m]), year))
                for m in months]
    if method is InterestMethod.AVERAGE:
        if Fraction(sum(s.balance_sum for s in every), sum(s.days for s in every)) < minimum:
            return [(m, Fraction(0)) for m in months]
        return [(m, Fraction(sum(s.balance_sum * s.rate_ppm for s in spans[m]), year))
                for m in months]
    lowest = min(s.lowest for s in every)
    if lowest < minimum:
        return [(m, Fraction(0)) for m in months]
    return [(m, Fraction(sum(lowest * s.days * s.rate_ppm for s in spans[m]), year))
            for m in months]


def exact_interest(product: SavingsProduct, spans: Iterable[RateSpan]) -> Fraction:
    """Interest of one account for its accrual days, exactly (in minor units)."""
    return sum((x for _, x in monthly_exact(product, {date.min: spans})), Fraction(0))


@attrs.frozen
class InterestAmount:
    gross: int
    tax: int

    @property
    def net(self) -> int:
        return self.gross - self.tax


@attrs.frozen
class MonthAmount:
    """One calendar month's interest of an account: the withholding tax is judged on it."""

    month: date
    gross: int
    tax: int


def month_tax(product: SavingsProduct, gross: int, month: date = date.min) -> int:
    """PPh final on one month's gross interest: nothing up to the threshold in force for the
    month, otherwise the rate on the whole month, rounded half up to the product's unit."""
    rate, threshold = product.tax_in(month)
    if gross > threshold and rate:
        return round_half_up(Fraction(gross * rate, PPM), product.rounding_unit)
    return 0


def interest_amount(product: SavingsProduct, exact: Fraction,
                    month: date = date.min) -> InterestAmount:
    """Round one month's exact interest and take withholding tax above the threshold."""
    gross = round_half_up(exact, product.rounding_unit)
    return InterestAmount(gross, month_tax(product, gross, month))


def monthly_amounts(product: SavingsProduct, exact_by_month: Iterable[tuple[date, Fraction]]
                    ) -> list[MonthAmount]:
    """Each month's gross (the rounded running total less what earlier months got, so the
    months sum to the whole rounded once) and its tax."""
    out: list[MonthAmount] = []
    running, paid = Fraction(0), 0
    for month, exact in exact_by_month:
        running += exact
        total = round_half_up(running, product.rounding_unit)
        out.append(MonthAmount(month, total - paid, month_tax(product, total - paid, month)))
        paid = total
    return out


def total_amount(months: Iterable[MonthAmount]) -> InterestAmount:
    months = list(months)
    return InterestAmount(sum(m.gross for m in months), sum(m.tax for m in months))


def month_rows(account_id: int, member_id: int, months: Iterable[MonthAmount], *,
               source: str, paid_on: date) -> list[dict[str, Any]]:
    """``savings_interest_months`` rows of one payment (``entry_id`` set by the caller)."""
    return [{"account_id": account_id, "member_id": member_id,
             "month": m.month.strftime("%Y-%m"), "source": source, "gross": m.gross,
             "tax": m.tax, "paid_on": paid_on} for m in months if m.gross]


# --- accrual (end of day) ---------------------------------------------------------------------


def accrue_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Record the end-of-day balance of the interest-earning accounts with ids in
    ``[low, high]`` not yet accrued for ``day``: one INSERT ... SELECT and one UPDATE."""
    s, a, p = savings_accounts.c, query.accounts.c, products.c
    pending = sa.and_(
        s.account_id.between(low, high),
        sa.or_(s.accrued_through.is_(None), s.accrued_through < day),
    )
    source = (
        sa.select(s.account_id, sa.literal(day, sa.Date), query.normal_balance(), p.rate_ppm)
        .select_from(savings_accounts.join(query.accounts, a.id == s.account_id)
                     .join(products, p.code == s.product_code))
        .where(pending, p.type == "sukarela", p.rate_ppm > 0, a.status != "closed",
               s.opened_on <= day)
    )
    ctx.conn.execute(sa.insert(interest_days).from_select(
        ["account_id", "business_date", "balance", "rate_ppm"], source))
    d = interest_days.c
    done = ctx.conn.execute(
        sa.update(savings_accounts).where(
            pending,
            sa.exists().where(d.account_id == s.account_id, d.business_date == day),
        ).values(accrued_through=day)
    )
    return int(done.rowcount)


# --- posting ----------------------------------------------------------------------------------


def period_ends(product: SavingsProduct, day: date) -> bool:
    """True when ``day`` is the last day of one of the product's posting periods."""
    tomorrow = day + timedelta(days=1)
    return tomorrow.day == 1 and day.month % product.posting_months == 0


def due_products(ctx: Context, day: date) -> list[SavingsProduct]:
    """The sukarela products whose posting period ends on ``day``: those with a rate, and those
    whose rate was set to zero during the period (their earlier days are still owed)."""
    return [p for p in list_products(ctx)
            if p.type is SavingsType.SUKARELA and period_ends(p, day)]


Spans = dict[date, list[RateSpan]]


def _spans(ctx: Context, up_to: date, where: sa.ColumnElement[bool], ids: tuple[int, int]
           ) -> dict[int, tuple[str, Spans, date]]:
    """Unposted accrual per account: (product code, spans by month and rate, first day)."""
    d, s, p = interest_days.c, savings_accounts.c, products.c
    eligible = sa.case((d.balance >= p.interest_min_balance, d.balance), else_=0)
    year, month = sa.extract("year", d.business_date), sa.extract("month", d.business_date)
    rows = ctx.conn.execute(
        sa.select(d.account_id, s.product_code, year, month, d.rate_ppm, sa.func.count(),
                  sa.func.sum(d.balance), sa.func.sum(eligible), sa.func.min(d.balance),
                  sa.func.min(d.business_date))
        .select_from(interest_days.join(savings_accounts, s.account_id == d.account_id)
                     .join(products, p.code == s.product_code))
        .where(d.account_id.between(*ids), d.business_date <= up_to, where)
        .group_by(d.account_id, s.product_code, year, month, d.rate_ppm)
        .order_by(d.account_id)
    )
    found: dict[int, tuple[str, Spans, date]] = {}
    for account_id, code, y, m, rate, days, total, eligible_sum, lowest, first in rows:
        span = RateSpan(int(rate), int(days), int(total), int(eligible_sum), int(lowest))
        key = date(int(y), int(m), 1)
        if account_id in found:
            _, spans, earlier = found[account_id]
            spans.setdefault(key, []).append(span)
            found[account_id] = (code, spans, min(earlier, first))
        else:
            found[account_id] = (code, {key: [span]}, first)
    return found


def _months(product: SavingsProduct, spans: Spans, carried: int) -> list[MonthAmount]:
    """The months of an account's unposted interest; carried-over interest joins the first."""
    exact = monthly_exact(product, spans)  # one item per month of ``spans``: never empty
    if carried:
        exact[0] = (exact[0][0], exact[0][1] + carried)
    return monthly_amounts(product, exact)


def settle_python(ctx: Context, up_to: date, where: sa.ColumnElement[bool],
                  ids: tuple[int, int]) -> Settlement:
    """The :class:`Settlement` of the accounts matching ``where`` (a condition on
    ``savings_accounts``) for their accrual up to ``up_to``, computed in Python with exact
    fractions: the rules the database's computation is checked against."""
    spans = _spans(ctx, up_to, where, ids)
    out = Settlement()
    if not spans:
        return out
    carried = _carried(ctx, where, ids)
    by_code = {p.code: p for p in list_products(ctx)}
    a, s = query.accounts.c, savings_accounts.c
    # The accounts are those ``where`` selects: a join, not a list of thousands of ids.
    numbers: dict[int, tuple[str, int]] = {row.id: (row.number, row.member_id) for row in
                                           ctx.conn.execute(
        sa.select(a.id, a.number, s.member_id).join(savings_accounts, s.account_id == a.id)
        .where(where, a.status != "closed"))}
    expense: dict[str, int] = defaultdict(int)
    for account_id, (code, account_spans, first) in sorted(spans.items()):
        product = by_code[code]
        months = _months(product, account_spans, carried.get(account_id, 0))
        if account_id not in numbers:  # closed outside savings (at zero): nothing to credit
            months = []
        amount = total_amount(months)
        out.records.append({"account_id": account_id, "period_from": first,
                            "period_to": up_to,
                            "days": sum(s.days for m in account_spans.values() for s in m),
                            "gross": amount.gross, "tax": amount.tax})
        if amount.gross == 0:
            continue
        number, member_id = numbers[account_id]
        out.monthly += month_rows(account_id, member_id, months, source="sukarela",
                                  paid_on=ctx.business_date)
        expense[product.expense_gl_key] += amount.gross
        out.tax += amount.tax
        if amount.net:
            out.credits.append((number, amount.net))
    out.expense = dict(expense)
    out.paid_carried = sorted(set(carried) & set(spans))
    return out


def write_settlement(ctx: Context, settlement: Settlement, up_to: date,
                     where: sa.ColumnElement[bool], ids: tuple[int, int], *, memo: str,
                     idempotency_key: str | None = None) -> int:
    """Write a :class:`Settlement` as ONE journal entry (its tax judged on the member's
    accounts together first, when the policy says so: :mod:`kopcore_savings.tax_aggregation`;
    a legal entity's by PPh pasal 23: :mod:`kopcore_savings.entity_tax`):
    debit each product's expense account,
    credit each member account its net interest, credit the tax payable; then its records, and
    delete the accrual rows (and carried-over interest) it paid. Returns the number of accounts
    settled."""
    if not settlement.records:
        return 0
    tax_aggregation.judge(ctx, settlement)
    currency = ctx.settings.currency
    entry_id = None
    if settlement.expense:
        lines = [PostingLine(number, Side.CREDIT, Money(net, currency))
                 for number, net in settlement.credits]
        lines += [PostingLine(ledger.gl_account_number(key), Side.DEBIT, Money(total, currency))
                  for key, total in sorted(settlement.expense.items())]
        if settlement.tax:
            lines.append(PostingLine(ledger.gl_account_number(chart.TAX_PAYABLE_GL),
                                     Side.CREDIT, Money(settlement.tax, currency)))
        entry_id = ledger.post_entry(ctx, lines, memo=memo, idempotency_key=idempotency_key).id
    for record in settlement.records:
        record["entry_id"] = entry_id
    for record in settlement.monthly:
        record["entry_id"] = entry_id
    ledger.insert_rows(ctx, interest_postings, settlement.records)
    ledger.insert_rows(ctx, interest_months, settlement.monthly)
    d, s = interest_days.c, savings_accounts.c
    ctx.conn.execute(sa.delete(interest_days).where(
        d.account_id.between(*ids), d.account_id.in_(sa.select(s.account_id).where(where)),
        d.business_date <= up_to))
    if settlement.paid_carried:
        ctx.conn.execute(sa.delete(carried_interest).where(
            carried_interest.c.account_id.in_(settlement.paid_carried)))
    return len(settlement.records)


def post_interest(ctx: Context, up_to: date, where: sa.ColumnElement[bool],
                  ids: tuple[int, int], *, memo: str, idempotency_key: str | None = None) -> int:
    """Post the unposted interest of the accounts matching ``where`` (a condition on
    ``savings_accounts``) accrued up to ``up_to``, as ONE journal entry, computed in Python
    (:func:`settle_python`; a single account's settlement, and the oracle of the end of
    day's computation in the database). ``ids`` is the range of account ids ``where`` stays
    within: the accrual rows are read and deleted by it directly (an index range), not only
    through the join. Returns the number of accounts settled."""
    return write_settlement(ctx, settle_python(ctx, up_to, where, ids), up_to, where, ids,
                            memo=memo, idempotency_key=idempotency_key)


def _carried(ctx: Context, where: sa.ColumnElement[bool], ids: tuple[int, int]
             ) -> dict[int, int]:
    """Interest carried over from the previous books (a cut-over) of the accounts ``where``
    selects, paid with their first posting in kopcore."""
    c, s = carried_interest.c, savings_accounts.c
    return {account_id: int(amount) for account_id, amount in ctx.conn.execute(
        sa.select(c.account_id, c.amount).where(
            c.account_id.between(*ids), c.account_id.in_(sa.select(s.account_id).where(where))))}


def post_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """End-of-day posting of the period's interest for accounts ``[low, high]`` of the
    products whose period ends on ``day``, computed in the database
    (:func:`kopcore_savings.interest_sql.settle_chunk`)."""
    codes = [p.code for p in due_products(ctx, day)]
    if not codes:
        return 0
    s = savings_accounts.c
    where = sa.and_(s.account_id.between(low, high), s.product_code.in_(codes))
    settlement = interest_sql.settle_chunk(ctx, day, codes, (low, high))
    return write_settlement(ctx, settlement, day, where, (low, high),
                            memo=f"Jasa simpanan s.d. {day.isoformat()}",
                            idempotency_key=f"savings.interest:{day.isoformat()}:{low}-{high}")


def settle_account(ctx: Context, account_id: int) -> int:
    """Post an account's interest accrued so far (before it is closed or its member leaves)."""
    return post_interest(ctx, ctx.business_date, savings_accounts.c.account_id == account_id,
                         (account_id, account_id),
                         memo="Jasa simpanan berjalan (penutupan rekening)")


def accrued_estimate(ctx: Context, account_id: int, product: SavingsProduct) -> int:
    """Gross interest accrued and not yet posted, rounded as it would be posted now."""
    spans = _spans(ctx, ctx.business_date, savings_accounts.c.account_id == account_id,
                   (account_id, account_id))
    carried = _carried(ctx, savings_accounts.c.account_id == account_id,
                       (account_id, account_id)).get(account_id, 0)
    if account_id not in spans:
        return round_half_up(Fraction(carried), product.rounding_unit)
    return total_amount(_months(product, spans[account_id][1], carried)).gross
