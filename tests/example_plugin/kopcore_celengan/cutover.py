"""Celengan in a cut-over import: the sheet ``celengan`` brings each member's celengan with its
goal and balance from the cooperative's previous books (``kopcore_import_sheets``)."""

from __future__ import annotations

from collections.abc import Iterable

from kopcore import ledger
from kopcore.money import Money
from kopcore.records import (
    ColumnType,
    ImportColumn,
    ImportRow,
    ImportRun,
    ImportSheet,
    SheetWritten,
)
from kopcore_celengan.goals import GL_KEY, PLUGIN, PRODUCT, goals

COLUMNS = (
    ImportColumn("nomor_rekening", ColumnType.TEXT, "Nomor rekening celengan",
                 example="CL-0001"),
    ImportColumn("nomor_anggota", ColumnType.TEXT, "Nomor anggota pemilik", example="A000123"),
    ImportColumn("target", ColumnType.AMOUNT, "Target tabungan", example="1000000"),
    ImportColumn("tujuan", ColumnType.TEXT, "Untuk apa menabung", example="Lebaran"),
    ImportColumn("saldo", ColumnType.AMOUNT, "Saldo pada tanggal cut-over", example="250000"),
)


def check_row(run: ImportRun, row: ImportRow) -> None:
    """Report every problem of a row; write nothing."""
    run.claim_account(row, "nomor_rekening", row["nomor_rekening"])
    run.has_member(row, "nomor_anggota", row["nomor_anggota"])
    if not row["target"].is_positive():
        run.problem(row, "target", "target harus lebih dari nol")
    if row["saldo"].minor < 0:
        run.problem(row, "saldo", "saldo celengan tidak boleh negatif")
    if len(row["tujuan"]) > 200:
        run.problem(row, "tujuan", "paling banyak 200 karakter")


def write_rows(run: ImportRun, rows: Iterable[ImportRow]) -> SheetWritten:
    """Open each celengan with its goal (reached already when the balance is at the target)
    and post its balance against the opening account."""
    count = 0
    for row in rows:
        target: Money = row["target"]
        balance: Money = row["saldo"]
        account = ledger.open_account(
            run.ctx, name=f"Celengan {row['nomor_anggota']}", gl_key=GL_KEY, plugin=PLUGIN,
            member_id=run.member_id(row["nomor_anggota"]), product_code=PRODUCT,
            number=row["nomor_rekening"], currency=target.currency,
            floor=Money.zero(target.currency))
        run.ctx.conn.execute(goals.insert().values(
            account_id=account.id, target_minor=target.minor, purpose=row["tujuan"],
            opened_on=run.as_of, reached_on=run.as_of if balance >= target else None))
        run.open_balance(account, balance)
        count += 1
    run.ctx.forget_facts()  # goals waiting: read the count again when next asked
    return SheetWritten(count)


SHEET = ImportSheet("celengan", "Celengan anggota dengan target dan saldonya", COLUMNS,
                    check_row, write_rows, order=150)
