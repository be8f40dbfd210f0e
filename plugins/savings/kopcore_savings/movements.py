"""Money in and out of savings accounts: deposit (setor), withdrawal (tarik), transfer, close.

Each movement is one balanced journal entry through :func:`kopcore.ledger.post_entry`, so the
kernel's pipeline applies: status (frozen, closed), a floor at zero, holds, and the plugins'
vetoes (dormancy). What only savings knows is checked here: pokok and wajib are not withdrawable
while the member is active, pokok never exceeds its fixed amount, a time deposit moves only
through placement, maturity and early withdrawal, and a withdrawal leaves at least the product's
minimum balance.

The minimum balance is checked *after* posting, inside the same transaction: the kernel's
conditional UPDATE holds the account's row lock by then, so two concurrent withdrawals cannot
both pass it; a refusal rolls the entry back. (It is not the kernel floor because an account
must still be emptied when it is closed or its member leaves.)
"""

from __future__ import annotations

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, InsufficientFunds, NotWithdrawable, ValidationError, message
from kopcore.ledger import JournalEntry
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_savings import events, interest
from kopcore_savings.accounts import SavingsAccount, get_savings_account, record_activity
from kopcore_savings.messages import _
from kopcore_savings.products import SavingsType


def _amount(savings: SavingsAccount, amount: Money) -> Money:
    if amount.currency != savings.account.currency:
        raise ValidationError(_("amount currency differs from the account's"), field="amount")
    if not amount.is_positive():
        raise ValidationError(_("amount must be positive"), field="amount")
    return amount


def check_can_receive(savings: SavingsAccount, amount: Money) -> None:
    """Pokok is paid once, at its fixed amount; a time deposit takes no top-up."""
    if savings.type is SavingsType.BERJANGKA:
        raise Conflict(_("account {account} is a time deposit: place a new deposit instead "
                         "of topping it up", account=savings.number))
    if savings.type is SavingsType.POKOK:
        fixed = Money(savings.product.amount or 0, amount.currency)
        if savings.account.balance + amount > fixed:
            raise ValidationError(_(
                "simpanan pokok is {fixed}; {paid} is paid already, so at most {left} more",
                fixed=fixed, paid=savings.account.balance,
                left=fixed - savings.account.balance), field="amount")


def check_can_pay_out(savings: SavingsAccount) -> None:
    """Only sukarela pays out on request; pokok and wajib only on exit."""
    if savings.type in (SavingsType.POKOK, SavingsType.WAJIB):
        raise NotWithdrawable(_(
            "simpanan {savings_type} ({account}) is withdrawable only when the member leaves "
            "the cooperative", savings_type=savings.type.value, account=savings.number),
            account=savings.number)
    if savings.type is SavingsType.BERJANGKA:
        raise NotWithdrawable(_(
            "{account} is a time deposit: it pays out at maturity or through "
            "savings.deposit-withdraw (early withdrawal penalty applies)",
            account=savings.number), account=savings.number)


def check_minimum_left(ctx: Context, savings: SavingsAccount) -> None:
    """Refuse (InsufficientFunds) when the available balance is now below the minimum: the
    kernel's shortfall message, with what could leave above the minimum and what was asked."""
    after = ledger.get_account(ctx, savings.number)
    minimum = Money(savings.product.min_balance, after.currency)
    if after.available < minimum:
        before = savings.account.available
        spendable = Money(max((before - minimum).minor, 0), before.currency)
        raise InsufficientFunds(message(
            "Insufficient balance: available {available}, requested {requested} "
            "(account {account}, minimum balance {floor})", available=spendable,
            requested=before - after.available, account=savings.number, floor=minimum),
            account=savings.number, available=before.to_str())


def _post(ctx: Context, debit: str, credit: str, amount: Money, memo: str) -> JournalEntry:
    return ledger.post_entry(ctx, [PostingLine(debit, Side.DEBIT, amount),
                                   PostingLine(credit, Side.CREDIT, amount)], memo=memo[:500])


def deposit(ctx: Context, number: str, amount: Money, source: str, memo: str = ""
            ) -> JournalEntry:
    """Credit a savings account from ``source`` (teller cash, a bank account)."""
    savings = get_savings_account(ctx, number)
    check_can_receive(savings, _amount(savings, amount))
    entry = _post(ctx, source, number, amount,
                  memo or f"Setoran simpanan {savings.type.value} {number}")
    record_activity(ctx, savings)
    events.entry_posted(ctx, savings.member_id, number, amount, True, entry)
    return entry


def withdraw(ctx: Context, number: str, amount: Money, destination: str, memo: str = ""
             ) -> JournalEntry:
    """Pay out of a sukarela account to ``destination`` (teller cash)."""
    savings = get_savings_account(ctx, number)
    _amount(savings, amount)
    check_can_pay_out(savings)
    entry = _post(ctx, number, destination, amount,
                  memo or f"Penarikan simpanan {savings.type.value} {number}")
    check_minimum_left(ctx, savings)
    record_activity(ctx, savings)
    events.entry_posted(ctx, savings.member_id, number, amount, False, entry)
    return entry


def transfer(ctx: Context, source: str, target: str, amount: Money, memo: str = ""
             ) -> JournalEntry:
    """Move money from a sukarela account to any member's savings account (paying wajib,
    pokok, or another member's sukarela)."""
    if source == target:
        raise ValidationError(_("source and target are the same account"), field="to_account")
    paying = get_savings_account(ctx, source)
    receiving = get_savings_account(ctx, target)
    _amount(paying, amount)
    check_can_pay_out(paying)
    check_can_receive(receiving, amount)
    entry = _post(ctx, source, target, amount, memo or f"Pemindahbukuan {source} ke {target}")
    check_minimum_left(ctx, paying)
    record_activity(ctx, paying)
    events.entry_posted(ctx, paying.member_id, source, amount, False, entry)
    events.entry_posted(ctx, receiving.member_id, target, amount, True, entry)
    return entry


def close(ctx: Context, number: str, payout: str | None) -> tuple[SavingsAccount,
                                                                 JournalEntry | None]:
    """Close a sukarela account: post its accrued interest, pay the rest to ``payout``, close.

    Pokok and wajib close only through the member's exit; a time deposit through maturity or
    early withdrawal.
    """
    savings = get_savings_account(ctx, number)
    check_can_pay_out(savings)
    if savings.account.held.is_positive():
        raise Conflict(_("account {account} has {held} on hold", account=number,
                         held=savings.account.held))
    interest.settle_account(ctx, savings.account.id)
    balance = ledger.get_account(ctx, number).balance
    entry = None
    if balance.is_positive():
        if payout is None:
            raise ValidationError(_("account {account} holds {balance}: name the "
                                    "payout_account that receives it", account=number,
                                    balance=balance), field="payout_account")
        entry = ledger.post_entry(
            ctx, [PostingLine(number, Side.DEBIT, balance),
                  PostingLine(payout, Side.CREDIT, balance)],
            memo=f"Penutupan rekening {number}")
    ledger.close_account(ctx, number)
    record_activity(ctx, savings)
    return get_savings_account(ctx, number), entry
