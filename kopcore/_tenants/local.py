"""Throw-away PostgreSQL clusters and a PgBouncer on this machine, for the tests and the bench.

:class:`LocalCluster` runs ``initdb`` and ``pg_ctl`` in a directory of its own on a free
loopback port (trust authentication, fsync off: a scratch server, never a production one;
``wal_level = logical``, so a tenant can move between two of them by logical replication);
:class:`LocalPgBouncer` puts PgBouncer in transaction pooling mode in front of one. Both run as
the ``postgres`` user when started by root (PostgreSQL and PgBouncer refuse to run as root).
The PostgreSQL programs come from ``$KOPCORE_PG_BIN``, else the newest
``/usr/lib/postgresql/<version>/bin``, else the ``PATH``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pg_bin() -> Path | None:
    """The directory of the PostgreSQL server programs, or ``None``."""
    if os.environ.get("KOPCORE_PG_BIN"):
        return Path(os.environ["KOPCORE_PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_programs() -> list[str]:
    """What this machine lacks to run local clusters and PgBouncer."""
    directory = pg_bin()
    missing = [] if directory and (directory / "initdb").exists() else ["initdb", "pg_ctl"]
    if shutil.which("pgbouncer") is None:
        missing.append("pgbouncer")
    return missing


def scratch_directory(prefix: str) -> Path:
    """A new temporary directory the ``postgres`` user can enter, for clusters and bouncers."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    directory.chmod(0o755)  # the clusters run as the postgres user
    return directory


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _give_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def _run(args: list[str]) -> None:
    done = subprocess.run([*_as_postgres(), *args], capture_output=True, text=True,  # noqa: S603
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


class LocalCluster:
    """One scratch PostgreSQL cluster: :meth:`start`, :attr:`url`, :meth:`stop`."""

    def __init__(self, directory: Path, *, port: int | None = None,
                 max_connections: int = 100) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.max_connections = max_connections
        self.bin = pg_bin() or Path("/usr/bin")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def start(self) -> LocalCluster:
        self.directory.mkdir(parents=True, exist_ok=True)
        _give_to_postgres(self.directory)
        data = self.directory / "data"
        _run([str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--no-sync", "--locale=C"])
        settings = (f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{self.directory}'\n"
                    f"max_connections = {self.max_connections}\nfsync = off\n"
                    "synchronous_commit = off\nfull_page_writes = off\n"
                    "shared_buffers = 32MB\n"
                    # moves by logical replication: a publication on one, a subscription
                    # on the other
                    "wal_level = logical\nmax_replication_slots = 20\n"
                    "max_wal_senders = 20\nmax_logical_replication_workers = 8\n"
                    "max_sync_workers_per_subscription = 4\nmax_worker_processes = 16\n")
        with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(settings)
        _run([str(self.bin / "pg_ctl"), "-D", str(data), "-l",
              str(self.directory / "server.log"), "-w", "-t", "60", "start"])
        return self

    def stop(self) -> None:
        data = self.directory / "data"
        if data.exists():
            subprocess.run([*_as_postgres(), str(self.bin / "pg_ctl"),  # noqa: S603
                            "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, check=False)


    def create_databases(self, *names: str) -> None:
        """``CREATE DATABASE`` each of ``names`` on this cluster."""
        admin = create_engine(self.url.replace("postgresql://", "postgresql+psycopg://")
                              + "/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                for name in names:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()


class LocalPgBouncer:
    """PgBouncer in transaction pooling mode in front of a :class:`LocalCluster`."""

    def __init__(self, directory: Path, cluster: LocalCluster, *, pool_size: int = 10,
                 max_client_conn: int = 1000) -> None:
        self.directory = directory
        self.cluster = cluster
        self.port = free_port()
        self.pool_size = pool_size
        self.max_client_conn = max_client_conn
        self.process: subprocess.Popen[Any] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def start(self) -> LocalPgBouncer:
        self.directory.mkdir(parents=True, exist_ok=True)
        _give_to_postgres(self.directory)
        users = self.directory / "userlist.txt"
        users.write_text('"postgres" ""\n', encoding="utf-8")
        conf = self.directory / "pgbouncer.ini"
        conf.write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.cluster.port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\n"
            f"unix_socket_dir = {self.directory}\n"
            f"auth_type = trust\nauth_file = {users}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\nmax_client_conn = {self.max_client_conn}\n"
            "server_reset_query =\nignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.directory / 'pgbouncer.log'}\n", encoding="utf-8")
        for path in (users, conf):
            _give_to_postgres(path)
        self.process = subprocess.Popen([*_as_postgres(), "pgbouncer", str(conf)],  # noqa: S603
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                engine = create_engine(self.url.replace("postgresql://",
                                                        "postgresql+psycopg://") + "/postgres",
                                       connect_args={"prepare_threshold": None})
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                engine.dispose()
                return self
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("pgbouncer did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
