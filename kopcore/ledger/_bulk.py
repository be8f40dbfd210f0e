"""Posting many entries at once: the set-based path for batch work (end of day, imports).

:func:`post_entries` gives the same result as calling :func:`~kopcore.ledger.post_entry` for
each entry in order, in the caller's transaction, with far fewer statements: the accounts of the
whole batch are read (and on PostgreSQL locked) once, in ascending id order; each entry is
prepared as a single one is (:func:`~kopcore.ledger._prepare.prepare_entry`: the posting rules,
its source, the plugins' vetoes) and checked against floors *in order* on the locked balances
held in memory (:func:`~kopcore.ledger._rules.apply_changes`), so an entry that would overdraw
fails exactly as it would alone; then the
entries, one balance update per account and all postings are written in three batched
statements. Any refusal raises its typed error and, as always, the caller's transaction writes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
from sqlalchemy import ARRAY, Table, any_, bindparam, select, update

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
_ADD_TO_BALANCE = update(t.accounts).where(_a.id == bindparam("b_id")).values(
    balance=_a.balance + bindparam("b_delta"))

MAX_ENTRIES = 10000


@attrs.frozen
class EntryRequest:
    """One entry of a batch (no idempotency key: make the batch itself idempotent, for
    example through the operation's Idempotency-Key or an end-of-day chunk)."""

    lines: Sequence[PostingLine]
    memo: str


_SELECT_ACCOUNTS = select(t.accounts).where(_a.number.in_(bindparam("numbers", expanding=True))) \
    .order_by(_a.id)
#: On PostgreSQL the batch's accounts are locked up front, in ascending id order; their numbers
#: are bound as one array (``= ANY(…)``): one statement whatever the batch's size, where an
#: expanding ``IN`` renders new SQL with a parameter per account on every execution.
_LOCK_ACCOUNTS = select(t.accounts).where(
    _a.number == any_(bindparam("numbers", type_=ARRAY(_a.number.type)))
).order_by(_a.id).with_for_update()


def _lock_accounts(ctx: Context, numbers: set[str]) -> dict[str, Account]:
    locking = ctx.conn.dialect.name == "postgresql"
    query = _LOCK_ACCOUNTS if locking else _SELECT_ACCOUNTS
    facts = ctx.kernel.facts  # the transaction's facts come with the accounts (kopcore._facts)
    rows = ctx.conn.execute(facts.statement(f"bulk.accounts.{locking}", query),
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
    if ctx.conn.dialect.name != "sqlite":
        return list(ctx.conn.execute(_INSERT_ENTRIES, rows).scalars())
    writes.insert_rows(ctx.conn, t.journal_entries, rows)
    e = t.journal_entries.c
    written = ctx.conn.execute(
        select(e.id, e.memo).order_by(e.id.desc()).limit(len(rows))).all()[::-1]
    if [r.memo for r in written] != [row["memo"] for row in rows]:
        raise RuntimeError("the journal entries just written are not the table's last rows")
    return [r.id for r in written]


def post_entries(ctx: Context, requests: Sequence[EntryRequest]) -> list[JournalEntry]:
    """Post a batch of balanced entries, in order, dated with the current business date."""
    if not requests:
        return []
    if len(requests) > MAX_ENTRIES:
        raise ValidationError(message("a batch has at most {count} entries", count=MAX_ENTRIES))
    batch = [rules.check_shape(request.lines) for request in requests]
    accounts = _lock_accounts(ctx, {line.account for lines in batch for line in lines})
    before = {a.id: a.balance.minor * a.normal_sign for a in accounts.values()}
    running = dict(before)
    prepared = []
    for request, lines in zip(requests, batch, strict=True):
        ready = prepare_entry(ctx, lines, request.memo, accounts=accounts)
        prepared.append(ready)
        for number, account in ready.entry.accounts.items():  # RAK accounts join the batch
            if number not in accounts:
                accounts[number] = account
                before[account.id] = running[account.id] = \
                    account.balance.minor * account.normal_sign
        rules.apply_changes(rules.balance_changes(ready.entry.lines, accounts), running)
    created_at = datetime.now(UTC)
    rows = [entry.row(ctx, created_at=created_at) for entry in prepared]
    ids = _insert_entries(ctx, rows)
    changes = [(account_id, running[account_id] - before[account_id])
               for account_id in sorted(running) if running[account_id] != before[account_id]]
    if len(changes) >= writes.LARGE:  # checked above on the locked rows: no condition
        writes.add_to_balances(ctx.conn, "any", changes, locked=True)
    elif changes:
        ctx.conn.execute(_ADD_TO_BALANCE, [{"b_id": i, "b_delta": d} for i, d in changes])
    writes.insert_postings(ctx.conn, [
        posting for entry_id, ready in zip(ids, prepared, strict=True)
        for posting in ready.rows(entry_id)
    ])
    entries = [ready.posted(entry_id, row)
               for entry_id, ready, row in zip(ids, prepared, rows, strict=True)]
    for entry in entries:
        ctx.kernel.plugins.call("kopcore_after_posting", ctx=ctx, entry=entry)
    return entries


def insert_rows(ctx: Context, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows into a plugin's own table in the caller's transaction, in order: one
    statement on PostgreSQL (the columns as arrays), the driver's executemany on SQLite, from
    :data:`kopcore.ledger._writes.LARGE` rows on; below that, SQLAlchemy's executemany. For
    end-of-day work that records a row per account (a month's interest, a day's balances)."""
    writes.insert_rows(ctx.conn, table, rows)
