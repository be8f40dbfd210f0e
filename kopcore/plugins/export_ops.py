"""Built-in plugin: exports of the books (``kopcore export journal|balances|accounts|
beancount``) for auditors, supervisors and their own tools. See docs/import-export.md."""

from __future__ import annotations

import base64
import enum
from collections.abc import Sequence
from datetime import date

import attrs

from kopcore import hookimpl
from kopcore._export import archive, beancount, books, sheets
from kopcore._oversight import statements
from kopcore.context import Context
from kopcore.errors import Conflict, ValidationError, message
from kopcore.operations import Operation
from kopcore.records import PermissionSpec

EXPORT = "books.export"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@attrs.frozen
class PeriodIn:
    from_date: date | None = attrs.field(default=None, metadata={
        "help": "First business date (default: the first day of the books)"})
    to_date: date | None = attrs.field(default=None, metadata={
        "help": "Last business date (default: the business date)"})
    format: ExportFormat = attrs.field(default=ExportFormat.XLSX, metadata={
        "help": "xlsx (a workbook) or csv"})


@attrs.frozen
class BooksIn:
    from_date: date | None = attrs.field(default=None, metadata={
        "help": "First business date (default: the first day of the books)"})
    to_date: date | None = attrs.field(default=None, metadata={
        "help": "Last business date (default: the business date)"})


@attrs.frozen
class DocumentOut:
    """An exported file: ``document`` is its bytes, base64-encoded (``--output`` writes it)."""

    from_date: date
    to_date: date
    filename: str
    media_type: str
    rows: int
    document: str


@attrs.frozen
class BeancountOut:
    """The books as a beancount file (plain text; check it with ``bean-check``)."""

    from_date: date
    to_date: date
    filename: str
    document: str


def _document(kind: str, title: str, header: Sequence[str], rows: Sequence[Sequence[object]],
              start: date, end: date, fmt: ExportFormat) -> DocumentOut:
    name = f"{kind}-{start.isoformat()}-{end.isoformat()}.{fmt.value}"
    if fmt is ExportFormat.XLSX:
        content, media = sheets.xlsx([(title, header, rows)]), XLSX
    else:
        content, media = sheets.csv_text(header, rows), "text/csv"
    return DocumentOut(start, end, name, media, len(rows),
                       base64.b64encode(content).decode("ascii"))


def export_journal(ctx: Context, data: PeriodIn) -> DocumentOut:
    """The journal of a period: one row per posting with its entry's date, memo, operation
    and actor, the account and its GL account, debit or credit."""
    start, end = books.period(ctx, data.from_date, data.to_date)
    rows = list(books.journal_rows(ctx, start, end))
    return _document("jurnal", "Jurnal", books.JOURNAL_HEADER, rows, start, end, data.format)


def export_balances(ctx: Context, data: PeriodIn) -> DocumentOut:
    """Each GL account's opening balance, debits, credits and closing balance for a period
    (neraca saldo with movements), computed from the postings."""
    start, end = books.period(ctx, data.from_date, data.to_date)
    rows = list(books.balance_rows(ctx, start, end))
    return _document("saldo", "Neraca saldo", books.BALANCES_HEADER, rows, start, end,
                     data.format)


def export_accounts(ctx: Context, data: PeriodIn) -> DocumentOut:
    """Every member account with its member, product, GL account, status and balance at the
    end of the period."""
    start, end = books.period(ctx, data.from_date, data.to_date)
    rows = list(books.account_rows(ctx, end))
    return _document("rekening", "Rekening anggota", books.ACCOUNTS_HEADER, rows, start, end,
                     data.format)


def export_beancount(ctx: Context, data: BooksIn) -> BeancountOut:
    """The books in beancount format: accounts with their opening dates, every entry, and
    every account's balance asserted at each month end and at the end of the period."""
    start, end = books.period(ctx, data.from_date, data.to_date)
    text = "".join(beancount.books(ctx, start, end))
    return BeancountOut(start, end, f"kopcore-{start.isoformat()}-{end.isoformat()}.beancount",
                        text)


@attrs.frozen
class YearIn:
    year: int = attrs.field(metadata={"help": "Financial year", "minimum": 1900,
                                      "maximum": 9999})


@attrs.frozen
class YearDocumentOut:
    """A year's file: ``document`` is its bytes, base64-encoded (``--output`` writes it)."""

    year: int
    filename: str
    media_type: str
    document: str


def _year(ctx: Context, year: int) -> int:
    if year > ctx.business_date.year:
        raise ValidationError(message("financial year {year} has not started (business date "
                                      "{business_date})", year=year,
                                      business_date=ctx.business_date), field="year")
    return year


def export_rat(ctx: Context, data: YearIn) -> YearDocumentOut:
    """The statements for the RAT (financial position, operating results, changes in equity,
    cash flows) as an XLSX workbook, one sheet per statement, beside the HTML and CSV of
    ``statements rat``."""
    rat = statements.rat_statements(ctx, _year(ctx, data.year), ctx.settings.currency)
    return YearDocumentOut(data.year, f"laporan-rat-{data.year}.xlsx", XLSX,
                           base64.b64encode(archive.rat_xlsx(rat)).decode("ascii"))


def export_year_archive(ctx: Context, data: YearIn) -> YearDocumentOut:
    """The archive of a closed financial year for the supervisor, as one ZIP: the RAT
    statements (XLSX, HTML, CSV), the journal, GL balances and member accounts (XLSX), the
    books in beancount format, the members' SHU and the health assessment at the year's end,
    with a manifest of each file's SHA-256."""
    content = archive.year_archive(ctx, _year(ctx, data.year))
    return YearDocumentOut(data.year, f"arsip-{data.year}.zip", "application/zip",
                           base64.b64encode(content).decode("ascii"))


OPERATIONS: tuple[Operation, ...] = (
    Operation("export.journal", PeriodIn, DocumentOut, export_journal, permission=EXPORT,
              mutates=False, summary="Export the journal of a period (XLSX or CSV)",
              document_field="document", document_base64=True),
    Operation("export.balances", PeriodIn, DocumentOut, export_balances, permission=EXPORT,
              mutates=False, summary="Export GL balances and movements of a period",
              document_field="document", document_base64=True),
    Operation("export.accounts", PeriodIn, DocumentOut, export_accounts, permission=EXPORT,
              mutates=False, summary="Export member accounts with their balances",
              document_field="document", document_base64=True),
    Operation("export.beancount", BooksIn, BeancountOut, export_beancount, permission=EXPORT,
              mutates=False, summary="Export the books in beancount format",
              document_field="document"),
    Operation("export.rat", YearIn, YearDocumentOut, export_rat, permission=EXPORT,
              mutates=False, summary="Export the RAT statements of a year as XLSX",
              errors=(ValidationError,), document_field="document", document_base64=True),
    Operation("export.year-archive", YearIn, YearDocumentOut, export_year_archive,
              permission=EXPORT, mutates=False,
              summary="Export the archive of a closed financial year (one ZIP)",
              errors=(Conflict, ValidationError), document_field="document",
              document_base64=True),
)


@hookimpl
def kopcore_permissions() -> Sequence[PermissionSpec]:
    return [PermissionSpec(EXPORT, "Export the journal, balances, member accounts and the "
                           "books in beancount format", ("manager", "auditor"))]


@hookimpl
def kopcore_operations() -> Sequence[Operation]:
    return OPERATIONS
