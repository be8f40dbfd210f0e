"""``kopcore tenants move``: a tenant's database from one cluster to another, nothing lost.

1. The tenant is marked ``moving`` in the registry: the serving processes refuse its writes
   (``tenant-moving``, 503 with ``Retry-After``) and keep serving its reads.
2. Its database is **frozen** on the source cluster (:func:`kopcore._tenants.clusters.freeze`):
   new transactions are read-only and the open sessions are ended, so no process, API, CLI or
   end-of-day worker, can write any more, whatever its registry cache says.
3. The journal is sealed (the mover's own session may still write) and the **figures before**
   are taken: ``verify`` of the books and the seal chain, and each table's row count and a
   digest of its contents.
4. ``pg_dump`` on the source, ``pg_restore`` into a new database on the target cluster.
5. The **figures after** are taken on the target, ``verify`` with the seal number and chain
   value recorded before (``--expect-seal``/``--expect-chain``); every table must have the same
   rows and contents. Any difference, or any failure on the way, drops the copy, thaws the
   source and puts the tenant back as it was.
6. The registry points the tenant at the target and its state back to what it was; the write
   freeze ends there. After a grace period for the serving processes to notice, the source
   database is dropped (``--keep-source`` keeps it, frozen).
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
from kopcore._tenants.registry import Registry, TenantConflict
from kopcore.errors import Message, ValidationError, message
from kopcore.kernel import Kernel
from kopcore.ledger._integrity import seal_now
from kopcore.ledger._verify import verify_books
from kopcore.settings import Settings

#: Seconds the source is kept after the move before it is dropped: serving processes re-read
#: the registry at least this often (:data:`kopcore._tenants.platform.REGISTRY_TTL`, twice).
GRACE_SECONDS = 2.0

PLATFORM_ACTOR = "platform"


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


def move_tenant(platform: Settings, registry: Registry, slug: str, target_name: str, *,
                keep_source: bool = False, grace_seconds: float = GRACE_SECONDS,
                say: Callable[[Message], None] | None = None) -> MoveReport:
    """Move a tenant's database to cluster ``target_name``; see the module's docstring."""
    tell = say or (lambda _text: None)
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
    previous = tenant.state
    registry.update(slug, expect_state=(previous,), state="moving")
    frozen_at = time.monotonic()
    copied = False
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
        if copied:
            pg.drop_database(target, tenant.database)
        pg.thaw(source, tenant.database)
        registry.update(slug, state=previous)
        raise
    freeze_seconds = time.monotonic() - frozen_at
    if not keep_source:
        time.sleep(grace_seconds)
        pg.drop_database(source, tenant.database)
    report = MoveReport(slug, source.name, target.name, tenant.database, before, after,
                        freeze_seconds, ended, not keep_source)
    registry.record(slug, "moved", {
        "from": source.name, "to": target.name, "freeze_seconds": round(freeze_seconds, 3),
        "entries": after.entries, "seal": after.seals, "chain": after.chain_head,
        "rows": sum(after.rows.values()), "source_dropped": not keep_source})
    return report


__all__ = ["Figures", "MoveReport", "figures", "move_tenant"]
