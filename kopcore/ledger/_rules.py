"""The posting rules that need no database: what every journal entry must be, and what the
pipeline derives from an entry's lines and the accounts they name.

Everything here works on values (posting lines, :class:`~kopcore.ledger._records.Account`
records) and raises the ledger's typed errors, so the rules are tested without a database
(tests/test_posting_rules.py). :mod:`kopcore.ledger._prepare` applies them to every entry, posted
alone or in a batch; the writes then rely on them.

- **Shape** (:func:`check_shape`): every amount is a positive :class:`~kopcore.money.Money`, every
  side a :class:`~kopcore.records.Side`; checked first, as nothing else can be computed without.
- **Size and memo** (:func:`check_entry`): at least two lines, at most :data:`MAX_LINES`; a memo
  of 1 to :data:`MAX_MEMO` characters.
- **Against the accounts** (:func:`check_against_accounts`): each line in its account's currency,
  no account closed, debits equal to credits in each currency.
- **Balance changes** (:func:`balance_changes`, :func:`apply_changes`): each account's net change
  in ascending id order (the order accounts are locked in) and whether it needs a floor check;
  the refusals of a frozen account or a floor.
- **Reversal** (:func:`mirror_lines`) and **idempotency** (:func:`replay_digest`).

One account may appear on several lines, on both sides: it moves by the net amount.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NewType

from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    BalanceOutOfRange,
    CurrencyMismatch,
    InsufficientFunds,
    Message,
    UnbalancedEntry,
    ValidationError,
    message,
)
from kopcore.ledger._records import Account, AccountStatus, PostingView
from kopcore.money import MAX_MINOR, Money
from kopcore.records import PostingLine, Side

#: The most postings one journal entry may have.
MAX_LINES = 10_000
#: The longest memo, in characters.
MAX_MEMO = 500

CheckedLines = NewType("CheckedLines", list[PostingLine])
"""Lines that passed :func:`check_shape`: the only lines the preparation step accepts."""

ChangeKind = Literal["inc", "dec-free", "dec-checked"]
"""How a balance change is written (:data:`kopcore.ledger._writes.CONDITIONS`): ``inc`` raises
the account's normal balance, ``dec-free`` lowers one without a floor, ``dec-checked`` lowers one
with a floor, checked against the locked row."""

BalanceChange = tuple[Account, int, ChangeKind]
"""An account, its net change in debit-positive minor units, and the kind of change."""


def request_digest(payload: Any) -> str:
    """SHA-256 of a canonical JSON rendering; equal requests have equal digests."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def replay_digest(lines: Sequence[PostingLine], memo: str, reverses_entry_id: int | None) -> str:
    """What an idempotency key is bound to: the lines, the memo and the entry reversed."""
    return request_digest({
        "lines": [[ln.account, ln.side.value, ln.amount.minor, ln.amount.currency]
                  for ln in lines],
        "memo": memo,
        "reverses": reverses_entry_id,
    })


def check_shape(lines: Iterable[PostingLine]) -> CheckedLines:
    """The lines as a list, refusing what nothing else can be computed from (a float amount, a
    side given as a plain string, an amount not above zero) with a typed error."""
    checked = list(lines)
    for line in checked:
        if not isinstance(line.amount, Money):
            raise ValidationError(message("posting amounts must be Money"), field="amount")
        if line.amount.minor <= 0:
            raise ValidationError(message(
                "posting amounts must be positive (line on {account} is {amount}); use the "
                "side to say debit or credit", account=line.account, amount=line.amount),
                field="amount",
            )
        if not isinstance(line.side, Side):
            raise ValidationError(message("posting side must be debit or credit"), field="side")
    return CheckedLines(checked)


def check_entry(lines: Sequence[PostingLine], memo: str) -> None:
    """Refuse an entry with fewer than two or more than :data:`MAX_LINES` lines, or without a
    memo of at most :data:`MAX_MEMO` characters."""
    if len(lines) < 2:
        raise UnbalancedEntry(message("a journal entry needs at least two postings"))
    if len(lines) > MAX_LINES:
        raise ValidationError(message("a journal entry has at most {count} postings",
                                      count=MAX_LINES))
    if not memo or len(memo) > MAX_MEMO:
        raise ValidationError(message("memo is required (at most {count} characters)",
                                      count=MAX_MEMO), field="memo")


def check_against_accounts(lines: Sequence[PostingLine], accounts: Mapping[str, Account]) -> None:
    """Refuse a line in another currency than its account or on a closed account, then an
    entry whose debits and credits differ in any currency (naming each difference)."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        account = accounts[line.account]
        if line.amount.currency != account.currency:
            raise CurrencyMismatch(message(
                "account {account} is in {currency}, the posting in {posting_currency}",
                account=account.number, currency=account.currency,
                posting_currency=line.amount.currency))
        if account.status is AccountStatus.CLOSED:
            raise account_closed(account)
        totals[line.amount.currency] += line.signed_minor
    unbalanced = {c: v for c, v in totals.items() if v != 0}
    if unbalanced:
        parts = [message("{currency} debits exceed credits by {difference}", currency=c,
                         difference=Money(v, c).to_str()) if v > 0
                 else message("{currency} credits exceed debits by {difference}", currency=c,
                              difference=Money(-v, c).to_str())
                 for c, v in sorted(unbalanced.items())]
        detail = parts[0]
        for part in parts[1:]:
            detail = message("{first}, {second}", first=detail, second=part)
        raise UnbalancedEntry(message("entry does not balance: {detail}", detail=detail))


def balance_changes(lines: Iterable[PostingLine], accounts: Mapping[str, Account]
                    ) -> list[BalanceChange]:
    """Each account's net change in ascending account id order, the order every posting locks
    accounts in, so that two entries cannot deadlock; accounts whose lines cancel out are left
    out. A change that raises the account's normal balance is ``inc``; one that lowers it is
    ``dec-checked`` when the account has a floor, else ``dec-free``."""
    deltas: dict[int, int] = defaultdict(int)
    by_id: dict[int, Account] = {}
    for line in lines:
        account = accounts[line.account]
        by_id[account.id] = account
        deltas[account.id] += line.signed_minor
    changes: list[BalanceChange] = []
    for account_id in sorted(deltas):
        delta = deltas[account_id]
        if not delta:
            continue
        account = by_id[account_id]
        if abs(delta) > 2 * MAX_MINOR:  # no balance in range can take it (nor can a BIGINT)
            raise balance_out_of_range(account, delta)
        kind: ChangeKind = "inc" if delta * account.normal_sign > 0 else (
            "dec-free" if account.floor is None else "dec-checked")
        changes.append((account, delta, kind))
    return changes


def apply_changes(changes: Sequence[BalanceChange], moved: dict[int, int]) -> None:
    """Apply one entry's changes to ``moved`` (account id → what the entries before it moved the
    account's balance by, debit-positive; absent: nothing), refusing them as the database would
    on the account's balance as read plus that: nothing leaves a frozen account or goes below a
    floor (the bulk path checks its batch this way, on accounts it holds locked)."""
    for account, delta, kind in changes:
        if kind == "inc":
            continue
        if account.status is AccountStatus.FROZEN:
            raise account_frozen(account)
        floor = account.floor
        available = account.available.minor + moved.get(account.id, 0) * account.normal_sign
        if floor is not None and available + delta * account.normal_sign < floor.minor:
            raise insufficient_funds(account, Money(available, account.currency), delta)
    for account, delta, _kind in changes:
        after = account.balance.minor + (moved.get(account.id, 0) + delta) * account.normal_sign
        if abs(after) > MAX_MINOR:
            raise balance_out_of_range(account, delta)
    for account, delta, _kind in changes:
        moved[account.id] = moved.get(account.id, 0) + delta


def mirror_lines(postings: Iterable[PostingView]) -> list[PostingLine]:
    """The lines of an entry's reversal: every debit becomes a credit of the same amount."""
    return [PostingLine(p.account_number, Side.CREDIT if p.amount.minor > 0 else Side.DEBIT,
                        Money(abs(p.amount.minor), p.amount.currency))
            for p in postings]


def balance_out_of_range(account: Account, delta: int) -> BalanceOutOfRange:
    """The refusal of a change that would take ``account``'s balance beyond the money range."""
    limit = Money.stored(MAX_MINOR, account.currency).format()
    amount = Money.stored(abs(delta), account.currency).format()
    return BalanceOutOfRange(message("account {account} cannot take {amount} more: a balance "
                                     "is at most {limit}", account=account.number,
                                     amount=amount, limit=limit), account=account.number)


def out_of_range(changes: Sequence[BalanceChange]) -> BalanceOutOfRange:
    """The refusal for an entry the database refused as taking a balance out of range: the
    account named is the first whose balance, as read before the entry, would leave the range."""
    for account, delta, _kind in changes:
        if abs(account.balance.minor * account.normal_sign + delta) > MAX_MINOR:
            return balance_out_of_range(account, delta)
    account, delta, _kind = changes[0]
    return balance_out_of_range(account, delta)


def account_closed(account: Account) -> AccountClosed:
    """The refusal of a posting on a closed account."""
    return AccountClosed(message("account {account} is closed", account=account.number),
                         account=account.number)


def account_frozen(account: Account) -> AccountFrozen:
    """The refusal of money leaving a frozen account."""
    return AccountFrozen(message("account {account} is frozen: nothing may leave it",
                                 account=account.number), account=account.number)


def insufficient_funds(account: Account, available: Money, delta: int) -> InsufficientFunds:
    """The refusal of a change that would take ``account`` below its floor."""
    return InsufficientFunds(
        shortfall(account.number, available, Money(abs(delta), account.currency), account.floor),
        account=account.number, available=available.to_str(),
    )


def shortfall(number: str, available: Money, requested: Money, floor: Money | None = None
              ) -> Message:
    """What a person reads when ``requested`` is more than an account can give: the amount
    that can still leave it (``available`` above a non-zero ``floor``), the amount asked and
    the account (an entry may take from several)."""
    if floor is None or floor.minor == 0:
        return message("Insufficient balance: available {available}, requested {requested} "
                       "(account {account})", available=available, requested=requested,
                       account=number)
    spendable = Money(max(available.minor - floor.minor, 0), available.currency)
    return message("Insufficient balance: available {available}, requested {requested} "
                   "(account {account}, minimum balance {floor})", available=spendable,
                   requested=requested, account=number, floor=floor)
