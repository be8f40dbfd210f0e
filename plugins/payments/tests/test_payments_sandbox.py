"""kopcore-payments with its offline sandbox gateway: settings, channels, a callback replayed
from the command line, the crediting rule, fees from the schedule, refusals that change
nothing, the demo seed and ``kopcore verify``."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from kopcore_payments import demo
from kopcore_payments.errors import BadCallbackToken
from kopcore_payments.testing import FEE, GATEWAY, SANDBOX_TOKEN, SUSPENSE, PayCoop

from kopcore.errors import NotFound, ValidationError

D = Decimal


def callback(coop: PayCoop, payment_id: str, channel: str, amount: int,
             token: str = SANDBOX_TOKEN) -> dict:
    body = json.dumps({"payment_id": payment_id, "channel": channel, "amount": amount,
                       "paid_at": "2026-01-05T03:00:00+00:00"})
    return dict(coop.call("payments.callback", body=body, signature=token))


def test_settings_list_the_gateways_and_refuse_an_unknown_one(sandbox: PayCoop) -> None:
    settings = sandbox.call("payments.settings")
    assert (settings["gateway"], settings["open_va_purpose"], settings["banks"]) == \
        ("sandbox", "disbursement", "BRI")
    assert "sandbox" in settings["gateways"]
    assert sandbox.refused(NotFound, "payments.settings-set", gateway="nope")
    assert sandbox.call("payments.settings")["gateway"] == "sandbox"


def test_an_open_va_payment_credits_the_savings_once_with_the_scheduled_fee(
        sandbox: PayCoop) -> None:
    sandbox.call("payments.fee-set", kind="va", fixed="4000", rate_ppm=1000)  # + 0.1%
    member = sandbox.member()
    savings = sandbox.savings_of(member)
    [va] = sandbox.call("payments.va-open", member=member)["channels"]
    assert va["number"].startswith("26215")
    done = callback(sandbox, "P-1", va["number"], 123_457)
    assert (done["verdict"], done["credited_to"]) == ("applied", savings)
    assert callback(sandbox, "P-1", va["number"], 123_457)["verdict"] == "duplicate"
    assert sandbox.balance(savings) == D("123457")
    assert sandbox.balance(FEE) == D("4123.46")  # 4,000 + 123.457, half up to the sen
    assert sandbox.balance(GATEWAY) == D("123457") - D("4123.46")
    # The member hears of it once (the duplicate report records nothing more).
    told = sandbox.kernel.db.read(lambda conn: conn.execute(sa.text(
        "SELECT payload FROM events WHERE type = 'payments.received'")).scalars().all())
    assert [(json.loads(p)["amount"], json.loads(p)["accounts"]) for p in told] == [
        ("123457.00", savings)]
    sandbox.books_ok()


def test_a_wrong_token_is_refused_and_recorded(sandbox: PayCoop) -> None:
    member = sandbox.member()
    [va] = sandbox.call("payments.va-open", member=member)["channels"]
    before = sandbox.snapshot()
    with pytest.raises(BadCallbackToken) as refused:
        callback(sandbox, "P-2", va["number"], 1000, token="guess")  # noqa: S106
    assert refused.value.status == 401
    assert sandbox.snapshot() == before
    assert [c["verdict"] for c in sandbox.call("payments.callbacks")["callbacks"]] == \
        ["bad-token"]


def test_an_unknown_channel_waits_in_suspense_and_verify_agrees(sandbox: PayCoop) -> None:
    done = callback(sandbox, "P-3", "999999999", 5000)
    assert (done["status"], done["reason"]) == ("suspense", "unknown-channel")
    assert sandbox.balance(SUSPENSE) == D(5000)
    sandbox.books_ok()


def test_the_crediting_rule_is_a_setting(sandbox: PayCoop) -> None:
    member = sandbox.member()
    [va] = sandbox.call("payments.va-open", member=member)["channels"]
    # wajib first, without kopcore-savings enabled: no arrears to pay, all to the savings
    sandbox.call("payments.settings-set", open_va_rule="wajib-first")
    assert callback(sandbox, "P-5", va["number"], 7000)["credited_to"] == \
        sandbox.savings_of(member)
    sandbox.call("payments.settings-set", open_va_purpose="payments.nobody-answers")
    done = callback(sandbox, "P-4", va["number"], 5000)
    assert done["reason"] == "no-account-for-payments.nobody-answers"
    assert sandbox.balance(SUSPENSE) == D(5000)
    assert sandbox.refused(ValidationError, "payments.settings-set", open_va_rule="loans-first")
    sandbox.books_ok()


def test_bad_input_is_refused_with_nothing_written(sandbox: PayCoop) -> None:
    member = sandbox.member()
    assert sandbox.refused(ValidationError, "payments.va-open", member=member, banks="B R I")
    assert sandbox.refused(ValidationError, "payments.callback", body="[1, 2]",
                           signature=SANDBOX_TOKEN)
    assert sandbox.refused(ValidationError, "payments.callback",
                           body=json.dumps({"payment_id": "x", "channel": "1", "amount": -5}),
                           signature=SANDBOX_TOKEN)
    assert sandbox.call("payments.vas", member=member)["channels"] == []
    assert sandbox.call("payments.payments")["payments"] == []


def test_a_qris_bill_with_the_sandbox(sandbox: PayCoop) -> None:
    member = sandbox.member()
    loan = sandbox.loan(member, "300000")
    bill = sandbox.call("payments.bill-create", member=member, amount="100000",
                        operation="standin.repay", input=json.dumps({"loan": loan}),
                        channel="qris")
    assert bill["channel"]["kind"] == "qris"
    assert callback(sandbox, "Q-1", bill["number"], 100_000)["status"] == "credited"
    assert sandbox.balance(loan) == D(200000)
    assert sandbox.call("payments.bills", member=member)["bills"][0]["status"] == "paid"
    sandbox.books_ok()


def test_the_demo_seed_opens_the_first_members_vas(sandbox: PayCoop) -> None:
    member = sandbox.member()
    sandbox.kernel.write("admin", demo.seed, operation="demo.payments")
    [va] = sandbox.call("payments.vas", member=member)["channels"]
    assert (va["gateway"], va["bank_code"]) == ("sandbox", "BRI")
