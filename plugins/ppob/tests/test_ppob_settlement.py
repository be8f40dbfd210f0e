"""Settling a PPOB purchase with the provider, figure by figure: what the provider actually
charged (fee income, or a loss when it charged more than the member paid), the deposit it
reports (a late report never overwrites a newer one), answers that settle nothing, answers that
contradict a final outcome, and each way a manager resolves such an anomaly, with the entries
checked line by line.

TSEL10 sells at Rp10,500 and is expected at Rp10,125 (fee Rp375); sandbox customer numbers
ending in 4 stay pending until an answer is applied here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from kopcore_ppob import flow
from kopcore_ppob.errors import AnomalyResolved
from kopcore_ppob.providers import Outcome, Reason, Result
from ppob_coop import CASH, FEE, PAYABLE, SUSPENSE, Coop

from kopcore import eod, ledger
from kopcore.context import Context
from kopcore.errors import Conflict, ValidationError

D = Decimal
LOSS = "GL-ppob.loss"
WAITS = "081200000004"  # sandbox: pending, whatever is asked


def begin(coop: Coop, ref: str, **paid_by: str) -> flow.Txn:
    """A TSEL10 purchase set aside (a hold, or cash in suspense) and not yet answered."""
    request = flow.PayRequest(ref, "TSEL10", WAITS, **paid_by)
    txn, fresh = coop.kernel.write("teller", lambda ctx: flow.begin(ctx, request))
    assert (txn.status, fresh) == ("pending", True)
    return txn


def answer(coop: Coop, ref: str, outcome: Outcome, *, first: bool = False,
           **extra: Any) -> tuple[flow.Txn, bool]:
    """Apply the provider's answer: to the purchase request itself (``first``), or else as a
    callback or a status re-send is applied (settle's default)."""
    result = Result(ref, outcome, **extra)
    if first:
        return coop.kernel.write("teller", lambda ctx: flow.settle(ctx, ref, result, first=True))
    return coop.kernel.write("teller", lambda ctx: flow.settle(ctx, ref, result))


def read(coop: Coop, work: Callable[[Context], Any]) -> Any:
    return coop.kernel.read("admin", work)


def postings(coop: Coop, entry_id: int | None) -> dict[str, int]:
    """The entry's lines, debit positive, in sen."""
    assert entry_id is not None
    entry = read(coop, lambda ctx: ledger.get_entry(ctx, entry_id))
    return {p.account_number: p.amount.minor for p in entry.postings}


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the settlement module told the operators' log."""
    return [r.getMessage() for r in caplog.records if r.name == flow.log.name]


def deposit(coop: Coop) -> int | None:
    return read(coop, lambda ctx: flow.known_deposit(ctx, "sandbox"))


# -- resolving anomalies (first: they settle purchases too) -----------------------------------


def resolve(coop: Coop, ref: str, resolution: str, amount: int = 1_050_000,
            note: str | None = None, actor: str = "manager") -> flow.Txn:
    return coop.kernel.write(actor, lambda ctx: flow.resolve_anomaly(
        ctx, ref, resolution, amount, note))


def failed_then_delivered(coop: Coop, ref: str, **paid_by: str) -> flow.Txn:
    begin(coop, ref, **paid_by)
    answer(coop, ref, Outcome.FAILED, first=True)
    txn, _ = answer(coop, ref, Outcome.SUCCESS, sn="SN-" + ref)
    assert txn.anomaly is not None
    return txn


def held_by_another(coop: Coop, ref: str, **paid_by: str) -> flow.Txn:
    """A pending purchase whose ref_id the provider holds for another transaction."""
    begin(coop, ref, **paid_by)
    txn, _ = answer(coop, ref, Outcome.FAILED, code="49", reason=Reason.REF_ID_NOT_UNIQUE)
    assert (txn.status, txn.anomaly is not None) == ("pending", True)
    return txn


@pytest.fixture
def managed(coop: Coop) -> Coop:
    coop.user("manager", "manager")
    return coop


def test_charged_after_a_failure_takes_the_sale_from_savings(
        managed: Coop, caplog: pytest.LogCaptureFixture) -> None:
    coop = managed
    member = coop.member("100000")
    account = coop.account_of(member)
    failed_then_delivered(coop, "AN-1", member=member)
    eod.run_end_of_day(coop.kernel)  # resolved a day after the failure was recorded
    note = "tiket " + "7" * 300
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="kopcore_ppob.flow"):
        txn = resolve(coop, "AN-1", "charged", note=note)
    assert logged(caplog) == [
        "PPOB AN-1: anomaly resolved as charged by manager"]
    assert (txn.status, txn.resolution, txn.resolved_by) == ("success", "charged", "manager")
    assert txn.resolution_note == note[:200]
    # Resolved on 6 January; the outcome stays dated the day the failure was recorded.
    assert (txn.resolved_on, txn.resolution_on) == (date(2026, 1, 5), date(2026, 1, 6))
    # As the sale would have been: Rp10,500 from savings, Rp10,125 payable, Rp375 fee.
    assert postings(coop, txn.resolution_entry_id) == {
        account: 1_050_000, PAYABLE: -1_012_500, FEE: -37_500}
    assert coop.state(account) == (D("89500.00"), D("0.00"))
    with pytest.raises(AnomalyResolved):
        resolve(coop, "AN-1", "absorbed")
    coop.books_ok()


def test_a_cash_failure_cannot_be_charged_but_can_be_absorbed(managed: Coop) -> None:
    coop = managed
    failed_then_delivered(coop, "AN-CASH", cash_account=CASH)
    cash = coop.balance(CASH)
    with pytest.raises(Conflict, match="paid in cash"):
        resolve(coop, "AN-CASH", "charged")
    txn = resolve(coop, "AN-CASH", "absorbed", note="")
    assert (txn.status, txn.resolution, txn.resolution_note) == ("success", "absorbed", None)
    # The provider took Rp10,125 for a product the member did not pay for: the cooperative's
    # loss.
    assert postings(coop, txn.resolution_entry_id) == {LOSS: 1_012_500, PAYABLE: -1_012_500}
    assert (coop.balance(CASH), coop.balance(SUSPENSE)) == (cash, D("0.00"))
    coop.books_ok()


def test_refunded_after_a_failure_posts_nothing(managed: Coop) -> None:
    coop = managed
    member = coop.member("100000")
    failed_then_delivered(coop, "AN-REF", member=member)
    entries = coop.entries_count()
    manager = "m" * 64  # the longest user name there can be is kept whole
    coop.user(manager, "manager")
    txn = resolve(coop, "AN-REF", "refunded", actor=manager)
    assert (txn.status, txn.resolution, txn.resolution_entry_id) == ("failed", "refunded", None)
    assert txn.resolved_by == manager
    assert coop.entries_count() == entries
    assert coop.balance(coop.account_of(member)) == D("100000.00")


def test_a_pending_anomaly_charged_from_the_held_savings_or_the_waiting_cash(
        managed: Coop) -> None:
    coop = managed
    member = coop.member("100000")
    account = coop.account_of(member)
    held_by_another(coop, "AN-HELD", member=member)
    assert coop.state(account) == (D("100000.00"), D("10500.00"))
    txn = resolve(coop, "AN-HELD", "charged")
    assert (txn.status, txn.resolved_on, txn.attention) == ("success", date(2026, 1, 5), None)
    assert postings(coop, txn.resolution_entry_id) == {
        account: 1_050_000, PAYABLE: -1_012_500, FEE: -37_500}
    assert coop.state(account) == (D("89500.00"), D("0.00"))
    cash = coop.balance(CASH)
    held_by_another(coop, "AN-SUSP", cash_account=CASH)
    txn = resolve(coop, "AN-SUSP", "charged")
    # The cash waiting in suspense pays for the sale: nothing goes back to the till.
    assert postings(coop, txn.resolution_entry_id) == {
        SUSPENSE: 1_050_000, PAYABLE: -1_012_500, FEE: -37_500}
    assert (coop.balance(CASH), coop.balance(SUSPENSE)) == (cash + D("10500.00"), D("0.00"))
    coop.books_ok()


def test_a_pending_anomaly_refunded_or_absorbed_gives_the_money_back(managed: Coop) -> None:
    coop = managed
    cash = coop.balance(CASH)
    held_by_another(coop, "AN-BACK", cash_account=CASH)
    txn = resolve(coop, "AN-BACK", "refunded")
    assert (txn.status, txn.resolution, txn.resolution_entry_id) == ("failed", "refunded", None)
    # The cash goes back from suspense to the till.
    assert postings(coop, txn.entry_id) == {SUSPENSE: 1_050_000, CASH: -1_050_000}
    assert (coop.balance(CASH), coop.balance(SUSPENSE)) == (cash, D("0.00"))
    member = coop.member("100000")
    account = coop.account_of(member)
    held_by_another(coop, "AN-ABS", member=member)
    txn = resolve(coop, "AN-ABS", "absorbed")
    assert postings(coop, txn.resolution_entry_id) == {LOSS: 1_012_500, PAYABLE: -1_012_500}
    assert coop.state(account) == (D("100000.00"), D("0.00"))
    coop.books_ok()


def test_resolutions_refused_change_nothing(managed: Coop,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    coop = managed
    member = coop.member("100000")
    failed_then_delivered(coop, "AN-X", member=member)
    entries = coop.entries_count()
    with pytest.raises(ValidationError, match="resolution"):
        resolve(coop, "AN-X", "forgiven")
    with pytest.raises(ValidationError, match="repeat the transaction's amount"):
        resolve(coop, "AN-X", "charged", amount=1_000_000)
    # A failure nobody contradicted, and a success contradicted by a late failure: nothing to
    # resolve.
    begin(coop, "AN-PLAIN", member=member)
    answer(coop, "AN-PLAIN", Outcome.FAILED, first=True)
    with pytest.raises(Conflict, match="no anomaly"):
        resolve(coop, "AN-PLAIN", "refunded")
    begin(coop, "AN-SOLD", member=member)
    answer(coop, "AN-SOLD", Outcome.SUCCESS, first=True)
    assert answer(coop, "AN-SOLD", Outcome.FAILED)[0].anomaly is not None
    with pytest.raises(Conflict, match="no anomaly"):
        resolve(coop, "AN-SOLD", "refunded")
    assert coop.entries_count() == entries + 1  # the sale of AN-SOLD only
    # Two managers at once: the one whose claim finds the anomaly already resolved is refused.
    stale = read(coop, lambda ctx: flow.require_txn(ctx, "AN-X"))
    resolve(coop, "AN-X", "refunded")
    monkeypatch.setattr(flow, "require_txn", lambda ctx, ref_id: stale)
    with pytest.raises(AnomalyResolved):
        resolve(coop, "AN-X", "charged")


# -- settling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("charged", "lines"), [
    # Cheaper than expected: payable Rp10,000, the fee Rp10,500 - 10,000 = Rp500.
    (10_000, {PAYABLE: -1_000_000, FEE: -50_000}),
    # Exactly the member's price: no fee, no loss, two lines only.
    (10_500, {PAYABLE: -1_050_000}),
    # Dearer than the member's price: payable Rp10,700, a loss of Rp200.
    (10_700, {PAYABLE: -1_070_000, LOSS: 20_000}),
])
def test_the_sale_is_posted_at_what_the_provider_charged(coop: Coop, charged: int,
                                                         lines: dict[str, int]) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    begin(coop, "R-PRICE", member=member)
    txn, settled = answer(coop, "R-PRICE", Outcome.SUCCESS, first=True, sn="SN1",
                          price=charged)
    assert settled
    assert (txn.status, txn.cost, txn.buy_price, txn.sn) == (
        "success", charged * 100, 1_012_500, "SN1")
    assert postings(coop, txn.entry_id) == {account: 1_050_000, **lines}
    assert coop.state(account) == (D("89500.00"), D("0.00"))
    coop.books_ok()


@pytest.mark.parametrize(("markup", "charged", "lines"), [
    # A sen of markup on the bill: fee income of one sen.
    ("0.01", None, {PAYABLE: -5_460_000, FEE: -1}),
    # 99 sen of markup, but the provider charged Rp1 more than quoted: a loss of one sen.
    ("0.99", 54_601, {PAYABLE: -5_460_100, LOSS: 1}),
])
def test_a_fee_or_a_loss_of_one_sen(coop: Coop, markup: str, charged: int | None,
                                    lines: dict[str, int]) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    coop.call("ppob.markup-set", category="pln_postpaid", flat=markup)
    # Sandbox bill of customer ...0124: Rp50,000 + 124 x 25 = Rp53,100, admin Rp1,500.
    quote = coop.call("ppob.inquiry", as_user="teller", ref_id="R-SEN", sku="PLNPOST",
                      customer_no="5300000124")
    assert quote["amount"]["amount"] == str(D("54600") + D(markup))
    request = flow.PayRequest("R-SEN", "PLNPOST", "5300000124", member=member)
    coop.kernel.write("teller", lambda ctx: flow.begin(ctx, request))
    txn, _ = answer(coop, "R-SEN", Outcome.SUCCESS, first=True, sn="SN5", price=charged)
    selling = 5_460_000 + int(D(markup) * 100)
    assert postings(coop, txn.entry_id) == {account: selling, **lines}
    coop.books_ok()


def test_without_a_price_the_sale_is_posted_at_the_expected_buy_price(coop: Coop) -> None:
    begin(coop, "R-CASH", cash_account=CASH)
    txn, settled = answer(coop, "R-CASH", Outcome.SUCCESS, first=True, sn="SN2")
    assert settled
    assert txn.cost == 1_012_500
    # Paid in cash: the sale is posted from suspense, where the cash waited.
    assert postings(coop, txn.entry_id) == {
        SUSPENSE: 1_050_000, PAYABLE: -1_012_500, FEE: -37_500}
    assert coop.balance(SUSPENSE) == D("0.00")
    # Applied again, the answer settles nothing and posts nothing.
    entries = coop.entries_count()
    again, settled = answer(coop, "R-CASH", Outcome.SUCCESS, sn="SN2")
    assert (settled, again) == (False, txn)
    assert coop.entries_count() == entries


def test_a_failure_posts_nothing_from_savings_and_returns_cash(coop: Coop) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    begin(coop, "R-F-SAV", member=member)
    txn, settled = answer(coop, "R-F-SAV", Outcome.FAILED, first=True, code="01",
                          message="Transaksi gagal")
    assert (settled, txn.status, txn.entry_id, txn.cost, txn.sn) == (
        True, "failed", None, None, None)
    assert txn.message == "[01] Transaksi gagal"
    assert coop.state(account) == (D("100000.00"), D("0.00"))
    cash = coop.balance(CASH)
    begin(coop, "R-F-CASH", cash_account=CASH)
    assert coop.balance(SUSPENSE) == D("10500.00")
    txn, settled = answer(coop, "R-F-CASH", Outcome.FAILED, first=True)
    assert settled
    assert postings(coop, txn.entry_id) == {SUSPENSE: 1_050_000, CASH: -1_050_000}
    assert (coop.balance(CASH), coop.balance(SUSPENSE)) == (cash, D("0.00"))
    coop.books_ok()


def test_a_long_serial_and_message_are_kept_to_200_characters(coop: Coop) -> None:
    begin(coop, "R-LONG", cash_account=CASH)
    serial, words = "1234567890" * 25, "x" * 250
    txn, _ = answer(coop, "R-LONG", Outcome.SUCCESS, first=True, sn=serial, message=words)
    assert txn.sn == serial[:200]
    assert txn.message == words[:200]


def test_the_deposit_reported_by_a_late_answer_never_replaces_a_newer_one(
        coop: Coop, wib: Callable[[int, int], None]) -> None:
    member = coop.member("100000")
    for ref in ("R-DEP-A", "R-DEP-D", "R-DEP-E"):
        begin(coop, ref, member=member)  # asked at 10:00
    wib(10, 5)
    begin(coop, "R-DEP-B", member=member)
    # The answer to B's own request reports Rp900,000 left, as at now (10:05).
    answer(coop, "R-DEP-B", Outcome.SUCCESS, first=True, balance=900_000)
    assert deposit(coop) == 900_000
    wib(10, 10)
    # A callback about A tells the deposit after A, asked at 10:00: older than 10:05's report.
    answer(coop, "R-DEP-A", Outcome.SUCCESS, balance=950_000)
    assert deposit(coop) == 900_000
    wib(10, 15)
    begin(coop, "R-DEP-C", member=member)
    wib(10, 20)
    # A callback about C, asked at 10:15: newer than 10:05's report, so kept.
    answer(coop, "R-DEP-C", Outcome.SUCCESS, balance=800_000)
    assert deposit(coop) == 800_000
    wib(10, 25)
    # D was asked at 10:00, but this is the answer to its own request, given now (10:25).
    answer(coop, "R-DEP-D", Outcome.SUCCESS, first=True, balance=700_000)
    assert deposit(coop) == 700_000
    # A refusal for an exhausted deposit records a deposit of nothing.
    answer(coop, "R-DEP-E", Outcome.FAILED, first=True, reason=Reason.DEPOSIT_EXHAUSTED)
    assert deposit(coop) == 0


def test_answers_that_decide_nothing_leave_the_purchase_as_it_is(coop: Coop) -> None:
    member = coop.member("100000")
    account = coop.account_of(member)
    begin(coop, "R-WAIT", member=member)
    # A status re-send refused for the request itself (an unknown IP): still pending, held,
    # and raised to an operator.
    txn, settled = answer(coop, "R-WAIT", Outcome.FAILED, code="45", message="IP tidak dikenal",
                          settles=False)
    assert (settled, txn.status, txn.anomaly) == (False, "pending", None)
    assert txn.attention is not None
    assert "[45] IP tidak dikenal" in txn.attention
    assert coop.state(account) == (D("100000.00"), D("10500.00"))
    # Settled; then the same kind of answer says nothing about it: no anomaly.
    done, settled = answer(coop, "R-WAIT", Outcome.SUCCESS, sn="SN3")
    assert (settled, done.status, done.attention) == (True, "success", None)
    entries = coop.entries_count()
    after, settled = answer(coop, "R-WAIT", Outcome.FAILED, code="45", settles=False)
    assert (settled, after) == (False, done)
    after, settled = answer(coop, "R-WAIT", Outcome.PENDING)
    assert (settled, after) == (False, done)
    assert coop.entries_count() == entries
    assert coop.state(account) == (D("89500.00"), D("0.00"))


def test_a_contradicting_answer_is_recorded_as_an_anomaly_and_posts_nothing(
        coop: Coop, caplog: pytest.LogCaptureFixture) -> None:
    member = coop.member("100000")
    begin(coop, "R-LATE", member=member)
    answer(coop, "R-LATE", Outcome.FAILED, first=True)
    entries = coop.entries_count()
    serial = "9" * 250
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="kopcore_ppob.flow"):
        late, settled = answer(coop, "R-LATE", Outcome.SUCCESS, sn=serial)
    assert (settled, late.status) == (False, "failed")
    # The token the member may still need is kept; the note is cut to 200 characters.
    assert late.sn == serial[:200]
    assert late.anomaly == (f"provider reported success (sn {serial}"[:200])
    assert logged(caplog) == [f"PPOB R-LATE: provider reported success (sn {serial}) after "
                              "failed was recorded on 2026-01-05: not posted; settle with the "
                              "provider"]
    assert coop.entries_count() == entries
    # Only the first contradiction is recorded.
    again, settled = answer(coop, "R-LATE", Outcome.SUCCESS, sn="SN-OTHER")
    assert (settled, again) == (False, late)

    # A success without a serial: the anomaly, and no serial invented.
    begin(coop, "R-LATE2", member=member)
    answer(coop, "R-LATE2", Outcome.FAILED, first=True)
    late, _ = answer(coop, "R-LATE2", Outcome.SUCCESS)
    assert late.anomaly == ("provider reported success after failed was recorded on "
                            "2026-01-05: not posted; settle with the provider")
    assert late.sn is None
    # The same outcome again is no contradiction.
    begin(coop, "R-OK", member=member)
    done, _ = answer(coop, "R-OK", Outcome.SUCCESS, first=True, sn="SN4")
    again, settled = answer(coop, "R-OK", Outcome.SUCCESS, sn="SN4")
    assert (settled, again.anomaly, again) == (False, None, done)
    # A failure reported after a success is one (the member keeps what was bought).
    late, _ = answer(coop, "R-OK", Outcome.FAILED, code="02")
    assert late.anomaly == ("provider reported failed after success was recorded on "
                            "2026-01-05: not posted; settle with the provider")
    assert (late.status, late.sn) == ("success", "SN4")
    coop.books_ok()
