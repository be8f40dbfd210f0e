"""Statements for the RAT over two financial years, checked against a hand computation.

The cooperative opens on 2025-12-29, so 2025 is the comparative year and 2026 the year reported.
Amounts are posted through the operations (savings, loans, manual entries) and every expected
figure below is derived from them by hand: the member/non-member split (income in entries that
touch a member's account is member business), changes in equity and the cash flows (each cash
entry attributed to its other lines) — see docs/oversight.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kopcore import eod
from kopcore.errors import ValidationError
from kopcore.kernel import Kernel
from kopcore.settings import Settings
from tests import interfaces_support as support
from tests.books_support import SavingsAndWeeklyLoans
from tests.interfaces_support import Env

pytest.importorskip("kopcore_loans")
pytest.importorskip("kopcore_savings")

env = support.env

OPENED = date(2025, 12, 29)
CAPITAL = 50_000_000
POKOK = 100_000
SUKARELA = 2_000_000
LOAN = 2_600_000  # weekly, 26 weeks, flat 18 %: 100,000 principal + 9,000 interest a week
PRINCIPAL, INTEREST = 100_000, 9_000
BANK_INTEREST = 50_000  # 2025, no member involved
EQUIPMENT = 1_000_000  # 2025, fixed assets
SALARIES = 150_000  # 2026
PPAP_2025 = LOAN * 5 // 1000  # 0.5 % of the loan, booked by end of day on 2025-12-29


class TwoYears(SavingsAndWeeklyLoans):
    """Two members; a weekly loan to the first, disbursed in cash; equipment and bank interest
    in 2025; the first installment and salaries in 2026."""

    def __init__(self, kernel: Kernel) -> None:
        super().__init__(kernel, capital=CAPITAL, pokok=POKOK)
        self.borrower = self.member("Ni Luh Ayu")
        saver = self.member("Made Wirawan")
        for member in (self.borrower, saver):
            self.deposit(member, "POKOK", POKOK)
        self.deposit(saver, "SUKARELA", SUKARELA)
        self.loan = str(self.call("loans.apply", as_user="teller", member=self.borrower,
                                  product="MINGGUAN", amount=str(LOAN), term=26)["number"])
        self.call("loans.approve", as_user="manager", loan=self.loan)
        self.call("loans.disburse", as_user="teller", loan=self.loan, to_savings=False,
                  cash_account=self.CASH)
        self.close_day()
        self.manual("Jasa giro bank", self.CASH, "GL-income.other", BANK_INTEREST)
        self.manual("Pembelian komputer", "GL-fixed_assets", self.CASH, EQUIPMENT)
        # To 2026-01-05: the first installment falls due and is paid; salaries are paid.
        eod.run_end_of_day(self.kernel, until=date(2026, 1, 5))
        self.call("loans.repay", as_user="teller", loan=self.loan,
                  amount=str(PRINCIPAL + INTEREST), cash_account=self.CASH)
        self.manual("Gaji karyawan", "GL-expense.staff", self.CASH, SALARIES)

    def deposit(self, member: str, product: str, amount: int) -> None:
        account = self.call("savings.open", as_user="teller", member=member,
                            product=product)["account"]["number"]
        self.call("savings.deposit", as_user="teller", account=account, amount=str(amount),
                  cash_account=self.CASH)

    def manual(self, memo: str, debit: str, credit: str, amount: int) -> None:
        self.call("entries.post", memo=memo, lines=[
            {"account": debit, "side": "debit", "amount": str(amount)},
            {"account": credit, "side": "credit", "amount": str(amount)}])

    def close_day(self) -> None:
        day = self.kernel.read("system", lambda ctx: ctx.business_date)
        eod.run_end_of_day(self.kernel, until=day + timedelta(days=1))


@pytest.fixture
def two_years(database_url: str) -> Iterator[TwoYears]:
    kernel = Kernel.start(Settings(database_url=database_url, plugins=("loans", "savings"),
                                   cooperative_name="KSP Sejahtera"),
                          migrate=True, initial_date=OPENED)
    try:
        yield TwoYears(kernel)
    finally:
        kernel.close()


def rp(value: dict[str, str]) -> int:
    """A Money payload in whole rupiah (every amount here is whole)."""
    amount = Decimal(value["amount"])
    assert amount == amount.to_integral_value()
    return int(amount)


def by_code(section: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {line["code"]: (rp(line["current"]), rp(line["previous"]))
            for line in section["lines"]}


def test_statements_for_the_rat_match_a_hand_computation(two_years: TwoYears) -> None:
    coop = two_years
    rat = coop.call("statements.rat", as_user="auditor", year=2026)
    assert rat["year"] == 2026
    assert rat["document"] is None

    # Statement of financial position, 31 Dec 2026 (year to date) and 31 Dec 2025.
    cash_2025 = CAPITAL + 2 * POKOK + SUKARELA - LOAN + BANK_INTEREST - EQUIPMENT
    cash_2026 = cash_2025 + PRINCIPAL + INTEREST - SALARIES
    fp = rat["financial_position"]
    assert by_code(fp["assets"]) == {
        "1101": (cash_2026, cash_2025),
        "1141": (LOAN - PRINCIPAL, LOAN),
        "1149": (-PPAP_2025, -PPAP_2025),
        "1301": (EQUIPMENT, EQUIPMENT),
    }
    assets = (cash_2026 + LOAN - PRINCIPAL - PPAP_2025 + EQUIPMENT,
              cash_2025 + LOAN - PPAP_2025 + EQUIPMENT)
    assert (rp(fp["assets"]["total_current"]), rp(fp["assets"]["total_previous"])) == assets
    assert by_code(fp["liabilities"]) == {"2111": (SUKARELA, SUKARELA)}
    assert by_code(fp["equity"]) == {"3101": (2 * POKOK, 2 * POKOK),
                                     "3103": (CAPITAL, CAPITAL)}
    surplus_2025 = BANK_INTEREST - PPAP_2025
    surplus_2026 = INTEREST - SALARIES
    assert (rp(fp["current_surplus"]["current"]), rp(fp["current_surplus"]["previous"])) == (
        surplus_2025 + surplus_2026, surplus_2025)
    assert (rp(fp["liabilities_and_equity_current"]),
            rp(fp["liabilities_and_equity_previous"])) == assets

    # Operating results: loan interest is member business (the repayment entry posts to the
    # member's loan account); bank interest, salaries and the PPAP entry touch no member.
    op = rat["operating_results"]
    assert by_code(op["member_income"]) == {"4141": (INTEREST, 0)}
    assert by_code(op["non_member_income"]) == {"4901": (0, BANK_INTEREST)}
    assert by_code(op["member_expenses"]) == {}
    assert by_code(op["other_expenses"]) == {"5101": (SALARIES, 0), "5141": (0, PPAP_2025)}
    assert (rp(op["member_surplus_current"]), rp(op["member_surplus_previous"])) == (
        INTEREST, 0)
    assert (rp(op["surplus_current"]), rp(op["surplus_previous"])) == (surplus_2026,
                                                                        surplus_2025)

    # Changes in equity.
    def movements(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int, int, int]]:
        return {r["code"] or "surplus": (rp(r["opening"]), rp(r["increases"]),
                                         rp(r["decreases"]), rp(r["closing"])) for r in rows}

    ce = rat["changes_in_equity"]
    assert movements(ce["current"]) == {
        "3101": (2 * POKOK, 0, 0, 2 * POKOK),
        "3103": (CAPITAL, 0, 0, CAPITAL),
        "surplus": (surplus_2025, 0, -surplus_2026, surplus_2025 + surplus_2026),
    }
    assert movements(ce["previous"]) == {
        "3101": (0, 2 * POKOK, 0, 2 * POKOK),
        "3103": (0, CAPITAL, 0, CAPITAL),
        "surplus": (0, surplus_2025, 0, surplus_2025),
    }

    # Cash flows: every cash entry attributed to its other lines.
    cf = rat["cash_flows"]
    assert by_code(cf["operating"]) == {
        "2111": (0, SUKARELA),
        "1141": (PRINCIPAL, -LOAN),
        "4141": (INTEREST, 0),
        "4901": (0, BANK_INTEREST),
        "5101": (-SALARIES, 0),
    }
    assert by_code(cf["investing"]) == {"1301": (0, -EQUIPMENT)}
    assert by_code(cf["financing"]) == {"3101": (0, 2 * POKOK), "3103": (0, CAPITAL)}
    assert (rp(cf["opening_cash"]["current"]), rp(cf["opening_cash"]["previous"])) == (
        cash_2025, 0)
    assert (rp(cf["closing_cash"]["current"]), rp(cf["closing_cash"]["previous"])) == (
        cash_2026, cash_2025)
    assert (rp(cf["net_change_current"]), rp(cf["net_change_previous"])) == (
        cash_2026 - cash_2025, cash_2025)
    coop.books_balance()

    # The CSV and HTML documents carry the same figures.
    text = coop.call("statements.rat", year=2026, format="csv")["document"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert set(rows[0]) == {"statement", "section", "code", "line", "2026", "2025"}
    assert {r["statement"] for r in rows} == {"financial_position", "operating_results",
                                              "changes_in_equity", "cash_flows"}
    shu = next(r for r in rows if r["line"] == "Sisa hasil usaha (SHU)")
    assert (shu["2026"], shu["2025"]) == (f"{INTEREST - SALARIES}.00",
                                          f"{BANK_INTEREST - PPAP_2025}.00")
    interest = next(r for r in rows if r["statement"] == "operating_results"
                    and r["code"] == "4141")
    assert interest["section"].startswith("Partisipasi anggota")

    page = coop.call("statements.rat", year=2026, format="html")["document"]
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert "KSP Sejahtera" in page
    assert "Laporan Arus Kas" in page
    assert "Rp9.000,00" in page  # member interest income, Indonesian format
    assert "(Rp150.000,00)" in page  # salaries paid out, in parentheses
    for fetched in ("<script", "src=", "href=", "url(", "@import", "http"):
        assert fetched not in page.lower(), fetched

    coop.refused(ValidationError, "statements.rat", year=2027)  # not begun yet


def test_statements_through_the_api_and_the_cli(env: Env) -> None:
    """The document is the same through both interfaces; auditors read it, tellers may not."""
    response = env.call("statements.rat", {"year": 2026, "format": "csv"}, user="auditor")
    assert response.status_code == 200, response.text
    document = response.json()["document"]
    assert document.splitlines()[0] == "statement,section,code,line,2026,2025"
    assert env.call("statements.rat", {"year": 2026}, user="teller").status_code == 403
    result = env.cli_op("statements.rat", {"year": 2026, "format": "csv"}, operator="auditor")
    assert result.json()["document"] == document
    assessed = env.ok("health.assess", {}, user="auditor")
    assert assessed["category"] in ("Sehat", "Cukup Sehat", "Dalam Pengawasan",
                                    "Dalam Pengawasan Khusus")
    assert env.cli_op("health.assess", {}, operator="auditor").json() == assessed


def test_the_cli_writes_the_document_to_a_file(env: Env, tmp_path: Path) -> None:
    target = tmp_path / "rat-2026.csv"
    written = env.cli("statements", "rat", "--year", "2026", "--format", "csv",
                      "--output", str(target), operator="auditor")
    assert written.exit_code == 0, written.stderr
    api = env.ok("statements.rat", {"year": 2026, "format": "csv"}, user="auditor")
    assert target.read_text(encoding="utf-8") == api["document"]
    assert f"written to {target}" in written.stdout
    assert "statement,section,code" not in written.stdout  # not printed as well
    # json has no document: a clear refusal, no file
    empty = tmp_path / "none.csv"
    refused = env.cli("statements", "rat", "--year", "2026", "--output", str(empty),
                      operator="auditor")
    assert refused.exit_code != 0
    assert "no document" in refused.stderr
    assert not empty.exists()

