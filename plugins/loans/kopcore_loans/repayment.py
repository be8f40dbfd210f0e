"""Repayments: allocating a payment, early settlement, and posting both to the ledger.

Allocation (pure, :func:`allocate_payment`): first what is due — the unpaid penalty (denda),
the interest and the principal of installments due by today, in the product's order (default
penalty → interest → principal), oldest installment first — then, as a prepayment, the
installments not yet due in date order. Every rupiah of a payment is allocated or the payment
is refused; nothing is ever kept unexplained.

Posting: the source (cash, or the member's savings through the settlement hook) is debited;
the loan's principal account, interest receivable (accrual basis, up to what was accrued) or
interest income, and penalty income are credited — one journal entry per payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import ValidationError
from kopcore.ledger import Account, JournalEntry
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_loans import gl, payment_events
from kopcore_loans.collateral import release_on_payoff
from kopcore_loans.loan import (
    Loan,
    LoanStatus,
    ScheduleRow,
    get_loan_by_id,
    interest_account,
    outstanding_principal,
    principal_account,
    record_event,
    schedule_rows,
    update_loan,
)
from kopcore_loans.messages import _
from kopcore_loans.products import (
    Accounting,
    SettlementInterest,
    get_product_by_id,
    unit_minor,
)
from kopcore_loans.schedule import round_half_up
from kopcore_loans.tables import installments


@attrs.frozen
class RowPayment:
    interest: int = 0
    principal: int = 0


@attrs.frozen
class Allocation:
    """How one payment is split. ``left`` is what could not be allocated (a settlement places
    everything)."""

    penalty: int
    interest: int
    principal: int
    rows: dict[int, RowPayment]
    left: int = 0

    @property
    def total(self) -> int:
        return self.penalty + self.interest + self.principal


def allocate_payment(amount: int, penalty_due: int, rows: Sequence[ScheduleRow], today: date,
                     order: Sequence[str], *, dues_only: bool = False) -> Allocation:
    """Split ``amount`` over the penalty and the schedule (see the module docstring)."""
    if amount < 0:
        raise ValueError("amount cannot be negative")
    left = amount
    paid: dict[int, list[int]] = {r.id: [0, 0] for r in rows}
    penalty = 0
    open_rows = sorted((r for r in rows if r.status == "open"),
                       key=lambda r: (r.due_date, r.version, r.seq))
    due = [r for r in open_rows if r.due_date <= today]
    future = open_rows[len(due):]  # sorted by due date: the rows after those due

    def take(row: ScheduleRow, part: str) -> None:
        # Each part of a row is offered once (a row is due or not, and the order names each
        # part once: `parse_allocation`), so nothing of it was taken before.
        nonlocal left
        index = 0 if part == "interest" else 1
        unpaid = row.interest_unpaid if part == "interest" else row.principal_unpaid
        amount_ = min(left, unpaid)
        paid[row.id][index] += amount_
        left -= amount_

    for part in order:
        if part == "penalty":
            penalty = min(left, penalty_due)
            left -= penalty
        else:
            for row in due:
                take(row, part)
    if not dues_only:
        for row in future:
            for part in order:
                if part != "penalty":
                    take(row, part)
    chosen = {rid: RowPayment(i, p) for rid, (i, p) in paid.items() if i or p}
    return Allocation(penalty, sum(p.interest for p in chosen.values()),
                      sum(p.principal for p in chosen.values()), chosen, left)


def dues(loan: Loan, rows: Sequence[ScheduleRow], today: date) -> int:
    """Penalty plus everything of installments due by ``today`` still unpaid."""
    return loan.penalty_due + sum(r.unpaid for r in rows if r.due_date <= today)


# --- early settlement -------------------------------------------------------------------------


@attrs.frozen
class SettlementQuote:
    penalty: int
    interest: int
    principal: int
    interest_waived: int
    #: row id -> interest the row finally charges
    charges: dict[int, int]

    @property
    def total(self) -> int:
        return self.penalty + self.interest + self.principal


def settlement_quote(loan: Loan, rows: Sequence[ScheduleRow], today: date,
                     rule: SettlementInterest) -> SettlementQuote:
    """What settles the loan today: penalty, due interest, interest of the installments not
    yet due per ``rule`` (never less than already paid), and the whole unpaid principal."""
    charges: dict[int, int] = {}
    unit = unit_minor(loan.rounding_unit, loan.currency)
    interest = principal = waived = 0
    for row in rows:
        if row.status != "open":
            continue
        if row.due_date <= today or rule is SettlementInterest.ALL:
            charge = row.interest_charged
        elif row.period_start > today:
            # A period not started: the other rules charge nothing (beyond what was paid).
            charge = row.interest_paid
        elif rule is SettlementInterest.PERIOD:
            charge = row.interest_charged
        else:
            # Pro rata by days, exact, then rounded like every interest figure of the loan:
            # half up to the product's rounding unit, never above the period's interest. The
            # period has started and is not over: 0 <= days < period.
            days = (today - row.period_start).days
            period = (row.due_date - row.period_start).days
            exact = Fraction(row.interest_charged * days, period)
            charge = min(round_half_up(exact, unit), row.interest_charged)
        charge = max(charge, row.interest_paid)
        charges[row.id] = charge
        interest += charge - row.interest_paid
        waived += row.interest_charged - charge
        principal += row.principal_unpaid
    return SettlementQuote(loan.penalty_due, interest, principal, waived, charges)


# --- posting ----------------------------------------------------------------------------------


def interest_lines(ctx: Context, loan: Loan, accounting: Accounting, interest: int
                   ) -> tuple[list[PostingLine], int]:
    """Credit lines for ``interest`` paid, and how much of it is recognised as income now.

    Accrual basis: the interest receivable first (what end of day accrued), income for the rest.
    No interest (never negative) makes no line and recognises nothing.
    """
    cur = loan.currency
    lines: list[PostingLine] = []
    to_receivable = 0
    if accounting is Accounting.ACCRUAL:
        to_receivable = min(interest, interest_account(ctx, loan).balance.minor)
        if to_receivable:
            lines.append(PostingLine(interest_account(ctx, loan).number, Side.CREDIT,
                                     Money(to_receivable, cur)))
    income = interest - to_receivable
    if income:
        lines.append(PostingLine(gl.gl(gl.INTEREST_INCOME), Side.CREDIT, Money(income, cur)))
    return lines, income


def post_payment(ctx: Context, loan: Loan, source: Account, alloc: Allocation, *, kind: str,
                 memo: str, waivers: dict[int, int] | None = None,
                 idempotency_key: str | None = None) -> tuple[Loan, JournalEntry | None]:
    """Post an allocated payment from ``source`` and apply it to the schedule.

    A settlement that costs nothing (the principal was prepaid and the rule waives the rest of
    the interest) posts no entry; it only waives and closes.
    """
    product = get_product_by_id(ctx, loan.product_id)
    cur = loan.currency
    entry = None
    recognised = 0
    if alloc.total:
        lines = [PostingLine(source.number, Side.DEBIT, Money(alloc.total, cur))]
        if alloc.principal:
            lines.append(PostingLine(principal_account(ctx, loan).number, Side.CREDIT,
                                     Money(alloc.principal, cur)))
        credit, recognised = interest_lines(ctx, loan, product.accounting, alloc.interest)
        lines += credit
        if alloc.penalty:
            lines.append(PostingLine(gl.gl(gl.PENALTY_INCOME), Side.CREDIT,
                                     Money(alloc.penalty, cur)))
        entry = ledger.post_entry(ctx, lines, memo=memo[:500], idempotency_key=idempotency_key)
    apply_to_schedule(ctx, loan, alloc, waivers or {})
    loan = update_loan(ctx, loan, penalty_due=loan.penalty_due - alloc.penalty,
                       interest_recognized=loan.interest_recognized + recognised)
    record_event(ctx, loan, kind, alloc.total, penalty=alloc.penalty, interest=alloc.interest,
                 principal=alloc.principal, entry_id=entry.id if entry else None, note=memo)
    loan = close_if_repaid(ctx, loan)
    if entry is not None:
        payment_events.payment_received(ctx, loan.member_id, loan.number,
                                        Money(alloc.total, cur),
                                        Money(outstanding_principal(ctx, loan), cur), kind)
    return loan, entry


def apply_to_schedule(ctx: Context, loan: Loan, alloc: Allocation,
                      waivers: dict[int, int]) -> None:
    i = installments.c
    rows = {r.id: r for r in schedule_rows(ctx, loan.id)}
    updates: list[dict[str, Any]] = []
    for row_id in sorted(set(alloc.rows) | set(waivers)):
        row = rows[row_id]
        pay = alloc.rows.get(row_id, RowPayment())
        waived = row.interest_waived + waivers.get(row_id, 0)
        interest_paid = row.interest_paid + pay.interest
        principal_paid = row.principal_paid + pay.principal
        done = principal_paid == row.principal and interest_paid + waived == row.interest
        updates.append({"row_id": row_id, "ip": interest_paid, "pp": principal_paid,
                        "w": waived, "st": "paid" if done else "open",
                        "on": ctx.business_date if done else None})
    if updates:
        ctx.conn.execute(
            sa.update(installments).where(i.id == sa.bindparam("row_id")).values(
                interest_paid=sa.bindparam("ip"), principal_paid=sa.bindparam("pp"),
                interest_waived=sa.bindparam("w"), status=sa.bindparam("st"),
                paid_on=sa.bindparam("on")),
            updates,
        )


def close_if_repaid(ctx: Context, loan: Loan) -> Loan:
    """Close a loan whose schedule and penalty are paid; its accounts must then be at zero
    (closing refuses otherwise, which would reveal a bookkeeping error)."""
    if loan.status is not LoanStatus.ACTIVE or loan.penalty_due:
        return loan
    if any(r.status == "open" for r in schedule_rows(ctx, loan.id)):
        return loan
    for account in (principal_account(ctx, loan), interest_account(ctx, loan)):
        ledger.close_account(ctx, account.number)
    release_on_payoff(ctx, loan)
    return update_loan(ctx, get_loan_by_id(ctx, loan.id), status=LoanStatus.CLOSED.value,
                       closed_on=ctx.business_date)


def repay(ctx: Context, loan: Loan, source: Account, amount: Money, *, memo: str,
          kind: str = "repayment", dues_only: bool = False,
          idempotency_key: str | None = None) -> tuple[Loan, JournalEntry | None, Allocation]:
    """Take ``amount`` from ``source`` and allocate it; refuses an amount above what the whole
    schedule still asks for (use early settlement to close a loan with its interest rule)."""
    if not amount.is_positive():
        raise ValidationError(_("amount must be positive"), field="amount")
    product = get_product_by_id(ctx, loan.product_id)
    rows = schedule_rows(ctx, loan.id)
    alloc = allocate_payment(amount.minor, loan.penalty_due, rows, ctx.business_date,
                             product.allocation_order, dues_only=dues_only)
    if alloc.left:
        owed = Money(alloc.total, loan.currency)
        raise ValidationError(_(
            "payment exceeds what loan {loan} still owes on its schedule ({owed}); settle it "
            "early with loans.settle", loan=loan.number, owed=owed), field="amount")
    loan, entry = post_payment(ctx, loan, source, alloc, kind=kind, memo=memo,
                               idempotency_key=idempotency_key)
    return loan, entry, alloc


def settle(ctx: Context, loan: Loan, source: Account
           ) -> tuple[Loan, JournalEntry | None, SettlementQuote]:
    """Settle the loan early (pelunasan dipercepat) with the product's interest rule."""
    product = get_product_by_id(ctx, loan.product_id)
    rows = schedule_rows(ctx, loan.id)
    quote = settlement_quote(loan, rows, ctx.business_date, product.settlement_interest)
    by_id = {r.id: r for r in rows}
    pays = {rid: RowPayment(charge - by_id[rid].interest_paid, by_id[rid].principal_unpaid)
            for rid, charge in quote.charges.items()}
    waivers = {rid: by_id[rid].interest_charged - charge for rid, charge in quote.charges.items()
               if by_id[rid].interest_charged != charge}
    alloc = Allocation(quote.penalty, quote.interest, quote.principal,
                       {k: v for k, v in pays.items() if v.interest or v.principal})
    loan, entry = post_payment(ctx, loan, source, alloc, kind="settlement",
                               memo=f"Pelunasan dipercepat pinjaman {loan.number}",
                               waivers=waivers)
    return loan, entry, quote
