"""Posting many entries at once: the set-based path for batch work (end of day, imports).

:func:`post_entries` gives the same result as calling :func:`~kopcore.ledger.post_entry` for
each entry in order, in the caller's transaction, with far fewer statements: the accounts of the
whole batch are read (and on PostgreSQL locked) once, in ascending id order; each entry is
prepared as a single one is (:func:`~kopcore.ledger._prepare.prepare_entry`: the posting rules,
its source, the plugins' vetoes) and checked against floors *in order* on the locked balances
plus what the batch has moved them by so far (:func:`~kopcore.ledger._rules.apply_changes`), so
an entry that would overdraw fails exactly as it would alone; then the entries, one balance
update per account and all postings are written in three batched statements. Any refusal
raises its typed error and, as always, the caller's transaction writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
from sqlalchemy import ARRAY, Table, any_, bindparam, select

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import NotFound, ValidationError, message
from kopcore.ledger import _rules as rules
from kopcore.ledger import _writes as writes
from kopcore.ledger._accounts import account_from_row
from kopcore.ledger._prepare import prepare_entry
from kopcore.ledger._records import Account, JournalEntry
from kopcore.records import PostingLine

_a = t.accounts.c
_INSERT_ENTRIES = t.journal_entries.insert().returning(
    t.journal_entries.c.id, sort_by_parameter_order=True)

MAX_ENTRIES = 10000


@attrs.frozen
class EntryRequest:
    """One entry of a batch (no idempotency key: make the batch itself idempotent, for
    example through the operation's Idempotency-Key or an end-of-day chunk)."""

    lines: Sequence[PostingLine]
    memo: str


#: The batch's accounts in ascending id order, locked on PostgreSQL (SQLite, one writer at a
#: time, has no row locks: SQLAlchemy leaves ``FOR UPDATE`` out there).
_LOCK_ACCOUNTS = select(t.accounts).where(_a.number.in_(bindparam("numbers"))) \
    .order_by(_a.id).with_for_update()
#: PostgreSQL binds the numbers as one array (``= ANY(…)``): one statement whatever the batch's
#: size, where an expanding ``IN`` renders new SQL with a parameter per account every time.
_LOCK_ACCOUNTS_BY_ARRAY = select(t.accounts).where(
    _a.number == any_(bindparam("numbers", type_=ARRAY(_a.number.type)))
).order_by(_a.id).with_for_update()


def _lock_accounts(ctx: Context, numbers: set[str]) -> dict[str, Account]:
    by_array = ctx.conn.dialect.name == "postgresql"
    query = _LOCK_ACCOUNTS_BY_ARRAY if by_array else _LOCK_ACCOUNTS
    facts = ctx.kernel.facts  # the transaction's facts come with the accounts (kopcore._facts)
    rows = ctx.conn.execute(facts.statement(f"bulk.accounts.{by_array}", query),
                            {"numbers": sorted(numbers)}).all()
    if rows:
        facts.take(ctx.conn, rows[0])
    found = {r.number: account_from_row(r) for r in rows}
    missing = sorted(numbers - set(found))
    if missing:
        raise NotFound(message("account {account} not found", account=", ".join(missing)),
                       field="account")
    return found


def _insert_entries(ctx: Context, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the batch's entry rows; their ids, in the order of ``rows``.

    PostgreSQL: one multi-row ``INSERT … RETURNING`` whose rows SQLAlchemy sorts back into
    parameter order. SQLite cannot promise the order of ``RETURNING`` rows, and SQLAlchemy would
    then insert row by row; instead the rows go in by one executemany and are read back: in a
    write transaction (``BEGIN IMMEDIATE``, the only writer) they are the table's last
    ``len(rows)`` rows, with ascending ids, which is checked against their memos."""
    if ctx.conn.dialect.name == "sqlite":
        writes.insert_rows(ctx.conn, t.journal_entries, rows)
        e = t.journal_entries.c
        written = ctx.conn.execute(
            select(e.id, e.memo).order_by(e.id.desc()).limit(len(rows))).all()[::-1]
        if [r.memo for r in written] != [row["memo"] for row in rows]:
            raise RuntimeError("the journal entries just written are not the table's last rows")
        ids = [r.id for r in written]
    else:
        ids = list(ctx.conn.execute(_INSERT_ENTRIES, rows).scalars())
    return ids


def post_entries(ctx: Context, requests: Sequence[EntryRequest]) -> list[JournalEntry]:
    """Post a batch of balanced entries, in order, dated with the current business date."""
    if not requests:
        return []
    if len(requests) > MAX_ENTRIES:
        raise ValidationError(message("a batch has at most {count} entries", count=MAX_ENTRIES))
    batch = [(rules.check_shape(request.lines), request.memo) for request in requests]
    accounts = _lock_accounts(ctx, {line.account for lines, _memo in batch for line in lines})
    moved: dict[int, int] = {}  # account id → what the batch moves its balance by so far
    prepared = []
    for lines, memo in batch:
        ready = prepare_entry(ctx, lines, memo, accounts=accounts)
        prepared.append(ready)
        for number, account in ready.entry.accounts.items():  # RAK accounts join the batch
            accounts.setdefault(number, account)
        rules.apply_changes(rules.balance_changes(ready.entry.lines, accounts), moved)
    created_at = datetime.now(UTC)
    rows = [entry.row(ctx, created_at=created_at) for entry in prepared]
    ids = _insert_entries(ctx, rows)
    changes = [(account_id, delta) for account_id, delta in sorted(moved.items()) if delta]
    if changes:  # checked above on the locked rows: no condition
        writes.add_to_balances(ctx.conn, "any", changes)
    written = list(zip(ids, prepared, rows, strict=True))
    writes.insert_postings(ctx.conn, [posting for entry_id, ready, _row in written
                                      for posting in ready.rows(entry_id)])
    entries = [ready.posted(entry_id, row) for entry_id, ready, row in written]
    for entry in entries:
        ctx.kernel.plugins.call("kopcore_after_posting", ctx=ctx, entry=entry)
    return entries


def insert_rows(ctx: Context, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows into a plugin's own table in the caller's transaction, in order: one
    statement on PostgreSQL (the columns as arrays), the driver's executemany on SQLite, from
    :data:`kopcore.ledger._writes.LARGE` rows on; below that, SQLAlchemy's executemany. For
    end-of-day work that records a row per account (a month's interest, a day's balances)."""
    writes.insert_rows(ctx.conn, table, rows)
