"""The loans operations: input classes, handlers and their declarations.

The kernel turns each :class:`~kopcore.operations.Operation` into ``/api/v1/loans/<action>``
and ``kopcore loans <action>``. Operations about one loan take its number (``loan``); member
principals reach only their own loans (checked in the handler, since a loan number is not an
account or member number).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    Conflict,
    Forbidden,
    InsufficientFunds,
    MemberNotActive,
    NotFound,
    PostingVetoed,
    ValidationError,
)
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.views import EntryOut
from kopcore_loans import book, groups, lifecycle, policy_history, repayment, reports
from kopcore_loans import collateral as agunan
from kopcore_loans.collateral import Binding
from kopcore_loans.group_ops import OPERATIONS as GROUP_OPERATIONS
from kopcore_loans.kolektibilitas import policy
from kopcore_loans.loan import (
    Loan,
    LoanStatus,
    get_loan,
    loan_from_row,
    not_open,
    require_access,
    schedule_rows,
)
from kopcore_loans.messages import _
from kopcore_loans.products import (
    CollectibilityClass,
    ProductTerms,
    collectibility,
    create_product,
    get_product,
    get_product_by_id,
    list_products,
    replace_classes,
    set_product_active,
)
from kopcore_loans.quality_ops import OPERATIONS as QUALITY_OPERATIONS
from kopcore_loans.quality_ops import check_classes_fit
from kopcore_loans.schedule import InterestMethod, build_schedule
from kopcore_loans.tables import loans
from kopcore_loans.views import (
    ClassesOut,
    ClassOut,
    HistoryOut,
    LoanEntryOut,
    LoanOut,
    LoansPage,
    MemberHistoryOut,
    PaymentOut,
    ProductOut,
    ProductsOut,
    ScheduleOut,
    SettlementQuoteOut,
    history_out,
    loan_out,
    loan_schedule_out,
    loan_summary,
    simulated_schedule,
)

READ = "loans.read"
CONFIGURE = "loans.configure"
APPLY = "loans.apply"
APPROVE = "loans.approve"
DISBURSE = "loans.disburse"
REPAY = "loans.repay"
REPAY_OWN = "loans.repay-own"
MANAGE = "loans.manage"
RECORDS = "loans.records"
REPORTS = "loans.reports"

LOAN = {"help": "Loan number, e.g. PJ00000001", "max_length": 32}
MEMBER = {"help": "Member number", "max_length": 32}
CASH = {"help": "Internal cash account when not through savings (e.g. CASH-01)",
        "max_length": 64}


# --- inputs -----------------------------------------------------------------------------------


@attrs.frozen
class ProductIn:
    product: str = attrs.field(metadata={"help": "Product code", "max_length": 32})


@attrs.frozen
class ProductActiveIn:
    product: str = attrs.field(metadata={"help": "Product code", "max_length": 32})
    active: bool = attrs.field(metadata={"help": "Offer the product to new applications"})


@attrs.frozen
class ProductListIn:
    include_inactive: bool = attrs.field(default=False,
                                         metadata={"help": "Also products no longer offered"})


@attrs.frozen
class SimulateIn:
    """A schedule before applying (simulasi angsuran)."""

    product: str = attrs.field(metadata={"help": "Product code", "max_length": 32})
    amount: Decimal = attrs.field(metadata={"help": "Principal"})
    term: int = attrs.field(metadata={"help": "Installments", "minimum": 1, "maximum": 600})
    start: date | None = attrs.field(default=None,
                                     metadata={"help": "Disbursement date (default: today)"})


@attrs.frozen
class ApplyIn:
    member: str = attrs.field(metadata=MEMBER)
    product: str = attrs.field(metadata={"help": "Product code", "max_length": 32})
    amount: Decimal = attrs.field(metadata={"help": "Principal asked for"})
    term: int = attrs.field(metadata={"help": "Installments", "minimum": 1, "maximum": 600})
    purpose: str = attrs.field(default="", metadata={"help": "What the loan is for",
                                                     "max_length": 200})
    auto_debit: bool = attrs.field(
        default=False, metadata={"help": "Collect installments from savings at end of day"})
    group: str | None = attrs.field(default=None, metadata={
        "help": "Group code, for a group loan (tanggung renteng)", "max_length": 32})


@attrs.frozen
class LoanIn:
    loan: str = attrs.field(metadata=LOAN)


@attrs.frozen
class ScheduleIn:
    loan: str = attrs.field(metadata=LOAN)
    history: bool = attrs.field(default=False,
                                metadata={"help": "Include rows replaced by restructuring"})


@attrs.frozen
class DecideIn:
    loan: str = attrs.field(metadata=LOAN)
    note: str = attrs.field(default="", metadata={"help": "Reason or remark",
                                                  "max_length": 200})


@attrs.frozen
class DisburseIn:
    loan: str = attrs.field(metadata=LOAN)
    to_savings: bool = attrs.field(
        default=True, metadata={"help": "Into the member's savings when a savings plugin "
                                        "offers an account (else cash)"})
    cash_account: str | None = attrs.field(default=None, metadata=CASH)
    fee_account: str | None = attrs.field(
        default=None, metadata={"help": "Cash account receiving fees paid apart",
                                "max_length": 64})


@attrs.frozen
class RepayIn:
    loan: str = attrs.field(metadata=LOAN)
    amount: Decimal = attrs.field(metadata={"help": "Amount paid"})
    from_savings: bool = attrs.field(
        default=False, metadata={"help": "Take it from the member's savings (else cash)"})
    cash_account: str | None = attrs.field(default=None, metadata=CASH)


@attrs.frozen
class RepayOwnIn:
    loan: str = attrs.field(metadata=LOAN)
    amount: Decimal = attrs.field(metadata={"help": "Amount paid"})


@attrs.frozen
class SettleIn:
    loan: str = attrs.field(metadata=LOAN)
    from_savings: bool = attrs.field(
        default=False, metadata={"help": "Take it from the member's savings (else cash)"})
    cash_account: str | None = attrs.field(default=None, metadata=CASH)


@attrs.frozen
class WriteOffIn:
    loan: str = attrs.field(metadata=LOAN)
    reason: str = attrs.field(metadata={"help": "Why (board decision number...)",
                                        "max_length": 200})


@attrs.frozen
class RecoverIn:
    loan: str = attrs.field(metadata=LOAN)
    amount: Decimal = attrs.field(metadata={"help": "Amount collected"})
    from_savings: bool = attrs.field(default=False,
                                     metadata={"help": "From the member's savings (else cash)"})
    cash_account: str | None = attrs.field(default=None, metadata=CASH)


@attrs.frozen
class RestructureIn:
    loan: str = attrs.field(metadata=LOAN)
    term: int = attrs.field(metadata={"help": "New number of installments from today",
                                      "minimum": 1, "maximum": 600})
    annual_rate: Decimal | None = attrs.field(default=None,
                                              metadata={"help": "New rate (default: unchanged)"})
    method: InterestMethod | None = attrs.field(default=None,
                                                metadata={"help": "New method (default: same)"})
    note: str = attrs.field(default="", metadata={"help": "Decision reference",
                                                  "max_length": 200})


@attrs.frozen
class GuarantorIn:
    loan: str = attrs.field(metadata=LOAN)
    guarantor: str = attrs.field(metadata={"help": "Member number of the guarantor",
                                           "max_length": 32})
    relationship: str = attrs.field(default="", metadata={"help": "Relationship to the borrower",
                                                          "max_length": 100})


@attrs.frozen
class CollateralIn:
    loan: str = attrs.field(metadata=LOAN)
    kind: str = attrs.field(metadata={"help": "What kind: BPKB kendaraan, SHM tanah, "
                                              "deposito, emas...", "max_length": 64})
    description: str = attrs.field(metadata={"help": "What it is", "max_length": 500})
    value: Decimal = attrs.field(metadata={"help": "Appraised value (nilai taksasi)"})
    liquidation_value: Decimal | None = attrs.field(default=None, metadata={
        "help": "Liquidation value (nilai likuidasi); default: the appraised value"})
    binding: Binding = attrs.field(default=Binding.NONE, metadata={
        "help": "fidusia, hak_tanggungan, gadai or none"})
    binding_ref: str | None = attrs.field(default=None, metadata={
        "help": "Deed or certificate number of the binding", "max_length": 100})
    owner: str | None = attrs.field(default=None, metadata={
        "help": "Owner when not the borrower", "max_length": 200})
    documents: str | None = attrs.field(default=None, metadata={
        "help": "Documents the cooperative holds (BPKB asli, SHM asli...)", "max_length": 500})
    appraised_on: date | None = attrs.field(default=None,
                                            metadata={"help": "Date of the appraisal"})
    document_ref: str | None = attrs.field(default=None, metadata={"help": "Document number",
                                                                   "max_length": 100})


COLLATERAL = {"help": "Collateral id (as loans get shows it)", "minimum": 1, "maximum": 2**31}


@attrs.frozen
class RevalueIn:
    loan: str = attrs.field(metadata=LOAN)
    collateral: int = attrs.field(metadata=COLLATERAL)
    value: Decimal = attrs.field(metadata={"help": "New appraised value"})
    liquidation_value: Decimal | None = attrs.field(default=None, metadata={
        "help": "New liquidation value (default: the appraised value)"})
    appraised_on: date | None = attrs.field(default=None,
                                            metadata={"help": "Appraisal date (default: today)"})


@attrs.frozen
class CollateralReleaseIn:
    loan: str = attrs.field(metadata=LOAN)
    collateral: int = attrs.field(metadata=COLLATERAL)
    note: str = attrs.field(metadata={"help": "Why (decision reference)", "max_length": 200})


@attrs.frozen
class CollateralReturnIn:
    loan: str = attrs.field(metadata=LOAN)
    collateral: int = attrs.field(metadata=COLLATERAL)
    returned_to: str = attrs.field(metadata={"help": "Who received the documents",
                                             "max_length": 200})


@attrs.frozen
class AutoDebitIn:
    loan: str = attrs.field(metadata=LOAN)
    enabled: bool = attrs.field(metadata={"help": "Member opts in to auto-debit from savings"})


@attrs.frozen
class ListLoansIn:
    member: str | None = attrs.field(default=None, metadata=MEMBER)
    status: LoanStatus | None = attrs.field(default=None, metadata={"help": "Only this status"})
    after: int = attrs.field(default=0, metadata={"help": "Cursor (next_after)", "minimum": 0,
                                                  "maximum": 2**62})
    limit: int = attrs.field(default=50, metadata={"help": "Items per page", "minimum": 1,
                                                   "maximum": 500})


@attrs.frozen
class MemberIn:
    member: str = attrs.field(metadata=MEMBER)


@attrs.frozen
class ArrearsIn:
    min_days: int = attrs.field(default=1, metadata={"help": "At least this many days late",
                                                     "minimum": 0, "maximum": 100000})


@attrs.frozen
class NoInput:
    """No parameters."""


@attrs.frozen
class ClassIn:
    code: str = attrs.field(metadata={"help": "Class code", "max_length": 16})
    name: str = attrs.field(metadata={"help": "Class name", "max_length": 100})
    min_days: int = attrs.field(metadata={"help": "First day past due of the class",
                                          "minimum": 0, "maximum": 100000})
    allowance_percent: Decimal = attrs.field(metadata={"help": "PPAP, percent of outstanding"})
    non_performing: bool = attrs.field(metadata={"help": "Counts as NPL"})
    role: str | None = attrs.field(default=None, metadata={
        "help": "current, special-mention, substandard, doubtful or loss (default: by code)",
        "max_length": 16})


@attrs.frozen
class ClassesIn:
    classes: list[ClassIn] = attrs.field(metadata={
        "help": 'Every class, e.g. [{"code": "L", "name": "Lancar", "min_days": 0, '
                '"allowance_percent": "0.5", "non_performing": false}, ...]'})


# --- helpers ----------------------------------------------------------------------------------


def _loan(ctx: Context, number: str, *, lock: bool = False) -> Loan:
    """The loan, if the caller may see it. A member asking about a number that is not theirs
    is refused the same way whether or not the loan exists, so numbers cannot be probed."""
    try:
        loan = get_loan(ctx, number, lock=lock)
    except NotFound:
        if ctx.principal is not None and ctx.principal.member_scoped:
            raise Forbidden(_("members may only see their own loans")) from None
        raise
    return require_access(ctx, loan)


def _money(ctx: Context, amount: Decimal, field: str = "amount") -> Money:
    return Money.parse(amount, ctx.settings.currency, field=field)


def _entry(entry: ledger.JournalEntry | None) -> EntryOut | None:
    return EntryOut.of(entry) if entry is not None else None


# --- handlers ---------------------------------------------------------------------------------


def product_create(ctx: Context, data: ProductTerms) -> ProductOut:
    """Create a loan product (flat, menurun, anuitas or bullet; installments daily to
    annual)."""
    return ProductOut.of(create_product(ctx, data))


def product_list(ctx: Context, data: ProductListIn) -> ProductsOut:
    """Loan products on offer."""
    return ProductsOut([ProductOut.of(p) for p in
                        list_products(ctx, include_inactive=data.include_inactive)])


def product_set_active(ctx: Context, data: ProductActiveIn) -> ProductOut:
    """Stop (or resume) offering a product; running loans keep their terms."""
    return ProductOut.of(set_product_active(ctx, data.product, data.active))


def simulate(ctx: Context, data: SimulateIn) -> ScheduleOut:
    """The schedule a loan on this product would have (nothing is stored)."""
    product = get_product(ctx, data.product)
    principal = _money(ctx, data.amount)
    if not principal.is_positive():
        raise ValidationError(_("amount must be positive"), field="amount")
    rows = build_schedule(principal.minor, product.annual_rate, data.term, product.method,
                          product.frequency, data.start or ctx.business_date, product.unit_minor)
    return simulated_schedule(principal, data.term, product.method.value,
                              product.frequency.value, str(product.annual_rate), rows)


def apply(ctx: Context, data: ApplyIn) -> LoanOut:
    """Enter a loan application (permohonan pinjaman) for a member."""
    member = ledger.get_member(ctx, data.member)
    group_id = None
    if data.group is not None:
        group = groups.get_group(ctx, data.group)
        if groups.group_of_member(ctx, member.id) != group.id:
            raise ValidationError(_("member {member_number} is not in group {group}",
                                    member_number=member.member_number, group=group.code),
                                  field="group")
        group_id = group.id
    loan = lifecycle.apply(ctx, member, data.product, _money(ctx, data.amount), data.term,
                           purpose=data.purpose, auto_debit=data.auto_debit,
                           group_id=group_id)
    return loan_out(ctx, loan)


def approve(ctx: Context, data: DecideIn) -> LoanOut:
    """Approve an application; refused to the person who entered it."""
    return loan_out(ctx, lifecycle.decide(ctx, _loan(ctx, data.loan, lock=True), approve=True,
                                          note=data.note))


def reject(ctx: Context, data: DecideIn) -> LoanOut:
    """Reject an application; refused to the person who entered it."""
    return loan_out(ctx, lifecycle.decide(ctx, _loan(ctx, data.loan, lock=True),
                                          approve=False, note=data.note))


def disburse(ctx: Context, data: DisburseIn) -> LoanEntryOut:
    """Pay out an approved loan into the member's savings or in cash; the schedule starts
    today."""
    loan = _loan(ctx, data.loan, lock=True)
    loan, entry = lifecycle.disburse(ctx, loan, lifecycle.member_of(ctx, loan),
                                     use_savings=data.to_savings,
                                     cash_account=data.cash_account,
                                     fee_account=data.fee_account)
    return LoanEntryOut(loan_out(ctx, loan), _entry(entry))


def repay(ctx: Context, data: RepayIn) -> PaymentOut:
    """Take a repayment: partial, a full installment or a prepayment of future ones."""
    loan = _loan(ctx, data.loan, lock=True)
    if loan.status is not LoanStatus.ACTIVE:
        raise Conflict(not_open(loan))
    source = lifecycle.money_account(ctx, lifecycle.member_of(ctx, loan), lifecycle.COLLECTION,
                                     use_savings=data.from_savings,
                                     cash_account=data.cash_account)
    loan, entry, alloc = repayment.repay(ctx, loan, source, _money(ctx, data.amount),
                                         memo=f"Angsuran pinjaman {loan.number}")
    cur = loan.currency
    return PaymentOut(loan_out(ctx, loan), _entry(entry), Money(alloc.penalty, cur),
                      Money(alloc.interest, cur), Money(alloc.principal, cur))


def repay_own(ctx: Context, data: RepayOwnIn) -> PaymentOut:
    """A member pays an installment of their own loan from their own savings (the member
    app): the repayment a teller takes with ``from_savings``, refused on another's loan."""
    return repay(ctx, RepayIn(data.loan, data.amount, from_savings=True))


def settlement_quote(ctx: Context, data: LoanIn) -> SettlementQuoteOut:
    """What it takes to settle the loan today under the product's early-settlement rule."""
    loan = _loan(ctx, data.loan)
    if loan.status is not LoanStatus.ACTIVE:
        raise Conflict(not_open(loan))
    rule = get_product_by_id(ctx, loan.product_id).settlement_interest
    quote = repayment.settlement_quote(loan, schedule_rows(ctx, loan.id), ctx.business_date,
                                       rule)
    cur = loan.currency
    return SettlementQuoteOut(loan.number, rule.value, Money(quote.penalty, cur),
                              Money(quote.interest, cur), Money(quote.principal, cur),
                              Money(quote.total, cur), Money(quote.interest_waived, cur))


def settle(ctx: Context, data: SettleIn) -> PaymentOut:
    """Settle the loan early (pelunasan dipercepat) and close it."""
    loan = _loan(ctx, data.loan, lock=True)
    if loan.status is not LoanStatus.ACTIVE:
        raise Conflict(not_open(loan))
    source = lifecycle.money_account(ctx, lifecycle.member_of(ctx, loan), lifecycle.COLLECTION,
                                     use_savings=data.from_savings,
                                     cash_account=data.cash_account)
    loan, entry, quote = repayment.settle(ctx, loan, source)
    cur = loan.currency
    return PaymentOut(loan_out(ctx, loan), _entry(entry), Money(quote.penalty, cur),
                      Money(quote.interest, cur), Money(quote.principal, cur))


def get(ctx: Context, data: LoanIn) -> LoanOut:
    """A loan with outstanding principal, arrears, class, guarantors and collateral."""
    return loan_out(ctx, _loan(ctx, data.loan))


def schedule(ctx: Context, data: ScheduleIn) -> ScheduleOut:
    """A loan's installment schedule with what has been paid."""
    loan = _loan(ctx, data.loan)
    return loan_schedule_out(ctx, loan, history=data.history)


def history(ctx: Context, data: LoanIn) -> HistoryOut:
    """Everything that happened to a loan: application, decisions, payments, restructuring."""
    return history_out(ctx, _loan(ctx, data.loan))


def list_loans(ctx: Context, data: ListLoansIn) -> LoansPage:
    """Loans, of one member or all, a page at a time."""
    query = sa.select(loans).where(loans.c.id > data.after).order_by(loans.c.id)
    if data.member is not None:
        query = query.where(loans.c.member_id == ledger.get_member(ctx, data.member).id)
    if data.status is not None:
        query = query.where(loans.c.status == data.status.value)
    found = [loan_from_row(r) for r in ctx.conn.execute(query.limit(data.limit))]
    return LoansPage([loan_summary(ctx, x) for x in found],
                     found[-1].id if len(found) == data.limit else None)


def write_off(ctx: Context, data: WriteOffIn) -> LoanEntryOut:
    """Write a loan off (hapus buku) against the allowance; the claim stays recoverable."""
    loan, entry = lifecycle.write_off(ctx, _loan(ctx, data.loan, lock=True), reason=data.reason)
    return LoanEntryOut(loan_out(ctx, loan), _entry(entry))


def recover(ctx: Context, data: RecoverIn) -> LoanEntryOut:
    """Book money collected on a written-off loan as recovery income."""
    loan = _loan(ctx, data.loan, lock=True)
    source = lifecycle.money_account(ctx, lifecycle.member_of(ctx, loan), lifecycle.COLLECTION,
                                     use_savings=data.from_savings,
                                     cash_account=data.cash_account)
    loan, entry = lifecycle.recover(ctx, loan, source, _money(ctx, data.amount))
    return LoanEntryOut(loan_out(ctx, loan), _entry(entry))


def restructure(ctx: Context, data: RestructureIn) -> LoanEntryOut:
    """Reschedule the outstanding principal over a new term (history is kept)."""
    loan = _loan(ctx, data.loan, lock=True)
    loan, entry = lifecycle.restructure(ctx, loan, lifecycle.member_of(ctx, loan),
                                        term=data.term, annual_rate=data.annual_rate,
                                        method=data.method, note=data.note)
    return LoanEntryOut(loan_out(ctx, loan), _entry(entry))


def add_guarantor(ctx: Context, data: GuarantorIn) -> LoanOut:
    """Record another member as guarantor (penjamin) of a loan."""
    loan = _loan(ctx, data.loan)
    lifecycle.add_guarantor(ctx, loan, ledger.get_member(ctx, data.guarantor),
                            data.relationship)
    return loan_out(ctx, loan)


def _optional_money(ctx: Context, amount: Decimal | None, field: str) -> Money | None:
    return None if amount is None else _money(ctx, amount, field)


def add_collateral(ctx: Context, data: CollateralIn) -> LoanOut:
    """Record collateral (agunan) held for a loan: values, binding, documents held."""
    loan = _loan(ctx, data.loan)
    agunan.add(ctx, loan, agunan.CollateralParams(
        data.kind, data.description, _money(ctx, data.value, "value"),
        _optional_money(ctx, data.liquidation_value, "liquidation_value"), data.binding,
        data.binding_ref, data.owner, data.documents, data.appraised_on, data.document_ref))
    return loan_out(ctx, loan)


def revalue_collateral(ctx: Context, data: RevalueIn) -> LoanOut:
    """Record a new appraisal of a held collateral."""
    loan = _loan(ctx, data.loan)
    agunan.revalue(ctx, loan, data.collateral, _money(ctx, data.value, "value"),
                   _optional_money(ctx, data.liquidation_value, "liquidation_value"),
                   data.appraised_on)
    return loan_out(ctx, loan)


def release_collateral(ctx: Context, data: CollateralReleaseIn) -> LoanOut:
    """Release a collateral while the loan runs (payoff releases it by itself)."""
    loan = _loan(ctx, data.loan)
    agunan.release(ctx, loan, data.collateral, data.note)
    return loan_out(ctx, loan)


def return_collateral(ctx: Context, data: CollateralReturnIn) -> LoanOut:
    """Record that a released collateral's documents were handed back."""
    loan = _loan(ctx, data.loan)
    agunan.hand_back(ctx, loan, data.collateral, data.returned_to)
    return loan_out(ctx, loan)


def set_auto_debit(ctx: Context, data: AutoDebitIn) -> LoanOut:
    """Opt a loan in (or out) of auto-debit from the member's savings at end of day."""
    loan = _loan(ctx, data.loan, lock=True)
    if loan.status in (LoanStatus.CLOSED, LoanStatus.WRITTEN_OFF):
        raise Conflict(not_open(loan))
    ctx.conn.execute(sa.update(loans).where(loans.c.id == loan.id)
                     .values(auto_debit=data.enabled))
    return loan_out(ctx, get_loan(ctx, loan.number))


def classes(ctx: Context, data: NoInput) -> ClassesOut:
    """The kolektibilitas classes and their allowance (PPAP) percentages."""
    return ClassesOut([ClassOut.of(c) for c in collectibility(ctx)])


def set_classes(ctx: Context, data: ClassesIn) -> ClassesOut:
    """Replace the kolektibilitas classes; loans are reclassified at the next end of day."""
    new = [CollectibilityClass(c.code, c.name, c.min_days, c.allowance_percent,
                               c.non_performing, c.role) for c in data.classes]
    check_classes_fit(ctx, policy(ctx).regime, new)
    policy_history.before_change(ctx)
    replaced = replace_classes(ctx, new)
    policy_history.after_change(ctx)
    return ClassesOut([ClassOut.of(c) for c in replaced])


def portfolio(ctx: Context, data: NoInput) -> reports.Portfolio:
    """Outstanding portfolio: collectibility, aging, NPL and PAR 1/30/90."""
    return reports.portfolio(ctx)


def arrears(ctx: Context, data: ArrearsIn) -> reports.ArrearsList:
    """Loans past due, the latest first, with contact details: the collectors' list."""
    return reports.arrears(ctx, data.min_days)


def member_history(ctx: Context, data: MemberIn) -> MemberHistoryOut:
    """Every loan a member has had, with its events."""
    member = ledger.get_member(ctx, data.member)
    found = [loan_from_row(r) for r in ctx.conn.execute(
        sa.select(loans).where(loans.c.member_id == member.id).order_by(loans.c.id))]
    return MemberHistoryOut(member.member_number, [loan_summary(ctx, x) for x in found],
                            [history_out(ctx, x) for x in found])


# --- declarations -----------------------------------------------------------------------------

LOOKUP = (NotFound, Forbidden)
MONEY_ERRORS = (NotFound, Conflict, ValidationError, InsufficientFunds, AccountClosed,
                AccountFrozen, PostingVetoed, MemberNotActive)

OPERATIONS: tuple[Operation, ...] = (
    Operation("loans.product-create", ProductTerms, ProductOut, product_create,
              permission=CONFIGURE, mutates=True, summary="Create a loan product",
              errors=(ValidationError, Conflict)),
    Operation("loans.product-list", ProductListIn, ProductsOut, product_list, permission=READ,
              mutates=False, summary="List loan products", self_service=True),
    Operation("loans.product-set-active", ProductActiveIn, ProductOut, product_set_active,
              permission=CONFIGURE, mutates=True, summary="Offer or withdraw a product",
              errors=(NotFound,)),
    Operation("loans.simulate", SimulateIn, ScheduleOut, simulate, permission=READ,
              mutates=False, summary="Simulate an installment schedule", self_service=True,
              errors=(NotFound, ValidationError)),
    Operation("loans.apply", ApplyIn, LoanOut, apply, permission=APPLY, mutates=True,
              summary="Apply for a loan", member_fields=("member",),
              errors=(NotFound, ValidationError, Conflict, MemberNotActive)),
    Operation("loans.approve", DecideIn, LoanOut, approve, permission=APPROVE, mutates=True,
              summary="Approve an application", errors=(*LOOKUP, Conflict)),
    Operation("loans.reject", DecideIn, LoanOut, reject, permission=APPROVE, mutates=True,
              summary="Reject an application", errors=(*LOOKUP, Conflict)),
    Operation("loans.disburse", DisburseIn, LoanEntryOut, disburse, permission=DISBURSE,
              mutates=True, summary="Disburse an approved loan", errors=MONEY_ERRORS),
    Operation("loans.repay", RepayIn, PaymentOut, repay, permission=REPAY, mutates=True,
              summary="Take a repayment", approval_amount_field="amount",
              errors=MONEY_ERRORS),
    Operation("loans.repay-own", RepayOwnIn, PaymentOut, repay_own, permission=REPAY_OWN,
              mutates=True, summary="Pay one's own installment from savings",
              self_service=True, approval_amount_field="amount", errors=MONEY_ERRORS),
    Operation("loans.settlement-quote", LoanIn, SettlementQuoteOut, settlement_quote,
              permission=READ, mutates=False, summary="Early settlement amount",
              self_service=True, errors=(*LOOKUP, Conflict)),
    Operation("loans.settle", SettleIn, PaymentOut, settle, permission=REPAY, mutates=True,
              summary="Settle a loan early", errors=MONEY_ERRORS),
    Operation("loans.get", LoanIn, LoanOut, get, permission=READ, mutates=False,
              summary="Show a loan", self_service=True, errors=LOOKUP),
    Operation("loans.schedule", ScheduleIn, ScheduleOut, schedule, permission=READ,
              mutates=False, summary="A loan's schedule", self_service=True, errors=LOOKUP),
    Operation("loans.history", LoanIn, HistoryOut, history, permission=READ, mutates=False,
              summary="A loan's history", self_service=True, errors=LOOKUP),
    Operation("loans.list", ListLoansIn, LoansPage, list_loans, permission=READ,
              mutates=False, summary="List loans", member_fields=("member",),
              errors=(NotFound,)),
    Operation("loans.write-off", WriteOffIn, LoanEntryOut, write_off, permission=MANAGE,
              mutates=True, summary="Write a loan off", errors=MONEY_ERRORS),
    Operation("loans.recover", RecoverIn, LoanEntryOut, recover, permission=MANAGE,
              mutates=True, summary="Book a recovery on a written-off loan",
              approval_amount_field="amount", errors=MONEY_ERRORS),
    Operation("loans.restructure", RestructureIn, LoanEntryOut, restructure,
              permission=MANAGE, mutates=True, summary="Reschedule a loan",
              errors=MONEY_ERRORS),
    Operation("loans.add-guarantor", GuarantorIn, LoanOut, add_guarantor, permission=RECORDS,
              mutates=True, summary="Record a guarantor",
              errors=(*LOOKUP, Conflict, ValidationError, MemberNotActive)),
    Operation("loans.add-collateral", CollateralIn, LoanOut, add_collateral,
              permission=RECORDS, mutates=True, summary="Record collateral",
              errors=(*LOOKUP, Conflict, ValidationError)),
    Operation("loans.revalue-collateral", RevalueIn, LoanOut, revalue_collateral,
              permission=MANAGE, mutates=True, summary="Record a new appraisal of collateral",
              errors=(*LOOKUP, Conflict, ValidationError)),
    Operation("loans.release-collateral", CollateralReleaseIn, LoanOut, release_collateral,
              permission=MANAGE, mutates=True, summary="Release collateral of a running loan",
              errors=(*LOOKUP, Conflict, ValidationError)),
    Operation("loans.return-collateral", CollateralReturnIn, LoanOut, return_collateral,
              permission=RECORDS, mutates=True,
              summary="Record collateral documents handed back",
              errors=(*LOOKUP, Conflict, ValidationError)),
    Operation("loans.auto-debit", AutoDebitIn, LoanOut, set_auto_debit, permission=RECORDS,
              mutates=True, summary="Opt in or out of auto-debit", errors=(*LOOKUP, Conflict)),
    Operation("loans.classes", NoInput, ClassesOut, classes, permission=READ, mutates=False,
              summary="Kolektibilitas classes", self_service=True),
    Operation("loans.set-classes", ClassesIn, ClassesOut, set_classes, permission=CONFIGURE,
              mutates=True, summary="Replace the kolektibilitas classes",
              errors=(ValidationError,)),
    Operation("loans.portfolio", NoInput, reports.Portfolio, portfolio, permission=REPORTS,
              mutates=False, summary="Portfolio, collectibility, NPL and PAR"),
    Operation("loans.arrears", ArrearsIn, reports.ArrearsList, arrears, permission=REPORTS,
              mutates=False, summary="Arrears list for collectors"),
    Operation("loans.book", book.BookIn, book.BookOut, book.book, permission=REPORTS,
              mutates=False, summary="The loan book on a date, classed as it stood then",
              errors=(ValidationError,)),
    Operation("loans.member-history", MemberIn, MemberHistoryOut, member_history,
              permission=READ, mutates=False, summary="A member's loans and their history",
              member_fields=("member",), errors=(NotFound,)),
    *QUALITY_OPERATIONS,
    *GROUP_OPERATIONS,
)
