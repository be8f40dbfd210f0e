"""ZIS per PSAK 409 (DOMAIN.md section 6): zakat, infak/sedekah, amil and non-halal funds with
their receipts and distributions by asnaf, the amil's share, and a bank's interest kept out of
income by the veto and received into the non-halal fund instead."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner
from sharia_coop import CASH, Coop

import kopcore
from kopcore.cli import make_cli
from kopcore.errors import InsufficientFunds, PostingVetoed, ValidationError
from kopcore.kernel import Kernel
from kopcore.records import GLAccountSpec, GLType


class BankInterest:
    """A conventional chart's bank interest income account (jasa giro)."""

    @kopcore.hookimpl
    def kopcore_gl_accounts(self) -> list[GLAccountSpec]:
        return [GLAccountSpec("conv.bank_interest_income", "4992", "Pendapatan Jasa Giro",
                              GLType.INCOME)]


def test_zakat_infaq_amil_and_non_halal_funds(make_kernel: Callable[..., Kernel]) -> None:
    coop = Coop(make_kernel(plugins=("sharia",), extra_plugins=(("conv", BankInterest()),)))
    coop.call("accounts.open-internal", name="Kas Unit Syariah", gl_key="sharia.cash",
              number="KAS-SYARIAH")
    coop.call("entries.post", memo="Modal kerja unit syariah", lines=[
        {"account": "KAS-SYARIAH", "side": "debit", "amount": "1000000"},
        {"account": "GL-sharia.unit_funds", "side": "credit", "amount": "1000000"},
        {"account": "GL-sharia.head_office_investment", "side": "debit", "amount": "1000000"},
        {"account": CASH, "side": "credit", "amount": "1000000"}])
    # Zakat maal Rp10,000,000 with the amil's 12.5 %: 8,750,000 zakat, 1,250,000 amil.
    out = coop.call("sharia.zis-receive", fund="zakat", amount="10000000", cash_account=CASH,
                    memo="Zakat maal Bapak Ahmad", amil_share="12.5")
    assert out["amil_part"]["amount"] == "1250000.00"
    assert out["fund"]["balance"]["amount"] == "8750000.00"
    coop.refused(ValidationError, "sharia.zis-receive", fund="zakat", amount="100",
                 cash_account=CASH, memo="x", amil_share="12.51")
    coop.refused(ValidationError, "sharia.zis-receive", fund="social", amount="100",
                 cash_account=CASH, memo="x", amil_share="1")
    # Infak Rp333,333 with 10 %: 33,333.3 rounds half up to 33,333 for the amil.
    out = coop.call("sharia.zis-receive", fund="infaq", amount="333333", cash_account=CASH,
                    memo="Kotak infak Jumat", amil_share="10")
    assert (out["amil_part"]["amount"], out["fund"]["balance"]["amount"]) == (
        "33333.00", "300000.00")
    # Distributions: zakat by asnaf (named), the amil's costs, nothing beyond a fund.
    coop.refused(ValidationError, "sharia.zis-disburse", fund="zakat", amount="1",
                 cash_account=CASH, memo="Ibu Sumi")
    coop.call("sharia.zis-disburse", fund="zakat", amount="5000000", cash_account=CASH,
              memo="Ibu Sumi dan 9 keluarga", asnaf="fakir")
    coop.call("sharia.zis-disburse", fund="zakat", amount="2000000", cash_account=CASH,
              memo="Beasiswa santri", asnaf="fisabilillah")
    coop.refused(InsufficientFunds, "sharia.zis-disburse", fund="zakat", amount="1750000.01",
                 cash_account=CASH, memo="x", asnaf="miskin")
    coop.call("sharia.zis-disburse", fund="amil", amount="500000", cash_account=CASH,
              memo="Biaya operasional amil")
    # A bank's interest on the unit's cash may not reach the sharia books' income: the veto
    # refuses it and names the non-halal fund.
    error = coop.refused(PostingVetoed, "entries.post", memo="Jasa giro Bank X", lines=[
        {"account": "KAS-SYARIAH", "side": "debit", "amount": "150000"},
        {"account": "GL-conv.bank_interest_income", "side": "credit", "amount": "150000"}])
    assert "non-halal fund" in str(error)
    coop.call("sharia.zis-receive", fund="non_halal", amount="150000",
              cash_account="KAS-SYARIAH", memo="Jasa giro Bank X Januari")
    coop.refused(ValidationError, "sharia.zis-disburse", fund="non_halal", amount="150000",
                 cash_account="KAS-SYARIAH", memo="Banjir", asnaf="amil")
    coop.call("sharia.zis-disburse", fund="non_halal", amount="150000",
              cash_account="KAS-SYARIAH", memo="Bantuan korban banjir")
    today = coop.call("sharia.zis-report", from_date="2026-01-05", to_date="2026-01-05")
    funds = {f["fund"]: (f["received"]["amount"], f["disbursed"]["amount"],
                         f["closing"]["amount"]) for f in today["funds"]}
    assert funds == {"zakat": ("8750000.00", "7000000.00", "1750000.00"),
                     "infaq": ("300000.00", "0.00", "300000.00"),
                     "amil": ("1283333.00", "500000.00", "783333.00"),
                     "non_halal": ("150000.00", "150000.00", "0.00"),
                     "social": ("0.00", "0.00", "0.00")}
    assert [(d["fund"], d["asnaf"], d["disbursed"]["amount"]) for d in today["distributions"]
            ] == [("zakat", "fakir", "5000000.00"), ("zakat", "fisabilillah", "2000000.00"),
                  ("amil", None, "500000.00"), ("non_halal", None, "150000.00")]
    # Nothing of it is income.
    net = coop.gl_net()
    assert not any(key.startswith("sharia.") and key.endswith("income") for key in net)
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    result = CliRunner().invoke(cli, ["--operator", "teller", "sharia", "zis-report",
                                      "--from-date", "2026-01-05", "--to-date", "2026-01-05",
                                      "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["distributions"]) == 4
    coop.books_balance()
