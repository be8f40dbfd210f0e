"""Trend charts: savings, loans, members, NPL and the health score at month ends.

Each point is computed from the ledger as of that date (and the plugins' health figures), the
same way as ``health.assess``. The page is one self-contained HTML file with inline SVG line
charts: no script, no external font or stylesheet, nothing fetched, so it opens offline and
prints. Coordinates are computed with exact fractions and rounded to whole pixels.
"""

from __future__ import annotations

import html
from calendar import monthrange
from collections.abc import Callable, Sequence
from datetime import date
from fractions import Fraction

import attrs

from kopcore._oversight.assessment import NON_PERFORMING, OUTSTANDING, assess
from kopcore._oversight.scoring import Regime, percent_text
from kopcore.context import Context
from kopcore.money import Money, exponent


@attrs.frozen
class TrendPoint:
    day: date
    savings: int
    loans: int | None
    members: int
    npl: Fraction | None  # percent
    score: Fraction | None
    category: str | None


def month_ends(until: date, months: int) -> list[date]:
    """The last ``months`` month ends on or before ``until``, and ``until`` itself when it is
    not a month end (the month in progress), oldest first."""
    days: list[date] = []
    year, month = until.year, until.month
    if until.day != monthrange(year, month)[1]:
        days.append(until)
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    wanted = months + len(days)
    while len(days) < wanted:
        days.append(date(year, month, monthrange(year, month)[1]))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(days)


def trend_points(ctx: Context, regime: Regime, days: Sequence[date], currency: str
                 ) -> list[TrendPoint]:
    points = []
    for day in days:
        a = assess(ctx, regime, day, currency)
        f = a.figures
        loans, bad = f.value(OUTSTANDING), f.value(NON_PERFORMING)
        npl = Fraction(bad * 100, loans) if loans and bad is not None else None
        points.append(TrendPoint(day, f.savings, loans, f.members, npl, a.score, a.category))
    return points


WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 120, 16, 16, 40


def _px(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def line_chart(title: str, days: Sequence[date], values: Sequence[Fraction | None],
               label: Callable[[Fraction], str], colour: str) -> str:
    """One SVG line chart; missing values (``None``) leave a gap and are listed as n/a."""
    e = html.escape
    known = [v for v in values if v is not None]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{e(title)}">',
             f"<title>{e(title)}</title>",
             f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>']
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if not known:
        parts.append(f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" '
                     'font-size="13" fill="#777">not available</text></svg>')
        return "".join(parts)
    low, high = min(Fraction(0), *known), max(Fraction(0), *known)
    if high == low:
        high = low + 1

    def x(index: int) -> int:
        if len(days) == 1:
            return LEFT + plot_w // 2
        return _px(LEFT + Fraction(plot_w * index, len(days) - 1))

    def y(value: Fraction) -> int:
        return _px(TOP + plot_h - (value - low) * plot_h / (high - low))

    for step in range(5):
        tick = low + (high - low) * step / 4
        ty = y(tick)
        parts.append(f'<line x1="{LEFT}" y1="{ty}" x2="{WIDTH - RIGHT}" y2="{ty}" '
                     'stroke="#e3e3e3"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{ty + 4}" text-anchor="end" font-size="11" '
                     f'fill="#555">{e(label(tick))}</text>')
    for index, day in enumerate(days):
        parts.append(f'<text x="{x(index)}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                     f'font-size="10" fill="#555">{day.isoformat()[:7]}</text>')
    runs: list[list[tuple[int, int]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((x(index), y(value)))
    for run in runs:
        if len(run) > 1:
            path = " ".join(f"{px},{py}" for px, py in run)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                         'stroke-width="2"/>')
        for px, py in run:
            parts.append(f'<circle cx="{px}" cy="{py}" r="3" fill="{colour}"/>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
                 f'y2="{TOP + plot_h}" stroke="#888"/></svg>')
    return "".join(parts)


def _money_label(currency: str) -> Callable[[Fraction], str]:
    """Axis labels in whole units of the currency (``Rp1.650.000``): the fraction digits of
    a rounded tick only take room."""
    unit = 10 ** exponent(currency)

    def label(value: Fraction) -> str:
        text = Money(_px(value / unit) * unit, currency).format()
        return text.rsplit(",", 1)[0] if unit > 1 else text
    return label


def _count_label(value: Fraction) -> str:
    return str(_px(value))


def _percent_label(value: Fraction) -> str:
    return percent_text(value, 1) + " %"


def trends_page(cooperative: str, currency: str, regime: Regime, points: Sequence[TrendPoint]
                ) -> str:
    e = html.escape
    days = [p.day for p in points]

    def money(values: Sequence[int | None]) -> list[Fraction | None]:
        return [None if v is None else Fraction(v) for v in values]

    charts = [
        ("Simpanan anggota", line_chart("Simpanan anggota", days,
                                        money([p.savings for p in points]),
                                        _money_label(currency), "#1f6fb2")),
        ("Pinjaman beredar", line_chart("Pinjaman beredar", days,
                                        money([p.loans for p in points]),
                                        _money_label(currency), "#b25f1f")),
        ("Anggota aktif", line_chart("Anggota aktif", days,
                                     [Fraction(p.members) for p in points],
                                     _count_label, "#2e8b57")),
        ("NPL (%)", line_chart("NPL (%)", days, [p.npl for p in points], _percent_label,
                               "#c0392b")),
        (f"Skor kesehatan ({regime.code})",
         line_chart("Skor kesehatan", days, [p.score for p in points], _percent_label,
                    "#6c3483")),
    ]
    rows = "".join(
        f"<tr><td>{p.day.isoformat()}</td>"
        f'<td class="n">{Money(p.savings, currency).format()}</td>'
        f'<td class="n">{"n/a" if p.loans is None else Money(p.loans, currency).format()}</td>'
        f'<td class="n">{p.members}</td>'
        f'<td class="n">{"n/a" if p.npl is None else percent_text(p.npl)}</td>'
        f'<td class="n">{"n/a" if p.score is None else percent_text(p.score)}</td>'
        f"<td>{e(p.category or 'n/a')}</td></tr>"
        for p in points)
    figures = "".join(f"<figure><figcaption>{e(name)}</figcaption>{svg}</figure>"
                      for name, svg in charts)
    return (
        '<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8">'
        f"<title>{e(cooperative)} - Tren</title><style>"
        "body{font-family:Arial,sans-serif;margin:2em;color:#111}"
        "figure{display:inline-block;margin:0 1em 1.5em 0}"
        "figcaption{font-weight:bold;margin-bottom:.3em}"
        "table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd}"
        "td.n{text-align:right;white-space:nowrap}th{background:#f2f2f2;text-align:left}"
        "</style></head><body>"
        f"<h1>{e(cooperative)}: tren bulanan</h1>"
        f"<p>Posisi akhir bulan dari buku besar; skor kesehatan menurut {e(regime.name)}.</p>"
        f"{figures}<h2>Angka</h2><table><tr><th>Tanggal</th><th>Simpanan</th>"
        "<th>Pinjaman</th><th>Anggota</th><th>NPL %</th><th>Skor</th><th>Kategori</th></tr>"
        f"{rows}</table></body></html>"
    )
