"""The ledger's own capital and identity figures of the worksheet, on a small book by hand.

Modal tertimbang / ATMR (capital adequacy), SHU bagian anggota (return on equity) and PEA
(members' economic promotion) come from the GL accounts and the ``[shu]`` settings
(kopcore/_oversight/capital.py, weights in kopcore/_oversight/weights/capital.toml).

The book (rupiah): hibah 10,000,000 in cash; pokok 1,000,000 and wajib 2,000,000 paid in cash;
2,000,000 borrowed (dana yang diterima); 5,000,000 placed in the bank; 3,000,000 of fixed assets
bought; income 4,000,000 and expenses 1,000,000 in cash. Cash ends at 10,000,000; the year's
surplus is 3,000,000.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from kopcore._oversight import capital
from kopcore._oversight.scoring import load_regime
from kopcore.errors import ConfigurationError
from kopcore.settings import ShuSettings
from kopcore.testing import Cooperative, KernelFactory

RP = 100  # minor units per rupiah


def minor(value: dict[str, str]) -> int:
    return int(Decimal(value["amount"]) * RP)


def post(coop: Cooperative, debit: str, credit: str, amount: str) -> None:
    coop.call("entries.post", memo="Buku uji", lines=[
        {"account": debit, "side": "debit", "amount": amount},
        {"account": credit, "side": "credit", "amount": amount}])


def seeded(make_kernel: KernelFactory) -> Cooperative:
    coop = Cooperative(make_kernel(plugins=()), capital="10000000")
    post(coop, coop.CASH, "GL-equity.pokok", "1000000")
    post(coop, coop.CASH, "GL-equity.wajib", "2000000")
    post(coop, coop.CASH, "GL-payable.borrowings", "2000000")
    post(coop, "GL-bank", coop.CASH, "5000000")
    post(coop, "GL-fixed_assets", coop.CASH, "3000000")
    post(coop, coop.CASH, "GL-income.other", "4000000")
    post(coop, "GL-expense.general", coop.CASH, "1000000")
    return coop


def indicators(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["key"]: i for i in result["indicators"]}


def test_capital_adequacy_roe_and_pea_by_hand(make_kernel: KernelFactory) -> None:
    coop = seeded(make_kernel)
    got = indicators(coop.call("health.assess", regime="perdep-06-2016"))

    # Modal tertimbang (Permen KUKM 14/2009's table, rasio kecukupan modal sendiri): hibah
    # 10,000,000 x 100 % + pokok 1,000,000 x 100 % + wajib 2,000,000 x 100 % + SHU tahun
    # berjalan 3,000,000 x 50 % + dana yang diterima 2,000,000 x 50 % = 15,500,000.
    car = got["own_capital_adequacy"]
    weighted = {p["source"]: minor(p["amount"]) for p in car["numerator_parts"]}
    assert weighted == {"GL 3101 x bobot 100 %": 1_000_000 * RP,
                        "GL 3102 x bobot 100 %": 2_000_000 * RP,
                        "GL 3103 x bobot 100 %": 10_000_000 * RP,
                        "ledger: income less expenses x bobot 50 %": 1_500_000 * RP,
                        "GL 2193 x bobot 50 %": 1_000_000 * RP}
    assert minor(car["numerator"]) == 15_500_000 * RP
    # ATMR: kas 10,000,000 x 0 % + bank 5,000,000 x 0 % + aset tetap 3,000,000 x 70 %
    # = 2,100,000.
    atmr = {p["source"]: minor(p["amount"]) for p in car["denominator_parts"]}
    assert atmr == {"GL 1101 x bobot 0 %": 0, "GL 1103 x bobot 0 %": 0,
                    "GL 1301 x bobot 70 %": 2_100_000 * RP}
    assert minor(car["denominator"]) == 2_100_000 * RP
    # 15,500,000 / 2,100,000 = 738.10 % (8 % or more) -> nilai 100.
    assert car["value_percent"] == "738.10"
    assert car["score"] == 100
    assert "capital_adequacy" not in got  # the Juknis' ratio is not the Perdep's

    # SHU bagian anggota: jasa modal 20 % + jasa usaha 20 % of the surplus 3,000,000
    # = 600,000 + 600,000; modal sendiri 16,000,000 -> 7.50 % (5 % or more) -> 100.
    roe = got["return_on_equity"]
    assert [minor(p["amount"]) for p in roe["numerator_parts"]] == [600_000 * RP,
                                                                    600_000 * RP]
    assert minor(roe["denominator"]) == 16_000_000 * RP
    assert roe["value_percent"] == "7.50"
    assert roe["score"] == 100
    # PEA (no MEPPP figure: SHU bagian anggota alone) 1,200,000 / (pokok + wajib 3,000,000)
    # = 40 % (10 % or more) -> 100.
    pea = got["member_economic_promotion"]
    assert minor(pea["numerator"]) == 1_200_000 * RP
    assert minor(pea["denominator"]) == 3_000_000 * RP
    assert pea["value_percent"] == "40.00"
    assert pea["score"] == 100

    # The current regime's modal yang diakui (Juknis 15/2021 tabel 4.2) counts equity only:
    # 14,500,000 / 2,100,000 = 690.48 % (8 % or more -> 4).
    current = indicators(coop.call("health.assess"))
    assert minor(current["capital_adequacy"]["numerator"]) == 14_500_000 * RP
    assert current["capital_adequacy"]["value_percent"] == "690.48"
    assert current["capital_adequacy"]["score"] == 4


def test_a_deficit_gives_members_no_shu(make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(plugins=()), capital="10000000")
    post(coop, coop.CASH, "GL-equity.pokok", "1000000")
    post(coop, "GL-expense.general", coop.CASH, "250000")
    got = indicators(coop.call("health.assess", regime="perdep-06-2016"))
    # Surplus -250,000: no SHU for members (0 % -> 25; PEA 0 % -> 0); modal tertimbang takes
    # the loss at its 50 % weight: 11,000,000 - 125,000.
    assert got["return_on_equity"]["value_percent"] == "0.00"
    assert got["return_on_equity"]["score"] == 25
    assert got["member_economic_promotion"]["score"] == 0
    assert minor(got["own_capital_adequacy"]["numerator"]) == 10_875_000 * RP
    # All assets are cash (0 %): no risk-weighted assets, the ratio is not available.
    assert got["own_capital_adequacy"]["score"] is None
    assert got["own_capital_adequacy"]["note"] == "not available: no risk-weighted assets"


def test_juknis_equity_growth_table() -> None:
    """Juknis 15/2021, pertumbuhan ekuitas: 10 % or more -> 4, 7 to under 10 -> 3, 4 to under
    7 -> 2, under 4 -> 1."""
    regime = load_regime("permenkop-9-2020")
    growth = next(i for i in regime.indicators if i.key == "equity_growth")
    assert growth.status == "verified"
    scores = [growth.score(Fraction(p)) for p in ("10", "9.99", "7", "6.99", "4", "3.99", "-5")]
    assert scores == [4, 3, 3, 2, 2, 1, 1]


def test_shu_bagian_anggota_comes_from_the_years_draft(make_kernel: KernelFactory) -> None:
    """The worked example of DOMAIN.md §4 (SHU Rp60,000,000; jasa usaha 25 %, jasa modal
    20 %): before the draft the worksheet splits the year's surplus by [shu]; once drafted it
    takes the draft's pools, Rp12,000,000 + Rp15,000,000, whatever the settings say later."""
    from tests.test_shu_distribution import FixedBases, close_year
    from tests.test_yearend_closing import book

    example = ShuSettings(reserve=Decimal(40), jasa_modal=Decimal(20), jasa_usaha=Decimal(25),
                          management=Decimal(5), staff=Decimal(5), education=Decimal(5),
                          social=Decimal(0), other=Decimal(0), member_payout="payable")
    coop = Cooperative(make_kernel(extra_plugins=[("fixed-bases", FixedBases(1, 2))],
                                   shu=example))
    for name in ("Ni Luh Ayu", "Komang Adi"):  # member ids 1 and 2, as the bases say
        coop.member(name)
    book(coop, "GL-income.services", "credit", "75000000", "Jasa layanan 2026")
    book(coop, "GL-expense.general", "debit", "15000000", "Biaya 2026")
    close_year(coop, 2026)

    def roe() -> dict[str, Any]:
        return indicators(coop.call("health.assess", regime="perdep-06-2016",
                                    as_of="2026-12-31"))["return_on_equity"]

    before = roe()
    assert [(minor(p["amount"]), p["source"]) for p in before["numerator_parts"]] == [
        (12_000_000 * RP, "ledger: SHU 1 Jan - 2026-12-31 x [shu] (jasa modal 20 % + "
                          "jasa usaha 25 %)"),
        (15_000_000 * RP, "ledger: SHU 1 Jan - 2026-12-31 x [shu] (jasa modal 20 % + "
                          "jasa usaha 25 %)")]
    drafted = coop.call("shu.draft", year=2026)
    after = roe()
    source = f"SHU 2026 draft #{drafted['draft_id']} (draft)"
    assert [(minor(p["amount"]), p["source"]) for p in after["numerator_parts"]] == [
        (12_000_000 * RP, source), (15_000_000 * RP, source)]
    # Modal sendiri: hibah 1,000,000,000 + the closed year's SHU 60,000,000 -> 27,000,000 /
    # 1,060,000,000 = 2.55 % (under 5 %) -> 25.
    assert minor(after["denominator"]) == 1_060_000_000 * RP
    assert after["value_percent"] == "2.55"
    assert after["score"] == 25


def test_juknis_return_on_assets_table() -> None:
    """Juknis 15/2021, rentabilitas aset: 7 % or more -> 4, 5 to under 7 -> 3, 3 to under 5
    -> 2, under 3 -> 1."""
    regime = load_regime("permenkop-9-2020")
    roa = next(i for i in regime.indicators if i.key == "return_on_assets")
    assert roa.status == "verified"
    scores = [roa.score(Fraction(p)) for p in ("7", "6.99", "5", "4.99", "3", "2.99", "-1")]
    assert scores == [4, 3, 3, 2, 2, 1, 1]


def test_each_gl_account_takes_the_first_matching_weight() -> None:
    weights = capital.load_weights()
    assets = {key: capital.rule_for(weights.assets, key).weight
              for key in ("cash", "vault", "sharia.cash", "bank", "fixed_assets",
                          "fixed_assets.depreciation", "loans.receivable", "receivable.other")}
    assert assets == {"cash": 0, "vault": 0, "sharia.cash": 0, "bank": 0, "fixed_assets": 70,
                      "fixed_assets.depreciation": 70, "loans.receivable": 100,
                      "receivable.other": 100}
    equity = {key: capital.rule_for(weights.capital, key).weight
              for key in ("equity.pokok", "equity.wajib", "equity.reserve", "equity.grants",
                          "equity.shu_undistributed", "equity.shu_current", "surplus",
                          "equity.other")}
    assert equity == {"equity.pokok": 100, "equity.wajib": 100, "equity.reserve": 100,
                      "equity.grants": 100, "equity.shu_undistributed": 50,
                      "equity.shu_current": 50, "surplus": 50, "equity.other": 100}
    # Every liability at 50 % in Permen KUKM 14/2009's modal tertimbang.
    assert {capital.rule_for(weights.liabilities, key).weight
            for key in ("savings.sukarela", "payable.borrowings", "payable.tax")} == {50}
    # A contra account's half sen is rounded away from zero, as its asset's would be.
    assert (capital.weighted(-5, Decimal(50)), capital.weighted(5, Decimal(50))) \
        == (-3, 3)


def test_a_bad_weights_table_is_refused_by_name() -> None:
    good = {"gl": "*", "label": "Aset lain", "weight": "100", "status": "unverified"}
    for bad in ([{**good, "weight": "120"}], [{**good, "status": "guessed"}],
                [{**good, "gl": "cash"}], [{"gl": "*"}], []):
        with pytest.raises(ConfigurationError, match=r"capital\.toml"):
            capital._rules(bad, "assets")
    assert capital._rules([good], "assets")[0].weight == 100
