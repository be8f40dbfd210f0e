"""Closing months and years: postings into a closed period refused, adjusting entries, the
year's closing entry into the current-year SHU, and closed periods' figures reproduced.

End of day is exercised in test_eod.py; here the business date is moved straight to the day a
scenario needs (:func:`move_to`), so a year of activity takes a fraction of a second.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from sqlalchemy import update

import kopcore
from kopcore import ledger
from kopcore._db import tables as t
from kopcore._oversight.figures import income_and_expenses
from kopcore.context import Context
from kopcore.errors import (
    BusinessDateError,
    Conflict,
    Forbidden,
    NotFound,
    PostingVetoed,
    ValidationError,
)
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import Period, PostingLine, Side
from kopcore.testing import Cooperative

CASH = Cooperative.CASH


def move_to(kernel: Kernel, day: date) -> None:
    """Set the business date (forward only), as end of day would after closing each day."""
    def work(ctx: Context) -> None:
        assert day > ctx.business_date
        ctx.conn.execute(update(t.business_calendar).values(business_date=day))

    kernel.write("system", work)


def book(coop: Cooperative, account: str, side: str, amount: str, memo: str) -> Any:
    """A manual entry between the teller's cash and a GL account."""
    other = "credit" if side == "debit" else "debit"
    return coop.call("entries.post", memo=memo, lines=[
        {"account": account, "side": side, "amount": amount},
        {"account": CASH, "side": other, "amount": amount}])


def gl_balance(coop: Cooperative, key: str) -> Money:
    return coop.kernel.read("auditor", lambda ctx: ledger.get_account(
        ctx, ledger.gl_account_number(key)).balance)


def post_dated(kernel: Kernel, day: date, amount: str = "1000", *,
               operation: str = "python-api") -> Any:
    """Try to post an entry dated ``day`` (as a plugin back-dating its entry would)."""
    def work(ctx: Context) -> Any:
        dated = attrs.evolve(ctx, operation=operation, _business_date=day)
        return ledger.post_entry(dated, [
            PostingLine("GL-expense.general", Side.DEBIT, Money.parse(amount)),
            PostingLine(CASH, Side.CREDIT, Money.parse(amount))], memo="back-dated")

    return kernel.write("admin", work)


@pytest.fixture
def coop(kernel: Kernel) -> Cooperative:
    coop = Cooperative(kernel)
    coop.call("users.create", username="ketua", role="manager")
    return coop


def seed_year(coop: Cooperative) -> None:
    """A year of activity: income and expenses in several months of 2026."""
    book(coop, "GL-income.services", "credit", "12000000", "Jasa layanan Januari")
    book(coop, "GL-expense.staff", "debit", "3000000", "Gaji Januari")
    move_to(coop.kernel, date(2026, 3, 10))
    book(coop, "GL-income.fees", "credit", "2500000", "Administrasi Maret")
    book(coop, "GL-expense.general", "debit", "1200000", "ATK Maret")
    move_to(coop.kernel, date(2026, 8, 20))
    book(coop, "GL-income.other", "credit", "700000", "Lain-lain Agustus")
    book(coop, "GL-expense.staff", "debit", "3000000", "Gaji Agustus")
    move_to(coop.kernel, date(2026, 12, 31))
    book(coop, "GL-expense.depreciation", "debit", "1000000", "Penyusutan 2026")
    move_to(coop.kernel, date(2027, 1, 2))
    book(coop, "GL-income.services", "credit", "400000", "Jasa layanan Januari 2027")


def close_months(coop: Cooperative, year: int, months: range) -> None:
    for month in months:
        coop.call("periods.close", year=year, month=month)


# --- months ----------------------------------------------------------------------------------


def test_a_month_closes_once_the_business_date_has_passed_it(coop: Cooperative) -> None:
    refused = coop.refused(BusinessDateError, "periods.close", year=2026, month=1)
    assert "2026-01-31" in str(refused)
    move_to(coop.kernel, date(2026, 2, 1))
    closed = coop.call("periods.close", year=2026, month=1)
    assert (closed["period"], closed["start"], closed["end"]) == ("2026-01", "2026-01-01",
                                                                 "2026-01-31")
    assert closed["closed_by"] == "admin"
    coop.refused(Conflict, "periods.close", year=2026, month=1)
    move_to(coop.kernel, date(2026, 4, 1))
    out_of_order = coop.refused(Conflict, "periods.close", year=2026, month=3)
    assert "close 2026-02" in str(out_of_order)
    coop.call("periods.close", year=2026, month=2)
    listing = coop.call("periods.list")
    assert listing["closed_through"] == "2026-02-28"
    assert [p["period"] for p in listing["periods"]] == ["2026-01", "2026-02"]
    coop.refused(ValidationError, "periods.close", year=2026, month=13)


def test_postings_dated_in_a_closed_month_are_refused(coop: Cooperative) -> None:
    move_to(coop.kernel, date(2026, 2, 3))
    coop.call("periods.close", year=2026, month=1)
    before = coop.snapshot()
    with pytest.raises(PostingVetoed) as refused:
        post_dated(coop.kernel, date(2026, 1, 20))
    assert refused.value.reason == "yearend.period-closed"
    assert "closed through 2026-01-31" in str(refused.value)
    with pytest.raises(PostingVetoed):
        post_dated(coop.kernel, date(2025, 12, 31))  # before the first closed month too
    assert coop.snapshot() == before
    # Dated after the closed month: accepted (a back-dated entry of an open month).
    entry = post_dated(coop.kernel, date(2026, 2, 1))
    assert entry.business_date == date(2026, 2, 1)
    # Today's business is unaffected.
    book(coop, "GL-income.fees", "credit", "5000", "Administrasi")
    coop.books_balance()


def test_an_adjusting_entry_reaches_a_closed_month_with_its_own_permission(
        coop: Cooperative) -> None:
    book(coop, "GL-income.services", "credit", "800000", "Jasa layanan")
    move_to(coop.kernel, date(2026, 2, 10))
    coop.call("periods.close", year=2026, month=1)
    lines = [{"account": "GL-expense.general", "side": "debit", "amount": "150000"},
             {"account": "GL-payable.other", "side": "credit", "amount": "150000"}]
    for role_user in ("teller",):
        coop.refused(Forbidden, "periods.adjust", as_user=role_user, date="2026-01-31",
                     memo="Listrik Januari", lines=lines)
    entry = coop.call("periods.adjust", as_user="ketua", date="2026-01-31",
                      memo="Listrik Januari belum dicatat", lines=lines)
    assert entry["business_date"] == "2026-01-31"
    january = coop.call("reports.operating-results", from_date="2026-01-01",
                        to_date="2026-01-31")
    assert january["surplus"]["amount"] == "650000.00"  # 800,000 - 150,000
    # The snapshot still says what was closed; verification names the late entry.
    verified = coop.call("periods.verify", kind="month", year=2026, month=1)
    assert verified["consistent"] is True
    assert verified["late_entries"] == [entry["entry_id"]]
    general = next(x for x in verified["lines"] if x["key"] == "expense.general")
    assert (general["as_closed"]["amount"], general["late_entries"]["amount"],
            general["recomputed"]["amount"]) == ("0.00", "150000.00", "150000.00")
    # Not today or later, and never a bad entry.
    coop.refused(ValidationError, "periods.adjust", date="2026-02-10", memo="x", lines=lines)
    coop.refused(ValidationError, "periods.adjust", date="2026-01-31", memo="x", lines=[
        {"account": "GL-expense.general", "side": "debit", "amount": "1"},
        {"account": "GL-payable.other", "side": "credit", "amount": "2"}])
    coop.books_balance()


def test_large_adjustments_wait_for_a_second_person(make_kernel: Any) -> None:
    kernel = make_kernel(approval_thresholds={"periods.adjust": Decimal(1000000)})
    coop = Cooperative(kernel)
    coop.call("users.create", username="ketua", role="manager")
    move_to(kernel, date(2026, 2, 2))
    coop.call("periods.close", year=2026, month=1)
    lines = [{"account": "GL-expense.general", "side": "debit", "amount": "2000000"},
             {"account": "GL-payable.other", "side": "credit", "amount": "2000000"}]
    before = coop.snapshot()
    queued = coop.call("periods.adjust", date="2026-01-15", memo="Sewa Januari", lines=lines)
    assert queued["status"] == "approval-required"
    assert coop.snapshot() == before
    decided = coop.call("approvals.approve", as_user="ketua",
                        approval_id=queued["approval_id"])
    entry = decided["result"]
    assert (entry["business_date"], entry["actor"], entry["operation"]) == (
        "2026-01-15", "admin", "periods.adjust")
    assert gl_balance(coop, "payable.other") == Money.parse("2000000")
    coop.books_balance()


def test_verification_finds_figures_changed_behind_the_ledger(coop: Cooperative) -> None:
    book(coop, "GL-income.services", "credit", "500000", "Jasa layanan")
    move_to(coop.kernel, date(2026, 2, 1))
    coop.call("periods.close", year=2026, month=1)
    assert coop.call("periods.verify", kind="month", year=2026, month=1)["consistent"]

    def remap(ctx: Context) -> None:  # the teller's cash re-filed under bank, after the close
        a = t.accounts.c
        ctx.conn.execute(update(t.accounts).where(a.number == CASH).values(gl_key="bank"))

    coop.kernel.write("system", remap)
    verified = coop.call("periods.verify", kind="month", year=2026, month=1)
    assert verified["consistent"] is False
    moved = {x["key"]: x["difference"]["amount"] for x in verified["lines"]
             if x["difference"]["amount"] != "0.00"}
    # Capital 1,000,000,000 plus the 500,000 of services left cash for bank.
    assert moved == {"cash": "-1000500000.00", "bank": "1000500000.00"}
    coop.refused(NotFound, "periods.verify", kind="month", year=2026, month=2)
    coop.refused(ValidationError, "periods.verify", kind="month", year=2026)


# --- years -----------------------------------------------------------------------------------


def test_year_end_close_moves_income_and_expenses_into_the_current_year_shu(
        coop: Cooperative) -> None:
    seed_year(coop)
    equity_before = coop.call("reports.financial-position", as_of="2026-12-31")
    # 12,000,000 + 2,500,000 + 700,000 income; 3,000,000 + 1,200,000 + 3,000,000 + 1,000,000.
    surplus = "7000000.00"
    assert equity_before["current_surplus"]["amount"] == surplus
    refused = coop.refused(Conflict, "years.close", year=2026)
    assert "close every month of 2026 first" in str(refused)
    close_months(coop, 2026, range(1, 12))
    coop.refused(Conflict, "years.close", year=2026)
    coop.call("periods.close", year=2026, month=12)
    closed = coop.call("years.close", year=2026)
    assert (closed["kind"], closed["period"], closed["surplus"]["amount"]) == (
        "year", "2026", surplus)
    entry = coop.call("entries.get", entry_id=closed["entry_id"])
    assert entry["business_date"] == "2026-12-31"
    # Income and expense accounts at zero at the year end, equity up by the SHU.
    position = coop.call("reports.financial-position", as_of="2026-12-31")
    assert position["current_surplus"]["amount"] == "0.00"
    assert Money.parse(position["equity"]["total"]["amount"]) == \
        Money.parse(equity_before["equity"]["total"]["amount"]) + Money.parse(surplus)
    assert position["liabilities_and_equity"] == equity_before["liabilities_and_equity"]
    tb = coop.call("reports.trial-balance", as_of="2026-12-31")
    types = {line["key"]: line["type"] for line in tb["lines"]}
    assert not [k for k, kind in types.items() if kind in ("income", "expense")]
    assert tb["total_debit"] == tb["total_credit"]
    assert gl_balance(coop, "equity.shu_current") == Money.parse(surplus)
    # The new year opens with the closing balances; its own income is untouched.
    results_2027 = coop.call("reports.operating-results", from_date="2027-01-01",
                             to_date="2027-01-31")
    assert results_2027["surplus"]["amount"] == "400000.00"
    # The year's reports are reproducible, December's too (its closing entry came later).
    assert coop.call("periods.verify", kind="year", year=2026)["consistent"]
    december = coop.call("periods.verify", kind="month", year=2026, month=12)
    assert december["consistent"]
    assert december["late_entries"] == [closed["entry_id"]]
    # Closed once; nothing can be dated in it any more, not even an adjustment.
    coop.refused(Conflict, "years.close", year=2026)
    with pytest.raises(PostingVetoed):
        post_dated(coop.kernel, date(2026, 12, 31))
    coop.refused(Conflict, "periods.adjust", date="2026-12-31", memo="Terlambat", lines=[
        {"account": "GL-expense.general", "side": "debit", "amount": "1"},
        {"account": CASH, "side": "credit", "amount": "1"}])
    coop.books_balance()


def test_a_year_with_a_deficit_closes_into_a_negative_current_year_shu(
        coop: Cooperative) -> None:
    book(coop, "GL-income.services", "credit", "1000000", "Jasa")
    book(coop, "GL-expense.general", "debit", "1500000", "Biaya")
    move_to(coop.kernel, date(2027, 1, 1))
    close_months(coop, 2026, range(1, 13))
    closed = coop.call("years.close", year=2026)
    assert closed["surplus"]["amount"] == "-500000.00"
    assert gl_balance(coop, "equity.shu_current") == Money.parse("-500000")
    coop.books_balance()


def test_years_close_in_order(coop: Cooperative) -> None:
    move_to(coop.kernel, date(2028, 1, 3))
    close_months(coop, 2026, range(1, 13))
    close_months(coop, 2027, range(1, 13))
    refused = coop.refused(Conflict, "years.close", year=2027)
    assert "close 2026 before 2027" in str(refused)
    coop.call("years.close", year=2026)
    coop.call("years.close", year=2027)
    assert [p["period"] for p in coop.call("periods.list", kind="year")["periods"]] == [
        "2026", "2027"]
    # No activity: nothing to close, the surplus is zero and no entry was posted.
    assert coop.call("periods.list", kind="year")["periods"][0]["entry_id"] is None


# --- the period-end hook ---------------------------------------------------------------------


class MonthEndAccrual:
    """A plugin accruing a month's rent at each month end, dated the month's last day, and an
    audit fee of 250,000 at the year end, dated 31 December (after December is closed)."""

    def __init__(self) -> None:
        self.seen: list[Period] = []
        self.year_end: list[tuple[str, date]] = []

    @kopcore.hookimpl
    def kopcore_period_end(self, ctx: Context, period: Period) -> None:
        self.seen.append(period)
        if period.kind == "month":
            ledger.post_entry(ctx, [
                PostingLine("GL-expense.general", Side.DEBIT, Money.parse("100000")),
                PostingLine("GL-payable.other", Side.CREDIT, Money.parse("100000"))],
                memo=f"Sewa {period.end:%Y-%m}")
        else:
            self.year_end.append((ctx.operation, ctx.business_date))
            ledger.post_entry(ctx, [
                PostingLine("GL-expense.general", Side.DEBIT, Money.parse("250000")),
                PostingLine("GL-payable.other", Side.CREDIT, Money.parse("250000"))],
                memo=f"Jasa audit {period.end:%Y}")


def test_hook_period_end(make_kernel: Any) -> None:
    plugin = MonthEndAccrual()
    kernel = make_kernel(extra_plugins=[("accrual", plugin)])
    coop = Cooperative(kernel)
    move_to(kernel, date(2027, 1, 1))
    close_months(coop, 2026, range(1, 3))
    assert plugin.seen == [Period("month", date(2026, 1, 1), date(2026, 1, 31)),
                           Period("month", date(2026, 2, 1), date(2026, 2, 28))]
    statement = coop.call("accounts.statement", account="GL-payable.other",
                          from_date="2026-01-01", to_date="2026-12-31")
    assert [line["business_date"] for line in statement["lines"]] == ["2026-01-31",
                                                                      "2026-02-28"]
    # The accrual is part of the month as closed.
    february = coop.call("periods.verify", kind="month", year=2026, month=2)
    general = next(x for x in february["lines"] if x["key"] == "expense.general")
    assert general["as_closed"]["amount"] == "200000.00"
    assert february["late_entries"] == []
    close_months(coop, 2026, range(3, 13))
    closed = coop.call("years.close", year=2026)
    assert plugin.seen[-1] == Period("year", date(2026, 1, 1), date(2026, 12, 31))
    # The year-end work runs under its own operation, dated in the closed December, before the
    # closing entry: 12 x 100,000 rent + 250,000 audit fee are the year's expenses, all closed.
    assert plugin.year_end == [("years.period-end", date(2026, 12, 31))]
    assert closed["surplus"]["amount"] == "-1450000.00"
    assert gl_balance(coop, "equity.shu_current") == Money.parse("-1450000")
    december = coop.call("periods.verify", kind="month", year=2026, month=12)
    assert december["consistent"] is True
    fee_id, closing_id = december["late_entries"]
    assert closing_id == closed["entry_id"]
    fee = coop.call("entries.get", entry_id=fee_id)
    assert (fee["memo"], fee["operation"], fee["business_date"]) == (
        "Jasa audit 2026", "years.period-end", "2026-12-31")
    general = next(x for x in december["lines"] if x["key"] == "expense.general")
    # Closed at 1,200,000; +250,000 audit fee, -1,450,000 closing entry; now zero.
    assert (general["as_closed"]["amount"], general["late_entries"]["amount"],
            general["recomputed"]["amount"]) == ("1200000.00", "-1200000.00", "0.00")
    assert coop.call("periods.verify", kind="year", year=2026)["consistent"] is True
    # The year's operations, as the health figures and the RAT statements read them.
    assert coop.kernel.read("auditor", lambda ctx: income_and_expenses(
        ctx, date(2026, 1, 1), date(2026, 12, 31), ctx.settings.currency)) == (0, 145000000)
    rat = coop.call("statements.rat", year=2026)["operating_results"]
    assert rat["surplus_current"]["amount"] == "-1450000.00"
    coop.books_balance()


def test_celengan_stamps_goals_reached_unnoticed_at_month_end(make_kernel: Any) -> None:
    from kopcore_celengan.goals import goals

    coop = Cooperative(make_kernel(plugins=("celengan",)))
    member = coop.member()
    jar = coop.call("celengan.open", member=member, target="100000", purpose="Sepeda")["account"]
    coop.call("celengan.deposit", account=jar, amount="150000", cash_account=CASH)
    assert coop.call("celengan.balance", account=jar)["reached_on"] == "2026-01-05"

    def forget(ctx: Context) -> None:
        ctx.conn.execute(update(goals).values(reached_on=None))

    coop.kernel.write("system", forget)
    move_to(coop.kernel, date(2026, 2, 1))
    coop.call("periods.close", year=2026, month=1)
    assert coop.call("celengan.balance", account=jar)["reached_on"] == "2026-01-31"



def test_closing_through_the_web_api(coop: Cooperative) -> None:
    from litestar.testing import TestClient

    from kopcore import _auth as auth
    from kopcore.interfaces.api import make_app

    keys = coop.kernel.write("admin", lambda ctx: {
        user: {"Authorization": "Bearer " + auth.issue_key(ctx.conn, user, "tests")[1]}
        for user in ("ketua", "teller")})
    with TestClient(make_app(coop.kernel)) as client:
        early = client.post("/api/v1/periods/close", json={"year": 2026, "month": 1},
                            headers=keys["ketua"])
        assert early.status_code == 409
        assert early.headers["content-type"].startswith("application/problem+json")
        assert early.json()["code"] == "business-date"
        move_to(coop.kernel, date(2026, 2, 1))
        closed = client.post("/api/v1/periods/close", json={"year": 2026, "month": 1},
                             headers=keys["ketua"])
        assert closed.status_code == 200, closed.text
        listed = client.get("/api/v1/periods/list", headers=keys["ketua"])
        assert listed.json()["closed_through"] == "2026-01-31"
        assert client.get("/api/v1/periods/list", headers=keys["teller"]).status_code == 403
        floats = client.post("/api/v1/periods/adjust", headers=keys["ketua"], json={
            "date": "2026-01-31", "memo": "x", "lines": [
                {"account": "GL-expense.general", "side": "debit", "amount": 1.5},
                {"account": CASH, "side": "credit", "amount": 1.5}]})
        assert floats.status_code == 422
        missing = client.get("/api/v1/shu/show", params={"year": "2026"},
                             headers=keys["ketua"])
        assert missing.status_code == 404
        assert missing.json()["code"] == "not-found"
