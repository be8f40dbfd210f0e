"""verify checks the mudharabah distributions against the ledger (``kopcore_verify``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from kopcore_sharia.tables import shares
from sharia_coop import CASH, Coop

from kopcore.testing import verify_books


def errors(coop: Coop) -> list[str]:
    report = coop.kernel.read("auditor", verify_books)
    return [p.kind for p in report.errors]


def test_a_share_edited_in_the_database_is_found(coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 31))
    coop.call("sharia.mudharabah-pool-create", as_user="manager", code="TMB",
              name="Tabungan Mudharabah", nisbah="60")
    for member in (coop.member(), coop.member("Budi Santoso")):
        coop.call("sharia.mudharabah-open", member=member, pool="TMB", amount="10000000",
                  cash_account=CASH)
    coop.close_days(date(2026, 3, 1))
    coop.call("sharia.mudharabah-distribute", as_user="manager", pool="TMB",
              month="2026-02-28", distributable_income="1000000")
    assert errors(coop) == []
    first = coop.kernel.db.read(lambda conn: conn.execute(
        sa.select(shares.c.account_id).order_by(shares.c.account_id)).scalars().first())
    with coop.kernel.db.engine.begin() as conn:
        conn.execute(sa.update(shares).where(shares.c.account_id == first)
                     .values(amount=shares.c.amount + 100000))
    assert errors(coop) == ["sharia.distribution_parts_differ", "sharia.share_posting_differs"]
    with coop.kernel.db.engine.begin() as conn:
        conn.execute(sa.update(shares).where(shares.c.account_id == first)
                     .values(amount=shares.c.amount - 100000, entry_id=None))
    assert errors(coop) == ["sharia.share_posting_differs", "sharia.share_not_posted"]
