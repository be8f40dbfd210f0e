"""Savings in a cut-over import: the sheets ``simpanan`` (pokok, wajib and sukarela accounts)
and ``simpanan_berjangka`` (time deposits mid-term), through the hook ``kopcore_import_sheets``.

Each account is opened as the savings operations open it (a kernel account with a floor of
zero and its ``savings_accounts`` row) and given its balance at the cut-over date through
``ImportRun.open_balance``, posted against the opening account. What the previous books knew
about an account beyond its balance is kept where the plugin keeps it:

- wajib arrears: one due row for the cut-over month, for what was paid plus what is owed, so
  arrears (billed minus paid) are exactly the file's and the month is not billed again;
- interest accrued on sukarela and not yet posted (``bunga_berjalan``): carried to the next
  interest posting (``savings_carried_interest``); accrual in kopcore starts the day after the
  cut-over;
- a time deposit's start, rate, maturity and the interest already expensed to interest
  payable (``bunga_diakui``), which the reconciliation expects in ``savings.interest_payable``;
- holds and frozen accounts, placed once the balances are posted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from kopcore import ledger
from kopcore.money import Money
from kopcore.records import (
    ACCOUNT_NUMBERS,
    ColumnType,
    ImportColumn,
    ImportRow,
    ImportRun,
    ImportSheet,
    SheetWritten,
)
from kopcore_savings import chart
from kopcore_savings.products import SavingsProduct, SavingsType, list_products, percent_to_ppm
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import carried_interest, deposits, wajib_dues
from kopcore_savings.time_deposits import PAYOUT, ROLLOVER, add_months

ACCOUNTS = "simpanan"
DEPOSITS = "simpanan_berjangka"
PRODUCTS = "savings.products"
ONE_PER_MEMBER = "savings.one_per_member"
#: Accounts written per batch of their plugin rows.
BATCH = 1000

_COMMON = (
    ImportColumn("nomor_rekening", ColumnType.TEXT, "Nomor rekening simpanan",
                 example="SS-000123"),
    ImportColumn("nomor_anggota", ColumnType.TEXT, "Nomor anggota pemilik rekening (dari "
                 "lembar anggota)", example="A000123"),
    ImportColumn("produk", ColumnType.TEXT, "Kode produk simpanan di kopcore (`kopcore "
                 "savings product-list`)", example="SUKARELA"),
)
_STATE = (
    ImportColumn("ditahan", ColumnType.AMOUNT, "Jumlah yang diblokir (ditahan)",
                 required=False),
    ImportColumn("alasan_tahan", ColumnType.TEXT, "Alasan pemblokiran", required=False),
    ImportColumn("dibekukan", ColumnType.FLAG, "Rekening dibekukan: ya atau tidak",
                 required=False, example="tidak"),
)

ACCOUNT_COLUMNS = (
    *_COMMON,
    ImportColumn("saldo", ColumnType.AMOUNT, "Saldo pada tanggal cut-over (wajib: yang "
                 "sudah dibayar)", example="1500000"),
    ImportColumn("tanggal_buka", ColumnType.DATE, "Tanggal rekening dibuka (kosong: tanggal "
                 "cut-over)", required=False, example="2019-03-01"),
    ImportColumn("tunggakan_wajib", ColumnType.AMOUNT, "Simpanan wajib: tunggakan yang belum "
                 "dibayar sampai bulan cut-over", required=False, example="50000"),
    ImportColumn("bunga_berjalan", ColumnType.AMOUNT, "Sukarela: jasa simpanan yang sudah "
                 "berjalan tetapi belum dibukukan (dibayar pada pembukuan jasa berikutnya)",
                 required=False, example="1234"),
    ImportColumn("aktivitas_terakhir", ColumnType.DATE, "Tanggal transaksi terakhir anggota "
                 "(untuk rekening pasif; kosong: tanggal cut-over)", required=False),
    *_STATE,
)

DEPOSIT_COLUMNS = (
    *_COMMON,
    ImportColumn("pokok", ColumnType.AMOUNT, "Nominal deposito", example="10000000"),
    ImportColumn("tanggal_penempatan", ColumnType.DATE, "Tanggal penempatan (awal jangka "
                 "waktu berjalan)", example="2025-11-15"),
    ImportColumn("jatuh_tempo", ColumnType.DATE, "Tanggal jatuh tempo (kosong: penempatan + "
                 "jangka waktu produk)", required=False, example="2026-05-15"),
    ImportColumn("bunga_per_tahun", ColumnType.PERCENT, "Suku bunga per tahun dalam persen "
                 "(kosong: suku bunga produk)", required=False, example="6"),
    ImportColumn("instruksi", ColumnType.CHOICE, "Saat jatuh tempo: cair atau perpanjang",
                 choices=("cair", "perpanjang"), example="cair"),
    ImportColumn("rekening_pencairan", ColumnType.TEXT, "Rekening yang menerima pencairan "
                 "(kosong: simpanan sukarela utama anggota)", required=False),
    ImportColumn("bunga_diakui", ColumnType.AMOUNT, "Bunga yang sudah dibebankan ke utang "
                 "jasa simpanan berjangka sampai cut-over", required=False, example="0"),
    *_STATE,
)


def _products(run: ImportRun) -> dict[str, SavingsProduct]:
    found: dict[str, SavingsProduct] | None = run.shared.get(PRODUCTS)
    if found is None:
        found = {p.code: p for p in list_products(run.ctx)}
        run.shared[PRODUCTS] = found
    return found


def _zero(run: ImportRun) -> Money:
    return Money.zero(run.ctx.settings.currency)


def _check_state(run: ImportRun, row: ImportRow, balance: Money) -> None:
    held = row["ditahan"] or _zero(run)
    if held.minor < 0:
        run.problem(row, "ditahan", "tidak boleh negatif")
    elif held.is_positive() and held > balance:
        run.problem(row, "ditahan", f"lebih besar dari saldo {balance.format()}")
    if held.is_positive() and not row["alasan_tahan"]:
        run.problem(row, "alasan_tahan", "sebutkan alasan pemblokiran")


def _check_common(run: ImportRun, row: ImportRow) -> SavingsProduct | None:
    run.claim_account(row, "nomor_rekening", row["nomor_rekening"])
    run.has_member(row, "nomor_anggota", row["nomor_anggota"])
    product = _products(run).get(row["produk"])
    if product is None:
        run.problem(row, "produk", f"produk simpanan {row['produk']} tidak ada di kopcore")
    return product


def check_account(run: ImportRun, row: ImportRow) -> None:
    product = _check_common(run, row)
    balance: Money = row["saldo"]
    if balance.minor < 0:
        run.problem(row, "saldo", "saldo simpanan tidak boleh negatif")
    opened = row["tanggal_buka"]
    if opened is not None and opened > run.as_of:
        run.problem(row, "tanggal_buka", "sesudah tanggal cut-over")
    _check_state(run, row, balance)
    if product is None:
        return
    if product.type is SavingsType.BERJANGKA:
        run.problem(row, "produk", f"{product.code} adalah simpanan berjangka: isi di lembar "
                                   f"{DEPOSITS}")
        return
    if product.type in (SavingsType.POKOK, SavingsType.WAJIB):
        pairs: set[tuple[str, str]] = run.shared.setdefault(ONE_PER_MEMBER, set())
        pair = (row["nomor_anggota"], product.code)
        if pair in pairs:
            run.problem(row, "produk", f"anggota {pair[0]} sudah punya rekening {product.code}")
        pairs.add(pair)
    if product.type is SavingsType.POKOK and balance.minor > (product.amount or 0):
        run.problem(row, "saldo", "simpanan pokok lebih besar dari ketentuan produk "
                                  f"{product.money(product.amount or 0).format()}")
    arrears = row["tunggakan_wajib"]
    if arrears is not None and arrears.minor and product.type is not SavingsType.WAJIB:
        run.problem(row, "tunggakan_wajib", "hanya untuk simpanan wajib")
    elif arrears is not None and arrears.minor < 0:
        run.problem(row, "tunggakan_wajib", "tidak boleh negatif")
    accrued = row["bunga_berjalan"]
    if accrued is not None and accrued.minor and not product.earns_interest:
        run.problem(row, "bunga_berjalan", f"produk {product.code} tidak memberi jasa simpanan")
    elif accrued is not None and accrued.minor < 0:
        run.problem(row, "bunga_berjalan", "tidak boleh negatif")


def check_deposit(run: ImportRun, row: ImportRow) -> None:
    product = _check_common(run, row)
    principal: Money = row["pokok"]
    if not principal.is_positive():
        run.problem(row, "pokok", "harus lebih dari nol")
    placed: date = row["tanggal_penempatan"]
    if placed > run.as_of:
        run.problem(row, "tanggal_penempatan", "sesudah tanggal cut-over")
    _check_state(run, row, principal)
    accrued = row["bunga_diakui"]
    if accrued is not None and accrued.minor < 0:
        run.problem(row, "bunga_diakui", "tidak boleh negatif")
    payout = row["rekening_pencairan"]
    if payout is not None and payout not in run.shared.get(ACCOUNT_NUMBERS, {}):
        run.problem(row, "rekening_pencairan", f"rekening {payout} tidak ada di berkas "
                                               "maupun di kopcore")
    if product is None:
        return
    if product.type is not SavingsType.BERJANGKA:
        run.problem(row, "produk", f"{product.code} bukan produk simpanan berjangka")
        return
    maturity = row["jatuh_tempo"] or add_months(placed, product.term_months or 0)
    if maturity <= run.as_of:
        run.problem(row, "jatuh_tempo", "deposito sudah jatuh tempo sebelum cut-over: "
                                        "cairkan atau perpanjang di pembukuan lama dulu")
    elif maturity <= placed:
        run.problem(row, "jatuh_tempo", "harus sesudah tanggal penempatan")


@attrs.frozen
class _Pending:
    """A row waiting for its batch to be opened: the account, its balance, its savings row
    and the rows of other tables that need its id."""

    row: ImportRow
    product: SavingsProduct
    balance: Money
    opened: date
    last_activity: date
    extra: list[tuple[Any, dict[str, Any]]]


@attrs.define
class _Batch:
    """Accounts opened a thousand at a time (``ledger.open_accounts``), then their savings
    rows and the other tables' rows inserted together."""

    run: ImportRun
    pending: list[_Pending] = attrs.field(factory=list)
    #: (account number, hold, reason, frozen) applied once the balances are posted.
    states: list[tuple[str, Money | None, str | None, bool]] = attrs.field(factory=list)

    def add(self, pending: _Pending) -> None:
        self.pending.append(pending)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        run = self.run
        opened = ledger.open_accounts(run.ctx, [
            ledger.AccountOpening(
                name=f"{p.product.name} {p.row['nomor_anggota']}"[:200],
                gl_key=p.product.gl_key, plugin=chart.PLUGIN,
                number=p.row["nomor_rekening"], member_id=run.member_id(p.row["nomor_anggota"]),
                product_code=p.product.type.product_type, currency=p.product.currency,
                floor=Money(0, p.product.currency))
            for p in self.pending])
        accounts: list[dict[str, Any]] = []
        extra: dict[Any, list[dict[str, Any]]] = {}
        for p, account in zip(self.pending, opened, strict=True):
            accounts.append({
                "account_id": account.id, "product_code": p.product.code,
                "member_id": account.member_id, "opened_on": p.opened,
                "last_activity_on": p.last_activity,
                # Accrual in kopcore starts the day after the cut-over: the previous books'
                # interest up to it is the row's ``bunga_berjalan``.
                "accrued_through": run.as_of if p.product.earns_interest else None,
            })
            for table, values in p.extra:
                extra.setdefault(table, []).append({"account_id": account.id, **values})
            run.open_balance(account, p.balance)
            if p.row["ditahan"] is not None or p.row["dibekukan"]:
                self.states.append((account.number, p.row["ditahan"], p.row["alasan_tahan"],
                                    bool(p.row["dibekukan"])))
        ledger.insert_rows(run.ctx, savings_accounts, accounts)
        for table, rows in extra.items():
            ledger.insert_rows(run.ctx, table, rows)
        self.pending.clear()

    def finish(self) -> None:
        if self.pending:
            self.flush()
        self.run.flush()
        ctx = self.run.ctx
        for number, held, reason, frozen in self.states:
            if held is not None and held.is_positive():
                ledger.place_hold(ctx, number, held, reason=reason or "cut-over")
            if frozen:
                ledger.freeze_account(ctx, number)


def write_accounts(run: ImportRun, rows: Iterable[ImportRow]) -> SheetWritten:
    products = _products(run)
    batch = _Batch(run)
    period = run.as_of.strftime("%Y-%m")
    count = 0
    for row in rows:
        product = products[row["produk"]]
        balance: Money = row["saldo"]
        extra: list[tuple[Any, dict[str, Any]]] = []
        if product.type is SavingsType.WAJIB:
            arrears = row["tunggakan_wajib"] or _zero(run)
            billed = balance.minor + arrears.minor
            if billed:
                extra.append((wajib_dues, {"period": period, "amount": billed,
                                           "billed_on": run.as_of}))
        accrued = row["bunga_berjalan"]
        if accrued is not None and accrued.is_positive():
            extra.append((carried_interest, {"amount": accrued.minor,
                                             "through": run.as_of}))
        batch.add(_Pending(row, product, balance, row["tanggal_buka"] or run.as_of,
                           row["aktivitas_terakhir"] or run.as_of, extra))
        count += 1
    batch.finish()
    return SheetWritten(count)


def write_deposits(run: ImportRun, rows: Iterable[ImportRow]) -> SheetWritten:
    products = _products(run)
    batch = _Batch(run)
    count = 0
    accrued_total = 0
    for row in rows:
        product = products[row["produk"]]
        placed: date = row["tanggal_penempatan"]
        principal: Money = row["pokok"]
        rate = row["bunga_per_tahun"]
        accrued = (row["bunga_diakui"] or _zero(run)).minor
        accrued_total += accrued
        batch.add(_Pending(row, product, principal, placed, run.as_of, [(deposits, {
            "principal": principal.minor,
            "rate_ppm": product.rate_ppm if rate is None
            else percent_to_ppm(rate, "bunga_per_tahun"),
            "term_months": product.term_months,
            "placed_on": placed,
            "maturity_on": row["jatuh_tempo"] or add_months(placed, product.term_months or 0),
            "instruction": PAYOUT if row["instruksi"] == "cair" else ROLLOVER,
            "payout_account": row["rekening_pencairan"], "accrued": accrued,
            "status": "active",
        })]))
        count += 1
    batch.finish()
    # The interest already expensed sits in interest payable (credit-normal): the opening
    # trial balance must show exactly this there.
    return SheetWritten(count, {chart.INTEREST_PAYABLE_GL: -accrued_total})


SHEETS: tuple[ImportSheet, ...] = (
    ImportSheet(ACCOUNTS, "Rekening simpanan pokok, wajib dan sukarela", ACCOUNT_COLUMNS,
                check_account, write_accounts, order=100),
    ImportSheet(DEPOSITS, "Simpanan berjangka (deposito) yang sedang berjalan",
                DEPOSIT_COLUMNS, check_deposit, write_deposits, order=110),
)

