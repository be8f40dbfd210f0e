"""Rolling migrations out across the cooperatives: ``kopcore tenants migrate``.

Each cooperative's database is upgraded in its own transaction
(:func:`kopcore._db.migrate.upgrade`), one cooperative at a time, and reported: the revisions
before and after, the seconds taken, or why it failed. The rollout is throttled by a
:class:`Plan`:

- ``canary``: the first N cooperatives are migrated first; the first of them to fail stops the
  rollout, so a broken migration reaches one cooperative, not all;
- ``batch_size`` and ``pause``: after the canaries, the others go in batches of that many, with
  ``pause`` seconds between batches (and after the canaries) for the operator to watch;
- ``max_failures``: the rollout stops when that many cooperatives have failed.

Without a plan every cooperative is tried and a failure does not stop the others. A cooperative
being created or moved is skipped (it counts as not migrated, never as a failure that stops the
rollout). What a stopped rollout did not reach is reported as not attempted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import attrs

from kopcore._db.migrate import current_heads, upgrade
from kopcore._tenants.hosting import TenantKernels
from kopcore._tenants.registry import Registry, Tenant
from kopcore.errors import Message, message
from kopcore.settings import Settings


@attrs.frozen
class MigrationResult:
    slug: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    seconds: float
    error: str | None = None
    skipped: bool = False

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else "failed" if self.error is not None else "migrated"


@attrs.frozen
class Plan:
    """How a rollout is throttled (every field optional: ``None`` is no limit)."""

    canary: int | None = None
    batch_size: int | None = None
    pause: float = 0.0
    max_failures: int | None = None


@attrs.frozen
class Rollout:
    """What a rollout did: one result per cooperative tried, the slugs it did not reach, and
    why it stopped early (``None``: it reached every cooperative)."""

    results: tuple[MigrationResult, ...]
    not_attempted: tuple[str, ...]
    stopped: Message | None

    @property
    def migrated(self) -> list[str]:
        return [r.slug for r in self.results if r.status == "migrated"]

    @property
    def failed(self) -> list[MigrationResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def skipped(self) -> list[MigrationResult]:
        return [r for r in self.results if r.status == "skipped"]

    @property
    def complete(self) -> bool:
        """Every cooperative named was migrated."""
        return len(self.migrated) == len(self.results) and not self.not_attempted


def migrate_one(kernels: TenantKernels, registry: Registry, tenant: Tenant) -> MigrationResult:
    """Upgrade one cooperative's database and prepare it (its chart synced); a failure is a
    result with its ``error``."""
    started = time.perf_counter()
    before: tuple[str, ...] = ()
    try:
        kernel = kernels.open(tenant, registry.cluster(tenant.cluster), prepare=False)
        try:
            before = tuple(current_heads(kernel))
            upgrade(kernel)
            kernel.prepare()
            after = tuple(current_heads(kernel))
        finally:
            kernel.close()
    except Exception as exc:  # reported; the plan decides whether the rollout goes on
        return MigrationResult(tenant.slug, before, before, time.perf_counter() - started,
                               error=f"{type(exc).__name__}: {exc}"[:300])
    return MigrationResult(tenant.slug, before, after, time.perf_counter() - started)


def batches(slugs: list[str], plan: Plan) -> list[list[str]]:
    """The rollout's batches: the canaries, then batches of ``batch_size`` (one batch of the
    rest without one)."""
    first = slugs[:plan.canary] if plan.canary else []
    rest = slugs[len(first):]
    size = plan.batch_size or max(len(rest), 1)
    return ([first] if first else []) + [rest[i:i + size] for i in range(0, len(rest), size)]


def migrate_tenants(platform: Settings, registry: Registry, slugs: Iterable[str] | None = None,
                    *, plan: Plan | None = None,
                    progress: Callable[[MigrationResult], None] | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> Rollout:
    """Upgrade the cooperatives' databases (all, or ``slugs`` in the order given) to the newest
    revisions of their plugins, throttled by ``plan``."""
    plan = plan or Plan()
    chosen = [registry.get(slug) for slug in slugs] if slugs else registry.all()
    kernels = TenantKernels(platform)
    results: list[MigrationResult] = []

    def report(result: MigrationResult) -> None:
        results.append(result)
        if progress is not None:
            progress(result)

    for tenant in chosen:
        if tenant.state in ("creating", "moving"):
            report(MigrationResult(tenant.slug, (), (), 0.0, skipped=True, error=message(
                "skipped: the cooperative is {state}", state=tenant.state)))
    runnable = {t.slug: t for t in chosen if t.state not in ("creating", "moving")}
    planned = batches(list(runnable), plan)
    stopped: Message | None = None
    failures = 0
    reached = 0
    for number, batch in enumerate(planned):
        if number > 0 and plan.pause > 0:
            sleep(plan.pause)
        canaries = number == 0 and bool(plan.canary)
        for slug in batch:
            result = migrate_one(kernels, registry, runnable[slug])
            reached += 1
            if result.error is None:
                registry.record(slug, "migrated", {"before": list(result.before),
                                                   "after": list(result.after)})
            else:
                failures += 1
            report(result)
            if result.error is not None and canaries:
                stopped = message("the canary cooperative {slug} failed: the rollout stopped",
                                  slug=slug)
            elif plan.max_failures is not None and failures >= plan.max_failures:
                stopped = message("{failures} cooperatives failed, the most allowed "
                                  "(--max-failures {limit}): the rollout stopped",
                                  failures=failures, limit=plan.max_failures)
            if stopped is not None:
                break
        if stopped is not None:
            break
    order = [slug for batch in planned for slug in batch]
    return Rollout(tuple(results), tuple(order[reached:]), stopped)


__all__ = ["MigrationResult", "Plan", "Rollout", "batches", "migrate_one", "migrate_tenants"]
