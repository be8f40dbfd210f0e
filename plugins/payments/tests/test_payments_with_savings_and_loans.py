"""With the real savings and loans plugins answering (when installed): a member's open VA
credits their sukarela account through the settlement hook, and a bill runs ``loans.repay``
— payments names them only by purpose and operation, never imports them."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from kopcore_payments.testing import GATEWAY, SANDBOX_TOKEN

from kopcore.kernel import Kernel
from kopcore.testing import Cooperative

PRODUCT = {"code": "PMU", "name": "Pinjaman Modal Usaha", "method": "flat",
           "frequency": "monthly", "annual_rate": "12", "min_amount": "1000000",
           "max_amount": "50000000", "min_term": 3, "max_term": 24}


def test_open_va_to_sukarela_and_a_bill_repaying_a_loan(
        make_kernel: Callable[..., Kernel], monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("kopcore_savings")
    pytest.importorskip("kopcore_loans")
    monkeypatch.setenv("KOPCORE_PAYMENTS_SANDBOX_CALLBACK_TOKEN", SANDBOX_TOKEN)
    coop = Cooperative(make_kernel(plugins=("savings", "loans", "payments")),
                       capital="100000000")
    call = coop.call
    call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    member = coop.member("Siti Aminah")
    sukarela = call("savings.open", member=member, product="SUKARELA")["account"]["number"]
    call("payments.settings-set", gateway="sandbox", banks="BRI")
    [va] = call("payments.va-open", member=member)["channels"]

    def pay(payment_id: str, channel: str, amount: int) -> dict[str, object]:
        return dict(call("payments.callback", signature=SANDBOX_TOKEN, body=json.dumps(
            {"payment_id": payment_id, "channel": channel, "amount": amount})))

    assert pay("S-1", va["number"], 150_000)["credited_to"] == sukarela
    assert call("savings.balance", account=sukarela)["account"]["balance"]["amount"] == \
        "150000.00"
    call("loans.product-create", **PRODUCT)
    loan = call("loans.apply", as_user="teller", member=member, product="PMU",
                amount="3000000", term=3)["number"]
    coop.user("manajer", "manager")
    call("loans.approve", as_user="manajer", loan=loan)
    call("loans.disburse", loan=loan, cash_account=coop.CASH)
    bill = call("payments.bill-create", member=member, amount="1030000",
                operation="loans.repay", input=json.dumps({"loan": loan}), channel="qris")
    done = pay("S-2", bill["number"], 1_030_000)
    assert (done["status"], done["credited_to"]) == ("credited", f"loans.repay {bill['number']}")
    assert call("accounts.get", account=loan)["balance"]["amount"] == "2000000.00"
    assert Decimal(coop.call("accounts.get", account=GATEWAY)["balance"]["amount"]) == \
        Decimal("1180000.00")


def test_wajib_arrears_first_then_sukarela(make_kernel: Callable[..., Kernel],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("kopcore_savings")
    monkeypatch.setenv("KOPCORE_PAYMENTS_SANDBOX_CALLBACK_TOKEN", SANDBOX_TOKEN)
    coop = Cooperative(make_kernel(plugins=("savings", "payments")), capital="1000000")
    call = coop.call
    call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    call("savings.product-create", code="WAJIB", name="Wajib", type="wajib", amount="20000")
    member = coop.member("Siti Aminah")
    sukarela = call("savings.open", member=member, product="SUKARELA")["account"]["number"]
    wajib = call("savings.open", member=member, product="WAJIB")["account"]["number"]
    call("savings.wajib-bill", product="WAJIB", period="2026-01")
    call("payments.settings-set", gateway="sandbox", banks="BRI", open_va_rule="wajib-first")
    [va] = call("payments.va-open", member=member)["channels"]
    done = call("payments.callback", signature=SANDBOX_TOKEN, body=json.dumps(
        {"payment_id": "W-1", "channel": va["number"], "amount": 100_000}))
    assert done["credited_to"] == f"{wajib}, {sukarela}"

    def balance(account: str) -> str:
        return str(call("accounts.get", account=account)["balance"]["amount"])

    assert (balance(wajib), balance(sukarela)) == ("20000.00", "80000.00")
    assert call("savings.wajib-arrears", member=member)["total"]["amount"] == "0.00"
    small = call("payments.callback", signature=SANDBOX_TOKEN, body=json.dumps(
        {"payment_id": "W-2", "channel": va["number"], "amount": 5_000}))
    assert small["credited_to"] == sukarela
