"""Test support for kopcore-payments and its gateway plugins.

- :class:`StandIn`: a plugin standing in for the product plugins a payment credits — it names a
  member's savings account for ``disbursement`` (what kopcore-savings' sukarela account is to
  payments) and declares ``standin.repay``, an operation shaped like a loan repayment
  (``loan``, ``amount``, ``cash_account``) that refuses more than is owed.
- :class:`PayCoop`: a cooperative with kopcore-payments, the stand-in and a bank account;
  operations run through :func:`kopcore.testing.run_operation`, the path behind every route and
  command.
- :class:`RunningServer`: the kernel's web API under uvicorn on a loopback port in a thread, so
  a gateway's test double delivers callbacks over real HTTP to ``/api/v1/payments/callback``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from kopcore import hookimpl, ledger, testing
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound
from kopcore.kernel import Kernel
from kopcore.ledger import Member
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import PermissionSpec, PostingLine, SettlementAccount, Side
from kopcore.testing import Cooperative
from kopcore_payments.messages import _

GATEWAY = "GL-payments.gateway"
SUSPENSE = "GL-payments.suspense"
FEE = "GL-payments.fee"
BANK = "BANK-01"
#: The sandbox gateway's callback token in tests (KOPCORE_PAYMENTS_SANDBOX_CALLBACK_TOKEN).
SANDBOX_TOKEN = "sandbox-callback-token"  # noqa: S105


@attrs.frozen
class RepayIn:
    loan: str = attrs.field(metadata={"help": "Loan account", "max_length": 64})
    amount: Decimal = attrs.field(metadata={"help": "Amount paid"})
    cash_account: str = attrs.field(metadata={"help": "Where the money comes from",
                                              "max_length": 64})


@attrs.frozen
class RepaidOut:
    entry_id: int
    outstanding: Money


def repay(ctx: Context, data: RepayIn) -> RepaidOut:
    """Repay a stand-in loan from ``cash_account``; more than is owed is refused."""
    loan = ledger.get_account(ctx, data.loan)
    amount = Money.parse(str(data.amount), loan.currency)
    if amount > loan.balance:
        raise Conflict(_("loan {loan} owes only {balance}", loan=loan.number,
                         balance=loan.balance))
    entry = ledger.post_entry(ctx, [PostingLine(data.cash_account, Side.DEBIT, amount),
                                    PostingLine(loan.number, Side.CREDIT, amount)],
                              memo=f"Angsuran {loan.number}")
    return RepaidOut(entry.id, ledger.get_account(ctx, loan.number).balance)


class StandIn:
    """Answers ``disbursement`` with the member's account opened here; ``standin.repay``;
    records the ``kopcore_payments_booked`` events."""

    def __init__(self) -> None:
        self.accounts: dict[str, str] = {}
        #: Every ``kopcore_payments_booked`` event: (payment id, status, member id).
        self.booked: list[tuple[str, str, int | None]] = []

    @hookimpl
    def kopcore_payments_booked(self, ctx: Context, payment: Any) -> None:
        self.booked.append((payment.payment_id, payment.status, payment.member_id))

    @hookimpl
    def kopcore_settlement_account(self, ctx: Context, member: Member, purpose: str,
                                   currency: str) -> SettlementAccount | None:
        number = self.accounts.get(member.member_number)
        return SettlementAccount(number) if number and purpose == "disbursement" else None

    @hookimpl
    def kopcore_permissions(self) -> Sequence[PermissionSpec]:
        return [PermissionSpec("standin.repay", "Repay a stand-in loan", ("manager", "teller"))]

    @hookimpl
    def kopcore_operations(self) -> Sequence[Operation]:
        return [Operation("standin.repay", RepayIn, RepaidOut, repay,
                          permission="standin.repay", mutates=True, account_fields=("loan",),
                          approval_amount_field="amount")]


class PayCoop(Cooperative):
    """A cooperative with kopcore-payments and the stand-in; a bank account ``BANK-01``."""

    def __init__(self, kernel: Kernel, standin: StandIn) -> None:
        super().__init__(kernel, capital="10000000")
        self.standin = standin
        self.call("accounts.open-internal", name="Bank BRI Koperasi", gl_key="bank",
                  number=BANK)

    def member(self, name: str = "Siti Aminah", *,
               nik_prefix: str = "517101150890") -> str:
        """A new active member with a savings account (empty)."""
        number = super().member(name, nik_prefix=nik_prefix)

        def open_(ctx: Context) -> str:
            m = ledger.get_member(ctx, number)
            return ledger.open_account(ctx, name="Tabungan", gl_key="payable.other",
                                       plugin="standin", member_id=m.id,
                                       floor=Money.zero(ctx.settings.currency)).number

        self.standin.accounts[number] = self.kernel.write("admin", open_)
        return number

    def loan(self, member: str, amount: str) -> str:
        """A stand-in loan of ``amount`` owed by ``member`` (a receivable)."""
        def open_(ctx: Context) -> str:
            m = ledger.get_member(ctx, member)
            return ledger.open_account(ctx, name="Pinjaman", gl_key="receivable.other",
                                       plugin="standin", member_id=m.id).number

        number: str = self.kernel.write("admin", open_)
        self.call("entries.post", memo="Pencairan", lines=[
            {"account": number, "side": "debit", "amount": amount},
            {"account": self.CASH, "side": "credit", "amount": amount}])
        return number

    def savings_of(self, member: str) -> str:
        return self.standin.accounts[member]

    def balance(self, number: str) -> Decimal:
        """The account's balance on its normal side, rupiah."""
        try:
            acc = self.kernel.read("admin", lambda ctx: ledger.get_account(ctx, number))
        except NotFound:
            return Decimal(0)
        return acc.balance.amount

    def books_ok(self) -> None:
        """Every entry balances, every cached balance is its postings, ``kopcore verify``'s
        plugin checks find nothing."""
        def check(ctx: Context) -> list[Any]:
            assert ledger.ledger_invariants(ctx) == []
            return [f for _, found in ctx.kernel.plugins.call("kopcore_verify", ctx=ctx)
                    for f in found]
        assert self.kernel.read("admin", check) == []


class RunningServer(testing.RunningServer):
    """``with RunningServer(kernel) as server: ... server.callback_url``."""

    @property
    def callback_url(self) -> str:
        return self.url + "/api/v1/payments/callback"
