"""Built-in plugin: the cut-over import (``kopcore import template|check|run``).

Registered like any plugin: its own Alembic branch (``kopcore_cutover``, the record of the
files imported), the opening-balance GL account, permissions, the three operations, and the
kernel's own sheets of the import file (members, internal accounts, opening trial balance)
through the same hook plugins use for theirs. See docs/import-export.md.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import attrs

from kopcore import hookimpl
from kopcore._cutover import importer, kernel_sheets, template
from kopcore._cutover.reconcile import OPENING_GL
from kopcore.context import Context
from kopcore.errors import BusinessDateError, Conflict, ImportRefused, ValidationError, message
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import (
    GLAccountSpec,
    GLType,
    ImportSheet,
    MigrationSource,
    PermissionSpec,
)

CHECK = "cutover.check"
IMPORT = "cutover.import"

#: The largest file taken, in base64 characters (about 150 MB of file); the API's own limit on
#: a request (``max_request_bytes``) applies first.
MAX_FILE_CHARS = 200_000_000

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TemplateFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@attrs.frozen
class TemplateIn:
    format: TemplateFormat = attrs.field(default=TemplateFormat.XLSX, metadata={
        "help": "xlsx: one workbook; csv: a ZIP with one CSV file per sheet"})


@attrs.frozen
class TemplateOut:
    """The import template of the plugins enabled, with a guide sheet (petunjuk)."""

    filename: str
    media_type: str
    sheets: list[str]
    document: str


@attrs.frozen
class FileIn:
    content: str = attrs.field(metadata={
        "help": "The file (XLSX, or a ZIP of CSV files named after the sheets), "
                "base64-encoded", "max_length": MAX_FILE_CHARS})
    as_of: date = attrs.field(metadata={
        "help": "Cut-over date: the file gives the books at the end of this day (the "
                "business date or the day before it)"})

    def file(self) -> bytes:
        try:
            return base64.b64decode(self.content, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(message("content is not base64"), field="content") from None


@attrs.frozen
class SheetOut:
    sheet: str
    title: str
    rows: int


@attrs.frozen
class ProblemOut:
    """A problem to fix in the file: sheet, spreadsheet row and column (header names)."""

    sheet: str
    row: int | None
    column: str | None
    message: str


@attrs.frozen
class DifferenceOut:
    """A GL account whose kopcore balance would differ from the file's trial balance."""

    code: str
    name: str
    trial_balance: Money
    kopcore: Money
    difference: Money


@attrs.frozen
class CheckOut:
    """The dry run: ``ok`` when the file would import and reconcile; nothing was written."""

    ok: bool
    as_of: date
    digest: str
    already_imported: bool
    sheets: list[SheetOut]
    problems: list[ProblemOut]
    differences: list[DifferenceOut]


@attrs.frozen
class ImportOut:
    """The import: the file's digest, rows per sheet and the entries the books now hold."""

    as_of: date
    digest: str
    replayed: bool
    imported_at: datetime | None
    entries: int
    sheets: list[SheetOut]


def _sheets(outcome: importer.Outcome) -> list[SheetOut]:
    return [SheetOut(s.sheet, s.title, s.rows) for s in outcome.sheets]


def _difference(data: dict[str, str], currency: str) -> DifferenceOut:
    return DifferenceOut(data["kode_akun"], data["nama_akun"],
                         Money.parse(data["neraca_saldo"], currency),
                         Money.parse(data["kopcore"], currency),
                         Money.parse(data["selisih"], currency))


def import_template(ctx: Context, data: TemplateIn) -> TemplateOut:
    """The import template: one sheet per kind of record the enabled plugins take (the
    opening trial balance, members, internal accounts, savings, loans...), and a guide sheet
    describing every column in Indonesian. ``--output`` writes the file."""
    sheets = importer.sheets(ctx)
    if data.format is TemplateFormat.XLSX:
        content, name, media = template.xlsx_template(sheets), "template-impor.xlsx", XLSX
    else:
        content, name, media = template.csv_template(sheets), "template-impor.zip", \
            "application/zip"
    return TemplateOut(name, media, [s.name for s in sheets],
                       base64.b64encode(content).decode("ascii"))


def import_check(ctx: Context, data: FileIn) -> CheckOut:
    """Dry run of a cut-over file: every problem with its sheet, row and column (in
    Indonesian), and, for a file without problems, the reconciliation the import would make.
    The import is run and rolled back: nothing is written."""
    outcome = importer.check_file(ctx, data.file(), data.as_of)
    currency = ctx.settings.currency
    return CheckOut(
        ok=outcome.replayed or not (outcome.problems or outcome.differences),
        as_of=outcome.as_of, digest=outcome.digest, already_imported=outcome.replayed,
        sheets=_sheets(outcome),
        problems=[ProblemOut(p.sheet, p.row, p.column, p.message) for p in outcome.problems],
        differences=[_difference(d, currency) for d in outcome.differences])


def import_run(ctx: Context, data: FileIn) -> ImportOut:
    """Import a cut-over file as of its date, all or nothing: every row is checked, the
    sheets are written, and the import is refused (nothing written) unless kopcore's trial
    balance then equals the file's to the rupiah and each control account the sum of its
    accounts. The same file sent again answers with its first import and writes nothing."""
    content = data.file()
    outcome = ctx.kernel.write(
        ctx.actor, lambda write_ctx: importer.import_file(write_ctx, content, data.as_of),
        operation=ctx.operation, principal=ctx.principal)
    return ImportOut(outcome.as_of, outcome.digest, outcome.replayed, outcome.imported_at,
                     outcome.entries, _sheets(outcome))


OPERATIONS: tuple[Operation, ...] = (
    Operation("import.template", TemplateIn, TemplateOut, import_template, permission=CHECK,
              mutates=False, summary="Download the cut-over import template",
              document_field="document", document_base64=True),
    Operation("import.check", FileIn, CheckOut, import_check, permission=CHECK, mutates=True,
              own_transactions=True, upload_field="content",
              summary="Check a cut-over file (dry run: nothing is written)",
              errors=(BusinessDateError, Conflict)),
    Operation("import.run", FileIn, ImportOut, import_run, permission=IMPORT, mutates=True,
              own_transactions=True, upload_field="content",
              summary="Import a cut-over file: all or nothing, once per file",
              errors=(ImportRefused, BusinessDateError, Conflict)),
)


@hookimpl
def kopcore_gl_accounts() -> Sequence[GLAccountSpec]:
    return [GLAccountSpec(OPENING_GL, "3901", "Saldo Awal Pembukaan Buku (Cut-over)",
                          GLType.EQUITY)]


@hookimpl
def kopcore_migrations() -> MigrationSource:
    return MigrationSource(branch="kopcore_cutover",
                           path=Path(__file__).resolve().parent.parent / "_cutover"
                           / "migrations")


@hookimpl
def kopcore_permissions() -> Sequence[PermissionSpec]:
    return [
        PermissionSpec(CHECK, "Download the import template and check cut-over files",
                       ("manager",)),
        PermissionSpec(IMPORT, "Import a cut-over file (opens the books)", ()),
    ]


@hookimpl
def kopcore_operations() -> Sequence[Operation]:
    return OPERATIONS


@hookimpl
def kopcore_import_sheets() -> Sequence[ImportSheet]:
    """The kernel's sheets: members, internal accounts and the opening trial balance."""
    return kernel_sheets.SHEETS
