"""Running kopcore operations from the bench, as an identified user, through
:func:`kopcore._service.invoke` (the path behind every API route and CLI command). The benches use
it to create products and a few reference accounts the way an operator would, before seeding the
bulk of the data set-based."""

from __future__ import annotations

from typing import Any

from kopcore import _auth as auth
from kopcore._auth import Principal
from kopcore._service import invoke
from kopcore.context import Context
from kopcore.kernel import Kernel

CASH = "BENCH-TELLER"


class Operator:
    """Two ``admin`` users on ``kernel`` (an application is decided by another person than
    the one who entered it) and a funded teller cash account ``BENCH-TELLER``."""

    USERS = ("bench-admin", "bench-approver")

    def __init__(self, kernel: Kernel, *, capital: str = "100000000000") -> None:
        self.kernel = kernel
        def create(ctx: Context) -> None:
            for user in self.USERS:
                auth.create_user(ctx.conn, user, "admin")

        def principals(ctx: Context) -> dict[str, Principal]:
            return {user: auth.principal_for(ctx.conn, kernel.plugins, user)
                    for user in self.USERS}

        kernel.write("system", create)
        self.principals = kernel.read("system", principals)
        self.call("accounts.open-internal", name="Kas teller bench", gl_key="cash", number=CASH)
        self.call("entries.post", memo="Modal awal", lines=[
            {"account": CASH, "side": "debit", "amount": capital},
            {"account": "GL-equity.grants", "side": "credit", "amount": capital}])
        self._serial = 0

    def call(self, operation: str, *, as_user: str = "bench-admin", **raw: Any) -> Any:
        op = self.kernel.plugins.operations[operation].value
        return invoke(self.kernel, op, raw, self.principals[as_user], interface="bench").payload

    def member(self, name: str) -> str:
        self._serial += 1
        number = self.call("members.register", name=name,
                           nik=f"3171010101{self._serial:06d}")["member_number"]
        self.call("members.activate", member=number)
        return str(number)
