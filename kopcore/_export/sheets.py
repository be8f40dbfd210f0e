"""Writing rows as an XLSX sheet or a CSV file, streamed: openpyxl's write-only workbook
keeps no row in memory once written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font


def xlsx(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of ``(title, header, rows)`` sheets; amounts go in as Decimal (exact text)."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.freeze_panes = "A2"
        bold = []
        for name in header:
            cell = _cell(sheet, name)
            cell.font = Font(bold=True)
            bold.append(cell)
        sheet.append(bold)
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    return WriteOnlyCell(sheet, value=value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV with a header line, UTF-8 with a byte-order mark (spreadsheets then read it as
    UTF-8), dates as YYYY-MM-DD and amounts as plain decimals."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return text.getvalue().encode("utf-8-sig")
