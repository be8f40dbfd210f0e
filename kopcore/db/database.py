"""Engine set-up and the one transaction runner.

SQLite (embedded default): WAL journal, foreign keys on, ``synchronous=FULL``, a busy timeout, and
every write transaction opened with ``BEGIN IMMEDIATE`` so two writers never both read then
collide. PostgreSQL (psycopg 3): READ COMMITTED; the posting pipeline takes row locks in sorted
account order. Both: :meth:`Database.write` retries serialization failures, deadlocks and SQLite
busy errors a bounded number of times, so the same code also runs on SERIALIZABLE
PostgreSQL-compatible engines (CockroachDB, YugabyteDB).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: SQLSTATEs that mean "run the transaction again": serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def make_engine(url: str, *, busy_timeout_ms: int = 30000, echo: bool = False) -> Engine:
    """Create the engine for a database URL (``sqlite:///file.db`` or ``postgresql://...``)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            raise ValueError("use an SQLite file: an in-memory database cannot be shared safely")
        connect_args = {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
        engine = create_engine(url, echo=echo, connect_args=connect_args)
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so we can say BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("kopcore_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_retryable(exc: BaseException) -> bool:
    """True for serialization failures, deadlocks and SQLite lock contention."""
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if sqlstate in RETRYABLE_SQLSTATES:
            return True
        if isinstance(exc, OperationalError) and "database is locked" in str(orig):
            return True
    return False


class Database:
    """The one way kopcore runs a transaction: all or nothing, retried when it is safe."""

    def __init__(self, engine: Engine, *, retries: int = 8) -> None:
        self.engine = engine
        self.retries = retries

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a write transaction; commit on return, roll back on any exception.

        Serialization failures and deadlocks are retried up to ``retries`` times with jittered
        back-off; ``work`` must therefore have no side effects outside the database.
        """
        return self._run(work, write=True)

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a read transaction. On SQLite (WAL) it reads one snapshot; on
        PostgreSQL (READ COMMITTED) each statement sees what was committed when it started."""
        return self._run(work, write=False)

    def _run(self, work: Callable[[Connection], T], *, write: bool) -> T:
        attempt = 0
        while True:
            try:
                with self.engine.connect() as conn:
                    conn.execution_options(kopcore_write=write)
                    with conn.begin():
                        return work(conn)
            except DBAPIError as exc:
                attempt += 1
                if not is_retryable(exc) or attempt > self.retries:
                    raise
                delay = min(0.2, 0.005 * 2**attempt) * (0.5 + random.random())
                log.info("transaction retry %d after %s", attempt, type(exc.orig).__name__)
                time.sleep(delay)

    def dispose(self) -> None:
        self.engine.dispose()
