"""The context every handler, hook and end-of-day task receives."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection

from kopcore._db.tables import HEAD_OFFICE_ID
from kopcore._facts import BUSINESS_DATE

if TYPE_CHECKING:
    from kopcore._auth import Principal
    from kopcore.kernel import Kernel
    from kopcore.settings import Settings


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
    _books_office_id: int | None = attrs.field(default=None, alias="_books_office_id")

    @property
    def settings(self) -> Settings:
        return self.kernel.settings

    @property
    def environment(self) -> Mapping[str, str]:
        """Where the cooperative's plugins read their providers' and gateways' variables
        (``KOPCORE_PAYMENTS_...``, ``KOPCORE_PPOB_...``): the process environment, or on a
        platform serving many cooperatives the cooperative's own ``environment`` setting,
        so no cooperative ever uses another's credentials."""
        own = self.kernel.settings.environment
        return os.environ if own is None else own

    @property
    def business_date(self) -> date:
        """The cooperative's current business date (from the database, not the clock).

        Read with the transaction's other facts (see :mod:`kopcore._facts`), once per
        transaction."""
        if self._business_date is None:
            self._business_date = self.fact(BUSINESS_DATE)
        return self._business_date

    @property
    def office_id(self) -> int:
        """The office the call is made at (contract 1.1): the acting user's office, or the
        head office for the kernel's own work (end of day) and direct calls from Python.
        Accounts opened without an office are opened here."""
        office_id: int | None = getattr(self.principal, "office_id", None)
        return office_id if office_id is not None else HEAD_OFFICE_ID

    @property
    def books_office_id(self) -> int | None:
        """Whose books the reports of this unit of work read (contract 1.1): one office's
        (its id), or ``None`` for the consolidated books. A report operation asked for one
        office (``--office``) sets it; a plugin's ``kopcore_health_figures`` may narrow its
        figures to the accounts of that office (``kopcore.query.accounts.c.office_id``)."""
        return self._books_office_id

    def for_books_of(self, office_id: int | None) -> Context:
        """The same unit of work, reading the books of office ``office_id`` (``None``:
        consolidated)."""
        return attrs.evolve(self, _books_office_id=office_id)

    def fact(self, name: str) -> Any:
        """A transaction fact (``kopcore_transaction_facts``), read once per transaction
        together with the business date and the other plugins' facts."""
        try:
            return self.kernel.facts.load(self.conn)[name]
        except KeyError:
            raise KeyError(f"no transaction fact {name!r} is declared by a loaded plugin") \
                from None

    def remember_fact(self, name: str, value: Any) -> None:
        """Set a fact for the rest of this transaction, after writing what it reads (closing a
        month changes the last closed day)."""
        self.fact(name)
        self.kernel.facts.remember(self.conn, name, value)

    def forget_facts(self) -> None:
        """Read the facts again at their next use in this transaction (after a change whose
        new value is easier to read back than to compute)."""
        self.kernel.facts.forget(self.conn)

    def for_operation(self, operation: str) -> Context:
        """The same unit of work, attributed to another operation name."""
        return attrs.evolve(self, operation=operation)
