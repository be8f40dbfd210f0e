"""Model-based stateful test of a whole cooperative: every installed product plugin at once.

A :class:`hypothesis.stateful.RuleBasedStateMachine` runs members, savings (sukarela and wajib),
loans, sharia (wadiah, murabahah, ZIS) and PPOB operations in random order through
:func:`kopcore._service.invoke` (the path behind every API route and CLI command), as the users a
cooperative has (a teller enters, a manager approves), and against a plain reference model of
what every account must hold. Refusals the model predicts (a withdrawal beyond the balance or
the minimum balance, wajib paid out before exit, a repayment above what the schedule asks, an
approval by the loan's own applicant, a second reversal) must come with the model's typed error
and change nothing.

After every step: each modelled account (members' savings, wadiah, loans, murabahah, teller
cash, the ZIS funds) holds exactly the model's balance and hold; the trial balance is zero;
every cached balance equals the sum of its postings; no account is below its floor. The
``verify_books`` report (``kopcore.ledger._verify``, when the kernel has it) must be clean after
every fourth step and at the end of each example (after every step under the heavy profile):
it reads the whole journal, which would otherwise dominate the run.

Each example starts from a template (see ``tests/model_support.py``): three active members with
funded sukarela, wajib and wadiah accounts, a loan application and a disbursed loan, so that
every rule has something to act on from the first step; its first business date is close to a
month end, so that a few end-of-day steps post a month's jasa simpanan.

What the model computes exactly and what it checks loosely:

- savings movements, PPOB holds and outcomes (the sandbox's last-digit rules), wadiah, ZIS,
  murabahah installments (financed / n half up, the last absorbing the remainder) and loan
  principal: exactly, including how a repayment splits over the installments (interest, then
  principal; dues first, then the next installments in date order);
- jasa simpanan: exactly (3 % a year on the daily end-of-day balance, 365 days, rounded once
  half up to Rp1 at the month end);
- a loan's accrued interest receivable (end of day, pro rata by days): loosely, between zero
  and the interest still unpaid; the allowance (PPAP) only through the books' consistency.

Rules whose plugin is not installed are never chosen (``precondition``), so the test also runs
in the per-plugin environments. Bounded for CI (12 examples of 25 steps); ``HYPOTHESIS_PROFILE=
heavy`` runs 200 examples of 60 steps.
"""

from __future__ import annotations

import calendar
import itertools
import os
from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from kopcore import _auth as auth
from kopcore import ledger
from kopcore._db import tables as t
from kopcore._service import invoke
from kopcore.context import Context
from kopcore.errors import (
    AlreadyReversed,
    Conflict,
    Forbidden,
    InsufficientFunds,
    KopcoreError,
    NotWithdrawable,
    ValidationError,
)
from kopcore.kernel import Kernel
from tests.model_support import INSTALLED, fresh_kernel_factory

CASH = "CASH-01"
ZAKAT, INFAQ = "GL-sharia.zakat", "GL-sharia.infaq"
SAVINGS, LOANS, PPOB, SHARIA = (name in INSTALLED for name in
                                ("savings", "loans", "ppob", "sharia"))
RP = 100  # minor units in a rupiah
CAPITAL = 1_000_000_000 * RP
#: The first business date: close to a month end, so that a few end-of-day steps post the
#: month's jasa simpanan.
MODEL_START = date(2026, 1, 27)
SUKARELA_MIN = 10_000 * RP
SUKARELA_RATE_PPM = 30_000  # 3 % a year
LOAN_RATE = Fraction(18, 100 * 12)  # flat, monthly
LOAN_ADMIN_FEE = 10_000 * RP
PPOB_SKU = "TSEL10"
#: Sandbox outcome by the customer number's last digit (plugins/ppob/README.md).
PPOB_OUTCOME = {0: "success", 1: "failed", 2: "pending", 3: "pending", 4: "pending"}
PPOB_RESOLVES = {2: "success", 3: "failed", 4: "pending"}

heavy = os.environ.get("HYPOTHESIS_PROFILE") == "heavy"
#: verify_books reads the whole journal (digests, seals): after every fourth step and at the end
#: of each example; the cheaper checks run after every step.
VERIFY_EVERY = 1 if heavy else 4
#: A heavy run takes far longer than the suite's per-test timeout.
pytestmark = [pytest.mark.timeout(0)] if heavy else []
MODEL_SETTINGS = settings(
    settings.default,
    max_examples=200 if heavy else 12,
    stateful_step_count=60 if heavy else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture],
)


def rupiah(minor: int) -> str:
    return f"{minor // RP}.{minor % RP:02d}"


def minor(value: Any) -> int:
    """An amount of an operation's output (``{"amount": "1.00"}`` or ``"1.00"``) in minor units."""
    text = value["amount"] if isinstance(value, dict) else str(value)
    whole, _, cents = text.partition(".")
    return int(whole) * RP + int((cents + "00")[:2]) * (1 if not whole.startswith("-") else -1)


def round_half_up(value: Fraction, unit: int) -> int:
    return int((value / unit + Fraction(1, 2)) // 1) * unit


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


# --- the template every example starts from --------------------------------------------------


@attrs.define
class Template:
    """What the template holds beyond users, cash and products: three active members, each
    with a funded sukarela and a wajib (savings) and a funded wadiah (sharia), and one loan
    application (loans), so that every rule has something to work on from the first step."""

    ppob_price: int = 0
    members: list[str] = attrs.field(factory=list)
    #: (number, kind, member, balance in minor units)
    accounts: list[tuple[str, str, str, int]] = attrs.field(factory=list)
    #: (number, member, principal, term, status)
    loans: list[tuple[str, str, int, int, str]] = attrs.field(factory=list)
    cash: int = 0


#: Opening deposits of the template's members, in rupiah.
OPENING = {"sukarela": 500_000, "wajib": 25_000, "wadiah": 100_000}


def set_up(template: Template) -> Callable[[Kernel], None]:
    def work(kernel: Kernel) -> None:
        assert set(INSTALLED) <= {plugin.name for plugin in kernel.plugins.loaded}

        def users(ctx: Context) -> None:
            auth.create_user(ctx.conn, "admin", "admin")
            auth.create_user(ctx.conn, "teller", "teller")
            auth.create_user(ctx.conn, "manajer", "manager")

        kernel.write("system", users)
        driver = Driver(kernel)
        driver.call("accounts.open-internal", name="Kas Teller", gl_key="cash", number=CASH)
        driver.call("entries.post", memo="Modal awal", lines=[
            {"account": CASH, "side": "debit", "amount": rupiah(CAPITAL)},
            {"account": "GL-equity.grants", "side": "credit", "amount": rupiah(CAPITAL)}])
        if SAVINGS:
            driver.call("savings.product-create", code="SUKARELA", name="Simpanan Sukarela",
                        type="sukarela", min_balance=rupiah(SUKARELA_MIN),
                        interest_rate=str(Fraction(SUKARELA_RATE_PPM, 10_000)))
            driver.call("savings.product-create", code="WAJIB", name="Simpanan Wajib",
                        type="wajib", amount="25000")
        if LOANS:
            driver.call("loans.product-create", as_user="manajer", code="PMU",
                        name="Pinjaman Modal Usaha", method="flat", frequency="monthly",
                        annual_rate="18", min_amount="100000", max_amount="100000000",
                        min_term=1, max_term=60, admin_fee=rupiah(LOAN_ADMIN_FEE),
                        accounting="accrual")
        if PPOB:
            products = {p["sku"]: p for p in driver.call("ppob.sync")["products"]}
            template.ppob_price = minor(products[PPOB_SKU]["selling_price"])
        for serial in range(1, 4):
            number = driver.call("members.register", name=f"Anggota {serial}",
                                 nik=f"5171011508901{serial:03d}")["member_number"]
            driver.call("members.activate", member=number)
            template.members.append(number)
            opened = []
            if SAVINGS:
                for product in ("SUKARELA", "WAJIB"):
                    out = driver.call("savings.open", member=number, product=product)
                    opened.append((out["account"]["number"], product.lower()))
            if SHARIA:
                opened.append((driver.call("sharia.wadiah-open", member=number)["number"],
                               "wadiah"))
            for account, kind in opened:
                operation = "sharia.wadiah-deposit" if kind == "wadiah" else "savings.deposit"
                driver.call(operation, account=account, amount=str(OPENING[kind]),
                            cash_account=CASH)
                template.accounts.append((account, kind, number, OPENING[kind] * RP))
        if LOANS:
            for member, status in zip(template.members, ("applied", "active"), strict=False):
                out = driver.call("loans.apply", as_user="teller", member=member,
                                  product="PMU", amount="1200000", term=6)
                if status == "active":
                    driver.call("loans.approve", as_user="manajer", loan=out["number"])
                    driver.call("loans.disburse", as_user="teller", loan=out["number"],
                                to_savings=SAVINGS, cash_account=None if SAVINGS else CASH)
                    template.accounts.append((out["number"], "loan", member, 0))
                template.loans.append((out["number"], member, 1_200_000 * RP, 6, status))
        # What each account holds at the end of the set-up, read from the ledger.
        balances = {number: minor(driver.call("accounts.get", account=number)["balance"])
                    for number, *_ in template.accounts}
        template.accounts = [(number, kind, member, balances[number])
                             for number, kind, member, _ in template.accounts]
        template.cash = minor(driver.call("accounts.get", account=CASH)["balance"])
    return work


@pytest.fixture(scope="module")
def cooperative_template(tmp_path_factory: pytest.TempPathFactory,
                         postgres_database: str | None) -> tuple[Callable[[], Kernel], Template]:
    template = Template()
    make = fresh_kernel_factory(tmp_path_factory, postgres_database, set_up(template),
                                initial_date=MODEL_START)
    return make, template


class Driver:
    """Runs operations through :func:`kopcore._service.invoke` as an identified user."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.principals: dict[str, auth.Principal] = {}

    def principal(self, username: str) -> auth.Principal:
        if username not in self.principals:
            self.principals[username] = self.kernel.read(username, lambda ctx: auth.principal_for(
                ctx.conn, self.kernel.plugins, username))
        return self.principals[username]

    def call(self, operation: str, *, as_user: str = "admin", key: str | None = None,
             **raw: Any) -> Any:
        op = self.kernel.plugins.operations[operation].value
        return invoke(self.kernel, op, raw, self.principal(as_user), interface="test",
                      idempotency_key=key).payload


# --- the reference model ---------------------------------------------------------------------


@attrs.define
class Account:
    number: str
    kind: str  # cash, fund, sukarela, wajib, wadiah, loan, murabahah
    member: str | None = None
    balance: int = 0  # normal side, minor units
    held: int = 0
    floor: int | None = 0
    min_balance: int = 0
    #: sukarela: end-of-day balances of the current interest period
    days: list[int] = attrs.field(factory=list)


@attrs.define
class Installment:
    due: date
    interest: int
    principal: int

    @property
    def open(self) -> bool:
        return bool(self.interest or self.principal)


@attrs.define
class Loan:
    number: str
    member: str
    principal: int
    term: int
    status: str = "applied"
    rows: list[Installment] = attrs.field(factory=list)

    def remaining(self) -> int:
        return sum(r.interest + r.principal for r in self.rows)


@attrs.define
class Murabahah:
    number: str
    installments: list[int]


@attrs.define
class Purchase:
    ref: str
    digit: int
    price: int
    account: str | None  # the member's sukarela, or None for cash
    status: str


@attrs.define
class Call:
    operation: str
    as_user: str
    key: str
    raw: dict[str, Any]
    payload: Any


class CooperativeMachine(RuleBasedStateMachine):
    make: Callable[[], Kernel]
    template: Template

    def __init__(self) -> None:
        super().__init__()
        self.kernel = type(self).make()
        self.driver = Driver(self.kernel)
        self.today = MODEL_START
        self.accounts: dict[str, Account] = {CASH: Account(CASH, "cash", balance=CAPITAL)}
        if SHARIA:
            self.accounts[ZAKAT] = Account(ZAKAT, "fund", floor=None)
            self.accounts[INFAQ] = Account(INFAQ, "fund", floor=None)
        template = type(self).template
        self.members: list[str] = list(template.members)
        self.primary: dict[str, str] = {}  # member -> first sukarela (the settlement account)
        for number, kind, member, balance in template.accounts:
            self.accounts[number] = Account(
                number, kind, member, balance,
                min_balance=SUKARELA_MIN if kind == "sukarela" else 0)
            if kind == "sukarela":
                self.primary.setdefault(member, number)
        self.accounts[CASH].balance = template.cash
        self.loans: list[Loan] = [Loan(*loan) for loan in template.loans]
        for loan in self.loans:
            if loan.status == "active":
                loan.rows = self.schedule(loan)
        self.since_end_of_day = 0
        self.zis_receipts = 0
        self.murabahahs: list[Murabahah] = []
        self.purchases: list[Purchase] = []
        self.calls: list[Call] = []
        #: (entry id, normal-side change per modelled account) of entries that may be reversed
        self.reversible: list[tuple[int, dict[str, int]]] = []
        self.reversed: set[int] = set()
        self.serial = itertools.count(1)
        self.steps = 0

    def teardown(self) -> None:
        try:
            self.verify_books()
        finally:
            self.kernel.close()

    # --- helpers ------------------------------------------------------------------------------

    def do(self, operation: str, *, as_user: str = "admin", **raw: Any) -> Any:
        """A mutating call the model expects to succeed; remembered for idempotent replay."""
        key = f"model-{next(self.serial)}"
        payload = self.driver.call(operation, as_user=as_user, key=key, **raw)
        event(operation)
        self.calls.append(Call(operation, as_user, key, raw, payload))
        return payload

    def refused(self, error: type[KopcoreError], operation: str, *, as_user: str = "admin",
                **raw: Any) -> None:
        before = self.snapshot()
        with pytest.raises(error):
            self.driver.call(operation, as_user=as_user, **raw)
        assert self.snapshot() == before, operation
        event(f"{operation}: {error.__name__}")

    def snapshot(self) -> tuple[Any, ...]:
        def read(ctx: Context) -> tuple[Any, ...]:
            a = t.accounts.c
            return (
                ctx.conn.execute(select(func.count()).select_from(t.journal_entries)).scalar(),
                ctx.conn.execute(select(func.count()).select_from(t.account_holds)).scalar(),
                tuple(ctx.conn.execute(select(a.number, a.balance, a.held, a.status)
                                       .order_by(a.id)).all()))
        return self.kernel.read("auditor", read)

    def member_accounts(self, kind: str) -> list[Account]:
        return [a for a in self.accounts.values() if a.kind == kind]

    def pick(self, items: list[Any], index: int) -> Any:
        return items[index % len(items)]

    def entry_deltas(self, entry: dict[str, Any]) -> dict[str, int]:
        """Normal-side change per modelled account of an operation's journal entry."""
        deltas: dict[str, int] = {}
        for posting in entry["postings"]:
            number = posting["account"]
            if number in self.accounts:
                debit = posting["side"] == "debit"
                sign = 1 if self.accounts[number].kind in ("cash", "loan", "murabahah") else -1
                change = minor(posting["amount"]) * (sign if debit else -sign)
                deltas[number] = deltas.get(number, 0) + change
        return {number: change for number, change in deltas.items() if change}

    def apply(self, deltas: dict[str, int]) -> None:
        for number, change in deltas.items():
            self.accounts[number].balance += change

    def available(self, number: str) -> int:
        account = self.accounts[number]
        return account.balance - account.held

    # --- members ------------------------------------------------------------------------------

    @precondition(lambda self: len(self.members) < 6)
    @rule()
    def register_member(self) -> None:
        serial = len(self.members) + 1  # the template's members have other NIKs
        number = self.do("members.register", name=f"Anggota {serial}",
                         nik=f"5171011508900{serial:03d}")["member_number"]
        member = self.do("members.activate", member=number)
        assert member["status"] == "active"
        self.members.append(number)

    # --- savings ------------------------------------------------------------------------------

    @precondition(lambda self: SAVINGS and len(self.member_accounts("sukarela")) < 8)
    @rule(who=st.integers(0, 99), product=st.sampled_from(["SUKARELA", "SUKARELA", "WAJIB"]))
    def open_savings(self, who: int, product: str) -> None:
        member = self.pick(self.members, who)
        if product == "WAJIB" and any(a.kind == "wajib" and a.member == member
                                      for a in self.accounts.values()):
            # One simpanan wajib per member.
            self.refused(Conflict, "savings.open", as_user="teller", member=member,
                         product=product)
            return
        out = self.do("savings.open", as_user="teller", member=member, product=product)
        number = out["account"]["number"]
        assert minor(out["account"]["balance"]) == 0
        kind = product.lower()
        self.accounts[number] = Account(number, kind, member,
                                        min_balance=SUKARELA_MIN if kind == "sukarela" else 0)
        if kind == "sukarela":
            self.primary.setdefault(member, number)

    @precondition(lambda self: SAVINGS and any(a.kind in ("sukarela", "wajib")
                                               for a in self.accounts.values()))
    @rule(which=st.integers(0, 99), amount=st.integers(1, 2_000_000))
    def deposit(self, which: int, amount: int) -> None:
        account = self.pick([a for a in self.accounts.values()
                             if a.kind in ("sukarela", "wajib")], which)
        out = self.do("savings.deposit", as_user="teller", account=account.number,
                      amount=str(amount), cash_account=CASH)
        deltas = self.entry_deltas(out)
        assert deltas == {account.number: amount * RP, CASH: amount * RP}
        self.apply(deltas)
        self.reversible.append((out["entry_id"], deltas))

    @precondition(lambda self: SAVINGS and any(a.kind in ("sukarela", "wajib")
                                               for a in self.accounts.values()))
    @rule(which=st.integers(0, 99), amount=st.one_of(st.integers(1, 200_000),
                                                     st.integers(1, 5_000_000)))
    def withdraw(self, which: int, amount: int) -> None:
        account = self.pick([a for a in self.accounts.values()
                             if a.kind in ("sukarela", "wajib")], which)
        raw = {"account": account.number, "amount": str(amount), "cash_account": CASH}
        if account.kind == "wajib":
            self.refused(NotWithdrawable, "savings.withdraw", as_user="teller", **raw)
        elif self.available(account.number) - amount * RP < account.min_balance:
            self.refused(InsufficientFunds, "savings.withdraw", as_user="teller", **raw)
        else:
            out = self.do("savings.withdraw", as_user="teller", **raw)
            deltas = self.entry_deltas(out)
            assert deltas == {account.number: -amount * RP, CASH: -amount * RP}
            self.apply(deltas)
            self.reversible.append((out["entry_id"], deltas))

    @precondition(lambda self: SAVINGS and len(self.member_accounts("sukarela")) >= 1
                  and len([a for a in self.accounts.values()
                           if a.kind in ("sukarela", "wajib")]) >= 2)
    @rule(source=st.integers(0, 99), to=st.integers(0, 99),
          amount=st.one_of(st.integers(1, 100_000), st.integers(1, 3_000_000)))
    def transfer(self, source: int, to: int, amount: int) -> None:
        paying = self.pick(self.member_accounts("sukarela"), source)
        others = [a for a in self.accounts.values()
                  if a.kind in ("sukarela", "wajib") and a.number != paying.number]
        receiving = self.pick(others, to)
        raw = {"from_account": paying.number, "to_account": receiving.number,
               "amount": str(amount)}
        if self.available(paying.number) - amount * RP < paying.min_balance:
            self.refused(InsufficientFunds, "savings.transfer", as_user="teller", **raw)
            return
        out = self.do("savings.transfer", as_user="teller", **raw)
        deltas = self.entry_deltas(out)
        assert deltas == {paying.number: -amount * RP, receiving.number: amount * RP}
        self.apply(deltas)
        self.reversible.append((out["entry_id"], deltas))

    # --- loans --------------------------------------------------------------------------------

    @precondition(lambda self: LOANS and len(self.loans) < 5)
    @rule(who=st.integers(0, 99), amount=st.sampled_from([600_000, 1_200_000, 2_400_000]),
          term=st.sampled_from([3, 6, 12]))
    def apply_for_loan(self, who: int, amount: int, term: int) -> None:
        member = self.pick(self.members, who)
        out = self.do("loans.apply", as_user="teller", member=member, product="PMU",
                      amount=str(amount), term=term)
        assert out["status"] == "applied"
        assert minor(out["principal"]) == amount * RP
        self.loans.append(Loan(out["number"], member, amount * RP, term))

    @precondition(lambda self: any(loan.status == "applied" for loan in self.loans))
    @rule(which=st.integers(0, 99))
    def approve_loan(self, which: int) -> None:
        loan = self.pick([x for x in self.loans if x.status == "applied"], which)
        # Never by the user who entered the application.
        self.refused(Forbidden, "loans.approve", as_user="teller", loan=loan.number)
        out = self.do("loans.approve", as_user="manajer", loan=loan.number)
        assert (out["status"], out["decided_by"]) == ("approved", "manajer")
        loan.status = "approved"

    @precondition(lambda self: any(loan.status == "approved" for loan in self.loans))
    @rule(which=st.integers(0, 99))
    def disburse_loan(self, which: int) -> None:
        loan = self.pick([x for x in self.loans if x.status == "approved"], which)
        into = self.primary.get(loan.member)
        raw: dict[str, Any] = ({"to_savings": True} if into else
                               {"to_savings": False, "cash_account": CASH})
        out = self.do("loans.disburse", as_user="teller", loan=loan.number, **raw)
        assert out["loan"]["status"] == "active"
        self.accounts[loan.number] = Account(loan.number, "loan", loan.member)
        payout = loan.principal - LOAN_ADMIN_FEE
        deltas = self.entry_deltas(out["entry"])
        assert deltas == {loan.number: loan.principal, into or CASH: payout if into else -payout}
        self.apply(deltas)
        loan.rows = self.schedule(loan)
        loan.status = "active"

    def schedule(self, loan: Loan) -> list[Installment]:
        """Flat, monthly, from today: the same interest every month, principal / term, the
        last installment taking the remainder."""
        interest = round_half_up(loan.principal * LOAN_RATE, RP)
        share = loan.principal // loan.term
        rows = [Installment(add_months(self.today, k), interest, share)
                for k in range(1, loan.term + 1)]
        rows[-1].principal = loan.principal - share * (loan.term - 1)
        return rows

    def allocate(self, loan: Loan, amount: int) -> tuple[int, int]:
        """Split a payment as the loans plugin documents: dues first (all interest, then all
        principal, oldest first), then the next installments, interest before principal."""
        left, interest, principal = amount, 0, 0
        due = [r for r in loan.rows if r.open and r.due <= self.today]
        future = [r for r in loan.rows if r.open and r.due > self.today]
        plan = [(r, "interest") for r in due] + [(r, "principal") for r in due]
        plan += [(r, part) for r in future for part in ("interest", "principal")]
        for row, part in plan:
            take = min(left, getattr(row, part))
            setattr(row, part, getattr(row, part) - take)
            left -= take
            if part == "interest":
                interest += take
            else:
                principal += take
        assert left == 0
        return interest, principal

    @precondition(lambda self: any(loan.status == "active" for loan in self.loans))
    @rule(which=st.integers(0, 99), how=st.sampled_from(["part", "part", "full", "over"]),
          fraction=st.fractions(0, 1), from_savings=st.booleans())
    def repay_loan(self, which: int, how: str, fraction: Fraction, from_savings: bool) -> None:
        loan = self.pick([x for x in self.loans if x.status == "active"], which)
        remaining = loan.remaining()
        amount = {"full": remaining, "over": remaining + RP,
                  "part": max(RP, int(remaining * fraction) // RP * RP)}[how]
        source = self.primary.get(loan.member) if from_savings else None
        raw: dict[str, Any] = {"loan": loan.number, "amount": rupiah(amount)}
        raw |= {"from_savings": True} if source else {"cash_account": CASH}
        if amount > remaining:
            self.refused(ValidationError, "loans.repay", as_user="teller", **raw)
            return
        if source and self.available(source) < amount:
            self.refused(InsufficientFunds, "loans.repay", as_user="teller", **raw)
            return
        out = self.do("loans.repay", as_user="teller", **raw)
        interest, principal = self.allocate(loan, amount)
        assert (minor(out["interest"]), minor(out["principal"])) == (interest, principal), out
        deltas = self.entry_deltas(out["entry"])
        expected = {loan.number: -principal, source or CASH: -amount if source else amount}
        assert deltas == {number: change for number, change in expected.items() if change}
        self.apply(deltas)
        if amount == remaining:
            loan.status = "closed"
        assert out["loan"]["status"] == loan.status

    # --- sharia -------------------------------------------------------------------------------

    @precondition(lambda self: SHARIA and len(self.member_accounts("wadiah")) < 4)
    @rule(who=st.integers(0, 99))
    def open_wadiah(self, who: int) -> None:
        member = self.pick(self.members, who)
        out = self.do("sharia.wadiah-open", as_user="teller", member=member)
        self.accounts[out["number"]] = Account(out["number"], "wadiah", member)

    @precondition(lambda self: bool(self.member_accounts("wadiah")))
    @rule(which=st.integers(0, 99), amount=st.integers(1, 1_000_000), out_=st.booleans())
    def wadiah_movement(self, which: int, amount: int, out_: bool) -> None:
        account = self.pick(self.member_accounts("wadiah"), which)
        raw = {"account": account.number, "amount": str(amount), "cash_account": CASH}
        operation = "sharia.wadiah-withdraw" if out_ else "sharia.wadiah-deposit"
        if out_ and self.available(account.number) < amount * RP:
            self.refused(InsufficientFunds, operation, as_user="teller", **raw)
            return
        out = self.do(operation, as_user="teller", **raw)
        deltas = self.entry_deltas(out["entry"])
        change = -amount * RP if out_ else amount * RP
        assert deltas == {account.number: change, CASH: change}
        self.apply(deltas)
        self.reversible.append((out["entry"]["entry_id"], deltas))

    @precondition(lambda self: SHARIA and self.zis_receipts < 3)
    @rule(fund=st.sampled_from(["zakat", "infaq"]), amount=st.integers(1, 500_000))
    def zis_receive(self, fund: str, amount: int) -> None:
        self.zis_receipts += 1
        out = self.do("sharia.zis-receive", as_user="teller", fund=fund, amount=str(amount),
                      cash_account=CASH, memo="Zakat maal anggota")
        deltas = self.entry_deltas(out["entry"])
        assert deltas == {ZAKAT if fund == "zakat" else INFAQ: amount * RP, CASH: amount * RP}
        self.apply(deltas)
        assert minor(out["fund"]["balance"]) == self.accounts[ZAKAT if fund == "zakat"
                                                              else INFAQ].balance
        self.reversible.append((out["entry"]["entry_id"], deltas))

    @precondition(lambda self: SHARIA and len(self.murabahahs) < 4)
    @rule(who=st.integers(0, 99), cost=st.integers(500_000, 5_000_000),
          margin=st.integers(1_000, 900_000), n=st.integers(1, 6))
    def murabahah_contract(self, who: int, cost: int, margin: int, n: int) -> None:
        member = self.pick(self.members, who)
        # The cooperative buys the goods first (paying the supplier), then sells them.
        bought = self.do("sharia.murabahah-acquire", as_user="teller", member=member,
                         asset="Mesin jahit", cost=str(cost), cash_account=CASH,
                         supplier="Toko Jahit", document="Faktur 1")
        deltas = self.entry_deltas(bought["entry"])
        assert deltas == {CASH: -cost * RP}
        self.apply(deltas)
        out = self.do("sharia.murabahah-contract", as_user="teller", member=member,
                      acquisition=bought["acquisition"]["id"], margin=str(margin),
                      installments=n)
        number = out["murabahah"]["account"]["number"]
        self.accounts[number] = Account(number, "murabahah", member)
        deltas = self.entry_deltas(out["entry"])
        assert deltas == {number: (cost + margin) * RP}
        self.apply(deltas)
        financed = cost + margin
        each = round_half_up(Fraction(financed, n), 1)
        self.murabahahs.append(Murabahah(number, [each * RP] * (n - 1)
                                         + [(financed - each * (n - 1)) * RP]))

    @precondition(lambda self: any(m.installments for m in self.murabahahs))
    @rule(which=st.integers(0, 99))
    def murabahah_installment(self, which: int) -> None:
        contract = self.pick([m for m in self.murabahahs if m.installments], which)
        out = self.do("sharia.murabahah-pay", as_user="teller", account=contract.number,
                      cash_account=CASH)
        due = contract.installments.pop(0)
        deltas = self.entry_deltas(out["entry"])
        assert deltas == {contract.number: -due, CASH: due}
        self.apply(deltas)
        status = out["murabahah"]["account"]["status"]
        assert status == ("open" if contract.installments else "closed")

    # --- PPOB ---------------------------------------------------------------------------------

    @precondition(lambda self: PPOB)
    @rule(who=st.integers(0, 99), digit=st.sampled_from(sorted(PPOB_OUTCOME)),
          from_savings=st.booleans())
    def ppob_purchase(self, who: int, digit: int, from_savings: bool) -> None:
        member = self.pick(self.members, who)
        account = self.primary.get(member) if from_savings else None
        ref = f"R{len(self.purchases) + 1}"
        price = type(self).template.ppob_price
        raw: dict[str, Any] = {"ref_id": ref, "sku": PPOB_SKU,
                               "customer_no": f"0812000{len(self.purchases):04d}{digit}"}
        raw |= {"member": member} if account else {"cash_account": CASH}
        if account and self.available(account) < price:
            self.refused(InsufficientFunds, "ppob.pay", as_user="teller", **raw)
            return
        out = self.do("ppob.pay", as_user="teller", **raw)
        status = PPOB_OUTCOME[digit]
        assert (out["status"], minor(out["amount"])) == (status, price), out
        purchase = Purchase(ref, digit, price, account, status)
        self.purchases.append(purchase)
        if account:
            if status == "success":
                self.accounts[account].balance -= price
            elif status == "pending":
                self.accounts[account].held += price
        elif status != "failed":
            self.accounts[CASH].balance += price  # the customer's cash waits in suspense

    def settle_purchase(self, purchase: Purchase, outcome: str) -> None:
        if outcome == "pending":
            return
        purchase.status = outcome
        if purchase.account:
            self.accounts[purchase.account].held -= purchase.price
            if outcome == "success":
                self.accounts[purchase.account].balance -= purchase.price
        elif outcome == "failed":
            self.accounts[CASH].balance -= purchase.price  # the cash goes back

    @precondition(lambda self: any(p.status == "pending" for p in self.purchases))
    @rule(which=st.integers(0, 99))
    def ppob_status(self, which: int) -> None:
        purchase = self.pick([p for p in self.purchases if p.status == "pending"], which)
        out = self.do("ppob.status", as_user="teller", ref_id=purchase.ref)
        self.settle_purchase(purchase, PPOB_RESOLVES[purchase.digit])
        assert out["status"] == purchase.status

    # --- across plugins -----------------------------------------------------------------------

    @precondition(lambda self: self.since_end_of_day >= 3)
    @rule(days=st.sampled_from([1, 1, 2, 5]))
    def end_of_day(self, days: int) -> None:
        """Close one or two days, or up to the month end when it is close (each closed day
        costs a few tenths of a second with four plugins, so longer jumps are kept out)."""
        next_month = add_months(self.today.replace(day=1), 1)
        stop = min(self.today + timedelta(days=days), next_month)
        self.since_end_of_day = -1  # the invariant's count brings it to zero
        out = self.do("eod.run", until=stop.isoformat())
        assert out["business_date"] == stop.isoformat()
        while self.today < stop:
            self.close_day(self.today)
            self.today += timedelta(days=1)

    def close_day(self, day: date) -> None:
        """The model of one end of day: PPOB poll, jasa simpanan accrual and posting."""
        for purchase in self.purchases:
            if purchase.status == "pending":
                self.settle_purchase(purchase, PPOB_RESOLVES[purchase.digit])
        for account in self.member_accounts("sukarela"):
            account.days.append(account.balance)
            if month_end(day):
                exact = Fraction(sum(account.days) * SUKARELA_RATE_PPM, 365 * 10**6)
                gross = round_half_up(exact, RP)
                assert gross <= 240_000 * RP  # below the tax threshold: no withholding
                account.balance += gross
                account.days.clear()
                event("jasa simpanan posted" if gross else "jasa simpanan: nothing to post")
        note(f"closed {day}")

    @precondition(lambda self: bool(self.calls))
    @rule(which=st.integers(0, 10_000))
    def replay(self, which: int) -> None:
        """The same Idempotency-Key answers the first response and posts nothing new."""
        call = self.calls[which % len(self.calls)]
        before = self.snapshot()
        again = self.driver.call(call.operation, as_user=call.as_user, key=call.key, **call.raw)
        assert again == call.payload, call.operation
        assert self.snapshot() == before, call.operation

    @precondition(lambda self: bool(self.reversible))
    @rule(which=st.integers(0, 10_000))
    def reverse(self, which: int) -> None:
        entry_id, deltas = self.reversible[which % len(self.reversible)]
        mirror = {number: -change for number, change in deltas.items()}
        if entry_id in self.reversed:
            self.refused(AlreadyReversed, "entries.reverse", entry_id=entry_id)
            return
        short = [number for number, change in mirror.items() if change < 0
                 and self.accounts[number].floor is not None
                 and self.available(number) + change < self.accounts[number].floor]
        if short:
            self.refused(InsufficientFunds, "entries.reverse", entry_id=entry_id)
            return
        out = self.do("entries.reverse", entry_id=entry_id, memo="Salah input")
        assert out["reverses_entry_id"] == entry_id
        assert self.entry_deltas(out) == mirror
        self.apply(mirror)
        self.reversed.add(entry_id)

    # --- after every step ---------------------------------------------------------------------

    @invariant()
    def books_match_the_model(self) -> None:
        day = self.today

        def read(ctx: Context) -> dict[str, Any]:
            a = t.accounts.c
            rows = ctx.conn.execute(select(a.number, a.balance, a.held, a.floor, a.normal_sign))
            trial = ledger.trial_balance(ctx, ctx.business_date)
            return {"accounts": {r.number: r for r in rows},
                    "problems": ledger.ledger_invariants(ctx),
                    "totals": trial["totals"], "date": ctx.business_date}

        books = self.kernel.read("auditor", read)
        assert books["date"] == day
        assert books["problems"] == []
        for debit, credit in books["totals"].values():
            assert debit == credit
        for row in books["accounts"].values():
            if row.floor is not None:
                assert row.balance * row.normal_sign - row.held >= row.floor, row
        for number, account in self.accounts.items():
            row = books["accounts"][number]
            assert (row.balance * row.normal_sign, row.held) == (account.balance, account.held), \
                number
        for loan in self.loans:
            accrued = books["accounts"].get(f"{loan.number}-J")
            if accrued is not None and loan.status == "active":
                unpaid_interest = sum(r.interest for r in loan.rows)
                assert 0 <= accrued.balance * accrued.normal_sign <= unpaid_interest, loan
        self.steps += 1
        self.since_end_of_day += 1
        if self.steps % VERIFY_EVERY == 0:
            self.verify_books()

    def verify_books(self) -> None:
        verify = _verify_books()
        if verify is not None:
            report = self.kernel.read("auditor", verify)
            assert report.ok if hasattr(report, "ok") else not report, report


def _verify_books() -> Callable[[Context], Any] | None:
    """``kopcore.ledger._verify.verify_books`` when the kernel has it."""
    try:
        from kopcore.ledger import verify  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    return getattr(verify, "verify_books", None)


def test_cooperative_against_the_model(
        cooperative_template: tuple[Callable[[], Kernel], Template]) -> None:
    make, template = cooperative_template

    class Machine(CooperativeMachine):
        pass

    Machine.make = staticmethod(make)  # type: ignore[assignment]
    Machine.template = template
    run_state_machine_as_test(Machine, settings=MODEL_SETTINGS)
