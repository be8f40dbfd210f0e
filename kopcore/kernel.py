"""The kernel: settings + database + plugins, and the way to run work in a transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

from sqlalchemy import Connection, inspect, select
from sqlalchemy.engine import make_url

from kopcore._db import Database, make_engine
from kopcore._db import tables as t
from kopcore._facts import TransactionFacts
from kopcore._plugin_manager import PluginHost
from kopcore.context import Context
from kopcore.errors import ConfigurationError
from kopcore.ledger._chart import chart_in_sync, effective_chart, sync_chart
from kopcore.settings import Settings

T = TypeVar("T")

SYSTEM_ACTOR = "system"


class Kernel:
    """A running cooperative: use :meth:`start`, then :meth:`write` / :meth:`read`.

    >>> kernel = Kernel.start(Settings(database_url="sqlite:///demo.db"))  # doctest: +SKIP
    >>> kernel.write("admin", lambda ctx: ledger.register_member(ctx, name=..., nik=...))
    """

    def __init__(self, settings: Settings, db: Database, plugins: PluginHost) -> None:
        self.settings = settings
        self.db = db
        self.plugins = plugins
        #: What every transaction may read once: the business date and the plugins' facts.
        self.facts = TransactionFacts({name: claimed.value
                                       for name, claimed in plugins.facts.items()})

    @classmethod
    def start(
        cls,
        settings: Settings,
        *,
        plugins: PluginHost | None = None,
        extra_plugins: Iterable[tuple[str, object]] = (),
        migrate: bool = False,
        initial_date: date | None = None,
    ) -> Kernel:
        """Load plugins (failing closed) unless a loaded ``plugins`` host is given, connect,
        optionally migrate, and sync the chart."""
        if plugins is None:
            plugins = PluginHost.load(settings.plugins, extra=extra_plugins)
        engine = make_engine(settings.database_url,
                             busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        kernel = cls(settings, Database(engine, retries=settings.transaction_retries,
                                        writer_wait_s=settings.sqlite_busy_timeout_ms / 1000),
                     plugins)
        if migrate:
            from kopcore._db.migrate import upgrade

            upgrade(kernel)
        kernel.prepare(initial_date=initial_date)
        return kernel

    def prepare(self, *, initial_date: date | None = None) -> None:
        """Check the schema is there, set the first business date, sync the chart."""
        if not inspect(self.db.engine).has_table("business_calendar"):
            shown = make_url(self.settings.database_url).render_as_string(hide_password=True)
            raise ConfigurationError(
                f"database {shown} has no "
                "kopcore tables: run `kopcore db upgrade`"
            )
        chart = effective_chart(self.plugins.gl_accounts, self.settings.chart)
        self._check_approval_thresholds()

        def _prepare(conn: Connection) -> None:
            current = conn.execute(select(t.business_calendar.c.business_date)).scalar()
            if current is None:
                current = initial_date or date.today()
                conn.execute(t.business_calendar.insert().values(id=1, business_date=current))
            sync_chart(conn, chart, self.settings.currency, current)

        def _in_sync(conn: Connection) -> bool:
            has_date = conn.execute(select(t.business_calendar.c.business_date)).first()
            return has_date is not None and chart_in_sync(conn, chart)

        if not self.db.read(_in_sync):
            self.db.write(_prepare)

    def _check_approval_thresholds(self) -> None:
        for name in sorted(self.settings.approval_thresholds):
            claimed = self.plugins.operations.get(name)
            if claimed is None:
                raise ConfigurationError(f"approval_thresholds names unknown operation {name!r}")
            if claimed.value.approval_amount_field is None:
                raise ConfigurationError(
                    f"approval_thresholds: operation {name!r} has no amount to compare "
                    "(it does not support maker-checker approval)"
                )

    def write(self, actor: str, work: Callable[[Context], T], *, operation: str = "python-api",
              principal: object | None = None) -> T:
        """Run ``work(ctx)`` in one write transaction (retried on serialization failures)."""
        return self.db.write(lambda conn: work(Context(self, conn, actor, operation,
                                                       principal)))  # type: ignore[arg-type]

    def read(self, actor: str, work: Callable[[Context], T], *, operation: str = "python-api",
             principal: object | None = None) -> T:
        return self.db.read(lambda conn: work(Context(self, conn, actor, operation,
                                                      principal)))  # type: ignore[arg-type]

    def close(self) -> None:
        self.db.dispose()
