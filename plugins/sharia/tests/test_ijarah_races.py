"""Two tellers on one lease or one asset at the same moment (PostgreSQL: SQLite serialises
writers, so nothing can collide there): each rent is collected once, an asset leased once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sharia_coop import CASH, Coop
from test_sharia_races import together

from kopcore.errors import Conflict


@pytest.mark.postgres_only
def test_concurrent_payments_and_leases(coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 31))
    machine = coop.call("sharia.ijarah-acquire", asset="Mesin", cost="120000000",
                        useful_life_months=60, cash_account=CASH, supplier="PT Pemasok",
                        document="Faktur 1")["asset"]["id"]
    members = [coop.member("Ani Rahayu"), coop.member("Budi Santoso")]

    def lease(member: str) -> Callable[[], Any]:
        return lambda: coop.call("sharia.ijarah-contract", as_user="teller", member=member,
                                 asset=machine, ujrah="2400000", term=12)

    outcomes = together(lease(members[0]), lease(members[1]))
    assert sum(isinstance(r, Conflict) for r in outcomes) == 1, outcomes
    number = next(r for r in outcomes if isinstance(r, dict))["ijarah"]["account"]["number"]
    coop.close_days(date(2026, 6, 1))  # rents due 28 Feb, 31 Mar, 30 Apr, 31 May

    def pay() -> Any:
        return coop.call("sharia.ijarah-pay", as_user="teller", account=number,
                         cash_account=CASH)

    paid = [r["rent"]["number"] for _ in range(2) for r in together(pay, pay)]
    assert sorted(paid) == [1, 2, 3, 4]
    detail = coop.call("sharia.ijarah-detail", account=number)
    assert (detail["rents_paid"], detail["receivable"]["amount"]) == (4, "0.00")
    coop.books_balance()
