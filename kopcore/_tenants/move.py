"""``kopcore tenants move``: a tenant's database from one cluster to another, nothing lost.

0. With ``method="logical"`` first, while the cooperative writes on
   (:mod:`kopcore._tenants.replication`): the source is checked (``wal_level``, every table
   replicable), the schema copied to a new database on the target, a publication on the
   source and a subscription on the target copy every table; the move waits for the initial
   copy. A second move of the tenant is refused meanwhile (:func:`clusters.move_lock`).
1. The tenant is marked ``moving`` in the registry: the serving processes refuse its writes
   (``tenant-moving``, 503 with ``Retry-After``) and keep serving its reads.
2. Its database is **frozen** on the source cluster (:func:`kopcore._tenants.clusters.freeze`):
   new transactions are read-only and the open sessions are ended, so no process, API, CLI or
   end-of-day worker, can write any more, whatever its registry cache says.
3. The journal is sealed (the mover's own session may still write) and the **figures before**
   are taken: ``verify`` of the books and the seal chain, and each table's row count and a
   digest of its contents.
4. ``dump``: ``pg_dump`` on the source, ``pg_restore`` into a new database on the target.
   ``logical``: the subscription catches up with the source's WAL position, the sequences are
   set to the source's values, the subscription, its slot and the publication are dropped.
5. The **figures after** are taken on the target, ``verify`` with the seal number and chain
   value recorded before (``--expect-seal``/``--expect-chain``); every table must have the same
   rows and contents. Any difference, or any failure on the way, drops the copy (and the
   replication), thaws the source and puts the tenant back as it was.
6. The registry points the tenant at the target and its state back to what it was; the write
   freeze ends there (its length is the report's ``freeze_seconds``). After a grace period for
   the serving processes to notice, the source database is dropped (``--keep-source`` keeps
   it, frozen).

A move whose process died is undone by :func:`resume_interrupted_move`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import inspect, text

from kopcore._tenants import clusters as pg
from kopcore._tenants.hosting import admin_kernel
from kopcore._tenants.registry import Cluster, Registry, Tenant, TenantConflict
from kopcore._tenants.replication import SYNC_TIMEOUT, Replication
from kopcore.errors import Message, ValidationError, message
from kopcore.kernel import Kernel
from kopcore.ledger._integrity import seal_now
from kopcore.ledger._verify import verify_books
from kopcore.settings import Settings

#: Seconds the source is kept after the move before it is dropped: serving processes re-read
#: the registry at least this often (:data:`kopcore._tenants.platform.REGISTRY_TTL`, twice).
GRACE_SECONDS = 2.0

PLATFORM_ACTOR = "platform"

#: How a move copies the database: ``pg_dump``/``pg_restore`` under the freeze, or logical
#: replication before it (the freeze then lasts only for the catch-up and the checks).
METHODS = ("dump", "logical")


@attrs.frozen
class Figures:
    """What a tenant's database holds, to compare before and after a move."""

    verify_ok: bool
    problems: tuple[str, ...]
    entries: int
    seals: int
    sealed_through: int
    chain_head: str | None
    rows: dict[str, int]
    contents: dict[str, str]


@attrs.frozen
class MoveReport:
    slug: str
    source: str
    target: str
    database: str
    before: Figures
    after: Figures
    freeze_seconds: float
    sessions_ended: int
    source_dropped: bool
    #: ``dump`` or ``logical``.
    method: str = "dump"
    #: Seconds of the logical method's initial copy, before the freeze (writes went on).
    copy_seconds: float = 0.0


def figures(kernel: Kernel, *, expect_seal: int | None = None,
            expect_chain: str | None = None) -> Figures:
    """Verify the books and take every table's row count and content digest."""
    def take(ctx: Any) -> Figures:
        report = verify_books(ctx, expect_seal=expect_seal, expect_chain=expect_chain)
        rows: dict[str, int] = {}
        contents: dict[str, str] = {}
        for name in sorted(inspect(ctx.conn).get_table_names()):
            quoted = ctx.conn.dialect.identifier_preparer.quote(name)
            count, digest = ctx.conn.execute(text(
                f"SELECT count(*), md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), "
                f"'')) FROM {quoted} AS r")).one()
            rows[name], contents[name] = int(count), str(digest)
        return Figures(report.ok, tuple(p.detail for p in report.errors), report.entries,
                       report.seals, report.sealed_through, report.chain_head, rows, contents)

    return kernel.read(PLATFORM_ACTOR, take, operation="tenants.move")


def _differences(before: Figures, after: Figures) -> list[str]:
    found = [f"table {name}: {before.rows.get(name)} rows before, {after.rows.get(name)} after"
             for name in sorted(set(before.rows) | set(after.rows))
             if before.rows.get(name) != after.rows.get(name)]
    found += [f"table {name}: contents differ" for name in sorted(before.contents)
              if name in after.contents and before.contents[name] != after.contents[name]
              and before.rows.get(name) == after.rows.get(name)]
    if not after.verify_ok:
        found += [f"verify after the move: {problem}" for problem in after.problems]
    return found


def _check_move(registry: Registry, slug: str, target_name: str,
                method: str) -> tuple[Tenant, Cluster, Cluster]:
    if method not in METHODS:
        raise ValidationError(message("the method of a move is {methods}; got {method}",
                                      methods=" or ".join(METHODS), method=method[:20]),
                              field="method")
    tenant = registry.get(slug)
    if tenant.state not in ("active", "suspended"):
        raise TenantConflict(message("cooperative {slug} is {state}; only an active or "
                                     "suspended cooperative can be moved", slug=slug,
                                     state=tenant.state))
    source, target = registry.cluster(tenant.cluster), registry.cluster(target_name)
    if source.name == target.name:
        raise ValidationError(message("cooperative {slug} is already on cluster {cluster}",
                                      slug=slug, cluster=target.name), field="to")
    if pg.database_exists(target, tenant.database):
        raise pg.ClusterError(message("database {database} already exists on cluster "
                                      "{cluster}", database=tenant.database,
                                      cluster=target.name))
    return tenant, source, target


def move_tenant(platform: Settings, registry: Registry, slug: str, target_name: str, *,
                method: str = "dump", keep_source: bool = False,
                grace_seconds: float = GRACE_SECONDS, sync_timeout: float = SYNC_TIMEOUT,
                say: Callable[[Message], None] | None = None) -> MoveReport:
    """Move a tenant's database to cluster ``target_name`` by ``method`` (``dump`` or
    ``logical``); see the module's docstring."""
    tell = say or (lambda _text: None)
    tenant, source, target = _check_move(registry, slug, target_name, method)
    replication = Replication(source, target, tenant.database) \
        if method == "logical" else None
    if replication is not None:
        replication.check()
    with pg.move_lock(source, tenant.database):
        registry.record(slug, "move-started", {"from": source.name, "to": target.name,
                                               "method": method})
        try:
            copy_seconds = 0.0
            if replication is not None:
                started = time.monotonic()
                _replicate(replication, tenant, sync_timeout, tell)
                copy_seconds = time.monotonic() - started
            return _frozen_move(platform, registry, tenant, source, target, replication,
                                keep_source=keep_source, grace_seconds=grace_seconds,
                                copy_seconds=copy_seconds, tell=tell)
        except BaseException as exc:
            registry.record(slug, "move-failed", {"to": target.name, "method": method,
                                                  "error": f"{type(exc).__name__}: "
                                                           f"{exc}"[:300]})
            raise


def _unfinished_move(registry: Registry, slug: str) -> dict[str, Any] | None:
    """The ``move-started`` record of a move that never ended (its process died), if any."""
    last = None
    for _at, kind, detail in registry.events(slug):
        if kind in ("move-started", "moved", "move-failed") or \
                (kind == "resumed" and detail.get("interrupted_move")):
            last = (kind, detail)
    return last[1] if last is not None and last[0] == "move-started" else None


def resume_interrupted_move(registry: Registry, slug: str) -> Tenant:
    """Undo what a move whose process died left behind, and make the cooperative ``active``
    on the cluster the registry names: the source is thawed; on the target the subscription
    and the partial copy are dropped, on the source the replication slot and publication.
    Refused while the move still runs (it holds :func:`kopcore._tenants.clusters.move_lock`)
    and for a cooperative with no interrupted move."""
    tenant = registry.get(slug)
    started = _unfinished_move(registry, slug)
    if tenant.state != "moving" and started is None:
        raise TenantConflict(message("cooperative {slug} has no interrupted move to resume",
                                     slug=slug))
    source = registry.cluster(tenant.cluster)
    with pg.move_lock(source, tenant.database):
        if started is not None and started.get("to") != tenant.cluster:
            target = registry.cluster(str(started["to"]))
            Replication(source, target, tenant.database).drop()
            pg.drop_database(target, tenant.database)  # a partial copy: the move made it
        else:
            Replication(source, source, tenant.database).drop_source()
        if tenant.state == "moving":
            pg.thaw(source, tenant.database)
            tenant = registry.update(slug, expect_state=("moving",), state="active")
    registry.record(slug, "resumed", {"interrupted_move": True})
    return tenant


def _replicate(replication: Replication, tenant: Tenant, sync_timeout: float,
               tell: Callable[[Message], None]) -> None:
    """The schema on the target and the subscription's initial copy, while the cooperative
    writes on; on failure nothing of it is left."""
    target = replication.target
    made = False
    try:
        with tempfile.TemporaryDirectory(prefix="kopcore-move-") as workdir:
            schema = Path(workdir) / f"{tenant.database}.schema.dump"
            pg.dump(replication.source, tenant.database, schema, schema_only=True)
            pg.create_database(target, tenant.database)
            made = True
            pg.restore(target, tenant.database, schema)
        replication.start()
        tell(message("replicating {database} to {cluster}; the cooperative keeps writing",
                     database=tenant.database, cluster=target.name))
        tables = replication.wait_synced(sync_timeout)
        tell(message("initial copy done: {tables} tables", tables=tables))
    except BaseException:
        replication.drop()
        if made:
            pg.drop_database(target, tenant.database)
        raise


def _frozen_move(platform: Settings, registry: Registry, tenant: Tenant, source: Cluster,
                 target: Cluster, replication: Replication | None, *, keep_source: bool,
                 grace_seconds: float, copy_seconds: float,
                 tell: Callable[[Message], None]) -> MoveReport:
    """The write freeze: figures before, the last of the copy, figures after, the switch."""
    slug, previous = tenant.slug, tenant.state
    copied = replication is not None
    try:
        registry.update(slug, expect_state=(previous,), state="moving")
    except BaseException:
        if replication is not None:
            replication.drop()
            pg.drop_database(target, tenant.database)
        raise
    frozen_at = time.monotonic()
    try:
        ended = pg.freeze(source, tenant.database)
        tell(message("writes frozen on {cluster} ({sessions} sessions ended)",
                     cluster=source.name, sessions=ended))
        kernel = admin_kernel(platform, tenant, source, writable=True)
        try:
            seal_now(kernel, PLATFORM_ACTOR)
            before = figures(kernel)
        finally:
            kernel.close()
        if not before.verify_ok:
            raise TenantConflict(message(
                "the books of {slug} do not verify before the move; nothing was moved: "
                "{problems}", slug=slug, problems="; ".join(before.problems[:3])))
        tell(message("before: {entries} entries, seal {seal}, chain {chain}",
                     entries=before.entries, seal=before.seals,
                     chain=before.chain_head or "-"))
        if replication is not None:
            replication.catch_up()
            replication.copy_sequences()
            replication.finish()
        else:
            with tempfile.TemporaryDirectory(prefix="kopcore-move-") as workdir:
                dump = Path(workdir) / f"{tenant.database}.dump"
                pg.dump(source, tenant.database, dump)
                pg.create_database(target, tenant.database)
                copied = True
                pg.restore(target, tenant.database, dump)
        kernel = admin_kernel(platform, tenant, target)
        try:
            after = figures(kernel, expect_seal=before.seals or None,
                            expect_chain=before.chain_head)
        finally:
            kernel.close()
        wrong = _differences(before, after)
        if wrong:
            raise TenantConflict(message("the copy of {slug} on {cluster} differs from the "
                                         "source; nothing was moved: {differences}",
                                         slug=slug, cluster=target.name,
                                         differences="; ".join(wrong[:5])))
        tell(message("after: {entries} entries, seal {seal}, chain {chain}; every table "
                     "matches", entries=after.entries, seal=after.seals,
                     chain=after.chain_head or "-"))
        registry.update(slug, expect_state=("moving",), state=previous, cluster=target.name)
    except BaseException:
        if replication is not None:
            replication.drop()
        if copied:
            pg.drop_database(target, tenant.database)
        pg.thaw(source, tenant.database)
        registry.update(slug, state=previous)
        raise
    freeze_seconds = time.monotonic() - frozen_at
    method = "dump" if replication is None else "logical"
    if not keep_source:
        time.sleep(grace_seconds)
        pg.drop_database(source, tenant.database)
    report = MoveReport(slug, source.name, target.name, tenant.database, before, after,
                        freeze_seconds, ended, not keep_source, method, copy_seconds)
    registry.record(slug, "moved", {
        "from": source.name, "to": target.name, "method": method,
        "freeze_seconds": round(freeze_seconds, 3),
        "copy_seconds": round(copy_seconds, 3),
        "entries": after.entries, "seal": after.seals, "chain": after.chain_head,
        "rows": sum(after.rows.values()), "source_dropped": not keep_source})
    return report


__all__ = ["METHODS", "Figures", "MoveReport", "figures", "move_tenant",
           "resume_interrupted_move"]
