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
from kopcore_savings.tables import interest_days, interest_postings, products
from savings_coop import Coop

from kopcore import ledger
from kopcore.db import tables as kt

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
    member = coop.member()
    account = {code: coop.open(member, code)
               for code in ("NAIK", "BESAR", "HARIAN", "RATA", "TERENDAH", "KECIL")}
    coop.deposit(account["NAIK"], "1000000")
    coop.deposit(account["BESAR"], "200000000")
    for code in ("HARIAN", "RATA", "TERENDAH"):
        coop.deposit(account[code], "500000")  # exactly the minimum for interest
    coop.deposit(account["KECIL"], "100")

    coop.close_days_until(RATE_CHANGE)  # 5-14 January accrued at 3 %
    change_rate(coop, "NAIK", 60_000)  # 6 % from the 15th
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
    }

    # The one entry: expense = 3,616 + 443,836 + 3 x 1,110 = Rp450,782 debited; each member
    # credited the net; the tax payable credited Rp44,384.
    memo, lines = entry_lines(coop, entry_id)
    assert memo == "Jasa simpanan s.d. 2026-01-31"
    expense = ledger_number(coop, "savings.interest_expense")
    tax = ledger_number(coop, "payable.tax")
    assert lines == {
        expense: 45_078_200, tax: -4_438_400, account["NAIK"]: -361_600,
        account["BESAR"]: -39_945_200, account["HARIAN"]: -111_000,
        account["RATA"]: -111_000, account["TERENDAH"]: -111_000,
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


def ledger_number(coop: Coop, key: str) -> str:
    return str(coop.kernel.read("auditor", lambda ctx: ledger.gl_account_number(key)))


def accrual_rows(coop: Coop) -> int:
    return int(coop.kernel.read("auditor", lambda ctx: ctx.conn.execute(
        sa.select(sa.func.count()).select_from(interest_days)).scalar()))
