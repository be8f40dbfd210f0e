"""The loan book on a date (*daftar nominatif pinjaman*): every loan outstanding at the end of
a day with its class as it stood then, the list an examiner checks the health worksheet's
productive-asset figures against.

Each line is what :func:`kopcore_loans.health.loan_book` reads for the assessment of that day
(outstanding from the principal postings, arrears as end of day read them, the collateral
cover and the guarantors recorded by then, the officer's judgement in force then), so its
totals are the worksheet's figures: outstanding, non-performing, the problem-loan risk (50 %
Kurang Lancar + 75 % Diragukan + 100 % Macet, half up to the rupiah on the total), the risky
loans and the allowance required. Unlike ``loans.portfolio`` (the last end of day's classes),
any past date can be asked for.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import attrs
import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.errors import ValidationError
from kopcore.money import Money, exponent
from kopcore_loans.health import allowance_formed, loan_book
from kopcore_loans.kolektibilitas import problem_loan_risk
from kopcore_loans.messages import _
from kopcore_loans.policy_history import policy_on
from kopcore_loans.products import role_of


@attrs.frozen
class BookIn:
    as_of: date | None = attrs.field(default=None, metadata={
        "help": "End of this day (default: the business date)"})
    collectibility: str | None = attrs.field(default=None, metadata={
        "help": "Only loans of this class (its code: L, DPK, KL, D, M)", "max_length": 16})


@attrs.frozen
class BookLine:
    loan: str
    member_number: str
    member_name: str
    #: ``member``, or ``non-member`` for a counterparty served by agreement (Permenkop 8/2023):
    #: its loans are not loans to members (the worksheet's KAP a).
    membership: str
    outstanding: Money
    days_past_due: int
    #: The oldest installment then due with principal unpaid, and with interest unpaid.
    principal_since: date | None
    interest_since: date | None
    interest_arrears: Money
    collectibility: str
    collectibility_name: str
    cover: Money
    guaranteed: bool
    #: Pinjaman diberikan yang berisiko: no guarantor, the cover below the outstanding.
    risky: bool
    allowance_required: Money


@attrs.frozen
class BookClass:
    code: str
    name: str
    allowance_percent: str
    loans: int
    outstanding: Money
    allowance_required: Money


@attrs.frozen
class BookOut:
    """The loan book at the end of ``as_of``, line by line, with the worksheet's totals."""

    as_of: date
    regime: str
    items: list[BookLine]
    classes: list[BookClass]
    outstanding: Money
    non_performing: Money
    problem_loan_risk: Money
    risky: Money
    allowance_required: Money
    #: The balance of the PPAP GL account at the end of the day.
    allowance_formed: Money


def book(ctx: Context, data: BookIn) -> BookOut:
    """Every loan outstanding at the end of a day, classed as it stood then."""
    as_of = data.as_of or ctx.business_date
    if as_of > ctx.business_date:
        raise ValidationError(_("the loan book can be read up to the business date {day}",
                                day=ctx.business_date.isoformat()), field="as_of")
    chosen, classes = policy_on(ctx, as_of)
    codes = {c.code for c in classes}
    if data.collectibility is not None and data.collectibility not in codes:
        raise ValidationError(_("no collectibility class {code}", code=data.collectibility),
                              field="collectibility")
    cur = ctx.settings.currency
    lines = loan_book(ctx, as_of)
    m = query.members.c
    members = {row.id: (row.member_number, row.name, row.membership) for row in ctx.conn.execute(
        sa.select(m.id, m.member_number, m.name, m.membership)
        .where(m.id.in_(sorted({line.member_id for line in lines}))))}
    by_role: dict[str, int] = defaultdict(int)
    for line in lines:
        by_role[role_of(line.collectibility)] += line.outstanding
    shown = [line for line in lines
             if data.collectibility in (None, line.collectibility.code)]
    return BookOut(
        as_of, chosen.regime,
        [BookLine(line.number, *members[line.member_id], Money(line.outstanding, cur),
                  line.days_past_due, line.arrears.principal_since,
                  line.arrears.interest_since, Money(line.arrears.interest_arrears, cur),
                  line.collectibility.code, line.collectibility.name, Money(line.cover, cur),
                  line.guaranteed, line.risky, Money(line.allowance_required, cur))
         for line in shown],
        [BookClass(c.code, c.name, str(c.allowance_percent),
                   sum(1 for x in lines if x.collectibility.code == c.code),
                   Money(sum(x.outstanding for x in lines if x.collectibility.code == c.code),
                         cur),
                   Money(sum(x.allowance_required for x in lines
                             if x.collectibility.code == c.code), cur))
         for c in classes],
        Money(sum(x.outstanding for x in lines), cur),
        Money(sum(x.outstanding for x in lines if x.collectibility.non_performing), cur),
        Money(problem_loan_risk(by_role, int(10 ** exponent(cur))), cur),
        Money(sum(x.outstanding for x in lines if x.risky), cur),
        Money(sum(x.allowance_required for x in lines), cur),
        Money(allowance_formed(ctx, as_of), cur))
