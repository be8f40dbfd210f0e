"""Simpanan wajib as members' dues: declared through ``kopcore_member_dues`` and settled through
``kopcore_settle_dues`` inside one entry a collector composes."""

from __future__ import annotations

from datetime import date

import pytest
from savings_coop import Coop

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, ValidationError
from kopcore.money import Money
from kopcore.records import DuePriority, DueSettlement, MemberDue, PostingLine, Side

BANK = "BANK-01"
JAN, FEB = (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 28))


@pytest.fixture
def wajib_coop(coop: Coop) -> Coop:
    coop.product("WAJIB", "wajib", amount="20000")
    coop.call("accounts.open-internal", name="Bank", gl_key="bank", number=BANK)
    return coop


def dues(coop: Coop, member_ids: list[int], period: tuple[date, date]) -> list[MemberDue]:
    return coop.kernel.read("admin", lambda ctx: ledger.member_dues(ctx, member_ids, *period))


def settle(coop: Coop, pairs: list[tuple[MemberDue, str]]) -> None:
    total = sum((Money.parse(amount) for _, amount in pairs), Money.zero())
    settlements = [DueSettlement(due, Money.parse(amount)) for due, amount in pairs]

    def work(ctx: Context) -> None:
        funding = [PostingLine(BANK, Side.DEBIT, total)] if total.is_positive() else []
        ledger.settle_dues(ctx, settlements, funding, memo="Potongan gaji")

    coop.kernel.write("admin", work)


def bank(coop: Coop) -> Money:
    return coop.kernel.read("admin", lambda ctx: ledger.get_account(ctx, BANK).balance)


def member_id(coop: Coop, number: str) -> int:
    return coop.kernel.read("admin", lambda ctx: ledger.get_member(ctx, number).id)


def test_hook_member_dues_declares_billed_arrears_and_the_unbilled_month(wajib_coop: Coop
                                                                          ) -> None:
    coop = wajib_coop
    member = coop.member()
    wajib = coop.open(member, "WAJIB")
    coop.call("savings.wajib-bill", product="WAJIB", period="2026-01")
    found = dues(coop, [member_id(coop, member)], (FEB[0], FEB[1]))
    assert [(d.kind, d.priority, d.amount, d.reference.split(":")[1], d.account, d.due_date)
            for d in found] == [
        ("savings.wajib", DuePriority.WAJIB, Money.parse("20000"), "2026-01", wajib, JAN[1]),
        ("savings.wajib", DuePriority.WAJIB, Money.parse("20000"), "2026-02", wajib, FEB[1])]
    coop.deposit(wajib, "25000")  # January paid, Rp5,000 ahead for February
    found = dues(coop, [member_id(coop, member)], FEB)
    assert [(d.reference.split(":")[1], d.amount) for d in found] == [
        ("2026-02", Money.parse("15000"))]


def test_hook_settle_dues_credits_wajib_and_leaves_the_shortfall_as_arrears(wajib_coop: Coop
                                                                              ) -> None:
    coop = wajib_coop
    paid, short = coop.member("Paid"), coop.member("Short", nik_prefix="517101150891")
    paid_wajib, short_wajib = coop.open(paid, "WAJIB"), coop.open(short, "WAJIB")
    coop.call("savings.wajib-bill", product="WAJIB", period="2026-01")
    ids = [member_id(coop, paid), member_id(coop, short)]
    listed = dues(coop, ids, FEB)
    by = {(d.account, d.reference.split(":")[1]): d for d in listed}
    settle(coop, [(by[paid_wajib, "2026-01"], "20000"), (by[paid_wajib, "2026-02"], "20000"),
                  (by[short_wajib, "2026-01"], "20000"), (by[short_wajib, "2026-02"], "5000")])
    assert coop.balance(paid_wajib) == "40000.00"
    assert coop.balance(short_wajib) == "25000.00"
    assert bank(coop) == Money.parse("65000")
    # February was presented, so it is billed: the shortfall is wajib arrears.
    arrears = coop.call("savings.wajib-arrears", product="WAJIB")
    assert [(i["account"], i["arrears"]["amount"], i["unpaid_periods"])
            for i in arrears["items"]] == [(short_wajib, "15000.00", ["2026-02"])]
    # A due settled already cannot be settled again.
    with pytest.raises(Conflict):
        settle(coop, [(by[paid_wajib, "2026-02"], "20000")])
    # More than the due, or a due of no enabled plugin: refused, nothing written.
    with pytest.raises(ValidationError):
        settle(coop, [(by[short_wajib, "2026-02"], "25000")])
    stranger = MemberDue(ids[1], "arisan", "arisan.setoran", DuePriority.OTHER,
                         Money.parse("1000"), FEB[1], "7")
    with pytest.raises(ValidationError, match=r"arisan\.setoran"):
        settle(coop, [(stranger, "1000")])
    assert bank(coop) == Money.parse("65000")
    coop.books_balance()


def test_a_month_presented_and_not_paid_becomes_arrears(wajib_coop: Coop) -> None:
    coop = wajib_coop
    member = coop.member()
    wajib = coop.open(member, "WAJIB")
    [due] = dues(coop, [member_id(coop, member)], JAN)
    settle(coop, [(due, "0")])
    arrears = coop.call("savings.wajib-arrears", member=member)
    assert arrears["items"][0]["account"] == wajib
    assert arrears["items"][0]["unpaid_periods"] == ["2026-01"]
