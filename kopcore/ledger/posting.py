"""The posting pipeline: the only code that writes journal entries and balances.

validate → claim the idempotency key → ask plugins (veto) → lock the accounts in ascending id
order, checking status and floors in the same conditional UPDATE → write postings → after-posting
hook. Everything runs in the caller's transaction: an exception anywhere leaves nothing written.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from kopcore.context import Context
from kopcore.db import tables as t
from kopcore.db.driver import DriverStatement
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    AlreadyReversed,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    PostingVetoed,
    UnbalancedEntry,
    ValidationError,
)
from kopcore.ledger import writes
from kopcore.ledger.accounts import account_from_row, get_accounts
from kopcore.ledger.integrity import digest_for
from kopcore.ledger.records import Account, AccountStatus, JournalEntry, PostingView, ProposedEntry
from kopcore.money import Money
from kopcore.records import PostingLine, Side, Veto

MAX_LINES = 10000

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
#: The same, run through the driver when one row at a time (kopcore.db.driver).
_DRIVER_INSERT_ENTRY = DriverStatement(_INSERT_ENTRY, column_keys=writes.ENTRY_COLUMNS)
_DRIVER_UPDATE = {kind: DriverStatement(statement) for kind, statement in _UPDATE.items()}
_DRIVER_UPDATE_CHECKED = DriverStatement(_UPDATE_LOWER_CHECKED)


def request_digest(payload: Any) -> str:
    """SHA-256 of a canonical JSON rendering; equal requests have equal digests."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_shape(lines: Sequence[PostingLine]) -> None:
    """Refuse lines the request digest cannot even be computed from (a float amount, a side
    given as a plain string) with a typed error."""
    for line in lines:
        if not isinstance(line.amount, Money):
            raise ValidationError("posting amounts must be Money", field="amount")
        if line.amount.minor <= 0:
            raise ValidationError(
                f"posting amounts must be positive (line on {line.account} is "
                f"{line.amount.to_str()}); use the side to say debit or credit",
                field="amount",
            )
        if not isinstance(line.side, Side):
            raise ValidationError("posting side must be debit or credit", field="side")


def _validate(ctx: Context, lines: Sequence[PostingLine], memo: str,
              known: dict[str, Account] | None = None) -> dict[str, Account]:
    if len(lines) < 2:
        raise UnbalancedEntry("a journal entry needs at least two postings")
    if len(lines) > MAX_LINES:
        raise ValidationError(f"a journal entry has at most {MAX_LINES} postings")
    if not memo or len(memo) > 500:
        raise ValidationError("memo is required (at most 500 characters)", field="memo")
    numbers = {line.account for line in lines}
    accounts = (get_accounts(ctx, numbers, with_facts=True) if known is None
                else {n: known[n] for n in numbers})
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        account = accounts[line.account]
        if line.amount.currency != account.currency:
            raise CurrencyMismatch(
                f"account {account.number} is in {account.currency}, the posting in "
                f"{line.amount.currency}"
            )
        if account.status is AccountStatus.CLOSED:
            raise AccountClosed(f"account {account.number} is closed", account=account.number)
        totals[line.amount.currency] += line.signed_minor
    unbalanced = {c: v for c, v in totals.items() if v != 0}
    if unbalanced:
        detail = ", ".join(
            f"{c} debits exceed credits by {Money(v, c).to_str()}" if v > 0
            else f"{c} credits exceed debits by {Money(-v, c).to_str()}"
            for c, v in sorted(unbalanced.items())
        )
        raise UnbalancedEntry(f"entry does not balance: {detail}")
    return accounts


def _digest_of(lines: Sequence[PostingLine], memo: str, reverses: int | None) -> str:
    return request_digest({
        "lines": [[ln.account, ln.side.value, ln.amount.minor, ln.amount.currency]
                  for ln in lines],
        "memo": memo,
        "reverses": reverses,
    })


def _replay(ctx: Context, key: str, digest: str) -> JournalEntry | None:
    row = ctx.conn.execute(
        select(t.journal_entries.c.id, t.journal_entries.c.request_digest)
        .where(t.journal_entries.c.idempotency_key == key)
    ).first()
    if row is None:
        return None
    if row.request_digest != digest:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was used for a different entry (entry {row.id})"
        )
    return attrs.evolve(get_entry(ctx, row.id), replayed=True)


def _ask_plugins(ctx: Context, proposed: ProposedEntry) -> None:
    for plugin, veto in ctx.kernel.plugins.call(
        "kopcore_veto_entry", ctx=ctx, entry=proposed
    ):
        if isinstance(veto, Veto):
            raise PostingVetoed(veto.message, reason=veto.reason, plugin=plugin)


def _apply_deltas(ctx: Context, accounts: dict[str, Account], lines: Sequence[PostingLine]) -> None:
    """Update balances in ascending account id order (two entries touching the same accounts
    then lock them in the same order and cannot deadlock).

    A change that raises an account's normal balance, or lowers one that has no floor, needs no
    balance check: consecutive such changes go to the database as one batch (``executemany``),
    which keeps an end-of-day entry with thousands of lines fast. A change that lowers an
    account with a floor is a conditional UPDATE of its own, so the floor is checked against
    the locked row.
    """
    deltas: dict[int, int] = defaultdict(int)
    by_id = {acc.id: acc for acc in accounts.values()}
    for line in lines:
        deltas[accounts[line.account].id] += line.signed_minor
    batch: list[tuple[int, int]] = []
    batch_kind = ""
    for account_id in sorted(deltas):
        delta = deltas[account_id]
        if delta == 0:
            continue
        account = by_id[account_id]
        decreases = delta * account.normal_sign < 0
        kind = "dec-checked" if decreases and account.floor is not None else (
            "dec-free" if decreases else "inc")
        if batch and kind != batch_kind:
            _apply_batch(ctx, batch_kind, batch)
            batch = []
        if kind == "dec-checked":
            _apply_checked(ctx, account_id, delta)
        else:
            batch.append((account_id, delta))
            batch_kind = kind
    if batch:
        _apply_batch(ctx, batch_kind, batch)


def _apply_batch(ctx: Context, kind: str, batch: list[tuple[int, int]]) -> None:
    a = t.accounts.c
    if len(batch) >= writes.LARGE:
        done = writes.add_to_balances(ctx.conn, kind, batch)
    else:
        rows = [{"b_id": account_id, "b_delta": delta} for account_id, delta in batch]
        if len(rows) == 1:  # executemany would cost a pipeline round of its own on psycopg
            done = _DRIVER_UPDATE[kind](ctx.conn, rows[0]).rowcount
        else:
            done = ctx.conn.execute(_UPDATE[kind], rows).rowcount
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
    done = _DRIVER_UPDATE_CHECKED(ctx.conn, {"b_id": account_id, "b_delta": delta}).first()
    if done is None:
        _explain_refusal(ctx, account_id, delta)


def _explain_refusal(ctx: Context, account_id: int, delta: int) -> None:
    row = ctx.conn.execute(select(t.accounts).where(t.accounts.c.id == account_id)).one()
    account = account_from_row(row)
    if account.status is AccountStatus.CLOSED:
        raise AccountClosed(f"account {account.number} is closed", account=account.number)
    if account.status is AccountStatus.FROZEN:
        raise AccountFrozen(
            f"account {account.number} is frozen: nothing may leave it", account=account.number
        )
    raise InsufficientFunds(
        f"account {account.number} has {account.available.to_str()} available; "
        f"{Money(abs(delta), account.currency).to_str()} would take it below its floor "
        f"{account.floor.to_str() if account.floor else ''}".rstrip(),
        account=account.number, available=account.available.to_str(),
    )


def _insert_entry(ctx: Context, row: dict[str, Any], idempotency_key: str | None,
                  digest: str, reverses_entry_id: int | None) -> int | JournalEntry:
    """Insert the entry row; its id, or the original entry when the idempotency key was
    claimed by a concurrent twin of this request meanwhile."""
    if idempotency_key is None and reverses_entry_id is None:
        entry_id: int = _DRIVER_INSERT_ENTRY(ctx.conn, row).scalar_one()
        return entry_id
    # Claim the key first: a concurrent duplicate blocks here until we commit, then fails.
    savepoint = ctx.conn.begin_nested()
    try:
        entry_id = ctx.conn.execute(_INSERT_ENTRY, row).scalar_one()
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        if idempotency_key is not None:
            replay = _replay(ctx, idempotency_key, digest)
            if replay is not None:
                return replay
        if reverses_entry_id is not None:
            raise AlreadyReversed(f"entry {reverses_entry_id} is already reversed") from None
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
    lines = list(lines)
    _check_shape(lines)
    # The digest only serves idempotent replays; without a key there is nothing to compare.
    digest = _digest_of(lines, memo, reverses_entry_id) if idempotency_key is not None else "-"
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 200:
            raise ValidationError("idempotency key: 1-200 characters", field="idempotency_key")
        replay = _replay(ctx, idempotency_key, digest)
        if replay is not None:
            return replay
    accounts = _validate(ctx, lines, memo)
    proposed = ProposedEntry(
        lines=lines, accounts=accounts, memo=memo, operation=ctx.operation,
        business_date=ctx.business_date, reverses_entry_id=reverses_entry_id,
    )
    _ask_plugins(ctx, proposed)
    created_at = datetime.now(UTC)
    row = {"business_date": ctx.business_date, "memo": memo, "actor": ctx.actor,
           "operation": ctx.operation, "idempotency_key": idempotency_key,
           "request_digest": digest, "reverses_entry_id": reverses_entry_id,
           "created_at": created_at}
    postings = [(accounts[ln.account].id, ln.signed_minor, ln.amount.currency) for ln in lines]
    row["digest"] = digest_for(ctx, row, postings)
    if idempotency_key is None and reverses_entry_id is None \
            and ctx.conn.dialect.name == "postgresql" and len(lines) < writes.LARGE:
        # Balances first (locks and floor checks), then the entry with its postings in one
        # round trip. Nothing is claimed first: there is no idempotency key to claim.
        _apply_deltas(ctx, accounts, lines)
        entry_id = writes.insert_entry_and_postings(ctx.conn, row, postings)
    else:
        inserted = _insert_entry(ctx, row, idempotency_key, digest, reverses_entry_id)
        if isinstance(inserted, JournalEntry):
            return inserted  # an idempotent replay
        entry_id = inserted
        _apply_deltas(ctx, accounts, lines)
        writes.insert_postings(ctx.conn, [(entry_id, *posting) for posting in postings])
    entry = JournalEntry(
        id=entry_id, business_date=ctx.business_date, memo=memo, actor=ctx.actor,
        operation=ctx.operation, idempotency_key=idempotency_key,
        reverses_entry_id=reverses_entry_id, created_at=created_at,
        postings=[PostingView(accounts[ln.account].id, ln.account,
                              Money.stored(ln.signed_minor, ln.amount.currency))
                  for ln in lines],
    )
    ctx.kernel.plugins.call("kopcore_after_posting", ctx=ctx, entry=entry)
    return entry


def reverse_entry(
    ctx: Context, entry_id: int, *, memo: str | None = None, idempotency_key: str | None = None
) -> JournalEntry:
    """Post the mirror of an entry. Each entry is reversed at most once; a reversal is not
    itself reversible (post a new entry instead). Floors and statuses apply as usual."""
    original = get_entry(ctx, entry_id)
    if original.reverses_entry_id is not None:
        raise ValidationError(f"entry {entry_id} is a reversal and cannot be reversed")
    if idempotency_key is None:
        already = ctx.conn.execute(
            select(t.journal_entries.c.id)
            .where(t.journal_entries.c.reverses_entry_id == entry_id)
        ).first()
        if already is not None:
            raise AlreadyReversed(f"entry {entry_id} was already reversed by entry {already.id}")
    lines = [
        PostingLine(p.account_number, Side.CREDIT if p.amount.minor > 0 else Side.DEBIT,
                    Money(abs(p.amount.minor), p.amount.currency))
        for p in original.postings
    ]
    return post_entry(
        ctx, lines, memo=memo or f"Reversal of entry {entry_id}: {original.memo}"[:500],
        idempotency_key=idempotency_key, reverses_entry_id=entry_id,
    )


def get_entry(ctx: Context, entry_id: int) -> JournalEntry:
    row = ctx.conn.execute(
        select(t.journal_entries).where(t.journal_entries.c.id == entry_id)
    ).first()
    if row is None:
        raise NotFound(f"journal entry {entry_id} not found")
    p, a = t.postings.c, t.accounts.c
    posting_rows = ctx.conn.execute(
        select(p.account_id, a.number, p.amount, p.currency)
        .join(t.accounts, a.id == p.account_id)
        .where(p.entry_id == entry_id).order_by(p.id)
    )
    m = row._mapping
    return JournalEntry(
        id=m["id"], business_date=m["business_date"], memo=m["memo"], actor=m["actor"],
        operation=m["operation"], idempotency_key=m["idempotency_key"],
        reverses_entry_id=m["reverses_entry_id"], created_at=m["created_at"],
        postings=[PostingView(r.account_id, r.number, Money.stored(r.amount, r.currency))
                  for r in posting_rows],
    )
