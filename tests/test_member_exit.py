"""A member's exit (kopcore.ledger._exit): the plugins' vetoes, then each plugin refuses or
contributes lines; one entry pays out; the emptied accounts close and the member leaves."""

from __future__ import annotations

import pytest

import kopcore
from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import (
    ExitRefused,
    MemberChangeVetoed,
    MemberNotActive,
    NotFound,
    ValidationError,
)
from kopcore.ledger import AccountStatus, MemberChange, MemberChangeKind, MemberStatus
from kopcore.money import Money
from kopcore.records import ExitContribution, PostingLine, Side, Veto
from tests.builders import active_member, capitalise, cash_account, member_account, rp, transfer
from tests.conftest import START_DATE

#: Jakarta Selatan (31 71), district 01; a man born 15-08-1990; serial 0001.
MAN = "3171011508900001"


def test_member_without_accounts_leaves(kernel):
    def work(ctx: Context) -> tuple[ledger.Member, object]:
        member = active_member(ctx)
        cash_account(ctx)
        return ledger.exit_member(ctx, member.member_number, reason="mengundurkan diri",
                                  payout_account="CASH-01")

    member, entry = kernel.write("manager", work)
    assert member.status is MemberStatus.LEFT
    assert member.left_on == START_DATE
    assert member.exit_reason == "mengundurkan diri"
    assert entry is None


def member_with_two_accounts(ctx: Context) -> ledger.Member:
    """An active member holding SAV-01 and SAV-02, and the teller's CASH-01."""
    member = active_member(ctx)
    cash_account(ctx)
    member_account(ctx, member, "SAV-01")
    member_account(ctx, member, "SAV-02")
    return member


def test_exit_closes_the_members_zero_balance_accounts(kernel):
    def work(ctx: Context) -> ledger.Member:
        member = member_with_two_accounts(ctx)
        transfer(ctx, "CASH-01", "SAV-02", rp("1000"))
        transfer(ctx, "SAV-02", "CASH-01", rp("1000"))
        return member

    member = kernel.write("teller", work)
    kernel.write("manager", lambda ctx: ledger.exit_member(
        ctx, member.member_number, reason="pindah", payout_account="CASH-01"))
    accounts = kernel.read("auditor", lambda ctx: ledger.member_accounts(ctx, member.id))
    assert [(a.number, a.status, a.closed_on) for a in accounts] == [
        ("SAV-01", AccountStatus.CLOSED, START_DATE), ("SAV-02", AccountStatus.CLOSED, START_DATE)]


def test_exit_is_refused_while_a_balance_is_left_that_no_plugin_settles(kernel):
    def work(ctx: Context) -> ledger.Member:
        member = member_with_two_accounts(ctx)
        transfer(ctx, "CASH-01", "SAV-02", rp("1000"))
        return member

    member = kernel.write("teller", work)
    with pytest.raises(ExitRefused, match="SAV-02") as caught:
        kernel.write("manager", lambda ctx: ledger.exit_member(
            ctx, member.member_number, reason="pindah", payout_account="CASH-01"))
    assert caught.value.extra["accounts"] == ["SAV-02"]
    still = kernel.read("auditor", lambda ctx: ledger.get_member(ctx, member.member_number))
    assert still.status is MemberStatus.ACTIVE
    accounts = kernel.read("auditor", lambda ctx: ledger.member_accounts(ctx, member.id))
    assert {a.status for a in accounts} == {AccountStatus.OPEN}


def test_only_an_active_member_can_exit(kernel):
    def work(ctx: Context) -> None:
        ledger.register_member(ctx, name="Made", nik=MAN)
        cash_account(ctx)

    kernel.write("teller", work)
    with pytest.raises(MemberNotActive):
        kernel.write("manager", lambda ctx: ledger.exit_member(
            ctx, "A000001", reason="batal", payout_account="CASH-01"))
    kernel.write("teller", lambda ctx: ledger.activate_member(ctx, "A000001"))
    kernel.write("manager", lambda ctx: ledger.exit_member(
        ctx, "A000001", reason="keluar", payout_account="CASH-01"))
    with pytest.raises(MemberNotActive):
        kernel.write("manager", lambda ctx: ledger.exit_member(
            ctx, "A000001", reason="lagi", payout_account="CASH-01"))


def test_exit_needs_an_existing_payout_account(kernel):
    member = kernel.write("teller", active_member)
    with pytest.raises(NotFound):
        kernel.write("manager", lambda ctx: ledger.exit_member(
            ctx, member.member_number, reason="keluar", payout_account="NOPE"))
    still = kernel.read("auditor", lambda ctx: ledger.get_member(ctx, member.member_number))
    assert still.status is MemberStatus.ACTIVE


def test_the_exit_payable_is_not_a_payout_account(kernel):
    """A refund paid later is recorded by the plugin deferring it (what, to whom, when): named
    as the payout account, the exit payable would hold money owed to nobody on record."""
    def work(ctx: Context) -> ledger.Member:
        member = member_with_two_accounts(ctx)
        transfer(ctx, "CASH-01", "SAV-02", rp("1000"))
        return member

    member = kernel.write("teller", work)
    with pytest.raises(ValidationError) as refused:
        kernel.write("manager", lambda ctx: ledger.exit_member(
            ctx, member.member_number, reason="keluar",
            payout_account=ledger.gl_account_number("payable.member_exit")))
    assert refused.value.extra == {"field": "payout_account"}
    still = kernel.read("auditor", lambda ctx: ledger.get_member(ctx, member.member_number))
    assert still.status is MemberStatus.ACTIVE


class RefuseWhileLoanOutstanding:
    @kopcore.hookimpl
    def kopcore_member_exit(self, ctx, member):
        return ExitContribution(refusal="pinjaman masih berjalan")


class RefundSavings:
    """Moves the balance of the member's accounts to the exit payout."""

    @kopcore.hookimpl
    def kopcore_member_exit(self, ctx, member):
        lines = [PostingLine(a.number, Side.DEBIT, a.balance)
                 for a in ledger.member_accounts(ctx, member.id) if a.balance.is_positive()]
        return ExitContribution(lines=lines)


def test_a_plugin_refusal_stops_the_exit_and_writes_nothing(make_kernel):
    kernel = make_kernel(extra_plugins=[("loans-test", RefuseWhileLoanOutstanding())])

    def setup(ctx: Context) -> ledger.Member:
        member = active_member(ctx)
        cash_account(ctx)
        member_account(ctx, member, "SAV-01")
        return member

    member = kernel.write("teller", setup)
    with pytest.raises(ExitRefused, match="pinjaman masih berjalan") as caught:
        kernel.write("manager", lambda ctx: ledger.exit_member(
            ctx, member.member_number, reason="keluar", payout_account="CASH-01"))
    assert caught.value.extra["refusals"] == [
        {"plugin": "loans-test", "reason": "pinjaman masih berjalan"}]
    still = kernel.read("auditor", lambda ctx: ledger.get_member(ctx, member.member_number))
    assert still.status is MemberStatus.ACTIVE
    account = kernel.read("auditor", lambda ctx: ledger.get_account(ctx, "SAV-01"))
    assert account.status is AccountStatus.OPEN


def test_exit_pays_out_the_plugins_lines_and_closes_the_emptied_accounts(make_kernel):
    kernel = make_kernel(extra_plugins=[("savings-test", RefundSavings())])

    def setup(ctx: Context) -> ledger.Member:
        member = active_member(ctx)
        cash_account(ctx)
        capitalise(ctx, "CASH-01", rp("500000"))
        member_account(ctx, member, "SAV-01")
        transfer(ctx, "CASH-01", "SAV-01", rp("125000"))
        return member

    member = kernel.write("teller", setup)
    left, entry = kernel.write("manager", lambda ctx: ledger.exit_member(
        ctx, member.member_number, reason="keluar", payout_account="CASH-01",
        idempotency_key="exit-A000001"))
    assert left.status is MemberStatus.LEFT
    assert [(p.account_number, p.amount) for p in entry.postings] == [
        ("SAV-01", rp("125000")), ("CASH-01", rp("-125000"))]
    assert entry.idempotency_key == "exit-A000001"
    # Posted under members.exit however the exit was called (here: directly from Python).
    assert (entry.operation, entry.source) == ("members.exit", "kopcore.members")
    savings = kernel.read("auditor", lambda ctx: ledger.get_account(ctx, "SAV-01"))
    assert savings.balance == Money(0)
    assert savings.status is AccountStatus.CLOSED
    assert kernel.read("auditor", lambda ctx: ledger.get_account(ctx, "CASH-01")).balance == \
        rp("500000")
    assert kernel.read("auditor", ledger.ledger_invariants) == []


class ExitsOnHold:
    """Vetoes every exit, and records whether anyone asked it to contribute."""

    def __init__(self) -> None:
        self.contributions_asked = 0

    @kopcore.hookimpl
    def kopcore_veto_member_change(self, ctx: Context, member: ledger.Member | None,
                                   change: MemberChange) -> Veto | None:
        if change.kind is MemberChangeKind.EXIT:
            return Veto("hold.guarantor", "the member guarantees a loan still running")
        return None

    @kopcore.hookimpl
    def kopcore_member_exit(self, ctx: Context, member: ledger.Member) -> None:
        self.contributions_asked += 1


def test_a_vetoed_exit_asks_no_plugin_to_contribute_and_writes_nothing(make_kernel):
    hold = ExitsOnHold()
    kernel = make_kernel(extra_plugins=[("hold", hold)])

    def setup(ctx: Context) -> ledger.Member:
        member = active_member(ctx)
        cash_account(ctx)
        return member

    member = kernel.write("teller", setup)
    with pytest.raises(MemberChangeVetoed, match="guarantees a loan") as vetoed:
        kernel.write("manager", lambda ctx: ledger.exit_member(
            ctx, member.member_number, reason="keluar", payout_account="CASH-01"))
    assert vetoed.value.reason == "hold.guarantor"
    assert hold.contributions_asked == 0
    still = kernel.read("auditor", lambda ctx: ledger.get_member(ctx, member.member_number))
    assert still.status is MemberStatus.ACTIVE
