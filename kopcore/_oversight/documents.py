"""The RAT statements as CSV and as a printable, self-contained HTML document.

Both are built from the same :class:`~kopcore._oversight.statements.RatStatements` as the JSON.
CSV: one row per line, columns ``statement, section, code, line, <year>, <year - 1>``, amounts
as canonical decimal strings (``1500000.00``). HTML: inline CSS only, no script, no image or
font fetched from anywhere; amounts in the Indonesian format (``Rp1.500.000,00``), negative
amounts in parentheses as accountants print them.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterator

from kopcore._oversight.statements import EquityMovement, RatStatements, Section
from kopcore.money import Money
from kopcore.views import PRINT_STYLE as STYLE

Row = tuple[str, str, str, str, int | None, int | None]


def statement_rows(s: RatStatements) -> Iterator[tuple[str, str, list[Row]]]:
    """``(statement key, title, rows)``; a row is (section, code, line, current, previous)
    with a leading statement key; ``None`` amounts mark headings."""
    fp = s.financial_position
    rows: list[Row] = []
    for section in (fp.assets, fp.liabilities, *fp.between, fp.equity):
        rows += _section_rows("financial_position", section, "Jumlah ")
    rows.append(("financial_position", fp.equity.title, fp.current_surplus.code,
                 fp.current_surplus.name, fp.current_surplus.current,
                 fp.current_surplus.previous))
    total = fp.liabilities_and_equity
    between = "".join(f", {x.title.lower()}" for x in fp.between)
    rows.append(("financial_position", "", "", f"Jumlah liabilitas{between} dan ekuitas",
                 *total))
    yield "financial_position", "Laporan Posisi Keuangan", rows

    op = s.operating_results
    rows = []
    for section in (op.member_income, op.member_expenses):
        rows += _section_rows("operating_results", section, "Jumlah ")
    rows.append(("operating_results", "", "", "SHU usaha dengan anggota", *op.member_surplus))
    for section in (op.non_member_income, op.other_expenses):
        rows += _section_rows("operating_results", section, "Jumlah ")
    rows.append(("operating_results", "", "", "Sisa hasil usaha (SHU)", *op.surplus))
    yield "operating_results", "Laporan Hasil Usaha", rows

    ce = s.changes_in_equity
    rows = []
    for title, movements, surplus in (
            (f"Tahun {s.year}", ce.current, ce.surplus_current),
            (f"Tahun {s.year - 1}", ce.previous, ce.surplus_previous)):
        for m in [*movements, surplus]:
            rows += _movement_rows(title, m)
        lines = [*movements, surplus]
        rows.append(("changes_in_equity", title, "", "Jumlah ekuitas awal tahun",
                     sum(m.opening for m in lines), None))
        rows.append(("changes_in_equity", title, "", "Jumlah ekuitas akhir tahun",
                     sum(m.closing for m in lines), None))
    yield "changes_in_equity", "Laporan Perubahan Ekuitas", rows

    cf = s.cash_flows
    rows = []
    for section in cf.activities:
        rows += _section_rows("cash_flows", section, "Kas bersih - ")
    rows.append(("cash_flows", "", "", "Kenaikan (penurunan) kas bersih", *cf.net_change))
    for line in (cf.opening_cash, cf.closing_cash):
        rows.append(("cash_flows", "", line.code, line.name, line.current, line.previous))
    yield "cash_flows", "Laporan Arus Kas", rows


def _section_rows(statement: str, section: Section, total_prefix: str) -> list[Row]:
    rows: list[Row] = [(statement, section.title, line.code, line.name, line.current,
                        line.previous) for line in section.lines]
    rows.append((statement, section.title, "", total_prefix + section.title.lower(),
                 section.current, section.previous))
    return rows


def _movement_rows(title: str, m: EquityMovement) -> list[Row]:
    """Changes in equity, per account: opening, increases, decreases, closing (one column)."""
    name = m.name
    return [("changes_in_equity", title, m.code, f"{name} - saldo awal", m.opening, None),
            ("changes_in_equity", title, m.code, f"{name} - penambahan", m.increases, None),
            ("changes_in_equity", title, m.code, f"{name} - pengurangan", -m.decreases, None),
            ("changes_in_equity", title, m.code, f"{name} - saldo akhir", m.closing, None)]


def to_csv(s: RatStatements) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["statement", "section", "code", "line", str(s.year), str(s.year - 1)])
    for _key, _title, rows in statement_rows(s):
        for statement, section, code, name, current, previous in rows:
            writer.writerow([statement, section, code, name, _plain(current, s.currency),
                             _plain(previous, s.currency)])
    return out.getvalue()


def _plain(minor: int | None, currency: str) -> str:
    return "" if minor is None else Money(minor, currency).to_str()


def _shown(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    text = Money(abs(minor), currency).format()
    return f"({text})" if minor < 0 else text


def to_html(s: RatStatements) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="id"><head><meta charset="utf-8">',
        f"<title>{e(s.cooperative)} - Laporan Keuangan {s.year}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{e(s.cooperative)}</h1>",
        f'<p class="sub">Laporan keuangan untuk Rapat Anggota Tahunan, tahun buku {s.year} '
        f"(pembanding {s.year - 1}); jumlah dalam {e(s.currency)}.</p>",
    ]
    for key, title, rows in statement_rows(s):
        two_years = key != "changes_in_equity"
        parts.append(f'<section id="{key}"><h2>{e(title)}</h2><table>')
        if two_years:
            head = (f'<tr><th>Kode</th><th>Uraian</th><th class="amount">{s.year}</th>'
                    f'<th class="amount">{s.year - 1}</th></tr>')
        else:
            head = '<tr><th>Kode</th><th>Uraian</th><th class="amount">Jumlah</th></tr>'
        parts.append(head)
        current_section = None
        for _statement, section, code, name, current, previous in rows:
            if section and section != current_section:
                current_section = section
                span = 4 if two_years else 3
                parts.append(f'<tr class="section"><td colspan="{span}">{e(section)}</td></tr>')
            total = not code and name.startswith(("Jumlah", "Kas bersih", "SHU", "Sisa",
                                                  "Kenaikan"))
            css = ' class="total"' if total else ""
            cells = (f"<td>{e(code)}</td><td>{e(name)}</td>"
                     f'<td class="amount">{_shown(current, s.currency)}</td>')
            if two_years:
                cells += f'<td class="amount">{_shown(previous, s.currency)}</td>'
            parts.append(f"<tr{css}>{cells}</tr>")
        parts.append("</table></section>")
    parts.append(
        '<p class="sub">Usaha dengan anggota: pendapatan dan beban dalam jurnal yang menyentuh '
        "rekening milik anggota (simpanan, pinjaman); selebihnya usaha dengan non-anggota dan "
        "beban umum.</p></body></html>")
    return "\n".join(parts)

