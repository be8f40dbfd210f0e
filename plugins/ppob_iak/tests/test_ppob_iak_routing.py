"""Routing between two providers: IAK (its stand-in) and kopcore-ppob's offline sandbox. The
same product at both, grouped; the route prefers IAK; a provider marked down, or refusing without
creating a transaction, sends the sale to the other under the same ref_id. The catalogue shows
which provider sells what at what cost; the member pays the price of the product asked for."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from kopcore_ppob.testing import FEE, PAYABLE, Coop
from ppob_iak_double import IakDouble

from kopcore.errors import Conflict, NotFound, ValidationError

D = Decimal


@pytest.fixture
def routed(iak: Coop) -> Coop:
    iak.call("ppob.provider-set", name="sandbox")
    iak.call("ppob.route-set", scope="category", key="pulsa", providers="iak,sandbox")
    iak.call("ppob.sync")
    iak.call("ppob.product-group-set", sku="TSEL10", group="TSEL10")
    iak.call("ppob.product-group-set", sku="htelkomsel10000", group="TSEL10")
    return iak


def pay(coop: Coop, ref: str, member: str, customer: str = "081233300010") -> dict[str, Any]:
    return dict(coop.call("ppob.pay", as_user="teller", ref_id=ref, sku="TSEL10",
                          customer_no=customer, member=member))


def test_the_catalogue_shows_which_provider_sells_what_at_what_cost(routed: Coop) -> None:
    grouped = sorted((p["provider"], p["sku"], p["buy_price"]["amount"], p["available"])
                     for p in routed.call("ppob.products", category="pulsa")["products"]
                     if p["group"] == "TSEL10")
    assert grouped == [("iak", "htelkomsel10000", "10350.00", True),
                       ("sandbox", "TSEL10", "10125.00", True)]
    routes = routed.call("ppob.routes")
    assert routes["enabled"] == ["sandbox", "iak"]
    assert routes["routes"] == [{"scope": "category", "key": "pulsa",
                                 "providers": ["iak", "sandbox"]}]
    providers = {p["name"]: p for p in routed.call("ppob.providers")["providers"]}
    assert (providers["iak"]["enabled"], providers["digiflazz"]["enabled"]) == (True, False)


def test_a_sale_goes_to_the_preferred_provider_then_falls_back(
        routed: Coop, iak_double: IakDouble) -> None:
    member = routed.member("100000")
    account = routed.account_of(member)
    # Preferred: IAK sells it; the member pays TSEL10's price, the payable is IAK's cost.
    first = pay(routed, "RT-1", member)
    if first["status"] == "pending":
        [first] = routed.call("ppob.poll", as_user="teller")["transactions"]
    assert (first["status"], first["provider"], first["sku"], first["requested_sku"]) == \
        ("success", "iak", "htelkomsel10000", "TSEL10")
    assert iak_double.purchases("RT-1") == 1
    assert routed.state(account) == (D("89500.00"), D("0.00"))
    assert (routed.balance(PAYABLE), routed.balance(FEE)) == (D("10350.00"), D("150.00"))
    # IAK marked down: the sandbox sells it.
    routed.call("ppob.provider-state", name="iak", down=True, note="maintenance")
    second = pay(routed, "RT-2", member)
    assert (second["status"], second["provider"], second["requested_sku"]) == \
        ("success", "sandbox", None)
    assert iak_double.purchases("RT-2") == 0
    assert routed.state(account) == (D("79000.00"), D("0.00"))
    assert (routed.balance(PAYABLE), routed.balance(FEE)) == (D("20475.00"), D("525.00"))
    # Up again, but its deposit is short (rc 17, nothing created): the same ref_id goes on to
    # the sandbox at once.
    routed.call("ppob.provider-state", name="iak", down=False)
    iak_double.deposit = D(100)
    third = pay(routed, "RT-3", member)
    assert (third["status"], third["provider"]) == ("success", "sandbox")
    asked = [p for path, p in iak_double.requests if path == "/api/top-up"]
    assert asked[-1]["ref_id"] == "RT-3"  # IAK was asked first, and refused
    assert iak_double.purchases("RT-3") == 0
    assert routed.state(account) == (D("68500.00"), D("0.00"))
    assert (routed.balance(PAYABLE), routed.balance(FEE)) == (D("30600.00"), D("900.00"))
    routed.books_ok()
    # A repeat of a routed ref_id returns it, and sends nothing.
    sent = len(iak_double.requests)
    assert pay(routed, "RT-3", member)["status"] == "success"
    assert len(iak_double.requests) == sent


def test_routes_and_groups_refuse_bad_input_with_typed_errors(routed: Coop) -> None:
    routed.refused(NotFound, "ppob.route-set", scope="category", key="pulsa",
                   providers="nope")
    routed.refused(ValidationError, "ppob.route-set", scope="planet", key="pulsa",
                   providers="iak")
    routed.refused(ValidationError, "ppob.route-set", scope="category", key="games",
                   providers="iak")
    routed.refused(ValidationError, "ppob.route-set", scope="category", key="pulsa",
                   providers="iak,iak")
    routed.refused(NotFound, "ppob.product-group-set", sku="NOPE", group="X")
    routed.refused(NotFound, "ppob.provider-state", name="nope", down=True)
    routed.call("ppob.provider-state", name="iak", down=True)
    routed.call("ppob.provider-state", name="sandbox", down=True)
    member = routed.member("100000")
    routed.refused(Conflict, "ppob.pay", as_user="teller", ref_id="RT-X", sku="TSEL10",
                   customer_no="081233300010", member=member)
