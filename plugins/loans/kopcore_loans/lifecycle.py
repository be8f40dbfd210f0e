"""A loan's life: application → approval → disbursement → (repayments) → closed; and
write-off, recovery and restructuring. Guarantors and collateral records.

Money moves only through :func:`kopcore.ledger.post_entry`. A member's savings are reached
through the kernel's settlement hook (``purpose="disbursement"`` / ``"collection"``), never by
importing the savings plugin; without an answer, cash it is.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, Forbidden, ValidationError
from kopcore.ledger import Account, JournalEntry, Member
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
    not_open,
    principal_account,
    record_event,
    require_status,
    schedule_rows,
    update_loan,
)
from kopcore_loans.messages import _
from kopcore_loans.products import (
    Product,
    collectibility,
    get_product,
    get_product_by_id,
    unit_minor,
)
from kopcore_loans.schedule import (
    Frequency,
    Installment,
    InterestMethod,
    accrued_through,
    build_schedule,
    round_half_up,
)
from kopcore_loans.tables import guarantors, installments, loans

DISBURSEMENT = "disbursement"
COLLECTION = "collection"


# --- money sources ----------------------------------------------------------------------------


def money_account(ctx: Context, member: Member, purpose: str, *, use_savings: bool,
                  cash_account: str | None) -> Account:
    """The member's settlement account for ``purpose`` (savings, when a plugin offers one and
    ``use_savings``), else the named cash account."""
    if use_savings:
        account = ledger.settlement_account(ctx, member, purpose)
        if account is not None:
            return account
    if cash_account is None:
        raise ValidationError(_("no savings account answers for this member: name a "
                                "cash_account"), field="cash_account")
    account = ledger.get_account(ctx, cash_account)
    if account.member_id is not None:
        raise ValidationError(_("cash_account must be an internal account (teller cash, "
                                "bank)"), field="cash_account")
    return account


# --- application and decision -----------------------------------------------------------------


def check_limits(ctx: Context, product: Product, member: Member, principal: int,
                 term: int) -> None:
    cur = product.currency
    if not product.min_amount <= principal <= product.max_amount:
        raise ValidationError(_(
            "amount must be between {low} and {high} for product {product}",
            low=Money(product.min_amount, cur), high=Money(product.max_amount, cur),
            product=product.code), field="amount")
    if not product.min_term <= term <= product.max_term:
        raise ValidationError(_("term must be {low}-{high} installments for product {product}",
                                low=product.min_term, high=product.max_term,
                                product=product.code), field="term")
    if product.savings_multiple is not None:
        # The member's savings are read from the account the settlement hook names for
        # disbursement; without one the limit cannot be checked and the loan is refused.
        account = ledger.settlement_account(ctx, member, DISBURSEMENT, cur)
        if account is None:
            raise ValidationError(_("product {product} limits loans to {savings_multiple}x the "
                                    "member's savings, and no savings account answers for this "
                                    "member", product=product.code,
                                    savings_multiple=product.savings_multiple), field="amount")
        ceiling = Fraction(account.balance.minor) * Fraction(product.savings_multiple)
        if principal > ceiling:
            raise ValidationError(_(
                "amount exceeds {multiple}x the member's savings ({savings})",
                multiple=product.savings_multiple, savings=account.balance), field="amount")


def apply(ctx: Context, member: Member, product_code: str, amount: Money, term: int, *,
          purpose: str = "", auto_debit: bool = False, group_id: int | None = None) -> Loan:
    """Record an application (permohonan) on the product's current terms; ``group_id``: a
    group loan, for a member of that group."""
    ledger.require_active(ctx, member.id)
    product = get_product(ctx, product_code)
    if not product.active:
        raise Conflict(_("loan product {product} is not offered any more",
                         product=product.code), field="product")
    if amount.currency != product.currency:
        raise ValidationError(_("amount currency differs from the product's"), field="amount")
    check_limits(ctx, product, member, amount.minor, term)
    provisi = round_half_up(Fraction(amount.minor) * Fraction(product.provisi_percent) / 100,
                            product.unit_minor)
    loan_id = ctx.conn.execute(loans.insert().values(
        number="tmp-" + uuid.uuid4().hex[:24],
        member_id=member.id, product_id=product.id, status=LoanStatus.APPLIED.value,
        currency=product.currency, principal=amount.minor, term=term,
        method=product.method.value, frequency=product.frequency.value,
        annual_rate=str(product.annual_rate), rounding_unit=str(product.rounding_unit),
        provisi_fee=provisi, admin_fee=product.admin_fee, purpose=purpose.strip()[:200],
        auto_debit=auto_debit, applied_by=ctx.actor, applied_on=ctx.business_date,
        interest_recognized=0, penalty_due=0, days_past_due=0, allowance=0,
        schedule_version=1, written_off=0, recovered=0, group_id=group_id,
    ).returning(loans.c.id)).scalar_one()
    ctx.conn.execute(sa.update(loans).where(loans.c.id == loan_id)
                     .values(number=f"PJ{loan_id:08d}"))
    loan = get_loan_by_id(ctx, loan_id)
    record_event(ctx, loan, "application", amount.minor, note=purpose)
    return loan


def decide(ctx: Context, loan: Loan, *, approve: bool, note: str = "") -> Loan:
    """Approve or reject an application; never by the person who entered it."""
    require_status(loan, LoanStatus.APPLIED)
    if ctx.actor == loan.applied_by:
        raise Forbidden(_("{actor} entered application {loan}; another person must decide it",
                          actor=ctx.actor, loan=loan.number))
    status = LoanStatus.APPROVED if approve else LoanStatus.REJECTED
    loan = update_loan(ctx, loan, status=status.value, decided_by=ctx.actor,
                       decided_on=ctx.business_date, decision_note=note[:200] or None)
    record_event(ctx, loan, status.value, 0, note=note)
    return loan


# --- disbursement -----------------------------------------------------------------------------


def insert_schedule(ctx: Context, loan_id: int, version: int, rows: list[Installment],
                    first_seq: int = 1) -> None:
    """Store a schedule; an installment that asks for nothing (an interest-free bullet loan's
    interest period) is settled from the start."""
    ctx.conn.execute(installments.insert(), [
        {"loan_id": loan_id, "version": version, "seq": first_seq + n,
         "period_start": r.period_start, "due_date": r.due_date, "principal": r.principal,
         "interest": r.interest, "principal_paid": 0, "interest_paid": 0,
         "interest_waived": 0, "status": "open" if r.amount else "paid",
         "paid_on": None if r.amount else ctx.business_date}
        for n, r in enumerate(rows)
    ])


def loan_schedule(loan: Loan, start: date) -> list[Installment]:
    unit = unit_minor(loan.rounding_unit, loan.currency)
    return build_schedule(loan.principal, loan.annual_rate, loan.term, loan.method,
                          loan.frequency, start, unit)


def disburse(ctx: Context, loan: Loan, member: Member, *, use_savings: bool,
             cash_account: str | None, fee_account: str | None) -> tuple[Loan, JournalEntry]:
    """Pay the loan out (pencairan): open its accounts, fix the schedule from today, post
    debit loan receivable / credit payout (less fees when deducted) and fee income."""
    require_status(loan, LoanStatus.APPROVED)
    ledger.require_active(ctx, member.id)
    product = get_product_by_id(ctx, loan.product_id)
    payout = money_account(ctx, member, DISBURSEMENT, use_savings=use_savings,
                           cash_account=cash_account)
    cur = loan.currency
    fees = loan.provisi_fee + loan.admin_fee
    if product.fees_deducted and fees >= loan.principal:
        raise ValidationError(_("fees would take the whole loan"), field="amount")
    account = ledger.open_account(
        ctx, name=f"Pinjaman {loan.number} {member.name}"[:200], gl_key=gl.RECEIVABLE,
        plugin=gl.PLUGIN, member_id=member.id, product_code=f"loans.{loan.method.value}",
        number=loan.number, currency=cur)
    interest = ledger.open_account(
        ctx, name=f"Piutang jasa {loan.number}"[:200], gl_key=gl.INTEREST_RECEIVABLE,
        plugin=gl.PLUGIN, member_id=member.id, product_code=gl.INTEREST_PRODUCT,
        number=f"{loan.number}-J", currency=cur)
    lines = [PostingLine(account.number, Side.DEBIT, Money(loan.principal, cur))]
    if product.fees_deducted:
        lines.append(PostingLine(payout.number, Side.CREDIT, Money(loan.principal - fees, cur)))
    else:
        lines.append(PostingLine(payout.number, Side.CREDIT, Money(loan.principal, cur)))
        if fees:
            if fee_account is None:
                raise ValidationError(_("fees are paid apart: name the fee_account (cash) that "
                                        "receives them"), field="fee_account")
            lines.append(PostingLine(ledger.get_account(ctx, fee_account).number, Side.DEBIT,
                                     Money(fees, cur)))
    if fees:
        lines.append(PostingLine(gl.gl(gl.FEE_INCOME), Side.CREDIT, Money(fees, cur)))
    entry = ledger.post_entry(ctx, lines, memo=f"Pencairan pinjaman {loan.number} "
                                               f"({member.member_number})")
    insert_schedule(ctx, loan.id, 1, loan_schedule(loan, ctx.business_date))
    hold_id, blocked = _block_savings(ctx, loan, member, product)
    # A new loan is current; its allowance is booked at end of day.
    loan = update_loan(ctx, loan, status=LoanStatus.ACTIVE.value,
                       disbursed_on=ctx.business_date, account_id=account.id,
                       interest_account_id=interest.id,
                       collectibility=collectibility(ctx)[0].code, blocked_hold_id=hold_id,
                       blocked_savings=blocked)
    record_event(ctx, loan, "disbursement", loan.principal, entry_id=entry.id,
                 note=f"to {payout.number}; fees {Money(fees, cur).format()}")
    if payout.member_id is not None:  # into the member's savings: tell them
        paid_out = loan.principal - fees if product.fees_deducted else loan.principal
        payment_events.disbursed(ctx, member.id, loan.number, Money(paid_out, cur),
                                 payout.number)
    return loan, entry


def _block_savings(ctx: Context, loan: Loan, member: Member, product: Product
                   ) -> tuple[int | None, int]:
    """Simpanan wajib pinjam: hold the product's percentage of the principal (rounded half up
    to the loan's unit) in the member's savings until payoff; refused when no savings account
    answers or it cannot spare the amount."""
    blocked = round_half_up(Fraction(loan.principal) * Fraction(product.blocked_savings_percent)
                            / 100, product.unit_minor)
    if not blocked:
        return None, 0
    account = ledger.settlement_account(ctx, member, DISBURSEMENT, loan.currency)
    if account is None:
        raise ValidationError(_("product {product} blocks {percent}% of the loan in savings "
                                "(simpanan wajib pinjam) and no savings account answers for "
                                "this member", product=product.code,
                                percent=product.blocked_savings_percent), field="loan")
    hold_id = ledger.place_hold(ctx, account.number, Money(blocked, loan.currency),
                                reason=f"Simpanan wajib pinjam {loan.number}",
                                reference=f"loans.blocked:{loan.number}")
    return hold_id, blocked


# --- write-off and recovery -------------------------------------------------------------------


def write_off(ctx: Context, loan: Loan, *, reason: str) -> tuple[Loan, JournalEntry]:
    """Hapus buku: the outstanding principal leaves the books against the allowance (topped up
    by an allowance expense where the allowance is short); accrued unpaid interest is reversed.
    The member still owes the claim (principal, unpaid due interest, penalty): recoveries
    later are income. The collateral stays held and the savings the loan blocked (simpanan
    wajib pinjam) stay on hold until the claim is fully recovered (:func:`recover`)."""
    require_status(loan, LoanStatus.ACTIVE)
    cur = loan.currency
    principal = principal_account(ctx, loan)
    receivable = interest_account(ctx, loan)
    outstanding = principal.balance.minor
    rows = schedule_rows(ctx, loan.id)
    due_interest = sum(r.interest_unpaid for r in rows if r.due_date <= ctx.business_date)
    used = min(loan.allowance, outstanding)
    lines: list[PostingLine] = []
    if used:
        lines.append(PostingLine(gl.gl(gl.ALLOWANCE), Side.DEBIT, Money(used, cur)))
    if outstanding - used:
        lines.append(PostingLine(gl.gl(gl.ALLOWANCE_EXPENSE), Side.DEBIT,
                                 Money(outstanding - used, cur)))
    if outstanding:
        lines.append(PostingLine(principal.number, Side.CREDIT, Money(outstanding, cur)))
    if loan.allowance - used:
        # More allowance than principal cannot be kept for a loan that is gone: release it.
        lines += [PostingLine(gl.gl(gl.ALLOWANCE), Side.DEBIT, Money(loan.allowance - used, cur)),
                  PostingLine(gl.gl(gl.ALLOWANCE_EXPENSE), Side.CREDIT,
                              Money(loan.allowance - used, cur))]
    accrued = receivable.balance.minor
    if accrued:
        lines += [PostingLine(gl.gl(gl.INTEREST_INCOME), Side.DEBIT, Money(accrued, cur)),
                  PostingLine(receivable.number, Side.CREDIT, Money(accrued, cur))]
    if not lines:
        raise Conflict(_("loan {loan} has nothing left to write off", loan=loan.number))
    entry = ledger.post_entry(ctx, lines, memo=f"Hapus buku pinjaman {loan.number}: "
                                               f"{reason}"[:500])
    penalty = loan.penalty_due
    claim = outstanding + due_interest + penalty
    for account in (principal, receivable):
        ledger.close_account(ctx, account.number)
    loan = update_loan(ctx, loan, status=LoanStatus.WRITTEN_OFF.value, allowance=0,
                       written_off=claim, penalty_due=0, closed_on=ctx.business_date,
                       interest_recognized=loan.interest_recognized - accrued)
    record_event(ctx, loan, "write-off", claim, penalty=penalty,
                 interest=due_interest, principal=outstanding, entry_id=entry.id, note=reason)
    return loan, entry


def recover(ctx: Context, loan: Loan, source: Account, amount: Money) -> tuple[Loan,
                                                                               JournalEntry]:
    """Money collected on a written-off loan: income (pendapatan pemulihan), up to the claim.
    The recovery that completes the claim releases the collateral, the guarantors and the
    blocked savings, as a payoff does."""
    require_status(loan, LoanStatus.WRITTEN_OFF)
    if not amount.is_positive():
        raise ValidationError(_("amount must be positive"), field="amount")
    left = loan.written_off - loan.recovered
    if amount.minor > left:
        raise ValidationError(_("only {left} of the written-off claim is left to recover",
                                left=Money(left, loan.currency)), field="amount")
    entry = ledger.post_entry(ctx, [
        PostingLine(source.number, Side.DEBIT, amount),
        PostingLine(gl.gl(gl.RECOVERY_INCOME), Side.CREDIT, amount),
    ], memo=f"Pemulihan pinjaman dihapusbukukan {loan.number}")
    loan = update_loan(ctx, loan, recovered=loan.recovered + amount.minor)
    record_event(ctx, loan, "recovery", amount.minor, entry_id=entry.id)
    if loan.recovered >= loan.written_off:
        release_on_payoff(ctx, loan, "piutang hapus buku pulih")
        loan = get_loan_by_id(ctx, loan.id)
    return loan, entry


# --- restructuring ----------------------------------------------------------------------------


def _arrears_rows(rows: list[ScheduleRow], today: date) -> list[Installment]:
    """Interest that stays owed when the schedule is replaced: unpaid interest of installments
    already due, and the period in progress cut to today (pro rata, never below what was
    paid on it). Each keeps its original due date (or today), so arrears keep their age."""
    kept: list[Installment] = []
    for row in rows:
        if row.status != "open":
            continue
        if row.due_date <= today:
            owed = row.interest_unpaid
            due = row.due_date
        elif row.period_start < today:
            earned = accrued_through(row.period_start, row.due_date, row.interest_charged, today)
            owed = max(earned, row.interest_paid) - row.interest_paid
            due = today
        else:
            continue
        if owed:
            kept.append(Installment(0, row.period_start, due, 0, owed, 0))
    return kept


def restructure(ctx: Context, loan: Loan, member: Member, *, term: int,
                annual_rate: Decimal | None, method: InterestMethod | None,
                note: str) -> tuple[Loan, JournalEntry]:
    """Reschedule the outstanding principal over ``term`` new installments from today.

    Unpaid installments are kept as superseded history; interest already earned stays owed
    (see :func:`_arrears_rows`). The principal moves to a restructured-loan account (GL
    *Piutang Pinjaman Direstrukturisasi*) so the restructured portfolio shows in the books.
    """
    require_status(loan, LoanStatus.ACTIVE)
    if not 1 <= term <= 600:
        raise ValidationError(_("term: 1-600 installments"), field="term")
    if annual_rate is not None and not Decimal(0) <= annual_rate <= 1000:
        raise ValidationError(_("annual rate: 0-1000 percent"), field="annual_rate")
    today = ctx.business_date
    old = principal_account(ctx, loan)
    outstanding = old.balance.minor
    if outstanding <= 0:
        raise Conflict(_("loan {loan} has no principal left to reschedule", loan=loan.number))
    rows = schedule_rows(ctx, loan.id)
    arrears = _arrears_rows(rows, today)
    version = loan.schedule_version + 1
    rate = loan.annual_rate if annual_rate is None else annual_rate
    new_method = method or loan.method
    unit = unit_minor(loan.rounding_unit, loan.currency)
    fresh = build_schedule(outstanding, rate, term, new_method, Frequency(loan.frequency),
                           today, unit)
    i = installments.c
    ctx.conn.execute(sa.update(installments)
                     .where(i.loan_id == loan.id, i.status == "open")
                     .values(status="superseded"))
    insert_schedule(ctx, loan.id, version, arrears + fresh)
    cur = loan.currency
    account = ledger.open_account(
        ctx, name=f"Pinjaman {loan.number} restrukturisasi {version - 1}"[:200],
        gl_key=gl.RESTRUCTURED, plugin=gl.PLUGIN, member_id=member.id,
        product_code=gl.RESTRUCTURED_PRODUCT, number=f"{loan.number}-R{version - 1}",
        currency=cur)
    entry = ledger.post_entry(ctx, [
        PostingLine(account.number, Side.DEBIT, Money(outstanding, cur)),
        PostingLine(old.number, Side.CREDIT, Money(outstanding, cur)),
    ], memo=f"Restrukturisasi pinjaman {loan.number}: {term} angsuran {new_method.value} "
            f"{rate}%/th"[:500])
    ledger.close_account(ctx, old.number)
    before = f"{loan.term}x {loan.method.value} {loan.annual_rate}%"
    loan = update_loan(ctx, loan, account_id=account.id, schedule_version=version, term=term,
                       annual_rate=str(rate), method=new_method.value)
    record_event(ctx, loan, "restructure", outstanding, principal=outstanding,
                 entry_id=entry.id,
                 note=f"from {before} to {term}x {new_method.value} {rate}%. {note}".strip())
    return loan, entry


# --- guarantors and collateral ----------------------------------------------------------------


def add_guarantor(ctx: Context, loan: Loan, guarantor: Member, relationship: str) -> None:
    if guarantor.id == loan.member_id:
        raise ValidationError(_("a borrower cannot guarantee their own loan"),
                              field="guarantor")
    ledger.require_active(ctx, guarantor.id)
    if loan.status in (LoanStatus.CLOSED, LoanStatus.REJECTED, LoanStatus.CANCELLED):
        raise Conflict(not_open(loan))
    g = guarantors.c
    if ctx.conn.execute(sa.select(g.id).where(g.loan_id == loan.id,
                                              g.member_id == guarantor.id)).first():
        raise Conflict(_("{member} already guarantees loan {loan}",
                         member=guarantor.member_number, loan=loan.number))
    ctx.conn.execute(guarantors.insert().values(
        loan_id=loan.id, member_id=guarantor.id, relationship=relationship.strip()[:100],
        added_on=ctx.business_date, added_by=ctx.actor))


def member_of(ctx: Context, loan: Loan) -> Member:
    return ledger.get_member_by_id(ctx, loan.member_id)
