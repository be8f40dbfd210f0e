"""The amil's financial statements per PSAK 409 (formerly PSAK 109, Akuntansi Zakat dan
Infak/Sedekah) for the maal side of the cooperative, over a period with the preceding period of
the same length beside it:

- **Laporan posisi keuangan**: the ZIS entity's cash and cash equivalents (the accounts its money
  passed through), its liabilities (none recorded) and its fund balances (saldo dana: zakat,
  infak/sedekah, amil, nonhalal).
- **Laporan perubahan dana**: per fund its receipts (zakat and infak/sedekah gross, less the
  amil's share), its distributions (zakat per asnaf), the amil's receipts and use, the non-halal
  fund's receipts and distributions, the surplus (deficit), opening and closing balances.
- **Laporan perubahan aset kelolaan**: the funds hold no non-cash assets under management
  (dana bergulir, fixed assets), so the statement says so.
- **Laporan arus kas** (direct method): receipts and distributions by fund.
- **Catatan**: the minimum disclosures: distribution and amil-share policies and the shares
  applied, distributions per asnaf, assets under management, the non-halal fund, the amil's
  performance (distributed / received), related parties.

Receipts and distributions come from ``sharia_zis_movements``; balances and cash from the
ledger. Any posting on a fund GL account not made by ``zis-receive`` / ``zis-disburse`` (a manual
entry) shows as "Mutasi lain", so the closing balances always equal the ledger's. The social
fund (dana kebajikan, PSAK 401) is not a PSAK 409 fund and is left to ``zis-report``.

The documents (CSV, printable HTML) are rendered by :func:`to_csv` and :func:`to_html`, which
the wakaf statements (:mod:`kopcore_sharia.wakaf_statements`) share.
"""

from __future__ import annotations

import csv
import enum
import html
import io
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import ValidationError
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.views import PRINT_STYLE as STYLE
from kopcore_sharia import chart
from kopcore_sharia.messages import _
from kopcore_sharia.tables import zis_movements
from kopcore_sharia.zis import AMIL_SHARE_MAX, Asnaf, Fund, Payer

#: The PSAK 409 funds, in the standard's order: (fund, GL key, title).
PSAK_FUNDS: tuple[tuple[Fund, str, str], ...] = (
    (Fund.ZAKAT, chart.ZAKAT_FUND, "Dana zakat"),
    (Fund.INFAQ, chart.INFAQ_FUND, "Dana infak/sedekah"),
    (Fund.AMIL, chart.AMIL_FUND, "Dana amil"),
    (Fund.NON_HALAL, chart.NON_HALAL_FUND, "Dana nonhalal"),
)
ASNAF_NAMES = {Asnaf.FAKIR: "Fakir", Asnaf.MISKIN: "Miskin", Asnaf.AMIL: "Amil",
               Asnaf.MUALAF: "Mualaf", Asnaf.RIQAB: "Riqab", Asnaf.GHARIMIN: "Gharimin",
               Asnaf.FISABILILLAH: "Fisabilillah", Asnaf.IBNU_SABIL: "Ibnu sabil"}


class DocumentFormat(enum.StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"


# --- a statement as rows, and its documents ------------------------------------------------

#: (section, code, line, current, previous); ``None`` amounts: a heading or a text line.
Row = tuple[str, str, str, int | None, int | None]


@attrs.frozen
class Statement:
    key: str
    title: str
    rows: list[Row]


@attrs.frozen
class Document:
    """Statements and notes of one entity over a period, with the preceding period."""

    entity: str
    title: str
    first: date
    last: date
    previous_first: date
    previous_last: date
    currency: str
    statements: list[Statement]
    notes: list[tuple[str, str]]


def _plain(minor: int | None, currency: str) -> str:
    return "" if minor is None else Money(minor, currency).to_str()


def _shown(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    text = Money(abs(minor), currency).format()
    return f"({text})" if minor < 0 else text


def _period(first: date, last: date) -> str:
    return f"{first.isoformat()} s.d. {last.isoformat()}"


def to_csv(d: Document) -> str:
    """One row per line: ``statement, section, code, line, <period>, <previous period>``,
    amounts as canonical decimal strings; the notes follow as ``catatan`` rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["statement", "section", "code", "line", _period(d.first, d.last),
                     _period(d.previous_first, d.previous_last)])
    for s in d.statements:
        for section, code, line, current, previous in s.rows:
            writer.writerow([s.key, section, code, line, _plain(current, d.currency),
                             _plain(previous, d.currency)])
    for title, text in d.notes:
        writer.writerow(["notes", title, "", text, "", ""])
    return out.getvalue()


TOTALS = ("Jumlah", "Surplus", "Saldo akhir", "Kas bersih", "Kenaikan", "Kas akhir",
          "Aset neto akhir")


def to_html(d: Document) -> str:
    """A printable, self-contained page: inline CSS, no script, nothing fetched; amounts in
    the Indonesian format, negative ones in parentheses."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="id"><head><meta charset="utf-8">',
        f"<title>{e(d.entity)} - {e(d.title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{e(d.entity)}</h1>",
        f'<p class="sub">{e(d.title)}, periode {e(_period(d.first, d.last))} (pembanding '
        f"{e(_period(d.previous_first, d.previous_last))}); jumlah dalam {e(d.currency)}.</p>",
    ]
    for s in d.statements:
        parts.append(f'<section id="{e(s.key)}"><h2>{e(s.title)}</h2><table>')
        parts.append(f'<tr><th>Kode</th><th>Uraian</th><th class="amount">'
                     f'{e(_period(d.first, d.last))}</th><th class="amount">'
                     f"{e(_period(d.previous_first, d.previous_last))}</th></tr>")
        current_section = None
        for section, code, line, current, previous in s.rows:
            if section and section != current_section:
                current_section = section
                parts.append(f'<tr class="section"><td colspan="4">{e(section)}</td></tr>')
            css = ' class="total"' if not code and line.startswith(TOTALS) else ""
            parts.append(f"<tr{css}><td>{e(code)}</td><td>{e(line)}</td>"
                         f'<td class="amount">{_shown(current, d.currency)}</td>'
                         f'<td class="amount">{_shown(previous, d.currency)}</td></tr>')
        parts.append("</table></section>")
    if d.notes:
        parts.append('<section id="notes"><h2>Catatan atas Laporan Keuangan</h2>')
        for number, (title, text) in enumerate(d.notes, 1):
            parts.append(f"<h3>{number}. {e(title)}</h3><p>{e(text)}</p>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


# --- the JSON output, shared with the wakaf statements ----------------------------------------


@attrs.frozen
class StatementLineOut:
    section: str
    code: str
    line: str
    #: The period's amount; null for a heading or a text line.
    current: Money | None
    #: The preceding period's amount.
    previous: Money | None


@attrs.frozen
class StatementOut:
    key: str
    title: str
    lines: list[StatementLineOut]


@attrs.frozen
class NoteOut:
    title: str
    text: str


@attrs.frozen
class StatementsOut:
    """Statements for a period, with the preceding period of the same length beside them."""

    title: str
    from_date: date
    to_date: date
    previous_from: date
    previous_to: date
    currency: str
    format: str
    statements: list[StatementOut]
    notes: list[NoteOut]
    #: The CSV or HTML document (format csv or html); None for json.
    document: str | None


@attrs.frozen
class StatementsIn:
    from_date: date = attrs.field(metadata={"help": "First business date of the period"})
    to_date: date = attrs.field(metadata={"help": "Last business date of the period"})
    format: DocumentFormat = attrs.field(
        default=DocumentFormat.JSON,
        metadata={"help": "json (the statements as data), csv or html (the document text in "
                          "'document')"})


def statements_out(d: Document, fmt: DocumentFormat) -> StatementsOut:
    cur = d.currency

    def money(minor: int | None) -> Money | None:
        return None if minor is None else Money(minor, cur)

    document = {DocumentFormat.CSV: to_csv, DocumentFormat.HTML: to_html}.get(fmt)
    return StatementsOut(
        d.title, d.first, d.last, d.previous_first, d.previous_last, cur, fmt.value,
        [StatementOut(s.key, s.title, [StatementLineOut(sec, code, line, money(c), money(p))
                                       for sec, code, line, c, p in s.rows])
         for s in d.statements],
        [NoteOut(title, text) for title, text in d.notes],
        None if document is None else document(d))


#: The longest period: a financial year (statements for several years are run per year).
MAX_DAYS = 366
EARLIEST = date(1901, 1, 1)


def periods(ctx: Context, data: StatementsIn) -> tuple[date, date, date, date]:
    """The period and the preceding one of the same length — as many whole months before when
    the period is whole months (2024 beside 2023, leap year or not), else as many days —;
    refused when it ends after the business date or before it starts, or is longer than a
    year."""
    if data.to_date < data.from_date:
        raise ValidationError(_("to_date is before from_date"), field="to_date")
    if data.to_date > ctx.business_date:
        raise ValidationError(_("to_date {to_date} is after the business date {business_date}",
                                to_date=data.to_date, business_date=ctx.business_date),
                              field="to_date")
    days = (data.to_date - data.from_date).days + 1
    if days > MAX_DAYS or data.from_date < EARLIEST:
        raise ValidationError(_("a period of at most {days} days, from {earliest}",
                                days=MAX_DAYS, earliest=EARLIEST), field="from_date")
    previous_last = data.from_date - timedelta(days=1)
    if data.from_date.day == 1 and (data.to_date + timedelta(days=1)).day == 1:
        # Whole months (a year, a quarter): the same number of months before.
        months = (data.to_date.year - data.from_date.year) * 12 \
            + data.to_date.month - data.from_date.month + 1
        index = data.from_date.year * 12 + data.from_date.month - 1 - months
        return data.from_date, data.to_date, date(index // 12, index % 12 + 1, 1), previous_last
    return data.from_date, data.to_date, previous_last - timedelta(days=days - 1), previous_last


def gl_movements(ctx: Context, keys: Sequence[str], first: date, last: date
                 ) -> dict[str, tuple[int, int]]:
    """Per GL key: (balance before ``first``, balance at ``last``), credit-positive."""
    p, e, a = query.postings.c, query.journal_entries.c, query.accounts.c
    rows = ctx.conn.execute(
        sa.select(a.gl_key,
                  sa.func.coalesce(sa.func.sum(sa.case((e.business_date < first, p.amount),
                                                       else_=0)), 0),
                  sa.func.coalesce(sa.func.sum(p.amount), 0))
        .select_from(query.postings.join(query.journal_entries, p.entry_id == e.id)
                     .join(query.accounts, p.account_id == a.id))
        .where(a.gl_key.in_(list(keys)), e.business_date <= last)
        .group_by(a.gl_key)).all()
    return {row[0]: (-int(row[1]), -int(row[2])) for row in rows}


def gl_codes(ctx: Context, as_of: date) -> dict[str, str]:
    """The GL code of each sharia GL key: the chart's in force (the settings may change the
    defaults), the default for an account with nothing posted."""
    codes = {spec.key: spec.code for spec in chart.GL_ACCOUNTS}
    codes.update({line.key: line.code for line in ledger.trial_balance(ctx, as_of)["lines"]})
    return codes


#: The kernel's inter-office account: the lines the posting pipeline adds when a branch's cash
#: receives for the head office's fund net to zero within the entry, so they are no asset.
INTER_OFFICE = "rak"


def counterpart_cash(ctx: Context, keys: Sequence[str], before: date
                     ) -> dict[tuple[str, str], int]:
    """The entity's cash at the start of ``before``: per account (number, name), the sum of the
    other lines (debit-positive) of every entry touching one of ``keys`` up to the day before,
    inter-office lines left out. Its funds are kept in those accounts (teller cash, bank), so
    they add up to the funds."""
    p, e, a = query.postings.c, query.journal_entries.c, query.accounts.c
    inside = query.accounts.alias("inside")
    touching = (sa.select(p.entry_id).select_from(
        query.postings.join(inside, p.account_id == inside.c.id))
        .where(inside.c.gl_key.in_(list(keys))))
    rows = ctx.conn.execute(
        sa.select(a.number, sa.func.sum(p.amount))
        .select_from(query.postings.join(query.journal_entries, p.entry_id == e.id)
                     .join(query.accounts, p.account_id == a.id))
        .where(p.entry_id.in_(touching), a.gl_key.not_in([*keys, INTER_OFFICE]),
               e.business_date < before)
        .group_by(a.number).order_by(a.number)).all()
    return {(str(r[0]), ledger.get_account(ctx, str(r[0])).name): int(r[1]) for r in rows
            if int(r[1]) != 0}


# --- PSAK 409 figures ---------------------------------------------------------------------


RESTRICTED, UNRESTRICTED, UNRECORDED = "restricted", "unrestricted", "unrecorded"
#: The receipt lines of PSAK 409's statement of changes in funds.
RECEIPT_LINES: dict[Fund, tuple[tuple[str, str], ...]] = {
    Fund.ZAKAT: ((Payer.ENTITY.value, "Muzakki entitas"),
                 (Payer.INDIVIDUAL.value, "Muzakki individual")),
    Fund.INFAQ: ((RESTRICTED, "Infak/sedekah terikat (muqayyadah)"),
                 (UNRESTRICTED, "Infak/sedekah tidak terikat (mutlaqah)")),
}


@attrs.frozen
class ZisFigures:
    """One period's figures, minor units."""

    #: Per fund: (opening, closing) from the ledger.
    balances: dict[Fund, tuple[int, int]]
    #: Net receipts recorded per fund (zakat and infak after the amil's share).
    received: dict[Fund, int]
    #: The amil's share taken from zakat and from infak/sedekah receipts.
    amil_from: dict[Fund, int]
    #: Distributions per fund and asnaf (None: no asnaf named).
    distributed: dict[tuple[Fund, Asnaf | None], int]
    #: Cash per account at the start of the period and after it.
    cash_opening: dict[tuple[str, str], int]
    cash_closing: dict[tuple[str, str], int]
    #: Zakat receipts gross per payer, infak per restriction (UNRECORDED: before revision
    #: sharia0011 recorded them).
    gross_by: dict[tuple[Fund, str], int]

    def gross(self, fund: Fund) -> int:
        """A zakat or infak receipt before the amil's share."""
        return self.received[fund] + self.amil_from.get(fund, 0)

    def out(self, fund: Fund) -> int:
        return sum(v for (f, _a), v in self.distributed.items() if f is fund)

    def amil_other(self) -> int:
        return self.received[Fund.AMIL] - sum(self.amil_from.values())

    def other(self, fund: Fund) -> int:
        """Postings on the fund not made by a ZIS receipt or distribution."""
        opening, closing = self.balances[fund]
        return closing - opening - self.received[fund] + self.out(fund)


def zis_figures(ctx: Context, first: date, last: date) -> ZisFigures:
    keys = [key for _f, key, _t in PSAK_FUNDS]
    ledger_rows = gl_movements(ctx, keys, first, last)
    balances = {fund: ledger_rows.get(key, (0, 0)) for fund, key, _t in PSAK_FUNDS}
    m = zis_movements.c
    in_period = m.business_date.between(first, last)
    rows = ctx.conn.execute(
        sa.select(m.fund, m.direction, m.asnaf, sa.func.sum(m.amount))
        .where(in_period).group_by(m.fund, m.direction, m.asnaf)).all()
    received = {fund: 0 for fund, _k, _t in PSAK_FUNDS}
    distributed: dict[tuple[Fund, Asnaf | None], int] = {}
    for fund, direction, asnaf, amount in rows:
        if fund not in received:
            continue
        if direction == "in":
            received[Fund(fund)] += int(amount)
        else:
            key = (Fund(fund), None if asnaf is None else Asnaf(asnaf))
            distributed[key] = distributed.get(key, 0) + int(amount)
    # Zakat and infak receipts gross: each with the amil's receipt of the same entry (its
    # share), per payer (zakat) and restriction (infak).
    amil = zis_movements.alias("amil")
    gross_rows = ctx.conn.execute(
        sa.select(m.fund, m.payer, m.restricted, sa.func.sum(m.amount),
                  sa.func.coalesce(sa.func.sum(amil.c.amount), 0))
        .select_from(zis_movements.outerjoin(amil, sa.and_(
            amil.c.entry_id == m.entry_id, amil.c.fund == Fund.AMIL.value,
            amil.c.direction == "in")))
        .where(in_period, m.direction == "in",
               m.fund.in_([Fund.ZAKAT.value, Fund.INFAQ.value]))
        .group_by(m.fund, m.payer, m.restricted)).all()
    amil_from: dict[Fund, int] = {}
    gross_by: dict[tuple[Fund, str], int] = {}
    for fund, payer, restricted, amount, share in gross_rows:
        kind = Fund(fund)
        amil_from[kind] = amil_from.get(kind, 0) + int(share)
        if kind is Fund.ZAKAT:
            category = payer or UNRECORDED
        else:
            category = UNRECORDED if restricted is None else (
                RESTRICTED if restricted else UNRESTRICTED)
        gross_by[(kind, category)] = gross_by.get((kind, category), 0) + int(amount) + int(share)
    return ZisFigures(balances, received, amil_from, distributed,
                      counterpart_cash(ctx, keys, first),
                      counterpart_cash(ctx, keys, last + timedelta(days=1)), gross_by)


def _gross(fund: Fund, category: str) -> Callable[[ZisFigures], int]:
    return lambda f: f.gross_by.get((fund, category), 0)


def _distributed(fund: Fund, asnaf: Asnaf | None) -> Callable[[ZisFigures], int]:
    return lambda f: -f.distributed.get((fund, asnaf), 0)


def _fund_rows(section: str, now: ZisFigures, before: ZisFigures, fund: Fund) -> list[Row]:
    """One fund's part of the statement of changes in funds."""
    rows: list[Row] = []

    def add(line: str, get: Callable[[ZisFigures], int] | None, code: str = "") -> None:
        rows.append((section, code, line, None if get is None else get(now),
                     None if get is None else get(before)))

    name = {Fund.ZAKAT: "zakat", Fund.INFAQ: "infak/sedekah", Fund.AMIL: "amil",
            Fund.NON_HALAL: "nonhalal"}[fund]
    if fund in (Fund.ZAKAT, Fund.INFAQ):
        add("Penerimaan", None)
        for category, line in RECEIPT_LINES[fund]:
            add(line, _gross(fund, category))
        if now.gross_by.get((fund, UNRECORDED)) or before.gross_by.get((fund, UNRECORDED)):
            add("Penerimaan tanpa rincian (dicatat sebelum rincian tersedia)",
                _gross(fund, UNRECORDED))
        add(f"Jumlah penerimaan dana {name}", lambda f: f.gross(fund))
        add(f"Bagian amil atas penerimaan dana {name}", lambda f: -f.amil_from.get(fund, 0))
        add(f"Jumlah penerimaan dana {name} setelah bagian amil", lambda f: f.received[fund])
        add("Penyaluran", None)
        named = [a for a in Asnaf] if fund is Fund.ZAKAT else sorted(
            {a for f in (now, before) for (g, a) in f.distributed if g is fund and a},
            key=list(Asnaf).index)
        for asnaf in named:
            add(ASNAF_NAMES[asnaf], _distributed(fund, asnaf), code=asnaf.value)
        if fund is Fund.INFAQ:
            add("Mustahik lainnya (tanpa asnaf)", _distributed(fund, None))
        add(f"Jumlah penyaluran dana {name}", lambda f: -f.out(fund))
    elif fund is Fund.AMIL:
        add("Penerimaan", None)
        add("Bagian amil dari dana zakat", lambda f: f.amil_from.get(Fund.ZAKAT, 0))
        add("Bagian amil dari dana infak/sedekah", lambda f: f.amil_from.get(Fund.INFAQ, 0))
        add("Penerimaan dana amil lainnya", lambda f: f.amil_other())
        add("Jumlah penerimaan dana amil", lambda f: f.received[fund])
        add("Penggunaan", None)
        add("Beban operasional amil", lambda f: -f.out(fund))
        add("Jumlah penggunaan dana amil", lambda f: -f.out(fund))
    else:
        add("Penerimaan", None)
        add("Penerimaan dana nonhalal (bunga dan jasa giro bank)", lambda f: f.received[fund])
        add("Penyaluran", None)
        add("Penyaluran dana nonhalal untuk kegiatan sosial", lambda f: -f.out(fund))
    if now.other(fund) or before.other(fund):
        add("Mutasi lain (jurnal di luar penerimaan dan penyaluran ZIS)",
            lambda f: f.other(fund))
    add("Surplus (defisit)", lambda f: f.balances[fund][1] - f.balances[fund][0])
    add(f"Saldo awal dana {name}", lambda f: f.balances[fund][0])
    add(f"Saldo akhir dana {name}", lambda f: f.balances[fund][1])
    return rows


def _cash_rows(section: str, cash: tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]
               ) -> list[Row]:
    now, before = cash
    return [(section, number, name, now.get((number, name), 0), before.get((number, name), 0))
            for number, name in sorted(set(now) | set(before))]


def _decimal(value: Decimal) -> str:
    """A percentage as Indonesians write it: ``12,5``."""
    return str(value).replace(".", ",")


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "-"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{value} %".replace(".", ",")


def zis_document(ctx: Context, first: date, last: date, previous_first: date,
                 previous_last: date) -> Document:
    now = zis_figures(ctx, first, last)
    before = zis_figures(ctx, previous_first, previous_last)
    currency = ctx.settings.currency

    # Laporan posisi keuangan.
    position: list[Row] = _cash_rows("Aset", (now.cash_closing, before.cash_closing))
    assets = (sum(now.cash_closing.values()), sum(before.cash_closing.values()))
    position.append(("Aset", "", "Jumlah aset", *assets))
    position.append(("Liabilitas", "", "Jumlah liabilitas", 0, 0))
    codes = gl_codes(ctx, last)
    for fund, key, title in PSAK_FUNDS:
        position.append(("Saldo dana", codes[key], title, now.balances[fund][1],
                         before.balances[fund][1]))
    funds = (sum(b[1] for b in now.balances.values()),
             sum(b[1] for b in before.balances.values()))
    position.append(("Saldo dana", "", "Jumlah saldo dana", *funds))
    position.append(("", "", "Jumlah liabilitas dan saldo dana", *funds))

    # Laporan perubahan dana.
    changes: list[Row] = []
    for fund, _key, title in PSAK_FUNDS:
        changes += _fund_rows(title, now, before, fund)
    changes.append(("", "", "Jumlah saldo dana zakat, infak/sedekah, amil dan nonhalal",
                    *funds))

    # Laporan perubahan aset kelolaan: none.
    managed: list[Row] = [("Aset kelolaan", "", "Tidak ada aset kelolaan (dana bergulir, aset "
                           "tetap): seluruh dana disimpan dalam kas dan setara kas", None, None)]

    # Laporan arus kas (metode langsung).
    section = "Arus kas dari aktivitas operasi"
    flows: list[Row] = []

    def flow(line: str, get: Callable[[ZisFigures], int]) -> None:
        flows.append((section, "", line, get(now), get(before)))

    flow("Penerimaan zakat", lambda f: f.gross(Fund.ZAKAT))
    flow("Penerimaan infak/sedekah", lambda f: f.gross(Fund.INFAQ))
    flow("Penerimaan dana amil lainnya", lambda f: f.amil_other())
    flow("Penerimaan dana nonhalal", lambda f: f.received[Fund.NON_HALAL])
    flow("Penyaluran zakat", lambda f: -f.out(Fund.ZAKAT))
    flow("Penyaluran infak/sedekah", lambda f: -f.out(Fund.INFAQ))
    flow("Penggunaan dana amil", lambda f: -f.out(Fund.AMIL))
    flow("Penyaluran dana nonhalal", lambda f: -f.out(Fund.NON_HALAL))

    def change(f: ZisFigures) -> int:
        return sum(f.cash_closing.values()) - sum(f.cash_opening.values())

    def other(f: ZisFigures) -> int:
        return change(f) - sum(f.gross(x) for x in (Fund.ZAKAT, Fund.INFAQ)) - f.amil_other() \
            - f.received[Fund.NON_HALAL] + sum(f.out(x) for x, _k, _t in PSAK_FUNDS)

    if other(now) or other(before):
        flow("Mutasi lain", other)
    flow("Kas bersih dari aktivitas operasi", change)
    flows.append(("Arus kas dari aktivitas investasi", "", "Kas bersih dari aktivitas "
                  "investasi", 0, 0))
    flows.append(("Arus kas dari aktivitas pendanaan", "", "Kas bersih dari aktivitas "
                  "pendanaan", 0, 0))
    section = ""
    flow("Kenaikan (penurunan) kas dan setara kas", change)
    flow("Kas dan setara kas awal periode", lambda f: sum(f.cash_opening.values()))
    flow("Kas dan setara kas akhir periode", lambda f: sum(f.cash_closing.values()))

    # Catatan: the minimum disclosures.
    zakat_gross, infaq_gross = now.gross(Fund.ZAKAT), now.gross(Fund.INFAQ)
    per_asnaf = "; ".join(
        f"{ASNAF_NAMES[a]} {Money(now.distributed.get((Fund.ZAKAT, a), 0), currency).format()}"
        for a in Asnaf if now.distributed.get((Fund.ZAKAT, a)))
    notes = [
        ("Kebijakan penyaluran zakat",
         "Zakat disalurkan hanya kepada delapan asnaf (QS At-Taubah 60); setiap penyaluran "
         "mencatat asnaf dan mustahiknya dan tidak melebihi saldo dana zakat. Infak/sedekah "
         "disalurkan kepada mustahik dengan atau tanpa asnaf."),
        ("Kebijakan bagian amil",
         f"Bagian amil diambil pada saat penerimaan, paling tinggi "
         f"{_decimal(AMIL_SHARE_MAX[Fund.ZAKAT])} % dari zakat dan "
         f"{_decimal(AMIL_SHARE_MAX[Fund.INFAQ])} % dari "
         f"infak/sedekah, dibulatkan setengah ke atas ke rupiah. Periode ini: "
         f"{_percent(now.amil_from.get(Fund.ZAKAT, 0), zakat_gross)} dari penerimaan zakat, "
         f"{_percent(now.amil_from.get(Fund.INFAQ, 0), infaq_gross)} dari penerimaan "
         "infak/sedekah."),
        ("Rincian penyaluran zakat per asnaf", per_asnaf or "Tidak ada penyaluran zakat."),
        ("Aset kelolaan",
         "Tidak ada dana zakat atau infak/sedekah yang disalurkan dalam bentuk aset kelolaan."),
        ("Dana nonhalal",
         f"Penerimaan nonhalal (bunga dan jasa giro bank) "
         f"{Money(now.received[Fund.NON_HALAL], currency).format()}, disalurkan "
         f"{Money(now.out(Fund.NON_HALAL), currency).format()}. Bunga tidak pernah diakui "
         "sebagai pendapatan: jurnal yang menyentuh rekening syariah dan rekening bunga "
         "ditolak, dan bunga yang diterima dicatat ke dana nonhalal, yang hanya disalurkan "
         "untuk kegiatan sosial."),
        ("Kinerja amil",
         f"Penyaluran dibandingkan penerimaan setelah bagian amil: zakat "
         f"{_percent(now.out(Fund.ZAKAT), now.received[Fund.ZAKAT])}, infak/sedekah "
         f"{_percent(now.out(Fund.INFAQ), now.received[Fund.INFAQ])}."),
        ("Pihak berelasi",
         "Penyaluran kepada pihak berelasi tidak ditandai tersendiri dalam catatan penyaluran; "
         "mustahik dan tujuan penyaluran tercatat pada setiap penyaluran."),
    ]
    return Document(
        ctx.settings.cooperative_name, "Laporan Keuangan Dana Zakat, Infak/Sedekah (PSAK 409)",
        first, last, previous_first, previous_last, currency,
        [Statement("financial_position", "Laporan Posisi Keuangan", position),
         Statement("changes_in_funds", "Laporan Perubahan Dana", changes),
         Statement("changes_in_managed_assets", "Laporan Perubahan Aset Kelolaan", managed),
         Statement("cash_flows", "Laporan Arus Kas", flows)],
        notes)


def zis_statements(ctx: Context, data: StatementsIn) -> StatementsOut:
    """The amil's statements per PSAK 409 for a period, with the preceding period of the same
    length: financial position, changes in funds (zakat, infak/sedekah, amil, nonhalal),
    changes in assets under management, cash flows and the notes' minimum disclosures; as
    data (json) or a CSV or printable HTML document. On the CLI: ``kopcore sharia
    zis-statements --from-date 2026-01-01 --to-date 2026-12-31 --format html --output
    zis.html``."""
    return statements_out(zis_document(ctx, *periods(ctx, data)), data.format)


OPERATIONS: Sequence[Operation] = (
    Operation("sharia.zis-statements", StatementsIn, StatementsOut, zis_statements,
              permission=chart.REPORTS, mutates=False,
              summary="PSAK 409 statements of the zakat, infak/sedekah, amil and non-halal "
                      "funds", errors=(ValidationError,), document_field="document"),
)
