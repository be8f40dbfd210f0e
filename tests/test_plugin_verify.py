"""``kopcore verify`` asks every plugin to check its own records against the ledger
(``kopcore_verify``): a sub-ledger edited in the database no longer verifies clean."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

import kopcore
from kopcore.context import Context
from kopcore.records import Finding
from kopcore.testing import Cooperative, KernelFactory


class Ledgerless:
    """A plugin whose records disagree with the ledger once, about the cash account."""

    def __init__(self) -> None:
        self.asked: list[Context] = []

    @kopcore.hookimpl
    def kopcore_verify(self, ctx: Context) -> Sequence[Finding]:
        self.asked.append(ctx)
        cash = ctx.conn.execute(sa.text("SELECT id FROM accounts WHERE number = 'CASH-01'"))
        return [Finding("till_count_differs", "the till count says Rp1 more",
                        account_id=cash.scalar_one())]


def test_hook_verify_reports_each_plugins_findings_as_errors_under_its_name(
        make_kernel: KernelFactory) -> None:
    plugin = Ledgerless()
    kernel = make_kernel(extra_plugins=[("kasir", plugin)])
    coop = Cooperative(kernel)
    coop.call("users.create", username="auditor", role="auditor")
    report = coop.call("books.verify", as_user="auditor")
    assert report["ok"] is False
    assert report["counts"] == {"kasir.till_count_differs": 1, "unsealed_entries": 1}
    found = [p for p in report["problems"] if p["kind"] == "kasir.till_count_differs"]
    assert found[0]["severity"] == "error"
    assert found[0]["detail"] == "the till count says Rp1 more"
    assert found[0]["account_id"] is not None
    # Asked once per verify, in the verify's own (read) transaction.
    assert len(plugin.asked) == 1
    assert plugin.asked[0].operation == "books.verify"


def test_hook_verify_celengan_finds_a_goal_marked_reached_in_the_database(
        make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(plugins=("celengan",)))
    coop.call("users.create", username="auditor", role="auditor")
    member = coop.member()
    account = coop.call("celengan.open", as_user="teller", member=member, target="500000",
                        purpose="Lebaran")["account"]
    coop.call("celengan.deposit", as_user="teller", account=account, amount="100000",
              cash_account=coop.CASH)
    assert coop.call("books.verify", as_user="auditor")["ok"] is True
    # The goal is marked reached directly in the database: the money would be unlocked.
    with coop.kernel.db.engine.begin() as conn:
        conn.execute(sa.text(
            "UPDATE celengan_goals SET reached_on = '2026-01-05' WHERE account_id = "
            "(SELECT id FROM accounts WHERE number = :n)"), {"n": account})
    report = coop.call("books.verify", as_user="auditor")
    assert report["ok"] is False
    found = [p for p in report["problems"] if p["severity"] == "error"]
    assert [p["kind"] for p in found] == ["celengan.goal_reached_without_target"]
    assert found[0]["detail"] == (
        f"celengan {account} is marked reached on 2026-01-05, but its balance peaked at "
        "Rp100.000,00, short of its Rp500.000,00 goal")
    # A goal reached by its deposits verifies clean.
    coop.call("celengan.deposit", as_user="teller", account=account, amount="400000",
              cash_account=coop.CASH)
    assert coop.call("books.verify", as_user="auditor")["ok"] is True
