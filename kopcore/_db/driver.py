"""Statements built with SQLAlchemy Core and run through the driver directly.

For the few statements every posting runs, SQLAlchemy's per-execution work on an already
compiled statement (cache lookup, parameter processing, result set-up) costs several times what
the driver spends on a small ``UPDATE``. A :class:`DriverStatement` compiles its statement once
per dialect and runs the SQL with ``Connection.exec_driver_sql``, in the same transaction,
putting each parameter through its type's bind processing as SQLAlchemy would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, CursorResult, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_Compiled = tuple[str, tuple[str, ...] | None, dict[str, Callable[[Any], Any]], dict[str, Any]]


class DriverStatement:
    """A Core statement compiled once per dialect, run with the driver's own parameters."""

    def __init__(self, statement: ClauseElement, *,
                 column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        #: For an INSERT: the columns given values (the others take their defaults).
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._compiled: dict[str, _Compiled] = {}
        self._result_processors: dict[str, list[Callable[[Any], Any] | None]] = {}

    def __call__(self, conn: Connection, params: Mapping[str, Any]) -> CursorResult[Any]:
        sql, arguments = self._bound(conn, params)
        return conn.exec_driver_sql(sql, arguments)

    def _bound(self, conn: Connection, params: Mapping[str, Any]
               ) -> tuple[str, dict[str, Any] | tuple[Any, ...]]:
        """The SQL and the driver's parameters (named for psycopg, positional for sqlite3)."""
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            compiled = self._compiled[conn.dialect.name] = self._compile(conn)
        sql, order, processors, fixed = compiled
        values = {name: processors[name](value) if name in processors else value
                  for name, value in {**fixed, **params}.items()}
        if order is None:  # named parameters (psycopg)
            return sql, values
        return sql, tuple(values[name] for name in order)

    def _fetch(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Run a ``SELECT`` on the driver's own cursor, in ``conn``'s transaction, and fetch
        its rows. SQLAlchemy's result object is not built: for a small read it costs more than
        the read (the result's column metadata is made anew on every execution of raw SQL).
        A driver error is handled as SQLAlchemy handles it on any statement (wrapped in
        :class:`~sqlalchemy.exc.DBAPIError`, a lost connection invalidated), so the
        transaction runner retries and reconnects as for any other statement."""
        sql, arguments = self._bound(conn, params)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, arguments)
            return list(cursor.fetchall())
        except conn.dialect.loaded_dbapi.Error as exc:
            conn._handle_dbapi_exception(exc, sql, arguments, cursor, None)
        finally:
            cursor.close()

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a ``SELECT`` and return its rows as tuples, each value through its column
        type's result processing (dates read back from SQLite's text, say)."""
        processors = self._result_processors.get(conn.dialect.name)
        if processors is None:
            dialect = conn.dialect
            assert isinstance(self.statement, Select)
            processors = self._result_processors[dialect.name] = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns]
        rows = self._fetch(conn, params)
        if not any(processors):
            return [tuple(row) for row in rows]
        return [tuple(value if process is None else process(value)
                      for process, value in zip(processors, row, strict=True))
                for row in rows]

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
