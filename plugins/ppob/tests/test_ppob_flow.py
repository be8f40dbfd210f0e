"""Every sandbox outcome end to end, through the operations, with the ledger checked each step."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ppob_coop import CASH, FEE, PAYABLE, SUSPENSE, Coop

from kopcore import eod
from kopcore.errors import Conflict, InsufficientFunds, NotFound, ValidationError

D = Decimal


def pay(coop: Coop, ref: str, customer: str, sku: str = "TSEL10", **kw: str) -> dict:
    return dict(coop.call("ppob.pay", as_user="teller", ref_id=ref, sku=sku,
                          customer_no=customer, **kw))


def test_catalogue_is_synced_with_markups_rounded_up(coop: Coop) -> None:
    products = {p["sku"]: p for p in coop.call("ppob.products")["products"]}
    assert len(products) == 11
    assert {p["category"] for p in products.values()} == {
        "pln_token", "pulsa", "paket_data", "pln_postpaid", "bpjs", "pdam", "telkom"}
    assert products["TSEL10"]["buy_price"]["amount"] == "10125.00"
    assert products["TSEL10"]["selling_price"]["amount"] == "10500.00"  # default: up to Rp500
    assert products["XL10"]["available"] is False
    coop.call("ppob.markup-set", category="pulsa", percent="2.5", round_to="100")
    coop.call("ppob.sync")
    tsel = coop.call("ppob.products", category="pulsa")["products"]
    # 10125 + ceil(253.125) = 10378.13 -> rounded up to a multiple of 100
    assert {p["sku"]: p["selling_price"]["amount"] for p in tsel}["TSEL10"] == "10400.00"
    with pytest.raises(ValidationError):
        coop.call("ppob.markup-set", category="pulsa", percent="0.00001")
    with pytest.raises(NotFound):
        coop.call("ppob.provider-set", name="nobody")


def test_success_from_savings_posts_once_and_stores_the_serial(coop: Coop) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    done = pay(coop, "R-OK-1", "081200000000", member=member)
    assert done["status"] == "success"
    assert done["sn"].startswith("SN")
    assert done["amount"]["amount"] == "10500.00"
    assert coop.state(account) == (D("89500.00"), D("0.00"))
    assert coop.balance(PAYABLE) == D("10125.00")
    assert coop.balance(FEE) == D("375.00")
    assert coop.holds(account) == []
    entries = coop.entries_count()
    assert pay(coop, "R-OK-1", "081200000000", member=member) == done
    assert coop.call("ppob.status", ref_id="R-OK-1") == done
    assert coop.entries_count() == entries
    assert coop.balance(account) == D("89500.00")
    with pytest.raises(Conflict):
        pay(coop, "R-OK-1", "081299999990", member=member)
    receipt = coop.call("ppob.receipt", ref_id="R-OK-1")
    assert "BERHASIL" in receipt["text"]
    assert done["sn"] in receipt["text"]
    coop.books_ok()


def test_failure_releases_the_hold_and_posts_nothing(coop: Coop) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    entries = coop.entries_count()
    failed = pay(coop, "R-FAIL-1", "081200000001", member=member)
    assert failed["status"] == "failed"
    assert failed["sn"] is None
    assert coop.state(account) == (D("100000.00"), D("0.00"))
    assert coop.holds(account) == []
    assert coop.entries_count() == entries
    assert coop.call("ppob.status", ref_id="R-FAIL-1")["status"] == "failed"
    assert coop.entries_count() == entries
    coop.books_ok()


def test_pending_then_success_holds_then_posts_exactly_once(coop: Coop) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    pending = pay(coop, "R-PS-1", "081200000002", member=member)
    assert pending["status"] == "pending"
    assert coop.state(account) == (D("100000.00"), D("10500.00"))
    [hold] = coop.holds(account)
    assert hold["reference"] == "ppob:R-PS-1"
    entries = coop.entries_count()
    assert pay(coop, "R-PS-1", "081200000002", member=member)["status"] == "pending"
    first = coop.call("ppob.status", as_user="teller", ref_id="R-PS-1")
    again = coop.call("ppob.status", as_user="teller", ref_id="R-PS-1")
    assert first == again
    assert first["status"] == "success"
    assert coop.entries_count() == entries + 1
    assert coop.state(account) == (D("89500.00"), D("0.00"))
    assert coop.balance(PAYABLE) == D("10125.00")
    coop.books_ok()


def test_pending_then_failure_releases_the_hold(coop: Coop) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    entries = coop.entries_count()
    assert pay(coop, "R-PF-1", "081200000003", member=member)["status"] == "pending"
    assert coop.state(account)[1] == D("10500.00")
    assert coop.call("ppob.status", ref_id="R-PF-1")["status"] == "failed"
    assert coop.call("ppob.status", ref_id="R-PF-1")["status"] == "failed"
    assert coop.state(account) == (D("100000.00"), D("0.00"))
    assert coop.entries_count() == entries
    coop.books_ok()


def test_end_of_day_polls_pending_transactions(coop: Coop) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    pay(coop, "R-EOD-OK", "081200000002", member=member)
    pay(coop, "R-EOD-WAIT", "081200000004", member=member)
    assert coop.state(account)[1] == D("21000.00")
    eod.run_end_of_day(coop.kernel)
    assert coop.call("ppob.receipt", ref_id="R-EOD-OK")["transaction"]["status"] == "success"
    still = coop.call("ppob.receipt", ref_id="R-EOD-WAIT")["transaction"]
    assert still["status"] == "pending"
    assert coop.state(account) == (D("89500.00"), D("10500.00"))
    eod.run_end_of_day(coop.kernel)  # asks again; nothing posted twice
    assert coop.state(account) == (D("89500.00"), D("10500.00"))
    pending = coop.call("ppob.transactions", status="pending")["transactions"]
    assert [t["ref_id"] for t in pending] == ["R-EOD-WAIT"]
    coop.books_ok()


def test_a_late_success_after_failure_is_an_anomaly_not_a_posting(coop: Coop) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    entries = coop.entries_count()
    assert pay(coop, "R-LATE-1", "081200000005", member=member)["status"] == "failed"
    checked = coop.call("ppob.status", ref_id="R-LATE-1")
    assert checked["status"] == "failed"
    assert "provider reported success" in checked["anomaly"]
    assert coop.call("ppob.status", ref_id="R-LATE-1") == checked
    assert coop.entries_count() == entries
    assert coop.state(account) == (D("100000.00"), D("0.00"))
    flagged = coop.call("ppob.transactions", anomalies_only=True)["transactions"]
    assert [t["ref_id"] for t in flagged] == ["R-LATE-1"]
    coop.books_ok()


def test_pln_token_is_on_the_receipt(coop: Coop) -> None:
    member = coop.member("100000")
    done = pay(coop, "R-PLN-1", "53123456780", sku="PLN20", member=member)
    assert done["status"] == "success"
    token = done["token"]
    assert len(token.replace("-", "")) == 20
    assert token.count("-") == 4
    text = coop.call("ppob.receipt", ref_id="R-PLN-1")["text"]
    assert f"TOKEN    : {token}" in text
    assert coop.balance(coop.account_of(member)) == D("79500.00")


def test_insufficient_funds_is_refused_with_nothing_written(coop: Coop) -> None:
    member = coop.member("5000")
    account = coop.account_of(member)
    entries = coop.entries_count()
    with pytest.raises(InsufficientFunds):
        pay(coop, "R-POOR-1", "081200000000", member=member)
    assert coop.state(account) == (D("5000.00"), D("0.00"))
    assert coop.holds(account) == []
    assert coop.entries_count() == entries
    with pytest.raises(NotFound):
        coop.call("ppob.receipt", ref_id="R-POOR-1")


def test_refusals_before_anything_is_sent(coop: Coop) -> None:
    member = coop.member("100000")
    entries = coop.entries_count()
    with pytest.raises(ValidationError):
        pay(coop, "R-BAD-1", "08-12", member=member)
    with pytest.raises(NotFound):
        pay(coop, "R-BAD-2", "081200000000", sku="NOPE", member=member)
    with pytest.raises(Conflict):
        pay(coop, "R-BAD-3", "081200000000", sku="XL10", member=member)
    with pytest.raises(Conflict):  # a bill must be inquired first
        pay(coop, "R-BAD-4", "5300000120", sku="PLNPOST", member=member)
    with pytest.raises(ValidationError):  # neither savings nor cash
        pay(coop, "R-BAD-5", "081200000000")
    with pytest.raises(ValidationError):  # no paying account: cash required
        pay(coop, "R-BAD-6", "081200000000", member=coop.member(savings=None))
    assert coop.entries_count() == entries
    assert coop.call("ppob.transactions")["transactions"] == []


def test_cash_payments_go_through_suspense(coop: Coop) -> None:
    cash = coop.balance(CASH)
    done = pay(coop, "R-CASH-1", "081200000000", cash_account=CASH)
    assert done["status"] == "success"
    assert done["paid_by"] == "cash"
    assert coop.balance(CASH) == cash + D("10500.00")
    assert coop.balance(SUSPENSE) == D("0.00")
    pending = pay(coop, "R-CASH-2", "081200000003", cash_account=CASH)
    assert pending["status"] == "pending"
    assert coop.balance(SUSPENSE) == D("10500.00")
    assert coop.call("ppob.status", ref_id="R-CASH-2")["status"] == "failed"
    assert coop.balance(CASH) == cash + D("10500.00")  # the failed one handed back
    assert coop.balance(SUSPENSE) == D("0.00")
    assert coop.balance(PAYABLE) == D("10125.00")
    assert coop.balance(FEE) == D("375.00")
    coop.books_ok()


def test_postpaid_bill_inquiry_then_payment(coop: Coop) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    coop.call("ppob.markup-set", category="pln_postpaid", flat="1000")
    quote = coop.call("ppob.inquiry", as_user="teller", ref_id="R-BILL-1", sku="PLNPOST",
                      customer_no="5300000120")
    assert quote["status"] == "inquired"
    assert quote["bill"]["amount"] == "53000.00"  # sandbox: 50000 + 120 * 25
    assert quote["amount"]["amount"] == "55500.00"  # + provider admin 1500 + markup 1000
    assert coop.call("ppob.inquiry", ref_id="R-BILL-1", sku="PLNPOST",
                     customer_no="5300000120") == quote
    done = pay(coop, "R-BILL-1", "5300000120", sku="PLNPOST", member=member)
    assert done["status"] == "success"
    assert coop.balance(account) == D("44500.00")
    assert coop.balance(PAYABLE) == D("54500.00")
    assert coop.balance(FEE) == D("1000.00")
    text = coop.call("ppob.receipt", ref_id="R-BILL-1")["text"]
    assert "Tagihan" in text
    assert "Admin" in text
    with pytest.raises(NotFound):  # sandbox: numbers ending in 9 owe nothing
        coop.call("ppob.inquiry", ref_id="R-BILL-2", sku="BPJSKS", customer_no="8888000019")
    coop.books_ok()
