"""Work over every cooperative of the platform: end of day across worker processes, and each
cooperative's usage figures.

``end_of_day``: the active cooperatives are shared among ``workers`` processes, each running a
cooperative's end of day (:func:`kopcore.eod.run_end_of_day`) at a time. Each cooperative's own
chunks stay claimable with ``FOR UPDATE SKIP LOCKED``, so several hosts may run it at once:
two processes on the same cooperative share its chunks instead of doing them twice. A
cooperative that fails is reported and the others go on; suspended and moving ones are skipped.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date
from typing import Any

import attrs
from sqlalchemy import func, select

from kopcore._db import tables as t
from kopcore._tenants import clusters as pg
from kopcore._tenants.hosting import TenantKernels
from kopcore._tenants.registry import Cluster, Registry, Tenant
from kopcore.settings import Settings


@attrs.frozen
class EodResult:
    slug: str
    before: date | None
    after: date | None
    days: int
    seconds: float
    error: str | None = None


def _eod_one(platform: Settings, tenant: Tenant, cluster: Cluster,
             until: date | None) -> EodResult:
    from kopcore.eod import current_business_date, run_end_of_day

    started = time.perf_counter()
    before = None
    try:
        kernel = TenantKernels(platform).open(tenant, cluster)
        try:
            before = current_business_date(kernel)
            if until is not None and until <= before:
                return EodResult(tenant.slug, before, before, 0, 0.0)
            closed = run_end_of_day(kernel, until=until)
            after = current_business_date(kernel)
        finally:
            kernel.close()
        return EodResult(tenant.slug, before, after, len(closed),
                         time.perf_counter() - started)
    except Exception as exc:  # reported; the other cooperatives go on
        return EodResult(tenant.slug, before, before, 0, time.perf_counter() - started,
                         error=f"{type(exc).__name__}: {exc}"[:300])


def end_of_day(platform: Settings, registry: Registry, slugs: Iterable[str] | None = None, *,
               workers: int = 2, until: date | None = None,
               progress: Callable[[EodResult], None] | None = None) -> list[EodResult]:
    """End of day for the active cooperatives (all, or ``slugs``) across ``workers``
    processes; one result per cooperative, in the order they finished."""
    chosen = [registry.get(slug) for slug in slugs] if slugs else registry.all()
    clusters = {cluster.name: cluster for cluster in registry.clusters()}
    results: list[EodResult] = []
    runnable = []
    for tenant in chosen:
        if tenant.state != "active":
            results.append(EodResult(tenant.slug, None, None, 0, 0.0,
                                     error=f"skipped: {tenant.state}"))
        else:
            runnable.append(tenant)
    context = multiprocessing.get_context("spawn")  # no engine or thread crosses a fork
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context) as pool:
        futures = [pool.submit(_eod_one, platform, tenant, clusters[tenant.cluster], until)
                   for tenant in runnable]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if progress is not None:
                progress(result)
    return results


@attrs.frozen
class Usage:
    slug: str
    cluster: str
    state: str
    database_bytes: int
    members: int
    accounts: int
    entries: int
    business_date: date | None


def usage(platform: Settings, registry: Registry) -> list[Usage]:
    """Each cooperative's size and activity: database size, members, accounts, journal
    entries, business date."""
    kernels = TenantKernels(platform)
    clusters = {cluster.name: cluster for cluster in registry.clusters()}
    found = []
    for tenant in registry.all():
        if tenant.state == "creating":
            continue
        cluster = clusters[tenant.cluster]
        kernel = kernels.open(tenant, cluster, prepare=False)
        try:
            def count(ctx: Any) -> tuple[int, int, int, date | None]:
                def rows(table: Any) -> int:
                    return int(ctx.conn.execute(select(func.count()).select_from(table))
                               .scalar_one())

                day = ctx.conn.execute(select(t.business_calendar.c.business_date)).scalar()
                return rows(t.members), rows(t.accounts), rows(t.journal_entries), day

            members, accounts, entries, day = kernel.read("platform", count,
                                                          operation="tenants.usage")
        finally:
            kernel.close()
        found.append(Usage(tenant.slug, tenant.cluster, tenant.state,
                           pg.size(cluster, tenant.database), members, accounts, entries, day))
    return found
