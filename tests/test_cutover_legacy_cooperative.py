"""A generated legacy cooperative moves into kopcore: its spreadsheets (members, pokok, wajib in
arrears, sukarela, time deposits and loans mid-term, the opening trial balance) with a few
dozen planted mistakes are checked, each mistake found at its row; the corrected file imports
and reconciles; a month of end of day then pays every sukarela account the interest it earns in
a cooperative built directly in kopcore with the same balances.

The cooperative has 400 members; 2,000 with ``KOPCORE_FULL_TESTS=1`` (about a minute)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kopcore import eod, ledger
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.settings import Settings
from tests.cutover_support import call

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("kopcore_savings", "kopcore_loans")),
    reason="the legacy cooperative has savings and loans")

MEMBERS = 2000 if os.environ.get("KOPCORE_FULL_TESTS") else 400
MISTAKES = 30
START = date(2026, 2, 1)
MONTH_END = date(2026, 2, 28)


def start(folder: Path, name: str) -> Kernel:
    return Kernel.start(Settings(database_url=f"sqlite:///{folder / name}",
                                 plugins=("savings", "loans")),
                        migrate=True, initial_date=START)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("legacy")


@pytest.fixture(scope="module")
def imported(folder: Path) -> Iterator[Kernel]:
    from bench.legacy import AS_OF, create_products, write_workbook

    write_workbook(folder / "legacy.xlsx", MEMBERS)
    kernel = start(folder, "imported.db")
    kernel.write("admin", create_products)
    call(kernel, "import.run", (folder / "legacy.xlsx").read_bytes(), as_of=AS_OF)
    yield kernel
    kernel.close()


def test_the_dry_run_finds_each_planted_mistake_at_its_row(folder: Path) -> None:
    from bench.legacy import AS_OF, create_products, write_workbook

    legacy = write_workbook(folder / "mistakes.xlsx", MEMBERS, errors=MISTAKES)
    kernel = start(folder, "check.db")
    kernel.write("admin", create_products)

    report = call(kernel, "import.check", (folder / "mistakes.xlsx").read_bytes(),
                  as_of=AS_OF).payload

    assert len(legacy.mistakes) == MISTAKES
    assert sorted((p["sheet"], p["row"], p["column"]) for p in report["problems"]) == \
        sorted(legacy.mistakes)
    assert kernel.read("auditor", lambda ctx: ledger.list_members(ctx, limit=1)) == []
    kernel.close()


def sukarela_balances(kernel: Kernel) -> dict[int, Money]:
    """member id → balance of each sukarela account (one per member here)."""
    def read(ctx: Context) -> dict[int, Money]:
        found, after = {}, 0
        while batch := ledger.list_accounts(ctx, gl_key="savings.sukarela", after=after,
                                            limit=1000):
            found |= {a.member_id: a.balance for a in batch if a.member_id is not None}
            after = batch[-1].id
        return found
    return kernel.read("auditor", read)


def test_the_corrected_file_imports_and_reconciles(imported: Kernel) -> None:
    def books(ctx: Context) -> tuple[list[str], Any, int]:
        tb = ledger.trial_balance(ctx, ctx.business_date)
        return (ledger.ledger_invariants(ctx), tb["totals"],
                len(ledger.list_members(ctx, limit=MEMBERS + 10)))

    problems, totals, members = imported.read("auditor", books)
    assert problems == []
    assert [debit == credit for debit, credit in totals.values()] == [True]
    assert members == MEMBERS
    assert imported.read("auditor", lambda ctx: ledger.get_account(
        ctx, "GL-cutover.opening").balance.minor) == 0


def test_a_month_of_end_of_day_pays_the_interest_a_direct_cooperative_pays(
        imported: Kernel, folder: Path) -> None:
    before = sukarela_balances(imported)
    from kopcore_savings.accounts import open_savings_account
    from kopcore_savings.movements import deposit
    from kopcore_savings.products import get_product

    from bench.legacy import create_products

    direct = start(folder, "direct.db")
    direct.write("admin", create_products)

    def build(ctx: Context) -> dict[int, str]:
        ledger.open_account(ctx, name="Kas", gl_key="cash", plugin="kopcore", number="KAS",
                            floor=None)
        product = get_product(ctx, "SUKARELA")
        numbers = {}
        for index, (member_id, balance) in enumerate(sorted(before.items())):
            member = ledger.register_member(ctx, name=f"Anggota {member_id}",
                                            nik=f"320101410190{index + 1:04d}")
            member = ledger.activate_member(ctx, member.member_number)
            account = open_savings_account(ctx, member, product)
            if balance.is_positive():
                deposit(ctx, account.number, balance, "KAS")
            numbers[member_id] = account.number
        return numbers

    numbers = direct.write("teller", build)
    for kernel in (imported, direct):
        eod.run_end_of_day(kernel, until=MONTH_END + date.resolution)

    after = sukarela_balances(imported)
    interest = {m: after[m] - before[m] for m in before}
    paid_directly = direct.read("auditor", lambda ctx: {
        m: ledger.get_account(ctx, n).balance - before[m] for m, n in numbers.items()})
    assert interest == paid_directly
    assert sum(i.minor for i in interest.values()) > 0
    assert imported.read("auditor", ledger.ledger_invariants) == []
    direct.close()
