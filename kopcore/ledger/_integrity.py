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


def _encode_around(row: Mapping[str, Any], postings_json: str) -> bytes:
    """:func:`canonical` with the postings given already encoded (``[[1,-500,"IDR"],…]``):
    the JSON list of the entry's fields with that text spliced in as its ninth item, byte for
    byte what encoding the whole list at once gives."""
    day = row["business_date"]
    head = _ENCODER.encode([
        day.isoformat() if isinstance(day, date) else str(day),
        row["memo"], row["actor"], row["operation"], row["idempotency_key"],
        row["request_digest"], row["reverses_entry_id"], _micros(row["created_at"]),
    ])
    source = row.get("source")
    tail = "" if source is None else "," + _ENCODER.encode(source)
    return f"{head[:-1]},{postings_json}{tail}]".encode("ascii")


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


@attrs.define
class JournalRow:
    """One entry as stored, with its postings, for sealing and verifying (not frozen: a
    journal pass builds one per entry, and a frozen record costs a call per field).

    The postings come either as ``postings`` (``(account id, signed amount, currency)`` as the
    database returned them, sorted) or as ``postings_json``: their canonical encoding built by
    the database (:func:`journal_rows`). ``exact`` says that text is known to be byte for byte
    what :func:`canonical` gives; otherwise it only serves to confirm a digest (a match proves
    the postings are those posted: the text encodes each posting unambiguously) and anything
    else is decided on ``postings``, read again by ``reread``.
    """

    id: int
    row: Mapping[str, Any]
    digest: str | None
    postings: list[PostingKey] | None
    postings_json: str | None = None
    exact: bool = False
    reread: Callable[[int], list[PostingKey]] | None = None

    def _postings(self) -> list[PostingKey]:
        if self.postings is not None:
            return self.postings
        assert self.reread is not None, "a journal row without postings nor a way to read them"
        return self.reread(self.id)

    def body(self) -> bytes:
        """:func:`canonical` of the entry."""
        if self.exact and self.postings_json is not None:
            return _encode_around(self.row, self.postings_json)
        return _encode(self.row, self._postings())

    def check(self, key: bytes | None) -> str | None:
        """:func:`check_digest` of the entry as stored: ``None`` when its digest matches.

        With ``postings_json`` the digest is first checked against the database's encoding: a
        match proves the postings are those posted (that text spells one set of postings only).
        Only when it does not match is the entry encoded again from its postings, read as rows,
        so a text the database ordered or escaped otherwise never refuses an intact entry.
        """
        if self.postings_json is not None and self.digest is not None:
            json_text = self.postings_json
            if _check_body(key, self.digest,
                           lambda: _encode_around(self.row, json_text)) is None:
                return None
        return _check_body(key, self.digest, lambda: _encode(self.row, self._postings()))

    def chain_input(self) -> str:
        """:func:`chain_input` of the entry."""
        if self.digest is not None:
            return self.digest
        return "legacy:" + hashlib.sha256(self.body()).hexdigest()


#: The fields a digest covers, in the order :func:`journal_rows` reads them after the id and
#: the digest.
_FIELDS = ("business_date", "memo", "actor", "operation", "idempotency_key", "request_digest",
           "reverses_entry_id", "created_at", "source")
_ENTRIES = ("SELECT id, digest, " + ", ".join(_FIELDS) + "{extra} FROM journal_entries "
            "WHERE id > {mark} AND id <= {mark} ORDER BY id LIMIT {batch}")
#: SQLite: each entry's number of postings too (from the index), to choose how to read them.
_POSTING_COUNT = (", (SELECT count(*) FROM postings "
                  "WHERE postings.entry_id = journal_entries.id)")
_POSTINGS = ("SELECT entry_id, account_id, amount, currency FROM postings "
             "WHERE entry_id BETWEEN {mark} AND {mark}")
_ENTRY_POSTINGS = "SELECT account_id, amount, currency FROM postings WHERE entry_id = {mark}"
#: SQLite encodes postings in the same process, and its per-entry sort costs more than reading
#: the rows of short entries: it encodes a batch only from this many postings an entry on.
SQLITE_TEXT_FROM = 8
#: One posting's text on SQLite, whose columns hold any type: a posting whose values are not
#: an integer, an integer and a text is left out of the text (NULL), which then cannot match.
_SQLITE_LINE = ("CASE WHEN typeof(account_id) = 'integer' AND typeof(amount) = 'integer' "
                "AND typeof(currency) = 'text' THEN '[' || account_id || ',' || amount || ',' "
                "|| json_quote(currency) || ']' END")
#: Each entry's postings encoded by the database as :func:`canonical` encodes them
#: (``[account,amount,"currency"]``, sorted, comma-separated). The currency is quoted as a
#: JSON string by the database, so the text encodes each posting unambiguously whatever the
#: currency holds; an integer's text is Python's. PostgreSQL sorts inside the aggregate (byte
#: order for the currency, as Python orders ASCII). SQLite before 3.44 has no
#: ORDER BY inside an aggregate: it concatenates in the order of the sorted subquery, which is
#: what it does but not what it documents, so there the text only confirms digests (see
#: :meth:`JournalRow.check`).
_POSTINGS_JSON = {
    "postgresql": (
        "SELECT entry_id, string_agg('[' || account_id || ',' || amount || ',' "
        "|| to_json(currency)::text || ']', ',' ORDER BY account_id, amount, "
        "currency COLLATE \"C\") FROM postings WHERE entry_id BETWEEN %s AND %s "
        "GROUP BY entry_id"),
    # One correlated subquery per entry: SQLite sorts each entry's postings once and needs
    # no second sort to group them.
    "sqlite": (
        "SELECT id, (SELECT group_concat(line, ',') FROM (SELECT " + _SQLITE_LINE + " AS line "
        "FROM postings WHERE entry_id = journal_entries.id "
        "ORDER BY account_id, amount, currency)) FROM journal_entries WHERE id BETWEEN ? AND ?"),
    "sqlite-ordered": (
        "SELECT id, (SELECT group_concat(" + _SQLITE_LINE + ", ',' ORDER BY account_id, amount, "
        "currency) FROM postings WHERE entry_id = journal_entries.id) "
        "FROM journal_entries WHERE id BETWEEN ? AND ?"),
}
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


def _postings_json_sql(conn: Connection) -> tuple[str | None, bool]:
    """The statement encoding postings in this database (``None``: none), and whether its
    text is exactly :func:`canonical`'s."""
    name = conn.dialect.name
    if name == "postgresql":
        return _POSTINGS_JSON[name], True
    version: tuple[int, ...] = getattr(conn.dialect.dbapi, "sqlite_version_info", (0,))
    if name == "sqlite" and version >= (3, 38):  # json_quote built in
        ordered = version >= (3, 44)
        return _POSTINGS_JSON["sqlite-ordered" if ordered else "sqlite"], ordered
    return None, False


def _postings_by_entry(conn: Connection, sql: str, low: int, high: int
                       ) -> dict[int, list[PostingKey]]:
    by_entry: dict[int, list[PostingKey]] = {}
    for entry_id, account_id, amount, currency in _fetch(conn, sql, (low, high)):
        found = by_entry.get(entry_id)
        if found is None:
            found = by_entry[entry_id] = []
        found.append((account_id, amount, currency))
    for postings in by_entry.values():
        postings.sort()
    return by_entry


def journal_rows(conn: Connection, after_id: int = 0,
                 until_id: int | None = None) -> Iterator[JournalRow]:
    """Entries with ``after_id < id <= until_id`` in id order, with their postings, read in
    batches of :data:`BATCH` entries through the driver, as plain tuples (no per-row result
    objects or type processing: an end of day's entries can have hundreds of thousands of
    postings).

    Where the database can (PostgreSQL, SQLite), each entry's postings come as one text it
    encoded (:data:`_POSTINGS_JSON`): one row per entry instead of one per posting. The
    postings are read as rows only for the entries that need them: no plain encoding, or a
    digest-less (pre-k0002) entry whose chain input needs the exact encoding the database
    does not guarantee."""
    cursor = after_id
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sqlite = conn.dialect.name == "sqlite"
    entries_sql = _ENTRIES.format(mark=mark, batch=int(BATCH),
                                  extra=_POSTING_COUNT if sqlite else "")
    width = 2 + len(_FIELDS)
    postings_sql = _POSTINGS.format(mark=mark)
    entry_postings_sql = _ENTRY_POSTINGS.format(mark=mark)
    json_sql, exact = _postings_json_sql(conn)
    end = _NO_END if until_id is None else until_id

    def reread(entry_id: int) -> list[PostingKey]:
        return sorted(_fetch(conn, entry_postings_sql, (entry_id,)))

    while True:
        entries = _fetch(conn, entries_sql, (cursor, end))
        if not entries:
            return
        low, high = entries[0][0], entries[-1][0]
        #: entry id -> its postings' text, None when not ASCII (Python's JSON escapes every
        #: other character); no key: the entry has no postings.
        encoded: dict[int, str | None] = {}
        by_text = json_sql is not None and (not sqlite or sum(
            entry[width] for entry in entries) >= SQLITE_TEXT_FROM * len(entries))
        if by_text:
            assert json_sql is not None
            encoded = {entry_id: text if text.isascii() else None
                       for entry_id, text in _fetch(conn, json_sql, (low, high))
                       if text is not None}
        usable: dict[int, tuple[str, bool]] = {}  # entry id -> (text, exact)
        as_rows: list[int] = []
        for entry_id, digest, *_ in entries:
            text = encoded.get(entry_id)
            # The database may escape a character in a currency otherwise than Python does.
            text_exact = exact and text is not None and "\\" not in text
            if text is not None and (digest is not None or text_exact):
                usable[entry_id] = ("[" + text + "]", text_exact)
            elif not by_text or entry_id in encoded:
                as_rows.append(entry_id)
        by_entry = _postings_by_entry(conn, postings_sql, as_rows[0], as_rows[-1]) \
            if as_rows else {}
        for entry in entries:
            entry_id, digest = entry[0], entry[1]
            row = dict(zip(_FIELDS, entry[2:width], strict=True))
            row["created_at"] = _stored_time(row["created_at"])
            if entry_id in usable:
                text, text_exact = usable[entry_id]
                yield JournalRow(entry_id, row, digest, None, text, text_exact, reread)
            else:
                yield JournalRow(entry_id, row, digest, by_entry.get(entry_id, []))
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
