"""Daily reconciliation as routine, with Digiflazz's stand-in: top-ups recorded so kopcore knows
the deposit it expects; the statement matched purchase by purchase; the adjustments it proposes
agreed and posted through maker-checker; the expected deposit next to the provider's; end of
day warning while they differ."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from digiflazz_double import API_KEY, SECRET, USERNAME, DigiflazzDouble
from ppob_coop import CASH, FEE, PAYABLE, Coop, SettlementStandIn

from kopcore import eod
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.kernel import Kernel

D = Decimal
LOSS = "GL-ppob.loss"
PHONE = "081211110000"


@pytest.fixture
def coop_checked(make_kernel: Callable[..., Kernel], fake: DigiflazzDouble,
                 wib: Callable[[int, int], None],
                 monkeypatch: pytest.MonkeyPatch) -> Coop:
    for key, value in {"URL": fake.url, "USERNAME": USERNAME, "API_KEY": API_KEY,
                       "WEBHOOK_SECRET": SECRET, "TIMEOUT": "2"}.items():
        monkeypatch.setenv(f"KOPCORE_PPOB_DIGIFLAZZ_{key}", value)
    standin = SettlementStandIn()
    coop = Coop(make_kernel(plugins=("ppob",), extra_plugins=[("standin", standin)],
                            approval_thresholds={"ppob.reconcile-adjust": D("50"),
                                                 "ppob.topup": D("5000000")}), standin)
    for name in ("manajer1", "manajer2"):
        coop.user(name, "manager")
    coop.call("ppob.provider-set", name="digiflazz")
    coop.call("ppob.sync")
    return coop


def pay(coop: Coop, ref: str, member: str) -> dict[str, Any]:
    return dict(coop.call("ppob.pay", as_user="teller", ref_id=ref, sku="DF-TSEL10",
                          customer_no=PHONE, member=member))


def test_a_day_reconciled_adjusted_through_maker_checker_and_the_deposits_agree(
        coop_checked: Coop, fake: DigiflazzDouble) -> None:
    coop = coop_checked
    # The opening deposit paid to Digiflazz, recorded once: kopcore now expects 1,000,000.
    moved = coop.call("ppob.topup", provider="digiflazz", amount="1000000", from_account=CASH,
                      note="transfer BCA 0001")
    assert moved["expected_deposit"]["amount"] == "1000000.00"
    assert coop.balance(PAYABLE) == D("-1000000.00")  # prepaid: a debit balance
    member = coop.member("100000")
    day = pay(coop, "DF-D-1", member)["created_on"]
    pay(coop, "DF-D-2", member)
    assert coop.call("ppob.deposit")["expected"]["amount"] == "979750.00"
    assert eod.run_end_of_day(coop.kernel)[0].tasks.get("ppob.deposit-check", 0) == 0
    # Later the statement shows DF-D-2 charged Rp100 more, and a purchase made outside kopcore
    # on the same account; its closing balance is the deposit Digiflazz holds.
    statement = ("ref_id,status,price\nDF-D-1,Sukses,10125\nDF-D-2,Sukses,10225\n"
                 "WEB-77,Sukses,5000\n")
    fake.deposit -= 100 + 5000
    report = coop.call("ppob.reconcile", csv=statement, closing_balance="974650",
                       date_from=day)
    assert report["matched"] == 1
    assert [(p["ref_id"], p["kind"], p["amount"]["amount"]) for p in report["proposed"]] == \
        [("DF-D-2", "price", "100.00"), ("WEB-77", "unrecorded", "5000.00")]
    assert (report["expected_deposit"]["amount"], report["provider_deposit"]["amount"],
            report["deposit_difference"]["amount"]) == ("979750.00", "974650.00", "-5100.00")
    coop.call("ppob.deposit")  # the provider's report now: 974650
    closed = eod.run_end_of_day(coop.kernel)
    assert closed[0].tasks["ppob.deposit-check"] == 1  # differs: warned at end of day
    # Each adjustment above the threshold waits for a second person.
    fee, before = coop.balance(FEE), coop.balance(PAYABLE)
    for ref_id, kind, price, amount, provider in (
            ("DF-D-2", "price", "10225", "100", None),
            ("WEB-77", "unrecorded", "5000", "5000", "digiflazz")):
        payable = coop.balance(PAYABLE)
        queued = coop.call("ppob.reconcile-adjust", as_user="manajer1", ref_id=ref_id,
                           kind=kind, provider_price=price, amount=amount, provider=provider,
                           note="agreed, ticket 9")
        assert "approval_id" in queued
        assert coop.balance(PAYABLE) == payable  # nothing posted until a second person
        coop.call("approvals.approve", as_user="manajer2", approval_id=queued["approval_id"])
    assert coop.balance(PAYABLE) == before + D("5100.00")
    assert coop.balance(LOSS) == D("5100.00")
    assert coop.balance(FEE) == fee
    assert coop.call("ppob.deposit")["expected"]["amount"] == "974650.00"
    assert eod.run_end_of_day(coop.kernel)[0].tasks.get("ppob.deposit-check", 0) == 0
    again = coop.call("ppob.reconcile", csv=statement, closing_balance="974650",
                      date_from=day)
    assert again["deposit_difference"]["amount"] == "0.00"
    coop.books_ok()


def test_adjustments_are_checked_and_posted_once(digiflazz: Coop) -> None:
    coop = digiflazz
    member = coop.member("100000")
    pay(coop, "DF-A-1", member)
    coop.refused(ValidationError, "ppob.reconcile-adjust", ref_id="DF-A-1", kind="price",
                 provider_price="10100", amount="30")  # the difference is 25
    coop.refused(Conflict, "ppob.reconcile-adjust", ref_id="DF-A-1", kind="price",
                 provider_price="10125", amount="0")
    coop.refused(Conflict, "ppob.reconcile-adjust", ref_id="DF-A-1", kind="unrecorded",
                 provider_price="10125", amount="10125", provider="digiflazz")
    coop.refused(ValidationError, "ppob.reconcile-adjust", ref_id="DF-A-1", kind="bonus",
                 provider_price="1", amount="1")
    fee = coop.balance(FEE)
    done = coop.call("ppob.reconcile-adjust", ref_id="DF-A-1", kind="price",
                     provider_price="10100", amount="25")  # charged less: more margin
    assert done["amount"]["amount"] == "25.00"
    assert coop.balance(FEE) == fee + D("25.00")
    coop.refused(Conflict, "ppob.reconcile-adjust", ref_id="DF-A-1", kind="price",
                 provider_price="10100", amount="25")
    coop.refused(NotFound, "ppob.topup", provider="nope", amount="1", from_account=CASH)
    coop.refused(ValidationError, "ppob.topup", provider="digiflazz", amount="0",
                 from_account=CASH)
    coop.refused(ValidationError, "ppob.topup", provider="digiflazz", amount="10",
                 from_account=coop.account_of(member))
    coop.refused(NotFound, "ppob.reconcile", csv="ref_id,status,price\n", provider="nope")
    coop.books_ok()
