"""The platform's ASGI app: each request is answered by the app of the cooperative it names.

A request names its cooperative by its **host name**, ``<slug>.<tenant_base_domain>``, or by a
**path prefix**, ``/t/<slug>/...``: the API, its provider callbacks and both web apps
(``/t/<slug>/app/``, ``/t/<slug>/anggota/``). Under a path prefix the tenant's app sees the
prefix as the ASGI ``root_path``, from which the web apps make every link, redirect, form
action and cookie path (:func:`kopcore.interfaces.web._base.mounted_at`): a session cookie of
one cooperative is only ever sent back to its own prefix, and presented to another's it names
no session there. Where a host name names a cooperative, the path is never read for another.

The tenant's record comes from the registry, re-read at most every :data:`REGISTRY_TTL`
seconds: unknown → ``tenant-not-found`` (404), suspended → ``tenant-suspended`` (403), moving →
reads served, writes refused with ``tenant-moving`` (503, ``Retry-After``). Each tenant has its
own kernel, plugin host and Litestar app (:func:`kopcore.interfaces.api.make_app`), built on
its first request and rebuilt when the registry moves it; at most ``tenant_apps_cached`` are
kept, the least recently used closed first. Nothing of one tenant's app is reachable from
another's: its database, sessions, keys, idempotency records and caches are its own.

Every log line written while a request is served starts with ``[tenant <slug>]``
(:func:`tag_log_records`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import anyio
import anyio.to_thread

from kopcore._i18n import negotiate
from kopcore._tenants.hosting import TenantKernels
from kopcore._tenants.registry import SLUG, Cluster, Registry, Tenant
from kopcore.errors import KopcoreError, NotFound, message
from kopcore.kernel import Kernel
from kopcore.settings import Settings

log = logging.getLogger(__name__)

#: Seconds a serving process trusts what it read of a tenant in the registry.
REGISTRY_TTL = 1.0
#: Seconds a client is asked to wait before retrying a write refused during a move.
MOVING_RETRY_AFTER = 5
PATH_PREFIX = "/t/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The tenant whose request is being served (``None`` outside one).
current_tenant: ContextVar[str | None] = ContextVar("kopcore_tenant", default=None)


class TenantSuspended(KopcoreError):
    code = "tenant-suspended"
    title = "Cooperative suspended"
    status = 403


class TenantMoving(KopcoreError):
    code = "tenant-moving"
    title = "Service unavailable"
    status = 503


class TenantUnavailable(KopcoreError):
    code = "service-unavailable"
    title = "Service unavailable"
    status = 503


class TenantUnknown(NotFound):
    code = "tenant-not-found"
    title = "No such cooperative"


_tagging_installed = False


def tag_log_records() -> None:
    """Make every log record created while a tenant's request is served start with
    ``[tenant <slug>]`` and carry the slug as its ``tenant`` attribute (``-`` outside a
    request), for formats such as uvicorn's access log that do not print the message: a log
    record factory, so it holds whatever handlers are configured."""
    global _tagging_installed
    if _tagging_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        slug = current_tenant.get()
        record.tenant = slug or "-"
        if slug is not None and isinstance(record.msg, str):
            record.msg = f"[tenant {slug}] {record.msg}"
        return record

    logging.setLogRecordFactory(factory)
    _tagging_installed = True


def _app_key(tenant: Tenant, cluster: Cluster) -> tuple[Any, ...]:
    return (tenant.cluster, tenant.database, tenant.plugins,
            json.dumps(dict(tenant.settings), sort_keys=True), cluster.url, cluster.pooler,
            cluster.max_connections)


class Hosted:
    """One tenant's kernel and app."""

    def __init__(self, key: tuple[Any, ...], kernel: Kernel, app: Any) -> None:
        self.key = key
        self.kernel = kernel
        self.app = app


class Platform:
    """The ASGI app serving every tenant of a registry."""

    def __init__(self, settings: Settings, registry: Registry, *,
                 make_app: Callable[[Kernel], Any] | None = None,
                 kernels: TenantKernels | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if make_app is None:
            from kopcore.interfaces.api import make_app as make_api_app

            make_app = make_api_app
        self.settings = settings
        self.registry = registry
        self.base_domain = (settings.tenant_base_domain or "").lower().strip(".") or None
        self.max_apps = settings.tenant_apps_cached
        self.kernels = kernels or TenantKernels(settings)
        self._make_app = make_app
        self._clock = clock
        self._records: dict[str, tuple[float, Tenant | None]] = {}
        self._clusters: tuple[float, dict[str, Cluster]] = (-1e9, {})
        self._hosted: OrderedDict[str, Hosted] = OrderedDict()
        self._building: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._warm: dict[str, OrderedDict[str, Kernel]] = {}
        self._warm_lock = threading.Lock()
        tag_log_records()

    # --- finding the tenant -----------------------------------------------------------------
    def route(self, scope: dict[str, Any]) -> tuple[str | None, dict[str, Any], bool]:
        """The slug a request names, the scope its app sees, and whether the slug came from
        the path."""
        if self.base_domain is not None:
            host = _host(scope)
            suffix = "." + self.base_domain
            if host.endswith(suffix):
                label = host[: -len(suffix)]
                return (label if "." not in label else ""), scope, False
        path: str = scope.get("path", "")
        if path.startswith(PATH_PREFIX):
            slug, _, rest = path[len(PATH_PREFIX):].partition("/")
            inner = dict(scope)
            prefix = PATH_PREFIX + slug
            inner["path"] = "/" + rest
            inner["raw_path"] = ("/" + rest).encode("latin-1", "replace")
            inner["root_path"] = scope.get("root_path", "") + prefix
            return slug, inner, True
        return None, scope, False

    def _record(self, slug: str) -> Tenant | None:
        now = self._clock()
        cached = self._records.get(slug)
        if cached is not None and now - cached[0] < REGISTRY_TTL:
            return cached[1]
        found = self.registry.find(slug) if SLUG.match(slug) else None
        self._records[slug] = (now, found)
        if len(self._records) > 4 * max(self.max_apps, 100):
            self._records.clear()
        return found

    def _cluster(self, name: str) -> Cluster:
        now = self._clock()
        fetched, known = self._clusters
        if now - fetched >= REGISTRY_TTL or name not in known:
            known = {cluster.name: cluster for cluster in self.registry.clusters()}
            self._clusters = (now, known)
        return known[name]

    # --- the tenants' apps ------------------------------------------------------------------
    def _used(self, slug: str, cluster: str, kernel: Kernel) -> None:
        """After each transaction of ``slug``: close the idle connection of the tenant least
        recently used on its cluster when more than the cluster's budget hold one."""
        with self._warm_lock:
            warm = self._warm.setdefault(cluster, OrderedDict())
            warm[slug] = kernel
            warm.move_to_end(slug)
            budget = self.kernels.gates[cluster].limit if cluster in self.kernels.gates else 1
            cooled = []
            while len(warm) > budget:
                cooled.append(warm.popitem(last=False)[1])
        for other in cooled:
            other.db.engine.dispose()

    def _build(self, tenant: Tenant, cluster: Cluster, key: tuple[Any, ...]) -> Hosted:
        holder: list[Kernel] = []
        kernel = self.kernels.open(
            tenant, cluster,
            on_use=lambda: self._used(tenant.slug, cluster.name, holder[0]) if holder else None)
        holder.append(kernel)
        return Hosted(key, kernel, self._make_app(kernel))

    def hosted(self, tenant: Tenant) -> Hosted:
        """The tenant's app, built when it has none or the registry moved or changed it.
        Runs in a worker thread (building connects to the tenant's database)."""
        cluster = self._cluster(tenant.cluster)
        key = _app_key(tenant, cluster)
        with self._lock:
            current = self._hosted.get(tenant.slug)
            if current is not None and current.key == key:
                self._hosted.move_to_end(tenant.slug)
                return current
            building = self._building.setdefault(tenant.slug, threading.Lock())
        with building:
            with self._lock:
                current = self._hosted.get(tenant.slug)
                if current is not None and current.key == key:
                    return current
            built = self._build(tenant, cluster, key)
            with self._lock:
                self._hosted[tenant.slug] = built
                self._hosted.move_to_end(tenant.slug)
                retired = [current] if current is not None else []
                while len(self._hosted) > self.max_apps:
                    retired.append(self._hosted.popitem(last=False)[1])
        for old in retired:
            log.info("closing the app of a cooperative (moved, changed or least recently used)")
            old.kernel.close()
        return built

    def close_apps(self) -> None:
        """Close every tenant's kernel (their apps are built again on their next request)."""
        with self._lock:
            hosted, self._hosted = list(self._hosted.values()), OrderedDict()
        for one in hosted:
            one.kernel.close()

    def close(self) -> None:
        self.close_apps()
        self.registry.close()

    # --- ASGI -------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        slug, inner, _by_path = self.route(scope)
        if slug is None:
            if scope.get("path") == "/health":
                await _text(send, 200, "ok")
                return
            await _problem(scope, send, TenantUnknown(message(
                "name the cooperative: its own host name, or /t/<slug>/ before the path")))
            return
        token = current_tenant.set(slug or None)
        try:
            await self._serve(slug, inner, receive, send)
        finally:
            current_tenant.reset(token)

    async def _serve(self, slug: str, scope: dict[str, Any], receive: Any, send: Any
                     ) -> None:
        try:
            tenant, hosted = await anyio.to_thread.run_sync(self._resolve, slug)
        except KopcoreError as exc:  # the cluster's connections all busy, say
            await _problem(scope, send, exc)
            return
        except Exception:
            log.exception("the cooperative cannot be served (registry or database)")
            await _problem(scope, send, TenantUnavailable(message(
                "the cooperative cannot be served right now; nothing was written. Retry in a "
                "moment."), retry_after=MOVING_RETRY_AFTER))
            return
        if tenant is None or tenant.state == "creating":
            await _problem(scope, send, TenantUnknown(message(
                "no cooperative {slug} on this platform", slug=slug[:60])))
            return
        if tenant.state == "suspended":
            await _problem(scope, send, TenantSuspended(message(
                "cooperative {slug} is suspended; its operator can tell you more",
                slug=slug)))
            return
        if tenant.state == "moving" and scope.get("method", "GET") not in SAFE_METHODS:
            await _problem(scope, send, TenantMoving(message(
                "cooperative {slug} is moving to another server; nothing was written. Retry "
                "in a moment with the same Idempotency-Key.", slug=slug),
                retry_after=MOVING_RETRY_AFTER))
            return
        assert hosted is not None
        await hosted.app(scope, receive, send)

    def _resolve(self, slug: str) -> tuple[Tenant | None, Hosted | None]:
        """The tenant's record and, when it is to be served, its app."""
        tenant = self._record(slug)
        if tenant is None or tenant.state in ("creating", "suspended"):
            return tenant, None
        return tenant, self.hosted(tenant)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await anyio.to_thread.run_sync(self.close_apps)
                await send({"type": "lifespan.shutdown.complete"})
                return


def _host(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = str(value.decode("latin-1")).lower()
            return host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return ""


def _language(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            return str(negotiate(value.decode("latin-1"), "id"))
    return "id"


async def _problem(scope: dict[str, Any], send: Any, error: KopcoreError) -> None:
    locale = _language(scope)
    body = json.dumps(error.to_problem(locale)).encode("utf-8")
    headers = [(b"content-type", b"application/problem+json"),
               (b"content-length", str(len(body)).encode()),
               (b"content-language", locale.encode()), (b"vary", b"Accept-Language"),
               (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]
    retry = error.extra.get("retry_after")
    if retry is not None:
        headers.append((b"retry-after", str(retry).encode()))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _text(send: Any, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def make_platform(settings: Settings) -> Platform:
    """The platform app for settings naming a registry (``tenant_registry_url``)."""
    if not settings.tenant_registry_url:
        raise ValueError("the settings name no tenant registry (tenant_registry_url)")
    return Platform(settings, Registry.open(settings.tenant_registry_url))
