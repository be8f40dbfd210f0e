"""The celengan operations: attrs input/output classes and their handlers.

The kernel turns each :class:`kopcore.operations.Operation` into a web route and a CLI command;
the handlers are plain functions ``handler(ctx, input) -> output`` and can be called directly.
Amounts come in as ``Decimal`` (major units) and go out as canonical decimal strings.
"""

# No ``from __future__ import annotations``: the interface generators read these field types.

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from kopcore import events, ledger, query
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    InsufficientFunds,
    MemberNotActive,
    NotFound,
    PostingVetoed,
    ValidationError,
)
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import PostingLine, Side
from kopcore_celengan.goals import get_celengan, open_goal

READ = "celengan.read"
MANAGE = "celengan.manage"


@attrs.frozen
class OpenCelenganInput:
    member: str = attrs.field(metadata={"help": "Member number of the saver"})
    target: Decimal = attrs.field(metadata={"help": "Goal amount in rupiah, e.g. 1500000"})
    purpose: str = attrs.field(default="", metadata={"help": "What the member saves for"})


@attrs.frozen
class CelenganOutput:
    account: str = attrs.field(metadata={"help": "Celengan account number"})
    member: str = attrs.field(metadata={"help": "Member number"})
    purpose: str = attrs.field(metadata={"help": "What the member saves for"})
    currency: str = attrs.field(metadata={"help": "ISO 4217 currency code"})
    target: str = attrs.field(metadata={"help": "Goal amount (decimal string)"})
    balance: str = attrs.field(metadata={"help": "Current balance (decimal string)"})
    reached_on: date | None = attrs.field(
        metadata={"help": "Business date the goal was reached; empty while locked"})
    locked: bool = attrs.field(metadata={"help": "True while money cannot be withdrawn"})
    office: str = attrs.field(default="", metadata={
        "help": "Code of the office the celengan belongs to: the office of the teller who "
                "opened it"})


@attrs.frozen
class MoveInput:
    account: str = attrs.field(metadata={"help": "Celengan account number"})
    amount: Decimal = attrs.field(metadata={"help": "Amount in rupiah, e.g. 50000"})
    cash_account: str = attrs.field(metadata={"help": "Teller cash account the money passes"})
    memo: str = attrs.field(default="", metadata={"help": "Note printed on the statement"})


@attrs.frozen
class MoveOutput:
    entry_id: int = attrs.field(metadata={"help": "Journal entry posted"})
    account: str = attrs.field(metadata={"help": "Celengan account number"})
    balance: str = attrs.field(metadata={"help": "Balance after the entry (decimal string)"})
    reached_on: date | None = attrs.field(
        metadata={"help": "Business date the goal was reached; empty while locked"})


@attrs.frozen
class BalanceInput:
    account: str = attrs.field(metadata={"help": "Celengan account number"})


def _describe(ctx: Context, number: str) -> CelenganOutput:
    account, goal = get_celengan(ctx, number)
    member = ledger.get_member_by_id(ctx, account.member_id) if account.member_id else None
    return CelenganOutput(
        account=account.number,
        member=member.member_number if member else "",
        purpose=goal.purpose,
        currency=account.currency,
        target=Money(goal.target_minor, account.currency).to_str(),
        balance=account.balance.to_str(),
        reached_on=goal.reached_on,
        locked=goal.reached_on is None and goal.released_on is None,
        # Contract 1.1: every account is in an office (docs/offices.md).
        office=query.office_code(ctx, account.office_id),
    )


def open_celengan(ctx: Context, data: OpenCelenganInput) -> CelenganOutput:
    """Open a celengan (goal savings) for an active member."""
    member = ledger.get_member(ctx, data.member)
    target = Money.parse(data.target, ctx.settings.currency, field="target")
    account = open_goal(ctx, member, target, data.purpose.strip())
    return _describe(ctx, account.number)


def _move(ctx: Context, data: MoveInput, side: Side, memo: str) -> MoveOutput:
    account, _goal = get_celengan(ctx, data.account)
    amount = Money.parse(data.amount, account.currency)
    if not amount.is_positive():
        raise ValidationError("amount must be positive", field="amount")
    other = Side.CREDIT if side is Side.DEBIT else Side.DEBIT
    entry = ledger.post_entry(
        ctx,
        [PostingLine(account.number, side, amount),
         PostingLine(data.cash_account, other, amount)],
        memo=(data.memo.strip() or memo)[:500],
    )
    after, goal = get_celengan(ctx, account.number)
    if side is Side.CREDIT and account.member_id is not None:
        # A fact for the saver, delivered after commit through their channel.
        events.emit(ctx, DEPOSITED, {"account": account.number, "amount": str(amount.amount),
                                     "balance": str(after.balance.amount)},
                    member_id=account.member_id)
    return MoveOutput(entry_id=entry.id, account=after.number, balance=after.balance.to_str(),
                      reached_on=goal.reached_on)


#: The event a deposit records for the saver (``kopcore_event_types``).
DEPOSITED = "celengan.deposited"


def deposit_message(payload: Mapping[str, Any]) -> str:
    """The saver's message about a deposit, in Indonesian."""
    return (f"Setoran celengan {payload['account']} sebesar {events.rupiah(payload['amount'])}"
            f" diterima. Saldo {events.rupiah(payload['balance'])}.")


def deposit(ctx: Context, data: MoveInput) -> MoveOutput:
    """Put cash into a celengan."""
    return _move(ctx, data, Side.CREDIT, f"Setoran celengan {data.account}")


def withdraw(ctx: Context, data: MoveInput) -> MoveOutput:
    """Take cash out of a celengan; refused (celengan.locked) before the goal is reached."""
    return _move(ctx, data, Side.DEBIT, f"Penarikan celengan {data.account}")


def balance(ctx: Context, data: BalanceInput) -> CelenganOutput:
    """Show a celengan: balance, goal and whether it is still locked."""
    return _describe(ctx, data.account)


OPERATIONS: tuple[Operation, ...] = (
    Operation("celengan.open", OpenCelenganInput, CelenganOutput, open_celengan,
              permission=MANAGE, mutates=True, summary="Open a celengan for a member",
              member_fields=("member",), errors=(NotFound, MemberNotActive, ValidationError)),
    Operation("celengan.deposit", MoveInput, MoveOutput, deposit, permission=MANAGE,
              mutates=True, summary="Deposit cash into a celengan", account_fields=("account",),
              approval_amount_field="amount",
              errors=(NotFound, AccountClosed, InsufficientFunds, ValidationError)),
    Operation("celengan.withdraw", MoveInput, MoveOutput, withdraw, permission=MANAGE,
              mutates=True, summary="Withdraw cash from a reached celengan",
              account_fields=("account",), approval_amount_field="amount",
              errors=(NotFound, PostingVetoed, AccountClosed, AccountFrozen, InsufficientFunds,
                      ValidationError)),
    Operation("celengan.balance", BalanceInput, CelenganOutput, balance, permission=READ,
              mutates=False, summary="Show a celengan's balance and goal",
              account_fields=("account",), errors=(NotFound,)),
)
