"""Units with books of their own: a KSU's savings-and-loan unit (USP) declared in the settings,
and the sharia unit declared by its plugin, through one kernel mechanism (``kopcore_units``).

Each unit's reports are the kernel's reports over its GL accounts; the main books hold the rest;
the units and the main books add up to the consolidated books; the inter-unit accounts net to
zero there, and ``verify`` says when they do not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

import kopcore
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound
from kopcore.records import GLAccountSpec, GLType, UnitSpec
from kopcore.settings import Settings
from kopcore.testing import Cooperative, KernelFactory, verify_books

USP = {"usp": {"name": "Unit Simpan Pinjam",
               "gl_keys": ["ksu.usp_cash", "ksu.usp_loans", "ksu.usp_interest", "ksu.usp_funds"],
               "inter_unit_gl_keys": ["ksu.usp_funds", "ksu.usp_investment"]}}


class KsuChart:
    """The GL accounts a multi-purpose cooperative uses for its savings-and-loan unit."""

    @kopcore.hookimpl
    def kopcore_gl_accounts(self) -> Sequence[GLAccountSpec]:
        return [GLAccountSpec("ksu.usp_cash", "1960", "Kas USP", GLType.ASSET),
                GLAccountSpec("ksu.usp_loans", "1961", "Piutang Pinjaman USP", GLType.ASSET),
                GLAccountSpec("ksu.usp_investment", "1962", "RAK Unit Simpan Pinjam",
                              GLType.ASSET),
                GLAccountSpec("ksu.usp_funds", "2960", "RAK Kantor Pusat (USP)",
                              GLType.LIABILITY),
                GLAccountSpec("ksu.usp_interest", "4960", "Pendapatan Jasa Pinjaman USP",
                              GLType.INCOME)]


def line(account: str, side: str, amount: str) -> dict[str, str]:
    return {"account": account, "side": side, "amount": amount}


@pytest.fixture
def ksu(make_kernel: KernelFactory) -> Cooperative:
    kernel = make_kernel(extra_plugins=(("ksu", KsuChart()),),
                         units=Settings.from_mapping({"units": USP}).units)
    coop = Cooperative(kernel)
    # The cooperative funds its USP: each set of books gets a balanced half.
    coop.call("entries.post", memo="Modal kerja USP", lines=[
        line("GL-ksu.usp_cash", "debit", "50000000"), line("GL-ksu.usp_funds", "credit",
                                                           "50000000"),
        line("GL-ksu.usp_investment", "debit", "50000000"),
        line(Cooperative.CASH, "credit", "50000000")])
    coop.call("entries.post", memo="Pinjaman anggota", lines=[
        line("GL-ksu.usp_loans", "debit", "10000000"),
        line("GL-ksu.usp_cash", "credit", "10000000")])
    coop.call("entries.post", memo="Jasa pinjaman", lines=[
        line("GL-ksu.usp_cash", "debit", "150000"), line("GL-ksu.usp_interest", "credit",
                                                         "150000")])
    coop.call("entries.post", memo="Penjualan toko", lines=[
        line(Cooperative.CASH, "debit", "80000"), line("GL-income.other", "credit", "80000")])
    return coop


def test_hook_units_a_ksu_keeps_its_usp_in_books_of_its_own(ksu: Cooperative) -> None:
    listed = ksu.call("units.list")
    assert listed["main"] == "utama"
    assert [(u["key"], u["plugin"]) for u in listed["units"]] == [("usp", "kopcore.units")]

    tb = ksu.call("reports.trial-balance", unit="usp")
    assert tb["unit"] == "usp"
    assert {x["key"]: x["balance"]["amount"] for x in tb["lines"]} == {
        "ksu.usp_cash": "40150000.00", "ksu.usp_loans": "10000000.00",
        "ksu.usp_funds": "50000000.00", "ksu.usp_interest": "150000.00"}
    assert tb["total_debit"] == tb["total_credit"]
    results = ksu.call("reports.operating-results", unit="usp", from_date="2026-01-05",
                       to_date="2026-01-05")
    assert results["surplus"]["amount"] == "150000.00"
    main = ksu.call("reports.operating-results", unit="utama", from_date="2026-01-05",
                    to_date="2026-01-05")
    assert main["surplus"]["amount"] == "80000.00"

    # The main books and the units add up to the consolidated books, line by line.
    consolidated = ksu.call("reports.trial-balance")
    summed: dict[str, Decimal] = defaultdict(Decimal)
    for unit in ("utama", "usp"):
        for x in ksu.call("reports.trial-balance", unit=unit)["lines"]:
            summed[x["key"]] += Decimal(x["balance"]["amount"])
    assert summed == {x["key"]: Decimal(x["balance"]["amount"]) for x in consolidated["lines"]}
    position = ksu.call("reports.financial-position", unit="usp")
    assert position["assets"]["total"] == position["liabilities_and_equity"]
    assert ksu.kernel.read("auditor", verify_books).errors == []
    with pytest.raises(NotFound):
        ksu.call("reports.trial-balance", unit="toko")


def test_verify_finds_inter_unit_accounts_that_do_not_net(ksu: Cooperative) -> None:
    ksu.call("entries.post", memo="Setoran USP tanpa RAK", lines=[
        line("GL-ksu.usp_funds", "debit", "1000"), line(Cooperative.CASH, "credit", "1000")])
    report = ksu.kernel.read("auditor", verify_books)
    assert {p.kind for p in report.errors} == {"inter_unit_not_netting"}
    assert "unit_unbalanced" in report.counts  # information: the USP's own books


class Claims:
    def __init__(self, spec: UnitSpec) -> None:
        self.spec = spec

    @kopcore.hookimpl
    def kopcore_units(self, ctx: Context) -> Sequence[UnitSpec]:
        return [self.spec]


@pytest.mark.parametrize("spec", [
    UnitSpec("usp", "Lagi", frozenset({"cash"})),
    UnitSpec("toko", "Toko", frozenset({"ksu.usp_cash"})),
])
def test_a_unit_or_gl_account_claimed_twice_is_refused_naming_both(
        make_kernel: KernelFactory, spec: UnitSpec) -> None:
    kernel = make_kernel(extra_plugins=(("ksu", KsuChart()), ("other", Claims(spec))),
                         units=Settings.from_mapping({"units": USP}).units)
    coop = Cooperative(kernel)
    with pytest.raises(Conflict, match=r"kopcore\.units") as refused:
        coop.call("units.list")
    assert "other" in str(refused.value)


def test_the_sharia_unit_is_a_kernel_unit_with_the_same_figures(
        make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(plugins=("sharia",)))
    coop.call("accounts.open-internal", name="Kas Unit Syariah", gl_key="sharia.cash",
              number="KAS-SYARIAH")
    coop.call("entries.post", memo="Modal kerja unit syariah", lines=[
        line("KAS-SYARIAH", "debit", "20000000"),
        line("GL-sharia.unit_funds", "credit", "20000000"),
        line("GL-sharia.head_office_investment", "debit", "20000000"),
        line(Cooperative.CASH, "credit", "20000000")])
    member = coop.member()
    wadiah = coop.call("sharia.wadiah-open", member=member)["number"]
    coop.call("sharia.wadiah-deposit", account=wadiah, amount="500000",
              cash_account="KAS-SYARIAH")

    assert [u["key"] for u in coop.call("units.list")["units"]] == ["syariah"]
    own: Any = coop.call("sharia.unit-trial-balance")
    kernel: Any = coop.call("reports.trial-balance", unit="syariah")
    assert [(x["key"], x["debit"], x["credit"]) for x in own["lines"]] == \
        [(x["key"], x["debit"], x["credit"]) for x in kernel["lines"]]
    assert own["balanced"] is True
    assert {x["key"]: x["balance"]["amount"] for x in own["lines"]} == {
        "sharia.cash": "20500000.00", "sharia.wadiah": "500000.00",
        "sharia.unit_funds": "20000000.00"}
    assert coop.kernel.read("auditor", verify_books).errors == []
