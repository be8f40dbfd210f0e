"""Savings in a cut-over import: accounts with balances, wajib arrears, interest carried over,
time deposits mid-term, holds and frozen accounts; and what end of day does with them after."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from openpyxl import Workbook

from kopcore import eod, ledger
from kopcore.errors import ImportRefused
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.testing import add_user, run_operation

AS_OF = date(2026, 1, 4)  # the day before the test kernel's business date


def workbook(sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> bytes:
    book = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        columns = sorted({c for row in rows for c in row}, key=lambda c: (c != "nomor_rekening", c))
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Cutover:
    """A cooperative with only the kernel and savings, whose books are still empty."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        kernel.write("system", lambda ctx: add_user(ctx, "admin", "admin"))
        self.call("savings.product-create", code="POKOK", name="Pokok", type="pokok",
                  amount="100000")
        self.call("savings.product-create", code="WAJIB", name="Wajib", type="wajib",
                  amount="25000")
        self.call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela",
                  interest_rate="3")
        self.call("savings.product-create", code="DEPO6", name="Deposito 6 bulan",
                  type="berjangka", interest_rate="6", term_months="6")

    def call(self, operation: str, **raw: Any) -> Any:
        return run_operation(self.kernel, operation, raw, as_user="admin", from_text=True)

    def send(self, operation: str, content: bytes) -> Any:
        return self.call(operation, content=base64.b64encode(content).decode(),
                         as_of=AS_OF.isoformat())

    def balance(self, number: str) -> Money:
        return self.kernel.read("admin", lambda ctx: ledger.get_account(ctx, number).balance)


@pytest.fixture
def cutover(make_kernel: Callable[..., Kernel]) -> Cutover:
    return Cutover(make_kernel(plugins=("savings",)))


MEMBERS = [
    {"nomor_anggota": "A1", "nama": "Siti Aminah", "nik": "3201016107920003",
     "tanggal_masuk": "2019-03-01"},
    {"nomor_anggota": "A2", "nama": "Budi Santoso", "nik": "3201011507920004",
     "tanggal_masuk": "2020-07-15"},
]
ACCOUNTS = [
    {"nomor_rekening": "SP-1", "nomor_anggota": "A1", "produk": "POKOK", "saldo": 100000},
    {"nomor_rekening": "SW-1", "nomor_anggota": "A1", "produk": "WAJIB", "saldo": 500000,
     "tunggakan_wajib": 75000},
    {"nomor_rekening": "SS-1", "nomor_anggota": "A1", "produk": "SUKARELA",
     "saldo": "1.000.000", "bunga_berjalan": 1234, "tanggal_buka": "2019-03-01"},
    {"nomor_rekening": "SS-2", "nomor_anggota": "A2", "produk": "SUKARELA", "saldo": 300000,
     "ditahan": 50000, "alasan_tahan": "jaminan pinjaman", "dibekukan": "ya"},
]
DEPOSITS = [
    {"nomor_rekening": "SB-1", "nomor_anggota": "A2", "produk": "DEPO6", "pokok": 10000000,
     "tanggal_penempatan": "2025-11-15", "instruksi": "cair", "rekening_pencairan": "SS-2",
     "bunga_diakui": 80548},
]
TRIAL_BALANCE = [
    {"kode_akun": "1101", "debit": 11_900_000 + 80548},
    {"kode_akun": "3101", "kredit": 100000},
    {"kode_akun": "3102", "kredit": 500000},
    {"kode_akun": "2111", "kredit": 1_300_000},
    {"kode_akun": "2112", "kredit": 10_000_000},
    {"kode_akun": "2118", "kredit": 80548},
]


def cutover_file(**changes: Any) -> bytes:
    sheets = {"anggota": MEMBERS, "simpanan": ACCOUNTS, "simpanan_berjangka": DEPOSITS,
              "neraca_saldo": TRIAL_BALANCE}
    return workbook({**sheets, **changes})


def test_imported_savings_keep_balances_arrears_holds_and_the_deposit(cutover: Cutover) -> None:
    result = cutover.send("import.run", cutover_file())

    assert [s["rows"] for s in result["sheets"]] == [2, 4, 1, 6]
    assert cutover.balance("SS-1") == Money.parse("1000000")
    arrears = cutover.call("savings.wajib-arrears", product="WAJIB")
    assert [(a["account"], a["arrears"]["amount"]) for a in arrears["items"]] == \
        [("SW-1", "75000.00")]
    held = cutover.call("savings.balance", account="SS-2")["account"]
    assert (held["status"], held["held"]["amount"]) == ("frozen", "50000.00")
    deposit = cutover.call("savings.deposit-get", account="SB-1")
    assert (deposit["placed_on"], deposit["maturity_on"]) == ("2025-11-15", "2026-05-15")
    assert cutover.kernel.read("admin", ledger.ledger_invariants) == []


def test_interest_carried_over_is_paid_with_the_first_month_in_kopcore(cutover: Cutover
                                                                       ) -> None:
    cutover.send("import.run", cutover_file())

    # On 10 January the interest shown as accrued holds the carried Rp1,234 too: 5 days at
    # 3 % on Rp1,000,000 (Rp410.96) + Rp1,234 = Rp1,644.96 -> Rp1,645.
    eod.run_end_of_day(cutover.kernel, until=date(2026, 1, 10))
    accrued = cutover.call("savings.balance", account="SS-1")["accrued_interest"]
    assert accrued["amount"] == "1645.00"

    eod.run_end_of_day(cutover.kernel, until=date(2026, 2, 1))

    # 27 days of January at 3 % on Rp1,000,000 (5 to 31 January), plus the Rp1,234 carried.
    january = Fraction(Money.parse("1000000").minor * 30000 * 27, 365 * 1_000_000)
    expected = Money((january + 123400 + 50) // 100 * 100, "IDR")  # half up to the rupiah
    assert expected == Money.parse("3453")  # Rp2,219.18 + Rp1,234 = Rp3,453.18
    assert cutover.balance("SS-1") - Money.parse("1000000") == expected

    # The carried interest is paid once: February earns its 28 days on Rp1,003,453 alone,
    # Rp1,003,453 x 3 % x 28 / 365 = Rp2,309.32 -> Rp2,309.
    eod.run_end_of_day(cutover.kernel, until=date(2026, 3, 1))
    assert cutover.balance("SS-1") == Money.parse("1005762")


def test_a_sukarela_total_that_differs_from_the_trial_balance_is_refused(cutover: Cutover
                                                                        ) -> None:
    wrong = [dict(line, kredit=1_300_001) if line["kode_akun"] == "2111" else line
             for line in TRIAL_BALANCE]
    wrong = [dict(line, debit=line["debit"] + 1) if line["kode_akun"] == "1101" else line
             for line in wrong]

    with pytest.raises(ImportRefused) as refused:
        cutover.send("import.run", cutover_file(neraca_saldo=wrong))

    assert refused.value.extra["differences"] == [{
        "kode_akun": "2111", "nama_akun": "Simpanan Sukarela", "neraca_saldo": "1300001.00",
        "kopcore": "1300000.00", "selisih": "-1.00"}]
    assert cutover.kernel.read("admin", lambda ctx: ledger.list_members(ctx)) == []


def test_the_dry_run_reports_savings_rows_by_sheet_row_and_column(cutover: Cutover) -> None:
    rows = [*ACCOUNTS,
            {"nomor_rekening": "SS-1", "nomor_anggota": "A9", "produk": "SUKARELA",
             "saldo": -5},
            {"nomor_rekening": "SP-2", "nomor_anggota": "A1", "produk": "POKOK",
             "saldo": 100000},
            {"nomor_rekening": "SW-9", "nomor_anggota": "A2", "produk": "SUKARELA",
             "saldo": 1, "tunggakan_wajib": 5}]

    report = cutover.send("import.check", cutover_file(simpanan=rows))

    assert not report["ok"]
    found = {(p["sheet"], p["row"], p["column"]) for p in report["problems"]}
    assert found == {("simpanan", 6, "nomor_rekening"), ("simpanan", 6, "nomor_anggota"),
                     ("simpanan", 6, "saldo"), ("simpanan", 7, "produk"),
                     ("simpanan", 8, "tunggakan_wajib")}
    assert cutover.kernel.read("admin", lambda ctx: ledger.list_members(ctx)) == []
