"""Murabahah installments as members' dues (``kopcore_member_dues``, ``kopcore_settle_dues``).

Each unpaid installment of an active murabahah due by the period's end is one due, kind
``sharia.murabahah``, reference ``<account id>:<installment number>``, priority ``overdue``
when it fell due before the period, otherwise ``current``. An installment is collected whole
(``partial=False``) and in order, as :func:`kopcore_sharia.murabahah.pay_installment` collects
it: settling credits the receivable and moves its margin from deferred margin to income; once
the collector's entry is posted the contract counts the installments paid and, at the last,
is settled and its account closed. Ta'zir is an operator's judgement, never a due.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import Conflict
from kopcore.ledger import JournalEntry
from kopcore.records import DueLines, DuePriority, DueSettlement, MemberDue, PostingLine, Side
from kopcore_sharia import chart
from kopcore_sharia.messages import _
from kopcore_sharia.murabahah import ACTIVE, SETTLED, Contract, get_contract
from kopcore_sharia.tables import murabahah

KIND = "sharia.murabahah"


def _contracts(ctx: Context, member_ids: Sequence[int]) -> list[Contract]:
    m, a = murabahah.c, query.accounts.c
    numbers = ctx.conn.execute(
        sa.select(a.number).select_from(murabahah.join(query.accounts, a.id == m.account_id))
        .where(m.member_id.in_(member_ids), m.status == ACTIVE).order_by(m.account_id)
    ).scalars().all()
    return [get_contract(ctx, number) for number in numbers]


def murabahah_dues_of(ctx: Context, member_ids: Sequence[int], start: date, end: date
                      ) -> list[MemberDue]:
    found = []
    for contract in _contracts(ctx, member_ids):
        number = contract.account.number
        for row in contract.schedule()[contract.paid_installments:]:
            if row.due_on > end:
                break
            overdue = row.due_on < start
            found.append(MemberDue(
                member_id=contract.member_id, owner=chart.PLUGIN, kind=KIND,
                priority=DuePriority.OVERDUE if overdue else DuePriority.CURRENT,
                amount=contract.money(row.total), due_date=row.due_on,
                reference=f"{contract.account.id}:{row.number}", account=number,
                description=f"Angsuran murabahah {number} ke-{row.number}/"
                            f"{contract.installments}" + (" (tunggakan)" if overdue else ""),
                partial=False))
    return found


def settle(ctx: Context, settlements: Sequence[DueSettlement]) -> DueLines | None:
    mine = [s for s in settlements if s.due.owner == chart.PLUGIN]
    if not mine:
        return None
    by_contract: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for settlement in mine:
        number = int(settlement.due.reference.split(":")[1])
        by_contract[settlement.due.account].append((number, settlement.amount.minor))
    lines: list[PostingLine] = []
    plans: list[tuple[str, int, int]] = []
    for account in sorted(by_contract):
        contract = get_contract(ctx, account, lock=True)
        schedule = contract.schedule()
        expected = contract.paid_installments + 1
        paid = margin = last_paid = 0
        for number, amount in sorted(by_contract[account]):
            if contract.status != ACTIVE or number < expected or number > len(schedule):
                raise Conflict(_("installment {number} of murabahah {account} is paid or "
                                 "changed since it was listed", number=number,
                                 account=account), field="dues")
            if amount == 0:
                expected = len(schedule) + 1  # nothing later of this contract may be paid
                continue
            row = schedule[number - 1]
            if number != expected or amount != row.total:
                raise Conflict(_("murabahah {account}: installment {number} is collected whole "
                                 "and after the ones before it", account=account,
                                 number=number), field="dues")
            expected, last_paid = expected + 1, number
            paid += row.total
            margin += row.margin
        if not paid:
            continue
        money = contract.money
        lines.append(PostingLine(account, Side.CREDIT, money(paid)))
        if margin:
            lines += [PostingLine(chart.gl(chart.MURABAHAH_DEFERRED_MARGIN), Side.DEBIT,
                                  money(margin)),
                      PostingLine(chart.gl(chart.MURABAHAH_MARGIN_INCOME), Side.CREDIT,
                                  money(margin))]
        plans.append((account, last_paid, margin))

    def apply(ctx: Context, entry: JournalEntry | None) -> None:
        for account, last_paid, margin in plans:
            _record(ctx, account, last_paid, margin)

    return DueLines(lines, [s.due.reference for s in mine], apply)


def _record(ctx: Context, account: str, last_paid: int, margin: int) -> None:
    """Count the installments paid up to ``last_paid``, as pay_installment does."""
    contract = get_contract(ctx, account, lock=True)
    schedule = contract.schedule()
    last = last_paid == contract.installments
    following = None if last else schedule[last_paid].due_on
    late = 0 if following is None else max(0, (ctx.business_date - following).days)
    ctx.conn.execute(sa.update(murabahah).where(murabahah.c.account_id == contract.account.id)
                     .values(paid_installments=last_paid,
                             margin_recognised=contract.margin_recognised + margin,
                             status=SETTLED if last else ACTIVE,
                             settled_on=ctx.business_date if last else None,
                             next_due_on=following, days_past_due=late))
    if last:
        ledger.close_account(ctx, account)
