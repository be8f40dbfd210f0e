"""Reading an import file: an XLSX workbook or a ZIP of CSV files, one sheet per kind.

Rows are streamed (openpyxl's read-only mode; the csv module over one member of the ZIP at a
time), so a file of 100,000 members is never held as Python objects all at once: the importer
reads each sheet once to check it and once more to write it. Cells are read by the column's
:class:`~kopcore.records.ColumnType`; every cell that cannot be read gives an Indonesian
problem naming its sheet, row and column.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

import attrs

from kopcore.errors import InvalidAmount
from kopcore.money import Money, exponent
from kopcore.records import ColumnType, ImportColumn, ImportProblem, ImportSheet

#: Sheets of the template that carry no records.
GUIDE_SHEET = "petunjuk"
YES = ("ya", "y", "true", "1", "yes")
NO = ("tidak", "t", "false", "0", "no", "")
#: Spreadsheets keep numbers as binary floating point with 15 significant digits: larger
#: numbers (a NIK, an account number typed as a number) have already lost digits.
EXACT_DIGITS = 15


class UnreadableFile(Exception):
    """The content is neither an XLSX workbook nor a ZIP of CSV files (message in Indonesian)."""


def header_name(value: Any) -> str:
    """A header cell as a column name: ``"Nomor Anggota"`` → ``nomor_anggota``."""
    return re.sub(r"\s+", "_", str(value).strip().lower()) if value is not None else ""


@attrs.frozen
class RawRow:
    """A row as read: its spreadsheet row number and raw cells by header name."""

    number: int
    cells: dict[str, Any]


class ImportFile:
    """An open import file: the sheets it has and their rows, read again on each call."""

    def __init__(self, content: bytes) -> None:
        if not content.startswith(b"PK"):
            raise UnreadableFile("berkas bukan XLSX atau ZIP berisi berkas CSV")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile:
            raise UnreadableFile("berkas rusak: bukan XLSX atau ZIP yang utuh") from None
        names = self._zip.namelist()
        self.is_xlsx = "xl/workbook.xml" in names
        self._workbook: Any = None
        self._csv: dict[str, str] = {}
        if self.is_xlsx:
            from openpyxl import load_workbook

            try:
                self._workbook = load_workbook(io.BytesIO(content), read_only=True,
                                               data_only=True)
            except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
                raise UnreadableFile(f"XLSX tidak dapat dibaca: {exc}") from None
        else:
            for name in names:
                stem = name.rsplit("/", 1)[-1]
                if stem.lower().endswith(".csv") and not stem.startswith("."):
                    self._csv[header_name(stem[:-4])] = name

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
        self._zip.close()

    def sheet_names(self) -> list[str]:
        if self._workbook is not None:
            return [header_name(name) for name in self._workbook.sheetnames]
        return sorted(self._csv)

    def rows(self, sheet: str) -> Iterator[tuple[int, Sequence[Any]]]:
        """``(row number, cells)`` of every row, the header (row 1) included."""
        if self._workbook is not None:
            title = next(n for n in self._workbook.sheetnames if header_name(n) == sheet)
            worksheet = self._workbook[title]
            worksheet.reset_dimensions()  # some writers record wrong dimensions: read it all
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, values
            return
        with self._zip.open(self._csv[sheet]) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            first = text.readline()
            # Indonesian spreadsheets export CSV with ';' (the comma is the decimal mark).
            delimiter = ";" if first.count(";") > first.count(",") else ","
            reader = csv.reader(_chain(first, text), delimiter=delimiter)
            for values in reader:
                yield reader.line_num, values


def _chain(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    yield first
    yield from rest


# --- cells ------------------------------------------------------------------------------------


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decimal(value: Any) -> Decimal | None:
    """A number cell or number text as an exact Decimal; ``None`` when it is not a number.

    Text in Indonesian notation (``1.500.000,50``) and plain notation (``1500000.50``) both
    read; a single dot followed by exactly three digits is a thousands separator."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # A spreadsheet stores a typed number as a binary double; the shortest text that reads
        # back as it is what the person typed, so the amount is taken exactly from that text.
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value
    text = str(value).strip().replace(" ", "").replace("\u00a0", "")
    text = re.sub(r"^(-?)rp\.?", r"\1", text, flags=re.IGNORECASE)
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif text.count(".") > 1 or re.fullmatch(r"-?[0-9]{1,3}\.[0-9]{3}", text):
        text = text.replace(".", "")
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})", text)
        if not match:
            return None
        day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _lost_digits(value: Any) -> bool:
    return isinstance(value, float) and abs(value) >= 10**EXACT_DIGITS


TYPE_LABELS = {
    ColumnType.TEXT: "teks",
    ColumnType.INTEGER: "bilangan bulat",
    ColumnType.AMOUNT: "jumlah rupiah",
    ColumnType.PERCENT: "persen",
    ColumnType.DATE: "tanggal (YYYY-MM-DD)",
    ColumnType.CHOICE: "pilihan",
    ColumnType.FLAG: "ya/tidak",
}


def read_cell(column: ImportColumn, value: Any, currency: str) -> tuple[Any, str | None]:
    """``(value, None)`` read by the column's type, or ``(None, problem)`` in Indonesian."""
    if _empty(value):
        if column.required:
            return None, "wajib diisi"
        return (False, None) if column.type is ColumnType.FLAG else (None, None)
    if _lost_digits(value):
        return None, ("angka lebih dari 15 digit sudah dibulatkan oleh spreadsheet: ketik "
                      "sebagai teks (format sel Teks)")
    kind = column.type
    if kind is ColumnType.TEXT:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime | date):
            value = value.isoformat()[:10]
        text = str(value).strip()
        if len(text) > 500:
            return None, "paling banyak 500 karakter"
        return text, None
    if kind is ColumnType.INTEGER:
        number = _decimal(value)
        if number is None or number != number.to_integral_value():
            return None, "harus bilangan bulat"
        return int(number), None
    if kind is ColumnType.AMOUNT:
        number = _decimal(value)
        if number is None:
            return None, "harus jumlah rupiah, contoh 1500000 atau 1.500.000,50"
        places = exponent(currency)
        if number != number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN):
            return None, f"paling banyak {places} angka di belakang koma"
        try:
            return Money.parse(number, currency), None
        except InvalidAmount:
            return None, "jumlah terlalu besar"
    if kind is ColumnType.PERCENT:
        number = _decimal(str(value).strip().rstrip("%")) if isinstance(value, str) \
            else _decimal(value)
        if number is None or not Decimal(0) <= number <= Decimal(1000):
            return None, "harus persen dari 0 sampai 1000, contoh 12 atau 12,5"
        return number.normalize() if number else Decimal(0), None
    if kind is ColumnType.DATE:
        day = _date(value)
        if day is None:
            return None, "harus tanggal: YYYY-MM-DD atau DD/MM/YYYY"
        return day, None
    if kind is ColumnType.CHOICE:
        text = str(value).strip().lower()
        if text not in column.choices:
            return None, f"harus salah satu dari: {', '.join(column.choices)}"
        return text, None
    text = str(value).strip().lower()
    if text in YES:
        return True, None
    if text in NO:
        return False, None
    return None, "harus ya atau tidak"


# --- rows of a sheet --------------------------------------------------------------------------


def header_problems(sheet: ImportSheet, header: Sequence[Any]
                    ) -> tuple[list[str | None], list[ImportProblem], bool]:
    """The column name of each position, what is wrong with the header row, and whether the
    rows can be read under it (no required column missing, none given twice)."""
    names = [header_name(v) or None for v in header]
    known = {c.name for c in sheet.columns}
    listed = ", ".join(c.name for c in sheet.columns)
    problems = []
    seen: set[str] = set()
    usable = True
    for name in names:
        if name is None:
            continue
        if name not in known:
            problems.append(ImportProblem(sheet.name, 1, name,
                                          f"kolom tidak dikenal; kolom lembar ini: {listed}"))
        elif name in seen:
            problems.append(ImportProblem(sheet.name, 1, name, "kolom ini muncul dua kali"))
            usable = False
        seen.add(name)
    for column in sheet.columns:
        if column.required and column.name not in seen:
            problems.append(ImportProblem(sheet.name, 1, column.name,
                                          "kolom wajib tidak ada di baris judul"))
            usable = False
    return names, problems, usable


def data_rows(file: ImportFile, sheet: ImportSheet, names: list[str | None]
              ) -> Iterator[RawRow]:
    """The sheet's data rows (after the header), empty rows skipped."""
    rows = file.rows(sheet.name)
    next(rows, None)
    for number, values in rows:
        if all(_empty(v) for v in values):
            continue
        cells = {name: value for name, value in zip(names, values, strict=False)
                 if name is not None}
        yield RawRow(number, cells)
