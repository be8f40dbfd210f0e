"""Benchmark databases: a throw-away SQLite file or PostgreSQL database, migrated by kopcore,
seeded set-based, plus the raw driver connections the baselines use.

The raw connections are configured like the kernel's: SQLite in WAL mode with
``synchronous=FULL``, foreign keys on and ``BEGIN IMMEDIATE`` write transactions; PostgreSQL at
the server's default isolation (READ COMMITTED) and ``synchronous_commit``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import attrs

from kopcore.kernel import Kernel
from kopcore.settings import Settings

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
START_DATE = date(2026, 1, 5)
CURRENCY = "IDR"
CASH = "BENCH-CASH"
MEMBER_PRODUCT = "bench.member"
#: Every member account starts with this balance (minor units) so transfers never hit a floor.
OPENING_MINOR = 10**12
DIGEST = "0" * 64
#: What the raw baselines store in ``journal_entries.digest``: a value of the shape and length
#: kopcore's entry digest has ("s1:" nonce ":" SHA-256), so both sides write the same bytes;
#: computing the hash is kopcore's own work.
ENTRY_DIGEST = "s1:" + "0" * 16 + ":" + "0" * 64


def postgres_admin_url() -> str:
    return os.environ.get("KOPCORE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _libpq(url: str) -> str:
    """A plain ``postgresql://`` URL for psycopg (SQLAlchemy's ``+psycopg`` removed)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


@contextmanager
def raw_transaction(conn: Any, *, sqlite: bool) -> Iterator[Any]:
    """One write transaction on a raw driver connection (sqlite3 or psycopg); yields a cursor.
    SQLite's begins IMMEDIATE: the write lock is taken up front, as kopcore takes it."""
    if sqlite:
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")
        return
    with conn.transaction(), conn.cursor() as cur:
        yield cur


@attrs.define
class Target:
    """One benchmark database: its kernel URL and how to open raw connections to it."""

    name: str  # "sqlite" or "postgres"
    url: str  # for kopcore (Settings.database_url)
    path: Path | None = None  # SQLite file
    kernels: list[Kernel] = attrs.field(factory=list)

    @property
    def placeholder(self) -> str:
        return "?" if self.name == "sqlite" else "%s"

    def sql(self, text: str) -> str:
        """SQL written with ``%s`` placeholders, in this driver's paramstyle."""
        return text.replace("%s", "?") if self.name == "sqlite" else text

    def kernel(self, *, extra_plugins: Iterable[tuple[str, object]] = (),
               migrate: bool = False, plugins: tuple[str, ...] = (), **settings: Any) -> Kernel:
        """A kernel on this database with ``plugins`` installed (default: built-ins only)."""
        kernel = Kernel.start(Settings(database_url=self.url, plugins=plugins, **settings),
                              extra_plugins=extra_plugins, migrate=migrate,
                              initial_date=START_DATE)
        self.kernels.append(kernel)
        return kernel

    def raw_connect(self) -> Any:
        """A raw driver connection configured like the kernel's."""
        if self.name == "sqlite":
            assert self.path is not None
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        import psycopg

        return psycopg.connect(_libpq(self.url))

    def raw_transaction(self, conn: Any) -> AbstractContextManager[Any]:
        """One write transaction on a raw connection; yields a cursor."""
        return raw_transaction(conn, sqlite=self.name == "sqlite")

    def now(self) -> Any:
        """A ``created_at`` value as this driver stores it."""
        value = datetime.now(UTC)
        return value.isoformat(sep=" ") if self.name == "sqlite" else value

    def day(self, value: date) -> Any:
        return value.isoformat() if self.name == "sqlite" else value

    def close(self) -> None:
        for kernel in self.kernels:
            kernel.close()
        self.kernels.clear()


@contextmanager
def open_target(name: str, label: str) -> Iterator[Target]:
    """A fresh, migrated database; removed (SQLite file) or dropped (PostgreSQL) afterwards.

    ``label`` names the SQLite folder; on PostgreSQL the database is ``kopcore_bench_<pid>``."""
    if name == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"kopcore_bench_{label}_"))
        path = folder / "bench.db"
        target = Target("sqlite", f"sqlite:///{path}", path)
        try:
            target.kernel(migrate=True)
            yield target
        finally:
            target.close()
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg

    admin = _libpq(postgres_admin_url())
    database = f"kopcore_bench_{os.getpid()}"  # one at a time: each workload recreates it
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    base, _, _ = admin.rpartition("/")
    target = Target("postgres", f"{base}/{database}")
    try:
        target.kernel(migrate=True)
        yield target
    finally:
        target.close()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@attrs.frozen
class Seeded:
    """What :func:`seed_members` wrote: account numbers and ids (``ids[i]`` is ``numbers[i]``)."""

    cash_number: str
    cash_id: int
    numbers: list[str]
    ids: list[int]


def seed_digest(memo: str, created: Any, legs: list[tuple[int, int, str]]) -> str:
    """The entry digest kopcore would store with a seeded opening entry (no integrity key, as
    the bench's kernels have none), so the seeded journal is sealed as kopcore's own entries
    are: each digest checked, not hashed as a pre-digest (legacy) entry."""
    from kopcore.ledger._integrity import entry_digest

    moment = datetime.fromisoformat(created) if isinstance(created, str) else created
    return entry_digest(None, {
        "business_date": START_DATE, "memo": memo, "actor": "bench", "operation": "bench.seed",
        "idempotency_key": None, "request_digest": DIGEST, "reverses_entry_id": None,
        "created_at": moment}, legs)


def seed_members(target: Target, count: int, *, product: str = MEMBER_PRODUCT,
                 prefix: str = "BM", opening_minor: int = OPENING_MINOR,
                 entry_per_account: bool = False) -> Seeded:
    """Set-based seed: ``count`` active members, each with one liability account (floor 0)
    holding ``opening_minor``, funded from the cash account (created on first use) by one
    opening entry so the ledger balances, or with ``entry_per_account`` by one opening entry
    per account (a journal with some history, so PostgreSQL's statistics and plans after
    ``ANALYZE`` are those of a journal, not of a one-row table). Written with the raw driver
    in one transaction (seeding is not measured); on PostgreSQL ``ANALYZE`` follows.
    """
    conn = target.raw_connect()
    q = target.sql
    day = target.day(START_DATE)
    try:
        with target.raw_transaction(conn) as cur:
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM members")
            first_member = int(cur.fetchone()[0]) + 1
            cur.executemany(
                q("INSERT INTO members (member_number, name, nik, status, applied_on, joined_on)"
                  " VALUES (%s, %s, %s, 'active', %s, %s)"),
                [(f"{prefix}M{first_member + i:08d}", f"Anggota {first_member + i}",
                  f"51{first_member + i:014d}", day, day) for i in range(count)],
            )
            cur.execute(q("SELECT id FROM accounts WHERE number = %s"), (CASH,))
            if cur.fetchone() is None:
                cur.execute(
                    q("INSERT INTO accounts (number, name, gl_key, member_id, product_code, "
                      "plugin, currency, normal_sign, status, balance, held, floor, opened_on) "
                      "VALUES (%s, 'Kas teller', 'cash', NULL, NULL, 'kopcore', %s, 1, 'open', "
                      "0, 0, 0, %s)"),
                    (CASH, CURRENCY, day),
                )
            cur.executemany(
                q("INSERT INTO accounts (number, name, gl_key, member_id, product_code, plugin,"
                  " currency, normal_sign, status, balance, held, floor, opened_on) VALUES "
                  "(%s, %s, 'payable.other', %s, %s, 'kopcore', %s, -1, 'open', %s, 0, 0, %s)"),
                [(f"{prefix}{first_member + i:08d}", f"Titipan {first_member + i}",
                  first_member + i, product, CURRENCY, -opening_minor, day)
                 for i in range(count)],
            )
            cur.execute(q("SELECT id FROM accounts WHERE number = %s"), (CASH,))
            cash_id = int(cur.fetchone()[0])
            cur.execute(q("SELECT id, number FROM accounts WHERE product_code = %s ORDER BY id"),
                        (product,))
            rows = cur.fetchall()
            insert_posting = q("INSERT INTO postings (entry_id, account_id, amount, currency) "
                               "VALUES (%s, %s, %s, %s)")
            if entry_per_account:
                memo = f"Saldo awal {product} "
                created = target.now()
                cur.executemany(
                    q("INSERT INTO journal_entries (business_date, memo, actor, operation, "
                      "request_digest, created_at, digest) VALUES (%s, %s, 'bench', "
                      "'bench.seed', %s, %s, %s)"),
                    [(day, memo + str(r[1]), DIGEST, created, seed_digest(
                        memo + str(r[1]), created, [(cash_id, opening_minor, CURRENCY),
                                                    (int(r[0]), -opening_minor, CURRENCY)]))
                     for r in rows])
                cur.execute(q("SELECT id, memo FROM journal_entries WHERE memo LIKE %s"),
                            (memo + "%",))
                entry_of = {str(m)[len(memo):]: int(i) for i, m in cur.fetchall()}
                cur.executemany(insert_posting, [
                    posting for r in rows for posting in (
                        (entry_of[str(r[1])], cash_id, opening_minor, CURRENCY),
                        (entry_of[str(r[1])], int(r[0]), -opening_minor, CURRENCY))])
            else:
                legs = [(cash_id, opening_minor * len(rows), CURRENCY)] + [
                    (int(r[0]), -opening_minor, CURRENCY) for r in rows]
                memo, created = f"Saldo awal {product}", target.now()
                cur.execute(
                    q("INSERT INTO journal_entries (business_date, memo, actor, operation, "
                      "request_digest, created_at, digest) VALUES (%s, %s, 'bench', "
                      "'bench.seed', %s, %s, %s) RETURNING id"),
                    (day, memo, DIGEST, created, seed_digest(memo, created, legs)),
                )
                entry_id = int(cur.fetchone()[0])
                cur.executemany(insert_posting, [(entry_id, *leg) for leg in legs])
            cur.execute(q("UPDATE accounts SET balance = balance + %s WHERE id = %s"),
                        (opening_minor * len(rows), cash_id))
        if target.name == "postgres":
            with conn.cursor() as cur:
                conn.autocommit = True
                cur.execute("ANALYZE")
    finally:
        conn.close()
    return Seeded(CASH, cash_id, [str(r[1]) for r in rows], [int(r[0]) for r in rows])


@contextmanager
def clone_target(source: Target, suffix: str) -> Iterator[Target]:
    """A copy of ``source`` as it is now (for a baseline that must start from the same state
    but write elsewhere); removed or dropped afterwards. The source's kernels are closed first
    (PostgreSQL copies a database only while nobody is connected to it)."""
    source.close()
    if source.name == "sqlite":
        assert source.path is not None
        path = source.path.with_name(f"{source.path.stem}_{suffix}.db")
        with sqlite3.connect(source.path) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        clone = Target("sqlite", f"sqlite:///{path}", path)
        try:
            yield clone
        finally:
            clone.close()
            for leftover in path.parent.glob(f"{path.name}*"):
                leftover.unlink(missing_ok=True)
        return
    import psycopg

    admin = _libpq(postgres_admin_url())
    base, _, name = source.url.rpartition("/")
    database = f"{name}_{suffix}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{name}"')
    clone = Target("postgres", f"{base}/{database}")
    try:
        yield clone
    finally:
        clone.close()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
