"""What the platform does on a PostgreSQL cluster as its administrator: create and drop a
tenant's database, freeze and thaw its writes, dump and restore it, measure it.

Every statement here runs on the cluster's administrator URL, directly (never through
PgBouncer: ``CREATE DATABASE`` cannot run in a transaction and ``pg_dump`` wants a session).
Database names come from :func:`kopcore._tenants.registry.database_name` and are quoted anyway.
The PostgreSQL client programs (``pg_dump``, ``pg_restore``) are found in ``$KOPCORE_PG_BIN``,
else on the ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from kopcore._tenants.registry import Cluster
from kopcore.errors import Conflict, message


class ClusterError(Conflict):
    code = "cluster-error"
    title = "Cluster operation failed"


def _psycopg(url: str) -> URL:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg")


def admin_engine(cluster: Cluster, database: str = "postgres") -> Engine:
    """An AUTOCOMMIT engine on ``database`` as the cluster's administrator."""
    url = _psycopg(cluster.database_url(database, admin=True))
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)


def _run_admin(cluster: Cluster, *statements: str, database: str = "postgres",
               params: dict[str, Any] | None = None) -> list[Any]:
    engine = admin_engine(cluster, database)
    try:
        with engine.connect() as conn:
            return [conn.execute(text(sql), params or {}).fetchall() if sql.lstrip().upper()
                    .startswith("SELECT") else conn.execute(text(sql), params or {})
                    for sql in statements]
    finally:
        engine.dispose()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def app_user(cluster: Cluster) -> str | None:
    """The user the apps connect as, when it is not the administrator."""
    user = make_url(cluster.url).username
    return user if user and user != make_url(cluster.admin_url).username else None


def database_exists(cluster: Cluster, database: str) -> bool:
    rows = _run_admin(cluster, "SELECT 1 FROM pg_database WHERE datname = :name",
                      params={"name": database})[0]
    return bool(rows)


def create_database(cluster: Cluster, database: str, *, template: str | None = None) -> None:
    """Create a database owned by the apps' user: empty, or a copy of ``template``."""
    if database_exists(cluster, database):
        raise ClusterError(message("database {database} already exists on cluster {cluster}",
                                   database=database, cluster=cluster.name))
    owner = app_user(cluster)
    _run_admin(cluster, f"CREATE DATABASE {_quote(database)}"
               + (f" OWNER {_quote(owner)}" if owner else "")
               + (f" TEMPLATE {_quote(template)}" if template else ""))


def rename_database(cluster: Cluster, database: str, new_name: str) -> bool:
    """Rename a database; ``False`` when ``new_name`` is taken (the database is kept)."""
    if database_exists(cluster, new_name):
        return False
    try:
        _run_admin(cluster,
                   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   "WHERE datname = :name AND pid <> pg_backend_pid()",
                   f"ALTER DATABASE {_quote(database)} RENAME TO {_quote(new_name)}",
                   params={"name": database})
    except DBAPIError:
        if database_exists(cluster, new_name):
            return False
        raise
    return True


def drop_database(cluster: Cluster, database: str) -> None:
    _run_admin(cluster, f"DROP DATABASE IF EXISTS {_quote(database)} WITH (FORCE)")


def freeze(cluster: Cluster, database: str) -> int:
    """Stop every write to ``database``: new transactions start read-only, and the sessions
    open on it (the apps' pooled connections, PgBouncer's server connections) are ended, so
    none keeps writing. Returns how many sessions were ended. A logical replication's sender
    (a move's subscription reading the database) is left running: it writes nothing there."""
    rows = _run_admin(
        cluster,
        f"ALTER DATABASE {_quote(database)} SET default_transaction_read_only = on",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = :name AND pid <> pg_backend_pid() AND backend_type <> 'walsender'",
        params={"name": database})
    return len(rows[1])


@contextmanager
def move_lock(cluster: Cluster, database: str) -> Iterator[None]:
    """Held while ``database`` is moved off ``cluster``: a second move of it is refused
    (``False`` from ``pg_try_advisory_lock``) until this one ends, however it ends (a killed
    mover's session, and its lock, go with it)."""
    engine = admin_engine(cluster)
    try:
        with engine.connect() as conn:
            key = {"key": f"kopcore-move:{database}"}
            if not conn.execute(text("SELECT pg_try_advisory_lock(hashtext(:key))"),
                                key).scalar():
                raise ClusterError(message("a move of database {database} is already under "
                                           "way", database=database))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), key)
    finally:
        engine.dispose()


def thaw(cluster: Cluster, database: str) -> None:
    """Undo :func:`freeze`: new sessions write again."""
    _run_admin(cluster,
               f"ALTER DATABASE {_quote(database)} RESET default_transaction_read_only",
               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE datname = :name AND pid <> pg_backend_pid()",
               params={"name": database})


def size(cluster: Cluster, database: str) -> int:
    """The database's size on disk, in bytes."""
    rows = _run_admin(cluster, "SELECT pg_database_size(:name)", params={"name": database})
    return int(rows[0][0][0])


def _program(name: str) -> str:
    directory = os.environ.get("KOPCORE_PG_BIN")
    found = str(Path(directory) / name) if directory else shutil.which(name)
    if not found or not Path(found).exists():
        raise ClusterError(message("the PostgreSQL program {name} was not found: install the "
                                   "PostgreSQL client or set KOPCORE_PG_BIN", name=name))
    return found


def _libpq(cluster: Cluster, database: str) -> tuple[str, dict[str, str]]:
    """A connection string without the password, and the environment that carries it."""
    url = make_url(cluster.database_url(database, admin=True))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    bare = url.set(drivername="postgresql", password=None)
    return bare.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    # The program comes from KOPCORE_PG_BIN or the PATH; no argument passes through a shell.
    done = subprocess.run(args, env=env, capture_output=True, text=True,  # noqa: S603
                          check=False)
    if done.returncode != 0:
        raise ClusterError(message("{what} failed: {error}", what=what,
                                   error=done.stderr.strip()[-500:]))


def dump(cluster: Cluster, database: str, path: Path, *, schema_only: bool = False) -> None:
    """``pg_dump`` the database to ``path`` (custom format); ``schema_only``: its tables,
    sequences, indexes and constraints without their rows (publications and subscriptions
    never)."""
    dsn, env = _libpq(cluster, database)
    _run([_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          "--no-publications", "--no-subscriptions",
          *(["--schema-only"] if schema_only else []),
          f"--file={path}", f"--dbname={dsn}"], env, "pg_dump")


def restore(cluster: Cluster, database: str, path: Path) -> None:
    """``pg_restore`` ``path`` into the (new, empty) database, its objects owned by the apps'
    user."""
    dsn, env = _libpq(cluster, database)
    owner = app_user(cluster)
    _run([_program("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
          "--single-transaction", *([f"--role={owner}"] if owner else []),
          f"--dbname={dsn}", str(path)], env, "pg_restore")
