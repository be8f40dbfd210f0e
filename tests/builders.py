"""Small builders shared by tests: members, accounts and entries in one line each."""

from __future__ import annotations

import itertools

from kopcore import ledger
from kopcore.context import Context
from kopcore.ledger import Account, Member
from kopcore.money import Money
from kopcore.records import PostingLine, Side

_serial = itertools.count(1)


def nik(serial: int | None = None) -> str:
    """A valid NIK (Kota Denpasar, born 15-08-1990), unique per call."""
    return f"517101150890{serial if serial is not None else next(_serial):04d}"


def rp(amount: str | int) -> Money:
    return Money.parse(amount)


def active_member(ctx: Context, name: str = "Made Wirawan") -> Member:
    member = ledger.register_member(ctx, name=name, nik=nik())
    return ledger.activate_member(ctx, member.member_number)


def cash_account(ctx: Context, number: str = "CASH-01") -> Account:
    """A teller cash account that cannot go below zero."""
    return ledger.open_account(ctx, name=f"Kas {number}", gl_key="cash", plugin="kopcore",
                               number=number, floor=Money(0))


def member_account(ctx: Context, member: Member, number: str | None = None,
                   floor: Money | None = None) -> Account:
    """A member's liability account (like voluntary savings) with a floor at zero."""
    return ledger.open_account(ctx, name=f"Titipan {member.name}", gl_key="payable.other",
                               plugin="kopcore", member_id=member.id, number=number,
                               floor=floor if floor is not None else Money(0))


def transfer(ctx: Context, debit: str, credit: str, amount: Money, memo: str = "test",
             key: str | None = None) -> ledger.JournalEntry:
    return ledger.post_entry(ctx, [PostingLine(debit, Side.DEBIT, amount),
                                   PostingLine(credit, Side.CREDIT, amount)],
                             memo=memo, idempotency_key=key)


def capitalise(ctx: Context, account: str, amount: Money) -> ledger.JournalEntry:
    """Put money into an asset account from the grants equity account."""
    return transfer(ctx, account, "GL-equity.grants", amount, memo="modal awal")
