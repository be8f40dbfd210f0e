"""Bills paid by a closed VA or a dynamic QRIS code at Xendit: the bill's target operation runs
once with the paid amount; a wrong amount, an expired bill, a second payment or a refusing
target go to suspense, resolved by staff through maker-checker."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from kopcore_payments import tables
from kopcore_payments.errors import GatewayRefused, GatewayUnavailable
from kopcore_payments.testing import FEE, GATEWAY, SUSPENSE, PayCoop
from xendit_double import QR_API_VERSION, XenditDouble

from kopcore.errors import Forbidden, NotFound, ValidationError

D = Decimal


def bill(coop: PayCoop, member: str, loan: str, amount: str, **more: object) -> dict:
    return dict(coop.call("payments.bill-create", as_user="teller", member=member,
                          amount=amount, operation="standin.repay",
                          input=json.dumps({"loan": loan}), **more))


def test_a_closed_va_bill_paid_exactly_repays_the_loan_once(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    loan = coop.loan(member, "1000000")
    made = bill(coop, member, loan, "250000", bank_code="BNI", description="Angsuran 1")
    [va] = [v for v in xendit.vas.values() if v["external_id"] == made["number"]]
    assert (va["is_closed"], va["expected_amount"], va["is_single_use"], va["bank_code"]) == \
        (True, 250000, True, "BNI")
    assert made["channel"]["number"] == va["account_number"]
    assert made["status"] == "open"
    body = xendit.pay_va(made["number"], 250_000)
    done = xendit.deliver(body).json()
    assert (done["verdict"], done["status"]) == ("applied", "credited")
    assert coop.balance(loan) == D(750000)
    assert coop.balance(GATEWAY) == D(250000 - 4440)
    assert coop.call("payments.bill-get", number=made["number"])["status"] == "paid"
    assert xendit.deliver(body).json()["verdict"] == "duplicate"
    assert coop.balance(loan) == D(750000)
    coop.books_ok()
    # the target ran through the invocation pipeline: audited as the plugin's call
    audit = coop.call("audit.list", operation="standin.repay")["items"]
    assert [(a["interface"], a["outcome"]) for a in audit] == [("plugin:payments", "ok")]


def test_a_dynamic_qris_bill_is_created_with_the_api_version_and_paid_once(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    loan = coop.loan(member, "500000")
    made = bill(coop, member, loan, "100000", channel="qris")
    [qr] = xendit.qrs.values()
    assert (qr["reference_id"], qr["type"], qr["amount"]) == (made["number"], "DYNAMIC", 100000)
    assert made["channel"]["number"] == qr["qr_string"]
    assert ("POST", "/qr_codes") in xendit.requests
    body = xendit.pay_qr(qr["id"])
    assert body["api_version"] == QR_API_VERSION
    assert xendit.deliver(body).json()["status"] == "credited"
    assert xendit.deliver(body).json()["verdict"] == "duplicate"
    assert coop.balance(loan) == D(400000)
    assert coop.balance(FEE) == D(777)  # 0.7% MDR + 11% VAT on 100,000
    assert coop.balance(GATEWAY) == D(100000 - 777)
    coop.books_ok()


def test_a_wrong_amount_goes_to_suspense_and_is_assigned_through_maker_checker(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    loan = coop.loan(member, "1000000")
    made = bill(coop, member, loan, "250000", bank_code="BRI")
    # A bank that ignores the closed amount (defensive: Xendit's banks refuse it)
    body = xendit.pay_va(made["number"], 200_000, enforce_bank_rules=False)
    done = xendit.deliver(body).json()
    assert (done["status"], done["reason"]) == ("suspense", "amount-mismatch: bill Rp250.000,00")
    assert coop.balance(loan) == D(1000000)
    assert coop.balance(SUSPENSE) == D(200000)
    assert coop.call("payments.bill-get", number=made["number"])["status"] == "open"
    coop.books_ok()
    resolved = coop.call("payments.resolve", payment_id=body["payment_id"], amount="200000",
                         action="assign", operation="standin.repay",
                         input=json.dumps({"loan": loan}), note="angsuran kurang bayar")
    assert resolved["status"] == "assigned"
    assert coop.balance(loan) == D(800000)
    assert coop.balance(SUSPENSE) == D(0)
    coop.books_ok()


def test_a_payment_after_expiry_goes_to_suspense_a_late_callback_in_time_pays(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    loan = coop.loan(member, "1000000")
    late = bill(coop, member, loan, "100000", bank_code="BRI", hours=1)
    after = datetime.now(UTC) + timedelta(hours=2)
    body = xendit.pay_va(late["number"], 100_000, at=after, enforce_bank_rules=False)
    assert xendit.deliver(body).json()["reason"] == "bill-expired"
    in_time = bill(coop, member, loan, "100000", bank_code="BNI", hours=1)
    paid = xendit.pay_va(in_time["number"], 100_000)  # paid in time, callback delayed
    coop.kernel.write("admin", lambda ctx: ctx.conn.execute(tables.bills.update().where(
        tables.bills.c.number == in_time["number"]).values(status="expired")))
    assert xendit.deliver(paid).json()["status"] == "credited"
    assert coop.balance(loan) == D(900000)
    assert coop.balance(SUSPENSE) == D(100000)
    coop.books_ok()


def test_a_target_that_refuses_leaves_the_money_in_suspense(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    loan = coop.loan(member, "50000")
    made = bill(coop, member, loan, "50000", bank_code="BRI")
    coop.call("standin.repay", loan=loan, amount="50000", cash_account=coop.CASH)  # paid at
    body = xendit.pay_va(made["number"], 50_000)  # the teller, then by transfer too
    done = xendit.deliver(body).json()
    assert done["status"] == "suspense"
    assert done["reason"].startswith("target-refused: conflict")
    assert coop.balance(loan) == D(0)
    assert coop.balance(SUSPENSE) == D(50000)
    coop.books_ok()
    savings = coop.savings_of(member)
    coop.call("payments.resolve", payment_id=body["payment_id"], amount="50000",
              action="assign", account=savings, note="lebih bayar ke tabungan")
    assert coop.balance(savings) == D(50000)
    assert coop.balance(SUSPENSE) == D(0)
    coop.books_ok()


def test_a_bill_is_checked_against_the_callers_rights_and_input(coop: PayCoop) -> None:
    member = coop.member()
    loan = coop.loan(member, "50000")
    coop.user("auditor1", "auditor")
    assert coop.refused(Forbidden, "payments.bill-create", as_user="auditor1", member=member,
                        amount="1000", operation="standin.repay",
                        input=json.dumps({"loan": loan}))
    assert coop.refused(NotFound, "payments.bill-create", member=member, amount="1000",
                        operation="loans.nothing", input="{}")
    assert coop.refused(ValidationError, "payments.bill-create", member=member, amount="1000",
                        operation="standin.repay", input=json.dumps({"nope": 1}))
    assert coop.refused(ValidationError, "payments.bill-create", member=member,
                        amount="1000.50", operation="standin.repay",
                        input=json.dumps({"loan": loan}), bank_code="BRI")
    assert coop.call("payments.bills")["bills"] == []


def test_a_bill_is_paid_once_a_second_payment_waits_in_suspense(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    loan = coop.loan(member, "1000000")
    made = bill(coop, member, loan, "100000", bank_code="BRI")
    first = xendit.pay_va(made["number"], 100_000)
    second = xendit.pay_va(made["number"], 100_000, enforce_bank_rules=False)
    assert xendit.deliver(first).json()["status"] == "credited"
    done = xendit.deliver(second).json()
    assert (done["status"], done["reason"]) == ("suspense", "bill-paid")
    assert coop.balance(loan) == D(900000)
    assert coop.balance(SUSPENSE) == D(100000)
    coop.books_ok()


def test_xendits_refusals_reach_the_caller_typed_and_nothing_is_half_written(
        coop: PayCoop, xendit: XenditDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    member = coop.member()
    loan = coop.loan(member, "100000")
    refused = coop.refused(GatewayRefused, "payments.va-open", member=member, banks="BTPN")
    assert refused.extra["gateway_code"] == "BANK_NOT_SUPPORTED_ERROR"
    xendit.fail_next = 500
    unavailable = coop.refused(GatewayUnavailable, "payments.bill-create", member=member,
                               amount="10000", operation="standin.repay",
                               input=json.dumps({"loan": loan}), channel="qris")
    assert unavailable.status == 503
    [failed] = coop.call("payments.bills", status="failed")["bills"]
    assert failed["channel"] is None
    monkeypatch.setenv("KOPCORE_PAYMENTS_XENDIT_SECRET_KEY", "xnd_development_rotated")
    wrong_key = coop.refused(GatewayRefused, "payments.va-open", member=member)
    assert wrong_key.extra["gateway_code"] == "INVALID_API_KEY"
    assert coop.call("payments.vas", member=member)["channels"] == []
    coop.books_ok()
