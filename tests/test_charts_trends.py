"""Trend charts: month-end figures from the ledger and a self-contained SVG page."""

from __future__ import annotations

import re
from datetime import date
from xml.etree import ElementTree

import pytest

from kopcore._oversight.charts import month_ends
from kopcore.errors import Forbidden, ValidationError
from tests.test_statements_rat import (
    BANK_INTEREST,
    CAPITAL,
    EQUIPMENT,
    LOAN,
    POKOK,
    PPAP_2025,
    PRINCIPAL,
    SUKARELA,
    TwoYears,
    rp,
    two_years,
)

__all__ = ["two_years"]


def test_month_ends_end_with_the_month_in_progress() -> None:
    assert month_ends(date(2026, 3, 15), 3) == [date(2025, 12, 31), date(2026, 1, 31),
                                                date(2026, 2, 28), date(2026, 3, 15)]
    assert month_ends(date(2024, 2, 29), 2) == [date(2024, 1, 31), date(2024, 2, 29)]


def test_trends_show_ledger_figures_at_month_ends_as_svg_charts(two_years: TwoYears) -> None:
    coop = two_years
    trends = coop.call("charts.trends", as_user="auditor", months=2)
    points = {p["date"]: p for p in trends["points"]}
    assert list(points) == ["2025-11-30", "2025-12-31", "2026-01-05"]

    before = points["2025-11-30"]  # before the cooperative opened
    assert rp(before["member_savings"]) == 0
    assert before["active_members"] == 0
    assert before["npl_percent"] is None
    assert before["health_score"] is None

    year_end = points["2025-12-31"]
    assert rp(year_end["member_savings"]) == 2 * POKOK + SUKARELA
    assert rp(year_end["loans_outstanding"]) == LOAN
    assert year_end["active_members"] == 2
    assert year_end["npl_percent"] == "0.00"
    assessed = coop.call("health.assess", as_of="2025-12-31")
    assert (year_end["health_score"], year_end["category"]) == (assessed["score"],
                                                                assessed["category"])
    # Hand check of one ratio behind the score: equity / assets at the year end.
    cash = CAPITAL + 2 * POKOK + SUKARELA - LOAN + BANK_INTEREST - EQUIPMENT
    assets = cash + LOAN - PPAP_2025 + EQUIPMENT
    equity = CAPITAL + 2 * POKOK + BANK_INTEREST - PPAP_2025
    ratio = next(i for i in assessed["indicators"] if i["key"] == "equity_to_assets")
    assert (rp(ratio["numerator"]), rp(ratio["denominator"])) == (equity, assets)

    assert rp(points["2026-01-05"]["loans_outstanding"]) == LOAN - PRINCIPAL

    page = trends["document"]
    assert page.startswith("<!DOCTYPE html>")
    svgs = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(svgs) == 5
    for svg in svgs:
        ElementTree.fromstring(svg)  # well-formed XML
    assert page.count("<polyline") >= 4  # NPL: only the two points after opening
    # Self-contained: nothing is fetched and nothing runs.
    for fetched in ("<script", "src=", "href=", "url(", "@import"):
        assert fetched not in page.lower(), fetched
    assert re.findall(r"https?://[^\"]+", page) == ["http://www.w3.org/2000/svg"] * 5

    # Managers and auditors read the trends; tellers do not.
    with pytest.raises(Forbidden):
        coop.call("charts.trends", as_user="teller")
    with pytest.raises(ValidationError):
        coop.call("charts.trends", until="2026-02-01")  # after the business date
    with pytest.raises(ValidationError):
        coop.call("charts.trends", months=0)
