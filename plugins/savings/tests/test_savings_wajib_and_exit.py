"""Simpanan wajib billing and arrears; member exit; the settlement account for other plugins."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from savings_coop import CASH, Coop

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import ExitRefused, NotWithdrawable, ValidationError


@pytest.fixture
def wajib_coop(coop: Coop) -> Coop:
    coop.product("POKOK", "pokok", amount="100000")
    coop.product("WAJIB", "wajib", amount="25000", auto_debit=True)
    coop.product("WAJIB-MANUAL", "wajib", amount="20000")
    coop.product("SUKARELA", "sukarela", min_balance="10000")
    return coop


def test_billing_runs_track_arrears_and_paying_ahead(wajib_coop: Coop) -> None:
    coop = wajib_coop
    late, ahead = coop.member("Late"), coop.member("Ahead")
    late_wajib, ahead_wajib = coop.open(late, "WAJIB-MANUAL"), coop.open(ahead, "WAJIB-MANUAL")
    coop.deposit(ahead_wajib, "60000")  # three months ahead
    first = coop.call("savings.wajib-bill", product="WAJIB-MANUAL", period="2026-01")
    assert (first["billed"], first["collected"]) == (2, 0)
    again = coop.call("savings.wajib-bill", product="WAJIB-MANUAL", period="2026-01")
    assert again["billed"] == 0
    coop.close_days_until(coop.today().replace(month=2, day=1))
    coop.call("savings.wajib-bill", product="WAJIB-MANUAL", period="2026-02")
    arrears = coop.call("savings.wajib-arrears", product="WAJIB-MANUAL")
    assert [(i["account"], i["arrears"]["amount"], i["unpaid_periods"])
            for i in arrears["items"]] == [(late_wajib, "40000.00", ["2026-01", "2026-02"])]
    coop.deposit(late_wajib, "30000")
    arrears = coop.call("savings.wajib-arrears", member=late)
    assert arrears["items"][0]["unpaid_periods"] == ["2026-02"]
    assert arrears["total"]["amount"] == "10000.00"
    balance = coop.call("savings.balance", account=late_wajib)
    assert balance["wajib_arrears"]["amount"] == "10000.00"
    with pytest.raises(ValidationError):
        coop.call("savings.wajib-bill", product="WAJIB-MANUAL", period="2026-13")
    with pytest.raises(ValidationError):
        coop.call("savings.wajib-bill", product="WAJIB-MANUAL", period="2027-01")


def test_auto_debit_collects_arrears_from_sukarela_above_its_minimum(wajib_coop: Coop) -> None:
    coop = wajib_coop
    rich, poor, frozen = coop.member("Rich"), coop.member("Poor"), coop.member("Frozen")
    accounts = {}
    for member, saved in ((rich, "500000"), (poor, "25000"), (frozen, "500000")):
        wajib, sukarela = coop.open(member, "WAJIB"), coop.open(member, "SUKARELA")
        coop.deposit(sukarela, saved)
        accounts[member] = (wajib, sukarela)
    coop.call("accounts.freeze", account=accounts[frozen][1])
    run = coop.call("savings.wajib-bill", product="WAJIB", period="2026-01")
    assert (run["billed"], run["collected"]) == (3, 2)
    assert coop.balance(accounts[rich][0]) == "25000.00"
    assert coop.balance(accounts[rich][1]) == "475000.00"
    assert coop.balance(accounts[poor][0]) == "15000.00"  # only what is above Rp10,000
    assert coop.balance(accounts[poor][1]) == "10000.00"
    assert coop.balance(accounts[frozen][0]) == "0.00"
    owed = {i["member"]: i["arrears"]["amount"]
            for i in coop.call("savings.wajib-arrears", product="WAJIB")["items"]}
    assert owed == {poor: "10000.00", frozen: "25000.00"}
    coop.books_balance()


def test_member_exit_refunds_pokok_wajib_sukarela_and_interest_net_of_arrears(
        wajib_coop: Coop) -> None:
    coop = wajib_coop
    member = coop.member()
    coop.product("BUNGA", "sukarela", interest_rate="3")
    pokok, wajib = coop.open(member, "POKOK"), coop.open(member, "WAJIB-MANUAL")
    sukarela = coop.open(member, "BUNGA")
    coop.deposit(pokok, "100000")
    coop.deposit(wajib, "5000")
    coop.deposit(sukarela, "300000")
    coop.call("savings.wajib-bill", product="WAJIB-MANUAL", period="2026-01")
    coop.close_days_until(coop.today() + timedelta(days=2))  # two days of interest accrued
    interest = (Decimal(300000) * 2 * Decimal("0.03") / 365).quantize(Decimal(1),
                                                                      "ROUND_HALF_UP")
    owed = Decimal(coop.call("savings.wajib-arrears", member=member)["total"]["amount"])
    assert owed == Decimal(20000 - 5000)
    coop.refused(NotWithdrawable, "savings.withdraw", account=wajib, amount="1000",
                 cash_account=CASH)
    cash_before = coop.kernel.read("auditor", lambda ctx: ledger.get_account(ctx, CASH)).balance
    done = coop.call("members.exit", member=member, reason="resigned", payout_account=CASH)
    paid = next(Decimal(p["amount"]["amount"]) for p in done["settlement"]["postings"]
                if p["account"] == CASH)
    assert paid == Decimal(100000 + 5000 + 300000) + interest - owed
    cash_after = coop.kernel.read("auditor", lambda ctx: ledger.get_account(ctx, CASH)).balance
    assert cash_before.amount - cash_after.amount == paid
    for account in (pokok, wajib, sukarela):
        assert coop.call("savings.balance", account=account)["account"]["status"] == "closed"
    tb = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    assert Decimal(tb["income.other"]["balance"]["amount"]) == owed
    coop.books_balance()


def test_exit_is_refused_while_savings_are_frozen_and_nothing_changes(wajib_coop: Coop) -> None:
    coop = wajib_coop
    member = coop.member()
    sukarela = coop.open(member, "SUKARELA")
    coop.deposit(sukarela, "50000")
    coop.call("accounts.freeze", account=sukarela)
    refused = coop.refused(ExitRefused, "members.exit", member=member, reason="resigned",
                           payout_account=CASH)
    assert "frozen" in refused.detail
    assert coop.call("members.get", member=member)["status"] == "active"


def test_other_plugins_get_the_primary_sukarela_as_settlement_account(wajib_coop: Coop) -> None:
    coop = wajib_coop
    member = coop.member()
    coop.open(member, "WAJIB")
    first, _second = coop.open(member, "SUKARELA"), coop.open(member, "SUKARELA")

    def ask(purpose: str) -> str | None:
        def read(ctx: Context) -> str | None:
            found = ledger.settlement_account(ctx, ledger.get_member(ctx, member), purpose)
            return found.number if found else None

        return coop.kernel.read("loans", read)

    assert ask("disbursement") == ask("collection") == ask("payment") == first
    assert ask("shu-credit") is None
