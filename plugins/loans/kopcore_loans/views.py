"""Output classes of the loans operations, and how they are built from stored loans."""

from __future__ import annotations

from datetime import date

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.money import Money
from kopcore.views import EntryOut
from kopcore_loans.collateral import Collateral, loan_collateral
from kopcore_loans.kolektibilitas import interest_memorandum
from kopcore_loans.loan import (
    Loan,
    LoanStatus,
    ScheduleRow,
    interest_account,
    outstanding_principal,
    schedule_rows,
)
from kopcore_loans.products import CollectibilityClass, Product, get_product_by_id, role_of
from kopcore_loans.schedule import Installment
from kopcore_loans.tables import events, groups, guarantors


@attrs.frozen
class ProductOut:
    """A loan product."""

    code: str
    name: str
    method: str
    frequency: str
    annual_rate: str
    rounding_unit: str
    min_amount: Money
    max_amount: Money
    min_term: int
    max_term: int
    savings_multiple: str | None
    provisi_percent: str
    admin_fee: Money
    fees_deducted: bool
    penalty_percent_per_day: str
    penalty_base: str
    grace_days: int
    allocation_order: str
    accounting: str
    settlement_interest: str
    exit_netting: bool
    active: bool
    blocked_savings_percent: str

    @classmethod
    def of(cls, p: Product) -> ProductOut:
        cur = p.currency
        return cls(
            p.code, p.name, p.method.value, p.frequency.value, str(p.annual_rate),
            str(p.rounding_unit), Money(p.min_amount, cur), Money(p.max_amount, cur),
            p.min_term, p.max_term,
            str(p.savings_multiple) if p.savings_multiple is not None else None,
            str(p.provisi_percent), Money(p.admin_fee, cur), p.fees_deducted,
            str(p.penalty_percent_per_day), p.penalty_base.value, p.grace_days,
            ",".join(p.allocation_order), p.accounting.value, p.settlement_interest.value,
            p.exit_netting, p.active,
            format(p.blocked_savings_percent.normalize(), "f") if p.blocked_savings_percent
            else "0")


@attrs.frozen
class ProductsOut:
    items: list[ProductOut]


@attrs.frozen
class InstallmentOut:
    seq: int
    version: int
    period_start: date
    due_date: date
    principal: Money
    interest: Money
    installment: Money
    principal_paid: Money
    interest_paid: Money
    interest_waived: Money
    status: str


@attrs.frozen
class ScheduleOut:
    """An installment schedule (jadwal angsuran): Σ principal equals the loan amount."""

    loan: str | None
    principal: Money
    term: int
    method: str
    frequency: str
    annual_rate: str
    total_principal: Money
    total_interest: Money
    total_installments: Money
    installments: list[InstallmentOut]


def simulated_schedule(principal: Money, term: int, method: str, frequency: str,
                       annual_rate: str, rows: list[Installment]) -> ScheduleOut:
    cur = principal.currency
    zero = Money(0, cur)
    lines = [InstallmentOut(r.seq, 1, r.period_start, r.due_date, Money(r.principal, cur),
                            Money(r.interest, cur), Money(r.amount, cur), zero, zero, zero,
                            "simulated") for r in rows]
    return _schedule(None, principal, term, method, frequency, annual_rate, lines)


def _schedule(loan: str | None, principal: Money, term: int, method: str, frequency: str,
              annual_rate: str, lines: list[InstallmentOut]) -> ScheduleOut:
    cur = principal.currency
    live = [x for x in lines if x.status != "superseded"]
    total_p = sum(x.principal.minor for x in live)
    total_i = sum(x.interest.minor - x.interest_waived.minor for x in live)
    return ScheduleOut(loan, principal, term, method, frequency, annual_rate, Money(total_p, cur),
                       Money(total_i, cur), Money(total_p + total_i, cur), lines)


def installment_out(row: ScheduleRow, cur: str) -> InstallmentOut:
    return InstallmentOut(
        row.seq, row.version, row.period_start, row.due_date, Money(row.principal, cur),
        Money(row.interest, cur), Money(row.principal + row.interest_charged, cur),
        Money(row.principal_paid, cur), Money(row.interest_paid, cur),
        Money(row.interest_waived, cur), row.status)


def loan_schedule_out(ctx: Context, loan: Loan, *, history: bool) -> ScheduleOut:
    rows = schedule_rows(ctx, loan.id, include_superseded=history)
    lines = [installment_out(r, loan.currency) for r in rows]
    return _schedule(loan.number, Money(loan.principal, loan.currency), loan.term,
                     loan.method.value, loan.frequency.value, str(loan.annual_rate), lines)


@attrs.frozen
class GuarantorOut:
    member_number: str
    name: str
    relationship: str
    added_on: date
    released_on: date | None


@attrs.frozen
class CollateralOut:
    """An agunan: what it is, its values, its binding, the documents held and its status."""

    id: int
    kind: str
    description: str
    value: Money
    liquidation_value: Money | None
    cover: Money
    binding: str
    binding_ref: str | None
    owner: str | None
    documents: str | None
    appraised_on: date | None
    document_ref: str | None
    status: str
    added_on: date
    added_by: str
    released_on: date | None
    release_note: str | None
    returned_on: date | None
    returned_to: str | None

    @classmethod
    def of(cls, c: Collateral, currency: str) -> CollateralOut:
        liquidation = None if c.liquidation_value is None else Money(c.liquidation_value,
                                                                     currency)
        return cls(c.id, c.kind, c.description, Money(c.value, currency), liquidation,
                   Money(c.cover, currency), c.binding.value, c.binding_ref, c.owner,
                   c.documents, c.appraised_on, c.document_ref, c.status.value, c.added_on,
                   c.added_by, c.released_on, c.release_note, c.returned_on, c.returned_to)


@attrs.frozen
class LoanOut:
    """A loan (pinjaman) with its balances as of now."""

    number: str
    member_number: str
    member_name: str
    product: str
    status: str
    principal: Money
    term: int
    method: str
    frequency: str
    annual_rate: str
    provisi_fee: Money
    admin_fee: Money
    purpose: str
    auto_debit: bool
    applied_by: str
    applied_on: date
    decided_by: str | None
    decided_on: date | None
    disbursed_on: date | None
    closed_on: date | None
    outstanding_principal: Money
    interest_receivable: Money
    overdue: Money
    penalty_due: Money
    days_past_due: int
    collectibility: str | None
    allowance: Money
    next_due_date: date | None
    next_due_amount: Money
    written_off: Money
    recovered: Money
    schedule_version: int
    guarantors: list[GuarantorOut]
    collateral: list[CollateralOut]
    #: Non-accrual (Diragukan, Macet): interest earned and not received, kept in memorandum
    #: and not income until it is paid.
    interest_memorandum: Money
    #: KSP regime: when the loan became Diragukan; an officer's judgement of its rescue.
    doubtful_since: date | None
    rescuable: bool | None
    judged_by: str | None
    judged_on: date | None
    judgement_note: str | None
    #: A group loan's group code (tanggung renteng).
    group: str | None
    #: Simpanan wajib pinjam blocked in the member's savings until payoff.
    blocked_savings: Money


def loan_out(ctx: Context, loan: Loan) -> LoanOut:
    cur = loan.currency
    member = ledger.get_member_by_id(ctx, loan.member_id)
    product = get_product_by_id(ctx, loan.product_id)
    rows = schedule_rows(ctx, loan.id)
    today = ctx.business_date
    overdue = sum(r.unpaid for r in rows if r.due_date < today)
    upcoming = [r for r in rows if r.unpaid > 0 and r.due_date >= today]
    receivable = memorandum = 0
    if loan.status is LoanStatus.ACTIVE:
        receivable = interest_account(ctx, loan).balance.minor
        memorandum = interest_memorandum(ctx, loan)
    g, m = guarantors.c, ledger.get_member_by_id
    guarantor_rows = ctx.conn.execute(sa.select(guarantors).where(g.loan_id == loan.id)
                                      .order_by(g.id)).all()
    return LoanOut(
        loan.number, member.member_number, member.name, product.code, loan.status.value,
        Money(loan.principal, cur), loan.term, loan.method.value, loan.frequency.value,
        str(loan.annual_rate), Money(loan.provisi_fee, cur), Money(loan.admin_fee, cur),
        loan.purpose, loan.auto_debit, loan.applied_by, loan.applied_on, loan.decided_by,
        loan.decided_on, loan.disbursed_on, loan.closed_on,
        Money(outstanding_principal(ctx, loan), cur), Money(receivable, cur),
        Money(overdue, cur), Money(loan.penalty_due, cur), loan.days_past_due,
        loan.collectibility, Money(loan.allowance, cur),
        upcoming[0].due_date if upcoming else None,
        Money(upcoming[0].unpaid if upcoming else 0, cur),
        Money(loan.written_off, cur), Money(loan.recovered, cur), loan.schedule_version,
        [GuarantorOut(m(ctx, r.member_id).member_number, m(ctx, r.member_id).name,
                      r.relationship, r.added_on, r.released_on) for r in guarantor_rows],
        [CollateralOut.of(c, cur) for c in loan_collateral(ctx, loan.id)],
        Money(memorandum, cur), loan.doubtful_since, loan.rescuable, loan.judged_by,
        loan.judged_on, loan.judgement_note, _group_code(ctx, loan.group_id),
        Money(loan.blocked_savings, cur),
    )


def _group_code(ctx: Context, group_id: int | None) -> str | None:
    if group_id is None:
        return None
    return str(ctx.conn.execute(sa.select(groups.c.code).where(groups.c.id == group_id)
                                ).scalar_one())


@attrs.frozen
class LoanEntryOut:
    """A loan after an action, and the journal entry the action posted (if any)."""

    loan: LoanOut
    entry: EntryOut | None


@attrs.frozen
class PaymentOut:
    """A repayment and how it was allocated."""

    loan: LoanOut
    entry: EntryOut | None
    penalty: Money
    interest: Money
    principal: Money


@attrs.frozen
class SettlementQuoteOut:
    """What settles a loan today (pelunasan), with the interest the rule waives."""

    loan: str
    rule: str
    penalty: Money
    interest: Money
    principal: Money
    total: Money
    interest_waived: Money


@attrs.frozen
class EventOut:
    business_date: date
    kind: str
    amount: Money
    penalty: Money
    interest: Money
    principal: Money
    entry_id: int | None
    actor: str
    note: str


@attrs.frozen
class HistoryOut:
    """Everything that happened to a loan, in order."""

    loan: str
    events: list[EventOut]


def history_out(ctx: Context, loan: Loan) -> HistoryOut:
    cur = loan.currency
    e = events.c
    rows = ctx.conn.execute(sa.select(events).where(e.loan_id == loan.id).order_by(e.id))
    return HistoryOut(loan.number, [
        EventOut(r.business_date, r.kind, Money(r.amount, cur), Money(r.penalty, cur),
                 Money(r.interest, cur), Money(r.principal, cur), r.entry_id, r.actor, r.note)
        for r in rows
    ])


@attrs.frozen
class LoanSummary:
    number: str
    member_number: str
    product: str
    status: str
    principal: Money
    outstanding_principal: Money
    days_past_due: int
    collectibility: str | None
    applied_on: date
    disbursed_on: date | None
    closed_on: date | None


@attrs.frozen
class LoansPage:
    items: list[LoanSummary]
    next_after: int | None


def loan_summary(ctx: Context, loan: Loan) -> LoanSummary:
    cur = loan.currency
    return LoanSummary(
        loan.number, ledger.get_member_by_id(ctx, loan.member_id).member_number,
        get_product_by_id(ctx, loan.product_id).code, loan.status.value,
        Money(loan.principal, cur), Money(outstanding_principal(ctx, loan), cur),
        loan.days_past_due, loan.collectibility, loan.applied_on, loan.disbursed_on,
        loan.closed_on)


@attrs.frozen
class ClassOut:
    code: str
    name: str
    min_days: int
    allowance_percent: str
    non_performing: bool
    role: str

    @classmethod
    def of(cls, c: CollectibilityClass) -> ClassOut:
        return cls(c.code, c.name, c.min_days, str(c.allowance_percent), c.non_performing,
                   role_of(c))


@attrs.frozen
class ClassesOut:
    """The kolektibilitas classes in force."""

    classes: list[ClassOut]


@attrs.frozen
class MemberHistoryOut:
    """Every loan of a member, with its events."""

    member_number: str
    loans: list[LoanSummary]
    histories: list[HistoryOut]
