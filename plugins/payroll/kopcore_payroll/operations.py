"""Operations of the payroll plugin; each becomes an API route and a CLI command."""

from __future__ import annotations

import base64
import binascii
import enum
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, IdempotencyConflict, NotFound, PostingVetoed, ValidationError
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore_payroll import batches, employers, sheets
from kopcore_payroll.employers import Employer, EmployerKind
from kopcore_payroll.messages import _

READ = "payroll.read"
MANAGE = "payroll.manage"
POST = "payroll.post"

EMPLOYER = {"help": "Employer code (e.g. DISDIK)", "max_length": 32}
MEMBER = {"help": "Member number", "max_length": 32}
PERIOD = {"help": "Month of the deduction, YYYY-MM", "max_length": 7}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The largest result taken, in base64 characters (about 30 MB of file).
MAX_FILE_CHARS = 40_000_000


def _money(ctx: Context, minor: int | None) -> Money | None:
    return None if minor is None else Money(minor, ctx.settings.currency)


# --- employers ---------------------------------------------------------------------------------


@attrs.frozen
class EmployerIn:
    code: str = attrs.field(metadata=EMPLOYER)
    name: str = attrs.field(metadata={"help": "Name of the office or company", "max_length": 200})
    contact_name: str = attrs.field(metadata={"help": "Payroll contact (bendahara gaji, HRD)",
                                              "max_length": 200})
    bank_account: str = attrs.field(metadata={
        "help": "Internal account the employer's transfer arrives in", "max_length": 64})
    kind: EmployerKind = attrs.field(default=EmployerKind.INSTANSI, metadata={
        "help": "instansi (government office) or perusahaan (company)"})
    cut_off_day: int = attrs.field(default=20, metadata={
        "help": "Day of the month the list is due at the payroll office (1-28)"})
    contact_phone: str | None = attrs.field(default=None, metadata={"max_length": 32})
    contact_email: str | None = attrs.field(default=None, metadata={"max_length": 200})
    priority: str = attrs.field(default=employers.DEFAULT_PRIORITY, metadata={
        "help": "Order a member's deduction is allocated in: wajib, overdue, current, other",
        "max_length": 64})


@attrs.frozen
class EmployerUpdateIn:
    code: str = attrs.field(metadata=EMPLOYER)
    name: str | None = attrs.field(default=None, metadata={"max_length": 200})
    contact_name: str | None = attrs.field(default=None, metadata={"max_length": 200})
    contact_phone: str | None = attrs.field(default=None, metadata={"max_length": 32})
    contact_email: str | None = attrs.field(default=None, metadata={"max_length": 200})
    cut_off_day: int | None = None
    bank_account: str | None = attrs.field(default=None, metadata={"max_length": 64})
    priority: str | None = attrs.field(default=None, metadata={"max_length": 64})
    active: bool | None = None


@attrs.frozen
class EmployerOut:
    code: str
    name: str
    kind: str
    contact_name: str
    contact_phone: str | None
    contact_email: str | None
    cut_off_day: int
    bank_account: str
    priority: list[str]
    active: bool

    @classmethod
    def of(cls, e: Employer) -> EmployerOut:
        return cls(e.code, e.name, e.kind.value, e.contact_name, e.contact_phone,
                   e.contact_email, e.cut_off_day, e.bank_account,
                   [p.value for p in e.priority], e.active)


@attrs.frozen
class EmployerCodeIn:
    code: str = attrs.field(metadata=EMPLOYER)


@attrs.frozen
class NothingIn:
    pass


@attrs.frozen
class EmployersOut:
    items: list[EmployerOut]


def employer_create(ctx: Context, data: EmployerIn) -> EmployerOut:
    """Register an employer whose payroll office deducts for the cooperative."""
    return EmployerOut.of(employers.create_employer(
        ctx, code=data.code, name=data.name, kind=data.kind, contact_name=data.contact_name,
        contact_phone=data.contact_phone, contact_email=data.contact_email,
        cut_off_day=data.cut_off_day, bank_account=data.bank_account, priority=data.priority))


def employer_update(ctx: Context, data: EmployerUpdateIn) -> EmployerOut:
    """Change an employer's contact, cut-off day, bank account, priority or status."""
    changes = attrs.asdict(data)
    code = changes.pop("code")
    return EmployerOut.of(employers.update_employer(ctx, code, **changes))


def employer_show(ctx: Context, data: EmployerCodeIn) -> EmployerOut:
    """One employer."""
    return EmployerOut.of(employers.get_employer(ctx, data.code))


def employer_list(ctx: Context, data: NothingIn) -> EmployersOut:
    """Every employer, by code."""
    return EmployersOut([EmployerOut.of(e) for e in employers.list_employers(ctx)])


# --- employments -------------------------------------------------------------------------------


@attrs.frozen
class EmploymentIn:
    member: str = attrs.field(metadata=MEMBER)
    employer: str = attrs.field(metadata=EMPLOYER)
    employee_number: str = attrs.field(metadata={"help": "NIP or employee number",
                                                 "max_length": 32})
    start_on: date | None = attrs.field(default=None, metadata={
        "help": "First day with the employer (default: the business date)"})


@attrs.frozen
class EmploymentEndIn:
    member: str = attrs.field(metadata=MEMBER)
    end_on: date | None = attrs.field(default=None, metadata={
        "help": "Last day with the employer (default: the business date)"})


@attrs.frozen
class EmploymentOut:
    member: str
    employer: str
    employee_number: str
    start_on: date
    end_on: date | None


@attrs.frozen
class MemberIn:
    member: str = attrs.field(metadata=MEMBER)


@attrs.frozen
class EmploymentsOut:
    items: list[EmploymentOut]


@attrs.frozen
class EmployeesIn:
    employer: str = attrs.field(metadata=EMPLOYER)
    on: date | None = attrs.field(default=None, metadata={
        "help": "Employees on this day (default: the business date)"})


def _codes(ctx: Context) -> dict[int, str]:
    return {e.id: e.code for e in employers.list_employers(ctx)}


def _employment_out(ctx: Context, e: employers.Employment, member: str | None = None
                    ) -> EmploymentOut:
    number = member or ledger.get_member_by_id(ctx, e.member_id).member_number
    return EmploymentOut(number, _codes(ctx)[e.employer_id], e.employee_number, e.start_on,
                         e.end_on)


def employment_start(ctx: Context, data: EmploymentIn) -> EmploymentOut:
    """Record a member's employment; one still open elsewhere ends the day before (a move)."""
    member = ledger.get_member(ctx, data.member)
    employer = employers.get_employer(ctx, data.employer)
    made = employers.start_employment(ctx, member.id, employer, data.employee_number,
                                      data.start_on or ctx.business_date)
    return _employment_out(ctx, made, member.member_number)


def employment_end(ctx: Context, data: EmploymentEndIn) -> EmploymentOut:
    """End a member's current employment (left the employer, retired)."""
    member = ledger.get_member(ctx, data.member)
    ended = employers.end_employment(ctx, member.id, data.end_on or ctx.business_date)
    return _employment_out(ctx, ended, member.member_number)


def employment_list(ctx: Context, data: MemberIn) -> EmploymentsOut:
    """A member's employments, oldest first."""
    member = ledger.get_member(ctx, data.member)
    return EmploymentsOut([_employment_out(ctx, e, member.member_number)
                           for e in employers.member_employments(ctx, member.id)])


def employees(ctx: Context, data: EmployeesIn) -> EmploymentsOut:
    """An employer's employees on a day, by employee number."""
    employer = employers.get_employer(ctx, data.employer)
    return EmploymentsOut([_employment_out(ctx, e) for e in employers.employees_on(
        ctx, employer, data.on or ctx.business_date)])


# --- the list ----------------------------------------------------------------------------------


@attrs.frozen
class BatchIn:
    employer: str = attrs.field(metadata=EMPLOYER)
    period: str = attrs.field(metadata=PERIOD)


@attrs.frozen
class ListedOut:
    employee_number: str
    member: str
    name: str
    wajib: Money
    overdue: Money
    current: Money
    other: Money
    total: Money


@attrs.frozen
class ResultOut:
    employee_number: str
    member: str | None
    name: str
    listed: Money
    deducted: Money
    allocated: Money
    shortfall: Money
    outcome: str
    entry_id: int | None


@attrs.frozen
class BatchOut:
    employer: str
    period: str
    cut_off: date
    status: str
    listed_total: Money
    members: list[ListedOut]
    transfer: Money | None
    allocated: Money | None
    suspense: Money | None
    bank_account: str | None
    #: The batch's entry: the first, when a batch above 2,400 dues took several.
    entry_id: int | None
    entry_ids: list[int]
    posted_on: date | None
    results: list[ResultOut]
    replayed: bool = False


def _result_out(ctx: Context, row: Any) -> ResultOut:
    cur = ctx.settings.currency
    return ResultOut(row.employee_number, row.member_number, row.name, Money(row.listed, cur),
                     Money(row.deducted, cur), Money(row.allocated, cur),
                     Money(max(0, row.listed - row.deducted), cur), row.outcome, row.entry_id)


def _batch_out(ctx: Context, employer: Employer, batch: batches.Batch,
               replayed: bool = False) -> BatchOut:
    cur = batch.currency
    members = [ListedOut(m.employee_number, m.member_number, m.name, Money(m.classes[0], cur),
                         Money(m.classes[1], cur), Money(m.classes[2], cur),
                         Money(m.classes[3], cur), Money(m.total, cur))
               for m in batches.listed_members(ctx, batch)]
    results = [_result_out(ctx, r) for r in batches.result_rows(ctx, batch)]
    return BatchOut(
        employer.code, batch.period, batches.cut_off(employer, batch.period), batch.status,
        Money(batch.listed_total, cur), members, _money(ctx, batch.transfer),
        _money(ctx, batch.allocated), _money(ctx, batch.suspense), batch.bank_account,
        batch.entry_id, sorted({r.entry_id for r in results if r.entry_id is not None}),
        batch.posted_on, results, replayed)


def make_list(ctx: Context, data: BatchIn) -> BatchOut:
    """Make (or, before the result is posted, refresh) an employer's deduction list."""
    employer = employers.get_employer(ctx, data.employer)
    if not employer.active:
        raise Conflict(_("employer {employer} is inactive", employer=employer.code),
                       field="employer")
    return _batch_out(ctx, employer, batches.make_list(ctx, employer, data.period))


def show(ctx: Context, data: BatchIn) -> BatchOut:
    """A deduction batch: the list, and once posted the result per employee."""
    employer = employers.get_employer(ctx, data.employer)
    return _batch_out(ctx, employer, batches.get_batch(ctx, employer, data.period))


class ExportFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@attrs.frozen
class ExportIn:
    employer: str = attrs.field(metadata=EMPLOYER)
    period: str = attrs.field(metadata=PERIOD)
    format: ExportFormat = attrs.field(default=ExportFormat.XLSX, metadata={
        "help": "xlsx: sheets Potongan, Rincian, Keterangan; csv: the sheet Potongan"})


@attrs.frozen
class DocumentOut:
    filename: str
    media_type: str
    rows: int
    total: Money
    document: str


def export(ctx: Context, data: ExportIn) -> DocumentOut:
    """The deduction list as the spreadsheet the payroll office takes (layout: docs/payroll.md)."""
    employer = employers.get_employer(ctx, data.employer)
    batch = batches.get_batch(ctx, employer, data.period)
    cur = batch.currency
    summary = [sheets.SummaryRow(m.employee_number, m.member_number, m.name, m.classes)
               for m in batches.listed_members(ctx, batch)]
    stem = f"potongan-gaji-{employer.code.lower()}-{batch.period}"
    total = Money(batch.listed_total, cur)
    if data.format is ExportFormat.CSV:
        text = sheets.csv_text(summary, cur)
        return DocumentOut(f"{stem}.csv", "text/csv; charset=utf-8", len(summary), total,
                           base64.b64encode(text.encode("utf-8")).decode("ascii"))
    details = [sheets.DetailRow(r.employee_number, r.member_number, r.name, r.kind,
                                r.description, r.account, r.due_date.isoformat(), r.amount)
               for r in batches.listed_lines(ctx, batch)]
    about = [("Koperasi", ctx.settings.cooperative_name),
             ("Instansi/perusahaan", f"{employer.name} ({employer.code})"),
             ("Bulan", batch.period),
             ("Batas penyerahan (cut-off)", batches.cut_off(employer, batch.period).isoformat()),
             ("Jumlah pegawai", str(len(summary))),
             ("Jumlah potongan", total.format()),
             ("Petunjuk", "Isi kolom 'Dipotong' dengan jumlah yang dipotong dari gaji setiap "
                          "pegawai (0 bila tidak dipotong), lalu kirim kembali berkas ini "
                          "bersama bukti transfer.")]
    content = sheets.xlsx(about, summary, details, cur)
    return DocumentOut(f"{stem}.xlsx", XLSX, len(summary), total,
                       base64.b64encode(content).decode("ascii"))


# --- the result --------------------------------------------------------------------------------


@attrs.frozen
class ImportIn:
    employer: str = attrs.field(metadata=EMPLOYER)
    period: str = attrs.field(metadata=PERIOD)
    transfer: Decimal = attrs.field(metadata={
        "help": "The employer's transfer in rupiah; must equal the result's total"})
    content: str | None = attrs.field(default=None, metadata={
        "help": "The result (XLSX or CSV with the column 'Dipotong'), base64-encoded; leave "
                "out with as_sent when everything listed was deducted",
        "max_length": MAX_FILE_CHARS})
    as_sent: bool = attrs.field(default=False, metadata={
        "help": "Everything listed was deducted: the list is the result"})
    bank_account: str | None = attrs.field(default=None, metadata={
        "help": "Account the transfer arrived in (default: the employer's)", "max_length": 64})


@attrs.frozen
class ImportOut:
    """What the import posted; ``payroll show`` lists the result per employee."""

    employer: str
    period: str
    status: str
    listed_total: Money
    transfer: Money
    allocated: Money
    suspense: Money
    bank_account: str
    entry_id: int | None
    entry_ids: list[int]
    #: employees per outcome: ``full``, ``partial``, ``missing``, ``unknown``
    outcomes: dict[str, int]
    shortfall: Money
    replayed: bool


def import_result(ctx: Context, data: ImportIn) -> ImportOut:
    """Post the employer's result as one entry, all or nothing; the same result twice posts
    once."""
    employer = employers.get_employer(ctx, data.employer)
    batches.period_or_raise(data.period)
    if data.as_sent == (data.content is not None):
        raise ValidationError(_("send the result as content, or as_sent when everything listed "
                                "was deducted (one of the two)"), field="content")
    transfer = Money.parse(data.transfer, ctx.settings.currency, field="transfer")
    if transfer.minor < 0:
        raise ValidationError(_("transfer may not be negative"), field="transfer")
    content = None
    if data.content is not None:
        try:
            content = base64.b64decode(data.content, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(_("content is not base64"), field="content") from None
    rows = None if content is None else sheets.read_result(content, ctx.settings.currency)
    posted = batches.post_result(ctx, employer, data.period, rows, transfer,
                                 batches.digest_of(content), data.bank_account)
    batch, cur = posted.batch, posted.batch.currency
    summary = batches.result_summary(ctx, batch)
    return ImportOut(
        employer.code, batch.period, batch.status, Money(batch.listed_total, cur),
        Money(batch.transfer or 0, cur), Money(batch.allocated or 0, cur),
        Money(batch.suspense or 0, cur), batch.bank_account or "", batch.entry_id,
        summary.entry_ids, summary.outcomes, Money(summary.shortfall, cur), posted.replayed)


# --- reports -----------------------------------------------------------------------------------


@attrs.frozen
class ShortfallsOut:
    employer: str
    period: str
    items: list[ResultOut]
    total: Money


def shortfalls(ctx: Context, data: BatchIn) -> ShortfallsOut:
    """Members deducted less than listed (or not at all), and amounts from unknown employees."""
    employer = employers.get_employer(ctx, data.employer)
    batch = batches.get_batch(ctx, employer, data.period)
    if batch.status != "posted":
        raise Conflict(_("the {period} result of {employer} is not posted yet",
                         period=data.period, employer=employer.code),
                       field="period")
    items = [_result_out(ctx, r) for r in batches.result_rows(
        ctx, batch, ("partial", "missing", "unknown"))]
    return ShortfallsOut(employer.code, batch.period, items,
                         sum((i.shortfall for i in items), Money.zero(batch.currency)))


@attrs.frozen
class CollectionIn:
    start: str = attrs.field(metadata={"help": "First month, YYYY-MM", "max_length": 7})
    end: str = attrs.field(metadata={"help": "Last month, YYYY-MM", "max_length": 7})
    employer: str | None = attrs.field(default=None, metadata=EMPLOYER)


@attrs.frozen
class CollectionRow:
    employer: str
    period: str
    listed: Money
    deducted: Money
    allocated: Money
    suspense: Money
    #: deducted and allocated / listed, percent with two decimals (rounded half up)
    rate: str


@attrs.frozen
class CollectionOut:
    items: list[CollectionRow]


def collection(ctx: Context, data: CollectionIn) -> CollectionOut:
    """Collection rate per employer and month: what was allocated of what was listed."""
    batches.period_or_raise(data.start)
    batches.period_or_raise(data.end)
    employer_id = employers.get_employer(ctx, data.employer).id if data.employer else None
    codes = _codes(ctx)
    out = []
    for b in batches.collection(ctx, employer_id, data.start, data.end):
        cur = b.currency
        rate = (Decimal(b.allocated * 100) / Decimal(b.listed_total)
                if b.listed_total else Decimal(100))
        out.append(CollectionRow(codes[b.employer_id], b.period, Money(b.listed_total, cur),
                                 Money(b.transfer, cur), Money(b.allocated, cur),
                                 Money(b.suspense, cur),
                                 str(rate.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))))
    return CollectionOut(out)


ERRORS = (NotFound, Conflict, ValidationError)
POST_ERRORS = (NotFound, Conflict, ValidationError, PostingVetoed, IdempotencyConflict)

OPERATIONS: tuple[Operation[Any, Any], ...] = (
    Operation("payroll.employer-create", EmployerIn, EmployerOut, employer_create,
              permission=MANAGE, mutates=True, summary="Register an employer", errors=ERRORS),
    Operation("payroll.employer-update", EmployerUpdateIn, EmployerOut, employer_update,
              permission=MANAGE, mutates=True, summary="Change an employer", errors=ERRORS),
    Operation("payroll.employer", EmployerCodeIn, EmployerOut, employer_show, permission=READ,
              mutates=False, summary="Show an employer", errors=ERRORS),
    Operation("payroll.employers", NothingIn, EmployersOut, employer_list, permission=READ,
              mutates=False, summary="List employers"),
    Operation("payroll.employment-start", EmploymentIn, EmploymentOut, employment_start,
              permission=MANAGE, mutates=True, member_fields=("member",),
              summary="Record a member's employment (a move ends the previous one)",
              errors=ERRORS),
    Operation("payroll.employment-end", EmploymentEndIn, EmploymentOut, employment_end,
              permission=MANAGE, mutates=True, member_fields=("member",),
              summary="End a member's employment", errors=ERRORS),
    Operation("payroll.employments", MemberIn, EmploymentsOut, employment_list,
              permission=READ, mutates=False, member_fields=("member",),
              summary="A member's employments", errors=ERRORS),
    Operation("payroll.employees", EmployeesIn, EmploymentsOut, employees, permission=READ,
              mutates=False, summary="An employer's employees on a day", errors=ERRORS),
    Operation("payroll.list", BatchIn, BatchOut, make_list, permission=MANAGE, mutates=True,
              summary="Make an employer's monthly deduction list", errors=ERRORS),
    Operation("payroll.show", BatchIn, BatchOut, show, permission=READ, mutates=False,
              summary="Show a deduction batch and its result", errors=ERRORS),
    Operation("payroll.export", ExportIn, DocumentOut, export, permission=READ, mutates=False,
              summary="The deduction list as XLSX or CSV for the payroll office",
              errors=ERRORS, document_field="document", document_base64=True),
    Operation("payroll.import", ImportIn, ImportOut, import_result, permission=POST,
              mutates=True, upload_field="content", approval_amount_field="transfer",
              summary="Post an employer's deduction result (one entry per batch)",
              errors=POST_ERRORS),
    Operation("payroll.shortfalls", BatchIn, ShortfallsOut, shortfalls, permission=READ,
              mutates=False, summary="Members deducted less than listed", errors=ERRORS),
    Operation("payroll.collection", CollectionIn, CollectionOut, collection, permission=READ,
              mutates=False, summary="Collection rate per employer and month", errors=ERRORS),
)
