"""The platform at scale: many cooperatives on three PostgreSQL clusters behind PgBouncer.

``python -m bench.tenants [--tenants 300] [--requests 600] [--threads 4] [--workers 2]``

1. Three scratch clusters (``initdb``/``pg_ctl`` on free ports) with PgBouncer in transaction
   pooling mode in front of each, and a registry database on the first; ``--tenants``
   cooperatives placed by the registry (least loaded cluster), each with a teller cash account.
2. **Requests**: the same workload, half ``accounts.get`` and half ``entries.post`` (a new
   idempotency key each), sent through the ASGI app by ``--threads`` client threads: once to
   one cooperative alone (``make_app`` on its own database, directly on its cluster: the
   baseline), once through the platform app to cooperatives picked at random among all of
   them. The platform's apps are built first (their build time is reported apart).
   Ratio = platform requests/s ÷ one cooperative's requests/s.
3. **End of day**: one business day for every cooperative, ``kopcore tenants eod`` style across
   ``--workers`` processes, against one cooperative's end of day alone. Ratio = time per
   cooperative on the platform ÷ one cooperative alone's time.
4. **Moves**: the first cooperative, given ``--move-entries`` more journal entries, moves to
   another cluster by ``pg_dump``/``pg_restore`` and back by logical replication. For each: the
   write freeze (seconds the cooperative refused writes) and, for the logical move, the copy made
   before the freeze. Ratio = the logical move's freeze ÷ the dump move's: the point of the
   logical method is that its freeze does not grow with the books.

Everything is removed afterwards. Figures are printed and written as JSON (``--output``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from kopcore._tenants.fleet import end_of_day
from kopcore._tenants.hosting import TenantKernels
from kopcore._tenants.local import (
    LocalCluster,
    LocalPgBouncer,
    missing_programs,
    scratch_directory,
)
from kopcore._tenants.move import move_tenant
from kopcore._tenants.platform import Platform
from kopcore._tenants.provision import create_tenant
from kopcore._tenants.registry import Registry
from kopcore.eod import run_end_of_day
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.settings import Settings
from kopcore.testing import run_operation

START = date(2026, 1, 5)
PLUGINS = ("savings",)


def _seed(kernel: Kernel) -> None:
    def call(op: str, **raw: Any) -> Any:
        return run_operation(kernel, op, raw, as_user="admin")

    call("accounts.open-internal", name="Kas Teller", gl_key="cash", number="CASH-T")
    call("entries.post", memo="Modal awal", lines=[
        {"account": "CASH-T", "side": "debit", "amount": "1000000"},
        {"account": "GL-equity.grants", "side": "credit", "amount": "1000000"}])


def _workload(clients: list[tuple[TestClient[Any], str]], requests: int,
              threads: int) -> dict[str, float]:
    """``requests`` requests over ``threads`` threads; each picks a (client, key) at random."""
    done: list[int] = []
    errors: list[str] = []
    per_thread = requests // threads

    def run(seed: int) -> None:
        pick = random.Random(seed)
        for n in range(per_thread):
            client, key = pick.choice(clients)
            auth = {"Authorization": f"Bearer {key}"}
            if n % 2:
                response = client.get("/api/v1/accounts/get", params={"account": "CASH-T"},
                                      headers=auth)
            else:
                response = client.post("/api/v1/entries/post", headers={
                    **auth, "Idempotency-Key": f"b-{seed}-{n}"}, json={
                    "memo": "Setoran", "lines": [
                        {"account": "CASH-T", "side": "debit", "amount": "1000"},
                        {"account": "GL-equity.grants", "side": "credit", "amount": "1000"}]})
            if response.status_code == 200:
                done.append(1)
            else:
                errors.append(f"{response.status_code} {response.text[:120]}")

    workers = [threading.Thread(target=run, args=(seed,)) for seed in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if errors:
        print(f"  {len(errors)} errors, first: {errors[0]}")
    return {"requests": float(len(done)), "seconds": seconds,
            "per_second": len(done) / seconds, "errors": float(len(errors))}


def _timed(what: str, work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    print(f"  {what}: {seconds:.1f} s")
    return result, seconds


def _moves(settings: Settings, registry: Registry, kernels: TenantKernels, slug: str,
           entries: int) -> dict[str, Any]:
    """Give ``slug`` ``entries`` more entries, move it by dump to another cluster and back by
    logical replication; each move's freeze and copy seconds."""
    tenant = registry.get(slug)
    kernel = kernels.open(tenant, registry.cluster(tenant.cluster))
    try:
        for n in range(entries):
            run_operation(kernel, "entries.post", {"memo": f"Setoran {n}", "lines": [
                {"account": "CASH-T", "side": "debit", "amount": "1000"},
                {"account": "GL-equity.grants", "side": "credit", "amount": "1000"}]},
                as_user="admin")
    finally:
        kernel.close()
    home = tenant.cluster
    other = next(c.name for c in registry.clusters() if c.name != home)
    figures: dict[str, Any] = {"move_entries": entries}
    for method, target in (("dump", other), ("logical", home)):
        report = move_tenant(settings, registry, slug, target, method=method,
                             grace_seconds=0.0)
        figures[f"{method}_freeze_seconds"] = round(report.freeze_seconds, 3)
        figures[f"{method}_copy_seconds"] = round(report.copy_seconds, 3)
        print(f"  {method}: freeze {report.freeze_seconds:.2f} s, copy before it "
              f"{report.copy_seconds:.2f} s ({report.after.entries} entries)")
    figures["freeze_ratio"] = round(figures["logical_freeze_seconds"]
                                    / figures["dump_freeze_seconds"], 3)
    return figures


def run(tenants: int, requests: int, threads: int, workers: int,
        move_entries: int = 2000) -> dict[str, Any]:
    missing = missing_programs()
    if missing:
        raise SystemExit(f"bench.tenants needs {', '.join(missing)}")
    directory = scratch_directory("kopcore-bench-tenants-")
    clusters = [LocalCluster(directory / f"pg{n}", max_connections=200) for n in range(3)]
    bouncers = [LocalPgBouncer(directory / f"bouncer{n}", cluster, pool_size=20)
                for n, cluster in enumerate(clusters)]
    figures: dict[str, Any] = {"tenants": tenants, "requests": requests, "threads": threads,
                               "eod_workers": workers, "cpus": os.cpu_count()}
    try:
        for part in (*clusters, *bouncers):
            part.start()
        clusters[0].create_databases("kopcore_registry", "kop_single")
        settings = Settings(plugins=PLUGINS, tenant_registry_url=clusters[0].url
                            + "/kopcore_registry", tenant_base_domain="kop.test",
                            tenant_apps_cached=tenants + 10)
        registry = Registry.open(str(settings.tenant_registry_url))
        for n, (cluster, bouncer) in enumerate(zip(clusters, bouncers, strict=True)):
            registry.add_cluster(f"pg{n}", bouncer.url, admin_url=cluster.url,
                                 max_connections=20, pooler="pgbouncer")
        print(f"creating {tenants} cooperatives on 3 clusters ...")
        keys: dict[str, str] = {}
        kernels = TenantKernels(settings)

        def create_all() -> None:
            for n in range(tenants):
                slug = f"kop-{n:04d}"
                keys[slug] = create_tenant(settings, registry, slug, name=f"Koperasi {n}",
                                           plugins=PLUGINS, initial_date=START).api_key
                tenant = registry.get(slug)
                kernel = kernels.open(tenant, registry.cluster(tenant.cluster))
                _seed(kernel)
                kernel.close()

        _, figures["create_seconds"] = _timed("create and seed", create_all)
        placed: dict[str, int] = {}
        for tenant in registry.all():
            placed[tenant.cluster] = placed.get(tenant.cluster, 0) + 1
        figures["placement"] = placed

        # One cooperative on its own database, directly on its cluster: the baseline.
        single = Kernel.start(Settings(database_url=clusters[0].url + "/kop_single",
                                       plugins=PLUGINS), migrate=True, initial_date=START)
        single_key = single.write("system", lambda ctx: _admin_key(ctx))
        _seed(single)
        alone = TestClient(make_app(single))
        print("requests, one cooperative alone ...")
        _workload([(alone, single_key)], max(threads * 4, 20), threads)  # warm up
        figures["single"] = _workload([(alone, single_key)], requests, threads)

        platform = Platform(settings, registry)
        clients = [(TestClient(platform, base_url=f"http://{slug}.kop.test"),  # type: ignore[arg-type]
                    key) for slug, key in keys.items()]

        def warm() -> None:
            for client, key in clients:
                client.get("/api/v1/accounts/get", params={"account": "CASH-T"},
                           headers={"Authorization": f"Bearer {key}"})

        _, figures["platform_build_seconds"] = _timed("building every cooperative's app", warm)
        figures["rss_mb_after_build"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print("requests, through the platform to every cooperative ...")
        figures["platform"] = _workload(clients, requests, threads)
        figures["request_ratio"] = round(figures["platform"]["per_second"]
                                         / figures["single"]["per_second"], 3)
        figures["cluster_peak_transactions"] = {
            name: gate.peak for name, gate in platform.kernels.gates.items()}
        platform.close_apps()

        print("end of day, one cooperative alone ...")
        _, figures["eod_single_seconds"] = _timed(
            "one cooperative", lambda: run_end_of_day(single))
        single.close()
        print(f"end of day, {tenants} cooperatives across {workers} processes ...")
        results, figures["eod_all_seconds"] = _timed(
            "every cooperative", lambda: end_of_day(settings, registry, workers=workers))
        failed = [r for r in results if r.error]
        figures["eod_failed"] = len(failed)
        if failed:
            print(f"  {len(failed)} failed, first: {failed[0].slug} {failed[0].error}")
        figures["eod_seconds_per_cooperative"] = figures["eod_all_seconds"] / tenants
        figures["eod_ratio"] = round(figures["eod_seconds_per_cooperative"]
                                     / figures["eod_single_seconds"], 3)
        print("moves, by dump and back by logical replication ...")
        figures["moves"] = _moves(settings, registry, kernels, sorted(keys)[0], move_entries)
        registry.close()
    finally:
        for part in (*bouncers, *clusters):
            part.stop()
        shutil.rmtree(directory, ignore_errors=True)
    return figures


def _admin_key(ctx: Any) -> str:
    from kopcore import _auth as auth

    auth.create_user(ctx.conn, "admin", "admin")
    return auth.issue_key(ctx.conn, "admin", "bench")[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=300)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--move-entries", type=int, default=2000)
    parser.add_argument("--output", default="bench/results/tenants.json")
    args = parser.parse_args()
    figures = run(args.tenants, args.requests, args.threads, args.workers, args.move_entries)
    print(json.dumps(figures, indent=2))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
