"""The tenant registry: which cooperative lives in which database on which PostgreSQL cluster.

A small database of its own (setting ``tenant_registry_url``, ``$KOPCORE_TENANT_REGISTRY_URL``),
apart from every cooperative's: PostgreSQL in production, an SQLite file will do for a trial.
Its tables are made and changed by its own Alembic revisions (``kopcore/_tenants/migrations``,
version table ``kopcore_registry_version``), upgraded whenever it is opened
(:func:`upgrade_registry`); a registry made before them is stamped at the first. It holds:

- ``tenant_clusters``: each PostgreSQL cluster: the URL the apps connect through (PgBouncer in
  production), the administrator's URL (creating databases, dumps and restores), and the most
  connections one process may use on it at once;
- ``tenants``: each cooperative: its slug (the host name label and path segment that find it),
  cluster, database, state, enabled plugins and its own settings (name, language, integrity
  key...), and a ``version`` that every change moves forward, so a serving process notices a
  moved or changed tenant;
- ``tenant_events``: what was done to each tenant and when (created, suspended, moved with the
  figures checked before and after, migrated).

The registry holds the clusters' administrator URLs and each tenant's integrity key: guard it
as the settings files are guarded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url

from kopcore._db import make_engine
from kopcore.errors import Conflict, NotFound, ValidationError, message

metadata = MetaData()

#: The registry's own Alembic revisions and version table (never a cooperative's).
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "kopcore_registry_version"
#: The revision whose tables a registry made before the revisions (``create_all``) holds.
FIRST_REVISION = "r0001"
#: The transaction-scoped advisory lock two processes opening a new registry take on PostgreSQL.
UPGRADE_LOCK = 0x6B6F7072  # "kopr"

#: What a tenant can be: ``creating`` (its database is being made), ``active``, ``suspended``
#: (every request refused), ``moving`` (between clusters: reads served, writes refused).
STATES = ("creating", "active", "suspended", "moving")

tenant_clusters = Table(
    "tenant_clusters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("url", String(500), nullable=False),
    Column("admin_url", String(500), nullable=False),
    Column("max_connections", Integer, nullable=False),
    Column("pooler", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("max_connections > 0", name="max_connections_positive"),
    CheckConstraint("pooler IN ('none','pgbouncer')", name="pooler_known"),
)

tenants = Table(
    "tenants",
    metadata,
    Column("slug", String(63), primary_key=True),
    Column("cluster", String(64), ForeignKey("tenant_clusters.name"), nullable=False),
    Column("database", String(63), nullable=False),
    Column("state", String(16), nullable=False),
    Column("plugins", Text, nullable=False),
    Column("settings", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("state IN ('creating','active','suspended','moving')", name="state_known"),
)

tenant_events = Table(
    "tenant_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(63), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("detail", Text, nullable=False),
)

#: A slug is one DNS label: lower-case letters, digits and inner hyphens, 3 to 40 characters.
SLUG = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
CLUSTER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


class TenantNotFound(NotFound):
    code = "tenant-not-found"
    title = "No such cooperative"


class TenantConflict(Conflict):
    code = "tenant-conflict"
    title = "Cooperative state conflict"


def check_slug(slug: str) -> str:
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ValidationError(message(
            "a cooperative's slug is 3 to 40 lower-case letters, digits and inner hyphens, "
            "starting with a letter; got {slug!r}", slug=str(slug)[:60]), field="slug")
    return slug


def database_name(slug: str) -> str:
    """The database a tenant gets: ``kop_<slug>`` with hyphens as underscores."""
    return "kop_" + slug.replace("-", "_")


def _now() -> datetime:
    return datetime.now(UTC)


@attrs.frozen
class Cluster:
    name: str
    url: str
    admin_url: str
    max_connections: int
    pooler: str

    def database_url(self, database: str, *, admin: bool = False) -> str:
        """The URL of ``database`` on this cluster, through the pooler unless ``admin``."""
        base = make_url(self.admin_url if admin else self.url)
        return base.set(database=database).render_as_string(hide_password=False)


@attrs.frozen
class Tenant:
    slug: str
    cluster: str
    database: str
    state: str
    plugins: tuple[str, ...]
    settings: Mapping[str, Any]
    version: int
    created_at: datetime

    @property
    def location(self) -> tuple[str, str, int]:
        """What a serving process's kernel for the tenant depends on."""
        return (self.cluster, self.database, self.version)


def _tenant(row: Any) -> Tenant:
    return Tenant(row.slug, row.cluster, row.database, row.state,
                  tuple(json.loads(row.plugins)), json.loads(row.settings), row.version,
                  row.created_at)


def _cluster(row: Any) -> Cluster:
    return Cluster(row.name, row.url, row.admin_url, row.max_connections, row.pooler)


def upgrade_registry(engine: Engine) -> list[str]:
    """Upgrade the registry to its newest revision in one transaction (a registry made by
    ``create_all`` before the revisions is stamped at :data:`FIRST_REVISION` first); returns
    the revisions it is then at. Safe to run again, and from two processes at once."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        config.attributes["connection"] = conn
        present = set(inspect(conn).get_table_names())
        if VERSION_TABLE not in present and "tenants" in present:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")
        return sorted(MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}).get_current_heads())


class Registry:
    """The registry database: read and change tenants and clusters."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Registry:
        """Connect to the registry, upgrading its tables to the newest revision."""
        engine = make_engine(url)
        try:
            upgrade_registry(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # --- clusters ---------------------------------------------------------------------------
    def add_cluster(self, name: str, url: str, *, admin_url: str | None = None,
                    max_connections: int = 20, pooler: str = "none") -> Cluster:
        if not CLUSTER_NAME.match(name):
            raise ValidationError(message("a cluster's name is lower-case letters, digits, "
                                          "'-' and '_', starting with a letter; got {name!r}",
                                          name=name[:70]), field="name")
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValidationError(message("a cluster's URL must be a postgresql:// URL"),
                                  field="url")
        if max_connections <= 0:
            raise ValidationError(message("max_connections must be a positive number"),
                                  field="max_connections")
        if pooler not in ("none", "pgbouncer"):
            raise ValidationError(message("pooler must be 'none' or 'pgbouncer'"),
                                  field="pooler")
        with self._begin() as conn:
            if conn.execute(select(tenant_clusters.c.name)
                            .where(tenant_clusters.c.name == name)).first():
                raise TenantConflict(message("cluster {name} is already registered", name=name))
            conn.execute(tenant_clusters.insert().values(
                name=name, url=url, admin_url=admin_url or url,
                max_connections=max_connections, pooler=pooler, created_at=_now()))
        return Cluster(name, url, admin_url or url, max_connections, pooler)

    def clusters(self) -> list[Cluster]:
        with self._begin() as conn:
            rows = conn.execute(select(tenant_clusters).order_by(tenant_clusters.c.name))
            return [_cluster(row) for row in rows]

    def cluster(self, name: str) -> Cluster:
        with self._begin() as conn:
            row = conn.execute(select(tenant_clusters)
                               .where(tenant_clusters.c.name == name)).first()
        if row is None:
            raise NotFound(message("no cluster {name} is registered", name=name))
        return _cluster(row)

    def least_loaded(self) -> Cluster:
        """The cluster with the fewest tenants for its connection budget (ties: by name)."""
        with self._begin() as conn:
            counts: dict[str, int] = dict(conn.execute(select(tenants.c.cluster, func.count())
                                       .group_by(tenants.c.cluster)).all())
        clusters = self.clusters()
        if not clusters:
            raise NotFound(message("no cluster is registered: add one with "
                                   "`kopcore tenants cluster-add`"))
        return min(clusters, key=lambda c: (counts.get(c.name, 0) / c.max_connections, c.name))

    # --- tenants ----------------------------------------------------------------------------
    def reserve(self, slug: str, cluster: str, plugins: tuple[str, ...],
                settings: Mapping[str, Any]) -> Tenant:
        """Record a new tenant in state ``creating`` (its slug is then taken)."""
        check_slug(slug)
        now = _now()
        with self._begin() as conn:
            if conn.execute(select(tenants.c.slug).where(tenants.c.slug == slug)).first():
                raise TenantConflict(message("a cooperative {slug} already exists", slug=slug))
            conn.execute(tenants.insert().values(
                slug=slug, cluster=cluster, database=database_name(slug), state="creating",
                plugins=json.dumps(list(plugins)), settings=json.dumps(dict(settings)),
                version=1, created_at=now, updated_at=now))
        return self.get(slug)

    def forget(self, slug: str) -> None:
        """Remove a tenant whose creation failed."""
        with self._begin() as conn:
            conn.execute(tenants.delete().where(tenants.c.slug == slug,
                                                tenants.c.state == "creating"))

    def get(self, slug: str) -> Tenant:
        row = self.find(slug)
        if row is None:
            raise TenantNotFound(message("no cooperative {slug} on this platform",
                                         slug=str(slug)[:60]))
        return row

    def find(self, slug: str) -> Tenant | None:
        with self._begin() as conn:
            row = conn.execute(select(tenants).where(tenants.c.slug == slug)).first()
        return None if row is None else _tenant(row)

    def all(self) -> list[Tenant]:
        with self._begin() as conn:
            return [_tenant(row) for row in conn.execute(select(tenants)
                                                        .order_by(tenants.c.slug))]

    def update(self, slug: str, *, expect_state: tuple[str, ...] | None = None,
               **values: Any) -> Tenant:
        """Change a tenant's ``state``, ``cluster``, ``database``, ``plugins`` or ``settings``,
        moving its version forward; with ``expect_state`` only from one of those states."""
        if "plugins" in values:
            values["plugins"] = json.dumps(list(values["plugins"]))
        if "settings" in values:
            values["settings"] = json.dumps(dict(values["settings"]))
        with self._begin() as conn:
            row = conn.execute(select(tenants).where(tenants.c.slug == slug)
                               .with_for_update()).first()
            if row is None:
                raise TenantNotFound(message("no cooperative {slug} on this platform",
                                             slug=slug))
            if expect_state is not None and row.state not in expect_state:
                raise TenantConflict(message(
                    "cooperative {slug} is {state}; this needs it {expected}", slug=slug,
                    state=row.state, expected=" or ".join(expect_state)))
            conn.execute(tenants.update().where(tenants.c.slug == slug).values(
                version=row.version + 1, updated_at=_now(), **values))
        return self.get(slug)

    def record(self, slug: str, kind: str, detail: Mapping[str, Any]) -> None:
        with self._begin() as conn:
            conn.execute(tenant_events.insert().values(slug=slug, at=_now(), kind=kind,
                                                       detail=json.dumps(dict(detail),
                                                                         default=str)))

    def events(self, slug: str) -> list[tuple[datetime, str, dict[str, Any]]]:
        with self._begin() as conn:
            rows = conn.execute(select(tenant_events).where(tenant_events.c.slug == slug)
                                .order_by(tenant_events.c.id))
            return [(row.at, row.kind, json.loads(row.detail)) for row in rows]
