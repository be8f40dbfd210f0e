"""The loan portfolio's figures for the kernel's health assessment (``kopcore_health_figures``).

Everything is as it stood at the end of a business date, so a past date gives that day's
figures, not today's:

- outstanding principal per loan is the sum of the postings of its principal accounts (the
  original and, after restructuring, the restructured one) dated up to that day;
- the installments as they stood that day come from the schedule in force then (the version
  before a later restructuring), with what had been paid of them by then: today's paid
  amounts less what the payments after the day paid (the loan events' interest and
  principal), laid over the installments oldest first as repayments allocate
  (:func:`arrears_on`); days past due count from the oldest installment then due with
  anything unpaid;
- the class follows from the regime in force now and the classification table in force now
  (neither has history): by days past due, or under the KSP regime by the arrears on that day
  (principal arrears from the oldest installment with principal then unpaid, interest arrears
  from the oldest with interest then unpaid, the interest then due and unpaid — as end of day
  reads them), the collateral held on that day
  at the appraisal recorded by then, the officer's judgement in force then (the latest recorded
  by that day), the day the loan became Diragukan as recorded, and the last repayment and
  the last restructuring (a rescue) up to that day;
- the allowance required is the class's percentage of the outstanding — less the held
  collateral's cover for a non-performing class when the cooperative deducts collateral —
  rounded half up to the rupiah per loan, as end of day books it;
- the problem-loan risk of the KSP health worksheet (Perdep 06/2016 annex, productive-asset
  quality) is 50 % of the substandard (Kurang Lancar), 75 % of the doubtful (Diragukan) and
  100 % of the loss (Macet) classes' outstanding, rounded half up to the rupiah once on the
  total; each of the three is reported as its own figure too;
- the risky loans (*pinjaman diberikan yang berisiko*, Perdep 06/2016 annex, capital b and
  productive-asset quality d) are, by the definition the annex carries from Permen KUKM
  14/2009, "dana yang dipinjamkan ... kepada peminjam yang tidak mempunyai agunan yang memadai
  atau jaminan dari penjamin atau avalis yang dapat diandalkan": the outstanding of every loan
  that on that day had no guarantor (recorded by then, not released) and whose held
  collateral's cover (liquidation value, at the appraisal recorded by then) was less than its
  outstanding principal — kopcore's reading of *memadai*. The class does not enter it: a
  Macet loan fully covered is not risky in this sense (its risk is in the problem-loan risk);
- the loans to non-members (``loans.outstanding_non_members``) are the outstanding principal of
  the loans whose borrower is a non-member counterparty (``membership`` as it is now).

The allowance formed is the balance of the PPAP GL account (every account rolling up to it) from
its postings up to that day.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from fractions import Fraction

import attrs
import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.ledger import Membership
from kopcore.money import exponent
from kopcore.records import FigureUnit, HealthFigure
from kopcore_loans import gl
from kopcore_loans.collateral import cover_as_of, guaranteed_as_of
from kopcore_loans.kolektibilitas import (
    Arrears,
    classify_ksp,
    load_regime,
    problem_loan_risk,
)
from kopcore_loans.loan import PAYMENT_KINDS, ScheduleRow, row_from_db
from kopcore_loans.policy_history import policy_on
from kopcore_loans.products import CollectibilityClass, classify, role_of
from kopcore_loans.schedule import arrears_basis, round_half_up
from kopcore_loans.tables import events, installments, judgements, loans

OUTSTANDING = "loans.outstanding"
NON_PERFORMING = "loans.non_performing"
ALLOWANCE_REQUIRED = "loans.allowance_required"
ALLOWANCE_FORMED = "loans.allowance_formed"
BORROWERS = "loans.borrowers"
PROBLEM_LOAN_RISK = "loans.problem_loan_risk"
RISKY = "loans.risky"
#: The outstanding per role of the class the problem-loan risk weighs.
PROBLEM_ROLES = {"substandard": ("loans.substandard", "Pinjaman kurang lancar"),
                 "doubtful": ("loans.doubtful", "Pinjaman diragukan"),
                 "loss": ("loans.loss", "Pinjaman macet")}

_RESTRUCTURED_SUFFIX = re.compile(r"-R[0-9]+$")


def outstanding_by_loan(ctx: Context, as_of: date) -> dict[str, int]:
    """Loan number → principal outstanding at the end of ``as_of`` (non-zero only)."""
    p, e, a = query.postings.c, query.journal_entries.c, query.accounts.c
    rows = ctx.conn.execute(
        sa.select(a.number, sa.func.sum(p.amount * a.normal_sign).label("outstanding"))
        .select_from(query.postings)
        .join(query.journal_entries, e.id == p.entry_id)
        .join(query.accounts, a.id == p.account_id)
        .where(a.plugin == gl.PLUGIN, a.gl_key.in_((gl.RECEIVABLE, gl.RESTRUCTURED)),
               e.business_date <= as_of)
        .group_by(a.number)
    )
    totals: dict[str, int] = defaultdict(int)
    for number, outstanding in rows:
        totals[_RESTRUCTURED_SUFFIX.sub("", number)] += int(outstanding)
    return {number: amount for number, amount in totals.items() if amount != 0}


def allowance_formed(ctx: Context, as_of: date) -> int:
    """The PPAP balance (credit-normal, so positive when formed) at the end of ``as_of``."""
    p, e, a = query.postings.c, query.journal_entries.c, query.accounts.c
    total = ctx.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(p.amount), 0))
        .join(query.journal_entries, e.id == p.entry_id)
        .join(query.accounts, a.id == p.account_id)
        .where(a.gl_key == gl.ALLOWANCE, e.business_date <= as_of)
    ).scalar_one()
    return -int(total)


def version_in_force(restructured_on: list[date], as_of: date) -> int:
    """Schedule version 1 runs from disbursement; version k+1 from the k-th restructuring."""
    return 1 + sum(1 for day in restructured_on if day <= as_of)


@attrs.frozen
class ArrearsOn:
    """A loan's installments due by the end of a day and what of them was unpaid then."""

    #: The oldest installment due by then with anything unpaid (days past due count from it).
    oldest: date | None = None
    #: The oldest with principal unpaid, the oldest with interest unpaid.
    principal_since: date | None = None
    interest_since: date | None = None
    #: The interest of the installments due by then and unpaid then.
    interest_arrears: int = 0

    def days_past_due(self, as_of: date) -> int:
        return (as_of - self.oldest).days if self.oldest else 0


def arrears_on(rows: list[ScheduleRow], as_of: date, paid_later: tuple[int, int] = (0, 0)
               ) -> ArrearsOn:
    """The schedule ``rows`` (one version) as they stood at the end of ``as_of``.

    A repayment pays the installments oldest first, each part (interest, principal) in due
    order (:func:`kopcore_loans.repayment.allocate_payment`), so what had been paid of each
    part by a day fills the rows from the oldest. That is today's paid interest and principal
    of the rows less what the payments after the day paid (``paid_later``: the interest and
    principal of their loan events), laid over the rows oldest first — the same arrears end
    of day read that day (principal and interest each from its own oldest unpaid
    installment, the interest actually unpaid), not today's."""
    interest_left = max(0, sum(r.interest_paid for r in rows) - paid_later[0])
    principal_left = max(0, sum(r.principal_paid for r in rows) - paid_later[1])
    oldest = principal_since = interest_since = None
    arrears = 0
    for row in sorted(rows, key=lambda r: (r.due_date, r.seq)):
        if row.due_date > as_of:
            break
        interest_paid = min(row.interest_charged, interest_left)
        principal_paid = min(row.principal, principal_left)
        interest_left -= interest_paid
        principal_left -= principal_paid
        interest_unpaid = row.interest_charged - interest_paid
        if interest_unpaid > 0:
            interest_since = interest_since or row.due_date
            arrears += interest_unpaid
        if row.principal > principal_paid:
            principal_since = principal_since or row.due_date
        if interest_unpaid > 0 or row.principal > principal_paid:
            oldest = oldest or row.due_date
    return ArrearsOn(oldest, principal_since, interest_since, arrears)


def judgements_as_of(ctx: Context, loan_ids: list[int], as_of: date) -> dict[int, bool]:
    """Each loan's officer's judgement (rescuable or not) in force at the end of ``as_of``: the
    latest recorded by then (``loans_judgements``); loans judged only later are absent."""
    j = judgements.c
    found: dict[int, bool] = {}
    for loan_id, rescuable in ctx.conn.execute(
            sa.select(j.loan_id, j.rescuable)
            .where(j.loan_id.in_(loan_ids), j.judged_on <= as_of).order_by(j.judged_on, j.id)):
        found[int(loan_id)] = bool(rescuable)
    return found


@attrs.frozen
class LoanOnDate:
    """One loan as the books stood at the end of a day: a line of the nominative list
    (*daftar nominatif pinjaman*) behind the worksheet's figures."""

    loan_id: int
    number: str
    member_id: int
    outstanding: int
    arrears: ArrearsOn
    days_past_due: int
    collectibility: CollectibilityClass
    #: The held collateral's cover (liquidation value) at the appraisal recorded by then.
    cover: int
    guaranteed: bool
    #: The class's percentage of the outstanding (less the cover for a non-performing class
    #: when the cooperative deducts collateral), half up to the rupiah.
    allowance_required: int

    @property
    def risky(self) -> bool:
        """*Pinjaman diberikan yang berisiko*: no guarantor and the cover below the
        outstanding principal."""
        return self.cover < self.outstanding and not self.guaranteed


def loan_book(ctx: Context, as_of: date) -> list[LoanOnDate]:
    """Every loan outstanding at the end of ``as_of``, classed as it stood then (by number)."""
    outstanding = outstanding_by_loan(ctx, as_of)
    chosen = ctx.conn.execute(
        sa.select(loans.c.id, loans.c.number, loans.c.member_id, loans.c.frequency,
                  loans.c.rescuable, loans.c.doubtful_since)
        .where(loans.c.number.in_(list(outstanding))).order_by(loans.c.number)
    ).all()
    ids = [r.id for r in chosen]
    restructured: dict[int, list[date]] = defaultdict(list)
    last_paid: dict[int, date] = {}
    # What the payments after the day paid of the schedule in force on it: up to the first
    # restructuring after the day (later payments go to the new schedule).
    paid_later: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    superseded_later: set[int] = set()
    e = events.c
    for loan_id, day, kind, amount, interest, principal in ctx.conn.execute(
            sa.select(e.loan_id, e.business_date, e.kind, e.amount, e.interest, e.principal)
            .where(e.loan_id.in_(ids), sa.or_(e.business_date <= as_of,
                                              e.kind.in_(("restructure", *PAYMENT_KINDS))))
            .order_by(e.business_date, e.id)):
        if day > as_of:
            if kind == "restructure":
                superseded_later.add(loan_id)
            elif loan_id not in superseded_later:
                before = paid_later[loan_id]
                paid_later[loan_id] = (before[0] + interest, before[1] + principal)
        elif kind == "restructure":
            restructured[loan_id].append(day)
        elif kind in PAYMENT_KINDS and amount > 0:
            last_paid[loan_id] = day
    schedule: dict[int, list[ScheduleRow]] = defaultdict(list)
    for row in ctx.conn.execute(sa.select(installments).where(installments.c.loan_id.in_(ids))):
        schedule[row.loan_id].append(row_from_db(row))
    chosen_policy, classes = policy_on(ctx, as_of)
    regime = load_regime(chosen_policy.regime)
    cover = cover_as_of(ctx, ids, as_of)
    guaranteed = guaranteed_as_of(ctx, ids, as_of)
    judged = judgements_as_of(ctx, ids, as_of)
    by_code = {c.code: c for c in classes}
    rupiah = int(10 ** exponent(ctx.settings.currency))
    book = []
    for loan in chosen:
        amount = outstanding[loan.number]
        version = version_in_force(restructured[loan.id], as_of)
        rows = [r for r in schedule[loan.id] if r.version == version]
        state = arrears_on(rows, as_of, paid_later[loan.id])
        if regime.kind == "days":
            cls = classify(classes, state.days_past_due(as_of))
        else:
            doubtful_since = loan.doubtful_since if loan.doubtful_since is not None \
                and loan.doubtful_since <= as_of else None
            cls = by_code[classify_ksp(regime, Arrears(
                arrears_basis(loan.frequency, sum(1 for r in rows if r.principal)),
                state.principal_since, state.interest_since,
                amount + state.interest_arrears, cover.get(loan.id, 0), judged.get(loan.id),
                doubtful_since, last_paid.get(loan.id),
                max(restructured[loan.id], default=None)), as_of)]
        base = amount
        if chosen_policy.deduct_collateral and cls.non_performing:
            base = max(0, amount - cover.get(loan.id, 0))
        book.append(LoanOnDate(
            loan.id, loan.number, loan.member_id, amount, state, state.days_past_due(as_of),
            cls, cover.get(loan.id, 0), loan.id in guaranteed,
            round_half_up(Fraction(base) * Fraction(cls.allowance_percent) / 100, rupiah)))
    return book


def health_figures(ctx: Context, as_of: date) -> list[HealthFigure]:
    book = loan_book(ctx, as_of)
    currency = ctx.settings.currency
    rupiah = int(10 ** exponent(currency))
    by_role: dict[str, int] = defaultdict(int)
    for line in book:
        by_role[role_of(line.collectibility)] += line.outstanding
    total = sum(line.outstanding for line in book)
    non_performing = sum(line.outstanding for line in book if line.collectibility.non_performing)
    risky = sum(line.outstanding for line in book if line.risky)
    required = sum(line.allowance_required for line in book)
    borrowers = len({line.member_id for line in book})
    risk = problem_loan_risk(by_role, rupiah)
    return [
        HealthFigure(OUTSTANDING, total, label="Pinjaman beredar", currency=currency),
        HealthFigure(NON_PERFORMING, non_performing, label="Pinjaman bermasalah (NPL)",
                     currency=currency),
        *(HealthFigure(key, by_role[role], label=label, currency=currency)
          for role, (key, label) in PROBLEM_ROLES.items()),
        HealthFigure(PROBLEM_LOAN_RISK, risk,
                     label="Risiko pinjaman bermasalah (50% KL + 75% D + 100% M)",
                     currency=currency),
        HealthFigure(RISKY, risky, currency=currency,
                     label="Pinjaman diberikan yang berisiko (tanpa agunan memadai/penjamin)"),
        HealthFigure(ALLOWANCE_REQUIRED, required, label="PPAP wajib dibentuk",
                     currency=currency),
        HealthFigure(ALLOWANCE_FORMED, allowance_formed(ctx, as_of),
                     label="PPAP telah dibentuk", currency=currency),
        HealthFigure(BORROWERS, borrowers, FigureUnit.COUNT, label="Peminjam"),
        HealthFigure(NON_MEMBERS, outstanding_non_members(
            ctx, {line.number: line.outstanding for line in book}),
                     label="Pinjaman kepada non-anggota", currency=currency),
    ]


#: The principal lent to non-member counterparties (Permenkop 8/2023), taken off the loans to
#: members (``member_loans``, pinjaman anggota / pinjaman) by the health assessment.
NON_MEMBERS = "loans.outstanding_non_members"


def outstanding_non_members(ctx: Context, outstanding: dict[str, int]) -> int:
    """Of ``outstanding`` (loan number -> principal outstanding on the date), the loans whose
    borrower is a non-member counterparty (``membership`` as it is now)."""
    m = query.members.c
    numbers = ctx.conn.execute(
        sa.select(loans.c.number).join(query.members, m.id == loans.c.member_id)
        .where(m.membership == Membership.NON_MEMBER.value)).scalars()
    return sum(outstanding.get(number, 0) for number in numbers)
