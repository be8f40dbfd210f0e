"""The wakaf entity's statements per PSAK 412 (formerly PSAK 112, Akuntansi Wakaf) over a
period, with the preceding period of the same length beside them:

- **Laporan posisi keuangan**: cash (the wakaf's money not invested, in the accounts it passed
  through) and investments; temporary wakaf as a liability to the wakif; net assets: permanent
  wakaf and results not yet distributed.
- **Laporan rincian aset wakaf**: each wakaf held at the end (ikrar, wakif, kind, purpose) and
  each investment (placement, where).
- **Laporan aktivitas**: permanent wakaf received, results of investment, the nazhir's part,
  distributions to the mauquf 'alaih, the change in net assets; the temporary wakaf received
  and returned.
- **Laporan arus kas**: operating (results, the nazhir, distributions), investing
  (placements, their return), financing (wakaf received, temporary wakaf returned).
- **Catatan**: the nazhir's share (policy and applied), the investments, temporary wakaf.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import ValidationError
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore_sharia import chart
from kopcore_sharia.wakaf import NAZHIR_SHARE_MAX, Placement, WakafKind
from kopcore_sharia.wakaf_tables import investments, movements, wakaf
from kopcore_sharia.zis_statements import (
    Document,
    Row,
    Statement,
    StatementsIn,
    StatementsOut,
    counterpart_cash,
    gl_codes,
    gl_movements,
    periods,
    statements_out,
)
from kopcore_sharia.zis_statements import _percent as percent

#: The wakaf entity's own GL accounts (its cash is what the other lines of their entries moved).
WAKAF_KEYS = (chart.WAKAF_PERMANENT, chart.WAKAF_TEMPORARY, chart.WAKAF_BENEFITS,
              chart.WAKAF_INVESTMENT)
PLACEMENT_NAMES = {Placement.FINANCING: "Pembiayaan koperasi",
                   Placement.DEPOSIT: "Simpanan/deposito koperasi",
                   Placement.BANK: "Deposito bank syariah"}


@attrs.frozen
class WakafFigures:
    """One period's figures, minor units."""

    #: Per GL key: (opening, closing), credit-positive (the investment debit-positive).
    balances: dict[str, tuple[int, int]]
    received: dict[WakafKind, int]
    returned: int
    result: int
    nazhir: int
    distributed: int
    placed: int
    divested: int
    cash_opening: int
    cash_closing: int

    def opening(self, key: str) -> int:
        return self.balances[key][0]

    def closing(self, key: str) -> int:
        return self.balances[key][1]

    def net_assets(self, at: int) -> int:
        return self.balances[chart.WAKAF_PERMANENT][at] + self.balances[chart.WAKAF_BENEFITS][at]

    def net_assets_other(self) -> int:
        """Postings on the net-asset accounts not made by a wakaf operation."""
        return (self.net_assets(1) - self.net_assets(0) - self.received[WakafKind.PERMANENT]
                - (self.result - self.nazhir) + self.distributed)


def _sum(ctx: Context, query: sa.Select[Any]) -> int:
    value = ctx.conn.execute(query).scalar()
    return 0 if value is None else int(value)


def wakaf_figures(ctx: Context, first: date, last: date) -> WakafFigures:
    rows = gl_movements(ctx, WAKAF_KEYS, first, last)
    balances = {key: rows.get(key, (0, 0)) for key in WAKAF_KEYS}
    opening, closing = balances[chart.WAKAF_INVESTMENT]
    balances[chart.WAKAF_INVESTMENT] = (-opening, -closing)
    w, i, m = wakaf.c, investments.c, movements.c
    received = {kind: _sum(ctx, sa.select(sa.func.sum(w.amount)).where(
        w.kind == kind.value, w.received_on.between(first, last))) for kind in WakafKind}
    returned = _sum(ctx, sa.select(sa.func.sum(w.amount)).where(
        w.returned_on.between(first, last)))
    result, nazhir = ctx.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(m.amount), 0),
                  sa.func.coalesce(sa.func.sum(m.nazhir_part), 0))
        .where(m.kind == "result", m.business_date.between(first, last))).one()
    distributed = _sum(ctx, sa.select(sa.func.sum(m.amount)).where(
        m.kind == "distribution", m.business_date.between(first, last)))
    # Only a bank placement moves the wakaf's cash out of the cooperative, but every placement
    # takes it out of the wakaf's cash: the business owes it back.
    placed = _sum(ctx, sa.select(sa.func.sum(i.amount)).where(
        i.placed_on.between(first, last)))
    divested = _sum(ctx, sa.select(sa.func.sum(i.amount)).where(
        i.returned_on.between(first, last)))
    return WakafFigures(
        balances, received, returned, int(result), int(nazhir), distributed, placed, divested,
        sum(counterpart_cash(ctx, WAKAF_KEYS, first).values()),
        sum(counterpart_cash(ctx, WAKAF_KEYS, last + timedelta(days=1)).values()))


def _held(ctx: Context, at: date) -> tuple[Sequence[sa.Row[Any]], Sequence[sa.Row[Any]]]:
    """The wakaf and investments held at the end of ``at``."""
    w, i = wakaf.c, investments.c
    held_w = ctx.conn.execute(sa.select(wakaf).where(
        w.received_on <= at, sa.or_(w.returned_on.is_(None), w.returned_on > at))
        .order_by(w.id)).all()
    held_i = ctx.conn.execute(sa.select(investments).where(
        i.placed_on <= at, sa.or_(i.returned_on.is_(None), i.returned_on > at))
        .order_by(i.id)).all()
    return held_w, held_i


def _detail_rows(ctx: Context, last: date, previous_last: date) -> list[Row]:
    now_w, now_i = _held(ctx, last)
    before_w, before_i = _held(ctx, previous_last)
    before_wakaf = {r._mapping["id"] for r in before_w}
    before_inv = {r._mapping["id"] for r in before_i}
    rows: list[Row] = []
    for row in now_w:
        r = row._mapping
        kind = ("permanen" if r["kind"] == WakafKind.PERMANENT.value
                else f"temporer s.d. {r['until'].isoformat()}")
        rows.append(("Wakaf uang diterima", r["ikrar"],
                     f"{r['wakif']} - {kind} - {r['purpose']}", int(r["amount"]),
                     int(r["amount"]) if r["id"] in before_wakaf else 0))
    rows.append(("Wakaf uang diterima", "", "Jumlah wakaf uang",
                 sum(int(r._mapping["amount"]) for r in now_w),
                 sum(int(r._mapping["amount"]) for r in before_w)))
    for row in now_i:
        r = row._mapping
        rows.append(("Investasi dana wakaf", f"INV-{r['id']}",
                     f"{PLACEMENT_NAMES[Placement(r['placement'])]}: {r['placed_with']}",
                     int(r["amount"]), int(r["amount"]) if r["id"] in before_inv else 0))
    rows.append(("Investasi dana wakaf", "", "Jumlah investasi dana wakaf",
                 sum(int(r._mapping["amount"]) for r in now_i),
                 sum(int(r._mapping["amount"]) for r in before_i)))
    return rows


def wakaf_document(ctx: Context, first: date, last: date, previous_first: date,
                   previous_last: date) -> Document:
    now = wakaf_figures(ctx, first, last)
    before = wakaf_figures(ctx, previous_first, previous_last)
    currency = ctx.settings.currency

    codes = gl_codes(ctx, last)

    def both(get: Callable[[WakafFigures], int]) -> tuple[int, int]:
        return get(now), get(before)

    position: list[Row] = [
        ("Aset", "", "Kas dan setara kas", now.cash_closing, before.cash_closing),
        ("Aset", codes[chart.WAKAF_INVESTMENT], "Investasi dana wakaf",
         *both(lambda f: f.closing(chart.WAKAF_INVESTMENT))),
        ("Aset", "", "Jumlah aset",
         *both(lambda f: f.cash_closing + f.closing(chart.WAKAF_INVESTMENT))),
        ("Liabilitas", codes[chart.WAKAF_TEMPORARY], "Wakaf temporer",
         *both(lambda f: f.closing(chart.WAKAF_TEMPORARY))),
        ("Liabilitas", "", "Jumlah liabilitas",
         *both(lambda f: f.closing(chart.WAKAF_TEMPORARY))),
        ("Aset neto", codes[chart.WAKAF_PERMANENT], "Aset neto wakaf permanen",
         *both(lambda f: f.closing(chart.WAKAF_PERMANENT))),
        ("Aset neto", codes[chart.WAKAF_BENEFITS],
         "Hasil pengelolaan wakaf yang belum disalurkan",
         *both(lambda f: f.closing(chart.WAKAF_BENEFITS))),
        ("Aset neto", "", "Jumlah aset neto", *both(lambda f: f.net_assets(1))),
        ("", "", "Jumlah liabilitas dan aset neto",
         *both(lambda f: f.net_assets(1) + f.closing(chart.WAKAF_TEMPORARY))),
    ]

    activity: list[Row] = [
        ("Aset neto", "", "Penerimaan wakaf permanen",
         *both(lambda f: f.received[WakafKind.PERMANENT])),
        ("Aset neto", "", "Hasil pengelolaan dan pengembangan wakaf", *both(lambda f: f.result)),
        ("Aset neto", "", "Bagian nazhir atas hasil pengelolaan", *both(lambda f: -f.nazhir)),
        ("Aset neto", "", "Penyaluran manfaat wakaf kepada mauquf 'alaih",
         *both(lambda f: -f.distributed)),
    ]
    if now.net_assets_other() or before.net_assets_other():
        activity.append(("Aset neto", "", "Mutasi lain (jurnal di luar operasi wakaf)",
                         *both(lambda f: f.net_assets_other())))
    activity += [
        ("Aset neto", "", "Kenaikan (penurunan) aset neto",
         *both(lambda f: f.net_assets(1) - f.net_assets(0))),
        ("Aset neto", "", "Aset neto awal periode", *both(lambda f: f.net_assets(0))),
        ("Aset neto", "", "Aset neto akhir periode", *both(lambda f: f.net_assets(1))),
        ("Wakaf temporer", "", "Saldo awal wakaf temporer",
         *both(lambda f: f.opening(chart.WAKAF_TEMPORARY))),
        ("Wakaf temporer", "", "Penerimaan wakaf temporer",
         *both(lambda f: f.received[WakafKind.TEMPORARY])),
        ("Wakaf temporer", "", "Pengembalian wakaf temporer kepada wakif",
         *both(lambda f: -f.returned)),
        ("Wakaf temporer", "", "Saldo akhir wakaf temporer",
         *both(lambda f: f.closing(chart.WAKAF_TEMPORARY))),
    ]

    operating, investing, financing = ("Arus kas dari aktivitas operasi",
                                       "Arus kas dari aktivitas investasi",
                                       "Arus kas dari aktivitas pendanaan")

    def op(f: WakafFigures) -> int:
        return f.result - f.nazhir - f.distributed

    def inv(f: WakafFigures) -> int:
        return f.divested - f.placed

    def fin(f: WakafFigures) -> int:
        return sum(f.received.values()) - f.returned

    def change(f: WakafFigures) -> int:
        return f.cash_closing - f.cash_opening

    flows: list[Row] = [
        (operating, "", "Hasil pengelolaan dan pengembangan wakaf", *both(lambda f: f.result)),
        (operating, "", "Imbalan nazhir", *both(lambda f: -f.nazhir)),
        (operating, "", "Penyaluran manfaat wakaf", *both(lambda f: -f.distributed)),
        (operating, "", "Kas bersih dari aktivitas operasi", *both(op)),
        (investing, "", "Penempatan investasi dana wakaf", *both(lambda f: -f.placed)),
        (investing, "", "Pencairan investasi dana wakaf", *both(lambda f: f.divested)),
        (investing, "", "Kas bersih dari aktivitas investasi", *both(inv)),
        (financing, "", "Penerimaan wakaf permanen",
         *both(lambda f: f.received[WakafKind.PERMANENT])),
        (financing, "", "Penerimaan wakaf temporer",
         *both(lambda f: f.received[WakafKind.TEMPORARY])),
        (financing, "", "Pengembalian wakaf temporer", *both(lambda f: -f.returned)),
        (financing, "", "Kas bersih dari aktivitas pendanaan", *both(fin)),
    ]

    def other(f: WakafFigures) -> int:
        return change(f) - op(f) - inv(f) - fin(f)

    if other(now) or other(before):
        flows.append(("", "", "Mutasi lain", *both(other)))
    flows += [("", "", "Kenaikan (penurunan) kas dan setara kas", *both(change)),
              ("", "", "Kas dan setara kas awal periode", *both(lambda f: f.cash_opening)),
              ("", "", "Kas dan setara kas akhir periode", *both(lambda f: f.cash_closing))]

    def rp(minor: int) -> str:
        return Money(minor, currency).format()

    notes = [
        ("Imbalan nazhir",
         f"Nazhir menerima paling banyak {NAZHIR_SHARE_MAX} % dari hasil bersih pengelolaan "
         f"dan pengembangan wakaf yang telah direalisasi (UU 41/2004 pasal 12), dibulatkan "
         f"setengah ke atas ke rupiah. Periode ini: {rp(now.nazhir)} dari hasil "
         f"{rp(now.result)} ({percent(now.nazhir, now.result)})."),
        ("Pokok wakaf",
         "Pokok wakaf tidak pernah disalurkan: penyaluran kepada mauquf 'alaih hanya dari hasil "
         "pengelolaan; penyaluran yang melebihinya ditolak. Pokok hanya diinvestasikan."),
        ("Kebijakan investasi",
         "Dana wakaf ditempatkan pada pembiayaan atau simpanan koperasi sendiri (usaha koperasi "
         "menanggung kewajiban kepada wakaf) atau pada deposito bank syariah. Penempatan dalam "
         f"periode ini {rp(now.placed)}, pencairan {rp(now.divested)}."),
        ("Wakaf temporer",
         f"Wakaf temporer diakui sebagai liabilitas kepada wakif dan dikembalikan pada tanggal "
         f"yang disepakati dalam ikrar. Saldo akhir {rp(now.closing(chart.WAKAF_TEMPORARY))}; "
         f"dikembalikan dalam periode ini {rp(now.returned)}."),
    ]
    return Document(
        ctx.settings.cooperative_name, "Laporan Keuangan Entitas Wakaf (PSAK 412)",
        first, last, previous_first, previous_last, currency,
        [Statement("financial_position", "Laporan Posisi Keuangan", position),
         Statement("wakaf_assets", "Laporan Rincian Aset Wakaf",
                   _detail_rows(ctx, last, previous_last)),
         Statement("activities", "Laporan Aktivitas", activity),
         Statement("cash_flows", "Laporan Arus Kas", flows)],
        notes)


def wakaf_report(ctx: Context, data: StatementsIn) -> StatementsOut:
    """The wakaf entity's statements per PSAK 412 for a period, with the preceding period of
    the same length: financial position, the wakaf assets one by one, activities, cash flows
    and notes; as data (json) or a CSV or printable HTML document. On the CLI: ``kopcore
    sharia wakaf-report --from-date 2026-01-01 --to-date 2026-12-31 --format html --output
    wakaf.html``."""
    return statements_out(wakaf_document(ctx, *periods(ctx, data)), data.format)


OPERATIONS: Sequence[Operation] = (
    Operation("sharia.wakaf-report", StatementsIn, StatementsOut, wakaf_report,
              permission=chart.REPORTS, mutates=False,
              summary="PSAK 412 statements of the wakaf entity", errors=(ValidationError,),
              document_field="document"),
)
