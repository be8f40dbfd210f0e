"""Built-in plugin: closing months and years, adjusting entries, and SHU distribution.

Registered like any plugin: its own Alembic branch (``yearend``), GL accounts (current-year SHU,
SHU payable and the funds), permissions, operations, and a posting veto that refuses entries
dated in a closed period. See docs/yearend.md.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import ColumnElement, select

from kopcore import hookimpl, ledger
from kopcore._db import tables as t
from kopcore._yearend import closing, shu
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    BusinessDateError,
    Conflict,
    CurrencyMismatch,
    InsufficientFunds,
    NotFound,
    PostingVetoed,
    UnbalancedEntry,
    ValidationError,
)
from kopcore.ledger._records import ProposedEntry
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.plugins.paging import PAGE_LIMIT, page_fields
from kopcore.records import (
    GLAccountSpec,
    GLType,
    MigrationSource,
    PermissionSpec,
    PostingLine,
    Side,
    Veto,
)
from kopcore.views import EntryOut

PERIODS_READ = "periods.read"
PERIODS_CLOSE = "periods.close"
PERIODS_ADJUST = "periods.adjust"
SHU_READ = "shu.read"
SHU_MANAGE = "shu.manage"
SHU_APPROVE = "shu.approve"
SHU_STATEMENT = "shu.statement"

LIAB, EQUITY = GLType.LIABILITY, GLType.EQUITY

GL_ACCOUNTS: tuple[GLAccountSpec, ...] = (
    GLAccountSpec(closing.SHU_CURRENT, "3302", "SHU Tahun Berjalan", EQUITY),
    GLAccountSpec(shu.RISK_RESERVE, "3202", "Cadangan Tujuan Risiko", EQUITY),
    GLAccountSpec(shu.SHU_PAYABLE, "2401", "Utang SHU Anggota", LIAB),
    GLAccountSpec(shu.FUND_MANAGEMENT, "2402", "Dana Pengurus dan Pengawas", LIAB),
    GLAccountSpec(shu.FUND_STAFF, "2403", "Dana Kesejahteraan Karyawan", LIAB),
    GLAccountSpec(shu.FUND_EDUCATION, "2404", "Dana Pendidikan", LIAB),
    GLAccountSpec(shu.FUND_SOCIAL, "2405", "Dana Sosial", LIAB),
    GLAccountSpec(shu.FUND_OTHER, "2406", "Dana Lain-lain dari SHU", LIAB),
)

PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec(PERIODS_READ, "See closed periods and verify their figures",
                   ("manager", "auditor")),
    PermissionSpec(PERIODS_CLOSE, "Close months and financial years", ("manager",)),
    PermissionSpec(PERIODS_ADJUST, "Post adjusting entries dated in a past period",
                   ("manager",)),
    PermissionSpec(SHU_READ, "See SHU drafts and allocations", ("manager", "auditor")),
    PermissionSpec(SHU_MANAGE, "Draft and post the SHU allocation", ("manager",)),
    PermissionSpec(SHU_APPROVE, "Approve an SHU draft as decided by the RAT", ("manager",)),
    PermissionSpec(SHU_STATEMENT, "A member's SHU statement",
                   ("manager", "teller", "auditor", "member")),
)

YEAR = {"help": "Financial year, e.g. 2026", "minimum": 1900, "maximum": 9999}


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"


# --- inputs and outputs --------------------------------------------------------------------


@attrs.frozen
class CloseMonthIn:
    year: int = attrs.field(metadata=YEAR)
    month: int = attrs.field(metadata={"help": "Month, 1 to 12", "minimum": 1, "maximum": 12})


@attrs.frozen
class YearIn:
    year: int = attrs.field(metadata=YEAR)


@attrs.frozen
class ListPeriodsIn:
    year: int | None = attrs.field(default=None, metadata={**YEAR, "help": "Only this year"})
    kind: PeriodKind | None = attrs.field(default=None, metadata={"help": "month or year"})


@attrs.frozen
class VerifyIn:
    kind: PeriodKind = attrs.field(metadata={"help": "month or year"})
    year: int = attrs.field(metadata=YEAR)
    month: int | None = attrs.field(default=None, metadata={
        "help": "Month, 1 to 12 (for a month)", "minimum": 1, "maximum": 12})


@attrs.frozen
class AdjustLineIn:
    account: str = attrs.field(metadata={"help": "Account number", "max_length": 64})
    side: Side = attrs.field(metadata={"help": "debit or credit"})
    amount: Decimal = attrs.field(metadata={"help": "Positive amount"})


@attrs.frozen
class AdjustIn:
    """An adjusting entry (jurnal penyesuaian) dated in a past period of an open year."""

    date: date = attrs.field(metadata={"help": "Date of the entry: a past day of an open year"})
    memo: str = attrs.field(metadata={"help": "Why the books are adjusted", "max_length": 500})
    lines: list[AdjustLineIn] = attrs.field(
        metadata={"help": 'Lines; on the CLI as JSON, e.g. [{"account": "GL-expense.general", '
                          '"side": "debit", "amount": "1000"}, ...]'})

    @property
    def total_debit(self) -> Decimal:
        """Compared with ``approval_thresholds["periods.adjust"]`` for maker-checker."""
        return sum((line.amount for line in self.lines if line.side is Side.DEBIT), Decimal(0))


@attrs.frozen
class PeriodOut:
    kind: str
    period: str
    start: date
    end: date
    closed_by: str
    closed_on: date
    entry_id: int | None
    surplus: Money | None

    @classmethod
    def of(cls, p: closing.ClosedPeriod) -> PeriodOut:
        return cls(p.kind, p.label, p.start, p.end, p.closed_by, p.closed_on, p.entry_id,
                   p.surplus)


@attrs.frozen
class PeriodListOut:
    closed_through: date | None
    periods: list[PeriodOut]


@attrs.frozen
class VerifiedLineOut:
    code: str
    key: str
    name: str
    #: Debit-positive nets.
    as_closed: Money
    late_entries: Money
    recomputed: Money
    difference: Money


@attrs.frozen
class VerificationOut:
    """A closed period's trial balance as closed, and as recomputed from postings now."""

    period: PeriodOut
    consistent: bool
    late_entries: list[int]
    lines: list[VerifiedLineOut]


@attrs.frozen
class DraftIn:
    draft_id: int = attrs.field(metadata={"help": "SHU draft id", "minimum": 1,
                                          "maximum": 2**62})


@attrs.frozen
class ShowIn:
    year: int = attrs.field(metadata=YEAR)
    after: int = attrs.field(default=0, metadata=page_fields["after"])
    limit: int = attrs.field(default=100, metadata=page_fields["limit"])


@attrs.frozen
class PoolOut:
    pool: str
    percent: Decimal
    amount: Money


@attrs.frozen
class MemberShareOut:
    member_number: str
    name: str
    capital_basis: Money
    patronage_basis: Money
    jasa_modal: Money
    jasa_usaha: Money
    total: Money
    account: str | None


@attrs.frozen
class DraftOut:
    """An SHU allocation for a year: draft, approved, posted (or superseded)."""

    draft_id: int
    year: int
    status: str
    surplus: Money
    capital_basis: str
    patronage_basis: str
    member_payout: str
    drafted_by: str
    approved_by: str | None
    posted_by: str | None
    posted_on: date | None
    entry_id: int | None
    pools: list[PoolOut]
    members_total: Money
    members: list[MemberShareOut]
    next_after: int | None


@attrs.frozen
class StatementIn:
    year: int = attrs.field(metadata=YEAR)
    member: str = attrs.field(metadata={"help": "Member number", "max_length": 32})


@attrs.frozen
class StatementOut:
    """A member's SHU for a year: bases, shares of jasa modal and jasa usaha, where it went."""

    year: int
    status: str
    member_number: str
    name: str
    capital_basis: Money
    capital_basis_total: Money
    jasa_modal_pool: Money
    jasa_modal: Money
    patronage_basis: Money
    patronage_basis_total: Money
    jasa_usaha_pool: Money
    jasa_usaha: Money
    total: Money
    account: str | None
    entry_id: int | None


# --- handlers ------------------------------------------------------------------------------


def close_period(ctx: Context, data: CloseMonthIn) -> PeriodOut:
    """Close a month: no more postings dated in it except adjusting entries."""
    return PeriodOut.of(closing.close_month(ctx, data.year, data.month))


def list_periods(ctx: Context, data: ListPeriodsIn) -> PeriodListOut:
    """Closed months and years, and the last closed day."""
    found = closing.list_periods(ctx, kind=data.kind.value if data.kind else None,
                                 year=data.year)
    return PeriodListOut(closing.closed_through(ctx), [PeriodOut.of(p) for p in found])


def verify_period(ctx: Context, data: VerifyIn) -> VerificationOut:
    """Recompute a closed period's trial balance and compare it with the one stored at close
    (plus the adjusting and closing entries dated in it since)."""
    period = closing.find_period(ctx, data.kind.value, data.year, data.month)
    result = closing.verify(ctx, period)
    lines = [VerifiedLineOut(ln.code, ln.key, ln.name, Money(ln.as_closed, ln.currency),
                             Money(ln.late, ln.currency), Money(ln.recomputed, ln.currency),
                             Money(ln.difference, ln.currency)) for ln in result.lines]
    return VerificationOut(PeriodOut.of(period), result.consistent, result.late_entries, lines)


def adjust(ctx: Context, data: AdjustIn) -> EntryOut:
    """Post an adjusting entry dated in a past period (closed or not) of an open year."""
    accounts = {line.account for line in data.lines}
    currencies = {n: ledger.get_account(ctx, n).currency for n in accounts}
    lines = [PostingLine(x.account, x.side, Money.parse(x.amount, currencies[x.account]))
             for x in data.lines]
    return EntryOut.of(closing.adjust(ctx, data.date, lines, memo=data.memo))


def close_year(ctx: Context, data: YearIn) -> PeriodOut:
    """Close a financial year: income and expenses into the current-year SHU (31 December)."""
    return PeriodOut.of(closing.close_year(ctx, data.year))


def _numbers(ctx: Context, member_ids: list[int]) -> dict[int, tuple[str, str]]:
    m = t.members.c
    if not member_ids:
        return {}
    return {r.id: (r.member_number, r.name) for r in ctx.conn.execute(
        select(m.id, m.member_number, m.name).where(m.id.in_(member_ids)))}


def _draft_out(ctx: Context, found: shu.Draft, *, after: int = 0, limit: int = 100
               ) -> DraftOut:
    shares = shu.member_shares(ctx, found, after=after, limit=limit + 1)
    more = len(shares) > limit
    shares = shares[:limit]
    names = _numbers(ctx, [s.member_id for s in shares])
    members = [MemberShareOut(*names[s.member_id], s.capital, s.patronage, s.jasa_modal,
                              s.jasa_usaha, s.total, s.account) for s in shares]
    pools = [PoolOut(pool, Decimal(weight) / 100, amount)
             for pool, (weight, amount) in found.pools.items()]
    members_total = found.pools["jasa_modal"][1] + found.pools["jasa_usaha"][1]
    return DraftOut(found.id, found.year, found.status, found.surplus, found.capital_basis,
                    found.patronage_basis, found.member_payout, found.drafted_by,
                    found.approved_by, found.posted_by, found.posted_on, found.entry_id, pools,
                    members_total, members, shares[-1].member_id if more else None)


def shu_draft(ctx: Context, data: YearIn) -> DraftOut:
    """Compute the SHU allocation of a closed year as a draft for the RAT."""
    return _draft_out(ctx, shu.draft(ctx, data.year))


def shu_show(ctx: Context, data: ShowIn) -> DraftOut:
    """The year's SHU allocation (posted, approved or the latest draft), members paged."""
    return _draft_out(ctx, shu.current_draft(ctx, data.year), after=data.after,
                      limit=min(data.limit, PAGE_LIMIT))


def shu_approve(ctx: Context, data: DraftIn) -> DraftOut:
    """Approve an SHU draft as decided by the RAT (not by its drafter)."""
    return _draft_out(ctx, shu.approve(ctx, data.draft_id))


def shu_post(ctx: Context, data: DraftIn) -> DraftOut:
    """Post an approved SHU allocation: reserve, funds, and members' shares."""
    return _draft_out(ctx, shu.post(ctx, data.draft_id))


def shu_member_statement(ctx: Context, data: StatementIn) -> StatementOut:
    """A member's SHU for a year: bases, shares and where the money went."""
    member = ledger.get_member(ctx, data.member)
    found = shu.current_draft(ctx, data.year)
    cur = found.currency
    zero = Money(0, cur)
    share = next(iter(shu.member_shares(ctx, found, member_id=member.id)), None)
    totals = shu.basis_totals(ctx, found)
    return StatementOut(
        found.year, found.status, member.member_number, member.name,
        share.capital if share else zero, totals[0], found.pools["jasa_modal"][1],
        share.jasa_modal if share else zero,
        share.patronage if share else zero, totals[1], found.pools["jasa_usaha"][1],
        share.jasa_usaha if share else zero, share.total if share else zero,
        share.account if share else None, share.entry_id if share else None)


# --- hooks ---------------------------------------------------------------------------------


@hookimpl
def kopcore_gl_accounts() -> tuple[GLAccountSpec, ...]:
    return GL_ACCOUNTS


@hookimpl
def kopcore_permissions() -> tuple[PermissionSpec, ...]:
    return PERMISSIONS


@hookimpl
def kopcore_migrations() -> MigrationSource:
    return MigrationSource(branch="yearend",
                           path=Path(closing.__file__).parent / "migrations")


@hookimpl
def kopcore_transaction_facts() -> dict[str, ColumnElement[Any]]:
    """The last closed day, which the posting veto checks for every entry."""
    return {closing.CLOSED_THROUGH_FACT: closing.CLOSED_THROUGH}


@hookimpl
def kopcore_veto_entry(ctx: Context, entry: ProposedEntry) -> Veto | None:
    """Refuse entries dated in a closed period (reason ``yearend.period-closed``)."""
    return closing.veto(ctx, entry)


POSTING_ERRORS = (ValidationError, UnbalancedEntry, NotFound, AccountClosed, AccountFrozen,
                  InsufficientFunds, CurrencyMismatch, PostingVetoed, Conflict)


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("periods.close", CloseMonthIn, PeriodOut, close_period,
                  permission=PERIODS_CLOSE, mutates=True, summary="Close a month",
                  errors=(ValidationError, BusinessDateError, Conflict, PostingVetoed)),
        Operation("periods.list", ListPeriodsIn, PeriodListOut, list_periods,
                  permission=PERIODS_READ, mutates=False, summary="Closed periods",
                  errors=(ValidationError,)),
        Operation("periods.verify", VerifyIn, VerificationOut, verify_period,
                  permission=PERIODS_READ, mutates=False,
                  summary="Recompute a closed period's trial balance",
                  errors=(ValidationError, NotFound)),
        Operation("periods.adjust", AdjustIn, EntryOut, adjust, permission=PERIODS_ADJUST,
                  mutates=True, summary="Post an adjusting entry dated in a past period",
                  approval_amount_field="total_debit", errors=POSTING_ERRORS),
        Operation("years.close", YearIn, PeriodOut, close_year, permission=PERIODS_CLOSE,
                  mutates=True, summary="Close a financial year into the current-year SHU",
                  errors=(ValidationError, Conflict, PostingVetoed)),
        Operation("shu.draft", YearIn, DraftOut, shu_draft, permission=SHU_MANAGE,
                  mutates=True, summary="Draft the SHU allocation of a closed year",
                  errors=(ValidationError, Conflict)),
        Operation("shu.show", ShowIn, DraftOut, shu_show, permission=SHU_READ, mutates=False,
                  summary="Show a year's SHU allocation", errors=(NotFound,)),
        Operation("shu.approve", DraftIn, DraftOut, shu_approve, permission=SHU_APPROVE,
                  mutates=True, summary="Approve an SHU draft", errors=(NotFound, Conflict)),
        Operation("shu.post", DraftIn, DraftOut, shu_post, permission=SHU_MANAGE,
                  mutates=True, summary="Post an approved SHU allocation",
                  errors=POSTING_ERRORS),
        Operation("shu.member-statement", StatementIn, StatementOut, shu_member_statement,
                  permission=SHU_STATEMENT, mutates=False, member_fields=("member",),
                  summary="A member's SHU statement", errors=(NotFound,)),
    ]
