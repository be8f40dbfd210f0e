"""The two writes every posting makes, balances and postings rows, sized to the entry; and the
same set-based insert for a plugin's own rows (:func:`insert_rows`).

A teller's entry has two or three lines: each write is one small statement, built once by
SQLAlchemy. An end-of-day entry can have thousands (a month's jasa simpanan for a chunk of
accounts): sending a statement per row, or even per-row parameter handling in Python, would be
most of the end of day's time. From :data:`LARGE` rows on, the writes are set-based instead:

- PostgreSQL: the rows travel as arrays, one ``UPDATE … FROM unnest(…)`` and one
  ``INSERT … SELECT … FROM unnest(…)``. Before the ``UPDATE``, the accounts are locked in
  ascending id order by one ``SELECT … ORDER BY id FOR UPDATE``, the order every posting locks
  in, so a large entry and a teller's cannot deadlock.
- SQLite (one writer at a time, no round trips): the driver's ``executemany`` over plain tuples,
  without SQLAlchemy's per-row parameter processing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, true

from kopcore._db import driver
from kopcore._db import tables as t
from kopcore.ledger._records import AccountStatus

#: The database's refusal of a balance beyond the money range (migration k0007) names this.
BALANCE_RANGE_CONSTRAINT = "ck_accounts_balance_in_range"
#: From this many rows on, balances and postings are written set-based.
LARGE = 64

_a = t.accounts.c
#: What must hold of an account row for a change to its balance that needs no floor check, by
#: kind of change. The posting pipeline's one-row statements use the same expressions.
CONDITIONS: dict[str, ColumnElement[bool]] = {
    #: Raises a normal balance: anything but a closed account takes it.
    "inc": _a.status != AccountStatus.CLOSED.value,
    #: Lowers the balance of an account without a floor: it must be open (not frozen).
    "dec-free": and_(_a.status == AccountStatus.OPEN.value, _a.floor.is_(None)),
    #: Already checked against the locked rows by the caller (the bulk path).
    "any": true(),
}
_conditions_sql: dict[tuple[str, str], str] = {}


def _condition(conn: Connection, kind: str) -> str:
    """:data:`CONDITIONS` ``[kind]`` as SQL text for this connection's dialect."""
    key = (conn.dialect.name, kind)
    sql = _conditions_sql.get(key)
    if sql is None:
        sql = _conditions_sql[key] = str(CONDITIONS[kind].compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    return sql


_PG_LOCK = ("SELECT count(*) FROM (SELECT id FROM accounts WHERE id = ANY(%s::bigint[]) "
            "ORDER BY id FOR UPDATE) AS locked")
_PG_ADD = ("UPDATE accounts SET balance = accounts.balance + d.delta "
           "FROM unnest(%s::bigint[], %s::bigint[]) AS d(id, delta) "
           "WHERE accounts.id = d.id AND {condition}")
_PG_POSTINGS = ("INSERT INTO postings (entry_id, account_id, amount, currency, office_id) "
                "SELECT d.entry_id, d.account_id, d.amount, d.currency, d.office_id "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::int[]) "
                "WITH ORDINALITY AS d(entry_id, account_id, amount, currency, office_id, n) "
                "ORDER BY d.n")
_SQLITE_ADD = "UPDATE accounts SET balance = balance + ? WHERE id = ? AND {condition}"
_SQLITE_POSTINGS = "INSERT INTO postings (entry_id, account_id, amount, currency, office_id) " \
    "VALUES (?, ?, ?, ?, ?)"
#: A postings row: ``(entry id, account id, signed amount, currency, office id)``.
PostingRow = tuple[int, int, int, str, int]


#: The columns of a journal entry row the posting pipeline writes.
ENTRY_COLUMNS = ("business_date", "memo", "actor", "operation", "source", "idempotency_key",
                 "request_digest", "reverses_entry_id", "created_at", "digest")
_entry_and_postings_sql: dict[int, str] = {}
_small_postings_sql: dict[tuple[str, int], str] = {}


def insert_entry_and_postings(conn: Connection, entry: Mapping[str, Any],
                              postings: Sequence[tuple[int, int, str, int]]) -> int:
    """PostgreSQL: write an entry row and its ``(account id, signed amount, currency, office
    id)`` postings
    by one statement (the entry ``INSERT`` as a data-modifying ``WITH``, the postings inserted
    from it in line order); returns the entry's id. One round trip where two would do."""
    sql = _entry_and_postings_sql.get(len(postings))
    if sql is None:
        values = ", ".join(f"({n}, %s::bigint, %s::bigint, %s::text, %s::int)"
                           for n in range(len(postings)))
        sql = _entry_and_postings_sql[len(postings)] = (
            f"WITH e AS (INSERT INTO journal_entries ({', '.join(ENTRY_COLUMNS)}) VALUES "
            f"({', '.join('%s' for _ in ENTRY_COLUMNS)}) RETURNING id), "
            "p AS (INSERT INTO postings (entry_id, account_id, amount, currency, office_id) "
            "SELECT e.id, v.account_id, v.amount, v.currency, v.office_id FROM e CROSS JOIN "
            f"(VALUES {values}) AS v(n, account_id, amount, currency, office_id) ORDER BY v.n) "
            "SELECT id FROM e")
    params = [entry[column] for column in ENTRY_COLUMNS]
    for posting in postings:
        params.extend(posting)
    cursor = driver.execute(conn, sql, tuple(params))
    row = cursor.fetchone()
    cursor.close()
    if row is None:
        raise RuntimeError("the entry INSERT returned no id")
    return int(row[0])


def _insert_few_postings(conn: Connection, rows: Sequence[PostingRow]) -> None:
    """A few postings rows by one multi-row ``INSERT`` (no executemany round of its own)."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    key = (mark, len(rows))
    sql = _small_postings_sql.get(key)
    if sql is None:
        row = f"({mark}, {mark}, {mark}, {mark}, {mark})"
        sql = _small_postings_sql[key] = (
            "INSERT INTO postings (entry_id, account_id, amount, currency, office_id) VALUES "
            + ", ".join(row for _ in rows))
    driver.execute(conn, sql, tuple(value for row in rows for value in row)).close()


def add_to_balances(conn: Connection, kind: str, changes: Sequence[tuple[int, int]]) -> int:
    """Add ``(account id, delta)`` changes (ascending ids; an entry's from :data:`LARGE` on) to
    the balances of the accounts meeting the condition of ``kind``; returns how many rows
    changed. Kind ``any`` is the bulk path's, which already holds the rows' locks."""
    condition = _condition(conn, kind)
    if conn.dialect.name == "postgresql":
        ids = [account_id for account_id, _ in changes]
        if kind != "any":
            conn.exec_driver_sql(_PG_LOCK, (ids,))
        result = conn.exec_driver_sql(_PG_ADD.format(condition=condition),
                                      (ids, [delta for _, delta in changes]))
    else:
        return driver.executemany(conn, _SQLITE_ADD.format(condition=condition),
                                  [(delta, account_id) for account_id, delta in changes])
    return int(result.rowcount)


def insert_postings(conn: Connection, rows: Sequence[PostingRow]) -> None:
    """Write :data:`PostingRow` postings rows, in order: a
    few by one multi-row ``INSERT``, from :data:`LARGE` on set-based."""
    if len(rows) < LARGE:
        _insert_few_postings(conn, rows)
    elif conn.dialect.name == "postgresql":
        columns = list(zip(*rows, strict=True))
        conn.exec_driver_sql(_PG_POSTINGS, tuple(list(column) for column in columns))
    else:
        driver.executemany(conn, _SQLITE_POSTINGS, rows)


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (mappings of column name to value, all with the same keys) into a table,
    in order: set-based from :data:`LARGE` rows on (arrays and ``unnest`` on PostgreSQL, the
    driver's executemany on SQLite), SQLAlchemy's executemany below. Values go through each
    column type's bind processing, as they would through SQLAlchemy."""
    if not rows:
        return
    if len(rows) < LARGE:
        conn.execute(table.insert(), list(rows))
        return
    dialect = conn.dialect
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    values: list[list[Any]] = []
    for column in columns:
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        raw = [row[column.name] for row in rows]
        values.append([process(v) for v in raw] if process is not None else raw)
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{column.type.dialect_impl(dialect).compile(dialect=dialect)}[]"
                           for column in columns)
        aliases = ", ".join(f"c{i}" for i in range(len(columns)))
        conn.exec_driver_sql(
            f"INSERT INTO {target} ({quoted}) SELECT {aliases} FROM unnest({arrays}) "
            f"WITH ORDINALITY AS u({aliases}, n) ORDER BY n", tuple(values))
    else:
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f"INSERT INTO {target} ({quoted}) VALUES ({marks})",
                             list(zip(*values, strict=True)))
