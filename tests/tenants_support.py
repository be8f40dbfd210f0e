"""Set-up of the tenant tests: two scratch PostgreSQL clusters on free loopback ports, PgBouncer
(transaction pooling) in front of the second, a registry database on the first, and two
cooperatives, ``ksp-a`` on ``alpha`` (direct) and ``ksp-b`` on ``beta`` (through PgBouncer).

The clusters are made with ``initdb``/``pg_ctl`` in a temporary directory and torn down after
the module. The tests run with the postgres tox env (``KOPCORE_TEST_DATABASE=postgresql://...``)
and skip visibly elsewhere; under CI (``CI=true``) a machine without ``initdb`` or ``pgbouncer``
fails them instead of skipping.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from kopcore._tenants.local import (
    LocalCluster,
    LocalPgBouncer,
    missing_programs,
    scratch_directory,
)
from kopcore._tenants.provision import create_tenant
from kopcore._tenants.registry import Registry
from kopcore.settings import Settings
from kopcore.testing import ON_POSTGRES, START_DATE

BASE_DOMAIN = "kop.test"
PLUGINS = ("savings", "payments")


@attrs.define
class Platform:
    settings: Settings
    registry: Registry
    keys: dict[str, str]
    alpha: LocalCluster
    beta: LocalCluster
    bouncer: LocalPgBouncer


def require_local_clusters() -> None:
    if not ON_POSTGRES:
        pytest.skip("needs PostgreSQL: runs in the postgres tox env "
                    "(KOPCORE_TEST_DATABASE=postgresql://...)")
    missing = missing_programs()
    if missing:
        text_ = f"local PostgreSQL clusters need {', '.join(missing)} on this machine"
        if os.environ.get("CI"):
            pytest.fail(text_ + " (CI requires them)", pytrace=False)
        pytest.skip(text_)


def start_platform(plugins: tuple[str, ...] = PLUGINS) -> Iterator[Platform]:
    """The two clusters, PgBouncer, the registry and the two cooperatives."""
    require_local_clusters()
    directory = scratch_directory("kopcore-tenants-")
    alpha = LocalCluster(directory / "alpha")
    beta = LocalCluster(directory / "beta")
    bouncer = LocalPgBouncer(directory / "bouncer", beta, pool_size=4)
    registry: Registry | None = None
    try:
        alpha.start()
        beta.start()
        bouncer.start()
        alpha.create_databases("kopcore_registry")
        settings = Settings(plugins=plugins, tenant_registry_url=alpha.url + "/kopcore_registry",
                            tenant_base_domain=BASE_DOMAIN)
        registry = Registry.open(str(settings.tenant_registry_url))
        registry.add_cluster("alpha", alpha.url, max_connections=4)
        registry.add_cluster("beta", bouncer.url, admin_url=beta.url, max_connections=4,
                             pooler="pgbouncer")
        keys = {}
        for slug, cluster in (("ksp-a", "alpha"), ("ksp-b", "beta")):
            created = create_tenant(settings, registry, slug, name=f"Koperasi {slug}",
                                    plugins=plugins, cluster=cluster, initial_date=START_DATE)
            keys[slug] = created.api_key
        yield Platform(settings, registry, keys, alpha, beta, bouncer)
    finally:
        if registry is not None:
            registry.close()
        bouncer.stop()
        beta.stop()
        alpha.stop()
        shutil.rmtree(directory, ignore_errors=True)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def payload(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()
