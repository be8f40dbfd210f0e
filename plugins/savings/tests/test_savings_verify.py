"""verify checks the savings records against the ledger (``kopcore_verify``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from kopcore_savings.tables import deposits, interest_postings
from savings_coop import CASH, Coop

from kopcore.testing import verify_books


def errors(coop: Coop) -> list[tuple[str, str]]:
    report = coop.kernel.read("auditor", verify_books)
    return [(p.kind, p.detail) for p in report.errors]


def test_a_time_deposit_accrual_edited_in_the_database_is_found(coop: Coop) -> None:
    coop.product("DEPO-1", "berjangka", interest_rate="6", term_months=3,
                 min_balance="1000000", penalty_rate="1")
    member = coop.member()
    coop.call("savings.place-deposit", member=member, product="DEPO-1", amount="10000000",
              source_account=CASH, instruction="rollover")
    coop.close_days_until(date(2026, 2, 1))  # the January accrual is expensed
    assert errors(coop) == []
    with coop.kernel.db.engine.begin() as conn:
        conn.execute(sa.update(deposits).values(accrued=deposits.c.accrued + 500000))
    found = errors(coop)
    assert [kind for kind, _ in found] == ["savings.deposit_accruals_differ"]
    assert found[0][1].startswith("time deposits record Rp")
    assert "the interest payable account GL-savings.interest_payable holds Rp" in found[0][1]


def test_interest_recorded_but_not_credited_is_found(coop: Coop) -> None:
    coop.product("SUKARELA", "sukarela", interest_rate="3")
    account = coop.open(coop.member(), "SUKARELA")
    coop.deposit(account, "10000000")
    coop.close_days_until(date(2026, 2, 1))  # January's interest is posted at month end
    posted = coop.kernel.db.read(lambda conn: conn.execute(
        sa.select(interest_postings.c.gross)).scalars().all())
    assert posted
    assert Decimal(posted[0]) > 0
    assert errors(coop) == []
    with coop.kernel.db.engine.begin() as conn:
        conn.execute(sa.update(interest_postings).values(gross=interest_postings.c.gross + 100))
    assert [kind for kind, _ in errors(coop)] == ["savings.interest_posting_differs"]
