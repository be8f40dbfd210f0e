"""The demo seed: products, accounts and a few movements for the demo members."""

from __future__ import annotations

from kopcore_savings import demo
from savings_coop import Coop


def test_demo_seed_opens_accounts_with_movements_and_balanced_books(coop: Coop) -> None:
    members = [coop.member(name) for name in ("Ni Luh Putu Ayu", "I Made Wirawan")]
    opened = coop.kernel.write("admin", demo.seed, operation="demo.savings")
    assert len(opened) == 3 * len(members) + 1
    products = {p["code"] for p in coop.call("savings.product-list")["products"]}
    assert {"POKOK", "WAJIB", "SUKARELA", "DEPOSITO-6"} <= products
    for number in opened:
        assert coop.call("savings.balance", account=number)["account"]["balance"]["amount"] != (
            "0.00")
    coop.books_balance()
