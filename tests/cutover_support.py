"""Building cut-over files for the import tests: XLSX workbooks and ZIPs of CSV files from
rows given as dicts, and running the import operations as an administrator."""

from __future__ import annotations

import base64
import csv
import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook

from kopcore import _auth as auth
from kopcore._service import Outcome, invoke
from kopcore.kernel import Kernel

Rows = Sequence[Mapping[str, Any]]


def columns_of(rows: Rows) -> list[str]:
    return list(dict.fromkeys(column for row in rows for column in row))


def xlsx(sheets: Mapping[str, Rows], *, headers: Mapping[str, Sequence[str]] | None = None
         ) -> bytes:
    """A workbook with one sheet per name; the header row is every key of the rows, in the
    order first seen (or ``headers[name]``); ``None`` values stay empty cells."""
    workbook = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        columns = list((headers or {}).get(name) or columns_of(rows))
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_zip(sheets: Mapping[str, Rows], *, delimiter: str = ",") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, rows in sheets.items():
            text = io.StringIO()
            columns = columns_of(rows)
            writer = csv.writer(text, delimiter=delimiter)
            writer.writerow(columns)
            for row in rows:
                writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
            archive.writestr(f"{name}.csv", text.getvalue().encode("utf-8-sig"))
    return out.getvalue()


def admin(kernel: Kernel) -> auth.Principal:
    def setup(ctx: Any) -> auth.Principal:
        if not any(u["username"] == "admin" for u in auth.list_users(ctx.conn)):
            auth.create_user(ctx.conn, "admin", "admin")
        return auth.principal_for(ctx.conn, kernel.plugins, "admin")

    return kernel.write("system", setup)


def call(kernel: Kernel, operation: str, content: bytes | None = None, **raw: Any) -> Outcome:
    """Run an import or export operation as the administrator."""
    if content is not None:
        raw["content"] = base64.b64encode(content).decode("ascii")
    for key, value in raw.items():
        if isinstance(value, date):
            raw[key] = value.isoformat()
    op = kernel.plugins.operations[operation].value
    return invoke(kernel, op, raw, admin(kernel), interface="test", from_text=True)
