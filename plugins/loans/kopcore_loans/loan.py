"""A loan as stored: its record, its schedule rows, its accounts, and who may see it."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import Conflict, Forbidden, Message, NotFound
from kopcore.ledger import Account
from kopcore_loans.messages import _
from kopcore_loans.schedule import Frequency, InterestMethod, accrued_through
from kopcore_loans.tables import events, installments, loans

#: Loan events that are a payment by (or for) the borrower.
PAYMENT_KINDS = ("repayment", "auto-debit", "settlement", "exit-netting")
#: Loan events that rescue a loan (penyelamatan: a restructuring). Under the KSP regime a loan
#: Diragukan turns Macet after 21 months with no repayment **or rescue** (DOMAIN.md §3).
RESCUE_KINDS = ("restructure",)


class LoanStatus(enum.StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ACTIVE = "active"
    CLOSED = "closed"
    WRITTEN_OFF = "written_off"


@attrs.frozen
class Loan:
    id: int
    number: str
    member_id: int
    product_id: int
    status: LoanStatus
    currency: str
    principal: int
    term: int
    method: InterestMethod
    frequency: Frequency
    annual_rate: Decimal
    rounding_unit: Decimal
    provisi_fee: int
    admin_fee: int
    purpose: str
    auto_debit: bool
    applied_by: str
    applied_on: date
    decided_by: str | None
    decided_on: date | None
    decision_note: str | None
    disbursed_on: date | None
    closed_on: date | None
    account_id: int | None
    interest_account_id: int | None
    interest_recognized: int
    penalty_due: int
    days_past_due: int
    collectibility: str | None
    allowance: int
    schedule_version: int
    written_off: int
    recovered: int
    doubtful_since: date | None = None
    rescuable: bool | None = None
    judged_by: str | None = None
    judged_on: date | None = None
    judgement_note: str | None = None
    group_id: int | None = None
    #: Simpanan wajib pinjam: the hold on the member's savings and its amount.
    blocked_hold_id: int | None = None
    blocked_savings: int = 0


@attrs.frozen
class ScheduleRow:
    id: int
    version: int
    seq: int
    period_start: date
    due_date: date
    principal: int
    interest: int
    principal_paid: int
    interest_paid: int
    interest_waived: int
    status: str
    paid_on: date | None

    @property
    def interest_charged(self) -> int:
        """The interest this row finally asks for (after any early-settlement waiver)."""
        return self.interest - self.interest_waived

    @property
    def principal_unpaid(self) -> int:
        return self.principal - self.principal_paid if self.status == "open" else 0

    @property
    def interest_unpaid(self) -> int:
        return self.interest_charged - self.interest_paid if self.status == "open" else 0

    @property
    def unpaid(self) -> int:
        return self.principal_unpaid + self.interest_unpaid


def loan_from_row(row: sa.Row[Any]) -> Loan:
    m = {c.name: row._mapping[c.name] for c in loans.columns}
    m["status"] = LoanStatus(m["status"])
    m["method"] = InterestMethod(m["method"])
    m["frequency"] = Frequency(m["frequency"])
    m["annual_rate"] = Decimal(m["annual_rate"])
    m["rounding_unit"] = Decimal(m["rounding_unit"])
    m["auto_debit"] = bool(m["auto_debit"])
    if m["rescuable"] is not None:
        m["rescuable"] = bool(m["rescuable"])
    return Loan(**m)


def row_from_db(row: sa.Row[Any]) -> ScheduleRow:
    m = dict(row._mapping)
    m.pop("loan_id")
    return ScheduleRow(**m)


def get_loan(ctx: Context, number: str, *, lock: bool = False) -> Loan:
    """The loan with this number. ``lock``: hold its row until the transaction ends, so two
    repayments of one loan never allocate the same installment (PostgreSQL; SQLite writers are
    serialised already)."""
    statement = sa.select(loans).where(loans.c.number == number)
    if lock and ctx.conn.dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = ctx.conn.execute(statement).first()
    if row is None:
        raise NotFound(_("loan {loan} not found", loan=number), field="loan")
    return loan_from_row(row)


def get_loan_by_id(ctx: Context, loan_id: int) -> Loan:
    return loan_from_row(ctx.conn.execute(sa.select(loans).where(loans.c.id == loan_id)).one())


def require_access(ctx: Context, loan: Loan) -> Loan:
    """Member principals may only see and act on their own loans."""
    principal = ctx.principal
    if principal is not None and principal.member_scoped \
            and principal.member_id != loan.member_id:
        raise Forbidden(_("members may only see their own loans"))
    return loan


def require_status(loan: Loan, *allowed: LoanStatus) -> None:
    if loan.status not in allowed:
        wanted = status_text(allowed[0])
        for other in allowed[1:]:
            wanted = _("{first} or {second}", first=wanted, second=status_text(other))
        raise Conflict(_("loan {loan} is {loan_status}; this needs it {wanted}",
                         loan=loan.number, loan_status=status_text(loan.status), wanted=wanted),
                       loan_status=loan.status.value)


def status_text(status: LoanStatus) -> Message:
    """A loan's status as people read it (``aktif``, ``lunas``, ``dihapusbukukan``)."""
    return {
        LoanStatus.APPLIED: _("applied"), LoanStatus.APPROVED: _("approved"),
        LoanStatus.REJECTED: _("rejected"), LoanStatus.CANCELLED: _("cancelled"),
        LoanStatus.ACTIVE: _("active"), LoanStatus.CLOSED: _("closed"),
        LoanStatus.WRITTEN_OFF: _("written off"),
    }[status]


def not_open(loan: Loan) -> Message:
    """Why a loan in its present status cannot take this action."""
    return _("loan {loan} is {loan_status}", loan=loan.number,
             loan_status=status_text(loan.status))


def schedule_rows(ctx: Context, loan_id: int, *, include_superseded: bool = False
                  ) -> list[ScheduleRow]:
    i = installments.c
    statement = sa.select(installments).where(i.loan_id == loan_id)
    if not include_superseded:
        statement = statement.where(i.status != "superseded")
    return [row_from_db(r) for r in
            ctx.conn.execute(statement.order_by(i.version, i.due_date, i.seq))]


def account_number(ctx: Context, account_id: int | None) -> str:
    if account_id is None:
        raise Conflict(_("the loan has no account yet (not disbursed)"))
    return query.account_number(ctx, account_id)


def principal_account(ctx: Context, loan: Loan) -> Account:
    return ledger.get_account(ctx, account_number(ctx, loan.account_id))


def interest_account(ctx: Context, loan: Loan) -> Account:
    return ledger.get_account(ctx, account_number(ctx, loan.interest_account_id))


def outstanding_principal(ctx: Context, loan: Loan) -> int:
    """Principal still owed, read from the ledger (the single source of truth)."""
    if loan.account_id is None or loan.status is not LoanStatus.ACTIVE:
        return 0
    return principal_account(ctx, loan).balance.minor


def earned_interest(rows: Iterable[ScheduleRow], day: date) -> int:
    """Interest the loan has earned by the end of ``day``: due installments in full, the
    period in progress pro rata by days, and what was paid on rows since superseded."""
    total = 0
    for row in rows:
        if row.status == "superseded":
            total += row.interest_paid
        else:
            total += max(accrued_through(row.period_start, row.due_date, row.interest_charged,
                                         day), row.interest_paid)
    return total


def oldest_unpaid_due(rows: Iterable[ScheduleRow], day: date) -> date | None:
    dues = [r.due_date for r in rows if r.unpaid > 0 and r.due_date <= day]
    return min(dues) if dues else None


def days_past_due(rows: Iterable[ScheduleRow], day: date) -> int:
    """Days since the oldest installment still unpaid fell due (0 on its due date)."""
    oldest = oldest_unpaid_due(rows, day)
    return (day - oldest).days if oldest is not None else 0


def record_event(ctx: Context, loan: Loan, kind: str, amount: int, *, penalty: int = 0,
                 interest: int = 0, principal: int = 0, entry_id: int | None = None,
                 note: str = "") -> None:
    ctx.conn.execute(events.insert().values(
        loan_id=loan.id, business_date=ctx.business_date, kind=kind, amount=amount,
        penalty=penalty, interest=interest, principal=principal, entry_id=entry_id,
        actor=ctx.actor, note=note[:500],
    ))


def update_loan(ctx: Context, loan: Loan, **values: Any) -> Loan:
    ctx.conn.execute(sa.update(loans).where(loans.c.id == loan.id).values(**values))
    return get_loan_by_id(ctx, loan.id)
