"""Transaction facts: small values every posting needs, read with its accounts in one statement.

The business date, and whatever plugins declare through ``kopcore_transaction_facts`` (the year
end's last closed day, say), are needed by every posting. Read one by one they would cost a
statement each; instead they are scalar subqueries added to the ``SELECT`` with which each
posting loads its accounts, so they are exactly as current as the accounts the veto hooks see
(one snapshot on SQLite; on PostgreSQL, READ COMMITTED, what was committed when that statement
ran), and cost no statement of their own. Outside posting, the first
:meth:`~kopcore.context.Context.fact` of a transaction reads them all in one statement. The values
are cached on the connection until the next posting reads them again or the transaction ends;
code that changes what a fact reads says so with
:meth:`~kopcore.context.Context.remember_fact` or :meth:`~kopcore.context.Context.forget_facts`.
A Context keeps the business date it first read (or was given, for a back-dated entry).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, select

from kopcore._db import tables as t
from kopcore._db.driver import DriverStatement

#: The kernel's own fact; plugins' names must differ (use ``<plugin>.<what>``).
BUSINESS_DATE = "kopcore.business_date"

_CACHE_KEY = "kopcore._facts"


class TransactionFacts:
    """The facts every transaction may read: the statement that reads them and their cache."""

    def __init__(self, declared: Mapping[str, ColumnElement[Any]]) -> None:
        expressions: dict[str, ColumnElement[Any]] = {
            BUSINESS_DATE: select(t.business_calendar.c.business_date).scalar_subquery(),
            **declared,
        }
        self.names: tuple[str, ...] = tuple(expressions)
        #: One labelled column per fact (``fact_0``, ``fact_1``, ...), to add to a SELECT.
        self.columns: Sequence[ColumnElement[Any]] = tuple(
            expression.label(f"fact_{i}") for i, expression in enumerate(expressions.values()))
        self._alone: Select[Any] = select(*self.columns)
        self._statements: dict[str, Select[Any]] = {}
        self._drivers: dict[str, DriverStatement] = {}

    def statement(self, key: str, query: Select[Any]) -> Select[Any]:
        """``query`` with the facts' columns added at its end (built once per ``key``): its
        rows carry the facts, for :meth:`take`."""
        built = self._statements.get(key)
        if built is None:
            built = self._statements[key] = query.add_columns(*self.columns)
        return built

    def driver(self, key: str, query: Select[Any]) -> DriverStatement:
        """:meth:`statement`, run through the driver (kopcore._db.driver)."""
        built = self._drivers.get(key)
        if built is None:
            built = self._drivers[key] = DriverStatement(self.statement(key, query))
        return built

    def cached(self, conn: Connection) -> dict[str, Any] | None:
        """The facts read in the current transaction, or ``None`` if not read yet."""
        entry = conn.info.get(_CACHE_KEY)
        if entry is not None and entry[0] is conn.get_transaction():
            values: dict[str, Any] = entry[1]
            return values
        return None

    def load(self, conn: Connection) -> dict[str, Any]:
        """The facts of the current transaction, reading them (one statement) if needed."""
        values = self.cached(conn)
        if values is None:
            values = self.take(conn, conn.execute(self._alone).one())
        return values

    def take(self, conn: Connection, row: Row[Any] | tuple[Any, ...]) -> dict[str, Any]:
        """Cache the facts carried by ``row`` (a row of a SELECT that ends with
        :attr:`columns`) for the current transaction."""
        values = dict(zip(self.names, tuple(row)[-len(self.names):], strict=True))
        conn.info[_CACHE_KEY] = (conn.get_transaction(), values)
        return values

    def remember(self, conn: Connection, name: str, value: Any) -> None:
        """Change a fact for the rest of the transaction (its code wrote the new value)."""
        self.load(conn)[name] = value

    @staticmethod
    def forget(conn: Connection) -> None:
        """Drop the cached facts: the next read in this transaction reads them again."""
        conn.info.pop(_CACHE_KEY, None)
