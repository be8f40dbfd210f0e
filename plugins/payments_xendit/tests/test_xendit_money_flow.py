"""Money after it arrived: a callback racing a poll posts once (threads, both databases);
fees and settlement to the bank balance the gateway account to zero; reconciliation against
Xendit's transaction report finds matched, missing and different payments; suspense is resolved
through maker-checker; end of day expires bills and reports what needs attention."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from kopcore_payments import tables
from kopcore_payments.testing import BANK, FEE, GATEWAY, SUSPENSE, PayCoop
from sqlalchemy.exc import OperationalError
from xendit_double import XenditDouble

from kopcore import eod
from kopcore.errors import Conflict

D = Decimal


def open_va(coop: PayCoop, member: str) -> dict[str, Any]:
    return dict(coop.call("payments.va-open", as_user="teller", member=member,
                          banks="BRI")["channels"][0])


def test_a_callback_racing_polls_posts_once(coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    savings = coop.savings_of(member)
    va = open_va(coop, member)
    bodies = [xendit.pay_va(va["external_id"], 10_000 * (n + 1)) for n in range(3)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(work: Any) -> None:
        try:
            barrier.wait(timeout=30)
            work()
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(lambda b=b: [xendit.deliver(b)],))
               for b in bodies[:2]]
    workers += [threading.Thread(target=run, args=(lambda: coop.call("payments.poll"),)),
                threading.Thread(target=run, args=(lambda: xendit.deliver(bodies[2]),))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    coop.call("payments.poll")
    for body in bodies:  # and the late deliveries after all that
        assert xendit.deliver(body).json()["verdict"] == "duplicate"
    assert coop.balance(savings) == D(60000)
    payments = coop.call("payments.payments", member=member)["payments"]
    assert sorted(p["payment_id"] for p in payments) == sorted(b["payment_id"] for b in bodies)
    assert coop.balance(FEE) == D(3 * 4440)
    coop.books_ok()


def race(coop: PayCoop, xendit: XenditDouble, body: dict[str, Any]) -> int:
    """Deliver ``body`` twice and poll, all at once; how many of them booked it."""
    barrier = threading.Barrier(3)
    answers: list[Any] = []

    def run(work: Any) -> None:
        barrier.wait(timeout=30)
        answers.append(work())

    workers = [threading.Thread(target=run, args=(lambda: xendit.deliver(body),)),
               threading.Thread(target=run, args=(lambda: xendit.deliver(body),)),
               threading.Thread(target=run, args=(lambda: coop.call("payments.poll"),))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    callbacks = [a for a in answers if not isinstance(a, dict)]
    # 409: a concurrent report is booking it and not yet visible; the gateway retries
    assert all(c.status_code in (200, 409) for c in callbacks), [c.text for c in callbacks]
    applied = [c for c in callbacks if c.status_code == 200 and c.json()["verdict"] == "applied"]
    polled = next(a for a in answers if isinstance(a, dict))["credited"]
    return len(applied) + len(polled)


def test_one_payment_raced_by_its_callback_twice_and_a_poll_is_booked_once(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    savings = coop.savings_of(member)
    va = open_va(coop, member)
    for round_ in range(3):
        assert race(coop, xendit, xendit.pay_va(va["external_id"], 1_000 * (round_ + 1))) == 1
    assert coop.balance(savings) == D(6000)
    assert len(coop.call("payments.payments", member=member)["payments"]) == 3
    coop.books_ok()


def test_fees_and_settlement_leave_the_gateway_account_at_what_xendit_holds(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    va = open_va(coop, member)
    for amount in (150_000, 350_000):
        xendit.deliver(xendit.pay_va(va["external_id"], amount))
    assert coop.balance(GATEWAY) == D(500000 - 2 * 4440)
    net = xendit.settle_all()
    assert net == 500000 - 2 * 4440
    done = coop.call("payments.settle", reference="STL-20261207-1", amount=str(net),
                     bank_account=BANK)
    assert done["gateway_balance"]["amount"] == "0.00"
    assert coop.balance(BANK) == D(net)
    assert coop.balance(GATEWAY) == D(0)
    assert coop.balance(FEE) == D(8880)
    assert coop.balance(coop.savings_of(member)) == D(500000)
    coop.books_ok()
    with pytest.raises(Conflict):
        coop.call("payments.settle", reference="STL-20261207-1", amount=str(net),
                  bank_account=BANK)
    assert coop.balance(BANK) == D(net)


def test_reconciliation_finds_matched_missing_and_different(
        coop: PayCoop, xendit: XenditDouble) -> None:
    coop.call("payments.fee-set", kind="va", fixed="4000")  # the schedule forgot the VAT
    member = coop.member()
    va = open_va(coop, member)
    matched = xendit.pay_va(va["external_id"], 20_000)
    xendit.deliver(matched)
    missing = xendit.pay_va(va["external_id"], 30_000)  # its callback never comes
    today = datetime.now(UTC) + timedelta(hours=7)
    found = coop.call("payments.reconcile", day=today.date().isoformat())
    assert [line["payment_id"] for line in found["missing"]] == [missing["payment_id"]]
    assert [line["payment_id"] for line in found["different"]] == [matched["payment_id"]]
    different = found["different"][0]
    assert (different["reported_fee"]["amount"], different["booked_fee"]["amount"]) == \
        ("4440.00", "4000.00")
    assert coop.balance(coop.savings_of(member)) == D(50000)  # the missing one credited
    again = coop.call("payments.reconcile", day=today.date().isoformat())
    assert [line["payment_id"] for line in again["matched"]] == [missing["payment_id"]]
    assert coop.call("payments.settings")["last_reconciliation"].endswith("|1")
    coop.books_ok()


@pytest.mark.parametrize("coop", [{"approval_thresholds": {"payments.resolve": D("100000")}}],
                         indirect=True)
def test_resolving_a_large_suspense_item_needs_a_second_person(
        coop: PayCoop, xendit: XenditDouble) -> None:
    coop.user("manajer1", "manager")
    coop.user("manajer2", "manager")
    member = coop.member()
    va = open_va(coop, member)
    coop.call("members.exit", member=member, reason="pindah", payout_account=coop.CASH)
    body = xendit.pay_va(va["external_id"], 300_000)
    assert xendit.deliver(body).json()["status"] == "suspense"
    other = coop.member("Made Wirawan")
    target = coop.savings_of(other)
    waiting = coop.call("payments.resolve", as_user="manajer1", payment_id=body["payment_id"],
                        amount="300000", action="assign", account=target,
                        note="salah transfer, milik Made")
    assert waiting["status"] == "approval-required"
    assert coop.balance(SUSPENSE) == D(300000)
    approval = waiting["approval_id"]
    coop.call("approvals.approve", as_user="manajer2", approval_id=approval)
    assert coop.balance(target) == D(300000)
    assert coop.balance(SUSPENSE) == D(0)
    coop.books_ok()


def test_end_of_day_expires_bills_and_a_wrong_amount_waits_in_suspense(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    loan = coop.loan(member, "100000")
    stale = coop.call("payments.bill-create", as_user="teller", member=member,
                      amount="10000", operation="standin.repay", input=f'{{"loan": "{loan}"}}',
                      bank_code="BRI", hours=1)
    coop.kernel.write("admin", lambda ctx: ctx.conn.execute(tables.bills.update().where(
        tables.bills.c.number == stale["number"]).values(
            expires_at=datetime(2020, 1, 1, tzinfo=UTC))))
    eod.run_end_of_day(coop.kernel)
    assert coop.call("payments.bill-get", number=stale["number"])["status"] == "expired"
    assert coop.call("payments.bills", status="expired")["bills"][0]["number"] == \
        stale["number"]
    coop.books_ok()


def test_a_callback_while_the_database_is_down_is_refused_and_counted_on_retry(
        coop: PayCoop, xendit: XenditDouble) -> None:
    member = coop.member()
    va = open_va(coop, member)
    body = xendit.pay_va(va["external_id"], 40_000)
    down = threading.Event()

    def refuse_writes(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if down.is_set() and statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise OperationalError(statement[:40], None, Exception("the database is down"))

    engine = coop.kernel.db.engine
    sa.event.listen(engine, "before_cursor_execute", refuse_writes)
    try:
        down.set()
        refused = xendit.deliver(body)
        assert refused.status_code == 503, refused.text
        down.clear()
    finally:
        sa.event.remove(engine, "before_cursor_execute", refuse_writes)
    assert coop.call("payments.payments")["payments"] == []
    assert coop.balance(coop.savings_of(member)) == D(0)
    retried = xendit.deliver(body)  # Xendit retries a delivery not answered 2xx
    assert retried.json()["verdict"] == "applied"
    assert coop.balance(coop.savings_of(member)) == D(40000)
    coop.books_ok()
