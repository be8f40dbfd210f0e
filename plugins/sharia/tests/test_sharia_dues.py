"""Murabahah installments as members' dues: declared through ``kopcore_member_dues``, settled
whole and in order through ``kopcore_settle_dues`` in one entry a collector composes."""

from __future__ import annotations

from datetime import date

import pytest
from sharia_coop import Coop

from kopcore import ledger
from kopcore.context import Context
from kopcore.eod import run_end_of_day
from kopcore.errors import Conflict, ValidationError
from kopcore.money import Money
from kopcore.records import DuePriority, DueSettlement, MemberDue, PostingLine, Side

BANK = "BANK-01"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def setup(coop: Coop) -> tuple[str, int]:
    member = coop.member()
    made = coop.call("sharia.murabahah-contract", as_user="teller", member=member,
                     acquisition=coop.acquire(member, "10000000"), margin="2000000",
                     installments=10)
    coop.call("accounts.open-internal", name="Bank", gl_key="bank", number=BANK)
    run_end_of_day(coop.kernel, until=date(2026, 3, 20))
    member_id = coop.kernel.read("admin", lambda ctx: ledger.get_member(ctx, member).id)
    return made["murabahah"]["account"]["number"], member_id


def dues(coop: Coop, member_id: int) -> list[MemberDue]:
    return coop.kernel.read("admin", lambda ctx: ledger.member_dues(ctx, [member_id], *MARCH))


def settle(coop: Coop, pairs: list[tuple[MemberDue, str]]) -> None:
    total = sum((Money.parse(amount) for _, amount in pairs), Money.zero())

    def work(ctx: Context) -> None:
        ledger.settle_dues(ctx, [DueSettlement(d, Money.parse(a)) for d, a in pairs],
                           [PostingLine(BANK, Side.DEBIT, total)] if total.is_positive() else [],
                           memo="Potongan gaji")
    coop.kernel.write("admin", work)


def test_hook_member_dues_lists_murabahah_installments_whole(coop: Coop) -> None:
    number, member_id = setup(coop)
    found = dues(coop, member_id)
    assert [(d.kind, d.priority, d.amount, d.due_date, d.account, d.partial) for d in found] == [
        ("sharia.murabahah", DuePriority.OVERDUE, Money.parse("1200000"), date(2026, 2, 5),
         number, False),
        ("sharia.murabahah", DuePriority.CURRENT, Money.parse("1200000"), date(2026, 3, 5),
         number, False)]


def test_hook_settle_dues_collects_installments_in_order_with_their_margin(coop: Coop) -> None:
    number, member_id = setup(coop)
    first, second = dues(coop, member_id)
    with pytest.raises(ValidationError):  # whole or nothing
        settle(coop, [(first, "600000")])
    with pytest.raises(Conflict):  # not before the one before it
        settle(coop, [(first, "0"), (second, "1200000")])
    settle(coop, [(first, "1200000"), (second, "0")])
    assert coop.balance(number) == "10800000.00"
    net = coop.gl_net()
    assert -net["sharia.murabahah_margin_income"] == 20000000
    detail = coop.call("sharia.murabahah-detail", account=number)
    assert detail["paid_installments"] == 1
    [left] = dues(coop, member_id)
    assert left.reference == second.reference
    with pytest.raises(Conflict):  # paid already
        settle(coop, [(first, "1200000")])
    coop.books_balance()
