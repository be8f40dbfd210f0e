"""``kopcore db upgrade``: the kernel's migration branch and every enabled plugin's, to heads.

A plugin's migrations stay in its namespace: its branch is labelled with the plugin's name, each
revision id starts with it (``savings0001``) and each table it creates is named ``<plugin>_...``.
The upgrade checks all three and refuses, naming the plugin, before anything is committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from kopcore._plugin_manager import in_namespace
from kopcore.errors import PluginError

if TYPE_CHECKING:
    from kopcore.kernel import Kernel
    from kopcore.records import MigrationSource

MIGRATIONS = Path(__file__).parent / "migrations"
KERNEL_BRANCH = "kopcore"


def _sources(kernel: Kernel) -> list[tuple[str, MigrationSource]]:
    return kernel.plugins.call("kopcore_migrations")


def _builtin(kernel: Kernel, plugin: str) -> bool:
    return any(loaded.builtin for loaded in kernel.plugins.loaded if loaded.name == plugin)


def alembic_config(kernel: Kernel) -> Config:
    """An Alembic config whose version locations are the kernel's and the enabled plugins'."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    locations = [str(MIGRATIONS / "versions")]
    for _plugin, source in _sources(kernel):
        locations.append(str(source.path))
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    return config


def check_revisions(kernel: Kernel, config: Config) -> None:
    """Refuse a plugin whose branch label or revision ids are outside its namespace."""
    owners = {Path(source.path).resolve(): (plugin, source.branch)
              for plugin, source in _sources(kernel) if not _builtin(kernel, plugin)}
    for plugin, branch in owners.values():
        if branch != plugin:
            raise PluginError(f"plugin {plugin!r}: migration branch {branch!r} must be named "
                              f"after the plugin ({plugin!r})")
    for revision in ScriptDirectory.from_config(config).walk_revisions():
        owner = owners.get(Path(revision.path).resolve().parent)
        if owner is not None and not _own_revision(owner[0], revision.revision):
            raise PluginError(f"plugin {owner[0]!r}: migration revision {revision.revision!r} "
                              f"must start with {owner[0]!r}")


def _own_revision(plugin: str, revision: str) -> bool:
    """``savings0001`` and ``savings.0001`` are the savings plugin's; ``savingsplus0001`` is
    not."""
    rest = revision[len(plugin):]
    return in_namespace(plugin, revision) or (revision.startswith(plugin) and rest[:1].isdigit())


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def upgrade(kernel: Kernel, revision: str = "heads") -> None:
    """Upgrade the database to the newest revision of every branch, in one transaction; safe to
    run again. The kernel's branches go first, then each plugin's, and the tables each plugin's
    branch created are checked against its namespace."""
    config = alembic_config(kernel)
    check_revisions(kernel, config)
    with kernel.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        if revision != "heads":
            command.upgrade(config, revision)
            return
        sources = _sources(kernel)
        kernel_branches = [KERNEL_BRANCH] + [source.branch for plugin, source in sources
                                             if _builtin(kernel, plugin)]
        for branch in kernel_branches:
            command.upgrade(config, f"{branch}@head")
        for plugin, source in sources:
            if _builtin(kernel, plugin):
                continue
            before = _tables(conn)
            command.upgrade(config, f"{source.branch}@head")
            outside = sorted(name for name in _tables(conn) - before
                             if not in_namespace(plugin, name))
            if outside:
                raise PluginError(f"plugin {plugin!r}: its migrations create table(s) "
                                  f"{', '.join(outside)} outside its namespace: name them "
                                  f"'{plugin}_...'")


def current_heads(kernel: Kernel) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    with kernel.db.engine.connect() as conn:
        return sorted(MigrationContext.configure(conn).get_current_heads())
