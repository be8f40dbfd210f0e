"""The demo seed, and the flow with the real savings plugin answering the settlement hook."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from kopcore_ppob import demo
from ppob_coop import CASH, FEE, PAYABLE, Coop

from kopcore.kernel import Kernel
from kopcore.testing import Cooperative


def test_demo_seed_syncs_and_sells_one_pulsa(coop: Coop) -> None:
    member = coop.member("50000")
    coop.member(savings=None)
    sold = coop.kernel.write("admin", demo.seed, operation="demo.ppob")
    assert sold == ["DEMO-PULSA-1"]
    receipt = coop.call("ppob.receipt", ref_id="DEMO-PULSA-1")["transaction"]
    assert receipt["status"] == "success"
    assert coop.balance(coop.account_of(member)) == Decimal("39500.00")
    assert coop.balance(PAYABLE) == Decimal("10125.00")
    assert coop.balance(FEE) == Decimal("375.00")
    coop.books_ok()


def test_paying_from_a_real_savings_account(make_kernel: Callable[..., Kernel]) -> None:
    pytest.importorskip("kopcore_savings")
    call = Cooperative(make_kernel(plugins=("savings", "ppob")), capital="1000000").call
    call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    member = call("members.register", name="Ni Luh Ayu", nik="5171011508900999")
    call("members.activate", member=member["member_number"])
    number = call("savings.open", member=member["member_number"],
                  product="SUKARELA")["account"]["number"]
    call("savings.deposit", account=number, amount="100000", cash_account=CASH)
    call("ppob.sync")
    pending = call("ppob.pay", ref_id="SAV-1", sku="TSEL25", customer_no="081200000002",
                   member=member["member_number"])
    assert pending["source_account"] == number
    assert call("savings.balance", account=number)["account"]["held"]["amount"] == "25000.00"
    assert call("ppob.status", ref_id="SAV-1")["status"] == "success"
    account = call("savings.balance", account=number)["account"]
    assert account["balance"]["amount"] == "75000.00"
    assert account["held"]["amount"] == "0.00"
