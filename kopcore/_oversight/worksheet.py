"""The examiner's worksheet (kertas kerja penilaian kesehatan), filled, as printable HTML.

One table per aspect: each indicator's numerator and denominator with the GL accounts or
figures they are made of, the value, the band it fell in, the score, the weight and the weighted
points, then the aspect's total; at the end the total score and the category. Self-contained:
inline CSS, no script, nothing fetched; amounts in the Indonesian format.
"""

from __future__ import annotations

import html
from fractions import Fraction

from kopcore._i18n import format_date, format_decimal_text
from kopcore._oversight.assessment import Assessment, IndicatorResult
from kopcore._oversight.documents import _shown
from kopcore._oversight.ratios import Part
from kopcore._oversight.scoring import band_words, percent_text
from kopcore.settings import Settings
from kopcore.views import PRINT_STYLE as STYLE

WORKSHEET_STYLE = STYLE + """
td.parts { font-size: 9pt; color: #333; } span.status { font-size: 8pt; color: #a33; }
p.source { font-size: 8pt; color: #555; margin: 0; }
table.identity td:first-child { width: 30%; }
table.signatures { margin-top: 2em; } table.signatures td { width: 33%; text-align: center;
border: none; vertical-align: top; }
"""


#: How the worksheet names a table's status (the regime files' ``status``).
STATUS_WORDS = {"unverified": "tabel belum diverifikasi", "not-found": "tabel tidak ditemukan"}


def _e(text: object) -> str:
    return html.escape(str(text))


def _number(value: Fraction) -> str:
    """Two decimals, half up, in the Indonesian format (``3.509,12``)."""
    return format_decimal_text(percent_text(value), "id")


def _pct(value: Fraction | None) -> str:
    return "-" if value is None else _number(value) + " %"


def _parts(parts: tuple[Part, ...], currency: str) -> str:
    return "<br>".join(f"{_e(p.label)} <i>[{_e(p.source)}]</i>: {_e(_shown(p.amount, currency))}"
                       for p in parts)


def _row(i: IndicatorResult, currency: str) -> str:
    if i.kind == "ratio":
        parts = (f"<b>Pembilang</b> = {_e(_shown(i.numerator, currency))}<br>"
                 f"{_parts(i.numerator_parts, currency)}<br>"
                 f"<b>Penyebut</b> = {_e(_shown(i.denominator, currency))}<br>"
                 f"{_parts(i.denominator_parts, currency)}")
    else:
        parts = "Kuesioner: " + _e(i.note)
    status = "" if i.status == "verified" else \
        f' <span class="status">[{_e(STATUS_WORDS.get(i.status, i.status))}]</span>'
    note = "" if not i.note or i.kind != "ratio" else f"<br><i>{_e(i.note)}</i>"
    return (f"<tr><td>{_e(i.name)}{status}<p class=\"source\">{_e(i.source)}</p></td>"
            f"<td class=\"parts\">{parts}{note}</td>"
            f"<td class=\"amount\">{_e(_pct(i.value))}</td><td>{_e(band_words(i.band, 'id'))}</td>"
            f"<td class=\"amount\">{'-' if i.score is None else i.score}/{i.max_score}</td>"
            f"<td class=\"amount\">{_e(_number(i.weight))}</td>"
            f"<td class=\"amount\">{_e('-' if i.points is None else _number(i.points))}"
            "</td></tr>")


def _identity(settings: Settings, a: Assessment) -> str:
    """The worksheet's first block, as the official form opens: who is assessed, as of when."""
    rows = (("Nama koperasi", settings.cooperative_name),
            ("Nomor badan hukum", settings.cooperative_legal_number),
            ("Alamat", settings.cooperative_address),
            ("NPWP", settings.cooperative_npwp),
            ("Posisi", format_date(a.as_of, "id")))
    return ("<h2>Identitas koperasi</h2><table class=\"identity\">"
            + "".join(f"<tr><td>{label}</td><td>{_e(value or '-')}</td></tr>"
                      for label, value in rows)
            + "</table>")


#: Who signs the filled worksheet: the cooperative's board and supervisor, and the examiner.
SIGNERS = ("Pengurus", "Pengawas", "Pejabat penilai")


def to_html(a: Assessment, settings: Settings) -> str:
    """The filled worksheet of an assessment as one printable HTML page: the cooperative's
    identity (``settings``), one table per aspect, the result and the signatures."""
    cur = a.currency
    out = ["<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\">",
           f"<title>{_e(a.regime.name)} {a.as_of}</title>",
           f"<style>{WORKSHEET_STYLE}</style></head><body>",
           f"<h1>Kertas kerja penilaian kesehatan: {_e(a.regime.name)}</h1>",
           f"<p class=\"sub\">Posisi {a.as_of.isoformat()}. Sumber: {_e(a.regime.source)}</p>",
           _identity(settings, a)]
    head = ("<tr><th>Rasio / indikator</th><th>Komponen perhitungan</th>"
            "<th class=\"amount\">Rasio</th><th>Rentang</th><th class=\"amount\">Nilai</th>"
            "<th class=\"amount\">Bobot</th><th class=\"amount\">Skor</th></tr>")
    for aspect in a.aspects:
        out.append(f"<h2>{_e(aspect.name)}</h2><table>{head}")
        out += [_row(i, cur) for i in a.indicators if i.aspect == aspect.name]
        out.append(f"<tr class=\"total\"><td colspan=\"5\">Jumlah {_e(aspect.name)}</td>"
                   f"<td class=\"amount\">{_e(_number(aspect.weight))}</td>"
                   f"<td class=\"amount\">{_e(_number(aspect.points))}</td></tr></table>")
    total_weight = sum((i.weight for i in a.indicators if i.assessed), Fraction(0))
    out.append("<h2>Hasil</h2><table>"
               f"<tr><td>Jumlah skor (dari bobot yang dinilai {_e(_number(total_weight))})"
               f"</td><td class=\"amount\">"
               f"{_e(format_decimal_text(a.score_text, 'id') if a.score_text else '-')}</td></tr>"
               f"<tr class=\"total\"><td>Predikat</td><td>{_e(a.category or '-')}</td></tr>"
               "</table>")
    if not a.complete:
        out.append("<p>Penilaian sementara: indikator yang belum dapat dinilai tidak dihitung "
                   "(lihat catatan tiap indikator).</p>")
    out.append("<table class=\"signatures\"><tr>"
               + "".join(f"<td>{who}<br><br><br><br>(....................)</td>"
                         for who in SIGNERS) + "</tr></table>")
    out.append("</body></html>")
    return "".join(out)
