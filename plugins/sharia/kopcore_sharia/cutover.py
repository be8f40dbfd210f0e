"""Sharia contracts in a cut-over import (``kopcore_import_sheets``): the sheets ``murabahah``
(financing mid-term) and ``mudharabah`` (savings and deposits sharing a pool's income).

A murabahah is regenerated from its contract (cost, margin, down payment, installments, the
contract date, the rounding unit and the recognition method) exactly as ``sharia murabahah``
contracts it; the installments already paid are the row's ``angsuran_dibayar``. The receivable
opens at what the remaining installments ask (checked against ``sisa_piutang``), the margin
recognised is the paid installments' margin, and the rest of the margin is what the opening
trial balance must show as deferred margin (``sharia.murabahah_deferred_margin``, a contra
asset). A mudharabah account keeps its pool, its nisbah (agreed at opening, never the pool's
later default) and, for a deposit, its term and maturity; profit sharing accumulates from the
day after the cut-over.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from kopcore import ledger
from kopcore.errors import ValidationError
from kopcore.money import Money
from kopcore.records import (
    ColumnType,
    ImportColumn,
    ImportRow,
    ImportRun,
    ImportSheet,
    SheetWritten,
)
from kopcore_sharia import chart
from kopcore_sharia.mudharabah import GL_KEY, PRODUCT, AtMaturity, Kind, check_nisbah, list_pools
from kopcore_sharia.murabahah import ACTIVE, Installment, Recognition, add_months, schedule
from kopcore_sharia.tables import mudharabah_accounts, murabahah

MURABAHAH = "murabahah"
MUDHARABAH = "mudharabah"
POOLS = "sharia.pools"

MURABAHAH_COLUMNS = (
    ImportColumn("nomor_akad", ColumnType.TEXT, "Nomor akad; juga nomor rekening piutangnya",
                 example="MB-000123"),
    ImportColumn("nomor_anggota", ColumnType.TEXT, "Nomor anggota pembeli", example="A000123"),
    ImportColumn("barang", ColumnType.TEXT, "Barang yang dijual", example="Sepeda motor"),
    ImportColumn("harga_pokok", ColumnType.AMOUNT, "Harga beli koperasi", example="10000000"),
    ImportColumn("margin", ColumnType.AMOUNT, "Margin yang disepakati", example="2000000"),
    ImportColumn("uang_muka", ColumnType.AMOUNT, "Uang muka (kosong: 0)", required=False),
    ImportColumn("jangka", ColumnType.INTEGER, "Jumlah angsuran", example="10"),
    ImportColumn("tanggal_akad", ColumnType.DATE, "Tanggal akad", example="2025-09-01"),
    ImportColumn("angsuran_dibayar", ColumnType.INTEGER, "Angsuran yang sudah dibayar",
                 example="4"),
    ImportColumn("sisa_piutang", ColumnType.AMOUNT, "Sisa piutang murabahah (pokok + margin) "
                 "pada tanggal cut-over", example="7200000"),
    ImportColumn("pembulatan", ColumnType.AMOUNT, "Satuan pembulatan angsuran (kosong: Rp1)",
                 required=False),
    ImportColumn("pengakuan", ColumnType.CHOICE, "Pengakuan margin (kosong: proporsional)",
                 required=False, choices=tuple(r.value for r in Recognition)),
)

MUDHARABAH_COLUMNS = (
    ImportColumn("nomor_rekening", ColumnType.TEXT, "Nomor rekening mudharabah",
                 example="MD-000123"),
    ImportColumn("nomor_anggota", ColumnType.TEXT, "Nomor anggota", example="A000123"),
    ImportColumn("pool", ColumnType.TEXT, "Kode pool mudharabah di kopcore",
                 example="POOL-UMUM"),
    ImportColumn("jenis", ColumnType.CHOICE, "tabungan atau deposito",
                 choices=("tabungan", "deposito"), example="tabungan"),
    ImportColumn("saldo", ColumnType.AMOUNT, "Saldo pada tanggal cut-over", example="5000000"),
    ImportColumn("nisbah", ColumnType.PERCENT, "Nisbah anggota dalam persen (kosong: nisbah "
                 "pool)", required=False, example="60"),
    ImportColumn("tanggal_buka", ColumnType.DATE, "Tanggal pembukaan (deposito: awal jangka "
                 "waktu berjalan)", example="2025-06-01"),
    ImportColumn("jangka_bulan", ColumnType.INTEGER, "Deposito: jangka waktu dalam bulan",
                 required=False, example="12"),
)


def _schedule_of(row: ImportRow) -> list[Installment]:
    unit = row["pembulatan"]
    return schedule(
        cost=row["harga_pokok"].minor, margin=row["margin"].minor,
        down_payment=(row["uang_muka"] or Money.zero(row["harga_pokok"].currency)).minor,
        installments=row["jangka"], rounding_unit=unit.minor if unit else 100,
        contract_on=row["tanggal_akad"],
        recognition=Recognition(row["pengakuan"] or Recognition.PROPORTIONAL.value))


def check_murabahah(run: ImportRun, row: ImportRow) -> None:
    run.claim_account(row, "nomor_akad", row["nomor_akad"])
    run.has_member(row, "nomor_anggota", row["nomor_anggota"])
    if row["tanggal_akad"] > run.as_of:
        run.problem(row, "tanggal_akad", "sesudah tanggal cut-over")
    try:
        rows = _schedule_of(row)
    except ValidationError as refused:
        column = {"cost": "harga_pokok", "down_payment": "uang_muka",
                  "installments": "jangka"}.get(str(refused.extra.get("field")), "jangka")
        run.problem(row, column, "syarat akad tidak mungkin (harga, margin, uang muka, jangka "
                                 "atau pembulatan)")
        return
    paid = row["angsuran_dibayar"]
    if not 0 <= paid < len(rows):
        run.problem(row, "angsuran_dibayar", f"0 sampai {len(rows) - 1} (akad yang lunas tidak "
                                             "perlu diimpor)")
        return
    left = sum(r.total for r in rows[paid:])
    if row["sisa_piutang"].minor != left:
        run.problem(row, "sisa_piutang", "akad ini dengan angsuran yang sudah dibayar menyisakan "
                                         f"{Money(left, row['harga_pokok'].currency).format()}")


def write_murabahah(run: ImportRun, rows: Iterable[ImportRow]) -> SheetWritten:
    deferred = 0
    count = 0
    for row in rows:
        installments = _schedule_of(row)
        paid = row["angsuran_dibayar"]
        cost: Money = row["harga_pokok"]
        recognised = sum(r.margin for r in installments[:paid])
        deferred += row["margin"].minor - recognised
        account = ledger.open_accounts(run.ctx, [ledger.AccountOpening(
            name=f"Murabahah {row['nomor_anggota']}", gl_key=chart.MURABAHAH_RECEIVABLE,
            plugin=chart.PLUGIN, number=row["nomor_akad"],
            member_id=run.member_id(row["nomor_anggota"]),
            product_code=chart.MURABAHAH_PRODUCT, currency=cost.currency,
            floor=Money.zero(cost.currency))])[0]
        run.ctx.conn.execute(murabahah.insert().values(
            account_id=account.id, member_id=account.member_id, asset=row["barang"][:200],
            cost=cost.minor, margin=row["margin"].minor,
            down_payment=(row["uang_muka"] or Money.zero(cost.currency)).minor,
            installments=row["jangka"],
            rounding_unit=row["pembulatan"].minor if row["pembulatan"] else 100,
            contract_on=row["tanggal_akad"], paid_installments=paid,
            margin_recognised=recognised, muqasah=0, tazir=0, status=ACTIVE, settled_on=None,
            recognition=row["pengakuan"] or Recognition.PROPORTIONAL.value,
            next_due_on=installments[paid].due_on,
            days_past_due=0, collectibility=None, allowance=0))
        run.open_balance(account, row["sisa_piutang"])
        count += 1
    # The deferred margin is a contra asset (credit-normal): debit-positive, negative.
    return SheetWritten(count, {chart.MURABAHAH_DEFERRED_MARGIN: -deferred})


def _pools(run: ImportRun) -> dict[str, int]:
    found: dict[str, int] | None = run.shared.get(POOLS)
    if found is None:
        found = {pool.code: pool.nisbah_ppm for pool in list_pools(run.ctx)}
        run.shared[POOLS] = found
    return found


def _nisbah_ppm(row: ImportRow, pool_default: int) -> int:
    nisbah: Decimal | None = row["nisbah"]
    return pool_default if nisbah is None else int(nisbah * 10_000)


def check_mudharabah(run: ImportRun, row: ImportRow) -> None:
    run.claim_account(row, "nomor_rekening", row["nomor_rekening"])
    run.has_member(row, "nomor_anggota", row["nomor_anggota"])
    pools = _pools(run)
    if row["pool"] not in pools:
        run.problem(row, "pool", f"pool mudharabah {row['pool']} tidak ada di kopcore")
    elif row["nisbah"] is not None:
        try:
            check_nisbah(_nisbah_ppm(row, 0))
        except ValidationError:
            run.problem(row, "nisbah", "nisbah anggota harus lebih dari 0 dan di bawah 100 %")
    if row["saldo"].minor < 0:
        run.problem(row, "saldo", "tidak boleh negatif")
    if row["tanggal_buka"] > run.as_of:
        run.problem(row, "tanggal_buka", "sesudah tanggal cut-over")
    term = row["jangka_bulan"]
    if row["jenis"] == "deposito":
        if term is None or not 1 <= term <= 120:
            run.problem(row, "jangka_bulan", "deposito perlu jangka 1 sampai 120 bulan")
        elif add_months(row["tanggal_buka"], term) <= run.as_of:
            run.problem(row, "jangka_bulan", "deposito sudah jatuh tempo sebelum cut-over")
    elif term is not None:
        run.problem(row, "jangka_bulan", "hanya deposito yang berjangka")


def write_mudharabah(run: ImportRun, rows: Iterable[ImportRow]) -> SheetWritten:
    pools = _pools(run)
    count = 0
    for row in rows:
        kind = Kind.DEPOSIT if row["jenis"] == "deposito" else Kind.SAVINGS
        opened: date = row["tanggal_buka"]
        term = row["jangka_bulan"]
        account = ledger.open_accounts(run.ctx, [ledger.AccountOpening(
            name=f"Mudharabah {row['nomor_anggota']}", gl_key=GL_KEY[kind],
            plugin=chart.PLUGIN, number=row["nomor_rekening"],
            member_id=run.member_id(row["nomor_anggota"]), product_code=PRODUCT[kind],
            floor=Money.zero(run.ctx.settings.currency))])[0]
        run.ctx.conn.execute(mudharabah_accounts.insert().values(
            account_id=account.id, pool_code=row["pool"], member_id=account.member_id,
            kind=kind.value, nisbah_ppm=_nisbah_ppm(row, pools[row["pool"]]),
            opened_on=opened, term_months=term,
            maturity_on=add_months(opened, term) if kind is Kind.DEPOSIT else None,
            payout_account_id=None, accumulated_through=run.as_of,
            at_maturity=AtMaturity.HOLD.value, settlement_account_id=None, rollovers=0))
        run.open_balance(account, row["saldo"])
        count += 1
    return SheetWritten(count)


SHEETS: tuple[ImportSheet, ...] = (
    ImportSheet(MURABAHAH, "Pembiayaan murabahah yang sedang berjalan", MURABAHAH_COLUMNS,
                check_murabahah, write_murabahah, order=300),
    ImportSheet(MUDHARABAH, "Tabungan dan deposito mudharabah", MUDHARABAH_COLUMNS,
                check_mudharabah, write_mudharabah, order=310),
)
