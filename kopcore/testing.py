"""pytest plugin with the kernel's test fixtures, for kopcore's tests and for plugin authors.

Installed with kopcore (entry point ``pytest11``), so a plugin's own test suite gets ``kernel``,
``make_kernel`` and ``database_url`` without copying anything. Every test that takes ``kernel``
runs on the database chosen for the session.

``KOPCORE_TEST_DATABASE`` picks it: unset or ``sqlite`` → a fresh SQLite file per test;
a ``postgresql://`` URL → a database created for the session on that server (each test gets an
empty schema). Tests marked ``postgres_only`` skip on SQLite with a visible reason. When the URL
is set but the server cannot be reached, the session skips on a developer machine and fails under
CI (``CI=true``), where PostgreSQL is required.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kopcore._test_templates import MigratedTemplates, is_empty
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.settings import Settings


def use_hypothesis_profile() -> None:
    """Register the hypothesis profiles shared by kopcore's and its plugins' test suites and
    load one: ``$HYPOTHESIS_PROFILE``, else ``ci`` under CI (bounded, derandomised), else
    ``dev``. ``heavy`` is for runs on demand. Call it from a conftest; calling it from several
    is harmless, as they all load the same profile."""
    from hypothesis import HealthCheck, settings

    quiet = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
    settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                              suppress_health_check=quiet)
    settings.register_profile("dev", max_examples=20, deadline=None, suppress_health_check=quiet)
    settings.register_profile("heavy", max_examples=1000, deadline=None,
                              suppress_health_check=quiet)
    default = "ci" if os.environ.get("CI") else "dev"
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", default))


#: Fixed first business date so tests are reproducible.
START_DATE = date(2026, 1, 5)

TEST_DATABASE = os.environ.get("KOPCORE_TEST_DATABASE", "sqlite")
ON_POSTGRES = TEST_DATABASE.startswith("postgres")
#: ``KOPCORE_TEST_TEMPLATES=0`` migrates every test's database for real instead of copying a
#: migrated template into it (kopcore/_test_templates.py).
USE_TEMPLATES = os.environ.get("KOPCORE_TEST_TEMPLATES", "1") != "0"


def pytest_report_header(config: pytest.Config) -> str:
    where = make_url(_psycopg(TEST_DATABASE)).render_as_string() if ON_POSTGRES else "SQLite files"
    return f"kopcore test database: {where}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: runs in the postgres tox env (KOPCORE_TEST_DATABASE=postgresql://...)"
    )
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _psycopg(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A throw-away PostgreSQL database for the session (None on SQLite)."""
    if not ON_POSTGRES:
        yield None
        return
    admin_url = make_url(_psycopg(TEST_DATABASE))
    name = f"kopcore_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        message = f"PostgreSQL at {admin_url.render_as_string()} is not reachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI requires PostgreSQL)", pytrace=False)
        pytest.skip(message)
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    admin.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path, postgres_database: str | None) -> str:
    """An empty database for one test."""
    if postgres_database is None:
        return f"sqlite:///{tmp_path / 'kopcore.db'}"
    engine = create_engine(postgres_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return postgres_database


KernelFactory = Callable[..., Kernel]


def maintenance_url(postgres_database: str) -> str:
    """The server's maintenance database (the one ``KOPCORE_TEST_DATABASE`` names), for
    creating and dropping databases. Never hold a connection to the session's database for
    that: a test's first kernel recreates that database from its template, ending every
    connection to it."""
    return make_url(postgres_database).set(
        database=make_url(_psycopg(TEST_DATABASE)).database).render_as_string(
        hide_password=False)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory,
                       postgres_database: str | None) -> Iterator[MigratedTemplates]:
    """Migrated empty databases, one per plugin set, copied into each test's database by
    ``make_kernel`` instead of migrating it again (kopcore/_test_templates.py)."""
    workdir = tmp_path_factory.mktemp("templates")
    if postgres_database is None:
        templates = MigratedTemplates(workdir)
    else:
        templates = MigratedTemplates(workdir, maintenance_url(postgres_database),
                                      make_url(postgres_database).database or "kopcore_test")
    yield templates
    templates.drop()


@pytest.fixture
def make_kernel(database_url: str, migrated_templates: MigratedTemplates
                ) -> Iterator[KernelFactory]:
    """Build a migrated kernel. Keyword arguments: ``plugins`` (entry-point names to enable;
    default none), ``extra_plugins`` ((name, object) pairs registered directly) and any
    :class:`Settings` field. The first kernel of a test starts from a copy of its plugin set's
    migrated template; a later one on the same database is migrated for real."""
    made: list[Kernel] = []

    def factory(*, plugins: tuple[str, ...] = (), extra_plugins: Any = (),
                **overrides: Any) -> Kernel:
        settings = Settings(database_url=database_url, plugins=plugins, **overrides)
        extra_plugins = tuple(extra_plugins)
        copied = USE_TEMPLATES and is_empty(database_url)
        if copied:
            # The template was migrated to the heads of exactly these migration sources.
            migrated_templates.copy_into(database_url, plugins, extra_plugins)
        kernel = Kernel.start(settings, extra_plugins=extra_plugins, migrate=not copied,
                              initial_date=START_DATE)
        made.append(kernel)
        return kernel

    yield factory
    for kernel in made:
        kernel.close()


@pytest.fixture
def kernel(make_kernel: KernelFactory) -> Kernel:
    """A migrated kernel with only the built-in plugins, business date 2026-01-05."""
    return make_kernel()


def add_user(ctx: Context, username: str, role: str, member_id: int | None = None, *,
             office: str | None = None) -> None:
    """Create the user ``username`` with ``role`` (``member_id``: the member a user with the
    ``member`` role is), inside ``kernel.write``, in ``office`` (an office code; default: the
    head office)."""
    from kopcore import _auth as auth
    from kopcore.ledger._offices import get_office

    office_id = get_office(ctx.conn, office).id if office is not None else ctx.office_id
    auth.create_user(ctx.conn, username, role, member_id, office_id=office_id)


def api_key(ctx: Context, username: str) -> str:
    """Issue an API key for ``username``, inside ``kernel.write``; returns the key to send as
    ``Authorization: Bearer <key>``."""
    from kopcore import _auth as auth

    return auth.issue_key(ctx.conn, username, "test")[1]


def verify_books(ctx: Context, *, digests: bool = True) -> Any:
    """What ``kopcore verify`` reports of the books in ``ctx``'s transaction: every check of the
    kernel's and every plugin's ``kopcore_verify``; ``.errors`` is empty when all hold."""
    from kopcore.ledger._verify import verify_books as verify

    return verify(ctx, digests=digests)


def principal(kernel: Kernel, username: str) -> Any:
    """The authenticated principal of ``username``, as the API and the CLI establish it."""
    from kopcore import _auth as auth

    return kernel.read(username, lambda ctx: auth.principal_for(ctx.conn, kernel.plugins,
                                                                username))


def run_operation(kernel: Kernel, operation: str, raw: Mapping[str, Any], *, as_user: str,
                  from_text: bool = False) -> Any:
    """Run ``operation`` as ``as_user`` through the steps behind every route and command, on
    ``raw`` input as a route (or, with ``from_text``, a command line) receives it; return its
    JSON payload. Refusals raise :class:`~kopcore.errors.KopcoreError`."""
    from kopcore._service import invoke

    op = kernel.plugins.operations[operation].value
    return invoke(kernel, op, raw, principal(kernel, as_user), interface="test",
                  from_text=from_text).payload


class RunningServer:
    """The kernel's API and web apps served by uvicorn on a free local port, in a thread:
    ``with RunningServer(kernel) as server: httpx.get(server.url + "/api/v1/...")``.

    For tests that need a real HTTP server: a provider's test double calling back, a browser.
    ``app`` serves another ASGI app instead of the kernel's (a platform of many cooperatives:
    ``RunningServer(None, app=platform)``)."""

    def __init__(self, kernel: Kernel | None, *, app: Any = None) -> None:
        import uvicorn  # the kernel's own server; imported only where a test serves

        from kopcore.interfaces.api import make_app

        if app is None:
            assert kernel is not None, "a kernel or an app to serve"
            app = make_app(kernel)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, once started."""
        socket = self._server.servers[0].sockets[0]
        host, port = socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the kopcore server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


class Cooperative:
    """A test cooperative for plugin suites, driven through the public interfaces.

    It creates ``admin`` and ``teller`` users and a teller cash account ``CASH-01`` funded with
    ``capital``; :meth:`call` runs an operation with :func:`kopcore._service.invoke` (the path
    behind every route and command) as an identified user. Subclass it to add a plugin's own
    steps.
    """

    CASH = "CASH-01"
    _serial = itertools.count(1)

    def __init__(self, kernel: Kernel, *, capital: str = "1000000000") -> None:
        self.kernel = kernel

        def users(ctx: Context) -> None:
            add_user(ctx, "admin", "admin")
            add_user(ctx, "teller", "teller")

        kernel.write("system", users)
        self.call("accounts.open-internal", name="Kas Teller", gl_key="cash", number=self.CASH)
        self.call("entries.post", memo="Modal awal", lines=[
            {"account": self.CASH, "side": "debit", "amount": capital},
            {"account": "GL-equity.grants", "side": "credit", "amount": capital}])

    def principal(self, username: str) -> Any:
        return principal(self.kernel, username)

    def call(self, operation: str, /, *, as_user: str = "admin", **raw: Any) -> Any:
        """Run ``operation`` as ``as_user`` and return its JSON payload. ``raw`` is the input
        as a route or a command receives it (``audit.list`` takes ``operation=...`` too)."""
        return run_operation(self.kernel, operation, raw, as_user=as_user)

    def member(self, name: str = "Ni Luh Ayu", *, nik_prefix: str = "517101150890") -> str:
        """Register and activate a member (a fresh valid NIK each time); returns the number."""
        serial = next(self._serial)
        number = self.call("members.register", name=name,
                           nik=f"{nik_prefix}{serial:04d}")["member_number"]
        self.call("members.activate", member=number)
        return str(number)

    def user(self, username: str, role: str) -> str:
        """Create a user with ``role`` (``users.create``); returns ``username``."""
        self.call("users.create", username=username, role=role)
        return username

    def member_user(self, member: str) -> str:
        """A user with the member role, linked to the member numbered ``member``; returns
        the username."""
        username = f"m-{member.lower()}"
        self.call("users.create", username=username, role="member", member=member)
        return username

    def api_key(self, username: str) -> str:
        """A new API key of ``username`` (``keys.issue``), for ``Authorization: Bearer``."""
        return str(self.call("keys.issue", username=username, label="test")["api_key"])

    def snapshot(self) -> tuple[Any, ...]:
        """Everything money: entries, postings and every account's balance, hold and status."""

        def read(ctx: Any) -> tuple[Any, ...]:
            from sqlalchemy import func, select

            from kopcore import query

            a = query.accounts.c
            return (
                ctx.conn.execute(select(func.count()).select_from(query.journal_entries))
                .scalar(),
                ctx.conn.execute(select(func.count()).select_from(query.postings)).scalar(),
                tuple(ctx.conn.execute(select(a.number, a.balance, a.held, a.status)
                                       .order_by(a.id)).all()),
            )

        return self.kernel.read("auditor", read)

    def refused(self, error: type[Exception], operation: str, /, **raw: Any) -> Any:
        """Run an operation that must be refused with ``error`` and change nothing."""
        before = self.snapshot()
        with pytest.raises(error) as caught:
            self.call(operation, **raw)
        assert self.snapshot() == before
        return caught.value

    def books_balance(self) -> None:
        """Trial balance at zero (debits = credits), cached balances = postings, and every
        enabled plugin's records agree with the ledger (``verify`` without the journal pass)."""
        from kopcore import ledger
        from kopcore.ledger._verify import verify_books

        tb = self.call("reports.trial-balance")
        assert tb["total_debit"] == tb["total_credit"]
        assert self.kernel.read("auditor", ledger.ledger_invariants) == []
        report = self.kernel.read("auditor", lambda ctx: verify_books(ctx, digests=False))
        assert report.errors == []
