"""Built-in plugin: manual journal entries, reversals and the financial reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from kopcore import hookimpl, ledger
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    AlreadyReversed,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    PostingVetoed,
    UnbalancedEntry,
    ValidationError,
    message,
)
from kopcore.ledger._offices import REPORT_OFFICE, REPORT_OFFICE_FIELDS, books_of
from kopcore.ledger._reports import GLBalance, ReportSection
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import GLType, PostingLine, Side
from kopcore.views import EntryOut

#: The books a report reads, besides its office's (:data:`REPORT_OFFICE`): the currency and
#: the unit.
CURRENCY = {"help": "Default: settings", "max_length": 3}
UNIT = {"help": "One unit's books (units list; utama: the main books); default: all",
        "max_length": 32}

@attrs.frozen
class EntryLineIn:
    account: str = attrs.field(metadata={"help": "Account number", "max_length": 64})
    side: Side = attrs.field(metadata={"help": "debit or credit"})
    amount: Decimal = attrs.field(metadata={"help": "Positive amount"})


@attrs.frozen
class PostEntryIn:
    """A manual (memorial) journal entry: at least two lines, balanced per currency."""

    memo: str = attrs.field(metadata={"help": "Description", "max_length": 500})
    lines: list[EntryLineIn] = attrs.field(
        metadata={"help": 'Lines; on the CLI as JSON, e.g. [{"account": "CASH-01", '
                          '"side": "debit", "amount": "1000"}, ...]'})

    @property
    def total_debit(self) -> Decimal:
        """Compared with ``approval_thresholds["entries.post"]`` for maker-checker."""
        return sum((line.amount for line in self.lines if line.side is Side.DEBIT), Decimal(0))


@attrs.frozen
class EntryIn:
    entry_id: int = attrs.field(metadata={"help": "Journal entry id", "minimum": 1,
                                          "maximum": 2**62})


@attrs.frozen
class ReverseIn:
    entry_id: int = attrs.field(metadata={"help": "Entry to reverse", "minimum": 1,
                                          "maximum": 2**62})
    memo: str | None = attrs.field(default=None, metadata={"help": "Why", "max_length": 500})


@attrs.frozen
class AsOfIn:
    as_of: date | None = attrs.field(default=None,
                                     metadata={"help": "Business date (default: current)"})
    currency: str | None = attrs.field(default=None, metadata=CURRENCY)
    office: str | None = attrs.field(default=None, metadata=REPORT_OFFICE)
    unit: str | None = attrs.field(default=None, metadata=UNIT)


@attrs.frozen
class PeriodIn:
    from_date: date = attrs.field(metadata={"help": "First business date"})
    to_date: date = attrs.field(metadata={"help": "Last business date"})
    currency: str | None = attrs.field(default=None, metadata=CURRENCY)
    office: str | None = attrs.field(default=None, metadata=REPORT_OFFICE)
    unit: str | None = attrs.field(default=None, metadata=UNIT)


@attrs.frozen
class GLLineOut:
    code: str
    key: str
    name: str
    type: str
    debit: Money
    credit: Money
    balance: Money

    @classmethod
    def of(cls, b: GLBalance) -> GLLineOut:
        return cls(b.code, b.key, b.name, b.type.value, b.debit, b.credit, b.balance)


@attrs.frozen
class TrialBalanceOut:
    """Neraca saldo: debits equal credits per currency."""

    as_of: date
    lines: list[GLLineOut]
    total_debit: list[Money]
    total_credit: list[Money]
    #: The office whose books these are; ``None``: consolidated.
    office: str | None = None
    #: The unit whose books these are; ``None``: every unit's.
    unit: str | None = None


@attrs.frozen
class SectionOut:
    title: str
    lines: list[GLLineOut]
    total: Money

    @classmethod
    def of(cls, s: ReportSection) -> SectionOut:
        return cls(s.title, [GLLineOut.of(b) for b in s.lines], s.total)


@attrs.frozen
class FinancialPositionOut:
    """Laporan posisi keuangan (SAK EP)."""

    as_of: date
    assets: SectionOut
    liabilities: SectionOut
    equity: SectionOut
    current_surplus: Money
    liabilities_and_equity: Money
    office: str | None = None
    unit: str | None = None
    #: Sections presented between liabilities and equity (dana syirkah temporer), from the GL
    #: accounts' ``position_section`` (contract 1.1); their totals are in
    #: ``liabilities_and_equity``.
    between_liabilities_and_equity: list[SectionOut] = attrs.field(factory=list)


@attrs.frozen
class OperatingResultsOut:
    """Laporan hasil usaha: income, expenses and surplus (SHU) for a period."""

    from_date: date
    to_date: date
    income: SectionOut
    expenses: SectionOut
    surplus: Money
    office: str | None = None
    unit: str | None = None


@attrs.frozen
class ChartIn:
    type: GLType | None = attrs.field(default=None, metadata={"help": "Only this type"})


@attrs.frozen
class ChartLineOut:
    key: str
    code: str
    name: str
    type: str
    contra: bool
    plugin: str


@attrs.frozen
class ChartOut:
    accounts: list[ChartLineOut]


def post(ctx: Context, data: PostEntryIn) -> EntryOut:
    """Post a manual journal entry (jurnal memorial)."""
    accounts = {line.account for line in data.lines}
    currencies = {n: ledger.get_account(ctx, n).currency for n in accounts}
    lines = [PostingLine(x.account, x.side, Money.parse(x.amount, currencies[x.account]))
             for x in data.lines]
    return EntryOut.of(ledger.post_entry(ctx, lines, memo=data.memo))


def get(ctx: Context, data: EntryIn) -> EntryOut:
    """One journal entry with its postings."""
    return EntryOut.of(ledger.get_entry(ctx, data.entry_id))


def reverse(ctx: Context, data: ReverseIn) -> EntryOut:
    """Post the mirror entry of an earlier one (each entry is reversed at most once)."""
    return EntryOut.of(ledger.reverse_entry(ctx, data.entry_id, memo=data.memo))


def trial_balance(ctx: Context, data: AsOfIn) -> TrialBalanceOut:
    """Trial balance at the end of a business date."""
    tb = ledger.trial_balance(ctx, data.as_of or ctx.business_date,
                              office_id=books_of(ctx.conn, data.office), unit=data.unit)
    return TrialBalanceOut(tb["as_of"], [GLLineOut.of(b) for b in tb["lines"]],
                           [d for d, _ in tb["totals"].values()],
                           [c for _, c in tb["totals"].values()], data.office, data.unit)


def financial_position(ctx: Context, data: AsOfIn) -> FinancialPositionOut:
    """Statement of financial position (neraca) at the end of a business date."""
    r = ledger.financial_position(ctx, data.as_of or ctx.business_date,
                                  data.currency or ctx.settings.currency,
                                  office_id=books_of(ctx.conn, data.office), unit=data.unit)
    return FinancialPositionOut(r["as_of"], SectionOut.of(r["assets"]),
                                SectionOut.of(r["liabilities"]), SectionOut.of(r["equity"]),
                                r["current_surplus"], r["liabilities_and_equity"], data.office,
                                data.unit, [SectionOut.of(x) for x in
                                            r["between_liabilities_and_equity"]])


def operating_results(ctx: Context, data: PeriodIn) -> OperatingResultsOut:
    """Statement of operating results (laporan hasil usaha) for a period."""
    if data.from_date > data.to_date:
        raise ValidationError(message("from_date is after to_date"), field="from_date")
    r = ledger.operating_results(ctx, data.from_date, data.to_date,
                                 data.currency or ctx.settings.currency,
                                 office_id=books_of(ctx.conn, data.office), unit=data.unit)
    return OperatingResultsOut(r["from_date"], r["to_date"], SectionOut.of(r["income"]),
                               SectionOut.of(r["expenses"]), r["surplus"], data.office,
                               data.unit)


def chart(ctx: Context, data: ChartIn) -> ChartOut:
    """The chart of accounts in force (with the operator's renumbering)."""
    from sqlalchemy import select

    from kopcore._db import tables as t

    g = t.gl_accounts.c
    query = select(g.key, g.code, g.name, g.type, g.contra, g.plugin).order_by(g.code)
    if data.type is not None:
        query = query.where(g.type == data.type.value)
    return ChartOut([ChartLineOut(r.key, r.code, r.name, r.type, bool(r.contra), r.plugin)
                     for r in ctx.conn.execute(query)])


POSTING_ERRORS = (ValidationError, UnbalancedEntry, NotFound, AccountClosed, AccountFrozen,
                  InsufficientFunds, CurrencyMismatch, PostingVetoed, IdempotencyConflict)


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("entries.post", PostEntryIn, EntryOut, post, permission="ledger.post",
                  mutates=True, summary="Post a manual journal entry", errors=POSTING_ERRORS,
                  approval_amount_field="total_debit"),
        Operation("entries.get", EntryIn, EntryOut, get, permission="ledger.read",
                  mutates=False, summary="Show a journal entry", errors=(NotFound,)),
        Operation("entries.reverse", ReverseIn, EntryOut, reverse, permission="ledger.post",
                  mutates=True, summary="Reverse a journal entry",
                  errors=(*POSTING_ERRORS, AlreadyReversed)),
        Operation("reports.trial-balance", AsOfIn, TrialBalanceOut, trial_balance,
                  permission="reports.read", mutates=False, summary="Trial balance",
                  office_fields=REPORT_OFFICE_FIELDS, errors=(NotFound,)),
        Operation("reports.financial-position", AsOfIn, FinancialPositionOut,
                  financial_position, permission="reports.read", mutates=False,
                  summary="Statement of financial position", office_fields=REPORT_OFFICE_FIELDS,
                  errors=(NotFound,)),
        Operation("reports.operating-results", PeriodIn, OperatingResultsOut,
                  operating_results, permission="reports.read", mutates=False,
                  summary="Statement of operating results", errors=(ValidationError, NotFound),
                  office_fields=REPORT_OFFICE_FIELDS),
        Operation("reports.chart", ChartIn, ChartOut, chart, permission="reports.read",
                  mutates=False, summary="Chart of accounts"),
    ]
