"""Test support for kopcore-ppob and its provider plugins.

- :class:`Coop`: a cooperative with kopcore-ppob and a stand-in for the savings plugin
  (:class:`SettlementStandIn` names, per member, an account under ``payable.other`` with a zero
  floor — what the savings plugin's sukarela account is to ppob). Operations run through
  :func:`kopcore.testing.run_operation`, the path behind every API route and CLI command.
- :class:`RunningServer` serves a kernel's web API under uvicorn on an ephemeral loopback port
  in a thread, so a provider's test double delivers its webhooks over real HTTP, as the provider
  would, to the public callback route ``/api/v1/ppob/callback``.
- :class:`ProviderScenarios`: the scenario suite every provider passes (success, failure,
  pending settled by callback and by polling, timeout settled by a status check, a forged
  callback, a price change, bad credentials on a status re-send), with the member's balance and
  hold, the provider payable and fee income checked after each step. A provider plugin's tests
  subclass it and give the ``scenario`` fixture: a :class:`Scenario` around the provider's own
  test double (a :class:`ProviderDouble`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Protocol

import attrs
import httpx

from kopcore import hookimpl, ledger, testing
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.ledger import Member
from kopcore.money import Money
from kopcore.records import SettlementAccount
from kopcore.testing import Cooperative

CASH = Cooperative.CASH
PAYABLE = "GL-ppob.provider_payable"
FEE = "GL-ppob.fee_income"
SUSPENSE = "GL-suspense"


class SettlementStandIn:
    """Answers the settlement hook for ``payment`` with the member's account opened here."""

    def __init__(self) -> None:
        self.accounts: dict[str, str] = {}

    @hookimpl
    def kopcore_settlement_account(self, ctx: Context, member: Member, purpose: str,
                                   currency: str) -> SettlementAccount | None:
        number = self.accounts.get(member.member_number)
        return SettlementAccount(number) if number and purpose == "payment" else None


class Coop(Cooperative):
    """A cooperative with kopcore-ppob, its catalogue synced; members with a paying account."""

    def __init__(self, kernel: Kernel, standin: SettlementStandIn) -> None:
        super().__init__(kernel, capital="10000000")
        self.standin = standin
        self.call("ppob.sync")

    # The ppob suites' member is a saver: the amount comes first, the name is always the same.
    def member(self, savings: str | None = "100000") -> str:  # type: ignore[override]
        """A new active member; with ``savings``, a paying account holding that much."""
        number = super().member("Anggota")
        if savings is not None:
            def open_(ctx: Context) -> str:
                m = ledger.get_member(ctx, number)
                return ledger.open_account(ctx, name="Tabungan", gl_key="payable.other",
                                           plugin="standin", member_id=m.id,
                                           floor=Money.zero(ctx.settings.currency)).number
            account = self.kernel.write("admin", open_)
            self.standin.accounts[number] = account
            self.call("entries.post", memo="Setoran", lines=[
                {"account": CASH, "side": "debit", "amount": savings},
                {"account": account, "side": "credit", "amount": savings}])
        return number

    def account_of(self, member: str) -> str:
        return self.standin.accounts[member]

    def state(self, number: str) -> tuple[Decimal, Decimal]:
        """(balance, held) of an account, normal side, in rupiah."""
        acc = self.kernel.read("admin", lambda ctx: ledger.get_account(ctx, number))
        return acc.balance.amount, acc.held.amount

    def balance(self, number: str) -> Decimal:
        return self.state(number)[0]

    def books_ok(self) -> None:
        def check(ctx: Context) -> None:
            assert ledger.ledger_invariants(ctx) == []
            totals = ledger.trial_balance(ctx, ctx.business_date)["totals"]
            for debit, credit in totals.values():
                assert debit == credit
        self.kernel.read("admin", check)

    def holds(self, number: str) -> list[dict[str, Any]]:
        return self.kernel.read("admin", lambda ctx: ledger.active_holds(ctx, number))

    def entries_count(self) -> int:
        """Journal entries posted so far."""
        return int(self.snapshot()[0])




class RunningServer(testing.RunningServer):
    """``with RunningServer(kernel) as server: ... server.callback_url``."""

    @property
    def callback_url(self) -> str:
        return self.url + "/api/v1/ppob/callback"


class ProviderDouble(Protocol):
    """What the scenario suite asks of a provider's test double."""

    #: Where its webhooks go (set by the suite to the running server's callback route).
    webhook_url: str

    def behave(self, customer_no: str, behaviour: str) -> None:
        """What the next purchase for ``customer_no`` does: ``success``, ``failed``,
        ``pending`` (until :meth:`settle`) or ``timeout`` (made, answered too late)."""

    def settle(self, ref_id: str, success: bool) -> None:
        """Decide a pending purchase at the provider."""

    def send_webhook(self, ref_id: str) -> httpx.Response:
        """Deliver the provider's genuine callback about ``ref_id`` over HTTP."""

    def send_forged_webhook(self, ref_id: str) -> httpx.Response:
        """Deliver a callback about ``ref_id`` claiming success, signed with a wrong secret."""

    def reprice(self, sku: str, price: int) -> None:
        """The provider's price changes after the catalogue was synced."""

    def break_credentials(self) -> None:
        """The cooperative's credentials stop working (a rotated key)."""

    def restore_credentials(self) -> None: ...

    def purchases(self, ref_id: str) -> int:
        """How many purchases the provider made under ``ref_id``."""


@attrs.define
class Scenario:
    """A cooperative using one provider, its double, and a prepaid product it sells."""

    coop: Coop
    double: ProviderDouble
    sku: str
    #: The product's price on the provider's price list, rupiah.
    buy: int
    #: Customer numbers for the product, a new one each call.
    customers: Iterator[str]
    refs: Iterator[int] = attrs.field(factory=lambda: itertools.count(1))

    def ref(self) -> str:
        return f"SC-{self.sku[:20]}-{next(self.refs)}"

    def selling(self) -> Decimal:
        product = next(p for p in self.coop.call("ppob.products")["products"]
                       if p["sku"] == self.sku)
        return Decimal(product["selling_price"]["amount"])

    def pay(self, ref_id: str, customer: str, member: str) -> dict[str, Any]:
        return dict(self.coop.call("ppob.pay", as_user="teller", ref_id=ref_id, sku=self.sku,
                                   customer_no=customer, member=member))

    def books(self, account: str, balance: Decimal, held: Decimal, payable: Decimal,
              fee: Decimal) -> None:
        """The member's account, the provider payable and fee income are exactly these, and the
        books balance."""
        assert self.coop.state(account) == (balance, held)
        assert self.coop.balance(PAYABLE) == payable
        assert self.coop.balance(FEE) == fee
        self.coop.books_ok()


class ProviderScenarios:
    """The scenario suite, written once; a provider's tests subclass it (``Test...``) and
    define the ``scenario`` fixture."""

    def _start(self, scenario: Scenario) -> tuple[str, str, Decimal, Decimal]:
        member = scenario.coop.member("100000")
        return member, scenario.coop.account_of(member), scenario.selling(), \
            Decimal(scenario.buy)

    def test_success_posts_the_sale_once(self, scenario: Scenario) -> None:
        member, account, selling, buy = self._start(scenario)
        customer, ref = next(scenario.customers), scenario.ref()
        done = scenario.pay(ref, customer, member)
        if done["status"] == "pending":  # a provider that always answers "processing" first
            [done] = scenario.coop.call("ppob.poll", as_user="teller")["transactions"]
        assert done["status"] == "success"
        assert done["sn"]
        scenario.books(account, 100000 - selling, Decimal(0), buy, selling - buy)
        assert scenario.pay(ref, customer, member)["status"] == "success"  # a repeat
        assert scenario.double.purchases(ref) == 1
        scenario.books(account, 100000 - selling, Decimal(0), buy, selling - buy)

    def test_failure_releases_the_hold_and_posts_nothing(self, scenario: Scenario) -> None:
        member, account, _, _ = self._start(scenario)
        customer = next(scenario.customers)
        scenario.double.behave(customer, "failed")
        entries = scenario.coop.entries_count()
        done = scenario.pay(scenario.ref(), customer, member)
        if done["status"] == "pending":
            [done] = scenario.coop.call("ppob.poll", as_user="teller")["transactions"]
        assert done["status"] == "failed"
        assert scenario.coop.entries_count() == entries
        scenario.books(account, Decimal(100000), Decimal(0), Decimal(0), Decimal(0))

    def test_pending_settled_by_the_callback_exactly_once(self, scenario: Scenario) -> None:
        member, account, selling, buy = self._start(scenario)
        customer, ref = next(scenario.customers), scenario.ref()
        scenario.double.behave(customer, "pending")
        assert scenario.pay(ref, customer, member)["status"] == "pending"
        scenario.books(account, Decimal(100000), selling, Decimal(0), Decimal(0))
        scenario.double.settle(ref, success=True)
        first = scenario.double.send_webhook(ref)
        assert (first.status_code, first.json()["verdict"]) == (200, "applied"), first.text
        scenario.books(account, 100000 - selling, Decimal(0), buy, selling - buy)
        again = scenario.double.send_webhook(ref)  # the provider retries the delivery
        assert again.json()["verdict"] == "duplicate"
        scenario.books(account, 100000 - selling, Decimal(0), buy, selling - buy)
        assert scenario.double.purchases(ref) == 1

    def test_pending_settled_by_polling(self, scenario: Scenario) -> None:
        member, account, selling, buy = self._start(scenario)
        customer, ref = next(scenario.customers), scenario.ref()
        scenario.double.behave(customer, "pending")
        scenario.pay(ref, customer, member)
        assert scenario.coop.call("ppob.poll", as_user="teller")["transactions"] == []
        scenario.books(account, Decimal(100000), selling, Decimal(0), Decimal(0))
        scenario.double.settle(ref, success=True)
        [done] = scenario.coop.call("ppob.poll", as_user="teller")["transactions"]
        assert (done["ref_id"], done["status"]) == (ref, "success")
        scenario.books(account, 100000 - selling, Decimal(0), buy, selling - buy)
        assert scenario.double.purchases(ref) == 1

    def test_timeout_settled_by_a_status_check(self, scenario: Scenario) -> None:
        member, account, selling, buy = self._start(scenario)
        customer, ref = next(scenario.customers), scenario.ref()
        scenario.double.behave(customer, "timeout")
        timed_out = scenario.pay(ref, customer, member)
        assert timed_out["status"] == "pending"  # bought at the provider; we do not know yet
        scenario.books(account, Decimal(100000), selling, Decimal(0), Decimal(0))
        done = scenario.coop.call("ppob.status", as_user="teller", ref_id=ref)
        assert done["status"] == "success"
        assert scenario.double.purchases(ref) == 1
        scenario.books(account, 100000 - selling, Decimal(0), buy, selling - buy)

    def test_forged_callback_is_refused_and_changes_nothing(self, scenario: Scenario) -> None:
        member, account, selling, _ = self._start(scenario)
        customer, ref = next(scenario.customers), scenario.ref()
        scenario.double.behave(customer, "pending")
        scenario.pay(ref, customer, member)
        before = scenario.coop.snapshot()
        forged = scenario.double.send_forged_webhook(ref)
        assert forged.status_code == 401, forged.text
        assert forged.json()["code"] == "ppob-bad-signature"
        assert scenario.coop.snapshot() == before
        pending = scenario.coop.call("ppob.transactions", status="pending")["transactions"]
        assert [t["ref_id"] for t in pending] == [ref]
        scenario.books(account, Decimal(100000), selling, Decimal(0), Decimal(0))

    def test_price_change_books_the_price_actually_charged(self, scenario: Scenario) -> None:
        member, account, selling, buy = self._start(scenario)
        charged = scenario.buy + int((selling - buy) // 2)  # risen, still below our price
        scenario.double.reprice(scenario.sku, charged)
        customer, ref = next(scenario.customers), scenario.ref()
        done = scenario.pay(ref, customer, member)
        if done["status"] == "pending":
            [done] = scenario.coop.call("ppob.poll", as_user="teller")["transactions"]
        assert done["status"] == "success"
        assert Decimal(done["cost"]["amount"]) == charged
        scenario.books(account, 100000 - selling, Decimal(0), Decimal(charged),
                       selling - charged)
        [change] = scenario.coop.call("ppob.price-changes")["sales"]
        assert (change["ref_id"], Decimal(change["margin"]["amount"])) == \
            (ref, selling - charged)

    def test_bad_credentials_on_a_status_re_send_keep_it_pending(
            self, scenario: Scenario) -> None:
        member, account, selling, buy = self._start(scenario)
        customer, ref = next(scenario.customers), scenario.ref()
        scenario.double.behave(customer, "pending")
        scenario.pay(ref, customer, member)
        scenario.double.settle(ref, success=True)  # delivered at the provider
        scenario.double.break_credentials()
        asked = scenario.coop.call("ppob.status", as_user="teller", ref_id=ref)
        assert asked["status"] == "pending"
        assert asked["attention"]
        scenario.books(account, Decimal(100000), selling, Decimal(0), Decimal(0))
        scenario.double.restore_credentials()
        [done] = scenario.coop.call("ppob.poll", as_user="teller")["transactions"]
        assert (done["status"], done["attention"]) == ("success", None)
        scenario.books(account, 100000 - selling, Decimal(0), buy, selling - buy)
