"""A test cooperative with the kernel and the sharia plugin (plus ``extra`` plugins).

Operations run through :func:`kopcore.service.invoke`, the path behind every route and command.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import func, select

from kopcore import auth, eod, ledger
from kopcore.context import Context
from kopcore.db import tables as t
from kopcore.errors import KopcoreError
from kopcore.kernel import Kernel
from kopcore.service import invoke

CASH = "CASH-01"
_serial = itertools.count(1)


class Coop:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

        def users(ctx: Context) -> None:
            auth.create_user(ctx.conn, "admin", "admin")
            auth.create_user(ctx.conn, "teller", "teller")

        kernel.write("system", users)
        self.call("accounts.open-internal", name="Kas Teller", gl_key="cash", number=CASH)
        self.call("entries.post", memo="Modal awal", lines=[
            {"account": CASH, "side": "debit", "amount": "1000000000"},
            {"account": "GL-equity.grants", "side": "credit", "amount": "1000000000"}])

    def principal(self, username: str) -> auth.Principal:
        return self.kernel.read(username, lambda ctx: auth.principal_for(
            ctx.conn, self.kernel.plugins, username))

    def call(self, operation: str, *, as_user: str = "admin", **raw: Any) -> Any:
        op = self.kernel.plugins.operations[operation].value
        return invoke(self.kernel, op, raw, self.principal(as_user), interface="test").payload

    def member(self, name: str = "Siti Aminah") -> str:
        serial = next(_serial)
        number = self.call("members.register", name=name,
                           nik=f"327101150890{serial:04d}")["member_number"]
        self.call("members.activate", member=number)
        return str(number)

    def balance(self, number: str) -> str:
        return str(self.call("accounts.get", account=number)["balance"]["amount"])

    def gl_net(self) -> dict[str, int]:
        """Debit-positive minor units per GL key, over every account rolling up to it."""
        day = eod.current_business_date(self.kernel)
        lines = self.kernel.read("auditor", lambda ctx: ledger.trial_balance(ctx, day)["lines"])
        return {line.key: line.net for line in lines}

    def snapshot(self) -> tuple[Any, ...]:
        def read(ctx: Context) -> tuple[Any, ...]:
            a = t.accounts.c
            return (
                ctx.conn.execute(select(func.count()).select_from(t.journal_entries)).scalar(),
                ctx.conn.execute(select(func.count()).select_from(t.postings)).scalar(),
                tuple(ctx.conn.execute(select(a.number, a.balance, a.held, a.status)
                                       .order_by(a.id)).all()),
            )

        return self.kernel.read("auditor", read)

    def refused(self, error: type[KopcoreError], operation: str, **raw: Any) -> KopcoreError:
        """Run an operation that must be refused with ``error`` and change nothing."""
        before = self.snapshot()
        with pytest.raises(error) as caught:
            self.call(operation, **raw)
        assert self.snapshot() == before
        return caught.value

    def books_balance(self) -> None:
        tb = self.call("reports.trial-balance")
        assert tb["total_debit"] == tb["total_credit"]
        assert self.kernel.read("auditor", ledger.ledger_invariants) == []
