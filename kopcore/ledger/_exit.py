"""A member's exit (keluar): the plugins settle what the member holds with them, in one entry.

The workflow, in the caller's transaction: the plugins' vetoes (``kopcore_veto_member_change``)
→ every plugin's ``kopcore_member_exit`` (a refusal, or lines moving the member's balances out)
→ one entry of those lines and a balancing line on the payout account, posted under the
operation ``members.exit`` → no balance may be left behind → the member's accounts are closed
and the member is marked ``left``.
"""

from __future__ import annotations

from sqlalchemy import update

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import ExitRefused, MemberNotActive, Message, ValidationError, message
from kopcore.ledger import _rules as rules
from kopcore.ledger._accounts import (
    close_account,
    get_account,
    gl_account_number,
    member_accounts,
)
from kopcore.ledger._members import ask_vetoes, get_member, get_member_by_id, status_text
from kopcore.ledger._posting import post_entry
from kopcore.ledger._records import (
    AccountStatus,
    JournalEntry,
    Member,
    MemberChangeKind,
    MemberStatus,
)
from kopcore.money import Money
from kopcore.records import ExitContribution, PostingLine, Side

#: The operation the exit's entry is posted under, however the exit was called: plugins' vetoes
#: see it, and the entry's source is the plugin declaring it (``kopcore.members``).
EXIT_OPERATION = "members.exit"
#: What the cooperative owes leaving members whose refund the AD/ART defers: filled and paid
#: by the plugin that schedules the refund (the savings plugin's exit refunds), part by part.
EXIT_PAYABLE = "payable.member_exit"


def exit_member(
    ctx: Context, member_number: str, *, reason: str, payout_account: str,
    idempotency_key: str | None = None,
) -> tuple[Member, JournalEntry | None]:
    """Settle and close a member's membership (keluar).

    Every plugin's veto is asked first, then every plugin through ``kopcore_member_exit``; any
    refusal stops the exit. The plugins' lines and one balancing line on ``payout_account``
    (the teller's cash, a bank account) are posted as one entry; the member's accounts then at
    zero are closed. The exit payable is not a payout account: what it holds is recorded, part
    by part, by the plugin that defers a refund, and paid when due.
    """
    member = get_member(ctx, member_number)
    if member.status is not MemberStatus.ACTIVE:
        raise MemberNotActive(message("member {member} is {status}", member=member_number,
                                      status=status_text(member.status)))
    payout = get_account(ctx, payout_account)
    if payout.number == gl_account_number(EXIT_PAYABLE):
        raise ValidationError(message(
            "a refund paid later is deferred by the exit refund policy, which records what is "
            "owed to whom and when; pay the exit from the teller's cash or a bank account"),
            field="payout_account")
    ask_vetoes(ctx, member, MemberChangeKind.EXIT, reason=reason)
    contributions: list[tuple[str, ExitContribution]] = ctx.kernel.plugins.call(
        "kopcore_member_exit", ctx=ctx, member=member
    )
    refusals = [(plugin, c.refusal) for plugin, c in contributions if c.refusal]
    if refusals:
        raise ExitRefused(
            _listed([message("{plugin}: {reason}", plugin=p, reason=r) for p, r in refusals]),
            refusals=[{"plugin": p, "reason": str(r)} for p, r in refusals],
        )
    lines = [line for _, c in contributions for line in c.lines]
    entry = None
    if lines:
        net = sum(line.signed_minor for line in lines)
        if net:
            side = Side.CREDIT if net > 0 else Side.DEBIT
            lines.append(PostingLine(payout.number, side, Money(abs(net), payout.currency)))
        notes = "; ".join(c.note for _, c in contributions if c.note)
        memo = f"Member exit {member_number}: {reason}" + (f" ({notes})" if notes else "")
        entry = post_entry(ctx.for_operation(EXIT_OPERATION), lines, memo=memo[:rules.MAX_MEMO],
                           idempotency_key=idempotency_key)
    left_behind = [a for a in member_accounts(ctx, member.id)
                   if a.status is not AccountStatus.CLOSED
                   and (a.balance.minor != 0 or a.held.minor != 0)]
    if left_behind:
        raise ExitRefused(
            message("no plugin settles the balance of {accounts}; settle or transfer it before "
                    "the exit", accounts=", ".join(f"{a.number} ({a.balance.format()})"
                                                   for a in left_behind)),
            accounts=[a.number for a in left_behind],
        )
    for account in member_accounts(ctx, member.id):
        if account.status is not AccountStatus.CLOSED:
            close_account(ctx, account.number)
    ctx.conn.execute(
        update(t.members).where(t.members.c.id == member.id).values(
            status=MemberStatus.LEFT.value, left_on=ctx.business_date, exit_reason=reason[:32]
        )
    )
    return get_member_by_id(ctx, member.id), entry


def _listed(parts: list[Message]) -> Message:
    """``first; second; ...``, each part translated with the whole."""
    listed = parts[0]
    for part in parts[1:]:
        listed = message("{first}; {second}", first=listed, second=part)
    return listed
