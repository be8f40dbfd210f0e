"""Separable books: a sharia unit (USPPS) beside a conventional business reads its own trial
balance, financial position and operating results; a KSPPS includes its whole chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sharia_coop import CASH, Coop

import kopcore
from kopcore.errors import Conflict, NotFound
from kopcore.kernel import Kernel
from kopcore.records import GLAccountSpec, GLType

UNIT_CASH = "KAS-SYARIAH"


class Conventional:
    """A stand-in conventional business with an interest income account."""

    @kopcore.hookimpl
    def kopcore_gl_accounts(self) -> Sequence[GLAccountSpec]:
        return [GLAccountSpec("conv.interest_income", "4991", "Pendapatan Bunga", GLType.INCOME)]


def line(account: str, side: str, amount: str) -> dict[str, str]:
    return {"account": account, "side": side, "amount": amount}


def test_a_sharia_unit_beside_a_conventional_business(make_kernel: Callable[..., Kernel]
                                                      ) -> None:
    coop = Coop(make_kernel(plugins=("sharia",), extra_plugins=(("conv", Conventional()),)))
    coop.call("accounts.open-internal", name="Kas Unit Syariah", gl_key="sharia.cash",
              number=UNIT_CASH)
    # The head office funds the unit: each set of books gets a balanced half.
    coop.call("entries.post", memo="Modal kerja unit syariah", lines=[
        line(UNIT_CASH, "debit", "100000000"), line("GL-sharia.unit_funds", "credit", "100000000"),
        line("GL-sharia.head_office_investment", "debit", "100000000"),
        line(CASH, "credit", "100000000")])
    member = coop.member()
    made = coop.call("sharia.murabahah-contract", member=member,
                     acquisition=coop.acquire(member, "10000000", asset="Motor",
                                              cash_account=UNIT_CASH),
                     margin="2000000", installments=10)
    coop.call("sharia.murabahah-pay", account=made["murabahah"]["account"]["number"],
              cash_account=UNIT_CASH)
    wadiah = coop.call("sharia.wadiah-open", member=member)["number"]
    coop.call("sharia.wadiah-deposit", account=wadiah, amount="500000", cash_account=UNIT_CASH)
    coop.call("sharia.zis-receive", fund="zakat", amount="250000", cash_account=UNIT_CASH,
              memo="Zakat maal")
    coop.call("entries.post", memo="Bunga pinjaman konvensional",
              lines=[line(CASH, "debit", "75000"), line("GL-conv.interest_income", "credit",
                                                       "75000")])
    coop.books_balance()

    tb = coop.call("sharia.unit-trial-balance", as_user="auditor")
    lines = {x["key"]: (x["debit"]["amount"], x["credit"]["amount"]) for x in tb["lines"]}
    # Unit cash: 100,000,000 - 10,000,000 + 1,200,000 + 500,000 + 250,000.
    assert lines == {
        "sharia.cash": ("91950000.00", "0.00"),
        "sharia.murabahah_receivable": ("10800000.00", "0.00"),
        "sharia.murabahah_deferred_margin": ("0.00", "1800000.00"),
        "sharia.wadiah": ("0.00", "500000.00"),
        "sharia.zakat": ("0.00", "250000.00"),
        "sharia.unit_funds": ("0.00", "100000000.00"),
        "sharia.murabahah_margin_income": ("0.00", "200000.00"),
    }
    assert tb["total_debit"]["amount"] == tb["total_credit"]["amount"] == "102750000.00"
    assert tb["balanced"] is True

    position = coop.call("sharia.unit-financial-position", as_user="auditor")
    assert position["assets"]["total"]["amount"] == "100950000.00"  # receivable net of margin
    assert position["liabilities"]["total"]["amount"] == "100750000.00"
    assert position["current_surplus"]["amount"] == "200000.00"
    assert position["liabilities_and_equity"]["amount"] == "100950000.00"

    results = coop.call("sharia.unit-operating-results", as_user="auditor",
                        from_date="2026-01-05", to_date="2026-01-05")
    assert [x["key"] for x in results["income"]["lines"]] == ["sharia.murabahah_margin_income"]
    assert results["surplus"]["amount"] == "200000.00"
    # The whole cooperative's statement has both businesses.
    whole = coop.call("reports.operating-results", from_date="2026-01-05", to_date="2026-01-05")
    assert whole["surplus"]["amount"] == "275000.00"


def test_a_kspps_reads_its_whole_chart_as_the_unit(coop: Coop) -> None:
    coop.refused(NotFound, "sharia.unit-include", as_user="manager", gl_key="no.such")
    coop.refused(Conflict, "sharia.unit-include", as_user="manager", gl_key="sharia.wadiah")
    for key in ("cash", "equity.grants"):
        coop.call("sharia.unit-include", as_user="manager", gl_key=key)
    wadiah = coop.call("sharia.wadiah-open", member=coop.member())["number"]
    coop.call("sharia.wadiah-deposit", account=wadiah, amount="300000", cash_account=CASH)
    unit = coop.call("sharia.unit-trial-balance", as_user="auditor")
    whole = coop.call("reports.trial-balance")
    assert [x["key"] for x in unit["lines"]] == [x["key"] for x in whole["lines"]]
    assert unit["total_debit"]["amount"] == "1000300000.00"
    assert unit["balanced"] is True
    out = coop.call("sharia.unit-include", as_user="manager", gl_key="equity.grants",
                    include=False)
    assert "equity.grants" not in out["gl_keys"]
    assert "cash" in out["gl_keys"]
    assert coop.call("sharia.unit-trial-balance", as_user="auditor")["balanced"] is False
