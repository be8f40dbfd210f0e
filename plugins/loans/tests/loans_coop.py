"""A test cooperative with the loans plugin, driven through its operations (the path behind
every API route and CLI command)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kopcore import eod
from kopcore.testing import Cooperative

CASH = Cooperative.CASH


class LoansCoop(Cooperative):
    """Admin, teller and a manager; loans applied by the teller, approved by the manager."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user("manager", "manager")

    def product(self, code: str = "PMU", **terms: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "code": code, "name": code, "method": "flat", "frequency": "monthly",
            "annual_rate": "18", "min_amount": "100000", "max_amount": "500000000",
            "min_term": 1, "max_term": 60}
        return dict(self.call("loans.product-create", as_user="manager", **(base | terms)))

    def loan(self, member: str, amount: str = "12000000", term: int = 12,
             product: str = "PMU") -> str:
        number = str(self.call("loans.apply", as_user="teller", member=member, product=product,
                               amount=amount, term=term)["number"])
        self.call("loans.approve", as_user="manager", loan=number)
        self.call("loans.disburse", as_user="teller", loan=number, cash_account=CASH)
        return number

    def get(self, loan: str) -> dict[str, Any]:
        return dict(self.call("loans.get", loan=loan))

    def today(self) -> date:
        return eod.current_business_date(self.kernel)

    def close_days_until(self, day: date) -> None:
        eod.run_end_of_day(self.kernel, until=day)
