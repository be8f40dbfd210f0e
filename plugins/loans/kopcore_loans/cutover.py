"""Loans in a cut-over import: the sheet ``pinjaman`` (loans mid-term), through the hook
``kopcore_import_sheets``.

A row gives a loan's original terms (principal, term, method, rate, disbursement date), what
is still owed (outstanding principal, principal and interest in arrears, penalty) and what the
previous books held for it (accrued interest receivable, loan-loss allowance), and optionally
its collateral. The schedule is regenerated from the terms exactly as a loan disbursed in
kopcore gets it; what has been paid is then allocated to it oldest first: principal paid is
the original principal less the outstanding, interest paid is the interest of the installments
already due less the interest in arrears. When the legacy system rounded differently the
regenerated schedule's arrears differ from the file's and the row is reported: the
principal arrears the schedule gives are named, so the file can be corrected.

The loan's principal and interest-receivable accounts get the outstanding principal and the
accrued interest (``piutang_bunga``) as opening balances; ``interest_recognized`` is the
interest paid plus that receivable, so kopcore's end of day recognises from there on (on a
previous book kept on a cash basis, its first end of day catches up the interest earned and
not yet booked). The allowance formed (``ppap``) is what the opening trial balance must show
in ``loans.allowance``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.money import Money
from kopcore.records import (
    ColumnType,
    ImportColumn,
    ImportProblem,
    ImportRow,
    ImportRun,
    ImportSheet,
    SheetWritten,
)
from kopcore_loans import gl
from kopcore_loans.lifecycle import insert_schedule
from kopcore_loans.loan import LoanStatus
from kopcore_loans.products import Product, classify, collectibility, list_products, unit_minor
from kopcore_loans.schedule import Installment, InterestMethod, build_schedule
from kopcore_loans.tables import collateral, installments, loans

LOANS = "pinjaman"
SCHEDULES = "jadwal_angsuran"
PRODUCTS = "loans.products"
#: ``run.shared`` keys: each imported schedule's sums (checking), its rows (writing).
SCHEDULE_SUMS = "loans.schedule_sums"
SCHEDULE_ROWS = "loans.schedule_rows"

COLUMNS = (
    ImportColumn("nomor_pinjaman", ColumnType.TEXT, "Nomor pinjaman (paling banyak 30 "
                 "karakter); juga nomor rekening pinjamannya", example="PJ-000123"),
    ImportColumn("nomor_anggota", ColumnType.TEXT, "Nomor anggota peminjam",
                 example="A000123"),
    ImportColumn("produk", ColumnType.TEXT, "Kode produk pinjaman di kopcore (`kopcore loans "
                 "product-list`)", example="PMU-FLAT"),
    ImportColumn("pokok_awal", ColumnType.AMOUNT, "Pokok pinjaman saat dicairkan",
                 example="12000000"),
    ImportColumn("jangka", ColumnType.INTEGER, "Jumlah angsuran", example="12"),
    ImportColumn("tanggal_pencairan", ColumnType.DATE, "Tanggal pencairan",
                 example="2025-08-10"),
    ImportColumn("bunga_per_tahun", ColumnType.PERCENT, "Suku bunga per tahun dalam persen "
                 "(kosong: suku bunga produk)", required=False, example="18"),
    ImportColumn("metode", ColumnType.CHOICE, "Metode bunga (kosong: metode produk)",
                 required=False, choices=tuple(m.value for m in InterestMethod)),
    ImportColumn("sisa_pokok", ColumnType.AMOUNT, "Sisa pokok pada tanggal cut-over",
                 example="7000000"),
    ImportColumn("tunggakan_pokok", ColumnType.AMOUNT, "Pokok yang sudah jatuh tempo dan "
                 "belum dibayar (kosong: 0)", required=False, example="0"),
    ImportColumn("tunggakan_bunga", ColumnType.AMOUNT, "Bunga yang sudah jatuh tempo dan "
                 "belum dibayar (kosong: 0)", required=False, example="0"),
    ImportColumn("piutang_bunga", ColumnType.AMOUNT, "Piutang jasa pinjaman yang tercatat di "
                 "neraca saldo untuk pinjaman ini (kosong: 0)", required=False),
    ImportColumn("denda", ColumnType.AMOUNT, "Denda yang terutang (kosong: 0)",
                 required=False),
    ImportColumn("ppap", ColumnType.AMOUNT, "Penyisihan (PPAP) yang sudah dibentuk untuk "
                 "pinjaman ini (kosong: 0)", required=False),
    ImportColumn("agunan_jenis", ColumnType.TEXT, "Jenis agunan (BPKB, sertifikat...)",
                 required=False),
    ImportColumn("agunan_uraian", ColumnType.TEXT, "Uraian agunan", required=False),
    ImportColumn("agunan_nilai", ColumnType.AMOUNT, "Nilai taksiran agunan", required=False),
    ImportColumn("agunan_dokumen", ColumnType.TEXT, "Nomor dokumen agunan", required=False),
)


SCHEDULE_COLUMNS = (
    ImportColumn("nomor_pinjaman", ColumnType.TEXT, "Nomor pinjaman (dari lembar pinjaman)",
                 example="PJ-000123"),
    ImportColumn("angsuran_ke", ColumnType.INTEGER, "Nomor urut angsuran", example="1"),
    ImportColumn("jatuh_tempo", ColumnType.DATE, "Tanggal jatuh tempo", example="2025-09-10"),
    ImportColumn("pokok", ColumnType.AMOUNT, "Pokok angsuran", example="1000000"),
    ImportColumn("bunga", ColumnType.AMOUNT, "Bunga angsuran", example="180000"),
    ImportColumn("pokok_dibayar", ColumnType.AMOUNT, "Pokok yang sudah dibayar (kosong: 0)",
                 required=False),
    ImportColumn("bunga_dibayar", ColumnType.AMOUNT, "Bunga yang sudah dibayar (kosong: 0)",
                 required=False),
)


@attrs.define
class ScheduleSums:
    """What a loan's imported schedule adds up to, for checking it against the loan's row."""

    first_row: int
    principal: int = 0
    principal_paid: int = 0
    principal_arrears: int = 0
    interest_arrears: int = 0
    numbers: set[int] = attrs.field(factory=set)
    used: bool = False


def check_schedule_row(run: ImportRun, row: ImportRow) -> None:
    principal, interest = row["pokok"].minor, row["bunga"].minor
    paid_p, paid_i = _amount(row, "pokok_dibayar"), _amount(row, "bunga_dibayar")
    for column, value in (("pokok", principal), ("bunga", interest),
                          ("pokok_dibayar", paid_p), ("bunga_dibayar", paid_i)):
        if value < 0:
            run.problem(row, column, "tidak boleh negatif")
    if paid_p > principal:
        run.problem(row, "pokok_dibayar", "lebih besar dari pokok angsuran")
    if paid_i > interest:
        run.problem(row, "bunga_dibayar", "lebih besar dari bunga angsuran")
    sums: dict[str, ScheduleSums] = run.shared.setdefault(SCHEDULE_SUMS, {})
    found = sums.setdefault(row["nomor_pinjaman"], ScheduleSums(row.number))
    if row["angsuran_ke"] in found.numbers:
        run.problem(row, "angsuran_ke", f"angsuran ke-{row['angsuran_ke']} sudah ada")
    found.numbers.add(row["angsuran_ke"])
    found.principal += principal
    found.principal_paid += paid_p
    if row["jatuh_tempo"] <= run.as_of:
        found.principal_arrears += principal - paid_p
        found.interest_arrears += interest - paid_i


def write_schedule_rows(run: ImportRun, rows: Iterable[ImportRow]) -> SheetWritten:
    """Keep each loan's rows for the loans sheet, written next (they need the loan)."""
    kept: dict[str, list[tuple[int, date, int, int, int, int]]] = \
        run.shared.setdefault(SCHEDULE_ROWS, {})
    count = 0
    for row in rows:
        kept.setdefault(row["nomor_pinjaman"], []).append((
            row["angsuran_ke"], row["jatuh_tempo"], row["pokok"].minor, row["bunga"].minor,
            _amount(row, "pokok_dibayar"), _amount(row, "bunga_dibayar")))
        count += 1
    return SheetWritten(count)


def _check_imported_schedule(run: ImportRun, row: ImportRow, sums: ScheduleSums) -> None:
    sums.used = True
    cur = row["pokok_awal"].currency
    for column, expected, found in (
            ("pokok_awal", row["pokok_awal"].minor, sums.principal),
            ("sisa_pokok", row["sisa_pokok"].minor, sums.principal - sums.principal_paid),
            ("tunggakan_pokok", _amount(row, "tunggakan_pokok"), sums.principal_arrears),
            ("tunggakan_bunga", _amount(row, "tunggakan_bunga"), sums.interest_arrears)):
        if expected != found:
            run.problem(row, column, f"lembar {SCHEDULES} memberi {Money(found, cur).format()}")


def check_schedules_used(run: ImportRun) -> None:
    """Every imported schedule belongs to a loan of the sheet."""
    for number, sums in run.shared.get(SCHEDULE_SUMS, {}).items():
        if not sums.used:
            run.problems.append(ImportProblem(SCHEDULES, sums.first_row, "nomor_pinjaman",
                                              f"pinjaman {number} tidak ada di lembar {LOANS}"))


def _products(run: ImportRun) -> dict[str, Product]:
    found: dict[str, Product] | None = run.shared.get(PRODUCTS)
    if found is None:
        found = {p.code: p for p in list_products(run.ctx, include_inactive=True)}
        run.shared[PRODUCTS] = found
    return found


def _amount(row: ImportRow, column: str) -> int:
    value: Money | None = row[column]
    return value.minor if value is not None else 0


@attrs.frozen
class Terms:
    method: InterestMethod
    rate: Decimal


def _terms(row: ImportRow, product: Product) -> Terms:
    method = InterestMethod(row["metode"]) if row["metode"] else product.method
    rate = row["bunga_per_tahun"] if row["bunga_per_tahun"] is not None else product.annual_rate
    return Terms(method, rate)


@attrs.frozen
class PaidSchedule:
    """The regenerated schedule with what has been paid allocated to it, oldest first."""

    rows: list[Installment]
    principal_paid: list[int]
    interest_paid: list[int]
    principal_arrears: int
    interest_paid_total: int

    def days_past_due(self, day: date) -> int:
        unpaid = [r.due_date for r, pp, ip in zip(self.rows, self.principal_paid,
                                                  self.interest_paid, strict=True)
                  if r.due_date <= day and (pp < r.principal or ip < r.interest)]
        return (day - min(unpaid)).days if unpaid else 0


def paid_schedule(row: ImportRow, product: Product, as_of: date) -> PaidSchedule:
    terms = _terms(row, product)
    principal = row["pokok_awal"].minor
    rows = build_schedule(principal, terms.rate, row["jangka"], terms.method,
                          product.frequency, row["tanggal_pencairan"],
                          unit_minor(product.rounding_unit, product.currency))
    due = [r for r in rows if r.due_date <= as_of]
    paid_p = principal - row["sisa_pokok"].minor
    paid_i = sum(r.interest for r in due) - _amount(row, "tunggakan_bunga")
    interest_total = paid_i
    principal_paid, interest_paid = [], []
    for r in rows:
        pp, ip = min(r.principal, paid_p), min(r.interest, max(paid_i, 0))
        paid_p, paid_i = paid_p - pp, paid_i - ip
        principal_paid.append(pp)
        interest_paid.append(ip)
    arrears = sum(r.principal - pp for r, pp in zip(rows, principal_paid, strict=False)
                  if r.due_date <= as_of)
    return PaidSchedule(rows, principal_paid, interest_paid, arrears, interest_total)


def imported_schedule(rows: list[tuple[int, date, int, int, int, int]], disbursed: date,
                      as_of: date) -> PaidSchedule:
    """A schedule as it stands in the old books, with what was paid on each installment."""
    ordered = sorted(rows, key=lambda r: (r[1], r[0]))
    installments, start = [], disbursed
    outstanding = sum(r[2] for r in ordered)
    for seq, (_number, due, principal, interest, _pp, _ip) in enumerate(ordered, start=1):
        outstanding -= principal
        installments.append(Installment(seq, start, due, principal, interest, outstanding))
        start = due
    principal_paid = [r[4] for r in ordered]
    interest_paid = [r[5] for r in ordered]
    arrears = sum(r[2] - r[4] for r in ordered if r[1] <= as_of)
    return PaidSchedule(installments, principal_paid, interest_paid, arrears, sum(interest_paid))


def check_loan(run: ImportRun, row: ImportRow) -> None:
    number = row["nomor_pinjaman"]
    if len(number) > 30:
        run.problem(row, "nomor_pinjaman", "paling banyak 30 karakter")
    elif run.claim_account(row, "nomor_pinjaman", number):
        run.claim_account(row, "nomor_pinjaman", f"{number}-J")
    run.has_member(row, "nomor_anggota", row["nomor_anggota"])
    product = _products(run).get(row["produk"])
    if product is None:
        run.problem(row, "produk", f"produk pinjaman {row['produk']} tidak ada di kopcore")
    for column in ("tunggakan_pokok", "tunggakan_bunga", "piutang_bunga", "denda", "ppap",
                   "agunan_nilai"):
        if _amount(row, column) < 0:
            run.problem(row, column, "tidak boleh negatif")
    if row["jangka"] < 1 or row["jangka"] > 600:
        run.problem(row, "jangka", "1 sampai 600 angsuran")
        return
    principal, outstanding = row["pokok_awal"].minor, row["sisa_pokok"].minor
    if principal <= 0:
        run.problem(row, "pokok_awal", "harus lebih dari nol")
    if outstanding <= 0:
        run.problem(row, "sisa_pokok", "pinjaman yang sudah lunas tidak perlu diimpor")
    elif outstanding > principal:
        run.problem(row, "sisa_pokok", "lebih besar dari pokok awal")
    if row["tanggal_pencairan"] > run.as_of:
        run.problem(row, "tanggal_pencairan", "sesudah tanggal cut-over")
    if row["agunan_jenis"] and not (row["agunan_uraian"] and row["agunan_nilai"] is not None):
        run.problem(row, "agunan_uraian", "agunan perlu jenis, uraian dan nilai")
    imported = run.shared.get(SCHEDULE_SUMS, {}).get(number)
    if imported is not None:
        _check_imported_schedule(run, row, imported)
        return
    if product is None or principal <= 0 or not 0 < outstanding <= principal:
        return
    schedule = paid_schedule(row, product, run.as_of)
    if schedule.interest_paid_total < 0:
        run.problem(row, "tunggakan_bunga", "lebih besar dari bunga angsuran yang sudah jatuh "
                                            "tempo")
    if schedule.principal_arrears != _amount(row, "tunggakan_pokok"):
        shown = Money(schedule.principal_arrears, product.currency).format()
        run.problem(row, "tunggakan_pokok", f"jadwal angsuran menurut syarat pinjaman memberi "
                                            f"tunggakan pokok {shown}: periksa sisa pokok, "
                                            "jangka, metode dan suku bunga")


#: Loans written per batch (two accounts each, opened together).
BATCH = 500


def write_loans(run: ImportRun, rows: Iterable[ImportRow]) -> SheetWritten:
    allowance_total = 0
    count = 0
    batch: list[ImportRow] = []
    for row in rows:
        batch.append(row)
        allowance_total += _amount(row, "ppap")
        count += 1
        if len(batch) >= BATCH:
            _write_batch(run, batch)
            batch = []
    if batch:
        _write_batch(run, batch)
    # The allowance is a contra asset (credit-normal): debit-positive, it is negative.
    return SheetWritten(count, {gl.ALLOWANCE: -allowance_total})


def _write_batch(run: ImportRun, rows: list[ImportRow]) -> None:
    ctx = run.ctx
    products = _products(run)
    classes = collectibility(ctx)
    openings = []
    for row in rows:
        product = products[row["produk"]]
        number, member_id = row["nomor_pinjaman"], run.member_id(row["nomor_anggota"])
        openings += [
            ledger.AccountOpening(
                name=f"Pinjaman {number} {row['nomor_anggota']}"[:200], gl_key=gl.RECEIVABLE,
                plugin=gl.PLUGIN, number=number, member_id=member_id,
                product_code=f"loans.{_terms(row, product).method.value}",
                currency=product.currency),
            ledger.AccountOpening(
                name=f"Piutang jasa {number}"[:200], gl_key=gl.INTEREST_RECEIVABLE,
                plugin=gl.PLUGIN, number=f"{number}-J", member_id=member_id,
                product_code=gl.INTEREST_PRODUCT, currency=product.currency)]
    opened = ledger.open_accounts(ctx, openings)
    for index, row in enumerate(rows):
        account, interest = opened[2 * index], opened[2 * index + 1]
        product = products[row["produk"]]
        terms = _terms(row, product)
        kept = run.shared.get(SCHEDULE_ROWS, {}).get(row["nomor_pinjaman"])
        schedule = paid_schedule(row, product, run.as_of) if kept is None \
            else imported_schedule(kept, row["tanggal_pencairan"], run.as_of)
        receivable = _amount(row, "piutang_bunga")
        dpd = schedule.days_past_due(run.as_of)
        disbursed = row["tanggal_pencairan"]
        values: dict[str, Any] = {
            "number": row["nomor_pinjaman"], "member_id": account.member_id,
            "product_id": product.id, "status": LoanStatus.ACTIVE.value,
            "currency": product.currency, "principal": row["pokok_awal"].minor,
            "term": row["jangka"], "method": terms.method.value,
            "frequency": product.frequency.value, "annual_rate": str(terms.rate),
            "rounding_unit": str(product.rounding_unit), "provisi_fee": 0, "admin_fee": 0,
            "purpose": "Pindahan pembukuan lama", "auto_debit": False,
            "applied_by": ctx.actor, "applied_on": disbursed, "decided_by": ctx.actor,
            "decided_on": disbursed, "disbursed_on": disbursed, "account_id": account.id,
            "interest_account_id": interest.id,
            "interest_recognized": schedule.interest_paid_total + receivable,
            "penalty_due": _amount(row, "denda"), "days_past_due": dpd,
            "collectibility": classify(classes, dpd).code,
            "allowance": _amount(row, "ppap"), "schedule_version": 1, "written_off": 0,
            "recovered": 0,
        }
        loan_id = ctx.conn.execute(loans.insert().values(**values).returning(loans.c.id)
                                   ).scalar_one()
        insert_schedule(ctx, loan_id, 1, schedule.rows)
        _mark_paid(run, loan_id, schedule)
        if row["agunan_jenis"]:
            ctx.conn.execute(collateral.insert().values(
                loan_id=loan_id, kind=row["agunan_jenis"][:64],
                description=row["agunan_uraian"][:500], value=row["agunan_nilai"].minor,
                document_ref=(row["agunan_dokumen"] or None), added_on=run.as_of,
                added_by=ctx.actor))
        run.open_balance(account, row["sisa_pokok"])
        run.open_balance(interest, Money(receivable, product.currency))


def _mark_paid(run: ImportRun, loan_id: int, schedule: PaidSchedule) -> None:
    """Record what was paid on each installment; fully paid ones are closed as of their due
    date (or the cut-over, for installments paid ahead)."""
    i = installments.c
    changes = [
        {"b_loan": loan_id, "b_seq": r.seq, "b_pp": pp, "b_ip": ip,
         "b_status": "paid" if (pp, ip) == (r.principal, r.interest) else "open",
         "b_paid_on": min(r.due_date, run.as_of) if (pp, ip) == (r.principal, r.interest)
         else None}
        for r, pp, ip in zip(schedule.rows, schedule.principal_paid, schedule.interest_paid,
                             strict=True) if pp or ip
    ]
    if changes:
        run.ctx.conn.execute(
            sa.update(installments).where(i.loan_id == sa.bindparam("b_loan"),
                                          i.seq == sa.bindparam("b_seq"), i.version == 1)
            .values(principal_paid=sa.bindparam("b_pp"), interest_paid=sa.bindparam("b_ip"),
                    status=sa.bindparam("b_status"), paid_on=sa.bindparam("b_paid_on")),
            changes)


SHEETS: tuple[ImportSheet, ...] = (
    ImportSheet(SCHEDULES, "Jadwal angsuran seperti di pembukuan lama (pilihan: bila kosong, "
                "jadwal dibentuk ulang dari syarat pinjaman)", SCHEDULE_COLUMNS,
                check_schedule_row, write_schedule_rows, order=190),
    ImportSheet(LOANS, "Pinjaman anggota yang sedang berjalan", COLUMNS, check_loan,
                write_loans, order=200, finish=check_schedules_used),
)
