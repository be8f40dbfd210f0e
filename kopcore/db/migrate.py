"""``kopcore db upgrade``: the kernel's migration branch and every enabled plugin's, to heads."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

if TYPE_CHECKING:
    from kopcore.kernel import Kernel

MIGRATIONS = Path(__file__).parent / "migrations"
KERNEL_BRANCH = "kopcore"


def alembic_config(kernel: Kernel) -> Config:
    """An Alembic config whose version locations are the kernel's and the enabled plugins'."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    locations = [str(MIGRATIONS / "versions")]
    for _plugin, source in kernel.plugins.results("kopcore_migrations"):
        locations.append(str(source.path))
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    return config


def upgrade(kernel: Kernel, revision: str = "heads") -> None:
    """Upgrade the database to the newest revision of every branch, in one transaction per
    branch step; safe to run again."""
    config = alembic_config(kernel)
    with kernel.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_heads(kernel: Kernel) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    with kernel.db.engine.connect() as conn:
        return sorted(MigrationContext.configure(conn).get_current_heads())
