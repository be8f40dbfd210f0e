"""Loans in a cut-over import: a loan half repaid comes in with its schedule regenerated from
its terms, its arrears and collateral, and earns from then on what the same loan run in kopcore
from its disbursement earns."""

from __future__ import annotations

import base64
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from kopcore_loans import repayment
from kopcore_loans.loan import get_loan, schedule_rows
from kopcore_loans.schedule import add_months
from kopcore_loans.tables import collateral
from loans_helpers import CASH, balance, cash, disbursed_loan, member, product, rp
from openpyxl import Workbook

from kopcore import eod, ledger
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.settings import Settings
from kopcore.testing import add_user, run_operation

DISBURSED = date(2025, 12, 4)
AS_OF = date(2026, 1, 4)


def workbook(sheets: dict[str, list[dict[str, Any]]]) -> bytes:
    book = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        columns = list(dict.fromkeys(c for row in rows for c in row))
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def start(path: Path, name: str, day: date) -> Kernel:
    return Kernel.start(Settings(database_url=f"sqlite:///{path / name}", plugins=("loans",)),
                        migrate=True, initial_date=day)


def run(kernel: Kernel, operation: str, content: bytes) -> Any:
    kernel.write("system", lambda ctx: add_user(ctx, "admin", "admin"))
    raw = {"content": base64.b64encode(content).decode(), "as_of": AS_OF.isoformat()}
    return run_operation(kernel, operation, raw, as_user="admin", from_text=True)


def interest_income(kernel: Kernel, since: date) -> int:
    def read(ctx: Context) -> int:
        lines = ledger.operating_results(ctx, since, ctx.business_date, "IDR")["income"].lines
        return sum(line.balance.minor for line in lines if line.key == "loans.interest_income")
    return kernel.read("auditor", read)


LOAN = {"nomor_pinjaman": "PJ-7", "nomor_anggota": "A1", "produk": "FLAT18",
        "pokok_awal": 12000000, "jangka": 12, "tanggal_pencairan": DISBURSED.isoformat(),
        "sisa_pokok": 11000000, "agunan_jenis": "BPKB", "agunan_uraian": "Honda Beat 2021",
        "agunan_nilai": 9000000}


def cutover_file(loan: dict[str, Any], trial_balance: list[dict[str, Any]]) -> bytes:
    return workbook({
        "anggota": [{"nomor_anggota": "A1", "nama": "Made Wirawan", "nik": "5171011508900001",
                     "tanggal_masuk": "2020-01-01"}],
        "pinjaman": [loan],
        "neraca_saldo": trial_balance,
    })


def imported(tmp_path: Path, loan: dict[str, Any], receivable: int = 0) -> Kernel:
    kernel = start(tmp_path, "imported.db", AS_OF.replace(day=5))
    kernel.write("admin", lambda ctx: product(ctx, code="FLAT18", annual_rate=Decimal(18)))
    outstanding = loan["sisa_pokok"]
    run(kernel, "import.run", cutover_file(loan, [
        {"kode_akun": "1141", "debit": outstanding},
        {"kode_akun": "1143", "debit": receivable or None},
        {"kode_akun": "1101", "kredit": outstanding + receivable}]))
    return kernel


def test_a_loan_half_repaid_imports_with_its_paid_installments_and_collateral(
        tmp_path: Path) -> None:
    kernel = imported(tmp_path, LOAN)

    def read(ctx: Context) -> Any:
        loan = get_loan(ctx, "PJ-7")
        return loan, schedule_rows(ctx, loan.id)

    loan, rows = kernel.read("auditor", read)
    assert balance(kernel, "PJ-7") == rp("11000000").minor
    assert [r.status for r in rows[:2]] == ["paid", "open"]
    assert (rows[0].principal_paid, rows[0].interest_paid) == (rp("1000000").minor,
                                                               rp("180000").minor)
    assert loan.interest_recognized == rp("180000").minor
    assert loan.days_past_due == 0
    details = kernel.read("auditor", lambda ctx: ctx.conn.execute(collateral.select()).one())
    assert (details.kind, details.value) == ("BPKB", rp("9000000").minor)


def test_arrears_that_the_regenerated_schedule_does_not_give_are_reported(
        tmp_path: Path) -> None:
    kernel = start(tmp_path, "check.db", AS_OF.replace(day=5))
    kernel.write("admin", lambda ctx: product(ctx, code="FLAT18", annual_rate=Decimal(18)))
    late = dict(LOAN, sisa_pokok=12000000, tunggakan_pokok=900000)

    report = run(kernel, "import.check", cutover_file(late, [
        {"kode_akun": "1141", "debit": 12000000}, {"kode_akun": "1101", "kredit": 12000000}]))

    assert [(p["row"], p["column"]) for p in report["problems"]] == [(2, "tunggakan_pokok")]
    assert "Rp1.000.000,00" in report["problems"][0]["message"]


def test_an_imported_loan_earns_what_the_same_loan_earns_in_kopcore(tmp_path: Path) -> None:
    direct = start(tmp_path, "direct.db", DISBURSED)

    def disburse(ctx: Context) -> str:
        cash(ctx)
        product(ctx, code="FLAT18", annual_rate=Decimal(18))
        return disbursed_loan(ctx, member(ctx), "FLAT18").number

    number = direct.write("admin", disburse)
    eod.run_end_of_day(direct, until=AS_OF)
    direct.write("teller", lambda ctx: repayment.repay(
        ctx.for_operation("loans.repay"), get_loan(ctx, number), ledger.get_account(ctx, CASH),
        rp("1180000"), memo="Angsuran 1"))
    receivable = balance(direct, f"{number}-J")
    eod.run_end_of_day(direct, until=date(2026, 2, 20))

    copy = imported(tmp_path, dict(LOAN, piutang_bunga=receivable or None), receivable)
    eod.run_end_of_day(copy, until=date(2026, 2, 20))

    assert interest_income(copy, AS_OF.replace(day=5)) == \
        interest_income(direct, AS_OF.replace(day=5)) > 0
    assert balance(copy, "PJ-7-J") == balance(direct, f"{number}-J")


def legacy_schedule(loan: str = "PJ-7") -> list[dict[str, Any]]:
    """Twelve installments as another system rounded them (Rp1,000,100 then a smaller last),
    the first paid."""
    rows = []
    for seq in range(1, 13):
        principal = 1000100 if seq < 12 else 12000000 - 11 * 1000100
        due = add_months(DISBURSED, seq)
        paid = seq == 1
        rows.append({"nomor_pinjaman": loan, "angsuran_ke": seq, "jatuh_tempo": due.isoformat(),
                     "pokok": principal, "bunga": 180000,
                     "pokok_dibayar": principal if paid else None,
                     "bunga_dibayar": 180000 if paid else None})
    return rows


def test_a_schedule_as_it_stands_in_the_old_books_is_kept(tmp_path: Path) -> None:
    kernel = start(tmp_path, "schedule.db", AS_OF.replace(day=5))
    kernel.write("admin", lambda ctx: product(ctx, code="FLAT18", annual_rate=Decimal(18)))
    loan = dict(LOAN, sisa_pokok=12000000 - 1000100)
    content = workbook({
        "anggota": [{"nomor_anggota": "A1", "nama": "Made Wirawan", "nik": "5171011508900001",
                     "tanggal_masuk": "2020-01-01"}],
        "jadwal_angsuran": legacy_schedule(),
        "pinjaman": [loan],
        "neraca_saldo": [{"kode_akun": "1141", "debit": 12000000 - 1000100},
                         {"kode_akun": "1101", "kredit": 12000000 - 1000100}]})

    run(kernel, "import.run", content)

    rows = kernel.read("auditor", lambda ctx: schedule_rows(ctx, get_loan(ctx, "PJ-7").id))
    assert [r.principal for r in rows[:2]] == [rp("1000100").minor] * 2
    assert rows[-1].principal == rp(str(12000000 - 11 * 1000100)).minor
    assert [r.status for r in rows[:2]] == ["paid", "open"]


def test_an_imported_schedule_that_does_not_add_up_to_its_loan_is_reported(
        tmp_path: Path) -> None:
    kernel = start(tmp_path, "schedule-check.db", AS_OF.replace(day=5))
    kernel.write("admin", lambda ctx: product(ctx, code="FLAT18", annual_rate=Decimal(18)))
    content = workbook({
        "anggota": [{"nomor_anggota": "A1", "nama": "Made Wirawan", "nik": "5171011508900001",
                     "tanggal_masuk": "2020-01-01"}],
        "jadwal_angsuran": [*legacy_schedule(), *legacy_schedule("PJ-9")[:1]],
        "pinjaman": [LOAN],
        "neraca_saldo": [{"kode_akun": "1141", "debit": 11000000},
                         {"kode_akun": "1101", "kredit": 11000000}]})

    report = run(kernel, "import.check", content)

    assert [(p["sheet"], p["row"], p["column"]) for p in report["problems"]] == [
        ("pinjaman", 2, "sisa_pokok"), ("jadwal_angsuran", 14, "nomor_pinjaman")]
