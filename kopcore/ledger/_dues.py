"""What members owe, across plugins, and settling it as one journal entry.

A collector (payroll deduction, a payment gateway) never knows savings, loans or financing: it
asks every plugin for a member's dues (``kopcore_member_dues``) and hands amounts back against
them (``kopcore_settle_dues``). :func:`settle_dues` composes the one entry of a collection:
the collector's funding lines (the employer's transfer into the bank) and every owner's
settling lines, posts it, then lets each owner record the settlement in its own tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from kopcore.context import Context
from kopcore.errors import ValidationError, message
from kopcore.ledger._accounts import get_account
from kopcore.ledger._posting import post_composed
from kopcore.ledger._records import JournalEntry
from kopcore.records import DueLines, DuePriority, DueSettlement, MemberDue, PostingLine

#: Members asked about per call of ``kopcore_member_dues``: an implementation may then name
#: them all in one ``IN (...)`` (SQLite takes at most 32,766 parameters a statement).
MEMBERS_PER_CALL = 5000

#: The order :func:`member_dues` returns a member's dues in, when the collector gives none.
DEFAULT_PRIORITY: tuple[DuePriority, ...] = (
    DuePriority.WAJIB, DuePriority.OVERDUE, DuePriority.CURRENT, DuePriority.OTHER)


def member_dues(ctx: Context, member_ids: Iterable[int], start: date, end: date, *,
                priority: Sequence[DuePriority] = DEFAULT_PRIORITY) -> list[MemberDue]:
    """Every plugin's dues of ``member_ids`` falling due up to ``end`` (overdue ones dated
    before ``start`` included), ordered by member, then ``priority``, then due date, owner and
    reference: the order a collector settles them in. The plugins are asked about at most
    :data:`MEMBERS_PER_CALL` members at a time."""
    if start > end:
        raise ValidationError(message("the period's first day is after its last"), field="start")
    ids = sorted(set(member_ids))
    if not ids:
        return []
    rank = {klass: index for index, klass in enumerate(priority)}
    found: list[MemberDue] = []
    for first in range(0, len(ids), MEMBERS_PER_CALL):
        chunk = ids[first:first + MEMBERS_PER_CALL]
        for plugin, dues in ctx.kernel.plugins.call("kopcore_member_dues", ctx=ctx,
                                                    member_ids=chunk, start=start, end=end):
            for due in dues:
                if due.owner != plugin:
                    raise ValidationError(message("plugin {plugin!r} declared a due owned by "
                                                  "{owner!r}", plugin=plugin,
                                                  owner=due.owner))
                found.append(due)
    return sorted(found, key=lambda d: (d.member_id, rank.get(d.priority, len(rank)),
                                        d.due_date, d.owner, d.reference))


def _check(settlements: Sequence[DueSettlement]) -> None:
    seen: set[tuple[str, str]] = set()
    for settlement in settlements:
        due, amount = settlement.due, settlement.amount
        key = (due.owner, due.reference)
        if key in seen:
            raise ValidationError(message("due {reference} of {owner} is settled twice",
                                          reference=due.reference, owner=due.owner))
        seen.add(key)
        if amount.currency != due.amount.currency:
            raise ValidationError(message("due {reference}: settled in {currency}, owed in "
                                          "{owed_currency}", reference=due.reference,
                                          currency=amount.currency,
                                          owed_currency=due.amount.currency))
        if amount.minor < 0 or amount.minor > due.amount.minor:
            raise ValidationError(message("due {reference} of {owner}: settled {amount}, owed "
                                          "{owed}", reference=due.reference,
                                          owner=due.owner, amount=amount,
                                          owed=due.amount))
        if not due.partial and amount.minor not in (0, due.amount.minor):
            raise ValidationError(message("due {reference} of {owner} is settled whole or not "
                                          "at all", reference=due.reference,
                                          owner=due.owner))


def settle_dues(ctx: Context, settlements: Sequence[DueSettlement],
                funding: Sequence[PostingLine], *, memo: str,
                idempotency_key: str | None = None) -> JournalEntry | None:
    """Settle ``settlements`` as ONE entry: ``funding`` (the collector's lines on internal
    accounts: the employer's transfer into the bank, a suspense credit for money no due
    claims) and every owner's settling lines; then each owner records the settlement.

    Every settlement must find its owner among the enabled plugins, and each amount must lie
    between zero and the due's amount (a due not ``partial``: zero or all of it); the entry
    must balance like any other. Returns the entry, or ``None`` when nothing was to be posted
    (no funding and every amount zero: the dues were presented and nothing came). Raises a
    typed :class:`~kopcore.errors.KopcoreError` for every refusal; the caller's transaction
    then holds nothing of it.
    """
    _check(settlements)
    for line in funding:
        if get_account(ctx, line.account).member_id is not None:
            raise ValidationError(message("funding line on {account}: a collection is funded "
                                          "through internal accounts (bank, cash, suspense), "
                                          "not a member's account", account=line.account),
                                  field="funding")
    answers: list[DueLines] = []
    claimed: dict[str, set[str]] = defaultdict(set)
    lines: list[PostingLine] = list(funding)
    if settlements:
        for plugin, answer in ctx.kernel.plugins.call("kopcore_settle_dues", ctx=ctx,
                                                      settlements=settlements):
            claimed[plugin].update(answer.references)
            answers.append(answer)
            lines.extend(answer.lines)
    unclaimed = sorted({s.due.kind for s in settlements
                        if s.due.reference not in claimed.get(s.due.owner, set())})
    if unclaimed:
        raise ValidationError(message("no enabled plugin settles these dues: {unclaimed}",
                                      unclaimed=', '.join(unclaimed)))
    entry = None
    if lines:
        entry = post_composed(ctx, lines, memo=memo, idempotency_key=idempotency_key,
                              settles_dues=True)
    for answer in answers:
        answer.apply(ctx, entry)
    return entry
