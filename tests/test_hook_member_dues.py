"""Members' dues across plugins: ``kopcore_member_dues`` gathers what each plugin says a member
owes, ``kopcore_settle_dues`` settles amounts as lines of ONE entry the kernel composes
(:func:`kopcore.ledger.member_dues`, :func:`kopcore.ledger.settle_dues`), shown with the
example plugin's celengan."""

from __future__ import annotations

from datetime import date

import kopcore_celengan.goals as celengan_goals
import pytest

import kopcore
from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, ValidationError
from kopcore.ledger import JournalEntry, ProposedEntry
from kopcore.money import Money
from kopcore.records import DuePriority, DueSettlement, MemberDue, PostingLine, Side, Veto
from kopcore.testing import Cooperative, KernelFactory

CASH = Cooperative.CASH
PERIOD = (date(2026, 1, 1), date(2026, 1, 31))


class Watcher:
    """Records what vetoes see of every entry."""

    def __init__(self) -> None:
        self.flags: list[bool] = []

    @kopcore.hookimpl
    def kopcore_veto_entry(self, ctx: Context, entry: ProposedEntry) -> Veto | None:
        self.flags.append(entry.settles_dues)
        return None


def coop_with_goal(make_kernel: KernelFactory, watcher: Watcher) -> tuple[Cooperative, int, str]:
    coop = Cooperative(make_kernel(plugins=("celengan",), extra_plugins=[("watcher", watcher)]))
    member = coop.member()

    def work(ctx: Context) -> tuple[int, str]:
        saver = ledger.get_member(ctx, member)
        account = celengan_goals.open_goal(ctx, saver, Money.parse("1000000"), "Lebaran")
        ledger.post_entry(ctx, [PostingLine(CASH, Side.DEBIT, Money.parse("200000")),
                                PostingLine(account.number, Side.CREDIT, Money.parse("200000"))],
                          memo="Setoran celengan")
        return saver.id, account.number

    member_id, number = coop.kernel.write("admin", work)
    return coop, member_id, number


def dues(coop: Cooperative, member_id: int) -> list[MemberDue]:
    return coop.kernel.read("admin", lambda ctx: ledger.member_dues(ctx, [member_id], *PERIOD))


def settle(coop: Cooperative, settlements: list[DueSettlement],
           funding: list[PostingLine]) -> JournalEntry | None:
    return coop.kernel.write("admin", lambda ctx: ledger.settle_dues(
        ctx, settlements, funding, memo="Potongan gaji Januari"))


def test_hook_member_dues_gathers_each_plugins_dues(make_kernel: KernelFactory) -> None:
    coop, member_id, number = coop_with_goal(make_kernel, Watcher())
    [due] = dues(coop, member_id)
    assert (due.owner, due.kind, due.priority, due.amount, due.account, due.due_date) == (
        "celengan", "celengan.setoran", DuePriority.OTHER, Money.parse("800000"), number,
        PERIOD[1])
    assert coop.kernel.read("admin", lambda ctx: ledger.member_dues(ctx, [], *PERIOD)) == []
    with pytest.raises(ValidationError):
        coop.kernel.read("admin", lambda ctx: ledger.member_dues(
            ctx, [member_id], PERIOD[1], PERIOD[0]))


def test_hook_settle_dues_posts_one_entry_the_kernel_composes(make_kernel: KernelFactory
                                                                ) -> None:
    watcher = Watcher()
    coop, member_id, number = coop_with_goal(make_kernel, watcher)
    [due] = dues(coop, member_id)
    entry = settle(coop, [DueSettlement(due, Money.parse("300000"))],
                   [PostingLine(CASH, Side.DEBIT, Money.parse("300000"))])
    assert entry is not None
    assert watcher.flags[-1] is True
    assert {(p.account_number, p.amount.minor) for p in entry.postings} == {
        (CASH, 30000000), (number, -30000000)}
    [left] = dues(coop, member_id)
    assert left.amount == Money.parse("500000")
    # The old due asks for more than is left now: its owner refuses, nothing is written.
    with pytest.raises(Conflict):
        settle(coop, [DueSettlement(due, Money.parse("600000"))],
               [PostingLine(CASH, Side.DEBIT, Money.parse("600000"))])
    # Above the due, twice the same due, a due nobody owns, funding from a member's account.
    for settlements, funding in (
            ([DueSettlement(left, Money.parse("500001"))], CASH),
            ([DueSettlement(left, Money.parse("1"))] * 2, CASH),
            ([DueSettlement(MemberDue(member_id, "arisan", "arisan.setoran", DuePriority.OTHER,
                                      Money.parse("1"), PERIOD[1], "9"), Money.parse("1"))],
             CASH),
            ([DueSettlement(left, Money.parse("1"))], number)):
        with pytest.raises(ValidationError):
            settle(coop, settlements, [PostingLine(funding, Side.DEBIT, Money.parse("1"))])
    # Presented and nothing came: no entry.
    assert settle(coop, [DueSettlement(left, Money.zero())], []) is None
    assert dues(coop, member_id) == [left]
