"""Mudharabah distribution at its edges, with figures checked by hand: a month without income
(revenue, or a profit-loss sharing pool that made a loss) shares nothing, a sen of income, a
share of exactly one sen, a nisbah agreed on the month's last day, and the balance sums of one
pool."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from kopcore_sharia import mudharabah
from kopcore_sharia.tables import shares
from sharia_coop import CASH, Coop

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound
from kopcore.money import Money


def pool(coop: Coop, code: str, nisbah: str = "60", **extra: str) -> None:
    coop.call("sharia.mudharabah-pool-create", as_user="manager", code=code,
              name=f"Pool {code}", nisbah=nisbah, **extra)


def open_savings(coop: Coop, name: str, pool_code: str, amount: str, **extra: str) -> str:
    return str(coop.call("sharia.mudharabah-open", member=coop.member(name), pool=pool_code,
                         amount=amount, cash_account=CASH, **extra)["holding"]["account"]["number"])


def distribute(coop: Coop, pool_code: str, month: str, **income: str) -> dict:
    return dict(coop.call("sharia.mudharabah-distribute", as_user="manager", pool=pool_code,
                          month=month, **income))


def test_a_month_without_income_shares_nothing(coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 27))
    pool(coop, "TMB")
    account = open_savings(coop, "Umar", "TMB", "1000000")
    coop.close_days(date(2026, 2, 1))
    # January earned the sharia unit nothing: there is nothing to distribute.
    with pytest.raises(Conflict, match="no income to distribute"):
        distribute(coop, "TMB", "2026-01-31")
    # One sen of income given: 60 % of it is 0.6 sen, rounded half up to Rp1: nothing. The
    # month is recorded as distributed, the cooperative keeping the sen.
    out = distribute(coop, "TMB", "2026-01-31", distributable_income="0.01")
    assert (out["distributable_income"]["amount"], out["members_share"]["amount"],
            out["cooperative_share"]["amount"]) == ("0.01", "0.00", "0.01")
    assert [(s["account"], s["share"]["amount"]) for s in out["shares"]] == [(account, "0.00")]
    assert coop.balance(account) == "1000000.00"
    assert "sharia.profit_share_expense" not in coop.gl_net()
    coop.books_balance()


def test_a_profit_sharing_pool_that_made_a_loss_shares_nothing(
        coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 27))
    pool(coop, "DPK", "50", basis="profit")
    open_savings(coop, "Vina", "DPK", "1000000")
    # January: no income, and a general expense of the unit of Rp50,000: a loss of Rp50,000,
    # which is not income to share.
    coop.call("sharia.unit-include", as_user="manager", gl_key="expense.general")
    coop.call("entries.post", memo="Biaya operasional unit syariah", lines=[
        {"account": "GL-expense.general", "side": "debit", "amount": "50000"},
        {"account": CASH, "side": "credit", "amount": "50000"}])
    coop.close_days(date(2026, 2, 1))
    with pytest.raises(Conflict, match="no income to distribute"):
        distribute(coop, "DPK", "2026-01-31")
    # Nothing was recorded: the month can still be distributed once income is known.
    coop.refused(NotFound, "sharia.mudharabah-report", as_user="auditor", pool="DPK",
                 month="2026-01-01")


def test_a_share_of_one_sen_is_paid(coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 27))
    pool(coop, "SEN", "50", rounding_unit="0.01")
    account = open_savings(coop, "Yusuf", "SEN", "1000")
    coop.close_days(date(2026, 2, 1))
    # Two sen of income, the only account's nisbah 50 %: a share of exactly one sen.
    def run(ctx: Context) -> list[tuple[int, int]]:
        made = mudharabah.distribute(ctx, mudharabah.get_pool(ctx, "SEN"), date(2026, 1, 31),
                                     Money(2, "IDR"))
        return [(int(r.account_id), int(r.amount)) for r in ctx.conn.execute(
            sa.select(shares.c.account_id, shares.c.amount)
            .where(shares.c.distribution_id == made))]

    # The distribution's id is returned: its one share is the sen.
    account_id = coop.kernel.read("auditor", lambda ctx: ledger.get_account(ctx, account).id)
    assert coop.kernel.write("manager", run) == [(account_id, 1)]
    out = coop.call("sharia.mudharabah-report", as_user="auditor", pool="SEN",
                    month="2026-01-01")
    assert [(s["account"], s["share"]["amount"]) for s in out["shares"]] == [(account, "0.01")]
    assert out["cooperative_share"]["amount"] == "0.01"
    assert coop.balance(account) == "1000.01"
    assert coop.gl_net()["sharia.profit_share_expense"] == 1
    coop.books_balance()


def test_a_nisbah_agreed_on_the_months_last_day_applies_to_that_month(
        coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 31))
    pool(coop, "TMB")
    account = open_savings(coop, "Zainab", "TMB", "10000000")
    coop.close_days(date(2026, 2, 28))
    # Agreed during 28 February, the month's last day: in force at its end.
    coop.call("sharia.mudharabah-nisbah", as_user="manager", account=account, nisbah="50",
              consent="Surat persetujuan 28/II/2026")
    coop.close_days(date(2026, 3, 1))
    # The only account: its share is Rp100,000 x 1 x 50 % = Rp50,000.
    out = distribute(coop, "TMB", "2026-02-01", distributable_income="100000")
    assert [(s["share"]["amount"], s["nisbah"]) for s in out["shares"]] == [("50000.00", "50")]
    assert coop.balance(account) == "10050000.00"


def test_the_balance_sums_of_one_pool(coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 27))
    pool(coop, "TMB")
    pool(coop, "DPK", "50", basis="profit")
    tmb = open_savings(coop, "Ahmad", "TMB", "3000000")
    dpk = open_savings(coop, "Budi", "DPK", "1000000")
    coop.close_days(date(2026, 2, 1))

    def sums(pool_code: str | None) -> dict[str, tuple[str, int]]:
        def read(ctx: Context) -> dict[str, tuple[str, int]]:
            found = mudharabah.balance_sums(ctx, date(2026, 1, 1), date(2026, 1, 31), pool_code)
            numbers = {ledger.get_account(ctx, n).id: n for n in (tmb, dpk)}
            return {numbers[i]: value for i, value in found.items()}
        return dict(coop.kernel.read("auditor", read))

    # Five ends of day (27-31 January): Rp3,000,000 x 5 and Rp1,000,000 x 5, in sen.
    assert sums(None) == {tmb: ("TMB", 1_500_000_000), dpk: ("DPK", 500_000_000)}
    assert sums("TMB") == {tmb: ("TMB", 1_500_000_000)}
    assert sums("DPK") == {dpk: ("DPK", 500_000_000)}
