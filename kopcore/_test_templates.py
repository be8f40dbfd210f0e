"""Migrated empty databases for the test fixtures, built once per set of migration branches.

Migrating a fresh database through every plugin's Alembic branch takes seconds; a test suite that
starts a kernel in each of its two thousand tests spends most of its time there. The fixture
``make_kernel`` therefore migrates one *template* per set of migration sources (the kernel's and
the enabled plugins' version directories, exactly what ``kopcore db upgrade`` would run) and copies
it into each test's empty database: SQLite through the backup API, PostgreSQL with
``CREATE DATABASE ... TEMPLATE``. A database that already holds tables (a second kernel in the same
test, or a test that migrated it itself) is migrated the usual way, so upgrades between plugin sets
are still run for real.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from kopcore._db import Database, make_engine
from kopcore._plugin_manager import PluginHost
from kopcore.kernel import Kernel
from kopcore.settings import Settings

#: One template's identity: each migration source as (plugin, branch, resolved directory).
TemplateKey = tuple[tuple[str, str, str], ...]


def template_key(plugins: PluginHost) -> TemplateKey:
    return tuple((plugin, source.branch, str(Path(source.path).resolve()))
                 for plugin, source in plugins.call("kopcore_migrations"))


def is_empty(database_url: str) -> bool:
    """No tables yet: the database a test fixture just handed out."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


class MigratedTemplates:
    """The session's templates. ``workdir`` holds SQLite templates; ``admin_url`` (PostgreSQL)
    is a connection to the server's maintenance database, where templates are created, each named
    after ``prefix``."""

    def __init__(self, workdir: Path, admin_url: str | None = None, prefix: str = "") -> None:
        self.workdir = workdir
        self.admin_url = admin_url
        #: PostgreSQL: templates are named ``<prefix>_tpl<n>`` (the session database's name).
        self.prefix = prefix
        self._made: dict[TemplateKey, str] = {}

    def copy_into(self, database_url: str, plugins: tuple[str, ...],
                  extra_plugins: Iterable[tuple[str, object]]) -> None:
        """Copy the migrated template of this plugin set into ``database_url`` (empty)."""
        host = PluginHost.load(plugins, extra=extra_plugins)
        key = template_key(host)
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite":
            self._copy_sqlite(self._template(key, host, sqlite=True), Path(url.database or ""))
        else:
            self._copy_postgres(self._template(key, host, sqlite=False), url.database or "")

    def _template(self, key: TemplateKey, host: PluginHost, *, sqlite: bool) -> str:
        made = self._made.get(key)
        if made is not None:
            return made
        number = len(self._made)
        if sqlite:
            name = str(self.workdir / f"template-{number}.db")
            url = f"sqlite:///{name}"
        else:
            assert self.admin_url is not None
            name = f"{self.prefix}_tpl{number}"
            self._admin(f'CREATE DATABASE "{name}"')
            url = make_url(self.admin_url).set(database=name).render_as_string(
                hide_password=False)
        try:
            _migrate(url, host)
        except BaseException:
            if not sqlite:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            raise
        self._made[key] = name
        return name

    def _copy_sqlite(self, template: str, target: Path) -> None:
        source = sqlite3.connect(template)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()

    def _copy_postgres(self, template: str, target: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{target}" TEMPLATE "{template}"')

    def _admin(self, statement: str) -> None:
        assert self.admin_url is not None
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
        finally:
            engine.dispose()

    def drop(self) -> None:
        """Drop the PostgreSQL templates (SQLite's go with their directory)."""
        if self.admin_url is not None:
            for name in self._made.values():
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._made.clear()


def _migrate(url: str, host: PluginHost) -> None:
    from kopcore._db.migrate import upgrade

    settings = Settings(database_url=url)
    engine = make_engine(url)
    kernel: Any = Kernel(settings, Database(engine), host)
    try:
        upgrade(kernel)
    finally:
        engine.dispose()
