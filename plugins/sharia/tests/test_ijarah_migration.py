"""Revision sharia0009 creates the ijarah tables, downgrades to sharia0008 without them and
upgrades again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from kopcore._db.database import Database, make_engine
from kopcore._db.migrate import alembic_config, upgrade
from kopcore._plugin_manager import PluginHost
from kopcore.kernel import Kernel
from kopcore.settings import Settings

TABLES = {"sharia_ijarah_assets", "sharia_ijarah"}


def test_the_ijarah_revision_upgrades_and_downgrades(database_url: str) -> None:
    settings = Settings(database_url=database_url, plugins=("sharia",))
    kernel = Kernel(settings, Database(make_engine(database_url)),
                    PluginHost.load(settings.plugins))
    try:
        upgrade(kernel)
        with kernel.db.engine.connect() as conn:
            assert TABLES <= set(sa.inspect(conn).get_table_names())
        config = alembic_config(kernel)
        with kernel.db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "sharia0008")
        with kernel.db.engine.connect() as conn:
            assert not TABLES & set(sa.inspect(conn).get_table_names())
            assert "sharia_zis_movements" in sa.inspect(conn).get_table_names()
        upgrade(kernel)
        with kernel.db.engine.connect() as conn:
            assert TABLES <= set(sa.inspect(conn).get_table_names())
    finally:
        kernel.close()
