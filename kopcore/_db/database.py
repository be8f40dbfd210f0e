"""Engine set-up and the one transaction runner.

SQLite (embedded default): WAL journal, foreign keys on, ``synchronous=FULL``, a busy timeout, and
every write transaction opened with ``BEGIN IMMEDIATE`` so two writers never both read then
collide. PostgreSQL (psycopg 3): READ COMMITTED; the posting pipeline takes row locks in sorted
account order. Both: :meth:`Database.write` retries serialization failures, deadlocks and SQLite
busy errors a bounded number of times, so the same code also runs on SERIALIZABLE
PostgreSQL-compatible engines (CockroachDB, YugabyteDB).

On SQLite the writers of one process also queue in-process, on one lock per database file
(:func:`writer_lock`), before they say ``BEGIN IMMEDIATE``: SQLite admits one writer at a time,
and a writer refused by it sleeps in the driver's busy handler (1, 2, 5 ... 100 ms at a time)
however soon the lock is free, which put a second at the tail of a busy server's answers. The
queue hands the lock over as soon as the writer before commits. Writers of other processes
(``kopcore serve --workers``, the CLI) still meet at SQLite's own lock and its busy timeout.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: SQLSTATEs that mean "run the transaction again": serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


#: Pooled-connection ``info`` key: the transaction being opened writes (BEGIN IMMEDIATE).
WRITE_KEY = "kopcore_write"
#: Pooled-connection ``info`` key: what to run once the transaction committed
#: (:func:`after_commit`).
AFTER_COMMIT_KEY = "kopcore_after_commit"


def after_commit(conn: Connection, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the write transaction of ``conn`` committed, after its connection
    went back to the pool (so it may run transactions of its own); never when it rolls back,
    and once only when the transaction is retried. A callback's exception is logged, never
    raised: what committed stays committed. Outside :meth:`Database.write` it is not run."""
    pending = conn.connection.info.get(AFTER_COMMIT_KEY)
    if pending is not None:
        pending.append(callback)


class KopcoreSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, with every transaction opened by kopcore itself: ``BEGIN IMMEDIATE`` for a
    write transaction, so two writers never both read and then collide, ``BEGIN DEFERRED``
    otherwise (the driver's own transaction handling is switched off on connect).

    Doing this in the dialect rather than in a ``begin`` event listener keeps SQLAlchemy's
    per-statement event dispatch off, which the posting path would otherwise pay on every
    statement."""

    supports_statement_cache = True

    def do_begin(self, dbapi_connection: Any) -> None:
        mode = "IMMEDIATE" if dbapi_connection.info.get(WRITE_KEY) else "DEFERRED"
        dbapi_connection.execute(f"BEGIN {mode}")


registry.register("sqlite.kopcore", __name__, "KopcoreSQLiteDialect")


def make_engine(url: str, *, busy_timeout_ms: int = 30000, echo: bool = False) -> Engine:
    """Create the engine for a database URL (``sqlite:///file.db`` or ``postgresql://...``)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    postgres_args: dict[str, Any] = {}
    if url.startswith("postgresql") and "pooler=" in url:
        # ``?pooler=pgbouncer``: the server is reached through PgBouncer in transaction pooling
        # mode, where a server-side prepared statement does not outlive its transaction.
        parsed = make_url(url)
        if parsed.query.get("pooler") == "pgbouncer":
            postgres_args["prepare_threshold"] = None
        url = parsed.difference_update_query(["pooler"]).render_as_string(hide_password=False)
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            raise ValueError("use an SQLite file: an in-memory database cannot be shared safely")
        connect_args = {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
        parsed = make_url(url)
        if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
            parsed = parsed.set(drivername="sqlite+kopcore")
        engine = create_engine(parsed, echo=echo, connect_args=connect_args,
                               pool_reset_on_return=None)
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    # No pool pre-ping (a `SELECT 1` round trip per transaction): a pooled connection found
    # dead (the server restarted) fails its transaction's first statement, the pool drops every
    # connection made before, and Database.write runs the transaction again on a new one.
    # pool_recycle: a connection is replaced after half an hour, so the plans PostgreSQL cached
    # for it (prepared statements, foreign-key checks) are made again for tables as they are
    # now, not as they were when the server started on a young database.
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_recycle=1800,
                         connect_args=postgres_args)


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


_WRITER_LOCKS: dict[str, threading.RLock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def writer_lock(engine: Engine) -> threading.RLock | None:
    """The in-process queue of the writers of an SQLite file (shared by every engine of this
    process on that file); ``None`` for a server database, whose writers run concurrently.

    Re-entrant, so a thread already writing is never blocked by its own queue: a nested write
    on a second connection meets SQLite's lock and busy timeout, as it would without one."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    path = os.path.realpath(engine.url.database)
    with _WRITER_LOCKS_GUARD:
        lock = _WRITER_LOCKS.get(path)
        if lock is None:
            lock = _WRITER_LOCKS[path] = threading.RLock()
        return lock


class Database:
    """The one way kopcore runs a transaction: all or nothing, retried when it is safe."""

    #: Times a transaction is run again after its connection was found dead before it committed.
    DISCONNECT_RETRIES = 2

    def __init__(self, engine: Engine, *, retries: int = 8, writer_wait_s: float = 30.0) -> None:
        self.engine = engine
        self.retries = retries
        #: SQLite: the in-process writers' queue, and how long a writer waits in it before it
        #: tries SQLite's own lock anyway (the busy timeout: the wait a writer had before).
        self.writer = writer_lock(engine)
        self.writer_wait_s = writer_wait_s

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a write transaction; commit on return, roll back on any exception.

        Serialization failures and deadlocks are retried up to ``retries`` times with jittered
        back-off; ``work`` must therefore have no side effects outside the database. A transaction
        whose connection is found dead before it commits (the server restarted since the
        connection was pooled) is run again on a new connection, at most
        :attr:`DISCONNECT_RETRIES` times; one lost while committing is not (its outcome is
        unknown: the error reaches the caller, who retries with an idempotency key).
        """
        return self._run(work, write=True)

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a read transaction. On SQLite (WAL) it reads one snapshot; on
        PostgreSQL (READ COMMITTED) each statement sees what was committed when it started."""
        return self._run(work, write=False)

    def _run(self, work: Callable[[Connection], T], *, write: bool) -> T:
        callbacks: list[Callable[[], None]] = []
        result = self._attempts(work, write=write, callbacks=callbacks)
        for callback in callbacks:
            try:
                callback()
            except DBAPIError as exc:
                # The database went away after the commit (a restart, a network cut): what the
                # callback was to do waits (the event outbox's worker delivers it); one line,
                # no traceback, as for any refusal of an unavailable database.
                log.warning("after-commit callback not run, the database is unavailable: %s",
                            str(exc.orig or exc).splitlines()[0][:200])
            except Exception:
                log.exception("after-commit callback failed")
        return result

    def _attempts(self, work: Callable[[Connection], T], *, write: bool,
                  callbacks: list[Callable[[], None]]) -> T:
        attempt = 0
        reconnects = 0
        while True:
            committing = False
            queued = write and self.writer is not None \
                and self.writer.acquire(timeout=self.writer_wait_s)
            try:
                with self.engine.connect() as conn:
                    info = conn.connection.info
                    info[WRITE_KEY] = write
                    pending: list[Callable[[], None]] = []
                    if write:
                        info[AFTER_COMMIT_KEY] = pending
                    try:
                        with conn.begin():
                            result = work(conn)
                            committing = True
                    finally:
                        info.pop(WRITE_KEY, None)
                        info.pop(AFTER_COMMIT_KEY, None)
                    callbacks.extend(pending)
                    return result
            except DBAPIError as exc:
                if exc.connection_invalidated and not committing \
                        and reconnects < self.DISCONNECT_RETRIES:
                    reconnects += 1
                    log.info("transaction retry on a new connection after %s",
                             type(exc.orig).__name__)
                    continue
                attempt += 1
                if not is_retryable(exc) or attempt > self.retries:
                    raise
                delay = min(0.2, 0.005 * 2**attempt) * (0.5 + random.random())
                log.info("transaction retry %d after %s", attempt, type(exc.orig).__name__)
                if queued:  # let the others of this process write while this one waits
                    assert self.writer is not None
                    self.writer.release()
                    queued = False
                time.sleep(delay)
            finally:
                if queued:
                    assert self.writer is not None
                    self.writer.release()

    def dispose(self) -> None:
        self.engine.dispose()
