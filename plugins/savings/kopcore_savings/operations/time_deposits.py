"""Time deposit (simpanan berjangka) operations."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

import attrs

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict
from kopcore.money import Money
from kopcore.views import EntryOut
from kopcore_savings import interest, time_deposits
from kopcore_savings.messages import _
from kopcore_savings.operations.accounts import AccountIn
from kopcore_savings.operations.common import (
    ACCOUNT,
    MEMBER,
    PRODUCT,
    SavingsAccountOut,
    percent,
    savings_out,
)
from kopcore_savings.products import get_product


class Instruction(enum.StrEnum):
    PAYOUT = "payout"
    ROLLOVER = "rollover"


@attrs.frozen
class PlaceDepositIn:
    member: str = attrs.field(metadata=MEMBER)
    product: str = attrs.field(metadata=PRODUCT)
    amount: Decimal = attrs.field(metadata={"help": "Principal in rupiah"})
    source_account: str = attrs.field(metadata={
        "help": "Where the money comes from: teller cash or the member's sukarela",
        "max_length": 64})
    instruction: Instruction = attrs.field(default=Instruction.PAYOUT, metadata={
        "help": "At maturity: payout or rollover"})
    payout_account: str | None = attrs.field(default=None, metadata={
        "help": "Where maturity pays (default: the member's sukarela)", "max_length": 64})


@attrs.frozen
class DepositOut:
    """A time deposit (simpanan berjangka)."""

    account: SavingsAccountOut
    principal: Money
    interest_rate: Decimal
    term_months: int
    placed_on: date
    maturity_on: date
    instruction: str
    payout_account: str | None
    interest_at_maturity: Money
    status: str


@attrs.frozen
class DepositWithdrawIn:
    account: str = attrs.field(metadata=ACCOUNT)
    destination: str = attrs.field(metadata={"help": "Account receiving the money",
                                             "max_length": 64})


def deposit_out(ctx: Context, number: str) -> DepositOut:
    d = time_deposits.get_deposit(ctx, number)
    product = d.savings.product
    gross = interest.round_half_up(d.interest_for(d.term_days), product.rounding_unit)
    return DepositOut(savings_out(ctx, number), product.money(d.principal),
                      percent(d.rate_ppm), d.term_months, d.placed_on, d.maturity_on,
                      d.instruction, d.payout_account, product.money(gross), d.status)


def place_deposit(ctx: Context, data: PlaceDepositIn) -> DepositOut:
    """Place a time deposit (simpanan berjangka) for a member."""
    product = get_product(ctx, data.product)
    member = ledger.get_member(ctx, data.member)
    amount = Money.parse(data.amount, product.currency)
    placed, _ = time_deposits.place(ctx, member, product, amount, data.source_account,
                                    data.instruction.value, data.payout_account)
    return deposit_out(ctx, placed.savings.number)


def deposit_get(ctx: Context, data: AccountIn) -> DepositOut:
    """A time deposit with its maturity and the interest it will earn."""
    return deposit_out(ctx, data.account)


def deposit_withdraw(ctx: Context, data: DepositWithdrawIn) -> EntryOut:
    """Withdraw a time deposit: before maturity interest is forfeited and the penalty taken."""
    return EntryOut.of(time_deposits.withdraw(ctx, data.account, data.destination))


def deposit_mature(ctx: Context, data: AccountIn) -> DepositOut:
    """Settle a deposit whose maturity date has come (end of day does this by itself)."""
    d = time_deposits.get_deposit(ctx, data.account)
    if d.status != "active" or d.maturity_on > ctx.business_date:
        raise Conflict(_("time deposit {account} is {status}, maturing on {maturity_on}",
                         account=data.account, status=d.status,
                         maturity_on=d.maturity_on))
    time_deposits.mature(ctx, d)
    return deposit_out(ctx, data.account)
