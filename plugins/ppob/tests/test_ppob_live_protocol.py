"""What a live Digiflazz account does that the books must survive, against the stand-in written
from Digiflazz's documentation: response codes that created nothing, a price changed since the
price list, a postpaid bill's periods and commission, a ref_id Digiflazz already holds, and
webhooks arriving late and out of order over HTTP. Member balances, holds, the payable and fee
income are checked after each step."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from digiflazz_double import API_KEY, DigiflazzDouble
from kopcore_ppob import flow
from kopcore_ppob.errors import ProviderUnavailable
from ppob_coop import CASH, FEE, PAYABLE, SUSPENSE, Coop

from kopcore.errors import NotFound

D = Decimal
PHONE, PENDING_PHONE = "081211110000", "081211110002"


def pay(coop: Coop, ref: str, customer: str, sku: str = "DF-TSEL10", **kw: str) -> dict[str, Any]:
    return dict(coop.call("ppob.pay", as_user="teller", ref_id=ref, sku=sku,
                          customer_no=customer, **kw))


def books(coop: Coop, account: str, balance: str, held: str, payable: str, fee: str) -> None:
    assert coop.state(account) == (D(balance), D(held))
    assert coop.balance(PAYABLE) == D(payable)
    assert coop.balance(FEE) == D(fee)
    coop.books_ok()


@pytest.mark.parametrize("refusal", ["41 bad key", "45 unknown IP", "85 rate limit"])
def test_a_status_re_send_refused_by_the_provider_keeps_the_purchase_pending_for_an_operator(
        digiflazz: Coop, fake: DigiflazzDouble, refusal: str) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    fake.script[PENDING_PHONE] = "pending"
    assert pay(digiflazz, "DF-RS-1", PENDING_PHONE, member=member)["status"] == "pending"
    books(digiflazz, account, "100000.00", "10500.00", "0.00", "0.00")
    fake.settle("DF-RS-1", success=True)  # Digiflazz delivered it
    rc = refusal[:2]
    if rc == "41":
        fake.api_key = "rotated-key"  # the key was rotated in the dashboard, not here
    elif rc == "45":
        fake.whitelisted = False  # the server's address changed
    else:
        fake.throttle(1)
    asked = digiflazz.call("ppob.status", as_user="teller", ref_id="DF-RS-1")
    assert asked["status"] == "pending"
    assert f"[{rc}]" in asked["attention"]
    books(digiflazz, account, "100000.00", "10500.00", "0.00", "0.00")  # hold kept
    flagged = digiflazz.call("ppob.transactions", attention_only=True)["transactions"]
    assert [t["ref_id"] for t in flagged] == ["DF-RS-1"]
    fake.api_key, fake.whitelisted = API_KEY, True
    [settled] = digiflazz.call("ppob.poll", as_user="teller")["transactions"]
    assert (settled["status"], settled["attention"]) == ("success", None)
    books(digiflazz, account, "89500.00", "0.00", "10125.00", "375.00")


def test_a_first_request_refused_with_a_code_that_created_nothing_fails_and_releases_the_hold(
        digiflazz: Coop, fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    fake.api_key = "rotated-key"
    refused = pay(digiflazz, "DF-RS-2", PHONE, member=member)
    assert refused["status"] == "failed"
    assert "[41]" in refused["message"]
    assert fake.txns == {}  # nothing was bought
    books(digiflazz, account, "100000.00", "0.00", "0.00", "0.00")


def test_max_price_is_sent_and_the_payable_is_booked_at_the_price_actually_charged(
        digiflazz: Coop, fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    fake.reprice("DF-TSEL10", 10_400)  # the seller's price rose after our price list
    done = pay(digiflazz, "DF-PX-1", PHONE, member=member)
    assert done["status"] == "success"
    assert fake.transactions_sent()[-1]["max_price"] == 10_500
    assert (done["cost"]["amount"], done["price_changed"]) == ("10400.00", True)
    books(digiflazz, account, "89500.00", "0.00", "10400.00", "100.00")
    assert pay(digiflazz, "DF-PX-2", PHONE, member=member)["status"] == "success"
    changes = digiflazz.call("ppob.price-changes")
    assert [(s["ref_id"], s["expected_cost"]["amount"], s["cost"]["amount"],
             s["margin"]["amount"], s["expected_margin"]["amount"])
            for s in changes["sales"]] == [("DF-PX-1", "10125.00", "10400.00", "100.00",
                                            "375.00"),
                                           ("DF-PX-2", "10125.00", "10400.00", "100.00",
                                            "375.00")]
    assert changes["margin_difference"]["amount"] == "550.00"
    books(digiflazz, account, "79000.00", "0.00", "20800.00", "200.00")
    # Above the member's price Digiflazz refuses (rc 69, nothing created): no sale at a loss.
    fake.reprice("DF-TSEL10", 10_600)
    deposit = fake.deposit
    refused = pay(digiflazz, "DF-PX-3", PHONE, member=member)
    assert (refused["status"], refused["message"][:4]) == ("failed", "[69]")
    assert fake.deposit == deposit
    books(digiflazz, account, "79000.00", "0.00", "20800.00", "200.00")


def test_a_postpaid_bill_is_its_periods_and_the_payable_what_digiflazz_took(
        digiflazz: Coop, fake: DigiflazzDouble) -> None:
    fake.bills["530000000012"] = [("202512", 60_000, 5_000), ("202601", 40_000, 0)]
    quote = digiflazz.call("ppob.inquiry", as_user="teller", ref_id="DF-BL-1",
                           sku="DF-PLNPOST", customer_no="530000000012")
    # Bills 100000 and penalty 5000; admin 2 x 2500; Digiflazz's price has 2 x 1000 off.
    assert (quote["bill"]["amount"], quote["amount"]["amount"]) == ("105000.00", "110000.00")
    receipt = digiflazz.call("ppob.receipt", ref_id="DF-BL-1")["text"]
    assert "Periode  : 202512 Rp60.000,00 + denda Rp5.000,00" in receipt
    assert "Periode  : 202601 Rp40.000,00\n" in receipt
    assert "Tagihan  : Rp105.000,00" in receipt
    cash = digiflazz.balance(CASH)
    done = digiflazz.call("ppob.pay", as_user="teller", ref_id="DF-BL-1", sku="DF-PLNPOST",
                          customer_no="530000000012", cash_account=CASH)
    assert done["status"] == "success"
    assert digiflazz.balance(CASH) == cash + D("110000.00")
    assert digiflazz.balance(SUSPENSE) == D("0.00")
    assert digiflazz.balance(PAYABLE) == D("108000.00")
    assert digiflazz.balance(FEE) == D("2000.00")  # the commission
    assert fake.deposit == 1_000_000 - 108_000
    digiflazz.books_ok()


@pytest.mark.parametrize("refusal", ["41", "45"])
def test_an_inquiry_refused_by_the_provider_is_a_provider_error_not_no_bill(
        digiflazz: Coop, fake: DigiflazzDouble, refusal: str) -> None:
    if refusal == "41":
        fake.api_key = "rotated-key"
    else:
        fake.whitelisted = False
    error = digiflazz.refused(ProviderUnavailable, "ppob.inquiry", as_user="teller",
                              ref_id="DF-IQ-1", sku="DF-PLNPOST", customer_no="530000000012")
    assert f"rc {refusal}" in error.detail
    fake.api_key, fake.whitelisted = API_KEY, True
    digiflazz.refused(NotFound, "ppob.inquiry", as_user="teller", ref_id="DF-IQ-2",
                      sku="DF-PLNPOST", customer_no="530000000019")  # rc 60: no bill yet


def test_a_ref_id_digiflazz_holds_for_another_transaction_goes_to_an_operator(
        digiflazz: Coop, fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    # Another system on the same account already used this ref_id for another number.
    fake.txns["DF-DUP-1"] = {"ref_id": "DF-DUP-1", "customer_no": "081299990000",
                             "buyer_sku_code": "DF-TSEL10", "status": "Sukses", "rc": "00",
                             "price": 10125, "sn": "X", "message": "Transaksi Sukses"}
    held = pay(digiflazz, "DF-DUP-1", PHONE, member=member)
    assert held["status"] == "pending"
    assert "[49]" in held["anomaly"]
    books(digiflazz, account, "100000.00", "10500.00", "0.00", "0.00")
    sent = len(fake.transactions_sent())
    assert digiflazz.call("ppob.poll", as_user="teller")["transactions"] == []
    assert len(fake.transactions_sent()) == sent  # asking again cannot help: not asked
    assert [t["ref_id"] for t in digiflazz.call("ppob.anomalies")["transactions"]] == \
        ["DF-DUP-1"]
    done = digiflazz.call("ppob.anomaly-resolve", ref_id="DF-DUP-1", resolution="refunded",
                          amount="10500", note="not ours: ticket 123")
    assert (done["status"], done["resolution"]) == ("failed", "refunded")
    books(digiflazz, account, "100000.00", "0.00", "0.00", "0.00")


def test_a_late_or_out_of_order_webhook_never_overwrites_a_newer_deposit(
        digiflazz: Coop, fake: DigiflazzDouble, wib: Callable[[int, int], None]) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    fake.script[PENDING_PHONE] = "pending"
    pay(digiflazz, "DF-SA-1", PENDING_PHONE, member=member)
    created = fake.webhook_body("DF-SA-1")  # the "create" event, saldo after DF-SA-1
    wib(10, 5)
    pay(digiflazz, "DF-SA-2", PHONE, member=member)  # saldo after both
    newest = 1_000_000 - 2 * 10_125

    def known() -> int | None:
        return digiflazz.kernel.read("admin", lambda ctx: flow.known_deposit(ctx, "digiflazz"))

    assert known() == newest
    late = fake.send_webhook("DF-SA-1", event="create", body=created)  # delivered late
    assert (late.status_code, late.json()["verdict"]) == (200, "pending")
    assert known() == newest
    wib(10, 10)
    fake.settle("DF-SA-1", success=True)
    assert fake.send_webhook("DF-SA-1").json()["verdict"] == "applied"
    assert known() == newest
    books(digiflazz, account, "79000.00", "0.00", "20250.00", "750.00")
    assert digiflazz.call("ppob.deposit")["deposit"]["amount"] == f"{newest}.00"
