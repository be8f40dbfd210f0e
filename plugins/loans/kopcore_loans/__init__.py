"""kopcore-loans: loan products (pinjaman) for kopcore cooperatives.

Flat, declining (menurun), annuity (anuitas) and bullet (principal at maturity) schedules, with
installments daily, weekly or every 1, 2, 3, 6 or 12 months;
provisi and administrasi fees; late penalties (denda); repayment allocation; early settlement;
restructuring; write-off and recovery; guarantors and collateral; and at end of day interest
accrual, days past due, kolektibilitas and the loan-loss allowance (PPAP). Enabled through its
entry point::

    [project.entry-points.kopcore]
    loans = "kopcore_loans"

It imports only kopcore's public API and never the savings plugin: money reaches a member's
savings through the kernel's settlement hook. See README.md for the products, the schedule
arithmetic, the lifecycle and the GL accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import sqlalchemy as sa

import kopcore
from kopcore import ledger
from kopcore.context import Context
from kopcore.ledger import Account, Member, MemberStatus, ProposedEntry
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import (
    DemoSeed,
    DueLines,
    DueSettlement,
    EodTask,
    EventType,
    ExitContribution,
    Finding,
    GLAccountSpec,
    HealthFigure,
    ImportSheet,
    MemberBasis,
    MemberDue,
    MigrationSource,
    PermissionSpec,
    ProductType,
    ShuBasis,
    Veto,
)
from kopcore_loans import (
    cutover,
    dues,
    gl,
    lifecycle,
    operations,
    payment_events,
    reminders,
    repayment,
    tables,
)
from kopcore_loans import shu as shu_bases
from kopcore_loans.eod import EOD_TASKS
from kopcore_loans.exit import member_exit
from kopcore_loans.health import health_figures
from kopcore_loans.loan import LoanStatus, get_loan, schedule_rows
from kopcore_loans.messages import _
from kopcore_loans.products import ProductTerms, create_product
from kopcore_loans.schedule import Frequency, InterestMethod
from kopcore_loans.verify import findings as verify_findings

__version__ = "0.3.0"
#: The kernel contract this plugin is written for (see kopcore.contract).
KOPCORE_CONTRACT = "1.4"

#: The veto's stable reason code.
MANAGED_ACCOUNT = "loans.managed-account"

#: Operations (besides the plugin's own and its end of day) that may post to a loan's
#: accounts: a member's exit settlement, the demo seed, embedding Python code, and the
#: cut-over import's opening balances.
TRUSTED_OPERATIONS = ("members.exit", "python-api", "import.run")


@kopcore.hookimpl
def kopcore_gl_accounts() -> Sequence[GLAccountSpec]:
    return gl.GL_ACCOUNTS


@kopcore.hookimpl
def kopcore_product_types() -> Sequence[ProductType]:
    return gl.PRODUCT_TYPES


@kopcore.hookimpl
def kopcore_migrations() -> MigrationSource:
    return MigrationSource(branch="loans", path=Path(__file__).parent / "migrations")


@kopcore.hookimpl
def kopcore_permissions() -> Sequence[PermissionSpec]:
    return [
        PermissionSpec(operations.READ, "See loan products, loans and schedules",
                       ("manager", "teller", "auditor", "member")),
        PermissionSpec(operations.CONFIGURE, "Define loan products and kolektibilitas classes",
                       ("manager",)),
        PermissionSpec(operations.APPLY, "Enter loan applications",
                       ("manager", "teller", "member")),
        PermissionSpec(operations.APPROVE, "Approve or reject loan applications", ("manager",)),
        PermissionSpec(operations.DISBURSE, "Disburse approved loans", ("manager", "teller")),
        PermissionSpec(operations.REPAY, "Take repayments and early settlements",
                       ("manager", "teller")),
        PermissionSpec(operations.REPAY_OWN, "Pay one's own installment from one's savings",
                       ("member",)),
        PermissionSpec(operations.MANAGE, "Write off, recover and restructure loans",
                       ("manager",)),
        PermissionSpec(operations.RECORDS, "Record guarantors, collateral and auto-debit",
                       ("manager", "teller")),
        PermissionSpec(operations.REPORTS, "Portfolio, collectibility and arrears reports",
                       ("manager", "auditor")),
    ]


@kopcore.hookimpl
def kopcore_operations() -> Sequence[Operation]:
    return operations.OPERATIONS


@kopcore.hookimpl
def kopcore_eod_tasks() -> Sequence[EodTask]:
    return EOD_TASKS + reminders.EOD_TASKS


@kopcore.hookimpl
def kopcore_veto_entry(ctx: Context, entry: ProposedEntry) -> Veto | None:
    """Keep a loan's accounts in step with its schedule: only the loans operations, its end of
    day, a member's exit, the cut-over import and embedding code may post to them (no manual
    entry or reversal)."""
    touches_loan = any(
        account.plugin == gl.PLUGIN and account.member_id is not None
        for account in entry.accounts.values()
    )
    operation = entry.operation
    if not touches_loan or operation.startswith(("loans.", "eod.loans.", "demo.")) \
            or operation in TRUSTED_OPERATIONS or entry.settles_dues:
        return None
    return Veto(MANAGED_ACCOUNT, _("loan accounts change only through the loans operations "
                                   "(repay, settle, restructure, write-off...)"))


@kopcore.hookimpl
def kopcore_member_dues(ctx: Context, member_ids: Sequence[int], start: date,
                        end: date) -> Sequence[MemberDue]:
    """Open installments due by ``end`` (overdue before ``start``) and unpaid penalties."""
    return dues.loan_dues_of(ctx, member_ids, start, end)


@kopcore.hookimpl
def kopcore_settle_dues(ctx: Context, settlements: Sequence[DueSettlement]) -> DueLines | None:
    """Credit installments and penalties as a repayment would; mark the schedule once posted."""
    return dues.settle(ctx, settlements)


@kopcore.hookimpl
def kopcore_member_exit(ctx: Context, member: Member) -> ExitContribution | None:
    return member_exit(ctx, member)


@kopcore.hookimpl
def kopcore_health_figures(ctx: Context, as_of: date) -> Sequence[HealthFigure]:
    """Outstanding, non-performing outstanding, PPAP required and borrowers on ``as_of``."""
    return health_figures(ctx, as_of)


@kopcore.hookimpl
def kopcore_shu_bases(ctx: Context, year_start: date, year_end: date,
                      basis: ShuBasis) -> Sequence[MemberBasis] | None:
    """Patronage basis (jasa usaha): loan interest paid, or repayments, in the year."""
    return shu_bases.bases(ctx, year_start, year_end, basis)


def seed_demo(ctx: Context) -> list[str]:
    """A flat-interest product and two disbursed loans (cash) for the first demo members."""
    product = create_product(ctx, ProductTerms(
        code="PMU-FLAT", name="Pinjaman Modal Usaha (flat 18%)", method=InterestMethod.FLAT,
        frequency=Frequency.MONTHLY, annual_rate=Decimal(18), min_amount=Decimal(500000),
        max_amount=Decimal(50000000), min_term=3, max_term=36,
        provisi_percent=Decimal(1), admin_fee=Decimal(25000),
        penalty_percent_per_day=Decimal("0.1"), grace_days=3))
    create_product(ctx, ProductTerms(
        code="PKONS-ANUITAS", name="Pinjaman Konsumtif (anuitas 15%)",
        method=InterestMethod.ANUITAS, frequency=Frequency.MONTHLY, annual_rate=Decimal(15),
        min_amount=Decimal(1000000), max_amount=Decimal(100000000), min_term=6, max_term=60))
    members = ledger.list_members(ctx, status=MemberStatus.ACTIVE, limit=2)
    cash = _demo_cash(ctx)
    if cash is None:
        return []
    return [_demo_loan(ctx, member, product.code, amount, cash)
            for member, amount in zip(members, ("5000000", "3000000"), strict=False)]


#: The demo borrower who falls behind for a few months (the second loan), and when.
DEMO_LATE_MONTHS = (6, 7, 8)


def demo_month(ctx: Context, day: date) -> None:
    """A month of borrowers at the counter: every active loan's dues paid in cash, except the
    second borrower's from June to August (arrears that the quality figures show, paid off in
    September); in April a third member borrows."""
    cash = _demo_cash(ctx)
    if cash is None:
        return
    teller = attrs.evolve(ctx, actor="teller")
    numbers = ctx.conn.execute(
        sa.select(tables.loans.c.number).where(tables.loans.c.status == LoanStatus.ACTIVE.value)
        .order_by(tables.loans.c.id)).scalars().all()
    for position, number in enumerate(numbers):
        if position == 1 and day.month in DEMO_LATE_MONTHS:
            continue
        loan = get_loan(ctx, number, lock=True)
        due = repayment.dues(loan, schedule_rows(ctx, loan.id), ctx.business_date)
        if due:
            repayment.repay(teller, loan, cash, Money(due, loan.currency),
                            memo=f"Angsuran pinjaman {loan.number}")
    if day.month == 4:
        members = ledger.list_members(ctx, status=MemberStatus.ACTIVE, limit=3)
        if len(members) == 3:
            _demo_loan(ctx, members[2], "PKONS-ANUITAS", "4000000", cash)


def _demo_cash(ctx: Context) -> Account | None:
    return next((a for a in ledger.list_accounts(ctx, gl_key="cash", limit=10)
                 if a.member_id is None and not a.number.startswith("GL-")), None)


def _demo_loan(ctx: Context, member: Member, product: str, amount: str, cash: Account) -> str:
    teller = attrs.evolve(ctx, actor="teller")
    loan = lifecycle.apply(teller, member, product, Money.parse(amount, ctx.settings.currency),
                           12, purpose="Modal warung")
    loan = lifecycle.decide(ctx, loan, approve=True, note="Rapat komite kredit")
    loan, _entry = lifecycle.disburse(ctx, loan, member, use_savings=False,
                                      cash_account=cash.number, fee_account=None)
    return loan.number


@kopcore.hookimpl
def kopcore_demo_seed() -> Sequence[DemoSeed]:
    return [DemoSeed("loans", seed_demo, order=300, each_month=demo_month)]



@kopcore.hookimpl
def kopcore_import_sheets() -> Sequence[ImportSheet]:
    """The sheet ``pinjaman`` of a cut-over import: loans mid-term."""
    return cutover.SHEETS


@kopcore.hookimpl
def kopcore_verify(ctx: Context) -> Sequence[Finding]:
    """Each loan's schedule against its principal account and its recorded payments."""
    return verify_findings(ctx)


@kopcore.hookimpl
def kopcore_event_types() -> Sequence[EventType]:
    """Installments due soon and overdue tell the borrower (docs/notifications.md)."""
    return (*reminders.EVENT_TYPES, *payment_events.EVENT_TYPES)
