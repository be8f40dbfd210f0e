"""The context every handler, hook and end-of-day task receives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, select

from kopcore.db import tables as t

if TYPE_CHECKING:
    from kopcore.auth import Principal
    from kopcore.kernel import Kernel
    from kopcore.settings import Settings


#: Built once: read in every transaction that posts.
_BUSINESS_DATE = select(t.business_calendar.c.business_date)


@attrs.define
class Context:
    """One unit of work: a connection inside an open transaction, and who is acting.

    ``actor`` is the username stamped on entries and audit rows; ``operation`` is the operation
    name (or ``python-api`` for direct calls); ``principal`` is set when a user is authenticated
    (API and CLI), ``None`` for the kernel's own work such as end of day.
    """

    kernel: Kernel
    conn: Connection
    actor: str
    operation: str = "python-api"
    principal: Principal | None = None
    #: Set by the CLI for long-running operations (end of day): progress(label, done, total).
    progress: Callable[[str, int, int], None] | None = None
    _business_date: date | None = attrs.field(default=None, alias="_business_date")

    @property
    def hook(self) -> Any:
        return self.kernel.plugins.hook

    @property
    def settings(self) -> Settings:
        return self.kernel.settings

    @property
    def business_date(self) -> date:
        """The cooperative's current business date (from the database, not the clock)."""
        if self._business_date is None:
            value = self.conn.execute(_BUSINESS_DATE).scalar_one()
            self._business_date = value
        return self._business_date

    def for_operation(self, operation: str) -> Context:
        """The same unit of work, attributed to another operation name."""
        return attrs.evolve(self, operation=operation)
