"""The platform's routing and the tenant registry, without PostgreSQL: the registry in an SQLite
file and each tenant's app a stand-in that says whose it is, so the refusals and the routing
rules are checked everywhere (the tests on real clusters are in test_tenants.py)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, inspect, text

from kopcore._tenants.hosting import ClusterBusy, ClusterGate, TenantKernels, tenant_settings
from kopcore._tenants.platform import Platform
from kopcore._tenants.registry import (
    VERSION_TABLE,
    Registry,
    TenantConflict,
    database_name,
    metadata,
    upgrade_registry,
)
from kopcore.errors import ValidationError
from kopcore.settings import Settings


class StandIn:
    """What the platform needs of a kernel: a settings, an engine to cool, close."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.closed = False

    def close(self) -> None:
        self.closed = True


class StandInKernels(TenantKernels):
    def open(self, tenant: Any, cluster: Any, **_: Any) -> Any:  # type: ignore[override]
        return StandIn(tenant.slug)


def stand_in_app(kernel: Any) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = f"{kernel.slug} {scope['method']} {scope['path']}".encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})
    return app


@pytest.fixture
def registry(tmp_path: Path) -> Any:
    made = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    made.add_cluster("alpha", "postgresql://kopcore@pg-a:6432", max_connections=10)
    made.add_cluster("beta", "postgresql://kopcore@pg-b:6432", max_connections=30,
                     admin_url="postgresql://postgres@pg-b:5432", pooler="pgbouncer")
    for slug in ("ksp-a", "ksp-b"):
        made.reserve(slug, "alpha", ("savings",), {"cooperative_name": f"Koperasi {slug}"})
        made.update(slug, state="active")
    yield made
    made.close()


@pytest.fixture
def platform(registry: Registry) -> Any:
    settings = Settings(tenant_base_domain="kop.test")
    clock = [0.0]
    made = Platform(settings, registry, make_app=stand_in_app,
                    kernels=StandInKernels(settings), clock=lambda: clock[0])
    made.tick = lambda: clock.__setitem__(0, clock[0] + 5)  # type: ignore[attr-defined]
    return made


def get(platform: Platform, host: str, path: str, method: str = "GET") -> Any:
    # Without ``with``: no lifespan, whose shutdown closes every tenant's app.
    client = TestClient(platform, base_url=f"http://{host}")  # type: ignore[arg-type]
    return client.request(method, path)


def test_the_host_name_or_the_path_names_the_cooperative(platform: Platform) -> None:
    assert get(platform, "ksp-a.kop.test", "/api/v1/users/list").text == \
        "ksp-a GET /api/v1/users/list"
    assert get(platform, "KSP-B.kop.test:8000", "/app/").text == "ksp-b GET /app/"
    assert get(platform, "kop.test", "/t/ksp-b/api/v1/users/list").text == \
        "ksp-b GET /api/v1/users/list"
    # The web apps too: the tenant's app sees the prefix as the ASGI root_path.
    assert get(platform, "kop.test", "/t/ksp-a/app/").text == "ksp-a GET /app/"
    assert get(platform, "kop.test", "/t/ksp-b/anggota/masuk").text == \
        "ksp-b GET /anggota/masuk"
    slug, inner, by_path = platform.route({"type": "http", "path": "/t/ksp-a/app/teller",
                                           "root_path": "", "headers": []})
    assert (slug, inner["path"], inner["root_path"], by_path) == \
        ("ksp-a", "/app/teller", "/t/ksp-a", True)
    # A host name that names a cooperative is never overridden by a path.
    assert get(platform, "ksp-a.kop.test", "/t/ksp-b/api/v1/users/list").text == \
        "ksp-a GET /t/ksp-b/api/v1/users/list"


@pytest.mark.parametrize(("host", "path", "code"), [
    ("nope.kop.test", "/api/v1/users/list", "tenant-not-found"),
    ("a.ksp-a.kop.test", "/api/v1/users/list", "tenant-not-found"),
    ("kop.test", "/api/v1/users/list", "tenant-not-found"),
    ("kop.test", "/t/../api/v1/users/list", "tenant-not-found"),
    ("kop.test", "/t/KSP_A/api/v1/users/list", "tenant-not-found"),
])
def test_what_names_no_cooperative_is_a_typed_404(platform: Platform, host: str, path: str,
                                                   code: str) -> None:
    response = get(platform, host, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_a_suspended_cooperative_is_refused_and_a_moving_one_reads_only(
        platform: Platform, registry: Registry) -> None:
    registry.update("ksp-a", state="suspended")
    registry.update("ksp-b", state="moving")
    platform.tick()  # type: ignore[attr-defined]
    suspended = get(platform, "ksp-a.kop.test", "/api/v1/users/list")
    assert (suspended.status_code, suspended.json()["code"]) == (403, "tenant-suspended")
    assert suspended.json()["title"] == "Koperasi dibekukan"
    assert get(platform, "ksp-b.kop.test", "/api/v1/users/list").status_code == 200
    moving = get(platform, "ksp-b.kop.test", "/api/v1/entries/post", method="POST")
    assert (moving.status_code, moving.json()["code"]) == (503, "tenant-moving")
    assert moving.headers["retry-after"] == "5"
    registry.update("ksp-a", state="active")
    assert get(platform, "ksp-a.kop.test", "/x").status_code == 403  # until re-read
    platform.tick()  # type: ignore[attr-defined]
    assert get(platform, "ksp-a.kop.test", "/x").status_code == 200


def test_a_moved_cooperative_gets_a_new_kernel_and_the_old_one_is_closed(
        platform: Platform, registry: Registry) -> None:
    get(platform, "ksp-a.kop.test", "/")
    first = platform._hosted["ksp-a"].kernel
    registry.update("ksp-a", cluster="beta")
    platform.tick()  # type: ignore[attr-defined]
    get(platform, "ksp-a.kop.test", "/")
    assert platform._hosted["ksp-a"].kernel is not first
    assert first.closed


def test_at_most_tenant_apps_cached_apps_are_kept(registry: Registry) -> None:
    settings = Settings(tenant_base_domain="kop.test", tenant_apps_cached=1)
    platform = Platform(settings, registry, make_app=stand_in_app,
                        kernels=StandInKernels(settings))
    get(platform, "ksp-a.kop.test", "/")
    first = platform._hosted["ksp-a"].kernel
    get(platform, "ksp-b.kop.test", "/")
    assert list(platform._hosted) == ["ksp-b"]
    assert first.closed


def test_the_registry_refuses_bad_slugs_duplicates_and_wrong_states(registry: Registry) -> None:
    for bad in ("ab", "Ksp", "-ksp", "ksp-", "ksp_a", "k" * 41, "ksp.a"):
        with pytest.raises(ValidationError):
            registry.reserve(bad, "alpha", (), {})
    with pytest.raises(TenantConflict):
        registry.reserve("ksp-a", "alpha", (), {})
    with pytest.raises(TenantConflict):
        registry.update("ksp-a", expect_state=("suspended",), state="active")
    assert database_name("ksp-maju-2") == "kop_ksp_maju_2"


def test_a_new_cooperative_goes_to_the_cluster_with_most_room(registry: Registry) -> None:
    # alpha: 2 tenants for 10 connections; beta: 0 for 30.
    assert registry.least_loaded().name == "beta"
    for n in range(7):
        registry.reserve(f"ksp-b{n}", "beta", (), {})
    # alpha 2/10 = 0.2 < beta 7/30 = 0.233
    assert registry.least_loaded().name == "alpha"


def test_a_tenant_has_its_own_settings_and_never_the_process_environment(
        registry: Registry) -> None:
    tenant = registry.reserve("ksp-c", "beta", ("savings", "loans"), {
        "cooperative_name": "KSP Citra", "language": "en", "integrity_key": "k" * 40,
        "api_port": 9999})
    platform = Settings(plugins=("savings",), cooperative_name="Platform",
                        environment=None)
    own = tenant_settings(platform, tenant, registry.cluster("beta"))
    assert own.database_url == "postgresql://kopcore@pg-b:6432/kop_ksp_c?pooler=pgbouncer"
    assert (own.cooperative_name, own.language, own.plugins) == \
        ("KSP Citra", "en", ("savings", "loans"))
    assert own.integrity_key == "k" * 40
    assert own.environment == {}
    assert own.api_port == platform.api_port  # not a key a tenant may set


def test_a_cluster_gate_lets_limit_transactions_through_and_refuses_the_next() -> None:
    gate = ClusterGate("alpha", 2, timeout=0.2)
    release = threading.Event()
    inside = threading.Barrier(3)

    def hold() -> None:
        # nested on the same thread: counts once, never waits
        with gate.held(), gate.held():
            inside.wait()
            release.wait(5)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert gate.in_use == 2
    started = time.monotonic()
    with pytest.raises(ClusterBusy) as refused, gate.held():
        pass
    assert time.monotonic() - started >= 0.2
    assert refused.value.status == 503
    release.set()
    for thread in threads:
        thread.join()
    with gate.held():
        assert gate.in_use == 1
    assert (gate.in_use, gate.peak) == (0, 2)


def test_the_access_log_of_the_platform_names_the_cooperative() -> None:
    from uvicorn.logging import AccessFormatter

    from kopcore._tenants.platform import current_tenant, tag_log_records
    from kopcore.interfaces._logs import server_log_config

    tag_log_records()
    formatter = AccessFormatter(server_log_config(tenants=True)["formatters"]["access"]["fmt"],
                                use_colors=False)
    token = current_tenant.set("ksp-a")
    try:
        record = logging.getLogger("uvicorn.access").makeRecord(
            "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
            ("10.0.0.9:5000", "GET", "/api/v1/users/list", "1.1", 200), None)
    finally:
        current_tenant.reset(token)
    assert formatter.format(record) == \
        'INFO:     [tenant ksp-a] 10.0.0.9:5000 - "GET /api/v1/users/list HTTP/1.1" 200 OK'


def test_the_registry_is_made_by_its_own_revisions_and_an_old_one_is_stamped(
        registry: Registry, tmp_path: Path) -> None:
    assert upgrade_registry(registry.engine) == ["r0001"]  # again: nothing to do
    made = set(inspect(registry.engine).get_table_names())
    assert made == {"tenant_clusters", "tenants", "tenant_events", VERSION_TABLE}
    assert "alembic_version" not in made  # never the kernel's version table

    # A registry made before the revisions, by create_all, holding a cooperative.
    url = f"sqlite:///{tmp_path / 'old-registry.db'}"
    engine = create_engine(url)
    metadata.create_all(engine)
    old = Registry(engine)  # the constructor alone: no revisions run
    old.add_cluster("alpha", "postgresql://kopcore@pg-a:6432")
    old.reserve("ksp-lama", "alpha", ("savings",), {"cooperative_name": "KSP Lama"})
    old.close()
    assert VERSION_TABLE not in inspect(engine).get_table_names()
    reopened = Registry.open(url)
    try:
        with reopened.engine.connect() as conn:
            assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all() == \
                [("r0001",)]
        assert reopened.get("ksp-lama").settings == {"cooperative_name": "KSP Lama"}
        assert [c.name for c in reopened.clusters()] == ["alpha"]
    finally:
        reopened.close()


@pytest.fixture
def rollout(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Six cooperatives (ksp-a..ksp-f); a stand-in migration that fails the ``broken`` ones;
    the pauses recorded instead of slept."""
    from kopcore._tenants import rollout as module

    for slug in ("ksp-c", "ksp-d", "ksp-e", "ksp-f"):
        registry.reserve(slug, "alpha", ("savings",), {})
        registry.update(slug, state="active")
    broken: set[str] = set()
    tried: list[str] = []
    paused: list[float] = []

    def migrate_one(_kernels: Any, _registry: Any, tenant: Any) -> Any:
        tried.append(tenant.slug)
        error = "OperationalError: no such database" if tenant.slug in broken else None
        return module.MigrationResult(tenant.slug, ("k0012",), ("k0012",) if error else
                                      ("k0013",), 0.5, error=error)

    monkeypatch.setattr(module, "migrate_one", migrate_one)

    def run(plan: Any, slugs: tuple[str, ...] | None = None) -> Any:
        tried.clear()
        paused.clear()
        return module.migrate_tenants(Settings(), registry, slugs, plan=plan,
                                      sleep=paused.append)

    return module, broken, tried, paused, run


def test_a_rollout_goes_canaries_first_then_in_batches_with_pauses(rollout: Any) -> None:
    module, _broken, tried, paused, run = rollout
    assert module.batches(["a", "b", "c", "d", "e", "f"], module.Plan(canary=1, batch_size=2)) \
        == [["a"], ["b", "c"], ["d", "e"], ["f"]]
    done = run(module.Plan(canary=1, batch_size=2, pause=30.0))
    assert tried == ["ksp-a", "ksp-b", "ksp-c", "ksp-d", "ksp-e", "ksp-f"]
    assert paused == [30.0, 30.0, 30.0]  # after the canary and between the three batches
    assert (done.complete, done.stopped, done.not_attempted) == (True, None, ())
    assert [r.after for r in done.results] == [("k0013",)] * 6


def test_a_failed_canary_stops_the_rollout(rollout: Any) -> None:
    module, broken, tried, _paused, run = rollout
    broken.add("ksp-b")
    done = run(module.Plan(canary=2, batch_size=2), ("ksp-a", "ksp-b", "ksp-c", "ksp-d"))
    assert tried == ["ksp-a", "ksp-b"]
    assert done.migrated == ["ksp-a"]
    assert [(r.slug, r.error) for r in done.failed] == \
        [("ksp-b", "OperationalError: no such database")]
    assert done.not_attempted == ("ksp-c", "ksp-d")
    assert done.stopped == "the canary cooperative ksp-b failed: the rollout stopped"
    assert not done.complete


def test_a_rollout_stops_at_its_failure_limit_and_goes_on_without_one(rollout: Any) -> None:
    module, broken, tried, _paused, run = rollout
    broken.update({"ksp-b", "ksp-d"})
    limited = run(module.Plan(max_failures=2))
    assert tried == ["ksp-a", "ksp-b", "ksp-c", "ksp-d"]
    assert limited.not_attempted == ("ksp-e", "ksp-f")
    assert limited.stopped.text_in("id") == \
        "2 koperasi gagal, batas yang diizinkan (--max-failures 2): peluncuran dihentikan"
    unlimited = run(module.Plan())
    assert len(tried) == 6
    assert (unlimited.migrated, unlimited.not_attempted, unlimited.stopped) == \
        (["ksp-a", "ksp-c", "ksp-e", "ksp-f"], (), None)


def test_a_pause_without_batches_is_refused_before_anything_runs(registry: Registry) -> None:
    from click.testing import CliRunner

    from kopcore._plugin_manager import PluginHost
    from kopcore.cli import make_cli

    settings = Settings(tenant_registry_url=str(registry.engine.url), language="en")
    cli = make_cli(settings, PluginHost.load(()))
    refused = CliRunner().invoke(cli, ["tenants", "migrate", "--pause", "5"])
    assert refused.exit_code == 2
    assert "a pause is between batches: give --batch-size or --canary" in refused.output
    assert registry.events("ksp-a") == []


def test_two_cooperatives_apps_share_only_types_and_each_answers_with_its_own(
        tmp_path: Path) -> None:
    """What an app's build shares across cooperatives (handler type hints, OpenAPI operation
    classes) carries nothing of one: each app's OpenAPI title is its own cooperative's name, an
    API key works only at the app whose database issued it."""
    from kopcore import _auth as auth
    from kopcore.interfaces.api import make_app, operation_spec
    from kopcore.kernel import Kernel

    apps, keys, kernels = {}, {}, []
    for slug, name in (("a", "Koperasi Alfa"), ("b", "Koperasi Beta")):
        kernel = Kernel.start(Settings(database_url=f"sqlite:///{tmp_path / slug}.db",
                                       cooperative_name=name, plugins=("savings",)),
                              migrate=True)
        kernels.append(kernel)

        def bootstrap(ctx: Any) -> str:
            auth.create_user(ctx.conn, "admin", "admin")
            return auth.issue_key(ctx.conn, "admin", "test")[1]

        keys[slug] = kernel.write("system", bootstrap)
        apps[slug] = make_app(kernel)
    try:
        a_op = kernels[0].plugins.operations["users.list"].value
        b_op = kernels[1].plugins.operations["users.list"].value
        assert a_op is not b_op  # each plugin host declares its own
        assert operation_spec(a_op) is operation_spec(b_op)
        with TestClient(apps["a"]) as a, TestClient(apps["b"]) as b:
            assert a.get("/docs/openapi.json").json()["info"]["title"] == \
                "kopcore API — Koperasi Alfa"
            assert b.get("/docs/openapi.json").json()["info"]["title"] == \
                "kopcore API — Koperasi Beta"
            for client, own, other in ((a, "a", "b"), (b, "b", "a")):
                assert client.get("/api/v1/users/list", headers={
                    "Authorization": f"Bearer {keys[own]}"}).status_code == 200
                assert client.get("/api/v1/users/list", headers={
                    "Authorization": f"Bearer {keys[other]}"}).status_code == 401
    finally:
        for kernel in kernels:
            kernel.close()
