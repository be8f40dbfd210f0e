"""Statements built with SQLAlchemy Core and run on the driver's cursor directly.

For the few statements every posting runs, SQLAlchemy's per-execution work on an already
compiled statement (cache lookup, parameter processing, building a result object and its
column metadata for a statement whose result is one id or nothing) costs several times what
the driver spends on a small ``UPDATE``. A :class:`DriverStatement` compiles its statement once
per dialect and runs the SQL on a cursor of the connection's own driver connection, in the same
transaction, putting each parameter through its type's bind processing as SQLAlchemy would.
:func:`execute` and :func:`executemany` run SQL text the same way.

Errors still go through SQLAlchemy's handling (``Connection._cursor_execute``): they come as
:mod:`sqlalchemy.exc` errors, a connection found dead is invalidated (the transaction runner
retries on a fresh one, docs/deployment.md), and ``before_cursor_execute`` /
``after_cursor_execute`` listeners still see every statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_Compiled = tuple[str, tuple[str, ...] | None, dict[str, Callable[[Any], Any]], dict[str, Any]]


def execute(conn: Connection, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
            ) -> DBAPICursor:
    """Run ``sql`` (in the driver's paramstyle) on a new cursor of ``conn``'s driver
    connection, in its transaction; the cursor, to read the result from. No result object is
    built."""
    cursor = conn.connection.cursor()
    conn._cursor_execute(cursor, sql, params)  # events, error wrapping, invalidation
    return cursor


def executemany(conn: Connection, sql: str,
                rows: Sequence[Sequence[Any]] | Sequence[Mapping[str, Any]]) -> int:
    """Run ``sql`` once per row of ``rows`` (the driver's ``executemany``, no result); the
    number of rows changed."""
    cursor = conn.connection.cursor()
    try:
        if conn._has_events or conn.engine._has_events:
            for listen in conn.dispatch.before_cursor_execute:
                sql, rows = listen(conn, cursor, sql, rows, None, True)
        conn.dialect.do_executemany(cursor, sql, rows, None)
        if conn._has_events or conn.engine._has_events:
            conn.dispatch.after_cursor_execute(conn, cursor, sql, rows, None, True)
    except BaseException as error:
        conn._handle_dbapi_exception(error, sql, rows, cursor, None)
    count = int(cursor.rowcount)
    cursor.close()
    return count


class DriverStatement:
    """A Core statement compiled once per dialect, run with the driver's own parameters."""

    def __init__(self, statement: ClauseElement, *,
                 column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        #: For an INSERT: the columns given values (the others take their defaults).
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._compiled: dict[str, _Compiled] = {}
        self._result_processors: dict[str, list[tuple[int, Callable[[Any], Any]]]] = {}

    def __call__(self, conn: Connection, params: Mapping[str, Any]) -> DBAPICursor:
        """Run the statement; the driver's cursor (close it once read)."""
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            compiled = self._compiled[conn.dialect.name] = self._compile(conn)
        sql, order, processors, fixed = compiled
        values = {name: processors[name](value) if name in processors else value
                  for name, value in {**fixed, **params}.items()}
        if order is None:  # named parameters (psycopg)
            return execute(conn, sql, values)
        return execute(conn, sql, tuple(values[name] for name in order))

    def rowcount(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run a statement without result rows; how many rows it changed."""
        cursor = self(conn, params)
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def first_value(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Run the statement; the first column of its first row (an id ``RETURNING`` gives),
        or ``None`` when it returns no row."""
        cursor = self(conn, params)
        row = cursor.fetchone()
        cursor.close()
        return None if row is None else row[0]

    def executemany(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run the statement once per row (the driver's ``executemany``); how many rows it
        changed."""
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            compiled = self._compiled[conn.dialect.name] = self._compile(conn)
        sql, order, processors, fixed = compiled
        prepared = [{name: processors[name](value) if name in processors else value
                     for name, value in {**fixed, **params}.items()} for params in rows]
        if order is None:
            return executemany(conn, sql, prepared)
        return executemany(conn, sql, [tuple(values[name] for name in order)
                                       for values in prepared])

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a ``SELECT`` and return its rows as tuples, each value through its column
        type's result processing (dates read back from SQLite's text, say)."""
        processors = self._result_processors.get(conn.dialect.name)
        if processors is None:
            dialect = conn.dialect
            assert isinstance(self.statement, Select)
            processors = []
            for index, column in enumerate(self.statement.selected_columns):
                process = column.type.dialect_impl(dialect).result_processor(dialect, None)
                if process is not None:
                    processors.append((index, process))
            self._result_processors[dialect.name] = processors
        cursor = self(conn, params)
        rows = cursor.fetchall()
        cursor.close()
        if not processors:
            return [tuple(row) for row in rows]
        out = []
        for row in rows:  # only the columns whose type processes results (dates on SQLite)
            values = list(row)
            for index, convert in processors:
                values[index] = convert(values[index])
            out.append(tuple(values))
        return out

    def _compile(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
        assert isinstance(compiled, SQLCompiler)
        processors: dict[str, Callable[[Any], Any]] = {}
        fixed: dict[str, Any] = {}  # the statement's own values (``status <> 'closed'``)
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
            if not bind.required:
                fixed[name] = bind.effective_value
        positions = compiled.positiontup
        return str(compiled), tuple(positions) if positions else None, processors, fixed
