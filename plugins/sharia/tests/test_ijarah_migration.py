"""Revision sharia0009 (``sh0009_ijarah``): a migrated kernel has the ijarah tables; the
revision's downgrade drops them, leaving sharia0008's, and its upgrade creates them again."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import kopcore_sharia
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sharia_coop import Coop

TABLES = {"sharia_ijarah_assets", "sharia_ijarah"}


def revision() -> ModuleType:
    path = Path(kopcore_sharia.__file__).parent / "migrations" / "sh0009_ijarah.py"
    spec = importlib.util.spec_from_file_location("sh0009_ijarah", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_ijarah_revision_downgrades_and_upgrades(coop: Coop) -> None:
    module = revision()
    assert (module.revision, module.down_revision) == ("sharia0009", "sharia0008")
    engine = coop.kernel.db.engine
    with engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) >= TABLES
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.downgrade()
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        assert not TABLES & names
        assert "sharia_zis_movements" in names
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()
    with engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) >= TABLES
