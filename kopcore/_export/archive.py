"""The RAT statements as an XLSX workbook, and the archive of a closed financial year: one ZIP
for the supervisor holding the statements (XLSX, printable HTML, CSV), the year's journal, GL
balances and member accounts, the books in beancount format, the members' SHU and the health
assessment at the year's end, with a manifest of each file's SHA-256."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kopcore._export import beancount, books, sheets
from kopcore._oversight import documents, statements
from kopcore._oversight.assessment import assess
from kopcore._oversight.scoring import DEFAULT_REGIME, load_regime
from kopcore._yearend import closing, shu
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, message
from kopcore.interfaces._convert import dump
from kopcore.money import Money
from kopcore.plugins.oversight_ops import assessment_out

SHU_HEADER = ("nomor_anggota", "nama", "basis_modal", "basis_usaha", "jasa_modal", "jasa_usaha",
              "jumlah", "rekening")


def _amount(minor: int | None, currency: str) -> Decimal | None:
    return None if minor is None else Decimal(Money.stored(minor, currency).to_str())


def rat_xlsx(s: statements.RatStatements) -> bytes:
    """The RAT statements, one sheet per statement: code, line, the year and the year
    before (changes in equity: one column)."""
    def rows(found: list[documents.Row]) -> Iterator[tuple[Any, ...]]:
        for _statement, section, code, name, current, previous in found:
            yield (section, code, name, _amount(current, s.currency),
                   _amount(previous, s.currency))

    return sheets.xlsx(
        (title, ("bagian", "kode", "uraian", str(s.year), str(s.year - 1)), rows(found))
        for _key, title, found in documents.statement_rows(s))


def _shu_rows(ctx: Context, year: int) -> list[tuple[Any, ...]] | None:
    try:
        draft = shu.current_draft(ctx, year)
    except NotFound:
        return None
    from kopcore.ledger._members import get_member_by_id

    cur = draft.currency
    found = []
    for share in shu.member_shares(ctx, draft):
        member = get_member_by_id(ctx, share.member_id)
        found.append((member.member_number, member.name, _amount(share.capital.minor, cur),
                      _amount(share.patronage.minor, cur), _amount(share.jasa_modal.minor, cur),
                      _amount(share.jasa_usaha.minor, cur), _amount(share.total.minor, cur),
                      share.account))
    return found


def year_archive(ctx: Context, year: int) -> bytes:
    """The ZIP of a closed financial year (refused while the year is open)."""
    start, end = closing.year_bounds(year)
    if closing.get_period(ctx, closing.YEAR, end) is None:
        raise Conflict(message("the financial year {year} is not closed: close it first (years "
                               "close --year {year})", year=year), field="year")
    currency = ctx.settings.currency
    rat = statements.rat_statements(ctx, year, currency)
    files: dict[str, bytes] = {
        f"laporan-rat-{year}.xlsx": rat_xlsx(rat),
        f"laporan-rat-{year}.html": documents.to_html(rat).encode(),
        f"laporan-rat-{year}.csv": documents.to_csv(rat).encode(),
        f"jurnal-{year}.xlsx": sheets.xlsx([("Jurnal", books.JOURNAL_HEADER,
                                             books.journal_rows(ctx, start, end))]),
        f"neraca-saldo-{year}.xlsx": sheets.xlsx([("Neraca saldo", books.BALANCES_HEADER,
                                                   books.balance_rows(ctx, start, end))]),
        f"rekening-anggota-{year}.xlsx": sheets.xlsx([("Rekening anggota",
                                                       books.ACCOUNTS_HEADER,
                                                       books.account_rows(ctx, end))]),
        f"buku-{year}.beancount": "".join(beancount.books(ctx, start, end)).encode(),
    }
    shares = _shu_rows(ctx, year)
    if shares is not None:
        files[f"shu-anggota-{year}.csv"] = sheets.csv_text(SHU_HEADER, shares)
    assessment = assess(ctx, load_regime(DEFAULT_REGIME), end, currency)
    # As the operation health.assess answers it.
    files[f"penilaian-kesehatan-{year}.json"] = json.dumps(
        dump(assessment_out(assessment)), indent=2, ensure_ascii=False).encode()
    manifest = [
        f"Arsip tahun buku {year}: {ctx.settings.cooperative_name}",
        f"Dibuat {datetime.now(UTC).isoformat(timespec='seconds')} oleh {ctx.actor} "
        f"(kopcore, tanggal pembukuan {ctx.business_date.isoformat()}).",
        "" if shares is not None else f"Belum ada rancangan SHU {year}: daftar SHU anggota "
                                      "tidak disertakan.",
        "SHA-256 setiap berkas:",
        *(f"{hashlib.sha256(content).hexdigest()}  {name}" for name, content in files.items()),
    ]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("MANIFEST.txt", "\n".join(line for line in manifest if line) + "\n")
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


