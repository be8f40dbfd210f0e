"""The spreadsheets a payroll office takes and sends back (layout: docs/payroll.md).

The deduction list, XLSX: sheet ``Potongan`` (one row per employee, header in row 1, a
``JUMLAH`` row last), sheet ``Rincian`` (one row per due) and sheet ``Keterangan`` (employer,
period, totals, how to fill in the result). CSV: the ``Potongan`` sheet alone, UTF-8 with a
byte-order mark, fields separated by ``;``. Amounts are plain numbers in rupiah (``1180000``,
``1180000.50``). The result is the same ``Potongan`` sheet (XLSX or CSV) with the column
``Dipotong`` filled in: what payroll deducted from each employee.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from kopcore.errors import ValidationError
from kopcore.money import Money, read_amount
from kopcore_payroll.messages import _

SUMMARY = "Potongan"
DETAIL = "Rincian"
ABOUT = "Keterangan"
EMPLOYEE = "No. Pegawai"
DEDUCTED = "Dipotong"
#: Column headers of the ``Potongan`` sheet, in order: a stable layout.
SUMMARY_COLUMNS = ("No", EMPLOYEE, "No. Anggota", "Nama", "Simpanan Wajib",
                   "Tunggakan Angsuran", "Angsuran Bulan Ini", "Lain-lain", "Jumlah Potongan",
                   DEDUCTED)
DETAIL_COLUMNS = ("No. Pegawai", "No. Anggota", "Nama", "Jenis", "Keterangan", "Rekening",
                  "Jatuh Tempo", "Jumlah")
TOTAL_LABEL = "JUMLAH"


@attrs.frozen
class SummaryRow:
    employee_number: str
    member_number: str
    name: str
    #: minor units per priority class: wajib, overdue, current, other
    classes: tuple[int, int, int, int]
    deducted: int | None = None

    @property
    def total(self) -> int:
        return sum(self.classes)


@attrs.frozen
class DetailRow:
    employee_number: str
    member_number: str
    name: str
    kind: str
    description: str
    account: str
    due_date: str
    amount: int


@attrs.frozen
class ResultRow:
    """One row of an employer's result: ``deducted`` in minor units."""

    line: int
    employee_number: str
    name: str
    deducted: int


def _number(minor: int, currency: str) -> int | Decimal:
    amount = Money(minor, currency).amount
    return int(amount) if amount == amount.to_integral_value() else amount


def _text(minor: int, currency: str) -> str:
    return str(_number(minor, currency))


def _summary_values(index: int, row: SummaryRow, currency: str) -> list[object]:
    deducted = "" if row.deducted is None else _number(row.deducted, currency)
    return [index, row.employee_number, row.member_number, row.name,
            *(_number(v, currency) for v in row.classes), _number(row.total, currency),
            deducted]


def _total_values(rows: Sequence[SummaryRow], currency: str) -> list[object]:
    sums = [sum(r.classes[i] for r in rows) for i in range(4)]
    return ["", "", "", TOTAL_LABEL, *(_number(v, currency) for v in sums),
            _number(sum(sums), currency), ""]


def _bold(sheet: Any, values: Sequence[Any]) -> list[Any]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def xlsx(about: Sequence[tuple[str, str]], rows: Sequence[SummaryRow],
         details: Sequence[DetailRow], currency: str) -> bytes:
    """The workbook, written row by row (openpyxl's write-only mode: large lists stay fast)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SUMMARY)
    for column, width in zip("ABCDEFGHIJ", (5, 16, 14, 32, 16, 18, 18, 14, 18, 14),
                             strict=True):
        sheet.column_dimensions[column].width = width
    sheet.append(_bold(sheet, SUMMARY_COLUMNS))
    for index, row in enumerate(rows, start=1):
        sheet.append(_summary_values(index, row, currency))
    sheet.append(_bold(sheet, _total_values(rows, currency)))
    detail = book.create_sheet(DETAIL)
    detail.append(_bold(detail, DETAIL_COLUMNS))
    for d in details:
        detail.append([d.employee_number, d.member_number, d.name, d.kind, d.description,
                       d.account, d.due_date, _number(d.amount, currency)])
    info = book.create_sheet(ABOUT)
    for label, value in about:
        info.append([label, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(rows: Sequence[SummaryRow], currency: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(SUMMARY_COLUMNS)
    for index, row in enumerate(rows, start=1):
        writer.writerow(["" if v == "" else str(v)
                         for v in _summary_values(index, row, currency)])
    writer.writerow([str(v) for v in _total_values(rows, currency)])
    return "\ufeff" + out.getvalue()


# --- reading a result --------------------------------------------------------------------------


def _cell_amount(value: object, line: int, currency: str) -> int:
    field = f"{DEDUCTED} (baris {line})"
    if isinstance(value, bool):
        raise ValidationError(_("{field}: bukan jumlah uang", field=field), field="content")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)  # the shortest text that reads back as the cell's number
    elif isinstance(value, Decimal):
        text = str(value)
    else:
        text = str(value).strip()
    if text == "":
        raise ValidationError(_("{field} kosong: tulis 0 bila gaji tidak dipotong",
                                field=field),
                              field="content")
    money = Money.parse(read_amount(text, field=field), currency, field=field)
    if money.minor < 0:
        raise ValidationError(_("{field}: tidak boleh negatif", field=field), field="content")
    return money.minor


def _rows(table: Sequence[Sequence[object]], currency: str) -> list[ResultRow]:
    if not table:
        raise ValidationError(_("the result has no rows"), field="content")
    header = [str(v or "").strip().lower() for v in table[0]]
    try:
        employee_at = header.index(EMPLOYEE.lower())
        deducted_at = header.index(DEDUCTED.lower())
    except ValueError:
        raise ValidationError(_("the result needs the columns {employee_column!r} and "
                                "{deducted_column!r} in its first row",
                                employee_column=EMPLOYEE, deducted_column=DEDUCTED),
                              field="content") from None
    name_at = header.index("nama") if "nama" in header else None
    found: list[ResultRow] = []
    seen: set[str] = set()
    for line, values in enumerate(table[1:], start=2):
        cells = list(values) + [None] * (len(header) - len(values))
        employee = str(cells[employee_at] if cells[employee_at] is not None else "").strip()
        if not employee:
            continue  # the JUMLAH row, blank rows
        if employee in seen:
            raise ValidationError(_("{employee_column} {employee} appears twice (row {line})",
                                    employee_column=EMPLOYEE, employee=employee,
                                    line=line),
                                  field="content")
        seen.add(employee)
        name = str(cells[name_at] or "").strip() if name_at is not None else ""
        found.append(ResultRow(line, employee, name[:200],
                               _cell_amount(cells[deducted_at], line, currency)))
    return found


def read_result(content: bytes, currency: str) -> list[ResultRow]:
    """The rows of a result file, XLSX (sheet ``Potongan``, else the first) or CSV (``;`` or
    ``,`` separated); refuses a file that is neither, or a row it cannot read."""
    if zipfile.is_zipfile(io.BytesIO(content)):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError):
            raise ValidationError(_("the file is not an XLSX workbook"), field="content") from None
        sheet = book[SUMMARY] if SUMMARY in book.sheetnames else book.worksheets[0]
        table = [list(row) for row in sheet.iter_rows(values_only=True)]
        book.close()
        return _rows(table, currency)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("a CSV result is UTF-8 text"), field="content") from None
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if ";" in first else ","
    return _rows(list(csv.reader(io.StringIO(text), delimiter=delimiter)), currency)
