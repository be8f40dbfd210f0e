"""Jasa simpanan of one January, each account's figure worked out by hand: a rate changed in the
period, balances exactly on the minimum for interest, withholding tax, an account that earned
nothing, and the per-account record of each posting (gross, tax, period, days, entry).

Every account is opened and funded on the first business day, 5 January 2026, so the period
holds 27 end-of-day balances (5-31 January) and the interest is posted at the end of the 31st.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from kopcore_savings import eod
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import interest_days, interest_months, interest_postings, products
from savings_coop import CASH, Coop

from kopcore import ledger
from kopcore import query as kt

RATE_CHANGE = date(2026, 1, 15)
MONTH_END = date(2026, 1, 31)
FEBRUARY = date(2026, 2, 1)


def records(coop: Coop) -> dict[str, dict[str, Any]]:
    """The interest records (savings_interest_postings) by account number."""

    def read(ctx: Any) -> dict[str, dict[str, Any]]:
        p, a = interest_postings.c, kt.accounts.c
        rows = ctx.conn.execute(sa.select(a.number, p.period_from, p.period_to, p.days, p.gross,
                                          p.tax, p.entry_id)
                                .join(kt.accounts, a.id == p.account_id))
        return {row.number: dict(row._mapping) for row in rows}

    return coop.kernel.read("auditor", read)


def entry_lines(coop: Coop, entry_id: int) -> tuple[str, dict[str, int]]:
    """An entry's memo and its postings by account number (debit positive, in sen)."""
    entry = coop.kernel.read("auditor", lambda ctx: ledger.get_entry(ctx, entry_id))
    return entry.memo, {p.account_number: p.amount.minor for p in entry.postings}


def change_rate(coop: Coop, code: str, rate_ppm: int) -> None:
    """The board changes a product's rate (no operation does it yet: the product row)."""
    coop.kernel.write("system", lambda ctx: ctx.conn.execute(
        products.update().where(products.c.code == code).values(rate_ppm=rate_ppm)))


def test_a_month_of_interest_to_the_rupiah_with_its_records(coop: Coop) -> None:
    coop.product("NAIK", "sukarela", interest_rate="3")
    coop.product("BESAR", "sukarela", interest_rate="3", tax_rate="10", tax_threshold="240000")
    for code, method in (("HARIAN", "daily"), ("RATA", "average"), ("TERENDAH", "lowest")):
        coop.product(code, "sukarela", interest_rate="3", interest_method=method,
                     interest_min_balance="500000")
    coop.product("KECIL", "sukarela", interest_rate="3")
    coop.product("MIKRO", "sukarela", interest_rate="0.0001")  # the smallest rate: 1 ppm
    coop.product("NOL", "sukarela")  # earns no interest
    member = coop.member()
    account = {code: coop.open(member, code) for code in (
        "NAIK", "BESAR", "HARIAN", "RATA", "TERENDAH", "KECIL", "MIKRO", "NOL")}
    coop.deposit(account["NAIK"], "1000000")
    coop.deposit(account["BESAR"], "200000000")
    for code in ("HARIAN", "RATA", "TERENDAH"):
        coop.deposit(account[code], "500000")  # exactly the minimum for interest
    coop.deposit(account["KECIL"], "100")
    coop.deposit(account["MIKRO"], "1000000000")
    coop.deposit(account["NOL"], "1000000")

    coop.close_days_until(RATE_CHANGE)  # 5-14 January accrued at 3 %
    change_rate(coop, "NAIK", 60_000)  # 6 % from the 15th
    coop.close_days_until(MONTH_END)
    # The last day's end-of-day tasks, run here to read what each did: 7 accounts accrue
    # (NOL has no rate) and 7 are settled, one record each.
    done = {task.name: coop.kernel.write("system", lambda ctx, task=task: task.run(
        ctx, MONTH_END, 0, 2**31 - 1), operation=f"eod.{task.name}") for task in eod.TASKS}
    assert (done["savings.interest-accrual"], done["savings.interest-posting"]) == (7, 7)
    coop.close_days_until(FEBRUARY)

    # NAIK: Rp1,000,000 x (3 % x 10 days + 6 % x 17 days) / 365 = 1,320,000 / 365
    #     = Rp3,616.44 -> Rp3,616 (two rate spans; either alone gives Rp822 or Rp2,795).
    assert coop.balance(account["NAIK"]) == "1003616.00"
    # BESAR: Rp200,000,000 x 3 % x 27 / 365 = 162,000,000 / 365 = Rp443,835.62 -> Rp443,836,
    #     above the Rp240,000 threshold: tax 10 % = Rp44,383.6 -> Rp44,384; net Rp399,452.
    assert coop.balance(account["BESAR"]) == "200399452.00"
    # Exactly on the Rp500,000 minimum earns, by every method:
    #     Rp500,000 x 3 % x 27 / 365 = 405,000 / 365 = Rp1,109.59 -> Rp1,110.
    for code in ("HARIAN", "RATA", "TERENDAH"):
        assert coop.balance(account[code]) == "501110.00", code
    # KECIL: Rp100 x 3 % x 27 / 365 = Rp0.22 -> Rp0: nothing credited, nothing posted.
    assert coop.balance(account["KECIL"]) == "100.00"
    # MIKRO: Rp1,000,000,000 x 0.0001 % x 27 / 365 = 27,000 / 365 = Rp73.97 -> Rp74.
    assert coop.balance(account["MIKRO"]) == "1000000074.00"
    # NOL: no rate, no accrual at all: no record, nothing marked as accrued.
    assert coop.balance(account["NOL"]) == "1000000.00"
    assert accrued_through(coop) == {
        account[code]: None if code == "NOL" else MONTH_END for code in account}

    found = records(coop)
    entry_id = found[account["NAIK"]]["entry_id"]
    assert entry_id is not None
    period = {"period_from": date(2026, 1, 5), "period_to": MONTH_END, "days": 27,
              "entry_id": entry_id}
    assert found == {
        account["NAIK"]: {"number": account["NAIK"], **period, "gross": 361_600, "tax": 0},
        account["BESAR"]: {"number": account["BESAR"], **period, "gross": 44_383_600,
                           "tax": 4_438_400},
        account["HARIAN"]: {"number": account["HARIAN"], **period, "gross": 111_000, "tax": 0},
        account["RATA"]: {"number": account["RATA"], **period, "gross": 111_000, "tax": 0},
        account["TERENDAH"]: {"number": account["TERENDAH"], **period, "gross": 111_000,
                              "tax": 0},
        account["KECIL"]: {"number": account["KECIL"], **period, "gross": 0, "tax": 0},
        account["MIKRO"]: {"number": account["MIKRO"], **period, "gross": 7_400, "tax": 0},
    }

    # The month rows the withholding-tax slips and recap read: one per account that earned,
    # its month, its gross and tax, and the entry that paid them.
    def month_rows(ctx: Any) -> dict[str, tuple[Any, ...]]:
        m, a = interest_months.c, kt.accounts.c
        return {row.number: (row.month, row.source, row.gross, row.tax, row.entry_id)
                for row in ctx.conn.execute(
                    sa.select(a.number, m.month, m.source, m.gross, m.tax, m.entry_id)
                    .join(kt.accounts, a.id == m.account_id))}
    assert coop.kernel.read("auditor", month_rows) == {
        account[code]: ("2026-01", "sukarela", found[account[code]]["gross"],
                        found[account[code]]["tax"], entry_id)
        for code in ("NAIK", "BESAR", "HARIAN", "RATA", "TERENDAH", "MIKRO")}

    # The one entry: expense = 3,616 + 443,836 + 3 x 1,110 + 74 = Rp450,856 debited; each
    # member credited the net; the tax payable credited Rp44,384.
    memo, lines = entry_lines(coop, entry_id)
    assert memo == "Jasa simpanan s.d. 2026-01-31"
    expense = ledger_number(coop, "savings.interest_expense")
    tax = ledger_number(coop, "payable.tax")
    assert lines == {
        expense: 45_085_600, tax: -4_438_400, account["NAIK"]: -361_600,
        account["BESAR"]: -39_945_200, account["HARIAN"]: -111_000,
        account["RATA"]: -111_000, account["TERENDAH"]: -111_000, account["MIKRO"]: -7_400,
    }
    assert accrual_rows(coop) == 0  # January's accrual rows are settled, not carried over
    coop.books_balance()


def test_a_period_in_which_every_account_earned_nothing_posts_nothing(coop: Coop) -> None:
    coop.product("MINIMUM", "sukarela", interest_rate="3", interest_min_balance="500000")
    account = coop.open(coop.member(), "MINIMUM")
    coop.deposit(account, "499999.99")  # one sen under the minimum all month: Rp0
    before = coop.snapshot()
    coop.close_days_until(FEBRUARY)

    assert coop.snapshot() == before  # no entry, no posting
    assert records(coop) == {account: {
        "number": account, "period_from": date(2026, 1, 5), "period_to": MONTH_END,
        "days": 27, "gross": 0, "tax": 0, "entry_id": None}}
    assert accrual_rows(coop) == 0
    assert coop.balance(account) == "499999.99"


def accrued_through(coop: Coop) -> dict[str, date | None]:
    """Each savings account's last accrued day, by account number."""

    def read(ctx: Any) -> dict[str, date | None]:
        s, a = savings_accounts.c, kt.accounts.c
        rows = ctx.conn.execute(sa.select(a.number, s.accrued_through)
                                .join(kt.accounts, a.id == s.account_id))
        return {row.number: row.accrued_through for row in rows}

    return coop.kernel.read("auditor", read)


def ledger_number(coop: Coop, key: str) -> str:
    return str(coop.kernel.read("auditor", lambda ctx: ledger.gl_account_number(key)))


def accrual_rows(coop: Coop) -> int:
    return int(coop.kernel.read("auditor", lambda ctx: ctx.conn.execute(
        sa.select(sa.func.count()).select_from(interest_days)).scalar()))


def test_closing_an_account_mid_period_settles_its_interest_to_that_day(coop: Coop) -> None:
    coop.product("SUKA", "sukarela", interest_rate="6")
    coop.product("KUARTAL", "sukarela", interest_rate="3", posting_months=3)
    coop.product("TURUN", "sukarela", interest_rate="6")
    closed, emptied = coop.open(coop.member(), "SUKA"), coop.open(coop.member(), "SUKA")
    member = coop.member()
    # The quarterly account between two monthly ones: January's posting covers its id too.
    quarterly, turun = coop.open(member, "KUARTAL"), coop.open(member, "TURUN")
    fresh = coop.call("savings.balance", account=closed)["accrued_interest"]
    assert fresh["amount"] == "0.00"  # nothing accrued before the first end of day
    for account in (closed, emptied, turun, quarterly):
        coop.deposit(account, "1000000")
    coop.close_days_until(RATE_CHANGE)
    change_rate(coop, "TURUN", 30_000)  # 6 % for 5-14 January, 3 % from the 15th

    # Closed by savings on the 15th after 10 days: 1,000,000 x 6 % x 10 / 365 = 600,000 / 365
    #     = Rp1,643.84 -> Rp1,644 credited, then paid out with the balance.
    payout = coop.call("savings.close", account=closed, payout_account=CASH)["payout"]
    assert {line["amount"]["amount"] for line in payout["postings"]} == {"1001644.00"}
    # Emptied and closed by the kernel at zero: its 10 accrual days earn it nothing after.
    coop.withdraw(emptied, "1000000")
    coop.call("accounts.close", account=emptied)
    coop.close_days_until(FEBRUARY)

    found = records(coop)
    assert found[closed] == {"number": closed, "period_from": date(2026, 1, 5),
                             "period_to": RATE_CHANGE, "days": 10, "gross": 164_400, "tax": 0,
                             "entry_id": found[closed]["entry_id"]}
    memo, lines = entry_lines(coop, found[closed]["entry_id"])
    assert memo == "Jasa simpanan berjalan (penutupan rekening)"
    assert lines[closed] == -164_400
    assert found[emptied] == {"number": emptied, "period_from": date(2026, 1, 5),
                              "period_to": MONTH_END, "days": 10, "gross": 0, "tax": 0,
                              "entry_id": found[emptied]["entry_id"]}
    # It stopped accruing the day it closed: its last accrual day is the 14th.
    assert accrued_through(coop)[emptied] == date(2026, 1, 14)
    # TURUN: 1,000,000 x (6 % x 10 + 3 % x 17) / 365 = 1,110,000 / 365 = Rp3,041.10 -> Rp3,041,
    #     over the whole period from the 5th whichever rate's days are read first.
    assert found[turun]["period_from"] == date(2026, 1, 5)
    assert (found[turun]["days"], found[turun]["gross"]) == (27, 304_100)
    assert coop.balance(turun) == "1003041.00"
    # KUARTAL posts at the end of March: January's 27 days stay accrued, Rp2,219 so far
    #     (1,000,000 x 3 % x 27 / 365 = 810,000 / 365 = Rp2,219.18).
    assert quarterly not in found
    assert coop.balance(quarterly) == "1000000.00"
    accrued = coop.call("savings.balance", account=quarterly)["accrued_interest"]
    assert accrued["amount"] == "2219.00"
    assert accrual_rows(coop) == 27
    coop.books_balance()


def test_days_below_the_minimum_add_nothing_even_at_half_a_sen(coop: Coop) -> None:
    # 100 % a year over a 360-day year, rounded to the sen. Each account holds Rp1.00 (below
    # its minimum) for 26 days, then reaches its minimum on the 31st, the one day that earns:
    # Rp1.80 x 100 % / 360 = 0.5 sen -> 1 sen (half up); Rp1.79 -> 0.497 sen -> 0. The 26 days
    # below the minimum add nothing, not even a fraction of a sen.
    for code, minimum in (("SETENGAH", "1.80"), ("KURANG", "1.79")):
        coop.product(code, "sukarela", interest_rate="100", days_in_year=360,
                     rounding_unit="0.01", interest_min_balance=minimum)
    member = coop.member()
    half, under = coop.open(member, "SETENGAH"), coop.open(member, "KURANG")
    for account in (half, under):
        coop.deposit(account, "1")
    coop.close_days_until(MONTH_END)
    coop.deposit(half, "0.80")
    coop.deposit(under, "0.79")
    coop.close_days_until(FEBRUARY)
    found = records(coop)
    assert (found[half]["gross"], found[under]["gross"]) == (1, 0)
    assert (coop.balance(half), coop.balance(under)) == ("1.81", "1.79")


def test_a_rate_set_to_zero_mid_period_still_pays_the_days_accrued_before(coop: Coop) -> None:
    # Both products at 3 % from 5 January; the board sets them to 0 % from the 20th. The 15
    # days accrued (5-19 January) are paid at the month end like any others.
    coop.product("BERHENTI", "sukarela", interest_rate="3")
    coop.product("BESAR", "sukarela", interest_rate="3", tax_rate="10", tax_threshold="240000")
    member = coop.member()
    small, large = coop.open(member, "BERHENTI"), coop.open(member, "BESAR")
    coop.deposit(small, "10000000")
    coop.deposit(large, "300000000")
    coop.close_days_until(date(2026, 1, 20))
    change_rate(coop, "BERHENTI", 0)
    change_rate(coop, "BESAR", 0)
    coop.close_days_until(date(2026, 1, 25))
    # Still owed, and shown: 10,000,000 x 3 % x 15 / 365 = Rp12,328.77 -> Rp12,329.
    accrued = coop.call("savings.balance", account=small)["accrued_interest"]
    assert accrued["amount"] == "12329.00"
    coop.close_days_until(FEBRUARY)

    # Rp10,000,000 x 3 % x 15 / 365 = 4,500,000 / 365 = Rp12,328.77 -> Rp12,329, no tax.
    # Rp300,000,000 x 3 % x 15 / 365 = 135,000,000 / 365 = Rp369,863.01 -> Rp369,863, above
    #     Rp240,000: tax 10 % = Rp36,986.3 -> Rp36,986; net Rp332,877.
    found = records(coop)
    period = {"period_from": date(2026, 1, 5), "period_to": MONTH_END, "days": 15,
              "entry_id": found[small]["entry_id"]}
    assert period["entry_id"] is not None
    assert found == {
        small: {"number": small, **period, "gross": 1_232_900, "tax": 0},
        large: {"number": large, **period, "gross": 36_986_300, "tax": 3_698_600},
    }
    assert (coop.balance(small), coop.balance(large)) == ("10012329.00", "300332877.00")
    assert accrual_rows(coop) == 0
    coop.books_balance()


def test_the_interest_shown_as_accrued_is_rounded_to_the_products_unit(coop: Coop) -> None:
    # Rounded to the sen: 5 days (5-9 January) at 3 % on Rp1,000,000 = 15,000,000 / 365 sen
    # = 41,095.89 sen -> Rp410.96; rounded to the rupiah (the default unit) Rp411.
    coop.product("SEN", "sukarela", interest_rate="3", rounding_unit="0.01")
    coop.product("RUPIAH", "sukarela", interest_rate="3")
    member = coop.member()
    sen, rupiah = coop.open(member, "SEN"), coop.open(member, "RUPIAH")
    for account in (sen, rupiah):
        coop.deposit(account, "1000000")
    coop.close_days_until(date(2026, 1, 10))
    shown = {account: coop.call("savings.balance", account=account)["accrued_interest"]["amount"]
             for account in (sen, rupiah)}
    assert shown == {sen: "410.96", rupiah: "411.00"}
