"""Two tellers on the same musyarakah at the same moment (PostgreSQL: SQLite serialises writers,
so nothing can collide there): each installment and each month's report is taken once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sharia_coop import CASH, Coop
from test_sharia_races import together

from kopcore.errors import Conflict, KopcoreError


@pytest.mark.postgres_only
def test_concurrent_installments_and_reports_are_taken_once(
        coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 1))
    member = coop.member()
    # Rp4,000,000 of the cooperative beside 1,000,000 in 4 installments, ujrah 500,000:
    # shares of 1,000,000; ujrah parts 500,000 x 4/5, 3/5, 2/5, 1/5 = 400,000 ... 100,000.
    mmq = coop.call("sharia.musyarakah-contract", as_user="teller", member=member,
                    kind="diminishing", business="Angkot trayek 05", capital="4000000",
                    member_capital="1000000", member_contribution="kas", term_months=4,
                    installments=4, ujrah="500000",
                    cash_account=CASH)["musyarakah"]["account"]["number"]
    permanent = coop.call("sharia.musyarakah-contract", as_user="teller", member=member,
                          business="Kios buah", capital="2000000", member_capital="2000000",
                          member_contribution="kas", term_months=3, nisbah="50",
                          cash_account=CASH)["musyarakah"]["account"]["number"]

    def pay() -> Any:
        return coop.call("sharia.musyarakah-pay", as_user="teller", account=mmq,
                         cash_account=CASH)

    paid = [r["installment"]["number"] for _ in range(2) for r in together(pay, pay)]
    assert sorted(paid) == [1, 2, 3, 4]
    done = coop.call("sharia.musyarakah-detail", account=mmq)
    assert (done["status"], done["income"]["amount"], done["returned"]["amount"]) == (
        "settled", "1000000.00", "4000000.00")  # 400,000 + 300,000 + 200,000 + 100,000
    coop.close_days(date(2026, 2, 1))

    def report() -> Any:
        return coop.call("sharia.musyarakah-report", as_user="teller", account=permanent,
                         result="1000000", cash_account=CASH)

    outcomes = together(report, report)
    assert sum(isinstance(r, Conflict) for r in outcomes) == 1, outcomes
    assert sum(not isinstance(r, KopcoreError) for r in outcomes) == 1, outcomes
    listed = coop.call("sharia.musyarakah-reports", account=permanent)["reports"]
    assert [(r["period"], r["share"]["amount"]) for r in listed] == [(1, "500000.00")]
    coop.books_balance()
