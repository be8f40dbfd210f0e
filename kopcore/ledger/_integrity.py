"""Tamper evidence for the journal: per-entry digests and the seal chain.

Two layers, described for operators and auditors in docs/integrity.md:

- **Entry digest**, written in the same INSERT as the entry (no extra statement, no global
  lock, so concurrent posting scales as before)::

      digest = "h1:" + nonce + ":" + HMAC-SHA256(key, nonce || canonical(entry, postings))

  with ``s1`` and plain SHA-256 when no ``integrity_key`` is configured. The canonical encoding
  covers every stored field of the entry (business date, memo, actor, operation, source,
  idempotency key, request digest, reversal link, creation time to the microsecond) and its
  postings (account id, signed amount, currency; sorted). The random nonce makes every digest
  unique, so a copied entry shows up as a duplicate digest. The entry id is *not* covered: it
  is assigned by the INSERT that stores the digest. The chain binds ids.
- **Seal chain**: :func:`seal_journal` (end of day and on demand) appends one ``journal_seals``
  row covering the entries posted since the previous seal, in id order::

      chain = previous seal's chain (64 zeros for the first)
      for each entry: chain = HMAC-SHA256(key, chain | id | digest)   (SHA-256 without a key)

  storing the range, the number of entries and the final chain value. Deleting, inserting,
  renumbering or editing an entry inside a sealed range changes the count or the chain; without
  the key the chain cannot be recomputed to hide it. The same transaction moves the one-row
  ``journal_head`` forward to the new seal, outside the journal's tables, so removing the most
  recent seals with their entries (or emptying the journal) leaves a head the seals no longer
  reach.

Entries posted before the digest column existed have no digest; the chain then covers
``legacy:`` + SHA-256 of their canonical encoding, computed when they are first sealed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, cast

import attrs
from sqlalchemy import Connection, func, select, update

from kopcore._db import driver
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import Conflict, message

KEYED = "h1"
PLAIN = "s1"
GENESIS = "0" * 64
#: Entries read per round trip when sealing or verifying.
BATCH = 5000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: One encoder, built once: JSON with no spaces and every non-ASCII character escaped.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)

PostingKey = tuple[int, int, str]
"""(account id, signed amount in minor units, currency) of one posting."""


@lru_cache(maxsize=8)
def _key_bytes(key: str) -> bytes:
    return key.encode("utf-8")


def key_of(settings: Any) -> bytes | None:
    """The integrity key of a :class:`~kopcore.settings.Settings`, or ``None``."""
    key = getattr(settings, "integrity_key", None)
    return _key_bytes(key) if key else None


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


def canonical(row: Mapping[str, Any], postings: Iterable[PostingKey]) -> bytes:
    """The bytes a digest covers: the entry's stored fields and its postings, sorted. The
    source comes last, and only when recorded (revision k0003), so the digests of entries
    posted before it still match."""
    return _encode(row, sorted((int(a), int(m), str(c)) for a, m, c in postings))


def _encode(row: Mapping[str, Any], postings: list[PostingKey]) -> bytes:
    """:func:`canonical` of postings already given as sorted ``(int, int, str)`` tuples."""
    day = row["business_date"]
    fields = [
        day.isoformat() if isinstance(day, date) else str(day),
        row["memo"], row["actor"], row["operation"], row["idempotency_key"],
        row["request_digest"], row["reverses_entry_id"], _micros(row["created_at"]),
        postings,
    ]
    source = row.get("source")
    if source is not None:
        fields.append(source)
    return _ENCODER.encode(fields).encode("ascii")


def _mac(key: bytes | None, data: bytes) -> str:
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.digest(key, data, "sha256").hex()


def entry_digest(key: bytes | None, row: Mapping[str, Any], postings: Iterable[PostingKey],
                 nonce: str | None = None) -> str:
    """A fresh digest for an entry about to be inserted (``row`` is the INSERT's values)."""
    return _digest_of(key, canonical(row, postings), nonce)


def _digest_of(key: bytes | None, body: bytes, nonce: str | None = None) -> str:
    nonce = os.urandom(8).hex() if nonce is None else nonce
    return f"{KEYED if key is not None else PLAIN}:{nonce}:{_mac(key, nonce.encode() + body)}"


def digest_for(ctx: Context, row: Mapping[str, Any], postings: Iterable[PostingKey]) -> str:
    """The digest the posting pipeline stores with an entry: one hash, no query."""
    return entry_digest(key_of(ctx.settings), row, postings)


def check_digest(key: bytes | None, stored: str | None, row: Mapping[str, Any],
                 postings: Iterable[PostingKey]) -> str | None:
    """``None`` when the stored digest matches the entry as it is now, else why not."""
    return _check_body(key, stored, lambda: canonical(row, postings))


def _check_body(key: bytes | None, stored: str | None, body: Callable[[], bytes]
                ) -> str | None:
    if stored is None:
        return "the entry has no digest"
    parts = stored.split(":")
    if len(parts) != 3 or parts[0] not in (KEYED, PLAIN):
        return "the digest is malformed"
    scheme, nonce, _mac_hex = parts
    if scheme == KEYED and key is None:
        return "the digest is keyed and no integrity_key is configured to check it"
    expected = _digest_of(key if scheme == KEYED else None, body(), nonce)
    if not hmac.compare_digest(expected, stored):
        return "the entry or its postings differ from what was posted"
    return None


def chain_input(stored: str | None, row: Mapping[str, Any],
                postings: Iterable[PostingKey]) -> str:
    """What the chain covers for an entry: its digest, or for an entry posted before digests
    existed, ``legacy:`` and the SHA-256 of its canonical encoding."""
    if stored is not None:
        return stored
    return "legacy:" + hashlib.sha256(canonical(row, postings)).hexdigest()


def chain_step(key: bytes | None, previous: str, entry_id: int, digest: str) -> str:
    return _mac(key, f"{previous}|{entry_id}|{digest}".encode())


@attrs.frozen
class JournalRow:
    """One entry as stored, with its postings, for sealing and verifying."""

    id: int
    row: Mapping[str, Any]
    digest: str | None
    #: ``(account id, signed amount, currency)`` as the database returned them, sorted.
    postings: list[PostingKey]

    def body(self) -> bytes:
        """:func:`canonical` of the entry (its postings are already sorted plain values)."""
        return _encode(self.row, self.postings)

    def check(self, key: bytes | None) -> str | None:
        """:func:`check_digest` of the entry as stored: ``None`` when its digest matches."""
        return _check_body(key, self.digest, self.body)

    def chain_input(self) -> str:
        """:func:`chain_input` of the entry."""
        if self.digest is not None:
            return self.digest
        return "legacy:" + hashlib.sha256(self.body()).hexdigest()


#: The fields a digest covers, in the order :func:`journal_rows` reads them after the id and
#: the digest.
_FIELDS = ("business_date", "memo", "actor", "operation", "idempotency_key", "request_digest",
           "reverses_entry_id", "created_at", "source")
_ENTRIES = ("SELECT id, digest, " + ", ".join(_FIELDS) + " FROM journal_entries "
            "WHERE id > {mark} AND id <= {mark} ORDER BY id LIMIT {batch}")
_POSTINGS = ("SELECT entry_id, account_id, amount, currency FROM postings "
             "WHERE entry_id BETWEEN {mark} AND {mark}")
_NO_END = 2**62


def _stored_time(value: Any) -> datetime:
    """A ``created_at`` as the driver returns it: a datetime (psycopg) or SQLite's text."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return cast(datetime, value)


def _fetch(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    cursor = driver.execute(conn, sql, params)
    rows = cursor.fetchall()
    cursor.close()
    return list(rows)


def journal_rows(conn: Connection, after_id: int = 0,
                 until_id: int | None = None) -> Iterator[JournalRow]:
    """Entries with ``after_id < id <= until_id`` in id order, with their postings, read in
    batches of :data:`BATCH` entries by two statements through the driver, as plain tuples
    (no per-row result objects or type processing: an end of day's entries can have hundreds
    of thousands of postings)."""
    cursor = after_id
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    entries_sql = _ENTRIES.format(mark=mark, batch=int(BATCH))
    postings_sql = _POSTINGS.format(mark=mark)
    end = _NO_END if until_id is None else until_id
    while True:
        entries = _fetch(conn, entries_sql, (cursor, end))
        if not entries:
            return
        low, high = entries[0][0], entries[-1][0]
        by_entry: dict[int, list[PostingKey]] = {}
        for entry_id, account_id, amount, currency in _fetch(conn, postings_sql, (low, high)):
            found = by_entry.get(entry_id)
            if found is None:
                found = by_entry[entry_id] = []
            found.append((account_id, amount, currency))
        for entry_id, digest, *fields in entries:
            row = dict(zip(_FIELDS, fields, strict=True))
            row["created_at"] = _stored_time(row["created_at"])
            postings = by_entry.get(entry_id, [])
            postings.sort()
            yield JournalRow(entry_id, row, digest, postings)
        cursor = high


@attrs.frozen
class Seal:
    seal_id: int
    first_entry_id: int
    last_entry_id: int
    entry_count: int
    chain_hash: str
    keyed: bool


def last_seal(conn: Connection) -> Seal | None:
    s = t.journal_seals.c
    row = conn.execute(select(t.journal_seals).order_by(s.id.desc()).limit(1)).first()
    if row is None:
        return None
    return Seal(row.id, row.first_entry_id, row.last_entry_id, row.entry_count, row.chain_hash,
                bool(row.keyed))


def journal_high_water(ctx: Context) -> int:
    """The highest entry id below which no entry can appear any more.

    On PostgreSQL a sequence hands out ids at INSERT time and a transaction may commit after one
    that took a higher id, so the journal is locked in SHARE ROW EXCLUSIVE mode first: that waits
    for the posting transactions in flight to end, and every INSERT after it takes a higher id.
    Run it in its own short transaction: new postings wait only until it commits.
    """
    if ctx.conn.dialect.name == "postgresql":
        ctx.conn.exec_driver_sql("LOCK TABLE journal_entries IN SHARE ROW EXCLUSIVE MODE")
    return int(ctx.conn.execute(select(func.coalesce(func.max(t.journal_entries.c.id), 0)))
               .scalar_one())


def seal_now(kernel: Any, actor: str) -> Seal | None:
    """Seal everything posted so far, holding posting back only for a moment: one short
    transaction finds the high-water mark (:func:`journal_high_water`), a second computes and
    appends the seal up to it without locking the journal."""
    high = kernel.write(actor, journal_high_water, operation="books.seal")
    return kernel.write(actor, lambda ctx: seal_journal(ctx, until_id=high),  # type: ignore[no-any-return]
                        operation="books.seal")


def seal_journal(ctx: Context, *, until_id: int | None = None) -> Seal | None:
    """Append one seal covering the entries posted since the last seal, up to ``until_id``
    (which must come from :func:`journal_high_water`; ``None``: find it in this transaction,
    holding posting back until the transaction ends). ``None`` when there is nothing new.

    Sealers exclude each other (an EXCLUSIVE lock on ``journal_seals`` on PostgreSQL, the write
    transaction on SQLite). An entry whose digest does not match is never sealed: it raises
    :class:`Conflict` naming it.
    """
    conn = ctx.conn
    if until_id is None:
        until_id = journal_high_water(ctx)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE journal_seals IN EXCLUSIVE MODE")
    key = key_of(ctx.settings)
    previous = last_seal(conn)
    chain = previous.chain_hash if previous is not None else GENESIS
    after = previous.last_entry_id if previous is not None else 0
    first: int | None = None
    last = 0
    count = 0
    for entry in journal_rows(conn, after, until_id):
        if entry.digest is not None:
            why = entry.check(key)
            if why is not None:
                raise Conflict(message("journal entry {entry} cannot be sealed: {why}; run "
                                       "`kopcore verify` and investigate before sealing",
                                       entry=entry.id, why=why))
        chain = chain_step(key, chain, entry.id, entry.chain_input())
        first = entry.id if first is None else first
        last = entry.id
        count += 1
    if first is None:
        return None
    seal = Seal((previous.seal_id if previous else 0) + 1, first, last, count, chain,
                key is not None)
    conn.execute(t.journal_seals.insert().values(
        id=seal.seal_id, first_entry_id=first, last_entry_id=last, entry_count=count,
        chain_hash=chain, keyed=seal.keyed, business_date=ctx.business_date, actor=ctx.actor,
        sealed_at=datetime.now(UTC)))
    h = t.journal_head.c
    moved = conn.execute(update(t.journal_head).where(h.seal_id == seal.seal_id - 1).values(
        seal_id=seal.seal_id, last_entry_id=last, chain_hash=chain)).rowcount
    if moved != 1:
        raise Conflict(message("the journal head is not at seal {seal}, the last seal found: "
                               "seals or the head were changed behind kopcore; run `kopcore "
                               "verify` and investigate before sealing", seal=seal.seal_id - 1))
    return seal


def all_seals(conn: Connection) -> Sequence[Any]:
    return conn.execute(select(t.journal_seals).order_by(t.journal_seals.c.id)).all()


__all__ = [
    "KEYED",
    "PLAIN",
    "JournalRow",
    "Seal",
    "all_seals",
    "chain_input",
    "chain_step",
    "check_digest",
    "digest_for",
    "entry_digest",
    "journal_high_water",
    "journal_rows",
    "key_of",
    "last_seal",
    "seal_journal",
    "seal_now",
]
