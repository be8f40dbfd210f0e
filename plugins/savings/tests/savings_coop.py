"""A test cooperative with only the kernel and savings enabled (see conftest.py for the fixture).

Everything goes through the public interfaces: operations are run with
:func:`kopcore.testing.run_operation` (the path behind every API route and CLI command) as an
identified user, and end of day with :mod:`kopcore.eod`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kopcore import eod
from kopcore.testing import Cooperative

CASH = Cooperative.CASH


class Coop(Cooperative):
    """A test cooperative: admin and teller users, a funded teller cash account."""

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
