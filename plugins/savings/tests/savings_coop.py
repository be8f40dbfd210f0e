"""A test cooperative with only the kernel and savings enabled (see conftest.py for the fixture).

Everything goes through the public interfaces: operations are run with
:func:`kopcore.service.invoke` (the path behind every API route and CLI command) as an
identified user, and end of day with :mod:`kopcore.eod`.
"""

from __future__ import annotations

import itertools
from datetime import date
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
    """A test cooperative: admin and teller users, a funded teller cash account."""

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

    def member(self, name: str = "Ni Luh Ayu") -> str:
        serial = next(_serial)
        number = self.call("members.register", name=name,
                           nik=f"517101150890{serial:04d}")["member_number"]
        self.call("members.activate", member=number)
        return str(number)

    def member_user(self, member: str) -> str:
        username = f"m-{member.lower()}"
        self.call("users.create", username=username, role="member", member=member)
        return username

    def product(self, code: str, type_: str, **params: Any) -> dict[str, Any]:
        return dict(self.call("savings.product-create", code=code, name=code, type=type_,
                              **params))

    def open(self, member: str, product: str) -> str:
        return str(self.call("savings.open", member=member, product=product)["account"]["number"])

    def deposit(self, account: str, amount: str) -> Any:
        return self.call("savings.deposit", account=account, amount=amount, cash_account=CASH)

    def withdraw(self, account: str, amount: str) -> Any:
        return self.call("savings.withdraw", account=account, amount=amount, cash_account=CASH)

    def balance(self, account: str) -> str:
        return str(self.call("savings.balance", account=account)["account"]["balance"]["amount"])

    def today(self) -> date:
        return eod.current_business_date(self.kernel)

    def close_days_until(self, day: date) -> None:
        eod.run_end_of_day(self.kernel, until=day)

    def snapshot(self) -> tuple[Any, ...]:
        """Everything money: entries, postings and every account's balance and hold."""

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
        """Trial balance at zero (debits = credits) and cached balances = postings."""
        tb = self.call("reports.trial-balance")
        assert tb["total_debit"] == tb["total_credit"]
        assert self.kernel.read("auditor", ledger.ledger_invariants) == []
