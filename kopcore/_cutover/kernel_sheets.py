"""The kernel's own sheets of an import file: members, internal accounts and the opening
trial balance (the reconciliation is the trial balance's writer: it runs after every other
sheet is written)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import attrs
from sqlalchemy import select

from kopcore import ledger
from kopcore._cutover.reconcile import reconcile
from kopcore._db import tables as t
from kopcore.errors import ValidationError
from kopcore.ledger._members import _clean_contact
from kopcore.ledger._records import MemberStatus
from kopcore.money import Money
from kopcore.records import (
    ColumnType,
    GLType,
    ImportColumn,
    ImportProblem,
    ImportRow,
    ImportRun,
    ImportSheet,
    SheetWritten,
)

MEMBERS = "anggota"
INTERNAL = "rekening_internal"
TRIAL_BALANCE = "neraca_saldo"

#: ``ImportRun.shared`` keys of the kernel's sheets.
CHART = "kopcore.chart"
NIKS = "kopcore.niks"
TOTALS = "kopcore.trial_balance_totals"
LEGACY = "kopcore.legacy_balances"
SUBLEDGER = "kopcore.subledger"

#: Members inserted per statement.
MEMBER_BATCH = 1000


@attrs.frozen
class ChartLine:
    key: str
    code: str
    name: str
    type: GLType
    contra: bool

    @property
    def normal_sign(self) -> int:
        return 1 if self.type.debit_normal != self.contra else -1


def chart_by_code(run: ImportRun) -> dict[str, ChartLine]:
    """The chart in force (as renumbered by the settings), by code; read once per import."""
    chart: dict[str, ChartLine] | None = run.shared.get(CHART)
    if chart is None:
        g = t.gl_accounts.c
        chart = {r.code: ChartLine(r.key, r.code, r.name, GLType(r.type), bool(r.contra))
                 for r in run.ctx.conn.execute(select(g.key, g.code, g.name, g.type, g.contra))}
        run.shared[CHART] = chart
    return chart


# --- anggota ----------------------------------------------------------------------------------

MEMBER_COLUMNS = (
    ImportColumn("nomor_anggota", ColumnType.TEXT,
                 "Nomor anggota di koperasi: huruf, angka, '.', '/' atau '-' (paling banyak 32)",
                 example="A000123"),
    ImportColumn("nama", ColumnType.TEXT, "Nama lengkap anggota", example="Siti Aminah"),
    ImportColumn("nik", ColumnType.TEXT,
                 "NIK 16 digit dari KTP; ketik sebagai teks agar digit terakhir tidak hilang",
                 example="3201016107920003"),
    ImportColumn("tanggal_masuk", ColumnType.DATE, "Tanggal menjadi anggota",
                 example="2019-03-01"),
    ImportColumn("telepon", ColumnType.TEXT, "Nomor HP (08..., 628... atau +628...)",
                 required=False, example="081234567890"),
    ImportColumn("email", ColumnType.TEXT, "Alamat email", required=False),
    ImportColumn("alamat", ColumnType.TEXT, "Alamat rumah", required=False),
)


def _niks(run: ImportRun) -> dict[str, int | None]:
    """NIKs seen so far (row number) and those kopcore holds already (``None``)."""
    niks: dict[str, int | None] | None = run.shared.get(NIKS)
    if niks is None:
        niks = {nik: None for nik in run.ctx.conn.execute(select(t.members.c.nik)).scalars()}
        run.shared[NIKS] = niks
    return niks


def check_member(run: ImportRun, row: ImportRow) -> None:
    number, nik = row["nomor_anggota"], row["nik"]
    if not re.fullmatch(r"[A-Za-z0-9./-]{1,32}", number):
        run.problem(row, "nomor_anggota", "1-32 huruf, angka, '.', '/' atau '-'")
    elif number in run.members:
        where = run.shared.setdefault("kopcore.member_rows", {}).get(number)
        run.problem(row, "nomor_anggota", f"nomor anggota {number} sudah dipakai " + (
            f"di baris {where}" if where else "di kopcore"))
    else:
        run.members[number] = None
        run.shared.setdefault("kopcore.member_rows", {})[number] = row.number
    if len(row["nama"]) > 200:
        run.problem(row, "nama", "paling banyak 200 karakter")
    if not re.fullmatch(r"[0-9]{16}", nik):
        run.problem(row, "nik", "NIK harus 16 digit angka")
    else:
        try:
            ledger.validate_nik(nik)
        except ValidationError:
            run.problem(row, "nik", "NIK tidak sah: kode provinsi (11-94), tanggal lahir "
                                    "(DDMMYY) atau nomor urut (bukan 0000) salah")
        else:
            niks = _niks(run)
            if nik in niks:
                seen = niks[nik]
                run.problem(row, "nik", "NIK sudah dipakai " + (
                    f"anggota di baris {seen}" if seen else "anggota lain di kopcore"))
            else:
                niks[nik] = row.number
    if row["tanggal_masuk"] > run.as_of:
        run.problem(row, "tanggal_masuk", "tanggal masuk sesudah tanggal cut-over")
    try:
        _clean_contact(row["telepon"], None)
    except ValidationError:
        run.problem(row, "telepon", "harus nomor HP Indonesia, contoh 081234567890")
    try:
        _clean_contact(None, row["email"])
    except ValidationError:
        run.problem(row, "email", "alamat email tidak sah")


def write_members(run: ImportRun, rows: Iterable[ImportRow]) -> SheetWritten:
    """Insert the members in batches (they were checked: numbers and NIKs are new, each NIK
    valid), active from their joining date."""
    conn = run.ctx.conn
    count = 0
    batch: list[dict[str, Any]] = []

    def insert() -> None:
        conn.execute(t.members.insert(), batch)
        m = t.members.c
        numbers = [r["member_number"] for r in batch]
        for number, member_id in conn.execute(
                select(m.member_number, m.id).where(m.member_number.in_(numbers))):
            run.members[number] = member_id
        batch.clear()

    for row in rows:
        phone, email = _clean_contact(row["telepon"], row["email"])
        batch.append({
            "member_number": row["nomor_anggota"], "name": row["nama"], "nik": row["nik"],
            "phone": phone, "email": email, "address": row["alamat"],
            "status": MemberStatus.ACTIVE.value, "applied_on": row["tanggal_masuk"],
            "joined_on": row["tanggal_masuk"],
        })
        count += 1
        if len(batch) >= MEMBER_BATCH:
            insert()
    if batch:
        insert()
    return SheetWritten(count)


# --- rekening_internal ------------------------------------------------------------------------

INTERNAL_COLUMNS = (
    ImportColumn("nomor_rekening", ColumnType.TEXT, "Nomor rekening internal (kas teller, "
                 "brankas, rekening bank)", example="KAS-01"),
    ImportColumn("nama", ColumnType.TEXT, "Nama rekening", example="Kas Teller 1"),
    ImportColumn("kode_akun", ColumnType.TEXT, "Kode akun buku besar (aset atau liabilitas) "
                 "tempat rekening ini bergabung", example="1101"),
    ImportColumn("saldo", ColumnType.AMOUNT, "Saldo pada tanggal cut-over", example="2500000"),
    ImportColumn("batas_minimum", ColumnType.AMOUNT, "Saldo terendah yang boleh tersisa "
                 "(kosong: 0)", required=False),
)


def check_internal(run: ImportRun, row: ImportRow) -> None:
    run.claim_account(row, "nomor_rekening", row["nomor_rekening"])
    gl = chart_by_code(run).get(row["kode_akun"])
    if gl is None:
        run.problem(row, "kode_akun", f"kode akun {row['kode_akun']} tidak ada di bagan akun")
    elif gl.type not in (GLType.ASSET, GLType.LIABILITY):
        run.problem(row, "kode_akun", "rekening internal bergabung ke akun aset atau "
                                      "liabilitas")
    floor = row["batas_minimum"] or Money.zero(run.ctx.settings.currency)
    if floor.minor < 0:
        run.problem(row, "batas_minimum", "tidak boleh negatif")
    elif row["saldo"] < floor:
        run.problem(row, "saldo", f"saldo di bawah batas minimum {floor.format()}")


def write_internal(run: ImportRun, rows: Iterable[ImportRow]) -> SheetWritten:
    chart = chart_by_code(run)
    count = 0
    for row in rows:
        account = ledger.open_account(
            run.ctx, name=row["nama"][:200], gl_key=chart[row["kode_akun"]].key,
            plugin="kopcore", number=row["nomor_rekening"],
            floor=row["batas_minimum"] or Money.zero(run.ctx.settings.currency))
        run.open_balance(account, row["saldo"])
        count += 1
    return SheetWritten(count)


# --- neraca_saldo -----------------------------------------------------------------------------

TRIAL_BALANCE_COLUMNS = (
    ImportColumn("kode_akun", ColumnType.TEXT, "Kode akun buku besar di kopcore (lihat "
                 "`kopcore reports chart`)", example="1101"),
    ImportColumn("nama_akun", ColumnType.TEXT, "Nama akun (hanya untuk dibaca)",
                 required=False, example="Kas"),
    ImportColumn("debit", ColumnType.AMOUNT, "Saldo debit pada tanggal cut-over",
                 required=False, example="2500000"),
    ImportColumn("kredit", ColumnType.AMOUNT, "Saldo kredit pada tanggal cut-over",
                 required=False),
)


def check_trial_balance_line(run: ImportRun, row: ImportRow) -> None:
    currency = run.ctx.settings.currency
    debit = row["debit"] or Money.zero(currency)
    credit = row["kredit"] or Money.zero(currency)
    for column, amount in (("debit", debit), ("kredit", credit)):
        if amount.minor < 0:
            run.problem(row, column, "tidak boleh negatif: tulis di kolom sebelahnya")
    gl = chart_by_code(run).get(row["kode_akun"])
    if gl is None:
        run.problem(row, "kode_akun", f"kode akun {row['kode_akun']} tidak ada di bagan akun")
        return
    legacy: dict[str, int] = run.shared.setdefault(LEGACY, {})
    if gl.key in legacy:
        run.problem(row, "kode_akun", f"akun {gl.code} sudah ada di baris lain")
        return
    legacy[gl.key] = debit.minor - credit.minor
    totals = run.shared.setdefault(TOTALS, [0, 0])
    totals[0] += debit.minor
    totals[1] += credit.minor


def check_trial_balance(run: ImportRun) -> None:
    """Debits and credits of the whole trial balance are equal."""
    debit, credit = run.shared.get(TOTALS, [0, 0])
    if debit != credit:
        currency = run.ctx.settings.currency
        run.problems.append(ImportProblem(
            TRIAL_BALANCE, None, None,
            f"neraca saldo tidak seimbang: jumlah debit {Money(debit, currency).format()}, "
            f"jumlah kredit {Money(credit, currency).format()}"))


def write_trial_balance(run: ImportRun, rows: Iterable[ImportRow]) -> SheetWritten:
    """Written last: plug each GL account without member or internal accounts to the file's
    balance, and refuse unless every control account already equals it (see reconcile)."""
    count = sum(1 for _ in rows)
    reconcile(run, run.shared.get(LEGACY, {}), run.shared.get(SUBLEDGER, {}))
    return SheetWritten(count)


SHEETS: tuple[ImportSheet, ...] = (
    ImportSheet(MEMBERS, "Anggota aktif pada tanggal cut-over", MEMBER_COLUMNS, check_member,
                write_members, order=10),
    ImportSheet(INTERNAL, "Rekening internal: kas teller, brankas, bank", INTERNAL_COLUMNS,
                check_internal, write_internal, order=20),
    ImportSheet(TRIAL_BALANCE, "Neraca saldo pembukaan (dari pembukuan lama)",
                TRIAL_BALANCE_COLUMNS, check_trial_balance_line, write_trial_balance,
                order=1000, finish=check_trial_balance),
)
