"""Member exit (keluar): refuse while a loan is outstanding, or net it against the refund.

A member who still owes on a loan, or who guarantees another member's running loan, cannot
leave — unless every outstanding loan is on a product with ``exit_netting``: then the loan is
settled inside the exit entry (early-settlement rule of the product) and the refund shrinks by
that much. Applications not yet disbursed are cancelled.
"""

from __future__ import annotations

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.ledger import Member
from kopcore.money import Money
from kopcore.records import ExitContribution, PostingLine, Side
from kopcore_loans import gl
from kopcore_loans.collateral import release_on_payoff
from kopcore_loans.loan import (
    Loan,
    LoanStatus,
    loan_from_row,
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
    interest_lines,
    settlement_quote,
)
from kopcore_loans.tables import guarantors, loans


def _net_loan(ctx: Context, loan: Loan) -> list[PostingLine]:
    """Lines settling ``loan`` out of the member's refund; the schedule is marked paid."""
    product = get_product_by_id(ctx, loan.product_id)
    rows = schedule_rows(ctx, loan.id)
    quote = settlement_quote(loan, rows, ctx.business_date, product.settlement_interest)
    cur = loan.currency
    lines: list[PostingLine] = []
    if quote.principal:
        lines.append(PostingLine(principal_account(ctx, loan).number, Side.CREDIT,
                                 Money(quote.principal, cur)))
    interest, recognised = interest_lines(ctx, loan, product.accounting, quote.interest)
    lines += interest
    if quote.penalty:
        lines.append(PostingLine(gl.gl(gl.PENALTY_INCOME), Side.CREDIT, Money(quote.penalty, cur)))
    by_id = {r.id: r for r in rows}
    pays = {rid: RowPayment(charge - by_id[rid].interest_paid, by_id[rid].principal_unpaid)
            for rid, charge in quote.charges.items()}
    waivers = {rid: by_id[rid].interest_charged - charge for rid, charge in quote.charges.items()}
    apply_to_schedule(ctx, loan, Allocation(quote.penalty, quote.interest, quote.principal,
                                            pays, 0), waivers)
    release_on_payoff(ctx, loan)
    loan = update_loan(ctx, loan, status=LoanStatus.CLOSED.value, closed_on=ctx.business_date,
                       penalty_due=0, interest_recognized=loan.interest_recognized + recognised)
    record_event(ctx, loan, "exit-netting", quote.total, penalty=quote.penalty,
                 interest=quote.interest, principal=quote.principal,
                 note="settled from the member's exit refund")
    return lines


def member_exit(ctx: Context, member: Member) -> ExitContribution | None:
    own = [loan_from_row(r) for r in ctx.conn.execute(
        sa.select(loans).where(loans.c.member_id == member.id).order_by(loans.c.id))]
    active = [x for x in own if x.status is LoanStatus.ACTIVE]
    guaranteed = ctx.conn.execute(
        sa.select(loans.c.number).join(guarantors, guarantors.c.loan_id == loans.c.id)
        .where(guarantors.c.member_id == member.id,
               loans.c.status == LoanStatus.ACTIVE.value).order_by(loans.c.id)).scalars().all()
    if guaranteed:
        return ExitContribution(refusal=_("member guarantees running loan(s) {loans}",
                                          loans=", ".join(guaranteed)))
    refused = [x.number for x in active
               if not get_product_by_id(ctx, x.product_id).exit_netting]
    if refused:
        return ExitContribution(refusal=_("loan(s) {loans} still outstanding",
                                          loans=", ".join(refused)))
    for pending in own:
        if pending.status in (LoanStatus.APPLIED, LoanStatus.APPROVED):
            update_loan(ctx, pending, status=LoanStatus.CANCELLED.value,
                        closed_on=ctx.business_date)
            record_event(ctx, pending, "cancelled", 0, note="member left")
    if not active:
        return None
    lines = [line for loan in active for line in _net_loan(ctx, loan)]
    return ExitContribution(lines=lines, note=f"{len(active)} loan(s) netted against the refund")
