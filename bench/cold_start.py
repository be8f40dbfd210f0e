"""Where a cooperative's first request on a platform process spends its time.

``python -m bench.cold_start [--runs 7] [--plugins savings,payments]``

A scratch PostgreSQL cluster (``initdb``/``pg_ctl`` on a free port), a registry and one
cooperative; then ``--runs`` times, in this process, what the platform does on a tenant's first
request (:meth:`kopcore._tenants.platform.Platform.hosted`), each phase timed apart: the
tenant's settings, loading its plugins, its engine and kernel, ``prepare`` (the schema and
chart checks), building the Litestar app, and the first request through it
(``GET /api/v1/users/list``). Each run starts from a new :class:`TenantKernels` and closes what
it built. The median of each phase is printed, wall-clock and CPU time of this process (the
steadier figure on a machine shared with other work), and written as JSON with ``--output``.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from litestar.testing import TestClient

from kopcore._plugin_manager import PluginHost
from kopcore._tenants.hosting import GatedDatabase, TenantKernels, tenant_engine, tenant_settings
from kopcore._tenants.local import LocalCluster, missing_programs, scratch_directory
from kopcore._tenants.provision import create_tenant
from kopcore._tenants.registry import Registry
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.settings import Settings
from kopcore.testing import START_DATE

T = TypeVar("T")


def _timed(phases: dict[str, list[float]], name: str, work: Callable[[], T]) -> T:
    """Run ``work``; record its wall-clock seconds under ``name`` and its CPU seconds (this
    process's, steadier on a shared machine) under ``name`` + `` (cpu)``."""
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    phases.setdefault(name, []).append(time.perf_counter() - started)
    phases.setdefault(f"{name} (cpu)", []).append(time.process_time() - cpu)
    return result


def _first_request(phases: dict[str, list[float]], settings: Settings, registry: Registry,
                   slug: str, key: str) -> None:
    """What :meth:`Platform.hosted` and the first request do, each phase timed."""
    started, cpu = time.perf_counter(), time.process_time()
    kernels = TenantKernels(settings)
    tenant = registry.get(slug)
    cluster = registry.cluster(tenant.cluster)
    own = _timed(phases, "settings", lambda: tenant_settings(settings, tenant, cluster))
    plugins = _timed(phases, "plugins", lambda: PluginHost.load(own.plugins))
    kernel = _timed(phases, "engine and kernel", lambda: Kernel(own, GatedDatabase(
        tenant_engine(cluster, tenant.database), kernels.gate(cluster)), plugins))
    try:
        _timed(phases, "prepare", kernel.prepare)
        app = _timed(phases, "Litestar app", lambda: make_app(kernel))
        with TestClient(app) as client:
            response = _timed(phases, "first request", lambda: client.get(
                "/api/v1/users/list", headers={"Authorization": f"Bearer {key}"}))
            assert response.status_code == 200, response.text
        phases.setdefault("total", []).append(time.perf_counter() - started)
        phases.setdefault("total (cpu)", []).append(time.process_time() - cpu)
    finally:
        kernel.close()


def measure(settings: Settings, registry: Registry, slug: str, key: str,
            runs: int) -> dict[str, list[float]]:
    """Each phase's seconds, one figure per run."""
    phases: dict[str, list[float]] = {}
    for _run in range(runs):
        _first_request(phases, settings, registry, slug, key)
    return phases


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--plugins", default="savings,payments")
    parser.add_argument("--output", type=Path, default=None)
    logging.disable(logging.INFO)  # the test client logs every request
    args = parser.parse_args(argv)
    if missing_programs():
        raise SystemExit(f"needs {', '.join(missing_programs())}")
    plugins = tuple(name for name in args.plugins.split(",") if name)
    directory = scratch_directory("kopcore-cold-")
    cluster = LocalCluster(directory / "pg")
    registry: Registry | None = None
    try:
        cluster.start()
        cluster.create_databases("kopcore_registry")
        settings = Settings(plugins=plugins, tenant_registry_url=cluster.url + "/kopcore_registry")
        registry = Registry.open(str(settings.tenant_registry_url))
        registry.add_cluster("pg1", cluster.url, max_connections=4)
        key = create_tenant(settings, registry, "ksp-cold", name="Koperasi Dingin",
                            plugins=plugins, cluster="pg1", initial_date=START_DATE).api_key
        PluginHost.load(plugins)  # the process's imports done, as a serving process has them
        phases = measure(settings, registry, "ksp-cold", key, args.runs)
    finally:
        if registry is not None:
            registry.close()
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
    medians = {name: round(statistics.median(values), 4) for name, values in phases.items()}
    for name, value in medians.items():
        print(f"{name:26} {value * 1000:8.1f} ms  (runs: "
              f"{', '.join(f'{v * 1000:.0f}' for v in phases[name])})")
    result = {"runs": args.runs, "plugins": list(plugins), "median_seconds": medians}
    if args.output:
        args.output.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
