"""A test cooperative with the kernel, ppob and a stand-in answering the settlement hook.

The stand-in names, per member, an account opened here under ``payable.other`` with a zero
floor — what the savings plugin's sukarela account is to ppob. Operations run through
:func:`kopcore.service.invoke`, the path behind every API route and CLI command.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kopcore import hookimpl, ledger
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.ledger import Member
from kopcore.ledger.verify import verify_books
from kopcore.money import Money
from kopcore.records import SettlementAccount
from kopcore.testing import Cooperative

CASH = Cooperative.CASH
PAYABLE = "GL-ppob.provider_payable"
FEE = "GL-ppob.fee_income"
SUSPENSE = "GL-suspense"


class SettlementStandIn:
    def __init__(self) -> None:
        self.accounts: dict[str, str] = {}

    @hookimpl
    def kopcore_settlement_account(self, ctx: Context, member: Member, purpose: str,
                                   currency: str) -> SettlementAccount | None:
        number = self.accounts.get(member.member_number)
        return SettlementAccount(number) if number and purpose == "payment" else None


class Coop(Cooperative):
    def __init__(self, kernel: Kernel, standin: SettlementStandIn) -> None:
        super().__init__(kernel, capital="10000000")
        self.standin = standin
        self.call("ppob.sync")

    def member(self, savings: str | None = "100000") -> str:
        """A new active member; with ``savings``, a paying account holding that much."""
        number = super().member("Anggota")
        if savings is not None:
            def open_(ctx: Context) -> str:
                m = ledger.get_member(ctx, number)
                return ledger.open_account(ctx, name="Tabungan", gl_key="payable.other",
                                           plugin="standin", member_id=m.id,
                                           floor=Money.zero(ctx.settings.currency)).number
            account = self.kernel.write("admin", open_)
            self.standin.accounts[number] = account
            self.call("entries.post", memo="Setoran", lines=[
                {"account": CASH, "side": "debit", "amount": savings},
                {"account": account, "side": "credit", "amount": savings}])
        return number

    def account_of(self, member: str) -> str:
        return self.standin.accounts[member]

    def state(self, number: str) -> tuple[Decimal, Decimal]:
        """(balance, held) of an account, normal side, in rupiah."""
        acc = self.kernel.read("admin", lambda ctx: ledger.get_account(ctx, number))
        return acc.balance.amount, acc.held.amount

    def balance(self, number: str) -> Decimal:
        return self.state(number)[0]

    def books_ok(self) -> None:
        def check(ctx: Context) -> None:
            assert ledger.ledger_invariants(ctx) == []
            assert verify_books(ctx, digests=False).errors == []
            totals = ledger.trial_balance(ctx, ctx.business_date)["totals"]
            for debit, credit in totals.values():
                assert debit == credit
        self.kernel.read("admin", check)

    def holds(self, number: str) -> list[dict[str, Any]]:
        return self.kernel.read("admin", lambda ctx: ledger.active_holds(ctx, number))

    def entries_count(self) -> int:
        from sqlalchemy import func, select

        from kopcore.db import tables as t
        return int(self.kernel.read("admin", lambda ctx: ctx.conn.execute(
            select(func.count()).select_from(t.journal_entries)).scalar_one()))
