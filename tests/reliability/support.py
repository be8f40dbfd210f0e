"""Shared machinery of the reliability tests and of the soak run (``python -m bench.soak``).

- :class:`Processes` starts subprocesses in their own process group and kills every group it
  started when closed (the ``processes`` fixture closes it even when a test fails);
- :class:`Server` is ``kopcore serve`` on a free loopback port, killed with SIGKILL on demand and
  started again on the same port;
- :func:`seed` builds a cooperative with the savings and loans plugins through the operations'
  handlers (many in one transaction, so a few hundred accounts take seconds);
- :class:`Load` runs client threads doing deposits, withdrawals, transfers and loan repayments
  over HTTP, each request with its own ``Idempotency-Key``, and records what each client was told;
- :func:`books_problems`, :func:`balances` and :func:`expected_balances` check the books.

Every random choice comes from a :class:`random.Random` seeded by the caller.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import httpx

from kopcore import _auth as auth
from kopcore.context import Context
from kopcore.interfaces._convert import dump, load
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.settings import Settings
from kopcore.testing import START_DATE, Cooperative

CASH = Cooperative.CASH
PLUGINS = ("savings", "loans")
#: Seconds to wait for a server to answer /health, a subprocess to finish, a client's retries.
START_TIMEOUT = 90.0
RETRY_TIMEOUT = 120.0


def rounds(default: int) -> int:
    """Kill rounds: ``$KOPCORE_RELIABILITY_ROUNDS`` raises the default on demand."""
    raw = os.environ.get("KOPCORE_RELIABILITY_ROUNDS", "")
    return max(default, int(raw)) if raw.strip() else default


def wait_for(condition: Callable[[], bool], what: str, timeout: float = RETRY_TIMEOUT) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kopcore_argv(*args: str) -> list[str]:
    """The ``kopcore`` command run by this interpreter (no dependency on PATH)."""
    return [sys.executable, "-c", "from kopcore.cli import main; main()", *args]


def plain_url(url: str) -> str:
    """A database URL as a settings file spells it (``postgresql://``, not ``+psycopg``)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def write_settings(directory: Path, database_url: str, **extra: Any) -> Path:
    """A kopcore.toml in ``directory`` for ``database_url`` with the savings and loans plugins."""
    lines = [f'database_url = "{plain_url(database_url)}"',
             "plugins = [" + ", ".join(f'"{p}"' for p in PLUGINS) + "]",
             'cooperative_name = "KSP Uji Ketahanan"']
    lines += [f"{key} = {value!r}" for key, value in extra.items()]
    path = directory / "kopcore.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("KOPCORE_DATABASE_URL", "KOPCORE_PLUGINS", "KOPCORE_SETTINGS",
                         "KOPCORE_LANGUAGE")}
    env.update(extra)
    return env


# --- subprocesses -------------------------------------------------------------------------------


class Processes:
    """Subprocesses, each the leader of its own process group; :meth:`close` kills them all."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._started: list[subprocess.Popen[bytes]] = []
        self._serial = itertools.count(1)

    def spawn(self, argv: list[str], *, name: str, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.Popen[bytes]:
        log = self.log_dir / f"{next(self._serial):03d}-{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                    cwd=cwd, start_new_session=True)
        proc.log_path = log  # type: ignore[attr-defined]
        self._started.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the process's whole group and reap it."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def close(self) -> None:
        for proc in self._started:
            self.kill(proc)
        self._started.clear()


def log_tail(proc: subprocess.Popen[bytes], lines: int = 40) -> str:
    path: Path | None = getattr(proc, "log_path", None)
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_command(processes: Processes, argv: list[str], *, name: str,
                env: dict[str, str] | None = None, timeout: float = START_TIMEOUT
                ) -> tuple[int, str]:
    """Run a subprocess to its end; returns its exit code and its output."""
    proc = processes.spawn(argv, name=name, env=env)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        processes.kill(proc)
        raise AssertionError(f"{name} still running after {timeout}s:\n{log_tail(proc)}") from None
    return code, log_tail(proc, 200)


class Server:
    """``kopcore serve`` on a loopback port; :meth:`kill` is SIGKILL, :meth:`start` again."""

    def __init__(self, processes: Processes, settings: Path, *, env: dict[str, str] | None = None
                 ) -> None:
        self.processes = processes
        self.settings = settings
        self.env = env or child_env()
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.procs: list[subprocess.Popen[bytes]] = []
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = kopcore_argv("--settings", str(self.settings), "serve", "--host", "127.0.0.1",
                            "--port", str(self.port))
        self.starts += 1
        self.proc = self.processes.spawn(argv, name=f"serve-{self.starts}", env=self.env)
        self.procs.append(self.proc)
        deadline = time.monotonic() + START_TIMEOUT
        with httpx.Client(timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"kopcore serve exited with {self.proc.returncode}:\n"
                                         f"{log_tail(self.proc)}")
                try:
                    if client.get(self.url + "/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.kill()
        raise AssertionError(f"kopcore serve did not answer within {START_TIMEOUT}s")

    def kill(self) -> None:
        if self.proc is not None:
            self.processes.kill(self.proc)

    def output(self) -> str:
        """Everything every server process started here has written."""
        return "\n".join(log_tail(proc, 1_000_000) for proc in self.procs)


# --- the cooperative ----------------------------------------------------------------------------


@attrs.frozen
class Seeded:
    """What :func:`seed` built: API keys by user, members and their sukarela accounts (in the
    same order), loans (auto-debit on)."""

    keys: dict[str, str]
    members: tuple[str, ...]
    savings: tuple[str, ...]
    loans: tuple[str, ...]


def start_kernel(database_url: str, *, migrate: bool = False) -> Kernel:
    settings = Settings(database_url=database_url, plugins=PLUGINS)
    return Kernel.start(settings, migrate=migrate, initial_date=START_DATE if migrate else None)


def handle(ctx: Context, kernel: Kernel, operation: str, **raw: Any) -> Any:
    """Run one operation's handler inside the caller's transaction; returns its JSON payload."""
    op = kernel.plugins.operations[operation].value
    return dump(op.handler(ctx, load(op.input, raw)))


def seed(database_url: str, *, members: int, loans: int = 0, deposit: str = "5000000",
         interest_rate: str = "0", batch: int = 100) -> Seeded:
    """A migrated cooperative: admin, manager and teller (each with an API key), a teller cash
    account ``CASH-01`` with Rp10,000,000,000, ``members`` active members each with a sukarela
    account holding ``deposit``, and ``loans`` of Rp12,000,000 (flat, 12 months, 18 %, accrual
    basis, auto-debit on) disbursed in cash to the first members."""
    kernel = start_kernel(database_url, migrate=True)
    try:
        coop = Cooperative(kernel, capital="10000000000")

        def staff(ctx: Context) -> dict[str, str]:
            auth.create_user(ctx.conn, "manager", "manager")
            return {name: auth.issue_key(ctx.conn, name, "reliability")[1]
                    for name in ("admin", "manager", "teller")}

        keys = kernel.write("system", staff)
        coop.call("savings.product-create", code="SUKARELA", name="Simpanan Sukarela",
                  type="sukarela", interest_rate=interest_rate)
        coop.call("loans.product-create", as_user="manager", code="PMU",
                  name="Pinjaman Modal Usaha", method="flat", frequency="monthly",
                  annual_rate="18", min_amount="100000", max_amount="100000000", min_term=1,
                  max_term=60, accounting="accrual")
        accounts: list[tuple[str, str]] = []
        for first in range(0, members, batch):
            def open_some(ctx: Context, first: int = first) -> list[tuple[str, str]]:
                opened = []
                for i in range(first, min(first + batch, members)):
                    member = handle(ctx, kernel, "members.register", name=f"Anggota {i:05d}",
                                    nik=f"5171011508{i + 1:06d}")["member_number"]
                    handle(ctx, kernel, "members.activate", member=member)
                    number = handle(ctx, kernel, "savings.open", member=member,
                                    product="SUKARELA")["account"]["number"]
                    handle(ctx, kernel, "savings.deposit", account=number, amount=deposit,
                           cash_account=CASH)
                    opened.append((member, number))
                return opened

            accounts += kernel.write("admin", open_some)
        loan_numbers = []
        for i in range(loans):
            applied = coop.call("loans.apply", as_user="teller", member=accounts[i][0],
                                product="PMU",
                                amount="12000000", term=12, auto_debit=True)
            coop.call("loans.approve", as_user="manager", loan=applied["number"])
            coop.call("loans.disburse", as_user="teller", loan=applied["number"],
                      to_savings=False, cash_account=CASH)
            loan_numbers.append(str(applied["number"]))
        return Seeded(keys=keys, members=tuple(m for m, _ in accounts),
                      savings=tuple(n for _, n in accounts),
                      loans=tuple(loan_numbers))
    finally:
        kernel.close()


# --- checking the books -------------------------------------------------------------------------


def books_problems(kernel: Kernel) -> list[str]:
    """What is wrong with the books: the trial balance (total debits = total credits, per
    currency), then ``kopcore verify`` (:func:`kopcore.ledger._verify.verify_books`) when the
    kernel has it, else the ledger's invariants (every entry balanced, cached balance = sum of
    postings). Findings of severity ``info`` (entries not sealed yet) are not problems."""
    from kopcore import ledger

    def check(ctx: Context) -> list[str]:
        problems = []
        tb = ledger.trial_balance(ctx, ctx.business_date)
        for currency, (debit, credit) in tb["totals"].items():
            if debit != credit:
                problems.append(f"trial balance in {currency}: debits {debit} != credits {credit}")
        try:
            from kopcore.ledger._verify import verify_books
        except ImportError:
            return problems + list(ledger.ledger_invariants(ctx))
        report = verify_books(ctx)
        problems += [repr(p) for p in report.problems if p.severity != "info"]
        if not report.ok and not problems:
            problems.append(f"verify_books: not ok: {report.problems!r}")
        return problems

    return list(kernel.read("auditor", check))


def balances(kernel: Kernel, numbers: Iterable[str]) -> dict[str, int]:
    """Cached balances (minor units, normal side) of the named accounts."""
    from kopcore import ledger

    wanted = list(numbers)
    return kernel.read("auditor", lambda ctx: {
        n: ledger.get_account(ctx, n).balance.minor for n in wanted})


def business_date(kernel: Kernel) -> date:
    return kernel.read("system", lambda ctx: ctx.business_date)


def entry_count(kernel: Kernel) -> int:
    from sqlalchemy import func, select

    from kopcore._db import tables as t

    return int(kernel.read("auditor", lambda ctx: ctx.conn.execute(
        select(func.count()).select_from(t.journal_entries)).scalar_one()))


# --- load over HTTP -----------------------------------------------------------------------------


@attrs.define
class Request:
    """One operation a client sent, with its key, and what it was finally told."""

    client: int
    key: str
    operation: str
    body: dict[str, Any]
    #: "ok" (2xx), "refused" (4xx problem), "unknown" (no answer / 503: to be retried)
    outcome: str = "unknown"
    status: int = 0
    response: Any = None
    error_code: str | None = None
    #: HTTP status of every attempt: 0 when the server was not there (connection refused),
    #: IN_FLIGHT when the connection broke after the request was sent
    attempts: list[int] = attrs.field(factory=list)
    #: Seconds the last attempt took
    latency: float = 0.0

    @property
    def amount(self) -> int:
        return Money.parse(self.body["amount"]).minor


IN_FLIGHT = -1


class ServerError(AssertionError):
    """The server answered 500, or something else than problem+json for an error."""


def send(http: httpx.Client, base_url: str, token: str, request: Request) -> None:
    """POST the request once; sets its outcome. Raises :class:`ServerError` on a 500."""
    started = time.perf_counter()
    try:
        reply = http.post(f"{base_url}/api/v1/{request.operation.replace('.', '/')}",
                          json=request.body, headers={"Authorization": f"Bearer {token}",
                                                      "Idempotency-Key": request.key})
    except httpx.ConnectError:
        request.attempts.append(0)
        return
    except httpx.TransportError:
        request.attempts.append(IN_FLIGHT)
        return
    finally:
        request.latency = time.perf_counter() - started
    request.status = reply.status_code
    request.attempts.append(reply.status_code)
    if reply.status_code == 503:
        assert reply.headers["content-type"].startswith("application/problem+json"), reply.text
        return
    if reply.status_code >= 500 or (reply.status_code >= 400 and not reply.headers.get(
            "content-type", "").startswith("application/problem+json")):
        raise ServerError(f"{request.operation} answered {reply.status_code}: {reply.text}")
    if reply.status_code >= 400:
        request.outcome, request.error_code = "refused", reply.json()["code"]
    else:
        request.outcome, request.response = "ok", reply.json()


OPERATIONS = ("savings.deposit", "savings.withdraw", "savings.transfer", "loans.repay")


def make_request(rng: random.Random, client: int, serial: int, seeded: Seeded, tag: str
                 ) -> Request:
    """A random deposit, withdrawal, transfer or (when there are loans) loan repayment."""
    weights = (4, 4, 3, 1 if seeded.loans else 0)
    operation = rng.choices(OPERATIONS, weights)[0]
    amount = str(rng.randrange(1, 500) * 1000)
    account = rng.choice(seeded.savings)
    key = f"{tag}-c{client}-{serial}"
    if operation == "savings.transfer":
        other = rng.choice([a for a in seeded.savings if a != account])
        body = {"from_account": account, "to_account": other, "amount": amount}
    elif operation == "loans.repay":
        body = {"loan": rng.choice(seeded.loans), "amount": str(rng.randrange(1, 50) * 1000),
                "cash_account": CASH}
    else:
        body = {"account": account, "amount": amount, "cash_account": CASH}
    return Request(client=client, key=key, operation=operation, body=body)


class Load:
    """Client threads sending random operations to ``server`` until :meth:`stop`.

    A request that gets no answer (connection refused or reset, 503) is kept as ``unknown`` and
    the client moves on while ``retry_unknown`` is false (the crash tests resolve them after the
    restart); with ``retry_unknown`` the client retries the same key until it gets an answer.
    """

    def __init__(self, server: Server, seeded: Seeded, *, clients: int, seed: int, tag: str,
                 retry_unknown: bool = False, pause: float = 0.0,
                 count_server_errors: bool = False) -> None:
        self.server = server
        self.seeded = seeded
        self.clients = clients
        self.tag = tag
        self.retry_unknown = retry_unknown
        self.pause = pause
        self.count_server_errors = count_server_errors
        self.requests: list[Request] = []
        self.failures: list[BaseException] = []
        self._rngs = [random.Random(seed * 1000 + i) for i in range(clients)]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True,
                                          name=f"client-{i}") for i in range(self.clients)]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = RETRY_TIMEOUT) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        hung = [t.name for t in self._threads if t.is_alive()]
        assert not hung, f"clients still running after {timeout}s: {hung}"
        if self.failures:
            raise self.failures[0]

    def _client(self, i: int) -> None:
        rng = self._rngs[i]
        token = self.seeded.keys["admin"]
        serial = itertools.count(1)
        try:
            with httpx.Client(timeout=60.0) as http:
                while not self._stop.is_set():
                    request = make_request(rng, i, next(serial), self.seeded, self.tag)
                    with self._lock:
                        self.requests.append(request)
                    self._send(http, token, request)
                    if self.retry_unknown:
                        deadline = time.monotonic() + RETRY_TIMEOUT
                        while request.outcome == "unknown" and time.monotonic() < deadline:
                            time.sleep(0.05)
                            self._send(http, token, request)
                    elif request.outcome == "unknown":
                        time.sleep(0.05)
                    if self.pause:
                        time.sleep(self.pause)
        except BaseException as exc:
            self.failures.append(exc)

    def _send(self, http: httpx.Client, token: str, request: Request) -> None:
        try:
            send(http, self.server.url, token, request)
        except ServerError as exc:
            if not self.count_server_errors:
                raise
            request.outcome, request.error_code = "server-error", str(exc)[:200]

    def succeeded(self) -> int:
        with self._lock:
            return sum(r.outcome == "ok" for r in self.requests)

    def outcomes(self) -> Counter[str]:
        return Counter(r.outcome if r.outcome != "refused" else f"refused:{r.error_code}"
                       for r in self.requests)


def resolve(server: Server, token: str, requests: Iterable[Request],
            timeout: float = RETRY_TIMEOUT) -> None:
    """Send every ``unknown`` request again with its key until it has an answer."""
    pending = [r for r in requests if r.outcome == "unknown"]
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=60.0) as http:
        while pending:
            assert time.monotonic() < deadline, f"{len(pending)} requests never answered"
            for request in pending:
                send(http, server.url, token, request)
            pending = [r for r in pending if r.outcome == "unknown"]
            if pending:
                time.sleep(0.2)


def replay(http: httpx.Client, server: Server, token: str, request: Request) -> httpx.Response:
    """Send an answered request again with the same key and body."""
    return http.post(f"{server.url}/api/v1/{request.operation.replace('.', '/')}",
                     json=request.body, headers={"Authorization": f"Bearer {token}",
                                                 "Idempotency-Key": request.key})


def expected_balances(initial: dict[str, int], requests: Iterable[Request]) -> dict[str, int]:
    """Sukarela and cash balances implied by the successful requests (minor units)."""
    expected = dict(initial)
    for r in requests:
        if r.outcome != "ok":
            continue
        if r.operation == "savings.deposit":
            expected[r.body["account"]] += r.amount
            expected[CASH] += r.amount
        elif r.operation == "savings.withdraw":
            expected[r.body["account"]] -= r.amount
            expected[CASH] -= r.amount
        elif r.operation == "savings.transfer":
            expected[r.body["from_account"]] -= r.amount
            expected[r.body["to_account"]] += r.amount
        elif r.operation == "loans.repay":
            expected[CASH] += r.amount
    return expected


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for first in range(0, len(items), size):
        yield items[first:first + size]


def entry_of(request: Request) -> dict[str, Any]:
    """The journal entry an answered request posted (savings answer with it, loans inside)."""
    response = request.response
    return dict(response.get("entry", response))


def entries(kernel: Kernel, ids: Iterable[int]) -> dict[int, tuple[str, int]]:
    """Memo and number of postings of the given journal entries that exist."""
    from sqlalchemy import func, select

    from kopcore._db import tables as t

    wanted = sorted(set(ids))
    e, p = t.journal_entries.c, t.postings.c
    found: dict[int, tuple[str, int]] = {}
    for part in chunks(wanted, 500):
        def read(ctx: Context, part: list[int] = part) -> list[Any]:
            return list(ctx.conn.execute(
                select(e.id, e.memo, func.count(p.entry_id))
                .join(t.postings, p.entry_id == e.id)
                .where(e.id.in_(part)).group_by(e.id, e.memo)).all())

        found.update({row[0]: (row[1], row[2]) for row in kernel.read("auditor", read)})
    return found


def outstanding(kernel: Kernel, loans: Iterable[str]) -> dict[str, int]:
    """Outstanding principal of each loan, minor units."""
    wanted = list(loans)
    return kernel.read("auditor", lambda ctx: {
        n: Money.parse(handle(ctx, kernel, "loans.get", loan=n)["outstanding_principal"]
                       ["amount"]).minor for n in wanted})


@contextlib.contextmanager
def database_copy(database_url: str, directory: Path) -> Iterator[str]:
    """A copy of the database, dropped afterwards: an SQLite file copied with the online backup
    API, or a PostgreSQL database created from it as a template (no one may be connected)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        import sqlite3

        target = directory / f"copy-{uuid.uuid4().hex[:8]}.db"
        with contextlib.closing(sqlite3.connect(str(url.database))) as source, \
                contextlib.closing(sqlite3.connect(str(target))) as copy:
            source.backup(copy)
        yield f"sqlite:///{target}"
        return
    name = f"{url.database}_copy_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- a private PostgreSQL cluster ---------------------------------------------------------------


def postgres_bin() -> Path | None:
    """The directory of initdb and pg_ctl (PostgreSQL 15 first), or None."""
    import glob
    import shutil

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: (not p.startswith("/usr/lib/postgresql/15/"), p))
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def has_postgres_user() -> bool:
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


def _as_postgres() -> list[str]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` user."""
    import shutil

    if os.geteuid() != 0:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"]
    return ["su", "postgres", "-s", "/bin/sh", "-c"]  # pragma: no cover - fallback


class PrivateCluster:
    """A throw-away PostgreSQL cluster (initdb) on a free port, stopped and started at will;
    its sockets live in its own directory. :meth:`close` stops it and removes everything."""

    def __init__(self, bindir: Path) -> None:
        import pwd
        import shutil
        import tempfile

        self.bindir = bindir
        self.directory = Path(tempfile.mkdtemp(prefix="kopcore-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self._rmtree = shutil.rmtree
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        argv = [str(self.bindir / tool), *args]
        prefix = _as_postgres()
        if prefix[:1] == ["su"]:
            import shlex

            argv = [*prefix, shlex.join(argv)]
        else:
            argv = [*prefix, *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=START_TIMEOUT,
                              cwd=self.directory)
        if done.returncode != 0:
            raise AssertionError(f"{tool} failed ({done.returncode}): {done.stdout}{done.stderr}")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=100")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "server.log"),
                  "-w", "-t", "60", "-o", options, "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def close(self) -> None:
        try:
            if self.running():
                self.stop()
        finally:
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():  # pg_ctl failed: kill the postmaster's group ourselves
                with contextlib.suppress(ValueError, OSError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
            self._rmtree(self.directory, ignore_errors=True)
