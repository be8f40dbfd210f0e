"""The demo seed: wadiah accounts for the first members, a murabahah with one installment and
a mudharabah savings account."""

from __future__ import annotations

from kopcore_sharia import demo
from sharia_coop import Coop


def test_demo_seed_opens_wadiah_and_a_murabahah(coop: Coop) -> None:
    members = [coop.member(name) for name in ("Ahmad Fauzi", "Nur Aisyah")]
    opened = coop.kernel.write("admin", demo.seed, operation="demo.sharia")
    assert len(opened) == len(members) + 2
    assert [coop.balance(n) for n in opened[:2]] == ["250000.00", "500000.00"]
    assert coop.balance(opened[-1]) == "1000000.00"
    assert coop.call("sharia.mudharabah-detail", account=opened[-1])["nisbah"] == "60"
    detail = coop.call("sharia.murabahah-detail", account=opened[-2])
    assert detail["paid_installments"] == 1
    assert detail["outstanding"]["amount"] == "10800000.00"
    coop.books_balance()
