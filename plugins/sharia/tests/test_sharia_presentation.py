"""Dana syirkah temporer (PSAK 405, DOMAIN.md section 6): mudharabah savings and deposits are
presented between liabilities and equity, in the sharia unit's, the consolidated and the RAT
statements, not as ordinary liabilities; wadiah stays a liability."""

from __future__ import annotations

import json

from click.testing import CliRunner
from litestar.testing import TestClient
from sharia_coop import CASH, Coop

from kopcore.cli import make_cli
from kopcore.interfaces.api import make_app

TITLE = "Dana Syirkah Temporer"


def funded(coop: Coop) -> None:
    """Siti saves Rp10,000,000 in mudharabah savings, Budi places Rp5,000,000 for three
    months and keeps Rp500,000 in wadiah; a murabahah (10,000,000 + 2,000,000) is contracted."""
    coop.call("sharia.mudharabah-pool-create", as_user="manager", code="TMB",
              name="Tabungan Mudharabah", nisbah="60")
    siti, budi = coop.member(), coop.member("Budi Santoso")
    coop.call("sharia.mudharabah-open", member=siti, pool="TMB", amount="10000000",
              cash_account=CASH)
    coop.call("sharia.mudharabah-open", member=budi, pool="TMB", kind="deposit", term_months=3,
              amount="5000000", cash_account=CASH)
    wadiah = coop.call("sharia.wadiah-open", member=budi)["number"]
    coop.call("sharia.wadiah-deposit", account=wadiah, amount="500000", cash_account=CASH)
    coop.call("sharia.murabahah-contract", member=siti,
              acquisition=coop.acquire(siti, "10000000", asset="Motor"), margin="2000000",
              installments=10)


def keyed(section: dict) -> dict[str, str]:
    return {x["key"]: x["balance"]["amount"] for x in section["lines"]}


def test_mudharabah_funds_stand_between_liabilities_and_equity(coop: Coop) -> None:
    funded(coop)
    whole = coop.call("reports.financial-position")
    (between,) = whole["between_liabilities_and_equity"]
    assert between["title"] == TITLE
    assert keyed(between) == {"sharia.mudharabah_savings": "10000000.00",
                              "sharia.mudharabah_deposits": "5000000.00"}
    assert between["total"]["amount"] == "15000000.00"
    liabilities = keyed(whole["liabilities"])
    assert liabilities["sharia.wadiah"] == "500000.00"
    assert not {"sharia.mudharabah_savings", "sharia.mudharabah_deposits"} & set(liabilities)
    assert whole["liabilities_and_equity"] == whole["assets"]["total"]

    # The unit's books, through the kernel's unit report and the plugin's own statement.
    by_unit = coop.call("reports.financial-position", unit="syariah")
    assert by_unit["between_liabilities_and_equity"] == whole["between_liabilities_and_equity"]
    unit = coop.call("sharia.unit-financial-position", as_user="auditor")
    assert unit["temporary_syirkah"]["title"] == TITLE
    assert keyed(unit["temporary_syirkah"]) == keyed(between)
    assert keyed(unit["liabilities"]) == {"sharia.wadiah": "500000.00"}
    # Unit assets: the murabahah receivable net of its deferred margin, less the cash it paid
    # out, plus the cash the unit's accounts took in (all through the shared cash account,
    # outside the unit): 12,000,000 - 2,000,000.
    assert unit["assets"]["total"]["amount"] == "10000000.00"
    assert unit["liabilities"]["total"]["amount"] == "500000.00"
    assert unit["liabilities_and_equity"]["amount"] == "15500000.00"

    # The trial balance keeps them credit-side liabilities.
    tb = coop.call("reports.trial-balance")
    types = {x["key"]: x["type"] for x in tb["lines"]}
    assert types["sharia.mudharabah_savings"] == types["sharia.mudharabah_deposits"] == \
        "liability"
    coop.books_balance()


def test_the_rat_statements_present_dana_syirkah_temporer(coop: Coop) -> None:
    funded(coop)
    rat = coop.call("statements.rat", as_user="auditor", year=2026, format="csv")
    fp = rat["financial_position"]
    (between,) = fp["between_liabilities_and_equity"]
    assert between["title"] == TITLE
    assert {x["code"]: x["current"]["amount"] for x in between["lines"]} == {
        "2122": "10000000.00", "2123": "5000000.00"}
    assert between["total_current"]["amount"] == "15000000.00"
    assert between["total_previous"]["amount"] == "0.00"
    assert "2122" not in {x["code"] for x in fp["liabilities"]["lines"]}
    assets = fp["assets"]["total_current"]["amount"]
    assert fp["liabilities_and_equity_current"]["amount"] == assets
    rows = rat["document"].splitlines()
    assert ("financial_position,Dana Syirkah Temporer,2122,Tabungan Mudharabah,"
            "10000000.00,0.00") in rows
    assert ("financial_position,Dana Syirkah Temporer,,Jumlah dana syirkah temporer,"
            "15000000.00,0.00") in rows
    assert (f"financial_position,,,"
            f"\"Jumlah liabilitas, dana syirkah temporer dan ekuitas\",{assets},0.00") in rows
    order = [r.split(",")[1] for r in rows if r.startswith("financial_position,")]
    assert order.index("Liabilitas") < order.index(TITLE) < order.index("Ekuitas")


def test_through_the_api_and_the_cli(coop: Coop) -> None:
    funded(coop)
    auditor = coop.api_key("auditor")
    with TestClient(app=make_app(coop.kernel)) as client:
        got = client.get("/api/v1/sharia/unit-financial-position",
                         headers={"Authorization": f"Bearer {auditor}"})
        assert got.status_code == 200, got.text
        assert got.json()["temporary_syirkah"]["total"]["amount"] == "15000000.00"
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    out = CliRunner().invoke(cli, ["--operator", "auditor", "reports", "financial-position",
                                   "--unit", "syariah", "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    (between,) = json.loads(out.output)["between_liabilities_and_equity"]
    assert between["total"]["amount"] == "15000000.00"
