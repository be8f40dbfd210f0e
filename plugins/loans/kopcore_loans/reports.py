"""Portfolio reports: outstanding, aging and collectibility, NPL, PAR, arrears, member history.

Outstanding principal is read from the ledger (each loan's principal account); days past due,
class and allowance are as of the last end of day. Ratios are percentages with two decimals,
rounded half up, computed exactly.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.money import Money, exponent
from kopcore_loans.kolektibilitas import (
    interest_memorandum,
    non_accrual_codes,
    policy,
    problem_loan_risk,
)
from kopcore_loans.loan import LoanStatus, get_loan_by_id
from kopcore_loans.products import collectibility, role_of
from kopcore_loans.schedule import round_half_up
from kopcore_loans.tables import installments, loans, products

#: PAR-n: share of the outstanding of loans more than n days past due (DOMAIN.md §3).
PAR_DAYS = (1, 30, 90)
AGING_BUCKETS = ((0, 0), (1, 30), (31, 60), (61, 90), (91, 120), (121, 180), (181, None))


def percent(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole``, two decimals, half up ("12.50")."""
    if whole == 0:
        return "0.00"
    hundredths = round_half_up(Fraction(part * 10000, whole), 1)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def active_loans(ctx: Context) -> list[Any]:
    a = query.accounts.c
    return list(ctx.conn.execute(
        sa.select(loans.c.id, loans.c.number, loans.c.member_id, loans.c.days_past_due,
                  loans.c.collectibility, loans.c.allowance, loans.c.penalty_due,
                  products.c.code.label("product"), query.normal_balance().label("outstanding"))
        .join(query.accounts, a.id == loans.c.account_id)
        .join(products, products.c.id == loans.c.product_id)
        .where(loans.c.status == LoanStatus.ACTIVE.value).order_by(loans.c.id)
    ).all())


@attrs.frozen
class ClassLine:
    code: str
    name: str
    role: str
    min_days: int
    allowance_percent: str
    loans: int
    outstanding: Money
    allowance: Money
    share_percent: str


@attrs.frozen
class ProductLine:
    product: str
    loans: int
    outstanding: Money


@attrs.frozen
class AgingLine:
    days_from: int
    days_to: int | None
    loans: int
    outstanding: Money


@attrs.frozen
class Portfolio:
    """Outstanding portfolio with collectibility, NPL and portfolio at risk."""

    as_of: date
    #: The kolektibilitas regime the classes were judged by.
    regime: str
    loans: int
    outstanding: Money
    allowance: Money
    #: 50 % Kurang Lancar + 75 % Diragukan + 100 % Macet (the KSP health worksheet's).
    problem_loan_risk: Money
    npl_percent: str
    par_1_percent: str
    par_30_percent: str
    par_90_percent: str
    classes: list[ClassLine]
    products: list[ProductLine]
    aging: list[AgingLine]
    #: Interest the non-accrual loans (Diragukan, Macet) earned and not recognised as income:
    #: kept in memorandum until received (a note to the statements, not an asset).
    interest_memorandum: Money


def portfolio(ctx: Context) -> Portfolio:
    cur = ctx.settings.currency
    rows = active_loans(ctx)
    total = sum(int(r.outstanding) for r in rows)
    non_accrual = non_accrual_codes(ctx)
    classes = collectibility(ctx)
    class_lines = []
    npl = 0
    by_role: dict[str, int] = {}
    for cls in classes:
        mine = [r for r in rows if r.collectibility == cls.code]
        amount = sum(int(r.outstanding) for r in mine)
        if cls.non_performing:
            npl += amount
        by_role[role_of(cls)] = by_role.get(role_of(cls), 0) + amount
        class_lines.append(ClassLine(
            cls.code, cls.name, role_of(cls), cls.min_days, str(cls.allowance_percent), len(mine),
            Money(amount, cur), Money(sum(r.allowance for r in mine), cur),
            percent(amount, total)))
    by_product: dict[str, list[int]] = {}
    for r in rows:
        by_product.setdefault(r.product, []).append(int(r.outstanding))
    par = {n: sum(int(r.outstanding) for r in rows if r.days_past_due > n) for n in PAR_DAYS}
    aging = []
    for low, high in AGING_BUCKETS:
        mine = [r for r in rows if r.days_past_due >= low
                and (high is None or r.days_past_due <= high)]
        aging.append(AgingLine(low, high, len(mine),
                               Money(sum(int(r.outstanding) for r in mine), cur)))
    return Portfolio(
        ctx.business_date, policy(ctx).regime, len(rows), Money(total, cur),
        Money(sum(r.allowance for r in rows), cur),
        Money(problem_loan_risk(by_role, 10 ** exponent(cur)), cur), percent(npl, total),
        percent(par[1], total), percent(par[30], total), percent(par[90], total),
        class_lines,
        [ProductLine(code, len(v), Money(sum(v), cur)) for code, v in sorted(by_product.items())],
        aging,
        Money(sum(interest_memorandum(ctx, get_loan_by_id(ctx, r.id)) for r in rows
                  if r.collectibility in non_accrual), cur),
    )


@attrs.frozen
class ArrearsLine:
    loan: str
    member_number: str
    member_name: str
    phone: str | None
    days_past_due: int
    collectibility: str | None
    overdue: Money
    penalty: Money
    outstanding: Money


@attrs.frozen
class ArrearsList:
    """Loans with installments past due, the latest first: the collectors' list."""

    as_of: date
    items: list[ArrearsLine]


def arrears(ctx: Context, min_days: int = 1) -> ArrearsList:
    cur = ctx.settings.currency
    i, a, m = installments.c, query.accounts.c, query.members.c
    overdue = (sa.select(sa.func.coalesce(sa.func.sum(
        i.principal - i.principal_paid + i.interest - i.interest_waived - i.interest_paid), 0))
        .where(i.loan_id == loans.c.id, i.status == "open", i.due_date < ctx.business_date)
        .scalar_subquery())
    rows = ctx.conn.execute(
        sa.select(loans.c.number, m.member_number, m.name, m.phone, loans.c.days_past_due,
                  loans.c.collectibility, overdue.label("overdue"), loans.c.penalty_due,
                  query.normal_balance().label("outstanding"))
        .join(query.accounts, a.id == loans.c.account_id)
        .join(query.members, m.id == loans.c.member_id)
        .where(loans.c.status == LoanStatus.ACTIVE.value, loans.c.days_past_due >= min_days)
        .order_by(loans.c.days_past_due.desc(), loans.c.id)
    )
    return ArrearsList(ctx.business_date, [
        ArrearsLine(r.number, r.member_number, r.name, r.phone, r.days_past_due,
                    r.collectibility, Money(int(r.overdue), cur), Money(r.penalty_due, cur),
                    Money(int(r.outstanding), cur))
        for r in rows
    ])
