"""A tenant's database copied to another cluster by PostgreSQL logical replication, for
``kopcore tenants move --method logical`` (:mod:`kopcore._tenants.move`).

1. :meth:`Replication.check`, before anything is made: the source runs with
   ``wal_level = logical`` and every table of the database can be replicated (a primary key or
   a ``REPLICA IDENTITY``, logged). Otherwise :class:`NotReplicable`.
2. :meth:`Replication.start`: the schema is copied (``pg_dump --schema-only`` into the new,
   empty database on the target), ``CREATE PUBLICATION ... FOR ALL TABLES`` on the source,
   ``CREATE SUBSCRIPTION ... WITH (copy_data = true)`` on the target, connecting to the source
   by the source cluster's administrator URL (it must reach the source from the target's
   server).
3. :meth:`Replication.wait_synced`: every table's initial copy is done (``pg_subscription_rel``
   all ``r``) while the cooperative keeps writing on the source.
4. Under the write freeze: :meth:`Replication.catch_up` waits until the subscription's slot has
   confirmed the source's WAL position taken after the freeze (``confirmed_flush_lsn`` of the
   slot against ``pg_current_wal_lsn()``), :meth:`Replication.copy_sequences` sets each
   sequence on the target to the source's value (logical replication does not carry them),
   :meth:`Replication.finish` drops the subscription, its slot and the publication.
5. On any failure :meth:`Replication.drop` removes the subscription, the slots and the
   publication, whatever state they were left in.

The publication, the subscription and its slot are all named ``kopcore_move_<database>``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from kopcore._tenants import clusters as pg
from kopcore._tenants.registry import Cluster
from kopcore.errors import message

#: Seconds the initial copy may take before the move gives up (the cooperative writes on).
SYNC_TIMEOUT = 3600.0
#: Seconds the catch-up under the freeze may take before the move gives up.
CATCH_UP_TIMEOUT = 120.0


#: Errors of the subscription's workers (PostgreSQL starts a failed one again) after which the
#: move gives up: a passing one (a connection, a slot not yet free) is retried.
ERRORS_TOLERATED = 10


class NotReplicable(pg.ClusterError):
    code = "tenant-not-replicable"
    title = "Cannot move by logical replication"


def _literal(value: str) -> str:
    """A SQL string literal (``standard_conforming_strings`` is on)."""
    return "'" + value.replace("'", "''") + "'"


def _conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def conninfo(cluster: Cluster, database: str) -> str:
    """The libpq connection string of ``database`` on ``cluster`` as its administrator."""
    url = make_url(cluster.database_url(database, admin=True))
    parts: dict[str, Any] = {"host": url.host, "port": url.port, "user": url.username,
                             "password": url.password, "dbname": database}
    for key, value in url.query.items():
        parts[key] = value if isinstance(value, str) else value[-1]
    return " ".join(f"{key}={_conninfo_value(str(value))}" for key, value in parts.items()
                    if value is not None)


@contextmanager
def _session(cluster: Cluster, database: str = "postgres") -> Iterator[Connection]:
    """One administrator's session (autocommit) on ``database``, writing even where the
    database is frozen."""
    engine = pg.admin_engine(cluster, database)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET default_transaction_read_only = off"))
            yield conn
    finally:
        engine.dispose()


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Replication:
    """The logical replication of one database from ``source`` to ``target``."""

    def __init__(self, source: Cluster, target: Cluster, database: str) -> None:
        self.source = source
        self.target = target
        self.database = database
        self.name = f"kopcore_move_{database}"[:63]

    # --- before anything is made ------------------------------------------------------------
    def check(self) -> None:
        """Refuse (:class:`NotReplicable`) a source that cannot be replicated."""
        with _session(self.source) as conn:
            level = conn.execute(text("SHOW wal_level")).scalar()
        if level != "logical":
            raise NotReplicable(message(
                "cluster {cluster} runs with wal_level = {level}; a move by logical "
                "replication needs wal_level = logical (set it and restart the cluster) or "
                "--method dump", cluster=self.source.name, level=str(level)))
        with _session(self.source, self.database) as conn:
            rows = conn.execute(text(
                "SELECT n.nspname || '.' || c.relname, c.relpersistence "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg\\_%' "
                "AND (c.relpersistence <> 'p' OR c.relreplident = 'n' "
                "     OR (c.relreplident = 'd' AND NOT EXISTS ("
                "         SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid "
                "         AND i.indisprimary))) "
                "ORDER BY 1")).all()
        if rows:
            raise NotReplicable(message(
                "tables of {database} cannot be replicated (no primary key nor replica "
                "identity, or not logged): {tables}; nothing was moved. Give each a primary "
                "key or use --method dump", database=self.database,
                tables=", ".join(str(row[0]) for row in rows[:10])))

    # --- while the cooperative writes on ------------------------------------------------------
    def start(self) -> None:
        """Publication on the source, subscription on the target (the target database exists
        and holds the schema)."""
        self.drop()  # what a move killed before it could clean up left behind
        with _session(self.source, self.database) as conn:
            conn.execute(text(f"CREATE PUBLICATION {_identifier(self.name)} FOR ALL TABLES"))
        with _session(self.target, self.database) as conn:
            conn.execute(text(
                f"CREATE SUBSCRIPTION {_identifier(self.name)} "
                f"CONNECTION {_literal(conninfo(self.source, self.database))} "
                f"PUBLICATION {_identifier(self.name)} "
                f"WITH (copy_data = true, slot_name = {_literal(self.name)}, "
                # the applied changes are flushed at once, so the slot's confirmed
                # position follows the source without waiting for the WAL writer
                "synchronous_commit = 'on')"))

    def wait_synced(self, timeout: float = SYNC_TIMEOUT) -> int:
        """Wait until every table's initial copy is done; returns how many tables."""
        deadline = time.monotonic() + timeout
        with _session(self.target, self.database) as conn:
            while True:
                total, ready = conn.execute(text(
                    "SELECT count(*), count(*) FILTER (WHERE r.srsubstate = 'r') "
                    "FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid "
                    "WHERE s.subname = :name"), {"name": self.name}).one()
                if total and total == ready:
                    return int(total)
                self._check_errors(conn)
                if time.monotonic() > deadline:
                    raise pg.ClusterError(message(
                        "the initial copy to {cluster} did not finish in {seconds} s "
                        "({ready} of {total} tables); nothing was moved",
                        cluster=self.target.name, seconds=int(timeout), ready=int(ready),
                        total=int(total)))
                time.sleep(0.1)

    def _check_errors(self, conn: Connection) -> None:
        if int(conn.execute(text("SHOW server_version_num")).scalar() or 0) < 150000:
            return
        errors = conn.execute(text(
            "SELECT coalesce(sum(apply_error_count + sync_error_count), 0) "
            "FROM pg_stat_subscription_stats WHERE subname = :name"),
            {"name": self.name}).scalar()
        if errors and int(errors) >= ERRORS_TOLERATED:
            raise pg.ClusterError(message(
                "the subscription on {cluster} failed to apply changes (see that server's "
                "log); nothing was moved", cluster=self.target.name))

    # --- under the write freeze -------------------------------------------------------------
    def catch_up(self, timeout: float = CATCH_UP_TIMEOUT) -> str:
        """Wait until the target has applied everything the source wrote so far (call it
        once the source is frozen); returns the source's WAL position waited for."""
        deadline = time.monotonic() + timeout
        checked = time.monotonic()
        with _session(self.source) as conn, _session(self.target, self.database) as target:
            # The insert position, not the write position: with asynchronous commits the last
            # commits (the freeze's seal) may still be in the WAL buffers, after the position
            # written so far, and a wait for that would end before they are applied.
            position = str(conn.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar())
            # A commit flushed at once flushes all the WAL before it, so the sender has it
            # now, not when the WAL writer gets to it (asynchronous commits).
            conn.execute(text("SET synchronous_commit = on"))
            conn.execute(text("SELECT txid_current()"))
            while True:
                done = conn.execute(text(
                    "SELECT confirmed_flush_lsn >= CAST(:lsn AS pg_lsn) "
                    "FROM pg_replication_slots WHERE slot_name = :name"),
                    {"lsn": position, "name": self.name}).scalar()
                if done:
                    return position
                if time.monotonic() - checked > 1.0:
                    # A worker failing over and over never catches up: say so now rather
                    # than at the deadline.
                    self._check_errors(target)
                    checked = time.monotonic()
                if time.monotonic() > deadline:
                    raise pg.ClusterError(message(
                        "the subscription on {cluster} did not catch up with {position} in "
                        "{seconds} s; nothing was moved", cluster=self.target.name,
                        position=position, seconds=int(timeout)))
                time.sleep(0.01)

    def copy_sequences(self) -> int:
        """Set every sequence on the target to its value on the source; returns how many."""
        with _session(self.source, self.database) as conn:
            values = conn.execute(text(
                "SELECT schemaname, sequencename, last_value FROM pg_sequences "
                "WHERE last_value IS NOT NULL ORDER BY 1, 2")).all()
        with _session(self.target, self.database) as conn:
            for schema, name, value in values:
                conn.execute(text("SELECT setval(CAST(format('%I.%I', CAST(:schema AS text), "
                                  "CAST(:name AS text)) AS regclass), :value, true)"),
                             {"schema": schema, "name": name, "value": int(value)})
        return len(values)

    def finish(self) -> None:
        """Drop the subscription (and its slot on the source) and the publication."""
        with _session(self.target, self.database) as conn:
            conn.execute(text(f"DROP SUBSCRIPTION IF EXISTS {_identifier(self.name)}"))
        self.drop_source()

    # --- on failure -------------------------------------------------------------------------
    def drop(self) -> None:
        """Remove the subscription, the slots and the publication, whatever is left of them
        (never raises for what is already gone)."""
        found = None
        try:
            with _session(self.target, self.database) as conn:
                found = conn.execute(text("SELECT oid FROM pg_subscription "
                                          "WHERE subname = :name"), {"name": self.name}).first()
                if found is not None:
                    sub = _identifier(self.name)
                    conn.execute(text(f"ALTER SUBSCRIPTION {sub} DISABLE"))
                    conn.execute(text(f"ALTER SUBSCRIPTION {sub} SET (slot_name = NONE)"))
                    conn.execute(text(f"DROP SUBSCRIPTION {sub}"))
        except DBAPIError:
            if pg.database_exists(self.target, self.database):
                raise
        self.drop_source(found[0] if found is not None else None)

    def drop_source(self, subscription: int | None = None) -> None:
        """Drop the slot (and the initial copy's slots) and the publication on the source."""
        with _session(self.source) as conn:
            for _attempt in range(50):
                rows = conn.execute(text(
                    "SELECT slot_name, active_pid FROM pg_replication_slots "
                    "WHERE slot_name = :name OR slot_name LIKE :sync"),
                    {"name": self.name, "sync": f"pg\\_{subscription or 0}\\_sync\\_%"}).all()
                if not rows:
                    break
                for slot, pid in rows:
                    if pid is not None:
                        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                    try:
                        conn.execute(text("SELECT pg_drop_replication_slot(:slot)"),
                                     {"slot": slot})
                    except DBAPIError:  # still active for a moment after its sender ended
                        time.sleep(0.1)
        if pg.database_exists(self.source, self.database):
            with _session(self.source, self.database) as conn:
                conn.execute(text(f"DROP PUBLICATION IF EXISTS {_identifier(self.name)}"))


__all__ = ["CATCH_UP_TIMEOUT", "SYNC_TIMEOUT", "NotReplicable", "Replication", "conninfo"]
