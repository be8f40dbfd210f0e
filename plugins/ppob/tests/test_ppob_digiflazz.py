"""The Digiflazz adapter against a fake Digiflazz on loopback: every outcome, with the ledger,
the member's balance and the requests the provider received checked at each step."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from digiflazz_double import API_KEY, SECRET, USERNAME, DigiflazzDouble, md5
from kopcore_ppob import flow
from kopcore_ppob import tables as ppob_tables
from kopcore_ppob.errors import BadSignature, CutOff, DepositExhausted, ProviderUnavailable
from kopcore_ppob.providers import make_provider
from litestar.testing import TestClient
from ppob_coop import CASH, FEE, PAYABLE, SUSPENSE, Coop

from kopcore import eod
from kopcore.errors import Conflict, InsufficientFunds, NotFound, ValidationError
from kopcore.interfaces.api import make_app
from kopcore.testing import ON_POSTGRES

D = Decimal
PHONE_OK, PHONE_FAIL, PHONE_PENDING = "081211110000", "081211110001", "081211110002"
PHONE_TIMEOUT, PHONE_MALFORMED = "081211110003", "081211110004"


def pay(coop: Coop, ref: str, customer: str, sku: str = "DF-TSEL10", **kw: str) -> dict[str, Any]:
    return dict(coop.call("ppob.pay", as_user="teller", ref_id=ref, sku=sku,
                          customer_no=customer, **kw))


def app(coop: Coop) -> Any:
    if not hasattr(coop, "app"):
        coop.app = make_app(coop.kernel)  # type: ignore[attr-defined]
    return coop.app  # type: ignore[attr-defined]


def callback(fake: DigiflazzDouble, body: str, signature: str) -> httpx.Response:
    """Deliver a webhook over HTTP to the running server's public route, as Digiflazz does (no
    API key). The header goes as Latin-1 bytes, so a forger's non-ASCII signature can be sent
    too."""
    return httpx.post(fake.webhook_url, content=body.encode(), timeout=30,
                      headers={"X-Hub-Signature": signature.encode("latin-1"),
                               "Content-Type": "application/json",
                               "User-Agent": "Digiflazz-Hookshot",
                               "X-Digiflazz-Event": "update"})


def no_secret_in(*texts: str) -> None:
    for text in texts:
        assert API_KEY not in text
        assert SECRET not in text


def test_catalogue_from_the_price_list_with_cut_off_windows(digiflazz: Coop,
                                                            fake: DigiflazzDouble) -> None:
    listed = {p["sku"]: p for p in digiflazz.call("ppob.products")["products"]
              if p["provider"] == "digiflazz"}
    assert set(listed) == {"DF-PLN20", "DF-TSEL10", "DF-XL5GB", "DF-PLNPOST", "DF-BPJS"}
    assert listed["DF-PLN20"]["category"] == "pln_token"
    assert (listed["DF-PLN20"]["cutoff_start"], listed["DF-PLN20"]["cutoff_end"]) == \
        ("23:00", "00:30")
    assert listed["DF-TSEL10"]["cutoff_start"] is None  # "0:0"-"0:0": no window
    assert listed["DF-TSEL10"]["selling_price"]["amount"] == "10500.00"
    assert listed["DF-XL5GB"]["available"] is False  # the seller has it switched off
    assert listed["DF-PLNPOST"]["postpaid"] is True
    assert listed["DF-PLNPOST"]["buy_price"]["amount"] == "2500.00"  # the admin fee
    sandbox = {p["sku"]: p for p in digiflazz.call("ppob.products")["products"]
               if p["provider"] == "sandbox"}
    assert sandbox
    assert not any(p["available"] for p in sandbox.values())
    with pytest.raises(Conflict):  # sandbox products are no longer sold
        pay(digiflazz, "DF-OLD", PHONE_OK, sku="TSEL10", member=digiflazz.member())
    names = [p["name"] for p in digiflazz.call("ppob.providers")["providers"]]
    assert names == ["digiflazz", "sandbox"]


def test_misconfigured_or_refusing_provider_is_a_typed_error(
        digiflazz: Coop, fake: DigiflazzDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    before = digiflazz.call("ppob.products")
    monkeypatch.setenv("KOPCORE_PPOB_DIGIFLAZZ_API_KEY", "wrong-key")
    refused = digiflazz.refused(ProviderUnavailable, "ppob.sync")
    assert "wrong-key" not in refused.detail
    monkeypatch.delenv("KOPCORE_PPOB_DIGIFLAZZ_USERNAME")
    refused = digiflazz.refused(ProviderUnavailable, "ppob.deposit")
    assert "KOPCORE_PPOB_DIGIFLAZZ_USERNAME" in refused.detail
    assert digiflazz.call("ppob.products") == before


def test_success_then_failure_money_and_requests(digiflazz: Coop, fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    done = pay(digiflazz, "DF-OK-1", PHONE_OK, member=member)
    assert done["status"] == "success"
    assert done["sn"].startswith("SN")
    [sent] = fake.transactions_sent()
    assert sent == {"username": USERNAME, "buyer_sku_code": "DF-TSEL10",
                    "customer_no": PHONE_OK, "ref_id": "DF-OK-1",
                    "sign": md5(USERNAME + API_KEY + "DF-OK-1"),
                    "max_price": 10500}  # the member's price: never a sale at a loss
    # 10125 bought, 10500 sold (rounded up to Rp500): member -10500, payable +10125, fee +375.
    assert digiflazz.state(account) == (D("89500.00"), D("0.00"))
    assert digiflazz.balance(PAYABLE) == D("10125.00")
    assert digiflazz.balance(FEE) == D("375.00")
    assert pay(digiflazz, "DF-OK-1", PHONE_OK, member=member) == done  # nothing sent again
    assert len(fake.transactions_sent()) == 1
    receipt = digiflazz.call("ppob.receipt", ref_id="DF-OK-1")["text"]
    assert done["sn"] in receipt
    assert "BERHASIL" in receipt
    no_secret_in(receipt, str(done))

    fake.script[PHONE_FAIL] = "failed"
    entries = digiflazz.entries_count()
    failed = pay(digiflazz, "DF-FAIL-1", PHONE_FAIL, member=member)
    assert failed["status"] == "failed"
    assert "[02]" in failed["message"]
    assert digiflazz.state(account) == (D("89500.00"), D("0.00"))
    assert digiflazz.entries_count() == entries
    assert digiflazz.holds(account) == []
    sent = len(fake.transactions_sent())
    assert digiflazz.call("ppob.status", ref_id="DF-FAIL-1")["status"] == "failed"
    assert len(fake.transactions_sent()) == sent  # a failed ref_id is never re-sent
    digiflazz.books_ok()
    digiflazz.books_balance()


def test_pending_settled_by_the_signed_callback_exactly_once(digiflazz: Coop,
                                                             fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    fake.script[PHONE_PENDING] = "pending"
    assert pay(digiflazz, "DF-CB-1", PHONE_PENDING, member=member)["status"] == "pending"
    assert digiflazz.state(account) == (D("100000.00"), D("10500.00"))
    entries = digiflazz.entries_count()

    fake.settle("DF-CB-1", success=True, sn="SN-CB-0001")
    body, signature = fake.webhook("DF-CB-1")
    first = callback(fake, body, signature)
    assert first.status_code == 200, first.text
    assert first.json() == {"verdict": "applied", "ref_id": "DF-CB-1", "status": "success"}
    assert digiflazz.state(account) == (D("89500.00"), D("0.00"))
    assert digiflazz.entries_count() == entries + 1
    again = callback(fake, body, signature)  # Digiflazz retries the delivery
    assert again.json()["verdict"] == "duplicate"
    assert digiflazz.entries_count() == entries + 1
    assert digiflazz.call("ppob.poll", as_user="teller")["transactions"] == []
    assert len(fake.transactions_sent()) == 1  # settled without asking
    receipt = digiflazz.call("ppob.receipt", ref_id="DF-CB-1")
    assert receipt["transaction"]["sn"] == "SN-CB-0001"
    log = digiflazz.call("ppob.callbacks", ref_id="DF-CB-1")["callbacks"]
    assert [c["verdict"] for c in log] == ["duplicate", "applied"]
    assert digiflazz.balance(PAYABLE) == D("10125.00")
    digiflazz.books_ok()


def test_pending_settled_by_polling_and_a_late_callback_changes_nothing(
        digiflazz: Coop, fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    fake.script[PHONE_PENDING] = "pending"
    fake.script["081211110012"] = "pending"
    pay(digiflazz, "DF-POLL-1", PHONE_PENDING, member=member)
    pay(digiflazz, "DF-POLL-2", "081211110012", member=member)
    assert digiflazz.state(account) == (D("100000.00"), D("21000.00"))
    assert [t["ref_id"] for t in digiflazz.call("ppob.poll")["transactions"]] == []
    fake.settle("DF-POLL-1", success=True)
    fake.settle("DF-POLL-2", success=False)
    settled = digiflazz.call("ppob.poll", as_user="teller")["transactions"]
    assert {t["ref_id"]: t["status"] for t in settled} == {"DF-POLL-1": "success",
                                                           "DF-POLL-2": "failed"}
    # Status asked by re-sending the same signed request: never a second purchase.
    resent = [p for p in fake.transactions_sent() if p["ref_id"] == "DF-POLL-1"]
    assert len(resent) == 3
    assert all(p == resent[0] for p in resent)
    assert digiflazz.state(account) == (D("89500.00"), D("0.00"))
    entries = digiflazz.entries_count()
    body, signature = fake.webhook("DF-POLL-1")
    assert callback(fake, body, signature).json()["verdict"] == "duplicate"
    body, signature = fake.webhook("DF-POLL-2")
    assert callback(fake, body, signature).json()["verdict"] == "duplicate"
    assert digiflazz.entries_count() == entries
    assert digiflazz.state(account) == (D("89500.00"), D("0.00"))
    # The callback and the polling job racing for one transaction: exactly one posts.
    fake.script["081211110014"] = "pending"
    pay(digiflazz, "DF-RACE-1", "081211110014", member=member)
    fake.settle("DF-RACE-1", success=True)
    body, signature = fake.webhook("DF-RACE-1")
    entries = digiflazz.entries_count()
    start = threading.Barrier(4)
    answers: list[Any] = []

    def race(work: Callable[[], Any]) -> None:
        start.wait()
        answers.append(work())

    workers = [threading.Thread(target=race, args=(w,)) for w in (
        lambda: digiflazz.call("ppob.callback", body=body, signature=signature)["verdict"],
        lambda: digiflazz.call("ppob.callback", body=body, signature=signature)["verdict"],
        lambda: digiflazz.call("ppob.status", ref_id="DF-RACE-1")["status"],
        lambda: digiflazz.call("ppob.poll") and "polled")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(answers) == 4
    assert digiflazz.entries_count() == entries + 1
    assert digiflazz.state(account) == (D("79000.00"), D("0.00"))
    verdicts = [c["verdict"] for c in digiflazz.call("ppob.callbacks", ref_id="DF-RACE-1")[
        "callbacks"]]
    assert sorted(verdicts) in (["applied", "duplicate"], ["duplicate", "duplicate"])
    # Pending for months: never re-sent (Digiflazz would take it as a new purchase).
    fake.script["081211110013"] = "pending"
    pay(digiflazz, "DF-OLD-1", "081211110013", member=member)
    c = ppob_tables.transactions.c
    digiflazz.kernel.write("admin", lambda ctx: ctx.conn.execute(
        sa.update(ppob_tables.transactions).where(c.ref_id == "DF-OLD-1")
        .values(created_on=date(2025, 11, 1))))
    sent = len(fake.transactions_sent())
    old = digiflazz.call("ppob.status", ref_id="DF-OLD-1")
    assert old["status"] == "pending"
    assert "not asked again" in old["anomaly"]
    assert digiflazz.call("ppob.poll")["transactions"] == []
    assert len(fake.transactions_sent()) == sent
    assert digiflazz.state(account) == (D("79000.00"), D("10500.00"))
    digiflazz.books_ok()


def test_timeout_malformed_answer_and_crash_recovered_by_the_status_check(
        digiflazz: Coop, fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    fake.script[PHONE_TIMEOUT] = "timeout"
    fake.script[PHONE_MALFORMED] = "malformed"
    timed_out = pay(digiflazz, "DF-TO-1", PHONE_TIMEOUT, member=member)
    assert timed_out["status"] == "pending"  # Digiflazz bought it; we do not know yet
    assert "ReadTimeout" in timed_out["message"]
    garbled = pay(digiflazz, "DF-BAD-1", PHONE_MALFORMED, member=member)
    assert garbled["status"] == "pending"
    assert digiflazz.state(account) == (D("100000.00"), D("21000.00"))

    # A crash after Digiflazz accepted, before our second commit: begin and the request only.
    def begin(ctx: Any) -> flow.Txn:
        return flow.begin(ctx, flow.PayRequest("DF-CRASH-1", "DF-TSEL10", PHONE_OK, member))[0]

    txn = digiflazz.kernel.write("teller", begin)
    provider = digiflazz.kernel.read("teller", lambda ctx: make_provider(ctx, "digiflazz"))
    assert provider.transaction(txn.ref_id, txn.sku, txn.customer_no).outcome.value == "success"
    assert digiflazz.state(account) == (D("100000.00"), D("31500.00"))
    entries = digiflazz.entries_count()

    for ref in ("DF-TO-1", "DF-BAD-1", "DF-CRASH-1"):
        assert digiflazz.call("ppob.status", as_user="teller", ref_id=ref)["status"] == "success"
        assert digiflazz.call("ppob.status", as_user="teller", ref_id=ref)["status"] == "success"
    assert digiflazz.entries_count() == entries + 3
    assert digiflazz.state(account) == (D("68500.00"), D("0.00"))
    assert digiflazz.balance(PAYABLE) == D("30375.00")
    assert fake.deposit == 1_000_000 - 3 * 10_125  # three purchases, none twice
    digiflazz.books_ok()


def test_forged_callback_is_refused_logged_and_changes_nothing(digiflazz: Coop,
                                                               fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    fake.script[PHONE_PENDING] = "pending"
    pay(digiflazz, "DF-FORGE-1", PHONE_PENDING, member=member)
    before = digiflazz.snapshot()
    fake.settle("DF-FORGE-1", success=True)
    body, _ = fake.webhook("DF-FORGE-1", "guessed")
    _, good_signature = fake.webhook("DF-FORGE-1")
    tampered = body.replace("SN-LATE-1", "SN-OTHER-1")
    for text, signature in ((body, fake.webhook("DF-FORGE-1", "guessed")[1]),
                            (tampered, good_signature), (body, ""), (body, "sha1=\u00e9")):
        refused = callback(fake, text, signature)
        assert refused.status_code == 401, refused.text
        assert refused.json()["code"] == "ppob-bad-signature"
        no_secret_in(refused.text)
    with pytest.raises(BadSignature):  # the CLI path (an operator replaying) checks it too
        digiflazz.call("ppob.callback", body=tampered, signature=good_signature)
    assert digiflazz.snapshot() == before
    assert digiflazz.state(account) == (D("100000.00"), D("10500.00"))
    log = digiflazz.call("ppob.callbacks")["callbacks"]
    assert [c["verdict"] for c in log] == ["bad-signature"] * 5
    assert all(c["ref_id"] is None for c in log)  # nothing of a forged body is trusted

    audited = digiflazz.call("audit.list", operation="ppob.callback")["items"]
    assert [(x["actor"], x["outcome"]) for x in audited] == \
        [("callback", "ppob-bad-signature")] * 4 + [("admin", "ppob-bad-signature")]
    pending = digiflazz.call("ppob.transactions", status="pending")["transactions"]
    assert [t["ref_id"] for t in pending] == ["DF-FORGE-1"]
    sent = len(fake.requests)
    eod.run_end_of_day(digiflazz.kernel)  # never calls a networked provider
    assert len(fake.requests) == sent
    assert digiflazz.state(account) == (D("100000.00"), D("10500.00"))
    with TestClient(app=app(digiflazz)) as client:
        spec = client.get("/docs/openapi.json").json()
        public = spec["paths"]["/api/v1/ppob/callback"]["post"]
        assert public["security"] == []
        assert [p["name"] for p in public["parameters"]] == ["X-Hub-Signature"]
        assert spec["paths"]["/api/v1/ppob/pay"]["post"]["security"] == [{"bearer": []}]


def test_cut_off_windows_refuse_before_sending(digiflazz: Coop, fake: DigiflazzDouble,
                                               wib: Callable[[int, int], None]) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    wib(23, 30)  # inside PLN's window from the price list (23:00-00:30 WIB)
    digiflazz.refused(CutOff, "ppob.pay", as_user="teller", ref_id="DF-CUT-1", sku="DF-PLN20",
                      customer_no="53123456780", member=member)
    wib(0, 29)
    digiflazz.refused(CutOff, "ppob.pay", as_user="teller", ref_id="DF-CUT-1", sku="DF-PLN20",
                      customer_no="53123456780", member=member)
    digiflazz.call("ppob.cutoff-set", category="pulsa", start="00:00", end="01:00")
    digiflazz.refused(CutOff, "ppob.pay", as_user="teller", ref_id="DF-CUT-2",
                      sku="DF-TSEL10", customer_no=PHONE_OK, member=member)
    assert fake.transactions_sent() == []
    wib(0, 30)
    pln = pay(digiflazz, "DF-CUT-1", "53123456780", sku="DF-PLN20", member=member)
    digits = "5123-4567-8901-2345-6789"
    assert pln["token"] == digits
    assert "TOKEN    : 5123-4567-8901-2345-6789" in \
        digiflazz.call("ppob.receipt", ref_id="DF-CUT-1")["text"]
    assert digiflazz.state(account) == (D("79500.00"), D("0.00"))  # 20300 -> 20500
    digiflazz.call("ppob.cutoff-set", category="pulsa")  # cleared
    assert pay(digiflazz, "DF-CUT-2", PHONE_OK, member=member)["status"] == "success"
    # The provider's own cut-off answer (rc 58) fails the purchase and releases the hold.
    fake.script["081211110058"] = "cutoff"
    refused = pay(digiflazz, "DF-CUT-3", "081211110058", member=member)
    assert refused["status"] == "failed"
    assert "provider cut-off" in refused["message"]
    assert digiflazz.state(account) == (D("69000.00"), D("0.00"))
    with pytest.raises(ValidationError):
        digiflazz.call("ppob.cutoff-set", category="pulsa", start="25:00", end="01:00")
    digiflazz.books_ok()


def test_provider_deposit_exhausted_and_monitored(digiflazz: Coop, fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    digiflazz.call("ppob.deposit-threshold-set", threshold="50000")
    fake.deposit = 15_000
    assert digiflazz.call("ppob.deposit") == {
        "provider": "digiflazz", "deposit": {"amount": "15000.00", "currency": "IDR"},
        "threshold": {"amount": "50000.00", "currency": "IDR"}, "low": True,
        "expected": None}  # no top-up recorded: kopcore does not know the deposit
    assert pay(digiflazz, "DF-DEP-1", PHONE_OK, member=member)["status"] == "success"
    # 15000 - 10125 = 4875 left (buyer_last_saldo): the next one is refused here, unsent.
    sent = len(fake.transactions_sent())
    digiflazz.refused(DepositExhausted, "ppob.pay", as_user="teller", ref_id="DF-DEP-2",
                      sku="DF-TSEL10", customer_no=PHONE_OK, member=member)
    assert len(fake.transactions_sent()) == sent
    # Digiflazz's own refusal (rc 44), our knowledge being stale: failed, hold released.
    digiflazz.kernel.write("admin", lambda ctx: flow.record_deposit(ctx, "digiflazz", 900_000))
    refused = pay(digiflazz, "DF-DEP-3", PHONE_OK, member=member)
    assert refused["status"] == "failed"
    assert "provider deposit exhausted" in refused["message"]
    assert digiflazz.state(account) == (D("89500.00"), D("0.00"))
    fake.deposit += 1_000_000  # the operator tops up, then refreshes
    assert digiflazz.call("ppob.deposit")["low"] is False
    assert pay(digiflazz, "DF-DEP-2", PHONE_OK, member=member)["status"] == "success"
    assert digiflazz.state(account) == (D("79000.00"), D("0.00"))
    digiflazz.books_ok()


def test_bad_requests_are_typed_errors_and_nothing_reaches_the_provider(
        digiflazz: Coop, fake: DigiflazzDouble) -> None:
    poor = digiflazz.member("1000")
    rich = digiflazz.member("100000")
    digiflazz.refused(InsufficientFunds, "ppob.pay", as_user="teller", ref_id="DF-X-1",
                      sku="DF-TSEL10", customer_no=PHONE_OK, member=poor)
    digiflazz.refused(NotFound, "ppob.pay", as_user="teller", ref_id="DF-X-2",
                      sku="DF-NOPE", customer_no=PHONE_OK, member=rich)
    for number in ("0812ABC45678", "12345678901", "0812"):
        digiflazz.refused(ValidationError, "ppob.pay", as_user="teller", ref_id="DF-X-3",
                          sku="DF-TSEL10", customer_no=number, member=rich)
    digiflazz.refused(ValidationError, "ppob.pay", as_user="teller", ref_id="DF-X-4",
                      sku="DF-PLN20", customer_no="0812111100001", member=rich)
    # "cash" taken from another member's savings: refused, nothing posted or sent
    digiflazz.refused(ValidationError, "ppob.pay", as_user="teller", ref_id="DF-X-6",
                      sku="DF-TSEL10", customer_no=PHONE_OK,
                      cash_account=digiflazz.account_of(rich))
    assert fake.requests == []
    with TestClient(app=app(digiflazz)) as client:
        key = digiflazz.api_key("teller")
        bad = client.post("/api/v1/ppob/pay", headers={"Authorization": f"Bearer {key}"},
                          json={"ref_id": "DF-X-5", "sku": "DF-TSEL10", "customer_no": "0812",
                                "member": rich})
        assert bad.status_code == 422
        assert bad.json()["field"] == "customer_no"
    assert fake.requests == []


def test_postpaid_inquiry_and_payment_in_cash(digiflazz: Coop, fake: DigiflazzDouble) -> None:
    digiflazz.call("ppob.markup-set", category="pln_postpaid", flat="1000")
    digiflazz.call("ppob.sync")
    fake.requests.clear()
    quote = digiflazz.call("ppob.inquiry", as_user="teller", ref_id="DF-BILL-1",
                           sku="DF-PLNPOST", customer_no="530000000012")
    # bill 150000 + 12 x 100 = 151200; admin 2500 bought, 3500 sold (flat Rp1000 markup).
    assert quote["status"] == "inquired"
    assert quote["customer_name"] == "BUDI SANTOSO"
    assert (quote["bill"]["amount"], quote["amount"]["amount"]) == ("151200.00", "154700.00")
    cash = digiflazz.balance(CASH)
    done = digiflazz.call("ppob.pay", as_user="teller", ref_id="DF-BILL-1", sku="DF-PLNPOST",
                          customer_no="530000000012", cash_account=CASH)
    assert done["status"] == "success"
    commands = [p.get("commands") for p in fake.transactions_sent()]
    assert commands == ["inq-pasca", "pay-pasca"]
    assert digiflazz.balance(CASH) == cash + D("154700.00")
    assert digiflazz.balance(SUSPENSE) == D("0.00")
    # Digiflazz took its price: bill and admin less the Rp1000 commission (152700); the fee
    # income is the markup and the commission.
    assert digiflazz.balance(PAYABLE) == D("152700.00")
    assert digiflazz.balance(FEE) == D("2000.00")
    with pytest.raises(NotFound):
        digiflazz.call("ppob.inquiry", ref_id="DF-BILL-2", sku="DF-PLNPOST",
                       customer_no="530000000019")
    digiflazz.books_ok()


def test_reconciliation_against_the_statement(digiflazz: Coop, fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    fake.script[PHONE_PENDING] = "pending"
    fake.script[PHONE_FAIL] = "failed"
    pay(digiflazz, "DF-R-1", PHONE_OK, member=member)
    pay(digiflazz, "DF-R-2", PHONE_OK, member=member)
    pay(digiflazz, "DF-R-3", PHONE_FAIL, member=member)
    pay(digiflazz, "DF-R-4", PHONE_PENDING, member=member)
    statement = ("ref_id;customer_no;buyer_sku_code;status;price;sn\n"
                 "DF-R-1;081211110000;DF-TSEL10;Sukses;10.125;SN1\n"
                 "DF-R-2;081211110000;DF-TSEL10;Sukses;10225;SN2\n"
                 "DF-R-3;081211110001;DF-TSEL10;Gagal;10125;\n"
                 "DF-R-9;081299999999;DF-TSEL10;Sukses;10125;SN9\n")
    report = digiflazz.call("ppob.reconcile", csv=statement)
    assert report["statement_rows"] == 4
    assert report["matched"] == 2  # DF-R-1, and DF-R-3 failed on both sides
    assert report["mismatched"] == [{"ref_id": "DF-R-2",
                                     "detail": "statement price Rp10,225, ours Rp10,125"}]
    assert [line["ref_id"] for line in report["missing_locally"]] == ["DF-R-9"]
    assert [line["ref_id"] for line in report["missing_at_provider"]] == ["DF-R-4"]
    assert report["provider_total"]["amount"] == "30475.00"
    assert report["local_total"]["amount"] == "20250.00"
    with pytest.raises(ValidationError):
        digiflazz.call("ppob.reconcile", csv="ref;status\nDF-R-1;Sukses\n")
    with pytest.raises(ValidationError):
        digiflazz.call("ppob.reconcile", csv="ref_id,status,price\nDF-R-1,Sukses,10125.5\n")


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite takes one writer at a time (a database "
                    "lock), so two pays cannot begin concurrently; the race needs PostgreSQL")
def test_two_simultaneous_pays_with_one_ref_id_buy_once(digiflazz: Coop,
                                                        fake: DigiflazzDouble) -> None:
    member = digiflazz.member("100000")
    account = digiflazz.account_of(member)
    entries = digiflazz.entries_count()
    start = threading.Barrier(2)
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def teller() -> None:
        start.wait()
        try:
            answers.append(pay(digiflazz, "DF-TWIN-1", PHONE_OK, member=member))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    workers = [threading.Thread(target=teller) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert [a["ref_id"] for a in answers] == ["DF-TWIN-1", "DF-TWIN-1"]
    assert {a["status"] for a in answers} <= {"pending", "success"}
    assert [p["ref_id"] for p in fake.transactions_sent()] == ["DF-TWIN-1"]  # bought once
    assert digiflazz.entries_count() == entries + 1  # posted once
    assert digiflazz.call("ppob.receipt", ref_id="DF-TWIN-1")["transaction"]["status"] == \
        "success"
    assert digiflazz.state(account) == (D("89500.00"), D("0.00"))
    assert digiflazz.holds(account) == []
    assert digiflazz.balance(PAYABLE) == D("10125.00")
    digiflazz.books_ok()
