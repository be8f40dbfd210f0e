"""Two distributions, or two investments, of the same wakaf money at the same moment
(PostgreSQL: SQLite serialises writers, so nothing can collide there): the principal is never
distributed and never invested twice."""

from __future__ import annotations

from typing import Any

import pytest
from sharia_coop import CASH, Coop
from test_sharia_races import together

from kopcore.errors import InsufficientFunds


def _wakaf_with_results(coop: Coop) -> None:
    # Principal 10,000,000, all placed in the cooperative's financing; a result of 1,000,000
    # leaves 900,000 for the mauquf 'alaih after the nazhir's 10 %.
    coop.call("sharia.wakaf-receive", as_user="teller", wakif="H. Abdullah",
              ikrar="AIW-001/2026", purpose="Beasiswa", amount="10000000", cash_account=CASH)
    placed = coop.call("sharia.wakaf-invest", as_user="manager", amount="6000000",
                       placement="financing", placed_with="Pembiayaan murabahah")
    coop.call("sharia.wakaf-result", as_user="manager", investment=placed["investment"]["id"],
              amount="1000000", memo="Bagi hasil Januari")


@pytest.mark.postgres_only
def test_concurrent_distributions_never_reach_the_principal(coop: Coop) -> None:
    _wakaf_with_results(coop)

    def distribute() -> Any:
        return coop.call("sharia.wakaf-distribute", as_user="teller", amount="600000",
                         cash_account=CASH, memo="Beasiswa")

    results = together(distribute, distribute)
    assert sum(isinstance(r, InsufficientFunds) for r in results) == 1
    funds = coop.call("sharia.wakaf-list")["funds"]
    assert funds["benefits"]["amount"] == "300000.00"
    assert funds["permanent"]["amount"] == "10000000.00"
    coop.books_balance()


@pytest.mark.postgres_only
def test_concurrent_investments_never_exceed_the_principal(coop: Coop) -> None:
    _wakaf_with_results(coop)

    def invest() -> Any:
        return coop.call("sharia.wakaf-invest", as_user="manager", amount="3000000",
                         placement="deposit", placed_with="Deposito mudharabah koperasi")

    results = together(invest, invest)
    assert sum(isinstance(r, InsufficientFunds) for r in results) == 1
    assert coop.call("sharia.wakaf-list")["funds"]["uninvested"]["amount"] == "1000000.00"
    coop.books_balance()
