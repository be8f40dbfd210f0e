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
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            compiled = self._compiled[conn.dialect.name] = self._compile(conn)
        sql, order, processors, fixed = compiled
        values = {name: processors[name](value) if name in processors else value
                  for name, value in {**fixed, **params}.items()}
        if order is None:  # named parameters (psycopg)
            return conn.exec_driver_sql(sql, values)
        return conn.exec_driver_sql(sql, tuple(values[name] for name in order))

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
        rows = self(conn, params).fetchall()
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
