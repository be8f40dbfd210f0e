"""A test cooperative with the kernel and the sharia plugin (plus ``extra`` plugins).

Operations run through :func:`kopcore.service.invoke`, the path behind every route and command.
"""

from __future__ import annotations

from kopcore import eod, ledger
from kopcore.testing import Cooperative

CASH = Cooperative.CASH


class Coop(Cooperative):
    def member(self, name: str = "Siti Aminah", *, nik_prefix: str = "327101150890") -> str:
        return super().member(name, nik_prefix=nik_prefix)

    def balance(self, number: str) -> str:
        return str(self.call("accounts.get", account=number)["balance"]["amount"])

    def gl_net(self) -> dict[str, int]:
        """Debit-positive minor units per GL key, over every account rolling up to it."""
        day = eod.current_business_date(self.kernel)
        lines = self.kernel.read("auditor", lambda ctx: ledger.trial_balance(ctx, day)["lines"])
        return {line.key: line.net for line in lines}
