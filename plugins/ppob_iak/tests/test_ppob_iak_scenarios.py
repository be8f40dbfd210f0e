"""The provider scenario suite (:class:`kopcore_ppob.testing.ProviderScenarios`) with IAK,
against the stand-in written from IAK's documentation, and what is IAK's own: the price list
read into the catalogue, a callback confirmed by a status check, refusals of the request."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from kopcore_ppob.testing import Coop, ProviderScenarios, Scenario
from ppob_iak_double import USERNAME, IakDouble, md5

D = Decimal


@pytest.fixture
def scenario(iak: Coop, iak_double: IakDouble) -> Scenario:
    return Scenario(iak, iak_double, "htelkomsel10000", 10_350,
                    (f"0812333{n:05d}" for n in itertools.count(100)))


class TestIakScenarios(ProviderScenarios):
    pass


def test_the_price_list_becomes_the_catalogue(iak: Coop) -> None:
    listed = {p["sku"]: p for p in iak.call("ppob.products")["products"]
              if p["provider"] == "iak"}
    assert set(listed) == {"htelkomsel10000", "hindosat10000", "pln20000"}  # no vouchers
    assert (listed["htelkomsel10000"]["category"], listed["pln20000"]["category"]) == \
        ("pulsa", "pln_token")
    assert listed["htelkomsel10000"]["buy_price"]["amount"] == "10350.00"
    assert listed["htelkomsel10000"]["selling_price"]["amount"] == "10500.00"
    assert listed["hindosat10000"]["available"] is False


def test_the_top_up_request_is_signed_as_documented(iak: Coop, iak_double: IakDouble) -> None:
    member = iak.member("100000")
    iak.call("ppob.pay", as_user="teller", ref_id="IAK-REQ-1", sku="htelkomsel10000",
             customer_no="081233300001", member=member)
    [(_, sent)] = [r for r in iak_double.requests if r[0] == "/api/top-up"]
    assert sent == {"username": USERNAME, "ref_id": "IAK-REQ-1",
                    "customer_id": "081233300001", "product_code": "htelkomsel10000",
                    "sign": md5(USERNAME + "iak-dev-key-0123" + "IAK-REQ-1")}


def test_a_signed_callback_is_confirmed_by_a_status_check_before_settling(
        iak: Coop, iak_double: IakDouble) -> None:
    member = iak.member("100000")
    account = iak.account_of(member)
    iak_double.behave("081233300002", "pending")
    iak.call("ppob.pay", as_user="teller", ref_id="IAK-CB-1", sku="htelkomsel10000",
             customer_no="081233300002", member=member)
    # The sign covers the ref_id only: a replay of a genuine sign claiming success is asked
    # about, and IAK says the purchase is still in process.
    claimed = iak_double.callback_body("IAK-CB-1", status="1", rc="00", sn="CLAIMED")
    answer = iak_double.send_webhook("IAK-CB-1", body=claimed)
    assert answer.json()["verdict"] == "pending"
    assert iak.state(account) == (D("100000.00"), D("10500.00"))
    assert [r[0] for r in iak_double.requests][-1] == "/api/check-status"


def test_wrong_credentials_are_a_provider_error_for_the_catalogue_and_balance(
        iak: Coop, iak_double: IakDouble) -> None:
    from kopcore_ppob.errors import ProviderUnavailable

    iak_double.break_credentials()
    error = iak.refused(ProviderUnavailable, "ppob.deposit")
    assert "204" in error.detail
    iak_double.restore_credentials()
    assert iak.call("ppob.deposit")["deposit"]["amount"] == "1000000.00"
