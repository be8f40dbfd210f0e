"""Opening many accounts at once: the set-based twin of :func:`kopcore.ledger.open_account`
for batch work (a cut-over import opens tens of thousands).

:func:`open_accounts` checks what ``open_account`` checks — the GL account exists, a member
account's member is active, each number is valid and new, a floor is in the account's
currency — with one statement per check for the whole batch, inserts the accounts with one
executemany and reads them back with one ``SELECT``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs
from sqlalchemy import bindparam, select

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import Conflict, MemberNotActive, NotFound, ValidationError, message
from kopcore.ledger._accounts import ACCOUNT_NUMBER_RULE, FLOOR_CURRENCY, account_from_row
from kopcore.ledger._members import not_active
from kopcore.ledger._records import Account, AccountStatus, MemberStatus
from kopcore.money import Money
from kopcore.records import GLType

_NUMBER = re.compile(r"[A-Za-z0-9./_-]{1,64}")
_a, _m, _g = t.accounts.c, t.members.c, t.gl_accounts.c
_TAKEN = select(_a.number).where(_a.number.in_(bindparam("numbers", expanding=True)))
_MEMBERS = select(_m.id, _m.member_number, _m.status).where(
    _m.id.in_(bindparam("ids", expanding=True)))
_READ_BACK = select(t.accounts).where(_a.number.in_(bindparam("numbers", expanding=True)))


@attrs.frozen
class AccountOpening:
    """One account to open: as the arguments of :func:`~kopcore.ledger.open_account`, with
    its number given."""

    name: str
    gl_key: str
    plugin: str
    number: str
    member_id: int | None = None
    product_code: str | None = None
    currency: str | None = None
    floor: Money | None = None


def open_accounts(ctx: Context, openings: Sequence[AccountOpening]) -> list[Account]:
    """Open every account of ``openings`` (in its order) dated the business date, or refuse
    the batch with the error ``open_account`` would give for its first bad account."""
    if not openings:
        return []
    numbers = [o.number for o in openings]
    for opening in openings:
        if not _NUMBER.fullmatch(opening.number):
            raise ValidationError(ACCOUNT_NUMBER_RULE, field="number")
    if len(set(numbers)) != len(numbers):
        raise Conflict(message("an account number is given twice in the batch"),
                       field="number")
    taken = ctx.conn.execute(_TAKEN, {"numbers": numbers}).scalars().first()
    if taken is not None:
        raise Conflict(message("account number {number} already exists", number=taken),
                       field="number")
    keys = {o.gl_key for o in openings}
    chart = {r.key: GLType(r.type).debit_normal != bool(r.contra) for r in ctx.conn.execute(
        select(_g.key, _g.type, _g.contra).where(_g.key.in_(keys)))}
    missing = sorted(keys - set(chart))
    if missing:
        raise NotFound(message("GL account '{gl_key}' not in the chart", gl_key=missing[0]),
                       field="gl_key")
    member_ids = {o.member_id for o in openings if o.member_id is not None}
    if member_ids:
        for member_id, number, status in ctx.conn.execute(_MEMBERS, {"ids": sorted(member_ids)}):
            member_ids.discard(member_id)
            if status != MemberStatus.ACTIVE.value:
                raise MemberNotActive(not_active(number, status))
        if member_ids:
            raise NotFound(message("member id {member_id} not found",
                                   member_id=min(member_ids)))
    rows = []
    for o in openings:
        currency = o.currency or ctx.settings.currency
        if o.floor is not None and o.floor.currency != currency:
            raise ValidationError(FLOOR_CURRENCY, field="floor")
        rows.append({
            "number": o.number, "name": o.name, "gl_key": o.gl_key, "member_id": o.member_id,
            "product_code": o.product_code, "plugin": o.plugin, "currency": currency,
            "normal_sign": 1 if chart[o.gl_key] else -1, "status": AccountStatus.OPEN.value,
            "balance": 0, "held": 0, "floor": o.floor.minor if o.floor is not None else None,
            "opened_on": ctx.business_date,
        })
    ctx.conn.execute(t.accounts.insert(), rows)
    opened = {account.number: account for account in map(
        account_from_row, ctx.conn.execute(_READ_BACK, {"numbers": numbers}))}
    return [opened[number] for number in numbers]
