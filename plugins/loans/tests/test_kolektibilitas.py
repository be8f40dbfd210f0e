"""Kolektibilitas under the KSP regime (Permen KUKM 14/2009 criteria, DOMAIN.md §3) and the
bank-style day count, each rule with a case that tells the two apart."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from kopcore_loans.kolektibilitas import Arrears, classify_ksp, load_regime, months_over
from kopcore_loans.products import CollectibilityClass, classify
from kopcore_loans.tables import loans
from litestar.testing import TestClient
from loans_coop import CASH, LoansCoop

from kopcore.cli import make_cli
from kopcore.errors import Forbidden, ValidationError
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel

KSP = load_regime("ksp-permenkukm-14-2009")
BANK = load_regime("bank-days")
BANK_CLASSES = [CollectibilityClass(c.code, c.name, c.min_days, c.allowance_percent,
                                    c.non_performing) for c in BANK.classes]
DAY = date(2026, 9, 1)


def ksp(frequency: str, principal_days: int | None, interest_days: int | None = None, *,
        debt: int = 100, cover: int = 0, rescuable: bool | None = None,
        doubtful_since: date | None = None, last_paid: date | None = None,
        last_rescued: date | None = None, day: date = DAY) -> str:
    """The KSP class of a loan whose oldest unpaid principal (interest) fell due that many
    days before ``day``; interest arrears default to the principal's."""
    if interest_days is None:
        interest_days = principal_days
    since = [None if d is None else day - timedelta(days=d)
             for d in (principal_days, interest_days)]
    return classify_ksp(KSP, Arrears(frequency, since[0], since[1], debt, cover, rescuable,
                                     doubtful_since, last_paid, last_rescued), day)


def bank(days: int) -> str:
    return classify(BANK_CLASSES, days).code


def test_months_are_calendar_months_after_the_due_date() -> None:
    due = date(2026, 1, 31)
    assert not months_over(due, date(2026, 2, 28), 1)  # one month after 31 January
    assert months_over(due, date(2026, 3, 1), 1)
    assert not months_over(None, DAY, 0)


def test_a_weekly_loan_five_weeks_in_arrears() -> None:
    # More frequent than monthly: principal arrears over 1 month is Kurang Lancar already; by
    # days past due it is 35 days, still Lancar.
    assert ksp("weekly", 35) == "KL"
    assert bank(35) == "L"
    assert ksp("weekly", 28) == "L"
    # Over 2 months of principal arrears is worse than Kurang Lancar: without collateral Macet.
    assert ksp("weekly", 63) == "M"
    assert bank(63) == "L"
    # Interest arrears alone: over 1 up to 3 months.
    assert ksp("weekly", None, 40) == "KL"
    assert ksp("weekly", None, 80) == "KL"
    assert ksp("weekly", None, 95) == "M"


def test_a_monthly_loan_in_arrears_with_and_without_collateral() -> None:
    # Two months: Lancar under both regimes (monthly installments: over 3 months is needed).
    assert ksp("monthly", 61) == ksp("monthly", 61, cover=200) == "L"
    assert bank(61) == "L"
    # Four months: Kurang Lancar; by days (122) already Diragukan.
    assert ksp("monthly", 122) == "KL"
    assert bank(122) == "D"
    # Seven months: worse than Kurang Lancar; the collateral decides, the days do not.
    seven = 214
    assert bank(seven) == "M"
    assert ksp("monthly", seven, cover=100, debt=100) == "D"  # at least 100 % of the debt
    assert ksp("monthly", seven, cover=99, debt=100) == "M"  # not judged rescuable
    assert ksp("monthly", seven, cover=75, debt=100, rescuable=True) == "D"  # 75 %: rescuable
    assert ksp("monthly", seven, cover=74, debt=100, rescuable=True) == "M"
    assert ksp("monthly", seven, cover=80, debt=100, rescuable=False) == "M"
    assert ksp("monthly", seven) == "M"
    # Interest arrears over 3 up to 6 months make a monthly loan Kurang Lancar.
    assert ksp("monthly", 30, 100) == "KL"
    assert ksp("monthly", 30, 190) == "M"


def test_longer_installments_have_longer_bounds() -> None:
    assert ksp("quarterly", 150) == "KL"  # 2- and 3-monthly: the monthly group
    assert ksp("semiannual", 150, 0) == "L"  # 6-monthly: principal over 6 months needed
    assert ksp("semiannual", 250, 0) == "KL"
    assert ksp("semiannual", 400, 0) == "M"


def test_a_daily_loan_is_judged_like_a_weekly_one() -> None:
    assert ksp("daily", 35) == "KL"  # principal over 1 month: by days still Lancar
    assert bank(35) == "L"
    assert ksp("daily", 25) == "L"


def test_a_loan_without_installments() -> None:
    # Not yet due (no principal in arrears): interest arrears over 3 up to 6 months is Kurang
    # Lancar, as for a monthly loan.
    assert ksp("bullet", None, 80) == "L"
    assert ksp("bullet", None, 100) == "KL"
    assert ksp("bullet", None, 190) == "M"
    # Due and unpaid: Kurang Lancar from the day after maturity up to 3 months; by days Lancar.
    assert ksp("bullet", 0, 0) == "L"
    assert ksp("bullet", 1, 1) == "KL"
    assert bank(1) == "L"
    assert ksp("bullet", 80, 80) == "KL"
    # Over 3 months past maturity: the collateral decides.
    assert ksp("bullet", 100, 100) == "M"
    assert ksp("bullet", 100, 100, cover=100, debt=100) == "D"
    assert ksp("monthly", 100, 100) == "KL"  # the same arrears in installments


def test_diragukan_becomes_macet_after_21_months_without_repayment() -> None:
    doubtful = date(2024, 12, 1)  # 21 months before 1 September 2026
    assert ksp("monthly", 700, cover=200, doubtful_since=doubtful) == "M"
    assert ksp("monthly", 700, cover=200, doubtful_since=doubtful + timedelta(days=1)) == "D"
    # A repayment within the 21 months starts the count again.
    assert ksp("monthly", 700, cover=200, doubtful_since=doubtful,
               last_paid=date(2026, 3, 1)) == "D"
    # So does a rescue (a restructuring): DOMAIN.md §3, "no repayment or rescue".
    assert ksp("monthly", 700, cover=200, doubtful_since=doubtful,
               last_rescued=date(2026, 3, 1)) == "D"
    assert ksp("monthly", 700, cover=200, doubtful_since=doubtful,
               last_rescued=date(2024, 11, 30)) == "M"  # before it became Diragukan
    assert ksp("monthly", 700, cover=200, doubtful_since=doubtful,
               last_rescued=date(2025, 6, 1), day=date(2027, 3, 1)) == "M"  # 21 months on


# --- end to end: end of day, the regime setting and the officer's judgement ---------------------


@pytest.fixture
def coop(loans_kernel: Kernel) -> LoansCoop:
    c = LoansCoop(loans_kernel)
    c.product("BULANAN")
    c.product("MINGGUAN", frequency="weekly", annual_rate="26")
    return c


def classes(coop: LoansCoop, *loans: str) -> list[str]:
    return [coop.get(loan)["collectibility"] for loan in loans]


def test_end_of_day_classes_by_the_chosen_regime(coop: LoansCoop) -> None:
    shown = coop.call("loans.regime")
    assert (shown["regime"], shown["kind"]) == ("bank-days", "days")
    coop.refused(ValidationError, "loans.set-regime", regime="ojk-bank")
    with pytest.raises(Forbidden):
        coop.call("loans.set-regime", as_user="teller", regime="ksp-permenkukm-14-2009")
    chosen = coop.call("loans.set-regime", as_user="manager", regime="ksp-permenkukm-14-2009")
    assert [(f["name"], f["principal_current_months"]) for f in chosen["frequencies"]][:2] == [
        ("more frequent than monthly", 1), ("monthly to 3-monthly", 3)]
    assert "14/Per/M.KUKM/XII/2009" in chosen["source"]
    # Under the KSP regime the table keeps the regime's codes.
    coop.refused(ValidationError, "loans.set-classes", classes=[
        {"code": "L", "name": "Lancar", "min_days": 0, "allowance_percent": "1",
         "non_performing": False},
        {"code": "X", "name": "Buruk", "min_days": 90, "allowance_percent": "100",
         "non_performing": True}])

    weekly = coop.loan(coop.member("Mingguan"), product="MINGGUAN")
    covered, judged, bare = (coop.loan(coop.member(name), product="BULANAN")
                             for name in ("Agunan", "Dinilai", "Tanpa"))
    # Flat 18 %: 12,000,000 and 180,000 interest a month. By 6 August seven installments are
    # due (5 February to 5 August): debt 12,000,000 + 7 x 180,000 = 13,260,000.
    coop.call("loans.add-collateral", as_user="teller", loan=covered, kind="SHM tanah",
              description="SHM 1", value="20000000", liquidation_value="13260000",
              binding="hak_tanggungan", binding_ref="SHT 1/2026")
    coop.call("loans.add-collateral", as_user="teller", loan=judged, kind="BPKB mobil",
              description="Avanza 2019", value="15000000", liquidation_value="11000000",
              binding="fidusia", binding_ref="F-2")
    # The weekly loan's first installment fell due on 12 January: five weeks later it is
    # Kurang Lancar under the KSP regime and Lancar by days.
    coop.close_days_until(date(2026, 2, 17))
    assert classes(coop, weekly) == ["KL"]
    coop.call("loans.set-regime", as_user="manager", regime="bank-days")
    coop.close_days_until(date(2026, 2, 18))
    assert classes(coop, weekly) == ["L"]
    coop.call("loans.set-regime", as_user="manager", regime="ksp-permenkukm-14-2009")

    # Two months in arrears (since 5 February): Lancar with and without collateral.
    coop.close_days_until(date(2026, 4, 7))
    assert classes(coop, covered, judged, bare) == ["L", "L", "L"]
    coop.close_days_until(date(2026, 8, 7))
    # Over six months: Diragukan with collateral covering the whole debt, Macet without; 83 %
    # is enough only once an officer judges the loan rescuable.
    assert classes(coop, covered, judged, bare) == ["D", "M", "M"]
    assert coop.get(covered)["allowance"]["amount"] == "6000000.00"  # 50 %
    assert coop.get(bare)["allowance"]["amount"] == "12000000.00"  # 100 %
    coop.refused(ValidationError, "loans.judge", loan=judged, rescuable=True, note=" ")
    with pytest.raises(Forbidden):
        coop.call("loans.judge", as_user="teller", loan=judged, rescuable=True, note="x")
    coop.call("loans.judge", as_user="manager", loan=judged, rescuable=True,
              note="usaha masih berjalan, sanggup mengangsur (BA 4/2026)")
    coop.close_days_until(date(2026, 8, 8))
    assert classes(coop, covered, judged, bare) == ["D", "D", "M"]
    shown = coop.get(judged)
    assert (shown["rescuable"], shown["judged_by"]) == (True, "manager")
    assert shown["doubtful_since"] == "2026-08-07"
    # The same books by days past due (over 180): all Macet.
    coop.call("loans.set-regime", as_user="manager", regime="bank-days")
    coop.close_days_until(date(2026, 8, 9))
    assert classes(coop, covered, judged, bare) == ["M", "M", "M"]
    coop.books_balance()


def test_a_restructuring_restarts_the_21_months_to_macet(coop: LoansCoop) -> None:
    coop.call("loans.set-regime", as_user="manager", regime="ksp-permenkukm-14-2009")
    rescued, left = (coop.loan(coop.member(name), product="BULANAN")
                     for name in ("Direstrukturisasi", "Dibiarkan"))
    for loan in (rescued, left):
        # Covers the whole debt: 12,000,000 and at most 12 x 180,000 interest in arrears.
        coop.call("loans.add-collateral", as_user="teller", loan=loan, kind="SHM tanah",
                  description=f"SHM {loan}", value="20000000", liquidation_value="15000000",
                  binding="hak_tanggungan", binding_ref=f"SHT {loan}")
    # Nothing paid since the first installment (5 February): over six months of arrears, so
    # Diragukan from the end of day of 6 August.
    coop.close_days_until(date(2026, 8, 7))
    assert classes(coop, rescued, left) == ["D", "D"]
    assert coop.get(rescued)["doubtful_since"] == coop.get(left)["doubtful_since"] == \
        "2026-08-06"
    # Both Diragukan for twenty months: their start is set back to 6 December 2024 rather than
    # running twenty months of end of day.
    coop.kernel.write("admin", lambda ctx: ctx.conn.execute(
        sa.update(loans).where(loans.c.number.in_([rescued, left]))
        .values(doubtful_since=date(2024, 12, 6))))
    coop.close_days_until(date(2026, 8, 8))
    assert classes(coop, rescued, left) == ["D", "D"]
    # The board restructures one of them on 8 August. Its unpaid interest stays owed with its
    # old due dates, so it stays Diragukan, and nothing is repaid afterwards.
    coop.call("loans.restructure", as_user="manager", loan=rescued, term=24,
              note="SK Pengurus 12/2026")
    # 21 months after 6 December 2024: the loan left alone is Macet, the rescued one is not.
    coop.close_days_until(date(2026, 9, 8))
    assert classes(coop, rescued, left) == ["D", "M"]
    # Two months after the restructuring it is still Diragukan: its count runs from 8 August
    # 2026, while the one left alone stays Macet.
    coop.close_days_until(date(2026, 10, 9))
    assert classes(coop, rescued, left) == ["D", "M"]
    assert coop.get(rescued)["doubtful_since"] == "2024-12-06"
    # The loan book of that day (what the health worksheet reads) counts the rescue too.
    book = {x["loan"]: x["collectibility"]
            for x in coop.call("loans.book", as_of="2026-10-08")["items"]}
    assert (book[rescued], book[left]) == ("D", "M")
    coop.books_balance()


def test_a_bullet_loan_unpaid_at_maturity(coop: LoansCoop) -> None:
    coop.call("loans.set-regime", as_user="manager", regime="ksp-permenkukm-14-2009")
    # Rp10,000,000 for three months at 12 %: Rp100,000 interest a month, the principal at
    # maturity (5 April).
    coop.product("SEKALIGUS", method="bullet", annual_rate="12")
    loan = coop.loan(coop.member("Sekaligus"), amount="10000000", term=3, product="SEKALIGUS")
    rows = coop.call("loans.schedule", loan=loan)["installments"]
    assert [(r["due_date"], r["principal"]["amount"], r["interest"]["amount"]) for r in rows] == [
        ("2026-02-05", "0.00", "100000.00"), ("2026-03-05", "0.00", "100000.00"),
        ("2026-04-05", "10000000.00", "100000.00")]
    for month in (2, 3, 4):  # the interest paid on each due date, the principal not
        coop.close_days_until(date(2026, month, 5))
        coop.call("loans.repay", as_user="teller", loan=loan, amount="100000",
                  cash_account=CASH)
    coop.close_days_until(date(2026, 4, 6))
    assert classes(coop, loan) == ["L"]
    # A day past maturity unpaid: Kurang Lancar; by days past due (1) Lancar.
    coop.close_days_until(date(2026, 4, 7))
    assert classes(coop, loan) == ["KL"]
    coop.call("loans.set-regime", as_user="manager", regime="bank-days")
    coop.close_days_until(date(2026, 4, 8))
    assert classes(coop, loan) == ["L"]
    coop.call("loans.repay", as_user="teller", loan=loan, amount="10000000", cash_account=CASH)
    assert coop.get(loan)["status"] == "closed"
    coop.books_balance()


def test_daily_and_bullet_products_through_the_cli_and_the_api(coop: LoansCoop) -> None:
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)

    def run(*args: str) -> dict[str, Any]:
        result = CliRunner().invoke(cli, ["--operator", "manager", *args, "--json"])
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output))

    run("loans", "product-create", "--code=HARIAN", "--name=Pinjaman Harian", "--method=flat",
        "--frequency=daily", "--annual-rate=36.5", "--min-amount=100000",
        "--max-amount=5000000", "--min-term=10", "--max-term=60")
    daily = run("loans", "simulate", "--product=HARIAN", "--amount=3000000", "--term=30")
    assert {(x["principal"]["amount"], x["interest"]["amount"])
            for x in daily["installments"]} == {("100000.00", "3000.00")}
    refused = CliRunner().invoke(cli, ["--operator", "manager", "loans", "product-create",
                                       "--code=X", "--name=X", "--method=flat",
                                       "--frequency=fortnightly", "--annual-rate=1",
                                       "--min-amount=1", "--max-amount=2", "--min-term=1",
                                       "--max-term=2"])
    assert refused.exit_code != 0
    assert "fortnightly" in refused.output
    with TestClient(make_app(coop.kernel)) as client:
        headers = {"Authorization": f"Bearer {coop.api_key('manager')}"}
        made = client.post("/api/v1/loans/product-create", headers=headers, json={
            "code": "TAHUNAN", "name": "Pinjaman Musiman", "method": "bullet",
            "frequency": "semiannual", "annual_rate": "12", "min_amount": "1000000",
            "max_amount": "50000000", "min_term": 1, "max_term": 4})
        assert made.status_code == 200, made.text
        simulated = client.get("/api/v1/loans/simulate", headers=headers, params={
            "product": "TAHUNAN", "amount": "10000000", "term": "2"}).json()
        assert [(x["due_date"][5:], x["installment"]["amount"])
                for x in simulated["installments"]][1][1] == "10600000.00"


def test_an_interest_free_bullet_loan_closes_when_repaid(coop: LoansCoop) -> None:
    # Its interest periods ask for nothing and are settled from the start; repaying the
    # principal closes the loan.
    coop.product("TANPAJASA", method="bullet", annual_rate="0")
    loan = coop.loan(coop.member("Tanpa Jasa"), amount="1000000", term=6, product="TANPAJASA")
    coop.call("loans.repay", as_user="teller", loan=loan, amount="1000000", cash_account=CASH)
    assert coop.get(loan)["status"] == "closed"
    rows = coop.call("loans.schedule", loan=loan)["installments"]
    assert {r["status"] for r in rows} == {"paid"}
