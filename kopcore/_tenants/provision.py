"""Creating a tenant, suspending and resuming it, and its own environment.

``create``: the slug is reserved in the registry (state ``creating``), the database is made on
the chosen cluster (or the least loaded one), the kernel's and the enabled plugins' migrations
run, the cooperative's first business date and chart are set and its first administrator is
created with an API key, shown once; then the tenant is ``active``. A failure at any step drops
the database and forgets the slug: nothing is half-made.

``migrate`` (rolling migrations out, with a canary, batches and a failure limit) is in
:mod:`kopcore._tenants.rollout`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import attrs
from alembic.script import ScriptDirectory

from kopcore import _auth as auth
from kopcore._db.migrate import alembic_config, upgrade
from kopcore._initialise import _name
from kopcore._plugin_manager import PluginHost
from kopcore._tenants import clusters as pg
from kopcore._tenants.hosting import TenantKernels, admin_kernel, own_settings
from kopcore._tenants.registry import Cluster, Registry, Tenant, check_slug
from kopcore.errors import ValidationError, message
from kopcore.settings import Settings


@attrs.frozen
class Created:
    tenant: Tenant
    admin: str
    api_key: str


def create_tenant(platform: Settings, registry: Registry, slug: str, *, name: str,
                  plugins: tuple[str, ...], cluster: str | None = None, admin: str = "admin",
                  language: str | None = None, initial_date: date | None = None) -> Created:
    """Make a new cooperative on the platform; see the module's docstring."""
    check_slug(slug)
    try:
        cooperative_name = _name(name, None)
    except Exception as exc:
        raise ValidationError(message("the cooperative's name must be one line of at most "
                                      "200 characters"), field="name") from exc
    PluginHost.load(plugins)  # an unknown plugin is refused before anything is made
    where = registry.cluster(cluster) if cluster else registry.least_loaded()
    tenant = registry.reserve(slug, where.name, plugins, own_settings(
        cooperative_name, secrets.token_urlsafe(32), language))
    made = False
    try:
        template = schema_template(platform, where, plugins)
        pg.create_database(where, tenant.database, template=template)
        made = True
        kernel = TenantKernels(platform).open(tenant, where, prepare=False)
        try:  # the template is at the newest revisions: nothing to migrate
            kernel.prepare(initial_date=initial_date)

            def bootstrap(ctx: Any) -> str:
                auth.create_user(ctx.conn, admin, "admin")
                return auth.issue_key(ctx.conn, admin, "created by kopcore tenants create")[1]

            key = kernel.write("system", bootstrap, operation="tenants.create")
        finally:
            kernel.close()
    except BaseException:
        if made:
            pg.drop_database(where, tenant.database)
        registry.forget(slug)
        raise
    tenant = registry.update(slug, expect_state=("creating",), state="active")
    registry.record(slug, "created", {"cluster": where.name, "database": tenant.database,
                                      "plugins": list(plugins)})
    return Created(tenant, admin, key)


def schema_template(platform: Settings, cluster: Cluster, plugins: tuple[str, ...]) -> str:
    """The name of a database on ``cluster`` holding the schema of ``plugins`` at the
    migrations' newest revisions, made the first time it is needed: a new tenant's database is
    copied from it (``CREATE DATABASE ... TEMPLATE``) instead of running every migration again.
    Its name is a digest of the plugins and of every migration head, so new code or a new
    plugin set gets a template of its own; it is built under a temporary name and renamed
    when complete, so a half-built template is never copied."""
    host = PluginHost.load(plugins)
    shim: Any = SimpleNamespace(plugins=host)
    heads = sorted(ScriptDirectory.from_config(alembic_config(shim)).get_heads())
    digest = hashlib.sha256(json.dumps([sorted(plugins), heads]).encode()).hexdigest()[:20]
    name = f"kopt_{digest}"
    if pg.database_exists(cluster, name):
        return name
    building = f"{name}_{secrets.token_hex(4)}"
    pg.create_database(cluster, building)
    try:
        stub = Tenant("template", cluster.name, building, "creating", plugins, {}, 0,
                      datetime.now(UTC))
        # Directly, not through the pooler (whose idle server connection would keep the
        # template in use), as the apps' user (who must own every table).
        kernel = admin_kernel(platform, stub, cluster, as_app_user=True)
        try:
            upgrade(kernel)
        finally:
            kernel.close()
        if pg.rename_database(cluster, building, name):
            return name
    except BaseException:
        pg.drop_database(cluster, building)
        raise
    pg.drop_database(cluster, building)  # another process made it first
    return name


def set_state(registry: Registry, slug: str, state: str, *,
              interrupted_move: bool = False) -> Tenant:
    """Suspend (``suspended``) or resume (``active``) a tenant. ``interrupted_move``: resume
    a tenant a move whose process is gone (killed, its host lost) left ``moving`` or half
    replicated: :func:`kopcore._tenants.move.resume_interrupted_move` (refused while the move
    still runs)."""
    if interrupted_move:
        from kopcore._tenants.move import resume_interrupted_move

        return resume_interrupted_move(registry, slug)
    expected = ("active",) if state == "suspended" else ("suspended",)
    tenant = registry.update(slug, expect_state=expected, state=state)
    registry.record(slug, "suspended" if state == "suspended" else "resumed",
                    {"interrupted_move": interrupted_move})
    return tenant


def configure_environment(registry: Registry, slug: str, values: Mapping[str, str],
                          unset: Iterable[str] = ()) -> list[str]:
    """Set and remove variables of a tenant's own environment; returns the names it then
    has (never the values)."""
    tenant = registry.get(slug)
    own = dict(tenant.settings)
    environment = dict(own.get("environment") or {})
    environment.update(values)
    for name in unset:
        environment.pop(name, None)
    own["environment"] = environment
    registry.update(slug, settings=own)
    registry.record(slug, "configured", {"environment": sorted(environment)})
    return sorted(environment)
