"""The collateral cover and the officer's judgement as they were on a past date: a health
assessment dated before a revaluation or a judgement classes the loans as the books stood then
(KSP regime, Permen KUKM 14/2009)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from loans_coop import CASH, LoansCoop

from kopcore.cli import make_cli
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel


@pytest.fixture
def coop(loans_kernel: Kernel) -> LoansCoop:
    c = LoansCoop(loans_kernel)
    c.product("BULANAN")
    c.call("loans.set-regime", as_user="manager", regime="ksp-permenkukm-14-2009")
    return c


def figures(coop: LoansCoop, as_of: date) -> dict[str, int]:
    answers: Any = coop.kernel.read("auditor", lambda ctx: ctx.kernel.plugins.call(
        "kopcore_health_figures", ctx=ctx, as_of=as_of))
    return {f.key: f.value for plugin, found in answers if plugin == "loans" for f in found}


def test_a_past_date_uses_the_cover_and_judgement_recorded_by_then(coop: LoansCoop) -> None:
    """Flat 18 %, disbursed 5 January, nothing repaid. On 6 August seven installments are due:
    the debt of a Rp12,000,000 loan is 12,000,000 + 7 x 180,000 = Rp13,260,000 and of a
    Rp10,000,000 loan 10,000,000 + 7 x 150,000 = Rp11,050,000, both over six months in
    arrears. The first is covered 100 % (liquidation Rp13,260,000): Diragukan. The second is
    covered 11,000,000 / 11,050,000 = 99.5 %, not judged: Macet. On 7 August an officer judges
    the second rescuable (Diragukan from 75 %) and the first's collateral is reappraised at a
    liquidation value of Rp5,000,000 (37.7 %): the first becomes Macet, the second Diragukan."""
    covered = coop.loan(coop.member("Agunan"), product="BULANAN")
    judged = coop.loan(coop.member("Dinilai"), amount="10000000", product="BULANAN")
    coop.call("loans.add-collateral", as_user="teller", loan=covered, kind="SHM tanah",
              description="SHM 1", value="20000000", liquidation_value="13260000",
              binding="hak_tanggungan", binding_ref="SHT 1/2026")
    coop.call("loans.add-collateral", as_user="teller", loan=judged, kind="BPKB mobil",
              description="Avanza 2019", value="15000000", liquidation_value="11000000",
              binding="fidusia", binding_ref="F-2")
    coop.close_days_until(date(2026, 8, 7))
    before = figures(coop, date(2026, 8, 6))
    assert (before["loans.doubtful"], before["loans.loss"]) == (1_200_000_000, 1_000_000_000)

    coop.call("loans.judge", as_user="manager", loan=judged, rescuable=True,
              note="usaha masih berjalan (BA 5/2026)")
    land = coop.get(covered)["collateral"][0]
    coop.call("loans.revalue-collateral", as_user="manager", loan=covered,
              collateral=land["id"], value="8000000", liquidation_value="5000000")
    coop.close_days_until(date(2026, 8, 8))
    after = figures(coop, date(2026, 8, 7))
    assert (after["loans.doubtful"], after["loans.loss"]) == (1_000_000_000, 1_200_000_000)
    # The day before is still read as it was, not with today's cover and judgement.
    assert figures(coop, date(2026, 8, 6)) == before
    # Before the collateral was recorded (5 January) nothing was held: no cover then.
    january = figures(coop, date(2026, 1, 5))
    assert january["loans.outstanding"] == 2_200_000_000
    assert (january["loans.doubtful"], january["loans.loss"]) == (0, 0)


def test_risky_loans_are_those_without_adequate_collateral_or_a_guarantor(
        coop: LoansCoop) -> None:
    """Pinjaman diberikan yang berisiko (Perdep 06/2016, from Permen KUKM 14/2009): lent to a
    borrower without adequate collateral or a guarantor. Four loans disbursed 5 January, nothing
    repaid; on 2 February one gets collateral worth its whole principal (Rp12,000,000), one
    collateral a rupiah short of it, one a guarantor and one nothing. On 31 January all four
    (Rp44,000,000) were risky; from 2 February the short one and the bare one are:
    12,000,000 + 10,000,000 = Rp22,000,000, whatever their class."""
    covered = coop.loan(coop.member("Cukup"), product="BULANAN")
    short = coop.loan(coop.member("Kurang"), product="BULANAN")
    guaranteed = coop.loan(coop.member("Dijamin"), amount="10000000", product="BULANAN")
    coop.loan(coop.member("Polos"), amount="10000000", product="BULANAN")
    guarantor = coop.member("Penjamin")
    coop.close_days_until(date(2026, 2, 2))
    coop.call("loans.add-collateral", as_user="teller", loan=covered, kind="SHM tanah",
              description="SHM 9", value="15000000", liquidation_value="12000000",
              binding="hak_tanggungan", binding_ref="SHT 9/2026")
    coop.call("loans.add-collateral", as_user="teller", loan=short, kind="BPKB mobil",
              description="Xenia 2018", value="14000000", liquidation_value="11999999",
              binding="fidusia", binding_ref="F-9")
    coop.call("loans.add-guarantor", as_user="teller", loan=guaranteed, guarantor=guarantor,
              relationship="saudara")
    coop.close_days_until(date(2026, 2, 3))
    before = figures(coop, date(2026, 1, 31))
    assert before["loans.outstanding"] == before["loans.risky"] == 4_400_000_000
    after = figures(coop, date(2026, 2, 2))
    assert after["loans.outstanding"] == 4_400_000_000
    assert after["loans.risky"] == 2_200_000_000
    # The worksheet's ratio of risky loans: 22,000,000 / 44,000,000 = 50 %.
    result = coop.call("health.assess", regime="perdep-06-2016", as_of="2026-02-02")
    ratio = {i["key"]: i for i in result["indicators"]}["risky_loans"]
    assert ratio["value_percent"] == "50.00"


def test_a_past_date_reads_the_arrears_the_loan_book_had_that_day(coop: LoansCoop) -> None:
    """Four Rp12,000,000 loans of 12 monthly installments (Rp1,000,000 principal + Rp180,000
    interest, due on the 5th from February), each paid its own way. On three days the loan
    book's classes (end of day's, KSP regime) are noted; payments keep coming after each. The
    health figures dated on each of those days, read months later, give the classes the loan
    book had then: the interest a member paid is not arrears, principal and interest arrears
    each count from their own oldest unpaid installment, and a payment made after the day
    does not count on it."""
    coop.product("POKOKDULU", allocation_order="penalty,principal,interest")
    interest_only = coop.loan(coop.member("Bunga Saja"), product="BULANAN")
    principal_first = coop.loan(coop.member("Pokok Dulu"), product="POKOKDULU")
    late = coop.loan(coop.member("Terlambat"), product="BULANAN")
    covered = coop.loan(coop.member("Beragunan"), product="BULANAN")
    # Liquidation value: the principal and two months' interest — enough for Diragukan on the
    # interest the member really owes, not on interest the member already paid.
    coop.call("loans.add-collateral", as_user="teller", loan=covered, kind="SHM tanah",
              description="SHM 7", value="18000000", liquidation_value="12360000",
              binding="hak_tanggungan", binding_ref="SHT 7/2026")
    paying = {interest_only: "180000", principal_first: "1000000", covered: "180000"}
    noted: dict[date, dict[str, tuple[str | None, int]]] = {}
    for month in range(2, 13):
        coop.close_days_until(date(2026, month, 5))
        for loan, amount in paying.items():
            coop.call("loans.repay", as_user="teller", loan=loan, amount=amount,
                      cash_account=CASH)
        if month == 7:
            coop.call("loans.repay", as_user="teller", loan=late, amount="4000000",
                      cash_account=CASH)
        if month in (5, 8, 11):
            coop.close_days_until(date(2026, month, 7))
            noted[date(2026, month, 6)] = {
                loan: (found["collectibility"],
                       int(Decimal(found["outstanding_principal"]["amount"]) * 100))
                for loan in (interest_only, principal_first, late, covered)
                for found in [coop.get(loan)]}
    coop.close_days_until(date(2026, 12, 20))
    roles = {"KL": "loans.substandard", "D": "loans.doubtful", "M": "loans.loss"}
    for day, book in noted.items():
        expected = {key: sum(amount for code, amount in book.values() if roles.get(code or "")
                             == key) for key in roles.values()}
        found = figures(coop, day)
        assert {key: found[key] for key in roles.values()} == expected, (day, book)
        # The nominative list of that day says the same, loan by loan, and totals to the
        # worksheet's figures.
        listed = coop.call("loans.book", as_of=day.isoformat())
        assert {x["loan"]: (x["collectibility"], minor(x["outstanding"]))
                for x in listed["items"]} == book
        assert minor(listed["problem_loan_risk"]) == found["loans.problem_loan_risk"]
        assert minor(listed["allowance_required"]) == found["loans.allowance_required"]
        assert minor(listed["risky"]) == found["loans.risky"]
    # Not a trivial book: the four loans were not all in one class on those days.
    assert len({code for book in noted.values() for code, _ in book.values()}) >= 3


def minor(money: dict[str, str]) -> int:
    return int(Decimal(money["amount"]) * 100)


def test_the_loan_book_of_a_date_through_the_api_and_the_cli(coop: LoansCoop) -> None:
    """Flat 18 %, disbursed 5 January, nothing repaid: on 6 March two installments are due
    (5 February and 5 March); the Rp12,000,000 loan has interest arrears of 2 x Rp180,000 =
    Rp360,000 from 5 February; on 4 February nothing was due."""
    loan = coop.loan(coop.member("Nominatif"), product="BULANAN")
    coop.close_days_until(date(2026, 3, 7))
    admin = coop.api_key("admin")
    with TestClient(app=make_app(coop.kernel)) as client:
        got = client.get("/api/v1/loans/book", params={"as_of": "2026-03-06"},
                         headers={"Authorization": f"Bearer {admin}"})
        assert got.status_code == 200, got.text
        line = got.json()["items"][0]
        assert (line["loan"], line["days_past_due"], line["principal_since"],
                line["interest_since"], line["interest_arrears"]["amount"]) == (
            loan, 29, "2026-02-05", "2026-02-05", "360000.00")
        later = client.get("/api/v1/loans/book", params={"as_of": "2026-03-08"},
                           headers={"Authorization": f"Bearer {admin}"})
        assert later.status_code == 422
        assert later.headers["content-type"].startswith("application/problem+json")
        unknown = client.get("/api/v1/loans/book", params={"collectibility": "XX"},
                             headers={"Authorization": f"Bearer {admin}"})
        assert unknown.status_code == 422
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    shown = CliRunner().invoke(cli, ["--operator", "admin", "loans", "book", "--as-of",
                                     "2026-02-04", "--json"])
    assert shown.exit_code == 0, shown.output
    early = json.loads(shown.output)
    assert [(x["loan"], x["days_past_due"], x["interest_arrears"]["amount"])
            for x in early["items"]] == [(loan, 0, "0.00")]
    assert early["outstanding"]["amount"] == "12000000.00"


def test_a_past_date_is_classed_by_the_policy_in_force_then(coop: LoansCoop) -> None:
    """A weekly loan disbursed 5 January, nothing repaid, first due 12 January: on 17 February
    it is five weeks in arrears, Kurang Lancar under the KSP regime (in force since 5 January)
    and Lancar by days. Choosing the bank-style regime on 18 February, and raising Lancar's
    allowance to 2 % on 19 February, leave the earlier days' figures as they were."""
    coop.product("MINGGUAN", frequency="weekly", annual_rate="26")
    loan = coop.loan(coop.member("Mingguan"), amount="1200000", term=12, product="MINGGUAN")

    def line(as_of: date) -> tuple[str, str, str]:
        found = coop.call("loans.book", as_of=str(as_of))
        (item,) = found["items"]
        assert item["loan"] == loan
        return found["regime"], item["collectibility"], item["allowance_required"]["amount"]

    coop.close_days_until(date(2026, 2, 18))
    before = line(date(2026, 2, 17))
    assert before[:2] == ("ksp-permenkukm-14-2009", "KL")
    coop.call("loans.set-regime", as_user="manager", regime="bank-days")
    coop.close_days_until(date(2026, 2, 19))
    assert line(date(2026, 2, 17)) == before
    assert line(date(2026, 2, 18)) == ("bank-days", "L", "6000.00")  # 0.5 % of 1,200,000
    coop.call("loans.set-classes", as_user="manager", classes=[
        {"code": "L", "name": "Lancar", "min_days": 0, "allowance_percent": "2",
         "non_performing": False},
        {"code": "KL", "name": "Kurang Lancar", "min_days": 91, "allowance_percent": "10",
         "non_performing": True},
        {"code": "D", "name": "Diragukan", "min_days": 121, "allowance_percent": "50",
         "non_performing": True},
        {"code": "M", "name": "Macet", "min_days": 181, "allowance_percent": "100",
         "non_performing": True}])
    coop.close_days_until(date(2026, 2, 20))
    assert line(date(2026, 2, 18)) == ("bank-days", "L", "6000.00")
    assert line(date(2026, 2, 19)) == ("bank-days", "L", "24000.00")
    shown = coop.call("loans.regime")
    assert [(x["effective_from"], x["regime"], x["recorded_by"]) for x in shown["history"]] == [
        ("1900-01-01", "bank-days", "manager"), ("2026-01-05", "ksp-permenkukm-14-2009",
                                                 "manager"),
        ("2026-02-18", "bank-days", "manager"), ("2026-02-19", "bank-days", "manager")]
    # The health assessment of a past date reads the same book.
    assert figures(coop, date(2026, 2, 17))["loans.substandard"] == 120_000_000
    assert figures(coop, date(2026, 2, 18))["loans.substandard"] == 0


def test_a_past_date_is_judged_by_the_schedule_then_in_force(coop: LoansCoop) -> None:
    """A monthly loan whose 5 February installment is unpaid on 6 March is a month in arrears:
    Lancar for monthly installments. Restructured that day into one payment at maturity (a
    bullet loan), the 6 March book still judges it by the monthly schedule it had then."""
    loan = coop.loan(coop.member("Dijadwal"), product="BULANAN")
    coop.close_days_until(date(2026, 3, 7))
    before = coop.call("loans.book", as_of="2026-03-06")["items"][0]
    assert (before["loan"], before["collectibility"]) == (loan, "L")
    coop.call("loans.restructure", as_user="manager", loan=loan, term=6, method="bullet",
              note="BA 7/2026")
    after = coop.call("loans.book", as_of="2026-03-06")["items"][0]
    assert after["collectibility"] == "L"
