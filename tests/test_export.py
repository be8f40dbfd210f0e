"""Exports of the books: the journal, balances and member accounts as XLSX and CSV, and the
books in beancount format, checked by beancount's own ``bean-check`` — which must also catch
an entry changed after the export.

The demo cooperative (savings and loans) runs a month of end of day; with
``KOPCORE_FULL_TESTS=1`` a whole year (about two minutes)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kopcore import eod, ledger
from kopcore._db import tables as t
from kopcore._demo import DEMO_START, create_demo
from kopcore.errors import Conflict
from kopcore.kernel import Kernel
from tests.cutover_support import call, xlsx

DAYS = 365 if os.environ.get("KOPCORE_FULL_TESTS") else 31
BEAN_CHECK = shutil.which("bean-check", path=str(Path(sys.executable).parent)) \
    or shutil.which("bean-check")
needs_plugins = pytest.mark.skipif(
    any(__import__("importlib.util").util.find_spec(name) is None
        for name in ("kopcore_savings", "kopcore_loans")),
    reason="the demo's activity needs the savings and loans plugins")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    folder = tmp_path_factory.mktemp("demo")
    settings, _keys = create_demo(f"sqlite:///{folder / 'demo.db'}", ("savings", "loans"))
    kernel = Kernel.start(settings)
    eod.run_end_of_day(kernel, until=DEMO_START + timedelta(days=DAYS))
    yield kernel
    kernel.close()


def bean_check(text: str, folder: Path) -> subprocess.CompletedProcess[str]:
    if BEAN_CHECK is None:
        pytest.skip("bean-check is not installed (pip install beancount)")
    path = folder / "books.beancount"
    path.write_text(text, encoding="utf-8")
    return subprocess.run([BEAN_CHECK, str(path)], capture_output=True, text=True,
                          timeout=120, check=False)


def beancount_text(kernel: Kernel, **period: Any) -> str:
    return str(call(kernel, "export.beancount", **period).payload["document"])


def document(kernel: Kernel, operation: str, **raw: Any) -> bytes:
    return base64.b64decode(call(kernel, operation, **raw).payload["document"])


@needs_plugins
def test_bean_check_accepts_the_books_of_the_demo(demo: Kernel, tmp_path: Path) -> None:
    text = beancount_text(demo)

    checked = bean_check(text, tmp_path)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert text.count(" balance ") > 50
    assert "open Liabilities:2111-Simpanan-Sukarela:" in text


@needs_plugins
def test_bean_check_accepts_a_period_that_starts_after_the_books(demo: Kernel,
                                                                 tmp_path: Path) -> None:
    text = beancount_text(demo, from_date=DEMO_START + timedelta(days=10))

    checked = bean_check(text, tmp_path)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Saldo awal periode" in text


def _transactions(text: str) -> list[tuple[int, list[int]]]:
    """(header line index, posting line indexes) of each transaction."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        if re.match(r"^\d{4}-\d\d-\d\d \* ", line):
            postings = []
            for offset in range(index + 1, len(lines)):
                if not lines[offset].startswith("  "):
                    break
                if re.search(r"-?\d+\.\d\d IDR$", lines[offset]):
                    postings.append(offset)
            found.append((index, postings))
    return found


def _add_one_rupiah(line: str) -> str:
    amount = re.search(r"(-?\d+\.\d\d) IDR$", line)
    assert amount is not None
    changed = Decimal(amount.group(1)) + (1 if Decimal(amount.group(1)) > 0 else -1)
    return line[:amount.start(1)] + f"{changed:.2f}" + line[amount.end(1):]


@needs_plugins
def test_bean_check_fails_when_an_exported_entry_is_tampered_with(demo: Kernel,
                                                                  tmp_path: Path) -> None:
    lines = beancount_text(demo).splitlines()
    # An entry of two postings changed on both sides still balances: only kopcore's balance
    # assertions reveal it.
    _header, postings = next((h, p) for h, p in _transactions("\n".join(lines))
                             if len(p) == 2 and h > 100)
    for index in postings:
        lines[index] = _add_one_rupiah(lines[index])

    checked = bean_check("\n".join(lines) + "\n", tmp_path)

    assert checked.returncode != 0
    assert "Balance failed" in checked.stdout + checked.stderr


@needs_plugins
def test_the_journal_export_has_every_posting_and_balances(demo: Kernel) -> None:
    book = load_workbook(io.BytesIO(document(demo, "export.journal", format="xlsx")),
                         read_only=True)
    rows = list(book["Jurnal"].iter_rows(values_only=True))

    postings = demo.read("auditor", lambda ctx: ctx.conn.exec_driver_sql(
        "SELECT count(*) FROM postings").scalar_one())
    assert len(rows) - 1 == postings
    header = rows[0]
    debit, credit = header.index("debit"), header.index("kredit")
    assert sum(Decimal(str(r[debit] or 0)) for r in rows[1:]) == \
        sum(Decimal(str(r[credit] or 0)) for r in rows[1:]) > 0


@needs_plugins
def test_the_balances_export_rolls_each_account_forward(demo: Kernel) -> None:
    start = DEMO_START + timedelta(days=7)
    end = DEMO_START + timedelta(days=DAYS - 1)
    text = document(demo, "export.balances", format="csv", from_date=start,
                    to_date=end).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))

    assert rows

    def net(ctx: Any) -> dict[str, Decimal]:
        """Debit-positive balance of each GL account at the end of the period."""
        return {b.code: Decimal(b.debit.to_str()) - Decimal(b.credit.to_str())
                for b in ledger.trial_balance(ctx, end)["lines"]}

    books = demo.read("auditor", net)
    for row in rows:
        opening, debit, credit = (Decimal(row[c]) for c in ("saldo_awal", "debit", "kredit"))
        # Each on its account's normal side: debit for assets and expenses, credit for the
        # others and for the allowance, a contra asset.
        sign = 1 if row["jenis"] in ("asset", "expense") and row["kode_akun"] != "1149" else -1
        assert Decimal(row["saldo_akhir"]) == opening + sign * (debit - credit)
        assert Decimal(row["saldo_akhir"]) * sign == books.get(row["kode_akun"], Decimal(0))


@needs_plugins
def test_the_member_accounts_export_gives_each_balance_at_the_period_end(demo: Kernel
                                                                         ) -> None:
    end = DEMO_START + timedelta(days=3)
    book = load_workbook(io.BytesIO(document(demo, "export.accounts", to_date=end)),
                         read_only=True)
    rows = list(book["Rekening anggota"].iter_rows(values_only=True))
    header = rows[0]

    for row in rows[1:]:
        number, balance = row[header.index("nomor_rekening")], row[header.index("saldo")]
        expected = demo.read("auditor", lambda ctx, n=number: ledger.balance_as_of(ctx, n, end))
        assert Decimal(str(balance)) == Decimal(expected.to_str())
    assert len(rows) > 5


def test_an_empty_ledger_exports_an_empty_journal(kernel: Kernel) -> None:
    text = document(kernel, "export.journal", format="csv").decode("utf-8-sig")

    assert text.splitlines()[0].startswith("entry_id,tanggal,memo")
    assert len(text.splitlines()) == 1
    assert call(kernel, "export.journal", format="csv").payload["to_date"] == \
        date(2026, 1, 5).isoformat()


YEAR_END = date(2025, 12, 31)
CLOSED_BOOKS = [
    {"kode_akun": "1101", "debit": 2500000},
    {"kode_akun": "1103", "debit": 40000000},
    {"kode_akun": "3103", "kredit": 30000000},
    {"kode_akun": "4101", "kredit": 15000000},
    {"kode_akun": "5102", "debit": 2500000},
]


@pytest.fixture
def closed_year(make_kernel: Any) -> Kernel:
    """A cooperative brought in from its books at the end of 2025 (a year's income and
    expenses in the trial balance), its December and its year 2025 closed."""
    kernel = make_kernel()
    # The test kernel starts on 5 January; this cooperative started kopcore on 1 January.
    kernel.write("system", lambda ctx: ctx.conn.execute(
        t.business_calendar.update().values(business_date=date(2026, 1, 1))))
    call(kernel, "import.run", xlsx({"neraca_saldo": CLOSED_BOOKS}), as_of=YEAR_END)
    call(kernel, "periods.close", year=2025, month=12)
    call(kernel, "years.close", year=2025)
    return kernel


def test_the_rat_statements_export_as_a_workbook(closed_year: Kernel) -> None:
    book = load_workbook(io.BytesIO(document(closed_year, "export.rat", year=2025)),
                         read_only=True)

    assert book.sheetnames == ["Laporan Posisi Keuangan", "Laporan Hasil Usaha",
                               "Laporan Perubahan Ekuitas", "Laporan Arus Kas"]
    results = list(book["Laporan Hasil Usaha"].iter_rows(values_only=True))
    surplus = next(row for row in results if row[2] == "Sisa hasil usaha (SHU)")
    assert Decimal(str(surplus[3])) == Decimal("12500000")


def test_a_closed_year_archives_as_one_file_that_bean_check_accepts(closed_year: Kernel,
                                                                     tmp_path: Path) -> None:
    content = document(closed_year, "export.year-archive", year=2025)
    archive = zipfile.ZipFile(io.BytesIO(content))

    names = set(archive.namelist())
    assert {"MANIFEST.txt", "laporan-rat-2025.xlsx", "laporan-rat-2025.html",
            "laporan-rat-2025.csv", "jurnal-2025.xlsx", "neraca-saldo-2025.xlsx",
            "rekening-anggota-2025.xlsx", "buku-2025.beancount",
            "penilaian-kesehatan-2025.json"} <= names
    manifest = archive.read("MANIFEST.txt").decode()
    for name in names - {"MANIFEST.txt"}:
        assert f"{hashlib.sha256(archive.read(name)).hexdigest()}  {name}" in manifest
    checked = bean_check(archive.read("buku-2025.beancount").decode(), tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_open_year_is_not_archived(kernel: Kernel) -> None:
    with pytest.raises(Conflict, match="not closed"):
        call(kernel, "export.year-archive", year=2025)
