"""One cooperative of the platform as a running kernel: its settings, its engine on its cluster,
and the bound every process keeps on each cluster's connections.

A tenant's settings are the platform's settings file (plugins' defaults, limits) with the
tenant's own keys from the registry laid over them: its name, language, integrity key and any
other cooperative setting, and its enabled plugins. Nothing else is shared between tenants: each
has its own database, kernel, plugin host and web app (:mod:`kopcore._tenants.platform`).

**Connections per cluster.** Each tenant's engine keeps at most one idle connection; a
:class:`ClusterGate` per cluster lets at most ``max_connections`` transactions of this process
run on the cluster at once (a transaction nested in another on the same thread, as end of day
runs its chunks inside a read, counts once); one that finds the cluster full waits up to
:data:`GATE_TIMEOUT` seconds, then is refused with ``cluster-busy`` (503). The platform also
closes the idle connection of the tenants least recently used on a cluster when more than
``max_connections`` of them hold one, so a process opens at most twice ``max_connections``
connections to a cluster, however many tenants live there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

import attrs
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url

from kopcore._db.database import Database
from kopcore._plugin_manager import PluginHost
from kopcore._tenants.registry import Cluster, Tenant
from kopcore.errors import KopcoreError, message
from kopcore.kernel import Kernel
from kopcore.settings import Settings

T = TypeVar("T")

#: Seconds a transaction waits for a free connection on its cluster before it is refused.
GATE_TIMEOUT = 10.0

#: The settings a tenant may set for itself (the others are the platform's).
TENANT_KEYS = frozenset({"cooperative_name", "language", "currency", "integrity_key", "chart",
                         "approval_thresholds", "eod_chunk_size", "shu", "units",
                         "notification_channel", "environment"})


class ClusterBusy(KopcoreError):
    code = "cluster-busy"
    title = "Service unavailable"
    status = 503


class ClusterGate:
    """At most ``limit`` transactions of this process at once on one cluster."""

    def __init__(self, name: str, limit: int, timeout: float = GATE_TIMEOUT) -> None:
        self.name = name
        self.limit = limit
        self.timeout = timeout
        self._free = threading.BoundedSemaphore(limit)
        self._local = threading.local()
        self._lock = threading.Lock()
        self.in_use = 0
        #: Highest number of transactions seen at once (a figure for tests and the bench).
        self.peak = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        depth: int = getattr(self._local, "depth", 0)
        if depth == 0:
            if not self._free.acquire(timeout=self.timeout):
                raise ClusterBusy(message("every connection to the cooperative's database "
                                          "server is busy; retry in a moment"),
                                  retry_after=1)
            with self._lock:
                self.in_use += 1
                self.peak = max(self.peak, self.in_use)
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                with self._lock:
                    self.in_use -= 1
                self._free.release()


class GatedDatabase(Database):
    """A tenant's transaction runner: every transaction passes its cluster's gate."""

    def __init__(self, engine: Engine, gate: ClusterGate, *, retries: int = 8,
                 on_use: Callable[[], None] | None = None) -> None:
        super().__init__(engine, retries=retries)
        self.gate = gate
        self.on_use = on_use

    def _run(self, work: Callable[[Connection], T], *, write: bool) -> T:
        with self.gate.held():
            try:
                return super()._run(work, write=write)
            finally:
                if self.on_use is not None:
                    self.on_use()


def tenant_settings(platform: Settings, tenant: Tenant, cluster: Cluster) -> Settings:
    """The platform's settings with the tenant's database, plugins and own keys."""
    own = {key: value for key, value in tenant.settings.items() if key in TENANT_KEYS}
    own.setdefault("environment", {})  # never the process's: the cooperative's own only
    parsed = Settings.from_mapping({**own, "plugins": list(tenant.plugins)},
                                   source=f"tenant {tenant.slug}")
    url = cluster.database_url(tenant.database)
    if cluster.pooler == "pgbouncer":
        url += "?pooler=pgbouncer"
    return attrs.evolve(platform, database_url=url,
                        plugins=tuple(tenant.plugins), source=f"tenant {tenant.slug}",
                        **{key: getattr(parsed, key) for key in own})


def tenant_engine(cluster: Cluster, database: str) -> Engine:
    """The engine of one tenant's database: one idle connection kept, up to the cluster's
    budget in use; through PgBouncer (transaction pooling) without server-side prepared
    statements, which a pooled server connection cannot keep."""
    url = make_url(cluster.database_url(database)).set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {}
    if cluster.pooler == "pgbouncer":
        connect_args["prepare_threshold"] = None
    return create_engine(url, pool_size=1, max_overflow=max(cluster.max_connections - 1, 0),
                         pool_recycle=1800, connect_args=connect_args)


@attrs.define
class TenantKernels:
    """Builds the kernels of tenants, with one :class:`ClusterGate` per cluster."""

    platform: Settings
    gates: dict[str, ClusterGate] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def gate(self, cluster: Cluster) -> ClusterGate:
        with self._lock:
            gate = self.gates.get(cluster.name)
            if gate is None or gate.limit != cluster.max_connections:
                gate = self.gates[cluster.name] = ClusterGate(cluster.name,
                                                              cluster.max_connections)
            return gate

    def open(self, tenant: Tenant, cluster: Cluster, *, prepare: bool = True,
             initial_date: date | None = None, on_use: Callable[[], None] | None = None
             ) -> Kernel:
        """A kernel on the tenant's database (``prepare``: checked and its chart synced, as
        :meth:`Kernel.start` does)."""
        settings = tenant_settings(self.platform, tenant, cluster)
        plugins = PluginHost.load(settings.plugins)
        db = GatedDatabase(tenant_engine(cluster, tenant.database), self.gate(cluster),
                           retries=settings.transaction_retries, on_use=on_use)
        kernel = Kernel(settings, db, plugins)
        if prepare:
            try:
                kernel.prepare(initial_date=initial_date)
            except BaseException:
                kernel.close()
                raise
        return kernel


def own_settings(name: str, integrity_key: str, language: str | None,
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A new tenant's own settings."""
    values: dict[str, Any] = {"cooperative_name": name, "integrity_key": integrity_key}
    if language is not None:
        values["language"] = language
    values.update(extra or {})
    return values


def admin_kernel(platform: Settings, tenant: Tenant, cluster: Cluster, *,
                 as_app_user: bool = False, writable: bool = False) -> Kernel:
    """A kernel on the tenant's database through the cluster's administrator URL, directly
    (never through the pooler), not prepared. ``as_app_user``: every session takes the apps'
    role (``SET ROLE``), so what it creates is theirs; ``writable``: it writes even while the
    database is frozen (:func:`kopcore._tenants.clusters.freeze`)."""
    from sqlalchemy import event

    from kopcore._tenants.clusters import app_user

    settings = tenant_settings(platform, tenant, cluster)
    url = make_url(cluster.database_url(tenant.database, admin=True)).set(
        drivername="postgresql+psycopg")
    engine = create_engine(url, pool_size=1, max_overflow=1)
    role = app_user(cluster) if as_app_user else None
    statements = ([f'SET ROLE "{role}"'] if role else []) + \
        (["SET default_transaction_read_only = off"] if writable else [])
    if statements:
        @event.listens_for(engine, "connect")
        def _session(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
            dbapi_connection.commit()

    return Kernel(settings, Database(engine), PluginHost.load(settings.plugins))
