"""Fresh books for each example of a stateful test, fast enough for hypothesis.

:func:`fresh_kernel_factory` builds a template once (migrated, with every installed product
plugin enabled, set up by the caller) and returns a function that brings the same kernel back to
exactly that template before each example:

- SQLite: the database file is replaced by a copy of the template file (as
  ``test_ledger_properties`` does);
- PostgreSQL: every table is emptied (``TRUNCATE ... RESTART IDENTITY``) and refilled with the
  template's rows, and each id sequence is set past the largest id. Migrating again would take
  seconds per example with four plugins' branches.

Everything the test needs (users, products, cash) is written into the template, so nothing a
plugin may cache in memory can go stale between examples.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import MetaData, create_engine, insert, select, text

from kopcore.kernel import Kernel
from kopcore.settings import Settings
from kopcore.testing import START_DATE

#: The product plugins; the installed ones are enabled.
PRODUCT_PLUGINS = ("savings", "loans", "ppob", "sharia")
INSTALLED = tuple(sorted({ep.name for ep in entry_points(group="kopcore")}
                         & set(PRODUCT_PLUGINS)))


def fresh_kernel_factory(tmp_path_factory: pytest.TempPathFactory,
                         postgres_database: str | None,
                         set_up: Callable[[Kernel], None], *,
                         initial_date: date = START_DATE) -> Callable[[], Kernel]:
    """Build the template with ``set_up`` and return ``make()``, giving the kernel on a fresh
    copy of it. The caller closes the kernel after each example."""
    settings = Settings(database_url="sqlite://unused", plugins=INSTALLED)
    if postgres_database is None:
        folder = tmp_path_factory.mktemp("model-cooperative")
        template, books = folder / "template.db", folder / "books.db"
        made = Kernel.start(attrs.evolve(settings, database_url=f"sqlite:///{template}"),
                            migrate=True, initial_date=initial_date)
        set_up(made)
        made.close()
        assert not Path(f"{template}-wal").exists()  # everything is in the file we copy
        shutil.copyfile(template, books)
        kernel = Kernel.start(attrs.evolve(settings, database_url=f"sqlite:///{books}"))

        def make() -> Kernel:
            kernel.close()  # no pooled connection may keep the previous example's file open
            for leftover in (Path(f"{books}-wal"), Path(f"{books}-shm")):
                leftover.unlink(missing_ok=True)
            shutil.copyfile(template, books)
            return kernel

        return make

    engine = create_engine(postgres_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    made = Kernel.start(attrs.evolve(settings, database_url=postgres_database), migrate=True,
                        initial_date=initial_date)
    set_up(made)
    made.close()
    metadata = MetaData()
    engine = create_engine(postgres_database)
    metadata.reflect(engine)
    tables = [table for table in metadata.sorted_tables if table.name != "alembic_version"]
    with engine.connect() as conn:
        rows: dict[str, list[dict[str, Any]]] = {
            table.name: [dict(row._mapping) for row in conn.execute(select(table))]
            for table in tables}
        sequences = [(table.name, column.name) for table in tables for column in table.columns
                     if conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                     {"t": table.name, "c": column.name}).scalar()]
    kernel = Kernel.start(attrs.evolve(settings, database_url=postgres_database))

    def make_on_postgres() -> Kernel:
        kernel.close()
        with engine.begin() as conn:
            names = ", ".join(f'"{table.name}"' for table in tables)
            # The journal refuses TRUNCATE (revision k0004): the tables' owner switches their
            # triggers off for this reset, in this transaction only.
            for table in tables:
                conn.execute(text(f'ALTER TABLE "{table.name}" DISABLE TRIGGER USER'))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for table in tables:
                if rows[table.name]:
                    conn.execute(insert(table), rows[table.name])
            for table in tables:
                conn.execute(text(f'ALTER TABLE "{table.name}" ENABLE TRIGGER USER'))
            for table_name, column in sequences:
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table_name}', '{column}'), "
                    f'COALESCE((SELECT MAX("{column}") FROM "{table_name}"), 0) + 1, false)'))
        return kernel

    return make_on_postgres
