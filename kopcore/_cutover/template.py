"""The import template: an XLSX workbook (or a ZIP of CSV files) with one sheet per kind of
record the enabled plugins take, and a guide sheet (``petunjuk``) describing every column in
Indonesian."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kopcore._cutover.reading import GUIDE_SHEET, TYPE_LABELS
from kopcore.records import ColumnType, ImportColumn, ImportSheet

GUIDE_HEADER = ("lembar", "kolom", "jenis", "wajib", "keterangan", "contoh")
INTRODUCTION = (
    "Isi satu lembar untuk setiap jenis data; baris pertama setiap lembar adalah judul kolom "
    "dan tidak boleh diubah. Lembar yang tidak dipakai boleh dihapus. Semua saldo adalah "
    "saldo pada akhir tanggal cut-over. Periksa berkas dengan `kopcore import check` sebelum "
    "`kopcore import run`: setiap masalah disebut dengan lembar, baris dan kolomnya.",
)


def _type_label(column: ImportColumn) -> str:
    if column.type is ColumnType.CHOICE:
        return "pilihan: " + " / ".join(column.choices)
    return TYPE_LABELS[column.type]


def guide_rows(sheets: Sequence[ImportSheet]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for sheet in sheets:
        rows.append((sheet.name, "", "", "", sheet.title, ""))
        for column in sheet.columns:
            rows.append((sheet.name, column.name, _type_label(column),
                         "ya" if column.required else "tidak", column.help, column.example))
    return rows


def xlsx_template(sheets: Sequence[ImportSheet]) -> bytes:
    workbook = Workbook()
    guide = workbook.active
    assert guide is not None
    guide.title = GUIDE_SHEET
    for line in INTRODUCTION:
        guide.append((line,))
    guide.append(())
    guide.append(GUIDE_HEADER)
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
    for row in guide_rows(sheets):
        guide.append(row)
    for letter, width in zip("ABCDEF", (20, 24, 24, 8, 90, 20), strict=True):
        guide.column_dimensions[letter].width = width
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet.name)
        worksheet.append([c.name for c in sheet.columns])
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            worksheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
            header = worksheet.cell(row=1, column=index)
            header.font = Font(bold=True)
            if column.type is ColumnType.TEXT:
                # Text cells keep every digit of a NIK or an account number.
                for number in range(2, 1002):
                    worksheet.cell(row=number, column=index).number_format = "@"
        worksheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv(rows: Sequence[Sequence[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")


def csv_template(sheets: Sequence[ImportSheet]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{GUIDE_SHEET}.csv", _csv([GUIDE_HEADER, *guide_rows(sheets)]))
        for sheet in sheets:
            archive.writestr(f"{sheet.name}.csv", _csv([[c.name for c in sheet.columns]]))
    return out.getvalue()
