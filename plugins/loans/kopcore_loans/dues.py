"""Loan installments and penalties as members' dues (``kopcore_member_dues``,
``kopcore_settle_dues``).

Each open installment of an active loan due by the period's end is one due, kind
``loans.installment``, reference ``<loan id>:<installment id>``, for what it still asks
(interest and principal): priority ``overdue`` when it fell due before the period, otherwise
``current``. An unpaid late penalty (denda) is one due of kind ``loans.penalty``, priority
``other``, reference ``<loan id>:penalty``, dated the business date.

Settling splits each installment's amount between its interest and principal in the product's
allocation order and credits them as a repayment does (principal account; interest receivable
up to what was accrued, then income; penalty income). Once the collector's entry is posted the
schedule is updated, a ``repayment`` event records the entry, and a loan fully repaid closes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.errors import Conflict
from kopcore.ledger import JournalEntry
from kopcore.money import Money
from kopcore.records import DueLines, DuePriority, DueSettlement, MemberDue, PostingLine, Side
from kopcore_loans import gl, payment_events
from kopcore_loans.loan import (
    Loan,
    LoanStatus,
    ScheduleRow,
    get_loan_by_id,
    outstanding_principal,
    principal_account,
    record_event,
    schedule_rows,
    update_loan,
)
from kopcore_loans.messages import _
from kopcore_loans.products import get_product_by_id
from kopcore_loans.repayment import (
    Allocation,
    RowPayment,
    apply_to_schedule,
    close_if_repaid,
    interest_lines,
)
from kopcore_loans.tables import installments, loans

INSTALLMENT = "loans.installment"
PENALTY = "loans.penalty"


def loan_dues_of(ctx: Context, member_ids: Sequence[int], start: date, end: date
                 ) -> list[MemberDue]:
    """Every open installment due by ``end`` and every unpaid penalty of the members' active
    loans, in two queries."""
    ln, i, a = loans.c, installments.c, query.accounts.c
    active = (ln.member_id.in_(member_ids), ln.status == LoanStatus.ACTIVE.value)
    unpaid = (i.principal - i.principal_paid) + (i.interest - i.interest_waived - i.interest_paid)
    rows = ctx.conn.execute(
        sa.select(ln.id, ln.number, ln.member_id, ln.currency, a.number.label("account"),
                  i.id.label("row_id"), i.seq, i.due_date, unpaid.label("unpaid"))
        .select_from(loans.join(installments, i.loan_id == ln.id)
                     .join(query.accounts, a.id == ln.account_id))
        .where(*active, i.status == "open", i.due_date <= end, unpaid > 0)
        .order_by(ln.id, i.due_date, i.version, i.seq)).all()
    found = []
    for r in rows:
        overdue = r.due_date < start
        found.append(MemberDue(
            member_id=r.member_id, owner=gl.PLUGIN, kind=INSTALLMENT,
            priority=DuePriority.OVERDUE if overdue else DuePriority.CURRENT,
            amount=Money(int(r.unpaid), r.currency), due_date=r.due_date,
            reference=f"{r.id}:{r.row_id}", account=r.account,
            description=f"Angsuran ke-{r.seq} pinjaman {r.number}"
                        + (" (tunggakan)" if overdue else "")))
    penalties = ctx.conn.execute(
        sa.select(ln.id, ln.number, ln.member_id, ln.currency, ln.penalty_due,
                  a.number.label("account"))
        .select_from(loans.join(query.accounts, a.id == ln.account_id))
        .where(*active, ln.penalty_due > 0).order_by(ln.id)).all()
    found += [MemberDue(
        member_id=r.member_id, owner=gl.PLUGIN, kind=PENALTY, priority=DuePriority.OTHER,
        amount=Money(int(r.penalty_due), r.currency), due_date=ctx.business_date,
        reference=f"{r.id}:penalty", account=r.account,
        description=f"Denda pinjaman {r.number}") for r in penalties]
    return found


def _split(amount: int, row: ScheduleRow, order: Sequence[str]) -> RowPayment:
    """``amount`` over one installment's interest and principal in the product's order."""
    parts = {"interest": 0, "principal": 0}
    left = amount
    for part in order:
        if part in parts:
            unpaid = row.interest_unpaid if part == "interest" else row.principal_unpaid
            parts[part] = min(left, unpaid)
            left -= parts[part]
    return RowPayment(parts["interest"], parts["principal"])


def settle(ctx: Context, settlements: Sequence[DueSettlement]) -> DueLines | None:
    mine = [s for s in settlements if s.due.owner == gl.PLUGIN]
    if not mine:
        return None
    by_loan: dict[int, list[DueSettlement]] = defaultdict(list)
    for settlement in mine:
        by_loan[int(settlement.due.reference.split(":")[0])].append(settlement)
    lines: list[PostingLine] = []
    plans: list[tuple[Loan, Allocation, int]] = []
    for loan_id in sorted(by_loan):
        loan = get_loan_by_id(ctx, loan_id)
        if loan.status is not LoanStatus.ACTIVE:
            raise Conflict(_("loan {loan} is no longer active", loan=loan.number), field="dues")
        rows = {row.id: row for row in schedule_rows(ctx, loan.id)}
        product = get_product_by_id(ctx, loan.product_id)
        penalty, paid = 0, {}
        for settlement in by_loan[loan_id]:
            kind, amount = settlement.due.reference.split(":")[1], settlement.amount.minor
            if kind == "penalty":
                if amount > loan.penalty_due:
                    raise Conflict(_("the penalty of loan {loan} changed since it was listed",
                                     loan=loan.number), field="dues")
                penalty = amount
                continue
            row = rows.get(int(kind))
            if row is None or row.status != "open" or amount > row.unpaid:
                raise Conflict(_("installment {kind} of loan {loan} is paid or changed since "
                                 "it was listed", kind=kind, loan=loan.number), field="dues")
            if amount:
                paid[row.id] = _split(amount, row, product.allocation_order)
        alloc = Allocation(penalty, sum(p.interest for p in paid.values()),
                           sum(p.principal for p in paid.values()), paid, 0)
        if alloc.principal:
            lines.append(PostingLine(principal_account(ctx, loan).number, Side.CREDIT,
                                     Money(alloc.principal, loan.currency)))
        credit, recognised = interest_lines(ctx, loan, product.accounting, alloc.interest)
        lines += credit
        if alloc.penalty:
            lines.append(PostingLine(gl.gl(gl.PENALTY_INCOME), Side.CREDIT,
                                     Money(alloc.penalty, loan.currency)))
        plans.append((loan, alloc, recognised))

    def apply(ctx: Context, entry: JournalEntry | None) -> None:
        for planned, alloc, recognised in plans:
            if not alloc.total:
                continue  # presented and not paid: the installment stays due (arrears)
            loan = get_loan_by_id(ctx, planned.id)
            apply_to_schedule(ctx, loan, alloc, {})
            loan = update_loan(ctx, loan, penalty_due=loan.penalty_due - alloc.penalty,
                               interest_recognized=loan.interest_recognized + recognised)
            record_event(ctx, loan, "repayment", alloc.total, penalty=alloc.penalty,
                         interest=alloc.interest, principal=alloc.principal,
                         entry_id=entry.id if entry else None,
                         note=entry.memo if entry else "")
            loan = close_if_repaid(ctx, loan)
            payment_events.payment_received(
                ctx, loan.member_id, loan.number, Money(alloc.total, loan.currency),
                Money(outstanding_principal(ctx, loan), loan.currency), "deduction")

    return DueLines(lines, [s.due.reference for s in mine], apply)
