"""kopcore's benchmark suite: ``python -m bench`` (see bench/README.md).

Every figure is measured twice in the same run: through kopcore, and through the raw driver
(``sqlite3`` / ``psycopg``) executing the equivalent SQL in the equivalent transactions on the
same migrated schema. The ratio kopcore/raw is kopcore's own overhead.

Modules: :mod:`bench.targets` (databases, seeding, copies), :mod:`bench.ops` (operations run
as a user), :mod:`bench.posting`, :mod:`bench.eod`, :mod:`bench.savings_eod`,
:mod:`bench.loans_eod`, :mod:`bench.api`, :mod:`bench.peer`, :mod:`bench.environment` and
:mod:`bench.report`. A new workload is a function ``run(target, sizes, log) -> list[Figure]``
registered in :data:`bench.__main__.WORKLOADS`.
"""
