"""Operations on savings accounts: open, deposit, withdraw, transfer, balance, closing and
reactivation.

Statements, holds and freezes of savings accounts are the kernel's account operations
(``accounts.statement``, ``accounts.hold``, ``accounts.release-hold``, ``accounts.freeze``,
``accounts.unfreeze``): the ledger does them the same way for every member account.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import NotFound, ValidationError
from kopcore.money import Money
from kopcore.views import EntryOut
from kopcore_savings import movements
from kopcore_savings.accounts import get_savings_account, open_savings_account, reactivate
from kopcore_savings.messages import _
from kopcore_savings.operations.common import (
    ACCOUNT,
    CASH,
    MEMBER,
    MEMO,
    PRODUCT,
    SavingsAccountOut,
    savings_out,
)
from kopcore_savings.products import SavingsType, get_product


@attrs.frozen
class OpenIn:
    member: str = attrs.field(metadata=MEMBER)
    product: str = attrs.field(metadata=PRODUCT)
    number: str | None = attrs.field(default=None, metadata={
        "help": "Account number (default: prefix + id)", "max_length": 64})


@attrs.frozen
class AccountIn:
    account: str = attrs.field(metadata=ACCOUNT)


@attrs.frozen
class MoveIn:
    account: str = attrs.field(metadata=ACCOUNT)
    amount: Decimal = attrs.field(metadata={"help": "Amount in rupiah, e.g. 150000"})
    cash_account: str = attrs.field(metadata=CASH)
    memo: str = attrs.field(default="", metadata=MEMO)


@attrs.frozen
class TransferIn:
    from_account: str = attrs.field(metadata={"help": "Sukarela account paying",
                                              "max_length": 64})
    to_account: str = attrs.field(metadata={"help": "Savings account receiving (any member's)",
                                            "max_length": 64})
    amount: Decimal = attrs.field(metadata={"help": "Amount in rupiah"})
    memo: str = attrs.field(default="", metadata=MEMO)


@attrs.frozen
class RecipientOut:
    """Whose savings account receives a transfer: shown to the payer before confirming."""

    account: str
    name: str
    product_code: str | None


@attrs.frozen
class CloseIn:
    account: str = attrs.field(metadata=ACCOUNT)
    payout_account: str | None = attrs.field(default=None, metadata={
        "help": "Where the remaining balance goes (teller cash)", "max_length": 64})


@attrs.frozen
class CloseOut:
    account: SavingsAccountOut
    payout: EntryOut | None


@attrs.frozen
class ReactivateIn:
    account: str = attrs.field(metadata=ACCOUNT)
    note: str = attrs.field(default="reactivated by staff", metadata=MEMO)


def open_account(ctx: Context, data: OpenIn) -> SavingsAccountOut:
    """Open a pokok, wajib or sukarela account for an active member."""
    product = get_product(ctx, data.product)
    if product.type is SavingsType.BERJANGKA:
        raise ValidationError(_("time deposits are opened with savings.place-deposit"),
                              field="product")
    member = ledger.get_member(ctx, data.member)
    return savings_out(ctx, open_savings_account(ctx, member, product, data.number).number)


def _money(ctx: Context, number: str, amount: Decimal) -> Money:
    return Money.parse(amount, ledger.get_account(ctx, number).currency)


def deposit(ctx: Context, data: MoveIn) -> EntryOut:
    """Deposit (setor) into a savings account; pokok only up to its fixed amount."""
    return EntryOut.of(movements.deposit(ctx, data.account, _money(ctx, data.account,
                                                                    data.amount),
                                         data.cash_account, data.memo))


def withdraw(ctx: Context, data: MoveIn) -> EntryOut:
    """Withdraw (tarik) from sukarela, leaving its minimum balance."""
    return EntryOut.of(movements.withdraw(ctx, data.account, _money(ctx, data.account,
                                                                     data.amount),
                                          data.cash_account, data.memo))


def transfer(ctx: Context, data: TransferIn) -> EntryOut:
    """Transfer (pemindahbukuan) from a sukarela account to any member's savings account."""
    return EntryOut.of(movements.transfer(
        ctx, data.from_account, data.to_account,
        _money(ctx, data.from_account, data.amount), data.memo))


def recipient(ctx: Context, data: AccountIn) -> RecipientOut:
    """The holder's name of an open savings account that can receive a transfer (any
    member's): the payer checks it before confirming. Any other number is not found."""
    refused = NotFound(_("no savings account {account} can receive a transfer",
                         account=data.account), field="account")
    try:
        account = ledger.get_account(ctx, data.account)
    except NotFound:
        raise refused from None
    if account.plugin != "savings" or account.member_id is None \
            or account.status.value != "open":
        raise refused
    holder = ledger.get_member_by_id(ctx, account.member_id)
    return RecipientOut(account.number, holder.name, account.product_code)


def balance(ctx: Context, data: AccountIn) -> SavingsAccountOut:
    """Balance, available, accrued interest (not yet posted) and wajib arrears."""
    return savings_out(ctx, data.account)


def close(ctx: Context, data: CloseIn) -> CloseOut:
    """Close a sukarela account: accrued interest is posted, the rest paid out."""
    _, entry = movements.close(ctx, data.account, data.payout_account)
    return CloseOut(savings_out(ctx, data.account), EntryOut.of(entry) if entry else None)


def reactivate_account(ctx: Context, data: ReactivateIn) -> SavingsAccountOut:
    """Reactivate a dormant account (recorded with the date, actor and note)."""
    reactivate(ctx, get_savings_account(ctx, data.account), data.note)
    return savings_out(ctx, data.account)
