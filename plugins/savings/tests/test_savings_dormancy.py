"""Dormancy: N days without member activity; what a dormant account may do is a parameter."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from kopcore_savings.tables import events
from savings_coop import CASH, Coop
from sqlalchemy import select

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import PostingVetoed


def account_events(coop: Coop, number: str) -> list[str]:
    e = events.c

    def read(ctx: Context) -> list[str]:
        account_id = ledger.get_account(ctx, number).id
        return list(ctx.conn.execute(select(e.event).where(e.account_id == account_id)
                                     .order_by(e.id)).scalars())

    return coop.kernel.read("auditor", read)


def test_an_idle_account_becomes_dormant_and_deposits_reactivate_it(coop: Coop) -> None:
    coop.product("SUKARELA", "sukarela", dormant_after_days=3,
                 dormant_policy="deposits-only")
    account = coop.open(coop.member(), "SUKARELA")
    coop.deposit(account, "200000")
    start = coop.today()
    coop.close_days_until(start + timedelta(days=2))
    assert coop.call("savings.balance", account=account)["dormant_since"] is None
    coop.close_days_until(start + timedelta(days=4))
    assert coop.call("savings.balance", account=account)["dormant_since"] == (
        start + timedelta(days=3)).isoformat()

    vetoed = coop.refused(PostingVetoed, "savings.withdraw", account=account, amount="1000",
                          cash_account=CASH)
    assert vetoed.extra["reason"] == "savings.dormant"
    coop.deposit(account, "5000")
    after = coop.call("savings.balance", account=account)
    assert after["dormant_since"] is None
    assert after["last_activity_on"] == coop.today().isoformat()
    assert account_events(coop, account) == ["dormant", "reactivated"]
    coop.withdraw(account, "1000")


def test_a_dormant_account_under_policy_none_waits_for_staff(coop: Coop) -> None:
    coop.product("KETAT", "sukarela", dormant_after_days=1, dormant_policy="none")
    account = coop.open(coop.member(), "KETAT")
    coop.deposit(account, "200000")
    coop.close_days_until(coop.today() + timedelta(days=2))
    coop.refused(PostingVetoed, "savings.deposit", account=account, amount="1000",
                 cash_account=CASH)
    coop.call("savings.reactivate", account=account, note="member came with KTP")
    coop.withdraw(account, "1000")
    assert account_events(coop, account) == ["dormant", "reactivated"]


def test_end_of_day_interest_reaches_dormant_accounts_and_skips_closed_ones(coop: Coop
                                                                           ) -> None:
    coop.product("SUKARELA", "sukarela", interest_rate="12", dormant_after_days=1,
                 dormant_policy="none")
    member = coop.member()
    account, emptied = coop.open(member, "SUKARELA"), coop.open(member, "SUKARELA")
    coop.deposit(account, "1000000")
    coop.deposit(emptied, "100000")
    opened = coop.today()
    coop.close_days_until(opened + timedelta(days=1))  # one day accrued, not yet dormant
    coop.withdraw(emptied, "100000")
    coop.call("accounts.close", account=emptied)  # closed at zero outside savings
    coop.close_days_until(opened.replace(month=2, day=1))
    balance = coop.call("savings.balance", account=account)
    assert balance["dormant_since"] is not None
    days = (opened.replace(month=2, day=1) - opened).days
    interest = (Decimal(1000000) * days * Decimal("0.12") / 365).quantize(Decimal(1),
                                                                          "ROUND_HALF_UP")
    assert Decimal(balance["account"]["balance"]["amount"]) == 1000000 + interest
    assert coop.balance(emptied) == "0.00"
    coop.books_balance()
