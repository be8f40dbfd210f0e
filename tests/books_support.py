"""A cooperative with the products the oversight tests keep using: simpanan pokok (a fixed
amount), simpanan sukarela and a weekly flat-rate loan at 18 % a year with interest recognised
when received, plus a manager and an auditor (the health, RAT-statement and non-member tests
build their books on it)."""

from __future__ import annotations

from kopcore.kernel import Kernel
from kopcore.testing import Cooperative


class SavingsAndWeeklyLoans(Cooperative):
    """POKOK (``pokok`` rupiah), SUKARELA and MINGGUAN (weekly, flat 18 %, cash accounting)."""

    def __init__(self, kernel: Kernel, *, capital: int, pokok: int) -> None:
        super().__init__(kernel, capital=str(capital))
        self.call("users.create", username="manager", role="manager")
        self.call("users.create", username="auditor", role="auditor")
        self.call("savings.product-create", code="POKOK", name="Simpanan Pokok", type="pokok",
                  amount=str(pokok))
        self.call("savings.product-create", code="SUKARELA", name="Simpanan Sukarela",
                  type="sukarela")
        self.call("loans.product-create", as_user="manager", code="MINGGUAN",
                  name="Pinjaman Mingguan", method="flat", frequency="weekly",
                  annual_rate="18", min_amount="100000", max_amount="100000000", min_term=1,
                  max_term=104, accounting="cash")

    def loan(self, member: str, amount: int, term: int) -> str:
        """A MINGGUAN loan applied, approved and disbursed in cash; returns its number."""
        number = str(self.call("loans.apply", as_user="teller", member=member,
                               product="MINGGUAN", amount=str(amount), term=term)["number"])
        self.call("loans.approve", as_user="manager", loan=number)
        self.call("loans.disburse", as_user="teller", loan=number, to_savings=False,
                  cash_account=self.CASH)
        return number
