"""``kopcore tenants ...``: the platform operator's commands (docs/cli.md#tenants).

They read the registry named by the ``tenant_registry_url`` setting. Any other command runs on
one cooperative of the platform with ``kopcore --tenant SLUG ...`` (``$KOPCORE_TENANT``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import click

from kopcore._tenants.registry import Registry
from kopcore.errors import ConfigurationError, Message, message
from kopcore.interfaces._render import table
from kopcore.settings import Settings


def open_registry(settings: Settings) -> Registry:
    if not settings.tenant_registry_url:
        raise ConfigurationError("no tenant registry: set tenant_registry_url in the settings "
                                 "or $KOPCORE_TENANT_REGISTRY_URL")
    return Registry.open(settings.tenant_registry_url)


def tenant_cli_settings(settings: Settings, slug: str) -> Settings:
    """The settings ``kopcore --tenant SLUG`` runs with: the tenant's on its cluster."""
    from kopcore._tenants.hosting import tenant_settings
    from kopcore._tenants.platform import TenantMoving

    registry = open_registry(settings)
    try:
        tenant = registry.get(slug)
        if tenant.state in ("moving", "creating"):
            raise TenantMoving(message("cooperative {slug} is {state}; retry when it is done",
                                       slug=slug, state=tenant.state))
        return tenant_settings(settings, tenant, registry.cluster(tenant.cluster))
    finally:
        registry.close()


def add_tenant_commands(root: click.Group, settings: Settings,
                        language: Callable[[], str]) -> None:
    """Add the ``tenants`` group to the CLI."""

    def say(text: Message) -> None:
        click.echo(text.text_in(language()))

    @root.group("tenants")
    def tenants() -> None:
        """The cooperatives of a platform: clusters, create, list, migrate, suspend, move
        (docs/deployment.md#many-cooperatives-on-one-platform)."""

    @tenants.command("cluster-add")
    @click.argument("name")
    @click.option("--url", required=True, metavar="URL",
                  help="postgresql:// URL the apps connect through (PgBouncer in production), "
                       "without a database name")
    @click.option("--admin-url", default=None, metavar="URL",
                  help="The cluster's administrator URL, direct (default: --url)")
    @click.option("--max-connections", type=click.IntRange(1, 10000), default=20,
                  show_default=True,
                  help="Most connections one process uses on the cluster at once")
    @click.option("--pooler", type=click.Choice(["none", "pgbouncer"]), default="none",
                  show_default=True, help="What --url reaches: the server, or PgBouncer in "
                                          "transaction pooling mode")
    def cluster_add(name: str, url: str, admin_url: str | None, max_connections: int,
                    pooler: str) -> None:
        """Register a PostgreSQL cluster tenants can be placed on."""
        registry = open_registry(settings)
        try:
            registry.add_cluster(name, url, admin_url=admin_url,
                                 max_connections=max_connections, pooler=pooler)
        finally:
            registry.close()
        say(message("cluster {name} registered", name=name))

    @tenants.command("clusters")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON")
    def clusters(as_json: bool) -> None:
        """List the clusters and how many tenants each holds."""
        from sqlalchemy.engine import make_url

        registry = open_registry(settings)
        try:
            placed: dict[str, int] = {}
            for tenant in registry.all():
                placed[tenant.cluster] = placed.get(tenant.cluster, 0) + 1
            rows = [{"cluster": c.name,
                     "url": make_url(c.url).render_as_string(hide_password=True),
                     "pooler": c.pooler, "max_connections": c.max_connections,
                     "tenants": placed.get(c.name, 0)} for c in registry.clusters()]
        finally:
            registry.close()
        click.echo(json.dumps(rows, indent=2) if as_json else table(rows))

    @tenants.command("create")
    @click.argument("slug")
    @click.option("--name", "cooperative_name", required=True, metavar="NAME",
                  help="The cooperative's name, as its reports print it")
    @click.option("--plugins", "plugin_names", default=None, metavar="NAMES",
                  help="Comma-separated plugins to enable (default: the settings' plugins)")
    @click.option("--cluster", default=None, metavar="NAME",
                  help="Cluster to place it on (default: the least loaded)")
    @click.option("--admin", "admin_name", default="admin", show_default=True,
                  help="Username of its first administrator")
    @click.option("--language", type=click.Choice(["id", "en"]), default=None,
                  help="Its language (default: the platform's)")
    @click.option("--date", "first_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
                  help="Its first business date (default: today)")
    def create(slug: str, cooperative_name: str, plugin_names: str | None,
               cluster: str | None, admin_name: str, language: str | None,
               first_date: Any) -> None:
        """Create a cooperative: its database on a cluster, the kernel's and its plugins'
        migrations, its first administrator; prints the administrator's API key once."""
        from kopcore._tenants.provision import create_tenant

        plugins = tuple(settings.plugins or ()) if plugin_names is None else tuple(
            name.strip() for name in plugin_names.split(",") if name.strip())
        registry = open_registry(settings)
        try:
            created = create_tenant(
                settings, registry, slug, name=cooperative_name, plugins=plugins,
                cluster=cluster, admin=admin_name, language=language,
                initial_date=first_date.date() if first_date else None)
        finally:
            registry.close()
        say(message("cooperative {slug} created on cluster {cluster}, database {database} "
                    "(plugins: {plugins}); administrator {admin}, API key (shown once):",
                    slug=slug, cluster=created.tenant.cluster,
                    database=created.tenant.database, plugins=", ".join(plugins) or "-",
                    admin=admin_name))
        click.echo(created.api_key)

    @tenants.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON")
    def list_tenants(as_json: bool) -> None:
        """List the cooperatives: cluster, database, state, plugins, created."""
        registry = open_registry(settings)
        try:
            rows = [{"slug": t.slug, "name": t.settings.get("cooperative_name", ""),
                     "cluster": t.cluster, "database": t.database, "state": t.state,
                     "plugins": ",".join(t.plugins),
                     "created": t.created_at.strftime("%Y-%m-%d %H:%M")}
                    for t in registry.all()]
        finally:
            registry.close()
        click.echo(json.dumps(rows, indent=2) if as_json else table(rows))

    def change_state(slug: str, state: str, *, interrupted_move: bool = False) -> None:
        from kopcore._tenants.provision import set_state

        registry = open_registry(settings)
        try:
            set_state(registry, slug, state, interrupted_move=interrupted_move)
        finally:
            registry.close()

    @tenants.command("suspend")
    @click.argument("slug")
    def suspend(slug: str) -> None:
        """Suspend a cooperative: every request to it is refused (tenant-suspended)."""
        change_state(slug, "suspended")
        say(message("cooperative {slug} suspended", slug=slug))

    @tenants.command("resume")
    @click.argument("slug")
    @click.option("--interrupted-move", is_flag=True,
                  help="Resume a cooperative left 'moving' by a move whose process is gone: "
                       "its source database is thawed (never while the move still runs)")
    def resume(slug: str, interrupted_move: bool) -> None:
        """Resume a suspended cooperative (or one a dead move left moving)."""
        change_state(slug, "active", interrupted_move=interrupted_move)
        say(message("cooperative {slug} resumed", slug=slug))

    @tenants.command("configure")
    @click.argument("slug")
    @click.option("--env", "variables", multiple=True, metavar="KEY=VALUE",
                  help="Set a variable of the cooperative's environment (its providers' and "
                       "gateways' credentials); repeatable")
    @click.option("--unset-env", "unset", multiple=True, metavar="KEY",
                  help="Remove a variable of the cooperative's environment; repeatable")
    def configure(slug: str, variables: tuple[str, ...], unset: tuple[str, ...]) -> None:
        """Set or remove variables of a cooperative's own environment (never shown back)."""
        from kopcore._tenants.provision import configure_environment

        pairs = {}
        for item in variables:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise click.BadParameter(message("write KEY=VALUE").text_in(language()),
                                         param_hint="--env")
            pairs[key] = value
        registry = open_registry(settings)
        try:
            names = configure_environment(registry, slug, pairs, unset)
        finally:
            registry.close()
        say(message("cooperative {slug}: environment variables {names}", slug=slug,
                    names=", ".join(names) or "-"))

    @tenants.command("migrate")
    @click.argument("slugs", nargs=-1)
    @click.option("--canary", type=click.IntRange(1), default=None, metavar="N",
                  help="Migrate N cooperatives first; stop the rollout if one of them fails")
    @click.option("--batch-size", type=click.IntRange(1), default=None, metavar="N",
                  help="After the canaries, migrate the others N at a time")
    @click.option("--pause", type=click.FloatRange(0), default=0.0, metavar="SECONDS",
                  help="Seconds to wait between batches (and after the canaries)")
    @click.option("--max-failures", type=click.IntRange(1), default=None, metavar="K",
                  help="Stop the rollout when K cooperatives have failed")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
    def migrate(slugs: tuple[str, ...], canary: int | None, batch_size: int | None,
                pause: float, max_failures: int | None, as_json: bool) -> None:
        """Upgrade each cooperative's database (all, or the SLUGS named, in that order), one at
        a time, throttled by a canary, batches and a failure limit; reports which were
        migrated, which failed and why, and which were not attempted; exits with status 1
        unless every one was migrated."""
        from kopcore._tenants.rollout import Plan, migrate_tenants

        if pause and not (canary or batch_size):
            raise click.BadParameter(message("a pause is between batches: give --batch-size "
                                             "or --canary").text_in(language()),
                                     param_hint="--pause")
        registry = open_registry(settings)
        try:
            rollout = migrate_tenants(settings, registry, slugs or None, plan=Plan(
                canary=canary, batch_size=batch_size, pause=pause, max_failures=max_failures))
        finally:
            registry.close()
        rows = [{"slug": r.slug, "status": r.status, "before": ",".join(r.before) or "-",
                 "after": ",".join(r.after) or "-",
                 "changed": r.changed, "seconds": round(r.seconds, 2),
                 "error": r.error or ""} for r in rollout.results]
        rows += [{"slug": slug, "status": "not attempted", "before": "-", "after": "-",
                  "changed": False, "seconds": 0, "error": ""} for slug in rollout.not_attempted]
        failed = [r.slug for r in rollout.failed]
        skipped = [r.slug for r in rollout.skipped]
        if as_json:
            click.echo(json.dumps({
                "tenants": rows, "migrated": rollout.migrated, "failed": failed, "skipped": skipped,
                "not_attempted": list(rollout.not_attempted),
                "stopped": rollout.stopped.text_in(language()) if rollout.stopped else None},
                indent=2))
        else:
            click.echo(table(rows))
            if rollout.stopped is not None:
                say(rollout.stopped)
            say(message("{done} of {total} cooperatives migrated; failed: {failed}; skipped: "
                        "{skipped}; not attempted: {pending}", done=len(rollout.migrated),
                        total=len(rows), failed=", ".join(failed) or "-",
                        skipped=", ".join(skipped) or "-",
                        pending=", ".join(rollout.not_attempted) or "-"))
        if not rollout.complete:
            raise SystemExit(1)

    @tenants.command("eod")
    @click.argument("slugs", nargs=-1)
    @click.option("--workers", type=click.IntRange(1, 256), default=2, show_default=True,
                  help="Worker processes sharing the cooperatives")
    @click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None,
                  help="Close days until this business date (default: one day each)")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
    def eod(slugs: tuple[str, ...], workers: int, until: Any, as_json: bool) -> None:
        """End of day for every active cooperative (or the SLUGS named) across worker
        processes; reports each; exits with status 1 when any failed."""
        from kopcore._tenants.fleet import end_of_day

        registry = open_registry(settings)
        started = time.perf_counter()
        try:
            results = end_of_day(settings, registry, slugs or None, workers=workers,
                                 until=until.date() if until else None)
        finally:
            registry.close()
        rows = [{"slug": r.slug, "before": str(r.before or "-"), "after": str(r.after or "-"),
                 "days": r.days, "seconds": round(r.seconds, 2), "error": r.error or ""}
                for r in sorted(results, key=lambda r: r.slug)]
        click.echo(json.dumps(rows, indent=2) if as_json else table(rows))
        failed = [r.slug for r in results if r.error and not r.error.startswith("skipped")]
        if not as_json:
            say(message("end of day: {done} of {total} cooperatives in {seconds} s with "
                        "{workers} workers; failed: {failed}",
                        done=sum(1 for r in results if r.error is None), total=len(results),
                        seconds=f"{time.perf_counter() - started:.1f}", workers=workers,
                        failed=", ".join(failed) or "-"))
        if failed:
            raise SystemExit(1)

    @tenants.command("usage")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON")
    def usage_command(as_json: bool) -> None:
        """Each cooperative's usage: database size, members, accounts, journal entries,
        business date."""
        from kopcore._tenants.fleet import usage

        registry = open_registry(settings)
        try:
            rows = [{"slug": u.slug, "cluster": u.cluster, "state": u.state,
                     "database_mb": round(u.database_bytes / 1048576, 1),
                     "members": u.members, "accounts": u.accounts, "entries": u.entries,
                     "business_date": str(u.business_date or "-")}
                    for u in usage(settings, registry)]
        finally:
            registry.close()
        click.echo(json.dumps(rows, indent=2) if as_json else table(rows))

    @tenants.command("move")
    @click.argument("slug")
    @click.option("--to", "target", required=True, metavar="CLUSTER",
                  help="The cluster to move it to")
    @click.option("--method", type=click.Choice(["dump", "logical"]), default="dump",
                  show_default=True,
                  help="dump: pg_dump/pg_restore under the write freeze; logical: logical "
                       "replication while the cooperative writes on, then a short freeze "
                       "(the source needs wal_level = logical)")
    @click.option("--keep-source", is_flag=True,
                  help="Keep the source database (frozen, read-only) instead of dropping it")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
    def move(slug: str, target: str, method: str, keep_source: bool, as_json: bool) -> None:
        """Move a cooperative to another cluster with a short write freeze (pg_dump/pg_restore,
        or logical replication); verify and the seal chain are checked before and after."""
        from kopcore._tenants.move import move_tenant

        registry = open_registry(settings)
        try:
            report = move_tenant(settings, registry, slug, target, method=method,
                                 keep_source=keep_source, say=None if as_json else say)
        finally:
            registry.close()
        if as_json:
            click.echo(json.dumps({
                "slug": report.slug, "from": report.source, "to": report.target,
                "method": report.method, "freeze_seconds": round(report.freeze_seconds, 3),
                "copy_seconds": round(report.copy_seconds, 3),
                "entries": report.after.entries, "seal": report.after.seals,
                "chain": report.after.chain_head, "rows": sum(report.after.rows.values()),
                "source_dropped": report.source_dropped}, indent=2))
            return
        say(message("cooperative {slug} moved from {source} to {target}; writes were frozen "
                    "for {seconds} s", slug=slug, source=report.source, target=report.target,
                    seconds=f"{report.freeze_seconds:.2f}"))


__all__ = ["add_tenant_commands", "open_registry", "tenant_cli_settings"]
