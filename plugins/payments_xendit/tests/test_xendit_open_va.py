"""A member's fixed VA (open amount) at Xendit: opened as Xendit documents, each transfer
credited to the member's savings once, whether the callback comes once, twice, late or never,
with the fee booked; forged callbacks refused. Balances are checked after each step."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from kopcore_payments.testing import FEE, GATEWAY, SUSPENSE, PayCoop
from xendit_double import XenditDouble

from kopcore import ledger
from kopcore.errors import Forbidden

D = Decimal


def open_va(coop: PayCoop, member: str) -> dict:
    [bri, bni] = coop.call("payments.va-open", as_user="teller", member=member)["channels"]
    assert (bri["bank_code"], bni["bank_code"]) == ("BRI", "BNI")
    return bri


def books(coop: PayCoop, savings: str, *, member: str, gateway: str, fee: str,
          suspense: str = "0") -> None:
    assert coop.balance(savings) == D(member)
    assert coop.balance(GATEWAY) == D(gateway)
    assert coop.balance(FEE) == D(fee)
    assert coop.balance(SUSPENSE) == D(suspense)
    coop.books_ok()


def test_the_va_is_opened_as_xendit_documents_and_is_opened_once(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member("Siti Aminah")
    bri = open_va(coop, member)
    sent = [va for va in xendit.vas.values() if va["bank_code"] == "BRI"]
    assert [(v["external_id"], v["name"], v["is_closed"]) for v in sent] == \
        [(f"M{member}-BRI", "Siti Aminah", False)]
    assert bri["number"] == sent[0]["account_number"]
    assert bri["amount"] is None
    again = coop.call("payments.va-open", as_user="teller", member=member)["channels"]
    assert again[0]["number"] == bri["number"]
    assert len(xendit.vas) == 2  # asked once per bank
    shown = coop.call("payments.vas", member=member)["channels"]
    assert {c["number"] for c in shown} == {c["number"] for c in again}


def test_a_transfer_is_credited_once_however_often_the_callback_comes(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    savings = coop.savings_of(member)
    bri = open_va(coop, member)
    body = xendit.pay_va(bri["external_id"], 250_000)
    first = xendit.deliver(body)
    assert first.status_code == 200, first.text
    assert first.json()["verdict"] == "applied"
    assert first.json()["credited_to"] == savings
    books(coop, savings, member="250000", gateway="245560", fee="4440")
    for _ in range(2):  # Xendit retries; a late delivery arrives after the day moved on
        again = xendit.deliver(body)
        assert (again.status_code, again.json()["verdict"]) == (200, "duplicate")
    books(coop, savings, member="250000", gateway="245560", fee="4440")
    [payment] = coop.call("payments.payments", member=member)["payments"]
    assert (payment["payment_id"], payment["status"], payment["received_via"]) == \
        (body["payment_id"], "credited", "callback")
    verdicts = [c["verdict"] for c in coop.call("payments.callbacks")["callbacks"]]
    assert verdicts == ["duplicate", "duplicate", "applied"]


def test_a_missing_callback_is_credited_by_the_poll_once(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    savings = coop.savings_of(member)
    bri = open_va(coop, member)
    body = xendit.pay_va(bri["external_id"], 100_000)  # the callback never comes
    books(coop, savings, member="0", gateway="0", fee="0")
    [done] = coop.call("payments.poll")["credited"]
    assert (done["payment_id"], done["status"]) == (body["payment_id"], "credited")
    # the report states the fee: 4,000 + 11% VAT
    books(coop, savings, member="100000", gateway="95560", fee="4440")
    assert coop.call("payments.poll")["credited"] == []
    late = xendit.deliver(body)
    assert late.json()["verdict"] == "duplicate"
    books(coop, savings, member="100000", gateway="95560", fee="4440")


@pytest.mark.parametrize("token", ["", "kopcore-callback-verification-tokeN", "x" * 200])
def test_a_forged_callback_is_refused_logged_and_changes_nothing(
        coop: PayCoop, xendit: XenditDouble, token: str) -> None:
    member = coop.member()
    savings = coop.savings_of(member)
    bri = open_va(coop, member)
    body = xendit.pay_va(bri["external_id"], 500_000)
    before = coop.snapshot()
    forged = xendit.deliver(body, token=token)
    assert forged.status_code == 401, forged.text
    assert forged.headers["content-type"].startswith("application/problem+json")
    assert forged.json()["code"] == "payments-bad-callback-token"
    assert coop.snapshot() == before
    books(coop, savings, member="0", gateway="0", fee="0")
    [logged] = coop.call("payments.callbacks")["callbacks"]
    assert (logged["verdict"], logged["payment_id"]) == ("bad-token", None)
    assert xendit.deliver(body).json()["verdict"] == "applied"  # the genuine one still counts


def test_a_body_that_is_not_a_callback_is_refused(coop: PayCoop, xendit: XenditDouble) -> None:
    import httpx

    junk = httpx.post(xendit.webhook_url, content="not json",
                      headers={"x-callback-token": "whatever"})
    assert junk.status_code == 422
    verified_but_odd = xendit.deliver({"hello": "world"})
    assert verified_but_odd.status_code == 422
    assert [c["verdict"] for c in coop.call("payments.callbacks")["callbacks"]] == ["malformed"]


def test_a_member_who_left_is_paid_into_suspense_and_staff_refund_it(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    bri = open_va(coop, member)
    coop.call("members.exit", member=member, reason="pindah", payout_account=coop.CASH)
    body = xendit.pay_va(bri["external_id"], 75_000)
    done = xendit.deliver(body).json()
    assert (done["status"], done["reason"]) == ("suspense", "member-left")
    assert coop.balance(SUSPENSE) == D(75000)
    [waiting] = coop.call("payments.payments", status="suspense")["payments"]
    assert waiting["payment_id"] == body["payment_id"]
    coop.books_ok()
    resolved = coop.call("payments.resolve", payment_id=body["payment_id"], amount="75000",
                         action="refund", note="dikembalikan ke pengirim")
    assert resolved["status"] == "refunded"
    assert coop.balance(SUSPENSE) == D(0)
    assert coop.balance(GATEWAY) == D(75000 - 75000 - 4440)
    coop.books_ok()
    refused = coop.refused(Exception, "payments.resolve", payment_id=body["payment_id"],
                           amount="75000", action="refund")
    assert refused.code == "payments-not-in-suspense"


def test_the_callback_replayed_from_the_cli_is_verified_too(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    bri = open_va(coop, member)
    body = json.dumps(xendit.pay_va(bri["external_id"], 10_000))
    done = coop.call("payments.callback", body=body,
                     signature="kopcore-callback-verification-token")
    assert done["verdict"] == "applied"
    assert coop.balance(coop.savings_of(member)) == D(10000)


def test_the_member_sees_their_own_vas_and_payments_and_the_arrival_is_an_event(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member, other = coop.member(), coop.member("Made Wirawan")
    bri = open_va(coop, member)
    username = coop.member_user(member)
    body = xendit.pay_va(bri["external_id"], 60_000)
    xendit.deliver(body)
    xendit.deliver(body)
    member_id = coop.kernel.read("admin", lambda ctx: ledger.get_member(ctx, member).id)
    assert coop.standin.booked == [(body["payment_id"], "credited", member_id)]
    own = coop.call("payments.vas", as_user=username, member=member)
    assert {c["number"] for c in own["channels"]} >= {bri["number"]}
    arrived = coop.call("payments.payments", as_user=username,
                        member=member)["payments"]
    assert [(p["payment_id"], p["amount"]["amount"]) for p in arrived] == \
        [(body["payment_id"], "60000.00")]
    for operation in ("payments.vas", "payments.payments"):
        assert coop.refused(Forbidden, operation, as_user=username,
                            member=other)
    assert coop.refused(Forbidden, "payments.payments", as_user=username)


def test_the_va_activated_callback_is_acknowledged_and_ignored(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    bri = open_va(coop, member)
    before = coop.snapshot()
    answer = xendit.deliver(xendit.va_activated(bri["external_id"]))
    assert (answer.status_code, answer.json()["verdict"]) == (200, "ignored")
    assert coop.snapshot() == before
    assert coop.call("payments.payments")["payments"] == []
    assert [c["verdict"] for c in coop.call("payments.callbacks")["callbacks"]] == ["ignored"]


def test_after_changing_gateways_the_old_ones_late_callbacks_and_report_still_count(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    savings = coop.savings_of(member)
    bri = open_va(coop, member)
    late = xendit.pay_va(bri["external_id"], 20_000)
    missing = xendit.pay_va(bri["external_id"], 30_000)
    coop.call("payments.settings-set", gateway="sandbox")
    assert xendit.deliver(late).json()["verdict"] == "applied"
    assert xendit.deliver(late, token="forged").status_code == 401  # noqa: S106
    [polled] = coop.call("payments.poll", gateway="xendit")["credited"]
    assert polled["payment_id"] == missing["payment_id"]
    assert coop.balance(savings) == D(50000)
    coop.books_ok()
