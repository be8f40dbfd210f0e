"""A teller's till count (hitung kas teller) at the close of the counter's day.

The teller counts the pieces of each note and coin in their drawer; the count is recorded
(``till_counts``) with the drawer's cash account, the business date, who counted and when, the
pieces per denomination, their total, the book balance of the account at that moment and the
difference (*selisih*: counted minus books; negative is a shortfall). A count changes nothing in
the books: a difference is settled by an entry a manager posts. The supervisor reads the
counts of a day (:func:`till_counts`), the differences first in mind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import attrs
from sqlalchemy import select

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import Conflict, ValidationError, message
from kopcore.ledger._accounts import get_account
from kopcore.ledger._offices import get_office, get_office_by_id
from kopcore.ledger._records import AccountStatus
from kopcore.money import Money

#: The rupiah notes and coins counted, largest first.
DENOMINATIONS = (100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100)
#: The GL account of the tellers' drawers.
TILL_GL_KEY = "cash"
MAX_PIECES = 9_999_999


@attrs.frozen
class TillCount:
    """One recorded count of a drawer."""

    id: int
    account: str
    office: str
    business_date: date
    counted_by: str
    counted_at: datetime
    pieces: dict[int, int]
    counted: Money
    balance: Money
    note: str | None

    @property
    def difference(self) -> Money:
        return self.counted - self.balance


def count_till(ctx: Context, account: str, pieces: Mapping[int, int], note: str | None = None
               ) -> TillCount:
    """Record the count of the drawer ``account`` (a teller cash account) for the current
    business date: ``pieces`` per denomination (:data:`DENOMINATIONS`; one not named counts
    none), against the account's balance now."""
    found = get_account(ctx, account)
    if found.gl_key != TILL_GL_KEY or found.member_id is not None \
            or found.status == AccountStatus.CLOSED:
        raise Conflict(message("{account} is not an open teller cash account",
                               account=account), field="account")
    stray = sorted(set(pieces) - set(DENOMINATIONS))
    if stray:
        raise ValidationError(message("{stray}: not a rupiah note or coin counted at the till",
                                      stray=", ".join(str(s) for s in stray)), field="pieces")
    for denomination, count in pieces.items():
        if not 0 <= count <= MAX_PIECES:
            raise ValidationError(message("pieces of {denomination}: a whole number from 0 to "
                                          "{most}", denomination=denomination, most=MAX_PIECES),
                                  field="pieces")
    counted = Money.parse(str(sum(d * n for d, n in pieces.items())), found.currency)
    now = datetime.now(UTC)
    kept = {str(d): int(pieces.get(d, 0)) for d in DENOMINATIONS}
    inserted = ctx.conn.execute(t.till_counts.insert().values(
        account_id=found.id, office_id=found.office_id, business_date=ctx.business_date,
        actor=ctx.actor, counted_at=now, pieces=json.dumps(kept), counted=counted.minor,
        balance=found.balance.minor, note=note or None)).inserted_primary_key
    assert inserted is not None
    row_id = inserted[0]
    office = get_office_by_id(ctx.conn, found.office_id)
    return TillCount(int(row_id), found.number, office.code, ctx.business_date, ctx.actor, now,
                     {int(d): n for d, n in kept.items()}, counted, found.balance, note or None)


def till_counts(ctx: Context, day: date, *, office: str | None = None,
                offices: frozenset[int] | None = None) -> list[TillCount]:
    """The counts of business date ``day``, in the order they were made: of ``office`` (a
    code) when named, and only of the offices in ``offices`` when not ``None``."""
    c, a, o = t.till_counts.c, t.accounts.c, t.offices.c
    query = (select(c.id, a.number, a.currency, o.code, c.office_id, c.business_date, c.actor,
                    c.counted_at, c.pieces, c.counted, c.balance, c.note)
             .join(t.accounts, a.id == c.account_id).join(t.offices, o.id == c.office_id)
             .where(c.business_date == day).order_by(c.id))
    if office is not None:
        query = query.where(c.office_id == get_office(ctx.conn, office).id)
    rows: list[Any] = list(ctx.conn.execute(query))
    return [TillCount(int(r.id), r.number, r.code, r.business_date, r.actor, r.counted_at,
                      {int(d): int(n) for d, n in json.loads(r.pieces).items()},
                      Money.stored(r.counted, r.currency), Money.stored(r.balance, r.currency),
                      r.note)
            for r in rows if offices is None or r.office_id in offices]
