"""Withholding tax judged on a member's accounts together (the savings policy's
``tax_aggregation``): the Rp240,000 threshold of PP 15/2009 on the sum of the member's interest
of a month, the tax then withheld on each account's interest of that month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from savings_coop import CASH, Coop


@pytest.fixture
def coop5(coop: Coop) -> Coop:
    # 5 % a year on a 360-day year: Rp40,000,000 earns Rp150,000 in 27 days
    # (40,000,000 x 0.05 x 27 / 360), Rp60,000,000 earns Rp225,000.
    coop.product("BULANAN", "sukarela", interest_rate="5", days_in_year=360)
    return coop


def gl(coop: Coop, key: str) -> Decimal:
    lines = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    return Decimal(lines[key]["balance"]["amount"]) if key in lines else Decimal(0)


def slip(coop: Coop, member: str, month: str = "2026-01", by: str = "paid") -> dict[str, Any]:
    members = coop.call("savings.tax-recap", month=month, member=member, by=by)["members"]
    assert len(members) == 1
    return dict(members[0])


def lines(found: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each account's gross and tax on the slip, added up over its lines (a line per month
    earned and date paid: catch-up tax is a line of its own)."""
    added: dict[str, tuple[Decimal, Decimal]] = {}
    for a in found["accounts"]:
        gross, tax = added.get(a["account"], (Decimal(0), Decimal(0)))
        added[a["account"]] = (gross + Decimal(a["gross"]["amount"]),
                               tax + Decimal(a["tax"]["amount"]))
    return {account: (f"{gross:.2f}", f"{tax:.2f}") for account, (gross, tax) in added.items()}


def each_line(found: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return [(a["account"], a["month"], a["paid_on"], a["gross"]["amount"], a["tax"]["amount"])
            for a in found["accounts"]]


def two_accounts(coop: Coop) -> tuple[str, list[str]]:
    member = coop.member("Ni Made Dua Rekening")
    accounts = [coop.open(member, "BULANAN") for _ in range(2)]
    for account in accounts:
        coop.deposit(account, "40000000")
    return member, accounts


def test_two_accounts_of_rp150000_are_not_taxed_each_on_its_own(coop5: Coop) -> None:
    coop = coop5
    member, accounts = two_accounts(coop)
    coop.close_days_until(date(2026, 2, 1))
    for account in accounts:
        assert coop.balance(account) == "40150000.00"
    assert gl(coop, "payable.tax") == 0
    found = slip(coop, member)
    assert (found["gross"]["amount"], found["tax"]["amount"]) == ("300000.00", "0.00")


def test_with_aggregation_both_accounts_are_taxed_on_their_own_interest(coop5: Coop) -> None:
    """Rp150,000 + Rp150,000 = Rp300,000 in January, above Rp240,000: each account is taxed
    10 % of its Rp150,000 = Rp15,000 and credited Rp135,000; Rp30,000 is withheld."""
    coop = coop5
    coop.call("savings.policy-set", tax_aggregation="member")
    member, accounts = two_accounts(coop)
    alone = coop.member("Wayan Satu Rekening")
    single = coop.open(alone, "BULANAN")
    coop.deposit(single, "40000000")
    coop.close_days_until(date(2026, 2, 1))
    for account in accounts:
        assert coop.balance(account) == "40135000.00"
    assert coop.balance(single) == "40150000.00"  # Rp150,000 alone: under the threshold
    assert gl(coop, "payable.tax") == Decimal(30_000)
    found = slip(coop, member)
    assert lines(found) == {a: ("150000.00", "15000.00") for a in accounts}
    assert (found["gross"]["amount"], found["tax"]["amount"]) == ("300000.00", "30000.00")
    recap = coop.call("savings.tax-recap", month="2026-01")
    assert (recap["gross"]["amount"], recap["tax"]["amount"], recap["members_taxed"]) == \
        ("450000.00", "30000.00", 1)
    coop.books_balance()


def test_tax_on_interest_already_paid_in_the_month_is_withheld_from_the_next(
        coop5: Coop) -> None:
    """Account A (Rp40,000,000) is closed on 20 January with Rp83,333 of interest (15 days:
    83,333.33), untaxed: the month is then under the threshold. Account B (Rp60,000,000) posts
    Rp225,000 on 31 January: the month is Rp308,333, so B is taxed Rp22,500 and the Rp8,333
    due on A's interest (10 % of 83,333, half up) is withheld from B's payment too."""
    coop = coop5
    coop.call("savings.policy-set", tax_aggregation="member")
    member = coop.member("Ketut")
    closed, kept = coop.open(member, "BULANAN"), coop.open(member, "BULANAN")
    coop.deposit(closed, "40000000")
    coop.deposit(kept, "60000000")
    coop.close_days_until(date(2026, 1, 20))
    coop.call("savings.close", account=closed, payout_account=CASH)
    assert gl(coop, "payable.tax") == 0
    coop.close_days_until(date(2026, 2, 1))
    assert coop.balance(kept) == f"{60_000_000 + 225_000 - 22_500 - 8_333}.00"
    assert gl(coop, "payable.tax") == Decimal(30_833)
    found = slip(coop, member)
    assert lines(found) == {closed: ("83333.00", "8333.00"), kept: ("225000.00", "22500.00")}
    assert (found["gross"]["amount"], found["tax"]["amount"]) == ("308333.00", "30833.00")
    # A's interest paid untaxed on 20 January, and the tax on it withheld on 31 January from
    # B's payment: a line each.
    assert each_line(found) == [(closed, "2026-01", "2026-01-20", "83333.00", "0.00"),
                                (closed, "2026-01", "2026-01-31", "0.00", "8333.00"),
                                (kept, "2026-01", "2026-01-31", "225000.00", "22500.00")]
    coop.books_balance()


def test_a_time_deposit_at_maturity_is_judged_on_the_members_month(coop5: Coop) -> None:
    """Sukarela Rp40,000,000 earns Rp150,000 in January, posted untaxed on 31 January (alone
    under the threshold). A one-month deposit of Rp40,000,000 at 5 % (360-day year) placed on
    5 January earns Rp172,222 to 5 February (31 days: 172,222.22): Rp150,000 in January
    (27 days) and Rp22,222 in February. At maturity January is Rp300,000 for the member: the
    deposit's January is taxed Rp15,000 and the Rp15,000 due on the sukarela's January is
    withheld too; February (Rp22,222) is not taxed. Paid out: 40,000,000 + 172,222 - 30,000."""
    coop = coop5
    coop.product("DEPO-1", "berjangka", interest_rate="5", term_months=1, days_in_year=360)
    coop.call("savings.policy-set", tax_aggregation="member")
    member = coop.member("Komang")
    sukarela = coop.open(member, "BULANAN")
    coop.deposit(sukarela, "40000000")
    placed = coop.call("savings.place-deposit", member=member, product="DEPO-1",
                       amount="40000000", source_account=CASH, payout_account=CASH)
    deposit = placed["account"]["account"]["number"]
    coop.close_days_until(date(2026, 2, 1))
    assert coop.balance(sukarela) == "40150000.00"
    assert gl(coop, "payable.tax") == 0
    tb_cash = gl(coop, "cash")
    coop.close_days_until(date(2026, 2, 6))
    assert tb_cash - gl(coop, "cash") == Decimal(40_000_000 + 172_222 - 30_000)
    assert gl(coop, "payable.tax") == Decimal(30_000)
    # By the month earned: January's Rp300,000 and the tax on it, wherever paid.
    assert lines(slip(coop, member, by="earned")) == {sukarela: ("150000.00", "15000.00"),
                                                      deposit: ("150000.00", "15000.00")}
    assert lines(slip(coop, member, "2026-02", by="earned")) == {
        deposit: ("22222.00", "0.00")}
    # By the month withheld (the return): January only paid the sukarela's interest, untaxed;
    # the deposit's two months and the catch-up tax on the sukarela's January were paid and
    # withheld on 5 February.
    assert each_line(slip(coop, member)) == [
        (sukarela, "2026-01", "2026-01-31", "150000.00", "0.00")]
    assert each_line(slip(coop, member, "2026-02")) == [
        (sukarela, "2026-01", "2026-02-05", "0.00", "15000.00"),
        (deposit, "2026-01", "2026-02-05", "150000.00", "15000.00"),
        (deposit, "2026-02", "2026-02-05", "22222.00", "0.00")]
    coop.books_balance()
