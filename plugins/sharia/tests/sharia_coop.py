"""A test cooperative with the kernel and the sharia plugin (plus ``extra`` plugins).

Operations run through :func:`kopcore.testing.run_operation`, the path behind every route and
command.
Users: ``admin``, ``teller``, ``auditor`` and two managers, ``manager`` and ``manager2`` (maker
and checker).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kopcore import eod, ledger
from kopcore.kernel import Kernel
from kopcore.testing import Cooperative

CASH = Cooperative.CASH


class Coop(Cooperative):
    def __init__(self, kernel: Kernel, **kwargs: Any) -> None:
        super().__init__(kernel, **kwargs)
        for name, role in (("manager", "manager"), ("manager2", "manager"),
                           ("auditor", "auditor")):
            self.user(name, role)

    def member(self, name: str = "Siti Aminah", *, nik_prefix: str = "327101150890") -> str:
        return super().member(name, nik_prefix=nik_prefix)

    def balance(self, number: str) -> str:
        return str(self.call("accounts.get", account=number)["balance"]["amount"])

    def gl_net(self) -> dict[str, int]:
        """Debit-positive minor units per GL key, over every account rolling up to it."""
        day = eod.current_business_date(self.kernel)
        lines = self.kernel.read("auditor", lambda ctx: ledger.trial_balance(ctx, day)["lines"])
        return {line.key: line.net for line in lines}

    def close_days(self, until: date) -> None:
        eod.run_end_of_day(self.kernel, until=until)

    def approve(self, proposal: int, as_user: str = "manager2") -> Any:
        return self.call("sharia.proposal-approve", as_user=as_user, proposal=proposal)

    def acquire(self, member: str, cost: str, *, asset: str = "Kulkas dua pintu",
                cash_account: str = CASH, as_user: str = "teller") -> int:
        """The cooperative buys goods for a murabahah from a supplier; the acquisition's id."""
        out = self.call("sharia.murabahah-acquire", as_user=as_user, member=member, asset=asset,
                        cost=cost, cash_account=cash_account, supplier="Toko Elektronik Amanah",
                        document="Faktur 001/2026")
        return int(out["acquisition"]["id"])
