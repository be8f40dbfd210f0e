"""The posting pipeline: the only code that writes journal entries and balances.

Check the lines' shape → replay an idempotency key already used → prepare the entry
(:func:`kopcore.ledger._prepare.prepare_entry`: the posting rules, the accounts with the
transaction's facts, the entry's source, the plugins' vetoes) → claim the idempotency key by
inserting the entry row → lock the accounts in ascending id order, checking status and floors in
the same conditional UPDATE → write the postings → after-posting hook. Without an idempotency
key, on PostgreSQL, the balances come first and the entry and its postings follow in one
statement. Everything runs in the caller's transaction: an exception anywhere leaves nothing
written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

import attrs
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from kopcore._db import tables as t
from kopcore._db.driver import DriverStatement
from kopcore.context import Context
from kopcore.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    ValidationError,
    message,
)
from kopcore.ledger import _rules as rules
from kopcore.ledger import _writes as writes
from kopcore.ledger._accounts import account_from_row
from kopcore.ledger._prepare import prepare_entry
from kopcore.ledger._records import Account, AccountStatus, JournalEntry, PostingView
from kopcore.ledger._rules import request_digest as request_digest  # kopcore._service uses it
from kopcore.money import Money
from kopcore.records import PostingLine

# Statements built once: posting runs them thousands of times a second.
_INSERT_ENTRY = t.journal_entries.insert().returning(t.journal_entries.c.id)
_a = t.accounts.c
_NEW_BALANCE = {"balance": _a.balance + bindparam("b_delta")}
#: Raises a normal balance, or lowers one without a floor (writes.CONDITIONS says which
#: accounts take each).
_UPDATE = {kind: update(t.accounts).where(_a.id == bindparam("b_id"), writes.CONDITIONS[kind])
           .values(_NEW_BALANCE) for kind in ("inc", "dec-free")}
#: Lowers the balance of an account with a floor: checked against the locked row.
_UPDATE_LOWER_CHECKED = update(t.accounts).where(
    _a.id == bindparam("b_id"), _a.status == AccountStatus.OPEN.value,
    _a.floor.is_(None)
    | ((_a.balance + bindparam("b_delta")) * _a.normal_sign - _a.held >= _a.floor),
).values(_NEW_BALANCE).returning(_a.id)
#: The same, run through the driver when one row at a time (kopcore._db.driver).
_DRIVER_INSERT_ENTRY = DriverStatement(_INSERT_ENTRY, column_keys=writes.ENTRY_COLUMNS)
_DRIVER_UPDATE = {kind: DriverStatement(statement) for kind, statement in _UPDATE.items()}
_DRIVER_UPDATE_CHECKED = DriverStatement(_UPDATE_LOWER_CHECKED)


def _replay(ctx: Context, key: str, digest: str) -> JournalEntry | None:
    row = ctx.conn.execute(
        select(t.journal_entries.c.id, t.journal_entries.c.request_digest)
        .where(t.journal_entries.c.idempotency_key == key)
    ).first()
    if row is None:
        return None
    if row.request_digest != digest:
        raise IdempotencyConflict(message(
            "idempotency key '{key}' was used for a different entry (entry {entry})", key=key,
            entry=row.id))
    return attrs.evolve(get_entry(ctx, row.id), replayed=True)


def _apply_deltas(ctx: Context, accounts: dict[str, Account], lines: Sequence[PostingLine]) -> None:
    """Update balances in ascending account id order (two entries touching the same accounts
    then lock them in the same order and cannot deadlock).

    A change that raises an account's normal balance, or lowers one that has no floor, needs no
    balance check: consecutive such changes go to the database as one batch (``executemany``),
    which keeps an end-of-day entry with thousands of lines fast. A change that lowers an
    account with a floor is a conditional UPDATE of its own, so the floor is checked against
    the locked row.
    """
    changes = rules.balance_changes(lines, accounts)
    try:
        _apply_changes(ctx, changes)
    except IntegrityError as error:
        # The database bounds every balance (migration k0007): name the account in a typed error.
        if writes.BALANCE_RANGE_CONSTRAINT in str(error.orig):
            raise rules.out_of_range(changes) from None
        raise
    except InsufficientFunds:
        # Accounts are changed in id order, so a teller's cash account (opened before any
        # member's) is checked first; a member asking for more than they have must hear about
        # their own shortfall, not the till's.
        _refuse_member_shortfall(ctx, changes)
        raise


def _refuse_member_shortfall(ctx: Context, changes: Sequence[rules.BalanceChange]) -> None:
    """Raise the refusal a member's account in ``changes`` would give on its current row, if
    any."""
    for account, delta, kind in changes:
        if kind != "dec-checked" or account.member_id is None:
            continue
        row = ctx.conn.execute(select(t.accounts).where(t.accounts.c.id == account.id)).one()
        current = account_from_row(row)
        if current.floor is not None and current.available.minor + delta * current.normal_sign \
                < current.floor.minor:
            raise rules.insufficient_funds(current, current.available, delta) from None


def _apply_changes(ctx: Context, changes: Sequence[rules.BalanceChange]) -> None:
    """Consecutive changes of a kind that needs no floor check go as one batch; each change
    checked against a floor is an UPDATE of its own, in order."""
    for kind, run in groupby(changes, key=itemgetter(2)):
        if kind == "dec-checked":
            for account, delta, _kind in run:
                _apply_checked(ctx, account.id, delta)
        else:
            _apply_batch(ctx, kind, [(account.id, delta) for account, delta, _kind in run])


def _apply_batch(ctx: Context, kind: str, batch: list[tuple[int, int]]) -> None:
    a = t.accounts.c
    if len(batch) >= writes.LARGE:
        done = writes.add_to_balances(ctx.conn, kind, batch)
    else:
        rows = [{"b_id": account_id, "b_delta": delta} for account_id, delta in batch]
        if len(rows) == 1:  # executemany would cost a pipeline round of its own on psycopg
            done = _DRIVER_UPDATE[kind].rowcount(ctx.conn, rows[0])
        else:
            done = _DRIVER_UPDATE[kind].executemany(ctx.conn, rows)
    if done != len(batch):
        # Some account changed since validation (closed, frozen, given a floor): say which.
        for account_id, delta in batch:
            state = ctx.conn.execute(select(a.status, a.floor).where(a.id == account_id)).one()
            refused = state.status == AccountStatus.CLOSED.value or (
                kind == "dec-free"
                and (state.status != AccountStatus.OPEN.value or state.floor is not None))
            if refused:
                _explain_refusal(ctx, account_id, delta)
        raise RuntimeError("a batched balance update was refused without a reason")


def _apply_checked(ctx: Context, account_id: int, delta: int) -> None:
    """Conditional UPDATE of one account that lowers its balance: status and floor are checked
    on the locked row."""
    done = _DRIVER_UPDATE_CHECKED.first_value(ctx.conn, {"b_id": account_id, "b_delta": delta})
    if done is None:
        _explain_refusal(ctx, account_id, delta)


def _explain_refusal(ctx: Context, account_id: int, delta: int) -> None:
    row = ctx.conn.execute(select(t.accounts).where(t.accounts.c.id == account_id)).one()
    account = account_from_row(row)
    if account.status is AccountStatus.CLOSED:
        raise rules.account_closed(account)
    if account.status is AccountStatus.FROZEN:
        raise rules.account_frozen(account)
    raise rules.insufficient_funds(account, account.available, delta)


def _insert_entry(ctx: Context, row: dict[str, Any], idempotency_key: str | None,
                  digest: str, reverses_entry_id: int | None) -> int | JournalEntry:
    """Insert the entry row; its id, or the original entry when the idempotency key was
    claimed by a concurrent twin of this request meanwhile."""
    if idempotency_key is None and reverses_entry_id is None:
        entry_id: int = _DRIVER_INSERT_ENTRY.first_value(ctx.conn, row)
        return entry_id
    # Claim the key first: a concurrent duplicate blocks here until we commit, then fails.
    try:
        with ctx.conn.begin_nested():  # rolled back to on failure, released on success
            entry_id = ctx.conn.execute(_INSERT_ENTRY, row).scalar_one()
    except IntegrityError:
        if idempotency_key is not None:
            replay = _replay(ctx, idempotency_key, digest)
            if replay is not None:
                return replay
        if reverses_entry_id is not None:
            raise AlreadyReversed(message("entry {entry} is already reversed",
                                          entry=reverses_entry_id)) from None
        raise
    return entry_id


def post_entry(
    ctx: Context,
    lines: Sequence[PostingLine],
    *,
    memo: str,
    idempotency_key: str | None = None,
    reverses_entry_id: int | None = None,
) -> JournalEntry:
    """Post one balanced journal entry dated with the current business date.

    With an ``idempotency_key``: the same key and the same request return the original entry
    (``replayed=True``) and post nothing; the same key with a different request raises
    :class:`~kopcore.errors.IdempotencyConflict`. Raises a typed
    :class:`~kopcore.errors.KopcoreError` for every refusal; nothing is written then.
    """
    return post_composed(ctx, lines, memo=memo, idempotency_key=idempotency_key,
                         reverses_entry_id=reverses_entry_id)


def post_composed(ctx: Context, lines: Sequence[PostingLine], *, memo: str,
                  idempotency_key: str | None = None, reverses_entry_id: int | None = None,
                  settles_dues: bool = False) -> JournalEntry:
    """:func:`post_entry`, for an entry the kernel composed from several plugins' lines
    (``settles_dues``: :func:`kopcore.ledger.settle_dues`)."""
    checked = rules.check_shape(lines)
    # The digest only serves idempotent replays; without a key there is nothing to compare.
    digest = "-"
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 200:
            raise ValidationError(message("idempotency key: 1-200 characters"),
                                  field="idempotency_key")
        digest = rules.replay_digest(checked, memo, reverses_entry_id)
        replay = _replay(ctx, idempotency_key, digest)
        if replay is not None:
            return replay
    prepared = prepare_entry(ctx, checked, memo, reverses_entry_id=reverses_entry_id,
                             settles_dues=settles_dues)
    # The lines as prepared: with the RAK lines of an entry between offices.
    accounts, lines = prepared.entry.accounts, prepared.entry.lines
    row = prepared.row(ctx, created_at=datetime.now(UTC), idempotency_key=idempotency_key,
                       request_digest=digest)
    if idempotency_key is None and reverses_entry_id is None \
            and ctx.conn.dialect.name == "postgresql" and len(lines) < writes.LARGE:
        # Balances first (locks and floor checks), then the entry with its postings in one
        # round trip. Nothing is claimed first: there is no idempotency key to claim.
        _apply_deltas(ctx, accounts, lines)
        entry_id = writes.insert_entry_and_postings(ctx.conn, row, prepared.posting_values())
    else:
        inserted = _insert_entry(ctx, row, idempotency_key, digest, reverses_entry_id)
        if isinstance(inserted, JournalEntry):
            return inserted  # an idempotent replay
        entry_id = inserted
        _apply_deltas(ctx, accounts, lines)
        writes.insert_postings(ctx.conn, prepared.rows(entry_id))
    entry = prepared.posted(entry_id, row)
    ctx.kernel.plugins.call("kopcore_after_posting", ctx=ctx, entry=entry)
    return entry


def reverse_entry(
    ctx: Context, entry_id: int, *, memo: str | None = None, idempotency_key: str | None = None
) -> JournalEntry:
    """Post the mirror of an entry. Each entry is reversed at most once; a reversal is not
    itself reversible (post a new entry instead). Floors and statuses apply as usual."""
    original = get_entry(ctx, entry_id)
    if original.reverses_entry_id is not None:
        raise ValidationError(message("entry {entry} is a reversal and cannot be reversed",
                                      entry=entry_id))
    if idempotency_key is None:
        already = ctx.conn.execute(
            select(t.journal_entries.c.id)
            .where(t.journal_entries.c.reverses_entry_id == entry_id)
        ).first()
        if already is not None:
            raise AlreadyReversed(message("entry {entry} was already reversed by entry "
                                          "{reversal}", entry=entry_id, reversal=already.id))
    memo = memo or f"Reversal of entry {entry_id}: {original.memo}"[:rules.MAX_MEMO]
    return post_entry(ctx, rules.mirror_lines(original.postings), memo=memo,
                      idempotency_key=idempotency_key, reverses_entry_id=entry_id)


def get_entry(ctx: Context, entry_id: int) -> JournalEntry:
    row = ctx.conn.execute(
        select(t.journal_entries).where(t.journal_entries.c.id == entry_id)
    ).first()
    if row is None:
        raise NotFound(message("journal entry {entry} not found", entry=entry_id))
    p, a = t.postings.c, t.accounts.c
    posting_rows = ctx.conn.execute(
        select(p.account_id, a.number, p.amount, p.currency, p.office_id)
        .join(t.accounts, a.id == p.account_id)
        .where(p.entry_id == entry_id).order_by(p.id)
    )
    m = row._mapping
    return JournalEntry(
        id=m["id"], business_date=m["business_date"], memo=m["memo"], actor=m["actor"],
        operation=m["operation"], source=m["source"], idempotency_key=m["idempotency_key"],
        reverses_entry_id=m["reverses_entry_id"], created_at=m["created_at"],
        postings=[PostingView(r.account_id, r.number, Money.stored(r.amount, r.currency),
                              r.office_id) for r in posting_rows],
    )
