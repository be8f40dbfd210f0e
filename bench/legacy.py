"""A generated legacy cooperative: the spreadsheets a cooperative would bring to its cut-over.

:func:`write_workbook` streams an XLSX file (openpyxl's write-only mode) with the kernel's and
the savings and loans plugins' sheets for ``members`` members: every member has pokok and wajib
(some in arrears), most a sukarela account, some a time deposit mid-term, some a loan half
repaid (some in arrears) with collateral. The opening trial balance is the sum of what the
sheets hold, balanced on the reserve (cadangan). The same seed gives the same cooperative.

``errors`` plants that many deliberate mistakes, each in its own row, and returns where each
is: ``(sheet, row, column)``, the place the dry run must name.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from openpyxl import Workbook

AS_OF = date(2026, 1, 31)
POKOK = 100_000
WAJIB = 25_000
SUKARELA_RATE = Decimal(3)
DEPOSIT_RATE = Decimal(6)
LOAN_RATE = Decimal(18)

MEMBER_COLUMNS = ("nomor_anggota", "nama", "nik", "tanggal_masuk", "telepon")
ACCOUNT_COLUMNS = ("nomor_rekening", "nomor_anggota", "produk", "saldo", "tunggakan_wajib",
                   "tanggal_buka", "ditahan", "alasan_tahan", "dibekukan")
DEPOSIT_COLUMNS = ("nomor_rekening", "nomor_anggota", "produk", "pokok", "tanggal_penempatan",
                   "instruksi", "bunga_diakui")
LOAN_COLUMNS = ("nomor_pinjaman", "nomor_anggota", "produk", "pokok_awal", "jangka",
                "tanggal_pencairan", "sisa_pokok", "tunggakan_pokok", "tunggakan_bunga",
                "agunan_jenis", "agunan_uraian", "agunan_nilai")

#: (sheet, column, bad value) of each kind of deliberate mistake, planted in turn.
MISTAKES: tuple[tuple[str, str, Any], ...] = (
    ("anggota", "nik", "9901016107920003"),          # no such province
    ("anggota", "nik", "3201013307920003"),          # no such birth date
    ("anggota", "telepon", "12345"),
    ("anggota", "tanggal_masuk", date(2027, 1, 1)),  # after the cut-over
    ("anggota", "nik", "DUPLICATE"),                 # the NIK of the member before
    ("simpanan", "produk", "TABUNGAN-X"),
    ("simpanan", "saldo", "12,345,6"),
    ("simpanan", "nomor_anggota", "Z999999"),
    ("simpanan", "tunggakan_wajib", "SUKARELA"),     # arrears on a sukarela account
    ("simpanan", "nomor_rekening", "DUPLICATE"),     # the number of the account before
    ("simpanan_berjangka", "tanggal_penempatan", "2030-01-01"),
    ("pinjaman", "sisa_pokok", "MORE"),              # more than was lent
    ("pinjaman", "produk", "KREDIT-X"),
)


@attrs.frozen
class Legacy:
    """What was generated: sizes and where the mistakes are (``(sheet, row, column)``)."""

    members: int
    accounts: int
    loans: int
    mistakes: list[tuple[str, int, str]]


def rp(minor: int) -> Decimal:
    """Minor units as rupiah, exactly (what a spreadsheet cell shows)."""
    return Decimal(minor).scaleb(-2)


def _nik(rng: random.Random, index: int) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(50, 99)
    if rng.random() < 0.5:
        day += 40  # women add 40 to the day of birth
    return f"32{index // 9999 % 100:02d}01{day:02d}{month:02d}{year:02d}{index % 9999 + 1:04d}"


COLUMNS = {"anggota": MEMBER_COLUMNS, "simpanan": ACCOUNT_COLUMNS,
           "simpanan_berjangka": DEPOSIT_COLUMNS, "pinjaman": LOAN_COLUMNS}


class _Sheets:
    """The workbook's sheets, rows streamed in; a mistake is planted in a row on request."""

    def __init__(self, book: Workbook) -> None:
        self.sheets = {}
        for name, columns in COLUMNS.items():
            self.sheets[name] = book.create_sheet(name)
            self.sheets[name].append(list(columns))
        self.count: dict[str, int] = defaultdict(int)
        self.last: dict[str, list[Any]] = {}
        self.mistakes: list[tuple[str, int, str]] = []

    def add(self, sheet: str, values: dict[str, Any],
            mistake: tuple[str, str, Any] | None = None) -> bool:
        """Add a row (planting ``mistake`` in it); False when the row carries a mistake."""
        row = [values.get(c) for c in COLUMNS[sheet]]
        if mistake is not None:
            _sheet, column, bad = mistake
            index = COLUMNS[sheet].index(column)
            if bad == "DUPLICATE":
                bad = self.last[sheet][index]
            elif bad == "SUKARELA":
                bad = 5000
            elif bad == "MORE":
                bad = values["pokok_awal"] + 1
            row[index] = bad
            self.mistakes.append((sheet, self.count[sheet] + 2, column))
        self.sheets[sheet].append(row)
        self.count[sheet] += 1
        self.last[sheet] = row
        return mistake is None


@attrs.frozen
class Mix:
    """Which members hold what (every member holds pokok)."""

    wajib: bool = True
    #: Out of ten members, how many have a sukarela account.
    sukarela_in_ten: int = 7
    #: One member in ``deposit_every`` has a time deposit, one in ``loan_every`` a loan.
    deposit_every: int = 20
    loan_every: int = 10


#: About 150,000 accounts for 100,000 members: pokok for all, sukarela for four in ten, a
#: loan (two accounts) for one in twenty.
LEAN = Mix(wajib=False, sukarela_in_ten=4, deposit_every=10**9, loan_every=20)


def write_workbook(path: Path, members: int, *, errors: int = 0, seed: int = 2026,
                   mix: Mix = Mix(), as_of: date = AS_OF) -> Legacy:
    """Stream the cooperative's XLSX file (write-only mode) and return what it holds."""
    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheets = _Sheets(book)
    spacing = max(1, members // (errors * 4)) if errors else 0
    totals: dict[str, int] = defaultdict(int)
    accounts = loans = 0
    for i in range(1, members + 1):
        number = f"A{i:06d}"
        due = None
        if errors and i % spacing == 0 and len(sheets.mistakes) < errors:
            due = MISTAKES[len(sheets.mistakes) % len(MISTAKES)]
        joined = as_of - timedelta(days=rng.randint(30, 3000))
        sheets.add("anggota", {
            "nomor_anggota": number, "nama": f"Anggota {i}", "nik": _nik(rng, i),
            "tanggal_masuk": joined.isoformat(),
            "telepon": f"0812{rng.randint(10_000_000, 99_999_999)}"},
            due if due and due[0] == "anggota" else None)
        for kind, product, balance, extra in _savings(rng, i, mix):
            planted = due if due and due[0] == "simpanan" and kind == "SS" else None
            if sheets.add("simpanan", {
                    "nomor_rekening": f"{kind}{i:07d}", "nomor_anggota": number,
                    "produk": product, "saldo": rp(balance), **extra,
                    "tanggal_buka": joined.isoformat()}, planted):
                totals[{"SP": "3101", "SW": "3102", "SS": "2111"}[kind]] -= balance
            accounts += 1
        if i % mix.deposit_every == 0:
            principal = rng.randint(10, 100) * 100_000_00
            planted = due if due and due[0] == "simpanan_berjangka" else None
            if sheets.add("simpanan_berjangka", {
                    "nomor_rekening": f"SB{i:07d}", "nomor_anggota": number, "produk": "DEPO12",
                    "pokok": rp(principal), "tanggal_penempatan":
                    (as_of - timedelta(days=rng.randint(1, 300))).isoformat(),
                    "instruksi": "cair", "bunga_diakui": 0}, planted):
                totals["2112"] -= principal
            accounts += 1
        if i % mix.loan_every == 0:
            loans += 1
            row, outstanding = _loan(rng, i, number, as_of)
            if sheets.add("pinjaman", row, due if due and due[0] == "pinjaman" else None):
                totals["1141"] += outstanding
    totals["1101"] += 50_000_000_00
    totals["1103"] += -sum(totals.values()) + rng.randint(1, 9) * 1_000_000_000_00
    totals["3201"] -= sum(totals.values())
    tb = book.create_sheet("neraca_saldo")
    tb.append(["kode_akun", "nama_akun", "debit", "kredit"])
    for code, net in sorted(totals.items()):
        tb.append([code, None, rp(net) if net > 0 else None, rp(-net) if net < 0 else None])
    book.save(path)
    return Legacy(members, accounts, loans, sheets.mistakes)


def _savings(rng: random.Random, i: int, mix: Mix
             ) -> Iterator[tuple[str, str, int, dict[str, Any]]]:
    months = rng.randint(6, 60)
    arrears = rng.randint(1, 3) if i % 10 == 3 else 0
    yield "SP", "POKOK", POKOK * 100, {}
    if mix.wajib:
        yield "SW", "WAJIB", (months - arrears) * WAJIB * 100, (
            {"tunggakan_wajib": arrears * WAJIB} if arrears else {})
    if i % 10 < mix.sukarela_in_ten:
        extra: dict[str, Any] = {}
        balance = rng.randint(0, 20_000_000) * 100
        if i % 97 == 0 and balance >= 100_000_00:
            extra = {"ditahan": 50_000, "alasan_tahan": "jaminan", "dibekukan": "ya"}
        yield "SS", "SUKARELA", balance, extra


def _loan(rng: random.Random, i: int, member: str, as_of: date) -> tuple[dict[str, Any], int]:
    # The plugins are imported where used: ``python -m bench`` loads without them.
    from kopcore_loans.schedule import Frequency, InterestMethod, build_schedule

    principal = rng.randint(5, 50) * 1_000_000_00
    term = rng.choice((12, 18, 24))
    disbursed = as_of - timedelta(days=rng.randint(40, 330))
    rows = build_schedule(principal, LOAN_RATE, term, InterestMethod.FLAT, Frequency.MONTHLY,
                          disbursed, 100)
    due = [r for r in rows if r.due_date <= as_of]
    late = due[-1:] if i % 50 == 0 and due else []  # the last installment due is unpaid
    paid = sum(r.principal for r in due) - sum(r.principal for r in late)
    row = {"nomor_pinjaman": f"PJ{i:07d}", "nomor_anggota": member, "produk": "FLAT18",
           "pokok_awal": rp(principal), "jangka": term,
           "tanggal_pencairan": disbursed.isoformat(), "sisa_pokok": rp(principal - paid),
           "tunggakan_pokok": rp(sum(r.principal for r in late)) if late else None,
           "tunggakan_bunga": rp(sum(r.interest for r in late)) if late else None}
    if i % 30 == 0:
        row |= {"agunan_jenis": "BPKB", "agunan_uraian": f"Sepeda motor {i}",
                "agunan_nilai": rp(principal)}
    return row, principal - paid


def create_products(ctx: Any) -> None:
    """The products the legacy cooperative's rows name, as its staff set them up in kopcore
    before the cut-over."""
    from kopcore_loans.products import ProductTerms
    from kopcore_loans.products import create_product as loan_product
    from kopcore_loans.schedule import Frequency, InterestMethod
    from kopcore_savings.products import ProductParams, SavingsType
    from kopcore_savings.products import create_product as savings_product

    currency = ctx.settings.currency
    savings_product(ctx, ProductParams("POKOK", "Simpanan Pokok", SavingsType.POKOK, currency,
                                       amount=Decimal(POKOK)))
    savings_product(ctx, ProductParams("WAJIB", "Simpanan Wajib", SavingsType.WAJIB, currency,
                                       amount=Decimal(WAJIB)))
    savings_product(ctx, ProductParams("SUKARELA", "Simpanan Sukarela", SavingsType.SUKARELA,
                                       currency, interest_rate=SUKARELA_RATE))
    savings_product(ctx, ProductParams("DEPO12", "Deposito 12 bulan", SavingsType.BERJANGKA,
                                       currency, interest_rate=DEPOSIT_RATE, term_months=12))
    loan_product(ctx, ProductTerms(
        code="FLAT18", name="Pinjaman Anggota", method=InterestMethod.FLAT,
        frequency=Frequency.MONTHLY, annual_rate=LOAN_RATE, min_amount=Decimal(100000),
        max_amount=Decimal(1000000000), min_term=1, max_term=60))
